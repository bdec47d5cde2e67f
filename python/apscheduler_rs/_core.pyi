"""Type stubs for the Rust extension module ``apscheduler_rs._core``.

Users should import the public classes from ``apscheduler_rs.triggers.*``;
these ``*Core`` bases hold the Rust state and the hot methods.

Checked against the built module by ``python -m mypy.stubtest apscheduler_rs._core``
(run by ``scripts/test.sh``).
"""

import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from types import TracebackType
from typing import Any, TypeAlias, final

from typing_extensions import Self, disjoint_base

__all__ = [
    "CronTriggerCore",
    "IntervalTriggerCore",
    "DateTriggerCore",
    "CalendarIntervalTriggerCore",
    "JobCore",
    "JobSpec",
    "MemoryJobStoreCore",
    "SchedulerCore",
    "RLock",
    "DueJobStep",
    "WakeSignal",
    "ThreadPoolCore",
    "shutdown_thread_pools",
    "parse_cron_field",
    "start_coroutine_runs",
    "datetime_fast_path",
    "resolve_imported_ref",
]

# Stub-only (private, so stubtest does not look for it at runtime): one cron
# expression as ``(kind, a, b, c)``, see ``triggers/cron/expressions.py``.
_Expr: TypeAlias = tuple[str, int | None, int | None, int | None]

def parse_cron_field(name: str, text: object) -> list[_Expr]:
    """Parse ``str(text)`` as the cron field ``name`` would."""

def datetime_fast_path() -> bool: ...
def resolve_imported_ref(reference: object) -> tuple[Any] | None:
    """``(obj,)`` for a ``module:attr.path`` reference whose module is a plain,
    already imported one, else ``None`` (``util.ref_to_obj`` then imports)."""

# Triggers. Each ``__new__`` builds the trigger (unpickling calls it without
# arguments); ``CronTriggerCore`` and ``DateTriggerCore`` also take ``**unexpected``
# only to reject it with APScheduler's TypeError, so it is left out here.

@disjoint_base
class CronTriggerCore:
    def __new__(
        cls,
        year: int | str | None = None,
        month: int | str | None = None,
        day: int | str | None = None,
        week: int | str | None = None,
        day_of_week: int | str | None = None,
        hour: int | str | None = None,
        minute: int | str | None = None,
        second: int | str | None = None,
        start_date: datetime | date | str | None = None,
        end_date: datetime | date | str | None = None,
        timezone: tzinfo | str | None = None,
        jitter: float | None = None,
    ) -> Self: ...
    @classmethod
    def from_crontab(cls, expr: str, timezone: tzinfo | str | None = None) -> Self: ...
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...
    @property
    def timezone(self) -> tzinfo: ...
    @property
    def start_date(self) -> datetime | None: ...
    @property
    def end_date(self) -> datetime | None: ...
    jitter: float | None
    def _restore(
        self,
        timezone: tzinfo,
        start_date: datetime | None,
        end_date: datetime | None,
        fields: list[tuple[str, bool, list[_Expr]]],
        jitter: float | None,
    ) -> None: ...
    def _field_specs(self) -> list[tuple[str, bool, list[_Expr]]]: ...

@disjoint_base
class IntervalTriggerCore:
    # __new__ builds the trigger; __init__ makes the default one of a call without
    # arguments, which __new__ leaves blank (as unpickling wants it)
    def __new__(
        cls,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        start_date: datetime | date | str | None = None,
        end_date: datetime | date | str | None = None,
        timezone: tzinfo | str | None = None,
        jitter: float | None = None,
    ) -> Self: ...
    def __init__(
        self,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        start_date: datetime | date | str | None = None,
        end_date: datetime | date | str | None = None,
        timezone: tzinfo | str | None = None,
        jitter: float | None = None,
    ) -> None: ...
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...
    @property
    def timezone(self) -> tzinfo: ...
    @property
    def interval(self) -> timedelta: ...
    @property
    def interval_length(self) -> float: ...
    @property
    def start_date(self) -> datetime: ...
    @property
    def end_date(self) -> datetime | None: ...
    jitter: float | None
    def __setstate__(self, state: dict[str, Any] | tuple[int, dict[str, Any]]) -> None: ...

@disjoint_base
class DateTriggerCore:
    # as IntervalTriggerCore: __init__ makes the default trigger (now)
    def __new__(
        cls, run_date: datetime | date | str | None = None, timezone: tzinfo | str | None = None
    ) -> Self: ...
    def __init__(
        self, run_date: datetime | date | str | None = None, timezone: tzinfo | str | None = None
    ) -> None: ...
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...
    @property
    def run_date(self) -> datetime: ...
    def _restore(self, run_date: datetime) -> None: ...
    def _run_date_micros(self) -> int: ...

@disjoint_base
class CalendarIntervalTriggerCore:
    # The Python subclass's ``__init__`` checks the interval.
    def __new__(
        cls,
        *,
        years: int = 0,
        months: int = 0,
        weeks: int = 0,
        days: int = 0,
        hour: int = 0,
        minute: int = 0,
        second: int = 0,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        timezone: tzinfo | str | None = None,
        jitter: float | None = None,
    ) -> Self: ...
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...
    @property
    def timezone(self) -> tzinfo: ...
    # kept as given (APScheduler accepts bools and floats here)
    @property
    def years(self) -> Any: ...
    @property
    def months(self) -> Any: ...
    @property
    def weeks(self) -> Any: ...
    @property
    def days(self) -> Any: ...
    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date | None: ...
    jitter: float | None
    @property
    def _time(self) -> time: ...
    @property
    def _time_parts(self) -> list[int]: ...
    def _restore(
        self,
        timezone: tzinfo,
        interval: list[Any],
        time: list[int],
        start_date: date,
        end_date: date | None,
        jitter: float | None,
    ) -> None: ...

# Jobs

@disjoint_base
class JobCore:
    """Where ``apscheduler_rs.job.Job`` keeps its attributes; each raises
    ``AttributeError`` until first assigned."""

    def __new__(cls, *_args: Any, **_kwargs: Any) -> Self: ...
    id: str
    _scheduler: Any
    _jobstore_alias: str | None
    func: Callable[..., Any]
    func_ref: str | None
    name: str
    executor: str
    misfire_grace_time: int | None
    coalesce: bool
    max_instances: int
    args: Iterable[Any]
    kwargs: Mapping[str, Any]
    trigger: Any
    next_run_time: datetime | None
    def _assign(self, **changes: Any) -> None:
        """Assign several attributes at once (``_kwargs_empty=True``: an empty
        ``kwargs``, made only when read)."""
    def _next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...
    def _trigger_text(self) -> str: ...
    def _trigger_object(self) -> Any: ...
    def _restore(
        self, state: dict[str, Any], scheduler: Any = None, jobstore_alias: str | None = None
    ) -> None: ...
    def _call(self) -> Any: ...

@final
class JobSpec:
    """The attributes jobs share (internal; made by the Rust code only)."""

# Job store and scheduler

@disjoint_base
class MemoryJobStoreCore:
    """Jobs by id and in run order; stores any object with ``id`` and
    ``next_run_time`` attributes."""

    def __new__(cls, *_args: Any, **_kwargs: Any) -> Self: ...
    def lookup_job(self, job_id: str) -> Any | None: ...
    def get_due_jobs(self, now: datetime) -> list[Any]: ...
    def get_next_run_time(self) -> datetime | None: ...
    def get_all_jobs(self) -> list[Any]: ...
    def add_job(self, job: Any) -> None: ...
    def update_job(self, job: Any) -> None: ...
    def remove_job(self, job_id: str) -> None: ...
    def remove_all_jobs(self) -> None: ...

@disjoint_base
class SchedulerCore:
    """The Rust base of ``BaseScheduler``: ``add_job`` and ``remove_job`` done
    directly in the common case, else by the Python methods."""

    # Kept in Rust (data descriptors), read and written as instance attributes.
    state: int
    _listened_mask: int
    _jobstores: dict[str, Any]
    _jobstores_lock: Any
    _logger: Any

    def __new__(cls, *args: Any, **kwargs: Any) -> Self: ...
    def _add_job_direct(
        self,
        func: Callable[..., Any] | str,
        trigger: Any,
        args: Any,
        kwargs: Any,
        id: Any,
        name: Any,
        misfire_grace_time: Any,
        coalesce: Any,
        max_instances: Any,
        next_run_time: Any,
        jobstore: Any,
        executor: Any,
        replace_existing: Any,
        trigger_args: dict[str, Any],
        /,
    ) -> Any:
        """``BaseScheduler.add_job`` with every argument given, in order (an
        option left out is ``util.undefined``)."""
    def remove_job(self, job_id: str, jobstore: str | None = None) -> None: ...

@final
class RLock:
    """``threading.RLock``'s interface; the scheduler's Rust code takes it
    without a Python call."""

    def __new__(cls) -> Self: ...
    # timeout defaults to -1 (no limit), which the runtime signature shows as ``...``
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> bool: ...
    def __exit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None: ...
    def _is_owned(self) -> bool: ...

@final
class DueJobStep:
    """``BaseScheduler._run_due_jobs`` for a memory store, built once per sweep
    (see ``BaseScheduler._sweep_in_rust`` for what each argument is)."""

    def __new__(
        cls,
        scheduler: Any,
        job_class: type,
        executors: dict[str, Any],
        direct: dict[str, tuple[Any, ...]],
        run_due_job: Callable[[Any, str, datetime, list[Any]], str | None],
        submission_failed: Callable[[BaseException, Any, str, list[datetime], list[Any]], None],
        submitted: Callable[[str, str, list[datetime]], Any] | None,
        report_removed: Callable[[str, str], None] | None,
    ) -> Self: ...
    def run(
        self,
        store: MemoryJobStoreCore,
        due_jobs: list[Any],
        alias: str,
        now: datetime,
        events: list[Any],
    ) -> None:
        """Submit ``due_jobs`` in order and store what became of each: its next
        run time, or its removal."""

@final
class WakeSignal:
    """What the Blocking/Background schedulers sleep in, with Python detached."""

    def __new__(cls) -> Self: ...
    def set(self) -> None: ...
    def is_set(self) -> bool: ...
    def clear(self) -> None: ...
    def wait(self, timeout: float | None = None, check_signals: bool = False) -> bool:
        """Sleep until ``set()`` or ``timeout`` seconds (``None``: no limit);
        ``True`` if set. With ``check_signals``, signal handlers run meanwhile
        and what they raise comes out of here."""

# Executors

@final
class ThreadPoolCore:
    """Rust worker threads under ``executors.pool.ThreadPoolExecutor``. Threads
    start on demand up to ``max_workers``, wait for work without the GIL and live
    until shutdown."""

    def __new__(
        cls,
        max_workers: int,
        thread_name_prefix: str,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] | None = None,
        stack_size: int = 0,
    ) -> Self: ...
    def submit(
        self, func: Callable[..., Any], args: tuple[Any, ...], executor: Any, job_id: Any
    ) -> None:
        """Queue ``func(*args)``; a worker passes its return value to
        ``executor._run_job_success(job_id, value)``, or what it raised to
        ``executor._run_job_error(job_id, exc, tb)``.

        :raises RuntimeError: after shutdown
        :raises concurrent.futures.thread.BrokenThreadPool: after an initializer failed
        """
    def submit_job(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        executor: Any,
        job_id: str,
        max_instances: int,
        instances: dict[str, int],
    ) -> bool:
        """Queue ``func(*args)`` as one run of ``job_id`` unless ``instances``
        counts ``max_instances`` runs of it in progress (then ``False``). The
        pool counts the run and its end in ``instances``; a worker passes a
        non-empty return value to ``executor._dispatch_run_events(value)``, or
        what ``func`` raised to ``executor._log_run_error(job_id, exc, tb)``.

        :raises RuntimeError: after shutdown
        :raises concurrent.futures.thread.BrokenThreadPool: after an initializer failed
        """
    def shutdown(self, wait: bool = True) -> None: ...
    @property
    def max_workers(self) -> int: ...
    @property
    def _max_workers(self) -> int: ...
    @property
    def worker_count(self) -> int:
        """Threads started so far."""

def shutdown_thread_pools() -> None:
    """Shut down every ``ThreadPoolCore`` and join its threads (run at exit)."""

def start_coroutine_runs(
    job: Any,
    alias: str | None,
    run_times: list[datetime],
    logger: logging.Logger,
    wanted: Callable[[int], bool],
) -> tuple[list[Any], Coroutine[Any, Any, list[Any]] | None]:
    """``executors.asyncio._start_runs``: a coroutine job's runs as long as none
    waits; the events so far and, if one waits, what finishes the submission."""
