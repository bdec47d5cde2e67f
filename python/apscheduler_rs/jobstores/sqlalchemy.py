"""A job store in a database table, through SQLAlchemy (SQLite, PostgreSQL,
MySQL/MariaDB ...), in APScheduler 3's table layout."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from apscheduler_rs.job import Job
from apscheduler_rs.jobstores._serialization import JobSerializer, create_serializer
from apscheduler_rs.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler_rs.util import datetime_to_utc_timestamp, maybe_ref, utc_timestamp_to_datetime

try:
    from sqlalchemy import (
        Column,
        Float,
        LargeBinary,
        MetaData,
        Table,
        Unicode,
        bindparam,
        create_engine,
        event,
        select,
    )
    from sqlalchemy.exc import IntegrityError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("SQLAlchemyJobStore requires SQLAlchemy installed") from exc

__all__ = ("SQLAlchemyJobStore",)

# Ids per "IN (...)" of a batch: each is a bound parameter, and SQLite before
# 3.32 allows 999 of them per statement.
_IDS_PER_STATEMENT = 900


def _chunks(job_ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(job_ids), _IDS_PER_STATEMENT):
        yield job_ids[start : start + _IDS_PER_STATEMENT]


def _use_write_ahead_log(engine: Any) -> None:
    """Have a SQLite file database use write-ahead logging (see the store's
    ``sqlite_wal``); other databases, and in-memory SQLite, are left alone."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if "mode=memory" in str(url.query.get("mode", "")) or url.database.startswith("file::memory:"):
        return

    def set_journal_mode(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    event.listen(engine, "connect", set_journal_mode)


class SQLAlchemyJobStore(BaseJobStore):
    """Keeps jobs in a table (created if missing) with APScheduler 3's columns:
    ``id`` (primary key), ``next_run_time`` (UTC timestamp, indexed, NULL while
    paused) and ``job_state`` (the serialized job). Tables written by
    APScheduler 3 are read as they are, and APScheduler 3 reads ours.

    Plugin alias: ``sqlalchemy``

    :param url: database URL for :func:`sqlalchemy.create_engine`
    :param engine: an :class:`~sqlalchemy.engine.Engine` (or a textual reference
        to one) to use instead of ``url``
    :param tablename: the table's name
    :param metadata: a :class:`~sqlalchemy.schema.MetaData` to define the table in
    :param pickle_protocol: pickle protocol of the stored jobs
    :param tableschema: the (existing) schema the table lives in
    :param engine_options: keyword arguments for ``create_engine`` (without ``engine``)
    :param serializer: ``"pickle"`` (APScheduler 3's format), ``"json"`` (no
        pickles; see ``docs/jobstores.md``) or a serializer object
    :param allowed_callables: with ``serializer="json"``: the callables jobs may
        run (``"module:name"``, ``"module:*"`` or the callables themselves)
    :param sqlite_wal: for a SQLite file opened from ``url``: switch the
        database to write-ahead logging (``PRAGMA journal_mode=WAL``), which
        stays with the file. Commits stay durable (``synchronous`` is left as
        it is, ``FULL`` by default) and cost one sync instead of several, which
        is most of what adding a job costs; readers and the writer no longer
        block each other. Needs a local file system (not NFS). ``False``
        leaves the database's journal mode alone; an ``engine`` you pass is
        never changed.
    """

    def __init__(
        self,
        url: str | None = None,
        engine: Any = None,
        tablename: str = "apscheduler_jobs",
        metadata: Any = None,
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        tableschema: str | None = None,
        engine_options: dict[str, Any] | None = None,
        *,
        serializer: str | JobSerializer = "pickle",
        allowed_callables: Iterable[str | Callable[..., Any]] | None = None,
        sqlite_wal: bool = True,
    ) -> None:
        super().__init__()
        self.pickle_protocol = pickle_protocol
        self.serializer = create_serializer(serializer, pickle_protocol, allowed_callables)
        metadata = maybe_ref(metadata) or MetaData()

        if engine:
            self.engine = maybe_ref(engine)
        elif url:
            self.engine = create_engine(url, **(engine_options or {}))
            if sqlite_wal:
                _use_write_ahead_log(self.engine)
        else:
            raise ValueError('Need either "engine" or "url" defined')

        # Column types as APScheduler 3: 191 characters is the longest InnoDB
        # key in utf8mb4; a precision of 25 makes the float an 8-byte double.
        self.jobs_t = Table(
            tablename,
            metadata,
            Column("id", Unicode(191), primary_key=True),
            Column("next_run_time", Float(25), index=True),
            Column("job_state", LargeBinary, nullable=False),
            schema=tableschema,
        )
        self._build_statements()

    def _build_statements(self) -> None:
        # Built once with bound parameters: building statements per call costs
        # more than running them on a local database.
        table = self.jobs_t
        c = table.c
        self._lookup = select(c.job_state).where(c.id == bindparam("b_id"))
        self._select_all = select(c.id, c.job_state).order_by(c.next_run_time, c.id)
        # The WHERE and ORDER BY on the indexed column: an index range scan.
        self._select_due = (
            select(c.id, c.job_state)
            .where(c.next_run_time <= bindparam("b_now"))
            .order_by(c.next_run_time, c.id)
        )
        self._next_run_time = (
            select(c.next_run_time)
            .where(c.next_run_time.is_not(None))
            .order_by(c.next_run_time)
            .limit(1)
        )
        self._insert = table.insert()
        self._update = (
            table.update()
            .where(c.id == bindparam("b_id"))
            .values(next_run_time=bindparam("b_next"), job_state=bindparam("b_state"))
        )
        self._delete = table.delete().where(c.id == bindparam("b_id"))
        in_ids = c.id.in_(bindparam("b_ids", expanding=True))
        self._delete_many = table.delete().where(in_ids)
        self._delete_many_returning = self._delete_many.returning(c.id)
        self._select_ids = select(c.id).where(in_ids)
        self._delete_all = table.delete()

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self.jobs_t.create(self.engine, checkfirst=True)

    def lookup_job(self, job_id: str) -> Job | None:
        with self.engine.begin() as connection:
            job_state = connection.execute(self._lookup, {"b_id": job_id}).scalar()
        return self._reconstitute_job(job_state) if job_state else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        return self._get_jobs(self._select_due, {"b_now": datetime_to_utc_timestamp(now)})

    def get_next_run_time(self) -> datetime | None:
        with self.engine.begin() as connection:
            next_run_time = connection.execute(self._next_run_time).scalar()
        return utc_timestamp_to_datetime(next_run_time)

    def get_all_jobs(self) -> list[Job]:
        jobs = self._get_jobs(self._select_all, {})
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job: Job) -> None:
        # Serialized before the transaction: a job that cannot be stored
        # leaves nothing behind.
        values = {
            "id": job.id,
            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
            "job_state": self.serializer.dumps(job),
        }
        with self.engine.begin() as connection:
            try:
                connection.execute(self._insert, values)
            except IntegrityError:
                raise ConflictingIdError(job.id) from None

    def update_job(self, job: Job) -> None:
        values = {
            "b_id": job.id,
            "b_next": datetime_to_utc_timestamp(job.next_run_time),
            "b_state": self.serializer.dumps(job),
        }
        with self.engine.begin() as connection:
            result = connection.execute(self._update, values)
            if result.rowcount == 0:
                raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        with self.engine.begin() as connection:
            result = connection.execute(self._delete, {"b_id": job_id})
            if result.rowcount == 0:
                raise JobLookupError(job_id)

    def update_and_remove_jobs(self, jobs: list[Job], job_ids: list[str]) -> list[str]:
        """The scheduler's batch hook (see :class:`BaseJobStore`): one transaction,
        with an executemany UPDATE and a DELETE per 900 ids; the ids not found."""
        # Serialized before the transaction, as in update_job.
        updates = [
            {
                "b_id": job.id,
                "b_next": datetime_to_utc_timestamp(job.next_run_time),
                "b_state": self.serializer.dumps(job),
            }
            for job in jobs
        ]
        missing: list[str] = []
        with self.engine.begin() as connection:
            if updates:
                result = connection.execute(self._update, updates)
                if result.rowcount != len(updates):
                    ids = [job.id for job in jobs]
                    missing += self._missing_updates(connection, ids)
            if job_ids:
                removed = self._delete_ids(connection, job_ids)
                missing += [job_id for job_id in job_ids if job_id not in removed]
        return missing

    def _missing_updates(self, connection: Any, job_ids: list[str]) -> list[str]:
        # Only when the UPDATE's row count falls short (or the driver cannot count
        # an executemany): the rows it updated are write-locked by this
        # transaction until it commits, so the ids still present now are
        # exactly those it updated.
        present: set[str] = set()
        for chunk in _chunks(job_ids):
            present.update(connection.execute(self._select_ids, {"b_ids": chunk}).scalars())
        return [job_id for job_id in job_ids if job_id not in present]

    def _delete_ids(self, connection: Any, job_ids: list[str]) -> set[str]:
        """Delete these rows; the ids that were there."""
        removed: set[str] = set()
        for chunk in _chunks(job_ids):
            if self.engine.dialect.delete_returning:  # PostgreSQL, SQLite, MariaDB
                result = connection.execute(self._delete_many_returning, {"b_ids": chunk})
                removed.update(result.scalars())
            else:  # MySQL: lock the rows first, so the DELETE removes exactly those
                locked = self._select_ids.with_for_update()
                removed.update(connection.execute(locked, {"b_ids": chunk}).scalars())
                connection.execute(self._delete_many, {"b_ids": chunk})
        return removed

    def remove_all_jobs(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(self._delete_all)

    def shutdown(self) -> None:
        self.engine.dispose()

    def _reconstitute_job(self, job_state: Any) -> Job:
        return self.serializer.restore(job_state, self._scheduler, self._alias)

    def _get_jobs(self, statement: Any, parameters: dict[str, Any]) -> list[Job]:
        jobs: list[Job] = []
        failed_job_ids: list[str] = []
        with self.engine.begin() as connection:
            for job_id, job_state in connection.execute(statement, parameters):
                try:
                    jobs.append(self._reconstitute_job(job_state))
                except BaseException:
                    self._logger.exception('Unable to restore job "%s" -- removing it', job_id)
                    failed_job_ids.append(job_id)

            # Rows that cannot be restored would fail on every wake-up: drop them.
            if failed_job_ids:
                connection.execute(self._delete_many, {"b_ids": failed_job_ids})

        return jobs

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (url={self.engine.url})>"
