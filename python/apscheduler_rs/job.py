"""Jobs: a callable with its arguments, a trigger, and the options that govern
its runs. Users get them from ``add_job``/``get_job`` and change them through
the scheduler (or the shortcuts here); they never build them directly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from inspect import isclass, ismethod
from typing import Any
from uuid import uuid4

from apscheduler_rs._core import JobCore
from apscheduler_rs.triggers.base import BaseTrigger, RustBackedPickling
from apscheduler_rs.util import (
    check_callable_args,
    convert_to_datetime,
    datetime_repr,
    get_callable_name,
    obj_to_ref,
    ref_to_obj,
)

__all__ = ("Job",)

UTC = timezone.utc

#: Marks an attribute that a change leaves as it is (``None`` is a value).
_ABSENT: Any = object()

#: ``kwargs`` for a job given none: an empty dict that the job makes only when
#: its ``kwargs`` is read (most jobs have none, and never have it read). Never
#: stored or changed itself.
NO_KWARGS: dict[str, Any] = {}


def is_trigger(obj: object) -> bool:
    """``isinstance(obj, BaseTrigger)``, at C speed for real subclasses (the ABC's
    own check runs Python code)."""
    return BaseTrigger in type(obj).__mro__ or isinstance(obj, BaseTrigger)


class Job(RustBackedPickling, JobCore):
    """One scheduled job.

    Attributes: ``id``, ``name``, ``func`` (and ``func_ref``, its textual
    reference when it has one), ``args``, ``kwargs``, ``trigger``, ``executor``
    (alias), ``misfire_grace_time`` (seconds a run may be late; ``None``: any),
    ``coalesce``, ``max_instances``, ``next_run_time`` (``None`` while paused).

    The attributes are kept by the Rust base class (``JobCore``), compactly:
    what jobs added alike have in common is shared between them.
    """

    __slots__ = ()

    def __init__(self, scheduler: Any, id: str | None = None, **kwargs: Any) -> None:
        kwargs["id"] = id
        self._init(scheduler, kwargs)

    @classmethod
    def _create(cls, scheduler: Any, attributes: dict[str, Any]) -> Job:
        """``Job(scheduler, **attributes)``, consuming ``attributes`` instead of
        copying them (add_job builds them for this job alone)."""
        job = cls.__new__(cls)
        job._init(scheduler, attributes)
        return job

    def _init(self, scheduler: Any, attributes: dict[str, Any]) -> None:
        attributes["id"] = attributes.get("id") or uuid4().hex
        self._apply(attributes, new=True, scheduler=scheduler)

    # Shortcuts to the scheduler's methods for this job.

    def modify(self, **changes: Any) -> Job:
        """Change the job (same keywords as its attributes) and save it."""
        self._scheduler.modify_job(self.id, self._jobstore_alias, **changes)
        return self

    def reschedule(self, trigger: Any, **trigger_args: Any) -> Job:
        """Give the job a new trigger (an alias and its arguments, or an instance)."""
        self._scheduler.reschedule_job(self.id, self._jobstore_alias, trigger, **trigger_args)
        return self

    def pause(self) -> Job:
        """Stop running the job until :meth:`resume`."""
        self._scheduler.pause_job(self.id, self._jobstore_alias)
        return self

    def resume(self) -> Job:
        """Schedule a paused job again from its trigger."""
        self._scheduler.resume_job(self.id, self._jobstore_alias)
        return self

    def remove(self) -> None:
        """Unschedule the job and delete it from its job store."""
        self._scheduler.remove_job(self.id, self._jobstore_alias)

    @property
    def pending(self) -> bool:
        """Whether the job still waits for the scheduler to start and store it."""
        return self._jobstore_alias is None

    def _get_run_times(self, now: datetime) -> list[datetime]:
        """The run times from ``next_run_time`` up to and including ``now``."""
        run_times: list[datetime] = []
        next_run_time = self.next_run_time
        now_utc = now.astimezone(UTC)
        while next_run_time and next_run_time.astimezone(UTC) <= now_utc:
            run_times.append(next_run_time)
            next_run_time = self._next_fire_time(next_run_time, now)
        return run_times

    def _modify(self, **changes: Any) -> None:
        """Check every change first, then apply them all (see :meth:`_apply`)."""
        self._apply(changes, new=False)

    def _apply(self, changes: dict[str, Any], new: bool, scheduler: Any = _ABSENT) -> None:
        """Check every change first, then apply them all: a refused change leaves
        the job as it was. Checks run in a fixed order (id, func/args/kwargs,
        name, options, trigger, executor, next run time), which decides the error
        a call with several mistakes gets. ``changes`` is consumed. A new job
        made by a scheduler is given it (``scheduler``) and no store yet."""
        # One pop per attribute (_ABSENT: not changed) and plain assignments at
        # the end: this runs for every job added and every run time stored.
        pop = changes.pop
        job_id = pop("id", _ABSENT)
        if job_id is not _ABSENT:
            if not isinstance(job_id, str):
                raise TypeError("id must be a nonempty string")
            if not new and hasattr(self, "id"):
                raise ValueError("The job ID may not be changed")

        func = pop("func", _ABSENT)
        args = pop("args", _ABSENT)
        kwargs = pop("kwargs", _ABSENT)
        name = pop("name", _ABSENT)
        calls = func is not _ABSENT or args is not _ABSENT or kwargs is not _ABSENT
        if calls:
            if func is _ABSENT:
                func = self.func
            if args is _ABSENT:
                args = self.args
            if kwargs is _ABSENT:
                kwargs = self.kwargs
            if isinstance(func, str):
                func_ref: str | None = func
                func = ref_to_obj(func)
            elif callable(func):
                try:
                    func_ref = obj_to_ref(func)
                except ValueError:
                    func_ref = None  # a lambda or local function: memory stores only
            else:
                # e.g. my_job() passed instead of my_job
                raise TypeError("func must be a callable or a textual reference to one")
            if (name is _ABSENT or name is None) and (new or not hasattr(self, "name")):
                name = get_callable_name(func)
            # exact types first: the ABC checks cost more than everything else here
            if type(args) is not tuple and (
                isinstance(args, str) or not isinstance(args, Iterable)
            ):
                raise TypeError("args must be a non-string iterable")
            if type(kwargs) is not dict and (
                isinstance(kwargs, str) or not isinstance(kwargs, Mapping)
            ):
                raise TypeError("kwargs must be a dict-like object")
            check_callable_args(func, args, kwargs)

        if name is not _ABSENT and (not name or not isinstance(name, str)):
            raise TypeError("name must be a nonempty string")

        misfire_grace_time = pop("misfire_grace_time", _ABSENT)
        if (
            misfire_grace_time is not _ABSENT
            and misfire_grace_time is not None
            and (not isinstance(misfire_grace_time, int) or misfire_grace_time <= 0)
        ):
            raise TypeError("misfire_grace_time must be either None or a positive integer")

        coalesce = pop("coalesce", _ABSENT)
        if coalesce is not _ABSENT:
            coalesce = bool(coalesce)

        max_instances = pop("max_instances", _ABSENT)
        if max_instances is not _ABSENT and (
            not isinstance(max_instances, int) or max_instances <= 0
        ):
            raise TypeError("max_instances must be a positive integer")

        trigger = pop("trigger", _ABSENT)
        if trigger is not _ABSENT and not is_trigger(trigger):
            raise TypeError(
                f"Expected a trigger instance, got {trigger.__class__.__name__} instead"
            )

        executor = pop("executor", _ABSENT)
        if executor is not _ABSENT and not isinstance(executor, str):
            raise TypeError("executor must be a string")

        next_run_time = pop("next_run_time", _ABSENT)
        if next_run_time is not _ABSENT:
            next_run_time = self._as_run_time(
                next_run_time, self._scheduler if scheduler is _ABSENT else scheduler
            )

        if changes:
            raise AttributeError(
                "The following are not modifiable attributes of Job: {}".format(", ".join(changes))
            )

        assigned: dict[str, Any] = {}
        if scheduler is not _ABSENT:
            assigned["_scheduler"] = scheduler
            assigned["_jobstore_alias"] = None
        if job_id is not _ABSENT:
            assigned["id"] = job_id
        if calls:
            assigned["func"] = func
            assigned["func_ref"] = func_ref
            assigned["args"] = args
            if kwargs is NO_KWARGS:
                assigned["_kwargs_empty"] = True
            else:
                assigned["kwargs"] = kwargs
        if name is not _ABSENT:
            assigned["name"] = name
        if misfire_grace_time is not _ABSENT:
            assigned["misfire_grace_time"] = misfire_grace_time
        if coalesce is not _ABSENT:
            assigned["coalesce"] = coalesce
        if max_instances is not _ABSENT:
            assigned["max_instances"] = max_instances
        if trigger is not _ABSENT:
            assigned["trigger"] = trigger
        if executor is not _ABSENT:
            assigned["executor"] = executor
        if next_run_time is not _ABSENT:
            assigned["next_run_time"] = next_run_time
        # one call: the shared attributes become one (interned) spec
        self._assign(**assigned)

    def _as_run_time(self, value: Any, scheduler: Any = None) -> datetime | None:
        """``value`` checked and converted for ``next_run_time`` (a naive value is
        in the time zone of ``scheduler``, by default the job's)."""
        # an aware datetime (what triggers return) needs no conversion
        if type(value) is datetime and value.tzinfo is not None:
            return value
        scheduler = self._scheduler if scheduler is None else scheduler
        return convert_to_datetime(value, scheduler.timezone, "next_run_time")

    def _set_next_run_time(self, value: Any) -> None:
        """``_modify(next_run_time=value)``, for the scheduler's every due run."""
        self.next_run_time = self._as_run_time(value)

    def __getstate__(self) -> dict[str, Any]:
        if not self.func_ref:
            raise ValueError(
                f"This Job cannot be serialized since the reference to its callable "
                f"({self.func!r}) could not be determined. Consider giving a textual "
                "reference (module:function name) instead."
            )
        # A bound method is stored as its function's reference plus the instance
        # as first argument.
        func = self.func
        args: Iterable[Any]
        if ismethod(func) and not isclass(func.__self__) and obj_to_ref(func) == self.func_ref:
            args = (func.__self__, *self.args)
        else:
            args = self.args
        return {
            "version": 1,
            "id": self.id,
            "func": self.func_ref,
            "trigger": self._trigger_object(),
            "executor": self.executor,
            "args": args,
            "kwargs": self.kwargs,
            "name": self.name,
            "misfire_grace_time": self.misfire_grace_time,
            "coalesce": self.coalesce,
            "max_instances": self.max_instances,
            "next_run_time": self.next_run_time,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        # in Rust (restoring stored jobs is most of what a restart costs)
        self._restore(state)

    @classmethod
    def _restored(cls, state: dict[str, Any], scheduler: Any, alias: str | None) -> Job:
        """A job from its pickled ``state``, bound to ``scheduler`` and the store
        ``alias`` (what a job store restores)."""
        job = cls.__new__(cls)
        job._restore(state, scheduler, alias)
        return job

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Job):
            return self.id == other.id
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by id: unhashable

    def __repr__(self) -> str:
        return f"<Job (id={self.id} name={self.name})>"

    def __str__(self) -> str:
        if hasattr(self, "next_run_time"):
            status = (
                "next run at: " + datetime_repr(self.next_run_time)
                if self.next_run_time
                else "paused"
            )
        else:
            status = "pending"
        return f"{self.name} (trigger: {self._trigger_text()}, {status})"
