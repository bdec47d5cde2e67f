"""Batched sweeps: a persistent store writes the outcome of a due-job sweep (new
next run times, finished jobs removed) in one go through its
``update_and_remove_jobs`` hook: one transaction (SQLAlchemy), one script call
(Redis), one ``bulk_write`` per 5 jobs (MongoDB), instead of one per due job.

On every backend, the sweep is run through the hook and, for comparison, job by
job (the hook switched off on the store instance, which is what the scheduler
does for the memory store and for user stores without the hook):

- the writes are counted at the driver: SQLAlchemy ``before_cursor_execute`` /
  ``commit`` events, the redis-py client's commands, a pymongo
  ``CommandListener``;
- what is stored afterwards (read with the plain driver) is the same both ways,
  and so are the events, log lines and runs of each job;
- a job removed meanwhile (by another thread through another store instance, or
  by itself while running) does not cost the other jobs their writes; alone, it
  raises ``JobLookupError`` both ways, as 3.11.3's ``update_job`` /
  ``remove_job`` do;
- a failed batch write raises out of ``_process_jobs``, stores nothing of the
  sweep (SQL: rolled back), and the retried sweep runs the jobs again.

Sweeps are run by hand (``_process_jobs``) on a scheduler whose ``wakeup`` does
nothing, with ``DebugExecutor`` running the jobs in the sweep's thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import stores
from apscheduler_rs.events import (
    EVENT_ALL,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_REMOVED,
    EVENT_JOB_SUBMITTED,
)
from apscheduler_rs.executors.debug import DebugExecutor
from apscheduler_rs.executors.pool import ThreadPoolExecutor
from apscheduler_rs.jobstores.base import BaseJobStore, JobLookupError
from apscheduler_rs.jobstores.memory import MemoryJobStore
from apscheduler_rs.jobstores.mongodb import _JOBS_PER_BULK_WRITE
from apscheduler_rs.schedulers.base import BaseScheduler

from .conftest import Backend

UTC = timezone.utc
N = 20  # due jobs per sweep, half of them date jobs (removed), half interval (updated)
RETRY = 7.0  # jobstore_retry_interval


class SweepScheduler(BaseScheduler):
    """A scheduler whose sweeps the test runs (``_process_jobs``)."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


class MeddlingExecutor(DebugExecutor):
    """Runs jobs at once, then calls what ``after[job id]`` says."""

    def __init__(self) -> None:
        super().__init__()
        self.after: dict[str, Callable[[], None]] = {}

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        super()._do_submit_job(job, run_times)
        action = self.after.pop(job.id, None)
        if action is not None:
            action()


# --------------------------------------------------------------------------- write probes


class WriteProbe:
    """Records what a store sends that writes: per write transaction its
    statements (SQLAlchemy), or the write commands (Redis, MongoDB), each one
    round trip. ``fail`` makes the store's writes fail at the driver."""

    fail = False

    def __init__(self) -> None:
        self.log: list[Any] = []

    def writes(self) -> list[Any]:
        raise NotImplementedError


class SQLProbe(WriteProbe):
    def __init__(self, store: Any) -> None:
        super().__init__()
        import sqlalchemy as sa

        sa.event.listen(store.engine, "before_cursor_execute", self._execute)
        sa.event.listen(store.engine, "commit", lambda conn: self.log.append("COMMIT"))

    def _execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        verb = statement.split(None, 1)[0].upper()
        if self.fail and verb == "DELETE":
            raise RuntimeError("injected database failure")
        self.log.append((verb, args[-1]))  # (verb, executemany)

    def writes(self) -> list[Any]:
        """The statements of each committed transaction that wrote."""
        transactions: list[list[Any]] = [[]]
        for entry in self.log:
            if entry == "COMMIT":
                transactions.append([])
            else:
                transactions[-1].append(entry)
        return [
            statements
            for statements in transactions[:-1]
            if any(verb in ("INSERT", "UPDATE", "DELETE") for verb, _ in statements)
        ]


class RedisProbe(WriteProbe):
    READS = {"ZRANGEBYSCORE", "HMGET", "ZRANGE", "HGET", "HGETALL"}

    def __init__(self, store: Any) -> None:
        super().__init__()
        from redis.exceptions import ConnectionError as RedisConnectionError

        send = store.redis.execute_command

        def execute_command(*args: Any, **options: Any) -> Any:
            name = str(args[0]).upper()
            if self.fail and name not in self.READS:
                raise RedisConnectionError("injected connection failure")
            self.log.append(name)
            return send(*args, **options)

        store.redis.execute_command = execute_command

    def writes(self) -> list[Any]:
        return [name for name in self.log if name not in self.READS]


class MongoProbe(WriteProbe):
    WRITES = {"insert", "update", "delete", "findAndModify"}

    def __init__(self) -> None:
        super().__init__()
        from pymongo import monitoring

        probe = self

        class Listener(monitoring.CommandListener):
            def started(self, event: Any) -> None:
                probe.log.append(event.command_name)

            def succeeded(self, event: Any) -> None:
                pass

            def failed(self, event: Any) -> None:
                pass

        self.listener = Listener()

    def attach(self, store: Any) -> None:
        from pymongo.errors import AutoReconnect

        probe = self

        class Collection:  # the store's collection, whose bulk writes can fail
            def __init__(self, collection: Any) -> None:
                self._collection = collection

            def bulk_write(self, *args: Any, **kwargs: Any) -> Any:
                if probe.fail:
                    raise AutoReconnect("injected connection failure")
                return self._collection.bulk_write(*args, **kwargs)

            def __getattr__(self, name: str) -> Any:
                return getattr(self._collection, name)

        store.collection = Collection(store.collection)

    def writes(self) -> list[Any]:
        return [name for name in self.log if name in self.WRITES]


def probed_store(backend: Backend, batched: bool = True) -> tuple[Any, WriteProbe]:
    """A store at the backend's location with a probe on its driver; with
    ``batched=False`` its hook is switched off, so the scheduler writes job by job."""
    probe: WriteProbe
    if backend.kind == "mongodb":
        probe = MongoProbe()
        store = backend.store(event_listeners=[probe.listener])
        probe.attach(store)
    else:
        store = backend.store()
        probe = SQLProbe(store) if backend.kind == "sqlalchemy" else RedisProbe(store)
    if not batched:
        store.update_and_remove_jobs = None
    return store, probe


# --------------------------------------------------------------------------- sweeps


class Sweep:
    """A paused scheduler on one store, its due jobs, and what it reports."""

    def __init__(
        self,
        store: Any,
        probe: WriteProbe | None = None,
        executor: Any = None,
        caplog: pytest.LogCaptureFixture | None = None,
        t0: datetime | None = None,
    ) -> None:
        self.store = store
        self.probe = probe
        self.caplog = caplog
        self.executor = executor or MeddlingExecutor()
        self.scheduler = SweepScheduler(
            timezone=UTC,
            jobstores={"default": store},
            executors={"default": self.executor},
            jobstore_retry_interval=RETRY,
        )
        self.events: list[tuple[int, str | None, str | None]] = []
        self.scheduler.add_listener(
            lambda e: self.events.append(
                (e.code, getattr(e, "job_id", None), getattr(e, "jobstore", None))
            ),
            EVENT_ALL,
        )
        self.scheduler.start(paused=True)
        #: when the jobs were due: half an hour ago
        self.t0 = t0 or half_an_hour_ago()

    def add(self, job_id: str, kind: str, offset: int) -> None:
        """A due job: a date job (removed after the sweep) or an hourly interval
        job (updated to an hour after it was due). Due ``offset`` µs after t0, so
        sweeps submit the jobs in the order they were added; half an hour late,
        so without a misfire grace time."""
        due = self.t0 + timedelta(microseconds=offset)
        if kind == "date":
            self.scheduler.add_job(
                stores.record,
                "date",
                run_date=due,
                args=[job_id],
                id=job_id,
                misfire_grace_time=None,
            )
        else:
            self.scheduler.add_job(
                stores.record,
                "interval",
                hours=1,
                start_date=self.t0,
                next_run_time=due,
                args=[job_id],
                id=job_id,
                misfire_grace_time=None,
            )

    def add_plan(self, plan: list[tuple[str, str]]) -> None:
        for offset, (job_id, kind) in enumerate(plan):
            self.add(job_id, kind, offset)

    def run(self) -> float | None:
        """One sweep; the probe and the records cover only it."""
        self.scheduler.resume()
        self.events.clear()
        if self.probe is not None:
            self.probe.log.clear()
        if self.caplog is not None:
            self.caplog.clear()
        stores.reset()
        return self.scheduler._process_jobs()

    def of(self, code: int) -> list[str | None]:
        return [job_id for event_code, job_id, _ in self.events if event_code == code]

    def messages(self, start: str) -> list[str]:
        assert self.caplog is not None
        return [
            record.getMessage()
            for record in self.caplog.records
            if record.name.startswith("apscheduler") and record.getMessage().startswith(start)
        ]

    def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.remove_all_jobs()
            self.scheduler.shutdown()


@contextmanager
def sweep_on(backend: Backend, batched: bool, **options: Any) -> Iterator[Sweep]:
    store, probe = probed_store(backend, batched)
    sweep = Sweep(store, probe, **options)
    try:
        yield sweep
    finally:
        sweep.close()


def half_an_hour_ago() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def mixed_plan(count: int = N) -> list[tuple[str, str]]:
    return [(f"j{i:02d}", "date" if i % 2 == 0 else "interval") for i in range(count)]


def ran() -> list[str]:
    """The jobs that ran (``stores.record`` with the job's id as its tag)."""
    return [tag for tag, _, _ in stores.runs()]


def other_thread_removes(backend: Backend, *job_ids: str) -> Callable[[], None]:
    """An action: another thread removes these jobs through its own store instance
    (as another process would), while the sweep runs."""

    def action() -> None:
        other = backend.store()
        other.start(SweepScheduler(timezone=UTC), "default")
        thread = threading.Thread(target=lambda: [other.remove_job(i) for i in job_ids])
        thread.start()
        thread.join(10)
        other.shutdown()

    return action


def expected_write(backend: Backend, updates: int, removals: int) -> list[Any]:
    """What one batched sweep that updates and removes that many jobs sends:
    one transaction (SQLAlchemy), one script call (Redis), or (MongoDB) one
    bulk_write per _JOBS_PER_BULK_WRITE jobs, each an update and/or a delete
    command (MongoDB has no command that does both)."""
    if backend.kind == "sqlalchemy":
        statements = [("UPDATE", True)] if updates else []
        statements += [("DELETE", False)] if removals else []
        return [statements]
    if backend.kind == "redis":
        return ["EVALSHA"]
    kinds = ["update"] * updates + ["delete"] * removals
    commands = []
    for start in range(0, len(kinds), _JOBS_PER_BULK_WRITE):
        bulk = kinds[start : start + _JOBS_PER_BULK_WRITE]
        commands += [kind for kind in ("update", "delete") if kind in bulk]
    return commands


def warm_up(sweep: Sweep) -> None:
    # Redis: a client's first call of a script loads it (EVALSHA, NOSCRIPT, SCRIPT
    # LOAD, EVALSHA); a sweep that updates and removes first, so the measured
    # sweeps show the steady state either way.
    sweep.add("warm-date", "date", 0)
    sweep.add("warm-interval", "interval", 1)
    sweep.run()
    sweep.scheduler.remove_job("warm-interval")
    assert not sweep.store.get_all_jobs()


# --------------------------------------------------------------------------- tests


def test_a_sweep_writes_once_and_stores_what_per_job_writes_store(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler")
    outcomes = {}
    t0 = half_an_hour_ago()  # the same jobs, due at the same times, both ways
    for batched in (False, True):
        with sweep_on(backend, batched, caplog=caplog, t0=t0) as sweep:
            warm_up(sweep)
            sweep.add_plan(mixed_plan())
            wait = sweep.run()
            outcomes[batched] = {
                "writes": sweep.probe.writes(),
                "rows": backend.raw_rows(),
                "wait": wait,
                "ran": ran(),
                "events": list(sweep.events),
                "submitted": sweep.of(EVENT_JOB_SUBMITTED),
                "executed": sweep.of(EVENT_JOB_EXECUTED),
                "removed": sweep.of(EVENT_JOB_REMOVED),
                "removed_logs": sweep.messages("Removed job"),
                "running_logs": sweep.messages("Running job"),
            }
    per_job, batch = outcomes[False], outcomes[True]

    # one write for the sweep, where job by job wrote once per job
    assert batch["writes"] == expected_write(backend, updates=N // 2, removals=N // 2)
    assert len(per_job["writes"]) == N
    if backend.kind == "sqlalchemy":
        # (the sweep's other transactions: the due jobs' and the next run time's reads)
        assert per_job["writes"] == [[("DELETE", False)], [("UPDATE", False)]] * (N // 2)

    # the same stored state: interval jobs an hour after they were due, date jobs gone
    interval_ids = [job_id for job_id, kind in mixed_plan() if kind == "interval"]
    date_ids = [job_id for job_id, kind in mixed_plan() if kind == "date"]
    assert sorted(batch["rows"]) == interval_ids
    assert batch["rows"] == per_job["rows"]

    # the same jobs submitted, run and removed, in the same order, each reported once
    assert batch["submitted"] == per_job["submitted"] == [job_id for job_id, _ in mixed_plan()]
    assert batch["executed"] == per_job["executed"] == batch["submitted"]
    assert batch["ran"] == per_job["ran"] == batch["submitted"]
    assert batch["removed"] == per_job["removed"] == date_ids
    assert (
        batch["removed_logs"] == per_job["removed_logs"] == [f"Removed job {i}" for i in date_ids]
    )
    assert batch["running_logs"] == per_job["running_logs"]
    assert sorted(batch["events"]) == sorted(per_job["events"])
    assert all(store == "default" for _, _, store in batch["events"])
    # ... and the same wait until the interval jobs are due again
    assert batch["wait"] == pytest.approx(per_job["wait"], abs=2)
    assert 25 * 60 < batch["wait"] < 31 * 60


@pytest.mark.parametrize("kind", ["date", "interval"])
def test_only_removals_or_only_updates(backend: Backend, kind: str) -> None:
    count = 23  # MongoDB: 5 bulk writes, the last one partial
    with sweep_on(backend, batched=True) as sweep:
        warm_up(sweep)
        sweep.add_plan([(f"{kind}-{i:02d}", kind) for i in range(count)])
        sweep.run()
        assert sweep.probe.writes() == expected_write(
            backend,
            updates=count if kind == "interval" else 0,
            removals=count if kind == "date" else 0,
        )
        assert sorted(backend.raw_rows()) == (
            [f"{kind}-{i:02d}" for i in range(count)] if kind == "interval" else []
        )


def test_a_job_removed_meanwhile_does_not_cost_the_others_their_writes(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler")
    plan = [
        ("a", "date"),
        ("b", "interval"),
        ("c", "interval"),  # removed by another thread during the sweep
        ("d", "date"),  # removed by another thread during the sweep
        ("e", "date"),
        ("f", "interval"),  # removes itself while it runs
        ("g", "interval"),
    ]
    with sweep_on(backend, batched=True, caplog=caplog) as sweep:
        warm_up(sweep)
        sweep.add_plan(plan)
        sweep.executor.after["a"] = other_thread_removes(backend, "c", "d")
        sweep.executor.after["f"] = lambda: sweep.scheduler.remove_job("f")

        # as 3.11.3's update_job would for "c" (the first of them in the sweep) ...
        with pytest.raises(JobLookupError, match="No job by the id of c was found"):
            sweep.run()
        # ... but only once every other write of the sweep is stored and reported:
        # "f"'s own remove_job(), then the sweep's one write
        own, *sweep_writes = sweep.probe.writes()
        if backend.kind == "sqlalchemy":
            assert own == [("DELETE", False)]
            # one transaction, which also looked up which updated rows were missing
            assert sweep_writes == [[("UPDATE", True), ("SELECT", False), ("DELETE", False)]]
        else:
            assert own == ("EVALSHA" if backend.kind == "redis" else "delete")
            assert sweep_writes == expected_write(backend, updates=4, removals=3)
        assert sorted(backend.raw_rows()) == ["b", "g"]
        assert {job.id: job.next_run_time for job in sweep.store.get_all_jobs()} == {
            "b": sweep.t0 + timedelta(hours=1, microseconds=1),
            "g": sweep.t0 + timedelta(hours=1, microseconds=6),
        }
        assert ran() == [job_id for job_id, _ in plan]
        assert sweep.of(EVENT_JOB_SUBMITTED) == []  # the step failed: as in 3.11.3
        if backend.kind == "mongodb":
            # MongoDB's bulk write counts deletes but does not say which matched:
            # when some of a bulk's were gone, none is reported missing (all are
            # gone now, as intended), with a warning. ("d" and "e" share a bulk.)
            assert sweep.of(EVENT_JOB_REMOVED) == ["f", "a", "d", "e"]
            assert sweep.messages("1 of 2 finished jobs were already removed by someone else")
        else:
            assert sweep.of(EVENT_JOB_REMOVED) == ["f", "a", "e"]
        assert sweep.messages("Removed job") == [
            f"Removed job {i}" for i in sweep.of(EVENT_JOB_REMOVED)
        ]

        # nothing of that sweep is due again: the next one waits for "b" and "g"
        assert sweep.run() == pytest.approx(30 * 60, abs=60)
        assert ran() == []


@pytest.mark.parametrize("kind", ["date", "interval"])
@pytest.mark.parametrize("by", ["another thread", "itself"])
def test_a_lone_job_removed_meanwhile_raises_as_per_job(
    backend: Backend, kind: str, by: str
) -> None:
    outcomes = {}
    for batched in (False, True):
        with sweep_on(backend, batched) as sweep:
            sweep.add("lone", kind, 0)
            sweep.executor.after["lone"] = (
                other_thread_removes(backend, "lone")
                if by == "another thread"
                else lambda sweep=sweep: sweep.scheduler.remove_job("lone")
            )
            with pytest.raises(JobLookupError) as raised:
                sweep.run()
            outcomes[batched] = (
                str(raised.value),
                backend.raw_rows(),
                sweep.of(EVENT_JOB_REMOVED),
                ran(),
            )
    assert outcomes[True] == outcomes[False]
    message, rows, removed, runs = outcomes[True]
    assert message == "'No job by the id of lone was found'"
    assert rows == {}
    assert removed == (["lone"] if by == "itself" else [])
    assert runs == ["lone"]


def test_a_failed_batch_write_raises_and_the_sweep_runs_again(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    plan = mixed_plan(6)
    with sweep_on(backend, batched=True, caplog=caplog) as sweep:
        warm_up(sweep)
        sweep.add_plan(plan)
        before = backend.raw_rows()
        sweep.probe.fail = True

        with pytest.raises(Exception, match="injected"):
            sweep.run()
        # nothing of the sweep is stored (SQL: the UPDATE is rolled back with the
        # failed DELETE), and no removal is reported
        assert backend.raw_rows() == before
        assert sweep.of(EVENT_JOB_REMOVED) == []
        assert ran() == [job_id for job_id, _ in plan]

        # the scheduler loops log it and retry after jobstore_retry_interval
        stores.reset()
        assert sweep.scheduler._process_jobs_or_retry() == RETRY
        assert sweep.messages("Error processing jobs; retrying in 7.0 seconds")
        assert backend.raw_rows() == before

        # at least once: the retried sweep runs the jobs again, and stores them
        sweep.probe.fail = False
        sweep.run()
        assert ran() == [job_id for job_id, _ in plan]
        assert sorted(backend.raw_rows()) == [i for i, kind in plan if kind == "interval"]
        assert sweep.of(EVENT_JOB_REMOVED) == [i for i, kind in plan if kind == "date"]


# A job that removes itself from a pool thread: remove_job() waits for the
# sweep (the scheduler's job store lock), then removes the stored job.
_pool_scheduler: list[Any] = []


def remove_itself(job_id: str) -> None:
    _pool_scheduler[0].remove_job(job_id)


def test_a_job_removing_itself_from_a_pool_thread_waits_for_the_sweep(backend: Backend) -> None:
    store, probe = probed_store(backend)
    sweep = Sweep(store, probe, executor=ThreadPoolExecutor(4))
    _pool_scheduler[:] = [sweep.scheduler]
    try:
        warm_up(sweep)
        sweep.add_plan(mixed_plan(6))
        sweep.scheduler.add_job(
            remove_itself,
            "interval",
            hours=1,
            start_date=sweep.t0,
            next_run_time=sweep.t0,
            args=["self-remover"],
            id="self-remover",
            misfire_grace_time=None,
        )
        sweep.run()  # no error: the job's remove_job() came after the sweep's write
        # (before shutdown(wait=True), which holds the store lock while it waits
        # for the pool, in 3.11.3 too)
        assert stores.wait_for_tags({"j00", "j01", "j02", "j03", "j04", "j05"})
        deadline = time.monotonic() + 10
        while "self-remover" not in sweep.of(EVENT_JOB_REMOVED) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sweep.of(EVENT_JOB_REMOVED) == ["j00", "j02", "j04", "self-remover"]
        assert sorted(backend.raw_rows()) == ["j01", "j03", "j05"]
    finally:
        _pool_scheduler.clear()
        sweep.close()


# --------------------------------------------------------------------------- stores without the hook


class RecordingMemoryStore(MemoryJobStore):
    """A user's store: no batch hook; records the scheduler's calls."""

    calls: list[tuple[str, str]]

    def update_job(self, job: Any) -> None:
        self.calls.append(("update", job.id))
        super().update_job(job)

    def remove_job(self, job_id: str) -> None:
        self.calls.append(("remove", job_id))
        super().remove_job(job_id)


def test_stores_without_the_hook_are_written_job_by_job_after_each_submission() -> None:
    assert BaseJobStore.update_and_remove_jobs is None
    assert MemoryJobStore().update_and_remove_jobs is None

    calls: list[tuple[str, str]] = []
    store = RecordingMemoryStore()
    store.calls = calls
    executor = MeddlingExecutor()
    sweep = Sweep(store, executor=executor)
    try:
        sweep.add_plan(mixed_plan(4))
        for job_id, _ in mixed_plan(4):
            executor.after[job_id] = lambda job_id=job_id: calls.append(("submitted", job_id))
        sweep.run()
        assert calls == [
            ("submitted", "j00"),
            ("remove", "j00"),
            ("submitted", "j01"),
            ("update", "j01"),
            ("submitted", "j02"),
            ("remove", "j02"),
            ("submitted", "j03"),
            ("update", "j03"),
        ]
    finally:
        sweep.close()


def test_a_subclass_overriding_the_per_job_writes_is_written_job_by_job(backend: Backend) -> None:
    calls: list[tuple[str, str]] = []
    base = type(backend.store())

    class AuditedStore(base):  # type: ignore[misc, valid-type]
        def update_job(self, job: Any) -> None:
            calls.append(("update", job.id))
            super().update_job(job)

        def remove_job(self, job_id: str) -> None:
            calls.append(("remove", job_id))
            super().remove_job(job_id)

    class BatchingAuditedStore(AuditedStore):
        def update_and_remove_jobs(self, jobs: list[Any], job_ids: list[str]) -> list[str]:
            calls.append(("batch", f"{len(jobs)}+{len(job_ids)}"))
            return base.update_and_remove_jobs(self, jobs, job_ids)

    for cls, expected in [
        # the inherited hook would bypass the overrides: job by job, as 3.11.3
        (
            AuditedStore,
            [("remove", "j00"), ("update", "j01"), ("remove", "j02"), ("update", "j03")],
        ),
        # ... unless the subclass defines the hook itself
        (BatchingAuditedStore, [("batch", "2+2")]),
    ]:
        calls.clear()
        sweep = Sweep(cls(**backend.options))  # (its shutdown closes the store)
        try:
            sweep.add_plan(mixed_plan(4))
            sweep.run()
            assert calls == expected
            assert sorted(backend.raw_rows()) == ["j01", "j03"]
        finally:
            sweep.close()
