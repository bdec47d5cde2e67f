"""TwistedExecutor: jobs run in the Twisted reactor's thread pool."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from apscheduler_rs.executors.base import BaseExecutor, run_job

__all__ = ("TwistedExecutor",)


class TwistedExecutor(BaseExecutor):
    """Runs jobs in the reactor's thread pool (``reactor.getThreadPool()``), the
    pool ``deferToThread`` uses. The reactor is the scheduler's (its ``reactor``
    option). As with APScheduler, a run's events are dispatched from the pool
    thread that ran it, and ``shutdown(wait=True)`` does not wait: the reactor
    stops its pool when it stops.

    Plugin alias: ``twisted``
    """

    _reactor: Any = None

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        reactor = getattr(scheduler, "_reactor", None)
        if reactor is None:
            # not a TwistedScheduler: use the global reactor
            from twisted.internet import reactor
        self._reactor = reactor

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        self._reactor.getThreadPool().callInThreadWithCallback(
            partial(self._job_done, job.id),
            run_job,
            job,
            job._jobstore_alias,
            run_times,
            self._logger.name,
        )

    def _job_done(self, job_id: str, success: bool, result: Any) -> None:
        # called in the pool thread; result is run_job's events or a Failure
        if success:
            self._run_job_success(job_id, result)
        else:
            self._run_job_error(job_id, result.value, result.tb)
