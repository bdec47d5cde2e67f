"""Fixtures for the trigger tests.

``impl`` is the implementation under test (``apscheduler_rs`` unless ``APSRS_IMPL`` names
another module prefix, e.g. ``APSRS_IMPL=apscheduler`` to validate the suite against the
reference itself); ``ref`` is always the reference ``apscheduler`` 3.11.3.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Iterator

import pytest

from ._impl import IMPL, REF, TriggerLib

#: A test that runs longer than this many seconds is assumed to hang (the reference loops
#: forever on some AndTrigger combinations; a faithful implementation might too): the
#: tracebacks of all threads are dumped and the process exits instead of blocking CI.
HANG_TIMEOUT = float(os.environ.get("APSRS_TEST_TIMEOUT", "600"))


def pytest_report_header(config: pytest.Config) -> str:
    return f"trigger tests: implementation {IMPL.name!r} vs reference {REF.name!r}"


@pytest.fixture(scope="session")
def impl() -> TriggerLib:
    return IMPL


@pytest.fixture(scope="session")
def ref() -> TriggerLib:
    return REF


@pytest.fixture(autouse=True)
def _hang_watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(HANG_TIMEOUT, exit=True, file=sys.stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
