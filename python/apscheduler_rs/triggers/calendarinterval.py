"""The calendar interval trigger: every N years/months/weeks/days at one time of day."""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from typing import Any

from apscheduler_rs._core import CalendarIntervalTriggerCore
from apscheduler_rs.triggers.base import BaseTrigger, RustBackedPickling, check_state_version
from apscheduler_rs.util import timezone_repr

__all__ = ("CalendarIntervalTrigger",)


class CalendarIntervalTrigger(RustBackedPickling, CalendarIntervalTriggerCore, BaseTrigger):
    """Fires on calendar steps (``years``, ``months``, then ``weeks``, ``days``) at
    ``hour:minute:second`` wall-clock time in ``timezone``, from ``start_date``
    (default: today) to ``end_date``. Dates that do not exist (31 April) and
    times skipped by a DST change are passed over; a repeated time fires once,
    at its first occurrence. All arguments are keyword-only.
    """

    __slots__ = ()

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
        jitter: int | None = None,
    ) -> None:
        # The Rust __new__ has built the trigger from the same arguments; these
        # checks stay out of it so that unpickling (which calls __new__ bare)
        # works.
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
        check_state_version(state, 1, self.__class__.__name__)
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


#: Past this many months without a valid date, stop (APScheduler loops forever).
_MAX_MONTH_STEPS = 12 * 10_000


def _python_step(previous: date, years: Any, months: Any, weeks: Any, days: Any) -> date:
    """One calendar step computed with Python's own arithmetic, for counts that
    are not plain integers (floats are accepted by APScheduler's constructor and
    fail here, at the same point and with the same error as there)."""
    year, month = previous.year, previous.month
    for _ in range(_MAX_MONTH_STEPS):
        month += months
        year += years + (month - 1) // 12
        month = (month - 1) % 12 + 1
        try:
            next_date = date(year, month, previous.day)
        except ValueError:
            continue  # no such day in that month
        return next_date + timedelta(days + weeks * 7)
    raise OverflowError("no valid date found within 10,000 years")
