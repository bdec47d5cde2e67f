"""BaseScheduler: configuration, the job API and the due-job step every
scheduler shares. Subclasses decide how the step is driven (a thread, the
caller's thread, an event loop's timer) by implementing :meth:`wakeup` and
:meth:`shutdown`."""

from __future__ import annotations

import functools
import sys
import warnings
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from contextlib import ExitStack
from datetime import datetime, timedelta, tzinfo
from logging import INFO, Logger, getLogger
from threading import TIMEOUT_MAX
from time import monotonic, time
from typing import IO, Any, Literal, cast

from tzlocal import get_localzone

from apscheduler_rs._core import DueJobStep, MemoryJobStoreCore, RLock, SchedulerCore
from apscheduler_rs.events import (
    EVENT_ALL,
    EVENT_ALL_JOBS_REMOVED,
    EVENT_EXECUTOR_ADDED,
    EVENT_EXECUTOR_REMOVED,
    EVENT_JOB_ADDED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MODIFIED,
    EVENT_JOB_REMOVED,
    EVENT_JOB_SUBMITTED,
    EVENT_JOBSTORE_ADDED,
    EVENT_JOBSTORE_REMOVED,
    EVENT_SCHEDULER_PAUSED,
    EVENT_SCHEDULER_RESUMED,
    EVENT_SCHEDULER_SHUTDOWN,
    EVENT_SCHEDULER_STARTED,
    JobEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler_rs.executors.base import BaseExecutor, MaxInstancesReachedError
from apscheduler_rs.job import NO_KWARGS, Job, is_trigger
from apscheduler_rs.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler_rs.jobstores.memory import MemoryJobStore
from apscheduler_rs.schedulers import SchedulerAlreadyRunningError, SchedulerNotRunningError
from apscheduler_rs.schedulers._plugins import plugin_class
from apscheduler_rs.triggers.base import BaseTrigger
from apscheduler_rs.util import asbool, asint, astimezone, maybe_ref, undefined

__all__ = ("STATE_PAUSED", "STATE_RUNNING", "STATE_STOPPED", "BaseScheduler")

#: The scheduler is not started (or has been shut down).
STATE_STOPPED = 0
#: The scheduler is started and runs due jobs.
STATE_RUNNING = 1
#: The scheduler is started but runs nothing until :meth:`BaseScheduler.resume`.
STATE_PAUSED = 2

#: What the scheduler fills in for a job that has no value for it when it is
#: stored: the ``job_defaults`` options, and the first fire time of its trigger.
_FILLED_IN = ("misfire_grace_time", "coalesce", "max_instances", "next_run_time")

_PLUGIN_LABELS = {"executor": "an executor", "jobstore": "a job store"}
_PLUGIN_BASES: dict[str, type] = {
    "trigger": BaseTrigger,
    "jobstore": BaseJobStore,
    "executor": BaseExecutor,
}


class BaseScheduler(SchedulerCore, metaclass=ABCMeta):
    """What every scheduler has. Options (constructor keywords, or
    :meth:`configure`):

    - ``logger``: a :class:`logging.Logger` or its reference
      (default ``apscheduler.scheduler``)
    - ``timezone``: default time zone of triggers (default: the local zone)
    - ``jobstore_retry_interval``: seconds to wait before asking a job store for
      due jobs again after it failed (default 10)
    - ``job_defaults``: ``misfire_grace_time`` (1), ``coalesce`` (True),
      ``max_instances`` (1) for jobs that do not set them
    - ``jobstores``/``executors``: alias -> instance, or a dict with ``type`` (a
      plugin alias) or ``class`` (a class or its reference) and the constructor's
      keywords

    ``state`` is one of :data:`STATE_STOPPED`, :data:`STATE_RUNNING`,
    :data:`STATE_PAUSED`.

    ``add_job`` (through ``_add_job_direct``) and ``remove_job`` are done by the
    Rust base class (``SchedulerCore``) in the common case (a started scheduler,
    jobs in a memory store, nothing they go through overridden); it hands every
    other call to :meth:`_add_job` / :meth:`_remove_job` here, which it mirrors.
    """

    _logger: Logger
    #: When the loop wakes next, on the monotonic clock, as the last sweep left
    #: it; None when unknown (see _needs_wakeup_for).
    _wakes_at: float | None = None
    timezone: tzinfo
    jobstore_retry_interval: float

    def __init__(self, gconfig: dict[str, Any] | None = None, **options: Any) -> None:
        super().__init__()
        self._executors: dict[str, BaseExecutor] = {}
        self._executors_lock = self._create_lock()
        self._jobstores: dict[str, BaseJobStore] = {}
        self._jobstores_lock = self._create_lock()
        self._listeners: list[tuple[Callable[[Any], Any], int]] = []
        self._listeners_lock = self._create_lock()
        # Union of the listeners' masks: events nobody listens to are never built.
        self._listened_mask = 0
        self._pending_jobs: list[tuple[Job, str, bool]] = []
        self._job_defaults_check: tuple[dict[str, Any], dict[str, Any] | None] | None = None
        self.state = STATE_STOPPED
        self.configure(gconfig or {}, **options)

    def __getstate__(self) -> Any:
        raise TypeError(
            "Schedulers cannot be serialized. Ensure that you are not passing a "
            "scheduler instance as an argument to a job, or scheduling an instance "
            "method where the instance contains a scheduler as an attribute."
        )

    # Configuration

    def configure(
        self, gconfig: dict[str, Any] | None = None, prefix: str | None = "apscheduler.", **options
    ) -> None:
        """Replace the configuration (only while stopped).

        ``gconfig`` keys are dotted paths (``apscheduler.executors.default.type``);
        only keys starting with ``prefix`` are read (all of them if ``prefix`` is
        empty or ``None``), without it. Keyword options override ``gconfig``.

        :raises SchedulerAlreadyRunningError: if the scheduler is running
        """
        if self.state != STATE_STOPPED:
            raise SchedulerAlreadyRunningError

        gconfig = gconfig or {}
        if prefix:
            gconfig = {
                key[len(prefix) :]: value
                for key, value in gconfig.items()
                if key.startswith(prefix)
            }

        config: dict[str, Any] = {}
        for dotted_key, value in gconfig.items():
            *parents, leaf = dotted_key.split(".")
            node = config
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value

        config.update(options)
        self._configure(config)

    def _configure(self, config: dict[str, Any]) -> None:
        self._logger = maybe_ref(config.pop("logger", None)) or getLogger("apscheduler.scheduler")
        self.timezone = astimezone(config.pop("timezone", None)) or get_localzone()
        self.jobstore_retry_interval = float(config.pop("jobstore_retry_interval", 10))

        job_defaults = config.get("job_defaults", {})
        self._job_defaults = {
            "misfire_grace_time": asint(job_defaults.get("misfire_grace_time", 1)),
            "coalesce": asbool(job_defaults.get("coalesce", True)),
            "max_instances": asint(job_defaults.get("max_instances", 1)),
        }

        self._executors.clear()
        for alias, value in config.get("executors", {}).items():
            self.add_executor(self._configured_plugin("executor", alias, value), alias)

        self._jobstores.clear()
        for alias, value in config.get("jobstores", {}).items():
            self.add_jobstore(self._configured_plugin("jobstore", alias, value), alias)

    def _configured_plugin(self, kind: str, alias: str, value: Any) -> Any:
        """An executor or job store from its configuration entry."""
        base = _PLUGIN_BASES[kind]
        label = "executor" if kind == "executor" else "job store"
        plural = "executors" if kind == "executor" else "jobstores"
        if isinstance(value, base):
            return value
        if isinstance(value, MutableMapping):
            cls = value.pop("class", None)
            plugin = value.pop("type", None)
            if plugin:
                return self._create_plugin_instance(kind, plugin, value)
            if cls:
                return maybe_ref(cls)(**value)
            raise ValueError(
                f'Cannot create {label} "{alias}" -- either "type" or "class" must be defined'
            )
        raise TypeError(
            f"Expected {label} instance or dict for {plural}['{alias}'], "
            f"got {value.__class__.__name__} instead"
        )

    # Life cycle

    def start(self, paused: bool = False) -> None:
        """Start the executors and job stores, store the jobs added so far and
        begin running jobs (with ``paused``: only once :meth:`resume` is called).

        :raises SchedulerAlreadyRunningError: if the scheduler is running
        :raises RuntimeError: under uWSGI with threads disabled
        """
        if self.state != STATE_STOPPED:
            raise SchedulerAlreadyRunningError

        self._check_uwsgi()

        with self._executors_lock:
            if "default" not in self._executors:
                self.add_executor(self._create_default_executor(), "default")
            for alias, executor in self._executors.items():
                executor.start(self, alias)

        with self._jobstores_lock:
            if "default" not in self._jobstores:
                self.add_jobstore(self._create_default_jobstore(), "default")
            for alias, store in self._jobstores.items():
                store.start(self, alias)
            for job, jobstore_alias, replace_existing in self._pending_jobs:
                self._real_add_job(job, jobstore_alias, replace_existing)
            self._pending_jobs.clear()

        self.state = STATE_PAUSED if paused else STATE_RUNNING
        self._logger.info("Scheduler started")
        self._emit_scheduler_event(EVENT_SCHEDULER_STARTED)
        if not paused:
            self.wakeup()

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop the scheduler, its executors and job stores. Running jobs are not
        interrupted; with ``wait``, this returns once they have finished.

        :raises SchedulerNotRunningError: if the scheduler is not running
        """
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError

        self.state = STATE_STOPPED
        # Executors wait for running jobs outside the locks: a job that calls
        # back into the scheduler (remove_job, say) would otherwise deadlock
        # shutdown(wait=True), as it does in 3.11.3.
        with self._executors_lock:
            executors = list(self._executors.values())
        for executor in executors:
            executor.shutdown(wait)
        with self._jobstores_lock:
            for jobstore in self._jobstores.values():
                jobstore.shutdown()

        self._logger.info("Scheduler has been shut down")
        self._emit_scheduler_event(EVENT_SCHEDULER_SHUTDOWN)

    def pause(self) -> None:
        """Stop running jobs (those already running go on) until :meth:`resume`."""
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        if self.state == STATE_RUNNING:
            self.state = STATE_PAUSED
            self._logger.info("Paused scheduler job processing")
            self._emit_scheduler_event(EVENT_SCHEDULER_PAUSED)

    def resume(self) -> None:
        """Run jobs again after :meth:`pause` or ``start(paused=True)``."""
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        if self.state == STATE_PAUSED:
            self.state = STATE_RUNNING
            self._logger.info("Resumed scheduler job processing")
            self._emit_scheduler_event(EVENT_SCHEDULER_RESUMED)
            self.wakeup()

    @property
    def running(self) -> bool:
        """Whether the scheduler is started (running or paused)."""
        return self.state != STATE_STOPPED

    @abstractmethod
    def wakeup(self) -> None:
        """Have :meth:`_process_jobs` run soon: jobs may be due."""

    # Executors and job stores

    def add_executor(
        self, executor: BaseExecutor | str, alias: str = "default", **executor_opts: Any
    ) -> None:
        """Add an executor, given as an instance or a plugin alias (with its
        constructor's keywords in ``executor_opts``).

        :raises ValueError: if ``alias`` is taken
        """
        with self._executors_lock:
            self._register("executor", self._executors, executor, alias, executor_opts)
        self._emit_scheduler_event(EVENT_EXECUTOR_ADDED, alias)

    def remove_executor(self, alias: str, shutdown: bool = True) -> None:
        """Remove the executor ``alias`` (and shut it down, with ``shutdown``).

        :raises KeyError: if there is no such executor
        """
        with self._executors_lock:
            executor = self._lookup_executor(alias)
            del self._executors[alias]

        if shutdown:
            executor.shutdown()
        self._emit_scheduler_event(EVENT_EXECUTOR_REMOVED, alias)

    def add_jobstore(
        self, jobstore: BaseJobStore | str, alias: str = "default", **jobstore_opts: Any
    ) -> None:
        """Add a job store, given as an instance or a plugin alias (with its
        constructor's keywords in ``jobstore_opts``).

        :raises ValueError: if ``alias`` is taken
        """
        with self._jobstores_lock:
            self._register("jobstore", self._jobstores, jobstore, alias, jobstore_opts)
        self._emit_scheduler_event(EVENT_JOBSTORE_ADDED, alias)
        # the new store may hold jobs that are due
        if self.state != STATE_STOPPED:
            self.wakeup()

    def _register(
        self,
        kind: str,
        registry: dict[str, Any],
        plugin: Any,
        alias: str,
        plugin_opts: dict[str, Any],
    ) -> None:
        """Put an executor or job store (an instance, or a plugin alias to build
        one from ``plugin_opts``) in ``registry``, started if the scheduler is."""
        label = _PLUGIN_LABELS[kind]
        if alias in registry:
            raise ValueError(f'This scheduler already has {label} by the alias of "{alias}"')
        if isinstance(plugin, str):
            plugin = self._create_plugin_instance(kind, plugin, plugin_opts)
        elif not isinstance(plugin, _PLUGIN_BASES[kind]):
            raise TypeError(
                f"Expected {label} instance or a string, got {plugin.__class__.__name__} instead"
            )
        registry[alias] = plugin
        if self.state != STATE_STOPPED:
            plugin.start(self, alias)

    def remove_jobstore(self, alias: str, shutdown: bool = True) -> None:
        """Remove the job store ``alias`` (and shut it down, with ``shutdown``).

        :raises KeyError: if there is no such job store
        """
        with self._jobstores_lock:
            jobstore = self._lookup_jobstore(alias)
            del self._jobstores[alias]

        if shutdown:
            jobstore.shutdown()
        self._emit_scheduler_event(EVENT_JOBSTORE_REMOVED, alias)

    # Listeners

    def add_listener(self, callback: Callable[[Any], Any], mask: int = EVENT_ALL) -> None:
        """Call ``callback(event)`` for each event whose code is in ``mask``."""
        with self._listeners_lock:
            self._listeners.append((callback, mask))
            self._listened_mask |= mask

    def remove_listener(self, callback: Callable[[Any], Any]) -> None:
        """Stop calling ``callback``. As in APScheduler 3.11, a registration that
        directly follows a removed one survives (it removes while iterating)."""
        with self._listeners_lock:
            listeners = self._listeners
            index = 0
            while index < len(listeners):
                if listeners[index][0] == callback:
                    del listeners[index]
                index += 1
            mask = 0
            for _, listener_mask in listeners:
                mask |= listener_mask
            self._listened_mask = mask

    def _wants_event(self, code: int) -> bool:
        """Whether an event with ``code`` has a taker: a listener, or a replaced
        ``_dispatch_event`` (a subclass's, or a mock set on the instance)."""
        if self._listened_mask & code:
            return True
        # a _dispatch_event of a subclass, or a mock set on the instance, sees
        # every event, as it would with APScheduler (both read without making
        # a bound method: this runs for every event of every job)
        return type(self)._dispatch_event is not _BASE_DISPATCH or "_dispatch_event" in vars(self)

    def _emit_scheduler_event(self, code: int, alias: str | None = None) -> None:
        if self._wants_event(code):
            self._dispatch_event(SchedulerEvent(code, alias))

    def _emit_job_event(self, code: int, job_id: str, jobstore: str | None) -> None:
        if self._wants_event(code):
            self._dispatch_event(JobEvent(code, job_id, jobstore))

    def _dispatch_event(self, event: SchedulerEvent) -> None:
        """Give ``event`` to each listener whose mask has its code; a listener
        that raises is logged and does not stop the others."""
        with self._listeners_lock:
            listeners = tuple(self._listeners)
        for callback, mask in listeners:
            if event.code & mask:
                try:
                    callback(event)
                except BaseException:
                    self._logger.exception("Error notifying listener")

    # Jobs

    def add_job(
        self,
        func: Callable[..., Any] | str,
        trigger: BaseTrigger | str | None = None,
        args: Iterable[Any] | None = None,
        kwargs: MutableMapping[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        misfire_grace_time: Any = undefined,
        coalesce: Any = undefined,
        max_instances: Any = undefined,
        next_run_time: Any = undefined,
        jobstore: str = "default",
        executor: str = "default",
        replace_existing: bool = False,
        **trigger_args: Any,
    ) -> Job:
        """Schedule ``func`` (a callable, or a ``"module:name"`` reference to one).

        ``trigger`` is a trigger instance, or a plugin alias (``"date"`` when
        omitted) built from ``trigger_args`` with the scheduler's time zone unless
        they name one. Options left out take ``job_defaults`` when the job is
        stored; ``next_run_time=None`` adds the job paused. Before :meth:`start`,
        the job waits in a pending list; after it, it is stored and the scheduler
        woken.

        :raises TypeError: if ``func`` is not callable (for instance ``my_job()``
            passed for ``my_job``), or the arguments do not fit its signature
        :raises ConflictingIdError: if the id is taken and not ``replace_existing``
        """
        # The Rust base does the common case and hands the rest to _add_job.
        return self._add_job_direct(
            func,
            trigger,
            args,
            kwargs,
            id,
            name,
            misfire_grace_time,
            coalesce,
            max_instances,
            next_run_time,
            jobstore,
            executor,
            replace_existing,
            trigger_args,
        )

    def _add_job(
        self,
        func: Callable[..., Any] | str,
        trigger: BaseTrigger | str | None = None,
        args: Iterable[Any] | None = None,
        kwargs: MutableMapping[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        misfire_grace_time: Any = undefined,
        coalesce: Any = undefined,
        max_instances: Any = undefined,
        next_run_time: Any = undefined,
        jobstore: str = "default",
        executor: str = "default",
        replace_existing: bool = False,
        **trigger_args: Any,
    ) -> Job:
        """``add_job`` in Python: every call the Rust base's ``_add_job_direct``
        does not do itself (see the class docstring), with the same arguments."""
        job_kwargs: dict[str, Any] = {
            "trigger": self._create_trigger(trigger, trigger_args),
            "executor": executor,
            "func": func,
            "args": tuple(args) if args is not None else (),
            "kwargs": dict(kwargs) if kwargs is not None else NO_KWARGS,
            "id": id,
            "name": name,
        }
        unset: list[str] = []
        for key, value in zip(
            _FILLED_IN, (misfire_grace_time, coalesce, max_instances, next_run_time), strict=True
        ):
            if value is undefined:
                unset.append(key)
            else:
                job_kwargs[key] = value
        job = Job._create(self, job_kwargs)

        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                self._pending_jobs.append((job, jobstore, replace_existing))
                self._logger.info(
                    "Adding job tentatively -- it will be properly scheduled when "
                    "the scheduler starts"
                )
            else:
                self._real_add_job(job, jobstore, replace_existing, unset)
        return job

    def scheduled_job(
        self,
        trigger: BaseTrigger | str | None,
        args: Iterable[Any] | None = None,
        kwargs: MutableMapping[str, Any] | None = None,
        id: str | None = None,
        name: str | None = None,
        misfire_grace_time: Any = undefined,
        coalesce: Any = undefined,
        max_instances: Any = undefined,
        next_run_time: Any = undefined,
        jobstore: str = "default",
        executor: str = "default",
        **trigger_args: Any,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """:meth:`add_job` as a decorator (always ``replace_existing=True``); the
        function is returned unchanged."""

        def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
            self.add_job(
                func,
                trigger,
                args,
                kwargs,
                id,
                name,
                misfire_grace_time,
                coalesce,
                max_instances,
                next_run_time,
                jobstore,
                executor,
                True,
                **trigger_args,
            )
            return func

        return decorate

    def modify_job(self, job_id: str, jobstore: str | None = None, **changes: Any) -> Job:
        """Change a job's attributes (the keywords of :meth:`add_job`, plus
        ``next_run_time`` and ``trigger`` instances) and save it.

        :raises JobLookupError: if there is no such job
        """
        with self._jobstores_lock:
            job, jobstore = self._lookup_job(job_id, jobstore)
            job._modify(**changes)
            if jobstore:
                self._lookup_jobstore(jobstore).update_job(job)

        self._emit_job_event(EVENT_JOB_MODIFIED, job_id, jobstore)
        # the job may now be due sooner
        if self.state == STATE_RUNNING:
            self.wakeup()
        return job

    def reschedule_job(
        self,
        job_id: str,
        jobstore: str | None = None,
        trigger: BaseTrigger | str | None = None,
        **trigger_args: Any,
    ) -> Job:
        """Give a job a new trigger, and its next run time from that trigger."""
        trigger = self._create_trigger(trigger, trigger_args)
        next_run_time = trigger.get_next_fire_time(None, datetime.now(self.timezone))
        return self.modify_job(job_id, jobstore, trigger=trigger, next_run_time=next_run_time)

    def pause_job(self, job_id: str, jobstore: str | None = None) -> Job:
        """Keep a job from running until :meth:`resume_job`."""
        return self.modify_job(job_id, jobstore, next_run_time=None)

    def resume_job(self, job_id: str, jobstore: str | None = None) -> Job | None:
        """Schedule a paused job from its trigger; a job whose trigger has no
        more fire times is removed instead (and ``None`` returned)."""
        with self._jobstores_lock:
            job, jobstore = self._lookup_job(job_id, jobstore)
            next_run_time = job._next_fire_time(None, datetime.now(self.timezone))
            if next_run_time:
                return self.modify_job(job_id, jobstore, next_run_time=next_run_time)
            self.remove_job(job.id, jobstore)
            return None

    def get_jobs(self, jobstore: str | None = None, pending: bool | None = None) -> list[Job]:
        """The jobs in ``jobstore`` (or every store); before :meth:`start`, the
        pending jobs. ``pending`` is deprecated and ignored."""
        if pending is not None:
            warnings.warn(
                'The "pending" option is deprecated -- get_jobs() always returns '
                "scheduled jobs if the scheduler has been started and pending jobs "
                "otherwise",
                DeprecationWarning,
                stacklevel=2,
            )
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                return [job for job, alias, _ in self._pending_jobs if jobstore in (None, alias)]
            jobs: list[Job] = []
            for alias, store in self._jobstores.items():
                if jobstore in (None, alias):
                    jobs.extend(store.get_all_jobs())
            return jobs

    def get_job(self, job_id: str, jobstore: str | None = None) -> Job | None:
        """The job with id ``job_id``, or ``None``."""
        with self._jobstores_lock:
            try:
                return self._lookup_job(job_id, jobstore)[0]
            except JobLookupError:
                return None

    def _remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        """``remove_job`` in Python: every call the Rust base's ``remove_job``
        does not do itself (see the class docstring)."""
        removed_from = None
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                for index, (job, alias, _) in enumerate(self._pending_jobs):
                    if job.id == job_id and jobstore in (None, alias):
                        del self._pending_jobs[index]
                        removed_from = alias
                        break
            else:
                for alias, store in self._jobstores.items():
                    if jobstore not in (None, alias):
                        continue
                    try:
                        store.remove_job(job_id)
                    except JobLookupError:
                        continue
                    removed_from = alias
                    break

        if removed_from is None:
            raise JobLookupError(job_id)
        self._report_removed(job_id, removed_from)

    def remove_all_jobs(self, jobstore: str | None = None) -> None:
        """Delete every job of ``jobstore`` (or of every store)."""
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                self._pending_jobs = [
                    pending
                    for pending in self._pending_jobs
                    if jobstore and pending[1] != jobstore
                ]
            else:
                for alias, store in self._jobstores.items():
                    if jobstore in (None, alias):
                        store.remove_all_jobs()
        self._emit_scheduler_event(EVENT_ALL_JOBS_REMOVED, jobstore)

    def print_jobs(self, jobstore: str | None = None, out: IO[str] | None = None) -> None:
        """Write a listing of the jobs (pending ones before :meth:`start`) to
        ``out`` (default: standard output), store by store."""
        out = out or sys.stdout
        with self._jobstores_lock:
            if self.state == STATE_STOPPED:
                print("Pending jobs:", file=out)
                if not self._pending_jobs:
                    print("    No pending jobs", file=out)
                for job, alias, _ in self._pending_jobs:
                    if jobstore in (None, alias):
                        print(f"    {job}", file=out)
                return
            for alias, store in sorted(self._jobstores.items()):
                if jobstore not in (None, alias):
                    continue
                print(f"Jobstore {alias}:", file=out)
                jobs = store.get_all_jobs()
                if not jobs:
                    print("    No scheduled jobs", file=out)
                for job in jobs:
                    print(f"    {job}", file=out)

    def export_jobs(self, outfile: IO[str] | str, jobstore: str | None = None) -> None:
        """Write the stored jobs (of ``jobstore``, or all) as JSON to ``outfile``
        (a text file object or a path), in APScheduler 3.11's format.

        :raises RuntimeError: if the scheduler has not been started
        """
        from apscheduler_rs.schedulers._export import dump_jobs

        if self.state == STATE_STOPPED:
            raise RuntimeError("the scheduler must have been started for job export to work")

        with self._jobstores_lock:
            jobs = [
                job
                for alias, store in self._jobstores.items()
                if jobstore in (None, alias)
                for job in store.get_all_jobs()
            ]
        with ExitStack() as stack:
            if hasattr(outfile, "write"):
                stream = cast(IO[str], outfile)
            else:
                stream = stack.enter_context(open(cast(str, outfile), "w"))  # noqa: SIM115
            dump_jobs((job.__getstate__() for job in jobs), stream)

    def import_jobs(self, infile: IO[str] | str, jobstore: str = "default") -> None:
        """Add the jobs of an export (from this library or APScheduler 3.11) to
        ``jobstore``; ``infile`` is a text file object or a path."""
        from apscheduler_rs.schedulers._export import load_job_states

        store = self._jobstores[jobstore]
        with ExitStack() as stack:
            if hasattr(infile, "read"):
                stream = cast(IO[str], infile)
            else:
                stream = stack.enter_context(open(cast(str, infile)))  # noqa: SIM115
            states = load_job_states(stream)
        for state in states:
            job = Job.__new__(Job)
            job.__setstate__(state)
            job._scheduler = self
            job._jobstore_alias = jobstore
            store.add_job(job)

    # Internals that subclasses may override

    def _create_default_executor(self) -> BaseExecutor:
        from apscheduler_rs.executors.pool import ThreadPoolExecutor

        return ThreadPoolExecutor()

    def _create_default_jobstore(self) -> BaseJobStore:
        return MemoryJobStore()

    def _create_lock(self) -> Any:
        # threading.RLock's interface; the Rust base takes it without a call
        return RLock()

    def _create_plugin_instance(
        self, type_: str, alias: str, constructor_kwargs: Mapping[str, Any]
    ) -> Any:
        return plugin_class(type_, alias, _PLUGIN_BASES[type_])(**constructor_kwargs)

    def _create_trigger(self, trigger: Any, trigger_args: dict[str, Any]) -> BaseTrigger:
        if trigger is None:
            trigger = "date"
        elif type(trigger) is not str:  # an alias needs no (costlier) trigger check
            if is_trigger(trigger):
                return trigger
            if not isinstance(trigger, str):
                raise TypeError(
                    "Expected a trigger instance or string, got "
                    f"{trigger.__class__.__name__} instead"
                )
        trigger_args.setdefault("timezone", self.timezone)
        return self._create_plugin_instance("trigger", trigger, trigger_args)

    def _lookup_executor(self, alias: str) -> BaseExecutor:
        try:
            return self._executors[alias]
        except KeyError:
            raise KeyError(f"No such executor: {alias}") from None

    def _lookup_jobstore(self, alias: str) -> BaseJobStore:
        try:
            return self._jobstores[alias]
        except KeyError:
            raise KeyError(f"No such job store: {alias}") from None

    def _lookup_job(self, job_id: str, jobstore_alias: str | None) -> tuple[Job, str | None]:
        """The job and the alias of its store (``None`` for a pending job).

        :raises JobLookupError: if there is no such job
        """
        if self.state == STATE_STOPPED:
            for job, _, _ in self._pending_jobs:
                if job.id == job_id:
                    return job, None
        else:
            for alias, store in self._jobstores.items():
                if jobstore_alias in (None, alias):
                    job = store.lookup_job(job_id)
                    if job is not None:
                        return job, alias
        raise JobLookupError(job_id)

    def _check_uwsgi(self) -> None:
        uwsgi = sys.modules.get("uwsgi")
        if not getattr(uwsgi, "has_threads", True):
            raise RuntimeError(
                "The scheduler seems to be running under uWSGI, but threads have "
                "been disabled. You must run uWSGI with the --enable-threads "
                "option for the scheduler to work."
            )

    def _real_add_job(
        self,
        job: Job,
        jobstore_alias: str,
        replace_existing: bool,
        unset: list[str] | None = None,
    ) -> None:
        """Fill in the job's defaults and next run time and store it. ``unset``
        names those of :data:`_FILLED_IN` the job has no value for, when the
        caller knows (add_job); otherwise they are found out."""
        if unset is None:
            # a pending job may have been given some by modify_job meanwhile
            unset = [key for key in _FILLED_IN if not hasattr(job, key)]
        if unset:
            first_run_time = None
            if "next_run_time" in unset:
                first_run_time = job._next_fire_time(None, datetime.now(self.timezone))
            checked = self._checked_job_defaults()
            if checked is None:
                # a default a job refuses: _apply raises its error
                values = {**self._job_defaults, "next_run_time": first_run_time}
                job._apply({key: values[key] for key in unset}, new=False)
            else:
                filled = {key: checked[key] for key in unset if key != "next_run_time"}
                if "next_run_time" in unset:
                    filled["next_run_time"] = job._as_run_time(first_run_time)
                job._assign(**filled)

        store = self._lookup_jobstore(jobstore_alias)
        try:
            store.add_job(job)
        except ConflictingIdError:
            if not replace_existing:
                raise
            store.update_job(job)
        job._jobstore_alias = jobstore_alias

        self._emit_job_event(EVENT_JOB_ADDED, job.id, jobstore_alias)
        self._logger.info('Added job "%s" to job store "%s"', job.name, jobstore_alias)
        if self.state == STATE_RUNNING and self._needs_wakeup_for(job):
            self.wakeup()

    def _needs_wakeup_for(self, job: Job) -> bool:
        """Whether an added ``job`` needs the loop woken: not when our own loop
        already sleeps until a time no later than the job's first run (or the
        job is paused), for it recomputes its wait at that wake-up anyway.
        3.11.3 always wakes it; a wake-up costs a sweep, which for a database
        store is two queries per added job. A ``wakeup`` of a subclass, or one
        set on the instance, sees every call as in 3.11.3."""
        wakes_at = self._wakes_at
        if wakes_at is None or not _wakeup_is_ours(type(self)) or "wakeup" in vars(self):
            return True
        run_time = job.next_run_time
        if run_time is None:
            return False
        # Compared as time left on each clock: the loop sleeps by the monotonic
        # clock, so a job due before it wakes is woken for even if the wall
        # clock was set forward meanwhile.
        return run_time.timestamp() - time() < wakes_at - monotonic()

    def _checked_job_defaults(self) -> dict[str, Any] | None:
        """``job_defaults`` as a job holds them once ``Job._apply`` has checked
        them (``coalesce`` made a bool), or ``None`` if a job would refuse one.
        Checked once per value, not for every job added."""
        defaults = self._job_defaults
        checked = self._job_defaults_check
        if checked is None or checked[0] != defaults:
            probe = Job.__new__(Job)
            try:
                probe._apply(dict(defaults), new=True)
            except Exception:
                values = None
            else:
                values = {key: getattr(probe, key) for key in defaults}
            checked = self._job_defaults_check = (dict(defaults), values)
        return checked[1]

    # The due-job step

    def _process_jobs(self) -> float | None:
        """Submit every due job to its executor, store each job's next run time
        (or remove finished jobs), and return the seconds until jobs are due
        again (``None``: nothing scheduled, or paused).

        A store whose ``get_due_jobs`` fails is asked again after
        ``jobstore_retry_interval`` seconds.
        """
        if self.state == STATE_PAUSED:
            self._logger.debug("Scheduler is paused -- not processing jobs")
            return None

        self._logger.debug("Looking for jobs to run")
        now = datetime.now(self.timezone)
        next_wakeup: datetime | None = None
        events: list[JobSubmissionEvent] = []

        with self._jobstores_lock:
            # unknown until this sweep has read every store (None: an added
            # job always wakes the loop, as when the sweep fails)
            self._wakes_at = None
            for alias, store in self._jobstores.items():
                try:
                    due_jobs = store.get_due_jobs(now)
                except Exception as exc:
                    self._logger.warning(
                        "Error getting due jobs from job store %r: %s", alias, exc
                    )
                    next_wakeup = self._earlier(next_wakeup, self._retry_time(now))
                    continue

                # A failure to save a job (an outage, say) escapes as in 3.11.3;
                # the scheduler loops catch it and retry (_process_jobs_or_retry).
                self._run_due_jobs(due_jobs, alias, store, now, events)

                store_next = store.get_next_run_time()
                if store_next:
                    next_wakeup = self._earlier(next_wakeup, store_next.astimezone(self.timezone))
            # set before the lock is released: a job added after this sweep
            # read its store is compared with when the loop will wake
            if next_wakeup is not None:
                self._wakes_at = monotonic() + next_wakeup.timestamp() - time()

        for event in events:
            self._dispatch_event(event)
        return self._seconds_until(next_wakeup)

    def _retry_time(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.jobstore_retry_interval)

    @staticmethod
    def _earlier(current: datetime | None, candidate: datetime) -> datetime:
        return candidate if current is None or candidate < current else current

    def _process_jobs_or_retry(self) -> float | None:
        """:meth:`_process_jobs` for a scheduler's loop or timer: an exception
        escaping it (a broken custom store or executor) is logged and the step
        retried after ``jobstore_retry_interval``, instead of ending the loop."""
        try:
            return self._process_jobs()
        except Exception:
            self._logger.exception(
                "Error processing jobs; retrying in %s seconds", self.jobstore_retry_interval
            )
            return self.jobstore_retry_interval

    def _run_due_jobs(
        self,
        due_jobs: list[Job],
        alias: str,
        store: BaseJobStore,
        now: datetime,
        events: list[JobSubmissionEvent],
    ) -> None:
        """Submit one store's due jobs, in order, and store what became of each:
        its next run time, or its removal once it has none."""
        if not due_jobs:
            return  # most wake-ups of a loop that was woken early, or by a change
        write_batch = self._batch_writer(store)
        if write_batch is None:
            # remove_job() as it would go for a finished job (this store, the
            # lock already held), unless it is overridden and must see the call
            direct_removal = (
                type(self).remove_job is BaseScheduler.remove_job
                and "remove_job" not in self.__dict__
            )
            if direct_removal and self._sweeps_in_rust(store):
                self._sweep_in_rust(store, due_jobs, alias, now, events)
                return
            for job in due_jobs:
                outcome = self._run_due_job(job, alias, now, events)
                if outcome == "update":
                    store.update_job(job)
                elif outcome == "remove":
                    if direct_removal and self.state != STATE_STOPPED:
                        self._remove_finished_job(store, job.id, alias)
                    else:
                        self.remove_job(job.id, alias)
            return

        # A store with the hook (the persistent stores): one write (one
        # transaction / round trip) for the whole sweep instead of one per job,
        # which is what firing many jobs costs. Jobs are still submitted in
        # order, before that write; a crash between the two runs the sweep's
        # jobs again after a restart.
        to_update: list[Job] = []
        to_remove: list[str] = []
        for job in due_jobs:
            outcome = self._run_due_job(job, alias, now, events)
            if outcome == "update":
                to_update.append(job)
            elif outcome == "remove":
                to_remove.append(job.id)
        if not to_update and not to_remove:
            return

        missing = set(write_batch(to_update, to_remove))
        for job_id in to_remove:
            if job_id not in missing:
                self._report_removed(job_id, alias)
        if missing:
            # A job removed meanwhile by someone else (another process, a direct
            # store call; remove_job() waits for _jobstores_lock). Per job, 3.11.3
            # raises JobLookupError from update_job / remove_job for it; so do we,
            # but only now that every other write of the sweep is stored and
            # reported. The loops log it and retry (_process_jobs_or_retry).
            raise JobLookupError(
                next((job.id for job in due_jobs if job.id in missing), min(missing))
            )

    def _sweeps_in_rust(self, store: BaseJobStore) -> bool:
        """Whether a memory store's sweep can run in Rust: nothing it would
        bypass (the per-job step, executor lookup, the store's writes, Job's
        run-time methods) is overridden, and the scheduler is not stopped."""
        if self.state == STATE_STOPPED or not isinstance(store, MemoryJobStoreCore):
            return False
        store_class = type(store)
        scheduler_class = type(self)
        return (
            store_class.update_job is MemoryJobStoreCore.update_job
            and store_class.remove_job is MemoryJobStoreCore.remove_job
            and not {"update_job", "remove_job"} & store.__dict__.keys()
            and scheduler_class._run_due_job is BaseScheduler._run_due_job
            and scheduler_class._lookup_executor is BaseScheduler._lookup_executor
            and not {"_run_due_job", "_lookup_executor"} & self.__dict__.keys()
            and Job._get_run_times is _JOB_RUN_TIMES
            and Job._set_next_run_time is _JOB_SET_NEXT_RUN_TIME
        )

    def _sweep_in_rust(
        self,
        store: Any,
        due_jobs: list[Job],
        alias: str,
        now: datetime,
        events: list[JobSubmissionEvent],
    ) -> None:
        # Whether anyone takes submission and removal events, and whether
        # removals are logged, is decided once per sweep.
        submitted = (
            functools.partial(JobSubmissionEvent, EVENT_JOB_SUBMITTED)
            if self._wants_event(EVENT_JOB_SUBMITTED)
            else None
        )
        reports_removals = self._wants_event(EVENT_JOB_REMOVED) or self._logger.isEnabledFor(INFO)
        direct = {}
        for executor_alias, executor in self._executors.items():
            submission = getattr(executor, "_direct_submission", None)
            if submission is not None and (submission := submission()) is not None:
                direct[executor_alias] = submission
        step = DueJobStep(
            self,
            Job,
            self._executors,
            direct,
            self._run_due_job,
            self._submission_failed,
            submitted,
            self._report_removed if reports_removals else None,
        )
        step.run(store, due_jobs, alias, now, events)

    @staticmethod
    def _batch_writer(store: BaseJobStore) -> Callable[[list[Job], list[str]], list[str]] | None:
        """The one place that decides whether a store's sweeps are written in one
        batch: its ``update_and_remove_jobs`` hook, or ``None`` (job by job)."""
        # Opt-in: stores without the hook (the memory store, stores written for
        # APScheduler 3) are written job by job right after each submission, so
        # their events and log lines come in 3.11.3's order.
        hook = getattr(store, "update_and_remove_jobs", None)
        if hook is None or "update_and_remove_jobs" in getattr(store, "__dict__", ()):
            return hook
        # A subclass that overrides update_job / remove_job of a store with the
        # hook (to audit writes, say) has not opted in: the hook would bypass its
        # methods. It is written job by job unless it defines the hook as well.
        mro = type(store).__mro__
        hook_class = next(cls for cls in mro if "update_and_remove_jobs" in vars(cls))
        for name in ("update_job", "remove_job"):
            if not issubclass(hook_class, next(cls for cls in mro if name in vars(cls))):
                return None
        return hook

    def _run_due_job(
        self, job: Job, alias: str, now: datetime, events: list[JobSubmissionEvent]
    ) -> Literal["update", "remove"] | None:
        """Submit a due job to its executor; what to store then: ``"update"`` (the
        job's new next run time), ``"remove"`` (it has none, or no executor) or
        ``None`` (nothing: no run time is due after all)."""
        try:
            executor = self._lookup_executor(job.executor)
        except BaseException:
            self._logger.error(
                'Executor lookup ("%s") failed for job "%s" -- removing it from the job store',
                job.executor,
                job,
            )
            return "remove"

        run_times = job._get_run_times(now)
        if job.coalesce:
            run_times = run_times[-1:]
        if not run_times:
            return None

        try:
            executor.submit_job(job, run_times)
        except BaseException as exc:
            self._submission_failed(exc, job, alias, run_times, events)
        else:
            if self._wants_event(EVENT_JOB_SUBMITTED):
                events.append(JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, alias, run_times))

        next_run_time = job._next_fire_time(run_times[-1], now)
        if next_run_time:
            job._set_next_run_time(next_run_time)
            return "update"
        return "remove"

    def _submission_failed(
        self,
        exc: BaseException,
        job: Job,
        alias: str,
        run_times: list[datetime],
        events: list[JobSubmissionEvent],
    ) -> None:
        """Log (and report, if wanted) that ``executor.submit_job`` raised ``exc``."""
        if isinstance(exc, MaxInstancesReachedError):
            self._logger.warning(
                'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
                job,
                job.max_instances,
            )
            if self._wants_event(EVENT_JOB_MAX_INSTANCES):
                events.append(
                    JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, run_times)
                )
        else:
            self._logger.error(
                'Error submitting job "%s" to executor "%s"', job, job.executor, exc_info=exc
            )

    def _remove_finished_job(self, store: BaseJobStore, job_id: str, alias: str) -> None:
        """``remove_job(job_id, alias)`` while running, with the store at hand."""
        try:
            store.remove_job(job_id)
        except JobLookupError:
            raise JobLookupError(job_id) from None
        self._report_removed(job_id, alias)

    def _report_removed(self, job_id: str, alias: str) -> None:
        # What remove_job() reports for a job it removed.
        self._emit_job_event(EVENT_JOB_REMOVED, job_id, alias)
        self._logger.info("Removed job %s", job_id)

    def _seconds_until(self, wakeup: datetime | None) -> float | None:
        if self.state == STATE_PAUSED:
            self._logger.debug("Scheduler is paused; waiting until resume() is called")
            return None
        if wakeup is None:
            self._logger.debug("No jobs; waiting until a job is added")
            return None
        now = datetime.now(self.timezone)
        seconds = min(max(wakeup.timestamp() - now.timestamp(), 0), TIMEOUT_MAX)
        self._logger.debug("Next wakeup is due at %s (in %f seconds)", wakeup, seconds)
        return seconds


_BASE_DISPATCH = BaseScheduler._dispatch_event
_JOB_RUN_TIMES = Job._get_run_times
_JOB_SET_NEXT_RUN_TIME = Job._set_next_run_time


@functools.cache
def _wakeup_is_ours(cls: type[BaseScheduler]) -> bool:
    """Whether ``cls.wakeup`` is one of our schedulers' own, whose loops sleep
    no longer than the wait a sweep returns."""
    return cls.wakeup.__module__.startswith("apscheduler_rs.schedulers.")
