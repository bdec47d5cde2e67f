"""The pool executors against apscheduler 3.11.3's: the Rust thread pool and the
process pool, with a stand-in scheduler."""

from __future__ import annotations

import concurrent.futures
import logging
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from concurrent.futures.thread import BrokenThreadPool
from datetime import datetime, timedelta, timezone
from typing import Any

import apscheduler.executors.base as ref_base
import apscheduler.executors.pool as ref_pool
import pytest

import apscheduler_rs.executors.base as our_base
import apscheduler_rs.executors.pool as our_pool
from apscheduler_rs.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

LIBS = {"ours": (our_base, our_pool), "ref": (ref_base, ref_pool)}
TIMEOUT = 10.0


class FakeScheduler:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def _create_lock(self) -> Any:
        return threading.RLock()

    def _dispatch_event(self, event: Any) -> None:
        self.events.append(event)


class FakeJob:
    """What executors read of a job. Module level, so it pickles for the process pool."""

    def __init__(
        self,
        func: Callable[..., Any],
        args: tuple = (),
        id: str = "job-1",
        misfire_grace_time: int | None = 5,
        max_instances: int = 1,
    ) -> None:
        self.id = id
        self.func = func
        self.args = args
        self.kwargs: dict[str, Any] = {}
        self.misfire_grace_time = misfire_grace_time
        self.max_instances = max_instances
        self._jobstore_alias = "default"

    def __str__(self) -> str:
        return f"{self.id} (trigger: test)"


class UnreadableJob(FakeJob):
    """run_job itself fails on it: reading the grace time raises."""

    @property  # type: ignore[override]
    def misfire_grace_time(self) -> int:
        raise LookupError("no grace time")

    @misfire_grace_time.setter
    def misfire_grace_time(self, value: Any) -> None:
        pass


def multiply(value: int) -> int:
    return value * 10


def explode() -> None:
    raise ZeroDivisionError("no")


def crash() -> None:
    os._exit(3)


def wait_for(what: str, cond: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def idle(executor: Any) -> bool:
    # A run that ends before submit_job returns leaves a zero count behind in the
    # reference (its done-callback runs at once, before the count goes up).
    with executor._lock:
        return not any(executor._instances.values())


def started(executor_class: Any, *args: Any) -> tuple[FakeScheduler, Any]:
    scheduler, executor = FakeScheduler(), executor_class(*args)
    executor.start(scheduler, "pool")
    return scheduler, executor


def run_times() -> list[datetime]:
    now = datetime.now(timezone.utc)
    return [now - timedelta(minutes=10), now - timedelta(seconds=1)]


def describe(events: list[Any]) -> list[tuple]:
    return [
        (
            type(e).__name__,
            e.code,
            e.job_id,
            e.jobstore,
            e.scheduled_run_time,
            e.retval,
            type(e.exception).__name__ if e.exception else None,
            "ZeroDivisionError" in e.traceback if e.traceback else None,
        )
        for e in events
    ]


def log_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str, str | None]]:
    lines = []
    for record in caplog.records:
        message = record.getMessage()
        if "was missed by" in message:
            message = message.split(" by ")[0]  # the lateness differs by microseconds
        exc = record.exc_info[0].__name__ if record.exc_info else None
        lines.append((record.name, record.levelname, message, exc))
    caplog.clear()
    return lines


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def settled_thread_count() -> int:
    """The thread count once threads left by earlier tests (pools shut down
    without waiting) have finished exiting: unchanged for 200 ms, or after 3 s."""
    deadline = time.monotonic() + 3
    count, stable_since = thread_count(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - stable_since < 0.2:
        time.sleep(0.01)
        now_count = thread_count()
        if now_count != count:
            count, stable_since = now_count, time.monotonic()
    return count


def thread_pools() -> dict[str, Any]:
    return {"ours": our_pool.ThreadPoolExecutor, "ref": ref_pool.ThreadPoolExecutor}


# --- ThreadPoolExecutor: events and logs against the reference ---


@pytest.mark.parametrize(
    ("func", "args"), [(multiply, (4,)), (explode, ())], ids=["returns", "raises"]
)
@pytest.mark.parametrize("grace", [5, None], ids=["grace 5s", "no grace limit"])
def test_thread_pool_events_and_logs_match_the_reference(
    func: Any, args: tuple, grace: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler")
    times = run_times()
    results = {}
    for lib, executor_class in thread_pools().items():
        scheduler, executor = started(executor_class, 2)
        executor.submit_job(FakeJob(func, args, misfire_grace_time=grace), times)
        wait_for("the run to be reported", lambda executor=executor: idle(executor))
        executor.shutdown()
        results[lib] = (describe(scheduler.events), log_lines(caplog))
    assert results["ours"] == results["ref"]
    codes = [event[1] for event in results["ours"][0]]
    last = EVENT_JOB_EXECUTED if func is multiply else EVENT_JOB_ERROR
    assert codes[-1] == last
    assert (codes[0] == EVENT_JOB_MISSED) == (grace is not None)
    assert results["ours"][0][-1][5] == (40 if func is multiply else None)


def test_error_event_carries_the_exception_and_traceback() -> None:
    scheduler, executor = started(our_pool.ThreadPoolExecutor, 1)
    executor.submit_job(FakeJob(explode), run_times()[1:])
    wait_for("the run", lambda: idle(executor))
    executor.shutdown()
    (event,) = scheduler.events
    assert isinstance(event.exception, ZeroDivisionError)
    assert 'raise ZeroDivisionError("no")' in event.traceback
    assert event.traceback.lstrip().startswith("File ")


def test_a_failing_run_job_is_reported_like_the_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    results = {}
    for lib, executor_class in thread_pools().items():
        scheduler, executor = started(executor_class, 1)
        executor.submit_job(UnreadableJob(multiply, (1,)), run_times())
        wait_for("the failure", lambda executor=executor: idle(executor))
        executor.shutdown()
        records = [r for r in caplog.records if r.name.startswith("apscheduler")]
        traceback_ok = all(r.exc_info[2] is not None for r in records)
        results[lib] = (scheduler.events, log_lines(caplog), traceback_ok)
    assert results["ours"] == results["ref"]
    assert results["ours"] == (
        [],
        [("apscheduler.executors.pool", "ERROR", "Error running job job-1", "LookupError")],
        True,
    )


def test_max_instances_match_the_reference() -> None:
    outcomes = {}
    for lib, executor_class in thread_pools().items():
        release = threading.Event()
        scheduler, executor = started(executor_class, 5)
        job = FakeJob(release.wait, (TIMEOUT,), max_instances=2)
        executor.submit_job(job, run_times()[1:])
        executor.submit_job(job, run_times()[1:])
        with pytest.raises(LIBS[lib][0].MaxInstancesReachedError) as refused:
            executor.submit_job(job, run_times()[1:])
        release.set()
        wait_for("both runs", lambda executor=executor: idle(executor))
        executor.submit_job(job, run_times()[1:])  # slots are free again
        executor.shutdown()
        outcomes[lib] = (str(refused.value), [e.retval for e in scheduler.events])
    assert outcomes["ours"] == outcomes["ref"]
    assert outcomes["ours"] == (
        'Job "job-1" has already reached its maximum number of instances (2)',
        [True, True, True],
    )


class ListeningScheduler(FakeScheduler):
    """A stand-in with our schedulers' _wants_event: only some codes have takers."""

    def __init__(self, wanted: int) -> None:
        super().__init__()
        self.wanted = wanted

    def _wants_event(self, code: int) -> bool:
        return bool(code & self.wanted)


@pytest.mark.parametrize(
    "wanted",
    [
        EVENT_JOB_EXECUTED,
        EVENT_JOB_ERROR,
        EVENT_JOB_MISSED,
        EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED,
        0,
    ],
)
def test_runs_make_only_the_events_the_scheduler_wants(
    wanted: int, caplog: pytest.LogCaptureFixture
) -> None:
    """What every event would be, filtered by the scheduler's _wants_event, and
    the same log lines whichever events are made."""
    caplog.set_level(logging.INFO)
    outcomes = {}
    times = run_times()
    for name, scheduler in (("all", FakeScheduler()), ("some", ListeningScheduler(wanted))):
        executor = our_pool.ThreadPoolExecutor(2)
        executor.start(scheduler, "pool")
        caplog.clear()
        # one run missed, one that returns, one that raises: in that order
        executor.submit_job(FakeJob(multiply, (7,), id="a", misfire_grace_time=5), times)
        wait_for("the first job", lambda executor=executor: idle(executor))
        executor.submit_job(FakeJob(explode, id="b"), times[1:])
        wait_for("the second job", lambda executor=executor: idle(executor))
        executor.shutdown()
        outcomes[name] = (describe(scheduler.events), log_lines(caplog))
    expected_events = [e for e in outcomes["all"][0] if e[1] & wanted]
    assert outcomes["some"][0] == expected_events
    assert outcomes["some"][1] == outcomes["all"][1]
    assert {e[1] for e in outcomes["all"][0]} == {
        EVENT_JOB_MISSED,
        EVENT_JOB_EXECUTED,
        EVENT_JOB_ERROR,
    }


def test_a_subclass_that_watches_run_reports_still_sees_every_one() -> None:
    """A ThreadPoolExecutor subclass overriding how runs are reported keeps
    BaseExecutor's path, where its methods are called."""
    reported: list[tuple[str, Any]] = []

    class Watching(our_pool.ThreadPoolExecutor):
        def _run_job_success(self, job_id: str, events: list[Any]) -> None:
            reported.append((job_id, [e.retval for e in events]))
            super()._run_job_success(job_id, events)

        def _run_job_error(self, job_id: str, exc: BaseException, tb: Any = None) -> None:
            reported.append((job_id, type(exc).__name__))
            super()._run_job_error(job_id, exc, tb)

    scheduler, executor = started(Watching, 2)
    executor.submit_job(FakeJob(multiply, (3,), id="ok"), run_times()[1:])
    wait_for("the run", lambda: idle(executor))
    executor.submit_job(UnreadableJob(multiply, (3,), id="broken"), run_times()[1:])
    wait_for("the failed run", lambda: len(reported) == 2)
    wait_for("its count", lambda: idle(executor))
    executor.shutdown()
    assert reported == [("ok", [30]), ("broken", "LookupError")]
    assert [e.retval for e in scheduler.events] == [30]


# --- ThreadPoolExecutor: the worker threads ---


class Gauge:
    """Counts the jobs running at once; each waits for `release`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.release = threading.Event()

    def job(self) -> str:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        self.release.wait(TIMEOUT)
        with self.lock:
            self.active -= 1
        return threading.current_thread().name


def test_runs_up_to_max_workers_jobs_at_once_and_no_more() -> None:
    gauge = Gauge()
    scheduler, executor = started(our_pool.ThreadPoolExecutor, 3)
    for n in range(7):
        executor.submit_job(FakeJob(gauge.job, id=f"job-{n}"), run_times()[1:])
    wait_for("three running jobs", lambda: gauge.active == 3)
    time.sleep(0.1)
    assert gauge.active == 3
    assert executor._pool.worker_count == 3
    gauge.release.set()
    wait_for("all runs", lambda: len(scheduler.events) == 7)
    executor.shutdown()
    assert gauge.peak == 3
    assert len({event.retval for event in scheduler.events}) == 3


def test_workers_start_only_when_needed() -> None:
    before = settled_thread_count()
    scheduler, executor = started(our_pool.ThreadPoolExecutor, 4)
    assert executor._pool.worker_count == 0
    assert thread_count() == before
    for n in range(5):
        executor.submit_job(FakeJob(multiply, (n,)), run_times()[1:])
        wait_for("the run", lambda: idle(executor))
        time.sleep(0.02)  # the worker goes back to waiting after reporting
    assert executor._pool.worker_count == 1
    assert thread_count() == before + 1
    executor.shutdown()
    assert [e.retval for e in scheduler.events] == [0, 10, 20, 30, 40]


def test_shutdown_with_wait_waits_for_running_jobs_and_leaves_no_thread() -> None:
    os_threads = settled_thread_count()
    threads = threading.active_count()
    names_before = {t.name for t in threading.enumerate()}
    scheduler, executor = started(our_pool.ThreadPoolExecutor, 2)
    for n in range(3):
        executor.submit_job(FakeJob(time.sleep, (0.2,), id=f"sleep-{n}"), run_times()[1:])
    wait_for("both workers", lambda: thread_count() == os_threads + 2)
    began = time.monotonic()
    executor.shutdown(wait=True)
    assert time.monotonic() - began > 0.2  # the queued third job ran too
    assert len(scheduler.events) == 3
    assert thread_count() == os_threads
    assert threading.active_count() == threads
    # (other tests' pools may have left threads of their own: compare by name)
    assert {t.name for t in threading.enumerate()} <= names_before


def test_shutdown_without_wait_returns_at_once() -> None:
    os_threads = settled_thread_count()
    scheduler, executor = started(our_pool.ThreadPoolExecutor, 1)
    executor.submit_job(FakeJob(time.sleep, (0.3,)), run_times()[1:])
    began = time.monotonic()
    executor.shutdown(wait=False)
    assert time.monotonic() - began < 0.2
    assert scheduler.events == []
    wait_for("the job to finish anyway", lambda: len(scheduler.events) == 1)
    executor.shutdown(wait=True)
    assert thread_count() == os_threads


def test_submitting_after_shutdown_raises_like_the_reference() -> None:
    messages = {}
    for lib, executor_class in thread_pools().items():
        _, executor = started(executor_class, 1)
        executor.shutdown()
        with pytest.raises(RuntimeError) as refused:
            executor.submit_job(FakeJob(multiply, (1,)), run_times())
        messages[lib] = (str(refused.value), any(executor._instances.values()))
    assert messages["ours"] == messages["ref"]
    assert messages["ours"][0] == "cannot schedule new futures after shutdown"


def test_a_job_that_shuts_its_own_pool_down_with_wait_fails_like_the_reference() -> None:
    results = {}
    for lib, executor_class in thread_pools().items():
        scheduler, executor = started(executor_class, 1)
        executor.submit_job(
            FakeJob(lambda executor=executor: executor.shutdown()), run_times()[1:]
        )
        wait_for("the run", lambda executor=executor: idle(executor))
        executor.shutdown()
        (event,) = scheduler.events
        results[lib] = (event.code, repr(event.exception))
    assert results["ours"] == results["ref"]
    assert results["ours"][1] == "RuntimeError('cannot join current thread')"


def test_initializer_runs_once_per_worker_before_its_jobs() -> None:
    local = threading.local()
    calls = []

    def setup(tag: str) -> None:
        calls.append(threading.get_ident())
        local.tag = tag

    def read() -> tuple[str, str]:
        time.sleep(0.05)
        return local.tag, threading.current_thread().name

    options = {"initializer": setup, "initargs": ("ready",), "thread_name_prefix": "jobs"}
    seen = {}
    for lib, executor_class in thread_pools().items():
        calls.clear()
        scheduler, executor = started(executor_class, 2, options)
        for n in range(6):
            executor.submit_job(FakeJob(read, id=f"read-{n}"), run_times()[1:])
        wait_for("six runs", lambda scheduler=scheduler: len(scheduler.events) == 6)
        executor.shutdown()
        seen[lib] = ({e.retval for e in scheduler.events}, sorted(set(calls)) == sorted(calls))
    assert seen["ours"] == seen["ref"]
    assert seen["ours"] == ({("ready", "jobs_0"), ("ready", "jobs_1")}, True)


def test_default_thread_names_follow_concurrent_futures() -> None:
    scheduler, executor = started(our_pool.ThreadPoolExecutor, 1)
    executor.submit_job(FakeJob(lambda: threading.current_thread().name), run_times()[1:])
    wait_for("the run", lambda: idle(executor))
    executor.shutdown()
    (event,) = scheduler.events
    assert event.retval.startswith("ThreadPoolExecutor-")
    assert event.retval.endswith("_0")


def test_a_failing_initializer_breaks_the_pool_like_the_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def setup() -> None:
        raise OSError("no database")

    caplog.set_level(logging.INFO)
    results = {}
    for lib, executor_class in thread_pools().items():
        scheduler, executor = started(executor_class, 1, {"initializer": setup})
        executor.submit_job(FakeJob(multiply, (1,)), run_times()[1:])
        wait_for("the failure", lambda executor=executor: idle(executor))
        with pytest.raises(BrokenThreadPool) as refused:
            executor.submit_job(FakeJob(multiply, (2,)), run_times()[1:])
        executor.shutdown()
        results[lib] = (scheduler.events, log_lines(caplog), str(refused.value))
    assert results["ours"] == results["ref"]
    reason = "A thread initializer failed, the thread pool is not usable anymore"
    assert results["ours"] == (
        [],
        [
            ("concurrent.futures", "CRITICAL", "Exception in initializer:", "OSError"),
            ("apscheduler.executors.pool", "ERROR", "Error running job job-1", "BrokenThreadPool"),
        ],
        reason,
    )


@pytest.mark.parametrize(
    ("max_workers", "pool_kwargs"),
    [
        (0, None),
        (-1, None),
        ("3.5", None),
        (None, None),
        (2, {"thread_name": "x"}),
        (2, {"max_workers": 3}),
        (2, {"initializer": 42}),
    ],
    ids=["zero", "negative", "not an int", "None", "unknown option", "twice", "bad initializer"],
)
def test_bad_arguments_raise_like_the_reference(max_workers: Any, pool_kwargs: Any) -> None:
    raised = {}
    for lib, executor_class in thread_pools().items():
        with pytest.raises((TypeError, ValueError)) as refused:
            executor_class(max_workers, pool_kwargs)
        raised[lib] = (type(refused.value), str(refused.value))
    assert raised["ours"] == raised["ref"]


def test_max_workers_is_converted_with_int() -> None:
    executor = our_pool.ThreadPoolExecutor("3")
    assert executor._pool.max_workers == executor._pool._max_workers == 3
    executor.shutdown()
    assert isinstance(executor, our_pool.BasePoolExecutor)


def test_worker_threads_are_joined_at_interpreter_exit(tmp_path: Any) -> None:
    # A pool left running (one shut down without waiting, one never shut down):
    # the jobs finish and the process exits cleanly.
    script = textwrap.dedent(
        """
        import sys, threading, time
        from datetime import datetime, timezone
        from types import SimpleNamespace
        from apscheduler_rs.executors.pool import ThreadPoolExecutor

        class Scheduler:
            def _create_lock(self):
                return threading.RLock()
            def _dispatch_event(self, event):
                # one write per line: print() from two threads can interleave
                sys.stdout.write(f"event {event.retval}\\n")
                sys.stdout.flush()

        def slow(tag):
            time.sleep(0.2)
            return tag

        for tag, stop in (("a", True), ("b", False)):
            executor = ThreadPoolExecutor(1)
            executor.start(Scheduler(), tag)
            job = SimpleNamespace(id=tag, func=slow, args=(tag,), kwargs={},
                                  misfire_grace_time=None, max_instances=1,
                                  _jobstore_alias="default")
            executor.submit_job(job, [datetime.now(timezone.utc)])
            if stop:
                executor.shutdown(wait=False)
        print("main done", flush=True)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "main done"
    assert sorted(lines[1:]) == ["event a", "event b"]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_neither_uses_nor_waits_for_the_parents_threads() -> None:
    fork = multiprocessing.get_context("fork")
    scheduler, executor = started(our_pool.ThreadPoolExecutor, 1)
    executor.submit_job(FakeJob(multiply, (1,)), run_times()[1:])
    wait_for("the run", lambda: idle(executor))
    said = fork.SimpleQueue()

    def child() -> None:
        try:
            executor.submit_job(FakeJob(multiply, (2,), id="child"), run_times()[1:])
        except RuntimeError as exc:
            said.put(str(exc))
        executor.shutdown(wait=True)  # the parent's thread is not here to join
        said.put("shut down")
        # and then multiprocessing runs threading's exit hooks, ours among them

    process = fork.Process(target=child)
    process.start()
    process.join(TIMEOUT)
    assert process.exitcode == 0
    assert said.get().startswith("cannot schedule new futures in a forked process")
    assert said.get() == "shut down"
    executor.submit_job(FakeJob(multiply, (3,), id="parent"), run_times()[1:])
    executor.shutdown()
    assert [e.retval for e in scheduler.events] == [10, 30]


def test_worker_stacks_hold_deep_recursion_as_python_threads_do() -> None:
    # Recursing through C (map) uses the thread's C stack at every level.
    script = textwrap.dedent(
        """
        import sys, threading
        from datetime import datetime, timezone
        from types import SimpleNamespace
        from apscheduler_rs.executors.pool import ThreadPoolExecutor

        sys.setrecursionlimit(5000)

        def down(n):
            return n and list(map(down, [n - 1]))

        def deep():
            try:
                down(10**6)
            except RecursionError:
                return "RecursionError"

        events = []
        scheduler = SimpleNamespace(_create_lock=threading.RLock, _dispatch_event=events.append)
        executor = ThreadPoolExecutor(1)
        executor.start(scheduler, "deep")
        job = SimpleNamespace(id="deep", func=deep, args=(), kwargs={}, max_instances=1,
                              misfire_grace_time=None, _jobstore_alias="default")
        executor.submit_job(job, [datetime.now(timezone.utc)])
        executor.shutdown()
        print(events[0].retval)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (0, "RecursionError\n"), result.stderr


# --- BasePoolExecutor with any concurrent.futures pool ---


def test_base_pool_executor_drives_any_concurrent_futures_pool(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler")
    times = run_times()
    results = {}
    for lib, (_, pool) in LIBS.items():

        class OwnPool(pool.BasePoolExecutor):  # type: ignore[name-defined, misc]
            def __init__(self) -> None:
                super().__init__(concurrent.futures.ThreadPoolExecutor(1))

        with pytest.raises(TypeError, match="abstract"):
            pool.BasePoolExecutor(concurrent.futures.ThreadPoolExecutor(1))
        scheduler, executor = started(OwnPool)
        executor.submit_job(FakeJob(multiply, (5,)), times)
        executor.submit_job(UnreadableJob(multiply, (1,), id="job-2"), times)
        wait_for("both", lambda executor=executor: idle(executor))
        executor.shutdown()
        results[lib] = (describe(scheduler.events), log_lines(caplog))
    assert results["ours"] == results["ref"]
    assert [event[5] for event in results["ours"][0]] == [None, 50]


# --- ProcessPoolExecutor ---


class FlakyPool:
    """A pool whose first instance is broken, as after a worker process died."""

    instances = 0

    def __init__(self, max_workers: int, **kwargs: Any) -> None:
        self._max_workers = max_workers
        self.kwargs = kwargs
        self.number = FlakyPool.instances
        FlakyPool.instances += 1
        self.threads = concurrent.futures.ThreadPoolExecutor(max_workers)
        self.shut = False

    def submit(self, fn: Any, *args: Any) -> concurrent.futures.Future:
        if self.number == 0:
            raise BrokenProcessPool("A child process terminated abruptly")
        return self.threads.submit(fn, *args)

    def shutdown(self, wait: bool = True) -> None:
        self.shut = True
        self.threads.shutdown(wait)


def test_a_broken_process_pool_is_replaced_like_the_reference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler")
    times = run_times()[1:]
    results = {}
    for lib, (_, pool) in LIBS.items():
        scheduler, executor = started(pool.ProcessPoolExecutor, 2, {"initargs": ()})
        executor._pool.shutdown()
        FlakyPool.instances = 0
        executor._pool = FlakyPool(2, **executor.pool_kwargs)
        executor.submit_job(FakeJob(multiply, (7,)), times)
        wait_for("the run", lambda executor=executor: idle(executor))
        fresh = executor._pool
        executor.shutdown()
        results[lib] = (
            describe(scheduler.events),
            log_lines(caplog),
            fresh.number,
            fresh._max_workers,
            sorted(fresh.kwargs),
        )
    assert results["ours"] == results["ref"]
    assert results["ours"][1][0] == (
        "apscheduler.executors.pool",
        "WARNING",
        "Process pool is broken; replacing pool with a fresh instance",
        None,
    )
    assert results["ours"][2:] == (1, 2, ["initargs", "mp_context"])


def test_process_pool_runs_jobs_in_other_processes_and_survives_a_dead_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="apscheduler")
    scheduler, executor = started(our_pool.ProcessPoolExecutor, 1)
    assert executor.pool_kwargs["mp_context"].get_start_method() == "spawn"
    try:
        # A run is counted as ended just before its event is dispatched or its
        # error logged (as in 3.11.3): wait for both.
        executor.submit_job(FakeJob(os.getpid, id="pid"), run_times()[1:])
        wait_for("the first run", lambda: idle(executor) and len(scheduler.events) == 1, 30)
        (event,) = scheduler.events
        assert event.code == EVENT_JOB_EXECUTED
        assert isinstance(event.retval, int) and event.retval != os.getpid()

        executor.submit_job(FakeJob(crash, id="crash"), run_times()[1:])

        def crash_errors() -> list[logging.LogRecord]:
            return [r for r in caplog.records if r.getMessage() == "Error running job crash"]

        wait_for("the crash to be reported", lambda: idle(executor) and bool(crash_errors()), 30)
        assert len(scheduler.events) == 1  # a dead worker reports no event
        assert crash_errors()[0].exc_info[0] is BrokenProcessPool

        caplog.clear()
        executor.submit_job(FakeJob(multiply, (6,), id="after"), run_times()[1:])
        wait_for(
            "the run on a fresh pool", lambda: idle(executor) and len(scheduler.events) == 2, 30
        )
        assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
            "Process pool is broken; replacing pool with a fresh instance"
        ]
        assert [(e.job_id, e.retval) for e in scheduler.events[1:]] == [("after", 60)]
    finally:
        executor.shutdown()


def test_process_pool_kwargs_are_not_modified() -> None:
    given: dict[str, Any] = {}
    executor = our_pool.ProcessPoolExecutor(1, given)
    executor.shutdown()
    assert given == {}
    assert set(executor.pool_kwargs) == {"mp_context"}
