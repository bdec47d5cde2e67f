"""Checks shared by the schedulers that run on an asyncio loop (AsyncIOScheduler,
and TornadoScheduler, whose IOLoop is the running asyncio loop): each test module
calls them with its scheduler class."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from ._common_aio_tornado_qt import (
    EVENT_JOB_ERROR,
    Events,
    Runs,
    add_date_interval_and_cron_jobs,
    assert_ran_on_time,
    captured_logs,
    wait_async,
)


def run(coro_fn: Any, *args: Any) -> Any:
    """``asyncio.run`` with a scheduler-safety net: ``coro_fn`` gets a list to
    put schedulers in, and any still running are shut down before the loop ends."""
    schedulers: list[Any] = []

    async def main() -> Any:
        try:
            return await coro_fn(schedulers, *args)
        finally:
            for scheduler in schedulers:
                if scheduler.running:
                    scheduler.shutdown(wait=False)
            await asyncio.sleep(0)

    return asyncio.run(main())


def check_date_interval_and_cron_jobs_fire_on_time(scheduler_class: Any) -> None:
    events, runs = Events(), Runs()

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(timezone="UTC")
        schedulers.append(scheduler)
        scheduler.add_listener(events)
        all_ran = add_date_interval_and_cron_jobs(scheduler, runs)
        scheduler.start()
        assert await wait_async(all_ran, 5)
        scheduler.shutdown()

    run(main)
    assert_ran_on_time(events, runs)


def check_job_added_from_another_thread_runs_promptly(scheduler_class: Any) -> None:
    runs = Runs()
    added_at: list[float] = []

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(timezone="UTC")
        schedulers.append(scheduler)
        scheduler.add_job(runs.record, "interval", hours=1, args=["hourly"])
        scheduler.start()
        await asyncio.sleep(0.05)  # the next wakeup is now an hour away

        def add() -> None:
            added_at.append(time.monotonic())
            scheduler.add_job(runs.record, args=["now"])

        thread = threading.Thread(target=add)
        thread.start()
        assert await wait_async(lambda: runs.count("now") == 1, 3)
        thread.join()
        scheduler.shutdown()

    run(main)
    assert runs.of("now")[0][0] - added_at[0] < 1.0
    assert runs.count("hourly") == 0


def check_failing_job_is_logged_reported_and_the_scheduler_goes_on(scheduler_class: Any) -> None:
    events, runs = Events(), Runs()

    def fail() -> None:
        raise ValueError("boom")

    async def afail() -> None:
        raise KeyError("async boom")

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(timezone="UTC")
        schedulers.append(scheduler)
        scheduler.add_listener(events)
        scheduler.add_job(fail, id="fail")
        scheduler.add_job(afail, id="afail")
        scheduler.start()
        assert await wait_async(lambda: len(events.of(EVENT_JOB_ERROR)) == 2, 3)
        assert scheduler.running
        scheduler.add_job(runs.record, args=["after"])
        assert await wait_async(lambda: runs.count("after") == 1, 3)
        scheduler.shutdown()

    with captured_logs() as logs:
        run(main)
    (sync_error,) = events.of(EVENT_JOB_ERROR, "fail")
    assert isinstance(sync_error.exception, ValueError)
    assert 'raise ValueError("boom")' in sync_error.traceback
    (async_error,) = events.of(EVENT_JOB_ERROR, "afail")
    assert isinstance(async_error.exception, KeyError)
    errors = [r for r in logs.records if r.levelno == logging.ERROR]
    assert sorted(r.getMessage().split(" (")[0] for r in errors) == [
        f'Job "{afail.__qualname__}',
        f'Job "{fail.__qualname__}',
    ]
    assert all(r.exc_info and r.getMessage().endswith("raised an exception") for r in errors)
