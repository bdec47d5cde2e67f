"""Cron field objects, shaped like APScheduler 3's (see ``expressions``)."""

from __future__ import annotations

from datetime import datetime

from apscheduler_rs._core import parse_cron_field
from apscheduler_rs.triggers.cron.expressions import (
    AllExpression,
    LastDayOfMonthExpression,
    MonthRangeExpression,
    RangeExpression,
    WeekdayPositionExpression,
    WeekdayRangeExpression,
    expression_from_spec,
)

__all__ = (
    "DEFAULT_VALUES",
    "MAX_VALUES",
    "MIN_VALUES",
    "BaseField",
    "DayOfMonthField",
    "DayOfWeekField",
    "MonthField",
    "WeekField",
)

MIN_VALUES = {
    "year": 1970,
    "month": 1,
    "day": 1,
    "week": 1,
    "day_of_week": 0,
    "hour": 0,
    "minute": 0,
    "second": 0,
}
MAX_VALUES = {
    "year": 9999,
    "month": 12,
    "day": 31,
    "week": 53,
    "day_of_week": 6,
    "hour": 23,
    "minute": 59,
    "second": 59,
}
DEFAULT_VALUES = {
    "year": "*",
    "month": 1,
    "day": 1,
    "week": "*",
    "day_of_week": "*",
    "hour": 0,
    "minute": 0,
    "second": 0,
}


class BaseField:
    """One field of a cron trigger: a name and the expressions it matches."""

    REAL = True
    #: The expression classes tried, in order, on each expression's text by
    #: ``compile_expression`` (the first whose ``value_re`` matches builds it).
    COMPILERS: list[type[AllExpression]] = [AllExpression, RangeExpression]

    def __init__(self, name: str, exprs: object, is_default: bool = False) -> None:
        self.name = name
        self.is_default = is_default
        self.compile_expressions(exprs)

    def compile_expressions(self, exprs: object) -> None:
        self.expressions: list[AllExpression] = [
            expression_from_spec(*spec) for spec in parse_cron_field(self.name, str(exprs))
        ]

    def compile_expression(self, expr: str) -> None:
        """Parse one expression (no comma list, no surrounding spaces) and append it
        to ``expressions``, as APScheduler 3 does.

        This follows APScheduler's own matching (the first of ``COMPILERS`` whose
        ``value_re`` matches the start of the text, errors unwrapped except range
        validation's) rather than the Rust list parser, which splits on commas,
        trims spaces and reads digits as ASCII, so it would accept or word some
        single expressions differently.
        """
        for compiler in self.COMPILERS:
            found = compiler.value_re.match(expr)
            if found is not None:
                break
        else:
            raise ValueError(f'Unrecognized expression "{expr}" for field "{self.name}"')
        expression = compiler(**found.groupdict())
        try:
            expression.validate_range(self.name)
        except ValueError as exc:
            raise ValueError(f"Error validating expression {expr!r}: {exc}") from None
        self.expressions.append(expression)

    def get_min(self, dateval: datetime) -> int:
        return MIN_VALUES[self.name]

    def get_max(self, dateval: datetime) -> int:
        return MAX_VALUES[self.name]

    def get_value(self, dateval: datetime) -> int:
        return getattr(dateval, self.name)

    def get_next_value(self, dateval: datetime) -> int | None:
        """The smallest next value any of the expressions gives for ``dateval``, or
        ``None`` if none of them has one."""
        values = (expr.get_next_value(dateval, self) for expr in self.expressions)
        return min((value for value in values if value is not None), default=None)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.__class__) and self.expressions == other.expressions

    def __str__(self) -> str:
        return ",".join(str(expr) for expr in self.expressions)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('{self.name}', '{self}')"


class WeekField(BaseField):
    REAL = False

    def get_value(self, dateval: datetime) -> int:
        return dateval.isocalendar()[1]


class DayOfMonthField(BaseField):
    COMPILERS = BaseField.COMPILERS + [WeekdayPositionExpression, LastDayOfMonthExpression]

    def get_max(self, dateval: datetime) -> int:
        from calendar import monthrange

        return monthrange(dateval.year, dateval.month)[1]


class DayOfWeekField(BaseField):
    REAL = False
    COMPILERS = BaseField.COMPILERS + [WeekdayRangeExpression]

    def get_value(self, dateval: datetime) -> int:
        return dateval.weekday()


class MonthField(BaseField):
    COMPILERS = BaseField.COMPILERS + [MonthRangeExpression]


FIELDS_MAP: dict[str, type[BaseField]] = {
    "year": BaseField,
    "month": MonthField,
    "week": WeekField,
    "day": DayOfMonthField,
    "day_of_week": DayOfWeekField,
    "hour": BaseField,
    "minute": BaseField,
    "second": BaseField,
}


def field_from_spec(name: str, is_default: bool, exprs: list[tuple]) -> BaseField:
    """Build a field object from the Rust core's description of it."""
    cls = FIELDS_MAP[name]
    field = cls.__new__(cls)
    field.name = name
    field.is_default = is_default
    field.expressions = [expression_from_spec(*spec) for spec in exprs]
    return field
