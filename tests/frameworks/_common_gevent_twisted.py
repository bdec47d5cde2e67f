"""Helpers for the gevent and Twisted scheduler tests.

Both frameworks must run outside the pytest process: gevent's monkey-patching
would change every other test, and a Twisted reactor runs once per process. A
test script is a template naming the scheduler package ``PKG``; it runs once
with ``apscheduler_rs`` and once with APScheduler 3.11.3 (``apscheduler``), at
the same time, and prints a JSON report as its last line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

PACKAGES = ("apscheduler_rs", "apscheduler")

#: Script code shared by the scenarios: records every event and every log
#: record under ``apscheduler`` (message with times masked) for the report.
CAPTURE = r"""
import json, logging, re, sys, time

from PKG.events import EVENT_ALL

_TIMES = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00| UTC)?"), "<time>"),
    (re.compile(r"missed by \d+:\d{2}:\d{2}(\.\d+)?"), "missed by <delta>"),
]


def mask(text):
    for pattern, replacement in _TIMES:
        text = pattern.sub(replacement, text)
    return text


logs = []


class Capture(logging.Handler):
    def emit(self, record):
        exc = record.exc_info[0].__name__ if record.exc_info else None
        logs.append([record.name, record.levelname, mask(record.getMessage()), exc])


logging.getLogger("apscheduler").addHandler(Capture())
logging.getLogger("apscheduler").setLevel(logging.INFO)

events = []
lateness = {}


def listener(event):
    entry = [event.code, getattr(event, "job_id", None)]
    if hasattr(event, "scheduled_run_times"):
        entry.append(len(event.scheduled_run_times))
    if getattr(event, "exception", None) is not None:
        entry.append(repr(event.exception))
    events.append(entry)
    if getattr(event, "scheduled_run_time", None) is not None:
        late = time.time() - event.scheduled_run_time.timestamp()
        lateness.setdefault(event.job_id, []).append(late)


def report(**extra):
    print(json.dumps(dict(events=events, logs=logs, lateness=lateness, **extra)), flush=True)
"""


def run_scripts(template: str, timeout: float = 60) -> dict[str, dict[str, Any]]:
    """Run ``template`` (``CAPTURE`` is prepended after its first line, which
    may be the monkey-patching one) under each of :data:`PACKAGES` at once;
    return each package's report."""
    first, _, rest = template.lstrip("\n").partition("\n")
    if first.startswith("from gevent import monkey"):
        code = first + "\n" + CAPTURE + rest
    else:
        code = CAPTURE + first + "\n" + rest
    processes = {
        package: subprocess.Popen(
            [sys.executable, "-c", code.replace("PKG", package)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        for package in PACKAGES
    }
    reports = {}
    try:
        for package, process in processes.items():
            out, err = process.communicate(timeout=timeout)
            assert process.returncode == 0, f"{package} script failed:\n{err}"
            reports[package] = json.loads(out.strip().splitlines()[-1])
            reports[package]["stderr"] = err
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return reports


def run_snippet(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; fail the test if it fails."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    return result


def missing_framework_messages(
    framework: str, modules: list[str], executor_alias: str
) -> dict[str, dict[str, str]]:
    """For each package, while ``framework`` cannot be imported: importing the
    package, then each of ``modules`` (relative to it), then adding the
    executor plugin ``executor_alias`` -> ``'ok'`` or the ImportError's message."""
    code = f"""
import importlib, json, sys
sys.modules[{framework!r}] = None  # as if it were not installed
import PKG
outcome = {{}}
for name in {modules!r}:
    try:
        importlib.import_module("PKG." + name)
    except ImportError as exc:
        outcome[name] = str(exc)
    else:
        outcome[name] = "ok"
from PKG.schedulers.background import BackgroundScheduler
try:
    BackgroundScheduler().add_executor({executor_alias!r})
except ImportError as exc:
    outcome["add_executor"] = str(exc)
else:
    outcome["add_executor"] = "ok"
print(json.dumps(outcome))
"""
    return {
        package: json.loads(run_snippet(code.replace("PKG", package)).stdout)
        for package in PACKAGES
    }


def job_events(report: dict[str, Any], job_id: str) -> list[list[Any]]:
    """The report's events about ``job_id``, in order."""
    return [event for event in report["events"] if event[1] == job_id]


def event_codes(report: dict[str, Any], job_id: str) -> set[int]:
    return {event[0] for event in job_events(report, job_id)}


def log_set(report: dict[str, Any]) -> set[tuple[Any, ...]]:
    """The distinct log records (logger, level, masked message, exception)."""
    return {tuple(record) for record in report["logs"]}
