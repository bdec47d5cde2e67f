"""Fault tests (issue 5): crashes, database outages and concurrent use of the job stores.

This module holds what the tests and their child processes share, without pytest:
the job functions (module level, so jobs pickle as ``faults:tick``), how to build a
job store of either library from a JSON-able *spec*, how to read a store's content
with the plain database drivers (to check what really is stored, independently of
the store under test), and the child process that the crash test kills.

A spec is a dict with ``backend`` (``memory``, ``sqlite``, ``postgresql``, ``mariadb``,
``redis``, ``mongodb``) and that backend's address and table / keys / collection;
:func:`via` points one at another address (the TCP proxy of the outage test).
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SQL_BACKENDS = ("sqlite", "postgresql", "mariadb")
PERSISTENT_BACKENDS = (*SQL_BACKENDS, "redis", "mongodb")
NETWORK_BACKENDS = ("postgresql", "mariadb", "redis", "mongodb")

#: ``sys.path`` entry under which this package imports by its own name (children use it)
IMPORT_ROOT = str(Path(__file__).resolve().parents[len(__name__.split("."))])


# --------------------------------------------------------------------------- job functions


def tick(*args: Any, **kwargs: Any) -> None:
    """What every fault-test job runs: nothing (the events tell what ran)."""


# --------------------------------------------------------------------------- libraries


class Lib:
    """One implementation of the APScheduler 3 API: ``apscheduler`` (the 3.11.3
    reference) or ``apscheduler_rs``."""

    def __init__(self, package: str) -> None:
        self.package = package

    def mod(self, name: str) -> Any:
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def events(self) -> Any:
        return self.mod("events")

    def scheduler(self, **options: Any) -> Any:
        options.setdefault("timezone", timezone.utc)
        return self.mod("schedulers.background").BackgroundScheduler(**options)

    def __repr__(self) -> str:
        return f"Lib({self.package!r})"


STORE_MODULES = {
    "memory": "jobstores.memory",
    "sqlite": "jobstores.sqlalchemy",
    "postgresql": "jobstores.sqlalchemy",
    "mariadb": "jobstores.sqlalchemy",
    "redis": "jobstores.redis",
    "mongodb": "jobstores.mongodb",
}


# --------------------------------------------------------------------------- stores


def engine_options(backend: str) -> dict[str, Any]:
    """Engine options of the fault tests' SQLAlchemy stores: a pooled connection
    is pinged before use (so a store recovers from a dropped connection), and
    connecting or waiting on a dead server fails within seconds."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "postgresql":
        options["connect_args"] = {"connect_timeout": 3}
    elif backend == "mariadb":
        options["connect_args"] = {"connect_timeout": 3, "read_timeout": 10, "write_timeout": 10}
    elif backend == "sqlite":
        options["connect_args"] = {"timeout": 30}
    return options


def make_store(package: str, spec: dict[str, Any]) -> Any:
    """A job store of ``package`` on the backend of ``spec``, with the same
    arguments for both libraries."""
    backend = spec["backend"]
    module = importlib.import_module(f"{package}.{STORE_MODULES[backend]}")
    if backend == "memory":
        return module.MemoryJobStore()
    if backend in SQL_BACKENDS:
        return module.SQLAlchemyJobStore(
            url=spec["url"], tablename=spec["tablename"], engine_options=engine_options(backend)
        )
    if backend == "redis":
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        return module.RedisJobStore(
            db=spec.get("db", 0),
            jobs_key=spec["jobs_key"],
            run_times_key=spec["run_times_key"],
            host=spec["host"],
            port=spec["port"],
            socket_timeout=5,
            socket_connect_timeout=3,
            # one immediate retry: a command on a connection that died during an
            # outage reconnects at once after it, but an outage fails fast
            retry=Retry(NoBackoff(), 1),
        )
    if backend == "mongodb":
        return module.MongoDBJobStore(
            database=spec["database"],
            collection=spec["collection"],
            host=spec["host"],
            port=spec["port"],
            directConnection=True,
            serverSelectionTimeoutMS=1500,
            connectTimeoutMS=2000,
            socketTimeoutMS=5000,
            heartbeatFrequencyMS=500,
        )
    raise ValueError(f"unknown backend {backend!r}")


def address(spec: dict[str, Any]) -> tuple[str, int]:
    """The server address of a network backend's spec."""
    if spec["backend"] in SQL_BACKENDS:
        from sqlalchemy.engine import make_url

        url = make_url(spec["url"])
        return url.host or "127.0.0.1", int(
            url.port or {"postgresql": 5432}.get(spec["backend"], 3306)
        )
    return spec["host"], int(spec["port"])


def via(spec: dict[str, Any], host: str, port: int) -> dict[str, Any]:
    """``spec`` with its server at ``host:port`` (a proxy in front of it)."""
    spec = dict(spec)
    if spec["backend"] in SQL_BACKENDS:
        from sqlalchemy.engine import make_url

        url = make_url(spec["url"]).set(host=host, port=port)
        spec["url"] = url.render_as_string(hide_password=False)
    else:
        spec["host"], spec["port"] = host, port
    return spec


class RawStore:
    """A backend's content read and cleaned with the plain drivers: what is
    really stored, whatever the store under test believes."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.backend = spec["backend"]
        self._client: Any = None

    def _sql(self) -> tuple[Any, Any]:
        import sqlalchemy as sa

        if self._client is None:
            self._client = sa.create_engine(self.spec["url"], poolclass=sa.pool.NullPool)
        table = sa.table(
            self.spec["tablename"],
            sa.column("id"),
            sa.column("next_run_time"),
            sa.column("job_state"),
        )
        return self._client, table

    def _redis(self) -> Any:
        if self._client is None:
            import redis

            self._client = redis.Redis(
                host=self.spec["host"], port=self.spec["port"], db=self.spec.get("db", 0)
            )
        return self._client

    def _mongo(self) -> Any:
        if self._client is None:
            import pymongo

            self._client = pymongo.MongoClient(
                host=self.spec["host"],
                port=self.spec["port"],
                directConnection=True,
                serverSelectionTimeoutMS=5000,
            )
        return self._client[self.spec["database"]][self.spec["collection"]]

    def jobs(self) -> dict[str, float | None]:
        """Job id -> stored next run time (UTC timestamp; ``None``: paused)."""
        if self.backend in SQL_BACKENDS:
            import sqlalchemy as sa

            engine, table = self._sql()
            try:
                with engine.connect() as connection:
                    rows = connection.execute(sa.select(table.c.id, table.c.next_run_time))
                    return {row.id: row.next_run_time for row in rows}
            except sa.exc.ProgrammingError:
                return {}  # no table (yet)
            except sa.exc.OperationalError as exc:
                if "no such table" in str(exc):
                    return {}
                raise
        if self.backend == "redis":
            client = self._redis()
            ids = [key.decode() for key in client.hkeys(self.spec["jobs_key"])]
            scores = {
                member.decode(): score
                for member, score in client.zrange(
                    self.spec["run_times_key"], 0, -1, withscores=True
                )
            }
            return {job_id: scores.get(job_id) for job_id in ids}
        if self.backend == "mongodb":
            return {
                doc["_id"]: doc.get("next_run_time")
                for doc in self._mongo().find({}, ["_id", "next_run_time"])
            }
        raise ValueError(f"no raw access to {self.backend!r}")

    def settled_jobs(self, quiet: float = 0.3, limit: float = 10.0) -> dict[str, float | None]:
        """:meth:`jobs` once two reads ``quiet`` seconds apart agree: a request a
        killed client had sent may still be applied by the server after the kill
        (a database server finishes what it received)."""
        deadline = time.monotonic() + limit
        last = self.jobs()
        while True:
            time.sleep(quiet)
            now = self.jobs()
            if now == last or time.monotonic() > deadline:
                return now
            last = now

    def problems(self) -> list[str]:
        """Inconsistencies between a backend's structures (Redis: the run-time
        index must list exactly the scheduled jobs of the hash)."""
        if self.backend != "redis":
            return []
        client = self._redis()
        ids = {key.decode() for key in client.hkeys(self.spec["jobs_key"])}
        indexed = {member.decode() for member in client.zrange(self.spec["run_times_key"], 0, -1)}
        out = []
        if indexed - ids:
            out.append(
                f"run-time index lists jobs missing from the hash: {sorted(indexed - ids)[:10]}"
            )
        return out

    def states(self) -> dict[str, dict[str, Any]]:
        """Job id -> unpickled job state (pickles refer to the library that wrote them)."""
        if self.backend in SQL_BACKENDS:
            import sqlalchemy as sa

            engine, table = self._sql()
            with engine.connect() as connection:
                rows = connection.execute(sa.select(table.c.id, table.c.job_state))
                return {row.id: pickle.loads(row.job_state) for row in rows}
        if self.backend == "redis":
            return {
                key.decode(): pickle.loads(value)
                for key, value in self._redis().hgetall(self.spec["jobs_key"]).items()
            }
        if self.backend == "mongodb":
            return {
                doc["_id"]: pickle.loads(doc["job_state"])
                for doc in self._mongo().find({}, ["_id", "job_state"])
            }
        raise ValueError(f"no raw access to {self.backend!r}")

    def drop(self) -> None:
        """Remove the table / keys / collection."""
        if self.backend in SQL_BACKENDS:
            import sqlalchemy as sa

            engine, _ = self._sql()
            table = sa.Table(self.spec["tablename"], sa.MetaData())
            table.drop(engine, checkfirst=True)
        elif self.backend == "redis":
            self._redis().delete(self.spec["jobs_key"], self.spec["run_times_key"])
        elif self.backend == "mongodb":
            self._mongo().drop()

    def close(self) -> None:
        if self._client is None:
            return
        if self.backend in SQL_BACKENDS:
            self._client.dispose()
        else:
            self._client.close()
        self._client = None


# --------------------------------------------------------------------------- crash plan

#: interval of every crash-test job (cron jobs: every second)
CRASH_INTERVAL = 1.0


def crash_plan(count: int = 1000) -> list[dict[str, Any]]:
    """The crash test's jobs: ``ct-*`` coalescing interval jobs, ``cf-*``
    non-coalescing interval jobs with an hour of grace, ``mg-*`` non-coalescing
    interval jobs with 1 s of grace (old missed runs are skipped), and a few
    ``cron-*`` jobs (every second; coalescing or not by parity). Every interval
    job starts at the same whole second (the child's ``start``), so they are due
    together, as a worst case for each sweep."""
    plan = []
    cron = 20
    grace_small = 80
    rest = count - cron - grace_small
    for i in range(count):
        if i < rest // 2:
            job = {"id": f"ct-{i}", "trigger": "interval", "coalesce": True, "grace": 3600}
        elif i < rest:
            job = {"id": f"cf-{i}", "trigger": "interval", "coalesce": False, "grace": 3600}
        elif i < rest + grace_small:
            job = {"id": f"mg-{i}", "trigger": "interval", "coalesce": False, "grace": 1}
        else:
            job = {"id": f"cron-{i}", "trigger": "cron", "coalesce": i % 2 == 0, "grace": 3600}
        plan.append(job)
    return plan


def add_crash_jobs(scheduler: Any, plan: list[dict[str, Any]], start: datetime) -> None:
    for job in plan:
        if job["trigger"] == "interval":
            trigger_args = {"seconds": CRASH_INTERVAL, "start_date": start}
        else:
            trigger_args = {"second": "*", "start_date": start}
        scheduler.add_job(
            tick,
            job["trigger"],
            id=job["id"],
            coalesce=job["coalesce"],
            misfire_grace_time=job["grace"],
            **trigger_args,
        )


def child_command(config: dict[str, Any]) -> list[str]:
    """The command line of a child process running :func:`child_main` with ``config``."""
    code = (
        "import sys, importlib; "
        f"sys.path.insert(0, {IMPORT_ROOT!r}); "
        f"importlib.import_module({__name__!r}).child_main(sys.argv[1])"
    )
    return [sys.executable, "-c", code, json.dumps(config)]


def child_main(config_json: str) -> None:
    """Run a scheduler with the crash plan's jobs until killed. Prints
    ``STARTED <unix time>`` once ``start()`` returned, then
    ``PROGRESS <distinct jobs done> <runs done>`` lines (done: executed or missed)."""
    config = json.loads(config_json)
    lib = Lib(config["package"])
    events = lib.events
    store = make_store(lib.package, config["spec"])
    scheduler = lib.scheduler(jobstores={"default": store})
    plan = crash_plan(config["count"])
    # every job first due together, on a whole second after the jobs are stored
    start = datetime.fromtimestamp(int(time.time()) + config.get("lead", 3), timezone.utc)
    add_crash_jobs(scheduler, plan, start)

    done_ids: set[str] = set()
    runs = [0]
    lock = threading.Lock()

    def listener(event: Any) -> None:
        with lock:
            done_ids.add(event.job_id)
            runs[0] += 1

    scheduler.add_listener(listener, events.EVENT_JOB_EXECUTED | events.EVENT_JOB_MISSED)
    scheduler.start()
    print(f"STARTED {time.time()} {start.timestamp()}", flush=True)
    while True:
        time.sleep(0.05)
        with lock:
            line = f"PROGRESS {len(done_ids)} {runs[0]}"
        print(line, flush=True)


# --------------------------------------------------------------------------- misc


def utc_timestamp(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def wait_for(predicate: Any, timeout: float, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true (returns True) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def unique_name(prefix: str = "faults") -> str:
    return f"{prefix}_{os.getpid()}_{os.urandom(4).hex()}"


__all__ = [
    "CRASH_INTERVAL",
    "IMPORT_ROOT",
    "NETWORK_BACKENDS",
    "PERSISTENT_BACKENDS",
    "SQL_BACKENDS",
    "STORE_MODULES",
    "Lib",
    "RawStore",
    "add_crash_jobs",
    "address",
    "child_command",
    "child_main",
    "crash_plan",
    "engine_options",
    "make_store",
    "tick",
    "unique_name",
    "utc_timestamp",
    "via",
    "wait_for",
]
