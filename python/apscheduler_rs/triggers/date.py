"""The date trigger: runs once."""

from __future__ import annotations

from apscheduler_rs._core import DateTriggerCore
from apscheduler_rs.triggers.base import BaseTrigger

__all__ = ("DateTrigger",)


class DateTrigger(DateTriggerCore, BaseTrigger):
    """Fires once, at ``run_date`` (datetime, date or str; default: now).
    ``timezone`` applies to a ``run_date`` given without one."""

    __slots__ = ()

    def __getstate__(self) -> dict:
        return {"version": 1, "run_date": self.run_date}

    def __setstate__(self, state: dict | tuple) -> None:
        # APScheduler 3.0 pickled a (version, state) tuple
        if isinstance(state, tuple):
            state = state[1]
        if state.get("version", 1) > 1:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only version 1 can be handled"
            )
        self._restore(state["run_date"])
