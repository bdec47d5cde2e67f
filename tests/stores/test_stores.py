"""The BaseJobStore contract on every persistent store and backend (SQLite,
PostgreSQL, MariaDB, Redis, MongoDB), with both serializers, plus the same
random operations run on APScheduler 3.11.3's store of the same kind."""

from __future__ import annotations

import inspect
import logging
import pickle
import random
import threading
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import stores
from apscheduler_rs.job import Job
from apscheduler_rs.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler_rs.schedulers.background import BackgroundScheduler
from apscheduler_rs.triggers.cron import CronTrigger
from apscheduler_rs.triggers.date import DateTrigger
from apscheduler_rs.triggers.interval import IntervalTrigger

from .conftest import Backend

UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
BASE = datetime(2026, 3, 29, 0, 30, 0, 123456, tzinfo=UTC)
JSON_OPTIONS = {"serializer": "json", "allowed_callables": ["stores:*"]}


@pytest.fixture(params=["pickle", "json"])
def serializer(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def scheduler() -> BackgroundScheduler:
    # Never started: the stores only need it as the owner of restored jobs.
    return BackgroundScheduler(timezone=UTC)


def store_options(serializer: str) -> dict[str, Any]:
    return JSON_OPTIONS if serializer == "json" else {}


@pytest.fixture
def store(backend: Backend, serializer: str, scheduler: BackgroundScheduler) -> Any:
    store = backend.store(**store_options(serializer))
    store.start(scheduler, "default")
    return store


def make_job(
    scheduler: Any,
    job_id: str,
    next_run_time: datetime | None,
    *,
    func: Any = stores.record,
    trigger: Any = None,
    args: Any = ("x",),
    kwargs: dict[str, Any] | None = None,
) -> Job:
    return Job(
        scheduler,
        id=job_id,
        func=func,
        trigger=trigger or IntervalTrigger(minutes=5, start_date=BASE, timezone=UTC),
        executor="default",
        args=args,
        kwargs=kwargs or {},
        name=None,
        misfire_grace_time=30,
        coalesce=False,
        max_instances=2,
        next_run_time=next_run_time,
    )


def ids(jobs: list[Job]) -> list[str]:
    return [job.id for job in jobs]


def job_view(job: Job) -> dict[str, Any]:
    """A job's attributes, comparable across stores and libraries."""
    return {
        "id": job.id,
        "name": job.name,
        "func_ref": job.func_ref,
        "args": job.args,
        "kwargs": job.kwargs,
        "trigger": repr(job.trigger),
        "executor": job.executor,
        "misfire_grace_time": job.misfire_grace_time,
        "coalesce": job.coalesce,
        "max_instances": job.max_instances,
        "next_run_time": job.next_run_time,
    }


# --------------------------------------------------------------------------- contract


def test_add_and_lookup_round_trip(store: Any, scheduler: Any) -> None:
    trigger = CronTrigger(day_of_week="mon-fri", hour="8-10", minute="*/15", timezone=BERLIN)
    next_run_time = datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN)
    job = make_job(
        scheduler,
        "cron-job",
        next_run_time,
        trigger=trigger,
        args=("a", 1, [2.5, None]),
        kwargs={"flag": True, "nested": {"k": "ü"}},
    )
    store.add_job(job)

    loaded = store.lookup_job("cron-job")
    assert job_view(loaded) == job_view(job)
    assert loaded.func is stores.record
    assert loaded.trigger.__getstate__() == trigger.__getstate__()
    assert loaded.next_run_time.tzinfo == BERLIN  # the zone, not just the instant
    assert loaded._scheduler is scheduler
    assert loaded._jobstore_alias == "default"
    assert store.lookup_job("no-such-job") is None


def test_add_conflicting_id_changes_nothing(store: Any, scheduler: Any, backend: Backend) -> None:
    store.add_job(make_job(scheduler, "a", BASE))
    before = backend.raw_rows()
    with pytest.raises(ConflictingIdError) as info:
        store.add_job(make_job(scheduler, "a", BASE + timedelta(hours=1), args=("other",)))
    assert str(info.value) == "'Job identifier (a) conflicts with an existing job'"
    assert backend.raw_rows() == before


def test_update_job(store: Any, scheduler: Any) -> None:
    job = make_job(scheduler, "a", BASE)
    store.add_job(job)
    job._modify(next_run_time=BASE + timedelta(hours=2), args=("changed",))
    store.update_job(job)
    loaded = store.lookup_job("a")
    assert loaded.args == ("changed",)
    assert loaded.next_run_time == BASE + timedelta(hours=2)
    assert store.get_due_jobs(BASE + timedelta(hours=1)) == []

    # pausing takes it out of the due lookups, resuming puts it back
    job._modify(next_run_time=None)
    store.update_job(job)
    assert store.get_next_run_time() is None
    assert store.get_due_jobs(BASE + timedelta(days=1)) == []
    job._modify(next_run_time=BASE)
    store.update_job(job)
    assert ids(store.get_due_jobs(BASE)) == ["a"]

    with pytest.raises(JobLookupError) as info:
        store.update_job(make_job(scheduler, "missing", BASE))
    assert str(info.value) == "'No job by the id of missing was found'"
    assert store.lookup_job("missing") is None


def test_remove_job_and_remove_all(store: Any, scheduler: Any, backend: Backend) -> None:
    for index, job_id in enumerate(["a", "b", "c"]):
        store.add_job(make_job(scheduler, job_id, BASE + timedelta(seconds=index)))
    store.remove_job("b")
    assert ids(store.get_all_jobs()) == ["a", "c"]
    with pytest.raises(JobLookupError) as info:
        store.remove_job("b")
    assert str(info.value) == "'No job by the id of b was found'"

    store.remove_all_jobs()
    assert store.get_all_jobs() == []
    assert store.get_next_run_time() is None
    assert backend.raw_rows() == {}
    store.remove_all_jobs()  # on an empty store too


def test_due_jobs_order_and_boundaries(store: Any, scheduler: Any) -> None:
    second = timedelta(seconds=1)
    for job_id, next_run_time in [
        ("late", BASE + 3 * second),
        ("tie-b", BASE + second),
        ("first", BASE),
        ("tie-a", BASE + second),
        ("just-after", BASE + second + timedelta(microseconds=1)),
        ("paused", None),
    ]:
        store.add_job(make_job(scheduler, job_id, next_run_time))

    assert store.get_due_jobs(BASE - second) == []
    # run times equal to now are due; one microsecond later is not
    assert ids(store.get_due_jobs(BASE + second)) == ["first", "tie-a", "tie-b"]
    # aware "now" in any zone means the same instant
    now = (BASE + 3 * second).astimezone(BERLIN)
    assert ids(store.get_due_jobs(now)) == ["first", "tie-a", "tie-b", "just-after", "late"]
    assert all(job._jobstore_alias == "default" for job in store.get_due_jobs(now))


def test_next_run_time(store: Any, scheduler: Any) -> None:
    assert store.get_next_run_time() is None
    store.add_job(make_job(scheduler, "paused", None))
    assert store.get_next_run_time() is None
    store.add_job(make_job(scheduler, "later", BASE + timedelta(days=1)))
    store.add_job(make_job(scheduler, "sooner", BASE.astimezone(BERLIN)))
    next_run_time = store.get_next_run_time()
    assert next_run_time == BASE  # to the microsecond, through the float timestamp
    assert next_run_time.utcoffset() == timedelta(0)


def test_get_all_jobs_paused_last(store: Any, scheduler: Any) -> None:
    for job_id, next_run_time in [
        ("p2", None),
        ("b", BASE + timedelta(minutes=2)),
        ("p1", None),
        ("a", BASE + timedelta(minutes=1)),
    ]:
        store.add_job(make_job(scheduler, job_id, next_run_time))
    jobs = store.get_all_jobs()
    assert ids(jobs[:2]) == ["a", "b"]
    assert sorted(ids(jobs[2:])) == ["p1", "p2"]


def test_a_fresh_store_instance_finds_the_jobs(
    backend: Backend, serializer: str, scheduler: Any
) -> None:
    first = backend.store(**store_options(serializer))
    first.start(scheduler, "default")
    jobs = [
        make_job(scheduler, "interval", BASE),
        make_job(
            scheduler,
            "date",
            BASE + timedelta(hours=1),
            trigger=DateTrigger(BASE + timedelta(hours=1)),
            kwargs={"k": 1},
        ),
        make_job(scheduler, "paused", None, func=stores.noop),
    ]
    for job in jobs:
        first.add_job(job)
    first.shutdown()

    second = backend.store(**store_options(serializer))
    second.start(scheduler, "other")
    assert [job_view(job) for job in second.get_all_jobs()] == [job_view(job) for job in jobs]
    assert {job._jobstore_alias for job in second.get_all_jobs()} == {"other"}


def test_unrestorable_rows_are_logged_and_removed(
    store: Any, scheduler: Any, backend: Backend, serializer: str, caplog: Any
) -> None:
    store.add_job(make_job(scheduler, "good", BASE))
    store.add_job(make_job(scheduler, "good-paused", None))
    # a state naming a function that no longer exists, in the store's format
    missing = make_job(scheduler, "missing-func", BASE)
    missing.func_ref = "stores:no_such_function"
    backend.put_raw("missing-func", BASE.timestamp(), store.serializer.dumps(missing))
    backend.put_raw("garbage", BASE.timestamp(), b"\x80\x05not a pickle")
    backend.put_raw("garbage-paused", None, b"{not json")

    caplog.set_level(logging.ERROR, logger="apscheduler.jobstores.default")
    assert ids(store.get_due_jobs(BASE)) == ["good"]
    messages = {record.getMessage() for record in caplog.records}
    assert 'Unable to restore job "garbage" -- removing it' in messages
    assert 'Unable to restore job "missing-func" -- removing it' in messages
    assert all(record.exc_info for record in caplog.records)
    assert set(backend.raw_rows()) == {"good", "good-paused", "garbage-paused"}

    caplog.clear()
    assert ids(store.get_all_jobs()) == ["good", "good-paused"]
    assert [r.getMessage() for r in caplog.records] == [
        'Unable to restore job "garbage-paused" -- removing it'
    ]
    assert set(backend.raw_rows()) == {"good", "good-paused"}


def test_job_without_reference_is_refused_and_nothing_stored(
    store: Any, scheduler: Any, backend: Backend
) -> None:
    def local_function() -> None:
        pass

    for func in (lambda: None, local_function):
        job = make_job(scheduler, "transient", BASE, func=func, args=())
        with pytest.raises(ValueError) as info:
            store.add_job(job)
        # APScheduler 3.11.3's words (test_compat_data compares them with it)
        assert str(info.value) == (
            f"This Job cannot be serialized since the reference to its callable ({func!r}) "
            "could not be determined. Consider giving a textual reference (module:function "
            "name) instead."
        )
    assert backend.raw_rows() == {}


def test_unserializable_args_are_refused_and_nothing_stored(
    store: Any, scheduler: Any, backend: Backend, serializer: str
) -> None:
    store.add_job(make_job(scheduler, "a", BASE))
    before = backend.raw_rows()
    job = make_job(scheduler, "lock", BASE, args=(threading.Lock(),))
    if serializer == "pickle":
        with pytest.raises(TypeError, match="cannot pickle '_thread.lock' object"):
            store.add_job(job)
    else:
        with pytest.raises(ValueError, match=r"Job \(lock\) cannot be stored with the json"):
            store.add_job(job)
    # an update with such arguments fails the same way and keeps the old state
    job = make_job(scheduler, "a", BASE, args=(threading.Lock(),))
    with pytest.raises((TypeError, ValueError)):
        store.update_job(job)
    assert backend.raw_rows() == before


def test_stored_layout_is_apscheduler_3s(store: Any, scheduler: Any, backend: Backend) -> None:
    store.add_job(make_job(scheduler, "a", BASE))
    store.add_job(make_job(scheduler, "paused", None))
    rows = backend.raw_rows()
    assert rows["a"][0] == pytest.approx(BASE.timestamp(), abs=1e-6)
    assert rows["paused"][0] is None
    if backend.kind == "sqlalchemy":
        import sqlalchemy as sa

        inspector = sa.inspect(store.engine)
        table = backend.options["tablename"]
        columns = {column["name"]: column for column in inspector.get_columns(table)}
        assert list(columns) == ["id", "next_run_time", "job_state"]
        assert not columns["job_state"]["nullable"]
        assert inspector.get_pk_constraint(table)["constrained_columns"] == ["id"]
        indexes = inspector.get_indexes(table)
        assert [index["column_names"] for index in indexes] == [["next_run_time"]]
    elif backend.kind == "redis":
        client = store.redis
        assert client.type(backend.options["jobs_key"]) == b"hash"
        assert client.type(backend.options["run_times_key"]) == b"zset"
        assert client.zrange(backend.options["run_times_key"], 0, -1) == [b"a"]
    else:
        index = store.collection.index_information()["next_run_time_1"]
        assert index["key"] == [("next_run_time", 1)] and index["sparse"]


def test_due_job_lookup_uses_the_index(store: Any, scheduler: Any, backend: Backend) -> None:
    for index in range(30):
        store.add_job(make_job(scheduler, f"j{index:02d}", BASE + timedelta(minutes=index)))
    now_ts = (BASE + timedelta(minutes=3)).timestamp()
    if backend.name == "sqlite":
        with store.engine.connect() as connection:
            compiled = store._select_due.compile(store.engine)
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", (now_ts,)).all()
        assert any("USING INDEX ix_" in str(row) for row in plan), plan
    elif backend.name == "postgresql":
        import sqlalchemy as sa

        with store.engine.connect() as connection:
            # a 30-row table fits in one page; forbid the sequential scan to see
            # whether the index can serve the query at all
            connection.execute(sa.text("SET enable_seqscan = off"))
            compiled = store._select_due.compile(store.engine)
            plan = connection.exec_driver_sql(f"EXPLAIN {compiled}", {"b_now": now_ts}).all()
        assert "Index" in str(plan), plan
    elif backend.name == "mariadb":
        with store.engine.connect() as connection:
            compiled = store._select_due.compile(store.engine)
            plan = (
                connection.exec_driver_sql(f"EXPLAIN {compiled}", {"b_now": now_ts})
                .mappings()
                .all()
            )
        assert plan[0]["key"] and "next_run_time" in plan[0]["key"], plan
    elif backend.name == "mongodb":
        explained = store.collection.find({"next_run_time": {"$lte": now_ts}}).explain()
        assert "IXSCAN" in str(explained["queryPlanner"]["winningPlan"])
    # (redis: the due lookup is a range query on the sorted set, its index)
    assert ids(store.get_due_jobs(BASE + timedelta(minutes=3))) == ["j00", "j01", "j02", "j03"]


def test_jobs_run_on_a_real_scheduler(backend: Backend, serializer: str) -> None:
    tag = f"run-{backend.name}-{serializer}"
    store = backend.store(**store_options(serializer))
    scheduler = BackgroundScheduler(timezone=UTC, jobstores={"default": store})
    scheduler.start()
    try:
        now = datetime.now(UTC)
        scheduler.add_job(
            stores.record, "date", run_date=now + timedelta(seconds=0.1), args=[f"{tag}-d"]
        )
        scheduler.add_job(
            "stores:record",
            "interval",
            seconds=30,
            start_date=now + timedelta(seconds=0.1),
            args=[f"{tag}-i"],
            id="interval",
        )
        assert stores.wait_for_tags({f"{tag}-d", f"{tag}-i"}) >= {f"{tag}-d", f"{tag}-i"}
    finally:
        scheduler.shutdown()
    # the date job is done and gone; the interval job waits for its next run
    rows = backend.raw_rows()
    assert list(rows) == ["interval"]
    expected = (now + timedelta(seconds=30.1)).timestamp()
    assert rows["interval"][0] == pytest.approx(expected, abs=1e-3)


def test_repr_matches_apscheduler(backend: Backend) -> None:
    assert repr(backend.store()) == repr(backend.reference_store())


def test_plugin_alias(backend: Backend) -> None:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_jobstore(backend.kind, "persistent", **backend.options)
    store = scheduler._jobstores["persistent"]
    assert type(store).__module__ == f"apscheduler_rs.jobstores.{backend.kind}"
    store.shutdown()


# --------------------------------------------------------------------------- against 3.11.3


@pytest.mark.parametrize("seed", [1])
def test_random_operations_match_apscheduler(
    backend: Backend, tmp_path: Any, request: pytest.FixtureRequest, seed: int
) -> None:
    """The same operations on our store and on 3.11.3's, each at its own location."""
    from .conftest import make_backend

    (tmp_path / "reference").mkdir()
    reference_backend = make_backend(request, backend.name, tmp_path / "reference")
    import apscheduler.job
    from apscheduler.schedulers.background import BackgroundScheduler as RefScheduler
    from apscheduler.triggers.interval import IntervalTrigger as RefInterval

    try:
        ours_scheduler = BackgroundScheduler(timezone=UTC)
        ref_scheduler = RefScheduler(timezone=UTC)
        ours = backend.store()
        ours.start(ours_scheduler, "default")
        ref = reference_backend.reference_store()
        ref.start(ref_scheduler, "default")
        rng = random.Random(seed)

        def outcome(call: Any, *args: Any) -> tuple[Any, ...]:
            try:
                call(*args)
                return ("ok",)
            except Exception as exc:  # noqa: BLE001 - the class is what we compare
                return (type(exc).__name__, str(exc))

        for step in range(40):
            index = rng.randrange(12)
            job_id = f"job-{index}"
            # distinct run times per id: 3.11.3 leaves the order of ties open
            next_run_time = (
                None if rng.random() < 0.15 else BASE + timedelta(minutes=index * 10 + step % 7)
            )
            op = rng.random()
            if op < 0.7:
                job = make_job(ours_scheduler, job_id, next_run_time, args=(step,))
                ref_job = apscheduler.job.Job(
                    ref_scheduler,
                    id=job_id,
                    func=stores.record,
                    trigger=RefInterval(minutes=5, start_date=BASE, timezone=UTC),
                    executor="default",
                    args=(step,),
                    kwargs={},
                    name=None,
                    misfire_grace_time=30,
                    coalesce=False,
                    max_instances=2,
                    next_run_time=next_run_time,
                )
                method = "add_job" if op < 0.45 else "update_job"
                results = (
                    outcome(getattr(ours, method), job),
                    outcome(getattr(ref, method), ref_job),
                )
            elif op < 0.95:
                results = outcome(ours.remove_job, job_id), outcome(ref.remove_job, job_id)
            else:
                results = outcome(ours.remove_all_jobs), outcome(ref.remove_all_jobs)
            assert results[0] == results[1], f"step {step}"

            now = BASE + timedelta(minutes=rng.randrange(-5, 130))
            assert ids(ours.get_due_jobs(now)) == ids(ref.get_due_jobs(now)), f"step {step}"
            assert ours.get_next_run_time() == ref.get_next_run_time(), f"step {step}"
            mine, theirs = ours.get_all_jobs(), ref.get_all_jobs()
            scheduled = sum(job.next_run_time is not None for job in theirs)
            assert ids(mine[:scheduled]) == ids(theirs[:scheduled]), f"step {step}"
            assert sorted(ids(mine[scheduled:])) == sorted(ids(theirs[scheduled:]))
            looked_up = ours.lookup_job(job_id), ref.lookup_job(job_id)
            assert (looked_up[0] and looked_up[0].args) == (looked_up[1] and looked_up[1].args)
    finally:
        reference_backend.close()


def _parameters(cls: type) -> list[tuple[str, Any, Any]]:
    return [
        (name, parameter.kind, parameter.default)
        for name, parameter in inspect.signature(cls).parameters.items()
    ]


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("sqlalchemy", "SQLAlchemyJobStore"),
        ("redis", "RedisJobStore"),
        ("mongodb", "MongoDBJobStore"),
    ],
)
def test_constructor_matches_apscheduler(module: str, name: str) -> None:
    ours = getattr(__import__(f"apscheduler_rs.jobstores.{module}", fromlist=["x"]), name)
    ref = getattr(__import__(f"apscheduler.jobstores.{module}", fromlist=["x"]), name)
    added = [
        ("serializer", inspect.Parameter.KEYWORD_ONLY, "pickle"),
        ("allowed_callables", inspect.Parameter.KEYWORD_ONLY, None),
    ]
    if name == "SQLAlchemyJobStore":
        added.append(("sqlite_wal", inspect.Parameter.KEYWORD_ONLY, True))
    expected = _parameters(ref)
    if expected[-1][1] is inspect.Parameter.VAR_KEYWORD:
        expected[-1:-1] = added
    else:
        expected += added
    assert _parameters(ours) == expected

    bad_arguments = {
        "SQLAlchemyJobStore": [{}],
        "RedisJobStore": [{"db": None}, {"jobs_key": ""}, {"run_times_key": ""}],
        "MongoDBJobStore": [{"database": ""}, {"collection": ""}],
    }[name]
    for arguments in bad_arguments:
        with pytest.raises(ValueError) as ref_info:
            ref(**arguments)
        with pytest.raises(ValueError) as our_info:
            ours(**arguments)
        assert str(our_info.value) == str(ref_info.value)


def test_sqlalchemy_engine_and_metadata_arguments(tmp_path: Any) -> None:
    import sqlalchemy as sa

    from apscheduler_rs.jobstores.sqlalchemy import SQLAlchemyJobStore

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    metadata = sa.MetaData()
    store = SQLAlchemyJobStore(engine=engine, metadata=metadata, tablename="my_jobs")
    assert store.engine is engine
    assert "my_jobs" in metadata.tables
    store.start(BackgroundScheduler(timezone=UTC), "default")
    store.add_job(make_job(None, "a", BASE))
    assert ids(store.get_all_jobs()) == ["a"]
    assert sa.inspect(engine).get_table_names() == ["my_jobs"]
    store.shutdown()


def test_serializer_argument_checks() -> None:
    from apscheduler_rs.jobstores.sqlalchemy import SQLAlchemyJobStore

    with pytest.raises(ValueError, match="needs allowed_callables"):
        SQLAlchemyJobStore(url="sqlite://", serializer="json")
    with pytest.raises(ValueError, match='only applies to serializer="json"'):
        SQLAlchemyJobStore(url="sqlite://", allowed_callables=["stores:*"])
    with pytest.raises(ValueError, match="serializer must be"):
        SQLAlchemyJobStore(url="sqlite://", serializer="yaml")
    store = SQLAlchemyJobStore(url="sqlite://", pickle_protocol=3)
    assert store.serializer.protocol == 3
    job = make_job(None, "a", BASE)
    assert store.serializer.dumps(job)[:2] == b"\x80\x03"
    assert pickle.loads(store.serializer.dumps(job))["id"] == "a"


def test_mongodb_connection_property_is_deprecated(
    request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    from .conftest import make_backend

    backend = make_backend(request, "mongodb", tmp_path)
    try:
        store = backend.store()
        with pytest.warns(DeprecationWarning, match='use "client" instead'):
            assert store.connection is store.client
    finally:
        backend.close()
