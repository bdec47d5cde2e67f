"""TornadoExecutor: coroutine-function jobs run on the scheduler's IOLoop, other
jobs on a pool of worker threads."""

from __future__ import annotations

import threading
from datetime import datetime
from functools import partial
from typing import Any

from tornado.gen import convert_yielded

from apscheduler_rs._core import ThreadPoolCore
from apscheduler_rs.executors.base import BaseExecutor, run_coroutine_job, run_job
from apscheduler_rs.executors.pool import _pool_numbers
from apscheduler_rs.util import iscoroutinefunction_partial

__all__ = ("TornadoExecutor",)


class TornadoExecutor(BaseExecutor):
    """Runs ``async def`` jobs (also behind :func:`functools.partial`) directly on
    the scheduler's IOLoop, and every other job on worker threads (Rust threads,
    started as needed up to ``max_workers``, named like
    :class:`concurrent.futures.ThreadPoolExecutor`'s).

    It takes the loop from the scheduler's ``_ioloop`` when started, so it
    belongs with :class:`~apscheduler_rs.schedulers.tornado.TornadoScheduler`.

    Plugin alias: ``tornado``

    :param max_workers: the most worker threads to run at once
    """

    _ioloop: Any = None

    def __init__(self, max_workers: int = 10) -> None:
        super().__init__()
        self._max_workers = int(max_workers)
        self.executor = self._new_pool()
        self._pool_shut_down = False

    def _new_pool(self) -> ThreadPoolCore:
        return ThreadPoolCore(
            self._max_workers,
            f"ThreadPoolExecutor-{next(_pool_numbers)}",
            None,
            (),
            threading.stack_size(),
        )

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self._ioloop = scheduler._ioloop
        if self._pool_shut_down:
            # Started again after a shutdown (the scheduler was restarted).
            self.executor = self._new_pool()
            self._pool_shut_down = False

    def shutdown(self, wait: bool = True) -> None:
        """Let the worker threads exit once they have run what was submitted.
        This never blocks (the scheduler calls it on the IOLoop, which running
        jobs may need), and coroutine jobs go on, as with APScheduler 3.11.3."""
        self._pool_shut_down = True
        self.executor.shutdown(False)

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        if not iscoroutinefunction_partial(job.func):
            # A worker passes run_job's result to _run_job_success/_run_job_error.
            self.executor.submit(
                run_job, (job, job._jobstore_alias, run_times, self._logger.name), self, job.id
            )
            return

        future = convert_yielded(
            run_coroutine_job(job, job._jobstore_alias, run_times, self._logger.name)
        )
        # runs on the IOLoop when the coroutine job ends
        future.add_done_callback(partial(self._report_future, job.id))
