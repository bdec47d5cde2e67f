"""``add_job``/``remove_job`` done by the scheduler's Rust base (``SchedulerCore``)
against the Python implementations they stand in for (``_add_job``/``_remove_job``):
the same script run both ways must give the same jobs, events, log records and
wake-ups. Also: the direct path is really used, and is not used when something
it would do the work of is replaced, on the class or on the instance."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest

import apscheduler_rs.job as job_module
import apscheduler_rs.schedulers.base as base_module
from apscheduler_rs.events import EVENT_ALL
from apscheduler_rs.executors.debug import DebugExecutor
from apscheduler_rs.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler_rs.jobstores.memory import MemoryJobStore
from apscheduler_rs.schedulers.base import STATE_RUNNING, BaseScheduler
from apscheduler_rs.triggers.cron import CronTrigger
from apscheduler_rs.triggers.interval import IntervalTrigger

UTC = timezone.utc
T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


class FakeDatetime(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        return T0.astimezone(tz) if tz else T0.replace(tzinfo=None)


class StepScheduler(BaseScheduler):
    """Counts wake-ups instead of running a loop."""

    wakeups = 0

    def wakeup(self) -> None:
        self.wakeups += 1

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


class PythonPathScheduler(StepScheduler):
    """Replaces methods the direct paths do the work of (by delegating to
    them), so that every call takes the Python path."""

    def _real_add_job(self, *args: Any, **kwargs: Any) -> None:
        super()._real_add_job(*args, **kwargs)

    def _report_removed(self, job_id: str, alias: str) -> None:
        super()._report_removed(job_id, alias)


def work(*args: Any, **kwargs: Any) -> None:
    pass


def two_args(a: int, b: int) -> None:
    pass


class Service:
    def tick(self) -> None:
        pass


SERVICE = Service()


def _nested() -> Any:
    def local() -> None:
        pass

    return local


#: a callable with no textual reference (a local function)
LOCAL = _nested()
PARTIAL = partial(work, 1)


#: The Python implementations' calls, as counted by the ``counted`` fixture.
PYTHON_CALLS: list[str] = []


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Count calls of ``_add_job``/``_remove_job``; deterministic ids and clock."""
    for name in ("_add_job", "_remove_job"):
        original = getattr(BaseScheduler, name)

        def counting(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            PYTHON_CALLS.append(_original.__name__)
            return _original(self, *args, **kwargs)

        # the same function on BaseScheduler and (inherited) on the subclasses,
        # so the direct path still sees nothing replaced
        monkeypatch.setattr(BaseScheduler, name, counting)
    monkeypatch.setattr(base_module, "datetime", FakeDatetime)
    PYTHON_CALLS.clear()
    yield PYTHON_CALLS
    PYTHON_CALLS.clear()


def deterministic_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = iter(range(1, 1000))
    monkeypatch.setattr(
        job_module, "uuid4", lambda: type("U", (), {"hex": f"{next(counter):032x}"})
    )


def describe(job: Any) -> tuple[Any, ...]:
    return (
        type(job).__name__,
        job.id,
        job.name,
        job.func,
        job.func_ref,
        job.args,
        job.kwargs,
        job.executor,
        job.misfire_grace_time,
        job.coalesce,
        job.max_instances,
        repr(job.trigger),
        job.next_run_time,
        job._jobstore_alias,
        job.pending,
        str(job),
    )


def observe(path: str, script: Any, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    cls = StepScheduler if path == "direct" else PythonPathScheduler
    scheduler = cls(timezone=UTC, job_defaults={"misfire_grace_time": 30, "coalesce": False})
    scheduler.add_executor(DebugExecutor(), "default")
    scheduler.add_jobstore(MemoryJobStore(), "other")
    events: list[Any] = []
    scheduler.add_listener(events.append, EVENT_ALL)
    scheduler.start(paused=True)
    scheduler.state = STATE_RUNNING  # no loop: wake-ups are only counted
    caplog.clear()
    outcomes: list[Any] = []
    with caplog.at_level(logging.INFO, logger="apscheduler"):
        for step in script:
            try:
                result = step(scheduler)
            except Exception as exc:  # noqa: BLE001 - compared by class and text
                outcomes.append(("raised", type(exc).__name__, str(exc)))
            else:
                if isinstance(result, list):
                    outcomes.append(("ok", [describe(job) for job in result]))
                else:
                    outcomes.append(("ok", describe(result) if result is not None else None))
    jobs = {
        alias: [describe(job) for job in scheduler.get_jobs(alias)]
        for alias in ("default", "other")
    }
    scheduler.shutdown(wait=False)
    return {
        "outcomes": outcomes,
        "jobs": jobs,
        "events": [
            (type(e).__name__, e.code, getattr(e, "job_id", None), getattr(e, "jobstore", None))
            for e in events
        ],
        "logs": [(r.name, r.levelname, r.getMessage()) for r in caplog.records],
        "wakeups": scheduler.wakeups,
    }


SCRIPTS: dict[str, list[Any]] = {
    "aliases and defaults": [
        lambda s: s.add_job(work, "interval", minutes=5, start_date=T0, id="i"),
        lambda s: s.add_job(work, "date", run_date=T0 + timedelta(hours=1), id="d"),
        lambda s: s.add_job(work, id="now", run_date=T0),
        lambda s: s.add_job(work, "cron", hour="8-17", minute="*/15", id="c"),
        lambda s: s.add_job(
            work, "calendarinterval", days=1, hour=6, start_date="2030-01-01", id="ci"
        ),
        lambda s: s.add_job(
            work,
            "interval",
            hours=1,
            start_date="2030-01-07 09:30:00",
            id="tz",
            timezone="Europe/Helsinki",
        ),
    ],
    "arguments and names": [
        lambda s: s.add_job(
            work, "interval", minutes=1, start_date=T0, args=[1, 2], kwargs={"x": 3}, id="a"
        ),
        lambda s: s.add_job(
            work, "interval", minutes=1, start_date=T0, args=(1,), name="named", id="n"
        ),
        lambda s: s.add_job(SERVICE.tick, "interval", minutes=1, start_date=T0, id="m"),
        lambda s: s.add_job(LOCAL, "interval", minutes=1, start_date=T0, id="l", name="anonymous"),
        lambda s: s.add_job(PARTIAL, "interval", minutes=1, start_date=T0, id="p"),
        lambda s: s.add_job(work, "interval", minutes=1, start_date=T0),
        lambda s: s.add_job(work, "interval", minutes=1, start_date=T0),
        lambda s: s.add_job(print, "interval", minutes=1, start_date=T0, id="builtin"),
    ],
    "trigger instances and stores": [
        lambda s: s.add_job(
            work, IntervalTrigger(minutes=7, start_date=T0, timezone=UTC), id="ti"
        ),
        lambda s: s.add_job(work, CronTrigger(hour=9, timezone=UTC), id="tc", jobstore="other"),
        lambda s: s.add_job(
            work, "interval", minutes=2, start_date=T0, id="ex", executor="elsewhere"
        ),
        lambda s: s.add_job(work, "date", run_date=T0 - timedelta(days=1), id="past"),
    ],
    "conflicts": [
        lambda s: s.add_job(work, "interval", minutes=5, start_date=T0, id="x"),
        lambda s: s.add_job(work, "interval", minutes=6, start_date=T0, id="x"),
        lambda s: s.add_job(
            work, "interval", minutes=7, start_date=T0, id="x", replace_existing=True
        ),
        lambda s: s.add_job(work, "interval", minutes=8, start_date=T0, id="x", jobstore="other"),
        lambda s: s.get_job("x"),
    ],
    "refused calls": [
        lambda s: s.add_job(two_args, "interval", minutes=1, start_date=T0, args=[1], id="few"),
        lambda s: s.add_job(
            two_args, "interval", minutes=1, start_date=T0, kwargs={"c": 1}, args=[1, 2], id="kw"
        ),
        lambda s: s.add_job(work, "interval", minutes="x", id="bad-trigger"),
        lambda s: s.add_job(
            work, "interval", minutes=1, start_date=T0, id="bad-store", jobstore="missing"
        ),
        lambda s: s.add_job(work, "cron", second="07x", id="bad-cron"),
        lambda s: s.add_job(work, "nosuchtrigger", id="bad-alias"),
        lambda s: s.add_job(work(), "interval", minutes=1, start_date=T0, id="not-callable"),
        lambda s: s.add_job(work, "interval", minutes=1, start_date=T0, id=5),
        lambda s: s.add_job(work, "interval", minutes=1, start_date=T0, id="ok"),
    ],
    "removals": [
        lambda s: s.add_job(work, "interval", minutes=5, start_date=T0, id="a"),
        lambda s: s.add_job(work, "interval", minutes=5, start_date=T0, id="b", jobstore="other"),
        lambda s: s.remove_job("a"),
        lambda s: s.remove_job("a"),
        lambda s: s.remove_job("b", "default"),
        lambda s: s.remove_job("b", "other"),
        lambda s: s.remove_job(5),
        lambda s: s.get_jobs(),
    ],
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_direct_path_matches_python_path(
    name: str,
    counted: list[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = SCRIPTS[name]
    deterministic_ids(monkeypatch)
    direct = observe("direct", script, caplog)
    direct_fallbacks = len(counted)
    counted.clear()
    deterministic_ids(monkeypatch)
    python = observe("python", script, caplog)
    assert direct == python
    # every add/remove went through Python on the Python side; on the direct
    # side only those handed over (a missing store, a non-callable, an int id)
    assert len(counted) == sum(
        1 for step in script if "add_job" in _source(step) or "remove_job" in _source(step)
    )
    assert direct_fallbacks < len(counted)


def _source(step: Any) -> str:
    import inspect

    return inspect.getsource(step)


class Spy:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return BaseScheduler._real_add_job(self.scheduler, *args, **kwargs)


def test_a_method_replaced_on_the_instance_is_still_called() -> None:
    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    spy = Spy()
    spy.scheduler = scheduler
    scheduler._real_add_job = spy  # type: ignore[method-assign]
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="a")
    assert spy.calls == 1
    wakeups: list[int] = []
    scheduler.state = STATE_RUNNING
    scheduler.wakeup = lambda: wakeups.append(1)  # type: ignore[method-assign]
    del scheduler._real_add_job
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="b")
    assert wakeups == [1]
    removed: list[tuple[str, str]] = []
    scheduler._report_removed = lambda job_id, alias: removed.append((job_id, alias))  # type: ignore[method-assign]
    scheduler.remove_job("a")
    assert removed == [("a", "default")]
    scheduler.shutdown(wait=False)


def test_logging_level_changes_take_effect_at_once(caplog: pytest.LogCaptureFixture) -> None:
    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    logger = logging.getLogger("apscheduler.scheduler")
    with caplog.at_level(logging.INFO, logger="apscheduler"):
        scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="a")
        logger.setLevel(logging.WARNING)
        try:
            scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="b")
            scheduler.remove_job("b")
        finally:
            logger.setLevel(logging.NOTSET)
        logger.disabled = True
        try:
            scheduler.remove_job("a")
        finally:
            logger.disabled = False
    messages = [r.getMessage() for r in caplog.records if r.name == "apscheduler.scheduler"]
    assert messages == ['Added job "work" to job store "default"']
    scheduler.shutdown(wait=False)


def test_a_replaced_datetime_is_the_clock_of_the_first_run_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(base_module, "datetime", FakeDatetime)
    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    job = scheduler.add_job(work, "date", run_date=T0 - timedelta(days=1), id="a")
    assert job.next_run_time == T0 - timedelta(days=1)
    later = scheduler.add_job(work, "cron", minute=30, id="b")
    # the first run time is counted from the replaced clock, not the real one
    assert later.next_run_time == T0.replace(minute=30)
    scheduler.shutdown(wait=False)


def test_pending_jobs_and_stopped_schedulers_use_the_python_path() -> None:
    scheduler = StepScheduler(timezone=UTC)
    job = scheduler.add_job(work, "interval", minutes=5, start_date=T0, id="a")
    assert job.pending and scheduler.get_jobs() == [job]
    scheduler.remove_job("a")
    assert scheduler.get_jobs() == []
    with pytest.raises(JobLookupError):
        scheduler.remove_job("a")


def test_conflicting_add_stores_nothing() -> None:
    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    first = scheduler.add_job(work, "interval", minutes=5, start_date=T0, id="a", args=[1])
    with pytest.raises(ConflictingIdError):
        scheduler.add_job(work, "interval", minutes=9, start_date=T0, id="a", args=[2])
    assert scheduler.get_jobs() == [first]
    assert scheduler.get_job("a") is first and first.args == (1,)
    scheduler.shutdown(wait=False)


def test_kept_attributes_read_and_write_like_instance_attributes() -> None:
    """``state``, ``_listened_mask``, ``_jobstores``, ``_jobstores_lock`` and
    ``_logger`` live in the Rust base (so the direct paths read them without
    dict lookups); from Python they behave as plain instance attributes."""
    scheduler = StepScheduler(timezone=UTC)
    assert scheduler.state == 0 and scheduler._listened_mask == 0
    assert scheduler._jobstores == {}
    scheduler.start(paused=True)
    assert set(scheduler._jobstores) == {"default"} and scheduler.state == 2
    marker = object()
    scheduler._listened_mask = marker
    assert scheduler._listened_mask is marker
    del scheduler._listened_mask
    with pytest.raises(AttributeError, match="'StepScheduler' object has no attribute '_listened_mask'"):
        scheduler._listened_mask  # noqa: B018
    with pytest.raises(AttributeError):
        del scheduler._listened_mask
    scheduler._listened_mask = 0
    scheduler.shutdown(wait=False)


class Level(int):
    """An int that is not exactly ``int``: the direct paths hand it to Python."""


def test_a_state_that_is_not_a_plain_int_takes_the_python_path(counted: list[str]) -> None:
    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    scheduler.state = Level(STATE_RUNNING)
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="a")
    scheduler.remove_job("a")
    assert counted == ["_add_job", "_remove_job"]
    assert scheduler.wakeups == 1
    scheduler.state = STATE_RUNNING
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="b")
    scheduler.remove_job("b")
    assert counted == ["_add_job", "_remove_job"]
    scheduler.shutdown(wait=False)


class StateProperty(StepScheduler):
    """A subclass that keeps ``state`` itself: the direct paths must not read
    the base's."""

    @property  # type: ignore[override]
    def state(self) -> int:
        return self._my_state

    @state.setter
    def state(self, value: int) -> None:
        self._my_state = value


def test_a_subclass_shadowing_a_kept_attribute_takes_the_python_path(counted: list[str]) -> None:
    scheduler = StateProperty(timezone=UTC)
    scheduler.start(paused=True)
    job = scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="a")
    assert scheduler.get_jobs() == [job]
    scheduler.remove_job("a")
    assert scheduler.get_jobs() == []
    assert counted == ["_add_job", "_remove_job"]
    scheduler.shutdown(wait=False)


def test_a_dispatch_event_assigned_on_the_instance_sees_removals() -> None:
    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="a")
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="b")
    seen: list[Any] = []
    scheduler._dispatch_event = seen.append  # type: ignore[method-assign]
    scheduler.remove_job("a")
    assert [(e.code, e.job_id) for e in seen] == [(1 << 10, "a")]
    del scheduler._dispatch_event
    scheduler.remove_job("b")
    assert len(seen) == 1
    scheduler.shutdown(wait=False)


def test_a_scheduler_in_a_reference_cycle_is_collected() -> None:
    import gc
    import weakref

    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    # job -> scheduler -> _jobstores (kept in Rust) -> store -> job
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="a")
    scheduler.remove_job(scheduler.add_job(work, "interval", minutes=1, id="b").id)
    alive = weakref.ref(scheduler)
    del scheduler
    gc.collect()
    assert alive() is None


def test_a_store_method_assigned_on_the_instance_is_called() -> None:
    scheduler = StepScheduler(timezone=UTC)
    scheduler.start(paused=True)
    store = scheduler._jobstores["default"]
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="a")
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="b")
    removed: list[str] = []

    def remove_job(job_id: str) -> None:
        removed.append(job_id)
        MemoryJobStore.remove_job(store, job_id)

    store.remove_job = remove_job
    scheduler.remove_job("a")
    assert removed == ["a"]
    added: list[str] = []
    store.add_job = lambda job: (added.append(job.id), MemoryJobStore.add_job(store, job))
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="c")
    assert added == ["c"]
    del store.remove_job, store.add_job
    scheduler.remove_job("b")
    scheduler.add_job(work, "interval", minutes=1, start_date=T0, id="d")
    assert removed == ["a"] and added == ["c"]
    assert [job.id for job in scheduler.get_jobs()] == ["c", "d"]
    scheduler.shutdown(wait=False)
