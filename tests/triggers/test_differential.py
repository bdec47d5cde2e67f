"""Differential tests: the implementation under test against apscheduler 3.11.3.

Seeded random cases (and a few hypothesis-driven ones) build the same trigger in both
libraries and compare, per case:

* construction: both succeed, or both raise the same exception class;
* ``type(t).__name__``, ``str(t)``, ``repr(t)``, ``t.__getstate__()`` (cron fields by
  name/str/default-ness, module paths of serialized refs translated) and the public
  attributes;
* the first 20 fire times of a scheduler-like chain: ``get_next_fire_time(None, now)``,
  then ``get_next_fire_time(prev, prev + small delay)`` until None, each compared by
  equality, ``str()``, ``utcoffset()``, ``fold``, ``tzname()`` and the tzinfo's type/str,
  plus the exception class if a call raises;
* jitter: Python's ``random`` is seeded identically before every call of either library
  and the value drawn right after the call is compared too (so the number of draws
  must match); the jittered time must lie within [t, t + jitter] of the unjittered one;
* the pickled-and-unpickled implementation trigger gives the same chain and views.

Environment knobs: ``APSRS_DIFF_SCALE`` (multiplies the number of cases, default 1),
``APSRS_DIFF_SEED`` (different random cases, default 0).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._harness import (
    Case,
    Spec,
    TimeLimitExceeded,
    Transition,
    all_transitions,
    assert_no_problems,
    compare_case,
    run_chain,
    time_limit,
    transitions,
)
from ._impl import REF

UTC = timezone.utc
SCALE = float(os.environ.get("APSRS_DIFF_SCALE", "1"))
BASE_SEED = int(os.environ.get("APSRS_DIFF_SEED", "0"))
MIN_CASES = 20_000

#: compared cases per kind, filled as the tests run; checked by the last test
CASE_COUNTS: Counter[str] = Counter()
#: cases thrown away because the reference itself would hang (AndTrigger only)
DISCARDED: Counter[str] = Counter()
DISCARDED_EXAMPLES: list[str] = []
RUN_TESTS: set[str] = set()

# ---------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    arg: Any  # what is passed as ``timezone=``
    eff: tzinfo | None  # the zone the trigger ends up using (None: unknown/invalid)
    key: str | None  # IANA key, for DST transitions


DST_ZONE_KEYS = ("Europe/Helsinki", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu")

DST_ZONES = [
    Zone(form, ZoneInfo(key), key)
    for key in DST_ZONE_KEYS
    for form in (key, ZoneInfo(key), pytz.timezone(key))
]
UTC_ZONES = [
    Zone("UTC", UTC, None),
    Zone(ZoneInfo("UTC"), ZoneInfo("UTC"), None),
    Zone(pytz.utc, ZoneInfo("UTC"), None),
    Zone(UTC, UTC, None),
    Zone("Etc/GMT+5", ZoneInfo("Etc/GMT+5"), None),
]
FIXED_ZONES = [
    Zone(tz, tz, None)
    for tz in (
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-3, minutes=-30)),
        timezone(timedelta(hours=5, minutes=45), "NPT"),
        timezone(timedelta(hours=14)),
        timezone(timedelta(hours=-12)),
        timezone(timedelta(hours=1), "CET"),
    )
]
#: zones that make construction fail (or fall back to the local zone)
BAD_ZONES = [
    Zone("Mars/Olympus", None, None),
    Zone("utc", None, None),
    Zone("Europe/Helsinki ", None, None),
    Zone("../etc", None, None),
    Zone(5, None, None),
    Zone(pytz.FixedOffset(90), None, None),
    Zone("", None, None),  # falsy: the local zone is used
]
OTHER_ZONEINFOS = [ZoneInfo(k) for k in (*DST_ZONE_KEYS, "UTC", "Asia/Tokyo", "Europe/London")]


def pick_zone(rng: random.Random, bad: float = 0.0) -> Zone:
    r = rng.random()
    if r < bad:
        return rng.choice(BAD_ZONES)
    r = rng.random()
    if r < 0.62:
        return rng.choice(DST_ZONES)
    if r < 0.82:
        return rng.choice(UTC_ZONES)
    return rng.choice(FIXED_ZONES)


def zone_transitions(zone: Zone) -> tuple[Transition, ...]:
    return transitions(zone.key) if zone.key else ()


# ---------------------------------------------------------------------------------------
# Instants, nows and date arguments
# ---------------------------------------------------------------------------------------


def _granularity(rng: random.Random, instant: datetime) -> datetime:
    r = rng.random()
    if r < 0.12:
        return instant.replace(minute=0, second=0, microsecond=0)
    if r < 0.35:
        return instant.replace(second=0, microsecond=0)
    if r < 0.65:
        return instant.replace(microsecond=0)
    return instant.replace(microsecond=rng.randrange(1, 1_000_000))


def pick_transition(rng: random.Random, zone: Zone | None) -> Transition | None:
    trs = zone_transitions(zone) if zone else ()
    if trs and rng.random() < 0.8:
        return rng.choice(trs)
    if rng.random() < 0.4:
        return rng.choice(all_transitions())
    return None


def pick_instant(
    rng: random.Random, zone: Zone | None, lo: int = 2000, hi: int = 2045, near: float = 0.5
) -> datetime:
    """An aware UTC instant: within 2 h of a DST transition (probability ``near``) or
    uniformly random in [lo, hi)."""
    tr = pick_transition(rng, zone) if rng.random() < near else None
    if tr is not None:
        if rng.random() < 0.12:
            offset = rng.choice(
                [0, 1, -1, 1e-6, -1e-6, 1800, -1800, 3600, -3600, 5400, -5400, 7200, -7200]
            )
            return tr.instant + timedelta(seconds=offset)
        return _granularity(rng, tr.instant + timedelta(seconds=rng.uniform(-7200, 7200)))
    start = datetime(lo, 1, 1, tzinfo=UTC)
    span = (datetime(hi, 1, 1, tzinfo=UTC) - start).total_seconds()
    return _granularity(rng, start + timedelta(seconds=rng.uniform(0, span)))


def express(rng: random.Random, instant: datetime, zone: Zone | None) -> datetime:
    """``instant`` as an aware datetime in the trigger's zone, UTC or some other zone."""
    r = rng.random()
    if r < 0.55 and zone is not None and zone.eff is not None:
        return instant.astimezone(zone.eff)
    if r < 0.75:
        return instant.astimezone(UTC)
    if r < 0.88:
        return instant.astimezone(rng.choice(OTHER_ZONEINFOS))
    if r < 0.94:
        return instant.astimezone(pytz.timezone(rng.choice(DST_ZONE_KEYS)))
    return instant.astimezone(ZoneInfo("UTC"))


def naive_wall(rng: random.Random, zone: Zone | None) -> datetime:
    """A naive wall-clock time, often within 2 h of a transition (gaps and folds)."""
    tr = pick_transition(rng, zone)
    if tr is not None:
        wall = tr.wall_before + timedelta(seconds=rng.uniform(-7200, 7200))
        wall = _granularity(rng, wall)
    else:
        wall = pick_instant(rng, None, near=0).replace(tzinfo=None)
    if rng.random() < 0.15:
        wall = wall.replace(fold=1)
    return wall


def format_date_string(rng: random.Random, wall: datetime) -> str:
    """A valid date string in one of the forms convert_to_datetime() accepts."""
    y, m, d = wall.year, wall.month, wall.day
    if rng.random() < 0.85:
        text = f"{y:04d}-{m:02d}-{d:02d}"
    else:
        text = f"{y:04d}-{m}-{d}"
    if rng.random() < 0.25:
        return text
    sep = "T" if rng.random() < 0.2 else " "
    if rng.random() < 0.9:
        text += f"{sep}{wall.hour:02d}:{wall.minute:02d}:{wall.second:02d}"
    else:
        text += f"{sep}{wall.hour}:{wall.minute}:{wall.second}"
    if wall.microsecond and rng.random() < 0.6:
        digits = rng.randint(1, 6)
        text += "." + f"{wall.microsecond:06d}"[:digits]
    r = rng.random()
    if r < 0.1:
        text += "Z"
    elif r < 0.22:
        text += rng.choice(["+05:30", "-03:00", "+00:00", "+02:00", "-10:00", "+13:45"])
    return text


INVALID_DATE_STRINGS = [
    "2009-11-O6",
    "2009-11-06 16:30",
    "2009/11/06",
    "09-11-06",
    "2009-13-06",
    "2009-02-30",
    "2009-11-06 25:00:00",
    "2009-11-06 16:30:60",
    "2009-11-06 16:30:05.1234567",
    " 2009-11-06",
    "2009-11-06 16:30:05+5:30",
    "2009-11-06 16:30:05 +05:30",
    "tomorrow",
    "2009-11-06T16:30:05z",
    "2009-11-06\n",  # valid: '$' matches before a trailing newline
    "2009-11-06 16:30:05\n",
    "2009-11-6 6:3:5",
    "20091106",
]


def date_arg(rng: random.Random, zone: Zone | None, invalid: float = 0.0) -> Any:
    """A start_date / end_date / run_date argument."""
    if rng.random() < invalid:
        r = rng.random()
        if r < 0.8:
            return rng.choice(INVALID_DATE_STRINGS)
        return rng.choice([12345, 1.5, time(10, 30), [2020, 1, 1]])
    r = rng.random()
    if r < 0.35:
        return express(rng, pick_instant(rng, zone), zone)
    if r < 0.6:
        return naive_wall(rng, zone)
    if r < 0.7:
        return naive_wall(rng, zone).date()
    return format_date_string(rng, naive_wall(rng, zone))


def date_near(
    rng: random.Random, zone: Zone | None, anchor: datetime, lo: float, hi: float
) -> Any:
    """A date argument ``lo``..``hi`` seconds from the instant ``anchor``."""
    instant = _granularity(rng, anchor + timedelta(seconds=rng.uniform(lo, hi)))
    r = rng.random()
    if r < 0.4:
        return express(rng, instant, zone)
    wall = instant.astimezone(zone.eff if zone and zone.eff else UTC).replace(tzinfo=None)
    if r < 0.7:
        return wall
    if r < 0.8:
        return wall.date()
    return format_date_string(rng, wall)


DAY = 86400.0
YEAR = 365.25 * DAY


def delays(rng: random.Random, n: int = 19) -> list[timedelta]:
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            out.append(timedelta(0))
        elif r < 0.6:
            out.append(timedelta(microseconds=rng.randint(1, 999)))
        elif r < 0.8:
            out.append(timedelta(seconds=rng.uniform(0, 2)))
        elif r < 0.95:
            out.append(timedelta(seconds=rng.uniform(0, 120)))
        else:
            out.append(timedelta(seconds=rng.uniform(0, 3600)))
    return out


def pick_jitter(rng: random.Random, p: float = 0.2) -> Any:
    if rng.random() < p:
        return rng.choice([1, 5, 30, 120, 600, 3600, 0, 2.5, 0.001])
    return None


def make_case(rng: random.Random, label: str, spec: Spec, now: datetime, seed: int) -> Case:
    return Case(label=label, spec=spec, now=now, delays=delays(rng), seed=seed)


# ---------------------------------------------------------------------------------------
# Cron expressions
# ---------------------------------------------------------------------------------------

FIELD_NAMES = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
FIELD_WEIGHTS = (4, 8, 9, 3, 9, 12, 10, 7)
GEN_RANGE = {
    "year": (2000, 2060),
    "month": (1, 12),
    "day": (1, 31),
    "week": (1, 53),
    "day_of_week": (0, 6),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
MIN_VALUE = {
    "year": 1970,
    "month": 1,
    "day": 1,
    "week": 1,
    "day_of_week": 0,
    "hour": 0,
    "minute": 0,
    "second": 0,
}
MAX_VALUE = {
    "year": 9999,
    "month": 12,
    "day": 31,
    "week": 53,
    "day_of_week": 6,
    "hour": 23,
    "minute": 59,
    "second": 59,
}
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
POSITIONS = ["1st", "2nd", "3rd", "4th", "5th", "last"]


def _case_variant(rng: random.Random, word: str) -> str:
    r = rng.random()
    if r < 0.8:
        return word
    if r < 0.9:
        return word.upper()
    return word.capitalize()


def cron_piece(
    rng: random.Random, fld: str, bounded_year: bool = True, years: tuple[int, int] = (0, 0)
) -> str:
    """One valid expression (no commas) for field ``fld`` (years: the year range)."""
    lo, hi = years if fld == "year" and years[0] else GEN_RANGE[fld]
    real_lo, real_hi = MIN_VALUE[fld], MAX_VALUE[fld]
    if fld == "day" and rng.random() < 0.2:
        if rng.random() < 0.3:
            return _case_variant(rng, "last")
        spaces = " " * rng.choice([1, 1, 1, 2])
        pos = _case_variant(rng, rng.choice(POSITIONS))
        return f"{pos}{spaces}{_case_variant(rng, rng.choice(WEEKDAYS))}"
    if fld in ("month", "day_of_week") and rng.random() < 0.25:
        names = MONTHS if fld == "month" else WEEKDAYS
        a = rng.randrange(len(names))
        if rng.random() < 0.5:
            return _case_variant(rng, names[a])
        b = rng.randrange(a, len(names))
        return f"{_case_variant(rng, names[a])}-{_case_variant(rng, names[b])}"
    forms = ["*", "*/n", "a", "a-b", "a-b/n", "a/n"]
    weights = [6, 12, 35, 22, 14, 8]
    if fld == "year" and bounded_year:
        forms, weights = ["a", "a-b", "a-b/n"], [40, 45, 15]
    form = rng.choices(forms, weights)[0]
    a = rng.randint(lo, hi)
    if form == "*":
        return "*"
    if form == "*/n":
        return f"*/{rng.randint(1, min(real_hi - real_lo, 30))}"
    if form == "a":
        return str(a)
    if form == "a/n":
        a = min(a, real_hi - 1)
        return f"{a}/{rng.randint(1, min(real_hi - a, 20))}"
    a = min(a, hi - 1)
    b = rng.randint(a + 1, hi)
    if form == "a-b":
        return f"{a}-{b}"
    return f"{a}-{b}/{rng.randint(1, b - a)}"


def cron_value(
    rng: random.Random, fld: str, bounded_year: bool = True, years: tuple[int, int] = (0, 0)
) -> Any:
    """A valid field value: one or more pieces, sometimes an int."""
    n = rng.choices([1, 2, 3], [75, 20, 5])[0]
    pieces = [cron_piece(rng, fld, bounded_year, years) for _ in range(n)]
    if n == 1 and pieces[0].isdigit() and rng.random() < 0.35:
        return int(pieces[0])
    sep = rng.choice([",", ",", ",", ", ", " ,", " , "])
    text = sep.join(pieces)
    if rng.random() < 0.05:
        text = rng.choice([" ", "  ", "\t", "\n"]) + text + rng.choice(["", " ", "\n"])
    return text


def invalid_cron_value(rng: random.Random, fld: str) -> Any:
    """A value that is (mostly) invalid for ``fld``; a few accepted oddities too."""
    real_lo, real_hi = MIN_VALUE[fld], MAX_VALUE[fld]
    generic = [
        str(real_hi + 1),
        real_hi + 1,
        str(real_lo - 1),
        real_lo - 1,
        "07x",
        "x",
        "",
        " ",
        "5-",
        "-5",
        "*/0",
        "1-5/0",
        f"*/{real_hi - real_lo + 1}",
        f"{real_lo + 3}-{real_lo + 1}",
        f"{real_lo}-{real_lo + 2}/5",  # step above the range
        "1,",
        ",1",
        "1,,2",
        "8\t,9",
        "8\n,9",  # accepted: '$' matches before the newline
        "5.0",
        5.0,
        "\uff15",  # FULLWIDTH DIGIT FIVE: \d matches it and int() accepts it
        "\u0663",  # ARABIC-INDIC DIGIT THREE
        "*/2/3",
        "**",
        "?",
        "L",
        True,
        f"{real_lo}-",
        "1-2-3",
    ]
    special: dict[str, list[Any]] = {
        "second": ["07x", 60, "60", "0-60", "*/60"],
        "minute": [60, "60", "*/60", "30-70"],
        "hour": [24, "24", "0-24", "*/24", "25"],
        "day": [
            "3rd fryday",
            "6th mon",
            "last fryday",
            "0th mon",
            "lastx",
            "3rd fri xyz",
            "2nd 5",
            "last-1",
            "32",
            0,
            "last,last fri",
            "first mon",
            "L",
        ],
        "day_of_week": [
            "7",
            7,
            "sun-mon",
            "fri-mon",
            "mon-fryday",
            "monday",
            "mo",
            "1-7",
            "sat-sun",
            "SUN",
            "mon,fri,sun",
        ],
        "month": [13, "0", "janu", "jan5", "dec-jan", "13-14", "jan-", "JAN-DEC"],
        "week": [0, 54, "54", "0-53", "*/53"],
        "year": [1969, "1969", 10000, "2020-2010", "*/8030"],
    }
    if rng.random() < 0.6:
        return rng.choice(special[fld])
    return rng.choice(generic)


def year_is_bounded(value: Any) -> bool:
    """True if a year expression can only match finitely many years."""
    if isinstance(value, int):
        return True
    for piece in str(value).split(","):
        piece = piece.strip()
        if "*" in piece or ("/" in piece and "-" not in piece):
            return False
    return True


def cron_kwargs(
    rng: random.Random, anchor: datetime, invalid: float = 0.12, zone: Zone | None = None
) -> tuple[dict[str, Any], Zone]:
    """Cron arguments; ``anchor`` (an instant) is where the year range and most start and
    end dates are centred, so that most chains are not empty."""
    years = (max(1970, anchor.year - 2), anchor.year + 6)
    count = rng.choices([0, 1, 2, 3, 4, 5, 6], [2, 20, 30, 25, 13, 7, 3])[0]
    chosen: list[str] = []
    while len(chosen) < count:
        fld = rng.choices(FIELD_NAMES, FIELD_WEIGHTS)[0]
        if fld not in chosen:
            chosen.append(fld)
    chosen.sort(key=FIELD_NAMES.index)
    kwargs: dict[str, Any] = {}
    for fld in chosen:
        kwargs[fld] = cron_value(rng, fld, rng.random() < 0.85, years)
    if chosen and rng.random() < invalid:
        fld = rng.choice(chosen)
        kwargs[fld] = invalid_cron_value(rng, fld)
    if rng.random() < invalid / 12:
        kwargs[rng.choice(["hours", "minutes", "days", "weekday", "seconds"])] = 3

    if zone is None:
        zone = pick_zone(rng, bad=invalid / 8)
    if rng.random() < 0.9:
        kwargs["timezone"] = zone.arg
    if rng.random() < 0.35:
        if rng.random() < 0.6:
            kwargs["start_date"] = date_near(rng, zone, anchor, -30 * DAY, 30 * DAY)
        else:
            kwargs["start_date"] = date_arg(rng, zone, invalid=invalid / 2)
    if rng.random() < 0.25:
        if rng.random() < 0.7:
            kwargs["end_date"] = date_near(rng, zone, anchor, 3600, 5 * YEAR)
        else:
            kwargs["end_date"] = date_arg(rng, zone, invalid=invalid / 2)

    # Keep the reference from searching up to year 9999 for combinations that may never
    # match (it would take seconds): bound the year when the fields can conflict.
    risky = (
        "week" in kwargs
        or ("day" in kwargs and ("day_of_week" in kwargs or "month" in kwargs))
        or "day" in kwargs
        and not str(kwargs["day"]).strip().isdigit()
    )
    bounded = ("year" in kwargs and year_is_bounded(kwargs["year"])) or "end_date" in kwargs
    if risky and not bounded:
        if rng.random() < 0.5:
            kwargs["year"] = cron_value(rng, "year", True, years)
        else:
            kwargs["end_date"] = express(
                rng, anchor + timedelta(seconds=rng.uniform(DAY, 10 * YEAR)), zone
            )
    jitter = pick_jitter(rng)
    if jitter is not None:
        kwargs["jitter"] = jitter
    # constructor keyword order is irrelevant but keep field order for readability
    return kwargs, zone


def gen_cron(rng: random.Random, label: str, seed: int) -> Case:
    zone = pick_zone(rng, bad=0.015)
    anchor = pick_instant(rng, zone, 2000, 2060)
    kwargs, zone = cron_kwargs(rng, anchor, zone=zone)
    now = express(rng, anchor, zone)
    return make_case(rng, label, Spec("cron", kwargs), now, seed)


# ---------------------------------------------------------------------------------------
# Crontab lines
# ---------------------------------------------------------------------------------------

CRONTAB_FIELDS = ("minute", "hour", "day", "month", "day_of_week")


def crontab_field(rng: random.Random, fld: str) -> str:
    if rng.random() < 0.35:
        return "*"
    n = rng.choices([1, 2, 3], [70, 25, 5])[0]
    pieces = []
    while len(pieces) < n:
        piece = cron_piece(rng, fld)
        if " " in piece:  # '3rd fri' cannot appear in a crontab line
            continue
        pieces.append(piece)
    return ",".join(pieces)


def gen_crontab(rng: random.Random, label: str, seed: int) -> Case:
    fields = [crontab_field(rng, f) for f in CRONTAB_FIELDS]
    # day 29-31 with a restricted month can be impossible (the reference then searches
    # up to year 9999): keep those to the valid days
    if fields[3] != "*" and any(
        p.isdigit() and int(p) > 28 or "-" in p or "/" in p or p.startswith("last")
        for p in fields[2].split(",")
    ):
        fields[2] = str(rng.randint(1, 28))
    if rng.random() < 0.12:
        r = rng.random()
        if r < 0.2:
            fields.pop(rng.randrange(5))
        elif r < 0.35:
            fields.append(rng.choice(["*", "0", "2024"]))
        elif r < 0.45:
            fields = [rng.choice(["@daily", "@hourly", "@reboot"])]
        else:
            i = rng.randrange(5)
            fields[i] = str(
                rng.choice(
                    [
                        *[invalid_cron_value(rng, CRONTAB_FIELDS[i]) for _ in range(3)],
                        "L",
                        "?",
                        "7",
                        "1#3",
                        "5L",
                        "W",
                    ]
                )
            ).replace(" ", "")
            if fields[i] == "":
                fields[i] = "?"
            if i == 3 or i == 2:
                # an odd month/day may make matches impossible: bound by fixing the rest
                fields[2 if i == 3 else 3] = "*"
    sep = rng.choices([" ", "  ", "\t", " \t "], [85, 6, 5, 4])[0]
    expr = sep.join(fields)
    if rng.random() < 0.05:
        expr = rng.choice([" ", "\n", "  "]) + expr + rng.choice(["", " ", "\n"])
    zone = pick_zone(rng, bad=0.03)
    kwargs: dict[str, Any] = {"expr": expr}
    if rng.random() < 0.9:
        kwargs["timezone"] = zone.arg
    now = express(rng, pick_instant(rng, zone), zone)
    return make_case(rng, label, Spec("crontab", kwargs), now, seed)


# ---------------------------------------------------------------------------------------
# Interval, date and calendar-interval triggers
# ---------------------------------------------------------------------------------------

INTERVAL_UNITS = {
    "weeks": (1, 8),
    "days": (1, 30),
    "hours": (1, 72),
    "minutes": (1, 180),
    "seconds": (1, 100_000),
}


def interval_kwargs(
    rng: random.Random, anchor: datetime, invalid: float = 0.08
) -> tuple[dict[str, Any], Zone]:
    """Interval arguments; the start date is near ``anchor`` (an instant) more often
    than not.  A start date is always given: the default depends on the wall clock."""
    kwargs: dict[str, Any] = {}
    r = rng.random()
    if r < 0.04:
        if rng.random() < 0.5:
            kwargs.update({u: 0 for u in INTERVAL_UNITS if rng.random() < 0.5})
    else:
        units = rng.sample(list(INTERVAL_UNITS), rng.choices([1, 2, 3], [70, 22, 8])[0])
        for unit in units:
            lo, hi = INTERVAL_UNITS[unit]
            if unit == "seconds" and rng.random() < 0.7:
                hi = 120
            value: Any = rng.randint(lo, hi)
            q = rng.random()
            if q < 0.06:
                value = rng.choice([0.5, 1.5, 1 / 3, 0.25, 2.75, 1e-3])
            elif q < 0.08:
                value = -value
            kwargs[unit] = value
    if rng.random() < invalid / 8:
        kwargs["weeks"] = rng.choice([10**9, 10**6])  # OverflowError / far future
    if rng.random() < invalid / 8:
        kwargs["months"] = 1  # TypeError: unexpected keyword argument

    zone = pick_zone(rng, bad=invalid / 4)
    if rng.random() < 0.88:
        kwargs["timezone"] = zone.arg
    if rng.random() < 0.6:
        start = date_near(rng, zone, anchor, -5 * DAY, 3600)
    else:
        start = date_arg(rng, zone, invalid=invalid / 2)
    if start in ("", None, 0):  # falsy start dates mean "now + interval"
        start = "2020-01-01"
    kwargs["start_date"] = start
    if rng.random() < 0.3:
        if rng.random() < 0.7:
            kwargs["end_date"] = date_near(rng, zone, anchor, 3600, 30 * DAY)
        else:
            kwargs["end_date"] = date_arg(rng, zone, invalid=invalid / 4)
    jitter = pick_jitter(rng)
    if jitter is not None:
        kwargs["jitter"] = jitter
    return kwargs, zone


def gen_interval(rng: random.Random, label: str, seed: int) -> Case:
    anchor = pick_instant(rng, None)
    kwargs, zone = interval_kwargs(rng, anchor)
    r = rng.random()
    if r < 0.6:
        now_instant = _granularity(rng, anchor + timedelta(seconds=rng.uniform(-7200, 3 * DAY)))
    elif r < 0.7:
        now_instant = anchor
    else:
        now_instant = pick_instant(rng, zone)
    now = express(rng, now_instant, zone)
    return make_case(rng, label, Spec("interval", kwargs), now, seed)


def gen_date(rng: random.Random, label: str, seed: int) -> Case:
    zone = pick_zone(rng, bad=0.04)
    kwargs: dict[str, Any] = {"run_date": date_arg(rng, zone, invalid=0.12)}
    if rng.random() < 0.85:
        kwargs["timezone"] = zone.arg
    if rng.random() < 0.01:
        kwargs["jitter"] = 5  # TypeError: DateTrigger has no jitter
    now = express(rng, pick_instant(rng, zone), zone)
    return make_case(rng, label, Spec("date", kwargs), now, seed)


def cal_date_arg(rng: random.Random, day: date, invalid: float) -> Any:
    if rng.random() < invalid:
        return rng.choice(
            [
                "2024-02-30",
                "2024-1-5",
                "2024/01/05",
                "tomorrow",
                "2024-01-05T10:00",
                "2024-13-01",
                20240105,
                "2024-01-05 ",
            ]
        )
    r = rng.random()
    if r < 0.5:
        return day
    if r < 0.82:
        return day.isoformat()
    if r < 0.87:
        return day.strftime("%Y%m%d")
    if r < 0.91:
        iso = day.isocalendar()
        return f"{iso[0]:04d}-W{iso[1]:02d}-{iso[2]}"
    # a datetime is accepted as is (asdate() only parses strings)
    return datetime(day.year, day.month, day.day, rng.randrange(24))


def calendarinterval_kwargs(
    rng: random.Random, invalid: float = 0.08, zone: Zone | None = None
) -> tuple[dict[str, Any], Zone]:
    kwargs: dict[str, Any] = {}
    if rng.random() >= invalid / 2:
        units = rng.sample(["years", "months", "weeks", "days"], rng.choices([1, 2], [75, 25])[0])
        limits = {"years": 3, "months": 14, "weeks": 4, "days": 45}
        for unit in units:
            value: Any = rng.randint(1, limits[unit])
            q = rng.random()
            if q < 0.02:
                value = -value
            elif q < 0.02 + invalid / 30:
                value = rng.choice([True, 1.5, 2.0, 0.5])  # accepted by the reference
            kwargs[unit] = value
    elif rng.random() < 0.5:
        kwargs["days"] = 0
    if rng.random() < 0.4:
        kwargs["hour"] = rng.randint(0, 4) if rng.random() < 0.5 else rng.randint(0, 23)
    if rng.random() < 0.5:
        kwargs["minute"] = rng.choice([0, 15, 30, 45, rng.randint(0, 59)])
    if rng.random() < 0.3:
        kwargs["second"] = rng.randint(0, 59)
    if rng.random() < invalid / 3:
        kwargs[rng.choice(["hour", "minute", "second"])] = rng.choice([24, 60, -1, "5", 1.5, None])
    if zone is None:
        zone = pick_zone(rng, bad=invalid / 3)
    if rng.random() < 0.9:
        kwargs["timezone"] = zone.arg

    tr = pick_transition(rng, zone)
    if tr is not None:
        start_day = tr.wall_before.date() - timedelta(days=rng.randint(0, 40))
    else:
        start_day = date(2000, 1, 1) + timedelta(days=rng.randrange(40 * 365))
    if rng.random() < 0.98:
        kwargs["start_date"] = cal_date_arg(rng, start_day, invalid / 2)
    if rng.random() < 0.4:
        end_day = start_day + timedelta(days=rng.randint(-30, 3000))
        kwargs["end_date"] = cal_date_arg(rng, end_day, invalid / 4)
    jitter = pick_jitter(rng, 0.15)
    if jitter is not None:
        kwargs["jitter"] = jitter
    return kwargs, zone


def gen_calendarinterval(rng: random.Random, label: str, seed: int) -> Case:
    kwargs, zone = calendarinterval_kwargs(rng)
    now = express(rng, pick_instant(rng, zone), zone)
    return make_case(rng, label, Spec("calendarinterval", kwargs), now, seed)


# ---------------------------------------------------------------------------------------
# Combining triggers
# ---------------------------------------------------------------------------------------


def valid_cron_kwargs(rng: random.Random, zone: Zone, anchor: datetime) -> dict[str, Any]:
    """Valid cron arguments whose schedule surely ends (so that combinations end)."""
    kwargs, _ = cron_kwargs(rng, anchor, invalid=0.0, zone=zone)
    if rng.random() < 0.5:
        kwargs.pop("jitter", None)
    if not ("year" in kwargs and year_is_bounded(kwargs["year"])) and "end_date" not in kwargs:
        kwargs["end_date"] = express(
            rng, anchor + timedelta(seconds=rng.uniform(DAY, 10 * YEAR)), zone
        )
    return kwargs


def gen_or(rng: random.Random, label: str, seed: int) -> Case:
    shared = pick_zone(rng)
    anchor = pick_instant(rng, shared)
    members = []
    for _ in range(rng.choices([1, 2, 3], [5, 70, 25])[0]):
        zone = shared if rng.random() < 0.6 else pick_zone(rng)
        kind = rng.choices(["cron", "calendarinterval", "date", "interval"], [50, 20, 15, 15])[0]
        if kind == "cron":
            members.append(Spec("cron", valid_cron_kwargs(rng, zone, anchor)))
        elif kind == "calendarinterval":
            kw, _ = calendarinterval_kwargs(rng, invalid=0.0, zone=zone)
            kw.setdefault("start_date", "2024-01-01")
            members.append(Spec("calendarinterval", kw))
        elif kind == "date":
            kw = {"run_date": date_near(rng, zone, anchor, -DAY, 30 * DAY), "timezone": zone.arg}
            members.append(Spec("date", kw))
        else:
            kw, _ = interval_kwargs(rng, anchor, invalid=0.0)
            members.append(Spec("interval", kw))
    kwargs: dict[str, Any] = {"members": members}
    jitter = pick_jitter(rng)
    if jitter is not None:
        kwargs["jitter"] = jitter
    now = express(rng, anchor, shared)
    return make_case(rng, label, Spec("or", kwargs), now, seed)


def respell(rng: random.Random, value: Any, fld: str) -> Any:
    """An equivalent spelling of a cron field value."""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.isdigit():
        num = int(text)
        if fld == "day_of_week" and rng.random() < 0.5:
            return WEEKDAYS[num]
        if fld == "month" and rng.random() < 0.5:
            return MONTHS[num - 1].upper()
        return num
    if "," in text:
        return ", ".join(p.strip() for p in text.split(","))
    return text


def gen_and(rng: random.Random, label: str, seed: int) -> Case | None:
    for _ in range(10):
        case = _gen_and(rng, label, seed)
        if case is not None:
            return case
    return None


def _gen_and(rng: random.Random, label: str, seed: int) -> Case | None:
    """AndTrigger cases whose members agree (the reference loops forever otherwise:
    with a previous fire time every member ignores ``now``, so a disagreement never
    resolves)."""
    zone = pick_zone(rng)
    anchor = pick_instant(rng, zone)
    r = rng.random()
    kwargs: dict[str, Any]
    if r < 0.4:
        # the same cron schedule spelled in two (or three) ways
        base = valid_cron_kwargs(rng, zone, anchor)
        base.pop("jitter", None)
        other = {k: (respell(rng, v, k) if k in FIELD_NAMES else v) for k, v in base.items()}
        members = [Spec("cron", base), Spec("cron", other)]
        if rng.random() < 0.3:
            members.append(Spec("cron", dict(base)))
        if rng.random() < 0.3:
            members[1].kwargs["end_date"] = date_near(rng, zone, anchor, 0, YEAR)
        now = express(rng, anchor, zone)
    elif r < 0.7:
        # a calendar interval and a cron trigger firing at the same wall clock times
        hour, minute = rng.randint(5, 22), rng.choice([0, 30, rng.randint(0, 59)])
        second = rng.choice([0, 0, rng.randint(0, 59)])
        tr = pick_transition(rng, zone)
        if tr is not None:
            start = tr.wall_before.date() - timedelta(days=rng.randint(0, 60))
        else:
            start = date(2000, 1, 1) + timedelta(days=rng.randint(0, 14000))
        if start.day > 28:
            start = start.replace(day=rng.randint(1, 28))
        unit = rng.choice(["days", "weeks", "months", "years"])
        cron_kw: dict[str, Any] = {"hour": hour, "minute": minute, "second": second}
        if unit == "weeks":
            cron_kw["day_of_week"] = WEEKDAYS[start.weekday()]
        elif unit == "months":
            cron_kw["day"] = start.day
        elif unit == "years":
            cron_kw.update(month=start.month, day=start.day)
        cron_kw["timezone"] = zone.arg
        cal_kw: dict[str, Any] = {
            unit: 1,
            "hour": hour,
            "minute": minute,
            "second": second,
            "start_date": start.isoformat() if rng.random() < 0.5 else start,
            "timezone": zone.arg,
        }
        if rng.random() < 0.5:
            cal_kw["end_date"] = start + timedelta(days=rng.randint(0, 800))
        members = [Spec("calendarinterval", cal_kw), Spec("cron", cron_kw)]
        rng.shuffle(members)
        eff = zone.eff or UTC
        first = datetime.combine(start, time(hour, minute, second)).replace(tzinfo=eff)
        now_instant = first.astimezone(UTC) - timedelta(seconds=rng.uniform(0, 10 * 86400))
        now = express(rng, now_instant, zone)
    else:
        # a date trigger on a time the cron trigger fires at
        cron_kw = valid_cron_kwargs(rng, zone, anchor)
        cron_kw.pop("jitter", None)
        cron_kw.pop("start_date", None)
        now = express(rng, anchor, zone)
        try:
            with time_limit(1.0):
                first = Spec("cron", cron_kw).build(REF).get_next_fire_time(None, now)
        except (Exception, TimeLimitExceeded):
            first = None
        if first is None:
            return None  # nothing to agree on: gen_and() tries again
        run_date = first if rng.random() < 0.7 else first.astimezone(UTC)
        members = [Spec("date", {"run_date": run_date}), Spec("cron", cron_kw)]
        rng.shuffle(members)
    kwargs = {"members": members}
    jitter = pick_jitter(rng)
    if jitter is not None:
        kwargs["jitter"] = jitter
    case = make_case(rng, label, Spec("and", kwargs), now, seed)
    # Pre-flight in the reference: discard the (rare) case that would hang it.
    try:
        with time_limit(2.0):
            run_chain(case.spec.build(REF), case)
    except TimeLimitExceeded:
        DISCARDED["and"] += 1
        DISCARDED_EXAMPLES.append(case.header())
        return None
    except Exception:  # noqa: BLE001 - compared later
        pass
    return case


# ---------------------------------------------------------------------------------------
# The batches
# ---------------------------------------------------------------------------------------

Generator = Callable[[random.Random, str, int], Case | None]

#: kind -> (generator, number of test batches, cases per batch)
KINDS: dict[str, tuple[Generator, int, int]] = {
    "cron": (gen_cron, 36, 200),
    "crontab": (gen_crontab, 10, 250),
    "interval": (gen_interval, 8, 500),
    "date": (gen_date, 4, 750),
    "calendarinterval": (gen_calendarinterval, 8, 400),
    "or": (gen_or, 8, 150),
    "and": (gen_and, 4, 100),
}
BATCHES = [(kind, b) for kind, (_, nb, _) in KINDS.items() for b in range(nb)]


@pytest.mark.parametrize(("kind", "batch"), BATCHES, ids=[f"{k}-{b}" for k, b in BATCHES])
def test_random_cases(kind: str, batch: int) -> None:
    generator, _, per_batch = KINDS[kind]
    count = max(1, round(per_batch * SCALE))
    problems: list[str] = []
    compared = 0
    for index in range(count):
        seed = (BASE_SEED * 1000 + batch) * 100_000 + index
        rng = random.Random(f"{kind}:{BASE_SEED}:{batch}:{index}")
        label = f"{kind} APSRS_DIFF_SEED={BASE_SEED} batch={batch} index={index}"
        case = generator(rng, label, seed)
        if case is None:
            continue
        problems.extend(compare_case(case))
        compared += 1
    CASE_COUNTS[kind] += compared
    RUN_TESTS.add(f"{kind}-{batch}")
    assert_no_problems(problems, compared)


# ---------------------------------------------------------------------------------------
# Hypothesis-driven cases (shrinking gives small counterexamples)
# ---------------------------------------------------------------------------------------

HYPOTHESIS_SETTINGS = settings(
    max_examples=max(1, round(250 * SCALE)),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ZONE_ARGS = st.sampled_from(DST_ZONES + UTC_ZONES + FIXED_ZONES)
INSTANTS = st.one_of(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda tr, secs: tr.instant + timedelta(seconds=secs),
        st.sampled_from(all_transitions()),
        st.floats(min_value=-7200, max_value=7200).map(lambda s: round(s, 6)),
    ),
)


def _field_strategy(fld: str) -> st.SearchStrategy[str]:
    lo, hi = GEN_RANGE[fld]
    value = st.integers(lo, hi)
    piece = st.one_of(
        st.just("*"),
        st.integers(1, 30).map(lambda n: f"*/{n}"),
        value.map(str),
        st.tuples(value, value).map(lambda ab: f"{min(ab)}-{max(ab)}"),
        st.tuples(value, value, st.integers(1, 30)).map(
            lambda abn: f"{min(abn[:2])}-{max(abn[:2])}/{abn[2]}"
        ),
    )
    if fld == "day":
        piece = st.one_of(
            piece,
            st.just("last"),
            st.tuples(st.sampled_from(POSITIONS), st.sampled_from(WEEKDAYS)).map(" ".join),
        )
    if fld == "day_of_week":
        piece = st.one_of(piece, st.sampled_from(WEEKDAYS), st.just("mon-fri"))
    if fld == "year":
        piece = st.one_of(value.map(str), st.just("2000-2060"))
    return st.lists(piece, min_size=1, max_size=3).map(",".join)


@st.composite
def cron_cases(draw: st.DrawFn) -> Case:
    fields = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=4, unique=True))
    kwargs: dict[str, Any] = {
        f: draw(_field_strategy(f)) for f in sorted(fields, key=FIELD_NAMES.index)
    }
    if "year" not in kwargs:
        kwargs["year"] = draw(_field_strategy("year"))
    zone = draw(ZONE_ARGS)
    kwargs["timezone"] = zone.arg
    if draw(st.booleans()):
        kwargs["jitter"] = draw(st.sampled_from([1, 10, 60]))
    now = draw(INSTANTS).astimezone(draw(st.sampled_from([zone.eff, UTC])))
    return Case("hypothesis cron", Spec("cron", kwargs), now, seed=draw(st.integers(0, 10**6)))


@st.composite
def interval_cases(draw: st.DrawFn) -> Case:
    kwargs: dict[str, Any] = {
        unit: draw(st.integers(0, hi))
        for unit, (_, hi) in INTERVAL_UNITS.items()
        if draw(st.booleans())
    }
    zone = draw(ZONE_ARGS)
    kwargs["timezone"] = zone.arg
    start = draw(INSTANTS)
    if draw(st.booleans()):
        kwargs["start_date"] = start.astimezone(zone.eff).replace(tzinfo=None)
    else:
        kwargs["start_date"] = start.astimezone(zone.eff)
    if draw(st.booleans()):
        kwargs["end_date"] = draw(INSTANTS)
    now = (start + timedelta(seconds=draw(st.integers(-3600, 10**6)))).astimezone(zone.eff)
    return Case("hypothesis interval", Spec("interval", kwargs), now, delays=[timedelta(0)] * 19)


@st.composite
def calendarinterval_cases(draw: st.DrawFn) -> Case:
    kwargs: dict[str, Any] = {
        "years": draw(st.integers(0, 2)),
        "months": draw(st.integers(0, 13)),
        "weeks": draw(st.integers(0, 3)),
        "days": draw(st.integers(0, 40)),
        "hour": draw(st.integers(0, 23)),
        "minute": draw(st.integers(0, 59)),
        "second": draw(st.integers(0, 59)),
    }
    zone = draw(ZONE_ARGS)
    kwargs["timezone"] = zone.arg
    start = draw(INSTANTS).astimezone(zone.eff).date()
    kwargs["start_date"] = start
    if draw(st.booleans()):
        kwargs["end_date"] = start + timedelta(days=draw(st.integers(-5, 1000)))
    now = draw(INSTANTS)
    return Case("hypothesis calendarinterval", Spec("calendarinterval", kwargs), now)


def _hypothesis_check(kind: str, case: Case) -> None:
    CASE_COUNTS[kind] += 1
    assert_no_problems(compare_case(case), 1)


@HYPOTHESIS_SETTINGS
@given(cron_cases())
def test_hypothesis_cron(case: Case) -> None:
    _hypothesis_check("hypothesis-cron", case)


@HYPOTHESIS_SETTINGS
@given(interval_cases())
def test_hypothesis_interval(case: Case) -> None:
    _hypothesis_check("hypothesis-interval", case)


@HYPOTHESIS_SETTINGS
@given(calendarinterval_cases())
def test_hypothesis_calendarinterval(case: Case) -> None:
    _hypothesis_check("hypothesis-calendarinterval", case)


# ---------------------------------------------------------------------------------------
# Bookkeeping (keep this test last in the module)
# ---------------------------------------------------------------------------------------


def test_zz_number_of_compared_cases() -> None:
    missing = [f"{k}-{b}" for k, b in BATCHES if f"{k}-{b}" not in RUN_TESTS]
    if missing:
        pytest.skip(f"only part of the differential suite ran ({len(missing)} batches missing)")
    total = sum(CASE_COUNTS.values())
    print(f"\ncompared cases: {total} {dict(CASE_COUNTS)}; discarded: {dict(DISCARDED)}")
    assert DISCARDED["and"] <= 0.05 * CASE_COUNTS["and"] + 5, DISCARDED
    if SCALE >= 1:
        assert total >= MIN_CASES, f"only {total} cases compared: {dict(CASE_COUNTS)}"
