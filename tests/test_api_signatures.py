"""Every public module, class, function and method of APScheduler 3.11.3 exists
here under the same path, with the same parameters (names, kinds, defaults) as
``inspect.signature`` reports them, apart from the deviations listed below."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import apscheduler
import pytest

# Keyword-only parameters we add (opt-in features; their defaults keep 3.11.3's
# behaviour or, for sqlite_wal, are documented in the README's deviations).
ADDED_KEYWORDS = {
    "apscheduler.jobstores.mongodb.MongoDBJobStore": {"serializer", "allowed_callables"},
    "apscheduler.jobstores.redis.RedisJobStore": {"serializer", "allowed_callables"},
    "apscheduler.jobstores.sqlalchemy.SQLAlchemyJobStore": {
        "serializer",
        "allowed_callables",
        "sqlite_wal",
    },
}

# Parameters whose default differs only in form: None stands for 3.11.3's
# shared mutable {} and means the same.
NONE_FOR_EMPTY_DICT = {"gconfig"}

# Names 3.11.3 leaves behind by accident (a loop's variables), not API.
LEFTOVERS = {"apscheduler.schedulers.qt": {"pkgname", "version"}}

# Where ours is more precise than 3.11.3's pass-through (*args, **kwargs).
NARROWED = {"apscheduler.schedulers.qt.QtScheduler.shutdown"}


def reference_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(apscheduler.__path__, "apscheduler.")]
    importable = []
    for name in sorted(names):
        try:
            importlib.import_module(name)
        except ImportError:  # a framework 3.11.3 needs and this machine lacks
            continue
        importable.append(name)
    return importable


def public_callables(module_name: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    """(dotted path, object) of the module's own public classes and functions,
    and each class's own public methods and ``__init__``."""
    module = importlib.import_module(module_name)
    for attr, obj in vars(module).items():
        if attr.startswith("_") or getattr(obj, "__module__", None) != module_name:
            continue
        if not callable(obj):
            continue
        yield f"{module_name}.{attr}", obj
        if inspect.isclass(obj):
            for method, function in vars(obj).items():
                if method.startswith("_") and method != "__init__":
                    continue
                if callable(function) or isinstance(function, (classmethod, staticmethod)):
                    yield f"{module_name}.{attr}.{method}", getattr(obj, method)


def ours_for(path: str) -> Any:
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        module_path = ".".join(parts[:split])
        try:
            target = importlib.import_module(
                module_path.replace("apscheduler", "apscheduler_rs", 1)
            )
        except ImportError:
            continue
        for attr in parts[split:]:
            target = getattr(target, attr)
        return target
    raise AssertionError(f"no module for {path}")


def parameters(function: Any, owner_path: str) -> list[tuple[str, str, str]]:
    signature = inspect.signature(function)
    result = []
    for param in signature.parameters.values():
        kind = param.kind
        # A Rust method's text signature makes self positional-only; callers
        # cannot tell.
        if param.name == "self" and kind is inspect.Parameter.POSITIONAL_ONLY:
            kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        if param.name in ADDED_KEYWORDS.get(owner_path, ()):
            continue
        default = param.default
        if param.name in NONE_FOR_EMPTY_DICT and default == {}:
            default = None
        result.append((param.name, kind.name, repr(default)))
    return result


def owner_of(path: str) -> str:
    """The class path a method path belongs to (itself for a class)."""
    parts = path.split(".")
    return ".".join(parts[:-1]) if parts[-1][:1].islower() or parts[-1] == "__init__" else path


def is_slot_init(function: Any) -> bool:
    """``object.__init__`` inherited by a Rust-backed class: its parameters are
    those of the class, compared through the class itself."""
    return isinstance(function, type(object.__init__)) or type(function).__name__ in (
        "wrapper_descriptor",
        "method-wrapper",
    )


def has_signature(function: Any) -> bool:
    try:
        inspect.signature(function)
    except (ValueError, TypeError):  # a C builtin of 3.11.3's (none of its own code)
        return False
    return True


CASES = [
    (path, reference)
    for module in reference_modules()
    for path, reference in public_callables(module)
    if path not in NARROWED and has_signature(reference)
]


@pytest.mark.parametrize(("path", "reference"), CASES, ids=[path for path, _ in CASES])
def test_same_parameters(path: str, reference: Any) -> None:
    ours = ours_for(path)
    expected = parameters(reference, owner_of(path))
    if path.endswith(".__init__") and is_slot_init(ours):
        ours = ours_for(path.rsplit(".", 1)[0])
        expected = [p for p in expected if p[0] != "self"]
    assert parameters(ours, owner_of(path)) == expected


def test_cases_cover_the_scheduler_api() -> None:
    # Guard against the walk silently finding nothing.
    paths = {path for path, _ in CASES}
    assert "apscheduler.schedulers.base.BaseScheduler.add_job" in paths
    assert "apscheduler.triggers.cron.CronTrigger" in paths
    assert len(paths) > 200


@pytest.mark.parametrize("module_name", reference_modules())
def test_same_public_names(module_name: str) -> None:
    reference = importlib.import_module(module_name)
    ours = importlib.import_module(module_name.replace("apscheduler", "apscheduler_rs", 1))
    # Its own definitions and constants, not what it imported to use.
    expected = {
        name
        for name, value in vars(reference).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", module_name) == module_name
    } - LEFTOVERS.get(module_name, set())
    assert sorted(expected - set(dir(ours))) == []


CLASSES = [
    (path, reference)
    for module in reference_modules()
    for path, reference in public_callables(module)
    if inspect.isclass(reference)
]


@pytest.mark.parametrize(("path", "reference"), CLASSES, ids=[path for path, _ in CLASSES])
def test_same_class_attributes(path: str, reference: type) -> None:
    ours = ours_for(path)
    missing = [
        name for name in dir(reference) if not name.startswith("_") and not hasattr(ours, name)
    ]
    assert missing == []
