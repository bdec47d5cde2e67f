//! A job's due runs done by a thread pool worker itself: what
//! `executors.base.run_job_for` does, when nothing it does would be seen to
//! differ. That is when the run's logger does not log INFO (so its "Running
//! job" and "executed successfully" lines are not made anyway) and the
//! executors module's clock is `datetime`'s own (not a test's replacement).
//! A run that is late, raises or has its event wanted goes through the Python
//! helpers (`_starts`, `_failed_with`, `_succeeded`) for its log line and
//! event, so those are made in one place.

use parking_lot::Mutex;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple, PyType};

use super::datetime::{is_plain_aware, now_micros, store_instant};
use super::job::{PyJob, Shared};
use super::log_level::LevelCache;
use super::pyfuncs::cached;

const EVENT_JOB_EXECUTED: i64 = 1 << 12;

/// The logger of the runs last done here, by its name (interned, compared by
/// identity), and what tells whether it logs INFO.
static LOGGER: Mutex<Option<(Py<PyString>, Py<PyAny>)>> = Mutex::new(None);
static LOGGER_LEVEL: LevelCache = LevelCache::new();

/// `func(*args)` done here when `func` is `run_job_for` and the runs qualify;
/// `None` otherwise (the caller calls `func`). The result is the events to
/// dispatch (a list, empty when none).
pub fn run_natively<'py>(
    func: &Bound<'py, PyAny>,
    args: &Bound<'py, PyTuple>,
) -> Option<PyResult<Bound<'py, PyAny>>> {
    let py = func.py();
    let run_job_for = cached!(py, "apscheduler_rs.executors.base", "run_job_for").ok()?;
    if !func.is(run_job_for) || args.len() != 5 {
        return None;
    }
    runs(args).transpose()
}

fn runs<'py>(args: &Bound<'py, PyTuple>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = args.py();
    let [job, alias, run_times, logger_name, wanted] =
        [0, 1, 2, 3, 4].map(|i| args.get_item(i).expect("five arguments"));
    let job_class = cached!(py, "apscheduler_rs.job", "Job")?.cast::<PyType>()?;
    let (Ok(job), Ok(run_times), Ok(logger_name)) = (
        job.cast::<PyJob>(),
        run_times.cast::<PyList>(),
        logger_name.cast::<PyString>(),
    ) else {
        return Ok(None);
    };
    if !job.get_type().is(job_class) {
        return Ok(None);
    }
    static BASE: pyo3::sync::PyOnceLock<Py<PyModule>> = pyo3::sync::PyOnceLock::new();
    let base = BASE
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("apscheduler_rs.executors.base")?.unbind())
        })?
        .bind(py);
    if !base
        .getattr(intern!(py, "datetime"))?
        .is(cached!(py, "datetime", "datetime")?)
    {
        return Ok(None);
    }
    let logger = run_logger(base, logger_name)?;
    if LOGGER_LEVEL.logs_info(&logger)? {
        return Ok(None);
    }

    let events = PyList::empty(py);
    let mut executed_wanted = None;
    for run_time in run_times.iter() {
        if !on_time(job.get(), &run_time)? {
            // late, or a run time this cannot tell: `_starts` decides (and
            // logs and reports a missed run)
            let starts = base
                .getattr(intern!(py, "_starts"))?
                .call1((job, &alias, &run_time, &logger, &wanted, &events))?;
            if !starts.is_truthy()? {
                continue;
            }
        }
        match job.get().call(py) {
            Ok(retval) => {
                let wanted_now = match executed_wanted {
                    Some(known) => known,
                    None => {
                        let known = wanted.call1((EVENT_JOB_EXECUTED,))?.is_truthy()?;
                        executed_wanted = Some(known);
                        known
                    }
                };
                if wanted_now {
                    base.getattr(intern!(py, "_succeeded"))?
                        .call1((job, &alias, &run_time, retval, &logger, &wanted, &events))?;
                }
            }
            Err(err) => {
                base.getattr(intern!(py, "_failed_with"))?.call1((
                    job,
                    &alias,
                    &run_time,
                    err.into_value(py),
                    &logger,
                    &wanted,
                    &events,
                ))?;
            }
        }
    }
    Ok(Some(events.into_any()))
}

/// `executors.base._logger(name)`, remembered for the last name.
fn run_logger<'py>(
    base: &Bound<'py, PyModule>,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = base.py();
    let known = LOGGER
        .lock()
        .as_ref()
        .filter(|(known, _)| known.is(name))
        .map(|(_, logger)| logger.clone_ref(py));
    if let Some(logger) = known {
        return Ok(logger.into_bound(py));
    }
    let logger = base.getattr(intern!(py, "_logger"))?.call1((name,))?;
    let replaced = LOGGER
        .lock()
        .replace((name.clone().unbind(), logger.clone().unbind()));
    drop(replaced);
    Ok(logger)
}

/// Whether the run at `run_time` is known to be within the job's grace time
/// (`_starts`' test: `now - run_time > timedelta(seconds=grace)` is false):
/// always without a grace time; for an aware plain datetime, computed here.
fn on_time(job: &PyJob, run_time: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = run_time.py();
    let Some(grace) = job.shared(py, Shared::MisfireGraceTime) else {
        return Ok(false); // unset: `_starts` raises as it would
    };
    let grace = grace.bind(py);
    if grace.is_none() {
        return Ok(true);
    }
    let Ok(grace) = grace.extract::<i64>() else {
        return Ok(false);
    };
    if !is_plain_aware(run_time)? {
        return Ok(false);
    }
    let lateness = now_micros()? - store_instant(run_time)?;
    Ok(i128::from(lateness) <= i128::from(grace) * 1_000_000)
}
