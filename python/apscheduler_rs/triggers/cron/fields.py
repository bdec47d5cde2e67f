"""Cron field objects, shaped like APScheduler 3's (see ``expressions``)."""

from __future__ import annotations

from datetime import datetime

from apscheduler_rs._core import parse_cron_field
from apscheduler_rs.triggers.cron.expressions import AllExpression, expression_from_spec

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

    def __init__(self, name: str, exprs: object, is_default: bool = False) -> None:
        self.name = name
        self.is_default = is_default
        self.compile_expressions(exprs)

    def compile_expressions(self, exprs: object) -> None:
        self.expressions: list[AllExpression] = [
            expression_from_spec(*spec) for spec in parse_cron_field(self.name, str(exprs))
        ]

    def get_min(self, dateval: datetime) -> int:
        return MIN_VALUES[self.name]

    def get_max(self, dateval: datetime) -> int:
        return MAX_VALUES[self.name]

    def get_value(self, dateval: datetime) -> int:
        return getattr(dateval, self.name)

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
    def get_max(self, dateval: datetime) -> int:
        from calendar import monthrange

        return monthrange(dateval.year, dateval.month)[1]


class DayOfWeekField(BaseField):
    REAL = False

    def get_value(self, dateval: datetime) -> int:
        return dateval.weekday()


class MonthField(BaseField):
    pass


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
