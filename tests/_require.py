"""Optional test dependencies: a missing one skips its tests on a developer's
machine, but fails them under CI (``CI=true``), where the test extra installs
everything and a skip would hide a broken set-up."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def require(module: str) -> ModuleType:
    """Import ``module`` for a test file, or skip it (fail it under CI)."""
    if os.environ.get("CI", "").lower() == "true":
        return importlib.import_module(module)
    return pytest.importorskip(module)
