"""AsyncIOExecutor: coroutine-function jobs run on the scheduler's event loop,
other jobs in that loop's default executor."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from contextvars import Context, copy_context
from datetime import datetime
from typing import Any

from apscheduler_rs._core import start_coroutine_runs
from apscheduler_rs.events import JobExecutionEvent
from apscheduler_rs.executors.base import (
    BaseExecutor,
    MaxInstancesReachedError,
    _failed,
    _starts,
    _succeeded,
    call_job,
    run_coroutine_job_for,
    run_job_for,
)
from apscheduler_rs.util import iscoroutinefunction_partial

__all__ = ("AsyncIOExecutor",)

# A coroutine job's submission waiting for its turn: the job, its store's alias
# and run times as at submission, and the context it runs in (copied at
# submission, as a task's is when it is created).
_QueuedRun = tuple[Any, "str | None", list[datetime], Context]


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
        self._queued: deque[_QueuedRun] = deque()
        self._drainer: asyncio.Task[None] | None = None

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self._eventloop = scheduler._eventloop
        self._pending_futures = set()
        self._queued = deque()
        self._drainer = None

    def shutdown(self, wait: bool = True) -> None:
        """Cancel the runs still in progress. ``wait`` cannot be honoured: waiting
        would block the very loop the runs need."""
        for future in self._pending_futures:
            if not future.done():
                future.cancel()
        self._pending_futures.clear()
        self._drainer = None
        self._cancel_queued()

    def _direct_submission(self) -> tuple[Any, ...] | None:
        """What the scheduler's Rust due-job step needs to do :meth:`submit_job`'s
        work for a coroutine job itself (``None`` when ``submit_job`` must be
        called): the queue, the instance counts, how to tell a coroutine
        function, how to copy the context, the error to raise when a job has too
        many runs in progress, how to start a drainer, and this executor."""
        cls = type(self)
        if (
            cls.submit_job is not BaseExecutor.submit_job
            or "submit_job" in self.__dict__
            or not _submits_as_asyncio_executor(cls)
            or self._lock is None
            or self._eventloop is None
        ):
            return None
        return (
            self._queued,
            self._instances,
            iscoroutinefunction_partial,
            copy_context,
            MaxInstancesReachedError,
            self._start_draining,
            self,
        )

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        assert self._eventloop is not None, "This executor has not been started yet"
        if iscoroutinefunction_partial(job.func):
            self._queue_coroutine_job(job, run_times)
            return

        job_id = job.id

        def report(future: asyncio.Future[Any]) -> None:
            # Runs on the loop when the run ends (or is cancelled by shutdown()).
            self._pending_futures.discard(future)
            self._report_future(job_id, future)

        # only the events the scheduler has takers for are made
        args = (job, job._jobstore_alias, run_times, self._logger.name, self._wanted_events())
        future = self._eventloop.run_in_executor(None, run_job_for, *args)
        future.add_done_callback(report)
        self._pending_futures.add(future)

    # Coroutine jobs -------------------------------------------------------------
    #
    # 3.11.3 makes one task per submission. Most job coroutines finish without
    # ever waiting, and a task costs more than such a job: so one task, the
    # drainer, starts the queued submissions one after another. A job that does
    # wait keeps that task from then on, exactly as if it had been the task's only
    # coroutine (current_task(), timeouts and task groups see one task
    # throughout), and the submissions behind it go to a new drainer. Jobs start
    # in submission order on the loop iteration after the sweep, as 3.11.3's
    # tasks do, each in its own copy of the context.

    def _queue_coroutine_job(self, job: Any, run_times: list[datetime]) -> None:
        self._queued.append((job, job._jobstore_alias, run_times, copy_context()))
        if self._drainer is None:
            self._start_draining()

    def _start_draining(self) -> None:
        assert self._eventloop is not None
        self._drainer = task = self._eventloop.create_task(self._drain())
        self._pending_futures.add(task)
        task.add_done_callback(self._drainer_done)

    def _drainer_done(self, task: asyncio.Task[None]) -> None:
        self._pending_futures.discard(task)
        if task is self._drainer:
            # cancelled before it started: nothing drains the queue
            self._drainer = None
            self._cancel_queued()

    def _cancel_queued(self) -> None:
        """End the submissions that never started as a cancelled task ends."""
        while self._queued:
            job = self._queued.popleft()[0]
            self._run_job_error(job.id, asyncio.CancelledError())

    async def _drain(self) -> None:
        queued = self._queued
        logger = self._logger
        wanted = self._wanted_events()
        finished: list[tuple[str, list[JobExecutionEvent]]] = []
        try:
            while queued:
                job, alias, run_times, context = queued.popleft()
                try:
                    events, rest = context.run(
                        start_coroutine_runs, job, alias, run_times, logger, wanted
                    )
                except BaseException as exc:  # not the job's own error: that is an event
                    self._run_job_error(job.id, exc, exc.__traceback__)
                    continue
                if rest is None:
                    finished.append((job.id, events))
                    continue
                # The job waits: this task is its own from now on.
                if queued:
                    self._start_draining()
                else:
                    self._drainer = None
                self._report_all(finished)
                try:
                    events = await _InContext(rest, context)
                except BaseException as exc:
                    self._run_job_error(job.id, exc, exc.__traceback__)
                else:
                    self._run_job_success(job.id, events)
                return
            self._drainer = None
        finally:
            self._report_all(finished)

    def _report_all(self, finished: list[tuple[str, list[JobExecutionEvent]]]) -> None:
        """Report the ends of finished submissions with their events."""
        if not finished:
            return
        if _reports_as_base(type(self)):
            # _run_job_success for each, under one acquisition of the lock
            instances = self._instances
            with self._lock:
                for job_id, _ in finished:
                    running = instances[job_id] - 1
                    if running:
                        instances[job_id] = running
                    else:
                        del instances[job_id]
            for _, events in finished:
                if events:
                    self._dispatch_run_events(events)
        else:
            for job_id, events in finished:
                self._run_job_success(job_id, events)
        finished.clear()


@functools.cache
def _submits_as_asyncio_executor(cls: type) -> bool:
    """Whether ``cls`` queues coroutine jobs as AsyncIOExecutor does, so that
    the Rust due-job step may queue them itself."""
    return all(
        getattr(cls, name) is getattr(AsyncIOExecutor, name)
        for name in ("_do_submit_job", "_queue_coroutine_job", "_start_draining")
    )


@functools.cache
def _reports_as_base(cls: type) -> bool:
    """Whether ``cls`` reports a run's end as BaseExecutor does, so that the
    ends of a batch can be counted at once."""
    return all(
        getattr(cls, name) is getattr(BaseExecutor, name)
        for name in ("_run_job_success", "_finished")
    )


def _start_runs(
    job: Any,
    alias: str | None,
    run_times: list[datetime],
    logger: logging.Logger,
    wanted: Callable[[int], bool],
) -> tuple[list[JobExecutionEvent], Coroutine[Any, Any, list[JobExecutionEvent]] | None]:
    """Run a coroutine job's runs as :func:`run_coroutine_job_for` does, as long
    as none waits. Returns the events so far, and, if a run waits, a coroutine
    that finishes the submission and returns all its events.

    ``_core.start_coroutine_runs`` does this in Rust when nothing would show
    (see ``src/py/job_run.rs``) and calls this otherwise."""
    events: list[JobExecutionEvent] = []
    for index, run_time in enumerate(run_times):
        if not _starts(job, alias, run_time, logger, wanted, events):
            continue
        try:
            coro = call_job(job)
            awaited = coro.send(None)
        except StopIteration as stop:
            _succeeded(job, alias, run_time, stop.value, logger, wanted, events)
        except BaseException:
            _failed(job, alias, run_time, logger, wanted, events)
        else:
            rest = _finish_runs(
                job, alias, run_times[index:], coro, awaited, logger, wanted, events
            )
            return events, rest
    return events, None


async def _finish_runs(
    job: Any,
    alias: str | None,
    run_times: list[datetime],
    coro: Coroutine[Any, Any, Any],
    awaited: Any,
    logger: logging.Logger,
    wanted: Callable[[int], bool],
    events: list[JobExecutionEvent],
) -> list[JobExecutionEvent]:
    """The rest of :func:`_start_runs` once the run at ``run_times[0]`` waits
    (``coro``, on ``awaited``)."""
    try:
        retval = await _Resumed(coro, awaited)
    except BaseException:
        _failed(job, alias, run_times[0], logger, wanted, events)
    else:
        _succeeded(job, alias, run_times[0], retval, logger, wanted, events)
    if len(run_times) > 1:
        events += await run_coroutine_job_for(job, alias, run_times[1:], logger.name, wanted)
    return events


class _Resumed:
    """Awaiting this resumes ``coro``, a coroutine that has run up to its first
    wait (on ``awaited``), and returns what it returns: ``await coro`` for a
    coroutine already started."""

    __slots__ = ("_awaited", "_coro")

    def __init__(self, coro: Coroutine[Any, Any, Any], awaited: Any) -> None:
        self._coro = coro
        self._awaited = awaited

    def __await__(self) -> Generator[Any, Any, Any]:
        awaited, self._awaited = self._awaited, None
        return (yield from _forward(self._coro, awaited, _call))


class _InContext:
    """Awaiting this runs ``coro`` with every step in ``context``."""

    __slots__ = ("_context", "_coro")

    def __init__(self, coro: Coroutine[Any, Any, Any], context: Context) -> None:
        self._coro = coro
        self._context = context

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, run = self._coro, self._context.run
        try:
            awaited = run(coro.send, None)
        except StopIteration as stop:
            return stop.value
        return (yield from _forward(coro, awaited, run))


def _call(method: Callable[[Any], Any], arg: Any) -> Any:
    return method(arg)


def _forward(
    coro: Coroutine[Any, Any, Any], awaited: Any, run: Callable[[Callable[[Any], Any], Any], Any]
) -> Generator[Any, Any, Any]:
    """``yield from`` a started ``coro`` that waits on ``awaited``, with each of
    its steps made through ``run(step, value)``: pass up what it awaits, pass
    down what the task sends or throws in, and return what ``coro`` returns."""
    while True:
        try:
            sent = yield awaited
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # a cancellation, or another thrown-in error
            try:
                awaited = run(coro.throw, exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                awaited = run(coro.send, sent)
            except StopIteration as stop:
                return stop.value
