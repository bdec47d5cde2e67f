"""Crash: a scheduler process with 1,000 jobs on a persistent store is killed with
SIGKILL mid-run; a new scheduler on the same store finds every job with its next
run time, and misfire / coalesce apply to the time the process was down.

The child (``faults.child_main``) runs 1,000 jobs due every second (interval
jobs that coalesce, interval jobs that do not with an hour of grace, interval
jobs that do not with 1 s of grace, and 20 cron jobs), all due in the same
sweeps. It is killed once every job has run (or been missed) at least once and
half of them a second time, so the kill lands in the middle of a sweep. After
``DOWNTIME`` seconds a scheduler in this process starts on the same store:

- the plain driver read of the table / keys / collection lists the 1,000 jobs,
  each with a next run time (Redis: the run-time index agrees with the hash);
- ``get_jobs()`` returns them with those next run times and their options;
- on resume, each job's first submission covers exactly the time it was down:
  one run (the latest missed time) for coalescing jobs, and every missed time,
  one second apart from the stored next run time, for the others; each of those
  run times is executed exactly once, except that jobs with 1 s of grace report
  their oldest missed time as missed instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections import defaultdict
from typing import Any

import pytest

from . import (
    CRASH_INTERVAL,
    PERSISTENT_BACKENDS,
    Lib,
    RawStore,
    child_command,
    crash_plan,
    make_store,
    wait_for,
)

COUNT = 1000
#: seconds between the SIGKILL and the new scheduler's resume()
DOWNTIME = 2.5
EPS = 1e-3  # float timestamps of the stores round-trip to the microsecond


class Child:
    """The child process and what its stdout says."""

    def __init__(self, config: dict[str, Any], stderr_path: Any) -> None:
        self._stderr = open(stderr_path, "w+")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            child_command(config), stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        self.started: float | None = None
        self.first_due: float | None = None
        self.done_ids = 0
        self.runs = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            kind, *values = line.split()
            if kind == "STARTED":
                self.started, self.first_due = float(values[0]), float(values[1])
            elif kind == "PROGRESS":
                self.done_ids, self.runs = int(values[0]), int(values[1])

    def stderr(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()
        return text[-4000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.kill()
        self._stderr.close()


@pytest.mark.parametrize("backend", PERSISTENT_BACKENDS)
def test_sigkill_mid_run_loses_nothing(
    lib: Lib, backend: str, spec: dict[str, Any], tmp_path: Any
) -> None:
    plan = {job["id"]: job for job in crash_plan(COUNT)}
    events = lib.events

    # 1. the child runs the 1,000 jobs and is killed mid-sweep
    child = Child({"package": lib.package, "spec": spec, "count": COUNT}, tmp_path / "child.err")
    try:
        ran = wait_for(
            lambda: (
                child.proc.poll() is not None
                or (child.done_ids >= COUNT and child.runs >= COUNT * 1.5)
            ),
            timeout=60,
        )
        if child.proc.poll() is not None:
            pytest.fail(f"the child exited with {child.proc.returncode}:\n{child.stderr()}")
        if not ran:
            pytest.fail(
                f"the child did not run every job within 60 s ({child.done_ids} jobs, "
                f"{child.runs} runs):\n{child.stderr()}"
            )
        child.kill()
        killed_at = time.time()
    finally:
        child.close()
    assert child.proc.returncode == -signal.SIGKILL

    # 2. what the database holds, read with the plain driver
    raw = RawStore(spec)
    try:
        stored = raw.settled_jobs()
        problems = raw.problems()
    finally:
        raw.close()
    assert not problems
    assert set(stored) == set(plan), (
        f"missing: {sorted(set(plan) - set(stored))[:10]}, extra: {sorted(set(stored) - set(plan))[:10]}"
    )
    unscheduled = sorted(job_id for job_id, when in stored.items() if when is None)
    assert not unscheduled, f"jobs stored without a next run time: {unscheduled[:10]}"
    # the child ran the jobs: their next run times moved past the first due time
    assert child.first_due is not None
    advanced = sum(1 for when in stored.values() if when > child.first_due + EPS)
    assert advanced == COUNT, f"only {advanced} jobs' next run times were stored after running"

    # 3. a new scheduler on the same store, once the process has been down DOWNTIME s
    time.sleep(max(0.0, killed_at + DOWNTIME - time.time()))
    submissions: list[tuple[str, list[float], float]] = []
    outcomes: dict[tuple[str, float], list[int]] = defaultdict(list)
    lock = threading.Lock()

    def listener(event: Any) -> None:
        with lock:
            if event.code == events.EVENT_JOB_SUBMITTED:
                times = [round(t.timestamp(), 6) for t in event.scheduled_run_times]
                submissions.append((event.job_id, times, time.time()))
            else:
                key = (event.job_id, round(event.scheduled_run_time.timestamp(), 6))
                outcomes[key].append(event.code)

    scheduler = lib.scheduler(jobstores={"default": make_store(lib.package, spec)})
    scheduler.add_listener(
        listener,
        events.EVENT_JOB_SUBMITTED
        | events.EVENT_JOB_EXECUTED
        | events.EVENT_JOB_MISSED
        | events.EVENT_JOB_ERROR,
    )
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == set(plan)
        for job_id, job in jobs.items():
            assert job.next_run_time is not None, job_id
            assert abs(job.next_run_time.timestamp() - stored[job_id]) < EPS, job_id
            assert job.coalesce == plan[job_id]["coalesce"], job_id
            assert job.misfire_grace_time == plan[job_id]["grace"], job_id

        resumed_at = time.time()
        scheduler.resume()

        def first_submissions() -> dict[str, list[float]]:
            first: dict[str, list[float]] = {}
            with lock:
                for job_id, times, _ in submissions:
                    first.setdefault(job_id, times)
            return first

        def all_accounted() -> bool:
            first = first_submissions()
            if len(first) < COUNT:
                return False
            with lock:
                return all((job_id, t) in outcomes for job_id, ts in first.items() for t in ts)

        finished = wait_for(all_accounted, timeout=40, interval=0.1)
        scheduler.pause()
    finally:
        scheduler.shutdown(wait=True)

    first = first_submissions()
    assert finished, (
        f"after 40 s, {len(first)} of {COUNT} jobs submitted; missing: "
        f"{sorted(set(plan) - set(first))[:10]}"
    )

    # 4. misfire and coalesce applied to the downtime
    errors: list[str] = []
    for job_id, times in first.items():
        job = plan[job_id]
        nrt = stored[job_id]
        if times[-1] <= resumed_at - CRASH_INTERVAL - EPS:
            errors.append(
                f"{job_id}: last run time {times[-1]} leaves a missed time before resume"
            )
        if job["coalesce"]:
            if len(times) != 1:
                errors.append(f"{job_id}: coalescing job submitted with {len(times)} run times")
            elif times[0] - nrt < CRASH_INTERVAL - EPS:
                errors.append(f"{job_id}: {times[0]} is not the latest of >= 2 missed times")
        else:
            if abs(times[0] - nrt) > EPS:
                errors.append(f"{job_id}: first run time {times[0]} != stored {nrt}")
            if len(times) < 2:
                errors.append(f"{job_id}: {len(times)} run time(s) for >= 2 missed")
            gaps = {round(b - a, 3) for a, b in zip(times, times[1:], strict=False)}
            if gaps - {CRASH_INTERVAL}:
                errors.append(f"{job_id}: run times not {CRASH_INTERVAL} s apart: {times}")
        for index, t in enumerate(times):
            codes = outcomes.get((job_id, t), [])
            if job["grace"] > 60:
                allowed = {events.EVENT_JOB_EXECUTED}
            elif index == 0:
                allowed = {events.EVENT_JOB_MISSED}  # >= DOWNTIME - 1 s late, 1 s of grace
            else:
                allowed = {events.EVENT_JOB_EXECUTED, events.EVENT_JOB_MISSED}
            if len(codes) != 1 or codes[0] not in allowed:
                errors.append(f"{job_id} @ {t}: outcomes {codes}, expected one of {allowed}")
    duplicates = [key for key, codes in outcomes.items() if len(codes) > 1]
    assert not duplicates, f"run times executed more than once: {duplicates[:10]}"
    assert not errors, f"{len(errors)} problems, e.g.:\n" + "\n".join(errors[:20])
