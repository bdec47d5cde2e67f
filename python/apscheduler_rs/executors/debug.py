"""An executor that runs jobs right away, in the scheduler's own thread."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from apscheduler_rs.executors.base import BaseExecutor, run_job

__all__ = ("DebugExecutor",)


class DebugExecutor(BaseExecutor):
    """Runs each job directly when it is submitted, without a thread or process:
    for debugging and tests.

    Plugin alias: ``debug``
    """

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        try:
            events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
        except BaseException:
            self._run_job_error(job.id, *sys.exc_info()[1:])
        else:
            self._run_job_success(job.id, events)
