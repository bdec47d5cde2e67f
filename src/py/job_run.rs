//! A job's due runs done in Rust: by a thread pool worker (what
//! `executors.base.run_job_for` does), and by the asyncio executor's drainer
//! (what `executors.asyncio._start_runs` does, up to a coroutine's first
//! wait). Only when nothing they do would be seen to differ: the run's logger
//! does not log INFO (so its "Running job" and "executed successfully" lines
//! are not made anyway) and the executors module's clock is `datetime`'s own
//! (not a test's replacement). A run that is late, raises or has its event
//! wanted goes through the Python helpers (`_starts`, `_failed_with`,
//! `_succeeded`) for its log line and event, so those are made in one place.

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

/// `executors.base`, for its clock and helpers.
fn executors_base(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static BASE: pyo3::sync::PyOnceLock<Py<PyModule>> = pyo3::sync::PyOnceLock::new();
    Ok(BASE
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("apscheduler_rs.executors.base")?.unbind())
        })?
        .bind(py))
}

/// The job as ours, if runs of it can be done here at all: a plain `Job`,
/// and the executors module's clock not replaced.
fn plain_job<'a, 'py>(job: &'a Bound<'py, PyAny>) -> PyResult<Option<&'a Bound<'py, PyJob>>> {
    let py = job.py();
    let job_class = cached!(py, "apscheduler_rs.job", "Job")?.cast::<PyType>()?;
    let Ok(ours) = job.cast::<PyJob>() else {
        return Ok(None);
    };
    if !job.get_type().is(job_class)
        || !executors_base(py)?
            .getattr(intern!(py, "datetime"))?
            .is(cached!(py, "datetime", "datetime")?)
    {
        return Ok(None);
    }
    Ok(Some(ours))
}

/// `wanted(code)`: answered here for a scheduler's own `_wants_event`.
fn wants(wanted: &Bound<'_, PyAny>, code: i64) -> PyResult<bool> {
    match super::scheduler::wants_event(wanted, code)? {
        Some(known) => Ok(known),
        None => wanted.call1((code,))?.is_truthy(),
    }
}

fn runs<'py>(args: &Bound<'py, PyTuple>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = args.py();
    let [job, alias, run_times, logger_name, wanted] =
        [0, 1, 2, 3, 4].map(|i| args.get_item(i).expect("five arguments"));
    let (Ok(run_times), Ok(logger_name)) =
        (run_times.cast::<PyList>(), logger_name.cast::<PyString>())
    else {
        return Ok(None);
    };
    let Some(job) = plain_job(&job)? else {
        return Ok(None);
    };
    let base = executors_base(py)?;
    let logger = run_logger(base, logger_name)?;
    if LOGGER_LEVEL.logs_info(&logger)? {
        return Ok(None);
    }

    let mut report = Report::new(base, job, &alias, &logger, &wanted);
    for run_time in run_times.iter() {
        if !report.starts(&run_time)? {
            continue;
        }
        match job.get().call(py) {
            Ok(retval) => report.succeeded(&run_time, retval)?,
            Err(err) => report.failed(&run_time, err)?,
        }
    }
    Ok(Some(report.events.into_any()))
}

/// What a job's runs report, through `executors.base`'s helpers (so that
/// their log lines and events are made in one place), and the events so far.
struct Report<'a, 'py> {
    base: &'a Bound<'py, PyModule>,
    job: &'a Bound<'py, PyJob>,
    alias: &'a Bound<'py, PyAny>,
    logger: &'a Bound<'py, PyAny>,
    wanted: &'a Bound<'py, PyAny>,
    events: Bound<'py, PyList>,
    /// Whether `EVENT_JOB_EXECUTED` is wanted, once asked.
    executed_wanted: Option<bool>,
}

impl<'a, 'py> Report<'a, 'py> {
    fn new(
        base: &'a Bound<'py, PyModule>,
        job: &'a Bound<'py, PyJob>,
        alias: &'a Bound<'py, PyAny>,
        logger: &'a Bound<'py, PyAny>,
        wanted: &'a Bound<'py, PyAny>,
    ) -> Self {
        Report {
            base,
            job,
            alias,
            logger,
            wanted,
            events: PyList::empty(base.py()),
            executed_wanted: None,
        }
    }

    /// Whether the run at `run_time` starts: on time, or `_starts` says so
    /// (late, or a run time this cannot tell; it logs and reports a missed run).
    fn starts(&self, run_time: &Bound<'py, PyAny>) -> PyResult<bool> {
        if on_time(self.job.get(), run_time)? {
            return Ok(true);
        }
        self.base
            .getattr(intern!(self.base.py(), "_starts"))?
            .call1((
                self.job,
                self.alias,
                run_time,
                self.logger,
                self.wanted,
                &self.events,
            ))?
            .is_truthy()
    }

    /// A run returned `retval`: its event, if wanted (no log line: the
    /// logger does not log INFO).
    fn succeeded(
        &mut self,
        run_time: &Bound<'py, PyAny>,
        retval: Bound<'py, PyAny>,
    ) -> PyResult<()> {
        let wanted = match self.executed_wanted {
            Some(known) => known,
            None => *self
                .executed_wanted
                .insert(wants(self.wanted, EVENT_JOB_EXECUTED)?),
        };
        if wanted {
            self.base
                .getattr(intern!(self.base.py(), "_succeeded"))?
                .call1((
                    self.job,
                    self.alias,
                    run_time,
                    retval,
                    self.logger,
                    self.wanted,
                    &self.events,
                ))?;
        }
        Ok(())
    }

    /// A run raised `err`: logged, and its event if wanted.
    fn failed(&self, run_time: &Bound<'py, PyAny>, err: PyErr) -> PyResult<()> {
        let py = self.base.py();
        self.base.getattr(intern!(py, "_failed_with"))?.call1((
            self.job,
            self.alias,
            run_time,
            err.into_value(py),
            self.logger,
            self.wanted,
            &self.events,
        ))?;
        Ok(())
    }
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

/// The asyncio drainer's logger, as last looked at.
static COROUTINE_LOGGER_LEVEL: LevelCache = LevelCache::new();

/// `executors.asyncio._start_runs(job, alias, run_times, logger, wanted)`:
/// the job's runs, as long as none waits; returns the events so far and, if
/// a run waits, what finishes the submission (`_finish_runs`), else `None`.
/// Done here when the runs qualify (see the module doc), else by the Python
/// function.
#[pyfunction]
pub fn start_coroutine_runs<'py>(
    job: &Bound<'py, PyAny>,
    alias: &Bound<'py, PyAny>,
    run_times: &Bound<'py, PyAny>,
    logger: &Bound<'py, PyAny>,
    wanted: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = job.py();
    let native = match (plain_job(job)?, run_times.cast::<PyList>()) {
        (Some(core), Ok(times)) if !COROUTINE_LOGGER_LEVEL.logs_info(logger)? => {
            Some((core, times))
        }
        _ => None,
    };
    let Some((core, run_times)) = native else {
        return cached!(py, "apscheduler_rs.executors.asyncio", "_start_runs")?
            .call1((job, alias, run_times, logger, wanted));
    };
    let base = executors_base(py)?;
    let mut report = Report::new(base, core, alias, logger, wanted);
    let count = run_times.len();
    for index in 0..count {
        let run_time = run_times.get_item(index)?;
        if !report.starts(&run_time)? {
            continue;
        }
        let coroutine = match core.get().call(py) {
            Ok(coroutine) => coroutine,
            Err(err) => {
                report.failed(&run_time, err)?;
                continue;
            }
        };
        match send(&coroutine)? {
            Sent::Returned(retval) => report.succeeded(&run_time, retval)?,
            Sent::Raised(err) => report.failed(&run_time, err)?,
            Sent::Waits(awaited) => {
                let rest = run_times.get_slice(index, count);
                let finish = cached!(py, "apscheduler_rs.executors.asyncio", "_finish_runs")?
                    .call1((
                        job,
                        alias,
                        rest,
                        coroutine,
                        awaited,
                        logger,
                        wanted,
                        &report.events,
                    ))?;
                return Ok(PyTuple::new(py, [report.events.into_any(), finish])?.into_any());
            }
        }
    }
    let events = report.events.into_any();
    Ok(PyTuple::new(py, [events, py.None().into_bound(py)])?.into_any())
}

/// What `coroutine.send(None)` did.
enum Sent<'py> {
    Returned(Bound<'py, PyAny>),
    Raised(PyErr),
    Waits(Bound<'py, PyAny>),
}

fn send<'py>(coroutine: &Bound<'py, PyAny>) -> PyResult<Sent<'py>> {
    let py = coroutine.py();
    let mut result: *mut pyo3::ffi::PyObject = std::ptr::null_mut();
    // SAFETY: a live object and None as the value sent; `result` receives a
    // new reference on return and yield, and nothing on error.
    let outcome =
        unsafe { pyo3::ffi::PyIter_Send(coroutine.as_ptr(), pyo3::ffi::Py_None(), &mut result) };
    Ok(match outcome {
        pyo3::ffi::PySendResult::PYGEN_RETURN => {
            Sent::Returned(unsafe { Bound::from_owned_ptr(py, result) })
        }
        pyo3::ffi::PySendResult::PYGEN_NEXT => {
            Sent::Waits(unsafe { Bound::from_owned_ptr(py, result) })
        }
        pyo3::ffi::PySendResult::PYGEN_ERROR => {
            Sent::Raised(PyErr::take(py).unwrap_or_else(|| {
                pyo3::exceptions::PySystemError::new_err("send failed without an exception")
            }))
        }
    })
}
