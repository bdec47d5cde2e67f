"""Which trigger implementation the trigger tests exercise.

By default the implementation under test is ``apscheduler_rs``.  Setting the environment
variable ``APSRS_IMPL`` to another module prefix selects that one instead; in particular
``APSRS_IMPL=apscheduler`` runs the whole suite reference-against-reference, which proves
that the harness itself is sound before (or while) the Rust implementation exists.

The reference is always the installed ``apscheduler`` (3.11.3): differential tests compare
the implementation under test with it.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from types import ModuleType

REF_NAME = "apscheduler"
IMPL_NAME = os.environ.get("APSRS_IMPL", "").strip() or "apscheduler_rs"


@dataclass(frozen=True)
class TriggerLib:
    """The trigger-related modules of one implementation, under the reference's paths."""

    name: str
    base: ModuleType
    date: ModuleType
    interval: ModuleType
    cron: ModuleType
    calendarinterval: ModuleType
    combining: ModuleType
    util: ModuleType

    # Shortcuts to the public classes -------------------------------------------------
    @property
    def BaseTrigger(self) -> type:  # noqa: N802 - mirrors the class name
        return self.base.BaseTrigger

    @property
    def DateTrigger(self) -> type:  # noqa: N802
        return self.date.DateTrigger

    @property
    def IntervalTrigger(self) -> type:  # noqa: N802
        return self.interval.IntervalTrigger

    @property
    def CronTrigger(self) -> type:  # noqa: N802
        return self.cron.CronTrigger

    @property
    def CalendarIntervalTrigger(self) -> type:  # noqa: N802
        return self.calendarinterval.CalendarIntervalTrigger

    @property
    def AndTrigger(self) -> type:  # noqa: N802
        return self.combining.AndTrigger

    @property
    def OrTrigger(self) -> type:  # noqa: N802
        return self.combining.OrTrigger


def load(prefix: str) -> TriggerLib:
    """Import the trigger modules of the implementation living under ``prefix``."""

    def mod(path: str) -> ModuleType:
        try:
            return importlib.import_module(f"{prefix}.{path}")
        except ImportError as exc:  # pragma: no cover - only when the impl is missing
            raise ImportError(
                f"cannot import {prefix}.{path} for the trigger tests ({exc}); build the "
                f"extension first, or set APSRS_IMPL=apscheduler to validate the harness "
                f"against the reference"
            ) from exc

    return TriggerLib(
        name=prefix,
        base=mod("triggers.base"),
        date=mod("triggers.date"),
        interval=mod("triggers.interval"),
        cron=mod("triggers.cron"),
        calendarinterval=mod("triggers.calendarinterval"),
        combining=mod("triggers.combining"),
        util=mod("util"),
    )


REF: TriggerLib = load(REF_NAME)
IMPL: TriggerLib = load(IMPL_NAME)

#: True when the suite runs the reference against itself (harness validation).
SELF_CHECK: bool = IMPL_NAME == REF_NAME


def same_module_path(ref_path: str) -> str:
    """Translate ``apscheduler.x.y`` into the matching path of the implementation."""
    if ref_path == REF_NAME or ref_path.startswith(REF_NAME + "."):
        return IMPL_NAME + ref_path[len(REF_NAME) :]
    return ref_path


def to_ref_module_path(text: str) -> str:
    """Translate an implementation module path (or ``module:qualname`` ref) to the
    reference's spelling, so that pickled/serialized states can be compared."""
    if text == IMPL_NAME or text.startswith((IMPL_NAME + ".", IMPL_NAME + ":")):
        return REF_NAME + text[len(IMPL_NAME) :]
    return text
