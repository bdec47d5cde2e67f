"""Fixtures shared by the store and fault tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _require import MONGODB_URL, unavailable


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB-protocol server for the whole run: ``APSRS_MONGODB_URL``, or
    SecantusDB in-process."""
    if MONGODB_URL:
        import pymongo

        try:
            pymongo.MongoClient(MONGODB_URL, serverSelectionTimeoutMS=2000).admin.command("ping")
        except Exception as exc:
            unavailable(f"no MongoDB server at {MONGODB_URL}: {type(exc).__name__}: {exc}")
        yield MONGODB_URL
        return
    try:
        from secantus import SecantusDBServer
    except ImportError as exc:
        unavailable(f"SecantusDB is not installed (pip install SecantusDB==0.7.0b3): {exc}")
    server = SecantusDBServer(
        host="127.0.0.1",
        port=0,
        storage_path=str(tmp_path_factory.mktemp("secantus")),
        replica_set_name=None,
        cache_size="64M",
    )
    try:
        server.start()
    except Exception as exc:
        unavailable(f"SecantusDB did not start: {type(exc).__name__}: {exc}")
    try:
        yield server.uri
    finally:
        server.stop()
