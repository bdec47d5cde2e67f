"""check_callable_args caches each function's parameter analysis; changing the
function's code, defaults or explicit signature must be seen at once, exactly as
the uncached reference sees it."""

from __future__ import annotations

import inspect
from typing import Any

import apscheduler.util as ref_util
import pytest

import apscheduler_rs.util as our_util


def outcome(util: Any, func: Any, args: tuple, kwargs: dict) -> str:
    try:
        util.check_callable_args(func, args, kwargs)
    except ValueError as exc:
        return str(exc)
    return "ok"


def same(func: Any, args: tuple = (), kwargs: dict | None = None) -> str:
    kwargs = kwargs or {}
    ours, ref = outcome(our_util, func, args, kwargs), outcome(ref_util, func, args, kwargs)
    assert ours == ref
    return ours


def test_changed_defaults_are_seen() -> None:
    def job(a, b):
        return a, b

    assert same(job, (1,)) == "The following arguments have not been supplied: b"
    assert same(job, (1,)) == "The following arguments have not been supplied: b"  # cached
    job.__defaults__ = (2,)
    assert same(job, (1,)) == "ok"


def test_changed_keyword_only_defaults_are_seen() -> None:
    def job(*, a, b):
        return a, b

    assert same(job, (), {"a": 1}).startswith("The following keyword-only")
    job.__kwdefaults__ = {"b": 2}
    assert same(job, (), {"a": 1}) == "ok"
    job.__kwdefaults__["a"] = 1  # changed in place
    assert same(job) == "ok"


def test_changed_code_is_seen() -> None:
    def job(a):
        return a

    def other(a, b, c):
        return a, b, c

    assert same(job, (1,)) == "ok"
    job.__code__ = other.__code__
    assert same(job, (1,)).endswith("b, c")


def test_an_explicit_signature_is_honoured() -> None:
    def job(*args, **kwargs):
        return args, kwargs

    assert same(job, (1, 2, 3)) == "ok"
    job.__signature__ = inspect.signature(lambda a: a)
    assert same(job, (1, 2, 3)).startswith("The list of positional arguments is longer")


@pytest.mark.parametrize("count", [1, 2, 50])
def test_repeated_checks_agree(count: int) -> None:
    def job(a, /, b, *, c=3):
        return a, b, c

    for _ in range(count):
        assert same(job, (1,), {"b": 2}) == "ok"
        assert same(job, (), {"a": 1, "b": 2}).startswith("The following arguments cannot")


def test_entry_goes_with_its_function() -> None:
    import gc

    def job(a):
        return a

    key = id(job)
    assert same(job, (1,)) == "ok"
    assert key in our_util._ANALYSES
    del job
    gc.collect()
    assert key not in our_util._ANALYSES


def test_many_argument_shapes_agree() -> None:
    def job(a, b=2, *args, c, **kwargs):
        return a, b, args, c, kwargs

    for _ in range(2):
        for count in range(our_util._MAX_OUTCOMES + 5):
            same(job, tuple(range(count)), {"c": 1} if count % 2 else {})
            same(job, (), {"a": 1, "b": 2, "d": count})


def test_non_string_keyword_names_agree() -> None:
    def job(**kwargs):
        return kwargs

    def strict(a):
        return a

    def bare():
        return None

    for _ in range(2):
        assert same(job, (), {1: "x"}) == "ok"
        assert same(strict, (), {1: "x"}).endswith("supplied: a")
        for util in (our_util, ref_util):  # the names cannot be joined into the message
            with pytest.raises(TypeError):
                util.check_callable_args(bare, (), {1: "x"})
