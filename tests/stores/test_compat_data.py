"""Data compatibility with APScheduler 3.11.3 on every backend, with real schedulers:

- a table / key space / collection written by APScheduler 3.11.3's store and
  scheduler is read by ours, with the same jobs, and its jobs run on our scheduler;
- the reverse: what our store writes is read by APScheduler 3.11.3's store, as
  APScheduler's own classes, and its jobs run on APScheduler's scheduler;
- both libraries refuse the same jobs with the same errors.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import apscheduler.triggers.base
import pytest
from apscheduler.schedulers.background import BackgroundScheduler as RefScheduler

import stores
from apscheduler_rs.schedulers.background import BackgroundScheduler
from apscheduler_rs.triggers.base import BaseTrigger

from .conftest import Backend

UTC = timezone.utc
#: instants at which the triggers read back are asked for their next fire time
PROBES = [
    datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=d, hours=h)
    for d in (0, 40, 200)
    for h in (0, 9)
]


def trigger_module(lib: str, name: str) -> Any:
    return __import__(f"{lib}.triggers.{name}", fromlist=["x"])


def add_jobs(scheduler: Any, lib: str, tag: str, now: datetime) -> None:
    """The same jobs through either library's scheduler: every built-in trigger,
    options, argument kinds; two of them due right away."""
    cron = trigger_module(lib, "cron").CronTrigger
    interval = trigger_module(lib, "interval").IntervalTrigger
    combining = trigger_module(lib, "combining")
    soon = now + timedelta(seconds=0.3)
    scheduler.add_job(
        stores.record,
        "date",
        run_date=soon,
        args=[f"{tag}-date"],
        id="date",
        misfire_grace_time=60,
    )
    scheduler.add_job(
        "stores:record",
        "interval",
        minutes=1,
        start_date=soon,
        args=[f"{tag}-interval"],
        kwargs={"n": 1},
        id="interval",
        misfire_grace_time=60,
        coalesce=False,
        max_instances=3,
    )
    scheduler.add_job(
        stores.record,
        "cron",
        day_of_week="mon-fri",
        hour="8-10",
        minute="*/15",
        timezone="Europe/Berlin",
        args=["cron"],
        kwargs={"deep": {"list": [1, 2.5, None]}},
        id="cron",
        jitter=5,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        stores.noop,
        "calendarinterval",
        months=1,
        hour=3,
        minute=30,
        start_date=(now + timedelta(days=60)).date(),
        timezone="Europe/Helsinki",
        id="calendar",
    )
    scheduler.add_job(
        stores.noop,
        combining.OrTrigger(
            [
                cron(month="jan-mar", day="last", hour=5, timezone="UTC"),
                combining.AndTrigger(
                    [cron(day_of_week="sat", timezone="UTC"), cron(hour="*/6", timezone="UTC")]
                ),
            ]
        ),
        id="combined",
    )
    scheduler.add_job(
        stores.noop,
        interval(hours=3, start_date=datetime(2026, 1, 1, tzinfo=UTC)),
        id="paused",
        next_run_time=None,
        name="a paused job",
        args=(b"bytes", (1, 2)),
    )


def view(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "name": job.name,
        "func_ref": job.func_ref,
        "args": job.args,
        "kwargs": job.kwargs,
        "trigger": str(job.trigger),
        "fire_times": [job.trigger.get_next_fire_time(None, probe) for probe in PROBES],
        "executor": job.executor,
        "misfire_grace_time": job.misfire_grace_time,
        "coalesce": job.coalesce,
        "max_instances": job.max_instances,
        "next_run_time": job.next_run_time,
    }


def views(scheduler: Any) -> dict[str, dict[str, Any]]:
    return {job.id: view(job) for job in scheduler.get_jobs()}


def run_order(found: dict[str, dict[str, Any]]) -> list[set[str]]:
    """The jobs in the order get_jobs() gave them, as groups of jobs due at
    the same time: APScheduler's Redis store leaves ties in the hash's order,
    which changes with the server's hash seed."""
    groups: list[tuple[Any, set[str]]] = []
    for job_id, job in found.items():
        if groups and groups[-1][0] == job["next_run_time"]:
            groups[-1][1].add(job_id)
        else:
            groups.append((job["next_run_time"], {job_id}))
    return [ids for _, ids in groups]


def strip_jitter(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    # the cron job's jitter makes its fire times random
    return {
        key: {**value, "fire_times": None} if key == "cron" else value
        for key, value in found.items()
    }


def test_apscheduler_data_runs_on_our_scheduler(backend: Backend) -> None:
    tag = f"A-{backend.name}"
    reference = RefScheduler(timezone=UTC, jobstores={"default": backend.reference_store()})
    reference.start(paused=True)
    add_jobs(reference, "apscheduler", tag, datetime.now(UTC))
    written = views(reference)
    reference.shutdown()

    ours = BackgroundScheduler(timezone=UTC, jobstores={"default": backend.store()})
    ours.start(paused=True)
    try:
        read = views(ours)
        assert strip_jitter(read) == strip_jitter(written)
        assert run_order(read) == run_order(written)  # paused last
        for job in ours.get_jobs():
            assert isinstance(job.trigger, BaseTrigger)
            assert type(job.trigger).__module__.startswith("apscheduler_rs.")
        ours.resume()
        ran = stores.wait_for_tags({f"{tag}-date", f"{tag}-interval"})
        assert {f"{tag}-date", f"{tag}-interval"} <= ran
    finally:
        ours.shutdown()
    assert sorted(backend.raw_rows()) == ["calendar", "combined", "cron", "interval", "paused"]


def test_our_data_runs_on_apscheduler(backend: Backend) -> None:
    tag = f"B-{backend.name}"
    ours = BackgroundScheduler(timezone=UTC, jobstores={"default": backend.store()})
    ours.start(paused=True)
    add_jobs(ours, "apscheduler_rs", tag, datetime.now(UTC))
    written = views(ours)
    ours.shutdown()

    reference = RefScheduler(timezone=UTC, jobstores={"default": backend.reference_store()})
    reference.start(paused=True)
    try:
        read = views(reference)
        assert strip_jitter(read) == strip_jitter(written)
        assert run_order(read) == run_order(written)
        for job in reference.get_jobs():
            # APScheduler's own classes, all the way down
            assert isinstance(job.trigger, apscheduler.triggers.base.BaseTrigger)
            for trigger in getattr(job.trigger, "triggers", []):
                assert type(trigger).__module__.startswith("apscheduler.triggers.")
        reference.resume()
        ran = stores.wait_for_tags({f"{tag}-date", f"{tag}-interval"})
        assert {f"{tag}-date", f"{tag}-interval"} <= ran
    finally:
        reference.shutdown()

    # and back again: what APScheduler wrote after running them reads on our side
    ours = BackgroundScheduler(timezone=UTC, jobstores={"default": backend.store()})
    ours.start(paused=True)
    try:
        assert sorted(views(ours)) == ["calendar", "combined", "cron", "interval", "paused"]
    finally:
        ours.shutdown()


def test_old_pickle_protocol_rows_are_read(sqlite_backend: Backend) -> None:
    reference = RefScheduler(
        timezone=UTC, jobstores={"default": sqlite_backend.reference_store(pickle_protocol=2)}
    )
    reference.start(paused=True)
    add_jobs(reference, "apscheduler", "protocol-2", datetime.now(UTC) + timedelta(days=1))
    written = views(reference)
    reference.shutdown()
    assert all(state[:2] == b"\x80\x02" for _, state in sqlite_backend.raw_rows().values())

    ours = BackgroundScheduler(timezone=UTC, jobstores={"default": sqlite_backend.store()})
    ours.start(paused=True)
    try:
        assert strip_jitter(views(ours)) == strip_jitter(written)
    finally:
        ours.shutdown()


def refusal(scheduler: Any, func: Any, args: tuple[Any, ...] = ()) -> tuple[str, str]:
    with pytest.raises(Exception) as info:
        scheduler.add_job(func, "interval", hours=1, args=args, id="refused")
    return type(info.value).__name__, str(info.value)


def test_the_same_jobs_are_refused_with_the_same_errors(backend: Backend) -> None:
    def local_function(*args: Any) -> None:
        pass

    reference = RefScheduler(timezone=UTC, jobstores={"default": backend.reference_store()})
    ours = BackgroundScheduler(timezone=UTC, jobstores={"default": backend.store()})
    reference.start(paused=True)
    ours.start(paused=True)
    try:
        for func, args in [
            (lambda: None, ()),
            (local_function, ()),
            (stores.noop, (threading.Lock(),)),
        ]:
            expected = refusal(reference, func, args)
            assert refusal(ours, func, args) == expected
            assert expected[0] in ("ValueError", "TypeError"), expected
        assert ours.get_jobs() == [] and reference.get_jobs() == []
    finally:
        ours.shutdown()
        reference.shutdown()
    assert backend.raw_rows() == {}
