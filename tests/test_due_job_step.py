"""The due-job step in Rust (``DueJobStep``, used for memory stores) against the
Python step it stands in for: the same script run both ways must give the same
events, log records, calls and stored jobs. Also: the Rust step is really used,
and is not used when something it would bypass is overridden."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest

import apscheduler_rs.schedulers.base as base_module
from apscheduler_rs.events import EVENT_ALL
from apscheduler_rs.executors.base import BaseExecutor
from apscheduler_rs.executors.debug import DebugExecutor
from apscheduler_rs.executors.pool import ThreadPoolExecutor
from apscheduler_rs.schedulers.base import BaseScheduler
from apscheduler_rs.triggers.base import BaseTrigger

UTC = timezone.utc
TIMEOUT = 10.0


class StepScheduler(BaseScheduler):
    """Runs ``_process_jobs`` only when the test calls it."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


class RefusingExecutor(BaseExecutor):
    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        raise OSError("executor is broken")


class NaiveTrigger(BaseTrigger):
    """Fires every ``step`` from ``start``, returning naive datetimes (local time),
    as a trigger written for an old APScheduler might."""

    def __init__(self, start: datetime, step: timedelta, count: int) -> None:
        self.start, self.step, self.count = start, step, count

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            return self.start
        following = previous_fire_time.replace(tzinfo=None) + self.step
        return following if following < self.start + self.count * self.step else None

    def __str__(self) -> str:
        return f"naive[{self.step}]"


calls: list[tuple[str, tuple[Any, ...]]] = []


def record(name: str, *args: Any) -> str:
    calls.append((name, args))
    return name


@pytest.fixture(params=["rust", "python"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Which step runs the sweeps; ``python`` turns the Rust step off."""
    used: list[int] = []
    original = base_module.DueJobStep

    class CountingStep:
        def __init__(self, *args: Any) -> None:
            self._step = original(*args)

        def run(self, *args: Any) -> None:
            used.append(1)
            self._step.run(*args)

    monkeypatch.setattr(base_module, "DueJobStep", CountingStep)
    if request.param == "python":
        monkeypatch.setattr(BaseScheduler, "_sweeps_in_rust", lambda self, store: False)
    calls.clear()
    yield request.param
    assert bool(used) == (request.param == "rust"), "the step under test did not run"


def observe(script: Callable[[StepScheduler], None], caplog: pytest.LogCaptureFixture) -> Any:
    """Run ``script`` on a started scheduler; what it produced."""
    scheduler = StepScheduler(timezone=UTC)
    scheduler.add_executor(DebugExecutor(), "default")
    scheduler.add_executor(RefusingExecutor(), "refusing")
    events: list[Any] = []
    scheduler.add_listener(events.append, EVENT_ALL)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="apscheduler"):
        scheduler.start(paused=True)
        scheduler.resume = lambda: None  # type: ignore[method-assign]
        scheduler.state = base_module.STATE_RUNNING
        script(scheduler)
        jobs = [(job.id, job.next_run_time, str(job.trigger)) for job in scheduler.get_jobs()]
        scheduler.shutdown(wait=False)
    return {
        "events": [
            (
                type(event).__name__,
                event.code,
                getattr(event, "job_id", None),
                getattr(event, "jobstore", None),
                getattr(event, "scheduled_run_times", None),
                getattr(event, "scheduled_run_time", None),
                getattr(event, "retval", None),
            )
            for event in events
        ],
        "logs": [
            (
                r.name,
                r.levelname,
                re.sub(r"missed by \S+", "missed by <lateness>", r.getMessage()),
                r.exc_info and r.exc_info[0],
            )
            for r in caplog.records
        ],
        "calls": list(calls),
        "jobs": jobs,
    }


#: The scripts' times are taken back from here, so that both runs of a script
#: schedule the same times; each test sets it (``fresh_base``).
base = datetime.now(UTC)


@pytest.fixture(autouse=True)
def fresh_base() -> None:
    global base
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


def past(seconds: float) -> datetime:
    return base - timedelta(seconds=seconds)


def script_runs_and_removals(scheduler: StepScheduler) -> None:
    start = past(35)
    for coalesce in (False, True):
        scheduler.add_job(
            record,
            "interval",
            seconds=10,
            start_date=start,
            args=(f"interval-{coalesce}",),
            id=f"interval-{coalesce}",
            coalesce=coalesce,
            misfire_grace_time=None,
            next_run_time=start,
        )
    scheduler.add_job(
        record,
        "interval",
        seconds=10,
        start_date=start,
        args=("late",),
        id="late",
        next_run_time=start,
    )
    # past(1) is up to a second back: a grace of 30 s keeps it on time however
    # long the steps before its run take
    scheduler.add_job(
        record, "date", run_date=past(1), args=("date",), id="date", misfire_grace_time=30
    )
    scheduler.add_job(
        record, "date", run_date=past(2), args=("refused",), id="refused", executor="refusing"
    )
    scheduler.add_job(record, "date", run_date=past(3), args=("nowhere",), id="nowhere")
    scheduler.get_job("nowhere").executor = "no-such-executor"  # type: ignore[union-attr]
    scheduler.add_job(record, "date", run_date=past(1), args=("later",), id="paused")
    scheduler.pause_job("paused")
    scheduler._process_jobs()
    scheduler._process_jobs()


def script_naive_trigger(scheduler: StepScheduler) -> None:
    # local wall times, a minute back: every run is due
    start = past(60).astimezone().replace(tzinfo=None)
    scheduler.add_job(
        record,
        NaiveTrigger(start, timedelta(seconds=20), 3),
        args=("naive",),
        id="naive",
        misfire_grace_time=None,
        next_run_time=start.astimezone(),
    )
    scheduler._process_jobs()


@pytest.mark.parametrize("script", [script_runs_and_removals, script_naive_trigger])
def test_rust_step_matches_python_step(
    script: Callable[[StepScheduler], None],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = {}
    for which in ("rust", "python"):
        with monkeypatch.context() as patch:
            if which == "python":
                patch.setattr(BaseScheduler, "_sweeps_in_rust", lambda self, store: False)
            calls.clear()
            results[which] = observe(script, caplog)
    assert results["rust"] == results["python"]
    assert results["rust"]["calls"], "the script ran no job"


def test_each_path_runs_jobs_and_reports(path: str, caplog: pytest.LogCaptureFixture) -> None:
    seen = observe(script_runs_and_removals, caplog)
    ran = [name for name, _ in seen["calls"]]
    assert ran.count("interval-False") == 4
    assert ran.count("interval-True") == 1
    assert "date" in ran and "refused" not in ran and "nowhere" not in ran
    messages = [message for _, _, message, _ in seen["logs"]]
    assert any("was missed by" in m for m in messages)
    assert any(m.startswith('Error submitting job "record') for m in messages)
    assert any(m.startswith('Executor lookup ("no-such-executor") failed') for m in messages)
    assert [job_id for job_id, *_ in seen["jobs"]] == [
        "interval-False",
        "interval-True",
        "late",
        "paused",
    ]


def test_overridden_run_due_job_sees_every_job(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    class Auditing(StepScheduler):
        def _run_due_job(self, job: Any, *args: Any) -> Any:
            seen.append(job.id)
            return super()._run_due_job(job, *args)

    scheduler = Auditing(timezone=UTC)
    scheduler.add_executor(DebugExecutor(), "default")
    scheduler.start(paused=True)
    scheduler.state = base_module.STATE_RUNNING
    for i in range(3):
        scheduler.add_job(record, "date", run_date=past(i + 1), args=(i,), id=f"j{i}")
    scheduler._process_jobs()
    assert seen == ["j2", "j1", "j0"]
    assert scheduler.get_jobs() == []
    scheduler.shutdown()


def test_pool_subclass_overriding_submit_job_is_called() -> None:
    submitted: list[str] = []

    class Auditing(ThreadPoolExecutor):
        def submit_job(self, job: Any, run_times: list[datetime]) -> None:
            submitted.append(job.id)
            super().submit_job(job, run_times)

    done = threading.Event()
    scheduler = StepScheduler(timezone=UTC)
    executor = Auditing()
    scheduler.add_executor(executor, "default")
    scheduler.start(paused=True)
    scheduler.state = base_module.STATE_RUNNING
    assert executor._direct_submission() is None
    scheduler.add_job(done.set, "date", run_date=past(1), id="audited", misfire_grace_time=30)
    scheduler._process_jobs()
    assert done.wait(TIMEOUT)
    assert submitted == ["audited"]
    scheduler.shutdown()


def test_thread_pool_max_instances_through_each_path(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()
    started = threading.Event()
    events: list[Any] = []

    def blocking() -> None:
        started.set()
        release.wait(TIMEOUT)

    scheduler = StepScheduler(timezone=UTC)
    scheduler.add_executor(ThreadPoolExecutor(), "default")
    scheduler.add_listener(events.append, EVENT_ALL)
    scheduler.start(paused=True)
    scheduler.state = base_module.STATE_RUNNING
    try:
        with caplog.at_level(logging.WARNING, logger="apscheduler"):
            job = scheduler.add_job(
                blocking, "interval", seconds=30, next_run_time=datetime.now(UTC), id="b"
            )
            scheduler._process_jobs()
            assert started.wait(TIMEOUT)
            job.modify(next_run_time=datetime.now(UTC))
            scheduler._process_jobs()
        codes = [event.code for event in events if getattr(event, "job_id", None) == "b"]
        assert codes[-1] == base_module.EVENT_JOB_MAX_INSTANCES
        assert any(
            "maximum number of running instances reached (1)" in r.getMessage()
            for r in caplog.records
        )
        assert scheduler.get_job("b").next_run_time > datetime.now(UTC)  # type: ignore[union-attr]
    finally:
        release.set()
        scheduler.shutdown()


def test_local_zone_trigger_in_another_zone(path: str, caplog: pytest.LogCaptureFixture) -> None:
    """Run times in a zone other than the scheduler's compare by instant."""
    zone: tzinfo = timezone(timedelta(hours=-7))
    seen = observe(
        lambda s: (
            s.add_job(
                record,
                "interval",
                minutes=1,
                start_date=past(150).astimezone(zone),
                next_run_time=past(150).astimezone(zone),
                args=("west",),
                coalesce=False,
                misfire_grace_time=None,
            ),
            s._process_jobs(),
        ),
        caplog,
    )
    assert [name for name, _ in seen["calls"]] == ["west"] * 3


class BrokenTrigger(BaseTrigger):
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            return past(5)
        raise ArithmeticError("trigger is broken")


def test_failing_trigger_escapes_each_path_alike(path: str) -> None:
    """An error from a trigger ends the sweep, as in the Python step (the
    scheduler's loop logs it and retries)."""
    scheduler = StepScheduler(timezone=UTC)
    scheduler.add_executor(DebugExecutor(), "default")
    scheduler.start(paused=True)
    scheduler.state = base_module.STATE_RUNNING
    scheduler.add_job(record, BrokenTrigger(), args=("broken",), id="broken")
    scheduler.add_job(record, "date", run_date=past(1), args=("after",), id="after")
    with pytest.raises(ArithmeticError, match="trigger is broken"):
        scheduler._process_jobs()
    assert calls == []
    assert [job.id for job in scheduler.get_jobs()] == ["broken", "after"]
    scheduler.shutdown()


def test_direct_submission_only_to_the_executor_it_was_made_for() -> None:
    """An executor replaced during a sweep gets its own submit_job called, not
    the pool of the one the sweep started with."""
    submitted: list[str] = []

    class Recording(DebugExecutor):
        def submit_job(self, job: Any, run_times: list[datetime]) -> None:
            submitted.append(job.id)

    scheduler = StepScheduler(timezone=UTC)
    old = ThreadPoolExecutor()
    scheduler.add_executor(old, "default")
    scheduler.start(paused=True)
    scheduler.state = base_module.STATE_RUNNING
    scheduler.add_job(record, "date", run_date=past(1), args=("replaced",), id="replaced")
    direct = {"default": old._direct_submission()}
    new = Recording()
    new.start(scheduler, "default")
    step = base_module.DueJobStep(
        scheduler,
        base_module.Job,
        {"default": new},
        direct,
        scheduler._run_due_job,
        scheduler._submission_failed,
        None,
        None,
    )
    store = scheduler._jobstores["default"]
    step.run(store, store.get_due_jobs(datetime.now(UTC)), "default", datetime.now(UTC), [])
    assert submitted == ["replaced"]
    assert old._instances == {}
    assert scheduler.get_jobs() == []
    scheduler.shutdown()


def test_asyncio_executor_through_each_path(path: str, caplog: pytest.LogCaptureFixture) -> None:
    """Coroutine jobs (plain and behind a partial) and a plain function on an
    AsyncIOScheduler, one coroutine job kept at its max_instances: the same
    runs, warning and events through either step. On the Rust step the
    coroutine jobs are queued by the step itself, not by ``_do_submit_job``."""
    import asyncio
    import functools
    import sys

    import apscheduler_rs.executors.asyncio as asyncio_executors
    from apscheduler_rs.events import EVENT_JOB_MAX_INSTANCES
    from apscheduler_rs.schedulers.asyncio import AsyncIOScheduler

    queued_from: list[str] = []
    is_coroutine_function = asyncio_executors.iscoroutinefunction_partial

    def traced(func: Any) -> bool:
        # The Python frame below: _do_submit_job, or, the Rust step's frames not
        # being Python ones, the `path` fixture's wrapper of the Rust step.
        answer = is_coroutine_function(func)
        if answer:
            queued_from.append(sys._getframe(1).f_code.co_name)
        return answer

    ran: list[tuple[str, bool]] = []
    release = asyncio.Event()

    async def coroutine_job(name: str) -> None:
        ran.append((name, threading.current_thread() is threading.main_thread()))

    async def held() -> None:
        ran.append(("held", True))
        await release.wait()

    def plain(name: str) -> None:
        ran.append((name, threading.current_thread() is threading.main_thread()))

    events: list[Any] = []

    async def main() -> None:
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_listener(events.append, EVENT_JOB_MAX_INSTANCES)
        now = datetime.now(UTC)
        scheduler.add_job(coroutine_job, "date", run_date=now, args=["coroutine"], id="a")
        scheduler.add_job(
            functools.partial(coroutine_job, "partial"), "date", run_date=now, id="b"
        )
        scheduler.add_job(plain, "date", run_date=now, args=["plain"], id="c")
        scheduler.add_job(held, "interval", seconds=0.05, next_run_time=now, id="d")
        with caplog.at_level(logging.WARNING, logger="apscheduler"):
            scheduler.start()
            deadline = time.monotonic() + TIMEOUT
            while not events or len(ran) < 4:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
        scheduler.pause()
        release.set()
        await asyncio.sleep(0.05)
        assert scheduler._executors["default"]._instances == {}
        scheduler.shutdown()
        await asyncio.sleep(0)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asyncio_executors, "iscoroutinefunction_partial", traced)
        asyncio.run(main())
    assert sorted(ran) == [
        ("coroutine", True),
        ("held", True),
        ("partial", True),
        ("plain", False),
    ]
    assert {event.job_id for event in events} == {"d"}
    assert any(
        "maximum number of running instances reached" in r.getMessage() for r in caplog.records
    )
    if path == "rust":
        # the step itself asks about what is not a plain function (the
        # partial; a plain coroutine function it recognises by its code flags)
        assert queued_from and set(queued_from) == {"run"}
    else:
        # three coroutine jobs
        assert len(queued_from) >= 3 and set(queued_from) == {"_do_submit_job"}


def test_asyncio_executor_subclass_queues_through_its_own_methods() -> None:
    import asyncio

    from apscheduler_rs.executors.asyncio import AsyncIOExecutor
    from apscheduler_rs.schedulers.asyncio import AsyncIOScheduler

    submitted: list[str] = []

    class Auditing(AsyncIOExecutor):
        def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
            submitted.append(job.id)
            super()._do_submit_job(job, run_times)

    ran = asyncio.Event()

    async def job() -> None:
        ran.set()

    async def main() -> None:
        scheduler = AsyncIOScheduler(timezone=UTC)
        executor = Auditing()
        scheduler.add_executor(executor, "default")
        scheduler.add_job(job, id="audited")
        scheduler.start()
        assert executor._direct_submission() is None
        assert scheduler._executors["default"] is executor
        await asyncio.wait_for(ran.wait(), TIMEOUT)
        plain = AsyncIOExecutor()
        scheduler.add_executor(plain, "plain")
        assert plain._direct_submission() is not None
        scheduler.shutdown()
        await asyncio.sleep(0)

    asyncio.run(main())
    assert submitted == ["audited"]
