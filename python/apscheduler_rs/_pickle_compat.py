"""Loading pickles written by APScheduler 3.

Jobs and triggers pickled by APScheduler name classes under ``apscheduler.``;
the same classes live under ``apscheduler_rs.`` here, with the same state
layout, so loading only needs the module names mapped.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

__all__ = ("CompatUnpickler", "loads", "translate_reference")


class CompatUnpickler(pickle.Unpickler):
    """An unpickler that reads ``apscheduler.*`` classes as ``apscheduler_rs.*``."""

    source = "apscheduler"
    target = "apscheduler_rs"

    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(_translate_module(module, self.source, self.target), name)


def _translate_module(
    module: str, source: str = CompatUnpickler.source, target: str = CompatUnpickler.target
) -> str:
    if module == source or module.startswith(source + "."):
        return target + module[len(source) :]
    return module


def translate_reference(ref: str) -> str:
    """A ``module:name`` reference with an ``apscheduler`` module renamed to ours."""
    module, sep, name = ref.partition(":")
    return _translate_module(module) + sep + name


def loads(data: bytes) -> Any:
    """``pickle.loads`` that accepts pickles from APScheduler 3 as well as ours."""
    return CompatUnpickler(io.BytesIO(data)).load()
