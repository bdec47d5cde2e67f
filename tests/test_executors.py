"""Executor base, run_job and DebugExecutor against apscheduler 3.11.3."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import apscheduler.executors.base as ref_base
import apscheduler.executors.debug as ref_debug
import pytest

import apscheduler_rs.executors.base as our_base
import apscheduler_rs.executors.debug as our_debug

LIBS = {"ours": (our_base, our_debug), "ref": (ref_base, ref_debug)}


class FakeJob:
    def __init__(self, func: Any, misfire_grace_time: int | None = 5, max_instances: int = 1):
        self.id = "job-1"
        self.func = func
        self.args = (2,)
        self.kwargs = {"factor": 10}
        self.misfire_grace_time = misfire_grace_time
        self.max_instances = max_instances
        self._jobstore_alias = "default"

    def __str__(self) -> str:
        return "job-1 (trigger: test)"


def multiply(value: int, factor: int) -> int:
    return value * factor


def explode(value: int, factor: int) -> int:
    raise ZeroDivisionError("no")


async def multiply_later(value: int, factor: int) -> int:
    await asyncio.sleep(0)
    return value * factor


def describe(events: list[Any]) -> list[tuple]:
    return [
        (
            type(e).__name__,
            e.code,
            e.job_id,
            e.jobstore,
            e.scheduled_run_time,
            e.retval,
            type(e.exception).__name__ if e.exception else None,
            "ZeroDivisionError" in "".join(e.traceback or "") or e.traceback is None,
        )
        for e in events
    ]


def run_times() -> list[datetime]:
    now = datetime.now(timezone.utc)
    return [now - timedelta(minutes=10), now - timedelta(seconds=1)]


def log_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    lines = []
    for record in caplog.records:
        message = record.getMessage()
        if "was missed by" in message:
            message = message.split(" by ")[0]  # the lateness itself differs by microseconds
        lines.append((record.levelname, message.replace(str(record.args), "")))
    caplog.clear()
    return lines


@pytest.mark.parametrize("func", [multiply, explode], ids=["returns", "raises"])
@pytest.mark.parametrize("grace", [5, None], ids=["grace 5s", "no grace limit"])
def test_run_job_matches_the_reference(func: Any, grace: int | None, caplog) -> None:
    caplog.set_level(logging.INFO, logger="test.executor")
    times = run_times()
    results = {}
    for lib, (base, _) in LIBS.items():
        events = base.run_job(FakeJob(func, grace), "default", times, "test.executor")
        results[lib] = (describe(events), log_lines(caplog))
    assert results["ours"] == results["ref"]
    codes = [event[1] for event in results["ours"][0]]
    expected_last = our_base.EVENT_JOB_EXECUTED if func is multiply else our_base.EVENT_JOB_ERROR
    assert codes[-1] == expected_last
    assert (codes[0] == our_base.EVENT_JOB_MISSED) == (grace is not None)


def test_missed_run_warning_text(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="test.executor")
    our_base.run_job(FakeJob(multiply), "default", run_times()[:1], "test.executor")
    (record,) = caplog.records
    assert record.getMessage().startswith(
        'Run time of job "job-1 (trigger: test)" was missed by 0:10:'
    )


def test_run_coroutine_job_matches_the_reference() -> None:
    times = run_times()
    ours = asyncio.run(our_base.run_coroutine_job(FakeJob(multiply_later), "x", times, "t"))
    ref = asyncio.run(ref_base.run_coroutine_job(FakeJob(multiply_later), "x", times, "t"))
    assert describe(ours) == describe(ref)
    assert [e.retval for e in ours] == [None, 20]


class FakeScheduler:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def _create_lock(self) -> Any:
        return threading.RLock()

    def _dispatch_event(self, event: Any) -> None:
        self.events.append(event)


def test_debug_executor_runs_at_once_and_dispatches() -> None:
    seen = {}
    for lib, (_, debug) in LIBS.items():
        scheduler, executor = FakeScheduler(), debug.DebugExecutor()
        executor.start(scheduler, "debug")
        executor.submit_job(FakeJob(multiply), run_times()[1:])
        assert [(e.code, e.retval) for e in scheduler.events] == [(4096, 20)]
        # The run ends inside submit_job, before its count goes up: 3.11.3 leaves
        # a zero count behind, and so do we.
        seen[lib] = dict(executor._instances)
    assert seen["ours"] == seen["ref"] == {"job-1": 0}


def test_max_instances_matches_the_reference() -> None:
    outcomes = {}
    for lib, (base, _) in LIBS.items():

        class Holding(base.BaseExecutor):  # type: ignore[name-defined, misc]
            def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
                pass  # never finishes: instances stay in progress

        executor = Holding()
        executor.start(FakeScheduler(), "pool")
        job = FakeJob(multiply, max_instances=2)
        executor.submit_job(job, [])
        executor.submit_job(job, [])
        with pytest.raises(base.MaxInstancesReachedError) as refused:
            executor.submit_job(job, [])
        executor._run_job_success(job.id, [])
        executor.submit_job(job, [])  # a slot is free again
        outcomes[lib] = (str(refused.value), dict(executor._instances))
    assert outcomes["ours"] == outcomes["ref"]
    assert (
        outcomes["ours"][0]
        == 'Job "job-1" has already reached its maximum number of instances (2)'
    )


def test_unstarted_executor_refuses_jobs() -> None:
    with pytest.raises(AssertionError, match="not been started"):
        our_debug.DebugExecutor().submit_job(FakeJob(multiply), [])
