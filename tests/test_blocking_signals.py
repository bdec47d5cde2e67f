"""A BlockingScheduler in the main thread stops cleanly on Ctrl+C and SIGTERM:
the scheduler shuts down, start() raises, and a later shutdown() is harmless."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

SCRIPT = r"""
import json, os, signal, sys, threading, time
from apscheduler_rs.schedulers.blocking import BlockingScheduler

ticks = []
scheduler = BlockingScheduler(timezone="UTC")
scheduler.add_job(lambda: ticks.append(time.time()), "interval", seconds=0.05)
scheduler.add_job(lambda: print("READY", flush=True), id="ready")
outcome = {}
try:
    scheduler.start()
except KeyboardInterrupt:
    outcome["raised"] = "KeyboardInterrupt"
except SystemExit as exc:
    outcome["raised"] = "SystemExit"
    outcome["code"] = exc.code
outcome["running"] = scheduler.running
if "raised" in outcome:
    scheduler.shutdown()  # the usual except-block call: must not raise
outcome["ticked"] = len(ticks) > 0
# shutdown(wait=False) lets the pool's workers finish on their own
deadline = time.monotonic() + 10
while threading.active_count() > 1 and time.monotonic() < deadline:
    time.sleep(0.01)
outcome["threads"] = sorted(t.name for t in threading.enumerate())
outcome["sigterm_restored"] = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
print(json.dumps(outcome), flush=True)
"""


def run_and_signal(signum: int) -> dict:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "READY"
        time.sleep(0.3)
        process.send_signal(signum)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("signum", "raised"),
    [(signal.SIGINT, "KeyboardInterrupt"), (signal.SIGTERM, "SystemExit")],
    ids=["ctrl-c", "sigterm"],
)
def test_signal_shuts_the_blocking_scheduler_down(signum: int, raised: str) -> None:
    outcome = run_and_signal(signum)
    assert outcome["raised"] == raised
    if signum == signal.SIGTERM:
        assert outcome["code"] == 128 + signal.SIGTERM
    assert outcome["running"] is False
    assert outcome["ticked"] is True
    assert outcome["threads"] == ["MainThread"]
    assert outcome["sigterm_restored"] is True


def test_own_sigterm_handler_is_left_alone() -> None:
    script = SCRIPT.replace(
        "scheduler = BlockingScheduler",
        "signal.signal(signal.SIGTERM, lambda *a: scheduler.shutdown(wait=False))\n"
        "scheduler = BlockingScheduler",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "READY"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    outcome = json.loads(out.strip().splitlines()[-1])
    # the user's handler shut the scheduler down: start() returned normally
    assert "raised" not in outcome
    assert outcome["running"] is False
    assert outcome["sigterm_restored"] is False


def test_shutdown_leaves_no_os_thread_behind() -> None:
    # Counted at the OS level in a fresh process: the scheduler thread and the
    # Rust pool's workers must all be gone once shutdown() returns.
    script = r"""
import os, threading, time
from apscheduler_rs.schedulers.background import BackgroundScheduler

def os_threads():
    return len(os.listdir("/proc/self/task"))

before = os_threads()
done = threading.Event()
scheduler = BackgroundScheduler(timezone="UTC")
for i in range(20):
    scheduler.add_job(time.sleep, args=[0.05], id=f"sleep-{i}")
scheduler.add_job(done.set, "interval", seconds=0.05)
scheduler.start()
assert done.wait(5)
time.sleep(0.2)
during = os_threads()
scheduler.shutdown()
# a joined Python thread may still be inside pthread's exit for a moment
deadline = time.monotonic() + 2
while os_threads() > before and time.monotonic() < deadline:
    time.sleep(0.005)
print(before, during, os_threads())
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    before, during, after = map(int, result.stdout.split())
    assert during > before + 1  # the scheduler thread and several workers ran
    assert after == before


def test_shutdown_waiting_for_a_job_that_calls_back_does_not_deadlock() -> None:
    # 3.11.3 holds the job-store lock while it waits for running jobs, so a job
    # calling remove_job() during shutdown(wait=True) deadlocks there.
    script = r"""
import threading, time
from apscheduler_rs.schedulers.background import BackgroundScheduler

scheduler = BackgroundScheduler(timezone="UTC")
started = threading.Event()
outcome = []

def job():
    started.set()
    time.sleep(0.3)
    try:
        scheduler.remove_job("other")
        outcome.append("removed")
    except Exception as exc:
        outcome.append(type(exc).__name__)

scheduler.add_job(job, id="caller")
scheduler.add_job(print, "interval", hours=1, id="other")
scheduler.start()
assert started.wait(5)
scheduler.shutdown(wait=True)
print(outcome)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    # stopped: the job sees no stored jobs any more, and gets JobLookupError
    assert result.stdout.strip() == "['JobLookupError']"
