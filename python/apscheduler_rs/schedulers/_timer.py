"""The part the asyncio and Tornado schedulers share: the due-job step runs from
a one-shot timer on the framework's loop and arms the next one itself."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from apscheduler_rs.schedulers.base import STATE_STOPPED, BaseScheduler

__all__ = ("LoopTimerScheduler",)


class LoopTimerScheduler(BaseScheduler):
    """A scheduler whose step runs from its loop's timer. Subclasses say how to
    arm and cancel a timer, and make :meth:`wakeup` queue :meth:`_step` on
    their loop's thread."""

    _timeout: Any = None

    @abstractmethod
    def _call_later(self, seconds: float, callback: Any) -> Any:
        """Arm a timer on the loop; return its handle."""

    @abstractmethod
    def _cancel_timer(self, handle: Any) -> None:
        """Disarm a timer :meth:`_call_later` armed."""

    def _step(self) -> None:
        """Run due jobs and arm the timer for the next ones (in the loop's thread)."""
        self._stop_timer()
        # A wakeup queued before a shutdown that has run since has nothing to do
        # (3.11.3 would run due jobs on the stopped scheduler here).
        if self.state == STATE_STOPPED:
            return
        self._start_timer(self._process_jobs_or_retry())

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        if wait_seconds is not None:
            self._timeout = self._call_later(wait_seconds, self._timer_callback())

    def _timer_callback(self) -> Any:
        """What the timer calls: :meth:`wakeup`, as in 3.11.3."""
        return self.wakeup

    def _stop_timer(self) -> None:
        if self._timeout is not None:
            self._cancel_timer(self._timeout)
            self._timeout = None
