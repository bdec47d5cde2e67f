"""Fixtures of the job store tests: the database servers, and per test a fresh,
uniquely named table / key pair / collection on each backend, dropped afterwards.

Servers (override with environment variables):

- PostgreSQL: ``APSRS_POSTGRESQL_URL`` (default
  ``postgresql+psycopg2://postgres@127.0.0.1:5432/test``)
- MariaDB/MySQL: ``APSRS_MYSQL_URL`` (default ``mysql+pymysql://root@127.0.0.1:3306/test``)
- Redis: ``APSRS_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``)
- MongoDB: ``APSRS_MONGODB_URL``, else a SecantusDB server started in this
  process for the session
- SQLite: a file in the test's ``tmp_path``

The databases named in the URLs are created when missing. An unreachable server
skips its tests with the reason; under ``CI=true`` it fails them instead, so a
CI run never passes by skipping.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from _require import MYSQL_URL, POSTGRESQL_URL, REDIS_URL, unavailable

SQL_BACKENDS = ("sqlite", "postgresql", "mariadb")
BACKENDS = (*SQL_BACKENDS, "redis", "mongodb")


def unique_name() -> str:
    return "t" + uuid.uuid4().hex[:16]


# --------------------------------------------------------------------------- servers

_server_errors: dict[str, str | None] = {}


def _create_database(url: Any) -> None:
    import sqlalchemy as sa

    # Connect to the server's default database to create the missing one.
    server_url = url.set(database="postgres" if url.get_backend_name() == "postgresql" else None)
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {url.database}"))
    finally:
        engine.dispose()


def _check_sql_server(url_text: str) -> None:
    import sqlalchemy as sa

    url = sa.engine.make_url(url_text)
    error = _server_errors.get(url_text, "")
    if error == "":
        error = None
        for attempt in range(2):
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
                break
            except Exception as exc:
                error = f"no SQL server at {url!r}: {type(exc).__name__}: {exc}"
                if attempt == 0 and "exist" in str(exc) and url.database:
                    try:
                        _create_database(url)
                        error = None
                        continue
                    except Exception as create_exc:
                        error += f" (creating the database failed: {create_exc})"
                break
            finally:
                engine.dispose()
        _server_errors[url_text] = error
    if error:
        unavailable(error)


@pytest.fixture(scope="session")
def redis_address() -> dict[str, Any]:
    parts = urlsplit(REDIS_URL)
    server = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.strip("/") or 0),
    }
    try:
        import redis

        client = redis.Redis(**server, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        unavailable(f"no Redis server at {REDIS_URL}: {type(exc).__name__}: {exc}")
    return server


# --------------------------------------------------------------------------- backends


class Backend:
    """A fresh location (table, key pair or collection) on one backend, with
    constructors for the stores of both libraries pointing at it and raw access
    through the plain drivers (independent of the stores under test)."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.name = name
        self.kind = "sqlalchemy" if name in SQL_BACKENDS else name
        #: keyword arguments both libraries' store constructors take
        self.options = options
        self._stores: list[Any] = []
        self._raw: Any = None

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"

    def store(self, **extra: Any) -> Any:
        """An apscheduler_rs store at this location (not started)."""
        module = __import__(f"apscheduler_rs.jobstores.{self.kind}", fromlist=["x"])
        return self._keep(self._store_class(module)(**self.options, **extra))

    def reference_store(self, **extra: Any) -> Any:
        """APScheduler 3.11.3's store at this location (not started)."""
        module = __import__(f"apscheduler.jobstores.{self.kind}", fromlist=["x"])
        return self._keep(self._store_class(module)(**self.options, **extra))

    def _store_class(self, module: Any) -> Any:
        names = {"sqlalchemy": "SQLAlchemyJobStore", "redis": "RedisJobStore"}
        return getattr(module, names.get(self.kind, "MongoDBJobStore"))

    def _keep(self, store: Any) -> Any:
        self._stores.append(store)
        return store

    # raw access -----------------------------------------------------------------

    def _sql(self) -> tuple[Any, Any]:
        import sqlalchemy as sa

        if self._raw is None:
            engine = sa.create_engine(self.options["url"], poolclass=sa.pool.NullPool)
            table = sa.Table(
                self.options["tablename"],
                sa.MetaData(),
                sa.Column("id", sa.Unicode(191), primary_key=True),
                sa.Column("next_run_time", sa.Float(25), index=True),
                sa.Column("job_state", sa.LargeBinary, nullable=False),
            )
            table.create(engine, checkfirst=True)
            self._raw = (engine, table)
        return self._raw

    def _redis(self) -> Any:
        import redis

        if self._raw is None:
            self._raw = redis.Redis(
                host=self.options["host"], port=self.options["port"], db=self.options["db"]
            )
        return self._raw

    def _collection(self) -> Any:
        import pymongo

        if self._raw is None:
            self._raw = pymongo.MongoClient(self.options["host"])
        return self._raw[self.options["database"]][self.options["collection"]]

    def put_raw(self, job_id: str, timestamp: float | None, data: bytes) -> None:
        """Write a row / entry / document directly, as a foreign writer would."""
        if self.kind == "sqlalchemy":
            engine, table = self._sql()
            with engine.begin() as connection:
                connection.execute(
                    table.insert().values(id=job_id, next_run_time=timestamp, job_state=data)
                )
        elif self.kind == "redis":
            client = self._redis()
            client.hset(self.options["jobs_key"], job_id, data)
            if timestamp is not None:
                client.zadd(self.options["run_times_key"], {job_id: timestamp})
        else:
            from bson.binary import Binary

            self._collection().insert_one(
                {"_id": job_id, "next_run_time": timestamp, "job_state": Binary(data)}
            )

    def raw_rows(self) -> dict[str, tuple[float | None, bytes]]:
        """What is stored: id -> (next run timestamp, state bytes)."""
        if self.kind == "sqlalchemy":
            engine, table = self._sql()
            with engine.begin() as connection:
                rows = connection.execute(table.select()).all()
            return {row.id: (row.next_run_time, bytes(row.job_state)) for row in rows}
        if self.kind == "redis":
            client = self._redis()
            states = client.hgetall(self.options["jobs_key"])
            scores = dict(client.zrange(self.options["run_times_key"], 0, -1, withscores=True))
            ids = set(states) | set(scores)
            return {
                key.decode(): (scores.get(key), bytes(states[key]) if key in states else b"")
                for key in ids
            }
        return {
            doc["_id"]: (doc["next_run_time"], bytes(doc["job_state"]))
            for doc in self._collection().find()
        }

    def close(self) -> None:
        for store in self._stores:
            try:
                store.shutdown()
            except Exception:  # noqa: BLE001 - cleanup of whatever was opened
                pass
        if self.kind == "sqlalchemy":
            engine, table = self._sql()
            table.drop(engine, checkfirst=True)
            engine.dispose()
        elif self.kind == "redis":
            client = self._redis()
            client.delete(self.options["jobs_key"], self.options["run_times_key"])
            client.close()
        else:
            self._collection().drop()
            self._raw.close()
        self._raw = None


def make_backend(request: pytest.FixtureRequest, name: str, tmp_path: Path) -> Backend:
    table = unique_name()
    if name == "sqlite":
        options: dict[str, Any] = {"url": f"sqlite:///{tmp_path / 'jobs.sqlite'}"}
    elif name == "postgresql":
        _check_sql_server(POSTGRESQL_URL)
        options = {"url": POSTGRESQL_URL}
    elif name == "mariadb":
        _check_sql_server(MYSQL_URL)
        options = {"url": MYSQL_URL}
    elif name == "redis":
        options = {
            **request.getfixturevalue("redis_address"),
            "jobs_key": f"{table}.jobs",
            "run_times_key": f"{table}.run_times",
        }
    elif name == "mongodb":
        options = {
            "host": request.getfixturevalue("mongodb_uri"),
            "database": "apsrs_stores",
            "collection": table,
        }
    else:
        raise ValueError(name)
    if name in SQL_BACKENDS:
        options["tablename"] = table
    return Backend(name, options)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each backend in turn, at a fresh location."""
    backend = make_backend(request, request.param, tmp_path)
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture
def sqlite_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """SQLite only, for tests of behaviour every backend shares."""
    backend = make_backend(request, "sqlite", tmp_path)
    try:
        yield backend
    finally:
        backend.close()
