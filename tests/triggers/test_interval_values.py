"""IntervalTrigger keeps its interval and start date as Rust values and makes
the Python objects when asked: the attributes must still be what APScheduler
3.11.3 keeps, for every way of giving them, and an idle trigger must not hold
datetimes of its own."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.interval import IntervalTrigger as RefIntervalTrigger

from apscheduler_rs.triggers.interval import IntervalTrigger

BERLIN = ZoneInfo("Europe/Berlin")
PLUS_2 = timezone(timedelta(hours=2))


class MyDatetime(datetime):
    pass


START_DATES = [
    pytest.param(datetime(2026, 5, 1, 12, 30, tzinfo=BERLIN), id="plain"),
    # in the spring-forward gap: the instant maps back to 03:30, not 02:30
    pytest.param(datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN), id="gap"),
    # the second 02:30 of the autumn fold
    pytest.param(datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN), id="fold"),
    # fold=1 where there is no fold: the same instant, but not the same object
    pytest.param(datetime(2026, 5, 1, 12, 30, fold=1, tzinfo=BERLIN), id="needless-fold"),
    pytest.param(datetime(2026, 5, 1, 12, 30, tzinfo=PLUS_2), id="other-tzinfo"),
    pytest.param(MyDatetime(2026, 5, 1, 12, 30, tzinfo=BERLIN), id="subclass"),
    pytest.param(datetime(2026, 5, 1, 12, 30), id="naive"),
    pytest.param("2026-05-01 12:30:15.25", id="text"),
]


@pytest.mark.parametrize("start_date", START_DATES)
def test_start_date_is_what_apscheduler_keeps(start_date: object) -> None:
    ours = IntervalTrigger(minutes=5, start_date=start_date, timezone=BERLIN)
    ref = RefIntervalTrigger(minutes=5, start_date=start_date, timezone=BERLIN)
    for value, expected in ((ours.start_date, ref.start_date), (ours.start_date, ref.start_date)):
        assert type(value) is type(expected)
        assert value.tzinfo is expected.tzinfo
        assert (value.replace(tzinfo=None), value.fold) == (
            expected.replace(tzinfo=None),
            expected.fold,
        )
    now = datetime(2026, 6, 1, tzinfo=BERLIN)
    assert ours.get_next_fire_time(None, now) == ref.get_next_fire_time(None, now)
    assert repr(ours) == repr(ref)


@pytest.mark.parametrize(
    "parts",
    [
        {"minutes": 5},
        {"weeks": 2, "days": 3, "hours": 4, "minutes": 5, "seconds": 6},
        {"seconds": -90},
        {"hours": 1.5},
        {"seconds": 1 / 3},
        {"days": True},
        {"weeks": 0, "seconds": 0},
        {},
        # beyond 2**53 microseconds: total_seconds() rounds, as Python does
        {"weeks": 20_000, "seconds": 1},
    ],
    ids=repr,
)
def test_interval_attributes_are_what_apscheduler_keeps(parts: dict[str, object]) -> None:
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    ours = IntervalTrigger(**parts, start_date=start, timezone=timezone.utc)
    ref = RefIntervalTrigger(**parts, start_date=start, timezone=timezone.utc)
    assert ours.interval == ref.interval
    assert type(ours.interval_length) is type(ref.interval_length)
    assert ours.interval_length == ref.interval_length
    assert str(ours) == str(ref)
    assert ours.__getstate__() == ref.__getstate__()


@pytest.mark.parametrize(
    ("parts", "error"),
    [
        ({"weeks": 10**9}, OverflowError),
        # None from a configuration must not mean "every second"
        ({"minutes": None}, TypeError),
        ({"hours": 2, "seconds": None}, TypeError),
        ({"days": "1"}, TypeError),
    ],
    ids=repr,
)
def test_bad_interval_is_refused_as_apscheduler_refuses_it(
    parts: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error) as ref_error:
        RefIntervalTrigger(**parts, timezone=timezone.utc)
    with pytest.raises(error) as our_error:
        IntervalTrigger(**parts, timezone=timezone.utc)
    assert str(our_error.value) == str(ref_error.value)


@pytest.mark.parametrize("tz", [timezone.utc, BERLIN, PLUS_2], ids=str)
def test_default_start_is_now_plus_the_interval(tz: timezone) -> None:
    before = datetime.now(tz)
    trigger = IntervalTrigger(minutes=90, timezone=tz)
    after = datetime.now(tz)
    start = trigger.start_date
    assert start.tzinfo is tz
    assert before + timedelta(minutes=90) <= start <= after + timedelta(minutes=90)


def test_an_idle_trigger_holds_no_datetime_it_can_rebuild() -> None:
    start = datetime(2026, 5, 1, 12, 30, tzinfo=BERLIN)
    references = sys.getrefcount(start)
    trigger = IntervalTrigger(minutes=5, start_date=start, timezone=BERLIN)
    assert sys.getrefcount(start) == references
    assert trigger.start_date == start

    # the start date in a gap cannot be rebuilt from its instant: it is kept
    gap = datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN)
    references = sys.getrefcount(gap)
    trigger = IntervalTrigger(minutes=5, start_date=gap, timezone=BERLIN)
    assert sys.getrefcount(gap) == references + 1
    assert trigger.start_date is gap


def test_now_is_not_kept_by_the_trigger() -> None:
    trigger = IntervalTrigger(minutes=5, timezone=BERLIN)
    now = datetime.now(BERLIN)
    references = sys.getrefcount(now)
    trigger.get_next_fire_time(None, now)
    # another conversion on this thread replaces the one remembered input
    IntervalTrigger(minutes=5, timezone=BERLIN).get_next_fire_time(None, datetime.now(BERLIN))
    assert sys.getrefcount(now) == references
