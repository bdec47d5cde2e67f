"""What every executor implements, and running one job's due runs."""

from __future__ import annotations

import logging
import sys
import traceback
from abc import ABCMeta, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from traceback import format_tb
from types import TracebackType
from typing import Any

from apscheduler_rs._core import JobCore
from apscheduler_rs.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)

__all__ = (
    "BaseExecutor",
    "MaxInstancesReachedError",
    "run_coroutine_job",
    "run_coroutine_job_for",
    "run_job",
    "run_job_for",
)


class MaxInstancesReachedError(Exception):
    """The job already has ``max_instances`` runs in progress."""

    def __init__(self, job: Any) -> None:
        super().__init__(
            f'Job "{job.id}" has already reached its maximum number of instances '
            f"({job.max_instances})"
        )


class BaseExecutor(metaclass=ABCMeta):
    """Base class of executors. Subclasses implement :meth:`_do_submit_job` and
    report each submission's end with :meth:`_run_job_success` or
    :meth:`_run_job_error`."""

    _scheduler: Any = None
    _lock: Any = None
    _logger = logging.getLogger("apscheduler.executors")

    def __init__(self) -> None:
        super().__init__()
        self._instances: defaultdict[str, int] = defaultdict(int)

    def start(self, scheduler: Any, alias: str) -> None:
        """Called when the scheduler starts, or when the executor is added to a
        running scheduler, under the alias it was given."""
        self._scheduler = scheduler
        self._lock = scheduler._create_lock()
        self._logger = logging.getLogger(f"apscheduler.executors.{alias}")

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - optional hook
        """Stop; with ``wait``, after the submitted jobs have finished."""

    def submit_job(self, job: Any, run_times: list[datetime]) -> None:
        """Run ``job`` for ``run_times`` (the times it was due).

        :raises MaxInstancesReachedError: if ``job.max_instances`` runs of it are
            already in progress
        """
        assert self._lock is not None, "This executor has not been started yet"
        job_id = job.id
        instances = self._instances
        with self._lock:
            if instances[job_id] >= job.max_instances:
                raise MaxInstancesReachedError(job)
            self._do_submit_job(job, run_times)
            # read again: a synchronous executor has already counted the run's end
            instances[job_id] += 1

    @abstractmethod
    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        """Arrange for :func:`run_job` to be called."""

    def _finished(self, job_id: str) -> None:
        instances = self._instances
        with self._lock:
            running = instances[job_id] - 1
            if running:
                instances[job_id] = running
            else:
                del instances[job_id]

    def _run_job_success(self, job_id: str, events: list[JobExecutionEvent]) -> None:
        """:func:`run_job` returned ``events``: pass them to the scheduler."""
        self._finished(job_id)
        self._dispatch_run_events(events)

    def _wanted_events(self) -> Callable[[int], bool]:
        """What to pass :func:`run_job_for` as ``wanted``: the scheduler's
        ``_wants_event`` (every event for a scheduler without one). Only for
        runs in this process: a scheduler does not pickle."""
        return getattr(self._scheduler, "_wants_event", None) or _every_event

    def _dispatch_run_events(self, events: list[JobExecutionEvent]) -> None:
        scheduler = self._scheduler
        # An event no listener takes is dropped here, without the listener lock
        # _dispatch_event takes. Schedulers not built on ours get every event.
        wants = getattr(scheduler, "_wants_event", None)
        for event in events:
            if wants is None or wants(event.code):
                scheduler._dispatch_event(event)

    def _report_future(self, job_id: str, future: Any) -> None:
        """Report a finished future of :func:`run_job` or
        :func:`run_coroutine_job`: its events, or the error that ended it."""
        try:
            events = future.result()
        except BaseException:
            self._run_job_error(job_id, *sys.exc_info()[1:])
        else:
            self._run_job_success(job_id, events)

    def _run_job_error(
        self, job_id: str, exc: BaseException, traceback: TracebackType | None = None
    ) -> None:
        """Calling :func:`run_job` itself failed (not the job: that is an event)."""
        self._finished(job_id)
        self._log_run_error(job_id, exc, traceback)

    def _log_run_error(
        self, job_id: str, exc: BaseException, traceback: TracebackType | None = None
    ) -> None:
        self._logger.error(
            "Error running job %s", job_id, exc_info=(exc.__class__, exc, traceback)
        )


_loggers: dict[str, logging.Logger] = {}


def _logger(name: str) -> logging.Logger:
    # logging.getLogger takes logging's module lock on every call; a logger,
    # once made, is never replaced, so one dict lookup per run is enough.
    logger = _loggers.get(name)
    if logger is None:
        logger = _loggers[name] = logging.getLogger(name)
    return logger


def call_job(job: Any) -> Any:
    """``job.func(*job.args, **job.kwargs)``; for our jobs without making an
    empty ``kwargs`` dict the job does not have yet."""
    if isinstance(job, JobCore):
        return job._call()
    return job.func(*job.args, **job.kwargs)


def _starts(
    job: Any,
    jobstore_alias: str | None,
    run_time: datetime,
    logger: logging.Logger,
    wanted: Callable[[int], bool],
    events: list[JobExecutionEvent],
) -> bool:
    """Whether the run at ``run_time`` goes ahead (it is logged as running); a
    run later than the job's grace time allows is logged as missed instead, and
    its event added to ``events`` if ``wanted``."""
    grace = job.misfire_grace_time
    if grace is not None:
        lateness = datetime.now(timezone.utc) - run_time
        if lateness > timedelta(seconds=grace):
            logger.warning('Run time of job "%s" was missed by %s', job, lateness)
            if wanted(EVENT_JOB_MISSED):
                events.append(
                    JobExecutionEvent(EVENT_JOB_MISSED, job.id, jobstore_alias, run_time)
                )
            return False
    logger.info('Running job "%s" (scheduled at %s)', job, run_time)
    return True


def _failed(
    job: Any,
    jobstore_alias: str | None,
    run_time: datetime,
    logger: logging.Logger,
    wanted: Callable[[int], bool],
    events: list[JobExecutionEvent],
) -> None:
    """Log a run that raised (called from the ``except`` block), and add its
    event to ``events`` if ``wanted``."""
    _failed_with(job, jobstore_alias, run_time, sys.exc_info()[1], logger, wanted, events)


def _failed_with(
    job: Any,
    jobstore_alias: str | None,
    run_time: datetime,
    exc: Any,
    logger: logging.Logger,
    wanted: Callable[[int], bool],
    events: list[JobExecutionEvent],
) -> None:
    """:func:`_failed` for the exception ``exc`` the run raised (the thread
    pool's workers, which run jobs themselves, report through this)."""
    tb = exc.__traceback__
    if wanted(EVENT_JOB_ERROR):
        events.append(
            JobExecutionEvent(
                EVENT_JOB_ERROR,
                job.id,
                jobstore_alias,
                run_time,
                exception=exc,
                traceback="".join(format_tb(tb)),
            )
        )
    logger.error('Job "%s" raised an exception', job, exc_info=exc)
    # the frames would keep the job's locals alive through the exception
    traceback.clear_frames(tb)


def _succeeded(
    job: Any,
    jobstore_alias: str | None,
    run_time: datetime,
    retval: Any,
    logger: logging.Logger,
    wanted: Callable[[int], bool],
    events: list[JobExecutionEvent],
) -> None:
    """Log a run that returned ``retval``, and add its event to ``events`` if
    ``wanted``."""
    logger.info('Job "%s" executed successfully', job)
    if wanted(EVENT_JOB_EXECUTED):
        events.append(
            JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, jobstore_alias, run_time, retval=retval)
        )


def _every_event(code: int) -> bool:
    return True


def run_job(
    job: Any, jobstore_alias: str | None, run_times: list[datetime], logger_name: str
) -> list[JobExecutionEvent]:
    """Run ``job`` once per due run time (skipping those past its grace time) and
    return the events to dispatch. Executors call this in their worker."""
    return run_job_for(job, jobstore_alias, run_times, logger_name, _every_event)


def run_job_for(
    job: Any,
    jobstore_alias: str | None,
    run_times: list[datetime],
    logger_name: str,
    wanted: Callable[[int], bool],
) -> list[JobExecutionEvent]:
    """:func:`run_job` making only the events ``wanted(code)`` accepts (a
    scheduler's ``_wants_event``): those nobody listens to cost nothing."""
    events: list[JobExecutionEvent] = []
    logger = _logger(logger_name)
    for run_time in run_times:
        if not _starts(job, jobstore_alias, run_time, logger, wanted, events):
            continue
        try:
            retval = call_job(job)
        except BaseException:
            _failed(job, jobstore_alias, run_time, logger, wanted, events)
        else:
            _succeeded(job, jobstore_alias, run_time, retval, logger, wanted, events)
    return events


async def run_coroutine_job(
    job: Any, jobstore_alias: str | None, run_times: list[datetime], logger_name: str
) -> list[JobExecutionEvent]:
    """:func:`run_job` for a coroutine function, awaited on the running loop."""
    return await run_coroutine_job_for(job, jobstore_alias, run_times, logger_name, _every_event)


async def run_coroutine_job_for(
    job: Any,
    jobstore_alias: str | None,
    run_times: list[datetime],
    logger_name: str,
    wanted: Callable[[int], bool],
) -> list[JobExecutionEvent]:
    """:func:`run_coroutine_job` making only the events ``wanted(code)``
    accepts, as :func:`run_job_for` does."""
    events: list[JobExecutionEvent] = []
    logger = _logger(logger_name)
    for run_time in run_times:
        if not _starts(job, jobstore_alias, run_time, logger, wanted, events):
            continue
        try:
            retval = await call_job(job)
        except BaseException:
            _failed(job, jobstore_alias, run_time, logger, wanted, events)
        else:
            _succeeded(job, jobstore_alias, run_time, retval, logger, wanted, events)
    return events
