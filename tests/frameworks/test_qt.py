"""QtScheduler on a real Qt event loop (QCoreApplication, offscreen).

Tests taking the ``lib`` fixture run on APScheduler 3.11.3 as well as on
apscheduler_rs; the differential test runs one job script on both. 3.11.3's
QtScheduler cannot be woken from other threads (its ``QTimer.singleShot`` from a
thread without a Qt event loop never fires) nor does it stop its timer on
shutdown (``singleShot`` returns ``None``, so it keeps no timer); those tests
run on apscheduler_rs only, and one pins the 3.11.3 behaviour down."""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from apscheduler_rs.schedulers import SchedulerAlreadyRunningError

from ._common_aio_tornado_qt import (
    EVENT_JOB_ERROR,
    EVENT_JOB_SUBMITTED,
    LIBS,
    UTC,
    Events,
    Runs,
    Script,
    add_date_interval_and_cron_jobs,
    assert_ran_on_time,
    assert_same_traces,
    captured_logs,
    import_error_when_missing,
    new_threads,
    run_script,
    run_script_in_subprocess,
    wait_for,
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from _require import require  # noqa: E402

ours_qt = require("apscheduler_rs.schedulers.qt")
QtCore: Any = importlib.import_module(ours_qt.QTimer.__module__)

QT_BINDINGS = [f"{name}{version}" for version in range(6, 1, -1) for name in ("PySide", "PyQt")]


@pytest.fixture(scope="module", autouse=True)
def app() -> Any:
    return QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])


@pytest.fixture(params=LIBS)
def lib(request: pytest.FixtureRequest) -> str:
    return request.param


def scheduler_class(lib: str) -> Any:
    return importlib.import_module(f"{lib}.schedulers.qt").QtScheduler


@pytest.fixture
def make() -> Iterator[Callable[..., Any]]:
    """Build QtSchedulers; those still running at the end are shut down."""
    made: list[Any] = []

    def build(lib: str, **options: Any) -> Any:
        scheduler = scheduler_class(lib)(**options)
        made.append(scheduler)
        return scheduler

    yield build
    for scheduler in made:
        if scheduler.running:
            scheduler.remove_all_jobs()
            scheduler.shutdown(wait=False)
    run_qt_until(lambda: False, 0.02)  # deliver what the shutdowns queued


def run_qt_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Run a Qt event loop in this thread until ``predicate()`` or ``timeout``."""
    loop = QtCore.QEventLoop()
    poll = QtCore.QTimer()
    poll.timeout.connect(lambda: predicate() and loop.quit())
    deadline = QtCore.QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    poll.start(5)
    deadline.start(int(timeout * 1000))
    if not predicate():
        (getattr(loop, "exec", None) or loop.exec_)()
    poll.stop()
    deadline.stop()
    return predicate()


# ---------------------------------------------------------------------------------------
# Differential: one job script on 3.11.3 and on apscheduler_rs
# ---------------------------------------------------------------------------------------


def drive_qt(script: Script) -> None:
    scheduler = scheduler_class(script.lib)(timezone="UTC")
    try:
        script.add_jobs(scheduler)
        scheduler.start()
        script.after_start(scheduler)
        assert run_qt_until(script.finished, 8)
    finally:
        scheduler.remove_all_jobs()
        scheduler.shutdown()
    run_qt_until(lambda: False, 0.02)


def test_same_events_logs_and_threads_as_3_11_3() -> None:
    traces = {
        lib: run_script(lib, drive_qt, coroutine_job=False, thread_add=False) for lib in LIBS
    }
    assert_same_traces(traces)
    assert traces["apscheduler_rs"].runs == {
        ("date", False): 1,
        ("interval", False): Script.INTERVAL_FIRES,
        ("cron", False): 1,
        ("failing", False): 1,
    }


# ---------------------------------------------------------------------------------------
# Jobs fire on time, from timers in the Qt thread
# ---------------------------------------------------------------------------------------


def test_date_interval_and_cron_jobs_fire_on_time(lib: str, make: Any) -> None:
    events, runs = Events(), Runs()
    submitted_from: list[threading.Thread] = []
    scheduler = make(lib, timezone="UTC")
    scheduler.add_listener(events)
    scheduler.add_listener(
        lambda _: submitted_from.append(threading.current_thread()), EVENT_JOB_SUBMITTED
    )
    all_ran = add_date_interval_and_cron_jobs(scheduler, runs)
    scheduler.start()
    assert run_qt_until(all_ran, 5)
    scheduler.remove_all_jobs()
    scheduler.shutdown()
    assert_ran_on_time(events, runs)
    # the due-job step runs in the Qt thread; the jobs in the thread pool
    assert set(submitted_from) == {threading.main_thread()}
    assert all(thread is not threading.main_thread() for _, _, thread, _ in runs.of("date"))


def test_failing_job_is_logged_reported_and_the_scheduler_goes_on(lib: str, make: Any) -> None:
    events, runs = Events(), Runs()

    def fail() -> None:
        raise ValueError("boom")

    scheduler = make(lib, timezone="UTC")
    scheduler.add_listener(events)
    with captured_logs() as logs:
        scheduler.add_job(fail, id="fail")
        scheduler.add_job(
            runs.record,
            "date",
            run_date=datetime.now(UTC) + timedelta(seconds=0.2),
            args=["after"],
        )
        scheduler.start()
        assert run_qt_until(lambda: runs.count("after") == 1, 3)
        assert scheduler.running
        scheduler.shutdown()
    (error,) = events.of(EVENT_JOB_ERROR, "fail")
    assert isinstance(error.exception, ValueError)
    assert 'raise ValueError("boom")' in error.traceback
    (record,) = [r for r in logs.records if r.levelno == logging.ERROR]
    assert record.exc_info and record.getMessage().endswith("raised an exception")


# ---------------------------------------------------------------------------------------
# Wakeups from other threads
# ---------------------------------------------------------------------------------------


def add_from_thread(scheduler: Any, runs: Runs, added_at: list[float]) -> threading.Thread:
    def add() -> None:
        added_at.append(time.monotonic())
        scheduler.add_job(runs.record, args=["now"])

    thread = threading.Thread(target=add)
    thread.start()
    return thread


def test_job_added_from_another_thread_runs_promptly(make: Any) -> None:
    runs = Runs()
    added_at: list[float] = []
    scheduler = make("apscheduler_rs", timezone="UTC")
    scheduler.add_job(runs.record, "interval", hours=1, args=["hourly"])
    scheduler.start()
    run_qt_until(lambda: False, 0.05)  # the next wakeup is now an hour away
    thread = add_from_thread(scheduler, runs, added_at)
    assert run_qt_until(lambda: runs.count("now") == 1, 3)
    thread.join()
    assert runs.of("now")[0][0] - added_at[0] < 1.0
    assert runs.count("hourly") == 0


def test_3_11_3_misses_wakeups_from_other_threads(make: Any) -> None:
    """The difference the test above fixes: 3.11.3 starts its zero timer in the
    calling thread, which runs no Qt event loop."""
    runs = Runs()
    scheduler = make("apscheduler", timezone="UTC")
    scheduler.add_job(runs.record, "interval", hours=1, args=["hourly"])
    scheduler.start()
    run_qt_until(lambda: False, 0.05)
    add_from_thread(scheduler, runs, []).join()
    assert not run_qt_until(lambda: runs.count("now") == 1, 0.3)


def test_resume_from_another_thread_runs_due_jobs(make: Any) -> None:
    runs = Runs()
    scheduler = make("apscheduler_rs", timezone="UTC")
    scheduler.add_job(runs.record, args=["due"])
    scheduler.start(paused=True)
    run_qt_until(lambda: False, 0.05)
    assert runs.count("due") == 0
    threading.Thread(target=scheduler.resume).start()
    assert run_qt_until(lambda: runs.count("due") == 1, 3)


def test_wakeup_never_runs_jobs_before_it_returns(make: Any) -> None:
    """Even from the Qt thread, wakeup() queues the step (3.11.3 starts a zero
    timer), so add_job() returns before the job is submitted."""
    events = Events()
    scheduler = make("apscheduler_rs", timezone="UTC")
    scheduler.add_listener(events, EVENT_JOB_SUBMITTED)
    scheduler.start()
    scheduler.add_job(time.sleep, args=[0])
    assert events.events == []
    assert run_qt_until(lambda: len(events.events) == 1, 3)


# ---------------------------------------------------------------------------------------
# shutdown()
# ---------------------------------------------------------------------------------------


def test_shutdown_stops_the_timer_and_leaves_no_threads(make: Any) -> None:
    before = set(threading.enumerate())
    runs = Runs()
    scheduler = make("apscheduler_rs", timezone="UTC")
    scheduler.add_job(runs.record, "interval", hours=1, args=["hourly"])
    scheduler.add_job(runs.record, args=["now"])
    scheduler.start()
    assert run_qt_until(lambda: runs.count("now") == 1, 3)
    timer = scheduler._waker.timer
    assert timer.isActive()
    scheduler.shutdown()
    assert not scheduler.running
    assert not timer.isActive()
    assert new_threads(before) == []


def test_shutdown_from_another_thread_stops_the_timer_in_the_qt_thread(make: Any) -> None:
    scheduler = make("apscheduler_rs", timezone="UTC")
    scheduler.add_job(time.sleep, "interval", hours=1, args=[0])
    scheduler.start()
    run_qt_until(lambda: False, 0.05)
    timer = scheduler._waker.timer
    assert timer.isActive()
    thread = threading.Thread(target=scheduler.shutdown)
    thread.start()
    thread.join()
    assert not scheduler.running
    assert run_qt_until(lambda: not timer.isActive(), 2)


def test_restart_after_shutdown(lib: str, make: Any) -> None:
    runs = Runs()
    scheduler = make(lib, timezone="UTC")
    scheduler.start()
    scheduler.shutdown()
    # the default thread pool cannot be reused in either library: a fresh one
    scheduler.add_executor("threadpool", "fresh")
    scheduler.start()
    scheduler.add_job(runs.record, args=["again"], executor="fresh")
    assert run_qt_until(lambda: runs.count("again") == 1, 3)


def test_scheduler_in_a_qthread_then_restarted_in_the_main_thread(make: Any) -> None:
    """The timer lives in the thread that called start(); a restart from another
    thread moves it there."""
    runs = Runs()
    submitted_from: list[threading.Thread] = []
    scheduler = make("apscheduler_rs", timezone="UTC")
    scheduler.add_listener(
        lambda _: submitted_from.append(threading.current_thread()), EVENT_JOB_SUBMITTED
    )
    scheduler.add_job(runs.record, "interval", hours=1, args=["hourly"])
    qt_threads: list[threading.Thread] = []

    class SchedulerThread(QtCore.QThread):
        def run(self) -> None:
            qt_threads.append(threading.current_thread())
            scheduler.start()
            self.exec()

    worker = SchedulerThread()
    worker.start()
    try:
        assert wait_for(lambda: scheduler.running, 3)
        with pytest.raises(SchedulerAlreadyRunningError):
            scheduler.start()  # from the main thread: refused, the timer stays put
        scheduler.add_job(runs.record, args=["in the qthread"])
        assert wait_for(lambda: runs.count("in the qthread") == 1, 3)
        assert submitted_from[-1] is qt_threads[0]
        scheduler.shutdown()
        assert wait_for(lambda: not scheduler._waker.timer.isActive(), 3)
    finally:
        worker.quit()
        assert worker.wait(3000)

    scheduler.add_executor("threadpool", "fresh")  # the default one is shut down
    scheduler.start()
    scheduler.add_job(runs.record, args=["in the main thread"], executor="fresh")
    assert run_qt_until(lambda: runs.count("in the main thread") == 1, 3)
    assert submitted_from[-1] is threading.main_thread()
    assert runs.count("hourly") == 0


def test_shutdown_when_stopped_raises(lib: str) -> None:
    exc_module = importlib.import_module(f"{lib}.schedulers")
    with pytest.raises(exc_module.SchedulerNotRunningError):
        scheduler_class(lib)().shutdown()


# ---------------------------------------------------------------------------------------
# Finding the Qt binding
# ---------------------------------------------------------------------------------------


def test_import_error_without_any_qt_binding_matches_3_11_3() -> None:
    ref = import_error_when_missing("apscheduler.schedulers.qt", QT_BINDINGS)
    ours = import_error_when_missing("apscheduler_rs.schedulers.qt", QT_BINDINGS)
    assert ours == ref
    assert ours.splitlines()[0] == (
        "ImportError('QtScheduler requires either PySide/PyQt (v6 to v2) installed')"
    )


FAKE_BINDINGS = """
    import sys, types
    for name in {missing!r}:
        sys.modules[name] = None
    for name in {fakes!r}:
        core = types.ModuleType(name + ".QtCore")
        core.QObject = type("QObject", (), {{"__init__": lambda self, *a: None}})
        core.QTimer = type("QTimer", (), {{"__module__": core.__name__}})
        core.Qt = types.SimpleNamespace()
        core.Signal = core.pyqtSignal = lambda *a: None
        core.Slot = core.pyqtSlot = lambda *a: (lambda f: f)
        sys.modules[name] = types.ModuleType(name)
        sys.modules[name + ".QtCore"] = core
    import apscheduler.schedulers.qt as ref, apscheduler_rs.schedulers.qt as ours
    print(ref.QTimer.__module__, ours.QTimer.__module__)
"""


@pytest.mark.parametrize(
    ("missing", "fakes", "chosen"),
    [
        (["PySide6"], ["PyQt5", "PySide5", "PyQt6"], "PyQt6"),
        (["PySide6", "PyQt6"], ["PySide2", "PyQt5"], "PyQt5"),
        (QT_BINDINGS[:-2], ["PyQt2", "PySide2"], "PySide2"),
    ],
)
def test_binding_lookup_order_matches_3_11_3(
    missing: list[str], fakes: list[str], chosen: str
) -> None:
    output = run_script_in_subprocess(FAKE_BINDINGS.format(missing=missing, fakes=fakes))
    ref, ours = output.split()
    assert ours == ref == f"{chosen}.QtCore"
