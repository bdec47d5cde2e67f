"""AsyncIOScheduler: the due-job step runs from a timer on an asyncio event loop,
and coroutine-function jobs run as tasks on that loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from apscheduler_rs.executors.base import BaseExecutor
from apscheduler_rs.schedulers import SchedulerNotRunningError
from apscheduler_rs.schedulers._timer import LoopTimerScheduler
from apscheduler_rs.util import maybe_ref

__all__ = ("AsyncIOScheduler", "run_in_event_loop")


def run_in_event_loop(func: Callable[..., Any]) -> Callable[..., None]:
    """Turn a scheduler method into one that, called from any thread, queues the
    call on the scheduler's event loop (``call_soon_threadsafe``) and returns
    ``None`` at once."""

    @wraps(func)
    def queue_on_loop(self: Any, *args: Any, **kwargs: Any) -> None:
        self._eventloop.call_soon_threadsafe(partial(func, self, *args, **kwargs))

    return queue_on_loop


class AsyncIOScheduler(LoopTimerScheduler):
    """A scheduler driven by an asyncio event loop: a ``call_later`` timer on the
    loop runs the due-job step, which reschedules the timer for the next due job.

    The default executor (:class:`~apscheduler_rs.executors.asyncio.AsyncIOExecutor`)
    runs ``async def`` jobs on the loop and other jobs in the loop's default
    executor (a thread pool).

    Extra option: ``event_loop``, the loop to use (an instance or its reference).
    Without it, :meth:`start` must be called while a loop is running, and uses
    that loop.

    :meth:`wakeup` and :meth:`shutdown` may be called from any thread: they queue
    their work on the loop, so it happens when the loop next runs.
    """

    _eventloop: asyncio.AbstractEventLoop | None = None

    def _configure(self, config: dict[str, Any]) -> None:
        self._eventloop = maybe_ref(config.pop("event_loop", None))
        super()._configure(config)

    def start(self, paused: bool = False) -> None:
        """Start on the configured loop, or (none configured, or it is closed) on
        the running loop.

        :raises RuntimeError: if no loop is configured and none is running
        """
        if not self._eventloop or self._eventloop.is_closed():
            # Outside a running loop this raises "no running event loop", as in 3.11.3.
            self._eventloop = asyncio.get_running_loop()
        super().start(paused)

    def shutdown(self, wait: bool = True) -> None:
        """Queue the shutdown on the event loop: it takes effect (the scheduler
        stops, executors and stores shut down, the timer is cancelled) when the
        loop runs its next callbacks.

        :raises SchedulerNotRunningError: if the scheduler is not running
        """
        if not self.running:
            raise SchedulerNotRunningError
        self._shutdown(wait)

    @run_in_event_loop
    def _shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)
        self._stop_timer()
        # Forget the loop so that a later start() picks up the one running then.
        self._eventloop = None

    @run_in_event_loop
    def wakeup(self) -> None:
        self._step()

    def _timer_callback(self) -> Any:
        # The timer fires on the loop's thread already: 3.11.3's wakeup() would
        # queue the step with call_soon_threadsafe, adding a loop iteration and a
        # write to the loop's self-pipe between the due time and the jobs. A
        # wakeup() of a subclass or set on the instance is still what is called.
        if type(self).wakeup is AsyncIOScheduler.wakeup and "wakeup" not in vars(self):
            return self._step
        return self.wakeup

    def _call_later(self, seconds: float, callback: Any) -> asyncio.TimerHandle:
        assert self._eventloop is not None
        return self._eventloop.call_later(seconds, callback)

    def _cancel_timer(self, handle: asyncio.TimerHandle) -> None:
        handle.cancel()

    def _create_default_executor(self) -> BaseExecutor:
        from apscheduler_rs.executors.asyncio import AsyncIOExecutor

        return AsyncIOExecutor()
