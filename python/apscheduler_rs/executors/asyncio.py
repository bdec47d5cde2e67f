"""AsyncIOExecutor: coroutine-function jobs run as tasks on the scheduler's event
loop, other jobs in that loop's default executor."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from apscheduler_rs.executors.base import BaseExecutor, run_coroutine_job_for, run_job_for
from apscheduler_rs.util import iscoroutinefunction_partial

__all__ = ("AsyncIOExecutor",)


class AsyncIOExecutor(BaseExecutor):
    """Runs ``async def`` jobs (also behind :func:`functools.partial`) directly on
    the scheduler's event loop, and every other job with the loop's
    ``run_in_executor(None, ...)``: its default executor, usually a thread pool.

    It takes the loop from the scheduler's ``_eventloop`` when started, so it
    belongs with :class:`~apscheduler_rs.schedulers.asyncio.AsyncIOScheduler`.

    Plugin alias: ``asyncio``
    """

    _eventloop: asyncio.AbstractEventLoop | None = None

    def __init__(self) -> None:
        super().__init__()
        self._pending_futures: set[asyncio.Future[Any]] = set()

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self._eventloop = scheduler._eventloop
        self._pending_futures = set()

    def shutdown(self, wait: bool = True) -> None:
        """Cancel the runs still in progress. ``wait`` cannot be honoured: waiting
        would block the very loop the runs need."""
        for future in self._pending_futures:
            if not future.done():
                future.cancel()
        self._pending_futures.clear()

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        assert self._eventloop is not None, "This executor has not been started yet"

        def report(future: asyncio.Future[Any]) -> None:
            # Runs on the loop when the run ends (or is cancelled by shutdown()).
            self._pending_futures.discard(future)
            self._report_future(job.id, future)

        future: asyncio.Future[Any]
        # only the events the scheduler has takers for are made
        args = (job, job._jobstore_alias, run_times, self._logger.name, self._wanted_events())
        if iscoroutinefunction_partial(job.func):
            future = self._eventloop.create_task(run_coroutine_job_for(*args))
        else:
            future = self._eventloop.run_in_executor(None, run_job_for, *args)
        future.add_done_callback(report)
        self._pending_futures.add(future)
