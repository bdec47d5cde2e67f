"""The opt-in json format of the persistent stores: text references and JSON
values only, nothing unpickled (see ``_serialization``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone, tzinfo
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler_rs.job import Job
from apscheduler_rs.jobstores._serialization import JobSerializer
from apscheduler_rs.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler_rs.triggers.combining import AndTrigger, OrTrigger
from apscheduler_rs.triggers.cron import CronTrigger
from apscheduler_rs.triggers.cron.fields import FIELDS_MAP
from apscheduler_rs.triggers.date import DateTrigger
from apscheduler_rs.triggers.interval import IntervalTrigger
from apscheduler_rs.util import obj_to_ref

__all__ = ("JsonSerializer",)


_OFFSET = re.compile(r"[+-]\d\d:\d\d(:\d\d(\.\d{6})?)?")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _expect(value: Any, types: type | tuple[type, ...], what: str) -> Any:
    # bool is an int subclass; a number field never takes one
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
        raise ValueError(f"{what}: unexpected value {value!r}")
    return value


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _offset_text(offset: timedelta) -> str:
    # "+01:00", like isoformat's offsets
    return datetime(2000, 1, 1, tzinfo=timezone(offset)).isoformat()[19:]


def _encode_tz(tz: tzinfo | None) -> str:
    if tz is timezone.utc:
        return "UTC"
    if isinstance(tz, timezone):
        return _offset_text(tz.utcoffset(None))
    key = getattr(tz, "key", None) if isinstance(tz, ZoneInfo) else getattr(tz, "zone", None)
    if not isinstance(key, str) or not key:
        raise ValueError(f"the time zone {tz!r} has no name to store in JSON")
    return key


def _decode_tz(value: Any) -> tzinfo:
    text = _expect(value, str, "time zone")
    if text == "UTC":
        return timezone.utc
    if _OFFSET.fullmatch(text):
        return datetime.fromisoformat("2000-01-01T00:00:00" + text).tzinfo  # type: ignore[return-value]
    return ZoneInfo(text)


def _encode_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, followed by ``[zone]`` unless the zone is a
    fixed offset (RFC 9557's extended format)."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{value!r} is not a timezone-aware datetime")
    text = value.isoformat()
    if isinstance(value.tzinfo, timezone):
        return text
    return f"{text}[{_encode_tz(value.tzinfo)}]"


def _decode_datetime(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    text = _expect(value, str, what)
    zone = None
    if text.endswith("]"):
        text, _, zone = text[:-1].partition("[")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{what}: {value!r} has no UTC offset")
    return moment.astimezone(_decode_tz(zone)) if zone else moment


def _decode_date(value: Any, what: str) -> date | None:
    return None if value is None else date.fromisoformat(_expect(value, str, what))


def _decode_ints(value: Any, count: int, what: str) -> list[int]:
    items = _expect(value, list, what)
    if len(items) != count:
        raise ValueError(f"{what}: expected {count} numbers, got {value!r}")
    return [_expect(item, int, what) for item in items]


def _decode_jitter(value: Any) -> float | None:
    return None if value is None else _expect(value, (int, float), "jitter")


def _encode_trigger(trigger: Any) -> dict[str, Any]:
    kind = type(trigger)
    state = trigger.__getstate__()
    if kind is DateTrigger:
        return {"type": "date", "run_date": _encode_datetime(state["run_date"])}
    if kind is IntervalTrigger:
        interval: timedelta = state["interval"]
        return {
            "type": "interval",
            "timezone": _encode_tz(state["timezone"]),
            "start_date": _encode_datetime(state["start_date"]),
            "end_date": _encode_datetime(state["end_date"]),
            "interval": [interval.days, interval.seconds, interval.microseconds],
            "jitter": state["jitter"],
        }
    if kind is CronTrigger:
        return {
            "type": "cron",
            "timezone": _encode_tz(state["timezone"]),
            "start_date": _encode_datetime(state["start_date"]),
            "end_date": _encode_datetime(state["end_date"]),
            "fields": [[field.name, str(field), field.is_default] for field in state["fields"]],
            "jitter": state["jitter"],
        }
    if kind is CalendarIntervalTrigger:
        end_date = state["end_date"]
        return {
            "type": "calendarinterval",
            "interval": list(state["interval"]),
            "time": list(state["time"]),
            "start_date": state["start_date"].isoformat(),
            "end_date": end_date.isoformat() if end_date else None,
            "timezone": _encode_tz(state["timezone"]),
            "jitter": state["jitter"],
        }
    if kind is AndTrigger or kind is OrTrigger:
        return {
            "type": "and" if kind is AndTrigger else "or",
            "triggers": [_encode_trigger(child) for child in trigger.triggers],
            "jitter": trigger.jitter,
        }
    raise ValueError(
        f"the json serializer stores only the built-in triggers, not {kind.__qualname__}"
    )


_COMBINING = {"and": AndTrigger, "or": OrTrigger}


def _decode_trigger(doc: Any) -> Any:
    doc = _expect(doc, dict, "trigger")
    kind = doc.get("type")
    if kind == "date":
        cls: Any = DateTrigger
        state: dict[str, Any] = {
            "version": 1,
            "run_date": _decode_datetime(doc["run_date"], "run_date"),
        }
    elif kind == "interval":
        cls = IntervalTrigger
        days, seconds, microseconds = _decode_ints(doc["interval"], 3, "interval")
        state = {
            "version": 2,
            "timezone": _decode_tz(doc["timezone"]),
            "start_date": _decode_datetime(doc["start_date"], "start_date"),
            "end_date": _decode_datetime(doc["end_date"], "end_date"),
            "interval": timedelta(days=days, seconds=seconds, microseconds=microseconds),
            "jitter": _decode_jitter(doc["jitter"]),
        }
    elif kind == "cron":
        cls = CronTrigger
        fields = []
        for item in _expect(doc["fields"], list, "fields"):
            name, expression, is_default = _expect(item, list, "field")
            field_class = FIELDS_MAP[_expect(name, str, "field name")]
            fields.append(
                field_class(
                    name, _expect(expression, str, "field"), _expect(is_default, bool, "field")
                )
            )
        state = {
            "version": 2,
            "timezone": _decode_tz(doc["timezone"]),
            "start_date": _decode_datetime(doc["start_date"], "start_date"),
            "end_date": _decode_datetime(doc["end_date"], "end_date"),
            "fields": fields,
            "jitter": _decode_jitter(doc["jitter"]),
        }
    elif kind == "calendarinterval":
        cls = CalendarIntervalTrigger
        state = {
            "version": 1,
            "interval": _decode_ints(doc["interval"], 4, "interval"),
            "time": _decode_ints(doc["time"], 3, "time"),
            "start_date": _decode_date(doc["start_date"], "start_date"),
            "end_date": _decode_date(doc["end_date"], "end_date"),
            "timezone": _decode_tz(doc["timezone"]),
            "jitter": _decode_jitter(doc["jitter"]),
        }
    elif kind in _COMBINING:
        cls = _COMBINING[kind]
        children = [_decode_trigger(child) for child in _expect(doc["triggers"], list, "triggers")]
        state = {
            "version": 1,
            "triggers": [
                (f"{type(child).__module__}:{type(child).__qualname__}", child.__getstate__())
                for child in children
            ],
            "jitter": _decode_jitter(doc["jitter"]),
        }
    else:
        raise ValueError(f"unknown trigger type {kind!r}")
    trigger = cls.__new__(cls)
    trigger.__setstate__(state)
    return trigger


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class _CallablePolicy:
    """Which ``module:name`` references a json store may store and call."""

    def __init__(self, allowed: Iterable[str | Callable[..., Any]]) -> None:
        self.exact: set[str] = set()
        self.modules: set[str] = set()
        if isinstance(allowed, str) or callable(allowed):
            allowed = [allowed]  # a single entry given bare
        for item in allowed:
            if not isinstance(item, str):
                self.exact.add(obj_to_ref(item))
                continue
            module, sep, name = item.partition(":")
            if not sep or not _MODULE.fullmatch(module):
                raise ValueError(
                    f"allowed_callables entries are 'module:name' or 'module:*', not {item!r}"
                )
            if name == "*":
                self.modules.add(module)
            else:
                self._check_name(name, item)
                self.exact.add(item)

    @staticmethod
    def _check_name(name: str, ref: str) -> None:
        parts = name.split(".")
        if not all(_IDENTIFIER.fullmatch(part) and not _is_dunder(part) for part in parts):
            raise ValueError(f"{ref!r} is not a plain module:name reference")

    def allows(self, ref: str) -> bool:
        return ref in self.exact or ref.partition(":")[0] in self.modules

    def resolve(self, ref: Any) -> Any:
        """The callable behind an allowed reference; imports only its module.

        :raises ValueError: if the reference is not allowed
        """
        ref = _expect(ref, str, "func")
        module_name, _, name = ref.partition(":")
        if not self.allows(ref):
            raise ValueError(f"the callable {ref!r} is not in allowed_callables")
        self._check_name(name, ref)
        target: Any = import_module(module_name)
        for part in name.split("."):
            target = getattr(target, part)
        if not callable(target):
            raise ValueError(f"{ref!r} is not callable")
        # "module:*" allows what the module defines, not what it imported
        # (a module that did "from os import system" does not allow os.system).
        if ref not in self.exact and getattr(target, "__module__", None) != module_name:
            raise ValueError(f"{ref!r} is not defined in {module_name}")
        return target


class JsonSerializer(JobSerializer):
    """Jobs as JSON documents (see the module docstring); loading one never
    unpickles anything.

    :param allowed_callables: the callables jobs may run: ``"module:name"``
        references, ``"module:*"`` for everything defined in a module, or the
        callables themselves
    """

    name = "json"

    def __init__(
        self,
        allowed_callables: Iterable[str | Callable[..., Any]] | None = None,
        *,
        _trust_all: bool = False,
    ) -> None:
        self._trust_all = _trust_all
        if allowed_callables is None and not _trust_all:
            raise ValueError(
                'serializer="json" needs allowed_callables: the "module:name" references '
                '(or "module:*" patterns, or the callables) its jobs may run'
            )
        self.policy = _CallablePolicy(allowed_callables or ())

    def dumps(self, job: Job) -> bytes:
        state = job.__getstate__()  # APScheduler's ValueError for lambdas and such
        ref = state["func"]
        if not self._trust_all and not self.policy.allows(ref):
            raise ValueError(
                f"Job ({job.id}) cannot be stored with the json serializer: its callable "
                f"{ref!r} is not in allowed_callables"
            )
        args = list(state["args"])
        _check_json(args, job.id, "args")
        _check_json(state["kwargs"], job.id, "kwargs")
        try:
            trigger = _encode_trigger(state["trigger"])
            next_run_time = _encode_datetime(state["next_run_time"])
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"Job ({job.id}) cannot be stored with the json serializer: {exc}"
            ) from None
        document = {
            "version": 1,
            "id": state["id"],
            "func": ref,
            "trigger": trigger,
            "executor": state["executor"],
            "args": args,
            "kwargs": state["kwargs"],
            "name": state["name"],
            "misfire_grace_time": state["misfire_grace_time"],
            "coalesce": state["coalesce"],
            "max_instances": state["max_instances"],
            "next_run_time": next_run_time,
        }
        # ASCII-only output: a lone surrogate in some string cannot make the
        # bytes invalid UTF-8 (and the row unreadable).
        return json.dumps(document, separators=(",", ":")).encode()

    def load_state(self, data: bytes) -> dict[str, Any]:
        if data[:1] != b"{":
            # Most likely a pickle: this serializer exists to never load one.
            raise ValueError("not a job stored by the json serializer (it never unpickles)")
        doc = _expect(json.loads(data), dict, "job")
        version = doc.get("version")
        if version != 1:
            raise ValueError(f"unsupported job document version {version!r}")
        func = doc["func"]
        if not self._trust_all:
            self.policy.resolve(func)  # before Job.__setstate__ imports anything
        misfire_grace_time = doc["misfire_grace_time"]
        return {
            "version": 1,
            "id": _expect(doc["id"], str, "id"),
            "func": _expect(func, str, "func"),
            "trigger": _decode_trigger(doc["trigger"]),
            "executor": _expect(doc["executor"], str, "executor"),
            "args": tuple(_expect(doc["args"], list, "args")),
            "kwargs": _expect(doc["kwargs"], dict, "kwargs"),
            "name": _expect(doc["name"], str, "name"),
            "misfire_grace_time": None
            if misfire_grace_time is None
            else _expect(misfire_grace_time, int, "misfire_grace_time"),
            "coalesce": _expect(doc["coalesce"], bool, "coalesce"),
            "max_instances": _expect(doc["max_instances"], int, "max_instances"),
            "next_run_time": _decode_datetime(doc["next_run_time"], "next_run_time"),
        }

    def __repr__(self) -> str:
        return "<JsonSerializer>"


def _check_json(value: Any, job_id: str, what: str) -> None:
    """Refuse values JSON would not give back unchanged (tuples, non-str keys,
    datetimes, NaN ...): the job would otherwise run with other arguments."""
    try:
        same = json.loads(json.dumps(value, allow_nan=False)) == value
    except (TypeError, ValueError, RecursionError):
        same = False
    if not same:
        raise ValueError(
            f"Job ({job_id}) cannot be stored with the json serializer: its {what} "
            f"({value!r}) are not plain JSON values (str, int, float, bool, None, "
            "lists, dicts with str keys)"
        )
