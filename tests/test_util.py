"""Differential tests: apscheduler_rs.util must behave like apscheduler.util (3.11.3).

Every helper is run on the same inputs through both implementations and the outcomes
(return value, or exception class and message) are compared. The only intended
difference is the richer ValueError message convert_to_datetime() gives for bad
strings; those cases are compared by class and message prefix instead.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import subprocess
import sys
import textwrap
import time as time_module
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import partial, wraps
from pathlib import Path
from zoneinfo import ZoneInfo

import apscheduler.util as ref
import pytest
import pytz
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apscheduler_rs import util

UTC = timezone.utc
UTIL_PATH = Path(__file__).resolve().parents[1] / "python" / "apscheduler_rs" / "util.py"

# --------------------------------------------------------------------------------------
# comparison machinery
# --------------------------------------------------------------------------------------


def outcome(func, *args):
    try:
        return ("ok", func(*args))
    except Exception as exc:
        return ("raised", type(exc), str(exc))


def same_value(ours, theirs) -> bool:
    if type(ours) is not type(theirs):
        return False
    if isinstance(ours, float) and math.isnan(ours):
        return math.isnan(theirs)
    if isinstance(ours, datetime):
        # repr() covers the wall fields, fold and the tzinfo; == covers the instant.
        return repr(ours) == repr(theirs) and ours == theirs
    if isinstance(ours, tzinfo):
        return repr(ours) == repr(theirs) and ours == theirs
    return ours == theirs


def compare(name, *args):
    """Run util.<name> and ref.<name> on args; assert identical outcomes; return ours."""
    ours = outcome(getattr(util, name), *args)
    theirs = outcome(getattr(ref, name), *args)
    if ours[0] == "ok" and theirs[0] == "ok":
        assert same_value(ours[1], theirs[1]), (name, args, ours, theirs)
    else:
        assert ours == theirs, (name, args, ours, theirs)
    return ours


def compare_convert(value, tz, arg_name="run_date"):
    """Like compare() but allows the deliberately improved message for bad strings."""
    ours = outcome(util.convert_to_datetime, value, tz, arg_name)
    theirs = outcome(ref.convert_to_datetime, value, tz, arg_name)
    if ours[0] == "ok" or theirs[0] == "ok":
        assert ours[0] == theirs[0] == "ok", (value, tz, ours, theirs)
        assert same_value(ours[1], theirs[1]), (value, tz, ours, theirs)
        return ours

    assert ours[1] is theirs[1], (value, tz, ours, theirs)
    if is_parse_error(value):
        assert ours[2] == f"{theirs[2]} ({arg_name}={value!r})"
    else:
        # e.g. a valid string whose wall time cannot be expressed in tz: not annotated
        assert ours[2] == theirs[2]
    return ours


def is_parse_error(value) -> bool:
    """True if the reference rejects the string itself rather than failing to localize it.

    Parse errors are raised directly in convert_to_datetime() (by it or by the C datetime
    constructors), localization errors further down in localize()/normalize().
    """
    if not isinstance(value, str):
        return False
    try:
        ref.convert_to_datetime(value, timezone.utc, "x")
    except ValueError as exc:
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        return tb.tb_frame.f_code.co_name == "convert_to_datetime"
    return False


# --------------------------------------------------------------------------------------
# fixtures shared by several tests
# --------------------------------------------------------------------------------------


class LocalTz(tzinfo):
    """Mimics the un-named "local" zones old tzlocal versions returned."""

    def utcoffset(self, dt):
        return timedelta(hours=2)

    def dst(self, dt):
        return timedelta(0)

    def tzname(self, dt):
        return "local"


class PlainTz(tzinfo):
    """A third-party style tzinfo with neither a key nor pytz's API."""

    def utcoffset(self, dt):
        return timedelta(hours=-3)

    def dst(self, dt):
        return timedelta(0)

    def tzname(self, dt):
        return "PLAIN"

    def __repr__(self):
        return "PlainTz()"


TZ_ARGS = [
    None,
    timezone.utc,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=-8), "PST"),
    ZoneInfo("Europe/Helsinki"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Lord_Howe"),
    pytz.utc,
    pytz.timezone("Europe/Helsinki"),
    pytz.timezone("America/Sao_Paulo"),
    pytz.FixedOffset(-90),
    PlainTz(),
    "UTC",
    "Europe/Berlin",
    "Asia/Kathmandu",
]
AWARE_TZS = [tz for tz in TZ_ARGS if isinstance(tz, tzinfo)]


def make_aware(naive: datetime, tz: tzinfo) -> datetime:
    if hasattr(tz, "localize"):
        return tz.localize(naive)
    return naive.replace(tzinfo=tz)


# --------------------------------------------------------------------------------------
# module surface
# --------------------------------------------------------------------------------------


def test_all_matches_reference():
    assert set(util.__all__) == set(ref.__all__)
    for name in util.__all__:
        assert hasattr(util, name), name


@pytest.mark.parametrize(
    "name",
    [
        "asdate",
        "timedelta_seconds",
        "datetime_utc_add",
        "datetime_repr",
        "timezone_repr",
        "iscoroutinefunction_partial",
    ],
)
def test_helpers_outside_all_exist(name):
    assert callable(getattr(util, name))


def test_undefined():
    assert not util.undefined
    assert bool(util.undefined) is bool(ref.undefined) is False
    assert repr(util.undefined) == repr(ref.undefined) == "<undefined>"
    assert util.undefined is not None
    assert util.undefined is util.undefined


def test_utc_constant():
    assert util.UTC is timezone.utc


def test_import_is_light_and_independent():
    """util.py alone must not pull in apscheduler, nor the costly inspect/asyncio."""
    code = textwrap.dedent(
        f"""
        import importlib.util, sys
        before = set(sys.modules)
        spec = importlib.util.spec_from_file_location("isolated_util", {str(UTIL_PATH)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        new = set(sys.modules) - before
        print(sorted(m for m in new if m.split(".")[0] in
              {{"apscheduler", "asyncio", "inspect", "calendar", "typing"}}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------
# asint / asbool / asdate
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [None, "0", "5", " 7 ", "-12", "1_000", "0x10", "", "x", "1.5", 3, 3.9, True]
)
def test_asint(value):
    compare("asint", value)


def test_asint_values():
    assert util.asint(None) is None
    assert util.asint("42") == 42
    with pytest.raises(ValueError):
        util.asint("forty")


@given(st.text(max_size=8) | st.integers() | st.none())
def test_asint_random(value):
    compare("asint", value)


TRUE_STRINGS = ["true", "Yes", " on ", "Y", "t", "1", "TRUE"]
FALSE_STRINGS = ["false", "No", " off", "n", "F", "0", "FALSE "]


@pytest.mark.parametrize("value", TRUE_STRINGS + FALSE_STRINGS)
def test_asbool_words(value):
    result = compare("asbool", value)
    assert result == ("ok", value in TRUE_STRINGS)


@pytest.mark.parametrize(
    "value", ["", "maybe", " MaYbE ", "2", "truee", 0, 1, 2, 0.0, [], [0], None, object()]
)
def test_asbool_other(value):
    compare("asbool", value)


def test_asbool_error_message():
    with pytest.raises(ValueError, match=r'^Unable to interpret value "maybe" as boolean$'):
        util.asbool("  MAYBE ")


@given(st.text(max_size=6))
def test_asbool_random(value):
    compare("asbool", value)


@pytest.mark.parametrize(
    "value",
    [None, "2020-02-29", "2021-02-29", "20200102", "bad", "", date(2020, 1, 2),
     datetime(2020, 1, 2, 3, 4), 5],
)  # fmt: skip
def test_asdate(value):
    compare("asdate", value)


def test_asdate_values():
    assert util.asdate("2020-02-29") == date(2020, 2, 29)
    d = date(2001, 1, 1)
    assert util.asdate(d) is d


# --------------------------------------------------------------------------------------
# astimezone / timezone_repr
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        "UTC",
        "Europe/Helsinki",
        "America/Argentina/Buenos_Aires",
        "Etc/GMT+5",
        "utc",
        "Nowhere/Land",
        "../etc/passwd",
        "",
        timezone.utc,
        timezone(timedelta(hours=3)),
        timezone(timedelta(hours=-4), "Custom"),
        ZoneInfo("Asia/Tokyo"),
        pytz.utc,
        pytz.timezone("Europe/Helsinki"),
        pytz.timezone("US/Eastern"),
        PlainTz(),
        LocalTz(),
        5,
        1.5,
        b"UTC",
        date(2020, 1, 1),
    ],
    ids=repr,
)
def test_astimezone(value):
    compare("astimezone", value)


def test_astimezone_values():
    assert util.astimezone("UTC") is timezone.utc
    assert util.astimezone("Europe/Helsinki") == ZoneInfo("Europe/Helsinki")
    zone = ZoneInfo("Asia/Tokyo")
    assert util.astimezone(zone) is zone
    assert util.astimezone(pytz.timezone("Europe/Paris")) == ZoneInfo("Europe/Paris")
    assert util.astimezone(pytz.utc) == ZoneInfo("UTC")
    assert util.astimezone(pytz.FixedOffset(90)) == timezone(timedelta(minutes=90))
    plain = PlainTz()
    assert util.astimezone(plain) is plain
    assert util.astimezone(None) is None
    with pytest.raises(ValueError, match="local timezone"):
        util.astimezone(LocalTz())
    with pytest.raises(TypeError, match="^Expected tzinfo, got int instead$"):
        util.astimezone(5)


@pytest.mark.parametrize("minutes", [90, -330, 1, 1439, -1439])
def test_astimezone_pytz_fixed_offset(minutes):
    """Deliberate fix: the reference crashes on non-UTC pytz.FixedOffset zones."""
    zone = pytz.FixedOffset(minutes)
    with pytest.raises(AttributeError, match="_offset"):
        ref.astimezone(zone)

    result = util.astimezone(zone)
    assert type(result) is timezone
    assert result == timezone(timedelta(minutes=minutes))
    assert result.utcoffset(None) == zone.utcoffset(None)


def test_astimezone_pytz_fixed_offset_zero_is_utc():
    assert pytz.FixedOffset(0) is pytz.utc
    compare("astimezone", pytz.FixedOffset(0))
    assert util.astimezone(pytz.FixedOffset(0)) == ZoneInfo("UTC")


def test_astimezone_tzlocal():
    tzlocal = pytest.importorskip("tzlocal")
    compare("astimezone", tzlocal.get_localzone())


@settings(max_examples=50)
@given(st.timezones())
def test_astimezone_random_zoneinfo(zone):
    compare("astimezone", zone)
    compare("astimezone", zone.key)
    compare("timezone_repr", zone)


@pytest.mark.parametrize("zone", AWARE_TZS + [LocalTz()], ids=repr)
def test_timezone_repr(zone):
    compare("timezone_repr", zone)


def test_timezone_repr_values():
    assert util.timezone_repr(ZoneInfo("Europe/Helsinki")) == "Europe/Helsinki"
    assert util.timezone_repr(timezone.utc) == "datetime.timezone.utc"


# --------------------------------------------------------------------------------------
# convert_to_datetime
# --------------------------------------------------------------------------------------

VALID_STRINGS = [
    "2009-08-01",
    "2009-8-1",
    "2009-08-01 12:30:45",
    "2009-08-01T12:30:45",
    "2009-8-1 1:2:3",
    "2009-08-01 12:30:45.123456",
    "2009-08-01 12:30:45.5",  # 5 microseconds, not half a second (APScheduler quirk)
    "2009-08-01 12:30:45Z",
    "2009-08-01T12:30:45.000001Z",
    "2009-08-01 12:30:45+02:00",
    "2009-08-01 12:30:45-05:30",
    "2009-08-01 12:30:45.250+09:45",
    "2009-08-01 12:30:45+00:00",
    "2009-08-01 12:30:45-00:00",
    "2020-02-29",
    "2009-08-01\n",  # $ also matches before a trailing newline
    "\u0662\u0660\u0662\u0660-\u0660\u0661-\u0660\u0662",  # Arabic-Indic digits
    "2021-03-28 03:30:00",  # inside the EU spring-forward gap
    "2021-10-31 03:30:00",  # inside the EU autumn overlap
    "2021-03-14 02:30:00",  # inside the US spring-forward gap
    "9999-12-31 23:59:59",
    "0001-01-01 00:00:00",
]

INVALID_STRINGS = [
    "",
    "foo",
    "2009",
    "09-08-01",
    "2009/08/01",
    "2009-08-01 ",
    " 2009-08-01",
    "2009-08-01 12:30",
    "2009-08-01 12:30:45.1234567",
    "2009-08-01 12:30:45.",
    "2009-08-01 12:30:45z",
    "2009-08-01 12:30:45+0200",
    "2009-08-01 12:30:45+2:00",
    "2009-08-01 12:30:45 +02:00",
    "2009-08-01 12:30:45UTC",
    "2009-08-01Z",
    "2019-01-0x",
    "2009-008-01",
    "20090-08-01",
    "2009-08-01\n\n",
]

IMPOSSIBLE_STRINGS = [
    "2019-13-45 00:00:00",
    "2019-00-01",
    "2019-02-29",
    "2019-04-31",
    "0000-01-01",
    "2009-08-01 24:00:00",
    "2009-08-01 23:60:00",
    "2009-08-01 23:59:60",
    "2009-08-01 12:30:45+24:00",
    "2009-08-01 12:30:45-99:99",
    "2009-99-99 12:30:45+99:00",  # offset is checked before the date
    # parses, but the offset is then used to localize and year 0 is out of range: this
    # error comes from localizing, so its message is left as it is
    "0001-01-01 00:00:00+05:00",
]


@pytest.mark.parametrize("value", VALID_STRINGS)
@pytest.mark.parametrize("tz", TZ_ARGS, ids=repr)
def test_convert_valid_strings(value, tz):
    compare_convert(value, tz)


@pytest.mark.parametrize("value", INVALID_STRINGS + IMPOSSIBLE_STRINGS)
@pytest.mark.parametrize("tz", [None, timezone.utc, "Europe/Berlin"], ids=repr)
def test_convert_bad_strings(value, tz):
    compare_convert(value, tz)


@pytest.mark.parametrize("value", INVALID_STRINGS)
def test_convert_invalid_string_message(value):
    with pytest.raises(ValueError) as info:
        ref.convert_to_datetime(value, timezone.utc, "start_date")
    assert str(info.value) == "Invalid date string"

    with pytest.raises(ValueError) as info:
        util.convert_to_datetime(value, timezone.utc, "start_date")
    assert str(info.value) == f"Invalid date string (start_date={value!r})"


def test_convert_impossible_date_message():
    with pytest.raises(ValueError) as info:
        util.convert_to_datetime("2019-13-45 00:00:00", timezone.utc, "run_date")
    message = str(info.value)
    assert message.startswith("month must be in 1..12")
    assert "run_date" in message
    assert "'2019-13-45 00:00:00'" in message
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2009-08-01", datetime(2009, 8, 1, tzinfo=ZoneInfo("Europe/Helsinki"))),
        (
            "2009-08-01 12:30:45.5",
            datetime(2009, 8, 1, 12, 30, 45, 5, tzinfo=ZoneInfo("Europe/Helsinki")),
        ),
        ("2009-08-01T12:30:45Z", datetime(2009, 8, 1, 12, 30, 45, tzinfo=timezone.utc)),
        (
            "2009-08-01 12:30:45-05:30",
            datetime(2009, 8, 1, 12, 30, 45, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        # the nonexistent 03:30 is pushed forward by normalization
        ("2021-03-28 03:30:00", datetime(2021, 3, 28, 4, 30, tzinfo=ZoneInfo("Europe/Helsinki"))),
    ],
)
def test_convert_string_values(value, expected):
    result = util.convert_to_datetime(value, ZoneInfo("Europe/Helsinki"), "run_date")
    assert result == expected
    assert result.utcoffset() == expected.utcoffset()
    assert result.tzinfo == expected.tzinfo


def test_convert_string_tz_name():
    result = util.convert_to_datetime("2009-08-01 12:00:00", "Europe/Berlin", "run_date")
    assert result.tzinfo is ZoneInfo("Europe/Berlin")
    assert result.utcoffset() == timedelta(hours=2)


def test_convert_pytz_tz_uses_localize():
    zone = pytz.timezone("Europe/Helsinki")
    result = util.convert_to_datetime("2009-08-01 12:00:00", zone, "run_date")
    assert result.tzinfo.zone == "Europe/Helsinki"
    assert result.utcoffset() == timedelta(hours=3)
    compare_convert("2009-08-01 12:00:00", zone)


@pytest.mark.parametrize("tz", TZ_ARGS, ids=repr)
@pytest.mark.parametrize(
    "value",
    [
        None,
        date(2020, 1, 2),
        date(2021, 3, 28),
        datetime(2020, 1, 2, 3, 4, 5, 6),
        datetime(2021, 3, 28, 3, 30),
        datetime(2021, 10, 31, 3, 30, fold=1),
        datetime(2020, 1, 2, 3, 4, tzinfo=timezone.utc),
        datetime(2020, 1, 2, 3, 4, tzinfo=ZoneInfo("Asia/Tokyo")),
        pytz.timezone("Europe/Helsinki").localize(datetime(2020, 7, 1, 12)),
    ],
    ids=repr,
)
def test_convert_objects(value, tz):
    compare_convert(value, tz)


def test_convert_aware_passthrough():
    value = datetime(2020, 1, 2, 3, 4, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert util.convert_to_datetime(value, ZoneInfo("Europe/Helsinki"), "run_date") is value
    assert util.convert_to_datetime(None, timezone.utc, "run_date") is None


@pytest.mark.parametrize("value", [5, 1.5, b"2020-01-01", [2020, 1, 1], time(12, 0)], ids=repr)
def test_convert_unsupported_types(value):
    ours = compare_convert(value, timezone.utc, "end_date")
    assert ours[:2] == ("raised", TypeError)
    assert ours[2] == f"Unsupported type for end_date: {type(value).__name__}"


@pytest.mark.parametrize("value", ["2020-01-01", date(2020, 1, 1), datetime(2020, 1, 1)])
def test_convert_missing_tz(value):
    ours = compare_convert(value, None, "start_date")
    assert ours == (
        "raised",
        ValueError,
        'The "tz" argument must be specified if start_date has no timezone information',
    )


def test_convert_unknown_tz_name():
    ours = compare_convert("2020-01-01", "Nowhere/Land")
    assert ours[0] == "raised"


DIGITS = "0123456789"


@st.composite
def date_strings(draw):
    """Strings close to the accepted grammar: matches, impossible dates and near misses."""

    def field(lo, hi, width):
        # mostly plausible values, sometimes out of range; padding width varies too
        wild = draw(st.integers(0, 7)) == 0
        value = draw(st.integers(0, 10 ** (width + 1) - 1) if wild else st.integers(lo, hi))
        pad = draw(st.sampled_from([width] * 6 + [1, width + 1]))
        return str(value).zfill(pad)

    text = f"{field(1, 9999, 4)}{draw(st.sampled_from('---/'))}"
    text += f"{field(1, 12, 2)}-{field(1, 31, 2)}"
    if draw(st.booleans()):
        text += draw(st.sampled_from([" ", "T", " ", "T", "t", "_"]))
        text += f"{field(0, 23, 2)}:{field(0, 59, 2)}:{field(0, 59, 2)}"
        if draw(st.booleans()):
            text += "." + draw(st.text(DIGITS, min_size=0, max_size=7))
        sign = draw(st.sampled_from("+-"))
        text += draw(
            st.sampled_from(["", "", "", "Z", "Z", "z", "+", "+0000"])
            | st.just(f"{sign}{field(0, 23, 2)}:{field(0, 59, 2)}")
        )
    text += draw(st.sampled_from([""] * 12 + ["\n", " ", "x"]))
    return text


@st.composite
def well_formed_date_strings(draw):
    """Strings that always match the grammar; most denote real dates."""
    when = draw(st.datetimes(min_value=datetime(1000, 1, 1)))
    text = f"{when.year:04d}-{when.month}-{when.day:02d}"
    if draw(st.booleans()):
        text += f"{draw(st.sampled_from(' T'))}{when.hour}:{when.minute:02d}:{when.second}"
        if when.microsecond:
            text += f".{when.microsecond}"
        if draw(st.booleans()):
            offset = draw(st.integers(-23 * 60 - 59, 23 * 60 + 59))
            sign = "-" if offset < 0 else "+"
            text += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
        elif draw(st.booleans()):
            text += "Z"
    return text


tz_args = st.sampled_from(TZ_ARGS)


@settings(max_examples=300)
@given(date_strings() | st.text(max_size=30), tz_args)
@example("2019-13-45 00:00:00", None)
@example("2019-01-0x", timezone.utc)
def test_convert_random_strings(value, tz):
    compare_convert(value, tz, "start_date")


@settings(max_examples=300)
@given(well_formed_date_strings(), tz_args.filter(lambda tz: tz is not None))
def test_convert_random_well_formed_strings(value, tz):
    ours = compare_convert(value, tz, "run_date")
    assert ours[0] == "ok", ours
    assert ours[1].tzinfo is not None


naive_datetimes = st.datetimes()
aware_datetimes = st.builds(make_aware, st.datetimes(), st.sampled_from(AWARE_TZS)) | st.datetimes(
    timezones=st.timezones()
)


@given(naive_datetimes | aware_datetimes | st.dates(), tz_args)
def test_convert_random_objects(value, tz):
    compare_convert(value, tz, "end_date")


# --------------------------------------------------------------------------------------
# timestamps, timedelta and datetime arithmetic
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(1970, 1, 1),
        datetime(1970, 1, 1, tzinfo=timezone.utc),
        datetime(2020, 1, 2, 3, 4, 5, 678901),
        datetime(2020, 1, 2, 3, 4, 5, 678901, tzinfo=ZoneInfo("Europe/Helsinki")),
        datetime(1960, 6, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=-7))),
        datetime(1, 1, 1),
        datetime(9999, 12, 31, 23, 59, 59, 999999),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-2))),
    ],
    ids=repr,
)
def test_datetime_to_utc_timestamp(value):
    compare("datetime_to_utc_timestamp", value)


def test_datetime_to_utc_timestamp_values():
    assert util.datetime_to_utc_timestamp(None) is None
    assert util.datetime_to_utc_timestamp(datetime(1970, 1, 1, 0, 0, 1, 500000)) == 1.5
    aware = datetime(2020, 1, 1, 2, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert util.datetime_to_utc_timestamp(aware) == 1577836800.0


@given(naive_datetimes | aware_datetimes)
def test_datetime_to_utc_timestamp_random(value):
    compare("datetime_to_utc_timestamp", value)


# within a few centuries of 1970 a float still resolves microseconds
@given(
    st.datetimes(
        min_value=datetime(1700, 1, 1), max_value=datetime(2240, 1, 1), timezones=st.just(UTC)
    )
)
def test_timestamp_round_trip(value):
    stamp = util.datetime_to_utc_timestamp(value)
    back = util.utc_timestamp_to_datetime(stamp)
    assert back.tzinfo is timezone.utc
    assert abs(back - value) <= timedelta(microseconds=1)


@pytest.mark.parametrize(
    "value", [None, 0, 0.5, -1.25, 1577836800.123456, 1e11, 1e20, -1e20, float("nan"), "1"]
)
def test_utc_timestamp_to_datetime(value):
    compare("utc_timestamp_to_datetime", value)


@given(st.floats(allow_nan=False) | st.integers(-(2**40), 2**40))
def test_utc_timestamp_to_datetime_random(value):
    compare("utc_timestamp_to_datetime", value)


@pytest.mark.parametrize(
    "value",
    [timedelta(0), timedelta(seconds=1.5), timedelta(days=-1, microseconds=3),
     timedelta.max, timedelta.min, timedelta(days=10**6, microseconds=1)],
)  # fmt: skip
def test_timedelta_seconds(value):
    compare("timedelta_seconds", value)


@given(st.timedeltas())
def test_timedelta_seconds_random(value):
    ours = compare("timedelta_seconds", value)
    assert ours[1] == pytest.approx(value.total_seconds(), rel=1e-12, abs=1e-6)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2020, 1, 1, 12, 0, 0),
        datetime(2020, 1, 1, 12, 0, 0, 1),
        datetime(2020, 12, 31, 23, 59, 59, 999999),
        datetime(2021, 3, 28, 2, 59, 59, 500000, tzinfo=ZoneInfo("Europe/Helsinki")),
        datetime(2021, 10, 31, 3, 59, 59, 1, tzinfo=ZoneInfo("Europe/Helsinki")),
        datetime(2021, 10, 31, 3, 59, 59, 1, fold=1, tzinfo=ZoneInfo("Europe/Helsinki")),
        pytz.timezone("Europe/Helsinki").localize(datetime(2021, 3, 28, 2, 59, 59, 5)),
        datetime(9999, 12, 31, 23, 59, 59, 1),
    ],
    ids=repr,
)
def test_datetime_ceil(value):
    compare("datetime_ceil", value)


def test_datetime_ceil_values():
    value = datetime(2020, 1, 1, 12, 0, 0)
    assert util.datetime_ceil(value) is value
    assert util.datetime_ceil(datetime(2020, 1, 1, 12, 0, 0, 1)) == datetime(2020, 1, 1, 12, 0, 1)
    # crossing into the DST gap jumps the wall clock by an hour
    helsinki = ZoneInfo("Europe/Helsinki")
    result = util.datetime_ceil(datetime(2021, 3, 28, 2, 59, 59, 500000, tzinfo=helsinki))
    assert (result.hour, result.minute, result.second) == (4, 0, 0)


@given(naive_datetimes | aware_datetimes)
def test_datetime_ceil_random(value):
    compare("datetime_ceil", value)


@given(naive_datetimes | aware_datetimes, st.timedeltas(min_value=-timedelta(days=800),
       max_value=timedelta(days=800)))  # fmt: skip
def test_datetime_utc_add_random(value, delta):
    compare("datetime_utc_add", value, delta)


def test_datetime_utc_add_across_dst():
    helsinki = ZoneInfo("Europe/Helsinki")
    start = datetime(2021, 3, 28, 2, 30, tzinfo=helsinki)
    result = util.datetime_utc_add(start, timedelta(hours=1))
    assert result == datetime(2021, 3, 28, 4, 30, tzinfo=helsinki)
    assert result.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=1)
    compare("datetime_utc_add", start, timedelta(hours=1))
    naive = datetime(2021, 3, 28, 2, 30)
    assert util.datetime_utc_add(naive, timedelta(hours=1)) == datetime(2021, 3, 28, 3, 30)


@pytest.mark.parametrize(
    "value",
    [
        None,
        datetime(2020, 1, 2, 3, 4, 5),
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        datetime(2020, 7, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/Helsinki")),
        pytz.timezone("America/New_York").localize(datetime(2020, 1, 2)),
        datetime(2020, 1, 2, tzinfo=PlainTz()),
    ],
    ids=repr,
)
def test_datetime_repr(value):
    compare("datetime_repr", value)


def test_datetime_repr_values():
    assert util.datetime_repr(None) == "None"
    value = datetime(2020, 7, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert util.datetime_repr(value) == "2020-07-02 03:04:05 EEST"


@given(naive_datetimes | aware_datetimes)
def test_datetime_repr_random(value):
    compare("datetime_repr", value)


# --------------------------------------------------------------------------------------
# normalize / localize
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        datetime(2021, 3, 28, 3, 30, tzinfo=ZoneInfo("Europe/Helsinki")),
        datetime(2021, 10, 31, 3, 30, tzinfo=ZoneInfo("Europe/Helsinki")),
        datetime(2021, 10, 31, 3, 30, fold=1, tzinfo=ZoneInfo("Europe/Helsinki")),
        datetime(2021, 6, 1, 12, tzinfo=timezone.utc),
        pytz.timezone("Europe/Helsinki").localize(datetime(2021, 6, 1, 12)),
        datetime(2021, 6, 1, 12),
    ],
    ids=repr,
)
def test_normalize(value):
    compare("normalize", value)


def test_normalize_values():
    helsinki = ZoneInfo("Europe/Helsinki")
    gap = datetime(2021, 3, 28, 3, 30, tzinfo=helsinki)
    assert util.normalize(gap) == datetime(2021, 3, 28, 4, 30, tzinfo=helsinki)
    assert util.normalize(gap).tzinfo is helsinki


@given(aware_datetimes)
def test_normalize_random(value):
    compare("normalize", value)


@pytest.mark.parametrize("tz", AWARE_TZS, ids=repr)
@pytest.mark.parametrize(
    "value",
    [datetime(2021, 3, 28, 3, 30), datetime(2021, 10, 31, 3, 30), datetime(2021, 3, 14, 2, 30),
     datetime(2021, 11, 7, 1, 30), datetime(2020, 1, 1)],
    ids=repr,
)  # fmt: skip
def test_localize(value, tz):
    compare("localize", value, tz)


def test_localize_values():
    zone = pytz.timezone("Europe/Helsinki")
    result = util.localize(datetime(2021, 7, 1, 12), zone)
    assert result.tzinfo is not zone  # pytz swaps in the matching offset-specific tzinfo
    assert result.tzinfo.zone == "Europe/Helsinki"
    assert result.utcoffset() == timedelta(hours=3)
    result = util.localize(datetime(2021, 7, 1, 12), ZoneInfo("Europe/Helsinki"))
    assert result.utcoffset() == timedelta(hours=3)


@given(naive_datetimes, st.sampled_from(AWARE_TZS) | st.timezones())
def test_localize_random(value, tz):
    compare("localize", value, tz)


# --------------------------------------------------------------------------------------
# callables: names and references
# --------------------------------------------------------------------------------------


def module_function(a, b=1):
    return a


async def module_coroutine(a):
    return a


class Methods:
    def meth(self, a, b):
        pass

    @classmethod
    def cmeth(cls, a):
        pass

    @staticmethod
    def smeth(a, b=1):
        pass

    async def ameth(self):
        pass

    class Inner:
        def inner_meth(self):
            pass


class CallableInstance:
    def __call__(self, x, *, y):
        pass


class AsyncCallableInstance:
    async def __call__(self):
        pass


class InstanceCallAttr:
    """Not callable, but has a callable __call__ instance attribute."""

    def __init__(self):
        self.__call__ = module_function


class NoneCall:
    __call__ = None


class WithInit:
    def __init__(self, a, b=2):
        pass


def make_nested():
    def nested(x):
        return x

    return nested


def decorator(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@decorator
def decorated(a, b):
    pass


CALLABLES = [
    module_function,
    module_coroutine,
    Methods,
    Methods.meth,
    Methods().meth,
    Methods.cmeth,
    Methods().cmeth,
    Methods.smeth,
    Methods().ameth,
    Methods.Inner,
    Methods.Inner().inner_meth,
    CallableInstance(),
    CallableInstance,
    InstanceCallAttr(),
    WithInit,
    make_nested(),
    lambda: None,
    partial(module_function, 1),
    partial(partial(module_function), b=2),
    decorated,
    len,
    print,
    max,
    time_module.sleep,
    [].append,
    {}.get,
    str.upper,
    str.__dict__["upper"],
    dict,
    int,
    object,
    os.path.join,
    datetime.now,
    datetime(2020, 1, 1).isoformat,
    functools.reduce,
]
NON_CALLABLES = [1, "module_function", None, NoneCall(), object(), [1]]


@pytest.mark.parametrize("func", CALLABLES + NON_CALLABLES, ids=repr)
def test_get_callable_name(func):
    compare("get_callable_name", func)


@pytest.mark.parametrize(
    "func, expected",
    [
        (module_function, "module_function"),
        (Methods, "Methods"),
        (Methods.meth, "Methods.meth"),
        (Methods().meth, "Methods.meth"),
        (Methods.cmeth, "Methods.cmeth"),
        (Methods().cmeth, "Methods.cmeth"),
        (Methods.smeth, "Methods.smeth"),
        (Methods.Inner().inner_meth, "Methods.Inner.inner_meth"),
        (CallableInstance(), "CallableInstance"),
        (InstanceCallAttr(), "InstanceCallAttr"),
        (make_nested(), "make_nested.<locals>.nested"),
        (len, "len"),
        ([].append, "list.append"),
        (str.upper, "method_descriptor"),
        (partial(module_function), "partial"),
        (datetime.now, "datetime.now"),
    ],
    ids=repr,
)
def test_get_callable_name_values(func, expected):
    assert util.get_callable_name(func) == expected


@pytest.mark.parametrize("obj", NON_CALLABLES, ids=repr)
def test_get_callable_name_non_callable(obj):
    with pytest.raises(TypeError, match="maybe it is not a callable"):
        util.get_callable_name(obj)


@pytest.mark.parametrize("func", CALLABLES + NON_CALLABLES, ids=repr)
def test_obj_to_ref(func):
    compare("obj_to_ref", func)


def test_obj_to_ref_values():
    assert util.obj_to_ref(module_function) == f"{__name__}:module_function"
    assert util.obj_to_ref(Methods().meth) == f"{__name__}:Methods.meth"
    assert util.obj_to_ref(Methods.cmeth) == f"{__name__}:Methods.cmeth"
    assert util.obj_to_ref(os.path.join) == f"{os.path.__name__}:join"
    # builtin methods have __module__ None; kept as in APScheduler
    assert util.obj_to_ref(datetime.now) == "None:datetime.now"
    with pytest.raises(ValueError, match=r"^Cannot create a reference to a partial\(\)$"):
        util.obj_to_ref(partial(module_function))
    with pytest.raises(ValueError, match="^Cannot create a reference to a lambda$"):
        util.obj_to_ref(lambda: None)
    with pytest.raises(ValueError, match="^Cannot create a reference to a nested function$"):
        util.obj_to_ref(make_nested())
    with pytest.raises(TypeError):
        util.obj_to_ref(5)


@pytest.mark.parametrize(
    "func", [module_function, Methods, Methods.meth, Methods.cmeth, Methods.smeth, Methods.Inner,
             os.path.join, functools.reduce, len],
    ids=repr,
)  # fmt: skip
def test_ref_round_trip(func):
    ref_str = util.obj_to_ref(func)
    assert ref_str == ref.obj_to_ref(func)
    assert util.ref_to_obj(ref_str) == func
    assert ref.ref_to_obj(ref_str) == func


@pytest.mark.parametrize(
    "value",
    [
        "os:path",
        "os.path:join",
        "os:path.join",
        "datetime:datetime.now",
        f"{__name__}:Methods.Inner.inner_meth",
        "xml:dom",
        "os.path",
        "os:",
        "os::join",
        "os:path:join",
        ":join",
        ".os:path",
        "os:path.nonexistent",
        "os:nonexistent",
        "no_such_module_for_apscheduler_rs:foo",
        "os.no_such_submodule:foo",
        "",
        ":",
        5,
        None,
        b"os:path",
    ],
    ids=repr,
)
def test_ref_to_obj(value):
    ours = compare("ref_to_obj", value)
    if ours[0] == "ok":
        assert ours[1] == ref.ref_to_obj(value)


def test_ref_to_obj_imports_only_when_it_must(monkeypatch):
    """A plain module already imported is read from ``sys.modules``; a package
    (whose attribute path may name a submodule), a module still being imported,
    or one not imported yet goes through ``__import__`` as in APScheduler."""
    import builtins
    import importlib.machinery
    import types

    imported = []
    real_import = builtins.__import__

    def spy(name, *args, **kwargs):
        if name in ("apscheduler_rs.util", "xml", "apsrs_half_imported"):
            imported.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", spy)
    assert util.ref_to_obj("apscheduler_rs.util:ref_to_obj") is util.ref_to_obj
    assert imported == []
    assert util.ref_to_obj("xml:dom.minidom") is sys.modules["xml.dom.minidom"]
    assert imported == ["xml"]

    half_done = types.ModuleType("apsrs_half_imported")
    half_done.__spec__ = importlib.machinery.ModuleSpec("apsrs_half_imported", None)
    half_done.__spec__._initializing = True
    half_done.value = 1
    monkeypatch.setitem(sys.modules, "apsrs_half_imported", half_done)
    assert util.ref_to_obj("apsrs_half_imported:value") == 1
    assert imported == ["xml", "apsrs_half_imported"]


def test_ref_to_obj_values():
    assert util.ref_to_obj("os.path:join") is os.path.join
    assert util.ref_to_obj(f"{__name__}:Methods.cmeth") == Methods.cmeth
    with pytest.raises(TypeError, match="^References must be strings$"):
        util.ref_to_obj(5)
    with pytest.raises(ValueError, match="^Invalid reference$"):
        util.ref_to_obj("os.path")
    with pytest.raises(LookupError, match="could not import module") as info:
        util.ref_to_obj("no_such_module_for_apscheduler_rs:foo")
    assert isinstance(info.value.__cause__, ImportError)
    with pytest.raises(
        LookupError, match="^Error resolving reference os:nope: error looking up object$"
    ):
        util.ref_to_obj("os:nope")


def test_ref_to_obj_imports_submodule():
    """'pkg:sub.attr' imports pkg.sub if needed; checked in a fresh interpreter."""
    code = textwrap.dedent(
        """
        import sys
        from apscheduler_rs.util import ref_to_obj
        assert "wsgiref.simple_server" not in sys.modules
        print(ref_to_obj("wsgiref:simple_server.WSGIServer").__module__)
        """
    )
    env = dict(os.environ, PYTHONPATH=str(UTIL_PATH.parents[1]))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert result.stdout.strip() == "wsgiref.simple_server"


@pytest.fixture
def import_path(tmp_path, monkeypatch):
    (tmp_path / "aps_rs_broken_runtime.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "aps_rs_broken_import.py").write_text("import aps_rs_does_not_exist\n")
    (tmp_path / "aps_rs_fine.py").write_text("def f():\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("aps_rs_broken_runtime", "aps_rs_broken_import", "aps_rs_fine"):
        sys.modules.pop(name, None)


@pytest.mark.parametrize(
    "value",
    ["aps_rs_broken_runtime:x", "aps_rs_broken_import:x", "aps_rs_fine:f", "aps_rs_fine:g"],
)
def test_ref_to_obj_import_failures(import_path, value):
    compare("ref_to_obj", value)


def test_ref_to_obj_import_failure_kinds(import_path):
    with pytest.raises(RuntimeError, match="boom"):
        util.ref_to_obj("aps_rs_broken_runtime:x")
    with pytest.raises(LookupError, match="could not import module"):
        util.ref_to_obj("aps_rs_broken_import:x")


@pytest.mark.parametrize(
    "value", ["os.path:join", "nope:nope", "os.path", 5, None, module_function, [1]], ids=repr
)
def test_maybe_ref(value):
    ours = compare("maybe_ref", value)
    if not isinstance(value, str):
        assert ours[1] is value


def test_maybe_ref_values():
    assert util.maybe_ref("os.path:join") is os.path.join
    sentinel = object()
    assert util.maybe_ref(sentinel) is sentinel


# --------------------------------------------------------------------------------------
# check_callable_args
# --------------------------------------------------------------------------------------


def f_none():
    pass


def f_pos(a, b):
    pass


def f_defaults(a, b=1, c=2):
    pass


def f_posonly(a, b, /, c):
    pass


def f_posonly_default(a, b=1, /):
    pass


def f_kwonly(a, *, b, c=3):
    pass


def f_varargs(a, *args):
    pass


def f_varkw(a, **kwargs):
    pass


def f_everything(a, /, b, *args, c, d=4, **kwargs):
    pass


def f_named_like_varargs(args, kwargs=None):
    pass


SIGNATURE_TARGETS = [
    f_none,
    f_pos,
    f_defaults,
    f_posonly,
    f_posonly_default,
    f_kwonly,
    f_varargs,
    f_varkw,
    f_everything,
    f_named_like_varargs,
    module_coroutine,
    decorated,
    Methods,
    Methods().meth,
    Methods.meth,
    Methods.cmeth,
    Methods.smeth,
    CallableInstance(),
    WithInit,
    partial(f_pos, 1),
    partial(f_kwonly, b=2),
    partial(f_everything, 1, c=3),
    partial(f_posonly, 1, 2),
    lambda x, y=0: None,
    len,
    print,
    max,
    time_module.sleep,
    [].append,
    str.upper,
    dict,
    int,
    object,
]
KWARG_NAMES = ["a", "b", "c", "d", "x", "y", "args", "kwargs", "self", "obj"]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SIGNATURE_TARGETS),
    st.integers(0, 5),
    st.lists(st.sampled_from(KWARG_NAMES), unique=True, max_size=5),
)
def test_check_callable_args_random(func, nargs, kwarg_names):
    args = tuple(range(nargs))
    kwargs = {name: None for name in kwarg_names}
    compare("check_callable_args", func, args, kwargs)


@pytest.mark.parametrize(
    "func, args, kwargs, message",
    [
        (f_pos, (1, 2), {}, None),
        (f_pos, (1,), {"b": 2}, None),
        (f_pos, (), {"a": 1, "b": 2}, None),
        (f_pos, (1, 2), {"a": 1},
         "The following arguments are supplied in both args and kwargs: a"),
        (f_pos, (1,), {}, "The following arguments have not been supplied: b"),
        (f_pos, (1, 2, 3), {},
         "The list of positional arguments is longer than the target callable can handle "
         "(allowed: 2, given in args: 3)"),
        (f_pos, (1, 2), {"z": 1, "q": 2},
         "The target callable does not accept the following keyword arguments: z, q"),
        (f_posonly, (1,), {"b": 2, "c": 3},
         "The following arguments cannot be given as keyword arguments: b"),
        (f_kwonly, (1,), {}, "The following keyword-only arguments have not been supplied in "
         "kwargs: b"),
        (f_kwonly, (1, 2), {"b": 2},
         "The list of positional arguments is longer than the target callable can handle "
         "(allowed: 1, given in args: 2)"),
        (f_varargs, (1, 2, 3, 4), {}, None),
        (f_varkw, (1,), {"anything": 1}, None),
        (f_everything, (1, 2, 3), {"c": 1, "zz": 2}, None),
        (f_everything, (), {"a": 1, "b": 2, "c": 3},
         "The following arguments cannot be given as keyword arguments: a"),
        (decorated, (1, 2, 3, 4), {"q": 1}, None),  # follow_wrapped=False: sees *args/**kw
        (Methods().meth, (1, 2), {}, None),
        (Methods().meth, (1, 2, 3), {},
         "The list of positional arguments is longer than the target callable can handle "
         "(allowed: 2, given in args: 3)"),
        (partial(f_pos, 1), (2,), {}, None),
        (partial(f_pos, 1), (), {}, "The following arguments have not been supplied: b"),
        (WithInit, (1,), {}, None),
        (WithInit, (), {}, "The following arguments have not been supplied: a"),
        (len, ([],), {}, None),
        (len, (), {"obj": []},
         "The following arguments cannot be given as keyword arguments: obj"),
        (max, (), {"nonsense": 1}, None),  # no introspectable signature: accepted
        (dict, (1, 2, 3), {}, None),
        (CallableInstance(), (1,), {"y": 2}, None),
    ],
    ids=repr,
)  # fmt: skip
def test_check_callable_args_cases(func, args, kwargs, message):
    ours = compare("check_callable_args", func, args, kwargs)
    if message is None:
        assert ours == ("ok", None)
    else:
        assert ours == ("raised", ValueError, message)


@pytest.mark.parametrize("func", [5, None, "f_pos"], ids=repr)
def test_check_callable_args_non_callable(func):
    ours = compare("check_callable_args", func, (), {})
    assert ours[:2] == ("raised", TypeError)


def test_check_callable_args_accepts_lists():
    compare("check_callable_args", f_pos, [1, 2], {})
    util.check_callable_args(f_pos, [1, 2], {})


# --------------------------------------------------------------------------------------
# iscoroutinefunction_partial
# --------------------------------------------------------------------------------------


def legacy_marked():
    pass


legacy_marked._is_coroutine = asyncio.coroutines._is_coroutine


@pytest.mark.parametrize(
    "func, expected",
    [
        (module_coroutine, True),
        (partial(module_coroutine, 1), True),
        (partial(partial(module_coroutine), 1), True),
        (Methods().ameth, True),
        (module_function, False),
        (partial(module_function, 1), False),
        (Methods().meth, False),
        (lambda: None, False),
        (len, False),
        (AsyncCallableInstance(), False),
        (CallableInstance(), False),
        (legacy_marked, True),
        (partial(legacy_marked), True),
        (5, False),
    ],
    ids=repr,
)
def test_iscoroutinefunction_partial(func, expected):
    ours = compare("iscoroutinefunction_partial", func)
    assert ours == ("ok", expected)
