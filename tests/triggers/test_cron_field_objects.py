"""The cron field and expression classes (``CronTrigger.fields``) carry APScheduler
3.11.3's public methods and class attributes, with its results and exceptions:
``value_re``, ``validate_range``, ``get_next_value`` of every expression class and
``COMPILERS``, ``get_next_value`` and ``compile_expression`` of every field class.

The checks are differential: seeded random expressions, texts and dates (naive and
aware) run through the reference and the implementation under test, and every
disagreement is reported with the inputs that produced it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ._impl import IMPL, REF, SELF_CHECK


def _modules(prefix: str) -> tuple[ModuleType, ModuleType]:
    return (
        importlib.import_module(f"{prefix}.triggers.cron.expressions"),
        importlib.import_module(f"{prefix}.triggers.cron.fields"),
    )


IMPL_EXPRESSIONS, IMPL_FIELDS = _modules(IMPL.name)
REF_EXPRESSIONS, REF_FIELDS = _modules(REF.name)

EXPRESSION_CLASSES = [
    "AllExpression",
    "RangeExpression",
    "MonthRangeExpression",
    "WeekdayRangeExpression",
    "WeekdayPositionExpression",
    "LastDayOfMonthExpression",
]
FIELD_CLASSES = ["BaseField", "WeekField", "DayOfMonthField", "DayOfWeekField", "MonthField"]
FIELD_NAMES = ["year", "month", "day", "week", "day_of_week", "hour", "minute", "second"]
FIELD_CLASS_OF = {
    "year": "BaseField",
    "month": "MonthField",
    "day": "DayOfMonthField",
    "week": "WeekField",
    "day_of_week": "DayOfWeekField",
    "hour": "BaseField",
    "minute": "BaseField",
    "second": "BaseField",
}
ZONES = [
    None,
    timezone.utc,
    timezone(timedelta(hours=-9, minutes=-30)),
    ZoneInfo("Europe/Helsinki"),
    ZoneInfo("Australia/Lord_Howe"),
]
#: Problems shown when a check fails (all of them are counted).
SHOWN = 15


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def outcome(function: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """A call's result, or the type and message of the exception it raised."""
    try:
        return ("value", function(*args))
    except Exception as exc:  # noqa: BLE001 - every exception is part of the outcome
        return ("raised", f"{type(exc).__name__}: {exc}")


def assert_no_problems(problems: list[str], checked: int) -> None:
    assert checked > 0
    if problems:
        shown = "\n".join(problems[:SHOWN])
        pytest.fail(f"{len(problems)} of {checked} checks disagree:\n{shown}", pytrace=False)


def describe_exprs(field: Any) -> list[tuple[str, dict[str, Any]]]:
    """A field's expressions by class name and attributes (not ``repr``: 3.11.3's
    ``MonthRangeExpression.__repr__`` names the wrong month)."""
    return [(type(expr).__name__, dict(vars(expr))) for expr in field.expressions]


def field_state(field: Any) -> tuple[str, str, list[tuple[str, dict[str, Any]]]]:
    return (str(field), repr(field), describe_exprs(field))


def make_field(fields_module: ModuleType, name: str, text: str = "*") -> Any:
    return getattr(fields_module, FIELD_CLASS_OF[name])(name, text)


def random_datetime(rng: random.Random) -> datetime:
    kind = rng.random()
    if kind < 0.15:  # around the ends of months and years, leap years included
        year = rng.choice([1970, 1999, 2000, 2023, 2024, 2100, 2400, 9998])
        month = rng.choice([1, 2, 12, rng.randint(1, 12)])
        day = rng.choice([1, 28, 29, 30, 31])
        moment = datetime(year, month, 1) + timedelta(days=day - 1)
    elif kind < 0.2:
        moment = datetime(rng.choice([1970, 9999]), rng.choice([1, 12]), rng.choice([1, 31]))
    else:
        moment = datetime(1970, 1, 1) + timedelta(days=rng.randint(0, 60 * 366))
    moment = moment.replace(
        hour=rng.randint(0, 23), minute=rng.randint(0, 59), second=rng.randint(0, 59)
    )
    zone = rng.choice(ZONES)
    return moment.replace(tzinfo=zone) if zone is not None else moment


def random_dates(seed: int, count: int) -> list[datetime]:
    rng = random.Random(seed)
    return [random_datetime(rng) for _ in range(count)]


# Expression texts ----------------------------------------------------------------------

TOKENS = [
    "*", "*/", "/", "-", ",", " ", "  ", "\n", "\t",
    "0", "1", "2", "3", "5", "7", "10", "12", "15", "23", "24", "28", "31", "32", "52",
    "53", "54", "59", "60", "99", "1969", "1970", "2024", "9999", "10000",
    "٣", "２", "0007",
    "jan", "JAN", "Feb", "jun", "dec", "janu", "mon", "Tue", "fri", "SUN", "sunday",
    "1st", "2nd", "3RD", "4th", "5th", "6th", "last", "LAST", "Last",
    "x", "_", "ſ", "\u212a", "\u0130", "\u0131", "laſt", "1ſt",  # [a-z] with re.I matches these four
]  # fmt: skip

HANDPICKED_TEXTS = [
    "", "*", "*/5", "*/0", "*/60", "**", " *", "* ", "*\n", "*/5\n", "5", "5-10", "5-10/2",
    "10-5", "5/0", "0-0/30", "0-0/5", "1,2", " 5", "5 ", "5 \n", "24", "24\n", "60", "٣",
    "２-٣", "jan", "jan-mar", "mar-jan", "jan-feb/2", "jan,feb", "janx", "foo", "mon",
    "mon-fri", "fri-mon", "mon , tue", "mon-", "1st mon", "1st  fri", "last sun",
    "last", "lastxyz", "last 5", "1st ٣x", "6th mon", "1stmon", "laſt", "ſep", "\u212ax",
    "1ſt mon", "5th sun", "LAST FRI", "last\tfri", "1st\nmon",
]  # fmt: skip


def random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts = list(HANDPICKED_TEXTS)
    while len(texts) < count:
        texts.append("".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 4))))
    return texts


# Expression objects, built the same way with both libraries ------------------------------


def random_recipe(rng: random.Random) -> tuple[str, tuple[Any, ...]]:
    """Constructor arguments for an expression (valid for the constructor, but not
    necessarily within any field's range)."""
    kind = rng.choice(EXPRESSION_CLASSES)
    step = rng.choice([None, None, 1, 2, 3, 5, 7, 13, 30, 59, 60, 100, 9000])
    if kind == "AllExpression":
        return kind, (step,)
    if kind == "RangeExpression":
        first = rng.choice([0, 1, 5, 12, 23, 31, 53, 59, 60, 1970, 2030, rng.randint(0, 60)])
        last = rng.choice([None, first, first + rng.randint(0, 40), 0 if first == 0 else None])
        if last is None and step is None and rng.random() < 0.5:
            return kind, (first,)
        return kind, (first, last, step)
    if kind == "MonthRangeExpression":
        names = sorted(rng.sample(range(12), 2))
        last = rng.choice([None, REF_EXPRESSIONS.MONTHS[names[1]]])
        return kind, (REF_EXPRESSIONS.MONTHS[names[0]].upper(), last)
    if kind == "WeekdayRangeExpression":
        names = sorted(rng.sample(range(7), 2))
        last = rng.choice([None, REF_EXPRESSIONS.WEEKDAYS[names[1]]])
        return kind, (REF_EXPRESSIONS.WEEKDAYS[names[0]].title(), last)
    if kind == "WeekdayPositionExpression":
        option = rng.choice(["1st", "2nd", "3rd", "4th", "5th", "last", "LAST"])
        return kind, (option, rng.choice(REF_EXPRESSIONS.WEEKDAYS))
    return kind, ()


def random_recipes(seed: int, count: int) -> list[tuple[str, tuple[Any, ...]]]:
    rng = random.Random(seed)
    return [random_recipe(rng) for _ in range(count)]


def build(expressions_module: ModuleType, recipe: tuple[str, tuple[Any, ...]]) -> Any:
    kind, args = recipe
    return getattr(expressions_module, kind)(*args)


# Comparisons ---------------------------------------------------------------------------


def compare_expression_next_values(
    recipes: Iterable[tuple[str, tuple[Any, ...]]], dates: list[datetime]
) -> tuple[list[str], int]:
    problems: list[str] = []
    checked = 0
    for recipe in recipes:
        ref_expr = build(REF_EXPRESSIONS, recipe)
        impl_expr = build(IMPL_EXPRESSIONS, recipe)
        for name in FIELD_NAMES:
            ref_field = make_field(REF_FIELDS, name)
            impl_field = make_field(IMPL_FIELDS, name)
            for date in dates:
                checked += 1
                expected = outcome(ref_expr.get_next_value, date, ref_field)
                got = outcome(impl_expr.get_next_value, date, impl_field)
                if got != expected:
                    problems.append(
                        f"{recipe} on {name!r} at {date!r}: got {got}, expected {expected}"
                    )
    return problems, checked


def compare_field_next_values(
    texts: Iterable[tuple[str, str]], dates: list[datetime]
) -> tuple[list[str], int]:
    problems: list[str] = []
    checked = 0
    for name, text in texts:
        ref_field = make_field(REF_FIELDS, name, text)
        impl_field = make_field(IMPL_FIELDS, name, text)
        for date in dates:
            checked += 1
            expected = outcome(ref_field.get_next_value, date)
            got = outcome(impl_field.get_next_value, date)
            if got != expected:
                problems.append(f"{name}={text!r} at {date!r}: got {got}, expected {expected}")
    return problems, checked


def compare_compile_expression(texts: Iterable[Any]) -> tuple[list[str], int]:
    problems: list[str] = []
    checked = 0
    for text in texts:
        for name in FIELD_NAMES:
            for start in ("*", str(REF_FIELDS.MIN_VALUES[name])):
                checked += 1
                ref_field = make_field(REF_FIELDS, name, start)
                impl_field = make_field(IMPL_FIELDS, name, start)
                expected = outcome(ref_field.compile_expression, text)
                got = outcome(impl_field.compile_expression, text)
                if got == expected:
                    expected, got = field_state(ref_field), field_state(impl_field)
                if got != expected:
                    problems.append(f"{name}={start!r} + {text!r}: got {got}, expected {expected}")
    return problems, checked


# ---------------------------------------------------------------------------------------
# Public surface
# ---------------------------------------------------------------------------------------


def public_members(cls: type) -> tuple[dict[str, Any], set[str]]:
    """A class's public methods (name -> function) and public data attribute names."""
    methods: dict[str, Any] = {}
    data: set[str] = set()
    for name in dir(cls):
        if name.startswith("_"):
            continue
        value = inspect.getattr_static(cls, name)
        if callable(value) or isinstance(value, (classmethod, staticmethod)):
            methods[name] = getattr(cls, name)
        else:
            data.add(name)
    return methods, data


def parameters(function: Callable[..., Any]) -> list[tuple[str, str, Any]]:
    return [
        (p.name, p.kind.name, p.default) for p in inspect.signature(function).parameters.values()
    ]


@pytest.mark.parametrize(
    "module_pair, class_name",
    [(0, name) for name in EXPRESSION_CLASSES] + [(1, name) for name in FIELD_CLASSES],
)
def test_public_methods_and_signatures_match_reference(module_pair: int, class_name: str):
    ref_cls = getattr((REF_EXPRESSIONS, REF_FIELDS)[module_pair], class_name)
    impl_cls = getattr((IMPL_EXPRESSIONS, IMPL_FIELDS)[module_pair], class_name)
    ref_methods, ref_data = public_members(ref_cls)
    impl_methods, impl_data = public_members(impl_cls)
    assert sorted(impl_methods) == sorted(ref_methods)
    assert ref_data <= impl_data, f"missing class attributes: {sorted(ref_data - impl_data)}"
    for name in ["__init__", *ref_methods]:
        assert parameters(getattr(impl_cls, name)) == parameters(getattr(ref_cls, name)), name


@pytest.mark.parametrize("class_name", FIELD_CLASSES)
def test_compilers_list_our_classes_in_reference_order(class_name: str):
    ref_compilers = getattr(REF_FIELDS, class_name).COMPILERS
    impl_compilers = getattr(IMPL_FIELDS, class_name).COMPILERS
    assert [c.__name__ for c in impl_compilers] == [c.__name__ for c in ref_compilers]
    for compiler in impl_compilers:
        assert compiler is getattr(IMPL_EXPRESSIONS, compiler.__name__)


@pytest.mark.parametrize("class_name", EXPRESSION_CLASSES)
def test_value_re_matches_like_reference(class_name: str):
    ref_re = getattr(REF_EXPRESSIONS, class_name).value_re
    impl_re = getattr(IMPL_EXPRESSIONS, class_name).value_re
    assert isinstance(impl_re, type(ref_re))
    assert impl_re.flags == ref_re.flags
    problems = []
    texts = random_texts(1, 400)
    for text in texts:
        ref_match, impl_match = ref_re.match(text), impl_re.match(text)
        expected = ref_match and (ref_match.span(), ref_match.groupdict())
        got = impl_match and (impl_match.span(), impl_match.groupdict())
        if got != expected:
            problems.append(f"{text!r}: got {got}, expected {expected}")
    assert_no_problems(problems, len(texts))


# ---------------------------------------------------------------------------------------
# Behaviour
# ---------------------------------------------------------------------------------------


def test_expression_get_next_value_matches_reference():
    problems, checked = compare_expression_next_values(random_recipes(2, 120), random_dates(3, 12))
    assert_no_problems(problems, checked)


def test_validate_range_matches_reference():
    problems: list[str] = []
    checked = 0
    for recipe in random_recipes(4, 400):
        ref_expr = build(REF_EXPRESSIONS, recipe)
        impl_expr = build(IMPL_EXPRESSIONS, recipe)
        for name in [*FIELD_NAMES, "fortnight"]:
            checked += 1
            expected = outcome(ref_expr.validate_range, name)
            got = outcome(impl_expr.validate_range, name)
            if got != expected:
                problems.append(f"{recipe} on {name!r}: got {got}, expected {expected}")
    assert_no_problems(problems, checked)


def test_validate_range_examples():
    expressions = IMPL_EXPRESSIONS
    assert expressions.RangeExpression(0, 23, 5).validate_range("hour") is None
    with pytest.raises(ValueError, match=r"^the last value \(24\) is higher than the maximum"):
        expressions.RangeExpression(5, 24).validate_range("hour")
    with pytest.raises(ValueError, match=r"^the first value \(1969\) is lower than the min"):
        expressions.RangeExpression(1969).validate_range("year")
    # a last value of 0 counts as "no last value" when the step is checked
    expressions.RangeExpression(0, 0, 20).validate_range("hour")
    with pytest.raises(ValueError, match=r"^the step value \(20\) is higher .* \(14\)$"):
        expressions.RangeExpression(1, 15, 20).validate_range("hour")
    with pytest.raises(KeyError):
        expressions.AllExpression().validate_range("fortnight")


def test_field_get_next_value_matches_reference():
    rng = random.Random(5)
    texts = []
    for name in FIELD_NAMES:
        # texts both accept: this is about get_next_value, not about parsing (see
        # test_field_texts_with_non_ascii_letters_parse_like_reference)
        classes = [getattr(module, FIELD_CLASS_OF[name]) for module in (REF_FIELDS, IMPL_FIELDS)]
        candidates = [t for t in random_texts(6 + len(texts), 300) if "," not in t]
        valid = [t for t in candidates if all(outcome(c, name, t)[0] == "value" for c in classes)]
        for _ in range(12):
            parts = rng.sample(valid, min(len(valid), rng.randint(1, 3)))
            texts.append((name, ",".join(part.strip() for part in parts)))
    problems, checked = compare_field_next_values(texts, random_dates(7, 25))
    assert_no_problems(problems, checked)


def test_trigger_fields_get_next_value_matches_reference():
    # the field objects a CronTrigger hands out are built from the Rust core's state
    options = [
        {"day": "3rd fri,last,1-5/2", "month": "feb-apr,nov", "hour": "*/7"},
        {"day_of_week": "mon-wed,sun", "week": "2-50/4", "minute": "5-50/15"},
        {"year": "2024-2030/3", "day": "last sat,29", "second": "*/13"},
        {"day": "5th mon,1st sun", "day_of_week": "*/2"},
    ]
    dates = random_dates(8, 40)
    problems: list[str] = []
    checked = 0
    for kwargs in options:
        ref_fields = REF.CronTrigger(timezone="UTC", **kwargs).fields
        impl_fields = IMPL.CronTrigger(timezone="UTC", **kwargs).fields
        for ref_field, impl_field in zip(ref_fields, impl_fields, strict=True):
            assert describe_exprs(impl_field) == describe_exprs(ref_field)
            for date in dates:
                for ref_expr, impl_expr in zip(
                    ref_field.expressions, impl_field.expressions, strict=True
                ):
                    checked += 1
                    expected = ref_expr.get_next_value(date, ref_field)
                    got = impl_expr.get_next_value(date, impl_field)
                    if got != expected:
                        problems.append(f"{kwargs} {impl_expr!r} at {date!r}: {got} != {expected}")
                checked += 1
                if impl_field.get_next_value(date) != ref_field.get_next_value(date):
                    problems.append(f"{kwargs} field {impl_field!r} at {date!r}")
    assert_no_problems(problems, checked)


# re.I lets 3.11.3's [a-z] match four non-ASCII letters: 'ſ', 'K' (Kelvin),
# 'İ' and 'ı'.
@pytest.mark.parametrize(
    "name, text",
    [
        ("day", "laſt"),
        ("day", "LAſT"),
        ("month", "ſep"),
        ("day", "1ſt mon"),
        ("month", "\u0130"),
        ("month", "\u0131"),
        ("day_of_week", "\u212a"),
        ("day_of_week", "mon-\u212a"),
        ("day", "3rd \u212a"),
    ],
)
def test_field_texts_with_non_ascii_letters_parse_like_reference(name: str, text: str):
    expected = outcome(make_field, REF_FIELDS, name, text)
    got = outcome(make_field, IMPL_FIELDS, name, text)
    if got[0] == "raised":
        # Our constructor's messages end by naming the field and expression.
        suffix = f" (field {json.dumps(name)}, expression {text!r})"
        assert got[1].endswith(suffix)
        got = ("raised", got[1].removesuffix(suffix))
    if got[0] == expected[0] == "value":
        expected, got = field_state(expected[1]), field_state(got[1])
    assert got == expected


def test_compile_expression_matches_reference():
    problems, checked = compare_compile_expression(random_texts(9, 250))
    assert_no_problems(problems, checked)


def test_compile_expression_of_non_strings_matches_reference():
    problems, checked = compare_compile_expression([5, None, b"5", ["*"]])
    assert_no_problems(problems, checked)


def test_compile_expression_examples():
    field = make_field(IMPL_FIELDS, "day", "1")
    field.compile_expression("last fri")
    field.compile_expression("lastly")  # an unanchored pattern: only "last" counts
    assert str(field) == "1,last fri,last"
    with pytest.raises(ValueError, match=r'^Unrecognized expression "1,2" for field "day"$'):
        field.compile_expression("1,2")
    with pytest.raises(ValueError, match=r"^Error validating expression '32\\n': the last"):
        field.compile_expression("32\n")
    with pytest.raises(ValueError, match=r"^Increment must be higher than 0$"):
        field.compile_expression("*/0")
    with pytest.raises(ValueError, match=r'^Invalid weekday name "٣"$'):
        field.compile_expression("1st ٣x")
    assert str(field) == "1,last fri,last"


# ---------------------------------------------------------------------------------------
# The comparisons above can fail
# ---------------------------------------------------------------------------------------


@pytest.mark.skipif(SELF_CHECK, reason="the reference is patched along with the impl")
def test_comparisons_catch_a_wrong_implementation(monkeypatch: pytest.MonkeyPatch):
    def off_by_one(self: Any, date: datetime, field: Any) -> int | None:
        value = original(self, date, field)
        return value + 1 if value is not None and value % 5 == 0 else value

    original = IMPL_EXPRESSIONS.RangeExpression.get_next_value
    monkeypatch.setattr(IMPL_EXPRESSIONS.RangeExpression, "get_next_value", off_by_one)
    dates = random_dates(3, 12)
    assert compare_expression_next_values(random_recipes(2, 60), dates)[0]
    assert compare_field_next_values([("minute", "5-50/5"), ("day", "10")], dates)[0]
    monkeypatch.undo()

    monkeypatch.setattr(IMPL_FIELDS.DayOfMonthField, "COMPILERS", IMPL_FIELDS.BaseField.COMPILERS)
    assert compare_compile_expression(["last", "2nd mon"])[0]
    monkeypatch.undo()

    def lenient(self: Any, field_name: str) -> None:
        pass

    monkeypatch.setattr(IMPL_EXPRESSIONS.RangeExpression, "validate_range", lenient)
    assert compare_compile_expression(["24", "0-0/99"])[0]
