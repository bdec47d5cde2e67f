"""When adding a job wakes the scheduler's loop.

3.11.3 wakes it for every job added to a running scheduler. Ours skips the
wake-up when its loop already sleeps until no later than the new job's first
run: the loop would only sweep the stores and go back to sleep (for a database
store, two queries per added job). What users can observe stays the same: jobs
run on time, and a ``wakeup`` of their own sees every call."""

from __future__ import annotations

import importlib
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest

LIBS = ("apscheduler", "apscheduler_rs")
UTC = timezone.utc


def background(lib: str) -> Any:
    return importlib.import_module(f"{lib}.schedulers.background").BackgroundScheduler


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def counting_sweeps(scheduler: Any) -> list[int]:
    """Count the scheduler's sweeps (through an instance attribute its loop uses)."""
    sweeps = [0]
    process_jobs = scheduler._process_jobs

    def counted() -> Any:
        sweeps[0] += 1
        return process_jobs()

    scheduler._process_jobs = counted
    return sweeps


def noop() -> None:
    pass


def test_job_due_after_the_next_wakeup_does_not_wake_the_loop() -> None:
    ran: list[tuple[str, float]] = []
    scheduler = background("apscheduler_rs")(timezone=UTC)
    sweeps = counting_sweeps(scheduler)
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    scheduler.add_job(lambda: ran.append(("soon", time.time())), "date", run_date=soon)
    scheduler.start()
    try:
        assert wait_for(lambda: scheduler._wakes_at is not None)
        before = sweeps[0]
        later = datetime.now(UTC) + timedelta(hours=1)
        for i in range(20):
            scheduler.add_job(noop, "date", run_date=later, id=f"later-{i}")
        scheduler.add_job(noop, "interval", hours=1, id="paused", next_run_time=None)
        time.sleep(0.1)
        assert sweeps[0] == before
        # a job due before the loop's wake-up still wakes it, and runs now
        added = time.time()
        scheduler.add_job(lambda: ran.append(("now", time.time())), id="now")
        assert wait_for(lambda: len(ran) == 2)
    finally:
        scheduler.shutdown()
    times = dict(ran)
    assert times["now"] - added < 0.5
    assert abs(times["soon"] - soon.timestamp()) < 0.5


@pytest.mark.parametrize("lib", LIBS)
def test_a_wakeup_of_a_subclass_sees_every_added_job(lib: str) -> None:
    calls = [0]

    class Hooked(background(lib)):  # type: ignore[misc]
        def wakeup(self) -> None:
            calls[0] += 1
            super().wakeup()

    scheduler = Hooked(timezone=UTC)
    scheduler.add_job(noop, "date", run_date=datetime.now(UTC) + timedelta(minutes=5))
    scheduler.start()
    try:
        time.sleep(0.1)
        before = calls[0]
        later = datetime.now(UTC) + timedelta(hours=1)
        for i in range(5):
            scheduler.add_job(noop, "date", run_date=later, id=f"later-{i}")
        assert calls[0] - before == 5
    finally:
        scheduler.shutdown()


@pytest.mark.parametrize("lib", LIBS)
def test_a_wakeup_set_on_the_instance_sees_every_added_job(lib: str) -> None:
    scheduler = background(lib)(timezone=UTC)
    scheduler.add_job(noop, "date", run_date=datetime.now(UTC) + timedelta(minutes=5))
    scheduler.start()
    try:
        time.sleep(0.1)
        with mock.patch.object(scheduler, "wakeup", wraps=scheduler.wakeup) as wakeup:
            later = datetime.now(UTC) + timedelta(hours=1)
            for i in range(3):
                scheduler.add_job(noop, "date", run_date=later, id=f"later-{i}")
            assert wakeup.call_count == 3
    finally:
        scheduler.shutdown()


def test_jobs_added_from_many_threads_against_a_sleeping_loop_all_run_on_time() -> None:
    """Threads add jobs due over the next second while the loop sleeps until
    the furthest: each must still run when due."""
    lock = threading.Lock()
    late: list[float] = []
    scheduler = background("apscheduler_rs")(timezone=UTC)
    scheduler.add_job(noop, "date", run_date=datetime.now(UTC) + timedelta(seconds=30))
    scheduler.start()

    def record(due: float) -> None:
        with lock:
            late.append(time.time() - due)

    def add_some(offset: int) -> None:
        for i in range(10):
            due = time.time() + 0.2 + (9 - i) * 0.05 + offset * 0.01
            run_date = datetime.fromtimestamp(due, UTC)
            scheduler.add_job(record, "date", run_date=run_date, args=[due])

    try:
        threads = [threading.Thread(target=add_some, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wait_for(lambda: len(late) == 40)
    finally:
        scheduler.shutdown()
    assert max(late) < 0.5, sorted(late)[-5:]


def test_a_wall_clock_set_forward_still_wakes_the_loop_for_a_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The loop sleeps by the monotonic clock. After the wall clock is set
    forward, a job due soon by the new wall time wakes the loop even though it
    is due after the wall time the loop meant to wake at."""
    import apscheduler_rs.schedulers.base as base_module

    scheduler = background("apscheduler_rs")(timezone=UTC)
    sweeps = counting_sweeps(scheduler)
    scheduler.add_job(noop, "date", run_date=datetime.now(UTC) + timedelta(hours=1))
    scheduler.start()
    try:
        assert wait_for(lambda: scheduler._wakes_at is not None)
        real_time = time.time
        jump = 3590.0  # the loop still sleeps about 3,600 s
        monkeypatch.setattr(base_module, "time", lambda: real_time() + jump)
        before = sweeps[0]
        # due a minute from the new wall time: later than the hour the loop meant
        due = datetime.fromtimestamp(real_time() + jump + 60, UTC)
        scheduler.add_job(noop, "date", run_date=due, id="after-the-jump")
        assert wait_for(lambda: sweeps[0] > before, 2)
    finally:
        scheduler.shutdown()
