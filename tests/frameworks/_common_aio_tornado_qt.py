"""Helpers shared by the asyncio, Tornado and Qt scheduler tests: a job script
run on both APScheduler 3.11.3 and apscheduler_rs (for differential checks), log
and event capture, thread accounting and the missing-framework subprocess check."""

from __future__ import annotations

import contextlib
import logging
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

UTC = timezone.utc
LIBS = ("apscheduler", "apscheduler_rs")

# Event codes are the same numbers in both libraries.
EVENT_SCHEDULER_STARTED = 2**0
EVENT_SCHEDULER_SHUTDOWN = 2**1
EVENT_JOB_EXECUTED = 2**12
EVENT_JOB_ERROR = 2**13
EVENT_JOB_MISSED = 2**14
EVENT_JOB_SUBMITTED = 2**15
FINISHED_CODES = (EVENT_JOB_EXECUTED, EVENT_JOB_ERROR, EVENT_JOB_MISSED)

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?( [A-Z]{3,5})?")


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.01) -> bool:
    """Poll ``predicate`` (from this thread, without running any loop)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


async def wait_async(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll ``predicate`` while letting the running asyncio loop work."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


class Events:
    """A thread-safe listener that keeps every event."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, code: int, job_id: str | None = None) -> list[Any]:
        with self.lock:
            return [
                event
                for event in self.events
                if event.code == code and (job_id is None or event.job_id == job_id)
            ]

    def codes(self) -> list[int]:
        with self.lock:
            return [event.code for event in self.events]


class Runs:
    """A thread-safe record of job calls: name -> [(monotonic time, wall time,
    thread, running asyncio loop or None)]."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: dict[str, list[tuple[float, datetime, threading.Thread, Any]]] = {}

    def record(self, name: str) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        entry = (time.monotonic(), datetime.now(UTC), threading.current_thread(), loop)
        with self.lock:
            self.calls.setdefault(name, []).append(entry)

    def count(self, name: str) -> int:
        with self.lock:
            return len(self.calls.get(name, ()))

    def of(self, name: str) -> list[tuple[float, datetime, threading.Thread, Any]]:
        with self.lock:
            return list(self.calls.get(name, ()))


def lateness(events: Events, runs: Runs, job_id: str) -> list[float]:
    """Seconds from each run's scheduled time (its EVENT_JOB_EXECUTED event) to
    the moment the job recorded itself in ``runs`` under ``job_id``.

    A run still in a worker thread when the scheduler shuts down has recorded
    itself but gets no event (shutdown cancels its future, as in 3.11.3): only
    the last run may lack one."""
    scheduled = [e.scheduled_run_time for e in events.of(EVENT_JOB_EXECUTED, job_id)]
    ran = [wall for _, wall, _, _ in runs.of(job_id)]
    assert len(ran) - len(scheduled) in (0, 1), (len(ran), len(scheduled))
    return [
        (actual - due).total_seconds()
        for due, actual in zip(scheduled, ran[: len(scheduled)], strict=True)
    ]


def add_date_interval_and_cron_jobs(scheduler: Any, runs: Runs) -> Callable[[], bool]:
    """Add a date job (due in 0.3 s), an interval job (every 0.2 s) and a cron
    job (every second), each recording its runs in ``runs``; returns the test
    of whether each has run enough for :func:`assert_ran_on_time`."""
    now = datetime.now(UTC)
    scheduler.add_job(
        runs.record, "date", run_date=now + timedelta(seconds=0.3), args=["date"], id="date"
    )
    scheduler.add_job(runs.record, "interval", seconds=0.2, args=["interval"], id="interval")
    scheduler.add_job(runs.record, "cron", second="*/1", args=["cron"], id="cron")
    return lambda: runs.count("interval") >= 3 and runs.count("cron") >= 1 and runs.count("date")


def assert_ran_on_time(events: Events, runs: Runs) -> None:
    """The jobs of :func:`add_date_interval_and_cron_jobs` ran when they were due."""
    for job_id in ("date", "interval", "cron"):
        assert all(-0.005 <= late < 0.5 for late in lateness(events, runs, job_id)), job_id
    times = [mono for mono, _, _, _ in runs.of("interval")]
    # each run is at most 0.5 s late (above), so consecutive runs are 0 to 0.7 s apart
    assert all(0 < b - a < 0.7 for a, b in zip(times, times[1:], strict=False))
    # cron fires on the second boundary
    assert runs.of("cron")[0][1].microsecond < 500_000


class LogRecords(logging.Handler):
    """Collects the records of the ``apscheduler`` loggers (both libraries log
    under that name)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._records_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._records_lock:
            self.records.append(record)

    def messages(self, level: int | None = None) -> list[str]:
        with self._records_lock:
            return [r.getMessage() for r in self.records if level in (None, r.levelno)]

    def normalized(self, min_level: int = logging.INFO) -> Counter[tuple[str, str, str]]:
        with self._records_lock:
            return Counter(
                (r.name, r.levelname, _TIMESTAMP.sub("<T>", r.getMessage()))
                for r in self.records
                if r.levelno >= min_level
            )


@contextlib.contextmanager
def captured_logs(level: int = logging.INFO) -> Iterator[LogRecords]:
    logger = logging.getLogger("apscheduler")
    handler = LogRecords()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def new_threads(before: set[threading.Thread], timeout: float = 3.0) -> list[str]:
    """Threads started since ``before`` that are still alive after ``timeout``
    seconds of waiting for them to end (an empty list is the good answer)."""

    def extra() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in before and t.is_alive()]

    wait_for(lambda: not extra(), timeout)
    return [t.name for t in extra()]


# ---------------------------------------------------------------------------------------
# The job script for differential runs
# ---------------------------------------------------------------------------------------


@dataclass
class Trace:
    """What a script run produced, in forms that do not depend on thread timing."""

    events: Counter[tuple[int, str | None]]
    first_event: int
    last_event: int
    runs: Counter[tuple[str, bool]]
    logs: Counter[tuple[str, str, str]]
    errors: list[str] = field(default_factory=list)


class Script:
    """The same jobs for either library: a date job, an interval and a cron job
    with end dates (so that their fire counts are fixed), a failing job, an
    hourly job that must not fire, optionally a coroutine interval job, and
    optionally a date job 'now' added from another thread while the next
    wakeup is far away.

    ``runs`` records, per job, whether it ran on the scheduler's loop thread.
    """

    #: interval 0.25 s until start + 0.9 s: fires at 0.25, 0.5, 0.75
    INTERVAL_FIRES = 3
    #: interval 0.3 s until start + 0.7 s: fires at 0.3, 0.6
    CORO_FIRES = 2

    def __init__(self, lib: str, coroutine_job: bool, thread_add: bool) -> None:
        self.lib = lib
        self.coroutine_job = coroutine_job
        self.thread_add = thread_add
        self.events = Events()
        self.runs = Runs()
        self.loop_thread: threading.Thread | None = None
        self.adder: threading.Thread | None = None

    # the jobs (method names show in the job names, the same for both libraries)

    def tick(self, name: str) -> None:
        self.runs.record(name)

    async def atick(self, name: str) -> None:
        self.runs.record(name)

    def fail(self) -> None:
        self.runs.record("failing")
        raise ValueError("this job fails")

    def expected_finishes(self) -> int:
        total = 1 + self.INTERVAL_FIRES + 1 + 1  # date, interval, cron, failing
        if self.coroutine_job:
            total += self.CORO_FIRES
        if self.thread_add:
            total += 1
        return total

    def add_jobs(self, scheduler: Any) -> None:
        """Before start(), from the loop thread."""
        self.loop_thread = threading.current_thread()
        now = datetime.now(UTC)
        scheduler.add_listener(self.events)
        scheduler.add_job(
            self.tick, "date", run_date=now + timedelta(seconds=0.2), args=["date"], id="date"
        )
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=0.25,
            end_date=now + timedelta(seconds=0.9),
            args=["interval"],
            id="interval",
        )
        scheduler.add_job(
            self.tick,
            "cron",
            second="*",
            end_date=now + timedelta(seconds=1),
            args=["cron"],
            id="cron",
        )
        scheduler.add_job(self.fail, id="failing")
        scheduler.add_job(self.tick, "interval", hours=1, args=["hourly"], id="hourly")
        if self.coroutine_job:
            scheduler.add_job(
                self.atick,
                "interval",
                seconds=0.3,
                end_date=now + timedelta(seconds=0.7),
                args=["coro"],
                id="coro",
            )

    def after_start(self, scheduler: Any) -> None:
        if not self.thread_add:
            return

        def add() -> None:
            # Lands between the failing job (at once) and the date job (0.2 s).
            time.sleep(0.1)
            scheduler.add_job(self.tick, args=["thread"], id="thread")

        self.adder = threading.Thread(target=add, name="adder")
        self.adder.start()

    def finished(self) -> bool:
        done = sum(len(self.events.of(code)) for code in FINISHED_CODES)
        return done >= self.expected_finishes()

    def trace(self) -> Trace:
        if self.adder is not None:
            self.adder.join(5)
        events = [(e.code, getattr(e, "job_id", None)) for e in self.events.events]
        runs: Counter[tuple[str, bool]] = Counter()
        with self.runs.lock:
            for name, calls in self.runs.calls.items():
                for _, _, thread, _ in calls:
                    runs[(name, thread is self.loop_thread)] += 1
        return Trace(
            events=Counter(events),
            first_event=events[0][0] if events else 0,
            last_event=events[-1][0] if events else 0,
            runs=runs,
            logs=Counter(),
        )


def run_script(
    lib: str, drive: Callable[[Script], None], coroutine_job: bool, thread_add: bool
) -> Trace:
    """Run the script on ``lib`` with the framework ``drive``r, which builds the
    scheduler, calls ``add_jobs``, starts it, calls ``after_start``, runs its loop
    until ``finished()``, then removes all jobs and shuts the scheduler down."""
    script = Script(lib, coroutine_job, thread_add)
    with captured_logs() as logs:
        drive(script)
    trace = script.trace()
    trace.logs = logs.normalized()
    return trace


def assert_same_traces(traces: dict[str, Trace]) -> None:
    ref, ours = traces["apscheduler"], traces["apscheduler_rs"]
    assert ours.events == ref.events
    assert (ours.first_event, ours.last_event) == (ref.first_event, ref.last_event)
    assert ours.runs == ref.runs
    assert ours.logs == ref.logs


def run_script_in_subprocess(code: str, timeout: float = 60) -> str:
    """Run ``code`` in a fresh interpreter; its stdout, stripped."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def import_error_when_missing(module: str, missing: list[str]) -> str:
    """The ``ImportError`` (type, message, and the type and message of its cause)
    that importing ``module`` raises in a fresh interpreter where the packages
    ``missing`` cannot be imported. ``import apscheduler_rs`` (and the
    scheduler package) must work there."""
    code = f"""
        import sys
        for name in {missing!r}:
            sys.modules[name] = None
        import apscheduler_rs, apscheduler_rs.schedulers, apscheduler_rs.executors
        import apscheduler_rs.schedulers.base
        try:
            __import__({module!r})
        except ImportError as exc:
            cause = exc.__cause__
            print(repr(exc))
            print(repr(cause) if cause is not None else None)
        else:
            print("imported")
        """
    return run_script_in_subprocess(code)
