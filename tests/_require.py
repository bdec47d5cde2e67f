"""What tests need from the machine: optional packages and servers. A missing
one skips its tests on a developer's machine, but fails them under CI
(``CI=true``), where the test command installs and starts everything and a skip
would hide a broken set-up."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

# The servers of the store and fault tests; each can be pointed elsewhere.
POSTGRESQL_URL = os.environ.get(
    "APSRS_POSTGRESQL_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("APSRS_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("APSRS_REDIS_URL", "redis://127.0.0.1:6379/0")
#: unset: the tests start SecantusDB in-process (tests/conftest.py)
MONGODB_URL = os.environ.get("APSRS_MONGODB_URL")


def unavailable(reason: str) -> None:
    """Skip the test for a missing server or package, or fail it under CI."""
    if CI:
        pytest.fail(f"{reason} (CI=true: an unavailable server fails the run)", pytrace=False)
    pytest.skip(reason)


def require(module: str) -> ModuleType:
    """Import ``module`` for a test file, or skip it (fail it under CI)."""
    if CI:
        return importlib.import_module(module)
    return pytest.importorskip(module)
