"""Fixtures of the fault tests: the library under test, the database servers and a
fresh, uniquely named table / key pair / collection per test.

- ``APSRS_FAULTS_LIBS``: comma-separated packages to test (default
  ``apscheduler_rs``; ``apscheduler,apscheduler_rs`` also runs the suite on the
  3.11.3 reference, which validates the harness).
- Servers: ``APSRS_POSTGRESQL_URL`` (default
  ``postgresql+psycopg2://postgres@127.0.0.1:5432/test``), ``APSRS_MYSQL_URL``
  (default ``mysql+pymysql://root@127.0.0.1:3306/test``), ``APSRS_REDIS_URL``
  (default ``redis://127.0.0.1:6379/0``), ``APSRS_MONGODB_URL`` (default: a
  SecantusDB server started in this process for the session).
- Under ``CI=true`` an unreachable server or a missing store module fails the
  test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from _require import CI, MYSQL_URL, POSTGRESQL_URL, REDIS_URL, unavailable

from . import PERSISTENT_BACKENDS, STORE_MODULES, Lib, RawStore, unique_name

LIBS = [
    name.strip()
    for name in os.environ.get("APSRS_FAULTS_LIBS", "apscheduler_rs").split(",")
    if name.strip()
]

#: a test running longer than this is taken to hang: dump every thread's stack and exit
HANG_TIMEOUT = float(os.environ.get("APSRS_TEST_TIMEOUT", "300"))


def pytest_report_header(config: pytest.Config) -> str:
    return f"fault tests: libraries {LIBS} (APSRS_FAULTS_LIBS), CI={CI}"


@pytest.fixture(autouse=True)
def _hang_watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(HANG_TIMEOUT, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(params=LIBS)
def lib(request: pytest.FixtureRequest) -> Lib:
    lib = Lib(request.param)
    try:
        lib.mod("schedulers.background")
    except ImportError as exc:
        unavailable(f"{lib.package} is not importable: {exc}")
    return lib


# --------------------------------------------------------------------------- servers


def _sql_server(url: str) -> str:
    """``url``, once its server answers; its database is created if missing."""
    import sqlalchemy as sa

    error: Exception | None = None
    for attempt in range(2):
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            return url
        except Exception as exc:
            error = exc
        finally:
            engine.dispose()
        if attempt == 0:
            try:
                _create_database(engine.url)
            except Exception:
                break
    unavailable(f"no SQL server at {engine.url!r}: {type(error).__name__}: {error}")
    return url


def _create_database(url: Any) -> None:
    import sqlalchemy as sa

    # connect to the server's default database to create the missing one
    server_url = url.set(database="postgres" if url.get_backend_name() == "postgresql" else None)
    engine = sa.create_engine(server_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {url.database}"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgresql_url() -> str:
    return _sql_server(POSTGRESQL_URL)


@pytest.fixture(scope="session")
def mariadb_url() -> str:
    return _sql_server(MYSQL_URL)


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

        redis.Redis(**server, socket_connect_timeout=2).ping()
    except Exception as exc:
        unavailable(f"no Redis server at {REDIS_URL}: {type(exc).__name__}: {exc}")
    return server


@pytest.fixture(scope="session")
def mongodb_address(mongodb_uri: str) -> dict[str, Any]:
    """Host and port of the run's MongoDB-protocol server (tests/conftest.py)."""
    parts = urlsplit(mongodb_uri)
    return {"host": parts.hostname or "127.0.0.1", "port": parts.port or 27017}


# --------------------------------------------------------------------------- stores


def new_spec(request: pytest.FixtureRequest, backend: str, tmp_path: Any) -> dict[str, Any]:
    """A fresh spec (unique table / keys / collection) for ``backend``."""
    name = unique_name()
    if backend == "memory":
        return {"backend": "memory"}
    if backend == "sqlite":
        return {
            "backend": "sqlite",
            "url": f"sqlite:///{tmp_path / 'jobs.sqlite'}",
            "tablename": "apscheduler_jobs",
        }
    if backend == "postgresql":
        url = request.getfixturevalue("postgresql_url")
        return {"backend": backend, "url": url, "tablename": name}
    if backend == "mariadb":
        url = request.getfixturevalue("mariadb_url")
        return {"backend": backend, "url": url, "tablename": name}
    if backend == "redis":
        server = request.getfixturevalue("redis_address")
        return {
            "backend": backend,
            **server,
            "jobs_key": f"{name}.jobs",
            "run_times_key": f"{name}.run_times",
        }
    if backend == "mongodb":
        server = request.getfixturevalue("mongodb_address")
        return {"backend": backend, **server, "database": "apsrs_faults", "collection": name}
    raise ValueError(backend)


def require_store(lib: Lib, backend: str) -> None:
    try:
        lib.mod(STORE_MODULES[backend])
    except ImportError as exc:
        unavailable(f"{lib.package}.{STORE_MODULES[backend]} is not importable: {exc}")


@pytest.fixture
def spec(
    request: pytest.FixtureRequest, lib: Lib, backend: str, tmp_path: Any
) -> Iterator[dict[str, Any]]:
    """A fresh store location for the test's ``backend`` (parametrized by the
    test), dropped afterwards."""
    require_store(lib, backend)
    spec = new_spec(request, backend, tmp_path)
    yield spec
    if backend in PERSISTENT_BACKENDS:
        raw = RawStore(spec)
        try:
            raw.drop()
        finally:
            raw.close()
