"""Loading pickles written by APScheduler 3.

Jobs and triggers pickled by APScheduler name classes under ``apscheduler.``;
the same classes live under ``apscheduler_rs.`` here, with the same state
layout, so loading only needs the module names mapped.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

__all__ = ("CompatUnpickler", "loads")


class CompatUnpickler(pickle.Unpickler):
    """An unpickler that reads ``apscheduler.*`` classes as ``apscheduler_rs.*``."""

    source = "apscheduler"
    target = "apscheduler_rs"

    def find_class(self, module: str, name: str) -> Any:
        if module == self.source or module.startswith(self.source + "."):
            module = self.target + module[len(self.source) :]
        return super().find_class(module, name)


def loads(data: bytes) -> Any:
    """``pickle.loads`` that accepts pickles from APScheduler 3 as well as ours."""
    return CompatUnpickler(io.BytesIO(data)).load()
