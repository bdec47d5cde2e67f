"""BackgroundScheduler: the scheduler loop in a thread of its own; ``start()``
returns at once."""

from __future__ import annotations

from threading import Thread, current_thread
from typing import Any

from apscheduler_rs.schedulers.base import BaseScheduler
from apscheduler_rs.schedulers.blocking import BlockingScheduler
from apscheduler_rs.util import asbool

__all__ = ("BackgroundScheduler",)


class BackgroundScheduler(BlockingScheduler):
    """Runs the scheduler loop in a thread named ``APScheduler``.

    Extra option: ``daemon`` (default True): whether that thread is a daemon
    thread, which does not keep the interpreter alive at exit.
    """

    _thread: Thread | None = None

    def _configure(self, config: dict[str, Any]) -> None:
        self._daemon = asbool(config.pop("daemon", True))
        super()._configure(config)

    def start(self, *args: Any, **kwargs: Any) -> None:
        self._prepare_event()
        BaseScheduler.start(self, *args, **kwargs)
        self._thread = Thread(target=self._run_loop, name="APScheduler", daemon=self._daemon)
        self._thread.start()

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        super().shutdown(*args, **kwargs)
        # shutdown() called from a job or listener in the scheduler thread itself
        if self._thread is not None and self._thread is not current_thread():
            self._thread.join()
            del self._thread
