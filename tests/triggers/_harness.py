"""Differential machinery shared by the trigger tests.

A :class:`Spec` is a recipe for one trigger (kind + constructor arguments) that can be
built with any implementation (:class:`~._impl.TriggerLib`) and printed as Python source.
A :class:`Case` is a spec plus the ``now`` of the first ``get_next_fire_time`` call and the
delays a scheduler would add between calls.  :func:`compare_case` runs a case through the
reference and the implementation under test and returns human-readable problems (empty
when they agree).  Every problem report starts with the full constructor call and the
``now`` so that it can be pasted into ``test_regressions.py``.
"""

from __future__ import annotations

import pickle
import random
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytz

from ._impl import IMPL, REF, TriggerLib, to_ref_module_path

UTC = timezone.utc

#: Number of fire times compared per chain.
CHAIN_LENGTH = 20


# ---------------------------------------------------------------------------------------
# Trigger recipes
# ---------------------------------------------------------------------------------------

_CLASS_NAMES = {
    "cron": "CronTrigger",
    "crontab": "CronTrigger",
    "interval": "IntervalTrigger",
    "date": "DateTrigger",
    "calendarinterval": "CalendarIntervalTrigger",
    "and": "AndTrigger",
    "or": "OrTrigger",
}


@dataclass(frozen=True)
class Spec:
    """How to build one trigger.

    ``kind`` is one of cron, crontab, interval, date, calendarinterval, and, or.
    For ``crontab`` the kwargs are ``expr`` (positional) plus optional ``timezone``;
    for ``and``/``or`` they are ``members`` (a list of specs) plus optional ``jitter``;
    otherwise they are the constructor's keyword arguments.
    """

    kind: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def build(self, lib: TriggerLib) -> Any:
        kw = dict(self.kwargs)
        if self.kind == "cron":
            return lib.CronTrigger(**kw)
        if self.kind == "crontab":
            expr = kw.pop("expr")
            return lib.CronTrigger.from_crontab(expr, **kw)
        if self.kind == "interval":
            return lib.IntervalTrigger(**kw)
        if self.kind == "date":
            return lib.DateTrigger(**kw)
        if self.kind == "calendarinterval":
            return lib.CalendarIntervalTrigger(**kw)
        if self.kind in ("and", "or"):
            members = [m.build(lib) for m in kw.pop("members")]
            cls = lib.AndTrigger if self.kind == "and" else lib.OrTrigger
            return cls(members, **kw)
        raise AssertionError(f"unknown spec kind {self.kind}")

    @property
    def jitter(self) -> Any:
        return self.kwargs.get("jitter")

    def without_jitter(self) -> Spec:
        """The same recipe with the top-level jitter removed (members keep theirs)."""
        kw = dict(self.kwargs)
        kw.pop("jitter", None)
        return replace(self, kwargs=kw)

    def code(self) -> str:
        """Python source that builds this trigger (names as in the reference)."""
        cls = _CLASS_NAMES[self.kind]
        if self.kind == "crontab":
            kw = dict(self.kwargs)
            args = [code_repr(kw.pop("expr"))]
            args += [f"{k}={code_repr(v)}" for k, v in kw.items()]
            return f"CronTrigger.from_crontab({', '.join(args)})"
        if self.kind in ("and", "or"):
            kw = dict(self.kwargs)
            members = ", ".join(m.code() for m in kw.pop("members"))
            args = [f"[{members}]"] + [f"{k}={code_repr(v)}" for k, v in kw.items()]
            return f"{cls}({', '.join(args)})"
        args = [f"{k}={code_repr(v)}" for k, v in self.kwargs.items()]
        return f"{cls}({', '.join(args)})"


@dataclass
class Case:
    """A trigger recipe plus the calls a scheduler would make on it."""

    label: str
    spec: Spec
    now: datetime
    #: delays[k] is added to fire time k (as an instant) to form the ``now`` of call k+1
    delays: Sequence[timedelta] = ()
    #: Python's ``random`` is seeded with ``seed * 100 + k`` before call k (jitter)
    seed: int = 0
    chain_length: int = CHAIN_LENGTH

    def now_for(self, k: int, prev: datetime | None) -> datetime:
        if k == 0 or prev is None:
            return self.now
        delay = self.delays[k - 1] if k - 1 < len(self.delays) else timedelta(0)
        return (prev.astimezone(UTC) + delay).astimezone(self.now.tzinfo)

    def header(self) -> str:
        lines = [
            f"case {self.label}",
            f"  trigger = {self.spec.code()}",
            f"  now     = {code_repr(self.now)}",
        ]
        if any(self.delays):
            lines.append(
                "  delays  = [" + ", ".join(code_repr(d) for d in self.delays) + "]"
                "  (added to each fire time, as instants, to form the next now)"
            )
        else:
            lines.append("  (now of each later call = the previous fire time)")
        if self.spec.jitter:
            lines.append(f"  random.seed({self.seed} * 100 + k) before call k")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Printing values as Python source
# ---------------------------------------------------------------------------------------


def tz_code(tz: tzinfo | None) -> str:
    if tz is None:
        return "None"
    if tz is UTC:
        return "timezone.utc"
    if isinstance(tz, ZoneInfo):
        return f"ZoneInfo({tz.key!r})"
    if tz is pytz.utc:
        return "pytz.utc"
    if isinstance(tz, pytz.tzinfo.BaseTzInfo) and getattr(tz, "zone", None):
        return f"pytz.timezone({tz.zone!r})"
    if isinstance(tz, pytz._FixedOffset):
        return f"pytz.FixedOffset({tz._minutes})"
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        plain = timezone(offset)
        args = f"timedelta(seconds={int(offset.total_seconds())})"
        if tz.tzname(None) != plain.tzname(None):
            args += f", {tz.tzname(None)!r}"
        return f"timezone({args})"
    return repr(tz)


def code_repr(value: Any) -> str:
    """Render ``value`` as Python source that recreates it (for failure reports)."""
    if isinstance(value, Spec):
        return value.code()
    if isinstance(value, datetime):
        tz = value.tzinfo
        if tz is not None and isinstance(tz, pytz.tzinfo.BaseTzInfo) and tz is not pytz.utc:
            utc = value.astimezone(UTC).replace(tzinfo=None)
            return (
                f"{code_repr(utc)[:-1]}, tzinfo=timezone.utc).astimezone("
                f"pytz.timezone({tz.zone!r}))"
            )
        parts = [value.year, value.month, value.day, value.hour, value.minute, value.second]
        text = ", ".join(str(p) for p in parts)
        if value.microsecond:
            text += f", {value.microsecond}"
        if tz is not None:
            text += f", tzinfo={tz_code(tz)}"
        if value.fold:
            text += ", fold=1"
        return f"datetime({text})"
    if isinstance(value, date):
        return f"date({value.year}, {value.month}, {value.day})"
    if isinstance(value, time):
        return repr(value)
    if isinstance(value, timedelta):
        parts = []
        if value.days:
            parts.append(f"days={value.days}")
        if value.seconds:
            parts.append(f"seconds={value.seconds}")
        if value.microseconds:
            parts.append(f"microseconds={value.microseconds}")
        return f"timedelta({', '.join(parts)})"
    if isinstance(value, tzinfo):
        return tz_code(value)
    if isinstance(value, list):
        return "[" + ", ".join(code_repr(v) for v in value) + "]"
    if isinstance(value, tuple):
        return (
            "(" + ", ".join(code_repr(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        )
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {code_repr(v)}" for k, v in value.items()) + "}"
    return repr(value)


# ---------------------------------------------------------------------------------------
# Comparable signatures
# ---------------------------------------------------------------------------------------


def tz_sig(tz: tzinfo | None) -> Any:
    if tz is None:
        return None
    return (type(tz).__module__, type(tz).__qualname__, str(tz))


def dt_sig(value: Any) -> Any:
    """Everything observable about a fire time: wall clock + offset (str), fold,
    utcoffset, tzname and the tzinfo's type and str."""
    if value is None:
        return None
    if type(value) is not datetime:
        return ("<not a datetime>", type(value).__module__, type(value).__qualname__, repr(value))
    return (str(value), value.fold, value.utcoffset(), value.tzname(), tz_sig(value.tzinfo))


def describe(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value!s} fold={value.fold} tzinfo={tz_sig(value.tzinfo)}  ({code_repr(value)})"
    return repr(value)


def norm_state(value: Any) -> Any:
    """Normalize a ``__getstate__()`` result for comparison across implementations."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "fields" and isinstance(item, (list, tuple)):
                out[key] = [field_sig(f) for f in item]
            else:
                out[key] = norm_state(item)
        return ("dict", out)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [norm_state(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", dt_sig(value))
    if isinstance(value, date):
        return ("date", value.isoformat())
    if isinstance(value, time):
        return ("time", value.isoformat(), tz_sig(value.tzinfo))
    if isinstance(value, timedelta):
        return ("timedelta", value.days, value.seconds, value.microseconds)
    if isinstance(value, tzinfo):
        return ("tzinfo", tz_sig(value))
    if isinstance(value, str):
        return ("str", to_ref_module_path(value))
    if value is None or isinstance(value, (bool, int, float)):
        return (type(value).__name__, value)
    return ("object", type(value).__qualname__, repr(value))


def field_sig(fld: Any) -> Any:
    """A cron field compared by name, string form and default-ness (not by identity)."""
    return (
        getattr(fld, "name", "<no name>"),
        str(fld),
        getattr(fld, "is_default", "<no is_default>"),
    )


def trigger_attrs(trigger: Any) -> dict[str, Any]:
    """Public attributes worth comparing, normalized."""
    out = {}
    for name in (
        "timezone",
        "start_date",
        "end_date",
        "jitter",
        "run_date",
        "interval",
        "interval_length",
        "years",
        "months",
        "weeks",
        "days",
    ):
        try:
            value = getattr(trigger, name)
        except AttributeError:
            continue
        out[name] = norm_state(value)
    if hasattr(trigger, "fields"):
        out["fields"] = [field_sig(f) for f in trigger.fields]
    return out


# ---------------------------------------------------------------------------------------
# Running calls
# ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """Result of one ``get_next_fire_time`` call (or construction)."""

    value: Any = None
    exc: BaseException | None = None
    post_random: float | None = None  # random.random() right after the call

    @property
    def exc_class(self) -> type | None:
        return type(self.exc) if self.exc is not None else None

    def show(self) -> str:
        if self.exc is not None:
            return f"raised {type(self.exc).__module__}.{type(self.exc).__qualname__}: {self.exc}"
        return describe(self.value)


@dataclass
class Step:
    prev: datetime | None
    now: datetime
    outcome: Outcome


def call_seeded(trigger: Any, prev: datetime | None, now: datetime, seed: int) -> Outcome:
    random.seed(seed)
    try:
        value = trigger.get_next_fire_time(prev, now)
    except Exception as exc:  # noqa: BLE001 - compared, not swallowed
        return Outcome(exc=exc, post_random=random.random())
    return Outcome(value=value, post_random=random.random())


def run_chain(trigger: Any, case: Case) -> list[Step]:
    """Call ``trigger`` like a scheduler: (None, now), then (prev, prev + delay) ..."""
    steps: list[Step] = []
    prev = None
    for k in range(case.chain_length):
        now = case.now_for(k, prev)
        outcome = call_seeded(trigger, prev, now, case.seed * 100 + k)
        steps.append(Step(prev, now, outcome))
        if outcome.exc is not None or outcome.value is None:
            break
        prev = outcome.value
    return steps


def same_outcome(a: Outcome, b: Outcome) -> bool:
    if a.exc is not None or b.exc is not None:
        return a.exc_class is b.exc_class
    if dt_sig(a.value) != dt_sig(b.value):
        return False
    if a.value is not None and a.value != b.value:
        return False
    return a.post_random == b.post_random


def build(spec: Spec, lib: TriggerLib) -> Outcome:
    try:
        return Outcome(value=spec.build(lib))
    except Exception as exc:  # noqa: BLE001
        return Outcome(exc=exc)


class TimeLimitExceeded(BaseException):  # not an Exception: must not be swallowed
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt pure-Python code (the reference) that runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---------------------------------------------------------------------------------------
# Comparing one case
# ---------------------------------------------------------------------------------------


def _static_view(trigger: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"class": type(trigger).__name__}
    for name, func in (
        ("str", str),
        ("repr", repr),
        ("getstate", lambda t: norm_state(t.__getstate__())),
        ("attributes", trigger_attrs),
    ):
        try:
            view[name] = func(trigger)
        except Exception as exc:  # noqa: BLE001
            view[name] = ("raised", type(exc).__name__)
    return view


def _jitter_ok(jittered: datetime, base: datetime, jitter: float) -> bool:
    slack = timedelta(microseconds=1)
    upper = timedelta(seconds=jitter) + slack
    # Cron, calendar-interval and combining triggers add the jitter to the wall clock,
    # the interval trigger to the timestamp: accept either reading.
    real = jittered.astimezone(UTC) - base.astimezone(UTC)
    ok = -slack <= real <= upper
    if not ok and jittered.tzinfo is base.tzinfo:
        wall = jittered.replace(tzinfo=None) - base.replace(tzinfo=None)
        ok = -slack <= wall <= upper
    return ok


def reference_bug(exc: BaseException | None) -> bool:
    """Documented reference bugs, where we deliberately differ: 3.11.3's
    ``astimezone()`` crashes on any non-UTC ``pytz.FixedOffset`` (it reads a
    private attribute pytz does not have); ours returns the fixed offset."""
    return isinstance(exc, AttributeError) and "_offset" in str(exc)


def compare_case(case: Case, impl: TriggerLib = IMPL, ref: TriggerLib = REF) -> list[str]:
    """Run ``case`` through both libraries; return the differences found."""
    problems: list[str] = []

    def problem(text: str) -> None:
        problems.append(f"{case.header()}\n  {text}")

    ref_built = build(case.spec, ref)
    impl_built = build(case.spec, impl)
    if reference_bug(ref_built.exc):
        return problems
    if ref_built.exc is not None or impl_built.exc is not None:
        if ref_built.exc_class is not impl_built.exc_class:
            problem(
                "construction differs:\n"
                f"    reference:      {ref_built.show()}\n"
                f"    implementation: {impl_built.show()}"
            )
        return problems

    ref_t, impl_t = ref_built.value, impl_built.value
    if not isinstance(impl_t, impl.BaseTrigger):
        problem(f"implementation trigger {impl_t!r} is not an instance of BaseTrigger")

    ref_view = _static_view(ref_t)
    impl_view = _static_view(impl_t)
    for key in ref_view:
        if ref_view[key] != impl_view.get(key):
            problem(
                f"{key} differs:\n"
                f"    reference:      {ref_view[key]!r}\n"
                f"    implementation: {impl_view.get(key)!r}"
            )

    ref_steps = run_chain(ref_t, case)
    if not replay(impl_t, ref_steps, case, problem, "implementation"):
        return problems

    # Jitter: the jittered time must lie within [t, t + jitter] of the unjittered one.
    jitter = case.spec.jitter
    if jitter and isinstance(jitter, (int, float)) and jitter > 0:
        twin = build(case.spec.without_jitter(), impl)
        if twin.exc is not None:
            problem(f"building the trigger without jitter raised {twin.show()}")
        else:
            for k, step in enumerate(ref_steps):
                if step.outcome.exc is not None or step.outcome.value is None:
                    break
                base = call_seeded(twin.value, step.prev, step.now, case.seed * 100 + k)
                got = step.outcome.value
                if base.exc is not None or base.value is None:
                    problem(f"call {k}: jittered {describe(got)} but unjittered {base.show()}")
                    break
                if not _jitter_ok(got, base.value, jitter):
                    problem(
                        f"call {k}: jittered time {describe(got)} is not within "
                        f"[{base.value}, +{jitter} s]"
                    )
                    break

    # Pickling must round-trip to a trigger with the same schedule, and the unpickled
    # trigger must look like the reference's unpickled trigger (which is not always
    # identical to the original: e.g. IntervalTrigger.interval_length int -> float).
    try:
        clone = pickle.loads(pickle.dumps(impl_t))
    except Exception as exc:  # noqa: BLE001
        problem(f"pickle round-trip raised {type(exc).__name__}: {exc}")
    else:
        ref_clone_view = _static_view(pickle.loads(pickle.dumps(ref_t)))
        clone_view = _static_view(clone)
        for key in ref_clone_view:
            if ref_clone_view[key] != clone_view.get(key):
                problem(
                    f"after a pickle round-trip, {key} differs:\n"
                    f"    reference:      {ref_clone_view[key]!r}\n"
                    f"    implementation: {clone_view.get(key)!r}"
                )
        replay(clone, ref_steps, case, problem, "unpickled implementation")
    return problems


def replay(trigger: Any, ref_steps: list[Step], case: Case, problem: Any, who: str) -> bool:
    """Feed the reference's calls to ``trigger``; report the first difference."""
    for k, step in enumerate(ref_steps):
        got = call_seeded(trigger, step.prev, step.now, case.seed * 100 + k)
        if not same_outcome(step.outcome, got):
            problem(
                f"call {k}: get_next_fire_time(\n"
                f"        previous_fire_time={code_repr(step.prev)},\n"
                f"        now={code_repr(step.now)})\n"
                f"    reference:      {step.outcome.show()}"
                f"  [random after: {step.outcome.post_random}]\n"
                f"    {who + ':':<16}{got.show()}  [random after: {got.post_random}]\n"
                f"    reference chain so far: {[str(s.outcome.value) for s in ref_steps[:k]]}"
            )
            return False
    return True


def fire_times(
    trigger: Any, now: datetime, count: int = CHAIN_LENGTH, delay: timedelta = timedelta(0)
) -> list[datetime]:
    """The first ``count`` fire times the way a scheduler asks for them (``now`` of
    each later call: the previous fire time plus ``delay``, added as an instant --
    naive ``prev + delay`` would drop ``fold`` and step back an hour in a DST fold)."""
    out: list[datetime] = []
    prev = None
    while len(out) < count:
        if prev is None:
            call_now = now
        elif not delay:
            call_now = prev
        else:
            call_now = (prev.astimezone(UTC) + delay).astimezone(prev.tzinfo)
        nxt = trigger.get_next_fire_time(prev, call_now)
        if nxt is None:
            break
        out.append(nxt)
        prev = nxt
    return out


def assert_no_problems(problems: list[str], cases: int, limit: int = 5) -> None:
    if problems:
        shown = "\n\n".join(problems[:limit])
        more = f"\n\n... and {len(problems) - limit} more" if len(problems) > limit else ""
        raise AssertionError(
            f"{len(problems)} difference(s) in {cases} cases "
            f"(implementation {IMPL.name} vs reference {REF.name}):\n\n{shown}{more}"
        )


# ---------------------------------------------------------------------------------------
# Time zones and DST transitions
# ---------------------------------------------------------------------------------------

DST_KEYS = ("Europe/Helsinki", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")


@dataclass(frozen=True)
class Transition:
    key: str
    instant: datetime  # aware, UTC
    before: timedelta  # utcoffset just before
    after: timedelta  # utcoffset from the instant on

    @property
    def spring_forward(self) -> bool:
        return self.after > self.before

    @property
    def wall_before(self) -> datetime:
        """Naive wall clock time at the instant, on the old offset."""
        return (self.instant + self.before).replace(tzinfo=None)


@cache
def transitions(key: str, first_year: int = 2020, last_year: int = 2030) -> tuple[Transition, ...]:
    """UTC-offset changes of zone ``key`` in [first_year, last_year], to the second."""
    tz = ZoneInfo(key)
    found: list[Transition] = []
    step = timedelta(hours=6)
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)

    def offset(instant: datetime) -> timedelta:
        return instant.astimezone(tz).utcoffset()  # type: ignore[return-value]

    prev_off = offset(t)
    while t < end:
        nxt = t + step
        off = offset(nxt)
        if off != prev_off:
            lo, hi = t, nxt  # offset(lo) == prev_off, offset(hi) == off
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if offset(mid) == prev_off:
                    lo = mid
                else:
                    hi = mid
            found.append(Transition(key, hi, prev_off, off))
            prev_off = off
        t = nxt
    return tuple(found)


def all_transitions() -> list[Transition]:
    return [tr for key in DST_KEYS for tr in transitions(key)]
