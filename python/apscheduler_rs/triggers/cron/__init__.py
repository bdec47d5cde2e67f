"""The cron trigger: fires when the current time matches every field."""

from __future__ import annotations

from datetime import timezone

from apscheduler_rs._core import CronTriggerCore
from apscheduler_rs.triggers.base import BaseTrigger, RustBackedPickling, check_state_version
from apscheduler_rs.triggers.cron.expressions import expression_to_spec
from apscheduler_rs.triggers.cron.fields import (  # noqa: F401 (DEFAULT_VALUES: 3.11.3's name here)
    DEFAULT_VALUES,
    FIELDS_MAP,
    BaseField,
    field_from_spec,
)
from apscheduler_rs.util import _as_tzinfo, astimezone  # noqa: F401 (3.11.3's module has it)

__all__ = ("CronTrigger",)

UTC = timezone.utc  # 3.11.3 has this name here


class CronTrigger(RustBackedPickling, CronTriggerCore, BaseTrigger):
    """Fires when the time matches all given fields, like UNIX cron but with
    APScheduler's semantics (weekday 0 is Monday; ``day`` and ``day_of_week``
    must both match; ``year``, ``week`` and ``second`` fields).

    Arguments (all optional): ``year``, ``month``, ``day``, ``week``,
    ``day_of_week``, ``hour``, ``minute``, ``second`` (int or expression string),
    ``start_date``, ``end_date`` (datetime or str, inclusive), ``timezone``
    (tzinfo or name; defaults to the start/end date's zone, else the local zone),
    ``jitter`` (seconds of random delay, at most).

    Construction, ``get_next_fire_time``, ``str`` and ``repr`` run in Rust.
    """

    FIELD_NAMES = (
        "year",
        "month",
        "day",
        "week",
        "day_of_week",
        "hour",
        "minute",
        "second",
    )
    FIELDS_MAP = FIELDS_MAP

    __slots__ = ()

    @property
    def fields(self) -> list[BaseField]:
        return [field_from_spec(*spec) for spec in self._field_specs()]

    def __getstate__(self) -> dict:
        return {
            "version": 2,
            "timezone": self.timezone,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "fields": self.fields,
            "jitter": self.jitter,
        }

    def __setstate__(self, state: dict | tuple) -> None:
        state = check_state_version(state, 2, self.__class__.__name__, legacy_tuple=True)
        self._restore(
            _as_tzinfo(state["timezone"]),
            state["start_date"],
            state["end_date"],
            [
                (field.name, field.is_default, [expression_to_spec(e) for e in field.expressions])
                for field in state["fields"]
            ],
            state.get("jitter"),
        )
