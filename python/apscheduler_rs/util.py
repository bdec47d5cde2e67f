"""Small helpers shared by the scheduler, triggers and job stores.

Everything here mirrors the public surface of ``apscheduler.util`` (3.11.x) so
that code written against APScheduler keeps working after switching imports.
``inspect`` and ``asyncio`` are imported lazily because they are expensive and
most programs only need them when a job is added.
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import partial
from types import BuiltinFunctionType, FunctionType, MethodType
from weakref import ref as weak_ref
from zoneinfo import ZoneInfo

from apscheduler_rs._core import resolve_imported_ref

# Evaluated as true only by static type checkers: ``typing`` is not imported at
# run time (util is imported on its own by light users).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any


__all__ = (
    "asbool",
    "asint",
    "astimezone",
    "check_callable_args",
    "convert_to_datetime",
    "datetime_ceil",
    "datetime_to_utc_timestamp",
    "get_callable_name",
    "localize",
    "maybe_ref",
    "normalize",
    "obj_to_ref",
    "ref_to_obj",
    "undefined",
    "utc_timestamp_to_datetime",
)

UTC = timezone.utc

# Days between 0001-01-01 (ordinal 1) and the Unix epoch.
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_TRUE_WORDS = frozenset(("true", "yes", "on", "y", "t", "1"))
_FALSE_WORDS = frozenset(("false", "no", "off", "n", "f", "0"))

_LOCAL_TZ_MESSAGE = (
    "Unable to determine the name of the local timezone -- you must explicitly specify "
    "the name of the local timezone. Please refrain from using timezones like EST to "
    "prevent problems with daylight saving time. Instead, use a locale based timezone "
    "name (such as Europe/Helsinki)."
)

# Accepted by convert_to_datetime(). ``\d`` and ``$`` keep their default (Unicode digits,
# optional trailing newline) semantics on purpose: APScheduler accepts those inputs too.
_DATETIME_STRING = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{1,2}):(?P<second>\d{1,2})"
    r"(?:\.(?P<microsecond>\d{1,6}))?"
    r"(?P<offset>Z|[+-]\d\d:\d\d)?)?$"
)
_DATETIME_FIELDS = ("year", "month", "day", "hour", "minute", "second", "microsecond")


class _Undefined:
    """Type of :data:`undefined`; falsy so ``if value:`` treats it like "not given"."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<undefined>"


#: Marks "no value supplied" where ``None`` is itself a meaningful value.
undefined = _Undefined()


def asint(text: str | int | None) -> int | None:
    """Convert configuration text to ``int``, letting ``None`` mean "not configured"."""
    if text is None:
        return None

    return int(text)


def asbool(obj: object) -> bool:
    """Interpret config-file style booleans ("yes", "off", "1"...); other objects use truth."""
    if not isinstance(obj, str):
        return bool(obj)

    word = obj.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False

    raise ValueError(f'Unable to interpret value "{word}" as boolean')


def astimezone(obj: str | tzinfo | None) -> tzinfo | None:
    """Turn a zone name or tzinfo into a tzinfo the scheduler can do arithmetic with.

    pytz zones are swapped for their :class:`~zoneinfo.ZoneInfo` equivalent because pytz
    needs ``localize()``/``normalize()`` calls that the rest of the code does not make.
    """
    return None if obj is None else _as_tzinfo(obj)


def _as_tzinfo(obj: str | tzinfo) -> tzinfo:
    """:func:`astimezone` of a zone that is given."""
    if isinstance(obj, str):
        return UTC if obj == "UTC" else ZoneInfo(obj)

    if not isinstance(obj, tzinfo):
        raise TypeError(f"Expected tzinfo, got {type(obj).__name__} instead")

    # tzlocal < 3 and similar produce zones literally named "local", whose DST rules are
    # unknowable; refusing early beats silently computing wrong run times.
    if obj.tzname(None) == "local":
        raise ValueError(_LOCAL_TZ_MESSAGE)

    if isinstance(obj, ZoneInfo) or not hasattr(obj, "zone"):
        return obj

    # From here on this is a pytz zone: named ones map to ZoneInfo, fixed offsets
    # (which have no name) to a plain timezone. APScheduler 3.11.3 reads a nonexistent
    # ``_offset`` attribute here and crashes with AttributeError; the public
    # utcoffset() gives the intended result.
    if obj.zone:
        return ZoneInfo(obj.zone)

    # a pytz fixed offset always has one
    return timezone(obj.utcoffset(None))  # type: ignore[arg-type]


def asdate(obj: date | str | None) -> date | None:
    """Accept ISO 8601 date strings wherever a date is expected."""
    if isinstance(obj, str):
        return date.fromisoformat(obj)

    return obj


def _parse_datetime_string(text: str, tz: tzinfo | str | None) -> tuple[datetime, Any]:
    """Split out of convert_to_datetime() so every parse error can be annotated in one place.

    Returns the naive datetime and the zone to use (an explicit offset in the text wins).
    """
    match = _DATETIME_STRING.match(text)
    if match is None:
        raise ValueError("Invalid date string")

    offset = match.group("offset")
    if offset == "Z":
        tz = UTC
    elif offset:
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = offset[1:].split(":")
        tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))

    # one group() call and positional arguments: this runs for every date string
    year, month, day, hour, minute, second, micro = match.group(*_DATETIME_FIELDS)
    if hour is None:  # the time is all there or not at all
        return datetime(int(year), int(month), int(day)), tz
    value = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), int(micro or 0)
    )
    return value, tz


def convert_to_datetime(
    input: datetime | date | str | None, tz: tzinfo | str | None, arg_name: str
) -> datetime | None:
    """Coerce user input into an aware datetime.

    Aware datetimes pass through untouched; naive ones, dates and strings without an offset
    are interpreted in ``tz``. Strings may be ``Y-m-d``, ``Y-m-d H:M:S`` or
    ``Y-m-d H:M:S.micro`` (``T`` may replace the space), optionally followed by ``Z`` or
    ``+HH:MM``/``-HH:MM``.

    Unlike APScheduler, parse errors also name ``arg_name`` and the rejected value (after
    the original message) so that a bad ``start_date`` is easy to tell from a bad
    ``end_date``.
    """
    if input is None:
        return None

    if isinstance(input, datetime):
        value = input
    elif isinstance(input, date):
        value = datetime.combine(input, time())
    elif isinstance(input, str):
        try:
            value, tz = _parse_datetime_string(input, tz)
        except ValueError as exc:
            raise ValueError(f"{exc} ({arg_name}={input!r})") from exc
    else:
        raise TypeError(f"Unsupported type for {arg_name}: {type(input).__name__}")

    if value.tzinfo is not None:
        return value

    if tz is None:
        raise ValueError(
            f'The "tz" argument must be specified if {arg_name} has no timezone information'
        )

    return localize(value, _as_tzinfo(tz) if isinstance(tz, str) else tz)


def datetime_to_utc_timestamp(timeval: datetime | None) -> float | None:
    """POSIX timestamp of ``timeval``; naive values are taken to be UTC (not local time).

    Whole seconds and microseconds are added separately, which is what job stores have
    always persisted, so values round-trip bit for bit with APScheduler's.
    """
    if timeval is None:
        return None

    tt = timeval.utctimetuple()
    days = date(tt.tm_year, tt.tm_mon, tt.tm_mday).toordinal() - _EPOCH_ORDINAL
    seconds = days * 86400 + tt.tm_hour * 3600 + tt.tm_min * 60 + tt.tm_sec
    return seconds + timeval.microsecond / 1000000


def utc_timestamp_to_datetime(timestamp: float | None) -> datetime | None:
    """Inverse of :func:`datetime_to_utc_timestamp`; the result is always in UTC."""
    if timestamp is None:
        return None

    return datetime.fromtimestamp(timestamp, UTC)


def timedelta_seconds(delta: timedelta) -> float:
    """Length of ``delta`` in seconds.

    Evaluated with the same float expression as APScheduler rather than via
    :meth:`timedelta.total_seconds`, so interval maths cannot drift by a rounding step.
    """
    return delta.days * 86400 + delta.seconds + delta.microseconds / 1000000.0


def datetime_ceil(dateval: datetime) -> datetime:
    """Round up to the next whole second, so sub-second "now" never schedules in the past."""
    if dateval.microsecond > 0:
        step = timedelta(seconds=1, microseconds=-dateval.microsecond)
        return datetime_utc_add(dateval, step)

    return dateval


def datetime_utc_add(dateval: datetime, tdelta: timedelta) -> datetime:
    """Add ``tdelta`` as elapsed time rather than wall-clock time.

    Adding directly to an aware datetime ignores DST transitions in between; going through
    UTC gives the instant that is really ``tdelta`` later, expressed in the original zone.
    """
    zone = dateval.tzinfo
    if zone is None:
        return dateval + tdelta

    return (dateval.astimezone(UTC) + tdelta).astimezone(zone)


def datetime_repr(dateval: datetime | None) -> str:
    """Human readable form used in job and trigger reprs."""
    if not dateval:
        return "None"

    return dateval.strftime("%Y-%m-%d %H:%M:%S %Z")


def timezone_repr(timezone: tzinfo) -> str:
    """Show ZoneInfo zones by key, which is far more readable than their repr()."""
    if isinstance(timezone, ZoneInfo):
        return timezone.key

    return repr(timezone)


def get_callable_name(func: Callable[..., Any]) -> str:
    """Best display name for ``func``, also used to build textual references to it."""
    # plain functions first: what jobs are nearly always made of
    if type(func) is FunctionType:
        return func.__qualname__

    if isinstance(func, MethodType):
        owner = func.__self__
        # Methods bound to a class (classmethods) are named after that class itself.
        cls = owner if isinstance(owner, type) else type(owner)
        return f"{cls.__qualname__}.{func.__name__}"

    if isinstance(func, (type, FunctionType, BuiltinFunctionType)):
        return func.__qualname__

    # Not callable(func): APScheduler also names objects whose *instance* attribute
    # __call__ is callable, even though such objects cannot actually be called.
    if hasattr(func, "__call__") and callable(func.__call__):  # noqa: B004
        # Instances have no name of their own, so name their class.
        return type(func).__qualname__

    raise TypeError(f"Unable to determine a name for {func!r} -- maybe it is not a callable?")


def obj_to_ref(obj: Callable[..., Any]) -> str:
    """Build a ``module:qualname`` string so persistent job stores can find ``obj`` again.

    Objects that cannot be looked up by name later (partials, lambdas, nested functions)
    are rejected now rather than failing when the job is loaded.
    """
    if isinstance(obj, partial):
        raise ValueError("Cannot create a reference to a partial()")

    name = get_callable_name(obj)
    if "<lambda>" in name:
        raise ValueError("Cannot create a reference to a lambda")
    if "<locals>" in name:
        raise ValueError("Cannot create a reference to a nested function")

    holder = obj.__self__ if isinstance(obj, MethodType) else obj
    # interned: the jobs of one function share one reference string
    return sys.intern(f"{holder.__module__}:{name}")


def ref_to_obj(ref: str) -> Any:
    """Resolve a ``module:attr.path`` reference created by :func:`obj_to_ref`."""
    if not isinstance(ref, str):
        raise TypeError("References must be strings")
    if ":" not in ref:
        raise ValueError("Invalid reference")

    # Found without an import when the module is a plain one that is already
    # imported (__import__ costs a microsecond even then; restoring a job does
    # this once): (obj,), else None and the import below.
    found = resolve_imported_ref(ref)
    if found is not None:
        return found[0]

    module_name, attr_path = ref.split(":", 1)
    try:
        # A non-empty fromlist makes __import__ return the leaf module and also
        # import a submodule named by the attribute path (e.g. "xml:dom.minidom").
        target = __import__(module_name, fromlist=[attr_path])
    except ImportError as exc:
        raise LookupError(f"Error resolving reference {ref}: could not import module") from exc

    try:
        for attr in attr_path.split("."):
            target = getattr(target, attr)
    except Exception as exc:
        raise LookupError(f"Error resolving reference {ref}: error looking up object") from exc

    return target


def maybe_ref(ref: Any) -> Any:
    """Let options accept either an object or a textual reference to one."""
    if isinstance(ref, str):
        return ref_to_obj(ref)

    return ref


#: id(function) -> [weak reference to it, its code, defaults and keyword-only
#: default names, its parameters, the outcomes of checks against them]: the
#: analysis of ``inspect.signature`` (about 7 us a call) and what a check of
#: ``(number of args, kwargs names)`` concluded (an error message or ``None``),
#: kept while the function's code and defaults stay the same. An entry goes with
#: its function (the weak reference's callback): no function is kept alive.
_ANALYSES: dict[int, list[Any]] = {}
#: Distinct argument shapes remembered per function; more clear the outcomes.
_MAX_OUTCOMES = 32


def _forget(key: int, dead: weak_ref) -> None:
    entry = _ANALYSES.get(key)
    if entry is not None and entry[0] is dead:
        _ANALYSES.pop(key, None)


def _analyse(func: Callable[..., Any]) -> tuple[tuple[Any, str, bool], ...]:
    """``(kind, name, required)`` of each parameter of ``func``, as
    ``inspect.signature`` reports them; raises ValueError where it does."""
    from inspect import Parameter, signature

    return tuple(
        (param.kind, param.name, param.default is Parameter.empty)
        for param in signature(func, follow_wrapped=False).parameters.values()
    )


def _cached_analysis(func: Callable[..., Any]) -> list[Any] | None:
    """The cache entry of ``func``, made or renewed as needed; ``None`` for what
    is not cached: anything but a plain function without an explicit
    ``__signature__`` (their signatures follow from more than code and defaults).
    Raises ValueError where ``inspect.signature`` does."""
    if type(func) is not FunctionType or "__signature__" in func.__dict__:
        return None
    kwdefaults = func.__kwdefaults__
    kwdefault_names = tuple(kwdefaults) if kwdefaults else ()
    key = id(func)
    entry = _ANALYSES.get(key)
    if (
        entry is not None
        and entry[0]() is func
        and entry[1] is func.__code__
        and entry[2] is func.__defaults__
        and entry[3] == kwdefault_names
    ):
        return entry
    entry = [
        weak_ref(func, partial(_forget, key)),
        func.__code__,
        func.__defaults__,
        kwdefault_names,
        _analyse(func),
        {},
    ]
    _ANALYSES[key] = entry
    return entry


def _inspect_parameter() -> Any:
    # inspect is imported on first use only: it is slow to import
    global _PARAMETER_CLASS
    if _PARAMETER_CLASS is None:
        from inspect import Parameter

        _PARAMETER_CLASS = Parameter
    return _PARAMETER_CLASS


_PARAMETER_CLASS: Any = None


def check_callable_args(
    func: Callable[..., Any], args: Iterable[Any], kwargs: Mapping[str, Any]
) -> None:
    """Raise ValueError if ``func(*args, **kwargs)`` would fail to bind.

    Done when the job is added so mistakes surface immediately, not at the first run.
    Callables whose signature cannot be introspected are accepted as-is.
    """
    nargs = len(args if type(args) is tuple else tuple(args))
    kwnames = tuple(kwargs)
    try:
        entry = _cached_analysis(func)
        parameters = _analyse(func) if entry is None else entry[4]
    except ValueError:
        return

    # Outcomes are remembered for names that are exact strings only: other keys
    # could hash or compare in ways of their own.
    outcomes = None if entry is None else entry[5]
    for name in kwnames:
        if type(name) is not str:
            outcomes = None
            break
    if outcomes is None:
        message = _binding_error(parameters, nargs, kwnames)
    else:
        shape = (nargs, *kwnames)
        message = outcomes.get(shape, False)
        if message is False:
            message = _binding_error(parameters, nargs, kwnames)
            if len(outcomes) >= _MAX_OUTCOMES:
                outcomes.clear()
            outcomes[shape] = message
    if message is not None:
        raise ValueError(message)


def _binding_error(
    parameters: tuple[tuple[Any, str, bool], ...], nargs: int, kwnames: tuple[Any, ...]
) -> str | None:
    """Why ``nargs`` positional and ``kwnames`` keyword arguments do not bind to
    ``parameters`` (see :func:`_analyse`), or ``None`` if they do."""
    Parameter = _inspect_parameter()
    free_args = nargs  # positional values not yet bound to a parameter
    free_kwargs = list(kwnames)  # keyword names not yet bound to a parameter
    in_both: list[str] = []
    posonly_as_keyword: list[str] = []
    missing: list[str] = []
    missing_kwonly: list[str] = []
    takes_varargs = takes_varkw = False

    for kind, name, required in parameters:
        if kind is Parameter.POSITIONAL_OR_KEYWORD:
            if free_args and name in free_kwargs:
                # Reported as a conflict; the positional value stays free for the next one.
                in_both.append(name)
            elif free_args:
                free_args -= 1
            elif name in free_kwargs:
                free_kwargs.remove(name)
            elif required:
                missing.append(name)
        elif kind is Parameter.POSITIONAL_ONLY:
            if free_args:
                free_args -= 1
            elif name in free_kwargs:
                free_kwargs.remove(name)
                posonly_as_keyword.append(name)
            elif required:
                missing.append(name)
        elif kind is Parameter.KEYWORD_ONLY:
            if name in free_kwargs:
                free_kwargs.remove(name)
            elif required:
                missing_kwonly.append(name)
        elif kind is Parameter.VAR_POSITIONAL:
            takes_varargs = True
        elif kind is Parameter.VAR_KEYWORD:
            takes_varkw = True

    # The order of these checks decides which message the user sees; keep it stable.
    if in_both:
        return "The following arguments are supplied in both args and kwargs: " + ", ".join(
            in_both
        )
    if posonly_as_keyword:
        return "The following arguments cannot be given as keyword arguments: " + ", ".join(
            posonly_as_keyword
        )
    if missing:
        return "The following arguments have not been supplied: " + ", ".join(missing)
    if missing_kwonly:
        return (
            "The following keyword-only arguments have not been supplied in kwargs: "
            + ", ".join(missing_kwonly)
        )
    if free_args and not takes_varargs:
        return (
            "The list of positional arguments is longer than the target callable can handle "
            f"(allowed: {nargs - free_args}, given in args: {nargs})"
        )
    if free_kwargs and not takes_varkw:
        return "The target callable does not accept the following keyword arguments: " + (
            ", ".join(free_kwargs)
        )
    return None


_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect


def iscoroutinefunction_partial(f: Callable[..., Any]) -> bool:
    """Tell whether calling ``f`` (possibly wrapped in partials) returns a coroutine."""
    while isinstance(f, partial):
        f = f.func

    # the usual case, answered without the general checks below
    if type(f) is FunctionType and f.__code__.co_flags & _CO_COROUTINE:
        return True

    # asyncio's variant also honours the legacy @asyncio.coroutine marker; it is
    # deprecated from 3.14 on, where inspect's is the only one left.
    if sys.version_info < (3, 14):
        from asyncio import iscoroutinefunction
    else:
        from inspect import iscoroutinefunction

    return iscoroutinefunction(f)


def normalize(dt: datetime) -> datetime:
    """Fix up a wall time that falls in a DST gap by round-tripping through a timestamp."""
    return datetime.fromtimestamp(dt.timestamp(), dt.tzinfo)


def localize(dt: datetime, tzinfo: tzinfo) -> datetime:
    """Attach ``tzinfo`` to a naive datetime, using pytz's ``localize()`` when it has one."""
    if hasattr(tzinfo, "localize"):
        return tzinfo.localize(dt)

    return normalize(dt.replace(tzinfo=tzinfo))
