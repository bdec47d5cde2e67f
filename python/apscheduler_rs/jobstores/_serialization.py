"""How the persistent job stores turn a job into bytes and back.

Two formats, chosen per store with ``serializer=``:

``"pickle"`` (the default, APScheduler 3's format)
    ``pickle.dumps(job.__getstate__())``. Classes of apscheduler_rs are written
    under APScheduler 3's names (``apscheduler.triggers.cron`` ...), the names
    its own pickles use, so a row is the very format APScheduler 3.11.3 writes
    and reads: both libraries can share a table, and going back to APScheduler
    3 needs no migration. On load, ``apscheduler_rs._pickle_compat``'s
    ``CompatUnpickler`` maps ``apscheduler.*`` back to ``apscheduler_rs.*``.
    Loading a pickle runs whatever code the pickle names: anyone who can write
    to the database can run code in the scheduler's process.

``"json"`` (opt-in, apscheduler_rs only)
    A JSON document: the callable as a ``module:name`` text that must match
    ``allowed_callables``, JSON arguments, and the built-in triggers described
    field by field. Loading it never unpickles anything and imports nothing
    outside the allowed modules, so write access to the database no longer
    means code execution (a forged row can at most call an allowed callable
    with JSON arguments). The price: only JSON values as arguments, only the
    built-in triggers, zones restored as ``zoneinfo`` zones, and APScheduler 3
    cannot read the rows (it would log and drop them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from apscheduler_rs.job import Job

__all__ = ("JobSerializer", "create_serializer", "state_bytes")


def state_bytes(data: Any) -> bytes:
    """The stored state as ``bytes`` (drivers hand back memoryview, Binary ...)."""
    return data if type(data) is bytes else bytes(data)


class JobSerializer:
    """Turns jobs into bytes for a store and back; subclasses choose the format."""

    name = ""

    def dumps(self, job: Job) -> bytes:
        """The bytes to store for ``job``.

        :raises ValueError: (or the pickler's error) if the job cannot be stored;
            the store then stores nothing
        """
        raise NotImplementedError

    def load_state(self, data: bytes) -> dict[str, Any]:
        """The ``Job.__setstate__`` state stored in ``data``."""
        raise NotImplementedError

    def restore(self, data: Any, scheduler: Any, alias: str | None) -> Job:
        """The job stored in ``data``, bound to ``scheduler`` and store ``alias``.

        :raises Exception: whatever stops it from being restored; stores log it
            and drop the row, as APScheduler 3 does
        """
        return Job._restored(self.load_state(state_bytes(data)), scheduler, alias)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"


def create_serializer(
    serializer: str | JobSerializer,
    pickle_protocol: int,
    allowed_callables: Iterable[str | Callable[..., Any]] | None,
) -> JobSerializer:
    """The serializer a store's ``serializer=`` argument names."""
    # imported here: both format modules build on JobSerializer above
    from apscheduler_rs.jobstores._json_format import JsonSerializer
    from apscheduler_rs.jobstores._pickle_format import PickleSerializer

    if isinstance(serializer, JobSerializer):
        if allowed_callables is not None:
            raise ValueError("allowed_callables goes to JsonSerializer(), not to the store")
        return serializer
    if serializer == "pickle":
        if allowed_callables is not None:
            raise ValueError('allowed_callables only applies to serializer="json"')
        return PickleSerializer(pickle_protocol)
    if serializer == "json":
        return JsonSerializer(allowed_callables)
    raise ValueError(f'serializer must be "pickle", "json" or a JobSerializer, not {serializer!r}')
