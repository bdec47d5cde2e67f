"""apscheduler-rs demo: the user's APScheduler examples, run on apscheduler_rs.

For each example the trigger is built as the notes build it, then printed (str and
repr) with its next fire times, counted from a fixed "now" so that the output is the
same on every run. Then a few mistakes from the notes are shown being refused.

Run:  .venv/bin/python examples/demo.py   (./scripts/demo.sh builds, installs, runs it)
"""

from __future__ import annotations

import importlib.util
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import apscheduler_rs
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

    have_scheduler = importlib.util.find_spec("apscheduler_rs.schedulers") is not None
    have_stores = importlib.util.find_spec("apscheduler_rs.jobstores") is not None
    if have_scheduler and have_stores:
        print("Schedulers and job stores are installed; see docs/ for running jobs.")
    else:
        print(
            "Running jobs (BlockingScheduler, add_job, a sqlite3-backed job store) is not\n"
            "built yet: the scheduler demo arrives with the scheduler issue. Triggers and\n"
            "apscheduler_rs.util are complete; see README.md and docs/."
        )


if __name__ == "__main__":
    main()
