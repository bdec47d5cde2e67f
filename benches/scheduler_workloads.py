"""Scheduler workloads of the side-by-side bench (``compare.py`` runs them).

Each returns nanoseconds per operation (lower is better) for one library, so
``compare.py`` can print the ratio like any other workload. Sizes follow
issue 4: add/remove among 2,000 and 20,000 jobs, 5,000 due jobs fired through
the default thread pool, the lateness of 200 date jobs, the memory of 50,000
idle jobs, and the import time of ``schedulers.background``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

BATCH = 500  # jobs added (or removed) per timed batch: the store stays near its size
ROUNDS = 5


def noop() -> None:
    pass


def _scheduler(lib: Any, **options: Any) -> Any:
    return lib.mod("schedulers.background").BackgroundScheduler(timezone=timezone.utc, **options)


def _fill(scheduler: Any, size: int, prefix: str) -> None:
    for i in range(size):
        scheduler.add_job(noop, "interval", hours=1 + i % 24, id=f"{prefix}{i}")


def _batches(size: int, timed: str) -> Callable[[Any, Any], float]:
    """Best time per job of adding (``timed="add"``) or removing (``"remove"``)
    batches of jobs on a running scheduler that holds ``size`` other jobs; the
    other half of each round is done untimed, so the size stays put."""

    def measure(lib: Any, cfg: Any) -> float:
        scheduler = _scheduler(lib)
        scheduler.start()
        try:
            _fill(scheduler, size, "base-")
            add, remove = scheduler.add_job, scheduler.remove_job
            best = float("inf")
            for r in range(cfg.rounds):
                ids = [f"extra-{r}-{i}" for i in range(BATCH)]
                start = time.perf_counter_ns()
                for job_id in ids:
                    add(noop, "interval", minutes=30, id=job_id)
                added = time.perf_counter_ns()
                for job_id in ids:
                    remove(job_id)
                removed = time.perf_counter_ns()
                elapsed = added - start if timed == "add" else removed - added
                best = min(best, elapsed / BATCH)
            return best
        finally:
            scheduler.shutdown()

    return measure


def add_job_among(size: int) -> Callable[[Any, Any], float]:
    """``add_job(func, 'interval', ...)`` on a running scheduler holding ``size`` jobs."""
    return _batches(size, "add")


def remove_job_among(size: int) -> Callable[[Any, Any], float]:
    """``remove_job(id)`` on a running scheduler holding ``size`` jobs."""
    return _batches(size, "remove")


FIRE_COUNT = 5_000


def _fire_once(lib: Any) -> float:
    done = threading.Event()
    count = [0]
    lock = threading.Lock()

    def job() -> None:
        with lock:
            count[0] += 1
            if count[0] == FIRE_COUNT:
                done.set()

    scheduler = _scheduler(lib)
    scheduler.start(paused=True)
    run_date = datetime.now(timezone.utc)
    for i in range(FIRE_COUNT):
        scheduler.add_job(job, "date", run_date=run_date, id=f"fire-{i}", misfire_grace_time=None)
    start = time.perf_counter_ns()
    scheduler.resume()
    if not done.wait(120):
        raise RuntimeError(f"{lib.label}: only {count[0]} of {FIRE_COUNT} jobs ran")
    elapsed = time.perf_counter_ns() - start
    scheduler.shutdown()
    return elapsed / FIRE_COUNT


def fire_due_jobs(lib: Any, cfg: Any) -> float:
    """5,000 date jobs due at once, run by the default thread pool: time from
    ``resume()`` until the last has run, per job."""
    return min(_fire_once(lib) for _ in range(max(2, cfg.rounds // 2)))


LATENESS_JOBS = 200
_lateness_cache: dict[str, list[float]] = {}


def _lateness_samples(lib: Any) -> list[float]:
    """Seconds between each of 200 date jobs' run time and its start, jobs 10 ms
    apart on a running scheduler with the default executor."""
    if lib.label in _lateness_cache:
        return _lateness_cache[lib.label]
    samples: list[float] = []
    lock = threading.Lock()
    done = threading.Event()

    def job(due: float) -> None:
        late = time.time() - due
        with lock:
            samples.append(late)
            if len(samples) == LATENESS_JOBS:
                done.set()

    scheduler = _scheduler(lib)
    scheduler.start()
    first = time.time() + 0.5
    for i in range(LATENESS_JOBS):
        due = first + i * 0.01
        run_date = datetime.fromtimestamp(due, timezone.utc)
        scheduler.add_job(job, "date", run_date=run_date, args=[due], misfire_grace_time=None)
    if not done.wait(60):
        raise RuntimeError(f"{lib.label}: lateness jobs did not all run")
    scheduler.shutdown()
    _lateness_cache[lib.label] = sorted(samples)
    return _lateness_cache[lib.label]


def lateness(quantile: float) -> Callable[[Any, Any], float]:
    def measure(lib: Any, cfg: Any) -> float:
        samples = _lateness_samples(lib)
        if quantile >= 1:
            return samples[-1] * 1e9
        return (
            statistics.quantiles(samples, n=100, method="inclusive")[int(quantile * 100) - 1] * 1e9
        )

    return measure


MEMORY_JOBS = 50_000
MEMORY_SNIPPET = """
import gc, json, os
from datetime import timezone
from {package}.schedulers.background import BackgroundScheduler

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def job():
    pass

scheduler = BackgroundScheduler(timezone=timezone.utc)
scheduler.start(paused=True)
scheduler.add_job(job, {warm_up}, id="warm-up")
gc.collect()
before = rss()
for i in range({count}):
    scheduler.add_job(job, {trigger}, id="job-%d" % i)
gc.collect()
print(json.dumps((rss() - before) / {count}))
scheduler.shutdown()
"""


#: The jobs of the memory workloads: ``add_job`` trigger arguments for the
#: warm-up job and for job ``i``.
MEMORY_TRIGGERS = {
    "interval": ('"interval", minutes=5', '"interval", minutes=5 + i % 60'),
    "cron": (
        '"cron", minute="*/5"',
        '"cron", minute=i % 60, hour="8-17", day_of_week="mon-fri"',
    ),
}


def memory_per_job(kind: str) -> Callable[[Any, Any], float]:
    """Resident memory per idle job of ``kind`` (a key of MEMORY_TRIGGERS) at
    50,000 jobs (bytes, reported as if nanoseconds so the ratio column reads
    reference / ours)."""
    warm_up, trigger = MEMORY_TRIGGERS[kind]

    def measure(lib: Any, cfg: Any) -> float:
        code = MEMORY_SNIPPET.format(
            package=lib.package, count=MEMORY_JOBS, warm_up=warm_up, trigger=trigger
        )
        runs = []
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
            runs.append(json.loads(out))
        return statistics.median(runs)

    return measure


def job_check(lib: Any) -> Any:
    """Both libraries schedule the same jobs the same way."""
    scheduler = _scheduler(lib)
    scheduler.start(paused=True)
    try:
        now = datetime(2030, 1, 1, tzinfo=timezone.utc)
        scheduler.add_job(noop, "date", run_date=now + timedelta(hours=1), id="d")
        scheduler.add_job(noop, "cron", hour="8,12", minute=30, start_date=now, id="c")
        scheduler.add_job(noop, "interval", minutes=7, start_date=now, id="i")
        return [(job.id, str(job.trigger), job.next_run_time) for job in scheduler.get_jobs()]
    finally:
        scheduler.shutdown()


# --------------------------------------------------------------------------- asyncio

ASYNC_DUE_JOBS = 5_000
ASYNC_INTERVAL_JOBS = 1_000
ASYNC_INTERVAL_SECONDS = 10.0


def _asyncio_scheduler(lib: Any, loop: Any) -> Any:
    module = lib.mod("schedulers.asyncio")
    return module.AsyncIOScheduler(timezone=timezone.utc, event_loop=loop)


def asyncio_due_jobs(lib: Any, cfg: Any) -> float:
    """5,000 coroutine date jobs due at once on an AsyncIOScheduler: time from
    ``resume()`` until the last has run, per job."""
    import asyncio

    async def run_once() -> float:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        count = [0]

        async def job() -> None:
            count[0] += 1
            if count[0] == ASYNC_DUE_JOBS:
                done.set()

        scheduler = _asyncio_scheduler(lib, loop)
        scheduler.start(paused=True)
        run_date = datetime.now(timezone.utc)
        for i in range(ASYNC_DUE_JOBS):
            scheduler.add_job(job, "date", run_date=run_date, id=f"a-{i}", misfire_grace_time=None)
        start = time.perf_counter_ns()
        scheduler.resume()
        await asyncio.wait_for(done.wait(), 120)
        elapsed = time.perf_counter_ns() - start
        scheduler.shutdown()
        await asyncio.sleep(0)
        return elapsed / ASYNC_DUE_JOBS

    return min(asyncio.run(run_once()) for _ in range(max(2, cfg.rounds // 2)))


_async_interval_cache: dict[str, tuple[float, float, list[float]]] = {}


def _asyncio_interval_run(lib: Any) -> tuple[float, float, list[float]]:
    """1,000 coroutine interval jobs (every second, start times spread over the
    first second) for 10 s: runs per second, the process's CPU time per run, and
    each run's lateness."""
    import asyncio

    if lib.label in _async_interval_cache:
        return _async_interval_cache[lib.label]

    async def run() -> tuple[float, float, list[float]]:
        loop = asyncio.get_running_loop()
        late: list[float] = []

        async def job(due0: float) -> None:
            now = time.time()
            # the run's scheduled time: the start time plus whole seconds
            late.append((now - due0) % 1.0 if now - due0 < 1e6 else 0.0)

        scheduler = _asyncio_scheduler(lib, loop)
        begin = time.time() + 0.5
        for i in range(ASYNC_INTERVAL_JOBS):
            due0 = begin + i / ASYNC_INTERVAL_JOBS
            scheduler.add_job(
                job,
                "interval",
                seconds=1,
                start_date=datetime.fromtimestamp(due0, timezone.utc),
                args=[due0],
                misfire_grace_time=None,
            )
        cpu_start = time.process_time()
        scheduler.start()
        await asyncio.sleep(0.5 + ASYNC_INTERVAL_SECONDS)
        cpu = time.process_time() - cpu_start
        runs = len(late)
        # let the runs in flight finish: shutdown() cancels them (and logs it)
        scheduler.pause()
        await asyncio.sleep(0.2)
        scheduler.shutdown()
        await asyncio.sleep(0)
        return len(late) / ASYNC_INTERVAL_SECONDS, cpu / max(runs, 1), sorted(late)

    result = asyncio.run(run())
    _async_interval_cache[lib.label] = result
    return result


def asyncio_interval_throughput(lib: Any, cfg: Any) -> float:
    """Time per run (1 / runs per second) of the interval workload. The jobs'
    schedule sets the rate, so this row only shows that every run happened
    (about 1 ms for both); the CPU row tells how much each run cost."""
    rate, _, _ = _asyncio_interval_run(lib)
    return 1e9 / rate


def asyncio_interval_cpu_per_run(lib: Any, cfg: Any) -> float:
    """The process's CPU time per run of the interval workload: the scheduler's
    and executor's work for each run, at a rate the schedule fixes."""
    _, cpu, _ = _asyncio_interval_run(lib)
    return cpu * 1e9


def asyncio_interval_lateness_p99(lib: Any, cfg: Any) -> float:
    _, _, late = _asyncio_interval_run(lib)
    return statistics.quantiles(late, n=100, method="inclusive")[98] * 1e9
