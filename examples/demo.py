"""apscheduler-rs demo: the user's APScheduler examples, run on apscheduler_rs.

Part 1: for each example the trigger is built as the notes build it, then printed (str
and repr) with its next fire times, counted from a fixed "now" so that the output is
the same on every run. Then a few mistakes from the notes are shown being refused.

Part 2 (live): a BlockingScheduler runs the examples as real jobs for about 7 seconds,
with the scheduler's log lines and an event listener's printout, then shuts down.

Run:  .venv/bin/python examples/demo.py   (./scripts/demo.sh builds, installs, runs it)
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler_rs
from apscheduler_rs.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler_rs.schedulers.blocking import BlockingScheduler
from apscheduler_rs.triggers.cron import CronTrigger
from apscheduler_rs.triggers.date import DateTrigger
from apscheduler_rs.triggers.interval import IntervalTrigger

TZ = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=TZ)
COUNT = 5


def when(dt: datetime) -> str:
    return dt.strftime("%a %Y-%m-%d %H:%M:%S %Z")


def fire_times(trigger, now: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times, each fed back as the previous one."""
    times: list[datetime] = []
    previous = None
    while len(times) < count:
        previous = trigger.get_next_fire_time(previous, now)
        if previous is None:
            break
        times.append(previous)
        now = max(now, previous)
    return times


def show(number: int, title: str, code: str, make, note: str = "") -> None:
    trigger = make()
    print(f"{number}. {title}")
    print(f"   {code}")
    print(f"   str:  {trigger}")
    print(f"   repr: {trigger!r}")
    times = fire_times(trigger, NOW, COUNT)
    if not times:
        print("   next: none (the schedule is already over)")
    for i, time in enumerate(times):
        label = "next:" if i == 0 else "     "
        past = "   (in the past: a scheduler reports it missed)" if time < NOW else ""
        print(f"   {label} {when(time)}{past}")
    if note:
        print(f"   {note}")
    print()


def refused(code: str, make) -> None:
    try:
        make()
    except Exception as exc:  # any error is worth showing here
        outcome = f"{type(exc).__name__}: {exc}"
    else:
        outcome = "accepted (!)"
    print(f"   {code}")
    print(f"      -> {outcome}")


def main() -> None:
    print(
        f"apscheduler_rs {apscheduler_rs.__version__}, "
        f"behaving as APScheduler {apscheduler_rs.apscheduler_compat_version}"
    )
    print(f"Fire times are counted from now = {when(NOW)} (Europe/Helsinki).")
    print()

    show(
        1,
        "date: run once at a fixed time",
        "DateTrigger(run_date='2019-01-01 00:00:00')",
        lambda: DateTrigger(run_date="2019-01-01 00:00:00", timezone=TZ),
    )
    show(
        2,
        "interval: every five seconds",
        "IntervalTrigger(seconds=5)",
        # Without start_date the first run is one interval after the trigger is made;
        # here that moment is the fixed NOW.
        lambda: IntervalTrigger(seconds=5, start_date=NOW + timedelta(seconds=5), timezone=TZ),
        "start_date defaults to 'made + 5 s'; here it is fixed to now + 5 s",
    )
    show(
        3,
        "cron: every day at 08:30 and 12:30",
        "CronTrigger(hour='8, 12', minute='30')",
        lambda: CronTrigger(hour="8, 12", minute="30", timezone=TZ),
    )
    show(
        4,
        "cron: 2017-03-22 17:19:07, once",
        "CronTrigger(year=2017, month=3, day=22, hour=17, minute=19, second=7)",
        lambda: CronTrigger(year=2017, month=3, day=22, hour=17, minute=19, second=7, timezone=TZ),
    )
    show(
        5,
        "cron: 00:00-03:00 on the third Friday of Jun, Jul, Aug, Nov and Dec",
        "CronTrigger(month='6-8,11-12', day='3rd fri', hour='0-3')",
        lambda: CronTrigger(month="6-8,11-12", day="3rd fri", hour="0-3", timezone=TZ),
    )
    show(
        6,
        "cron: Monday to Friday at 05:30 until 2014-05-30",
        "CronTrigger(day_of_week='mon-fri', hour=5, minute=30, end_date='2014-05-30')",
        lambda: CronTrigger(
            day_of_week="mon-fri", hour=5, minute=30, end_date="2014-05-30", timezone=TZ
        ),
        "end_date is in the past, so the job would never run",
    )
    show(
        7,
        "cron: every 5 seconds",
        "CronTrigger(second='*/5')",
        lambda: CronTrigger(second="*/5", timezone=TZ),
    )

    print("Mistakes are refused with a clear error:")
    refused("CronTrigger(second='07x')", lambda: CronTrigger(second="07x", timezone=TZ))
    refused("CronTrigger(day='3rd fryday')", lambda: CronTrigger(day="3rd fryday", timezone=TZ))
    refused("CronTrigger(hour=24)", lambda: CronTrigger(hour=24, timezone=TZ))
    refused(
        "DateTrigger(run_date='2019-01-01 00:00:0x')",
        lambda: DateTrigger(run_date="2019-01-01 00:00:0x", timezone=TZ),
    )
    print("   (second = 07 from the notes is a SyntaxError in Python 3; second='07' works:")
    print(f"    {CronTrigger(second='07', timezone=TZ)})")
    print()

    live()


# Part 2: a real scheduler. Its clock is the wall clock, so times differ per run.

LIVE_SECONDS = 7.0
EVENT_NAMES = {
    EVENT_JOB_EXECUTED: "executed",
    EVENT_JOB_ERROR: "error",
    EVENT_JOB_MISSED: "missed",
}


def stamp(dt: datetime | None = None) -> str:
    """Local time with milliseconds, shaped like the log lines' timestamps."""
    dt = (dt or datetime.now().astimezone()).astimezone()
    if dt.date() != datetime.now().date():
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    return dt.strftime("%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def say(message: str) -> None:
    # flush: job threads and the main thread share stdout with the log handler
    print(f"{stamp()} {message}", flush=True)


def my_job(label: str = "my_job") -> None:
    say(f"  {label}: running")


_flaky_runs = itertools.count(1)


def flaky_job() -> None:
    """Fails on its first run only: the scheduler logs the error and carries on."""
    run = next(_flaky_runs)
    if run == 1:
        raise RuntimeError("first run fails on purpose")
    say(f"  flaky: run {run} fine")


class _SkipTentative(logging.Filter):
    """Drops the "Adding job tentatively" line that each add_job() before start()
    logs; start() logs an "Added job" line for each of them anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Adding job tentatively")


def configure_logging() -> None:
    # stdout, as print() uses, so that log lines and printouts stay in order
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s", datefmt="%H:%M:%S"
        )
    )
    handler.addFilter(_SkipTentative())
    logger = logging.getLogger("apscheduler")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # The executors log two INFO lines per run ("Running job", "executed
    # successfully"); the listener prints one instead. Their warnings (missed
    # runs) and errors (a job's traceback) still show.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


def labelled(job_id: str) -> dict[str, Any]:
    """add_job() keywords that make a job recognizable in logs and printouts."""
    return {"args": [job_id], "id": job_id, "name": job_id}


def attempt(scheduler: BlockingScheduler, code: str, add: Callable[[], object]) -> None:
    """Run a refused add_job() and show that nothing was stored."""
    print(f"   {code}", flush=True)
    before = len(scheduler.get_jobs())
    try:
        add()
    except Exception as exc:  # any error is worth showing here
        outcome = f"{type(exc).__name__}: {exc}"
    else:
        outcome = "accepted (!)"
    after = len(scheduler.get_jobs())
    print(f"      -> {outcome}")
    print(f"         get_jobs(): {before} jobs before, {after} after")


def live() -> None:
    # main() has just printed a blank line
    print(f"Live: a BlockingScheduler running the examples for about {LIVE_SECONDS:.0f} seconds")
    print("(log lines: time, logger, level, message; 'event' lines come from a listener)")
    print()
    configure_logging()
    scheduler = BlockingScheduler()  # the notes' default: local time zone, memory store

    def on_job_event(event: JobExecutionEvent) -> None:
        # called in the executor's thread, after the run (or the decision to skip it)
        detail = f" ({type(event.exception).__name__})" if event.exception else ""
        say(
            f"event {EVENT_NAMES[event.code]}: {event.job_id}, "
            f"scheduled for {stamp(event.scheduled_run_time)}{detail}"
        )

    def on_started(event: SchedulerEvent) -> None:
        # start() stores the pending jobs, then emits this before running any of them
        say("event started; print_jobs():")
        scheduler.print_jobs()
        cron = scheduler.get_job("cron_8_12")
        assert cron is not None
        say(f"cron_8_12 next runs at {cron.next_run_time} (not during this demo)")
        ended = scheduler.get_job("ended")
        if ended is None:
            say("ended: dropped when stored")
        else:
            say(f"ended: next_run_time={ended.next_run_time}: stored as paused, never runs")

    scheduler.add_listener(on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.add_listener(on_started, EVENT_SCHEDULER_STARTED)

    # 1. run date in the past: due at once, later than misfire_grace_time (1 s) -> missed
    scheduler.add_job(my_job, "date", run_date="2019-01-01 00:00:00", **labelled("past_date"))
    # 2. once, one second from now
    in_1s = datetime.now().astimezone() + timedelta(seconds=1)
    scheduler.add_job(my_job, "date", run_date=in_1s, **labelled("in_1s"))
    # 3. every 2 seconds, the first run one interval after the job is added
    scheduler.add_job(my_job, "interval", seconds=2, **labelled("every_2s"))
    # 4. at each wall-clock second divisible by 3
    scheduler.add_job(my_job, "cron", second="*/3", **labelled("cron_every_3s"))
    # 5. every day at 08:30 and 12:30
    scheduler.add_job(my_job, "cron", hour="8, 12", minute="30", **labelled("cron_8_12"))
    # 6. end_date already past: the trigger has no fire time left
    scheduler.add_job(
        my_job,
        "cron",
        day_of_week="mon-fri",
        hour=5,
        minute=30,
        end_date="2014-05-30",
        **labelled("ended"),
    )
    # a job that raises once, to show the scheduler keeps going
    scheduler.add_job(flaky_job, "interval", seconds=2.5, id="flaky", name="flaky")

    print("Mistakes are refused by add_job() and nothing is stored")
    print("(before start(), get_jobs() lists the jobs waiting for it):")
    # 7. my_job() runs right here (its output shows) and passes its result, None
    attempt(
        scheduler,
        "add_job(my_job(), 'cron', month='6-8,11-12', day='3rd fri', hour='0-3')",
        lambda: scheduler.add_job(my_job(), "cron", month="6-8,11-12", day="3rd fri", hour="0-3"),
    )
    # 8. a malformed cron field
    attempt(
        scheduler,
        "add_job(my_job, 'cron', second='07x')",
        lambda: scheduler.add_job(my_job, "cron", second="07x"),
    )
    print()

    def stop() -> None:
        say(
            f"{LIVE_SECONDS:.0f} s are up; jobs left: "
            + ", ".join(job.id for job in scheduler.get_jobs())
        )
        # wait=False: return at once instead of waiting for runs in progress
        scheduler.shutdown(wait=False)

    timer = threading.Timer(LIVE_SECONDS, stop)
    timer.start()
    began = monotonic()
    try:
        scheduler.start()  # blocks until stop() shuts the scheduler down
    finally:
        timer.cancel()  # only matters if start() failed: nothing left to stop
    timer.join()
    say(f"start() returned after {monotonic() - began:.1f} s")


if __name__ == "__main__":
    main()
