"""Concurrency: jobs added, modified, paused, resumed, rescheduled and removed from
several threads while the scheduler runs (and runs them) leave the store with
exactly what was acknowledged.

Each of ``THREADS`` threads does ``OPS`` seeded random operations on its own
jobs and records what each call that returned acknowledged: every add that
returned is present unless later removed, every remove that returned is absent,
the last acknowledged name, args, trigger and pause state are what is stored.
Many jobs are due at once when added, so the scheduler loop fetches, runs and
stores them in the middle of the threads' changes. A few times the threads race
to add the same id: exactly one wins, the others get ``ConflictingIdError``.

The content is checked on the running scheduler, on a new scheduler reading the
same store (persistent stores), and with the plain driver.
"""

from __future__ import annotations

import random
import threading
import traceback
from datetime import datetime, timezone
from typing import Any

import pytest

from . import PERSISTENT_BACKENDS, Lib, RawStore, make_store, tick

THREADS = 4
OPS = 200
CONTESTED_AT = (50, 100, 150)  # op indexes where every thread adds the same id


def snapshot(jobs: list[Any]) -> dict[str, dict[str, Any]]:
    return {
        job.id: {
            "name": job.name,
            "args": list(job.args),
            "seconds": job.trigger.interval.total_seconds(),
            "paused": job.next_run_time is None,
        }
        for job in jobs
    }


class Worker:
    """One thread's operations and the state they acknowledged."""

    def __init__(self, index: int, scheduler: Any, lib: Lib, barrier: threading.Barrier) -> None:
        self.index = index
        self.scheduler = scheduler
        self.conflict = lib.mod("jobstores.base").ConflictingIdError
        self.barrier = barrier
        self.rng = random.Random(1000 + index)
        self.expected: dict[str, dict[str, Any]] = {}
        self.won: list[str] = []
        self.counts: dict[str, int] = {}
        self.failure: str | None = None
        self._serial = 0

    def run(self) -> None:
        try:
            for op in range(OPS):
                if op in CONTESTED_AT:
                    self.contested(op)
                self.step()
        except BaseException:
            self.failure = traceback.format_exc()
            self.barrier.abort()

    def contested(self, op: int) -> None:
        self.barrier.wait(30)
        job_id = f"shared-{op}"
        try:
            self.scheduler.add_job(
                tick, "interval", seconds=60, id=job_id, name=f"{job_id} by {self.index}"
            )
        except self.conflict:
            return
        self.won.append(job_id)

    def step(self) -> None:
        rng, scheduler, expected = self.rng, self.scheduler, self.expected
        live = sorted(expected)
        roll = rng.random()
        if len(live) < 5 or roll < 0.35:
            kind = "add"
        elif roll < 0.55:
            kind = "modify"
        elif roll < 0.65:
            kind = "reschedule"
        elif roll < 0.75:
            kind = "pause or resume"
        else:
            kind = "remove"
        self._serial += 1
        serial = self._serial

        if kind == "add":
            job_id = f"t{self.index}-{serial}"
            seconds = rng.choice([1, 2, 30])
            options: dict[str, Any] = {}
            if rng.random() < 0.5:  # due at once: the loop runs and stores it meanwhile
                options["next_run_time"] = datetime.now(timezone.utc)
            scheduler.add_job(
                tick,
                "interval",
                seconds=seconds,
                id=job_id,
                name=f"{job_id} v0",
                args=[0],
                **options,
            )
            expected[job_id] = {
                "name": f"{job_id} v0",
                "args": [0],
                "seconds": float(seconds),
                "paused": False,
            }
            self.counts[kind] = self.counts.get(kind, 0) + 1
            return

        job_id = rng.choice(live)
        if kind == "pause or resume":
            kind = "resume" if expected[job_id]["paused"] else "pause"
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if kind == "modify":
            scheduler.modify_job(job_id, name=f"{job_id} v{serial}", args=[serial])
            expected[job_id].update(name=f"{job_id} v{serial}", args=[serial])
        elif kind == "reschedule":
            seconds = rng.choice([1, 3, 45])
            scheduler.reschedule_job(job_id, trigger="interval", seconds=seconds)
            expected[job_id].update(seconds=float(seconds), paused=False)
        elif kind == "pause":
            scheduler.pause_job(job_id)
            expected[job_id]["paused"] = True
        elif kind == "resume":
            scheduler.resume_job(job_id)
            expected[job_id]["paused"] = False
        else:
            scheduler.remove_job(job_id)
            del expected[job_id]


@pytest.mark.parametrize("backend", ("memory", *PERSISTENT_BACKENDS))
def test_threads_leave_what_was_acknowledged(lib: Lib, backend: str, spec: dict[str, Any]) -> None:
    events = lib.events
    executed = [0]

    def count(event: Any) -> None:
        executed[0] += 1

    scheduler = lib.scheduler(jobstores={"default": make_store(lib.package, spec)})
    scheduler.add_listener(count, events.EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        barrier = threading.Barrier(THREADS)
        workers = [Worker(i, scheduler, lib, barrier) for i in range(THREADS)]
        threads = [threading.Thread(target=w.run, name=f"faults-{w.index}") for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads), "a worker thread hangs"
        failures = [w.failure for w in workers if w.failure]
        assert not failures, "an acknowledged-or-not operation failed:\n" + failures[0]

        expected: dict[str, dict[str, Any]] = {}
        for worker in workers:
            expected.update(worker.expected)
        for op in CONTESTED_AT:
            winners = [
                (w.index, job_id) for w in workers for job_id in w.won if job_id == f"shared-{op}"
            ]
            assert len(winners) == 1, f"shared-{op}: {len(winners)} threads added it"
            index, job_id = winners[0]
            expected[job_id] = {
                "name": f"{job_id} by {index}",
                "args": [],
                "seconds": 60.0,
                "paused": False,
            }

        live = snapshot(scheduler.get_jobs())
        assert executed[0] > 0, "the scheduler ran nothing during the test"
    finally:
        scheduler.shutdown()

    def diff(actual: dict[str, dict[str, Any]]) -> list[str]:
        out = [f"missing {job_id}" for job_id in sorted(set(expected) - set(actual))]
        out += [f"unexpected {job_id}" for job_id in sorted(set(actual) - set(expected))]
        out += [
            f"{job_id}: stored {actual[job_id]}, acknowledged {expected[job_id]}"
            for job_id in sorted(set(actual) & set(expected))
            if actual[job_id] != expected[job_id]
        ]
        return out

    problems = diff(live)
    assert not problems, f"{len(problems)} differences, e.g.:\n" + "\n".join(problems[:20])
    if backend == "memory":
        return

    # a new scheduler on the same store reads the same content
    reader = lib.scheduler(jobstores={"default": make_store(lib.package, spec)})
    reader.start(paused=True)
    try:
        reread = snapshot(reader.get_jobs())
    finally:
        reader.shutdown()
    problems = diff(reread)
    assert not problems, f"{len(problems)} differences on reread, e.g.:\n" + "\n".join(
        problems[:20]
    )

    raw = RawStore(spec)
    try:
        stored = raw.jobs()
        assert raw.problems() == []
    finally:
        raw.close()
    assert set(stored) == set(expected)
    paused = sorted(job_id for job_id, when in stored.items() if when is None)
    assert paused == sorted(job_id for job_id, job in expected.items() if job["paused"])
