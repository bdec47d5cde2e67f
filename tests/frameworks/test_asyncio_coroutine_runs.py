"""How AsyncIOExecutor runs coroutine jobs, on APScheduler 3.11.3 and on ours.

3.11.3 gives every submission a task of its own. Ours starts the queued
submissions one after another in one task and gives a job that waits that task
for the rest of its run (see executors/asyncio.py). These tests pin down what a
job must not be able to tell apart: the task it sees, its context variables,
jobs behind a waiting one, cancellation, and the events of every run."""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import logging
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ._asyncio_loop_cases import run
from ._common_aio_tornado_qt import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    LIBS,
    Events,
    captured_logs,
    wait_async,
)

FAR = datetime(2100, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(params=LIBS)
def lib(request: pytest.FixtureRequest) -> str:
    return request.param


def new_scheduler(lib: str, **options: Any) -> Any:
    module = importlib.import_module(f"{lib}.schedulers.asyncio")
    return module.AsyncIOScheduler(timezone="UTC", **options)


def add_due_jobs(scheduler: Any, *jobs: tuple[Any, str]) -> None:
    """Add coroutine jobs all due at the same moment. Jobs due together are
    submitted in the order of their ids: each id is the name given, prefixed
    with its place in ``jobs``."""
    due = datetime.now(timezone.utc) + timedelta(seconds=0.05)
    for index, (func, name) in enumerate(jobs):
        scheduler.add_job(
            func, "date", run_date=due, id=f"{index}-{name}", misfire_grace_time=None
        )


def run_until_finished(lib: str, *jobs: tuple[Any, str]) -> Events:
    """Run ``jobs`` (as :func:`add_due_jobs` adds them) on a new scheduler until
    each has finished; the events of their ends."""
    events = Events()

    async def main(schedulers: list[Any]) -> None:
        scheduler = new_scheduler(lib)
        schedulers.append(scheduler)
        scheduler.add_listener(events, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        add_due_jobs(scheduler, *jobs)
        scheduler.start()
        assert await wait_async(lambda: len(events.events) == len(jobs), 5)
        scheduler.shutdown()

    run(main)
    return events


def names(events: list[Any]) -> list[str]:
    """The names given to :func:`add_due_jobs` of the events' jobs."""
    return [event.job_id.partition("-")[2] for event in events]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout and TaskGroup are 3.11+")
def test_a_job_that_waits_sees_one_task_throughout(lib: str) -> None:
    seen: dict[str, Any] = {}

    async def quick() -> None:
        seen["quick"] = asyncio.current_task() is not None

    async def waits_under_timeout() -> None:
        task = asyncio.current_task()
        async with asyncio.timeout(5):
            await asyncio.sleep(0.01)
        seen["same task"] = asyncio.current_task() is task

    async def times_out() -> None:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(5)

    async def task_group() -> None:
        async def child() -> None:
            await asyncio.sleep(0)
            raise KeyError("child")

        async with asyncio.TaskGroup() as group:
            group.create_task(child())
            await asyncio.sleep(5)

    with captured_logs():
        events = run_until_finished(
            lib,
            (quick, "quick"),
            (waits_under_timeout, "waits"),
            (times_out, "times_out"),
            (task_group, "task_group"),
        )
    assert seen == {"quick": True, "same task": True}
    assert names(events.of(EVENT_JOB_EXECUTED)) == ["quick", "waits"]
    failed = events.of(EVENT_JOB_ERROR)
    errors = dict(zip(names(failed), (e.exception for e in failed), strict=True))
    assert isinstance(errors["times_out"], TimeoutError)
    # the task group cancelled the task running the job, and only that one
    assert type(errors["task_group"]).__name__ == "ExceptionGroup"
    assert errors["task_group"].exceptions[0].args == ("child",)


def test_each_job_runs_in_its_own_copy_of_the_context(lib: str) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    seen: dict[str, str] = {}

    async def sets() -> None:
        var.set("first")
        await asyncio.sleep(0.01)
        seen["first after waiting"] = var.get()

    async def reads() -> None:
        seen["second"] = var.get()
        var.set("second")

    async def reads_again() -> None:
        seen["third"] = var.get()

    async def main(schedulers: list[Any]) -> None:
        var.set("scheduler's")
        scheduler = new_scheduler(lib)
        schedulers.append(scheduler)
        add_due_jobs(scheduler, (sets, "sets"), (reads, "reads"), (reads_again, "again"))
        scheduler.start()
        assert await wait_async(lambda: len(seen) == 3, 3)
        assert var.get() == "scheduler's"
        scheduler.shutdown()

    run(main)
    assert seen == {
        "first after waiting": "first",
        "second": "scheduler's",
        "third": "scheduler's",
    }


def test_jobs_behind_a_waiting_job_start_without_waiting_for_it(lib: str) -> None:
    order: list[str] = []
    released = asyncio.Event()

    async def waits_for_release() -> None:
        order.append("waiting")
        await asyncio.wait_for(released.wait(), 3)
        order.append("released")

    async def releases() -> None:
        order.append("releasing")
        released.set()

    async def after() -> None:
        order.append("after")

    events = run_until_finished(
        lib, (waits_for_release, "waits"), (releases, "releases"), (after, "after")
    )
    # started in submission order; the waiting one finished last
    assert order == ["waiting", "releasing", "after", "released"]
    assert [e.code for e in events.events] == [EVENT_JOB_EXECUTED] * 3
    assert names(events.events)[-1] == "waits"


def test_runs_of_a_job_with_several_due_times_report_each(lib: str) -> None:
    calls: list[int] = []

    async def second_call_waits() -> int:
        calls.append(len(calls) + 1)
        number = len(calls)
        if number == 2:
            await asyncio.sleep(0.01)
        if number == 3:
            raise ValueError("third")
        return number

    events = Events()
    run_times = [
        datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=n) for n in range(4)
    ]

    async def main(schedulers: list[Any]) -> None:
        scheduler = new_scheduler(lib)
        schedulers.append(scheduler)
        scheduler.add_listener(events, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        job = scheduler.add_job(second_call_waits, "date", run_date=FAR, misfire_grace_time=None)
        scheduler.start()
        scheduler._executors["default"].submit_job(job, run_times)
        assert await wait_async(lambda: len(events.events) == 4, 3)
        assert scheduler._executors["default"]._instances == {}
        scheduler.shutdown()

    with captured_logs():
        run(main)
    assert calls == [1, 2, 3, 4]
    assert [(e.code, e.scheduled_run_time) for e in events.events] == [
        (EVENT_JOB_EXECUTED, run_times[0]),
        (EVENT_JOB_EXECUTED, run_times[1]),
        (EVENT_JOB_ERROR, run_times[2]),
        (EVENT_JOB_EXECUTED, run_times[3]),
    ]
    assert [e.retval for e in events.of(EVENT_JOB_EXECUTED)] == [1, 2, 4]


def test_shutdown_before_queued_jobs_start_reports_them_cancelled(lib: str) -> None:
    started: list[str] = []

    async def job() -> None:
        started.append("ran")

    async def main(schedulers: list[Any]) -> list[logging.LogRecord]:
        scheduler = new_scheduler(lib)
        schedulers.append(scheduler)
        first = scheduler.add_job(job, "date", run_date=FAR, id="first")
        second = scheduler.add_job(job, "date", run_date=FAR, id="second")
        scheduler.start()
        executor = scheduler._executors["default"]
        now = datetime.now(timezone.utc)
        with captured_logs() as logs:
            executor.submit_job(first, [now])
            executor.submit_job(second, [now])
            executor.shutdown()
            await asyncio.sleep(0.05)
        assert executor._instances == {}
        scheduler.shutdown()
        return [r for r in logs.records if r.levelno >= logging.ERROR]

    errors = run(main)
    assert started == []
    assert [r.getMessage() for r in errors] == [
        "Error running job first",
        "Error running job second",
    ]
    assert all(r.exc_info and r.exc_info[0] is asyncio.CancelledError for r in errors)


def test_cancelling_every_task_does_not_stop_later_submissions(lib: str) -> None:
    ran: list[str] = []

    async def job(name: str) -> None:
        ran.append(name)

    async def main(schedulers: list[Any]) -> None:
        scheduler = new_scheduler(lib)
        schedulers.append(scheduler)
        jobs = {
            name: scheduler.add_job(job, "date", run_date=FAR, id=name, args=[name])
            for name in ("cancelled", "later")
        }
        scheduler.start()
        executor = scheduler._executors["default"]
        executor.submit_job(jobs["cancelled"], [datetime.now(timezone.utc)])
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()
        await asyncio.sleep(0.01)
        executor.submit_job(jobs["later"], [datetime.now(timezone.utc)])
        assert await wait_async(lambda: ran == ["later"], 2)
        assert executor._instances == {}
        scheduler.shutdown()

    with captured_logs() as logs:
        run(main)
    assert [r.getMessage() for r in logs.records if r.levelno >= logging.ERROR] == [
        "Error running job cancelled"
    ]


def test_a_subclass_reporting_runs_itself_sees_every_run(lib: str) -> None:
    executors = importlib.import_module(f"{lib}.executors.asyncio")
    reported: list[str] = []

    class Reporting(executors.AsyncIOExecutor):  # type: ignore[misc, name-defined]
        def _run_job_success(self, job_id: str, events: list[Any]) -> None:
            reported.append(job_id)
            super()._run_job_success(job_id, events)

    async def job() -> None:
        pass

    async def main(schedulers: list[Any]) -> None:
        scheduler = new_scheduler(lib, executors={"default": Reporting()})
        schedulers.append(scheduler)
        add_due_jobs(scheduler, *((job, f"job-{n}") for n in range(5)))
        scheduler.start()
        assert await wait_async(lambda: len(reported) == 5, 3)
        scheduler.shutdown()

    run(main)
    assert reported == [f"{n}-job-{n}" for n in range(5)]
