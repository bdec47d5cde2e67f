"""TwistedScheduler and TwistedExecutor on a real reactor, side by side with
APScheduler 3.11.3's: jobs fire on time in the reactor's thread pool, adding a
job from another thread wakes the reactor timer, failures are reported,
shutdown (carried out in the reactor thread) leaves no timer or thread behind;
and without Twisted the modules fail to import as 3.11.3's."""

from __future__ import annotations

from typing import Any

import pytest
from _require import require  # noqa: E402

require("twisted")

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
import threading, traceback
from datetime import datetime, timedelta, timezone

from PKG.schedulers.twisted import TwistedScheduler

# ours leaves the global reactor alone until a scheduler needs it
reactor_installed_by_import = "twisted.internet.reactor" in sys.modules

from twisted.internet import reactor
from twisted.internet.threads import blockingCallFromThread

contexts = {}


def job(name, fail=False, sleep=0):
    current = threading.current_thread()
    contexts.setdefault(name, []).append(
        dict(
            pool_thread=current in reactor.getThreadPool().threads,
            reactor_thread=current is threading.main_thread(),
        )
    )
    if sleep:
        time.sleep(sleep)
    if fail:
        raise ValueError("boom")


reactor_option = TwistedScheduler(reactor="twisted.internet:reactor")._reactor is reactor
scheduler = TwistedScheduler(timezone="UTC")
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
scheduler.start()  # before the reactor runs: takes effect once it does

wake = {}
outcome = {}


def add_now(name):
    added = time.time()
    scheduler.add_job(lambda: wake.setdefault(name, time.time() - added), id=name)


def active_calls():
    return sorted(
        getattr(call.func, "__name__", repr(call.func))
        for call in reactor.getDelayedCalls()
        if call.active()
    )


def drive():
    try:
        time.sleep(1.4)  # the cron job fires at the next whole second
        outcome["interval_runs"] = len(contexts.get("interval", []))
        scheduler.remove_all_jobs()
        # only a far-away job left: the reactor timer is set an hour ahead
        scheduler.add_job(job, "date", run_date=now + timedelta(hours=1), args=["far"], id="far")
        time.sleep(0.5)
        outcome["timer_before_wake"] = blockingCallFromThread(reactor, active_calls)
        add_now("from_thread")
        time.sleep(0.5)
        reactor.callFromThread(add_now, "from_reactor")
        time.sleep(0.5)
        outcome["timers_running"] = len(blockingCallFromThread(reactor, active_calls))
        scheduler.shutdown()  # from this thread: carried out in the reactor thread
        deadline = time.monotonic() + 5
        while scheduler.running and time.monotonic() < deadline:
            time.sleep(0.01)
        outcome["running"] = scheduler.running
        outcome["events_at_shutdown"] = len(events)
        time.sleep(0.3)
        outcome["events_later"] = len(events)
        outcome["timers_after"] = blockingCallFromThread(reactor, active_calls)
    except BaseException:
        outcome["driver_error"] = traceback.format_exc()
    finally:
        reactor.callFromThread(reactor.stop)


driver = threading.Thread(target=drive, name="driver")
driver.start()
reactor.run()
driver.join()
report(
    contexts=contexts, wake=wake, reactor_option=reactor_option,
    reactor_installed_by_import=reactor_installed_by_import,
    # the reactor stops its thread pool when it stops
    threads_after=sorted(thread.name for thread in threading.enumerate()),
    **outcome,
)
"""

PROMPT_JOBS = ("interval", "date", "cron", "after_fail", "fail")


@pytest.fixture(scope="module")
def reports() -> dict[str, dict[str, Any]]:
    reports = run_scripts(SCRIPT)
    for package, report in reports.items():
        assert "driver_error" not in report, (package, report["driver_error"])
    return reports


@pytest.fixture(scope="module")
def ours(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return reports["apscheduler_rs"]


def test_jobs_fire_on_time(ours: dict[str, Any]) -> None:
    assert ours["interval_runs"] >= 3
    for job_id in PROMPT_JOBS:
        late = ours["lateness"][job_id]
        assert late, job_id
        assert all(0 <= seconds < 0.5 for seconds in late), (job_id, late)
    # a pool thread may report the run before the reactor thread reports its
    # submission (as with 3.11.3): compare without order
    assert sorted(event[0] for event in job_events(ours, "date")) == sorted(
        [EVENT_JOB_ADDED, EVENT_JOB_REMOVED, EVENT_JOB_SUBMITTED, EVENT_JOB_EXECUTED]
    )


def test_jobs_run_in_the_reactor_thread_pool(ours: dict[str, Any]) -> None:
    contexts = [context for runs in ours["contexts"].values() for context in runs]
    assert contexts
    for context in contexts:
        assert context == {"pool_thread": True, "reactor_thread": False}


def test_reactor_option_and_lazy_global_reactor(reports: dict[str, dict[str, Any]]) -> None:
    assert reports["apscheduler_rs"]["reactor_option"] is True
    assert reports["apscheduler"]["reactor_option"] is True
    # deliberate difference: importing our module installs no reactor
    assert reports["apscheduler_rs"]["reactor_installed_by_import"] is False
    assert reports["apscheduler"]["reactor_installed_by_import"] is True


def test_adding_a_job_wakes_the_reactor_timer(ours: dict[str, Any]) -> None:
    # the scheduler's only timer was the hour-long one
    assert ours["timer_before_wake"] == ["_process_and_rearm"]
    assert set(ours["wake"]) == {"from_thread", "from_reactor"}
    for source, latency in ours["wake"].items():
        assert 0 <= latency < 1, source


def test_failing_job_is_reported_and_the_scheduler_goes_on(ours: dict[str, Any]) -> None:
    assert [EVENT_JOB_ERROR, "fail", "ValueError('boom')"] in job_events(ours, "fail")
    assert [record for record in ours["logs"] if record[1] == "ERROR"] == [
        [
            "apscheduler.executors.default",
            "ERROR",
            'Job "job (trigger: date[<time>], next run at: <time>)" raised an exception',
            "ValueError",
        ]
    ]
    assert EVENT_JOB_EXECUTED in event_codes(ours, "after_fail")


def test_misfire_coalesce_and_max_instances(ours: dict[str, Any]) -> None:
    assert EVENT_JOB_MISSED in event_codes(ours, "missed")
    # submission events carry the number of run times submitted at once
    assert [EVENT_JOB_SUBMITTED, "coalesce-True", 1] in job_events(ours, "coalesce-True")
    assert [EVENT_JOB_SUBMITTED, "coalesce-False", 4] in job_events(ours, "coalesce-False")
    assert len(ours["contexts"]["coalesce-True"]) == 1
    assert len(ours["contexts"]["coalesce-False"]) == 4
    assert EVENT_JOB_MAX_INSTANCES in event_codes(ours, "slow")


def test_shutdown_leaves_no_timer_or_thread(ours: dict[str, Any]) -> None:
    assert ours["timers_running"] == 1
    assert ours["running"] is False
    assert ours["events_later"] == ours["events_at_shutdown"]
    assert ours["events"][ours["events_at_shutdown"] - 1][0] == EVENT_SCHEDULER_SHUTDOWN
    assert ours["timers_after"] == []
    assert ours["threads_after"] == ["MainThread"]
    assert ours["stderr"] == ""


def test_same_events_and_logs_as_apscheduler(reports: dict[str, dict[str, Any]]) -> None:
    ours, theirs = reports["apscheduler_rs"], reports["apscheduler"]
    for job_id in ("date", "fail", "after_fail", "missed", "coalesce-True", "coalesce-False"):
        assert sorted(job_events(ours, job_id)) == sorted(job_events(theirs, job_id)), job_id
    for job_id in ("interval", "cron", "slow", "far", "from_thread", "from_reactor"):
        assert event_codes(ours, job_id) == event_codes(theirs, job_id), job_id
    # scheduler-level events (started, all jobs removed, shutdown) in the same order
    assert [e[0] for e in ours["events"] if e[1] is None] == [
        e[0] for e in theirs["events"] if e[1] is None
    ]
    assert log_set(ours) == log_set(theirs)
    for key in ("running", "timers_running", "timers_after", "threads_after"):
        assert ours[key] == theirs[key], key
    assert set(ours["wake"]) == set(theirs["wake"])
    assert ours["contexts"].keys() == theirs["contexts"].keys()


def test_without_twisted_the_modules_fail_to_import_as_in_apscheduler() -> None:
    modules = ["schedulers.background", "schedulers.twisted", "executors.twisted"]
    messages = missing_framework_messages("twisted", modules, "twisted")
    assert messages["apscheduler_rs"] == messages["apscheduler"]
    # 3.11.3's executor module itself needs no Twisted: only the scheduler's does
    assert messages["apscheduler_rs"] == {
        "schedulers.background": "ok",
        "schedulers.twisted": "TwistedScheduler requires Twisted installed",
        "executors.twisted": "ok",
        "add_executor": "ok",
    }
