"""How ``Job`` keeps its attributes in Rust (``JobCore``): as Python sees them
they behave as APScheduler's slotted attributes do (unset until assigned,
shared where that cannot be seen), and compact storage never shows: an empty
``kwargs`` made on first read stays the job's, a next run time kept as an
instant reads back equal, a job in a reference cycle is collected."""

from __future__ import annotations

import gc
import pickle
import weakref
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from apscheduler_rs.job import Job
from apscheduler_rs.schedulers.background import BackgroundScheduler
from apscheduler_rs.triggers.cron import CronTrigger
from apscheduler_rs.triggers.date import DateTrigger
from apscheduler_rs.triggers.interval import IntervalTrigger

UTC = timezone.utc
HELSINKI = ZoneInfo("Europe/Helsinki")
T0 = datetime(2030, 3, 31, 0, 30, tzinfo=UTC)  # Helsinki's clocks go forward at 01:00 UTC


def work(*args: Any, **kwargs: Any) -> Any:
    return args, kwargs


@pytest.fixture
def scheduler() -> Any:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def test_a_new_job_object_has_no_attributes_until_assigned() -> None:
    job = Job.__new__(Job)
    for name in (
        "id",
        "func",
        "func_ref",
        "args",
        "kwargs",
        "trigger",
        "next_run_time",
        "_scheduler",
    ):
        with pytest.raises(AttributeError, match=f"'Job' object has no attribute '{name}'"):
            getattr(job, name)
    assert not hasattr(job, "next_run_time")
    job.func = work
    job.name = None  # None is a value like any other
    assert job.func is work and job.name is None and not hasattr(job, "args")


def test_the_id_is_set_once(scheduler: Any) -> None:
    job = scheduler.add_job(work, "interval", minutes=1, id="first")
    job.id = "first"  # the same value: nothing changes
    with pytest.raises(ValueError, match="The job ID may not be changed"):
        job.id = "second"
    with pytest.raises(TypeError):
        Job.__new__(Job).id = 5
    assert scheduler.get_job("first") is job


def test_ids_keep_any_text(scheduler: Any) -> None:
    for job_id in ("ä", "\U0001f600", "a b", "lone \ud800 surrogate", "x" * 100):
        job = scheduler.add_job(work, "interval", minutes=1, start_date=T0, id=job_id)
        assert job.id == job_id
        assert scheduler.get_job(job_id) is job
    assert [job.id for job in scheduler.get_jobs()] == sorted(
        ["ä", "\U0001f600", "a b", "lone \ud800 surrogate", "x" * 100]
    )


def test_an_empty_kwargs_is_made_once_and_stays(scheduler: Any) -> None:
    job = scheduler.add_job(work, "interval", minutes=1, id="a")
    kwargs = job.kwargs
    assert kwargs == {} and job.kwargs is kwargs
    kwargs["x"] = 1
    assert job._call() == ((), {"x": 1})
    given = {"y": 2}
    job.kwargs = given
    assert job.kwargs is given


def test_jobs_of_one_function_share_what_they_have_in_common(scheduler: Any) -> None:
    first = scheduler.add_job(work, "interval", minutes=1, id="a")
    second = scheduler.add_job(work, "interval", minutes=2, id="b")
    assert first.func_ref is second.func_ref and first.name is second.name
    second.name = "renamed"
    assert (first.name, second.name) == ("work", "renamed")
    assert first.func_ref == second.func_ref == "test_job_core:work"


@pytest.mark.parametrize(
    "trigger",
    [
        IntervalTrigger(minutes=30, start_date=T0, timezone=HELSINKI),
        CronTrigger(minute="*/20", timezone=HELSINKI),
        DateTrigger(T0 + timedelta(hours=2), HELSINKI),
        IntervalTrigger(minutes=30, start_date=T0, timezone=UTC),
    ],
    ids=["interval", "cron", "date", "interval-utc"],
)
def test_next_run_times_read_back_equal(scheduler: Any, trigger: Any) -> None:
    job = scheduler.add_job(work, trigger, id="a")
    expected = trigger.get_next_fire_time(
        None, datetime.now(trigger.timezone if hasattr(trigger, "timezone") else UTC)
    )
    assert job.next_run_time == expected
    # through the DST change, in the trigger's zone, with the fold as made
    previous = job.next_run_time
    for _ in range(6):
        following = trigger.get_next_fire_time(previous, previous)
        if following is None:
            break
        job.next_run_time = following
        read = job.next_run_time
        assert (read, read.tzinfo, read.fold, read.utcoffset()) == (
            following,
            following.tzinfo,
            following.fold,
            following.utcoffset(),
        )
        previous = following


def test_a_next_run_time_in_another_zone_is_kept_as_given(scheduler: Any) -> None:
    job = scheduler.add_job(work, "interval", minutes=30, start_date=T0, timezone=HELSINKI, id="a")
    elsewhere = datetime(2030, 4, 1, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    job.next_run_time = elsewhere
    assert job.next_run_time is elsewhere
    job.next_run_time = None
    assert job.next_run_time is None


def test_a_new_trigger_keeps_the_old_next_run_time(scheduler: Any) -> None:
    job = scheduler.add_job(work, "interval", minutes=30, start_date=T0, timezone=HELSINKI, id="a")
    before = job.next_run_time
    job.trigger = CronTrigger(hour=5, timezone=UTC)
    after = job.next_run_time
    assert after == before and after.tzinfo is HELSINKI


def test_pickled_jobs_come_back_equal(scheduler: Any) -> None:
    job = scheduler.add_job(work, "interval", minutes=30, start_date=T0, args=(1,), id="a")
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        copy = pickle.loads(pickle.dumps(job, protocol))
        state, original = copy.__getstate__(), job.__getstate__()
        assert state.pop("trigger").__getstate__() == original.pop("trigger").__getstate__()
        assert state == original
        assert type(copy) is Job and copy is not job


class Holder:
    def __init__(self) -> None:
        self.scheduler: Any = None

    def tick(self, *args: Any) -> None:
        pass


def test_jobs_in_reference_cycles_are_collected() -> None:
    holder = Holder()
    scheduler = BackgroundScheduler(timezone=UTC)
    holder.scheduler = scheduler
    scheduler.add_job(holder.tick, "interval", minutes=1, args=[holder], id="a")  # pending
    alive = weakref.ref(holder)
    del holder, scheduler
    gc.collect()
    assert alive() is None


def test_a_removed_job_is_released(scheduler: Any) -> None:
    holder = Holder()
    job = scheduler.add_job(work, "interval", minutes=1, args=[holder], id="a")
    alive = weakref.ref(holder)
    del job, holder
    scheduler.remove_job("a")
    gc.collect()
    assert alive() is None


def test_an_interval_trigger_kept_inline_reads_as_the_object(scheduler: Any) -> None:
    job = scheduler.add_job(work, "interval", minutes=30, start_date=T0, timezone=HELSINKI, id="a")
    expected = IntervalTrigger(minutes=30, start_date=T0, timezone=HELSINKI)
    # what uses the trigger without reading job.trigger sees the same values
    assert str(job) == f"work (trigger: {expected}, next run at: 2030-03-31 02:30:00 EET)"
    assert job.__getstate__()["trigger"].__getstate__() == expected.__getstate__()
    assert job._next_fire_time(None, T0) == expected.get_next_fire_time(None, T0)
    # read, it is an IntervalTrigger object, kept from then on
    trigger = job.trigger
    assert type(trigger) is IntervalTrigger and job.trigger is trigger
    assert repr(trigger) == repr(expected)
    trigger.jitter = 5
    assert job.trigger.jitter == 5
