"""The JSON format of ``export_jobs``/``import_jobs``, as APScheduler 3.11 writes it.

A document is ``{"version": 1, "scheduler_version": ..., "jobs": [job state...]}``.
Objects JSON cannot hold are written as ``{"__apscheduler_class__": ref,
"__apscheduler_state__": state}`` when they have a mapping state (triggers,
time zones with one), otherwise pickled as ``{"__apscheduler_pickle__": base64}``.
Files written by APScheduler 3.11 name ``apscheduler.*`` classes; they load here
as their ``apscheduler_rs`` counterparts.
"""

from __future__ import annotations

import json
import pickle
from base64 import b64decode, b64encode
from collections.abc import Iterable, Mapping
from typing import IO, Any

from apscheduler_rs import __version__
from apscheduler_rs._pickle_compat import loads, translate_reference
from apscheduler_rs.util import obj_to_ref, ref_to_obj

__all__ = ("dump_jobs", "load_job_states")

FORMAT_VERSION = 1


def _encode(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "__getstate__") and hasattr(obj, "__setstate__"):
        state = obj.__getstate__()
        if isinstance(state, Mapping):
            return {
                "__apscheduler_class__": obj_to_ref(obj.__class__),
                "__apscheduler_state__": state,
            }
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    return {"__apscheduler_pickle__": b64encode(data).decode("ascii")}


def _decode(dct: dict[str, Any]) -> Any:
    pickled = dct.get("__apscheduler_pickle__")
    if pickled:
        return loads(b64decode(pickled))
    class_ref = dct.get("__apscheduler_class__")
    state = dct.get("__apscheduler_state__") if class_ref else None
    if class_ref and state:
        cls = ref_to_obj(translate_reference(class_ref))
        obj = cls.__new__(cls)  # Rust-backed classes refuse object.__new__
        obj.__setstate__(state)
        return obj
    return dct


def dump_jobs(job_states: Iterable[dict[str, Any]], outfile: IO[str]) -> None:
    """Write the states of jobs (``Job.__getstate__()``) to ``outfile``."""
    document = {
        "version": FORMAT_VERSION,
        "scheduler_version": __version__,
        "jobs": list(job_states),
    }
    json.dump(document, outfile, default=_encode)


def load_job_states(infile: IO[str]) -> list[dict[str, Any]]:
    """Read the job states an export wrote.

    :raises ValueError: if the document is not an export, or of another version
    """
    document = json.load(infile, object_hook=_decode)
    if not isinstance(document, dict):
        raise ValueError("the file does not hold exported jobs")
    version = document.get("version", None)
    if version != FORMAT_VERSION:
        raise ValueError(f"unrecognized version: {version}")
    return document["jobs"]
