"""Executors that run jobs on a pool of worker threads or processes."""

from __future__ import annotations

import atexit
import concurrent.futures
import functools
import itertools
import multiprocessing
import threading
from abc import abstractmethod
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any

from apscheduler_rs._core import ThreadPoolCore, shutdown_thread_pools
from apscheduler_rs.executors.base import (
    BaseExecutor,
    MaxInstancesReachedError,
    run_job,
    run_job_for,
)

__all__ = ("BasePoolExecutor", "ProcessPoolExecutor", "ThreadPoolExecutor")

# What concurrent.futures.ThreadPoolExecutor accepts besides max_workers.
_THREAD_POOL_OPTIONS = ("thread_name_prefix", "initializer", "initargs")

# Numbers the default thread names, as concurrent.futures numbers its pools.
_pool_numbers = itertools.count()


class BasePoolExecutor(BaseExecutor):
    """Runs jobs on a :mod:`concurrent.futures`-style pool: any object whose
    ``submit(fn, *args)`` returns a future with ``add_done_callback`` and which
    has ``shutdown(wait)``. Subclasses build the pool and pass it in."""

    @abstractmethod
    def __init__(self, pool: Any) -> None:
        super().__init__()
        self._pool = pool

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        future = self._pool.submit(run_job, job, job._jobstore_alias, run_times, self._logger.name)
        future.add_done_callback(functools.partial(self._future_done, job.id))

    def _future_done(self, job_id: str, future: Any) -> None:
        # Futures of the old `futures` backport can say where they failed.
        if hasattr(future, "exception_info"):
            exc, tb = future.exception_info()
        else:
            exc = future.exception()
            tb = getattr(exc, "__traceback__", None)
        if exc is not None:
            self._run_job_error(job_id, exc, tb)
        else:
            self._run_job_success(job_id, future.result())

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait)


class ThreadPoolExecutor(BasePoolExecutor):
    """Runs jobs on worker threads, started as needed up to ``max_workers``.

    The threads are Rust threads that wait for work without holding the GIL;
    otherwise they behave as :class:`concurrent.futures.ThreadPoolExecutor`'s.

    Plugin alias: ``threadpool``

    :param max_workers: the most threads to run at once
    :param pool_kwargs: the other arguments
        :class:`concurrent.futures.ThreadPoolExecutor` takes:
        ``thread_name_prefix``, ``initializer`` and ``initargs``
    """

    def __init__(self, max_workers: int = 10, pool_kwargs: dict[str, Any] | None = None) -> None:
        workers = int(max_workers)
        options = dict(pool_kwargs or {})
        for key in options:
            if key == "max_workers":
                raise TypeError(
                    "ThreadPoolExecutor.__init__() got multiple values for argument 'max_workers'"
                )
            if key not in _THREAD_POOL_OPTIONS:
                raise TypeError(
                    f"ThreadPoolExecutor.__init__() got an unexpected keyword argument {key!r}"
                )
        prefix = options.get("thread_name_prefix") or f"ThreadPoolExecutor-{next(_pool_numbers)}"
        pool = ThreadPoolCore(
            workers,
            str(prefix),
            options.get("initializer"),
            tuple(options.get("initargs", ())),
            threading.stack_size(),  # 0: as big as Python's own threads get
        )
        super().__init__(pool)

    def submit_job(self, job: Any, run_times: list[datetime]) -> None:
        job_id = job.id
        if type(job_id) is not str or not _keeps_run_reporting(type(self)):
            super().submit_job(job, run_times)
            return
        assert self._lock is not None, "This executor has not been started yet"
        # The pool counts the run in _instances (and its end), with no Python
        # lock; the run makes only the events the scheduler has takers for.
        args = (job, job._jobstore_alias, run_times, self._logger.name, self._wanted_events())
        if not self._pool.submit_job(
            run_job_for, args, self, job_id, job.max_instances, self._instances
        ):
            raise MaxInstancesReachedError(job)

    def _direct_submission(self) -> tuple[Any, ...] | None:
        """What the scheduler's Rust due-job step needs to do :meth:`submit_job`'s
        work itself (``None`` when ``submit_job`` must be called): the pool, the
        instance counts, ``run_job_for``'s last two arguments, ``run_job_for``,
        the error to raise when a job has too many runs in progress, and this
        executor (whose submissions these are)."""
        cls = type(self)
        if (
            cls.submit_job is not ThreadPoolExecutor.submit_job
            or "submit_job" in self.__dict__
            or not _keeps_run_reporting(cls)
            or self._lock is None
        ):
            return None
        return (
            self._pool,
            self._instances,
            self._logger.name,
            self._wanted_events(),
            run_job_for,
            MaxInstancesReachedError,
            self,
        )

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        # The Rust worker calls run_job and reports to _run_job_success/_error.
        self._pool.submit(
            run_job, (job, job._jobstore_alias, run_times, self._logger.name), self, job.id
        )


class ProcessPoolExecutor(BasePoolExecutor):
    """Runs jobs in worker processes with
    :class:`concurrent.futures.ProcessPoolExecutor`. Jobs, their functions and
    their arguments must be picklable. If a worker process dies, the pool is
    replaced with a new one at the next submission.

    Plugin alias: ``processpool``

    :param max_workers: the most processes to run at once
    :param pool_kwargs: more arguments for
        :class:`concurrent.futures.ProcessPoolExecutor`; ``mp_context``
        defaults to the ``spawn`` start method
    """

    def __init__(self, max_workers: int = 10, pool_kwargs: dict[str, Any] | None = None) -> None:
        self.pool_kwargs = dict(pool_kwargs or {})
        # Forking a process that runs threads (the scheduler's) is unsafe.
        self.pool_kwargs.setdefault("mp_context", multiprocessing.get_context("spawn"))
        self._max_workers = int(max_workers)
        super().__init__(
            concurrent.futures.ProcessPoolExecutor(self._max_workers, **self.pool_kwargs)
        )

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        try:
            super()._do_submit_job(job, run_times)
            return
        except BrokenProcessPool:
            # A worker process died (killed, out of memory, os._exit in a job);
            # the runs it had were already reported as failed.
            self._logger.warning("Process pool is broken; replacing pool with a fresh instance")
        broken = self._pool
        self._pool = type(broken)(self._max_workers, **self.pool_kwargs)
        broken.shutdown(wait=False)
        super()._do_submit_job(job, run_times)


#: The methods a subclass may override to see or change how runs are
#: submitted and reported; ThreadPoolExecutor.submit_job bypasses them.
_RUN_REPORTING = ("_do_submit_job", "_run_job_success", "_run_job_error", "_finished")


@functools.cache
def _keeps_run_reporting(cls: type) -> bool:
    """Whether ``cls`` (a ThreadPoolExecutor) overrides none of _RUN_REPORTING,
    so its runs can be counted and reported by the pool itself."""
    return all(getattr(cls, name) is getattr(ThreadPoolExecutor, name) for name in _RUN_REPORTING)


def _register_exit_hook() -> None:
    # Worker threads must be joined before the interpreter finalizes, or one
    # finishing a job would attach to a dying interpreter. threading's hooks run
    # before Python joins its own threads, as concurrent.futures' does.
    try:
        threading._register_atexit(shutdown_thread_pools)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):
        atexit.register(shutdown_thread_pools)


_register_exit_hook()
