"""apscheduler_rs.job.Job against apscheduler.job.Job 3.11.3: validation (what
is refused, in what order, with which exception), pickled state, run times,
str/repr and the shortcuts to the scheduler."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.job as ref_job
import apscheduler.triggers.date as ref_date
import apscheduler.triggers.interval as ref_interval
import pytest

import apscheduler_rs.job as our_job
import apscheduler_rs.triggers.date as our_date
import apscheduler_rs.triggers.interval as our_interval

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2026, 11, 25, 9, 0, tzinfo=HELSINKI)


def tick(count: int, label: str = "x") -> str:
    return label * count


def no_args() -> None:
    pass


class Reporter:
    def send(self, to: str) -> str:
        return to


class FakeScheduler:
    timezone = HELSINKI

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


LIBS = {
    "ours": (our_job, our_interval, our_date),
    "ref": (ref_job, ref_interval, ref_date),
}


def make(lib: str, **kwargs: Any) -> Any:
    job_mod, interval, _ = LIBS[lib]
    options: dict[str, Any] = {
        "func": tick,
        "args": (3,),
        "kwargs": {},
        "trigger": interval.IntervalTrigger(minutes=5, start_date=START),
        "executor": "default",
        "misfire_grace_time": 1,
        "coalesce": True,
        "max_instances": 1,
        "next_run_time": START,
        "id": "job-1",
    }
    options.update(kwargs)
    if "trigger" in kwargs and kwargs["trigger"] == "date":
        options["trigger"] = LIBS[lib][2].DateTrigger(START)
    return job_mod.Job(FakeScheduler(), **options)


def outcome(lib: str, **kwargs: Any) -> tuple:
    try:
        job = make(lib, **kwargs)
    except Exception as exc:  # noqa: BLE001 - compared by class and message
        return ("raised", type(exc).__name__, str(exc))
    return ("ok", str(job), repr(job), job.func_ref, job.name)


CASES: list[dict[str, Any]] = [
    {},
    {"func": "test_job:tick", "name": None},
    {"func": None},  # my_job() passed instead of my_job
    {"func": 42},
    {"func": lambda count: count},
    {"args": "3"},
    {"args": 3},
    {"kwargs": [1]},
    {"args": (), "kwargs": {}},  # count missing
    {"args": (1, 2, 3)},  # too many
    {"args": (), "kwargs": {"count": 2, "label": "y"}},
    {"func": no_args, "args": ()},
    {"func": Reporter().send, "args": ("ops",)},
    {"name": ""},
    {"name": 5},
    {"name": "reporting"},
    {"misfire_grace_time": 0},
    {"misfire_grace_time": -1},
    {"misfire_grace_time": "5"},
    {"misfire_grace_time": None},
    {"misfire_grace_time": 30},
    {"max_instances": 0},
    {"max_instances": 3},
    {"trigger": "not a trigger"},
    {"trigger": "date"},
    {"executor": 5},
    {"next_run_time": "2026-11-25 10:00:00"},
    {"next_run_time": "2026-11-25 10:00:0x"},
    {"next_run_time": None},
    {"id": 7},
    {"colour": "red"},
    {"func": "no_such_module_xyz:f"},
    {"func": "test_job:missing_function"},
]


@pytest.mark.parametrize("kwargs", CASES, ids=[repr(c)[:50] for c in CASES])
def test_construction_matches_the_reference(kwargs: dict[str, Any]) -> None:
    ours, ref = outcome("ours", **kwargs), outcome("ref", **kwargs)
    if ours[0] == "raised" and ref[0] == "raised" and "Invalid date string" in ref[2]:
        # our message adds the argument and value to the same text
        assert ours[:2] == ref[:2] and ours[2].startswith(ref[2])
    else:
        assert ours == ref


def test_a_refused_modification_changes_nothing() -> None:
    job = make("ours")
    before = job.__getstate__()
    with pytest.raises(TypeError, match="max_instances"):
        job._modify(name="renamed", max_instances=0)
    assert job.__getstate__() == before
    with pytest.raises(ValueError, match="may not be changed"):
        job._modify(id="other")


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "trigger": str(state["trigger"])}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"func": Reporter().send, "args": ("ops",)}, {"next_run_time": None}],
    ids=["function", "bound method", "paused"],
)
def test_pickled_state_matches_the_reference(kwargs: dict[str, Any]) -> None:
    ours, ref = make("ours", **kwargs).__getstate__(), make("ref", **kwargs).__getstate__()
    if "func" in kwargs:  # the instance travels as the first argument
        assert type(ours["args"][0]) is Reporter and type(ref["args"][0]) is Reporter
        ours["args"], ref["args"] = ours["args"][1:], ref["args"][1:]
    assert comparable(ours) == comparable(ref)


def test_jobs_round_trip_through_pickle() -> None:
    job = make("ours")
    clone = pickle.loads(pickle.dumps(job))
    assert comparable(clone.__getstate__()) == comparable(job.__getstate__())
    assert clone.func is tick
    assert clone == job and clone is not job


def test_a_job_without_a_reference_cannot_be_pickled() -> None:
    messages = []
    for lib in ("ours", "ref"):
        with pytest.raises(ValueError) as refused:
            make(lib, func=lambda count: count).__getstate__()
        messages.append(str(refused.value))
    # identical apart from the lambda's repr (its address)
    assert [m.split("(<function")[0] for m in messages] == [
        "This Job cannot be serialized since the reference to its callable "
    ] * 2
    assert messages[0].split(">)")[1] == messages[1].split(">)")[1]


def test_newer_state_is_refused() -> None:
    state = make("ours").__getstate__()
    state["version"] = 2
    job = our_job.Job.__new__(our_job.Job)
    with pytest.raises(ValueError, match="only version 1 can be handled"):
        job.__setstate__(state)


@pytest.mark.parametrize("minutes", [0, 4, 5, 23, 600])
def test_run_times_up_to_now_match_the_reference(minutes: int) -> None:
    now = START + timedelta(minutes=minutes, seconds=1)
    ours = make("ours")._get_run_times(now)
    ref = make("ref")._get_run_times(now)
    assert ours == ref
    assert len(ours) == minutes // 5 + 1


def test_run_times_of_a_paused_job_are_empty() -> None:
    assert make("ours", next_run_time=None)._get_run_times(START + timedelta(days=1)) == []


def test_shortcuts_call_the_scheduler_with_the_job_s_store() -> None:
    job = make("ours")
    assert job.pending
    job._jobstore_alias = "default"
    assert not job.pending
    assert job.modify(name="x") is job
    assert job.pause() is job and job.resume() is job
    job.reschedule("interval", minutes=1)
    job.remove()
    assert [call[0] for call in job._scheduler.calls] == [
        "modify_job",
        "pause_job",
        "resume_job",
        "reschedule_job",
        "remove_job",
    ]
    assert job._scheduler.calls[0] == ("modify_job", ("job-1", "default"), {"name": "x"})


def test_jobs_compare_by_id_and_are_unhashable() -> None:
    assert make("ours") == make("ours")
    assert make("ours") != make("ours", id="job-2")
    with pytest.raises(TypeError):
        hash(make("ours"))


def test_str_of_a_pending_job() -> None:
    job = our_job.Job.__new__(our_job.Job)
    job.name, job.trigger = "report", our_interval.IntervalTrigger(minutes=5, start_date=START)
    assert str(job) == "report (trigger: interval[0:05:00], pending)"
    assert str(make("ours", next_run_time=None)).endswith("paused)")
    assert str(make("ours")).endswith("next run at: 2026-11-25 09:00:00 EET)")
