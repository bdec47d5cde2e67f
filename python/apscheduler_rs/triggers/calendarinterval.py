"""The calendar interval trigger: every N years/months/weeks/days at one time of day."""

from __future__ import annotations

from typing import Any

from apscheduler_rs._core import CalendarIntervalTriggerCore
from apscheduler_rs.triggers.base import BaseTrigger
from apscheduler_rs.util import timezone_repr

__all__ = ("CalendarIntervalTrigger",)


class CalendarIntervalTrigger(CalendarIntervalTriggerCore, BaseTrigger):
    """Fires on calendar steps (``years``, ``months``, then ``weeks``, ``days``) at
    ``hour:minute:second`` wall-clock time in ``timezone``, from ``start_date``
    (default: today) to ``end_date``. Dates that do not exist (31 April) and
    times skipped by a DST change are passed over; a repeated time fires once,
    at its first occurrence. All arguments are keyword-only.
    """

    __slots__ = ()

    def __init__(
        self, *, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0, **_: Any
    ) -> None:
        # The Rust __new__ has built the trigger; these checks stay out of it so
        # that unpickling (which calls __new__ bare) works.
        if years == months == weeks == days == 0:
            raise ValueError("interval must be at least 1 day long")
        if self.end_date and self.start_date > self.end_date:
            raise ValueError("end_date cannot be earlier than start_date")

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "interval": [self.years, self.months, self.weeks, self.days],
            "time": list(self._time_parts),
            "start_date": self.start_date,
            "end_date": self.end_date,
            "timezone": self.timezone,
            "jitter": self.jitter,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("version", 1) > 1:
            raise ValueError(
                f"Got serialized data for version {state['version']} of "
                f"{self.__class__.__name__}, but only versions up to 1 can be handled"
            )
        self._restore(
            state["timezone"],
            list(state["interval"]),
            list(state["time"]),
            state["start_date"],
            state["end_date"],
            state["jitter"],
        )

    def __repr__(self) -> str:
        fields = [
            f"{name}={value}"
            for name, value in (
                ("years", self.years),
                ("months", self.months),
                ("weeks", self.weeks),
                ("days", self.days),
            )
            if value > 0
        ]
        fields.append(f"time={self._time.isoformat()!r}")
        fields.append(f"start_date='{self.start_date}'")
        if self.end_date:
            fields.append(f"end_date='{self.end_date}'")
        fields.append(f"timezone={timezone_repr(self.timezone)!r}")
        return f"{self.__class__.__name__}({', '.join(fields)})"
