"""Schedulers (BlockingScheduler, BackgroundScheduler and the framework ones
live in submodules, as in APScheduler 3) and their state errors."""

from __future__ import annotations

__all__ = ("SchedulerAlreadyRunningError", "SchedulerNotRunningError")


class SchedulerAlreadyRunningError(Exception):
    """The scheduler is running, and this (start, configure) needs it stopped."""

    def __str__(self) -> str:
        return "Scheduler is already running"


class SchedulerNotRunningError(Exception):
    """The scheduler is not running, and this (shutdown, pause) needs it running."""

    def __str__(self) -> str:
        return "Scheduler is not running"
