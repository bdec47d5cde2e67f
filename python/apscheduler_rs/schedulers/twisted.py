"""TwistedScheduler: the scheduler driven by a Twisted reactor's timers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from apscheduler_rs.executors.base import BaseExecutor
from apscheduler_rs.schedulers import SchedulerNotRunningError
from apscheduler_rs.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler_rs.util import maybe_ref

try:
    # Only checks that Twisted is there: the global reactor is imported (which
    # installs it) when a scheduler needs it, so that importing this module
    # does not stop you from installing another reactor afterwards.
    import twisted.internet  # noqa: F401
except ImportError as exc:  # Twisted is an optional dependency
    raise ImportError("TwistedScheduler requires Twisted installed") from exc

__all__ = ("TwistedScheduler", "run_in_reactor")

_Method = TypeVar("_Method", bound=Callable[..., Any])


def run_in_reactor(func: _Method) -> _Method:
    """Make a scheduler method run in its reactor's thread: calls, from any
    thread, go through ``reactor.callFromThread`` and return ``None`` at once."""

    @wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        self._reactor.callFromThread(func, self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _global_reactor() -> Any:
    from twisted.internet import reactor

    return reactor


def __getattr__(name: str) -> Any:
    # APScheduler's module exposes the global reactor as ``default_reactor``
    if name == "default_reactor":
        return _global_reactor()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class TwistedScheduler(BaseScheduler):
    """Runs on a Twisted reactor: due jobs are looked for in the reactor's
    thread, from a ``reactor.callLater`` timer set for the next run time, and
    ``wakeup()`` (from any thread) reaches it through ``reactor.callFromThread``.
    ``start()`` returns at once; nothing happens until the reactor runs. The
    default executor is :class:`~apscheduler_rs.executors.twisted.TwistedExecutor`
    (the reactor's thread pool).

    ``shutdown()`` is carried out in the reactor thread too, so the scheduler is
    still ``running`` until the reactor gets to it.

    Extra option: ``reactor``: the reactor (or its reference) to use; the global
    ``twisted.internet.reactor`` by default.
    """

    _reactor: Any = None
    _delayedcall: Any = None
    # a wakeup is queued in the reactor: more wakeups until it runs add nothing
    _wakeup_queued = False

    def _configure(self, config: dict[str, Any]) -> None:
        reactor = config.pop("reactor", None)
        self._reactor = maybe_ref(reactor) if reactor is not None else _global_reactor()
        super()._configure(config)

    def shutdown(self, wait: bool = True) -> None:
        if self.state == STATE_STOPPED:
            raise SchedulerNotRunningError
        self._shutdown(wait)

    @run_in_reactor
    def _shutdown(self, wait: bool = True) -> None:
        # two shutdown() calls before the reactor got to the first one
        if self.state == STATE_STOPPED:
            return
        super().shutdown(wait)
        self._stop_timer()

    def wakeup(self) -> None:
        if not self._wakeup_queued:
            self._wakeup_queued = True
            self._reactor.callFromThread(self._process_and_rearm)

    def _process_and_rearm(self) -> None:
        # runs in the reactor thread, from callFromThread or the timer
        self._wakeup_queued = False  # first: a wakeup from now on queues again
        self._stop_timer()
        if self.state == STATE_STOPPED:
            # queued before a shutdown that the reactor has carried out since
            return
        wait_seconds = self._process_jobs_or_retry()
        if wait_seconds is not None and self.state != STATE_STOPPED:
            self._delayedcall = self._reactor.callLater(wait_seconds, self._process_and_rearm)

    def _stop_timer(self) -> None:
        delayedcall = self._delayedcall
        self._delayedcall = None
        if delayedcall is not None and delayedcall.active():
            delayedcall.cancel()

    def _create_default_executor(self) -> BaseExecutor:
        from apscheduler_rs.executors.twisted import TwistedExecutor

        return TwistedExecutor()
