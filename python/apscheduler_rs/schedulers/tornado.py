"""TornadoScheduler: the due-job step runs from a timeout on a Tornado IOLoop,
and coroutine-function jobs run on that loop."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from apscheduler_rs.executors.base import BaseExecutor
from apscheduler_rs.schedulers import SchedulerNotRunningError
from apscheduler_rs.schedulers._timer import LoopTimerScheduler
from apscheduler_rs.util import maybe_ref

try:
    from tornado.ioloop import IOLoop
except ImportError as exc:
    raise ImportError("TornadoScheduler requires tornado installed") from exc

__all__ = ("TornadoScheduler", "run_in_ioloop")


def run_in_ioloop(func: Callable[..., Any]) -> Callable[..., None]:
    """Turn a scheduler method into one that, called from any thread, queues the
    call on the scheduler's IOLoop (``add_callback``) and returns ``None`` at once.

    The wrapper raises :class:`SchedulerNotRunningError` if the scheduler has no
    IOLoop."""

    @wraps(func)
    def queue_on_ioloop(self: Any, *args: Any, **kwargs: Any) -> None:
        if self._ioloop is None:
            raise SchedulerNotRunningError
        self._ioloop.add_callback(func, self, *args, **kwargs)

    return queue_on_ioloop


class TornadoScheduler(LoopTimerScheduler):
    """A scheduler driven by a Tornado IOLoop: a timeout on the loop runs the
    due-job step, which reschedules the timeout for the next due job.

    The default executor (:class:`~apscheduler_rs.executors.tornado.TornadoExecutor`)
    runs ``async def`` jobs on the loop and other jobs in a thread pool.

    Extra option: ``io_loop``, the IOLoop to use (an instance or its reference);
    by default ``IOLoop.current()`` of the thread that configures the scheduler
    (the constructor).

    :meth:`wakeup` and :meth:`shutdown` may be called from any thread: they queue
    their work on the IOLoop, so it happens when the loop next runs.
    """

    _ioloop: IOLoop | None = None

    def _configure(self, config: dict[str, Any]) -> None:
        self._ioloop = maybe_ref(config.pop("io_loop", None)) or IOLoop.current()
        super()._configure(config)

    def shutdown(self, wait: bool = True) -> None:
        """Queue the shutdown on the IOLoop: it takes effect (the scheduler stops,
        executors and stores shut down, the timeout is removed) when the loop
        runs its next callbacks.

        :raises SchedulerNotRunningError: if the scheduler is not running
        """
        if not self.running:
            raise SchedulerNotRunningError
        self._shutdown(wait)

    @run_in_ioloop
    def _shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)
        self._stop_timer()

    @run_in_ioloop
    def wakeup(self) -> None:
        self._step()

    def _call_later(self, seconds: float, callback: Any) -> object:
        assert self._ioloop is not None
        return self._ioloop.call_later(seconds, callback)

    def _cancel_timer(self, handle: object) -> None:
        assert self._ioloop is not None
        self._ioloop.remove_timeout(handle)

    def _create_default_executor(self) -> BaseExecutor:
        from apscheduler_rs.executors.tornado import TornadoExecutor

        return TornadoExecutor()
