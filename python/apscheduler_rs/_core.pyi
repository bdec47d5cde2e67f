"""Type stubs for the Rust extension module ``apscheduler_rs._core``.

Users should import the public classes from ``apscheduler_rs.triggers.*``;
these ``*Core`` bases hold the Rust state and the hot methods.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

_Expr = tuple[str, int | None, int | None, int | None]

def parse_cron_field(name: str, text: str) -> list[_Expr]: ...
def datetime_fast_path() -> bool: ...

class CronTriggerCore:
    def __init__(
        self,
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
    ) -> None: ...
    @classmethod
    def from_crontab(cls, expr: str, timezone: tzinfo | str | None = None) -> Any: ...
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

class IntervalTriggerCore:
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

class DateTriggerCore:
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

class CalendarIntervalTriggerCore:
    def __init__(
        self,
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
    ) -> None: ...
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

class MemoryJobStoreCore:
    """Jobs by id and in run order; stores any object with ``id`` and
    ``next_run_time`` attributes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None: ...
    def lookup_job(self, job_id: str) -> Any | None: ...
    def get_due_jobs(self, now: datetime) -> list[Any]: ...
    def get_next_run_time(self) -> datetime | None: ...
    def get_all_jobs(self) -> list[Any]: ...
    def add_job(self, job: Any) -> None: ...
    def update_job(self, job: Any) -> None: ...
    def remove_job(self, job_id: str) -> None: ...
    def remove_all_jobs(self) -> None: ...

class DueJobStep:
    """``BaseScheduler._run_due_jobs`` for a memory store, built once per sweep
    (see ``BaseScheduler._sweep_in_rust`` for what each argument is)."""

    def __init__(
        self,
        scheduler: Any,
        job_class: type,
        executors: dict[str, Any],
        direct: dict[str, tuple[Any, ...]],
        run_due_job: Callable[[Any, str, datetime, list[Any]], str | None],
        submission_failed: Callable[[BaseException, Any, str, list[datetime], list[Any]], None],
        submitted: Callable[[str, str, list[datetime]], Any] | None,
        report_removed: Callable[[str, str], None] | None,
    ) -> None: ...
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

class ThreadPoolCore:
    """Rust worker threads under ``executors.pool.ThreadPoolExecutor``. Threads
    start on demand up to ``max_workers``, wait for work without the GIL and live
    until shutdown."""

    def __init__(
        self,
        max_workers: int,
        thread_name_prefix: str,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] | None = None,
        stack_size: int = 0,
    ) -> None: ...
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
