"""Third-party libraries written for APScheduler 3 run on apscheduler_rs through
``apscheduler_rs.compat.install()``.

Flask-APScheduler's own code (its ``APScheduler`` wrapper, ``JOBS`` config
loading, ``@scheduler.task`` decorator and REST API) drives the scheduler. The
same Flask app runs twice, each in a fresh interpreter: once through the alias
(on apscheduler_rs) and once on the real APScheduler 3.11.3 as the oracle, and
the two JSON summaries are compared. django-apscheduler's ``DjangoJobStore``
gets a database of jobs pickled by the real APScheduler, and runs them on
apscheduler_rs. Fresh interpreters are needed since this one has the real
apscheduler imported, and ``install()`` then refuses to run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import apscheduler as reference_apscheduler
import pytest

REFERENCE_DIR = str(Path(reference_apscheduler.__file__).resolve().parent)

# the jobs: each run writes "<tag> <thread name without its number>" to a file
JOBS_MODULE = """
import os
import re
import threading


def fail():
    raise ValueError("boom")


def tick(tag):
    thread = re.sub(r"-[0-9_]+$", "", threading.current_thread().name)
    with open(os.environ["TP_RUNS_FILE"], "a") as runs:
        runs.write(f"{tag} {thread}\\n")


def ran(tag):
    with open(os.environ["TP_RUNS_FILE"]) as runs:
        return tag in [line.split()[0] for line in runs]
"""

APP_SCRIPT = '''
import json
import os
import sys
import time
from datetime import datetime

if sys.argv[1] == "compat":
    import apscheduler_rs.compat

    apscheduler_rs.compat.install()

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.jobstores.base import JobLookupError
from flask import Flask
from flask_apscheduler import APScheduler

import tpjobs

summary = {"errors": []}


def check(condition, what):
    if not condition:
        summary["errors"].append(what)


def wait_for(tag, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if tpjobs.ran(tag):
            return True
        time.sleep(0.02)
    summary["errors"].append(f"job {tag!r} did not run within {timeout} s")
    return False


def normalized(value):
    """Stable across runs: ISO datetimes become their UTC offset."""
    if isinstance(value, dict):
        return {key: normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return "datetime" + str(parsed.utcoffset())
    return value


def call(method, url, body=None):
    response = getattr(client, method)(url, json=body)
    data = response.get_json(silent=True)
    summary.setdefault("responses", []).append(
        {"request": f"{method.upper()} {url}", "status": response.status_code,
         "json": normalized(data)}
    )
    return response.status_code, data


class Config:
    SCHEDULER_API_ENABLED = True
    SCHEDULER_TIMEZONE = "Europe/Helsinki"
    JOBS = [
        {
            "id": "config_job",
            "func": "tpjobs:tick",
            "args": ["config"],
            "trigger": "interval",
            "seconds": 1,
        }
    ]


app = Flask(__name__)
app.config.from_object(Config)
scheduler = APScheduler()
scheduler.init_app(app)


@scheduler.task("interval", id="decorated", seconds=1, misfire_grace_time=30)
def decorated():
    tpjobs.tick("decorated")


events = []
scheduler.add_listener(
    lambda event: events.append((event.code, event.job_id)), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
)
client = app.test_client()

# before start: pending jobs, listed without run state
call("get", "/scheduler")
call("get", "/scheduler/jobs")

scheduler.start()
summary["state_running"] = scheduler.running
summary["timezone"] = str(scheduler.scheduler.timezone)
wait_for("config")
wait_for("decorated")

# the Python API
job = scheduler.add_job("added", tpjobs.tick, args=["added"], trigger="interval", seconds=5)
check(job.id == "added" and job.name == "added", "add_job() returns the job")
check(scheduler.get_job("added").next_run_time is not None, "added job is scheduled")
scheduler.pause_job("added")
check(scheduler.get_job("added").next_run_time is None, "pause_job() clears next_run_time")
scheduler.resume_job("added")
resumed = scheduler.get_job("added").next_run_time
check(resumed is not None and resumed.utcoffset() is not None, "resume_job() reschedules")
scheduler.modify_job("added", trigger="cron", hour="4", minute="15", name="renamed")
modified = scheduler.get_job("added")
check(modified.name == "renamed" and modified.next_run_time.hour == 4, "modify_job(trigger=...)")
scheduler.remove_job("added")
check(scheduler.get_job("added") is None, "remove_job() removes")
try:
    scheduler.remove_job("added")
    check(False, "removing a missing job raises JobLookupError")
except JobLookupError:
    pass
summary["python_api_jobs"] = sorted(job.id for job in scheduler.get_jobs())

# the REST API
call("get", "/scheduler")
status, jobs = call("get", "/scheduler/jobs")
summary["rest_jobs"] = sorted(job["id"] for job in jobs)
new_job = {"id": "api_job", "func": "tpjobs:tick", "args": ["api"], "trigger": "interval",
           "seconds": 1}
call("post", "/scheduler/jobs", new_job)
call("post", "/scheduler/jobs", new_job)  # 409: ConflictingIdError
call("post", "/scheduler/jobs",
     {"id": "cron_job", "func": "tpjobs:tick", "args": ["cron"], "trigger": "cron",
      "day_of_week": "mon-fri", "hour": "3", "minute": "30", "end_date": "2100-01-01"})
call("post", "/scheduler/jobs",
     {"id": "date_job", "func": "tpjobs:tick", "args": ["date"], "trigger": "date",
      "run_date": "2099-06-01T12:00:00+00:00"})
wait_for("api")
call("get", "/scheduler/jobs/api_job")
call("get", "/scheduler/jobs/missing")
call("patch", "/scheduler/jobs/api_job",
     {"trigger": "interval", "minutes": 2, "args": ["patched"], "name": "patched job"})
call("patch", "/scheduler/jobs/missing", {"name": "x"})
call("post", "/scheduler/jobs/api_job/pause")
call("post", "/scheduler/jobs/api_job/resume")
call("post", "/scheduler/jobs/api_job/run")
check(tpjobs.ran("patched"), "POST .../run ran the patched job")
call("post", "/scheduler/jobs/missing/run")
call("delete", "/scheduler/jobs/api_job")
call("delete", "/scheduler/jobs/api_job")
call("get", "/scheduler/jobs/api_job")
call("delete", "/scheduler/jobs/date_job")
call("post", "/scheduler/pause")
call("post", "/scheduler/resume")
call("post", "/scheduler/start")  # 400: SchedulerAlreadyRunningError
status, jobs = call("get", "/scheduler/jobs")
summary["final_jobs"] = sorted(job["id"] for job in jobs)
call("post", "/scheduler/shutdown", {"wait": True})
call("post", "/scheduler/shutdown")  # 400: SchedulerNotRunningError
call("get", "/scheduler")

summary["events"] = sorted({f"{code}:{job_id}" for code, job_id in events})
with open(os.environ["TP_RUNS_FILE"]) as runs:
    summary["runs"] = sorted(set(runs.read().splitlines()))
scheduler = scheduler.scheduler  # Flask-APScheduler's BackgroundScheduler, for PROVENANCE
'''


# django-apscheduler: its DjangoJobStore pickles jobs into a Django database. The
# reference run writes the jobs; the compat run loads APScheduler's pickles, runs
# them and adds one of its own.
DJANGO_SCRIPT = """
import json, os, sys, time
if sys.argv[1] == "compat":
    import apscheduler_rs.compat

    apscheduler_rs.compat.install()
import django
from django.conf import settings
from django.core.management import call_command

database = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.path.abspath("db.sqlite3"),
    "OPTIONS": {"transaction_mode": "IMMEDIATE"},  # threads wait for the lock, not fail
}
settings.configure(INSTALLED_APPS=["django_apscheduler"], USE_TZ=True, DATABASES={"default": database})
django.setup()
call_command("migrate", verbosity=0)
from apscheduler.schedulers.background import BackgroundScheduler
from django_apscheduler.jobstores import DjangoJobStore
from django_apscheduler.models import DjangoJobExecution as Execution

import tpjobs

scheduler = BackgroundScheduler(timezone="UTC")
scheduler.add_jobstore(DjangoJobStore(), "default")
tag = sys.argv[1]
scheduler.add_job("tpjobs:tick", "interval", seconds=1, args=[tag], id=tag, misfire_grace_time=None)
if tag == "reference":
    scheduler.add_job("tpjobs:fail", "interval", seconds=1, id="fail", misfire_grace_time=None)
    scheduler.add_job("tpjobs:tick", "cron", hour=3, args=["paused"], id="paused", next_run_time=None)
failures = Execution.objects.filter(job_id="fail", status=Execution.ERROR).count


def done():  # the failing job failed once more, the tick jobs ran
    return failures() > failed_before and all(tpjobs.ran(name) for name in ("reference", tag))


failed_before = failures()
scheduler.start()
deadline = time.monotonic() + 10
while time.monotonic() < deadline and not done():
    time.sleep(0.05)
jobs = {job.id: [str(job.trigger), job.func_ref, list(job.args), job.next_run_time is None,
                 type(job).__module__, type(job.trigger).__module__] for job in scheduler.get_jobs()}
scheduler.shutdown()
with open(os.environ["TP_RUNS_FILE"]) as runs:
    ran = sorted(set(runs.read().splitlines()))
executions = sorted({f"{e.job_id}:{e.status}:{e.exception or ''}" for e in Execution.objects.all()})
summary = {"done": done(), "jobs": jobs, "runs": ran, "executions": executions}
"""


# appended to both scripts: where every apscheduler module came from, then the summary
PROVENANCE = """
REFERENCE_DIR = sys.argv[2]
summary["scheduler_type"] = f"{type(scheduler).__module__}.{type(scheduler).__name__}"
summary["aliased"] = (
    sys.modules.get("apscheduler.schedulers.background")
    is sys.modules.get("apscheduler_rs.schedulers.background")
)
summary["foreign_modules"] = sorted(
    name for name, module in list(sys.modules.items())
    if os.path.realpath(getattr(module, "__file__", None) or "").startswith(REFERENCE_DIR + os.sep)
)
print(json.dumps(summary))
"""


def run_script(script: str, mode: str, workdir: Path) -> dict[str, Any]:
    """Run ``script`` in ``workdir`` under ``mode``: "compat" (through the alias)
    or "reference" (the real apscheduler); return the summary it prints."""
    workdir.mkdir(exist_ok=True)
    (workdir / "tpjobs.py").write_text(JOBS_MODULE)
    (workdir / f"{mode}.py").write_text(script + PROVENANCE)
    runs = workdir / f"{mode}-runs.txt"
    runs.write_text("")
    env = dict(
        os.environ,
        TP_RUNS_FILE=str(runs),
        FLASK_DEBUG="0",
    )
    result = subprocess.run(
        [sys.executable, f"{mode}.py", mode, REFERENCE_DIR],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, f"{mode} run failed:\n{result.stderr}"
    return json.loads(result.stdout.splitlines()[-1])


def run_django(workdir: Path) -> dict[str, dict[str, Any]]:
    # one database: the reference writes it first, then the compat run reads it
    return {mode: run_script(DJANGO_SCRIPT, mode, workdir) for mode in ("reference", "compat")}


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The Flask summaries by mode, and the django ones under "django"."""
    tmp_path = tmp_path_factory.mktemp("third_party")
    with ThreadPoolExecutor(3) as pool:
        flask = {
            mode: pool.submit(run_script, APP_SCRIPT, mode, tmp_path / f"flask-{mode}")
            for mode in ("compat", "reference")
        }
        django = pool.submit(run_django, tmp_path / "django")
        return {
            **{mode: future.result() for mode, future in flask.items()},
            "django": django.result(),
        }


def responses(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_request: dict[str, list[dict[str, Any]]] = {}
    for response in summary["responses"]:
        by_request.setdefault(response["request"], []).append(response)
    return by_request


# what the summary makes of an ISO datetime in Europe/Helsinki (EET or EEST)
HELSINKI = {"datetime2:00:00", "datetime3:00:00"}


def test_flask_apscheduler_runs_on_apscheduler_rs(summaries: dict[str, dict[str, Any]]) -> None:
    summary = summaries["compat"]
    assert summary["errors"] == []
    assert summary["scheduler_type"] == (
        "apscheduler_rs.schedulers.background.BackgroundScheduler"
    )
    assert summary["aliased"] is True
    assert summary["foreign_modules"] == []
    assert summary["state_running"] is True
    assert summary["timezone"] == "Europe/Helsinki"
    # jobs from JOBS, @scheduler.task and POST /scheduler/jobs ran in the default
    # executor's thread pool; POST .../run runs the job in the request's thread
    assert summary["runs"] == [
        "api ThreadPoolExecutor",
        "config ThreadPoolExecutor",
        "decorated ThreadPoolExecutor",
        "patched MainThread",
    ]
    assert {"4096:config_job", "4096:decorated", "4096:api_job"} <= set(summary["events"])
    assert summary["python_api_jobs"] == ["config_job", "decorated"]
    assert summary["rest_jobs"] == ["config_job", "decorated"]
    assert summary["final_jobs"] == ["config_job", "cron_job", "decorated"]


def test_flask_apscheduler_rest_api(summaries: dict[str, dict[str, Any]]) -> None:
    got = responses(summaries["compat"])

    def one(request: str, index: int = 0) -> tuple[int, Any]:
        response = got[request][index]
        return response["status"], response["json"]

    # before start(): pending jobs carry no run state
    status, info = one("GET /scheduler")
    assert (status, info["allowed_hosts"], info["running"]) == (200, ["*"], False)
    status, pending = one("GET /scheduler/jobs")
    assert status == 200
    assert sorted(job["id"] for job in pending) == ["config_job", "decorated"]
    for job in pending:
        assert "next_run_time" not in job and job["trigger"] == "interval"
        assert job["seconds"] == 1 and job["start_date"] in HELSINKI
    assert one("GET /scheduler", 1)[1]["running"] is True

    status, jobs = one("GET /scheduler/jobs", 1)
    config_job = next(job for job in jobs if job["id"] == "config_job")
    assert status == 200
    assert config_job == {
        "id": "config_job",
        "name": "config_job",
        "func": "tpjobs:tick",
        "args": ["config"],
        "kwargs": {},
        "trigger": "interval",
        "start_date": config_job["start_date"],
        "seconds": 1,
        "misfire_grace_time": 1,
        "max_instances": 1,
        "next_run_time": config_job["next_run_time"],
    }
    assert {config_job["start_date"], config_job["next_run_time"]} <= HELSINKI
    decorated = next(job for job in jobs if job["id"] == "decorated")
    assert decorated["func"] == "__main__:decorated"
    assert decorated["misfire_grace_time"] == 30

    status, created = one("POST /scheduler/jobs")
    assert status == 200
    assert created["id"] == "api_job" and created["func"] == "tpjobs:tick"
    assert created["next_run_time"] in HELSINKI and created["seconds"] == 1
    assert one("POST /scheduler/jobs", 1) == (
        409,
        {"error_message": "Job api_job already exists."},
    )
    status, cron = one("POST /scheduler/jobs", 2)
    assert status == 200
    assert {key: cron[key] for key in ("trigger", "day_of_week", "hour", "minute")} == {
        "trigger": "cron",
        "day_of_week": "mon-fri",
        "hour": "3",
        "minute": "30",
    }
    assert cron["end_date"] == "datetime2:00:00" and cron["next_run_time"] in HELSINKI
    status, date = one("POST /scheduler/jobs", 3)
    assert (status, date["trigger"], date["run_date"]) == (200, "date", "datetime0:00:00")
    assert date["next_run_time"] == "datetime0:00:00"

    status, fetched = one("GET /scheduler/jobs/api_job")
    assert status == 200 and fetched["id"] == "api_job" and fetched["next_run_time"] in HELSINKI
    assert one("GET /scheduler/jobs/missing") == (404, {"error_message": "Job missing not found"})

    status, patched = one("PATCH /scheduler/jobs/api_job")
    assert status == 200
    assert patched["name"] == "patched job" and patched["args"] == ["patched"]
    assert patched["minutes"] == 2 and "seconds" not in patched
    assert one("PATCH /scheduler/jobs/missing")[0] == 404

    status, paused = one("POST /scheduler/jobs/api_job/pause")
    assert status == 200 and paused["next_run_time"] is None
    status, resumed = one("POST /scheduler/jobs/api_job/resume")
    assert status == 200 and resumed["next_run_time"] in HELSINKI
    status, ran = one("POST /scheduler/jobs/api_job/run")
    assert status == 200 and ran["id"] == "api_job"
    assert one("POST /scheduler/jobs/missing/run")[0] == 404

    assert one("DELETE /scheduler/jobs/api_job") == (204, None)
    assert one("DELETE /scheduler/jobs/api_job", 1)[0] == 404
    assert one("GET /scheduler/jobs/api_job", 1)[0] == 404
    assert one("DELETE /scheduler/jobs/date_job") == (204, None)

    assert one("POST /scheduler/pause") == (204, None)
    assert one("POST /scheduler/resume") == (204, None)
    status, error = one("POST /scheduler/start")
    assert status == 400 and "already running" in error["error_message"]
    assert one("POST /scheduler/shutdown") == (204, None)
    status, error = one("POST /scheduler/shutdown", 1)
    assert status == 400 and "not running" in error["error_message"]
    assert one("GET /scheduler", 2)[1]["running"] is False


def test_flask_apscheduler_matches_the_real_apscheduler(
    summaries: dict[str, dict[str, Any]],
) -> None:
    compat, reference = summaries["compat"], summaries["reference"]
    # the oracle run really used the real apscheduler
    assert reference["scheduler_type"] == "apscheduler.schedulers.background.BackgroundScheduler"
    assert reference["foreign_modules"] != []
    assert reference["errors"] == []
    for key in ("runs", "python_api_jobs", "rest_jobs", "final_jobs", "timezone", "events"):
        assert compat[key] == reference[key], key

    def comparable(summary: dict[str, Any]) -> list[dict[str, Any]]:
        # get_jobs() order between jobs due at the same second is not defined
        result = []
        for response in summary["responses"]:
            data = response["json"]
            if isinstance(data, list):
                data = sorted(data, key=lambda job: job["id"])
            result.append({**response, "json": data})
        return result

    assert comparable(compat) == comparable(reference)


def test_django_apscheduler_job_store_reads_apscheduler_pickles(
    summaries: dict[str, dict[str, Any]],
) -> None:
    reference, compat = summaries["django"]["reference"], summaries["django"]["compat"]
    assert reference["done"] and reference["foreign_modules"] != []
    assert compat["done"]
    assert compat["scheduler_type"] == "apscheduler_rs.schedulers.background.BackgroundScheduler"
    assert compat["aliased"] is True
    assert compat["foreign_modules"] == []
    # the compat run ran the job the real APScheduler had pickled into the database
    assert compat["runs"] == ["compat ThreadPoolExecutor", "reference ThreadPoolExecutor"]

    def job(trigger: str, args: list[str], paused: bool, func: str = "tpjobs:tick") -> list[Any]:
        kind = trigger.split("[")[0]
        return [
            trigger,
            func,
            args,
            paused,
            "apscheduler_rs.job",
            f"apscheduler_rs.triggers.{kind}",
        ]

    assert compat["jobs"] == {
        "reference": job("interval[0:00:01]", ["reference"], False),
        "fail": job("interval[0:00:01]", [], False, "tpjobs:fail"),
        "paused": job("cron[hour='3']", ["paused"], True),
        "compat": job("interval[0:00:01]", ["compat"], False),
    }
    # django-apscheduler's listeners logged the runs, the failure with its exception
    assert compat["executions"] == ["compat:Executed:", "fail:Error!:boom", "reference:Executed:"]
