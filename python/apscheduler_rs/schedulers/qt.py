"""QtScheduler: the due-job step runs from a QTimer on a Qt event loop.

The Qt binding is the first of PySide6, PyQt6, PySide5, PyQt5, ... down to
PyQt2 that imports (APScheduler 3.11.3's order)."""

from __future__ import annotations

import math
import threading
from importlib import import_module
from itertools import product
from types import ModuleType
from typing import Any

from apscheduler_rs.schedulers.base import STATE_STOPPED, BaseScheduler

__all__ = ("QtScheduler",)


def _import_qtcore() -> ModuleType:
    for version, binding in product(range(6, 1, -1), ("PySide", "PyQt")):
        try:
            return import_module(f"{binding}{version}.QtCore")
        except ImportError:
            pass
    raise ImportError("QtScheduler requires either PySide/PyQt (v6 to v2) installed")


_qtcore = _import_qtcore()
# Whichever binding was found: its classes are only known at run time.
_QObject: Any = _qtcore.QObject
QTimer = _qtcore.QTimer
# PySide names them Signal/Slot, PyQt pyqtSignal/pyqtSlot.
_Signal = getattr(_qtcore, "Signal", None) or _qtcore.pyqtSignal
_Slot = getattr(_qtcore, "Slot", None) or _qtcore.pyqtSlot


def _qt_enum(scope: str, member: str) -> Any:
    """``Qt.<scope>.<member>`` (Qt 6 bindings) or ``Qt.<member>`` (older ones)."""
    qt = _qtcore.Qt
    value = getattr(getattr(qt, scope, None), member, None)
    return value if value is not None else getattr(qt, member, None)


_QUEUED_CONNECTION = _qt_enum("ConnectionType", "QueuedConnection")
_PRECISE_TIMER = _qt_enum("TimerType", "PreciseTimer")
#: QTimer intervals are C ints of milliseconds; longer waits are re-armed.
_MAX_TIMER_MS = 2147483647


class _Waker(_QObject):
    """Lives in the thread that started the scheduler and owns its timer there.
    A QTimer may only be started or stopped from its own thread, so other threads
    reach it through ``requested``: a queued signal, delivered by that thread's
    event loop."""

    requested = _Signal()

    def __init__(self, scheduler: QtScheduler) -> None:
        super().__init__()
        self._scheduler = scheduler
        self.thread_ident = threading.get_ident()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        if _PRECISE_TIMER is not None and hasattr(self.timer, "setTimerType"):
            # The default coarse timers may fire 5 % late: a minute's wait would
            # overrun the default misfire_grace_time of 1 s.
            self.timer.setTimerType(_PRECISE_TIMER)
        self.timer.timeout.connect(self.fire)
        # Queued even from this thread: wakeup() never runs jobs before it returns.
        self.requested.connect(self.fire, _QUEUED_CONNECTION)

    @_Slot()
    def fire(self) -> None:
        # A waker left behind by a restart in another thread has no say any more.
        if self._scheduler._waker is self:
            self._scheduler._on_timer_or_wakeup()


class QtScheduler(BaseScheduler):
    """A scheduler driven by a Qt event loop: a single-shot :class:`QTimer` in the
    thread that called :meth:`start` runs the due-job step, which rearms it for
    the next due job. That thread must run a Qt event loop (``app.exec()``, or a
    ``QThread``'s).

    Jobs run in the default thread pool executor. :meth:`wakeup` may be called
    from any thread: it queues the step on the scheduler's Qt thread.
    """

    _waker: _Waker | None = None

    def __init__(self, gconfig: dict[str, Any] | None = None, **options: Any) -> None:
        self._retired_wakers: list[_Waker] = []
        super().__init__(gconfig, **options)

    def start(self, paused: bool = False) -> None:
        waker = self._waker
        if self.state == STATE_STOPPED and (
            waker is None or waker.thread_ident != threading.get_ident()
        ):
            if waker is not None:
                # Deleted by its own thread; the reference keeps Python from
                # deleting it from this one first.
                waker.deleteLater()
                self._retired_wakers.append(waker)
            # Created before the base start(), whose wakeup() uses it.
            self._waker = _Waker(self)
        super().start(paused)

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)
        if self._waker is None:
            return
        if self._waker.thread_ident == threading.get_ident():
            self._stop_timer()
        else:
            # Only the timer's thread may stop it; it does so on seeing the state.
            self._waker.requested.emit()

    def wakeup(self) -> None:
        if self._waker is not None:
            self._waker.requested.emit()

    def _on_timer_or_wakeup(self) -> None:
        if self.state == STATE_STOPPED:
            # A wakeup or timeout from before shutdown(): nothing to run.
            self._stop_timer()
            return
        self._process_jobs()

    def _process_jobs(self) -> float | None:
        # Runs in the Qt thread, and rearms the timer there (as in 3.11.3).
        try:
            wait_seconds = super()._process_jobs()
        except Exception:
            # As in our BlockingScheduler: a failing store or listener must not
            # stop the timer chain for good.
            self._logger.exception(
                "Error processing jobs; retrying in %s seconds", self.jobstore_retry_interval
            )
            wait_seconds = self.jobstore_retry_interval
        self._start_timer(wait_seconds)
        return wait_seconds

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        if wait_seconds is not None and self._waker is not None:
            # Rounded up: a timer that fires a fraction of a millisecond early
            # would find nothing due and spin.
            wait_ms = min(math.ceil(wait_seconds * 1000), _MAX_TIMER_MS)
            self._waker.timer.start(wait_ms)

    def _stop_timer(self) -> None:
        if self._waker is not None and self._waker.timer.isActive():
            self._waker.timer.stop()
