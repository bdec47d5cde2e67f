"""Persistent job store workloads of the side-by-side bench (issue 5).

Each ``measure(lib, cfg)`` returns nanoseconds per job for one library (the best
of several rounds), like the scheduler workloads of ``scheduler_workloads.py``:

- adding 1,000 jobs to a SQLite store through a started scheduler's ``add_job``;
- restarting on that SQLite file: a new scheduler and store, ``start()`` and
  ``get_jobs()`` until all 1,000 jobs are back;
- firing 1,000 due date jobs from SQLite, PostgreSQL and Redis with the default
  thread pool: time from ``resume()`` until the last has run (the store's reads,
  and the deletes of the finished jobs, are part of it).

Each comes with a *raw* baseline that does the same database work with plain
SQLAlchemy / redis-py (same table and keys, the same pickled job states, pickled
beforehand): the database's own cost, which no store can beat. A raw workload
does not depend on the library: it is measured once and reported in both
columns (ratio 1.0x); compare ``apscheduler_rs``'s time with it.

Servers: ``APSRS_BENCH_POSTGRESQL_URL`` (default
``postgresql+psycopg2://postgres@127.0.0.1:5432/test``) and
``APSRS_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``); tables and keys
get unique names and are dropped afterwards. A workload whose server is
unreachable reports NaN (with a warning) instead of stopping the bench.

``STORE_WORKLOADS`` lists ``(name, target ratio or None, measure)``.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

JOBS = 1000
TARGET = 3.0
POSTGRESQL_URL = os.environ.get(
    "APSRS_BENCH_POSTGRESQL_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("APSRS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TABLE = "apscheduler_jobs"

Measure = Callable[[Any, Any], float]


def noop() -> None:
    pass


# The jobs of the fire workloads count themselves here (module level, so they pickle).
_fire_lock = threading.Lock()
_fire_count = [0]
_fire_target = [JOBS]
_fire_done = threading.Event()


def fired() -> None:
    with _fire_lock:
        _fire_count[0] += 1
        if _fire_count[0] >= _fire_target[0]:
            _fire_done.set()


def _reset_fired(target: int) -> None:
    with _fire_lock:
        _fire_count[0] = 0
        _fire_target[0] = target
        _fire_done.clear()


def _rounds(cfg: Any) -> int:
    return max(2, cfg.rounds // 2)


def _unique(prefix: str = "bench") -> str:
    return f"{prefix}_{os.getpid()}_{os.urandom(3).hex()}"


class Unavailable(Exception):
    """The workload's server cannot be reached."""


def _skippable(measure: Measure) -> Measure:
    def run(lib: Any, cfg: Any) -> float:
        try:
            return measure(lib, cfg)
        except Unavailable as exc:
            warnings.warn(f"store workload skipped: {exc}", stacklevel=2)
            return float("nan")

    run.__doc__ = measure.__doc__
    run.__name__ = getattr(measure, "__name__", "measure")
    return run


# --------------------------------------------------------------------------- backends


def _check_sql(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        raise Unavailable(f"{engine.url!r}: {exc}") from exc
    finally:
        engine.dispose()


def _redis_args() -> dict[str, Any]:
    parts = urlsplit(REDIS_URL)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
    }


def _check_redis() -> None:
    import redis

    try:
        redis.Redis(**_redis_args(), socket_connect_timeout=2).ping()
    except Exception as exc:
        raise Unavailable(f"Redis at {REDIS_URL}: {exc}") from exc


@contextmanager
def _backend(backend: str) -> Iterator[dict[str, Any]]:
    """A fresh location (file, table, keys) for ``backend``; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield {"backend": backend, "url": f"sqlite:///{tmp}/jobs.sqlite", "tablename": TABLE}
        return
    if backend == "postgresql":
        _check_sql(POSTGRESQL_URL)
        spec = {"backend": backend, "url": POSTGRESQL_URL, "tablename": _unique()}
        try:
            yield spec
        finally:
            import sqlalchemy as sa

            engine = sa.create_engine(POSTGRESQL_URL, poolclass=sa.pool.NullPool)
            sa.Table(spec["tablename"], sa.MetaData()).drop(engine, checkfirst=True)
            engine.dispose()
        return
    if backend == "redis":
        _check_redis()
        name = _unique()
        spec = {"backend": backend, "jobs_key": f"{name}.jobs", "run_times_key": f"{name}.rt"}
        try:
            yield spec
        finally:
            import redis

            redis.Redis(**_redis_args()).delete(spec["jobs_key"], spec["run_times_key"])
        return
    raise ValueError(backend)


def _store(lib: Any, spec: dict[str, Any]) -> Any:
    if spec["backend"] == "redis":
        args = _redis_args()
        return lib.mod("jobstores.redis").RedisJobStore(
            db=args.pop("db"),
            jobs_key=spec["jobs_key"],
            run_times_key=spec["run_times_key"],
            **args,
        )
    return lib.mod("jobstores.sqlalchemy").SQLAlchemyJobStore(
        url=spec["url"], tablename=spec["tablename"]
    )


def _scheduler(lib: Any, spec: dict[str, Any]) -> Any:
    return lib.mod("schedulers.background").BackgroundScheduler(
        timezone=timezone.utc, jobstores={"default": _store(lib, spec)}
    )


# --------------------------------------------------------------------------- workloads


def _add_interval_jobs(scheduler: Any, count: int) -> None:
    add = scheduler.add_job
    for i in range(count):
        add(noop, "interval", hours=1 + i % 24, id=f"job-{i}")


def add_sqlite(lib: Any, cfg: Any) -> float:
    """``add_job(noop, 'interval', ...)`` x1,000 on a started scheduler whose
    default store is SQLAlchemyJobStore on a fresh SQLite file, per job."""
    best = float("inf")
    for _ in range(_rounds(cfg)):
        with _backend("sqlite") as spec:
            scheduler = _scheduler(lib, spec)
            scheduler.start()
            try:
                start = time.perf_counter_ns()
                _add_interval_jobs(scheduler, JOBS)
                elapsed = time.perf_counter_ns() - start
            finally:
                scheduler.shutdown()
        best = min(best, elapsed / JOBS)
    return best


def load_sqlite(lib: Any, cfg: Any) -> float:
    """Restart on a SQLite file holding 1,000 jobs (written by the same library):
    new scheduler and store, ``start()`` and ``get_jobs()`` returning all of
    them, per job."""
    best = float("inf")
    with _backend("sqlite") as spec:
        scheduler = _scheduler(lib, spec)
        scheduler.start(paused=True)
        _add_interval_jobs(scheduler, JOBS)
        scheduler.shutdown()
        for _ in range(_rounds(cfg)):
            start = time.perf_counter_ns()
            scheduler = _scheduler(lib, spec)
            scheduler.start()
            jobs = scheduler.get_jobs()
            elapsed = time.perf_counter_ns() - start
            scheduler.shutdown()
            if len(jobs) != JOBS:
                raise RuntimeError(f"{lib.label}: {len(jobs)} of {JOBS} jobs loaded")
            best = min(best, elapsed / JOBS)
    return best


def fire_from(backend: str) -> Measure:
    def measure(lib: Any, cfg: Any) -> float:
        best = float("inf")
        for _ in range(_rounds(cfg)):
            with _backend(backend) as spec:
                scheduler = _scheduler(lib, spec)
                scheduler.start(paused=True)
                try:
                    run_date = datetime.now(timezone.utc)
                    for i in range(JOBS):
                        scheduler.add_job(
                            fired,
                            "date",
                            run_date=run_date,
                            id=f"fire-{i}",
                            misfire_grace_time=None,
                        )
                    _reset_fired(JOBS)
                    start = time.perf_counter_ns()
                    scheduler.resume()
                    if not _fire_done.wait(120):
                        raise RuntimeError(
                            f"{lib.label}: only {_fire_count[0]} of {JOBS} jobs ran ({backend})"
                        )
                    elapsed = time.perf_counter_ns() - start
                finally:
                    scheduler.shutdown()
            best = min(best, elapsed / JOBS)
        return best

    measure.__doc__ = (
        f"1,000 date jobs due at once in a {backend} store, run by the default thread "
        "pool: time from resume() until the last has run, per job."
    )
    measure.__name__ = f"fire_from_{backend}"
    return measure


# --------------------------------------------------------------------------- raw baselines

_raw_cache: dict[str, float] = {}


def _cached(name: str, measure: Callable[[Any], float]) -> Measure:
    """A raw workload: measured once (it does not depend on the library)."""

    def run(lib: Any, cfg: Any) -> float:
        if name not in _raw_cache:
            _raw_cache[name] = measure(cfg)
        return _raw_cache[name]

    run.__doc__ = measure.__doc__
    run.__name__ = getattr(measure, "__name__", name)
    return run


def _job_states(count: int, due: bool) -> list[tuple[str, float, bytes]]:
    """(id, next run timestamp, pickled state) of ``count`` jobs as APScheduler
    3.11.3 stores them: interval jobs an hour or more away, or date jobs due now."""
    from apscheduler.job import Job
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BackgroundScheduler(timezone=timezone.utc)
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(count):
        if due:
            trigger: Any = DateTrigger(now, timezone.utc)
            run_time, func, job_id = now, fired, f"fire-{i}"
        else:
            trigger = IntervalTrigger(hours=1 + i % 24, timezone=timezone.utc)
            run_time, func, job_id = now + timedelta(hours=1 + i % 24), noop, f"job-{i}"
        job = Job(
            scheduler,
            id=job_id,
            func=func,
            trigger=trigger,
            executor="default",
            args=(),
            kwargs={},
            name=func.__name__,
            misfire_grace_time=None if due else 1,
            coalesce=True,
            max_instances=1,
            next_run_time=run_time,
        )
        state = pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL)
        rows.append((job_id, run_time.timestamp(), state))
    return rows


def _sql_table(engine: Any, tablename: str) -> Any:
    """The table of SQLAlchemyJobStore (3.11.3 layout), created."""
    import sqlalchemy as sa

    table = sa.Table(
        tablename,
        sa.MetaData(),
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )
    table.create(engine, checkfirst=True)
    return table


def _sql_insert(engine: Any, table: Any, rows: list[tuple[str, float, bytes]]) -> None:
    insert = table.insert()
    for job_id, run_time, state in rows:
        with engine.begin() as connection:
            connection.execute(
                insert, {"id": job_id, "next_run_time": run_time, "job_state": state}
            )


def raw_sqlite_add(cfg: Any, wal: bool = False) -> float:
    """Plain SQLAlchemy: 1,000 single-row INSERT transactions of pickled states
    into the store's table on a fresh SQLite file, per row (with ``wal``, the
    file in write-ahead-log mode, as apscheduler_rs's store puts it)."""
    import sqlalchemy as sa

    rows = _job_states(JOBS, due=False)
    best = float("inf")
    for _ in range(_rounds(cfg)):
        with _backend("sqlite") as spec:
            engine = sa.create_engine(spec["url"])
            if wal:
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            table = _sql_table(engine, spec["tablename"])
            start = time.perf_counter_ns()
            _sql_insert(engine, table, rows)
            elapsed = time.perf_counter_ns() - start
            engine.dispose()
        best = min(best, elapsed / JOBS)
    return best


def raw_sqlite_load(cfg: Any, unpickle: bool = False) -> float:
    """Plain SQLAlchemy: a new engine on a SQLite file of 1,000 jobs, then
    SELECT id, job_state of every row by next run time (and, with ``unpickle``,
    ``pickle.loads`` of each state: the row format's own cost), per row."""
    import sqlalchemy as sa

    best = float("inf")
    with _backend("sqlite") as spec:
        engine = sa.create_engine(spec["url"])
        _sql_insert(engine, _sql_table(engine, spec["tablename"]), _job_states(JOBS, False))
        engine.dispose()
        for _ in range(_rounds(cfg)):
            start = time.perf_counter_ns()
            engine = sa.create_engine(spec["url"])
            table = _sql_table(engine, spec["tablename"])
            query = sa.select(table.c.id, table.c.job_state).order_by(table.c.next_run_time)
            with engine.begin() as connection:
                rows = connection.execute(query).all()
            if unpickle:
                states = [pickle.loads(state) for _, state in rows]
                assert len(states) == JOBS
            elapsed = time.perf_counter_ns() - start
            engine.dispose()
            assert len(rows) == JOBS
            best = min(best, elapsed / JOBS)
    return best


def raw_sql_fire(backend: str) -> Callable[[Any], float]:
    def measure(cfg: Any) -> float:
        import sqlalchemy as sa

        rows = _job_states(JOBS, due=True)
        best = float("inf")
        for _ in range(_rounds(cfg)):
            with _backend(backend) as spec:
                engine = sa.create_engine(spec["url"])
                table = _sql_table(engine, spec["tablename"])
                _sql_insert(engine, table, rows)
                delete = table.delete().where(table.c.id == sa.bindparam("b_id"))
                start = time.perf_counter_ns()
                now = time.time()
                query = (
                    sa.select(table.c.id, table.c.job_state)
                    .where(table.c.next_run_time <= now)
                    .order_by(table.c.next_run_time)
                )
                with engine.begin() as connection:
                    due = connection.execute(query).all()
                for row in due:
                    with engine.begin() as connection:
                        connection.execute(delete, {"b_id": row.id})
                elapsed = time.perf_counter_ns() - start
                engine.dispose()
            assert len(due) == JOBS
            best = min(best, elapsed / JOBS)
        return best

    measure.__doc__ = (
        f"Plain SQLAlchemy on {backend}: SELECT the 1,000 due rows, then one DELETE "
        "transaction per row (what a store does for finished date jobs), per row."
    )
    measure.__name__ = f"raw_{backend}_fire"
    return measure


def raw_redis_fire(cfg: Any) -> float:
    """Plain redis-py: ZRANGEBYSCORE + HMGET of the 1,000 due jobs, then one
    MULTI/EXEC pipeline (HDEL + ZREM) per job, per job."""
    import redis

    rows = _job_states(JOBS, due=True)
    client = redis.Redis(**_redis_args())
    best = float("inf")
    for _ in range(_rounds(cfg)):
        with _backend("redis") as spec:
            jobs_key, run_times_key = spec["jobs_key"], spec["run_times_key"]
            for job_id, run_time, state in rows:
                with client.pipeline() as pipe:
                    pipe.hset(jobs_key, job_id, state)
                    pipe.zadd(run_times_key, {job_id: run_time})
                    pipe.execute()
            start = time.perf_counter_ns()
            ids = client.zrangebyscore(run_times_key, 0, time.time())
            states = client.hmget(jobs_key, *ids)
            for job_id in ids:
                with client.pipeline() as pipe:
                    pipe.hdel(jobs_key, job_id)
                    pipe.zrem(run_times_key, job_id)
                    pipe.execute()
            elapsed = time.perf_counter_ns() - start
        assert len(states) == JOBS
        best = min(best, elapsed / JOBS)
    client.close()
    return best


# --------------------------------------------------------------------------- the list

STORE_WORKLOADS: list[tuple[str, float | None, Measure]] = [
    ("SQLite store: add_job x1,000 (per job)", TARGET, add_sqlite),
    (
        "  raw SQLAlchemy: 1,000 INSERTs, SQLite",
        None,
        _cached("raw sqlite add", raw_sqlite_add),
    ),
    (
        "  raw SQLAlchemy: 1,000 INSERTs, SQLite in WAL mode",
        None,
        _cached("raw sqlite add wal", lambda cfg: raw_sqlite_add(cfg, wal=True)),
    ),
    ("SQLite store: restart, start + get_jobs of 1,000", TARGET, load_sqlite),
    (
        "  raw SQLAlchemy: SELECT 1,000 rows, SQLite",
        None,
        _cached("raw sqlite load", raw_sqlite_load),
    ),
    (
        "  raw SQLAlchemy: SELECT 1,000 rows + pickle.loads, SQLite",
        None,
        _cached("raw sqlite load unpickled", lambda cfg: raw_sqlite_load(cfg, unpickle=True)),
    ),
    ("1,000 due jobs fired from SQLite (per job)", TARGET, fire_from("sqlite")),
    (
        "  raw SQLAlchemy: SELECT due + 1,000 DELETEs, SQLite",
        None,
        _cached("raw sqlite fire", raw_sql_fire("sqlite")),
    ),
    (
        "1,000 due jobs fired from PostgreSQL (per job)",
        TARGET,
        _skippable(fire_from("postgresql")),
    ),
    (
        "  raw SQLAlchemy: SELECT due + 1,000 DELETEs, PostgreSQL",
        None,
        _skippable(_cached("raw postgresql fire", raw_sql_fire("postgresql"))),
    ),
    ("1,000 due jobs fired from Redis (per job)", TARGET, _skippable(fire_from("redis"))),
    (
        "  raw redis-py: ZRANGEBYSCORE + HMGET + 1,000 HDEL/ZREM",
        None,
        _skippable(_cached("raw redis fire", raw_redis_fire)),
    ),
]


def main() -> int:
    """Run the store workloads once for both libraries (``python
    benches/store_workloads.py [--quick] [FILTER]``); compare.py is the real driver."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import compare

    cfg = compare.QUICK if "--quick" in sys.argv else compare.FULL
    filters = [arg.lower() for arg in sys.argv[1:] if not arg.startswith("--")]
    for name, target, measure in STORE_WORKLOADS:
        if filters and not any(f in name.lower() for f in filters):
            continue
        ref = measure(compare.REFERENCE, cfg)
        ours = measure(compare.OURS, cfg)
        goal = f"{target:.0f}x" if target else "-"
        print(
            f"{name:<58} {compare.fmt_time(ref):>12} {compare.fmt_time(ours):>14} "
            f"{ref / ours:>7.1f}x {goal:>5}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
