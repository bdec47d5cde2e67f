"""Due runs done by the thread pool's workers themselves (when the run's logger
does not log INFO) against ``run_job_for`` in Python (when it does): the same
events, with the same return values, exceptions and traceback frames, and the
same warnings and errors logged. Also: the workers really skip the Python
function when they can."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import apscheduler_rs.executors.base as base_module
from apscheduler_rs.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler_rs.schedulers.background import BackgroundScheduler

UTC = timezone.utc
TIMEOUT = 10.0


def returns(value: Any) -> Any:
    return value


def fails(message: str) -> None:
    raise ValueError(message)


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Calls of ``_starts``: the Python path makes one per run, the workers'
    own path only for runs that are late."""
    calls: list[Any] = []
    original = base_module._starts

    def counted(*args: Any) -> Any:
        calls.append(args[2])
        return original(*args)

    import apscheduler_rs.executors.asyncio as asyncio_executors

    # the asyncio executor's Python path calls the name it imported
    for module in (base_module, asyncio_executors):
        monkeypatch.setattr(module, "_starts", counted)
    yield calls


def observe(level: int, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """Run three jobs (one returns, one raises, one is late) and collect what
    the listeners and the logs saw, with the executor's logger at ``level``."""
    scheduler = BackgroundScheduler(timezone=UTC)
    events: list[Any] = []
    done = threading.Event()

    def listen(event: Any) -> None:
        events.append(event)
        if len(events) == 3:
            done.set()

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    now = datetime.now(UTC)
    scheduler.add_job(returns, "date", run_date=now, args=[42], id="ok")
    scheduler.add_job(fails, "date", run_date=now, args=["boom"], id="err")
    scheduler.add_job(
        returns,
        "date",
        run_date=now - timedelta(seconds=30),
        args=[1],
        id="late",
        misfire_grace_time=5,
    )
    caplog.clear()
    executor_logger = logging.getLogger("apscheduler.executors.default")
    executor_logger.setLevel(level)
    try:
        with caplog.at_level(logging.WARNING, logger="apscheduler"):
            scheduler.resume()
            assert done.wait(TIMEOUT), events
    finally:
        executor_logger.setLevel(logging.NOTSET)
        scheduler.shutdown()
    return summary(events, caplog)


def summary(events: list[Any], caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """The runs' events and the executor's warnings and errors, comparably."""
    runs = sorted(
        (
            event.code,
            event.job_id,
            getattr(event, "retval", None),
            type(event.exception).__name__ if getattr(event, "exception", None) else None,
            "raise ValueError(message)" in (getattr(event, "traceback", None) or ""),
        )
        for event in events
    )
    logged = sorted(
        (record.levelname, record.getMessage().split(" (trigger")[0], record.exc_info is not None)
        for record in caplog.records
        if record.name == "apscheduler.executors.default" and record.levelno >= logging.WARNING
    )
    return {"runs": runs, "logged": logged}


def test_workers_runs_match_run_job_for(
    starts: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    native = observe(logging.WARNING, caplog)
    native_starts = len(starts)
    starts.clear()
    python = observe(logging.INFO, caplog)
    assert native == python
    assert native["runs"] == [
        (EVENT_JOB_EXECUTED, "ok", 42, None, False),
        (EVENT_JOB_ERROR, "err", None, "ValueError", True),
        (EVENT_JOB_MISSED, "late", None, None, False),
    ]
    assert [level for level, _, _ in native["logged"]] == ["ERROR", "WARNING"]
    # the workers' own path asked _starts only about the late run
    assert native_starts == 1 and len(starts) == 3


async def coroutine_returns(value: Any) -> Any:
    return value


async def coroutine_fails(message: str) -> None:
    raise ValueError(message)


async def coroutine_waits(value: Any) -> Any:
    import asyncio

    await asyncio.sleep(0)
    return value


def observe_coroutines(level: int, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """Coroutine jobs on an AsyncIOScheduler: one returns, one raises, one waits
    before returning, one is late."""
    import asyncio

    from apscheduler_rs.schedulers.asyncio import AsyncIOScheduler

    events: list[Any] = []

    async def main() -> None:
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_listener(
            events.append, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
        )
        now = datetime.now(UTC)
        scheduler.add_job(coroutine_returns, "date", run_date=now, args=[42], id="ok")
        scheduler.add_job(coroutine_fails, "date", run_date=now, args=["boom"], id="err")
        scheduler.add_job(coroutine_waits, "date", run_date=now, args=[7], id="waits")
        scheduler.add_job(
            coroutine_returns,
            "date",
            run_date=now - timedelta(seconds=30),
            args=[1],
            id="late",
            misfire_grace_time=5,
        )
        scheduler.start()
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while len(events) < 4:
            assert asyncio.get_running_loop().time() < deadline, events
            await asyncio.sleep(0.01)
        scheduler.shutdown()
        await asyncio.sleep(0)

    caplog.clear()
    executor_logger = logging.getLogger("apscheduler.executors.default")
    executor_logger.setLevel(level)
    try:
        with caplog.at_level(logging.WARNING, logger="apscheduler"):
            asyncio.run(main())
    finally:
        executor_logger.setLevel(logging.NOTSET)
    return summary(events, caplog)


def test_coroutine_runs_started_in_rust_match_start_runs(
    starts: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    native = observe_coroutines(logging.WARNING, caplog)
    native_starts = len(starts)
    starts.clear()
    python = observe_coroutines(logging.INFO, caplog)
    assert native == python
    assert native["runs"] == [
        (EVENT_JOB_EXECUTED, "ok", 42, None, False),
        (EVENT_JOB_EXECUTED, "waits", 7, None, False),
        (EVENT_JOB_ERROR, "err", None, "ValueError", True),
        (EVENT_JOB_MISSED, "late", None, None, False),
    ]
    assert native_starts == 1 and len(starts) == 4
