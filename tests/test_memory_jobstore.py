"""MemoryJobStore (Rust index) against apscheduler 3.11.3's MemoryJobStore on the
same random sequences of operations."""

from __future__ import annotations

import gc
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import apscheduler.jobstores.base as ref_base
import pytest
from apscheduler.jobstores.memory import MemoryJobStore as RefStore

import apscheduler_rs.jobstores.base as our_base
from apscheduler_rs.jobstores.memory import MemoryJobStore

BASE = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)  # Helsinki's DST change is at 01:00 UTC
ZONES = [timezone.utc, ZoneInfo("Europe/Helsinki"), ZoneInfo("America/New_York")]


class FakeJob:
    """What a store needs of a job: an id and a next run time."""

    def __init__(self, job_id: str, next_run_time: datetime | None) -> None:
        self.id = job_id
        self.next_run_time = next_run_time

    def __repr__(self) -> str:
        return f"FakeJob({self.id!r}, {self.next_run_time!r})"


def run_time(rng: random.Random) -> datetime | None:
    if rng.random() < 0.1:
        return None
    instant = BASE + timedelta(minutes=rng.randrange(0, 180), seconds=rng.choice([0, 0, 30]))
    return instant.astimezone(rng.choice(ZONES))


def outcome(call, *args):
    try:
        return ("ok", call(*args))
    except Exception as exc:  # noqa: BLE001 - the class is what we compare
        return ("raised", type(exc).__name__, str(exc))


def ids(jobs: list[FakeJob]) -> list[str]:
    return [job.id for job in jobs]


@pytest.mark.parametrize("seed", range(12))
def test_random_operations_match_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    ours, ref = MemoryJobStore(), RefStore()
    for step in range(600):
        job_id = (
            f"job-{rng.randrange(40)}" if rng.random() < 0.9 else rng.choice(["ä", "Z", "a b"])
        )
        op = rng.random()
        if op < 0.4:
            job = FakeJob(job_id, run_time(rng))
            results = outcome(ours.add_job, job), outcome(ref.add_job, job)
        elif op < 0.65:
            job = FakeJob(job_id, run_time(rng))
            results = outcome(ours.update_job, job), outcome(ref.update_job, job)
        elif op < 0.8:
            results = (
                outcome(ours.remove_job, job_id),
                outcome(ref.remove_job, job_id),
            )
        elif op < 0.82:
            results = outcome(ours.remove_all_jobs), outcome(ref.remove_all_jobs)
        else:
            mine, theirs = ours.lookup_job(job_id), ref.lookup_job(job_id)
            results = (mine is theirs,), (True,)
        assert results[0] == results[1], f"seed {seed} step {step}"
        now = BASE + timedelta(minutes=rng.randrange(-10, 200))
        now = now.astimezone(rng.choice(ZONES))
        assert ids(ours.get_due_jobs(now)) == ids(ref.get_due_jobs(now)), f"step {step}"
        assert ids(ours.get_all_jobs()) == ids(ref.get_all_jobs())
        assert ours.get_next_run_time() == ref.get_next_run_time()


def test_errors_are_the_store_exceptions_with_apscheduler_s_messages() -> None:
    store = MemoryJobStore()
    store.add_job(FakeJob("a", BASE))
    with pytest.raises(our_base.ConflictingIdError) as conflict:
        store.add_job(FakeJob("a", BASE))
    assert str(conflict.value) == str(ref_base.ConflictingIdError("a"))
    assert isinstance(conflict.value, KeyError)
    with pytest.raises(our_base.JobLookupError) as missing:
        store.remove_job("b")
    assert str(missing.value) == str(ref_base.JobLookupError("b"))
    with pytest.raises(our_base.JobLookupError):
        store.update_job(FakeJob("b", BASE))
    # a refused add or update changes nothing
    assert ids(store.get_all_jobs()) == ["a"]
    assert store.get_all_jobs()[0].next_run_time == BASE


def test_jobs_are_released_when_removed() -> None:
    store = MemoryJobStore()
    job = FakeJob("x", BASE)
    store.add_job(job)
    store.remove_job("x")
    import weakref

    ref = weakref.ref(job)
    del job
    gc.collect()
    assert ref() is None


def test_store_is_a_base_job_store_and_shutdown_empties_it() -> None:
    store = MemoryJobStore()
    assert isinstance(store, our_base.BaseJobStore)
    assert repr(store) == "<MemoryJobStore>"
    store.start(None, "default")
    assert store._alias == "default"
    store.add_job(FakeJob("a", None))
    assert store.get_next_run_time() is None  # only a paused job
    store.shutdown()
    assert store.get_all_jobs() == []
