"""Triggers that combine others: ``AndTrigger`` and ``OrTrigger``.

They work with any triggers, built-in or user-written, so they call each
trigger's ``get_next_fire_time`` and live in Python.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from apscheduler_rs.triggers.base import BaseTrigger, check_state_version
from apscheduler_rs.util import obj_to_ref, ref_to_obj

__all__ = ("AndTrigger", "BaseCombiningTrigger", "OrTrigger")

logger = logging.getLogger("apscheduler.triggers.combining")

#: APScheduler 3 searches forever for a time all triggers agree on; past this
#: many rounds we give up (return None) and log a warning instead of hanging.
MAX_AND_ITERATIONS = 10_000


class BaseCombiningTrigger(BaseTrigger):
    __slots__ = ("jitter", "triggers")

    def __init__(self, triggers: list[BaseTrigger], jitter: float | None = None) -> None:
        self.triggers = triggers
        self.jitter = jitter

    def __getstate__(self) -> dict[str, Any]:
        return {
            "version": 1,
            "triggers": [
                # object.__getstate__ is 3.11+: on 3.10 a trigger needs its own,
                # as with APScheduler 3.11.3
                (obj_to_ref(trigger.__class__), trigger.__getstate__())  # type: ignore[attr-defined]
                for trigger in self.triggers
            ],
            "jitter": self.jitter,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        check_state_version(state, 1, self.__class__.__name__)
        self.jitter = state["jitter"]
        self.triggers = []
        for class_ref, trigger_state in state["triggers"]:
            # State written by APScheduler names its own classes.
            if class_ref.startswith("apscheduler."):
                class_ref = "apscheduler_rs." + class_ref[len("apscheduler.") :]
            cls = ref_to_obj(class_ref)
            trigger = cls.__new__(cls)
            trigger.__setstate__(trigger_state)
            self.triggers.append(trigger)

    def __repr__(self) -> str:
        jitter = f", jitter={self.jitter}" if self.jitter else ""
        return f"<{self.__class__.__name__}({self.triggers}{jitter})>"


class AndTrigger(BaseCombiningTrigger):
    """Fires at the earliest time all the given triggers agree on; finished as
    soon as any of them is. Meant for triggers firing at set times of day (cron,
    calendarinterval), not for interval triggers."""

    __slots__ = ()

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        for _ in range(MAX_AND_ITERATIONS):
            fire_times = [
                trigger.get_next_fire_time(previous_fire_time, now) for trigger in self.triggers
            ]
            known = [fire_time for fire_time in fire_times if fire_time is not None]
            if len(known) < len(fire_times):
                return None
            if min(known) == max(known):
                return self._apply_jitter(known[0], self.jitter, now)
            now = max(known)
        logger.warning(
            "%s found no time that all its triggers agree on in %d rounds; giving up",
            self,
            MAX_AND_ITERATIONS,
        )
        return None

    def __str__(self) -> str:
        return "and[{}]".format(", ".join(str(trigger) for trigger in self.triggers))


class OrTrigger(BaseCombiningTrigger):
    """Fires at the earliest time any of the given triggers produces; finished
    when all of them are."""

    __slots__ = ()

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        fire_times = [
            fire_time
            for fire_time in (
                trigger.get_next_fire_time(previous_fire_time, now) for trigger in self.triggers
            )
            if fire_time is not None
        ]
        if not fire_times:
            return None
        return self._apply_jitter(min(fire_times), self.jitter, now)

    def __str__(self) -> str:
        return "or[{}]".format(", ".join(str(trigger) for trigger in self.triggers))
