"""Expression objects of cron fields, shaped like APScheduler 3's.

Parsing and matching happen in Rust; these objects exist so that
``CronTrigger.fields`` and pickled triggers look as they do in APScheduler
(same classes, same attributes), in both directions.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import datetime
from typing import Any

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

__all__ = (
    "AllExpression",
    "LastDayOfMonthExpression",
    "MonthRangeExpression",
    "RangeExpression",
    "WeekdayPositionExpression",
    "WeekdayRangeExpression",
)


def _field_limits(field_name: str) -> tuple[int, int]:
    # Imported here: ``fields`` imports this module.
    from apscheduler_rs.triggers.cron.fields import MAX_VALUES, MIN_VALUES

    return MIN_VALUES[field_name], MAX_VALUES[field_name]


def _check_step(step: int | None, span: int) -> None:
    if step and step > span:
        raise ValueError(
            f"the step value ({step}) is higher than the total range of the expression ({span})"
        )


def _stepped(value: int, origin: int, step: int | None) -> int:
    """The first value at or after ``value`` that is a whole number of steps from
    ``origin`` (``value`` itself without a step)."""
    return value + (origin - value) % step if step else value


class AllExpression:
    """``*`` or ``*/step``."""

    #: What this expression's text looks like (matched at the start of the text).
    value_re: re.Pattern[str] = re.compile(r"\*(?:/(?P<step>\d+))?$")

    def __init__(self, step: int | str | None = None) -> None:
        self.step = int(step) if step is not None else None
        if self.step == 0:
            raise ValueError("Increment must be higher than 0")

    def validate_range(self, field_name: str) -> None:
        """Raise ``ValueError`` if the step is wider than the field's whole range."""
        low, high = _field_limits(field_name)
        _check_step(self.step, high - low)

    def get_next_value(self, date: datetime, field: Any) -> int | None:
        """The smallest value of ``field`` at or after its value in ``date`` that this
        expression matches, or ``None`` if there is none left in the field's range."""
        current = field.get_value(date)
        low = field.get_min(date)
        high = field.get_max(date)
        candidate = _stepped(max(current, low), low, self.step)
        return candidate if candidate <= high else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.__class__) and self.step == other.step

    def __str__(self) -> str:
        return f"*/{self.step}" if self.step else "*"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.step})"


class RangeExpression(AllExpression):
    """``first``, ``first-last``, with an optional ``/step``."""

    value_re: re.Pattern[str] = re.compile(
        r"(?P<first>\d+)(?:-(?P<last>\d+))?(?:/(?P<step>\d+))?$"
    )

    def __init__(
        self, first: int | str, last: int | str | None = None, step: int | str | None = None
    ) -> None:
        super().__init__(step)
        first = int(first)
        last = int(last) if last is not None else None
        if last is None and step is None:
            last = first
        if last is not None and first > last:
            raise ValueError("The minimum value in a range must not be higher than the maximum")
        self.first = first
        self.last = last

    def validate_range(self, field_name: str) -> None:
        """Raise ``ValueError`` if the bounds fall outside the field's range or the
        step is wider than the span of values it steps over."""
        super().validate_range(field_name)
        low, high = _field_limits(field_name)
        if self.first < low:
            raise ValueError(
                f"the first value ({self.first}) is lower than the minimum value ({low})"
            )
        if self.last is not None and self.last > high:
            raise ValueError(
                f"the last value ({self.last}) is higher than the maximum value ({high})"
            )
        # As in APScheduler, a last value of 0 counts as "up to the maximum" here.
        _check_step(self.step, (self.last if self.last else high) - self.first)

    def get_next_value(self, date: datetime, field: Any) -> int | None:
        current = field.get_value(date)
        low = max(field.get_min(date), self.first)
        high = field.get_max(date)
        if self.last is not None:
            high = min(high, self.last)
        candidate = _stepped(max(current, low), low, self.step)
        return candidate if candidate <= high else None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, self.__class__)
            and self.first == other.first
            and self.last == other.last
        )

    def _label(self, value: int) -> str:
        return str(value)

    def __str__(self) -> str:
        if self.last is not None and self.last != self.first:
            text = f"{self._label(self.first)}-{self._label(self.last)}"
        else:
            text = self._label(self.first)
        return f"{text}/{self.step}" if self.step else text

    def __repr__(self) -> str:
        args = [str(self.first)]
        if (self.last is not None and self.last != self.first) or self.step:
            args.append(str(self.last))
        if self.step:
            args.append(str(self.step))
        return f"{self.__class__.__name__}({', '.join(args)})"


class _NamedRangeExpression(RangeExpression):
    value_re: re.Pattern[str] = re.compile(r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?", re.I)
    NAMES: list[str] = []
    OFFSET = 0
    KIND = ""

    def __init__(self, first: str, last: str | None = None) -> None:
        super().__init__(self._number(first), self._number(last) if last else None)

    @classmethod
    def _number(cls, name: str) -> int:
        try:
            return cls.NAMES.index(name.lower()) + cls.OFFSET
        except ValueError:
            raise ValueError(f'Invalid {cls.KIND} name "{name}"') from None

    def _label(self, value: int) -> str:
        return self.NAMES[value - self.OFFSET]

    def __repr__(self) -> str:
        args = [f"'{self._label(self.first)}'"]
        if self.last is not None and self.last != self.first:
            args.append(f"'{self._label(self.last)}'")
        return f"{self.__class__.__name__}({', '.join(args)})"


class MonthRangeExpression(_NamedRangeExpression):
    """Month names: ``jan``, ``jun-aug``."""

    NAMES = MONTHS
    OFFSET = 1
    KIND = "month"


class WeekdayRangeExpression(_NamedRangeExpression):
    """Weekday names: ``sun``, ``mon-fri``."""

    NAMES = WEEKDAYS
    KIND = "weekday"


class WeekdayPositionExpression(AllExpression):
    """The n-th (or last) given weekday of the month: ``3rd fri``, ``last sun``."""

    options = ["1st", "2nd", "3rd", "4th", "5th", "last"]
    value_re: re.Pattern[str] = re.compile(
        "(?P<option_name>" + "|".join(options) + r") +(?P<weekday_name>(?:\d+|\w+))", re.I
    )

    def __init__(self, option_name: str, weekday_name: str) -> None:
        super().__init__(None)
        try:
            self.option_num = self.options.index(option_name.lower())
        except ValueError:
            raise ValueError(f'Invalid weekday position "{option_name}"') from None
        try:
            self.weekday = WEEKDAYS.index(weekday_name.lower())
        except ValueError:
            raise ValueError(f'Invalid weekday name "{weekday_name}"') from None

    def get_next_value(self, date: datetime, field: Any) -> int | None:
        """The day of ``date``'s month this expression names, if that day exists and
        is not before ``date``'s day (``field`` is not consulted)."""
        first_weekday, days_in_month = monthrange(date.year, date.month)
        first_match = (self.weekday - first_weekday) % 7 + 1
        if self.option_num < 5:
            day = first_match + 7 * self.option_num
        else:
            day = first_match + 7 * ((days_in_month - first_match) // 7)
        return day if date.day <= day <= days_in_month else None

    def __eq__(self, other: object) -> bool:
        return (
            super().__eq__(other)
            and self.option_num == other.option_num  # type: ignore[attr-defined]
            and self.weekday == other.weekday  # type: ignore[attr-defined]
        )

    def __str__(self) -> str:
        return f"{self.options[self.option_num]} {WEEKDAYS[self.weekday]}"

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}('{self.options[self.option_num]}', "
            f"'{WEEKDAYS[self.weekday]}')"
        )


class LastDayOfMonthExpression(AllExpression):
    """``last``: the last day of the month."""

    value_re: re.Pattern[str] = re.compile("last", re.I)

    def __init__(self) -> None:
        super().__init__(None)

    def get_next_value(self, date: datetime, field: Any) -> int | None:
        """The last day of ``date``'s month (``field`` is not consulted)."""
        return monthrange(date.year, date.month)[1]

    def __str__(self) -> str:
        return "last"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


def ascii_digits(text: str) -> str:
    """Replace every Unicode decimal digit with its ASCII twin: APScheduler's
    expressions accept them (``\\d`` and ``int()`` do), the Rust parser reads ASCII."""
    import unicodedata

    return "".join(
        str(unicodedata.decimal(char)) if unicodedata.category(char) == "Nd" else char
        for char in text
    )


def _bare(cls: type[AllExpression], **attrs: object) -> AllExpression:
    # Fill in an instance without re-validating: the values come from the parser.
    expr = cls.__new__(cls)
    expr.__dict__.update(attrs)
    return expr


def expression_from_spec(kind: str, a: int | None, b: int | None, c: int | None) -> AllExpression:
    """Build an expression object from the Rust parser's ``(kind, ...)`` tuple."""
    if kind == "all":
        return _bare(AllExpression, step=a)
    if kind == "position":
        return _bare(WeekdayPositionExpression, step=None, option_num=a, weekday=b)
    if kind == "last":
        return _bare(LastDayOfMonthExpression, step=None)
    cls = {
        "range": RangeExpression,
        "month": MonthRangeExpression,
        "weekday": WeekdayRangeExpression,
    }[kind]
    return _bare(cls, step=c, first=a, last=b)


def expression_to_spec(expr: AllExpression) -> tuple[str, int | None, int | None, int | None]:
    """The Rust core's ``(kind, ...)`` tuple for an expression object (ours or one
    unpickled from APScheduler, which has the same attributes)."""
    name = type(expr).__name__
    if name == "WeekdayPositionExpression":
        return ("position", expr.option_num, expr.weekday, None)  # type: ignore[attr-defined]
    if name == "LastDayOfMonthExpression":
        return ("last", None, None, None)
    kind = {
        "MonthRangeExpression": "month",
        "WeekdayRangeExpression": "weekday",
        "RangeExpression": "range",
    }.get(name)
    if kind is None:
        return ("all", expr.step, None, None)
    return (kind, expr.first, expr.last, expr.step)  # type: ignore[attr-defined]
