"""GeventScheduler and GeventExecutor in a monkey-patched process, side by side
with APScheduler 3.11.3's: jobs fire on time in greenlets, adding a job from
another greenlet or thread wakes the loop, failures are reported, shutdown ends
the loop greenlet; and without gevent the modules fail to import as 3.11.3's."""

from __future__ import annotations

from typing import Any

import pytest
from _require import require  # noqa: E402

require("gevent")

from apscheduler_rs.events import (  # noqa: E402
    EVENT_JOB_ADDED,
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_REMOVED,
    EVENT_JOB_SUBMITTED,
    EVENT_SCHEDULER_SHUTDOWN,
)

from ._common_gevent_twisted import (  # noqa: E402
    event_codes,
    job_events,
    log_set,
    missing_framework_messages,
    run_scripts,
)

SCRIPT = r"""
from gevent import monkey; monkey.patch_all()
from datetime import datetime, timedelta, timezone

import gevent
from greenlet import getcurrent

from PKG.schedulers.gevent import GeventScheduler

main_greenlet = getcurrent()
native_ident = monkey.get_original("_thread", "get_ident")
start_native_thread = monkey.get_original("_thread", "start_new_thread")
main_ident = native_ident()
loop = None
contexts = {}


def job(name, fail=False, sleep=0):
    current = getcurrent()
    contexts.setdefault(name, []).append(
        dict(
            greenlet=isinstance(current, gevent.Greenlet),
            loop=current is loop,
            main=current is main_greenlet,
            same_thread=native_ident() == main_ident,
        )
    )
    if sleep:
        gevent.sleep(sleep)
    if fail:
        raise ValueError("boom")


scheduler = GeventScheduler(timezone="UTC")
scheduler.add_listener(listener, EVENT_ALL)
now = datetime.now(timezone.utc)
scheduler.add_job(job, "interval", seconds=0.25, args=["interval"], id="interval")
scheduler.add_job(job, "date", run_date=now + timedelta(seconds=0.4), args=["date"], id="date")
scheduler.add_job(job, "cron", second="*", args=["cron"], id="cron")
scheduler.add_job(
    job, "date", run_date=now + timedelta(seconds=0.3), args=["fail", True], id="fail"
)
scheduler.add_job(
    job, "date", run_date=now + timedelta(seconds=0.6), args=["after_fail"], id="after_fail"
)
scheduler.add_job(
    job, "interval", seconds=0.15, args=["slow", False, 0.4], id="slow", max_instances=1
)
scheduler.add_job(
    job, "date", run_date=now - timedelta(seconds=5), args=["missed"], id="missed",
    misfire_grace_time=1,
)
for coalesce in (True, False):
    scheduler.add_job(
        job, "interval", seconds=10, next_run_time=now - timedelta(seconds=35),
        args=[f"coalesce-{coalesce}"], id=f"coalesce-{coalesce}", coalesce=coalesce,
        misfire_grace_time=None,
    )
loop = scheduler.start()
returned_greenlet = isinstance(loop, gevent.Greenlet) and not loop.dead
gevent.sleep(1.4)  # the cron job fires at the next whole second

interval_runs = len(contexts.get("interval", []))
scheduler.remove_all_jobs()
# only a far-away job left: the loop goes to sleep for an hour
scheduler.add_job(job, "date", run_date=now + timedelta(hours=1), args=["far"], id="far")
gevent.sleep(0.5)

wake = {}


def add_now(name):
    added = time.time()
    scheduler.add_job(lambda: wake.setdefault(name, time.time() - added), id=name)


gevent.spawn(add_now, "from_greenlet")
gevent.sleep(0.5)
start_native_thread(add_now, ("from_native_thread",))
gevent.sleep(0.5)

scheduler.shutdown()
after_shutdown = dict(
    running=scheduler.running, loop_dead=loop.dead, events=len(events)
)
gevent.sleep(0.3)
after_shutdown["events_later"] = len(events)
# nothing of the scheduler's is left in the hub: it has nothing to wait for
after_shutdown["hub_idle"] = gevent.wait(timeout=5)

# shutdown(wait=True) while a job greenlet sleeps (its logs are left out)
logged = len(logs)
finished = []
second = GeventScheduler(timezone="UTC")
second.add_job(lambda: (gevent.sleep(0.3), finished.append(True)), id="sleeper")
second.start()
gevent.sleep(0.1)
second.shutdown(wait=True)
waited = bool(finished)

# a second start() fails and leaves the running loop working
third = GeventScheduler(timezone="UTC")
third.start()
try:
    third.start()
except Exception as exc:
    second_start = type(exc).__name__
gevent.sleep(0.1)
ran = []
third.add_job(ran.append, args=[True], id="after_second_start")
gevent.sleep(0.3)
second_start_ok = ran == [True]
third.shutdown()
del logs[logged:]

report(
    contexts=contexts, interval_runs=interval_runs, returned_greenlet=returned_greenlet,
    second_start=second_start, second_start_ok=second_start_ok,
    wake=wake, after_shutdown=after_shutdown, waited=waited,
)
"""

PROMPT_JOBS = ("interval", "date", "cron", "after_fail", "fail")


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    return run_scripts(SCRIPT)


@pytest.fixture(scope="module")
def ours(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return reports["apscheduler_rs"]


def test_jobs_fire_on_time(ours: dict[str, Any]) -> None:
    assert ours["interval_runs"] >= 3
    for job_id in PROMPT_JOBS:
        late = ours["lateness"][job_id]
        assert late, job_id
        assert all(0 <= seconds < 0.5 for seconds in late), (job_id, late)
    assert [event[0] for event in job_events(ours, "date")] == [
        EVENT_JOB_ADDED,
        EVENT_JOB_REMOVED,
        EVENT_JOB_SUBMITTED,
        EVENT_JOB_EXECUTED,
    ]


def test_jobs_run_in_greenlets_of_the_hub_thread(ours: dict[str, Any]) -> None:
    assert ours["returned_greenlet"] is True
    contexts = [context for runs in ours["contexts"].values() for context in runs]
    assert contexts
    for context in contexts:
        assert context == {"greenlet": True, "loop": False, "main": False, "same_thread": True}


def test_adding_a_job_wakes_the_sleeping_loop(ours: dict[str, Any]) -> None:
    assert set(ours["wake"]) == {"from_greenlet", "from_native_thread"}
    for source, latency in ours["wake"].items():
        assert 0 <= latency < 1, source


def test_failing_job_is_reported_and_the_scheduler_goes_on(ours: dict[str, Any]) -> None:
    fail = job_events(ours, "fail")
    assert [event[0] for event in fail][-1] == EVENT_JOB_ERROR
    assert fail[-1][-1] == "ValueError('boom')"
    assert [
        record
        for record in ours["logs"]
        if record[1] == "ERROR" and record[2].startswith('Job "job (trigger: date')
    ] == [
        [
            "apscheduler.executors.default",
            "ERROR",
            'Job "job (trigger: date[<time>], next run at: <time>)" raised an exception',
            "ValueError",
        ]
    ]
    assert EVENT_JOB_EXECUTED in event_codes(ours, "after_fail")


def test_misfire_coalesce_and_max_instances(ours: dict[str, Any]) -> None:
    assert [event[0] for event in job_events(ours, "missed")][-1] == EVENT_JOB_MISSED
    # submission events carry the number of run times submitted at once
    assert job_events(ours, "coalesce-True")[1] == [EVENT_JOB_SUBMITTED, "coalesce-True", 1]
    assert job_events(ours, "coalesce-False")[1] == [EVENT_JOB_SUBMITTED, "coalesce-False", 4]
    assert len(ours["contexts"]["coalesce-True"]) == 1
    assert len(ours["contexts"]["coalesce-False"]) == 4
    assert EVENT_JOB_MAX_INSTANCES in event_codes(ours, "slow")


def test_shutdown_ends_the_loop_and_leaves_nothing_running(ours: dict[str, Any]) -> None:
    after = ours["after_shutdown"]
    assert after["running"] is False
    assert after["loop_dead"] is True
    assert after["events_later"] == after["events"]
    assert after["hub_idle"] is True
    assert ours["events"][after["events"] - 1][0] == EVENT_SCHEDULER_SHUTDOWN
    assert ours["stderr"] == ""


def test_second_start_fails_and_the_loop_goes_on(ours: dict[str, Any]) -> None:
    assert ours["second_start"] == "SchedulerAlreadyRunningError"
    assert ours["second_start_ok"] is True


def test_shutdown_waits_for_running_job_greenlets(reports: dict[str, dict[str, Any]]) -> None:
    # 3.11.3's GeventExecutor ignores wait=True; ours waits, as documented
    assert reports["apscheduler_rs"]["waited"] is True
    assert reports["apscheduler"]["waited"] is False


def test_same_events_and_logs_as_apscheduler(reports: dict[str, dict[str, Any]]) -> None:
    ours, theirs = reports["apscheduler_rs"], reports["apscheduler"]
    for job_id in ("date", "fail", "after_fail", "missed", "coalesce-True", "coalesce-False"):
        assert job_events(ours, job_id) == job_events(theirs, job_id), job_id
    for job_id in ("interval", "cron", "slow", "far", "from_greenlet", "from_native_thread"):
        assert event_codes(ours, job_id) == event_codes(theirs, job_id), job_id
    # scheduler-level events (started, all jobs removed, shutdown) in the same order
    assert [e[0] for e in ours["events"] if e[1] is None] == [
        e[0] for e in theirs["events"] if e[1] is None
    ]
    assert log_set(ours) == log_set(theirs)
    for key in ("running", "loop_dead", "hub_idle"):
        assert ours["after_shutdown"][key] == theirs["after_shutdown"][key], key
    assert set(ours["wake"]) == set(theirs["wake"])
    assert ours["contexts"].keys() == theirs["contexts"].keys()


def test_without_gevent_the_modules_fail_to_import_as_in_apscheduler() -> None:
    modules = ["schedulers.background", "schedulers.gevent", "executors.gevent"]
    messages = missing_framework_messages("gevent", modules, "gevent")
    assert messages["apscheduler_rs"] == messages["apscheduler"]
    assert messages["apscheduler_rs"] == {
        "schedulers.background": "ok",
        "schedulers.gevent": "GeventScheduler requires gevent installed",
        "executors.gevent": "GeventExecutor requires gevent installed",
        "add_executor": "GeventExecutor requires gevent installed",
    }
