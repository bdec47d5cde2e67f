"""BlockingScheduler: runs jobs from the thread that calls ``start()``, which
returns only when the scheduler shuts down."""

from __future__ import annotations

import signal
import threading
from threading import TIMEOUT_MAX
from typing import Any

from apscheduler_rs._core import WakeSignal
from apscheduler_rs.schedulers.base import STATE_STOPPED, BaseScheduler

__all__ = ("BlockingScheduler",)

# Exit status of a process killed by SIGTERM, kept when we turn SIGTERM into a
# clean shutdown.
_SIGTERM_EXIT_STATUS = 128 + signal.SIGTERM


def _raise_system_exit(signum: int, frame: Any) -> None:
    raise SystemExit(_SIGTERM_EXIT_STATUS)


class BlockingScheduler(BaseScheduler):
    """A scheduler whose ``start()`` blocks, running the scheduler loop in the
    calling thread. Between runs the loop sleeps in Rust without holding the GIL.

    In the main thread, Ctrl+C (KeyboardInterrupt) and SIGTERM (when no handler
    of yours is installed) shut the scheduler down without waiting for running
    jobs, then propagate out of ``start()``; a later ``shutdown()`` call is then
    a no-op instead of an error, so the usual ``except KeyboardInterrupt:
    scheduler.shutdown()`` keeps working.
    """

    _event: WakeSignal | None = None
    _stopped_by_interrupt = False

    def start(self, *args: Any, **kwargs: Any) -> None:
        self._prepare_event()
        super().start(*args, **kwargs)
        self._stopped_by_interrupt = False
        self._main_loop()

    def _prepare_event(self) -> None:
        # a fresh signal for a new run; one left set by shutdown() would wake
        # the new loop at once
        if self._event is None or self._event.is_set():
            self._event = WakeSignal()

    def shutdown(self, wait: bool = True) -> None:
        if self.state == STATE_STOPPED and self._stopped_by_interrupt:
            self._stopped_by_interrupt = False
            return
        super().shutdown(wait)
        if self._event is not None:
            self._event.set()

    def wakeup(self) -> None:
        if self._event is not None:
            self._event.set()

    def _main_loop(self) -> None:
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous_sigterm = None
        if in_main_thread and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            previous_sigterm = signal.signal(signal.SIGTERM, _raise_system_exit)
        try:
            self._run_loop(check_signals=in_main_thread)
        except (KeyboardInterrupt, SystemExit):
            if self.state != STATE_STOPPED:
                self._logger.info("Interrupted; shutting down")
                self.shutdown(wait=False)
                self._stopped_by_interrupt = True
            raise
        finally:
            if previous_sigterm is not None:
                signal.signal(signal.SIGTERM, previous_sigterm)

    def _run_loop(self, check_signals: bool = False) -> None:
        event = self._event
        assert event is not None
        wait_seconds: float | None = TIMEOUT_MAX
        while self.state != STATE_STOPPED:
            event.wait(wait_seconds, check_signals)
            if self.state == STATE_STOPPED:
                break  # woken by shutdown(): the stores are already closed
            wait_seconds = self._process_jobs_or_retry()
