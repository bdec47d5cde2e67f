"""The scheduler's lock (``_core.RLock``) behaves as ``threading.RLock``: the
same answers and errors for the same calls, reentrant per thread, and a
thread waiting for it does not hold up the others."""

from __future__ import annotations

import threading
import time

import pytest

from apscheduler_rs._core import RLock
from apscheduler_rs.schedulers.background import BackgroundScheduler


@pytest.mark.parametrize("make", [RLock, threading.RLock], ids=["ours", "threading"])
def test_calls_answer_as_threading_rlock_does(make: type) -> None:
    lock = make()
    assert lock.acquire() is True
    assert lock.acquire(False) is True  # reentrant
    assert lock._is_owned()
    lock.release()
    lock.release()
    assert not lock._is_owned()
    with pytest.raises(RuntimeError, match="cannot release un-acquired lock"):
        lock.release()
    with pytest.raises(ValueError, match="can't specify a timeout for a non-blocking call"):
        lock.acquire(False, 1)
    with pytest.raises(ValueError, match="timeout value must be positive"):
        lock.acquire(True, -2)
    with lock:
        assert lock._is_owned()
    assert not lock._is_owned()


def test_other_threads_wait_and_time_out() -> None:
    lock = RLock()
    lock.acquire()
    outcomes: list[object] = []

    def contend() -> None:
        outcomes.append(lock.acquire(False))
        started = time.monotonic()
        outcomes.append(lock.acquire(timeout=0.2))
        outcomes.append(time.monotonic() - started >= 0.15)
        with pytest.raises(RuntimeError):
            lock.release()  # not this thread's

    thread = threading.Thread(target=contend)
    thread.start()
    thread.join(10)
    assert outcomes == [False, False, True]
    # while a thread waits, this one keeps running Python code
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(lock.acquire(timeout=10)))
    waiter.start()
    counted = sum(1 for _ in range(100_000))
    lock.release()
    waiter.join(10)
    assert got == [True] and counted == 100_000


def test_a_scheduler_makes_its_locks_with_it() -> None:
    scheduler = BackgroundScheduler()
    assert type(scheduler._jobstores_lock) is RLock
    assert type(scheduler._create_lock()) is RLock
