"""What every job store implements, and the errors stores raise."""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ("BaseJobStore", "ConflictingIdError", "JobLookupError", "TransientJobError")


class JobLookupError(KeyError):
    """No job with this id in the store (on update or removal)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job by the id of {job_id} was found")


class ConflictingIdError(KeyError):
    """A job with this id is already stored."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job identifier ({job_id}) conflicts with an existing job")


class TransientJobError(ValueError):
    """The job's callable cannot be referenced by name, so a persistent store
    could not restore it."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"Job ({job_id}) cannot be added to this job store because a reference to the "
            "callable could not be determined."
        )


class BaseJobStore(metaclass=ABCMeta):
    """Base class of job stores: built-in or your own, the scheduler drives them
    all through these methods.

    Optional hook ``update_and_remove_jobs(jobs, job_ids) -> list[str]``: a store
    that can write many jobs in one go (one transaction, one round trip) defines
    it, and the scheduler then stores the outcome of each due-job sweep with one
    call instead of one ``update_job`` / ``remove_job`` per due job. It replaces
    the stored ``jobs`` (as :meth:`update_job`) and removes the jobs of
    ``job_ids`` (as :meth:`remove_job`). It must not stop at an id it does not
    find (a job removed meanwhile, by another process say): it applies every
    other write and returns the ids it did not find; the scheduler then raises
    :class:`JobLookupError` for the first of them, as the per-job calls would,
    after reporting the removals that took place. Any other error is raised; the
    scheduler retries the sweep after ``jobstore_retry_interval`` seconds.

    Stores without the hook (it is ``None`` here), such as the memory store and
    stores written for APScheduler 3, keep getting one call per due job, right
    after its submission, as in APScheduler 3.11.3. So does a subclass that
    overrides ``update_job`` or ``remove_job`` of a store with the hook, unless
    it defines the hook too (the inherited one would bypass its methods).
    """

    _scheduler: Any = None
    _alias: str | None = None
    _logger = logging.getLogger("apscheduler.jobstores")

    #: The optional batch hook described above; ``None``: write job by job.
    update_and_remove_jobs: Callable[[list[Any], list[str]], list[str]] | None = None

    def start(self, scheduler: Any, alias: str) -> None:
        """Called when the scheduler starts, or when the store is added to a
        running scheduler, under the alias it was given."""
        self._scheduler = scheduler
        self._alias = alias
        self._logger = logging.getLogger(f"apscheduler.jobstores.{alias}")

    def shutdown(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release whatever the store holds (connections, ...); nothing by default."""

    def _fix_paused_jobs_sorting(self, jobs: list[Any]) -> None:
        # Stores whose queries sort NULL first: move the paused jobs to the end.
        for i, job in enumerate(jobs):
            if job.next_run_time is not None:
                if i > 0:
                    paused = jobs[:i]
                    del jobs[:i]
                    jobs.extend(paused)
                break

    @abstractmethod
    def lookup_job(self, job_id: str) -> Any:
        """The job with this id, or ``None``."""

    @abstractmethod
    def get_due_jobs(self, now: datetime) -> list[Any]:
        """Jobs whose ``next_run_time`` is at or before ``now``, earliest first."""

    @abstractmethod
    def get_next_run_time(self) -> datetime | None:
        """The earliest ``next_run_time`` of the stored jobs; ``None`` if none is
        scheduled."""

    @abstractmethod
    def get_all_jobs(self) -> list[Any]:
        """Every job, by next run time, paused jobs (no next run time) last."""

    @abstractmethod
    def add_job(self, job: Any) -> None:
        """Store a new job; :class:`ConflictingIdError` if the id is taken."""

    @abstractmethod
    def update_job(self, job: Any) -> None:
        """Replace the stored job of the same id; :class:`JobLookupError` if none."""

    @abstractmethod
    def remove_job(self, job_id: str) -> None:
        """Remove a job; :class:`JobLookupError` if there is none with this id."""

    @abstractmethod
    def remove_all_jobs(self) -> None:
        """Remove every job."""

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"
