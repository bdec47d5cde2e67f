"""Differential tests of the scheduler core: the same script run on APScheduler 3.11.3
(the reference) and on apscheduler_rs, compared step by step.

Both libraries are driven through a tiny subclass of their ``BaseScheduler`` (``wakeup``
counts, ``shutdown`` calls super) whose ``_process_jobs`` the test calls explicitly, with
``DebugExecutor`` as the ``default`` executor so that jobs run synchronously. Time is a
fake clock: both libraries read it through ``datetime.now`` of the module-level name
``datetime`` in ``<lib>.schedulers.base`` and ``<lib>.executors.base``, which the tests
replace with a ``datetime`` subclass. Trigger defaults that read the clock (a date trigger
without ``run_date``, an interval trigger without ``start_date``) are avoided: our triggers
read the real clock from Rust.

After each step the following are compared: the step's result (or exception class and
message), the events a listener received, the log records under ``apscheduler.*``, the
calls the job functions received, and the scheduler's state (state, wakeup count, time
zone, executors, job stores, every job's attributes, ``print_jobs`` output).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import pickle
import pprint
import random
import re
import sys
import time
import warnings
from base64 import b64decode
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

UTC = timezone.utc
HELSINKI = ZoneInfo("Europe/Helsinki")
#: Start of the fake clock (a Monday).
T0 = datetime(2026, 5, 4, 9, 0, 0, tzinfo=HELSINKI)
UNSET = "<unset>"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fmt(moment: datetime) -> str:
    """A date string as users write them (naive: in the scheduler's time zone)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------------------------------
# The two libraries
# ---------------------------------------------------------------------------------------


class Lib:
    """One implementation's modules, plus the test doubles built on its base classes."""

    def __init__(self, pkg: str) -> None:
        def mod(name: str) -> Any:
            return importlib.import_module(f"{pkg}.{name}")

        self.pkg = pkg
        self.base = mod("schedulers.base")
        self.schedulers = mod("schedulers")
        self.events = mod("events")
        self.executors_base = mod("executors.base")
        self.job_module = mod("job")
        self.DebugExecutor = mod("executors.debug").DebugExecutor
        self.MemoryJobStore = mod("jobstores.memory").MemoryJobStore
        self.jobstores_base = mod("jobstores.base")
        self.DateTrigger = mod("triggers.date").DateTrigger
        self.IntervalTrigger = mod("triggers.interval").IntervalTrigger
        self.CronTrigger = mod("triggers.cron").CronTrigger

        class TestScheduler(self.base.BaseScheduler):
            wakeups = 0

            def wakeup(self) -> None:
                self.wakeups += 1

            def shutdown(self, wait: bool = True) -> None:
                super().shutdown(wait)

        class StuckExecutor(self.executors_base.BaseExecutor):
            """Accepts jobs and never finishes them (until ``finish``)."""

            def __init__(self) -> None:
                super().__init__()
                self.submitted: list[tuple[str, list[datetime]]] = []

            def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
                self.submitted.append((job.id, list(run_times)))

            def finish(self, job_id: str) -> None:
                self._run_job_success(job_id, [])

        class RefusingExecutor(self.executors_base.BaseExecutor):
            """Fails every submission with an unexpected error."""

            def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
                raise OSError("executor is broken")

        class FlakyStore(self.MemoryJobStore):
            """A memory store whose ``get_due_jobs`` fails while ``broken``."""

            broken = False

            def get_due_jobs(self, now: datetime) -> list[Any]:
                if self.broken:
                    raise ConnectionError("store is down")
                return super().get_due_jobs(now)

        self.Scheduler = TestScheduler
        self.StuckExecutor = StuckExecutor
        self.RefusingExecutor = RefusingExecutor
        self.FlakyStore = FlakyStore

    def __repr__(self) -> str:
        return f"<Lib {self.pkg}>"


REF = Lib("apscheduler")
OURS = Lib("apscheduler_rs")


# ---------------------------------------------------------------------------------------
# Job functions (module level, so that they have textual references for export)
# ---------------------------------------------------------------------------------------

#: Calls received by the job functions during the current step of the current side.
CALLS: list[tuple[str, tuple, dict]] = []
#: The side whose operation is running (jobs that act on their scheduler use it).
CONTEXT: dict[str, Any] = {}


def tick(*args: Any, **kwargs: Any) -> Any:
    CALLS.append(("tick", args, kwargs))
    return len(args) + len(kwargs)


def fail(*args: Any, **kwargs: Any) -> None:
    CALLS.append(("fail", args, kwargs))
    raise ValueError(f"job failed with {args!r}")


def needs_two(a: Any, b: Any) -> Any:
    CALLS.append(("needs_two", (a, b), {}))
    return [a, b]


def my_job() -> None:
    CALLS.append(("my_job", (), {}))


def remove_myself(job_id: str) -> None:
    CALLS.append(("remove_myself", (job_id,), {}))
    CONTEXT["side"].sched.remove_job(job_id)


def pause_myself(job_id: str) -> None:
    CALLS.append(("pause_myself", (job_id,), {}))
    CONTEXT["side"].sched.pause_job(job_id)


def add_another(job_id: str) -> None:
    CALLS.append(("add_another", (job_id,), {}))
    lib = CONTEXT["side"].lib
    CONTEXT["side"].sched.add_job(
        tick, lib.DateTrigger(run_date=T0 + timedelta(days=1), timezone=HELSINKI), id=job_id
    )


# ---------------------------------------------------------------------------------------
# Fake clock, ids, log capture
# ---------------------------------------------------------------------------------------


class Clock:
    now = T0


def _fake_now(cls: type, tz: Any = None) -> datetime:
    if tz is None:
        return Clock.now.astimezone().replace(tzinfo=None)
    return Clock.now.astimezone(tz)


#: ``datetime`` with ``now()`` reading the fake clock; still a ``datetime`` subclass.
FakeDatetime = type("FakeDatetime", (datetime,), {"now": classmethod(_fake_now)})


class FakeUUID:
    """Deterministic ``uuid4()`` for auto-generated job ids, counted per side."""

    counters: dict[str, int] = {}

    def __init__(self, value: int) -> None:
        self.hex = f"{value:032x}"


def _fake_uuid4() -> FakeUUID:
    side = CONTEXT.get("side")
    name = side.name if side else "none"
    FakeUUID.counters[name] = FakeUUID.counters.get(name, 0) + 1
    return FakeUUID(FakeUUID.counters[name])


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> type[Clock]:
    for lib in (REF, OURS):
        for module in (lib.base, lib.executors_base):
            # both libraries must read the clock through this name
            assert module.datetime is datetime, module
            monkeypatch.setattr(module, "datetime", FakeDatetime)
        assert lib.job_module.uuid4 is not None
        monkeypatch.setattr(lib.job_module, "uuid4", _fake_uuid4)
    monkeypatch.setattr(Clock, "now", T0)
    monkeypatch.setattr(FakeUUID, "counters", {})
    return Clock


@pytest.fixture
def log_handler() -> Any:
    logger = logging.getLogger("apscheduler")
    handler = ListHandler()
    old_level, old_disabled = logger.level, logger.disabled
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.disabled = False
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)
    logger.disabled = old_disabled


# ---------------------------------------------------------------------------------------
# Observations
# ---------------------------------------------------------------------------------------


def dt_repr(value: Any) -> Any:
    if not isinstance(value, datetime):
        return value
    tz = value.tzinfo
    return (value.isoformat(), type(tz).__name__ if tz else None, str(tz) if tz else None)


def normalize_text(text: str) -> str:
    return text.replace("apscheduler_rs.", "apscheduler.")


def job_snapshot(job: Any) -> dict[str, Any]:
    snap: dict[str, Any] = {
        "type": type(job).__name__,
        "repr": repr(job),
        "str": str(job),
        "pending": job.pending,
        "jobstore": job._jobstore_alias,
        "func": getattr(job.func, "__qualname__", repr(job.func)),
        "trigger": str(job.trigger),
        "trigger_repr": repr(job.trigger),
        "trigger_class": type(job.trigger).__name__,
    }
    for attr in (
        "id",
        "name",
        "func_ref",
        "args",
        "kwargs",
        "misfire_grace_time",
        "coalesce",
        "max_instances",
        "executor",
    ):
        snap[attr] = getattr(job, attr, UNSET)
    snap["next_run_time"] = dt_repr(getattr(job, "next_run_time", UNSET))
    return snap


def normalize(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return dt_repr(value)
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    if type(value).__name__ == "Job":
        return job_snapshot(value)
    return normalize_text(repr(value))


def describe_error(exc: BaseException | None) -> Any:
    if exc is None:
        return None
    builtin_bases = [cls.__name__ for cls in type(exc).__mro__ if cls.__module__ == "builtins"]
    return {
        "class": type(exc).__name__,
        "message": normalize_text(str(exc)),
        "bases": builtin_bases,
    }


def user_frames(traceback: str | None) -> Any:
    """The functions of this file that a formatted traceback passes through."""
    if traceback is None:
        return None
    frames = re.findall(r'File "([^"]+)", line \d+, in (\w+)', traceback)
    return [name for path, name in frames if path == __file__]


def describe_event(event: Any) -> dict[str, Any]:
    # repr(event) is not compared: SchedulerEvent.__repr__ is a deliberate difference
    # (README, "Differences from 3.11.3").
    described: dict[str, Any] = {"class": type(event).__name__, "code": event.code}
    for attr in ("alias", "job_id", "jobstore", "scheduled_run_times", "scheduled_run_time"):
        if hasattr(event, attr):
            described[attr] = normalize(getattr(event, attr))
    if hasattr(event, "retval"):
        described["retval"] = normalize(event.retval)
        described["exception"] = describe_error(event.exception)
        described["traceback"] = user_frames(event.traceback)
    return described


def describe_record(record: logging.LogRecord) -> tuple:
    exc_class = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else None
    return (record.name, record.levelname, normalize_text(record.getMessage()), exc_class)


def snapshot(side: Side) -> Any:
    sched = side.sched
    if sched is None:
        return None
    out = io.StringIO()
    sched.print_jobs(out=out)
    return {
        "state": sched.state,
        "running": sched.running,
        "wakeups": sched.wakeups,
        "timezone": str(sched.timezone),
        "jobstore_retry_interval": sched.jobstore_retry_interval,
        "executors": [(alias, type(e).__name__) for alias, e in sched._executors.items()],
        "jobstores": [(alias, type(s).__name__) for alias, s in sched._jobstores.items()],
        "jobs": [job_snapshot(job) for job in sched.get_jobs()],
        "print_jobs": out.getvalue(),
    }


# ---------------------------------------------------------------------------------------
# The lock-step runner
# ---------------------------------------------------------------------------------------


class Side:
    def __init__(self, name: str, lib: Lib) -> None:
        self.name = name
        self.lib = lib
        self.sched: Any = None
        self.events: list[Any] = []
        self.objects: dict[str, Any] = {}


Op = Callable[[Side], Any]


class StepMismatch(AssertionError):
    pass


class Diff:
    """Runs each step on the reference, then on ours, and compares what was observed."""

    def __init__(self, handler: ListHandler) -> None:
        self.ref = Side("ref", REF)
        self.ours = Side("ours", OURS)
        self.handler = handler
        self.step = 0
        self.history: list[str] = []

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.ref, self.ours

    def observe(self, side: Side, op: Op) -> tuple[dict[str, Any], Any]:
        random.seed(self.step)
        CONTEXT["side"] = side
        self.handler.records.clear()
        CALLS.clear()
        first_event = len(side.events)
        result = error = None
        try:
            result = op(side)
        except Exception as exc:
            error = exc
        finally:
            CONTEXT.pop("side", None)
        observed = {
            "result": normalize(result),
            "error": describe_error(error),
            "events": [describe_event(event) for event in side.events[first_event:]],
            "logs": [describe_record(record) for record in self.handler.records],
            "calls": normalize(list(CALLS)),
            "state": snapshot(side),
        }
        return observed, result

    def do(
        self,
        label: str,
        op: Op,
        *,
        clearer_message: bool = False,
        ignore: tuple[str, ...] = (),
    ) -> tuple[Any, Any]:
        """Run ``op(side)`` on both sides; return both raw results.

        ``clearer_message``: the README's "clearer errors, same classes" difference is
        accepted: our message must start with the reference's.
        """
        self.step += 1
        self.history.append(label)
        ref_obs, ref_result = self.observe(self.ref, op)
        our_obs, our_result = self.observe(self.ours, op)
        if clearer_message and ref_obs["error"] and our_obs["error"]:
            # Deliberate (README, "Differences from 3.11.3"): clearer error messages.
            ref_msg, our_msg = ref_obs["error"]["message"], our_obs["error"]["message"]
            assert our_msg.startswith(ref_msg), (ref_msg, our_msg)
            our_obs["error"]["message"] = ref_msg
        for key in ignore:
            ref_obs.pop(key)
            our_obs.pop(key)
        if ref_obs != our_obs:
            lines = [f"step {self.step} ({label}) differs; steps so far: {self.history}"]
            for key in ref_obs:
                if ref_obs[key] != our_obs[key]:
                    lines.append(f"--- {key}: reference\n{pprint.pformat(ref_obs[key])}")
                    lines.append(f"--- {key}: ours\n{pprint.pformat(our_obs[key])}")
            raise StepMismatch("\n".join(lines))
        return ref_result, our_result

    def same(self, label: str, op: Op, **kwargs: Any) -> Any:
        """:meth:`do`, returning the (equal) normalized result."""
        ref_result, _ = self.do(label, op, **kwargs)
        return normalize(ref_result)

    # shortcuts

    def create(self, config: Callable[[Lib], dict[str, Any]] | None = None, **options: Any):
        def op(side: Side) -> None:
            opts = config(side.lib) if config else standard_options(side.lib)
            opts.update(options)
            side.sched = side.lib.Scheduler(**opts)
            side.sched.add_listener(side.events.append)

        self.do("create", op)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.same(
            f"{method}{args}{kwargs}", lambda side: getattr(side.sched, method)(*args, **kwargs)
        )

    def start(self, paused: bool = False) -> None:
        self.call("start", paused=paused)

    def process(self) -> Any:
        """One round of the due-job step; returns the seconds to wait (equal on both)."""
        return self.same("_process_jobs", lambda side: side.sched._process_jobs())

    def at(self, moment: datetime | float) -> None:
        Clock.now = at(moment) if not isinstance(moment, datetime) else moment
        self.history.append(f"clock={Clock.now}")

    def shutdown_all(self) -> None:
        for side in self.sides:
            if side.sched is not None and side.sched.running:
                with contextlib.suppress(Exception):
                    side.sched.shutdown(wait=False)


def standard_options(lib: Lib, **extra: Any) -> dict[str, Any]:
    return {"executors": {"default": lib.DebugExecutor()}, "timezone": HELSINKI, **extra}


@pytest.fixture
def diff(fake_clock: Any, log_handler: ListHandler) -> Any:
    runner = Diff(log_handler)
    yield runner
    runner.shutdown_all()


# ---------------------------------------------------------------------------------------
# Sanity: the harness sees what it should
# ---------------------------------------------------------------------------------------


def test_fake_clock_is_used_by_both_libraries(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=fmt(at(0)), id="t")
    diff.at(25)
    wait = diff.process()
    # coalesced into the run of 00:00:20, 5 s late (missed: the default grace time is 1 s);
    # next run at 00:00:30, 5 seconds from the fake now
    assert wait == 5.0
    assert diff.ours.sched.get_job("t").next_run_time == at(30)
    assert [e.code for e in diff.ours.events][-2:] == [
        OURS.events.EVENT_JOB_MISSED,
        OURS.events.EVENT_JOB_SUBMITTED,
    ]


def test_mismatch_is_detected(diff: Diff) -> None:
    diff.create()
    with pytest.raises(StepMismatch, match="result"):
        diff.do("differs", lambda side: side.name)


# ---------------------------------------------------------------------------------------
# Adding jobs, pending jobs, start
# ---------------------------------------------------------------------------------------


def test_pending_jobs_with_each_trigger_kind_then_start(diff: Diff) -> None:
    diff.create()
    diff.call("add_jobstore", "memory", "other")
    diff.call("print_jobs", out=io.StringIO())
    diff.call("add_job", tick, "date", run_date=fmt(at(10)), id="d1", args=[1])
    diff.call(
        "add_job",
        tick,
        "interval",
        seconds=30,
        start_date=fmt(at(-60)),
        id="i1",
        kwargs={"k": "v"},
    )
    diff.call("add_job", tick, "cron", minute="*/2", second=15, id="c1", name="cron job")
    diff.do(
        "add_job cron instance",
        lambda s: s.sched.add_job(
            tick,
            s.lib.CronTrigger(hour="9-17", minute=5, timezone="UTC"),
            id="c2",
            misfire_grace_time=None,
            coalesce=False,
            max_instances=3,
        ),
    )
    diff.do(
        "add_job interval instance, paused",
        lambda s: s.sched.add_job(
            tick,
            s.lib.IntervalTrigger(minutes=1, start_date=at(0), timezone=HELSINKI),
            id="i2",
            next_run_time=None,
        ),
    )
    diff.do(
        "add_job date instance to other store",
        lambda s: s.sched.add_job(
            needs_two,
            s.lib.DateTrigger(run_date=at(3600), timezone=UTC),
            id="d2",
            args=(1,),
            kwargs={"b": 2},
            jobstore="other",
        ),
    )
    diff.call(
        "add_job",
        f"{__name__}:tick",
        "interval",
        hours=1,
        start_date=at(5),
        id="by_ref",
        next_run_time=fmt(at(1)),
    )
    diff.call(
        "add_job",
        tick,
        "cron",
        day_of_week="mon-fri",
        hour="8, 12",
        minute="30",
        id="c3",
        timezone="America/New_York",
    )
    diff.call("get_job", "d1")
    diff.call("get_job", "missing")
    diff.call("get_jobs", jobstore="other")
    diff.call("get_jobs", jobstore="default")
    diff.call("print_jobs", jobstore="other", out=io.StringIO())
    diff.call("modify_job", "d1", name="renamed", coalesce=False)
    diff.call("modify_job", "i1", jobstore="no such store", max_instances=2)
    diff.call("remove_job", "c2")
    diff.call("remove_job", "missing")
    diff.call("remove_job", "d2", jobstore="default")
    diff.call("pause_job", "c1")
    diff.call("resume_job", "c1")
    diff.start()
    diff.call("get_jobs", jobstore="other")
    diff.call("get_job", "d2", jobstore="default")
    diff.call("get_job", "d2", jobstore="other")
    assert diff.process() == 1.0
    for moment in (1, 10, 15, 30, 60, 120, 135, 3600, 5 * 3600):
        diff.at(moment)
        diff.process()
    assert diff.ours.sched.get_job("d1") is None  # ran once and was removed


def test_get_jobs_pending_option_is_deprecated(diff: Diff) -> None:
    diff.create()
    diff.call("add_job", tick, "date", run_date=fmt(at(10)), id="d1")

    def get_jobs_with_warning(side: Side) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            jobs = side.sched.get_jobs(pending=True)
        return jobs, [(w.category.__name__, str(w.message)) for w in caught]

    diff.do("get_jobs(pending=True)", get_jobs_with_warning)
    diff.start()
    diff.do("get_jobs(pending=False) started", get_jobs_with_warning)


def test_add_job_while_running_wakes_and_runs(diff: Diff) -> None:
    diff.create()
    diff.start()
    assert diff.process() is None
    diff.call("add_job", tick, "date", run_date=at(0), id="now", args=["x"])
    diff.call("add_job", tick, "interval", seconds=7, start_date=at(0), id="every7")
    assert diff.process() == 7.0
    diff.at(7.5)
    assert diff.process() == 6.5
    diff.at(14)
    diff.process()


def test_timezones_of_scheduler_and_triggers(diff: Diff) -> None:
    diff.create(lambda lib: standard_options(lib, timezone="America/New_York"))
    diff.start()
    diff.call("add_job", tick, "cron", hour=3, minute=0, id="ny")
    diff.call("add_job", tick, "cron", hour=3, minute=0, id="utc", timezone=UTC)
    diff.call("add_job", tick, "date", run_date="2026-05-05 03:00:00", id="date_ny")
    diff.call("add_job", tick, "date", run_date=datetime(2026, 5, 5, 3), id="naive_dt")
    diff.call("add_job", tick, "interval", hours=1, start_date="2026-05-04 00:00:00", id="iv")
    diff.call("modify_job", "iv", next_run_time=datetime(2026, 5, 4, 6))
    diff.call("modify_job", "iv", next_run_time=datetime(2026, 5, 4, 6, tzinfo=UTC))
    diff.process()


# ---------------------------------------------------------------------------------------
# Conflicting ids, replace_existing, the decorator
# ---------------------------------------------------------------------------------------


def test_conflicting_pending_ids_fail_at_start(diff: Diff) -> None:
    diff.create()
    diff.call("add_job", tick, "date", run_date=fmt(at(10)), id="x")
    diff.call("add_job", tick, "date", run_date=fmt(at(20)), id="x")
    diff.call("start")  # ConflictingIdError from start; state compared
    diff.call("get_jobs")


def test_replace_existing_pending_and_running(diff: Diff) -> None:
    diff.create()
    diff.call("add_job", tick, "date", run_date=fmt(at(10)), id="x", args=[1])
    diff.call(
        "add_job", tick, "date", run_date=fmt(at(20)), id="x", args=[2], replace_existing=True
    )
    diff.start()
    diff.call("add_job", tick, "interval", seconds=5, start_date=at(0), id="x")
    diff.call(
        "add_job",
        needs_two,
        "cron",
        second="*/3",
        id="x",
        args=[1, 2],
        name="replaced",
        replace_existing=True,
        max_instances=4,
    )
    diff.call("add_job", tick, "interval", seconds=5, start_date=at(0), id="y", jobstore="default")
    diff.call(
        "add_job", tick, "interval", seconds=9, start_date=at(0), id="y", replace_existing=True
    )
    diff.process()
    diff.at(3)
    diff.process()


def test_scheduled_job_decorator(diff: Diff) -> None:
    diff.create()

    def decorate(side: Side, **kwargs: Any) -> Any:
        returned = side.sched.scheduled_job(**kwargs)(tick)
        assert returned is tick
        return None

    diff.do(
        "decorator, no id",
        lambda s: decorate(s, trigger="interval", seconds=5, start_date=at(0)),
    )
    diff.do(
        "decorator with id",
        lambda s: decorate(
            s, trigger="cron", second="*/10", id="deco", args=[1], name="decorated"
        ),
    )
    diff.do(
        "decorator, same id replaces",
        lambda s: decorate(s, trigger="date", run_date=at(30), id="deco", kwargs={"k": 1}),
    )
    diff.start()
    diff.do(
        "decorator on running scheduler replaces",
        lambda s: decorate(
            s, trigger=s.lib.IntervalTrigger(seconds=3, start_date=at(0)), id="deco"
        ),
    )
    diff.do(
        "decorator without trigger argument is a TypeError",
        lambda s: s.sched.scheduled_job(),
    )
    diff.process()
    diff.at(6)
    diff.process()


# ---------------------------------------------------------------------------------------
# modify / reschedule / pause / resume / remove
# ---------------------------------------------------------------------------------------


def test_modify_reschedule_pause_resume(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", needs_two, "interval", minutes=5, start_date=at(0), id="j", args=[1, 2])
    diff.call("add_job", tick, "date", run_date=at(60), id="once")
    diff.process()
    diff.call(
        "modify_job",
        "j",
        name="changed",
        args=[3],
        kwargs={"b": 4},
        misfire_grace_time=None,
        coalesce=False,
        max_instances=5,
        executor="default",
        next_run_time="2026-05-04 10:00:00",
    )
    diff.call("modify_job", "j", func=tick, args=(), kwargs={})
    diff.call("modify_job", "j", func=f"{__name__}:needs_two", args=[5, 6])
    for bad in (
        {"misfire_grace_time": 0},
        {"misfire_grace_time": 1.5},
        {"max_instances": 0},
        {"name": ""},
        {"id": "other"},
        {"nonsense": 1},
        {"trigger": "cron"},
        {"executor": 5},
        {"args": [1, 2, 3]},
        {"args": "ab"},
        {"kwargs": [1]},
        {"func": None},
        {"name": "ok", "max_instances": -1},
    ):
        diff.call("modify_job", "j", **bad)
    # Deliberate (README): the date string error names the argument and the value.
    diff.do(
        "modify_job next_run_time typo",
        lambda s: s.sched.modify_job("j", next_run_time="not a date"),
        clearer_message=True,
    )
    diff.call("modify_job", "missing", name="x")
    diff.call("modify_job", "j", jobstore="nope", name="x")
    diff.call("reschedule_job", "j", trigger="cron", minute=30)
    diff.call("reschedule_job", "j", trigger="interval", seconds=45, start_date=at(0))
    diff.do(
        "reschedule with instance",
        lambda s: s.sched.reschedule_job("j", trigger=s.lib.CronTrigger(second="*/20")),
    )
    diff.call("reschedule_job", "j", trigger="nonexistent")
    diff.call("reschedule_job", "missing", trigger="cron", minute=1)
    diff.call("pause_job", "j")
    diff.call("pause_job", "missing")
    diff.at(120)
    diff.process()
    diff.call("resume_job", "j")
    diff.call("resume_job", "missing")
    # a date job paused until its run date has passed: resuming removes it
    diff.call("pause_job", "once")
    diff.call("resume_job", "once")
    diff.call("get_job", "once")
    diff.process()


def test_job_object_shortcuts(diff: Diff) -> None:
    diff.create()
    diff.call("add_job", tick, "interval", seconds=30, start_date=at(0), id="j")
    diff.do("pending job.modify", lambda s: s.sched.get_job("j").modify(name="renamed"))
    diff.start()
    diff.do("job.pause", lambda s: s.sched.get_job("j").pause())
    diff.do("job.resume", lambda s: s.sched.get_job("j").resume())
    diff.do("job.reschedule", lambda s: s.sched.get_job("j").reschedule("cron", minute="*/5"))
    diff.do("job.modify", lambda s: s.sched.get_job("j").modify(args=[1], max_instances=2))
    diff.do("job.remove", lambda s: s.sched.get_job("j").remove())


def test_resume_finished_interval_job_removes_it(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call(
        "add_job",
        tick,
        "interval",
        seconds=10,
        start_date=at(0),
        end_date=at(25),
        id="short",
        misfire_grace_time=None,
    )
    diff.call("pause_job", "short")
    diff.at(40)
    assert diff.call("resume_job", "short") is None
    diff.call("get_jobs")


def test_reschedule_to_trigger_without_fire_times(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="j")
    # a trigger that is already over: the job is paused (next_run_time None), not removed
    diff.call("reschedule_job", "j", trigger="date", run_date=at(-10))
    diff.call("reschedule_job", "j", trigger="cron", year=2020)
    diff.process()


def test_remove_jobs_and_multiple_jobstores(diff: Diff) -> None:
    diff.create(
        lambda lib: standard_options(
            lib, jobstores={"default": lib.MemoryJobStore(), "b": {"type": "memory"}}
        )
    )
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="a1")
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="b1", jobstore="b")
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="b2", jobstore="b")
    diff.call("remove_all_jobs", jobstore="b")
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="b1", jobstore="b")
    diff.call("remove_all_jobs", jobstore="nope")
    diff.call("remove_all_jobs")
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="a1")
    diff.call("add_job", tick, "interval", seconds=5, start_date=at(0), id="b1", jobstore="b")
    diff.call("add_job", tick, "date", run_date=at(3), id="b2", jobstore="b")
    diff.call("add_job", tick, "date", run_date=at(3), id="x", jobstore="nope")
    diff.call("start")  # KeyError: no such job store, raised from start
    diff.call("remove_job", "x")
    diff.start()
    diff.call("add_job", tick, "date", run_date=at(3), id="y", jobstore="nope")
    diff.call("get_jobs", jobstore="b")
    diff.call("get_job", "b1")
    diff.call("get_job", "b1", jobstore="default")
    diff.call("remove_job", "b1", jobstore="default")
    diff.process()
    diff.at(3)
    diff.process()
    diff.call("remove_job", "b1", jobstore="b")
    diff.call("remove_job", "b1")
    diff.call("remove_all_jobs", jobstore="b")
    diff.call("add_jobstore", "memory", "c")
    diff.call("add_jobstore", "memory", "c")
    diff.call("add_job", tick, "date", run_date=at(3), id="c1", jobstore="c")
    diff.call("get_jobs")
    diff.call("remove_jobstore", "c")
    diff.call("remove_jobstore", "c")
    diff.call("get_jobs")
    diff.call("remove_all_jobs")
    diff.process()


def test_same_run_time_in_several_stores_and_ordering(diff: Diff) -> None:
    diff.create(
        lambda lib: standard_options(
            lib, jobstores={"z": lib.MemoryJobStore(), "a": lib.MemoryJobStore()}
        )
    )
    diff.start()
    for job_id, store in (("m", "z"), ("b", "a"), ("k", "default"), ("a", "z"), ("c", "a")):
        diff.call(
            "add_job",
            tick,
            "interval",
            seconds=10,
            start_date=at(0),
            id=job_id,
            jobstore=store,
            args=[job_id],
        )
    diff.call(
        "add_job", tick, "interval", seconds=10, start_date=at(0), id="p", next_run_time=None
    )
    diff.process()
    diff.at(10)
    diff.process()


# ---------------------------------------------------------------------------------------
# Misfires, coalescing, max_instances, failures
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("coalesce", [True, False])
@pytest.mark.parametrize("grace", [None, 1, 30])
def test_misfire_grace_time_and_coalesce(diff: Diff, grace: int | None, coalesce: bool) -> None:
    diff.create()
    diff.start()
    diff.call(
        "add_job",
        tick,
        "interval",
        seconds=10,
        start_date=at(0),
        id="iv",
        misfire_grace_time=grace,
        coalesce=coalesce,
    )
    diff.call(
        "add_job",
        tick,
        "cron",
        second="*/15",
        id="cron",
        misfire_grace_time=grace,
        coalesce=coalesce,
    )
    diff.call("add_job", tick, "date", run_date=at(2), id="date", misfire_grace_time=grace)
    diff.process()
    diff.at(0.5)
    diff.process()
    diff.at(45)  # several run times behind, the oldest 35 s late
    diff.process()
    diff.at(46.5)
    diff.process()
    diff.at(3600 + 0.25)
    diff.process()


def test_misfire_defaults_from_job_defaults(diff: Diff) -> None:
    diff.create(
        lambda lib: standard_options(
            lib, job_defaults={"misfire_grace_time": 20, "coalesce": False, "max_instances": 2}
        )
    )
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="iv")
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="own", coalesce=True)
    diff.at(35)
    diff.process()


@pytest.mark.parametrize(
    "job_defaults",
    [
        {"max_instances": 0},
        {"misfire_grace_time": -1},
        {"coalesce": 0, "max_instances": 3, "misfire_grace_time": None},
    ],
    ids=repr,
)
def test_job_defaults_are_checked_when_a_job_takes_them(
    diff: Diff, job_defaults: dict[str, Any]
) -> None:
    diff.create(lambda lib: standard_options(lib, job_defaults=job_defaults))
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="a")
    # options the job names itself are not taken from the defaults
    diff.call(
        "add_job",
        tick,
        "interval",
        seconds=10,
        start_date=at(0),
        id="b",
        max_instances=1,
        misfire_grace_time=5,
    )
    # a default changed behind configure()'s back still counts
    diff.do("fix the defaults", lambda s: s.sched._job_defaults.update(max_instances=2))
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="c")
    diff.do("break a default", lambda s: s.sched._job_defaults.update(max_instances=-5))
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="d")
    diff.at(11)
    diff.process()


def test_max_instances_with_executor_that_never_finishes(diff: Diff) -> None:
    def config(lib: Lib) -> dict[str, Any]:
        return standard_options(
            lib, executors={"default": lib.DebugExecutor(), "stuck": lib.StuckExecutor()}
        )

    diff.create(config)
    diff.start()
    diff.call(
        "add_job",
        tick,
        "interval",
        seconds=10,
        start_date=at(0),
        id="j",
        executor="stuck",
        max_instances=2,
    )
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="k", executor="stuck")

    def stuck_state(side: Side) -> Any:
        executor = side.sched._executors["stuck"]
        return executor.submitted, dict(executor._instances)

    for moment in (0, 10, 20, 30):
        diff.at(moment)
        diff.process()
        diff.do("stuck executor state", stuck_state)
    diff.do("finish one of j", lambda s: s.sched._executors["stuck"].finish("j"))
    diff.do("finish k", lambda s: s.sched._executors["stuck"].finish("k"))
    diff.do("stuck executor state", stuck_state)
    diff.at(40)
    diff.process()
    diff.do("stuck executor state", stuck_state)
    diff.call("modify_job", "j", max_instances=3)
    diff.at(50)
    diff.process()
    diff.do("stuck executor state", stuck_state)


def test_executor_submission_error_is_logged(diff: Diff) -> None:
    diff.create(
        lambda lib: standard_options(
            lib, executors={"default": lib.DebugExecutor(), "bad": lib.RefusingExecutor()}
        )
    )
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="j", executor="bad")
    diff.call("add_job", tick, "date", run_date=at(0), id="d", executor="bad")
    diff.process()
    diff.at(10)
    diff.process()


def test_failing_job_reports_error_and_stays_scheduled(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", fail, "interval", seconds=10, start_date=at(0), id="boom", args=[1])
    diff.call("add_job", fail, "date", run_date=at(0), id="once")
    diff.call(
        "add_job", tick, "interval", seconds=10, start_date=at(0), id="fine", kwargs={"x": 1}
    )
    diff.process()
    diff.at(10)
    diff.process()
    diff.call("get_job", "boom")


def test_unknown_executor_alias_removes_the_job(diff: Diff) -> None:
    diff.create()
    diff.call(
        "add_job", tick, "interval", seconds=10, start_date=at(0), id="lost", executor="nope"
    )
    diff.start()
    diff.call("add_job", tick, "date", run_date=at(5), id="lost2", executor="nope")
    diff.call("add_job", tick, "date", run_date=at(5), id="fine")
    diff.process()
    diff.at(5)
    diff.process()
    diff.call("get_jobs")


def test_jobstore_whose_get_due_jobs_fails(diff: Diff) -> None:
    diff.create(
        lambda lib: standard_options(
            lib, jobstores={"flaky": lib.FlakyStore()}, jobstore_retry_interval=7
        )
    )
    diff.start()
    diff.call("add_job", tick, "interval", seconds=30, start_date=at(0), id="f", jobstore="flaky")
    diff.call("add_job", tick, "interval", seconds=5, start_date=at(0), id="d")
    diff.process()
    diff.do("break store", lambda s: setattr(s.sched._jobstores["flaky"], "broken", True))
    diff.at(1)
    assert diff.process() == 4.0  # the default store's job is due sooner than the retry
    diff.call("remove_job", "d")
    diff.at(2)
    assert diff.process() == 7.0
    diff.at(30)
    diff.process()
    diff.do("repair store", lambda s: setattr(s.sched._jobstores["flaky"], "broken", False))
    diff.at(31)
    diff.process()


def test_jitter_with_identical_random_state(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", tick, "interval", seconds=60, start_date=at(0), id="iv", jitter=5)
    diff.call("add_job", tick, "cron", minute="*", id="cron", jitter=30, misfire_grace_time=None)
    diff.do(
        "interval instance with jitter",
        lambda s: s.sched.add_job(
            tick, s.lib.IntervalTrigger(seconds=45, start_date=at(0), jitter=2.5), id="iv2"
        ),
    )
    for moment in (0, 30, 61, 90, 125, 185, 240, 600):
        diff.at(moment)
        diff.process()


def test_jobs_acting_on_their_scheduler(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", add_another, "date", run_date=at(0), id="adder", args=["added"])
    diff.call(
        "add_job",
        pause_myself,
        "interval",
        seconds=10,
        start_date=at(0),
        id="pauser",
        args=["pauser"],
    )
    diff.process()
    diff.call(
        "add_job",
        remove_myself,
        "interval",
        seconds=10,
        start_date=at(10),
        id="remover",
        args=["remover"],
    )
    diff.at(10)
    diff.process()  # the reference fails updating the removed job; compared


# ---------------------------------------------------------------------------------------
# Scheduler state: paused start, pause/resume, running errors, shutdown
# ---------------------------------------------------------------------------------------


def test_start_paused_pause_resume(diff: Diff) -> None:
    diff.create()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="j")
    diff.call("pause")
    diff.call("resume")
    diff.start(paused=True)
    assert diff.process() is None
    diff.call("add_job", tick, "date", run_date=at(0), id="d")
    diff.call("resume")
    diff.call("resume")
    diff.process()
    diff.call("pause")
    diff.call("pause")
    diff.at(30)
    assert diff.process() is None
    diff.call("modify_job", "j", name="while paused")
    diff.call("resume")
    diff.process()


def test_running_state_errors_and_restart(diff: Diff) -> None:
    diff.create()
    diff.call("shutdown")
    diff.call("shutdown", wait=False)
    diff.call("export_jobs", io.StringIO())
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="j")
    diff.start()
    diff.call("start")
    diff.call("start", paused=True)
    diff.call("configure", timezone="UTC")
    diff.call("pause")
    diff.call("start")
    diff.call("resume")
    diff.process()
    diff.call("shutdown")
    diff.call("shutdown")
    diff.call("pause")
    diff.call("get_jobs")  # the memory store was emptied by shutdown
    diff.do(
        "configure after shutdown",
        lambda s: s.sched.configure(timezone="UTC", executors={"default": s.lib.DebugExecutor()}),
    )
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="again")
    diff.start()
    diff.at(10)
    diff.process()
    diff.call("shutdown", wait=False)


def test_executors_and_jobstores_added_while_running(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_executor", "debug", "second")
    diff.call("add_executor", "debug", "second")
    diff.do(
        "add_executor instance", lambda s: s.sched.add_executor(s.lib.DebugExecutor(), "third")
    )
    diff.call("add_job", tick, "date", run_date=at(0), id="on_second", executor="second")
    diff.process()
    diff.call("remove_executor", "second", shutdown=False)
    diff.call("remove_executor", "second")
    diff.call("add_job", tick, "date", run_date=at(1), id="orphan", executor="second")
    diff.at(1)
    diff.process()
    diff.do(
        "add_jobstore instance", lambda s: s.sched.add_jobstore(s.lib.MemoryJobStore(), "extra")
    )
    diff.call("add_job", tick, "date", run_date=at(2), id="in_extra", jobstore="extra")
    diff.at(2)
    diff.process()


SELF_REMOVALS: list[str] = []


def remove_myself_from(job_id: str, scheduler: Any) -> None:
    SELF_REMOVALS.append(job_id)
    scheduler.remove_job(job_id)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_real_background_loop_after_process_jobs_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one test with real threads: both libraries' BackgroundScheduler, a job that
    removes itself while the scheduler still holds it."""
    monkeypatch.setattr(sys.modules[__name__], "SELF_REMOVALS", [])
    alive = {}
    started: list[Any] = []
    try:
        for lib in (REF, OURS):
            background = importlib.import_module(f"{lib.pkg}.schedulers.background")
            scheduler = background.BackgroundScheduler(
                executors={"default": lib.DebugExecutor()}, timezone="UTC"
            )
            scheduler.add_job(
                remove_myself_from, "interval", seconds=0.05, args=[lib.pkg, scheduler], id=lib.pkg
            )
            scheduler.start()
            started.append(scheduler)
            deadline = time.monotonic() + 5
            while lib.pkg not in SELF_REMOVALS and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.2)
            alive[lib.pkg] = scheduler._thread.is_alive()
    finally:
        for scheduler in started:
            scheduler.shutdown(wait=False)
    assert SELF_REMOVALS == ["apscheduler", "apscheduler_rs"]
    # Deliberate (README, "Differences"): the error ends 3.11.3's scheduler thread;
    # ours logs it and keeps the loop running.
    assert alive == {"apscheduler": False, "apscheduler_rs": True}


# ---------------------------------------------------------------------------------------
# Listeners
# ---------------------------------------------------------------------------------------


def test_listener_masks_and_failing_listener(diff: Diff) -> None:
    diff.create()

    def add_listeners(side: Side) -> None:
        ev = side.lib.events
        side.objects["masked"] = masked = []
        side.objects["masked_cb"] = masked.append
        side.sched.add_listener(masked.append, ev.EVENT_JOB_EXECUTED | ev.EVENT_JOB_ERROR)

        def broken(event: Any) -> None:
            raise RuntimeError("listener is broken")

        side.sched.add_listener(broken, ev.EVENT_JOB_SUBMITTED)

    def masked_events(side: Side) -> Any:
        return [describe_event(e) for e in side.objects["masked"]]

    diff.do("add listeners", add_listeners)
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="ok")
    diff.call("add_job", fail, "date", run_date=at(0), id="bad")
    diff.process()
    diff.do("masked events", masked_events)
    diff.do("remove masked listener", lambda s: s.sched.remove_listener(s.objects["masked_cb"]))
    diff.at(10)
    diff.process()
    diff.do("masked events after removal", masked_events)


def test_remove_listener_registered_twice(diff: Diff) -> None:
    diff.create()

    def register_twice(side: Side) -> None:
        side.objects["seen"] = seen = []
        side.objects["cb"] = seen.append
        side.sched.add_listener(seen.append)
        side.sched.add_listener(seen.append)
        side.sched.remove_listener(side.objects["cb"])

    diff.do("register twice, remove once", register_twice)
    diff.start()
    diff.do("events seen", lambda s: [describe_event(e) for e in s.objects["seen"]])


def test_dispatch_event_overridden_in_subclass(diff: Diff) -> None:
    def op(side: Side) -> None:
        class Recording(side.lib.Scheduler):
            def _dispatch_event(self, event: Any) -> None:
                side.objects.setdefault("dispatched", []).append(event)
                super()._dispatch_event(event)

        side.sched = Recording(**standard_options(side.lib))

    diff.do("create recording scheduler (no listener)", op)
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="j")
    diff.process()
    diff.call("pause_job", "j")
    diff.call("remove_job", "j")
    diff.do("dispatched", lambda s: [describe_event(e) for e in s.objects["dispatched"]])


@pytest.mark.parametrize("where", ["subclass", "instance"])
def test_remove_job_overridden_sees_finished_jobs(diff: Diff, where: str) -> None:
    """The sweep removes a finished job through remove_job(): an override (in
    a subclass or on the instance) sees each call, and may refuse it."""

    def op(side: Side) -> None:
        calls = side.objects.setdefault("remove_job calls", [])
        base = side.lib.Scheduler

        def recording_remove_job(self: Any, job_id: str, jobstore: Any = None) -> None:
            calls.append((job_id, jobstore))
            if job_id == "kept":
                return  # refused: the job stays stored
            base.remove_job(self, job_id, jobstore)

        if where == "subclass":
            recording = type("Recording", (base,), {"remove_job": recording_remove_job})
            side.sched = recording(**standard_options(side.lib))
        else:
            side.sched = base(**standard_options(side.lib))
            side.sched.remove_job = recording_remove_job.__get__(side.sched)

    diff.do(f"create scheduler with remove_job overridden ({where})", op)
    diff.start()
    diff.call("add_job", tick, "date", run_date=at(5), id="once")
    diff.call("add_job", tick, "date", run_date=at(5), id="kept")
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="every")
    diff.at(6)
    diff.process()
    diff.do("remove_job calls", lambda s: list(s.objects["remove_job calls"]))


def test_dispatch_event_replaced_on_instance(diff: Diff) -> None:
    def op(side: Side) -> None:
        side.sched = side.lib.Scheduler(**standard_options(side.lib))
        side.objects["dispatched"] = dispatched = []
        side.sched._dispatch_event = dispatched.append

    diff.do("create scheduler with instance-level _dispatch_event", op)
    diff.start()
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="j")
    diff.process()
    diff.do("dispatched", lambda s: [describe_event(e) for e in s.objects["dispatched"]])


# ---------------------------------------------------------------------------------------
# print_jobs, export/import
# ---------------------------------------------------------------------------------------


def test_print_jobs_to_stdout_and_stream(diff: Diff) -> None:
    diff.create(
        lambda lib: standard_options(
            lib, jobstores={"zz": lib.MemoryJobStore(), "aa": lib.MemoryJobStore()}
        )
    )

    def to_stdout(side: Side, **kwargs: Any) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            side.sched.print_jobs(**kwargs)
        return out.getvalue()

    diff.do("print_jobs, nothing pending", to_stdout)
    diff.call("add_job", tick, "cron", hour=5, id="c", jobstore="zz")
    diff.call("add_job", tick, "interval", seconds=3, start_date=at(0), id="p", next_run_time=None)
    diff.do("print_jobs pending", to_stdout)
    diff.do("print_jobs pending, other store", lambda s: to_stdout(s, jobstore="aa"))
    diff.start()
    diff.do("print_jobs started", to_stdout)
    diff.do("print_jobs started, store aa", lambda s: to_stdout(s, jobstore="aa"))
    diff.do("print_jobs started, unknown store", lambda s: to_stdout(s, jobstore="nope"))


def _export_document(text: str) -> Any:
    """An export's JSON with pickled values decoded to normalized reprs, and
    ``scheduler_version`` dropped (each library writes its own version)."""

    def hook(dct: dict[str, Any]) -> Any:
        if "__apscheduler_pickle__" in dct:
            return (
                "pickle",
                normalize_text(repr(pickle.loads(b64decode(dct["__apscheduler_pickle__"])))),
            )
        if "__apscheduler_class__" in dct:
            return (
                "class",
                normalize_text(dct["__apscheduler_class__"]),
                dct["__apscheduler_state__"],
            )
        return dct

    document = json.loads(text, object_hook=hook)
    document.pop("scheduler_version")
    return document


def _add_export_jobs(diff: Diff) -> None:
    diff.call(
        "add_job",
        tick,
        "interval",
        seconds=30,
        start_date=at(0),
        id="iv",
        args=[1, "a"],
        kwargs={"when": T0},
    )
    diff.call(
        "add_job",
        needs_two,
        "cron",
        day_of_week="mon-fri",
        hour="8, 12",
        minute="30",
        id="cron",
        args=[1, 2],
        jitter=5,
        end_date="2027-01-01",
    )
    diff.call(
        "add_job",
        tick,
        "date",
        run_date=at(600),
        id="date",
        name="named",
        misfire_grace_time=None,
        coalesce=False,
        max_instances=3,
    )
    diff.call(
        "add_job",
        f"{__name__}:tick",
        "interval",
        hours=2,
        start_date=at(0),
        id="paused",
        next_run_time=None,
    )
    diff.call("add_job", tick, "cron", second="*/5", id="utc", timezone="UTC", jobstore="other")


def _export(side: Side, **kwargs: Any) -> Any:
    out = io.StringIO()
    side.sched.export_jobs(out, **kwargs)
    side.objects["export"] = out.getvalue()
    return _export_document(out.getvalue())


def _fresh_started(side: Side) -> None:
    if side.sched.running:
        side.sched.shutdown()
    side.sched = side.lib.Scheduler(**standard_options(side.lib))
    side.sched.add_listener(side.events.append)
    side.sched.start()


def test_export_jobs(diff: Diff, tmp_path: Any) -> None:
    diff.create(lambda lib: standard_options(lib, jobstores={"other": lib.MemoryJobStore()}))
    diff.call("export_jobs", io.StringIO())  # not started: RuntimeError
    diff.start()
    diff.do("export nothing", _export)
    _add_export_jobs(diff)
    diff.process()
    diff.do("export all", _export)
    diff.do("export one store", lambda s: _export(s, jobstore="other"))
    diff.do("export unknown store", lambda s: _export(s, jobstore="nope"))

    def to_path(side: Side) -> Any:
        path = tmp_path / f"{side.name}.json"
        side.sched.export_jobs(str(path))
        return _export_document(path.read_text())

    diff.do("export to a path", to_path)


def test_import_jobs_errors(diff: Diff, tmp_path: Any) -> None:
    diff.create()
    diff.start()
    empty = '{"version": 1, "scheduler_version": "3.11.3", "jobs": []}'
    diff.do("import no jobs", lambda s: s.sched.import_jobs(io.StringIO(empty)))
    diff.do(
        "import into unknown store",
        lambda s: s.sched.import_jobs(io.StringIO(empty), jobstore="nope"),
    )
    path = tmp_path / "empty.json"
    path.write_text(empty)
    diff.do("import from a path", lambda s: s.sched.import_jobs(str(path)))
    diff.do(
        "import wrong version",
        lambda s: s.sched.import_jobs(io.StringIO('{"version": 2, "jobs": []}')),
    )
    diff.do("import no version", lambda s: s.sched.import_jobs(io.StringIO('{"jobs": []}')))
    # json's own error: same class, message compared too
    diff.do("import not json", lambda s: s.sched.import_jobs(io.StringIO("nope")))


def test_import_own_export_round_trip(diff: Diff, tmp_path: Any) -> None:
    diff.create(lambda lib: standard_options(lib, jobstores={"other": lib.MemoryJobStore()}))
    diff.start()
    _add_export_jobs(diff)
    diff.process()
    diff.do("export all", _export)
    diff.do(
        "import own export",
        lambda s: (_fresh_started(s), s.sched.import_jobs(io.StringIO(s.objects["export"])))[1],
    )
    diff.process()
    diff.at(30)
    diff.process()
    diff.do(
        "import again: conflicting ids",
        lambda s: s.sched.import_jobs(io.StringIO(s.objects["export"])),
    )


@pytest.mark.parametrize("kind", ["date", "interval", "cron"])
def test_import_reference_export_into_ours(diff: Diff, kind: str) -> None:
    diff.create(lambda lib: standard_options(lib, jobstores={"other": lib.MemoryJobStore()}))
    diff.start()
    trigger_args = {
        "date": {"run_date": at(600)},
        "interval": {"seconds": 30, "start_date": at(0)},
        "cron": {"second": "*/5", "minute": "*/2"},
    }[kind]
    diff.call("add_job", tick, kind, id=kind, args=[1], **trigger_args)
    out = io.StringIO()
    diff.ref.sched.export_jobs(out)
    reference_export = out.getvalue()

    def import_reference(side: Side) -> Any:
        _fresh_started(side)
        side.sched.import_jobs(io.StringIO(reference_export))
        return [normalize_text(type(job.trigger).__module__) for job in side.sched.get_jobs()]

    diff.do("both import the reference's export", import_reference)
    for job in diff.ours.sched.get_jobs():
        assert type(job.trigger).__module__.startswith("apscheduler_rs."), job.trigger
    diff.process()
    for moment in (30, 60, 600, 3600):
        diff.at(moment)
        diff.process()


def test_export_of_job_without_reference_fails(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", lambda: None, "date", run_date=at(10), id="lambda", name="anonymous")
    diff.call("export_jobs", io.StringIO())


def test_stored_job_mutated_without_update(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", tick, "date", run_date=at(60), id="x", next_run_time=None)

    def mutate(side: Side) -> None:
        side.sched.get_job("x").next_run_time = at(60)

    diff.do("set next_run_time on the stored job object", mutate)
    diff.process()


def test_import_non_object_document() -> None:
    # Same class as 3.11.3 (a bare ValueError()); ours also says what is wrong.
    for lib in (REF, OURS):
        background = importlib.import_module(f"{lib.pkg}.schedulers.background")
        scheduler = background.BackgroundScheduler(timezone="UTC")
        scheduler.start(paused=True)
        try:
            with pytest.raises(ValueError) as caught:
                scheduler.import_jobs(io.StringIO("[]"))
        finally:
            scheduler.shutdown()
        expected = "" if lib is REF else "the file does not hold exported jobs"
        assert str(caught.value) == expected


# ---------------------------------------------------------------------------------------
# configure(), plugins and their errors
# ---------------------------------------------------------------------------------------


def test_configure_with_gconfig_dotted_keys(diff: Diff) -> None:
    def gconfig(lib: Lib) -> dict[str, Any]:
        return {
            "apscheduler.timezone": "Europe/Helsinki",
            "apscheduler.jobstore_retry_interval": "3",
            "apscheduler.jobstores.default.type": "memory",
            "apscheduler.jobstores.other.class": f"{lib.pkg}.jobstores.memory:MemoryJobStore",
            "apscheduler.executors.default.class": f"{lib.pkg}.executors.debug:DebugExecutor",
            "apscheduler.executors.dbg.type": "debug",
            "apscheduler.job_defaults.coalesce": "false",
            "apscheduler.job_defaults.max_instances": "3",
            "apscheduler.job_defaults.misfire_grace_time": "30",
            "myapp.timezone": "UTC",
            "unrelated": 1,
        }

    def configure(side: Side, gconfig: dict[str, Any], **kwargs: Any) -> None:
        side.sched = side.lib.Scheduler(executors={"default": side.lib.DebugExecutor()})
        side.sched.add_listener(side.events.append)
        side.sched.configure(gconfig, **kwargs)

    diff.do("configure with gconfig", lambda s: configure(s, gconfig(s.lib)))
    diff.call("add_job", tick, "interval", seconds=10, start_date=at(0), id="j")
    diff.call(
        "add_job",
        tick,
        "interval",
        seconds=10,
        start_date=at(0),
        id="k",
        executor="dbg",
        jobstore="other",
    )
    diff.start()
    diff.at(25)
    diff.process()
    diff.call("shutdown")
    # keyword options override gconfig; another prefix; no prefix at all
    diff.do(
        "options override gconfig",
        lambda s: configure(s, gconfig(s.lib), timezone="UTC", job_defaults={"coalesce": True}),
    )
    diff.do(
        "custom prefix",
        lambda s: configure(
            s,
            {"myapp.timezone": "Asia/Tokyo", "myapp.executors.default.type": "debug"},
            prefix="myapp.",
        ),
    )
    diff.do(
        "empty prefix",
        lambda s: configure(s, {"timezone": "UTC", "executors.default.type": "debug"}, prefix=""),
    )
    diff.do(
        "None prefix",
        lambda s: configure(
            s, {"timezone": "Asia/Tokyo", "executors.default.type": "debug"}, prefix=None
        ),
    )
    diff.do(
        "constructor gconfig",
        lambda s: setattr(s, "sched", s.lib.Scheduler(gconfig(s.lib), daemon=False)),
    )
    diff.do("timezone", lambda s: str(s.sched.timezone))
    diff.do(
        "executors", lambda s: sorted((a, type(e).__name__) for a, e in s.sched._executors.items())
    )
    diff.do("job defaults", lambda s: s.sched._job_defaults)
    diff.do("retry", lambda s: s.sched.jobstore_retry_interval)


def test_configure_logger_option(diff: Diff, log_handler: ListHandler) -> None:
    diff.create(lambda lib: standard_options(lib, logger="logging:root"))
    diff.do("logger", lambda s: s.sched._logger.name)
    diff.create(lambda lib: standard_options(lib, logger=logging.getLogger("apscheduler.custom")))
    diff.start()
    diff.call("add_job", tick, "date", run_date=at(0), id="d")
    diff.process()


CONFIG_ERRORS: list[tuple[str, Callable[[Lib], dict[str, Any]]]] = [
    ("executor not a dict", lambda lib: {"executors": {"x": 42}}),
    ("executor without type or class", lambda lib: {"executors": {"x": {"max_workers": 2}}}),
    ("executor unknown type", lambda lib: {"executors": {"x": {"type": "nope"}}}),
    (
        "executor unknown class",
        lambda lib: {"executors": {"x": {"class": "no.such.module:Executor"}}},
    ),
    (
        "executor class attribute missing",
        lambda lib: {"executors": {"x": {"class": f"{lib.pkg}.executors.debug:Nope"}}},
    ),
    ("executor bad kwargs", lambda lib: {"executors": {"x": {"type": "debug", "bogus": 1}}}),
    ("jobstore not a dict", lambda lib: {"jobstores": {"x": "memory"}}),
    ("jobstore without type or class", lambda lib: {"jobstores": {"x": {}}}),
    ("jobstore unknown type", lambda lib: {"jobstores": {"x": {"type": "nope"}}}),
    ("jobstore trigger type", lambda lib: {"jobstores": {"x": {"type": "cron"}}}),
    ("bad timezone", lambda lib: {"timezone": "Not/AZone"}),
    ("bad timezone type", lambda lib: {"timezone": 5}),
    ("bad job default", lambda lib: {"job_defaults": {"max_instances": "many"}}),
    ("bad coalesce", lambda lib: {"job_defaults": {"coalesce": "maybe"}}),
    ("bad retry interval", lambda lib: {"jobstore_retry_interval": "soon"}),
    ("bad logger ref", lambda lib: {"logger": "no.such:logger"}),
]


@pytest.mark.parametrize(("label", "config"), CONFIG_ERRORS, ids=[c[0] for c in CONFIG_ERRORS])
def test_configuration_errors(
    diff: Diff, label: str, config: Callable[[Lib], dict[str, Any]]
) -> None:
    def op(side: Side) -> None:
        side.sched = side.lib.Scheduler(executors={"default": side.lib.DebugExecutor()})
        side.sched.configure(**config(side.lib))

    diff.do(label, op)


def test_plugin_lookup_and_type_errors(diff: Diff) -> None:
    diff.create()
    diff.call("add_job", tick, "nonexistent")
    diff.call("add_job", tick, 42)
    diff.call("add_job", tick, trigger=None, run_date=at(5), id="default_trigger_is_date")
    diff.call("add_executor", "nonexistent", "x")
    diff.call("add_executor", 42, "x")
    diff.call("add_executor", "debug", "default")
    diff.call("add_executor", "debug", "x", bogus=1)
    diff.call("add_jobstore", "nonexistent", "x")
    diff.call("add_jobstore", 42, "x")
    diff.call("add_jobstore", "memory", "default_again")
    diff.call("add_jobstore", "memory", "default_again")
    diff.call("remove_executor", "nope")
    diff.call("remove_jobstore", "nope")
    diff.call("remove_jobstore", "default_again")
    diff.start()
    diff.call("add_job", tick, "nonexistent")
    diff.call("reschedule_job", "default_trigger_is_date", trigger=42)


# ---------------------------------------------------------------------------------------
# Input errors refused by add_job, nothing stored
# ---------------------------------------------------------------------------------------

INPUT_ERRORS: list[tuple[str, dict[str, Any], bool]] = [
    # (label, add_job kwargs, clearer message accepted per README)
    (
        "my_job() instead of my_job",
        {
            "func": "CALL_MY_JOB",
            "trigger": "cron",
            "day_of_week": "mon-fri",
            "hour": 5,
            "minute": 30,
            "end_date": "2014-05-30",
        },
        False,
    ),
    ("None as func", {"func": None, "trigger": "interval", "seconds": 5}, False),
    (
        "args do not match",
        {"func": needs_two, "trigger": "interval", "seconds": 5, "args": [1]},
        False,
    ),
    (
        "too many args",
        {"func": needs_two, "trigger": "interval", "seconds": 5, "args": [1, 2, 3]},
        False,
    ),
    (
        "unknown kwarg",
        {
            "func": needs_two,
            "trigger": "interval",
            "seconds": 5,
            "args": [1, 2],
            "kwargs": {"c": 3},
        },
        False,
    ),
    (
        "kwargs not a mapping",
        {"func": tick, "trigger": "interval", "seconds": 5, "kwargs": [1]},
        False,
    ),
    (
        "bad textual reference",
        {"func": "no.such.module:func", "trigger": "interval", "seconds": 5},
        False,
    ),
    ("reference without colon", {"func": "tick", "trigger": "interval", "seconds": 5}, False),
    ("second='07x'", {"func": tick, "trigger": "cron", "second": "07x"}, True),
    ("minute out of range", {"func": tick, "trigger": "cron", "minute": 70}, True),
    ("bad weekday", {"func": tick, "trigger": "cron", "day": "3rd fryday"}, True),
    (
        "date string typo",
        {"func": tick, "trigger": "date", "run_date": "2019-01-01 00:00:0x"},
        True,
    ),
    (
        "start_date typo",
        {"func": tick, "trigger": "interval", "seconds": 5, "start_date": "2019-13-01"},
        True,
    ),
    ("interval seconds as string", {"func": tick, "trigger": "interval", "seconds": "5"}, False),
    ("non-string id", {"func": tick, "trigger": "interval", "seconds": 5, "id": 123}, False),
    ("empty name", {"func": tick, "trigger": "interval", "seconds": 5, "name": ""}, False),
    ("name not a string", {"func": tick, "trigger": "interval", "seconds": 5, "name": 5}, False),
    (
        "misfire_grace_time 0",
        {"func": tick, "trigger": "interval", "seconds": 5, "misfire_grace_time": 0},
        False,
    ),
    (
        "misfire_grace_time float",
        {"func": tick, "trigger": "interval", "seconds": 5, "misfire_grace_time": 2.5},
        False,
    ),
    (
        "max_instances 0",
        {"func": tick, "trigger": "interval", "seconds": 5, "max_instances": 0},
        False,
    ),
    (
        "executor not a string",
        {"func": tick, "trigger": "interval", "seconds": 5, "executor": 1},
        False,
    ),
    (
        "next_run_time typo",
        {"func": tick, "trigger": "interval", "seconds": 5, "next_run_time": "tomorrow"},
        True,
    ),
    (
        "unknown timezone",
        {"func": tick, "trigger": "cron", "hour": 1, "timezone": "Mars/Olympus"},
        False,
    ),
]


@pytest.mark.parametrize(
    ("label", "kwargs", "clearer"), INPUT_ERRORS, ids=[case[0] for case in INPUT_ERRORS]
)
@pytest.mark.parametrize("started", [False, True], ids=["pending", "started"])
def test_add_job_refuses_bad_input(
    diff: Diff, label: str, kwargs: dict[str, Any], clearer: bool, started: bool
) -> None:
    diff.create()
    if started:
        diff.start()

    def op(side: Side) -> Any:
        args = dict(kwargs)
        if args["trigger"] == "interval":
            args.setdefault("start_date", T0)  # our triggers read the real clock otherwise
        if args["func"] == "CALL_MY_JOB":
            args["func"] = my_job()  # the mistake in the user's notes
        return side.sched.add_job(**args)

    diff.do(label, op, clearer_message=clearer)
    assert diff.ours.sched.get_jobs() == []
    if not started:
        diff.start()  # nothing was left behind to be stored at start
    assert diff.ours.sched.get_jobs() == []


def test_add_job_accepts_odd_but_valid_input(diff: Diff) -> None:
    diff.create()
    diff.start()
    diff.call("add_job", tick, "interval", seconds=5, start_date=T0, id="s", args="ab")
    diff.do(
        "args from a generator",
        lambda s: s.sched.add_job(
            tick, "interval", seconds=5, start_date=T0, id="g", args=(x for x in [1, 2])
        ),
    )
    diff.call(
        "add_job", tick, "cron", hour=1, start_date="2026-06-01", end_date="2026-05-01", id="e"
    )
    diff.call(
        "add_job", tick, "interval", seconds=5, start_date=T0, id="n", next_run_time=fmt(at(3))
    )
    diff.call("add_job", tick, "interval", seconds=5, start_date=T0, id="c", coalesce="yes")
    diff.process()
    diff.at(5)
    diff.process()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trigger": "cron", "seconds": 5},
        {"trigger": "interval", "second": 5, "start_date": T0},
        {"trigger": "date", "run_date": T0, "bogus": 1},
    ],
    ids=["cron seconds", "interval second", "date bogus"],
)
def test_add_job_misspelt_trigger_argument(diff: Diff, kwargs: dict[str, Any]) -> None:
    diff.create()
    diff.start()
    diff.do("misspelt trigger argument", lambda s: s.sched.add_job(tick, **kwargs))


# ---------------------------------------------------------------------------------------
# Seeded random operation sequences
# ---------------------------------------------------------------------------------------

JOB_IDS = ["a", "b", "c", "d", "e", "f"]
STORES = ["default", "default", "other"]


def _random_trigger(rng: random.Random) -> tuple[str, Callable[[Lib], Any], dict[str, Any]]:
    """(label, trigger factory for a lib or None, trigger kwargs for the alias form)."""
    kind = rng.choice(["date", "interval", "cron"])
    as_instance = rng.random() < 0.3
    kwargs: dict[str, Any]
    if kind == "date":
        moment = at(rng.randint(-120, 2400))
        kwargs = {"run_date": fmt(moment) if rng.random() < 0.5 else moment}
    elif kind == "interval":
        kwargs = {
            rng.choice(["seconds", "minutes"]): rng.choice([1, 5, 17, 60]),
            "start_date": at(rng.randint(-600, 600)),
        }
        if rng.random() < 0.3:
            kwargs["end_date"] = fmt(at(rng.randint(0, 7200)))
        if rng.random() < 0.2:
            kwargs["jitter"] = rng.choice([1, 4.5, 30])
    else:
        kwargs = {"second": rng.choice(["*/10", "0", "5,35", "*/7", "59"])}
        if rng.random() < 0.5:
            kwargs["minute"] = rng.choice(["*/2", "0-30", "*", "15,45"])
        if rng.random() < 0.2:
            kwargs["end_date"] = fmt(at(rng.randint(0, 7200)))
        if rng.random() < 0.2:
            kwargs["jitter"] = rng.choice([2, 20])
        if rng.random() < 0.2:
            kwargs["timezone"] = rng.choice(["UTC", "America/New_York"])
    if as_instance:
        cls_name = {"date": "DateTrigger", "interval": "IntervalTrigger", "cron": "CronTrigger"}[
            kind
        ]
        kwargs.setdefault("timezone", HELSINKI)

        def factory(lib: Lib, cls_name: str = cls_name, kwargs: dict = kwargs) -> Any:
            return getattr(lib, cls_name)(**kwargs)

        return f"{kind} instance {kwargs}", factory, {}
    return f"{kind} {kwargs}", None, {"trigger": kind, **kwargs}


def _random_options(rng: random.Random) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if rng.random() < 0.5:
        options["misfire_grace_time"] = rng.choice([None, None, 1, 30, 300])
    if rng.random() < 0.5:
        options["coalesce"] = rng.choice([True, False])
    if rng.random() < 0.2:
        options["max_instances"] = rng.choice([1, 2])
    if rng.random() < 0.3:
        options["jobstore"] = rng.choice(STORES)
    if rng.random() < 0.15:
        options["next_run_time"] = rng.choice([None, at(rng.randint(-60, 600))])
    if rng.random() < 0.1:
        options["executor"] = "missing"
    if rng.random() < 0.3:
        options["replace_existing"] = True
    return options


def _random_step(rng: random.Random, started: bool, existing: list[str]) -> tuple[str, Any]:
    """One operation: (label, op) where op is a callable(side) or ('advance', seconds).
    Operations on a job mostly pick one of the ``existing`` ids."""
    roll = rng.random()
    job_id = rng.choice(existing) if existing and rng.random() < 0.8 else rng.choice(JOB_IDS)
    if roll < 0.25:
        job_id = rng.choice(JOB_IDS)
        label, factory, trigger_kwargs = _random_trigger(rng)
        options = _random_options(rng)
        if not started and job_id in existing:
            # two pending jobs with one id make start() fail half-way (compared in
            # test_conflicting_pending_ids_fail_at_start); keep the sequence going instead
            options["replace_existing"] = True
        func = rng.choice([tick, tick, fail, f"{__name__}:tick"])
        args = rng.choice([(), (1,), ("x", 2)])

        def add(side: Side) -> Any:
            kwargs = dict(trigger_kwargs)
            if factory is not None:
                kwargs["trigger"] = factory(side.lib)
            return side.sched.add_job(func, args=args, id=job_id, **kwargs, **options)

        return f"add_job {job_id} {label} {options}", add
    if roll < 0.35:
        change = rng.choice(
            [
                {"name": f"name-{rng.randint(0, 9)}"},
                {"misfire_grace_time": rng.choice([None, 1, 60])},
                {"coalesce": rng.choice([True, False])},
                {"max_instances": rng.choice([1, 3])},
                {"args": [rng.randint(0, 9)], "kwargs": {"k": rng.randint(0, 9)}},
                {"next_run_time": at(rng.randint(-100, 1000))},
                {"next_run_time": fmt(at(rng.randint(-100, 1000)))},
                {"misfire_grace_time": -1},
                {"executor": rng.choice(["default", "missing"])},
            ]
        )
        store = rng.choice([None, None, "default", "other"])
        return f"modify_job {job_id} {store} {change}", lambda s: s.sched.modify_job(
            job_id, store, **change
        )
    if roll < 0.40:
        label, factory, trigger_kwargs = _random_trigger(rng)

        def reschedule(side: Side) -> Any:
            if factory is not None:
                return side.sched.reschedule_job(job_id, trigger=factory(side.lib))
            return side.sched.reschedule_job(job_id, **trigger_kwargs)

        return f"reschedule_job {job_id} {label}", reschedule
    if roll < 0.45:
        return f"pause_job {job_id}", lambda s: s.sched.pause_job(job_id)
    if roll < 0.50:
        return f"resume_job {job_id}", lambda s: s.sched.resume_job(job_id)
    if roll < 0.55:
        store = rng.choice([None, "default", "other"])
        return f"remove_job {job_id} {store}", lambda s: s.sched.remove_job(job_id, store)
    if roll < 0.57:
        store = rng.choice([None, "default", "other"])
        return f"remove_all_jobs {store}", lambda s: s.sched.remove_all_jobs(store)
    if roll < 0.60:
        return "get_job", lambda s: (s.sched.get_job(job_id), s.sched.get_jobs(jobstore="other"))
    if roll < 0.63 and started:
        method = rng.choice(["pause", "resume", "resume"])
        return method, lambda s: getattr(s.sched, method)()
    if roll < 0.80:
        return "advance", rng.choice([0, 0.5, 1, 1, 1, 2, 5, 5, 10, 30, 61, 300, 1800])
    return "_process_jobs", lambda s: s.sched._process_jobs()


@pytest.mark.parametrize("seed", [11, 22, 33, 44, 55, 66])
def test_random_operation_sequences(diff: Diff, seed: int) -> None:
    rng = random.Random(seed)
    diff.create(lambda lib: standard_options(lib, jobstores={"other": lib.MemoryJobStore()}))
    start_after = rng.randint(0, 15)
    started = False
    operations = 0
    for index in range(70):
        if index == start_after:
            diff.start(paused=rng.random() < 0.2)
            started = True
        existing = sorted(job.id for job in diff.ref.sched.get_jobs())
        label, op = _random_step(rng, started, existing)
        if label == "advance":
            diff.at(Clock.now + timedelta(seconds=op))
            if started and rng.random() < 0.85:
                diff.process()
                operations += 1
            continue
        diff.do(label, op)
        operations += 1
    diff.process()
    assert operations >= 40
