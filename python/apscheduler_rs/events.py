"""Scheduler events: the codes listeners subscribe to and the objects they get.

Codes are bit flags, so listeners can take several with ``|``; the values are
APScheduler 3's, so masks written for it keep working.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = (
    "EVENT_ALL",
    "EVENT_ALL_JOBS_REMOVED",
    "EVENT_EXECUTOR_ADDED",
    "EVENT_EXECUTOR_REMOVED",
    "EVENT_JOBSTORE_ADDED",
    "EVENT_JOBSTORE_REMOVED",
    "EVENT_JOB_ADDED",
    "EVENT_JOB_ERROR",
    "EVENT_JOB_EXECUTED",
    "EVENT_JOB_MAX_INSTANCES",
    "EVENT_JOB_MISSED",
    "EVENT_JOB_MODIFIED",
    "EVENT_JOB_REMOVED",
    "EVENT_JOB_SUBMITTED",
    "EVENT_SCHEDULER_PAUSED",
    "EVENT_SCHEDULER_RESUMED",
    "EVENT_SCHEDULER_SHUTDOWN",
    "EVENT_SCHEDULER_STARTED",
    "JobEvent",
    "JobExecutionEvent",
    "JobSubmissionEvent",
    "SchedulerEvent",
)

EVENT_SCHEDULER_STARTED = EVENT_SCHEDULER_START = 1 << 0
EVENT_SCHEDULER_SHUTDOWN = 1 << 1
EVENT_SCHEDULER_PAUSED = 1 << 2
EVENT_SCHEDULER_RESUMED = 1 << 3
EVENT_EXECUTOR_ADDED = 1 << 4
EVENT_EXECUTOR_REMOVED = 1 << 5
EVENT_JOBSTORE_ADDED = 1 << 6
EVENT_JOBSTORE_REMOVED = 1 << 7
EVENT_ALL_JOBS_REMOVED = 1 << 8
EVENT_JOB_ADDED = 1 << 9
EVENT_JOB_REMOVED = 1 << 10
EVENT_JOB_MODIFIED = 1 << 11
EVENT_JOB_EXECUTED = 1 << 12
EVENT_JOB_ERROR = 1 << 13
EVENT_JOB_MISSED = 1 << 14
EVENT_JOB_SUBMITTED = 1 << 15
EVENT_JOB_MAX_INSTANCES = 1 << 16
#: every code above
EVENT_ALL = (1 << 17) - 1


class SchedulerEvent:
    """Something happened to the scheduler: ``code`` says what; ``alias`` names
    the job store or executor added or removed, when that is what happened."""

    def __init__(self, code: int, alias: str | None = None) -> None:
        self.code = code
        self.alias = alias

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (code={self.code})>"


class JobEvent(SchedulerEvent):
    """Something happened to job ``job_id`` in job store ``jobstore``."""

    def __init__(self, code: int, job_id: str, jobstore: str | None) -> None:
        super().__init__(code)
        self.job_id = job_id
        self.jobstore = jobstore


class JobSubmissionEvent(JobEvent):
    """A job was handed to its executor (or could not be) for the run times in
    ``scheduled_run_times``."""

    def __init__(
        self,
        code: int,
        job_id: str,
        jobstore: str | None,
        scheduled_run_times: list[datetime],
    ) -> None:
        super().__init__(code, job_id, jobstore)
        self.scheduled_run_times = scheduled_run_times


class JobExecutionEvent(JobEvent):
    """A run of a job (due at ``scheduled_run_time``) ended: with ``retval``, or
    with ``exception`` and its formatted ``traceback``, or was missed."""

    def __init__(
        self,
        code: int,
        job_id: str,
        jobstore: str | None,
        scheduled_run_time: datetime,
        retval: Any = None,
        exception: BaseException | None = None,
        traceback: str | None = None,
    ) -> None:
        super().__init__(code, job_id, jobstore)
        self.scheduled_run_time = scheduled_run_time
        self.retval = retval
        self.exception = exception
        self.traceback = traceback
