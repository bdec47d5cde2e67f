"""GeventScheduler: the scheduler loop as a greenlet; ``start()`` returns it."""

from __future__ import annotations

from typing import Any

from apscheduler_rs.executors.base import BaseExecutor
from apscheduler_rs.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler_rs.schedulers.blocking import BlockingScheduler

try:
    import gevent
    from gevent.event import Event
    from gevent.lock import RLock
except ImportError as exc:  # gevent is an optional dependency
    raise ImportError("GeventScheduler requires gevent installed") from exc

__all__ = ("GeventScheduler",)


class GeventScheduler(BlockingScheduler):
    """Runs the scheduler loop in a greenlet spawned by ``start()``, which
    returns that greenlet at once; jobs run in greenlets too (the default
    executor is :class:`~apscheduler_rs.executors.gevent.GeventExecutor`).

    The loop sleeps on a gevent :class:`~gevent.event.Event` and the scheduler's
    locks are gevent's, so waiting yields to other greenlets instead of blocking
    the hub. ``wakeup()`` (called by ``add_job`` and friends) may come from any
    greenlet. ``shutdown()`` returns once the loop greenlet has ended.
    """

    _greenlet: gevent.Greenlet | None = None

    def start(self, *args: Any, **kwargs: Any) -> gevent.Greenlet:  # type: ignore[override]
        # A gevent event, new for each run (the Rust WakeSignal of
        # BlockingScheduler would block the whole hub while it waits); kept when
        # start() is about to fail because the loop is running on it.
        if self.state == STATE_STOPPED:
            self._event = Event()  # type: ignore[assignment]
        BaseScheduler.start(self, *args, **kwargs)
        self._greenlet = gevent.spawn(self._main_loop)
        return self._greenlet

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        greenlet = self._greenlet
        self._greenlet = None
        # shutdown() from a listener runs inside the loop greenlet: no self-join
        if greenlet is not None and greenlet is not gevent.getcurrent():
            greenlet.join()

    def _main_loop(self) -> None:
        # Replaces BlockingScheduler's loop wholesale: no signal handling here
        # (gevent delivers Ctrl+C to the main greenlet) and a gevent wait.
        event: Any = self._event
        wait_seconds: float | None = None  # start() has already set the event
        while self.state != STATE_STOPPED:
            event.wait(wait_seconds)
            # cleared before the jobs are looked at, so a wakeup() that arrives
            # while they are processed is not lost
            event.clear()
            if self.state == STATE_STOPPED:
                break  # woken by shutdown(): the stores are already closed
            wait_seconds = self._process_jobs_or_retry()

    def _create_lock(self) -> Any:
        return RLock()

    def _create_default_executor(self) -> BaseExecutor:
        from apscheduler_rs.executors.gevent import GeventExecutor

        return GeventExecutor()
