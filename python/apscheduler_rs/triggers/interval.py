"""The interval trigger: runs every N weeks/days/hours/minutes/seconds."""

from __future__ import annotations

from apscheduler_rs._core import IntervalTriggerCore
from apscheduler_rs.triggers.base import BaseTrigger
from apscheduler_rs.util import astimezone

__all__ = ("IntervalTrigger",)


class IntervalTrigger(IntervalTriggerCore, BaseTrigger):
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

    def __setstate__(self, state: dict | tuple) -> None:
        # APScheduler 3.0 pickled a (version, state) tuple
        if isinstance(state, tuple):
            state = state[1]
        if state.get("version", 1) > 2:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only versions up to 2 can be handled"
            )
        self._restore(
            state["timezone"],
            state["start_date"],
            state["end_date"],
            state["interval"],
            state.get("jitter"),
        )
