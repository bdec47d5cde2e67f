"""AsyncIOScheduler and AsyncIOExecutor on real asyncio loops.

Tests marked with the ``lib`` fixture run on APScheduler 3.11.3 as well as on
apscheduler_rs: they pin down behaviour both must share. The differential test
runs one job script on both and compares events, log messages and where each
job ran."""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import sys
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import pytest

from ._asyncio_loop_cases import (
    check_date_interval_and_cron_jobs_fire_on_time,
    check_failing_job_is_logged_reported_and_the_scheduler_goes_on,
    check_job_added_from_another_thread_runs_promptly,
    run,
)
from ._common_aio_tornado_qt import (
    LIBS,
    Runs,
    Script,
    assert_same_traces,
    captured_logs,
    new_threads,
    run_script,
    wait_async,
)


@pytest.fixture(params=LIBS)
def lib(request: pytest.FixtureRequest) -> str:
    return request.param


def scheduler_class(lib: str) -> Any:
    return importlib.import_module(f"{lib}.schedulers.asyncio").AsyncIOScheduler


@pytest.fixture
def threads_before() -> Iterator[set[threading.Thread]]:
    """The threads alive before the test; the test must leave no others."""
    before = set(threading.enumerate())
    yield before
    assert new_threads(before) == []


@pytest.fixture
def fresh_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop that is not running; closed (with its default executor) afterwards."""
    loop = asyncio.new_event_loop()
    yield loop
    if not loop.is_closed():
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


# ---------------------------------------------------------------------------------------
# Differential: one job script on 3.11.3 and on apscheduler_rs
# ---------------------------------------------------------------------------------------


def drive_asyncio(script: Script) -> None:
    cls = scheduler_class(script.lib)

    async def main(schedulers: list[Any]) -> None:
        scheduler = cls(timezone="UTC")
        schedulers.append(scheduler)
        script.add_jobs(scheduler)
        scheduler.start()
        script.after_start(scheduler)
        assert await wait_async(script.finished, 8)
        scheduler.remove_all_jobs()
        scheduler.shutdown()
        assert await wait_async(lambda: not scheduler.running, 2)

    run(main)


def test_same_events_logs_and_threads_as_3_11_3(threads_before: set[threading.Thread]) -> None:
    traces = {
        lib: run_script(lib, drive_asyncio, coroutine_job=True, thread_add=True) for lib in LIBS
    }
    assert_same_traces(traces)
    ours = traces["apscheduler_rs"]
    # coroutine jobs on the loop's thread, the others in its default executor
    assert ours.runs == {
        ("date", False): 1,
        ("interval", False): Script.INTERVAL_FIRES,
        ("cron", False): 1,
        ("failing", False): 1,
        ("coro", True): Script.CORO_FIRES,
        ("thread", False): 1,
    }
    assert ours.logs[("apscheduler.scheduler", "INFO", "Scheduler has been shut down")] == 1


# ---------------------------------------------------------------------------------------
# Jobs fire on time
# ---------------------------------------------------------------------------------------


def test_date_interval_and_cron_jobs_fire_on_time(lib: str) -> None:
    check_date_interval_and_cron_jobs_fire_on_time(scheduler_class(lib))


# ---------------------------------------------------------------------------------------
# Wakeups from other threads, failing jobs
# ---------------------------------------------------------------------------------------


def test_job_added_from_another_thread_runs_promptly(lib: str) -> None:
    check_job_added_from_another_thread_runs_promptly(scheduler_class(lib))


def test_failing_job_is_logged_reported_and_the_scheduler_goes_on(lib: str) -> None:
    check_failing_job_is_logged_reported_and_the_scheduler_goes_on(scheduler_class(lib))


# ---------------------------------------------------------------------------------------
# Where jobs run
# ---------------------------------------------------------------------------------------


def test_coroutine_jobs_run_on_the_loop_and_others_in_its_default_executor(lib: str) -> None:
    runs = Runs()

    async def coro_job(name: str) -> None:
        await asyncio.sleep(0)
        runs.record(name)

    loops: list[asyncio.AbstractEventLoop] = []

    async def main(schedulers: list[Any]) -> None:
        loops.append(asyncio.get_running_loop())
        scheduler = scheduler_class(lib)(timezone="UTC")
        schedulers.append(scheduler)
        scheduler.add_job(coro_job, args=["coro"])
        scheduler.add_job(functools.partial(coro_job, "partial"))
        scheduler.add_job(runs.record, args=["plain"])
        scheduler.start()
        assert await wait_async(lambda: sum(map(runs.count, ("coro", "partial", "plain"))) == 3, 3)
        scheduler.shutdown()

    run(main)
    for name in ("coro", "partial"):
        (_, _, thread, loop) = runs.of(name)[0]
        assert thread is threading.main_thread() and loop is loops[0]
    (_, _, thread, loop) = runs.of("plain")[0]
    assert thread is not threading.main_thread() and loop is None
    assert thread.name.startswith("asyncio_")  # the loop's default executor


def test_executor_alias_and_class(lib: str) -> None:
    executors = importlib.import_module(f"{lib}.executors.asyncio")

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(lib)(executors={"other": {"type": "asyncio"}})
        schedulers.append(scheduler)
        scheduler.start()
        assert type(scheduler._executors["default"]) is executors.AsyncIOExecutor
        assert type(scheduler._executors["other"]) is executors.AsyncIOExecutor
        assert scheduler._executors["other"]._eventloop is asyncio.get_running_loop()
        scheduler.shutdown()

    run(main)


# ---------------------------------------------------------------------------------------
# start(): inside a running loop, outside it, event_loop=
# ---------------------------------------------------------------------------------------


def test_start_inside_a_running_loop_uses_it(lib: str) -> None:
    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(lib)()
        schedulers.append(scheduler)
        scheduler.start()
        assert scheduler._eventloop is asyncio.get_running_loop()
        scheduler.shutdown()
        await asyncio.sleep(0)
        assert scheduler._eventloop is None

    run(main)


def test_start_outside_a_running_loop_without_event_loop_raises(lib: str) -> None:
    scheduler = scheduler_class(lib)()
    with pytest.raises(RuntimeError, match="no running event loop"):
        scheduler.start()
    assert not scheduler.running


def test_start_outside_then_run_the_given_event_loop(
    lib: str, fresh_loop: asyncio.AbstractEventLoop
) -> None:
    runs = Runs()

    async def coro_job() -> None:
        runs.record("coro")

    scheduler = scheduler_class(lib)(event_loop=fresh_loop, timezone="UTC")
    scheduler.add_job(coro_job)
    scheduler.add_job(runs.record, "interval", seconds=0.1, args=["plain"])
    scheduler.start()
    assert scheduler.running and scheduler._eventloop is fresh_loop
    time.sleep(0.15)
    assert runs.count("coro") == 0  # nothing runs until the loop does

    async def until_done() -> None:
        assert await wait_async(lambda: runs.count("coro") == 1 and runs.count("plain") >= 2, 3)
        scheduler.shutdown()
        await asyncio.sleep(0)

    fresh_loop.run_until_complete(until_done())
    assert not scheduler.running
    assert runs.of("coro")[0][3] is fresh_loop


def test_event_loop_option_accepts_a_reference(
    lib: str, fresh_loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = types.ModuleType("loop_holder_for_test")
    holder.loop = fresh_loop  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, holder.__name__, holder)
    scheduler = scheduler_class(lib)(event_loop=f"{holder.__name__}:loop")
    assert scheduler._eventloop is fresh_loop


def test_configured_loop_that_is_closed_is_replaced_by_the_running_one(lib: str) -> None:
    closed = asyncio.new_event_loop()
    closed.close()

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(lib)(event_loop=closed)
        schedulers.append(scheduler)
        scheduler.start()
        assert scheduler._eventloop is asyncio.get_running_loop()
        scheduler.shutdown()

    run(main)


# ---------------------------------------------------------------------------------------
# shutdown()
# ---------------------------------------------------------------------------------------


def test_shutdown_cancels_the_timer_and_running_coroutines_and_leaves_no_threads(
    lib: str, threads_before: set[threading.Thread]
) -> None:
    async def main(schedulers: list[Any]) -> None:
        began = asyncio.Event()

        async def long_job() -> None:
            began.set()
            await asyncio.sleep(30)

        scheduler = scheduler_class(lib)()
        schedulers.append(scheduler)
        scheduler.add_job(long_job)
        scheduler.add_job(time.sleep, "interval", hours=1, args=[0])
        scheduler.start()
        await asyncio.wait_for(began.wait(), 3)
        assert scheduler._timeout is not None
        scheduler.shutdown()
        # 3.11.3 applies the shutdown on the loop: still running until it runs
        assert scheduler.running
        await asyncio.sleep(0)
        assert not scheduler.running
        assert scheduler._timeout is None
        await asyncio.sleep(0.01)
        assert asyncio.all_tasks() == {asyncio.current_task()}

    with captured_logs() as logs:
        run(main)
    # the cancelled coroutine job is reported as a job that raised CancelledError
    (record,) = [r for r in logs.records if r.levelno == logging.ERROR]
    assert record.getMessage().endswith("raised an exception")
    assert record.exc_info and record.exc_info[0] is asyncio.CancelledError


def test_shutdown_from_another_thread(lib: str) -> None:
    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(lib)()
        schedulers.append(scheduler)
        scheduler.add_job(time.sleep, "interval", hours=1, args=[0])
        scheduler.start()
        await asyncio.sleep(0.01)
        thread = threading.Thread(target=scheduler.shutdown)
        thread.start()
        assert await wait_async(lambda: not scheduler.running, 2)
        thread.join()
        assert scheduler._timeout is None

    run(main)


def test_shutdown_when_stopped_raises(lib: str) -> None:
    exc_module = importlib.import_module(f"{lib}.schedulers")
    with pytest.raises(exc_module.SchedulerNotRunningError):
        scheduler_class(lib)().shutdown()


def test_restart_after_shutdown(lib: str) -> None:
    runs = Runs()

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(lib)()
        schedulers.append(scheduler)
        scheduler.start()
        scheduler.shutdown()
        assert await wait_async(lambda: not scheduler.running, 2)
        scheduler.start()
        scheduler.add_job(runs.record, args=["again"])
        assert await wait_async(lambda: runs.count("again") == 1, 3)
        scheduler.shutdown()

    run(main)


def test_timer_calls_an_overridden_wakeup(lib: str) -> None:
    runs = Runs()
    woken: list[float] = []

    class Hooked(scheduler_class(lib)):  # type: ignore[misc]
        def wakeup(self) -> None:
            woken.append(time.monotonic())
            super().wakeup()

    async def main(schedulers: list[Any]) -> None:
        scheduler = Hooked()
        schedulers.append(scheduler)
        scheduler.add_job(runs.record, "interval", seconds=0.05, args=["tick"])
        scheduler.start()
        assert await wait_async(lambda: runs.count("tick") >= 3, 3)
        scheduler.shutdown()

    run(main)
    # the timer fired once per run at least (add_job and start() need none)
    assert len(woken) >= 3


def test_timer_runs_due_jobs_without_a_detour_through_the_loop() -> None:
    """Our timer runs the due-job step itself; 3.11.3's calls wakeup(), which
    queues the step with call_soon_threadsafe: an extra loop iteration."""
    runs = Runs()
    queued: list[Any] = []

    async def main(schedulers: list[Any]) -> None:
        loop = asyncio.get_running_loop()
        call_soon_threadsafe = loop.call_soon_threadsafe

        def counted(callback: Any, *args: Any, **kwargs: Any) -> Any:
            # run_in_executor() futures of the job's runs come back this way too
            if getattr(getattr(callback, "func", None), "__name__", None) == "wakeup":
                queued.append(callback)
            return call_soon_threadsafe(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        scheduler = scheduler_class("apscheduler_rs")()
        schedulers.append(scheduler)
        scheduler.add_job(runs.record, "interval", seconds=0.05, args=["tick"])
        scheduler.start()  # its wakeup() is queued, as in 3.11.3
        assert await wait_async(lambda: runs.count("tick") >= 4, 3)
        assert len(queued) == 1
        scheduler.shutdown()

    run(main)


def test_wakeup_queued_behind_shutdown_does_nothing() -> None:
    """3.11.3 would process jobs on the stopped scheduler, then fail on its
    forgotten loop; we skip such a wakeup."""
    runs = Runs()
    loop_errors: list[dict[str, Any]] = []

    async def main(schedulers: list[Any]) -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: loop_errors.append(ctx))
        scheduler = scheduler_class("apscheduler_rs")()
        schedulers.append(scheduler)
        scheduler.add_job(runs.record, "interval", hours=1, args=["hourly"])
        scheduler.start()
        await asyncio.sleep(0.01)
        scheduler.shutdown()
        scheduler.add_job(runs.record, args=["late"])  # still running: queues a wakeup
        await asyncio.sleep(0.05)
        assert not scheduler.running and scheduler._timeout is None

    run(main)
    assert loop_errors == []
    assert runs.count("late") == 0


def test_store_failure_is_retried(caplog: pytest.LogCaptureFixture) -> None:
    """A failing job store does not stop the timer chain (as in our
    BlockingScheduler; 3.11.3 would stall until the next wakeup)."""
    from apscheduler_rs.jobstores.memory import MemoryJobStore

    runs = Runs()
    failures = [1]

    class FlakyStore(MemoryJobStore):
        def get_next_run_time(self) -> Any:
            if failures:
                failures.pop()
                raise OSError("store down")
            return super().get_next_run_time()

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class("apscheduler_rs")(jobstore_retry_interval=0.1)
        schedulers.append(scheduler)
        scheduler.add_jobstore(FlakyStore(), "default")
        scheduler.add_job(runs.record, "interval", seconds=0.05, args=["tick"])
        scheduler.start()
        assert await wait_async(lambda: runs.count("tick") >= 2, 3)
        scheduler.shutdown()

    with captured_logs() as logs:
        run(main)
    assert "Error processing jobs; retrying in 0.1 seconds" in logs.messages(logging.ERROR)
