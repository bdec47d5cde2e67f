"""The examples of the user's notes (shared/seed-examples.md) and of APScheduler 3's user
guide, run on our real BackgroundScheduler and BlockingScheduler with real, short
intervals: what runs, how often and when.

Jobs run on the default executor (the thread pool) as soon as
``apscheduler_rs.executors.pool`` exists; until then on ``DebugExecutor``. Every
scheduler a test starts is shut down by a fixture, and a BlockingScheduler runs in a
thread of its own, stopped from a job or from the test.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest

from apscheduler_rs.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_REMOVED,
)
from apscheduler_rs.executors.debug import DebugExecutor
from apscheduler_rs.jobstores.memory import MemoryJobStore
from apscheduler_rs.schedulers import SchedulerAlreadyRunningError, SchedulerNotRunningError
from apscheduler_rs.schedulers.background import BackgroundScheduler
from apscheduler_rs.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED
from apscheduler_rs.schedulers.blocking import BlockingScheduler

try:
    from apscheduler_rs.executors.pool import ProcessPoolExecutor, ThreadPoolExecutor
except ImportError:  # the pool executors are not written yet
    ProcessPoolExecutor = ThreadPoolExecutor = None  # type: ignore[assignment,misc]

HAVE_POOL = ThreadPoolExecutor is not None
UTC = timezone.utc


def executor_options() -> dict[str, Any]:
    """Nothing (the default executor) once the pool executors exist."""
    return {} if HAVE_POOL else {"executors": {"default": DebugExecutor()}}


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


class Runs:
    """Thread-safe record of a job's calls: (monotonic time, wall time, args)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[float, datetime, tuple]] = []

    def __call__(self, *args: Any) -> int:
        with self.lock:
            self.calls.append((time.monotonic(), datetime.now(UTC), args))
            return len(self.calls)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.calls)


class Events:
    """A listener keeping every event it receives."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, code: int) -> list[Any]:
        with self.lock:
            return [event for event in self.events if event.code == code]


#: Calls of the module-level example jobs below (reset for each test).
SEED_RUNS = Runs()


@pytest.fixture(autouse=True)
def _fresh_seed_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(globals(), "SEED_RUNS", Runs())


def my_job() -> None:
    SEED_RUNS(time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time())))


def myfunc() -> None:
    SEED_RUNS()


def scheduler_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "APScheduler"]


@pytest.fixture
def background() -> Iterator[Callable[..., BackgroundScheduler]]:
    created: list[BackgroundScheduler] = []

    def make(*args: Any, own_executors: bool = False, **options: Any) -> BackgroundScheduler:
        if not own_executors:
            options = {**executor_options(), **options}
        scheduler = BackgroundScheduler(*args, **options)
        created.append(scheduler)
        return scheduler

    yield make
    for scheduler in created:
        if scheduler.running:
            scheduler.shutdown(wait=False)


class BlockingRun:
    def __init__(self, scheduler: BlockingScheduler) -> None:
        self.scheduler = scheduler
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="blocking-start", daemon=True)

    def _run(self) -> None:
        try:
            self.scheduler.start()
        except BaseException as exc:  # reported by the test
            self.error = exc


@pytest.fixture
def blocking() -> Iterator[Callable[..., BlockingRun]]:
    """Start a BlockingScheduler in a thread; ``start()`` returns when it shuts down."""
    runs: list[BlockingRun] = []

    def run(scheduler: BlockingScheduler) -> BlockingRun:
        runner = BlockingRun(scheduler)
        runs.append(runner)
        runner.thread.start()
        assert wait_for(lambda: scheduler.running, 5)
        return runner

    yield run
    for runner in runs:
        if runner.scheduler.running:
            runner.scheduler.shutdown(wait=False)
        runner.thread.join(5)
        assert not runner.thread.is_alive()


def make_blocking(**options: Any) -> BlockingScheduler:
    return BlockingScheduler(**{**executor_options(), **options})


@pytest.fixture
def apscheduler_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="apscheduler")
    return caplog


def messages(caplog: pytest.LogCaptureFixture, level: int | None = None) -> list[str]:
    return [
        record.getMessage()
        for record in list(caplog.records)
        if record.name.startswith("apscheduler") and (level is None or record.levelno == level)
    ]


# ---------------------------------------------------------------------------------------
# The executor the examples run on
# ---------------------------------------------------------------------------------------


def test_jobs_run_on_the_default_executor_when_it_exists(background: Any) -> None:
    scheduler = background()
    where: list[str] = []
    done = threading.Event()

    def job() -> None:
        where.append(threading.current_thread().name)
        done.set()

    scheduler.start()
    scheduler.add_job(job)
    assert done.wait(5)
    executor = scheduler._executors["default"]
    if HAVE_POOL:
        assert type(executor) is ThreadPoolExecutor
        assert where[0] != "APScheduler"  # a worker thread, not the scheduler's
    else:
        assert type(executor) is DebugExecutor
        assert where[0] == "APScheduler"


# ---------------------------------------------------------------------------------------
# Seed examples (shared/seed-examples.md)
# ---------------------------------------------------------------------------------------


def test_seed_1_date_in_the_past_is_missed_and_removed(
    blocking: Any, apscheduler_logs: Any
) -> None:
    sched = make_blocking()
    events = Events()
    sched.add_listener(events)
    job = sched.add_job(my_job, "date", run_date="2019-01-01 00:00:00")
    runner = blocking(sched)
    # removed by the scheduler's thread; the miss is noticed where the job would run
    assert wait_for(lambda: events.of(EVENT_JOB_REMOVED) and events.of(EVENT_JOB_MISSED), 5)
    missed = events.of(EVENT_JOB_MISSED)
    assert [event.job_id for event in missed] == [job.id]
    assert missed[0].scheduled_run_time.replace(tzinfo=None) == datetime(2019, 1, 1)
    warnings = messages(apscheduler_logs, logging.WARNING)
    assert any(
        message.startswith('Run time of job "my_job (trigger: date[2019-01-01 00:00:00 ')
        and "was missed by" in message
        for message in warnings
    ), warnings
    assert sched.get_jobs() == []
    assert SEED_RUNS.count == 0
    # the scheduler keeps waiting (for jobs to be added) until shut down from elsewhere
    assert runner.thread.is_alive() and sched.running
    sched.shutdown()
    runner.thread.join(5)
    assert not runner.thread.is_alive() and runner.error is None


def test_seed_1_date_in_the_near_future_runs_once_on_time(background: Any) -> None:
    runs = Runs()
    scheduler = background()
    scheduler.start()
    run_date = datetime.now(UTC) + timedelta(seconds=0.3)
    scheduler.add_job(runs, "date", run_date=run_date, args=["once"])
    assert wait_for(lambda: runs.count == 1, 5)
    _, ran_at, args = runs.calls[0]
    assert args == ("once",)
    assert run_date <= ran_at < run_date + timedelta(seconds=1)
    time.sleep(0.3)
    assert runs.count == 1
    assert scheduler.get_jobs() == []


def test_seed_2_interval_job_runs_about_every_interval(background: Any) -> None:
    runs = Runs()
    events = Events()
    scheduler = background()
    scheduler.add_listener(events, EVENT_JOB_EXECUTED)
    scheduler.start()
    added = time.monotonic()
    scheduler.add_job(runs, "interval", seconds=0.2, id="every")
    time.sleep(1.1)
    count = runs.count
    assert 3 <= count <= 7, count
    first = runs.calls[0][0] - added
    assert 0.1 <= first <= 0.6, first  # the first run is one interval after adding
    # scheduled run times are exactly one interval apart; actual runs close to them
    scheduled = [event.scheduled_run_time for event in events.of(EVENT_JOB_EXECUTED)]
    steps = {b - a for a, b in pairwise(scheduled)}
    assert steps <= {timedelta(seconds=0.2)}, steps
    gaps = [b[0] - a[0] for a, b in pairwise(runs.calls)]
    assert all(0.05 <= gap <= 0.6 for gap in gaps), gaps


def test_seed_2_interval_parameters(background: Any) -> None:
    scheduler = background(timezone="UTC")
    scheduler.start(paused=True)
    job = scheduler.add_job(
        print,
        "interval",
        weeks=1,
        days=1,
        hours=1,
        minutes=1,
        seconds=5,
        start_date="2040-01-01 09:00:00",
        end_date=datetime(2040, 6, 1, tzinfo=UTC),
        timezone="Asia/Shanghai",
    )
    assert str(job.trigger) == "interval[8 days, 1:01:05]"
    assert job.next_run_time.isoformat() == "2040-01-01T09:00:00+08:00"
    assert str(job.next_run_time.tzinfo) == "Asia/Shanghai"
    job = scheduler.add_job(print, "interval", seconds=5, start_date="2040-01-01 09:00:00")
    assert job.next_run_time.isoformat() == "2040-01-01T09:00:00+00:00"


def everyday_crawler_job() -> None:
    SEED_RUNS()


def test_seed_3_cron_examples_are_scheduled_as_described(background: Any) -> None:
    scheduler = background(timezone="Europe/Helsinki")
    scheduler.start(paused=True)
    now = datetime.now(scheduler.timezone)

    twice = scheduler.add_job(everyday_crawler_job, "cron", hour="8, 12", minute="30")
    assert str(twice.trigger) == "cron[hour='8,12', minute='30']"
    nrt = twice.next_run_time
    assert (nrt.hour, nrt.minute, nrt.second) in {(8, 30, 0), (12, 30, 0)}
    assert now < nrt <= now + timedelta(days=1)

    once_2017 = scheduler.add_job(
        my_job, "cron", year=2017, month=3, day=22, hour=17, minute=19, second=7
    )
    assert once_2017.next_run_time is None  # in the past: stored, paused, never runs
    assert "paused" in str(once_2017)

    third_friday = scheduler.add_job(my_job, "cron", month="6-8,11-12", day="3rd fri", hour="0-3")
    nrt = third_friday.next_run_time
    assert nrt.month in {6, 7, 8, 11, 12} and nrt.weekday() == 4 and 15 <= nrt.day <= 21
    assert nrt.hour <= 3 and nrt > now

    ended = scheduler.add_job(
        my_job, "cron", day_of_week="mon-fri", hour=5, minute=30, end_date="2014-05-30"
    )
    assert ended.next_run_time is None

    every5 = scheduler.add_job(my_job, "cron", second="*/5")
    assert every5.next_run_time.second % 5 == 0
    assert now < every5.next_run_time <= now + timedelta(seconds=5)

    # the notes' `second = 07` is a SyntaxError in Python 3; the string '07' is valid
    seven = scheduler.add_job(my_job, "cron", second="07")
    assert seven.next_run_time.second == 7
    assert len(scheduler.get_jobs()) == 6


def test_seed_3_cron_every_second_fires_each_second(blocking: Any) -> None:
    sched = make_blocking()
    events = Events()
    sched.add_listener(events, EVENT_JOB_EXECUTED)
    runs = Runs()

    def my_job() -> None:
        if runs() == 3:
            sched.shutdown(wait=False)  # stop the blocking scheduler from the job

    sched.add_job(my_job, "cron", second="*/1", misfire_grace_time=None)
    runner = blocking(sched)
    runner.thread.join(6)
    assert not runner.thread.is_alive(), "start() should return after shutdown from the job"
    assert runner.error is None
    assert not sched.running
    assert runs.count == 3
    scheduled = [event.scheduled_run_time for event in events.of(EVENT_JOB_EXECUTED)]
    assert [s.microsecond for s in scheduled] == [0] * len(scheduled)
    assert all(b - a == timedelta(seconds=1) for a, b in pairwise(scheduled))
    for (_, ran_at, _), planned in zip(runs.calls, scheduled, strict=False):
        assert planned <= ran_at < planned + timedelta(seconds=0.8)


def test_seed_3_end_date_in_the_past_never_runs(background: Any) -> None:
    runs = Runs()
    scheduler = background()
    scheduler.start()
    job = scheduler.add_job(runs, "cron", second="*", end_date="2014-05-30")
    assert job.next_run_time is None
    notes_job = scheduler.add_job(
        runs, "cron", day_of_week="mon-fri", hour=5, minute=30, end_date="2014-05-30"
    )
    assert notes_job.next_run_time is None
    time.sleep(1.3)
    assert runs.count == 0


def test_seed_3_called_instead_of_passed_is_refused(background: Any) -> None:
    runs = SEED_RUNS
    scheduler = background()
    with pytest.raises(TypeError, match="func must be a callable or a textual reference to one"):
        scheduler.add_job(
            my_job(), "cron", day_of_week="mon-fri", hour=5, minute=30, end_date="2014-05-30"
        )
    assert scheduler.get_jobs() == []
    scheduler.start()
    assert scheduler.get_jobs() == []
    with pytest.raises(TypeError, match="func must be a callable"):
        scheduler.add_job(my_job(), "interval", seconds=0.1)
    assert scheduler.get_jobs() == []
    time.sleep(0.3)
    assert runs.count == 2  # only the two calls the mistaken code itself made


def test_seed_options_misfire_grace_time_and_coalesce(
    background: Any, apscheduler_logs: Any
) -> None:
    """A scheduler paused while an every-0.1-s job falls behind: on resume, coalesce=True
    runs the backlog once; coalesce=False runs each missed run that is within the grace
    time and reports the older ones as missed ("was missed by")."""
    coalesced, each, graced = Runs(), Runs(), Runs()
    events = Events()
    scheduler = background(timezone="UTC")
    scheduler.add_listener(events, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    scheduler.add_job(
        coalesced, "interval", seconds=0.1, id="coalesced", coalesce=True, misfire_grace_time=None
    )
    scheduler.add_job(
        each, "interval", seconds=0.1, id="each", coalesce=False, misfire_grace_time=None
    )
    scheduler.add_job(
        graced,
        "interval",
        seconds=0.1,
        id="graced",
        name="graced",
        coalesce=False,
        misfire_grace_time=1,
    )
    time.sleep(0.25)
    scheduler.pause()
    time.sleep(0.1)  # let a run in progress end
    paused_at = datetime.now(UTC)
    before = {
        job_id: len([e for e in events.of(EVENT_JOB_EXECUTED) if e.job_id == job_id])
        for job_id in ("coalesced", "each", "graced")
    }
    time.sleep(1.5)
    resumed_at = datetime.now(UTC)
    scheduler.resume()
    assert wait_for(
        lambda: any(
            e.job_id == "graced" and e.scheduled_run_time > resumed_at - timedelta(seconds=0.15)
            for e in events.of(EVENT_JOB_EXECUTED)
        ),
        5,
    )
    time.sleep(0.2)
    scheduler.pause()

    def backlog(job_id: str, code: int) -> list[Any]:
        return [
            e
            for e in events.of(code)
            if e.job_id == job_id and paused_at < e.scheduled_run_time <= resumed_at
        ]

    # coalesce: the whole backlog of ~15 runs became one run
    assert len(backlog("coalesced", EVENT_JOB_EXECUTED)) == 1
    # no coalescing, no grace limit: every missed run ran
    assert len(backlog("each", EVENT_JOB_EXECUTED)) >= 12
    # grace time 1 s: runs more than a second late were missed, the rest ran
    missed = backlog("graced", EVENT_JOB_MISSED)
    ran = backlog("graced", EVENT_JOB_EXECUTED)
    assert len(missed) >= 3 and len(ran) >= 5, (len(missed), len(ran))
    assert max(e.scheduled_run_time for e in missed) < min(e.scheduled_run_time for e in ran)
    assert all(e.scheduled_run_time < resumed_at - timedelta(seconds=0.9) for e in missed)
    warnings = messages(apscheduler_logs, logging.WARNING)
    assert any(
        m.startswith('Run time of job "graced (trigger: interval[0:00:00.100000]')
        and "was missed by 0:00:01" in m
        for m in warnings
    ), warnings[:3]
    assert before["coalesced"] >= 1


def test_seed_max_instances(background: Any, apscheduler_logs: Any) -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def slow(seconds: float) -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(seconds)
        with lock:
            running -= 1

    events = Events()
    scheduler = background()
    scheduler.add_listener(events, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    scheduler.start()
    scheduler.add_job(
        slow, "interval", seconds=0.1, args=[0.35], id="slow", name="slow", max_instances=1
    )
    time.sleep(1.0)
    scheduler.remove_job("slow")
    skipped = events.of(EVENT_JOB_MAX_INSTANCES)
    if HAVE_POOL:
        # the job is still running when its next run comes: skipped with a warning
        assert len(skipped) >= 2
        assert peak == 1
        assert any(
            m.startswith('Execution of job "slow (trigger: interval[0:00:00.100000]')
            and m.endswith("skipped: maximum number of running instances reached (1)")
            for m in messages(apscheduler_logs, logging.WARNING)
        )
    else:
        # DebugExecutor runs the job in the scheduler's thread: runs are late instead
        assert skipped == []
    assert wait_for(lambda: running == 0, 2)

    if HAVE_POOL:
        peak = 0
        scheduler.add_job(slow, "interval", seconds=0.1, args=[0.45], id="three", max_instances=3)
        time.sleep(1.0)
        scheduler.remove_job("three")
        assert 2 <= peak <= 3


def failing(n: int) -> None:
    raise ZeroDivisionError(f"job {n} divided by zero")


def test_failing_job_is_logged_reported_and_the_scheduler_keeps_running(
    background: Any, apscheduler_logs: Any
) -> None:
    events = Events()
    healthy = Runs()
    scheduler = background()
    scheduler.add_listener(events, EVENT_JOB_ERROR | EVENT_JOB_EXECUTED)
    scheduler.start()
    scheduler.add_job(failing, "interval", seconds=0.15, args=[7], id="failing")
    assert wait_for(lambda: len(events.of(EVENT_JOB_ERROR)) >= 2, 5)
    error = events.of(EVENT_JOB_ERROR)[0]
    assert error.job_id == "failing" and error.jobstore == "default"
    assert isinstance(error.exception, ZeroDivisionError)
    assert str(error.exception) == "job 7 divided by zero"
    assert "in failing" in error.traceback and "raise ZeroDivisionError" in error.traceback
    records = [
        r
        for r in apscheduler_logs.records
        if r.getMessage().startswith('Job "failing (trigger: interval[0:00:00.150000]')
    ]
    assert records and records[0].getMessage().endswith("raised an exception")
    assert records[0].levelno == logging.ERROR and records[0].exc_info[0] is ZeroDivisionError
    # still scheduled, and the scheduler runs other jobs
    assert scheduler.running and scheduler.get_job("failing") is not None
    scheduler.add_job(healthy, "interval", seconds=0.1)
    assert wait_for(lambda: healthy.count >= 2, 5)


def test_shutdown_leaves_no_scheduler_thread(background: Any) -> None:
    before = set(scheduler_threads())
    runs = Runs()
    scheduler = background()
    scheduler.add_job(runs, "interval", seconds=0.1)
    scheduler.start()
    new = [thread for thread in scheduler_threads() if thread not in before]
    assert len(new) == 1 and new[0].daemon
    assert wait_for(lambda: runs.count >= 1, 5)
    scheduler.shutdown()
    assert not new[0].is_alive()
    assert new[0] not in threading.enumerate()
    assert scheduler.state == STATE_STOPPED and not scheduler.running
    count = runs.count
    time.sleep(0.3)
    assert runs.count == count
    with pytest.raises(SchedulerNotRunningError, match="Scheduler is not running"):
        scheduler.shutdown()


def test_background_daemon_option(background: Any) -> None:
    before = set(scheduler_threads())
    scheduler = background(daemon=False)
    scheduler.start()
    (thread,) = [t for t in scheduler_threads() if t not in before]
    assert not thread.daemon
    scheduler.shutdown()
    assert not thread.is_alive()


@pytest.mark.parametrize("wait", [True, False])
def test_shutdown_waits_for_running_jobs_unless_told_not_to(background: Any, wait: bool) -> None:
    started, finished = threading.Event(), threading.Event()

    def job() -> None:
        started.set()
        time.sleep(0.4)
        finished.set()

    scheduler = background()
    scheduler.start()
    scheduler.add_job(job)
    assert started.wait(5)
    begin = time.monotonic()
    scheduler.shutdown(wait=wait)
    elapsed = time.monotonic() - begin
    if wait:
        assert finished.is_set() and elapsed >= 0.2
    elif HAVE_POOL:
        assert not finished.is_set() and elapsed < 0.3
    # DebugExecutor: the job runs in the scheduler's thread, which shutdown() joins
    assert finished.wait(5)


def test_blocking_scheduler_shut_down_from_another_thread(
    blocking: Any, apscheduler_logs: Any
) -> None:
    runs = Runs()
    sched = make_blocking()
    sched.add_job(runs, "interval", seconds=0.1)
    runner = blocking(sched)
    assert wait_for(lambda: runs.count >= 3, 5)
    with pytest.raises(SchedulerAlreadyRunningError, match="Scheduler is already running"):
        sched.start()
    sched.shutdown()
    runner.thread.join(5)
    assert not runner.thread.is_alive() and runner.error is None
    count = runs.count
    time.sleep(0.3)
    assert runs.count == count
    logged = messages(apscheduler_logs, logging.INFO)
    assert "Scheduler started" in logged and "Scheduler has been shut down" in logged


def test_blocking_scheduler_date_job_in_the_future(blocking: Any) -> None:
    runs = Runs()
    sched = make_blocking(timezone="UTC")
    run_date = datetime.now(UTC) + timedelta(seconds=0.3)
    sched.add_job(runs, "date", run_date=run_date)
    runner = blocking(sched)
    assert wait_for(lambda: runs.count == 1, 5)
    assert run_date <= runs.calls[0][1] < run_date + timedelta(seconds=1)
    assert wait_for(lambda: sched.get_jobs() == [], 2)
    sched.shutdown()
    runner.thread.join(5)
    assert not runner.thread.is_alive()


# ---------------------------------------------------------------------------------------
# User guide (APScheduler 3.x): configuring
# ---------------------------------------------------------------------------------------


def _guide_executors() -> dict[str, Any]:
    if HAVE_POOL:
        return {"default": ThreadPoolExecutor(20), "processpool": ProcessPoolExecutor(5)}
    return {"default": DebugExecutor(), "processpool": DebugExecutor()}


def _check_guide_configuration(scheduler: BackgroundScheduler) -> None:
    assert sorted(scheduler._executors) == ["default", "processpool"]
    assert sorted(scheduler._jobstores) == ["default", "mongo"]
    assert str(scheduler.timezone) == "UTC"
    runs = Runs()
    scheduler.start()
    job = scheduler.add_job(runs, "interval", seconds=0.1, jobstore="mongo")
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (False, 3, 1)
    assert wait_for(lambda: runs.count >= 2, 5)
    expected = "ThreadPoolExecutor" if HAVE_POOL else "DebugExecutor"
    assert type(scheduler._executors["default"]).__name__ == expected


def test_guide_configuring_with_keyword_options(background: Any) -> None:
    from pytz import utc

    # the guide's MongoDB/SQLAlchemy stores are not built yet: memory stores instead
    jobstores = {"mongo": MemoryJobStore(), "default": MemoryJobStore()}
    job_defaults = {"coalesce": False, "max_instances": 3}
    scheduler = background(
        jobstores=jobstores, executors=_guide_executors(), job_defaults=job_defaults, timezone=utc
    )
    _check_guide_configuration(scheduler)


def test_guide_configuring_with_gconfig(background: Any) -> None:
    pool = "pool:ThreadPoolExecutor" if HAVE_POOL else "debug:DebugExecutor"
    scheduler = background(
        {
            "apscheduler.jobstores.mongo": {"type": "memory"},
            "apscheduler.jobstores.default": {"type": "memory"},
            "apscheduler.executors.default": {
                "class": f"apscheduler_rs.executors.{pool}",
                **({"max_workers": "20"} if HAVE_POOL else {}),
            },
            "apscheduler.executors.processpool": {"type": "processpool", "max_workers": "5"}
            if HAVE_POOL
            else {"type": "debug"},
            "apscheduler.job_defaults.coalesce": "false",
            "apscheduler.job_defaults.max_instances": "3",
            "apscheduler.timezone": "UTC",
        },
        own_executors=True,
    )
    _check_guide_configuration(scheduler)


def test_guide_configuring_with_configure(background: Any) -> None:
    from pytz import utc

    scheduler = background()
    scheduler.configure(
        jobstores={"mongo": MemoryJobStore(), "default": MemoryJobStore()},
        executors=_guide_executors(),
        job_defaults={"coalesce": False, "max_instances": 3},
        timezone=utc,
    )
    _check_guide_configuration(scheduler)
    with pytest.raises(SchedulerAlreadyRunningError):
        scheduler.configure(timezone=utc)


# ---------------------------------------------------------------------------------------
# User guide: adding, removing, pausing, listing, modifying jobs
# ---------------------------------------------------------------------------------------


def test_guide_scheduled_job_decorator(background: Any) -> None:
    scheduler = background()
    runs = Runs()

    @scheduler.scheduled_job("interval", seconds=0.1, id="decorated", args=["deco"])
    def myfunc(arg: str) -> None:
        runs(arg)

    assert myfunc.__name__ == "myfunc"  # the function itself is returned
    assert scheduler.get_job("decorated").pending
    scheduler.start()
    assert wait_for(lambda: runs.count >= 2, 5)
    assert runs.calls[0][2] == ("deco",)


def test_guide_add_job_without_trigger_runs_once_now(background: Any) -> None:
    runs = Runs()
    scheduler = background()
    scheduler.start()
    events = Events()
    scheduler.add_listener(events, EVENT_JOB_REMOVED)
    begin = time.monotonic()
    job = scheduler.add_job(runs, args=[1])
    assert wait_for(lambda: runs.count == 1, 5)
    assert runs.calls[0][0] - begin < 0.5
    assert wait_for(lambda: [e.job_id for e in events.of(EVENT_JOB_REMOVED)] == [job.id], 2)
    time.sleep(0.2)
    assert runs.count == 1


def test_guide_removing_jobs(background: Any) -> None:
    runs = Runs()
    scheduler = background()
    scheduler.start()
    job = scheduler.add_job(runs, "interval", minutes=2)
    job.remove()
    scheduler.add_job(runs, "interval", minutes=2, id="my_job_id")
    scheduler.remove_job("my_job_id")
    assert scheduler.get_jobs() == []
    fast = scheduler.add_job(runs, "interval", seconds=0.1)
    assert wait_for(lambda: runs.count >= 1, 5)
    fast.remove()
    time.sleep(0.15)  # a run already submitted may still finish
    count = runs.count
    time.sleep(0.3)
    assert runs.count == count


def test_guide_pausing_and_resuming_jobs(background: Any) -> None:
    runs = Runs()
    scheduler = background()
    scheduler.start()
    job = scheduler.add_job(runs, "interval", seconds=0.1, id="my_job_id")
    assert wait_for(lambda: runs.count >= 2, 5)
    job.pause()
    assert job.next_run_time is None
    time.sleep(0.15)
    count = runs.count
    time.sleep(0.35)
    assert runs.count == count
    job.resume()
    assert wait_for(lambda: runs.count >= count + 2, 5)
    scheduler.pause_job("my_job_id")
    time.sleep(0.15)
    count = runs.count
    time.sleep(0.35)
    assert runs.count == count
    scheduler.resume_job("my_job_id")
    assert wait_for(lambda: runs.count >= count + 2, 5)


def test_guide_listing_jobs(background: Any, capsys: pytest.CaptureFixture[str]) -> None:
    scheduler = background(timezone="UTC")
    scheduler.add_job(myfunc, "interval", minutes=2, id="two", start_date="2040-01-01 00:00:00")
    scheduler.print_jobs()
    assert capsys.readouterr().out == (
        "Pending jobs:\n    myfunc (trigger: interval[0:02:00], pending)\n"
    )
    scheduler.start()
    scheduler.add_job(myfunc, "cron", year=2041, id="cron", jobstore="default")
    assert [job.id for job in scheduler.get_jobs()] == ["two", "cron"]
    scheduler.print_jobs()
    assert capsys.readouterr().out == (
        "Jobstore default:\n"
        "    myfunc (trigger: interval[0:02:00], next run at: 2040-01-01 00:00:00 UTC)\n"
        "    myfunc (trigger: cron[year='2041'], next run at: 2041-01-01 00:00:00 UTC)\n"
    )


def test_guide_modifying_jobs(background: Any) -> None:
    runs = Runs()
    scheduler = background(timezone="UTC")
    scheduler.start()
    job = scheduler.add_job(runs, "interval", minutes=2, id="my_job_id")
    job.modify(max_instances=6, name="Alternate name")
    stored = scheduler.get_job("my_job_id")
    assert (stored.max_instances, stored.name) == (6, "Alternate name")
    scheduler.reschedule_job("my_job_id", trigger="cron", minute="*/5")
    stored = scheduler.get_job("my_job_id")
    assert str(stored.trigger) == "cron[minute='*/5']"
    assert stored.next_run_time.minute % 5 == 0 and stored.next_run_time.second == 0
    # rescheduled to run very soon: it runs
    scheduler.reschedule_job("my_job_id", trigger="interval", seconds=0.1)
    assert wait_for(lambda: runs.count >= 2, 5)


def test_guide_pausing_and_resuming_job_processing(background: Any) -> None:
    runs = Runs()
    scheduler = background()
    scheduler.add_job(runs)  # run once, now
    scheduler.start(paused=True)
    assert scheduler.state == STATE_PAUSED
    time.sleep(0.3)
    assert runs.count == 0
    scheduler.resume()
    assert scheduler.state == STATE_RUNNING
    assert wait_for(lambda: runs.count == 1, 5)
    scheduler.add_job(runs, "interval", seconds=0.1)
    assert wait_for(lambda: runs.count >= 3, 5)
    scheduler.pause()
    time.sleep(0.15)
    count = runs.count
    time.sleep(0.35)
    assert runs.count == count
    scheduler.resume()
    assert wait_for(lambda: runs.count > count, 5)


def test_guide_event_listener(background: Any, capsys: pytest.CaptureFixture[str]) -> None:
    def my_listener(event: Any) -> None:
        if event.exception:
            print("The job crashed :(")
        else:
            print("The job worked :)")

    def works() -> str:
        return "fine"

    def crashes() -> None:
        raise RuntimeError("crash")

    done = Events()
    scheduler = background()
    scheduler.add_listener(my_listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.add_listener(done, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    scheduler.add_job(works)
    assert wait_for(lambda: len(done.events) == 1, 5)
    scheduler.add_job(crashes)
    assert wait_for(lambda: len(done.events) == 2, 5)
    assert capsys.readouterr().out == "The job worked :)\nThe job crashed :(\n"
    assert done.events[0].retval == "fine"


def test_guide_troubleshooting_debug_logging(
    background: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="apscheduler")
    runs = Runs()
    scheduler = background()
    scheduler.start()
    scheduler.add_job(runs, "interval", seconds=0.2, id="dbg")
    assert wait_for(lambda: runs.count >= 1, 5)
    scheduler.shutdown()
    logged = messages(caplog)
    assert "Looking for jobs to run" in logged
    assert any(m.startswith("Next wakeup is due at ") and m.endswith(" seconds)") for m in logged)
    assert any(
        m.startswith('Running job "runs (trigger: interval[0:00:00.200000]') for m in logged
    ) or any(m.startswith('Running job "') for m in logged)
    assert 'Added job "Runs" to job store "default"' in logged or any(
        m.startswith('Added job "') and m.endswith('" to job store "default"') for m in logged
    )
