"""The interface every trigger implements."""

from __future__ import annotations

import copyreg
import random
from abc import ABCMeta, abstractmethod
from datetime import datetime, timedelta
from typing import Any, cast


class BaseTrigger(metaclass=ABCMeta):
    """Base class of all triggers, built-in (Rust) or user-written (Python)."""

    __slots__ = ()

    @abstractmethod
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """Return the next time to fire after ``previous_fire_time`` (or from
        ``now`` when there is none), or ``None`` when the schedule is over."""

    def _apply_jitter(
        self, next_fire_time: datetime | None, jitter: float | None, now: datetime
    ) -> datetime | None:
        """Delay ``next_fire_time`` by a random amount of up to ``jitter`` seconds."""
        if next_fire_time is None or not jitter:
            return next_fire_time
        return next_fire_time + timedelta(seconds=random.uniform(0, jitter))


def check_state_version(
    state: dict | tuple,
    supported: int,
    class_name: str,
    *,
    single: bool = False,
    legacy_tuple: bool = False,
) -> dict:
    """The state dict to restore from, after refusing state newer than this class
    understands, in APScheduler's words (``single``: the class has only ever had
    one state version). ``legacy_tuple``: the class also accepts APScheduler
    3.0's ``(version, state)`` tuple."""
    if legacy_tuple and isinstance(state, tuple):
        state = state[1]
    # anything but a dict fails here, as in APScheduler
    state = cast("dict[str, Any]", state)
    version = state.get("version", 1)
    if version > supported:
        which = (
            f"only version {supported} can be handled"
            if single
            else f"only versions up to {supported} can be handled"
        )
        raise ValueError(f"Got serialized data for version {version} of {class_name}, but {which}")
    return state


class RustBackedPickling:
    """Pickling for the triggers built on a Rust class: by ``__getstate__``
    whatever the protocol. (With protocols 0 and 1, ``copyreg`` would try to
    build the Rust base class without its arguments and fail.)"""

    __slots__ = ()

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return copyreg.__newobj__, (type(self),), self.__getstate__()  # type: ignore[attr-defined]
