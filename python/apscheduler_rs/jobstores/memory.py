"""The memory job store: jobs kept in this process, indexed in Rust."""

from __future__ import annotations

from apscheduler_rs._core import MemoryJobStoreCore
from apscheduler_rs.jobstores.base import BaseJobStore

__all__ = ("MemoryJobStore",)


class MemoryJobStore(MemoryJobStoreCore, BaseJobStore):
    """Keeps jobs in memory, ordered by next run time (then id; paused jobs last)
    in a Rust index: adding, updating, removing a job and finding the due ones
    take O(log n). Nothing persists across restarts.

    Plugin alias: ``memory``
    """

    def __init__(self) -> None:
        # The Rust __new__ takes any arguments (for subclasses); this refuses
        # them as APScheduler's store does.
        super().__init__()

    def shutdown(self) -> None:
        self.remove_all_jobs()
