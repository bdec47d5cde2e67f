"""The datetime fast paths (C-API capsule, object layout) are on by default, and
the portable attribute route that replaces them when their import-time
self-test fails gives the same results: the trigger suites run again with it
forced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from apscheduler_rs._core import datetime_fast_path

TESTS = Path(__file__).resolve().parent


def test_fast_path_is_on_by_default() -> None:
    assert datetime_fast_path()


def test_trigger_suites_pass_on_the_portable_route() -> None:
    env = dict(os.environ, APSCHEDULER_RS_PORTABLE_DATETIME="1", APSRS_DIFF_SCALE="0.2")
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "from apscheduler_rs._core import datetime_fast_path as f; print(f())",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout.strip() == "False"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
            str(TESTS / "triggers"),
            str(TESTS / "test_util.py"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
