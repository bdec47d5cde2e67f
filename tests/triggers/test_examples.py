"""Trigger examples from APScheduler 3's documentation and the user's notes
(/work/shared/seed-examples.md), with their fire times written out.

Every expected value below was worked out by hand from the documented semantics and then
checked against apscheduler 3.11.3.  Each test runs on the implementation under test and,
unless the suite is validating the reference against itself, on the reference too, so a
wrong literal shows up as a reference failure rather than as an implementation bug.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from ._harness import fire_times
from ._impl import IMPL, REF, SELF_CHECK, TriggerLib

HEL = ZoneInfo("Europe/Helsinki")
NY = ZoneInfo("America/New_York")
UTC = timezone.utc

LIBS = [IMPL] if SELF_CHECK else [IMPL, REF]


@pytest.fixture(params=LIBS, ids=[lib.name for lib in LIBS])
def lib(request: pytest.FixtureRequest) -> TriggerLib:
    return request.param


def strs(trigger: Any, now: datetime, count: int = 20, **kwargs: Any) -> list[str]:
    """str() of the first ``count`` fire times, asked for like a scheduler does."""
    return [str(t) for t in fire_times(trigger, now, count, **kwargs)]


def assert_zone(times: list[datetime], key: str | None) -> None:
    for t in times:
        if key is None:
            assert t.tzinfo is UTC, t
        else:
            assert isinstance(t.tzinfo, ZoneInfo), t
            assert t.tzinfo.key == key, t


# ---------------------------------------------------------------------------------------
# cron
# ---------------------------------------------------------------------------------------


def test_cron_every_day_at_0830_and_1230(lib: TriggerLib) -> None:
    # notes: sched.add_job(everyday_crawler_job, 'cron', hour='8, 12', minute='30')
    trigger = lib.CronTrigger(hour="8, 12", minute="30", timezone="Europe/Helsinki")
    assert str(trigger) == "cron[hour='8,12', minute='30']"
    assert repr(trigger) == (
        "<CronTrigger (hour='8,12', minute='30', timezone='Europe/Helsinki')>"
    )
    now = datetime(2024, 5, 1, 9, 0, tzinfo=HEL)
    assert strs(trigger, now, 5) == [
        "2024-05-01 12:30:00+03:00",
        "2024-05-02 08:30:00+03:00",
        "2024-05-02 12:30:00+03:00",
        "2024-05-03 08:30:00+03:00",
        "2024-05-03 12:30:00+03:00",
    ]
    assert_zone(fire_times(trigger, now, 5), "Europe/Helsinki")
    # across the spring-forward night (2024-03-31 03:00 -> 04:00)
    assert strs(trigger, datetime(2024, 3, 30, 9, 0, tzinfo=HEL), 3) == [
        "2024-03-30 12:30:00+02:00",
        "2024-03-31 08:30:00+03:00",
        "2024-03-31 12:30:00+03:00",
    ]


@pytest.mark.parametrize("second", [7, "07", "7"])
def test_cron_once_2017_03_22_17_19_07(lib: TriggerLib, second: Any) -> None:
    # notes: year=2017, month=3, day=22, hour=17, minute=19, second=7 ('second = 07' in
    # the notes is a SyntaxError; the string '07' is fine)
    trigger = lib.CronTrigger(
        year=2017, month=3, day=22, hour=17, minute=19, second=second, timezone=HEL
    )
    assert str(trigger) == (
        "cron[year='2017', month='3', day='22', hour='17', minute='19', second='7']"
    )
    assert strs(trigger, datetime(2017, 1, 1, tzinfo=HEL)) == ["2017-03-22 17:19:07+02:00"]
    first = trigger.get_next_fire_time(None, datetime(2017, 3, 22, 17, 19, 7, tzinfo=HEL))
    assert str(first) == "2017-03-22 17:19:07+02:00"
    assert trigger.get_next_fire_time(None, datetime(2017, 3, 22, 17, 19, 8, tzinfo=HEL)) is None
    assert trigger.get_next_fire_time(first, first) is None


def test_cron_third_friday_of_summer_and_winter_months(lib: TriggerLib) -> None:
    # docs: month='6-8,11-12', day='3rd fri', hour='0-3'
    trigger = lib.CronTrigger(month="6-8,11-12", day="3rd fri", hour="0-3", timezone=HEL)
    assert str(trigger) == "cron[month='6-8,11-12', day='3rd fri', hour='0-3']"
    expected = [
        f"{day} {hour:02d}:00:00{offset}"
        for day, offset in [
            ("2024-06-21", "+03:00"),
            ("2024-07-19", "+03:00"),
            ("2024-08-16", "+03:00"),
            ("2024-11-15", "+02:00"),
            ("2024-12-20", "+02:00"),
        ]
        for hour in range(4)
    ]
    assert strs(trigger, datetime(2024, 1, 1, tzinfo=HEL)) == expected
    assert strs(trigger, datetime(2024, 12, 20, 3, 0, 1, tzinfo=HEL), 2) == [
        "2025-06-20 00:00:00+03:00",
        "2025-06-20 01:00:00+03:00",
    ]


def test_cron_weekdays_at_0530_until_end_date(lib: TriggerLib) -> None:
    # docs/notes: day_of_week='mon-fri', hour=5, minute=30, end_date='2014-05-30'
    trigger = lib.CronTrigger(
        day_of_week="mon-fri", hour=5, minute=30, end_date="2014-05-30", timezone=HEL
    )
    assert repr(trigger) == (
        "<CronTrigger (day_of_week='mon-fri', hour='5', minute='30', "
        "end_date='2014-05-30 00:00:00 EEST', timezone='Europe/Helsinki')>"
    )
    assert strs(trigger, datetime(2014, 5, 22, tzinfo=HEL)) == [
        "2014-05-22 05:30:00+03:00",  # Thursday
        "2014-05-23 05:30:00+03:00",
        "2014-05-26 05:30:00+03:00",  # Monday
        "2014-05-27 05:30:00+03:00",
        "2014-05-28 05:30:00+03:00",
        "2014-05-29 05:30:00+03:00",
    ]
    # "With an end_date in the past the job never runs"
    assert trigger.get_next_fire_time(None, datetime.now(HEL)) is None


def test_cron_every_five_seconds(lib: TriggerLib) -> None:
    # docs/notes: second='*/5'
    trigger = lib.CronTrigger(second="*/5", timezone=HEL)
    assert str(trigger) == "cron[second='*/5']"
    assert strs(trigger, datetime(2024, 5, 1, 12, 0, 3, 500000, tzinfo=HEL), 4) == [
        "2024-05-01 12:00:05+03:00",
        "2024-05-01 12:00:10+03:00",
        "2024-05-01 12:00:15+03:00",
        "2024-05-01 12:00:20+03:00",
    ]
    assert strs(trigger, datetime(2024, 12, 31, 23, 59, 56, tzinfo=UTC), 2) == [
        "2025-01-01 02:00:00+02:00",  # a UTC "now" is converted to the trigger's zone
        "2025-01-01 02:00:05+02:00",
    ]


def test_cron_every_five_minutes(lib: TriggerLib) -> None:
    # user guide: scheduler.reschedule_job('my_job_id', trigger='cron', minute='*/5')
    trigger = lib.CronTrigger(minute="*/5", timezone="UTC")
    assert strs(trigger, datetime(2024, 5, 1, 12, 3, tzinfo=UTC), 3) == [
        "2024-05-01 12:05:00+00:00",
        "2024-05-01 12:10:00+00:00",
        "2024-05-01 12:15:00+00:00",
    ]
    assert_zone(fire_times(trigger, datetime(2024, 5, 1, tzinfo=UTC), 1), None)


def test_cron_last_sunday_of_every_month(lib: TriggerLib) -> None:
    # docs: @sched.scheduled_job('cron', id='my_job_id', day='last sun')
    trigger = lib.CronTrigger(day="last sun", timezone=HEL)
    assert strs(trigger, datetime(2024, 1, 1, tzinfo=HEL), 4) == [
        "2024-01-28 00:00:00+02:00",
        "2024-02-25 00:00:00+02:00",
        "2024-03-31 00:00:00+02:00",  # DST starts at 03:00 that day
        "2024-04-28 00:00:00+03:00",
    ]


def test_cron_omitted_fields_default(lib: TriggerLib) -> None:
    # docs: day=1, minute=20 is year='*', month='*', day=1, week='*', day_of_week='*',
    # hour='*', minute=20, second=0
    short = lib.CronTrigger(day=1, minute=20, timezone=HEL)
    full = lib.CronTrigger(
        year="*",
        month="*",
        day=1,
        week="*",
        day_of_week="*",
        hour="*",
        minute=20,
        second=0,
        timezone=HEL,
    )
    assert str(short) == "cron[day='1', minute='20']"
    now = datetime(2024, 1, 31, 23, 0, tzinfo=HEL)
    expected = [f"2024-02-01 {h:02d}:20:00+02:00" for h in range(24)] + [
        "2024-03-01 00:20:00+02:00"
    ]
    assert strs(short, now, 25) == expected
    assert strs(full, now, 25) == expected


def test_cron_from_crontab(lib: TriggerLib) -> None:
    # docs: CronTrigger.from_crontab('0 0 1-15 may-aug *')
    trigger = lib.CronTrigger.from_crontab("0 0 1-15 may-aug *", timezone="Europe/Helsinki")
    assert str(trigger) == (
        "cron[month='may-aug', day='1-15', day_of_week='*', hour='0', minute='0']"
    )
    assert strs(trigger, datetime(2024, 5, 14, 12, 0, tzinfo=HEL), 4) == [
        "2024-05-15 00:00:00+03:00",
        "2024-06-01 00:00:00+03:00",
        "2024-06-02 00:00:00+03:00",
        "2024-06-03 00:00:00+03:00",
    ]
    assert strs(trigger, datetime(2024, 8, 15, 0, 0, 1, tzinfo=HEL), 1) == [
        "2025-05-01 00:00:00+03:00"
    ]


def test_cron_weekday_zero_is_monday(lib: TriggerLib) -> None:
    # notes: day_of_week 0-6, 0 is Monday -- in from_crontab() too (the documented
    # historical mismatch with crontab, where 0 is Sunday)
    now = datetime(2024, 1, 3, tzinfo=HEL)  # a Wednesday
    for trigger in (
        lib.CronTrigger(day_of_week=0, timezone=HEL),
        lib.CronTrigger(day_of_week="mon", timezone=HEL),
        lib.CronTrigger.from_crontab("0 0 * * 0", timezone=HEL),
    ):
        assert strs(trigger, now, 2) == [
            "2024-01-08 00:00:00+02:00",
            "2024-01-15 00:00:00+02:00",
        ]
    sunday = lib.CronTrigger.from_crontab("0 0 * * 6", timezone=HEL)
    assert strs(sunday, now, 1) == ["2024-01-07 00:00:00+02:00"]


def test_cron_hourly_with_jitter(lib: TriggerLib) -> None:
    # docs: sched.add_job(job_function, 'cron', hour='*', jitter=120)
    trigger = lib.CronTrigger(hour="*", jitter=120, timezone=HEL)
    assert repr(trigger) == "<CronTrigger (hour='*', jitter=120, timezone='Europe/Helsinki')>"
    random.seed(1234)
    times = fire_times(trigger, datetime(2024, 5, 1, 9, 30, tzinfo=HEL), 10)
    assert len(times) == 10
    for k, t in enumerate(times):
        sharp = datetime(2024, 5, 1, 10 + k, tzinfo=HEL)
        assert sharp <= t <= sharp + timedelta(seconds=120), (k, t)
    # the same seed gives the same jitter as the reference
    random.seed(1234)
    expected = fire_times(
        REF.CronTrigger(hour="*", jitter=120, timezone=HEL),
        datetime(2024, 5, 1, 9, 30, tzinfo=HEL),
        10,
    )
    assert [str(t) for t in times] == [str(t) for t in expected]


def test_cron_dst_doc_example(lib: TriggerLib) -> None:
    # docs: in Europe/Helsinki, hour=3, minute=30 "will not execute at all on the last
    # sunday morning of March" and "will execute twice on the last sunday morning of
    # October".  What 3.11.3 actually does in March: it returns the nonexistent wall time
    # 03:30 on the old offset (+02:00), i.e. the instant 04:30 EEST.
    trigger = lib.CronTrigger(hour=3, minute=30, timezone="Europe/Helsinki")
    spring = fire_times(trigger, datetime(2024, 3, 30, tzinfo=HEL), 3)
    assert [str(t) for t in spring] == [
        "2024-03-30 03:30:00+02:00",
        "2024-03-31 03:30:00+02:00",
        "2024-04-01 03:30:00+03:00",
    ]
    assert spring[1].timestamp() == datetime(2024, 3, 31, 1, 30, tzinfo=UTC).timestamp()
    # (a time in the gap compares unequal to every time in another zone: PEP 495)
    assert spring[1] != datetime(2024, 3, 31, 1, 30, tzinfo=UTC)
    autumn = fire_times(trigger, datetime(2024, 10, 26, 12, 0, tzinfo=HEL), 3)
    assert [(str(t), t.fold) for t in autumn] == [
        ("2024-10-27 03:30:00+03:00", 0),
        ("2024-10-27 03:30:00+02:00", 1),
        ("2024-10-28 03:30:00+02:00", 0),
    ]


# ---------------------------------------------------------------------------------------
# interval
# ---------------------------------------------------------------------------------------


def test_interval_every_two_hours_from_now(lib: TriggerLib) -> None:
    # docs: sched.add_job(job_function, 'interval', hours=2) -- starts at now + interval
    before = datetime.now(HEL)
    trigger = lib.IntervalTrigger(hours=2, timezone=HEL)
    after = datetime.now(HEL)
    assert str(trigger) == "interval[2:00:00]"
    assert before + timedelta(hours=2) <= trigger.start_date <= after + timedelta(hours=2)
    first = trigger.get_next_fire_time(None, after)
    assert first == trigger.start_date
    assert trigger.get_next_fire_time(first, first) == first + timedelta(hours=2)


def test_interval_with_start_and_end_date(lib: TriggerLib) -> None:
    # docs: hours=2, start_date='2010-10-10 09:30:00', end_date='2014-06-15 11:00:00'
    trigger = lib.IntervalTrigger(
        hours=2,
        start_date="2010-10-10 09:30:00",
        end_date="2014-06-15 11:00:00",
        timezone="UTC",
    )
    assert repr(trigger) == (
        "<IntervalTrigger (interval=datetime.timedelta(seconds=7200), "
        "start_date='2010-10-10 09:30:00 UTC', end_date='2014-06-15 11:00:00 UTC', "
        "timezone='UTC')>"
    )
    assert strs(trigger, datetime(2010, 10, 10, tzinfo=UTC), 3) == [
        "2010-10-10 09:30:00+00:00",
        "2010-10-10 11:30:00+00:00",
        "2010-10-10 13:30:00+00:00",
    ]
    # resuming late: the next run is computed from the past start date, not replayed
    assert strs(trigger, datetime(2012, 1, 1, 0, 40, tzinfo=UTC), 1) == [
        "2012-01-01 01:30:00+00:00"
    ]
    assert strs(trigger, datetime(2014, 6, 15, 8, 0, tzinfo=UTC)) == [
        "2014-06-15 09:30:00+00:00"  # 11:30 is past the end date
    ]


def test_interval_counts_real_time_across_dst(lib: TriggerLib) -> None:
    # the same schedule in Helsinki: two real hours apart, so the wall clock shifts by an
    # hour when DST ends on 2010-10-31 (04:00 EEST -> 03:00 EET)
    trigger = lib.IntervalTrigger(hours=2, start_date="2010-10-10 09:30:00", timezone=HEL)
    assert strs(trigger, datetime(2010, 10, 31, tzinfo=HEL), 4) == [
        "2010-10-31 01:30:00+03:00",
        "2010-10-31 03:30:00+03:00",
        "2010-10-31 04:30:00+02:00",
        "2010-10-31 06:30:00+02:00",
    ]


def test_interval_every_five_seconds(lib: TriggerLib) -> None:
    # notes: sched.add_job(my_job, 'interval', seconds=5)
    trigger = lib.IntervalTrigger(seconds=5, start_date="2024-05-01 12:00:00", timezone=HEL)
    assert str(trigger) == "interval[0:00:05]"
    assert strs(trigger, datetime(2024, 5, 1, 12, 0, 7, 250000, tzinfo=HEL), 3) == [
        "2024-05-01 12:00:10+03:00",
        "2024-05-01 12:00:15+03:00",
        "2024-05-01 12:00:20+03:00",
    ]


def test_interval_every_two_minutes(lib: TriggerLib) -> None:
    # user guide: scheduler.add_job(myfunc, 'interval', minutes=2)
    start = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
    trigger = lib.IntervalTrigger(minutes=2, start_date=start)
    assert trigger.timezone is UTC  # taken from the start date
    assert strs(trigger, datetime(2024, 5, 1, 12, 1, tzinfo=UTC), 2) == [
        "2024-05-01 12:02:30+00:00",
        "2024-05-01 12:04:30+00:00",
    ]


def test_interval_all_units_and_zero(lib: TriggerLib) -> None:
    # notes: parameters weeks, days, hours, minutes, seconds
    trigger = lib.IntervalTrigger(
        weeks=1, days=2, hours=3, minutes=4, seconds=5, start_date="2024-01-01", timezone="UTC"
    )
    assert str(trigger) == "interval[9 days, 3:04:05]"
    assert strs(trigger, datetime(2024, 1, 1, tzinfo=UTC), 2) == [
        "2024-01-01 00:00:00+00:00",
        "2024-01-10 03:04:05+00:00",
    ]
    zero = lib.IntervalTrigger(start_date="2024-01-01", timezone="UTC")
    assert str(zero) == "interval[0:00:01]"  # a zero interval means one second


def test_interval_hourly_with_jitter(lib: TriggerLib) -> None:
    # docs: sched.add_job(job_function, 'interval', hours=1, jitter=120)
    trigger = lib.IntervalTrigger(hours=1, jitter=120, start_date="2024-05-01", timezone=HEL)
    now = datetime(2024, 5, 1, 0, 30, tzinfo=HEL)
    random.seed(99)
    first = trigger.get_next_fire_time(None, now)
    sharp = datetime(2024, 5, 1, 1, 0, tzinfo=HEL)
    assert sharp <= first <= sharp + timedelta(seconds=120)
    random.seed(99)
    assert first == REF.IntervalTrigger(
        hours=1, jitter=120, start_date="2024-05-01", timezone=HEL
    ).get_next_fire_time(None, now)


# ---------------------------------------------------------------------------------------
# date
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_date", "expected"),
    [
        (date(2009, 11, 6), "2009-11-06 00:00:00+02:00"),
        (datetime(2009, 11, 6, 16, 30, 5), "2009-11-06 16:30:05+02:00"),
        ("2009-11-06 16:30:05", "2009-11-06 16:30:05+02:00"),
        ("2019-01-01 00:00:00", "2019-01-01 00:00:00+02:00"),  # notes, example 1
        # the digits after the dot are read as a whole number of microseconds
        ("2009-11-06T16:30:05.25Z", "2009-11-06 16:30:05.000025+00:00"),
        ("2009-11-06 16:30:05.250000", "2009-11-06 16:30:05.250000+02:00"),
        ("2009-11-06 16:30:05+05:30", "2009-11-06 16:30:05+05:30"),
    ],
)
def test_date_examples(lib: TriggerLib, run_date: Any, expected: str) -> None:
    trigger = lib.DateTrigger(run_date=run_date, timezone="Europe/Helsinki")
    now = datetime(2009, 1, 1, tzinfo=HEL)
    first = trigger.get_next_fire_time(None, now)
    assert str(first) == expected
    assert trigger.get_next_fire_time(first, first) is None
    # a run date in the past is still returned: the scheduler decides it was missed
    assert str(trigger.get_next_fire_time(None, datetime(2030, 1, 1, tzinfo=HEL))) == expected


def test_date_str_and_repr(lib: TriggerLib) -> None:
    trigger = lib.DateTrigger(datetime(2009, 11, 6, 16, 30, 5), timezone="Europe/Helsinki")
    assert str(trigger) == "date[2009-11-06 16:30:05 EET]"
    assert repr(trigger) == "<DateTrigger (run_date='2009-11-06 16:30:05 EET')>"


def test_date_without_run_date_is_now(lib: TriggerLib) -> None:
    # docs: "To add a job to be run immediately" (no run date: the current time)
    before = datetime.now(HEL)
    trigger = lib.DateTrigger(timezone=HEL)
    after = datetime.now(HEL)
    assert before <= trigger.run_date <= after
    assert trigger.get_next_fire_time(None, after) == trigger.run_date


# ---------------------------------------------------------------------------------------
# calendarinterval
# ---------------------------------------------------------------------------------------


def test_calendarinterval_monthly_from_today(lib: TriggerLib) -> None:
    # docs: 'calendarinterval', months=1, hour=15, minute=36 -- starting from today
    trigger = lib.CalendarIntervalTrigger(months=1, hour=15, minute=36, timezone=HEL)
    today = date.today()
    assert trigger.start_date == today
    first = trigger.get_next_fire_time(None, datetime.now(HEL))
    assert (first.date(), first.time()) == (today, time(15, 36))
    second = trigger.get_next_fire_time(first, first)
    month = today.month % 12 + 1
    year = today.year + (today.month == 12)
    if today.day <= 28:
        assert (second.date(), second.time()) == (date(year, month, today.day), time(15, 36))
    else:
        assert second.day == today.day and second.time() == time(15, 36)


def test_calendarinterval_every_two_months_with_end(lib: TriggerLib) -> None:
    # docs: months=2, start_date='2019-06-16', end_date='2020-03-16', hour=15, minute=36
    trigger = lib.CalendarIntervalTrigger(
        months=2,
        start_date="2019-06-16",
        end_date="2020-03-16",
        hour=15,
        minute=36,
        timezone="Europe/Helsinki",
    )
    assert repr(trigger) == (
        "CalendarIntervalTrigger(months=2, time='15:36:00', start_date='2019-06-16', "
        "end_date='2020-03-16', timezone='Europe/Helsinki')"
    )
    assert strs(trigger, datetime(2019, 1, 1, tzinfo=HEL)) == [
        "2019-06-16 15:36:00+03:00",
        "2019-08-16 15:36:00+03:00",
        "2019-10-16 15:36:00+03:00",
        "2019-12-16 15:36:00+02:00",
        "2020-02-16 15:36:00+02:00",
    ]


def test_calendarinterval_every_two_weeks(lib: TriggerLib) -> None:
    # docs: @sched.scheduled_job('calendarinterval', id='my_job_id', weeks=2)
    trigger = lib.CalendarIntervalTrigger(weeks=2, start_date="2024-01-01", timezone="UTC")
    assert repr(trigger) == (
        "CalendarIntervalTrigger(weeks=2, time='00:00:00+00:00', start_date='2024-01-01', "
        "timezone='datetime.timezone.utc')"
    )
    assert strs(trigger, datetime(2024, 1, 1, tzinfo=UTC), 3) == [
        "2024-01-01 00:00:00+00:00",
        "2024-01-15 00:00:00+00:00",
        "2024-01-29 00:00:00+00:00",
    ]


def test_calendarinterval_month_end_skips_short_months(lib: TriggerLib) -> None:
    # docstring warning: a start date on the 29th-31st with months skips short months
    trigger = lib.CalendarIntervalTrigger(months=1, start_date="2024-01-31", timezone=HEL)
    assert [s[:10] for s in strs(trigger, datetime(2024, 1, 1, tzinfo=HEL), 7)] == [
        "2024-01-31",
        "2024-03-31",
        "2024-05-31",
        "2024-07-31",
        "2024-08-31",
        "2024-10-31",
        "2024-12-31",
    ]


def test_calendarinterval_leap_day_skips_years(lib: TriggerLib) -> None:
    # docstring warning: February 29th with years skips the non-leap years
    trigger = lib.CalendarIntervalTrigger(years=1, start_date=date(2024, 2, 29), timezone=HEL)
    assert strs(trigger, datetime(2024, 1, 1, tzinfo=HEL), 3) == [
        "2024-02-29 00:00:00+02:00",
        "2028-02-29 00:00:00+02:00",
        "2032-02-29 00:00:00+02:00",
    ]


def test_calendarinterval_dst_gap_and_fold(lib: TriggerLib) -> None:
    # docstring: a nonexistent time (forward shift) discards the date; an ambiguous one
    # (backward shift) uses the earlier of the two
    gap = lib.CalendarIntervalTrigger(
        days=1, hour=2, minute=30, start_date="2024-03-08", timezone="America/New_York"
    )
    assert strs(gap, datetime(2024, 3, 1, tzinfo=NY), 3) == [
        "2024-03-08 02:30:00-05:00",
        "2024-03-09 02:30:00-05:00",
        "2024-03-11 02:30:00-04:00",  # 2024-03-10 02:30 does not exist
    ]
    fold = lib.CalendarIntervalTrigger(
        days=1, hour=1, minute=30, start_date="2024-11-02", timezone="America/New_York"
    )
    times = fire_times(fold, datetime(2024, 11, 1, tzinfo=NY), 3)
    assert [(str(t), t.fold) for t in times] == [
        ("2024-11-02 01:30:00-04:00", 0),
        ("2024-11-03 01:30:00-04:00", 0),  # the earlier 01:30
        ("2024-11-04 01:30:00-05:00", 0),
    ]


# ---------------------------------------------------------------------------------------
# and / or
# ---------------------------------------------------------------------------------------


def test_or_monday_2am_and_tuesday_3pm(lib: TriggerLib) -> None:
    # docs: OrTrigger([CronTrigger(day_of_week='mon', hour=2),
    #                  CronTrigger(day_of_week='tue', hour=15)])
    trigger = lib.OrTrigger(
        [
            lib.CronTrigger(day_of_week="mon", hour=2, timezone=HEL),
            lib.CronTrigger(day_of_week="tue", hour=15, timezone=HEL),
        ]
    )
    assert (
        str(trigger) == "or[cron[day_of_week='mon', hour='2'], cron[day_of_week='tue', hour='15']]"
    )
    assert strs(trigger, datetime(2024, 1, 1, tzinfo=HEL), 4) == [
        "2024-01-01 02:00:00+02:00",
        "2024-01-02 15:00:00+02:00",
        "2024-01-08 02:00:00+02:00",
        "2024-01-09 15:00:00+02:00",
    ]


def test_and_every_three_days_on_weekends_first_fire(lib: TriggerLib) -> None:
    # docs: AndTrigger([CalendarIntervalTrigger(days=3), CronTrigger(day_of_week='sat,sun')])
    # In 3.11.3 only the first fire time can be computed, and only when start_date is on
    # a weekend and not before now: every later call loops forever, because with a
    # previous fire time both members ignore ``now`` and never agree (a Saturday start
    # gives Tuesday vs. Sunday).  See test_regressions.py.
    trigger = lib.AndTrigger(
        [
            lib.CalendarIntervalTrigger(days=3, start_date="2024-01-06", timezone=HEL),
            lib.CronTrigger(day_of_week="sat,sun", timezone=HEL),
        ]
    )
    assert str(trigger).startswith("and[")
    first = trigger.get_next_fire_time(None, datetime(2024, 1, 1, tzinfo=HEL))
    assert str(first) == "2024-01-06 00:00:00+02:00"


def test_and_weekly_on_saturdays(lib: TriggerLib) -> None:
    # A combination whose members always agree: every 7 days from a Saturday, and
    # Saturdays.
    trigger = lib.AndTrigger(
        [
            lib.CalendarIntervalTrigger(weeks=1, start_date="2024-01-06", timezone=HEL),
            lib.CronTrigger(day_of_week="sat", timezone=HEL),
        ]
    )
    assert strs(trigger, datetime(2024, 1, 1, tzinfo=HEL), 3) == [
        "2024-01-06 00:00:00+02:00",
        "2024-01-13 00:00:00+02:00",
        "2024-01-20 00:00:00+02:00",
    ]


# ---------------------------------------------------------------------------------------
# errors (the mistakes the notes and docs warn about)
# ---------------------------------------------------------------------------------------


def raised(func: Any, *args: Any, **kwargs: Any) -> BaseException:
    try:
        func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError(f"{func} did not raise")


CRON_ERRORS = [
    # (kwargs, exception class, fragments the message must contain)
    ({"second": "07x"}, ValueError, ["07x", "second"]),
    ({"hour": 24}, ValueError, ["24"]),
    ({"hour": "0-24"}, ValueError, ["24"]),
    ({"day_of_week": "7"}, ValueError, ["7"]),
    ({"day": "3rd fryday"}, ValueError, ["fryday"]),
    ({"day": "6th mon"}, ValueError, ["6th mon", "day"]),
    ({"month": "janu"}, ValueError, ["janu"]),
    ({"minute": "*/0"}, ValueError, []),
    ({"hour": "5-3"}, ValueError, []),
    ({"hour": "*/24"}, ValueError, ["24"]),
    ({"day_of_week": "sun-mon"}, ValueError, []),
    ({"year": 1969}, ValueError, ["1969"]),
    ({"hours": 3}, TypeError, ["hours"]),
    ({"hour": 3, "timezone": 5}, TypeError, ["int"]),
]


@pytest.mark.parametrize(("kwargs", "exc_class", "fragments"), CRON_ERRORS)
def test_cron_errors(
    lib: TriggerLib, kwargs: dict[str, Any], exc_class: type, fragments: list[str]
) -> None:
    exc = raised(lib.CronTrigger, **kwargs)
    assert type(exc) is exc_class, repr(exc)
    for fragment in fragments:
        assert fragment in str(exc), (fragment, str(exc))
    # the same class as the reference
    assert type(raised(REF.CronTrigger, **kwargs)) is exc_class


def test_unknown_time_zone(lib: TriggerLib) -> None:
    for make in (
        lambda: lib.CronTrigger(hour=3, timezone="Mars/Olympus"),
        lambda: lib.IntervalTrigger(hours=1, start_date="2024-01-01", timezone="Mars/Olympus"),
        lambda: lib.DateTrigger("2024-01-01", timezone="Mars/Olympus"),
        lambda: lib.CalendarIntervalTrigger(days=1, timezone="Mars/Olympus"),
        lambda: lib.CronTrigger.from_crontab("* * * * *", timezone="Mars/Olympus"),
    ):
        exc = raised(make)
        assert isinstance(exc, ZoneInfoNotFoundError), repr(exc)
        assert isinstance(exc, KeyError)
        assert "Mars/Olympus" in str(exc)


def test_unknown_keyword_arguments(lib: TriggerLib) -> None:
    for make in (
        lambda: lib.IntervalTrigger(months=1),
        lambda: lib.DateTrigger(run_date="2024-01-01", jitter=5),
        lambda: lib.CalendarIntervalTrigger(days=1, minutes=5),
    ):
        exc = raised(make)
        assert type(exc) is TypeError, repr(exc)
    assert type(raised(lib.CalendarIntervalTrigger, 1)) is TypeError  # keyword-only


def test_calendarinterval_errors(lib: TriggerLib) -> None:
    exc = raised(
        lib.CalendarIntervalTrigger,
        days=1,
        start_date="2024-01-02",
        end_date="2024-01-01",
        timezone="UTC",
    )
    assert type(exc) is ValueError
    assert "end_date cannot be earlier than start_date" in str(exc)
    exc = raised(lib.CalendarIntervalTrigger, start_date="2024-01-01", timezone="UTC")
    assert type(exc) is ValueError
    assert "interval must be at least 1 day long" in str(exc)
    exc = raised(lib.CalendarIntervalTrigger, days=1, hour=24, timezone="UTC")
    assert type(exc) is ValueError


@pytest.mark.parametrize("text", ["2009-11-O6 16:30:05", "2009/11/06", "2009-11-06 16:30"])
def test_invalid_date_strings(lib: TriggerLib, text: str) -> None:
    for make in (
        lambda: lib.DateTrigger(text, timezone="UTC"),
        lambda: lib.CronTrigger(hour=1, start_date=text, timezone="UTC"),
        lambda: lib.IntervalTrigger(hours=1, start_date=text, timezone="UTC"),
    ):
        exc = raised(make)
        assert type(exc) is ValueError, repr(exc)
        assert "Invalid date string" in str(exc)


def test_out_of_range_date_string(lib: TriggerLib) -> None:
    # matches the pattern but is not a real date: datetime() itself complains
    exc = raised(lib.DateTrigger, "2009-02-30 10:00:00", timezone="UTC")
    assert type(exc) is ValueError
    assert "day is out of range for month" in str(exc)


@pytest.mark.parametrize(
    ("expr", "fragments"),
    [
        ("0 0 1 1 * *", ["got 6, expected 5"]),
        ("0 0 1 *", ["got 4, expected 5"]),
        ("0 0 * * 7", ["7"]),
        ("60 * * * *", ["60"]),
        ("@daily", ["got 1, expected 5"]),
    ],
)
def test_crontab_errors(lib: TriggerLib, expr: str, fragments: list[str]) -> None:
    exc = raised(lib.CronTrigger.from_crontab, expr, timezone="UTC")
    assert type(exc) is ValueError, repr(exc)
    for fragment in fragments:
        assert fragment in str(exc)
