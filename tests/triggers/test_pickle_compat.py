"""Triggers pickled by APScheduler 3.11.3 load into apscheduler_rs and the
reverse, with identical state and identical fire times."""

from __future__ import annotations

import io
import pickle
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import apscheduler.triggers.calendarinterval as ref_calendarinterval
import apscheduler.triggers.combining as ref_combining
import apscheduler.triggers.cron as ref_cron
import apscheduler.triggers.date as ref_date
import apscheduler.triggers.interval as ref_interval
import pytest

import apscheduler_rs.triggers.calendarinterval as rs_calendarinterval
import apscheduler_rs.triggers.combining as rs_combining
import apscheduler_rs.triggers.cron as rs_cron
import apscheduler_rs.triggers.date as rs_date
import apscheduler_rs.triggers.interval as rs_interval
from apscheduler_rs._pickle_compat import CompatUnpickler, loads

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 3, 28, 22, 15, 30, 250000, tzinfo=HELSINKI)


class ToReference(CompatUnpickler):
    source = "apscheduler_rs"
    target = "apscheduler"


def to_reference(data: bytes):
    return ToReference(io.BytesIO(data)).load()


def build(modules, name):
    cron, interval, date_mod, calendar, combining = modules
    factories = {
        "cron": lambda: cron.CronTrigger(
            month="6-8,11-12", day="3rd fri", hour="0-3", timezone=HELSINKI
        ),
        "cron-names": lambda: cron.CronTrigger(
            day_of_week="mon-fri",
            month="jan-mar",
            hour="8, 12",
            minute=30,
            start_date="2026-01-01",
            end_date="2027-12-31",
            timezone="America/New_York",
            jitter=5,
        ),
        "cron-last": lambda: cron.CronTrigger(
            day="last", hour=2, minute="*/15", timezone=HELSINKI
        ),
        "crontab": lambda: cron.CronTrigger.from_crontab(
            "*/5 8-17 * * mon-fri", timezone=HELSINKI
        ),
        "interval": lambda: interval.IntervalTrigger(
            hours=2, minutes=30, start_date="2026-03-01 09:00:00", timezone=HELSINKI
        ),
        "interval-fixed": lambda: interval.IntervalTrigger(
            seconds=90,
            start_date=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5))),
            end_date=datetime(2026, 12, 31, tzinfo=timezone(timedelta(hours=5))),
        ),
        "date": lambda: date_mod.DateTrigger("2026-04-01 12:00:00", timezone=HELSINKI),
        "calendar": lambda: calendar.CalendarIntervalTrigger(
            months=1, hour=3, minute=30, start_date=date(2026, 1, 31), timezone=HELSINKI
        ),
        "or": lambda: combining.OrTrigger(
            [
                cron.CronTrigger(hour=9, timezone=HELSINKI),
                date_mod.DateTrigger("2026-05-01 10:00:00", timezone=HELSINKI),
            ]
        ),
    }
    return factories[name]()


RS = (rs_cron, rs_interval, rs_date, rs_calendarinterval, rs_combining)
REF = (ref_cron, ref_interval, ref_date, ref_calendarinterval, ref_combining)
NAMES = [
    "cron",
    "cron-names",
    "cron-last",
    "crontab",
    "interval",
    "interval-fixed",
    "date",
    "calendar",
    "or",
]


def fire_times(trigger, count=8):
    times, previous = [], None
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, previous or NOW)
        if previous is None:
            break
        times.append(previous)
    return times


def comparable_state(trigger):
    state = trigger.__getstate__()
    if "fields" in state:
        state["fields"] = [
            (f.__class__.__name__, f.name, str(f), f.is_default) for f in state["fields"]
        ]
    if "triggers" in state:
        state["triggers"] = [ref.split(":")[1] for ref, _ in state["triggers"]]
    return state


@pytest.mark.parametrize("name", NAMES)
def test_reference_pickle_loads_into_ours(name):
    reference = build(REF, name)
    ours = loads(pickle.dumps(reference))
    assert type(ours).__module__.startswith("apscheduler_rs.")
    assert type(ours).__name__ == type(reference).__name__
    assert comparable_state(ours) == comparable_state(reference)
    assert str(ours) == str(reference)
    if name not in ("cron-names",):  # jitter makes these random
        assert fire_times(ours) == fire_times(reference)


@pytest.mark.parametrize("name", NAMES)
def test_our_pickle_loads_into_reference(name):
    ours = build(RS, name)
    reference = to_reference(pickle.dumps(ours))
    assert type(reference).__module__.startswith("apscheduler.")
    assert comparable_state(reference) == comparable_state(ours)
    assert repr(reference) == repr(ours)
    if name not in ("cron-names",):
        assert fire_times(reference) == fire_times(ours)


@pytest.mark.parametrize("name", NAMES)
def test_state_layout_matches_reference(name):
    assert comparable_state(build(RS, name)) == comparable_state(build(REF, name))


def test_cron_field_objects_look_like_the_reference():
    ours = build(RS, "cron").fields
    reference = build(REF, "cron").fields
    assert [repr(f) for f in ours] == [repr(f) for f in reference]
    for ours_field, ref_field in zip(ours, reference, strict=False):
        assert [type(e).__name__ for e in ours_field.expressions] == [
            type(e).__name__ for e in ref_field.expressions
        ]
        assert [vars(e) for e in ours_field.expressions] == [
            vars(e) for e in ref_field.expressions
        ]


def test_newer_state_versions_are_refused():
    trigger = build(RS, "cron")
    state = trigger.__getstate__()
    state["version"] = 3
    clone = rs_cron.CronTrigger.__new__(rs_cron.CronTrigger)
    with pytest.raises(ValueError, match="only versions up to 2"):
        clone.__setstate__(state)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("name", ["cron", "interval", "date", "calendar"])
def test_every_pickle_protocol_round_trips(name, protocol):
    # Protocols 0 and 1 go through our __reduce_ex__ (copyreg alone cannot build
    # the Rust base class); the result still loads into APScheduler's classes.
    ours = build(RS, name)
    data = pickle.dumps(ours, protocol)
    assert repr(loads(data)) == repr(ours)
    assert repr(to_reference(data)) == repr(ours)


def test_new_without_arguments_is_blank_until_restored_and_a_call_makes_the_default():
    """Unpickling calls ``__new__`` without arguments before ``__setstate__``:
    the interval and date triggers then compute nothing (no clock, no local
    zone); calling the class without arguments still makes 3.11.3's default
    trigger."""
    from datetime import datetime, timedelta, timezone

    from apscheduler_rs.triggers.date import DateTrigger
    from apscheduler_rs.triggers.interval import IntervalTrigger

    blank = IntervalTrigger.__new__(IntervalTrigger)
    restored = IntervalTrigger(hours=2, start_date=datetime(2030, 1, 1, tzinfo=timezone.utc))
    blank.__setstate__(restored.__getstate__())
    assert repr(blank) == repr(restored)
    blank_date = DateTrigger.__new__(DateTrigger)
    assert blank_date.run_date is None
    blank_date.__setstate__({"version": 1, "run_date": datetime(2030, 1, 1, tzinfo=timezone.utc)})
    assert str(blank_date) == "date[2030-01-01 00:00:00 UTC]"

    before = datetime.now(timezone.utc)
    default = IntervalTrigger()
    assert default.interval == timedelta(seconds=1) and default.interval_length == 1
    assert before < default.start_date <= datetime.now(timezone.utc) + timedelta(seconds=1)
    assert before <= DateTrigger().run_date <= datetime.now(timezone.utc)
    assert DateTrigger(None, None).run_date.tzinfo is not None


class StateMapping(dict):
    """A state that is a dict subclass: read through its ``get``, as Python would."""

    def get(self, key, default=None):
        return super().get(key, default)


@pytest.mark.parametrize(
    "interval",
    [timedelta(hours=3), timedelta(microseconds=1), timedelta(days=106_751_991)],
)
def test_interval_state_is_restored_as_the_reference_restores_it(interval):
    """The Rust ``__setstate__`` reads the state directly; the reference's
    Python one is the oracle (version default, missing jitter, legacy tuple,
    intervals past 2**53 microseconds)."""
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    for shape in ("dict", "no version, no jitter", "mapping", "legacy tuple"):
        state = rs_interval.IntervalTrigger(
            seconds=1, start_date=start, timezone=timezone.utc
        ).__getstate__()
        state["interval"] = interval
        if shape == "no version, no jitter":
            del state["version"], state["jitter"]
        elif shape == "mapping":
            state = StateMapping(state)
        ours = rs_interval.IntervalTrigger.__new__(rs_interval.IntervalTrigger)
        theirs = ref_interval.IntervalTrigger.__new__(ref_interval.IntervalTrigger)
        given = (2, state) if shape == "legacy tuple" else state
        ours.__setstate__(given)
        theirs.__setstate__(dict(state) if shape == "legacy tuple" else given)
        assert ours.interval == theirs.interval, shape
        assert ours.interval_length == theirs.interval_length, shape
        assert ours.jitter == theirs.jitter, shape
        assert ours.start_date == theirs.start_date, shape
    state["version"] = 3
    with pytest.raises(ValueError, match="only versions up to 2"):
        rs_interval.IntervalTrigger.__new__(rs_interval.IntervalTrigger).__setstate__(state)


def test_an_interval_too_long_to_count_is_refused_by_name():
    """Past 2**63 microseconds (about 292,000 years) the reference takes the
    trigger and fails with "year ... is out of range" once it is due; here it
    is refused when made or restored, naming the interval."""
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="interval 999999999 days, 0:00:00 is too long"):
        rs_interval.IntervalTrigger(days=999_999_999, start_date=start, timezone=timezone.utc)
    state = rs_interval.IntervalTrigger(days=1, start_date=start).__getstate__()
    state["interval"] = timedelta(days=106_751_992)
    blank = rs_interval.IntervalTrigger.__new__(rs_interval.IntervalTrigger)
    with pytest.raises(ValueError, match="is too long"):
        blank.__setstate__(state)


def test_an_interval_state_that_is_not_a_timedelta_fails_as_in_the_reference():
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    errors = []
    for module in (ref_interval, rs_interval):
        state = module.IntervalTrigger(seconds=1, start_date=start).__getstate__()
        state["interval"] = 5
        blank = module.IntervalTrigger.__new__(module.IntervalTrigger)
        with pytest.raises(AttributeError) as caught:
            blank.__setstate__(state)
        errors.append(str(caught.value))
    assert errors[0] == errors[1] == "'int' object has no attribute 'total_seconds'"
