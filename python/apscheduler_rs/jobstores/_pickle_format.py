"""The pickle format of the persistent stores: APScheduler 3's rows, written
with APScheduler 3's class names so both libraries share a table (see
``_serialization``)."""

from __future__ import annotations

import io
import pickle
from types import FunctionType
from typing import Any, cast

from apscheduler_rs._pickle_compat import CompatUnpickler
from apscheduler_rs.job import Job
from apscheduler_rs.jobstores._json_format import JsonSerializer
from apscheduler_rs.jobstores._serialization import JobSerializer
from apscheduler_rs.triggers.combining import BaseCombiningTrigger

__all__ = ("PickleSerializer",)


def _apscheduler_module(module: str) -> str | None:
    """APScheduler 3's name for a public apscheduler_rs module; ``None`` for
    anything else (other packages, and our private modules, which APScheduler 3
    does not have)."""
    if module == "apscheduler_rs":
        return "apscheduler"
    if not module.startswith("apscheduler_rs."):
        return None
    if any(part.startswith("_") for part in module.split(".")[1:]):
        return None
    return "apscheduler" + module[len("apscheduler_rs") :]


def _apscheduler_ref(ref: str) -> str:
    module, sep, name = ref.partition(":")
    renamed = _apscheduler_module(module)
    return renamed + sep + name if renamed else ref


def _apscheduler_combining_state(state: dict[str, Any]) -> dict[str, Any]:
    # Combining triggers keep their triggers' classes as text references.
    triggers = []
    for class_ref, trigger_state in state["triggers"]:
        if isinstance(trigger_state, dict) and "triggers" in trigger_state:
            trigger_state = _apscheduler_combining_state(trigger_state)
        triggers.append((_apscheduler_ref(class_ref), trigger_state))
    return {**state, "triggers": triggers}


class _Pickler(pickle.Pickler):
    """Writes combining triggers' class references under APScheduler 3's names,
    and records the apscheduler_rs classes it has to write by name (those not
    preloaded in its memo)."""

    def __init__(self, file: io.BytesIO, protocol: int) -> None:
        super().__init__(file, protocol)
        self.protocol = protocol
        self.missing: dict[Any, tuple[str, str]] = {}

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, (type, FunctionType)):
            # A class (or function) seen here is not in the memo: it would be
            # written by name.
            module = _apscheduler_module(getattr(obj, "__module__", None) or "")
            if module is not None:
                self.missing[obj] = (module, obj.__qualname__)
            return NotImplemented
        if isinstance(obj, BaseCombiningTrigger) and _apscheduler_module(type(obj).__module__):
            reduced = obj.__reduce_ex__(self.protocol)
            state = cast("dict[str, Any]", reduced[2])
            return (*reduced[:2], _apscheduler_combining_state(state), *reduced[3:])
        return NotImplemented


def _memo_op(short: bytes, long: bytes, index: int, protocol: int) -> bytes:
    # PUT/GET (protocol 0) or BINPUT/BINGET and their 4-byte forms
    if protocol == 0:
        return (b"p" if short == b"q" else b"g") + b"%d\n" % index
    if index < 256:
        return short + bytes((index,))
    return long + index.to_bytes(4, "little")


class _Preload:
    """Classes to preload under their APScheduler names: the prologue that
    loads them into the first memo slots, and the memo the pickler starts
    with so that it refers to those slots."""

    __slots__ = ("classes", "memo", "prologue")

    def __init__(self, classes: dict[Any, tuple[str, str]], protocol: int) -> None:
        self.classes = classes
        self.memo: dict[int, tuple[int, Any]] = {}
        parts: list[bytes] = []
        module_slots: dict[str, int] = {}
        for cls, (module, qualname) in classes.items():
            if protocol >= 4:
                slot = module_slots.get(module)
                if slot is None:
                    # each module's name is written once, then fetched from the memo
                    slot = module_slots[module] = len(self.memo)
                    self.memo[id(module)] = (slot, module)
                    parts += (_short_unicode(module), _memo_op(b"q", b"r", slot, protocol))
                else:
                    parts.append(_memo_op(b"h", b"j", slot, protocol))
                parts += (_short_unicode(qualname), b"\x93")  # STACK_GLOBAL
            else:
                parts.append(b"c" + module.encode() + b"\n" + qualname.encode() + b"\n")
            slot = len(self.memo)
            self.memo[id(cls)] = (slot, cls)
            parts += (_memo_op(b"q", b"r", slot, protocol), b"0")  # BINPUT, POP
        self.prologue = b"".join(parts)


def _short_unicode(text: str) -> bytes:
    encoded = text.encode()
    return b"\x8c" + bytes((len(encoded),)) + encoded  # SHORT_BINUNICODE


#: Past this many classes preloaded for one kind of job, start afresh.
_MAX_PRELOAD = 32


class _CompatPickleWriter:
    """``pickle.dumps`` that names apscheduler_rs classes as APScheduler 3 does.

    The C pickler cannot be told to write a class under another name, but it
    writes a class found in its memo as a memo reference. So the classes are
    preloaded: a prologue loads them by their APScheduler names into the first
    memo slots, and the pickler starts with them in its memo. Which classes a
    job needs is remembered per trigger class, so one pass is enough except
    when a job brings a class not seen before; a class preloaded but unused
    costs a few bytes.
    """

    def __init__(self, protocol: int) -> None:
        if protocol < 0:  # pickle's meaning of a negative protocol
            protocol = pickle.HIGHEST_PROTOCOL
        pickle.Pickler(io.BytesIO(), protocol)  # pickle's ValueError for one too high
        self.protocol = protocol
        # A PROTO opcode (protocols 2+) must stay first; frames (4+) may start
        # at any opcode boundary, so the prologue sits unframed after PROTO.
        self._head = 2 if protocol >= 2 else 0
        self._preloads: dict[type, _Preload] = {}

    def dumps(self, obj: Any, kind: type) -> bytes:
        preload = self._preloads.get(kind)
        data, missing = self._dump(obj, preload)
        if not missing:
            return data
        classes = dict(preload.classes) if preload else {}
        if len(classes) + len(missing) > _MAX_PRELOAD:
            classes = {}
            data, missing = self._dump(obj, None)  # finds every class this job needs
            if not missing:
                return data
        classes.update(missing)
        preload = self._preloads[kind] = _Preload(classes, self.protocol)
        data, missing = self._dump(obj, preload)
        if missing:  # pragma: no cover - the preload has every class just seen
            raise pickle.PicklingError(f"classes not preloaded: {list(missing)}")
        return data

    def _dump(self, obj: Any, preload: _Preload | None) -> tuple[bytes, dict[Any, Any]]:
        buffer = io.BytesIO()
        pickler = _Pickler(buffer, self.protocol)
        if preload is not None:
            pickler.memo = preload.memo
        pickler.dump(obj)
        if pickler.missing:
            return b"", pickler.missing
        body = buffer.getvalue()
        if preload is None:
            return body, {}
        head = self._head
        return body[:head] + preload.prologue + body[head:], {}


#: Packages whose classes cannot change while the process runs: what pickles
#: name from them is looked up once. (User modules may be reloaded.)
_STABLE_PACKAGES = frozenset(
    ("apscheduler", "apscheduler_rs", "builtins", "copyreg", "datetime", "zoneinfo", "pytz")
)
_found_classes: dict[tuple[str, str], Any] = {}


class _Unpickler(CompatUnpickler):
    """CompatUnpickler with its lookups of stable classes cached: restoring a
    job names four or five of them, and each lookup imports and audits."""

    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        found = _found_classes.get(key)
        if found is None:
            found = super().find_class(module, name)
            if module.partition(".")[0] in _STABLE_PACKAGES:
                _found_classes[key] = found
        return found


class PickleSerializer(JobSerializer):
    """APScheduler 3's format: the pickled job state (see the module docstring).

    Rows in the json format are read too: a store that trusts its database
    with pickles has nothing to fear from them.
    """

    name = "pickle"

    def __init__(self, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        self.protocol = protocol
        self._writer = _CompatPickleWriter(protocol)
        self._json = JsonSerializer(_trust_all=True)

    def dumps(self, job: Job) -> bytes:
        state = job.__getstate__()
        return self._writer.dumps(state, type(state["trigger"]))

    def load_state(self, data: bytes) -> dict[str, Any]:
        if data[:1] == b"{":  # no pickle starts with "{"; JSON objects do
            return self._json.load_state(data)
        return _Unpickler(io.BytesIO(data)).load()

    def __repr__(self) -> str:
        return f"<PickleSerializer (protocol={self.protocol})>"
