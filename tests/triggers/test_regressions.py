"""Named regression tests, mostly at DST edges.

Each test pins the fire times 3.11.3 produces (written out, so a reader sees the quirk)
and runs the same case through the differential harness, which also compares str/repr/
getstate, pickling and fold/offset/tzinfo of every fire time with the reference.

To add one from a failing differential case, paste its ``trigger =`` and ``now =``
lines into ``regression(...)`` below.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ._harness import (
    Case,
    Spec,
    TimeLimitExceeded,
    assert_no_problems,
    compare_case,
    fire_times,
    time_limit,
)
from ._impl import IMPL, REF

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
HELSINKI = ZoneInfo("Europe/Helsinki")


def regression(spec: Spec, now: datetime, expected: list[tuple[str, int]], *, name: str) -> None:
    """Compare with the reference, then check the written-out (str, fold) fire times."""
    case = Case(name, spec, now, delays=[timedelta(0)] * 19)
    assert_no_problems(compare_case(case), 1)
    got = fire_times(spec.build(IMPL), now, len(expected) + 1)[: len(expected)]
    assert [(str(t), t.fold) for t in got] == expected


def test_ny_0230_spring_forward_returns_nonexistent_time() -> None:
    # 2024-03-10 02:00 EST -> 03:00 EDT.  The reference returns the wall time 02:30 with
    # the pre-transition offset (the instant 03:30 EDT) instead of skipping the day.
    regression(
        Spec("cron", {"hour": 2, "minute": 30, "timezone": "America/New_York"}),
        datetime(2024, 3, 9, 12, 0, tzinfo=NY),
        [
            ("2024-03-10 02:30:00-05:00", 0),
            ("2024-03-11 02:30:00-04:00", 0),
            ("2024-03-12 02:30:00-04:00", 0),
        ],
        name="ny-0230-spring",
    )


def test_ny_0230_fall_back_fires_once() -> None:
    # 2024-11-03 02:00 EDT -> 01:00 EST: 02:30 exists once.
    regression(
        Spec("cron", {"hour": 2, "minute": 30, "timezone": NY}),
        datetime(2024, 11, 2, 12, 0, tzinfo=NY),
        [
            ("2024-11-03 02:30:00-05:00", 0),
            ("2024-11-04 02:30:00-05:00", 0),
            ("2024-11-05 02:30:00-05:00", 0),
        ],
        name="ny-0230-fall",
    )


def test_ny_0130_fall_back_fires_twice() -> None:
    regression(
        Spec("cron", {"hour": 1, "minute": 30, "timezone": NY}),
        datetime(2024, 11, 2, 12, 0, tzinfo=NY),
        [
            ("2024-11-03 01:30:00-04:00", 0),
            ("2024-11-03 01:30:00-05:00", 1),
            ("2024-11-04 01:30:00-05:00", 0),
        ],
        name="ny-0130-fall",
    )


def test_ny_every_20_minutes_through_the_fold() -> None:
    regression(
        Spec("cron", {"minute": "*/20", "timezone": NY}),
        datetime(2024, 11, 3, 1, 10, tzinfo=NY),
        [
            ("2024-11-03 01:20:00-04:00", 0),
            ("2024-11-03 01:40:00-04:00", 0),
            ("2024-11-03 01:00:00-05:00", 1),
            ("2024-11-03 01:20:00-05:00", 1),
            ("2024-11-03 01:40:00-05:00", 1),
            ("2024-11-03 02:00:00-05:00", 0),
        ],
        name="ny-20min-fold",
    )
    # starting inside the second pass of the fold (fold=1)
    regression(
        Spec("cron", {"minute": "*/20", "timezone": NY}),
        datetime(2024, 11, 3, 1, 10, tzinfo=NY, fold=1),
        [
            ("2024-11-03 01:20:00-05:00", 1),
            ("2024-11-03 01:40:00-05:00", 1),
            ("2024-11-03 02:00:00-05:00", 0),
        ],
        name="ny-20min-fold1",
    )


def test_lord_howe_half_hour_fall_back() -> None:
    # 2024-04-07 02:00 +11:00 -> 01:30 +10:30: the half hour 01:30-02:00 repeats.
    regression(
        Spec("cron", {"hour": "1-2", "minute": "*/15", "timezone": "Australia/Lord_Howe"}),
        datetime(2024, 4, 7, 0, 0, tzinfo=LORD_HOWE),
        [
            ("2024-04-07 01:00:00+11:00", 0),
            ("2024-04-07 01:15:00+11:00", 0),
            ("2024-04-07 01:30:00+11:00", 0),
            ("2024-04-07 01:45:00+11:00", 0),
            ("2024-04-07 01:30:00+10:30", 1),
            ("2024-04-07 01:45:00+10:30", 1),
            ("2024-04-07 02:00:00+10:30", 0),
            ("2024-04-07 02:15:00+10:30", 0),
            ("2024-04-07 02:30:00+10:30", 0),
            ("2024-04-07 02:45:00+10:30", 0),
            ("2024-04-08 01:00:00+10:30", 0),
        ],
        name="lord-howe-fall",
    )


def test_lord_howe_half_hour_spring_forward_skips_gap() -> None:
    # 2024-10-06 02:00 +10:30 -> 02:30 +11:00.  Unlike the New York 02:30 case above,
    # 02:00 and 02:15 are skipped here: the search reaches them by incrementing through
    # UTC, which normalizes the nonexistent wall times away.
    regression(
        Spec("cron", {"hour": "1-2", "minute": "*/15", "timezone": LORD_HOWE}),
        datetime(2024, 10, 6, 0, 0, tzinfo=LORD_HOWE),
        [
            ("2024-10-06 01:00:00+10:30", 0),
            ("2024-10-06 01:15:00+10:30", 0),
            ("2024-10-06 01:30:00+10:30", 0),
            ("2024-10-06 01:45:00+10:30", 0),
            ("2024-10-06 02:30:00+11:00", 0),
            ("2024-10-06 02:45:00+11:00", 0),
            ("2024-10-07 01:00:00+11:00", 0),
        ],
        name="lord-howe-spring",
    )


def test_lord_howe_interval_and_calendarinterval() -> None:
    regression(
        Spec(
            "interval",
            {"minutes": 45, "start_date": "2024-04-07 00:00:00", "timezone": LORD_HOWE},
        ),
        datetime(2024, 4, 7, 0, 0, tzinfo=LORD_HOWE),
        [
            ("2024-04-07 00:00:00+11:00", 0),
            ("2024-04-07 00:45:00+11:00", 0),
            ("2024-04-07 01:30:00+11:00", 0),
            ("2024-04-07 01:45:00+10:30", 1),
            ("2024-04-07 02:30:00+10:30", 0),
        ],
        name="lord-howe-interval",
    )
    regression(  # 02:15 does not exist on 2024-10-06: that day is skipped
        Spec(
            "calendarinterval",
            {
                "days": 1,
                "hour": 2,
                "minute": 15,
                "start_date": "2024-10-05",
                "timezone": LORD_HOWE,
            },
        ),
        datetime(2024, 10, 1, tzinfo=LORD_HOWE),
        [
            ("2024-10-05 02:15:00+10:30", 0),
            ("2024-10-07 02:15:00+11:00", 0),
            ("2024-10-08 02:15:00+11:00", 0),
        ],
        name="lord-howe-calendarinterval-gap",
    )
    regression(  # 01:45 exists twice on 2024-04-07: the earlier one is used
        Spec(
            "calendarinterval",
            {
                "days": 1,
                "hour": 1,
                "minute": 45,
                "start_date": "2024-04-06",
                "timezone": "Australia/Lord_Howe",
            },
        ),
        datetime(2024, 4, 1, tzinfo=LORD_HOWE),
        [
            ("2024-04-06 01:45:00+11:00", 0),
            ("2024-04-07 01:45:00+11:00", 0),
            ("2024-04-08 01:45:00+10:30", 0),
        ],
        name="lord-howe-calendarinterval-fold",
    )


def test_kathmandu_quarter_hour_offset() -> None:
    # +05:45 all year: "now" given in UTC is converted to the trigger's zone.
    regression(
        Spec("cron", {"minute": 0, "timezone": "Asia/Kathmandu"}),
        datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        [
            ("2024-01-01 06:00:00+05:45", 0),
            ("2024-01-01 07:00:00+05:45", 0),
            ("2024-01-01 08:00:00+05:45", 0),
        ],
        name="kathmandu-hourly",
    )
    regression(
        Spec("cron", {"hour": 0, "minute": 0, "timezone": KATHMANDU}),
        datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        [("2024-01-02 00:00:00+05:45", 0), ("2024-01-03 00:00:00+05:45", 0)],
        name="kathmandu-daily",
    )


def test_fixed_offset_zone_with_name() -> None:
    tz = timezone(timedelta(hours=5, minutes=30), "IST")
    regression(
        Spec("cron", {"hour": "8, 12", "minute": "30", "timezone": tz}),
        datetime(2024, 5, 1, 3, 0, tzinfo=UTC),
        [
            ("2024-05-01 08:30:00+05:30", 0),
            ("2024-05-01 12:30:00+05:30", 0),
            ("2024-05-02 08:30:00+05:30", 0),
        ],
        name="fixed-offset-named",
    )


def test_reference_and_trigger_never_resolves_a_disagreement() -> None:
    """Documents a 3.11.3 behaviour the implementation must decide about: once there is
    a previous fire time, cron and calendar-interval members ignore ``now``, so an
    AndTrigger whose members disagree on the next time loops forever.  (Only the
    reference is run here: a faithful implementation would hang too.)"""
    trigger = REF.AndTrigger(
        [
            REF.CronTrigger(hour="*/2", timezone=HELSINKI),
            REF.CronTrigger(hour="*/4", timezone=HELSINKI),
        ]
    )
    first = trigger.get_next_fire_time(None, datetime(2024, 1, 3, 12, 0, tzinfo=HELSINKI))
    assert str(first) == "2024-01-03 12:00:00+02:00"
    with pytest.raises(TimeLimitExceeded), time_limit(0.3):
        trigger.get_next_fire_time(first, first)


def test_calendarinterval_datetime_start_and_end_dates() -> None:
    """start_date/end_date given as datetimes are kept as they are (asdate() only parses
    strings).  The first call compares datetime with datetime and works; every later
    call compares the computed *date* with the end_date *datetime* and raises
    TypeError("can't compare datetime.datetime to datetime.date") in 3.11.3."""
    spec = Spec(
        "calendarinterval",
        {
            "days": 1,
            "start_date": datetime(2024, 1, 1, 10, 0),
            "end_date": datetime(2024, 1, 10, 10, 0),
            "timezone": "UTC",
        },
    )
    now = datetime(2023, 12, 1, tzinfo=UTC)
    case = Case("calendarinterval-datetime-dates", spec, now, delays=[timedelta(0)] * 19)
    assert_no_problems(compare_case(case), 1)
    trigger = spec.build(IMPL)
    first = trigger.get_next_fire_time(None, now)
    assert str(first) == "2024-01-01 00:00:00+00:00"
    with pytest.raises(TypeError):
        trigger.get_next_fire_time(first, first)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"days": True},  # repr shows days=True
        {"days": 1.5},  # accepted; timedelta(1.5) is used as is
        {"weeks": 0.5, "hour": 6},
        {"months": 2.0},  # month arithmetic yields floats: date() raises TypeError later
        {"years": True, "months": 1},
    ],
    ids=lambda kw: ",".join(f"{k}={v!r}" for k, v in kw.items()),
)
def test_calendarinterval_bool_and_float_counts(kwargs: dict[str, object]) -> None:
    """3.11.3 does no type check on years/months/weeks/days: bools and floats are
    accepted by the constructor, shown as given by repr(), and used as they are."""
    spec = Spec(
        "calendarinterval",
        {**kwargs, "start_date": "2024-01-30", "timezone": "Europe/Helsinki"},
    )
    now = datetime(2024, 1, 1, tzinfo=HELSINKI)
    case = Case("calendarinterval-bool-float", spec, now, delays=[timedelta(0)] * 19)
    assert_no_problems(compare_case(case), 1)


def test_tzinfo_finalizer_calling_back_into_the_trigger_does_not_deadlock() -> None:
    """Releasing a remembered datetime or tzinfo can run a tzinfo's __del__, which
    may use the same trigger (or the zone cache) again: no Rust lock may be held
    while that happens. A deadlock would hang the child process."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        from datetime import datetime, timedelta, tzinfo, timezone
        from apscheduler_rs.triggers.cron import CronTrigger

        cron = CronTrigger(minute="*/5", timezone="UTC")
        other = CronTrigger(minute="*/5", timezone="UTC")
        calls = []

        def at(hours):  # a new tzinfo object every time: goes through the zone cache
            return datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=hours)))

        class Reentrant(tzinfo):
            def __init__(self, trigger):
                self.trigger = trigger
            def utcoffset(self, dt):
                return timedelta(hours=1)
            def dst(self, dt):
                return timedelta(0)
            def __del__(self):
                calls.append(self.trigger.get_next_fire_time(None, at(2)))

        def churn(trigger):  # more new tzinfos than the zone cache holds: evicts all
            for hours in range(3, 16):
                trigger.get_next_fire_time(None, at(hours))

        # 1. the memo of inputs and the zone cache hold the last references when
        # they are replaced; __del__ then uses the trigger whose call released it
        cron.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=Reentrant(cron)))
        churn(cron)
        # 2. the same, released by another trigger's calls
        other.get_next_fire_time(None, datetime(2026, 1, 1, tzinfo=Reentrant(cron)))
        churn(other)
        print(len(calls))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"


@pytest.mark.parametrize("argument", ["years", "months", "days", "hour", "minute", "second"])
def test_calendarinterval_explicit_none_is_not_zero(argument: str) -> None:
    # An omitted argument is 0; an explicit None is refused (hour, minute,
    # second) or fails when used, as in 3.11.3, instead of meaning 0.
    kwargs = {"weeks": 1, argument: None}
    spec = Spec("calendarinterval", {"timezone": UTC, "start_date": "2024-01-01", **kwargs})
    case = Case(f"calendarinterval {argument}=None", spec, datetime(2024, 1, 1, tzinfo=UTC))
    assert_no_problems(compare_case(case), 1)
    with pytest.raises(TypeError):
        trigger = spec.build(IMPL)
        trigger.get_next_fire_time(
            datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
        )
