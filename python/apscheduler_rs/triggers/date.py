"""The date trigger: runs once."""

from __future__ import annotations

from apscheduler_rs._core import DateTriggerCore
from apscheduler_rs.triggers.base import BaseTrigger, RustBackedPickling, check_state_version

__all__ = ("DateTrigger",)


class DateTrigger(RustBackedPickling, DateTriggerCore, BaseTrigger):
    """Fires once, at ``run_date`` (datetime, date or str; default: now).
    ``timezone`` applies to a ``run_date`` given without one."""

    __slots__ = ()

    def __getstate__(self) -> dict:
        return {"version": 1, "run_date": self.run_date}

    def __setstate__(self, state: dict | tuple) -> None:
        state = check_state_version(
            state, 1, self.__class__.__name__, single=True, legacy_tuple=True
        )
        self._restore(state["run_date"])
