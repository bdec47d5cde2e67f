"""The interval trigger: runs every N weeks/days/hours/minutes/seconds."""

from __future__ import annotations

from apscheduler_rs._core import IntervalTriggerCore
from apscheduler_rs.triggers.base import BaseTrigger, RustBackedPickling
from apscheduler_rs.util import astimezone

__all__ = ("IntervalTrigger",)


class IntervalTrigger(RustBackedPickling, IntervalTriggerCore, BaseTrigger):
    """Fires at fixed intervals of real time, from ``start_date`` (default: now
    plus one interval) until ``end_date``.

    Arguments: ``weeks``, ``days``, ``hours``, ``minutes``, ``seconds`` (an all-zero
    interval means one second), ``start_date``, ``end_date`` (datetime or str),
    ``timezone`` (tzinfo or name), ``jitter`` (seconds of random delay, at most).
    """

    __slots__ = ()

    def __getstate__(self) -> dict:
        return {
            "version": 2,
            "timezone": astimezone(self.timezone),
            "start_date": self.start_date,
            "end_date": self.end_date,
            "interval": self.interval,
            "jitter": self.jitter,
        }
