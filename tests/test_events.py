"""apscheduler_rs.events against apscheduler.events 3.11.3."""

from __future__ import annotations

from datetime import datetime, timezone

import apscheduler.events as ref
import pytest

import apscheduler_rs.events as ours

CODES = [name for name in ref.__all__ if name.startswith("EVENT_")] + ["EVENT_SCHEDULER_START"]


def test_same_public_names() -> None:
    assert sorted(ours.__all__) == sorted(ref.__all__)


@pytest.mark.parametrize("name", CODES)
def test_codes_are_apscheduler_s(name: str) -> None:
    assert getattr(ours, name) == getattr(ref, name)


def test_every_code_is_one_bit_and_all_covers_them() -> None:
    codes = [getattr(ours, n) for n in CODES if n not in ("EVENT_ALL", "EVENT_SCHEDULER_START")]
    assert all(code & (code - 1) == 0 for code in codes)
    assert len(set(codes)) == len(codes) == 17
    assert ours.EVENT_ALL == sum(codes)


RUN_TIME = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
ERROR = ValueError("boom")
EVENTS = [
    ("SchedulerEvent", (ref.EVENT_JOBSTORE_ADDED, "sqlite")),
    ("JobEvent", (ref.EVENT_JOB_ADDED, "job-1", "default")),
    ("JobSubmissionEvent", (ref.EVENT_JOB_SUBMITTED, "job-1", "default", [RUN_TIME])),
    ("JobExecutionEvent", (ref.EVENT_JOB_EXECUTED, "job-1", "default", RUN_TIME, 42)),
    (
        "JobExecutionEvent",
        (ref.EVENT_JOB_ERROR, "job-1", "default", RUN_TIME, None, ERROR, "Traceback ..."),
    ),
]


@pytest.mark.parametrize(("cls", "args"), EVENTS)
def test_event_objects_carry_the_same_attributes(cls: str, args: tuple) -> None:
    mine, theirs = getattr(ours, cls)(*args), getattr(ref, cls)(*args)
    assert vars(mine) == vars(theirs)
    assert isinstance(mine, ours.SchedulerEvent)


def test_event_class_hierarchy() -> None:
    assert issubclass(ours.JobExecutionEvent, ours.JobEvent)
    assert issubclass(ours.JobSubmissionEvent, ours.JobEvent)
    assert issubclass(ours.JobEvent, ours.SchedulerEvent)


def test_repr_names_the_class() -> None:
    # 3.11.3 prints the literal text "self.__class__.__name__" here (a missing
    # pair of braces); ours names the class.
    assert repr(ours.JobEvent(ours.EVENT_JOB_ADDED, "a", None)) == "<JobEvent (code=512)>"
    assert "self.__class__" in repr(ref.JobEvent(ref.EVENT_JOB_ADDED, "a", None))


def test_scheduler_state_errors_match_the_reference() -> None:
    import apscheduler.schedulers as ref_schedulers

    import apscheduler_rs.schedulers as our_schedulers

    for name in ("SchedulerAlreadyRunningError", "SchedulerNotRunningError"):
        ours_exc, ref_exc = getattr(our_schedulers, name)(), getattr(ref_schedulers, name)()
        assert str(ours_exc) == str(ref_exc)
        assert isinstance(ours_exc, Exception)
