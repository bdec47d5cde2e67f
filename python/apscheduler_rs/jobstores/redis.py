"""A job store in Redis, through redis-py, in APScheduler 3's key layout: a hash
of serialized jobs by id and a sorted set of their next run times."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, cast

from apscheduler_rs.job import Job
from apscheduler_rs.jobstores._serialization import JobSerializer, create_serializer
from apscheduler_rs.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError
from apscheduler_rs.util import datetime_to_utc_timestamp, utc_timestamp_to_datetime

try:
    from redis import Redis
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("RedisJobStore requires redis installed") from exc

__all__ = ("RedisJobStore",)

# Each change is one script: atomic (a crash or a concurrent writer never sees
# a job in the hash without its run time, or the reverse) and one round trip.
# KEYS: jobs hash, run times sorted set; ARGV: id, state, score ("" = paused).
_ADD = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
if ARGV[3] == '' then redis.call('ZREM', KEYS[2], ARGV[1])
else redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
return 1
"""
_UPDATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '' then redis.call('ZREM', KEYS[2], ARGV[1])
else redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) end
return 1
"""
_REMOVE = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# A due-job sweep's writes, all in one script (one round trip, atomic): each as
# _UPDATE / _REMOVE do it. ARGV: the number of updates, an (id, state, score)
# triple per update, then the ids to remove. Returns the ids not found.
_UPDATE_AND_REMOVE = """
local missing = {}
local last_update = 1 + 3 * tonumber(ARGV[1])
for i = 2, last_update, 3 do
  local id, score = ARGV[i], ARGV[i + 2]
  if redis.call('HEXISTS', KEYS[1], id) == 0 then missing[#missing + 1] = id
  else
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    if score == '' then redis.call('ZREM', KEYS[2], id)
    else redis.call('ZADD', KEYS[2], score, id) end
  end
end
for i = last_update + 1, #ARGV do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 0 then missing[#missing + 1] = ARGV[i]
  else redis.call('ZREM', KEYS[2], ARGV[i]) end
end
return missing
"""


def _score(next_run_time: datetime | None) -> str:
    # repr() of a float reads back as the same double in Redis
    return "" if next_run_time is None else repr(datetime_to_utc_timestamp(next_run_time))


def _text(job_id: bytes | str) -> str:
    return job_id.decode() if isinstance(job_id, bytes) else job_id


class RedisJobStore(BaseJobStore):
    """Keeps jobs in a Redis hash (``jobs_key``: id -> serialized job) and a
    sorted set (``run_times_key``: id scored by its next run time as a UTC
    timestamp; paused jobs are not in it), as APScheduler 3 does. Leftover
    keyword arguments go to :class:`redis.Redis`.

    Plugin alias: ``redis``

    :param db: the database number
    :param jobs_key: key of the jobs hash
    :param run_times_key: key of the run times sorted set
    :param pickle_protocol: pickle protocol of the stored jobs
    :param serializer: ``"pickle"`` (APScheduler 3's format), ``"json"`` (no
        pickles; see ``docs/jobstores.md``) or a serializer object
    :param allowed_callables: with ``serializer="json"``: the callables jobs may
        run (``"module:name"``, ``"module:*"`` or the callables themselves)
    """

    def __init__(
        self,
        db: int | str = 0,
        jobs_key: str = "apscheduler.jobs",
        run_times_key: str = "apscheduler.run_times",
        pickle_protocol: int = pickle.HIGHEST_PROTOCOL,
        *,
        serializer: str | JobSerializer = "pickle",
        allowed_callables: Iterable[str | Callable[..., Any]] | None = None,
        **connect_args: Any,
    ) -> None:
        super().__init__()

        if db is None:
            raise ValueError('The "db" parameter must not be empty')
        if not jobs_key:
            raise ValueError('The "jobs_key" parameter must not be empty')
        if not run_times_key:
            raise ValueError('The "run_times_key" parameter must not be empty')

        self.pickle_protocol = pickle_protocol
        self.serializer = create_serializer(serializer, pickle_protocol, allowed_callables)
        self.jobs_key = jobs_key
        self.run_times_key = run_times_key
        self.redis = Redis(db=int(db), **connect_args)
        self._keys = [jobs_key, run_times_key]
        self._add = self.redis.register_script(_ADD)
        self._update = self.redis.register_script(_UPDATE)
        self._remove = self.redis.register_script(_REMOVE)
        self._update_and_remove = self.redis.register_script(_UPDATE_AND_REMOVE)

    def lookup_job(self, job_id: str) -> Job | None:
        job_state = self.redis.hget(self.jobs_key, job_id)
        return self._reconstitute_job(job_state) if job_state else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        timestamp = cast(float, datetime_to_utc_timestamp(now))
        # The sorted set's range query: by score, then by id.
        job_ids = cast(
            "list[bytes]", self.redis.zrangebyscore(self.run_times_key, "-inf", timestamp)
        )
        if not job_ids:
            return []
        job_states = self.redis.hmget(self.jobs_key, job_ids)
        return self._reconstitute_jobs(zip(job_ids, job_states, strict=True))

    def get_next_run_time(self) -> datetime | None:
        next_run_time = self.redis.zrange(self.run_times_key, 0, 0, withscores=True)
        if next_run_time:
            return utc_timestamp_to_datetime(cast(float, next_run_time[0][1]))
        return None

    def get_all_jobs(self) -> list[Job]:
        job_states = self.redis.hgetall(self.jobs_key)
        jobs = self._reconstitute_jobs(job_states.items())
        # paused jobs last, ties by id (what the other stores do)
        jobs.sort(key=lambda job: (job.next_run_time is None, job.next_run_time or 0, job.id))
        return jobs

    def add_job(self, job: Job) -> None:
        job_state = self.serializer.dumps(job)
        if not self._add(self._keys, [job.id, job_state, _score(job.next_run_time)]):
            raise ConflictingIdError(job.id)

    def update_job(self, job: Job) -> None:
        job_state = self.serializer.dumps(job)
        if not self._update(self._keys, [job.id, job_state, _score(job.next_run_time)]):
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        if not self._remove(self._keys, [job_id]):
            raise JobLookupError(job_id)

    def update_and_remove_jobs(self, jobs: list[Job], job_ids: list[str]) -> list[str]:
        """The scheduler's batch hook (see :class:`BaseJobStore`): one script
        call; the ids not found."""
        args: list[Any] = [len(jobs)]
        for job in jobs:
            args += (job.id, self.serializer.dumps(job), _score(job.next_run_time))
        args += job_ids
        return [_text(job_id) for job_id in self._update_and_remove(self._keys, args)]

    def remove_all_jobs(self) -> None:
        with self.redis.pipeline() as pipe:
            pipe.delete(self.jobs_key)
            pipe.delete(self.run_times_key)
            pipe.execute()

    def shutdown(self) -> None:
        self.redis.connection_pool.disconnect()

    def _reconstitute_job(self, job_state: Any) -> Job:
        return self.serializer.restore(job_state, self._scheduler, self._alias)

    def _reconstitute_jobs(self, job_states: Iterable[tuple[Any, Any]]) -> list[Job]:
        jobs: list[Job] = []
        failed_job_ids = []
        for job_id, job_state in job_states:
            if job_state is None:
                continue  # removed between the two reads
            try:
                jobs.append(self._reconstitute_job(job_state))
            except BaseException:
                self._logger.exception('Unable to restore job "%s" -- removing it', _text(job_id))
                failed_job_ids.append(job_id)

        # Entries that cannot be restored would fail on every wake-up: drop them.
        if failed_job_ids:
            with self.redis.pipeline() as pipe:
                pipe.hdel(self.jobs_key, *failed_job_ids)
                pipe.zrem(self.run_times_key, *failed_job_ids)
                pipe.execute()

        return jobs

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"
