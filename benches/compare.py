"""Side-by-side benchmark: APScheduler 3.11.3 (reference) against apscheduler_rs.

Both libraries run the same workloads in one process (import time: in fresh
subprocesses), and the script first checks that they compute the same results.
Each timing is the best of several rounds of a batch of operations, reported in
time per operation; the ratio is reference / apscheduler_rs (higher is better).

Usage (from a venv with both installed; build apscheduler_rs with --release)::

    python benches/compare.py [--quick] [--json PATH] [--filter SUBSTRING]

Workloads are entries of ``WORKLOADS``: a name, a target ratio (or ``None``), a
``make(lib, n)`` that prepares a zero-argument callable doing ``n`` operations
(preparation is not timed), and a ``check(lib)`` whose results must be equal for
both libraries. Scheduler and job store workloads can be added the same way;
workloads that cannot run in-process (like import time) give ``measure``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import perf_counter_ns
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Helsinki")
# A Thursday three days before Helsinki's spring-forward change (2025-03-30 03:00),
# with microseconds, so chains cross the change and fresh times need rounding.
NOW = datetime(2025, 3, 27, 10, 17, 23, 500_000, tzinfo=TZ)
CRONTAB = "*/5 8-17 * * mon-fri"

TARGET_CRON_NEXT = 30.0
TARGET_CRON_BUILD = 20.0
TARGET_INTERVAL_NEXT = 10.0


# --------------------------------------------------------------------------- libraries


class Lib:
    """One implementation: ``lib.mod("triggers.cron")`` imports
    ``<package>.triggers.cron``."""

    def __init__(self, label: str, package: str) -> None:
        self.label = label
        self.package = package

    def mod(self, name: str) -> Any:
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def CronTrigger(self) -> Any:  # noqa: N802 - mirrors the class name
        return self.mod("triggers.cron").CronTrigger

    @property
    def IntervalTrigger(self) -> Any:  # noqa: N802
        return self.mod("triggers.interval").IntervalTrigger

    @property
    def DateTrigger(self) -> Any:  # noqa: N802
        return self.mod("triggers.date").DateTrigger

    @property
    def CalendarIntervalTrigger(self) -> Any:  # noqa: N802
        return self.mod("triggers.calendarinterval").CalendarIntervalTrigger


REFERENCE = Lib("apscheduler", "apscheduler")
OURS = Lib("apscheduler_rs", "apscheduler_rs")


# --------------------------------------------------------------------------- workloads

Go = Callable[[], Any]


@dataclass
class Workload:
    name: str
    target: float | None
    #: prepares a callable that performs ``n`` operations (not timed)
    make: Callable[[Lib, int], Go] | None = None
    #: values that must be equal for both libraries
    check: Callable[[Lib], Any] | None = None
    #: ``n`` is always a multiple of this (chains restart, pools cycle)
    unit: int = 1
    #: custom measurement, returning ns per op (replaces ``make``)
    measure: Callable[[Lib, Config], float] | None = None
    #: what ``measure`` returns: "time" (ns) or "bytes"
    quantity: str = "time"


def show(dt: datetime | None) -> str | None:
    """Everything about a result that must match: value, offset, fold, tzinfo."""
    if dt is None:
        return None
    return f"{dt.isoformat()} fold={dt.fold} tz={dt.tzinfo!r}"


def fresh_nows(count: int, period: int = 500, step: int = 97) -> list[datetime]:
    """``count`` distinct datetime objects (no object reuse), whose values
    cycle with ``period`` so that every batch size sees the same mix."""
    return [NOW + timedelta(seconds=(i % period) * step) for i in range(count)]


# cron --------------------------------------------------------------------------


def crontab_trigger(lib: Lib) -> Any:
    return lib.CronTrigger.from_crontab(CRONTAB, timezone=TZ)


def keyword_trigger(lib: Lib) -> Any:
    return lib.CronTrigger(day_of_week="mon-fri", hour="8,12", minute=30, timezone=TZ)


def chained(factory: Callable[[Lib], Any], chain: int) -> Callable[[Lib, int], Go]:
    """``get_next_fire_time(prev, prev)`` as a scheduler runs a job: the previous
    fire time is the last result and ``now`` is that time. Chains of ``chain``
    steps from the first fire time after ``NOW``, restarted as needed."""

    def make(lib: Lib, n: int) -> Go:
        trigger = factory(lib)
        get_next = trigger.get_next_fire_time
        first = get_next(None, NOW)

        def go() -> Any:
            prev = None
            for _ in range(n // chain):
                prev = first
                for _ in range(chain):
                    prev = get_next(prev, prev)
            return prev

        return go

    return make


def chained_check(factory: Callable[[Lib], Any], chain: int) -> Callable[[Lib], Any]:
    def check(lib: Lib) -> list[str | None]:
        get_next = factory(lib).get_next_fire_time
        prev = get_next(None, NOW)
        out = [show(prev)]
        for _ in range(chain):
            prev = get_next(prev, prev)
            out.append(show(prev))
        return out

    return check


def fresh_now(factory: Callable[[Lib], Any], pool: int = 500) -> Callable[[Lib, int], Go]:
    """``get_next_fire_time(None, now)`` with a new ``now`` object each call."""

    def make(lib: Lib, n: int) -> Go:
        get_next = factory(lib).get_next_fire_time
        nows = fresh_nows(n, pool)

        def go() -> Any:
            result = None
            for now in nows:
                result = get_next(None, now)
            return result

        return go

    return make


def fresh_check(factory: Callable[[Lib], Any], pool: int = 500) -> Callable[[Lib], Any]:
    def check(lib: Lib) -> list[str | None]:
        get_next = factory(lib).get_next_fire_time
        return [show(get_next(None, now)) for now in fresh_nows(pool, pool)]

    return check


def same_now(factory: Callable[[Lib], Any]) -> Callable[[Lib, int], Go]:
    """``get_next_fire_time(None, now)`` with one shared ``now`` object, as for
    the due jobs of one scheduler step."""

    def make(lib: Lib, n: int) -> Go:
        get_next = factory(lib).get_next_fire_time
        now = NOW + timedelta(0)

        def go() -> Any:
            result = None
            for _ in range(n):
                result = get_next(None, now)
            return result

        return go

    return make


def repeat(op: Callable[[], Any], n: int) -> Go:
    def go() -> Any:
        result = None
        for _ in range(n):
            result = op()
        return result

    return go


def build_crontab_tz(lib: Lib, n: int) -> Go:
    from_crontab = lib.CronTrigger.from_crontab
    return repeat(lambda: from_crontab(CRONTAB, timezone=TZ), n)


def build_crontab_local(lib: Lib, n: int) -> Go:
    from_crontab = lib.CronTrigger.from_crontab
    return repeat(lambda: from_crontab(CRONTAB), n)


def build_keyword(lib: Lib, n: int) -> Go:
    cron = lib.CronTrigger
    return repeat(lambda: cron(day_of_week="mon-fri", hour="8,12", minute=30, timezone=TZ), n)


def trigger_check(build: Callable[[Lib], Any]) -> Callable[[Lib], Any]:
    def check(lib: Lib) -> tuple[Any, ...]:
        trigger = build(lib)
        return str(trigger), repr(trigger), show(trigger.get_next_fire_time(None, NOW))

    return check


# interval, date, calendar interval -----------------------------------------------


def interval_trigger(lib: Lib) -> Any:
    return lib.IntervalTrigger(hours=1, start_date=datetime(2025, 1, 1, tzinfo=TZ), timezone=TZ)


def calendar_trigger(lib: Lib) -> Any:
    # 03:30 does not exist on 2025-03-30 in Helsinki (skipped) and happens twice
    # on 2025-10-26; a chain of 240 days from NOW crosses both.
    return lib.CalendarIntervalTrigger(
        days=1, hour=3, minute=30, start_date=date(2025, 1, 1), timezone=TZ
    )


RUN_DATE = datetime(2025, 6, 1, 12, 0, tzinfo=TZ)


def build_date(lib: Lib, n: int) -> Go:
    date_trigger = lib.DateTrigger
    return repeat(lambda: date_trigger(RUN_DATE, TZ), n)


def build_date_str(lib: Lib, n: int) -> Go:
    date_trigger = lib.DateTrigger
    return repeat(lambda: date_trigger("2025-06-01 12:00:00", TZ), n)


def date_check(run_date: Any) -> Callable[[Lib], Any]:
    def check(lib: Lib) -> tuple[Any, ...]:
        trigger = lib.DateTrigger(run_date, TZ)
        first = trigger.get_next_fire_time(None, NOW)
        return str(trigger), repr(trigger), show(first), trigger.get_next_fire_time(first, NOW)

    return check


# import time -----------------------------------------------------------------------

IMPORT_SNIPPET = "\n".join(
    [
        "import time",
        "t = time.perf_counter_ns()",
        "import {module}",
        "print(time.perf_counter_ns() - t)",
    ]
)


def import_time(module: str) -> Callable[[Lib, Config], float]:
    """Median time of ``import <package>.<module>`` in fresh interpreters."""

    def measure(lib: Lib, cfg: Config) -> float:
        code = IMPORT_SNIPPET.format(module=f"{lib.package}.{module}")
        samples = []
        for i in range(cfg.import_runs + 1):
            out = subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
            if i:  # the first run warms the OS caches
                samples.append(int(out.strip()))
        return statistics.median(samples)

    return measure


CRON_CHAIN = 500
INTERVAL_CHAIN = 500
CALENDAR_CHAIN = 240

WORKLOADS: list[Workload] = [
    Workload(
        "CronTrigger.get_next_fire_time chained (crontab)",
        TARGET_CRON_NEXT,
        chained(crontab_trigger, CRON_CHAIN),
        chained_check(crontab_trigger, CRON_CHAIN),
        unit=CRON_CHAIN,
    ),
    Workload(
        "CronTrigger.get_next_fire_time fresh now (crontab)",
        TARGET_CRON_NEXT,
        fresh_now(crontab_trigger),
        fresh_check(crontab_trigger),
        unit=500,
    ),
    Workload(
        "CronTrigger.get_next_fire_time same now (crontab)",
        TARGET_CRON_NEXT,
        same_now(crontab_trigger),
        trigger_check(crontab_trigger),
    ),
    Workload(
        "CronTrigger.get_next_fire_time chained (mon-fri 8,12:30)",
        TARGET_CRON_NEXT,
        chained(keyword_trigger, CRON_CHAIN),
        chained_check(keyword_trigger, CRON_CHAIN),
        unit=CRON_CHAIN,
    ),
    Workload(
        "CronTrigger.from_crontab(expr, timezone=tz)",
        TARGET_CRON_BUILD,
        build_crontab_tz,
        trigger_check(crontab_trigger),
    ),
    Workload(
        "CronTrigger.from_crontab(expr) (local zone)",
        TARGET_CRON_BUILD,
        build_crontab_local,
        trigger_check(lambda lib: lib.CronTrigger.from_crontab(CRONTAB)),
    ),
    Workload(
        "CronTrigger(day_of_week=, hour=, minute=, timezone=)",
        None,
        build_keyword,
        trigger_check(keyword_trigger),
    ),
    Workload(
        "IntervalTrigger.get_next_fire_time chained",
        TARGET_INTERVAL_NEXT,
        chained(interval_trigger, INTERVAL_CHAIN),
        chained_check(interval_trigger, INTERVAL_CHAIN),
        unit=INTERVAL_CHAIN,
    ),
    Workload(
        "IntervalTrigger.get_next_fire_time fresh now",
        TARGET_INTERVAL_NEXT,
        fresh_now(interval_trigger),
        fresh_check(interval_trigger),
        unit=500,
    ),
    Workload("DateTrigger(datetime, tz)", None, build_date, date_check(RUN_DATE)),
    Workload("DateTrigger(str, tz)", None, build_date_str, date_check("2025-06-01 12:00:00")),
    Workload(
        "CalendarIntervalTrigger.get_next_fire_time chained",
        None,
        chained(calendar_trigger, CALENDAR_CHAIN),
        chained_check(calendar_trigger, CALENDAR_CHAIN),
        unit=CALENDAR_CHAIN,
    ),
    Workload("import triggers.cron (fresh process)", None, measure=import_time("triggers.cron")),
]


# --------------------------------------------------------------------------- job stores


class StoreJob:
    """What a job store needs of a job: an id and a next run time."""

    def __init__(self, job_id: str, next_run_time: datetime | None) -> None:
        self.id = job_id
        self.next_run_time = next_run_time


def stored_jobs(size: int) -> list[StoreJob]:
    # run times spread over a day, several jobs per second, in scrambled order
    return [
        StoreJob(f"job-{i}", NOW + timedelta(seconds=(i * 7919) % 86_400)) for i in range(size)
    ]


def filled_store(lib: Lib, size: int) -> Any:
    store = lib.mod("jobstores.memory").MemoryJobStore()
    for job in stored_jobs(size):
        store.add_job(job)
    return store


def store_add_remove(size: int) -> Callable[[Lib, int], Go]:
    """One op: add a job among ``size`` others, then remove it."""

    def make(lib: Lib, n: int) -> Go:
        store = filled_store(lib, size)
        extra = [
            StoreJob(f"extra-{i}", NOW + timedelta(seconds=(i * 104_729) % 86_400))
            for i in range(min(n, 1000))
        ]

        def go() -> Any:
            add, remove = store.add_job, store.remove_job
            for i in range(n):
                job = extra[i % len(extra)]
                add(job)
                remove(job.id)
            return store

        return go

    return make


def store_check(size: int) -> Callable[[Lib], Any]:
    def check(lib: Lib) -> Any:
        store = filled_store(lib, size)
        due = store.get_due_jobs(NOW + timedelta(hours=1))
        return [job.id for job in store.get_all_jobs()[:50]], [job.id for job in due[:50]]

    return check


def store_due(size: int) -> Callable[[Lib, int], Go]:
    """One op: find the due jobs (the first 1%) among ``size``."""

    def make(lib: Lib, n: int) -> Go:
        store = filled_store(lib, size)
        now = NOW + timedelta(seconds=864)
        return repeat(lambda: store.get_due_jobs(now), n)

    return make


STORE_WORKLOADS = [
    Workload(
        "MemoryJobStore add+remove among 2,000 jobs",
        None,
        store_add_remove(2_000),
        store_check(2_000),
    ),
    Workload(
        "MemoryJobStore add+remove among 20,000 jobs",
        None,
        store_add_remove(20_000),
        store_check(20_000),
    ),
    Workload(
        "MemoryJobStore get_due_jobs (1% of 20,000 due)",
        None,
        store_due(20_000),
        store_check(20_000),
    ),
]
WORKLOADS.extend(STORE_WORKLOADS)


# --------------------------------------------------------------------------- schedulers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scheduler_workloads as sw  # noqa: E402
import store_workloads  # noqa: E402

TARGET_SCHEDULER_OPS = 10.0

WORKLOADS.extend(
    [
        Workload(
            "add_job among 2,000 jobs",
            TARGET_SCHEDULER_OPS,
            check=sw.job_check,
            measure=sw.add_job_among(2_000),
        ),
        Workload(
            "add_job among 20,000 jobs",
            TARGET_SCHEDULER_OPS,
            measure=sw.add_job_among(20_000),
        ),
        Workload(
            "remove_job among 2,000 jobs",
            TARGET_SCHEDULER_OPS,
            measure=sw.remove_job_among(2_000),
        ),
        Workload(
            "remove_job among 20,000 jobs",
            TARGET_SCHEDULER_OPS,
            measure=sw.remove_job_among(20_000),
        ),
        Workload(
            "5,000 due jobs through the thread pool (per job)",
            TARGET_SCHEDULER_OPS,
            measure=sw.fire_due_jobs,
        ),
        Workload("lateness of 200 date jobs, p50", None, measure=sw.lateness(0.5)),
        Workload("lateness of 200 date jobs, p99", None, measure=sw.lateness(0.99)),
        Workload("lateness of 200 date jobs, max", None, measure=sw.lateness(1.0)),
        Workload(
            "memory per idle interval job (50,000 jobs)",
            3.0,
            measure=sw.memory_per_job("interval"),
            quantity="bytes",
        ),
        Workload(
            "memory per idle cron job (50,000 jobs)",
            None,
            measure=sw.memory_per_job("cron"),
            quantity="bytes",
        ),
        Workload(
            "asyncio: 5,000 due coroutine jobs (per job)",
            5.0,
            measure=sw.asyncio_due_jobs,
        ),
        Workload(
            "asyncio: 1,000 interval jobs for 10 s (time per run)",
            None,
            measure=sw.asyncio_interval_throughput,
        ),
        Workload(
            "asyncio: 1,000 interval jobs for 10 s (CPU time per run)",
            None,
            measure=sw.asyncio_interval_cpu_per_run,
        ),
        Workload(
            "asyncio: 1,000 interval jobs for 10 s, lateness p99",
            1.0,
            measure=sw.asyncio_interval_lateness_p99,
        ),
        *(
            Workload(name, target, measure=measure)
            for name, target, measure in store_workloads.STORE_WORKLOADS
        ),
        Workload(
            "import schedulers.background (fresh process)",
            1.0,
            measure=import_time("schedulers.background"),
        ),
    ]
)


# --------------------------------------------------------------------------- measuring


@dataclass
class Config:
    rounds: int
    min_round_ns: int
    import_runs: int


FULL = Config(rounds=7, min_round_ns=100_000_000, import_runs=21)
QUICK = Config(rounds=3, min_round_ns=10_000_000, import_runs=7)


def timed(go: Go) -> int:
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = perf_counter_ns()
        go()
        return perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def round_up(n: float, unit: int) -> int:
    return max(unit, -(-int(n) // unit) * unit)


def calibrate(workload: Workload, lib: Lib, cfg: Config) -> int:
    """The batch size (a multiple of ``workload.unit``) that takes at least
    ``cfg.min_round_ns``."""
    assert workload.make is not None
    n = workload.unit
    while True:
        elapsed = timed(workload.make(lib, n))
        if elapsed >= cfg.min_round_ns:
            return n
        grow = cfg.min_round_ns / max(elapsed, 1) * 1.2
        n = round_up(n * min(max(grow, 2.0), 100.0), workload.unit)


def measure(workload: Workload, libs: list[Lib], cfg: Config) -> dict[str, float]:
    """Best ns per op for each library; rounds alternate between libraries."""
    if workload.measure is not None:
        return {lib.label: workload.measure(lib, cfg) for lib in libs}
    assert workload.make is not None
    sizes = {lib.label: calibrate(workload, lib, cfg) for lib in libs}
    best = {lib.label: float("inf") for lib in libs}
    for r in range(cfg.rounds):
        for lib in libs if r % 2 == 0 else reversed(libs):
            n = sizes[lib.label]
            go = workload.make(lib, n)
            best[lib.label] = min(best[lib.label], timed(go) / n)
    return best


def verify(workload: Workload) -> None:
    if workload.check is None:
        return
    expected = workload.check(REFERENCE)
    actual = workload.check(OURS)
    if expected != actual:
        if isinstance(expected, list) and isinstance(actual, list):
            for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
                if e != a:
                    raise AssertionError(f"{workload.name}: item {i}: {e!r} != {a!r}")
        raise AssertionError(f"{workload.name}: {expected!r} != {actual!r}")


# --------------------------------------------------------------------------- reporting


def fmt_quantity(value: float, quantity: str) -> str:
    if quantity == "bytes":
        return f"{value:,.0f} B"
    return fmt_time(value)


def fmt_time(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.0f} ns"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, Any]:
    import apscheduler

    import apscheduler_rs

    core = importlib.import_module("apscheduler_rs._core")
    return {
        "python": sys.version.replace("\n", " "),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "apscheduler": getattr(apscheduler, "__version__", None)
        or getattr(apscheduler, "release", "?"),
        "apscheduler_rs": apscheduler_rs.__version__,
        "apscheduler_rs_core": core.__file__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--filter", metavar="TEXT", help="only workloads whose name has TEXT")
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL

    env = environment()
    for key, value in env.items():
        print(f"{key:>20}: {value}")
    print(
        f"{'settings':>20}: best of {cfg.rounds} rounds of >= {cfg.min_round_ns / 1e6:.0f} ms; "
        f"import: median of {cfg.import_runs} processes"
    )
    print()

    workloads = [w for w in WORKLOADS if not args.filter or args.filter.lower() in w.name.lower()]
    libs = [REFERENCE, OURS]
    for workload in workloads:
        verify(workload)

    header = (
        f"{'workload':<58} {'apscheduler':>12} {'apscheduler_rs':>14} {'ratio':>8} {'target':>7}"
    )
    print(header)
    print("-" * (len(header) + 6))
    results = []
    for workload in workloads:
        times = measure(workload, libs, cfg)
        ref, ours = times[REFERENCE.label], times[OURS.label]
        ratio = ref / ours
        if workload.target is None:
            target, status = "-", ""
        else:
            target = f"{workload.target:.0f}x"
            status = "PASS" if ratio >= workload.target else "MISS"
        print(
            f"{workload.name:<58} {fmt_quantity(ref, workload.quantity):>12} "
            f"{fmt_quantity(ours, workload.quantity):>14} "
            f"{ratio:>7.1f}x {target:>7} {status}",
            flush=True,
        )
        results.append(
            {
                "workload": workload.name,
                "reference_ns_per_op": ref,
                "apscheduler_rs_ns_per_op": ours,
                "ratio": ratio,
                "target": workload.target,
                "status": status or None,
            }
        )

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "quick": args.quick, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
