"""Run code written for APScheduler 3 unchanged.

After :func:`install`, ``import apscheduler...`` in this process gives the
matching ``apscheduler_rs`` module, the very same module object, so classes,
``isinstance`` checks and pickles agree under both names::

    import apscheduler_rs.compat
    apscheduler_rs.compat.install()

    from apscheduler.triggers.cron import CronTrigger  # apscheduler_rs's

Call it before anything imports ``apscheduler`` (early in your entry point).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

__all__ = ("install", "installed", "uninstall")

ALIAS = "apscheduler"
TARGET = "apscheduler_rs"


def _aliased(fullname: str) -> bool:
    return fullname == ALIAS or fullname.startswith(ALIAS + ".")


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the already-imported real module."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._real_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped our alias spec on the real module; the
        # module keeps its own identity (reload, pickling by name, -m).
        module.__spec__ = self._real_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``apscheduler[.x]`` as ``apscheduler_rs[.x]``."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not _aliased(fullname):
            return None
        real = TARGET + fullname[len(ALIAS) :]
        if importlib.util.find_spec(real) is None:
            # Never fall through to a real APScheduler that may be installed:
            # mixing the two in one process is what install() exists to avoid.
            raise ModuleNotFoundError(
                f"No module named {real!r} (imported as {fullname!r} through "
                f"apscheduler_rs.compat)",
                name=fullname,
            )
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


_finder = _AliasFinder()


def installed() -> bool:
    """Whether ``apscheduler`` imports are redirected in this process."""
    return _finder in sys.meta_path


def install() -> None:
    """Make ``import apscheduler...`` load apscheduler_rs (idempotent).

    :raises RuntimeError: if the real ``apscheduler`` is already imported, since
        objects of both libraries would then be in use side by side
    """
    if installed():
        return
    foreign = sorted(
        name
        for name, module in sys.modules.items()
        if _aliased(name) and not getattr(module, "__name__", "").startswith(TARGET)
    )
    if foreign:
        raise RuntimeError(
            "apscheduler is already imported in this process "
            f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
            "call apscheduler_rs.compat.install() before anything imports it"
        )
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Undo :func:`install`: stop redirecting and forget the aliases."""
    if installed():
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if _aliased(n)]:
        if getattr(sys.modules[name], "__name__", "").startswith(TARGET):
            del sys.modules[name]
