"""A job store in a MongoDB collection, through pymongo, with APScheduler 3's
documents and index."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from apscheduler_rs.job import Job
from apscheduler_rs.jobstores._serialization import JobSerializer, create_serializer
from apscheduler_rs.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler_rs.util import datetime_to_utc_timestamp, maybe_ref, utc_timestamp_to_datetime

try:
    from bson.binary import Binary
    from pymongo import ASCENDING, DeleteOne, MongoClient, UpdateOne
    from pymongo.errors import DuplicateKeyError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("MongoDBJobStore requires PyMongo installed") from exc

__all__ = ("MongoDBJobStore",)

# Ties in run time come out by id, as in the other stores.
_BY_RUN_TIME = [("next_run_time", ASCENDING), ("_id", ASCENDING)]

# Jobs per bulk write of a sweep. MongoDB applies a bulk write document by
# document (no transaction) and completes a command whose client has died, so
# a scheduler killed mid-sweep leaves its last command being applied after it
# is gone; small commands keep that window as short as writing job by job does.
# (tests/faults/test_crash.py reads the collection right after a SIGKILL: on
# the SecantusDB test server, 20 jobs per command failed it about one run in
# seven, 10 and 5 never in 20 runs.) A fifth of the round trips of job by job.
_JOBS_PER_BULK_WRITE = 5


class MongoDBJobStore(BaseJobStore):
    """Keeps one document per job, as APScheduler 3 does: ``{"_id": job id,
    "next_run_time": UTC timestamp or null, "job_state": binary}``, with a
    sparse index on ``next_run_time``. Leftover keyword arguments go to
    :class:`pymongo.mongo_client.MongoClient`.

    Plugin alias: ``mongodb``

    :param database: the database
    :param collection: the collection
    :param client: a :class:`~pymongo.mongo_client.MongoClient` (or a textual
        reference to one) to use instead of connection arguments
    :param pickle_protocol: pickle protocol of the stored jobs
    :param serializer: ``"pickle"`` (APScheduler 3's format), ``"json"`` (no
        pickles; see ``docs/jobstores.md``) or a serializer object
    :param allowed_callables: with ``serializer="json"``: the callables jobs may
        run (``"module:name"``, ``"module:*"`` or the callables themselves)
    """

    def __init__(
        self,
        database: str = "apscheduler",
        collection: str = "jobs",
        client: Any = None,
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        *,
        serializer: str | JobSerializer = "pickle",
        allowed_callables: Iterable[str | Callable[..., Any]] | None = None,
        **connect_args: Any,
    ) -> None:
        super().__init__()
        self.pickle_protocol = pickle_protocol
        self.serializer = create_serializer(serializer, pickle_protocol, allowed_callables)

        if not database:
            raise ValueError('The "database" parameter must not be empty')
        if not collection:
            raise ValueError('The "collection" parameter must not be empty')

        if client:
            self.client = maybe_ref(client)
        else:
            connect_args.setdefault("w", 1)
            self.client = MongoClient(**connect_args)

        self.collection = self.client[database][collection]

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self.collection.create_index("next_run_time", sparse=True)

    @property
    def connection(self) -> Any:
        warnings.warn(
            'The "connection" member is deprecated -- use "client" instead',
            DeprecationWarning,
            stacklevel=2,
        )
        return self.client

    def lookup_job(self, job_id: str) -> Job | None:
        document = self.collection.find_one(job_id, ["job_state"])
        return self._reconstitute_job(document["job_state"]) if document else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        # A range on the indexed next_run_time: an index scan, nulls excluded.
        timestamp = datetime_to_utc_timestamp(now)
        return self._get_jobs({"next_run_time": {"$lte": timestamp}})

    def get_next_run_time(self) -> datetime | None:
        document = self.collection.find_one(
            {"next_run_time": {"$ne": None}},
            projection=["next_run_time"],
            sort=[("next_run_time", ASCENDING)],
        )
        return utc_timestamp_to_datetime(document["next_run_time"]) if document else None

    def get_all_jobs(self) -> list[Job]:
        jobs = self._get_jobs({})
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job: Job) -> None:
        document = {
            "_id": job.id,
            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
            "job_state": Binary(self.serializer.dumps(job)),
        }
        try:
            self.collection.insert_one(document)
        except DuplicateKeyError:
            raise ConflictingIdError(job.id) from None

    def update_job(self, job: Job) -> None:
        changes = {
            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
            "job_state": Binary(self.serializer.dumps(job)),
        }
        result = self.collection.update_one({"_id": job.id}, {"$set": changes})
        if result and result.matched_count == 0:
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        result = self.collection.delete_one({"_id": job_id})
        if result and result.deleted_count == 0:
            raise JobLookupError(job_id)

    def update_and_remove_jobs(self, jobs: list[Job], job_ids: list[str]) -> list[str]:
        """The scheduler's batch hook (see :class:`BaseJobStore`): unordered
        ``bulk_write`` calls of up to ``_JOBS_PER_BULK_WRITE`` jobs; the ids not found."""
        requests: list[tuple[str, Any]] = [
            (
                job.id,
                UpdateOne(
                    {"_id": job.id},
                    {
                        "$set": {
                            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
                            "job_state": Binary(self.serializer.dumps(job)),
                        }
                    },
                ),
            )
            for job in jobs
        ]
        requests += [(job_id, DeleteOne({"_id": job_id})) for job_id in job_ids]

        missing: list[str] = []
        unmatched: list[str] = []  # ids of updates in bulks that matched too few
        gone = asked = 0  # deletes that found nothing, in bulks that cannot say which
        for start in range(0, len(requests), _JOBS_PER_BULK_WRITE):
            bulk = requests[start : start + _JOBS_PER_BULK_WRITE]
            # Unordered: a missing job does not hold up the writes of the others.
            result = self.collection.bulk_write([request for _, request in bulk], ordered=False)
            if not result.acknowledged:  # w=0: nothing to check, as in update_job
                continue
            # A bulk write reports counts, not which requests matched.
            updated = [job_id for job_id, request in bulk if isinstance(request, UpdateOne)]
            removed = [job_id for job_id, request in bulk if isinstance(request, DeleteOne)]
            if result.matched_count < len(updated):
                unmatched += updated
            if result.deleted_count == 0:
                missing += removed
            elif result.deleted_count < len(removed):
                gone += len(removed) - result.deleted_count
                asked += len(removed)

        if unmatched:
            # The updates that found no document are those whose document is
            # missing now (a read only when some job was removed meanwhile).
            found = {
                doc["_id"] for doc in self.collection.find({"_id": {"$in": unmatched}}, ["_id"])
            }
            missing += [job_id for job_id in unmatched if job_id not in found]
        if gone:
            # Deleted either way, but which of them were gone already is unknown:
            # reported as removed (a lone job is never ambiguous).
            self._logger.warning(
                "%d of %d finished jobs were already removed by someone else", gone, asked
            )
        return missing

    def remove_all_jobs(self) -> None:
        self.collection.delete_many({})

    def shutdown(self) -> None:
        self.client.close()

    def _reconstitute_job(self, job_state: Any) -> Job:
        return self.serializer.restore(job_state, self._scheduler, self._alias)

    def _get_jobs(self, conditions: dict[str, Any]) -> list[Job]:
        jobs: list[Job] = []
        failed_job_ids = []
        for document in self.collection.find(conditions, ["_id", "job_state"], sort=_BY_RUN_TIME):
            try:
                jobs.append(self._reconstitute_job(document["job_state"]))
            except BaseException:
                self._logger.exception(
                    'Unable to restore job "%s" -- removing it', document["_id"]
                )
                failed_job_ids.append(document["_id"])

        # Documents that cannot be restored would fail on every wake-up: drop them.
        if failed_job_ids:
            self.collection.delete_many({"_id": {"$in": failed_job_ids}})

        return jobs

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} (client={self.client})>"
