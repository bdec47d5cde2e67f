"""The opt-in ``serializer="json"`` of the persistent stores: what it stores,
what it refuses, and that a row in the database can neither make it unpickle
anything nor call a callable outside ``allowed_callables``."""

from __future__ import annotations

import json
import logging
import math
import pickle
import sys
import uuid
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import stores
from apscheduler_rs.job import Job
from apscheduler_rs.jobstores._json_format import JsonSerializer
from apscheduler_rs.schedulers.background import BackgroundScheduler
from apscheduler_rs.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler_rs.triggers.combining import AndTrigger, OrTrigger
from apscheduler_rs.triggers.cron import CronTrigger
from apscheduler_rs.triggers.date import DateTrigger
from apscheduler_rs.triggers.interval import IntervalTrigger

from .conftest import Backend
from .test_stores import BASE, ids, make_job

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
JSON = {"serializer": "json", "allowed_callables": ["stores:*"]}
PROBES = [BASE + timedelta(days=d, hours=h) for d in (0, 3, 45, 400) for h in (0, 13)]


class Evil:
    """Unpickling this calls stores.touch: what a forged pickle row would do."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (stores.touch, ("pwned",))


class NamelessZone(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=1)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "X"


class MyTrigger(IntervalTrigger):
    """A user-defined trigger: not something the json format describes."""


@pytest.fixture
def scheduler() -> BackgroundScheduler:
    return BackgroundScheduler(timezone=UTC)


@pytest.fixture
def json_store(sqlite_backend: Backend, scheduler: Any) -> Any:
    store = sqlite_backend.store(**JSON)
    store.start(scheduler, "default")
    return store


TRIGGERS = {
    "date": DateTrigger(datetime(2026, 7, 1, 12, 30, 0, 250, tzinfo=BERLIN)),
    "date-offset": DateTrigger(datetime(2026, 7, 1, 12, 30, tzinfo=timezone(timedelta(hours=-3)))),
    "interval": IntervalTrigger(
        weeks=1,
        days=2,
        seconds=3.5,
        start_date=datetime(2026, 3, 1, tzinfo=BERLIN),
        end_date=datetime(2027, 3, 1, tzinfo=BERLIN),
        timezone=BERLIN,
        jitter=2.5,
    ),
    "cron": CronTrigger(
        year="2026-2030",
        month="jan-mar,oct",
        day="last",
        week="*/2",
        day_of_week="mon-fri",
        hour="8-10,17",
        minute="*/15",
        second=30,
        start_date=datetime(2026, 1, 1, tzinfo=UTC),
        end_date=datetime(2029, 1, 1, tzinfo=UTC),
        timezone="America/New_York",
        jitter=10,
    ),
    "cron-positions": CronTrigger(day="2nd fri,last sun", hour=6, timezone=UTC),
    "cron-fixed-offset": CronTrigger(hour=6, timezone=timezone(timedelta(hours=5, minutes=30))),
    "calendarinterval": CalendarIntervalTrigger(
        years=1,
        months=2,
        weeks=1,
        days=3,
        hour=4,
        minute=5,
        second=6,
        start_date=date(2026, 2, 28),
        end_date=date(2030, 1, 1),
        timezone="Europe/Helsinki",
    ),
    "combined": OrTrigger(
        [
            CronTrigger(hour=5, timezone=UTC),
            AndTrigger(
                [
                    CronTrigger(day_of_week="sat", timezone=UTC),
                    CronTrigger(hour="*/6", timezone=UTC),
                ],
                jitter=3,
            ),
            IntervalTrigger(hours=7, start_date=BASE, timezone=UTC),
        ]
    ),
}


@pytest.mark.parametrize("name", list(TRIGGERS))
def test_builtin_triggers_round_trip(json_store: Any, scheduler: Any, name: str) -> None:
    trigger = TRIGGERS[name]
    next_run_time = datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    json_store.add_job(make_job(scheduler, name, next_run_time, trigger=trigger))
    loaded = json_store.lookup_job(name)
    assert type(loaded.trigger) is type(trigger)
    assert repr(loaded.trigger) == repr(trigger)
    if "jitter" not in repr(trigger) and name != "combined":
        assert [loaded.trigger.get_next_fire_time(None, p) for p in PROBES] == [
            trigger.get_next_fire_time(None, p) for p in PROBES
        ]
    if name != "combined":  # combining triggers have no __eq__ for their triggers
        assert loaded.trigger.__getstate__() == trigger.__getstate__()
    assert loaded.next_run_time == next_run_time
    assert loaded.next_run_time.tzinfo == ZoneInfo("Asia/Kolkata")


def test_rows_are_plain_json(json_store: Any, scheduler: Any, sqlite_backend: Backend) -> None:
    job = make_job(
        scheduler,
        "a",
        datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN),
        args=("x", 1, [True, None]),
        kwargs={"k": {"n": 2.5}},
    )
    json_store.add_job(job)
    job = make_job(scheduler, "paused", None, trigger=TRIGGERS["date-offset"])
    json_store.add_job(job)
    rows = sqlite_backend.raw_rows()
    document = json.loads(rows["a"][1])
    assert document == {
        "version": 1,
        "id": "a",
        "func": "stores:record",
        "trigger": {
            "type": "interval",
            "timezone": "UTC",
            "start_date": "2026-03-29T00:30:00.123456+00:00",
            "end_date": None,
            "interval": [0, 300, 0],
            "jitter": None,
        },
        "executor": "default",
        "args": ["x", 1, [True, None]],
        "kwargs": {"k": {"n": 2.5}},
        "name": "record",
        "misfire_grace_time": 30,
        "coalesce": False,
        "max_instances": 2,
        "next_run_time": "2026-03-29T03:00:00+02:00[Europe/Berlin]",
    }
    paused = json.loads(rows["paused"][1])
    assert paused["next_run_time"] is None
    assert paused["trigger"] == {"type": "date", "run_date": "2026-07-01T12:30:00-03:00"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"func": json.dumps}, r"its callable 'json:dumps' is not in allowed_callables"),
        ({"args": ((1, 2),)}, r"its args \(\[\(1, 2\)\]\) are not plain JSON values"),
        ({"args": (datetime(2026, 1, 1),)}, "its args .* are not plain JSON values"),
        ({"args": ({1, 2},)}, "its args .* are not plain JSON values"),
        ({"args": (math.nan,)}, "its args .* are not plain JSON values"),
        ({"args": (Evil(),)}, "its args .* are not plain JSON values"),
        ({"kwargs": {"k": {1: "int key"}}}, "its kwargs .* are not plain JSON values"),
        ({"trigger": MyTrigger(hours=1)}, "stores only the built-in triggers, not MyTrigger"),
        (
            {"next_run_time": datetime(2026, 1, 1, tzinfo=NamelessZone())},
            "the time zone .* has no name to store in JSON",
        ),
    ],
)
def test_refused_at_add_and_nothing_stored(
    json_store: Any, scheduler: Any, sqlite_backend: Backend, change: dict[str, Any], message: str
) -> None:
    options: dict[str, Any] = {"func": stores.record, "args": ("x",), "trigger": None, **change}
    next_run_time = options.pop("next_run_time", BASE)
    job = make_job(scheduler, "refused", next_run_time, **options)
    with pytest.raises(
        ValueError, match=r"Job \(refused\) cannot be stored with the json " + ".*" + message
    ):
        json_store.add_job(job)
    assert sqlite_backend.raw_rows() == {}


def test_a_pickle_row_is_never_unpickled(backend: Backend, scheduler: Any, caplog: Any) -> None:
    store = backend.store(**JSON)
    store.start(scheduler, "default")
    store.add_job(make_job(scheduler, "good", BASE))
    for job_id, timestamp in [("evil-due", BASE.timestamp()), ("evil-paused", None)]:
        backend.put_raw(job_id, timestamp, pickle.dumps(Evil()))

    caplog.set_level(logging.ERROR, logger="apscheduler.jobstores.default")
    stores.reset()
    assert ids(store.get_due_jobs(BASE)) == ["good"]
    with pytest.raises(ValueError, match="never unpickles"):
        store.lookup_job("evil-paused")
    assert ids(store.get_all_jobs()) == ["good"]
    assert stores.runs() == []  # Evil's __reduce__ target never ran
    assert set(backend.raw_rows()) == {"good"}
    assert [record.getMessage() for record in caplog.records] == [
        'Unable to restore job "evil-due" -- removing it',
        'Unable to restore job "evil-paused" -- removing it',
    ]


def test_the_same_pickle_row_runs_code_in_a_pickle_store(
    sqlite_backend: Backend, scheduler: Any
) -> None:
    """The control for the test above: the forged row is a working exploit."""
    store = sqlite_backend.store()
    store.start(scheduler, "default")
    sqlite_backend.put_raw("evil", BASE.timestamp(), pickle.dumps(Evil()))
    stores.reset()
    store.get_due_jobs(BASE)  # fails to make a job of it, after running it
    assert [run[0] for run in stores.runs()] == ["touched:pwned"]


def write_module(directory: Path, source: str, monkeypatch: Any) -> str:
    name = f"apsrs_canary_{uuid.uuid4().hex[:12]}"
    (directory / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(directory))
    return name


def forged(func: str, job_id: str = "forged") -> bytes:
    document = json.loads(JsonSerializer(["stores:record"]).dumps(make_job(None, job_id, BASE)))
    document["func"] = func
    return json.dumps(document).encode()


def test_forged_rows_reach_only_allowed_callables(
    sqlite_backend: Backend, scheduler: Any, tmp_path: Path, monkeypatch: Any, caplog: Any
) -> None:
    canary = write_module(
        tmp_path, "import stores\nstores.touch('imported')\n\ndef f(*a):\n    pass\n", monkeypatch
    )
    reexporter = write_module(
        tmp_path, "from stores import touch\n\ndef own(*a):\n    pass\n", monkeypatch
    )
    store = sqlite_backend.store(
        serializer="json", allowed_callables=[stores.record, f"{reexporter}:*"]
    )
    store.start(scheduler, "default")
    store.add_job(make_job(scheduler, "good", BASE))
    forgeries = {
        "os": "os:system",
        "exec": "builtins:exec",
        "other-function": "stores:touch",  # same module, but only stores:record is allowed
        "dunder": "stores:record.__globals__",
        "import": f"{canary}:f",
        "reexport": f"{reexporter}:touch",  # allowed module, but defined elsewhere
    }
    for job_id, func in forgeries.items():
        sqlite_backend.put_raw(job_id, BASE.timestamp(), forged(func, job_id))
    sqlite_backend.put_raw("own", BASE.timestamp(), forged(f"{reexporter}:own", "own"))

    caplog.set_level(logging.ERROR, logger="apscheduler.jobstores.default")
    stores.reset()
    assert sorted(ids(store.get_due_jobs(BASE))) == ["good", "own"]
    assert canary not in sys.modules  # refused before importing anything
    assert stores.runs() == []
    assert len(caplog.records) == len(forgeries)
    assert set(sqlite_backend.raw_rows()) == {"good", "own"}


def test_allowed_callables_forms() -> None:
    serializer = JsonSerializer([stores.record, "stores:noop", "json:*"])
    assert serializer.policy.exact == {"stores:record", "stores:noop"}
    assert serializer.policy.modules == {"json"}
    assert serializer.policy.resolve("json:dumps") is json.dumps
    assert JsonSerializer("stores:*").policy.modules == {"stores"}  # one entry given bare
    for bad in ["os", "os:__import__", "not a module:x", "stores:a..b", ":x"]:
        with pytest.raises(ValueError, match="allowed_callables entries|plain module:name"):
            JsonSerializer([bad])
    with pytest.raises(ValueError, match="needs allowed_callables"):
        JsonSerializer()


def test_lambdas_are_refused_with_apschedulers_message(json_store: Any, scheduler: Any) -> None:
    def local() -> None:
        pass

    job = make_job(scheduler, "local", BASE, func=local, args=())
    with pytest.raises(ValueError, match="This Job cannot be serialized since the reference"):
        json_store.add_job(job)


def test_json_rows_migrate_both_ways(sqlite_backend: Backend, scheduler: Any) -> None:
    # A pickle store reads json rows (it trusts its database anyway) ...
    json_store = sqlite_backend.store(**JSON)
    json_store.start(scheduler, "default")
    json_store.add_job(make_job(scheduler, "from-json", BASE, trigger=TRIGGERS["cron"]))
    pickle_store = sqlite_backend.store()
    pickle_store.start(scheduler, "default")
    assert ids(pickle_store.get_all_jobs()) == ["from-json"]

    # ... and rewriting every job through a json store converts a pickle table.
    pickle_store.add_job(make_job(scheduler, "from-pickle", BASE + timedelta(hours=1)))
    for job in pickle_store.get_all_jobs():
        json_store.update_job(job)
    rows = sqlite_backend.raw_rows()
    assert all(state.startswith(b"{") for _, state in rows.values())
    assert ids(json_store.get_all_jobs()) == ["from-json", "from-pickle"]


def test_apscheduler_drops_json_rows(sqlite_backend: Backend, scheduler: Any, caplog: Any) -> None:
    """The documented trade-off: APScheduler 3 cannot read the json format."""
    from apscheduler.schedulers.background import BackgroundScheduler as RefScheduler

    json_store = sqlite_backend.store(**JSON)
    json_store.start(scheduler, "default")
    json_store.add_job(make_job(scheduler, "a", BASE))
    reference = sqlite_backend.reference_store()
    reference.start(RefScheduler(timezone=UTC), "default")
    assert reference.get_all_jobs() == []
    assert sqlite_backend.raw_rows() == {}


def test_json_jobs_keep_their_options(json_store: Any) -> None:
    scheduler = BackgroundScheduler(timezone=UTC, jobstores={"default": json_store})
    scheduler.start(paused=True)
    try:
        job = scheduler.add_job(
            stores.record,
            "cron",
            hour=3,
            args=["a"],
            id="options",
            name="named",
            executor="other",
            misfire_grace_time=None,
            coalesce=False,
            max_instances=4,
        )
        loaded = scheduler.get_job("options")
        assert isinstance(job, Job)
        assert (loaded.name, loaded.executor, loaded.misfire_grace_time) == (
            "named",
            "other",
            None,
        )
        assert (loaded.coalesce, loaded.max_instances) == (False, 4)
        assert loaded.next_run_time == job.next_run_time
    finally:
        scheduler.shutdown()
