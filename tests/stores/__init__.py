"""Tests of the persistent job stores (SQLAlchemy, Redis, MongoDB) on real servers.

This module holds the job functions the tests schedule. They live at module level
in an importable module so that stored jobs reference them by name
(``stores:record``), whichever library (apscheduler_rs or APScheduler 3.11.3)
loads the job.
"""

from __future__ import annotations

import threading
import time
from typing import Any

_lock = threading.Condition()
_runs: list[tuple[Any, ...]] = []


def record(tag: str, *args: Any, **kwargs: Any) -> None:
    """A job: note that it ran, with its arguments."""
    with _lock:
        _runs.append((tag, args, kwargs))
        _lock.notify_all()


def noop(*args: Any, **kwargs: Any) -> None:
    """A job that does nothing."""


def touch(tag: str) -> str:
    """What a malicious pickle in the tests would call: records that it ran."""
    record(f"touched:{tag}")
    return tag


def reset() -> None:
    with _lock:
        _runs.clear()


def runs() -> list[tuple[Any, ...]]:
    with _lock:
        return list(_runs)


def wait_for_tags(tags: set[str], timeout: float = 10.0) -> set[str]:
    """Wait until every tag in ``tags`` ran; the tags that ran."""
    deadline = time.monotonic() + timeout
    with _lock:
        while True:
            seen = {run[0] for run in _runs}
            if tags <= seen:
                return seen
            left = deadline - time.monotonic()
            if left <= 0:
                return seen
            _lock.wait(left)
