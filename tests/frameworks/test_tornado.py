"""TornadoScheduler and TornadoExecutor on real Tornado IOLoops (asyncio-based).

Tests taking the ``lib`` fixture run on APScheduler 3.11.3 as well as on
apscheduler_rs; the differential test runs one job script on both and compares
events, log messages and where each job ran. The ImportError test hides tornado
from a fresh interpreter and compares the messages of both libraries."""

from __future__ import annotations

import asyncio
import functools
import importlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from _require import require  # noqa: E402

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
    import_error_when_missing,
    new_threads,
    run_script,
    wait_async,
)

require("tornado")
from tornado.ioloop import IOLoop  # noqa: E402


@pytest.fixture(params=LIBS)
def lib(request: pytest.FixtureRequest) -> str:
    return request.param


def scheduler_class(lib: str) -> Any:
    return importlib.import_module(f"{lib}.schedulers.tornado").TornadoScheduler


@pytest.fixture
def threads_before() -> Iterator[set[threading.Thread]]:
    """The threads alive before the test; the test must leave no others."""
    before = set(threading.enumerate())
    yield before
    assert new_threads(before) == []


# ---------------------------------------------------------------------------------------
# Differential: one job script on 3.11.3 and on apscheduler_rs
# ---------------------------------------------------------------------------------------


def drive_tornado(script: Script) -> None:
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


def test_same_events_logs_and_threads_as_3_11_3() -> None:
    traces = {
        lib: run_script(lib, drive_tornado, coroutine_job=True, thread_add=True) for lib in LIBS
    }
    assert_same_traces(traces)
    assert traces["apscheduler_rs"].runs == {
        ("date", False): 1,
        ("interval", False): Script.INTERVAL_FIRES,
        ("cron", False): 1,
        ("failing", False): 1,
        ("coro", True): Script.CORO_FIRES,
        ("thread", False): 1,
    }


# ---------------------------------------------------------------------------------------
# Jobs fire on time; wakeups from other threads; failing jobs
# ---------------------------------------------------------------------------------------


def test_date_interval_and_cron_jobs_fire_on_time(lib: str) -> None:
    check_date_interval_and_cron_jobs_fire_on_time(scheduler_class(lib))


def test_job_added_from_another_thread_runs_promptly(lib: str) -> None:
    check_job_added_from_another_thread_runs_promptly(scheduler_class(lib))


def test_failing_job_is_logged_reported_and_the_scheduler_goes_on(lib: str) -> None:
    check_failing_job_is_logged_reported_and_the_scheduler_goes_on(scheduler_class(lib))


# ---------------------------------------------------------------------------------------
# Where jobs run; options
# ---------------------------------------------------------------------------------------


def test_coroutine_jobs_run_on_the_ioloop_and_others_in_the_thread_pool(lib: str) -> None:
    runs = Runs()

    async def coro_job(name: str) -> None:
        await asyncio.sleep(0)
        runs.record(name)

    loops: list[asyncio.AbstractEventLoop] = []

    async def main(schedulers: list[Any]) -> None:
        loops.append(asyncio.get_running_loop())
        scheduler = scheduler_class(lib)(timezone="UTC")
        schedulers.append(scheduler)
        assert scheduler._ioloop is IOLoop.current()
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
    # named as concurrent.futures names its workers
    assert thread.name.startswith("ThreadPoolExecutor-") and thread.name.endswith("_0")


def test_io_loop_option(lib: str) -> None:
    """An explicit IOLoop, not the current one, run from this thread."""
    runs = Runs()
    io_loop = IOLoop(make_current=False)
    try:
        scheduler = scheduler_class(lib)(io_loop=io_loop, timezone="UTC")
        assert scheduler._ioloop is io_loop

        async def coro_job() -> None:
            runs.record("coro")

        scheduler.add_job(coro_job)
        scheduler.add_job(runs.record, "interval", seconds=0.1, args=["plain"])
        scheduler.start()

        async def until_done() -> None:
            assert await wait_async(lambda: runs.count("coro") and runs.count("plain") >= 2, 3)
            scheduler.shutdown()
            await asyncio.sleep(0)

        io_loop.run_sync(until_done, timeout=5)
        assert not scheduler.running
        assert runs.of("coro")[0][3] is io_loop.asyncio_loop  # type: ignore[attr-defined]
    finally:
        io_loop.close(all_fds=True)


def test_executor_alias_class_and_max_workers(lib: str) -> None:
    executors = importlib.import_module(f"{lib}.executors.tornado")

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(lib)(
            executors={"other": {"type": "tornado", "max_workers": 3}}
        )
        schedulers.append(scheduler)
        scheduler.start()
        assert type(scheduler._executors["default"]) is executors.TornadoExecutor
        other = scheduler._executors["other"]
        assert type(other) is executors.TornadoExecutor
        assert other._ioloop is scheduler._ioloop
        assert other.executor._max_workers == 3
        scheduler.shutdown()

    run(main)


# ---------------------------------------------------------------------------------------
# shutdown()
# ---------------------------------------------------------------------------------------


def test_shutdown_removes_the_timeout_and_leaves_no_threads(
    threads_before: set[threading.Thread],
) -> None:
    """3.11.3 leaves its idle pool threads behind until the interpreter exits."""
    runs = Runs()

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class("apscheduler_rs")()
        schedulers.append(scheduler)
        scheduler.add_job(runs.record, "interval", hours=1, args=["hourly"])
        scheduler.add_job(runs.record, args=["now"])
        scheduler.start()
        assert await wait_async(lambda: runs.count("now") == 1, 3)
        assert scheduler._timeout is not None
        scheduler.shutdown()
        assert scheduler.running  # applied on the IOLoop, as in 3.11.3
        await asyncio.sleep(0)
        assert not scheduler.running
        assert scheduler._timeout is None
        assert asyncio.all_tasks() == {asyncio.current_task()}

    run(main)


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


def test_restart_after_shutdown_runs_thread_jobs_again(lib: str) -> None:
    runs = Runs()

    async def main(schedulers: list[Any]) -> None:
        scheduler = scheduler_class(lib)()
        schedulers.append(scheduler)
        scheduler.add_job(runs.record, args=["first"])
        scheduler.start()
        assert await wait_async(lambda: runs.count("first") == 1, 3)
        scheduler.shutdown()
        assert await wait_async(lambda: not scheduler.running, 2)
        scheduler.start()
        scheduler.add_job(runs.record, args=["again"])
        assert await wait_async(lambda: runs.count("again") == 1, 3)
        scheduler.shutdown()

    run(main)


def test_shutdown_when_stopped_raises(lib: str) -> None:
    exc_module = importlib.import_module(f"{lib}.schedulers")
    io_loop = IOLoop(make_current=False)
    try:
        with pytest.raises(exc_module.SchedulerNotRunningError):
            scheduler_class(lib)(io_loop=io_loop).shutdown()
    finally:
        io_loop.close()


# ---------------------------------------------------------------------------------------
# Tornado missing
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["schedulers.tornado", "executors.tornado"])
def test_import_error_without_tornado_matches_3_11_3(module: str) -> None:
    ref = import_error_when_missing(f"apscheduler.{module}", ["tornado"])
    ours = import_error_when_missing(f"apscheduler_rs.{module}", ["tornado"])
    assert ours == ref
    if module == "schedulers.tornado":
        assert ours.splitlines()[0] == "ImportError('TornadoScheduler requires tornado installed')"
    else:
        assert "tornado" in ours.splitlines()[0]
