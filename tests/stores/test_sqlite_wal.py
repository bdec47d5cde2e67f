"""SQLAlchemyJobStore on a SQLite file it opens from a URL uses write-ahead
logging (durable commits with one sync each), unless told not to; an engine
given to it, and in-memory databases, are left as they are. APScheduler 3.11.3
reads (and writes) such a file as any other."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore as RefStore
from apscheduler.schedulers.background import BackgroundScheduler as RefScheduler

from apscheduler_rs.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler_rs.schedulers.background import BackgroundScheduler

UTC = timezone.utc


def journal_mode(path: Path) -> str:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
    finally:
        engine.dispose()


def add_one(store: SQLAlchemyJobStore) -> None:
    scheduler = BackgroundScheduler(timezone=UTC, jobstores={"default": store})
    scheduler.start(paused=True)
    scheduler.add_job(print, "interval", minutes=5, id="a")
    scheduler.shutdown()


def test_a_file_opened_from_a_url_uses_the_write_ahead_log(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    add_one(SQLAlchemyJobStore(url=f"sqlite:///{path}"))
    assert journal_mode(path) == "wal"


def test_sqlite_wal_false_and_given_engines_are_left_alone(tmp_path: Path) -> None:
    opted_out = tmp_path / "opted-out.sqlite"
    add_one(SQLAlchemyJobStore(url=f"sqlite:///{opted_out}", sqlite_wal=False))
    assert journal_mode(opted_out) == "delete"
    given = tmp_path / "given.sqlite"
    add_one(SQLAlchemyJobStore(engine=sa.create_engine(f"sqlite:///{given}")))
    assert journal_mode(given) == "delete"
    add_one(SQLAlchemyJobStore(url="sqlite://"))  # in memory: nothing to switch


def test_apscheduler_reads_and_writes_a_file_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    url = f"sqlite:///{path}"
    add_one(SQLAlchemyJobStore(url=url))
    reference = RefScheduler(timezone=UTC, jobstores={"default": RefStore(url=url)})
    reference.start(paused=True)
    assert [job.id for job in reference.get_jobs()] == ["a"]
    reference.add_job(print, "date", run_date=datetime.now(UTC) + timedelta(days=1), id="b")
    reference.shutdown()
    ours = BackgroundScheduler(timezone=UTC, jobstores={"default": SQLAlchemyJobStore(url=url)})
    ours.start(paused=True)
    assert sorted(job.id for job in ours.get_jobs()) == ["a", "b"]
    ours.shutdown()
    assert journal_mode(path) == "wal"
