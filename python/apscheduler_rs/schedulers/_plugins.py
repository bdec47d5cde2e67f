"""Plugin aliases: the names ``add_job(trigger='cron')``, ``add_executor('debug')``
and ``{'type': 'sqlalchemy'}`` stand for.

Our own plugins are a fixed table, so nothing scans installed distributions at
import time. Third-party plugins registered under APScheduler 3's entry-point
groups (``apscheduler.triggers`` ...) are found too, looked up only when an alias
is not ours; entries that point into the ``apscheduler`` package itself are
skipped, so having APScheduler installed beside us never mixes its classes in.
"""

from __future__ import annotations

from importlib import import_module
from threading import Lock
from typing import Any

__all__ = ("plugin_class",)

BUILTIN_PLUGINS: dict[str, dict[str, str]] = {
    "trigger": {
        "date": "apscheduler_rs.triggers.date:DateTrigger",
        "interval": "apscheduler_rs.triggers.interval:IntervalTrigger",
        "cron": "apscheduler_rs.triggers.cron:CronTrigger",
        "calendarinterval": "apscheduler_rs.triggers.calendarinterval:CalendarIntervalTrigger",
        "and": "apscheduler_rs.triggers.combining:AndTrigger",
        "or": "apscheduler_rs.triggers.combining:OrTrigger",
    },
    "jobstore": {
        "memory": "apscheduler_rs.jobstores.memory:MemoryJobStore",
        "sqlalchemy": "apscheduler_rs.jobstores.sqlalchemy:SQLAlchemyJobStore",
        "mongodb": "apscheduler_rs.jobstores.mongodb:MongoDBJobStore",
        "redis": "apscheduler_rs.jobstores.redis:RedisJobStore",
    },
    "executor": {
        "threadpool": "apscheduler_rs.executors.pool:ThreadPoolExecutor",
        "processpool": "apscheduler_rs.executors.pool:ProcessPoolExecutor",
        "debug": "apscheduler_rs.executors.debug:DebugExecutor",
        "asyncio": "apscheduler_rs.executors.asyncio:AsyncIOExecutor",
        "gevent": "apscheduler_rs.executors.gevent:GeventExecutor",
        "tornado": "apscheduler_rs.executors.tornado:TornadoExecutor",
        "twisted": "apscheduler_rs.executors.twisted:TwistedExecutor",
    },
}

_ENTRY_POINT_GROUPS = {
    "trigger": "apscheduler.triggers",
    "jobstore": "apscheduler.jobstores",
    "executor": "apscheduler.executors",
}

_loaded: dict[tuple[str, str], type] = {}
_loaded_lock = Lock()


def _third_party_reference(kind: str, alias: str) -> str | None:
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=_ENTRY_POINT_GROUPS[kind]):
        if entry_point.name == alias and not entry_point.value.startswith("apscheduler."):
            return entry_point.value
    return None


def _load(kind: str, alias: str, base_class: type) -> type:
    reference = BUILTIN_PLUGINS[kind].get(alias)
    if reference is None:
        reference = _third_party_reference(kind, alias)
    if reference is None:
        raise LookupError(f'No {kind} by the name "{alias}" was found')

    module_name, _, qualname = reference.partition(":")
    obj: Any = import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, base_class)):
        raise TypeError(f"The {kind} entry point does not point to a {kind} class")

    with _loaded_lock:
        _loaded[(kind, alias)] = obj
    return obj


def plugin_class(kind: str, alias: str, base_class: type) -> type:
    """The class of the ``kind`` plugin (trigger, jobstore, executor) named
    ``alias``; call it with the constructor's keywords for an instance (without
    a function in between: a trigger is made for every job added).

    :raises LookupError: if no such plugin exists
    :raises TypeError: if the name leads to something that is not a ``base_class``
    """
    cls = _loaded.get((kind, alias))
    return _load(kind, alias, base_class) if cls is None else cls
