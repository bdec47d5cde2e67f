"""GeventExecutor: each job run is a greenlet of its own."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from apscheduler_rs.executors.base import BaseExecutor, run_job

try:
    import gevent
except ImportError as exc:  # gevent is an optional dependency
    raise ImportError("GeventExecutor requires gevent installed") from exc

__all__ = ("GeventExecutor",)


class GeventExecutor(BaseExecutor):
    """Runs each submitted job in a new greenlet (``gevent.spawn``); the outcome
    reaches the scheduler from a link callback once the greenlet ends.

    ``shutdown(wait=True)`` waits for the job greenlets still running.

    Plugin alias: ``gevent``
    """

    def __init__(self) -> None:
        super().__init__()
        # live job greenlets, so that shutdown(wait=True) can join them
        self._greenlets: set[gevent.Greenlet] = set()

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        # spawn() only schedules the greenlet: nothing runs before we return
        greenlet = gevent.spawn(run_job, job, job._jobstore_alias, run_times, self._logger.name)
        self._greenlets.add(greenlet)
        greenlet.link(partial(self._greenlet_done, job.id))

    def _greenlet_done(self, job_id: str, greenlet: gevent.Greenlet) -> None:
        self._greenlets.discard(greenlet)
        if greenlet.successful():
            events = greenlet.value
            if isinstance(events, list):
                self._run_job_success(job_id, events)
            else:
                # killed before it started: the value is the GreenletExit
                self._run_job_error(job_id, events, None)
        else:
            _, exc, tb = greenlet.exc_info
            self._run_job_error(job_id, exc, tb)

    def shutdown(self, wait: bool = True) -> None:
        if wait:
            # a job that shuts the scheduler down must not wait for itself
            current = gevent.getcurrent()
            gevent.joinall([g for g in list(self._greenlets) if g is not current])
