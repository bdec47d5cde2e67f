//! `DueJobStep`: `BaseScheduler._run_due_jobs` for a memory store, in Rust.
//!
//! The Python loop stays the reference for what happens to each due job and
//! in which order; the scheduler builds a step (once per sweep) only when
//! nothing the step would bypass is overridden. Python is still called for
//! what is rare or has a taker: a job that is not a plain `Job` or whose
//! executor is missing (the Python step, with its log line), a failed
//! submission, events with listeners, and removals that are listened to or
//! logged.

use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use pyo3::PyTraverseError;

use super::datetime::{is_plain_aware, store_instant, utc};
use super::job::{shared_attribute, PyJob, Shared};
use super::memory_store::PyMemoryJobStore;
use super::pyfuncs::cached;
use super::thread_pool::PyThreadPool;

#[pyclass(module = "apscheduler_rs._core", name = "DueJobStep", frozen)]
pub struct PyDueJobStep {
    /// The scheduler, for its state and `remove_job`.
    scheduler: Py<PyAny>,
    /// Jobs of exactly this class take the Rust path.
    job_class: Py<PyAny>,
    /// alias -> executor (the scheduler's `_executors`).
    executors: Py<PyDict>,
    /// alias -> what `submit_job` needs for executors whose `submit_job` may
    /// be done here, the executor itself last:
    /// - a thread pool: `(pool, instances, logger_name, wanted, run_job_for,
    ///   MaxInstancesReachedError, executor)` (`ThreadPoolExecutor._direct_submission`);
    /// - an asyncio executor: `(queued, instances, iscoroutinefunction_partial,
    ///   copy_context, MaxInstancesReachedError, start_draining, executor)`
    ///   (`AsyncIOExecutor._direct_submission`).
    direct: Py<PyDict>,
    /// `scheduler._run_due_job(job, alias, now, events)`.
    run_due_job: Py<PyAny>,
    /// `scheduler._submission_failed(exc, job, alias, run_times, events)`.
    submission_failed: Py<PyAny>,
    /// `(job_id, alias, run_times) -> event`, or `None` when nobody listens.
    submitted: Py<PyAny>,
    /// `(job_id, alias)`, or `None` when removals are neither listened to
    /// nor logged.
    report_removed: Py<PyAny>,
}

#[pymethods]
impl PyDueJobStep {
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (scheduler, job_class, executors, direct, run_due_job, submission_failed, submitted, report_removed))]
    fn new(
        scheduler: Py<PyAny>,
        job_class: Py<PyAny>,
        executors: Py<PyDict>,
        direct: Py<PyDict>,
        run_due_job: Py<PyAny>,
        submission_failed: Py<PyAny>,
        submitted: Py<PyAny>,
        report_removed: Py<PyAny>,
    ) -> Self {
        PyDueJobStep {
            scheduler,
            job_class,
            executors,
            direct,
            run_due_job,
            submission_failed,
            submitted,
            report_removed,
        }
    }

    /// Reported so that a cycle through a step (a traceback kept while it
    /// runs, say) can be collected; the step lives for one sweep.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.scheduler)?;
        visit.call(&self.job_class)?;
        visit.call(&self.executors)?;
        visit.call(&self.direct)?;
        visit.call(&self.run_due_job)?;
        visit.call(&self.submission_failed)?;
        visit.call(&self.submitted)?;
        visit.call(&self.report_removed)
    }

    /// Run `store`'s `due_jobs` (due at `now`), in order: per job its run
    /// times up to `now`, submission to its executor, then its new next run
    /// time stored or its removal reported. Submission events go to `events`.
    fn run(
        &self,
        store: &Bound<'_, PyMemoryJobStore>,
        due_jobs: Vec<Bound<'_, PyAny>>,
        alias: &Bound<'_, PyString>,
        now: &Bound<'_, PyAny>,
        events: &Bound<'_, PyList>,
    ) -> PyResult<()> {
        let py = store.py();
        let now_utc = utc_instant(now)?;
        for job in &due_jobs {
            match self.executor_of(job)? {
                Some((executor_alias, executor)) => self.run_job(
                    store,
                    job,
                    &executor_alias,
                    &executor,
                    alias,
                    now,
                    now_utc,
                    events,
                )?,
                None => {
                    // the Python step, with its lookup error and log line
                    let outcome = self
                        .run_due_job
                        .call1(py, (job, alias, now, events))?
                        .into_bound(py);
                    if !outcome.is_none() {
                        let keep = outcome.extract::<&str>()? == "update";
                        let job_id = job.getattr(intern!(py, "id"))?;
                        self.store_outcome(store, job, &job_id, keep, alias)?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl PyDueJobStep {
    /// A plain job's executor and its alias; `None` for anything the Python
    /// step must handle.
    fn executor_of<'py>(
        &self,
        job: &Bound<'py, PyAny>,
    ) -> PyResult<Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
        let py = job.py();
        if !job.get_type().is(self.job_class.bind(py)) {
            return Ok(None);
        }
        let Some(alias) = job.cast::<PyJob>()?.get().shared(py, Shared::Executor) else {
            return Ok(None); // unset: the Python step's lookup fails and logs
        };
        let alias = alias.into_bound(py);
        // unhashable or missing: the Python step logs the failed lookup
        let executor = self.executors.bind(py).get_item(&alias).ok().flatten();
        Ok(executor.map(|executor| (alias, executor)))
    }

    #[allow(clippy::too_many_arguments)]
    fn run_job(
        &self,
        store: &Bound<'_, PyMemoryJobStore>,
        job: &Bound<'_, PyAny>,
        executor_alias: &Bound<'_, PyAny>,
        executor: &Bound<'_, PyAny>,
        alias: &Bound<'_, PyString>,
        now: &Bound<'_, PyAny>,
        now_utc: i64,
        events: &Bound<'_, PyList>,
    ) -> PyResult<()> {
        let py = job.py();
        // a plain Job (executor_of checked): read directly, and its trigger is
        // asked through it, so that one it keeps inline stays inline
        let core = job.cast::<PyJob>()?.get();

        // Job._get_run_times, then coalescing
        let mut run_times: Vec<Bound<'_, PyAny>> = Vec::new();
        let mut next = core
            .next_run_time(py)?
            .unwrap_or_else(|| py.None().into_bound(py));
        let mut next_utc = match core.next_run_instant() {
            Some(Some(at)) => Some(at),
            _ if next.is_truthy()? => Some(utc_instant(&next)?),
            _ => None,
        };
        while next_utc.is_some_and(|at| at <= now_utc) {
            let following = core.next_fire_time(py, Some(&next), now)?;
            next_utc = if following.is_truthy()? {
                Some(utc_instant(&following)?)
            } else {
                None
            };
            run_times.push(std::mem::replace(&mut next, following));
        }
        drop(next);
        let coalesce = match core.shared(py, Shared::Coalesce) {
            Some(coalesce) => coalesce.bind(py).is_truthy()?,
            None => job.getattr(intern!(py, "coalesce"))?.is_truthy()?,
        };
        if coalesce && run_times.len() > 1 {
            run_times.drain(..run_times.len() - 1);
        }
        let Some(last) = run_times.last().cloned() else {
            return Ok(());
        };
        let run_times = PyList::new(py, run_times)?;
        let job_id = job.getattr(intern!(py, "id"))?;

        match self.submit(job, &job_id, executor_alias, executor, &run_times) {
            Ok(()) => {
                let submitted = self.submitted.bind(py);
                if !submitted.is_none() {
                    events.append(submitted.call1((&job_id, alias, &run_times))?)?;
                }
            }
            Err(err) => {
                self.submission_failed
                    .call1(py, (err.into_value(py), job, alias, &run_times, events))?;
            }
        }

        let next = core.next_fire_time(py, Some(&last), now)?;
        let keep = next.is_truthy()?;
        if keep {
            // Job._set_next_run_time: what triggers return is stored as is
            if is_plain_aware(&next)? {
                core.set_next_run_time(&next)?;
            } else {
                job.call_method1(intern!(py, "_set_next_run_time"), (next,))?;
            }
        }
        self.store_outcome(store, job, &job_id, keep, alias)
    }

    /// `executor.submit_job(job, run_times)`, queued on the pool directly
    /// when the executor allows it.
    fn submit<'py>(
        &self,
        job: &Bound<'py, PyAny>,
        job_id: &Bound<'py, PyAny>,
        executor_alias: &Bound<'py, PyAny>,
        executor: &Bound<'py, PyAny>,
        run_times: &Bound<'py, PyList>,
    ) -> PyResult<()> {
        let py = job.py();
        let direct = match self.direct.bind(py).get_item(executor_alias)? {
            Some(direct) => Some(direct.cast_into::<PyTuple>()?),
            None => None,
        };
        // An executor replaced since the sweep began (by a job, from another
        // thread) is not the one these belong to: it gets its submit_job.
        let direct = direct.filter(|direct| {
            direct
                .get_item(direct.len().wrapping_sub(1))
                .is_ok_and(|owner| owner.is(executor))
        });
        let (Some(direct), Ok(job_id)) = (direct, job_id.cast_exact::<PyString>()) else {
            executor.call_method1(intern!(py, "submit_job"), (job, run_times))?;
            return Ok(());
        };
        let pool = match direct.get_item(0)?.cast_into::<PyThreadPool>() {
            Ok(pool) => pool,
            Err(_) => return queue_coroutine_job(job, job_id, executor, run_times, &direct),
        };
        let instances = direct.get_item(1)?.cast_into::<PyDict>()?;
        let ours = job.cast::<PyJob>()?;
        let jobstore_alias = shared_attribute(ours, Shared::JobstoreAlias)?;
        let args = PyTuple::new(
            py,
            [
                job.clone(),
                jobstore_alias,
                run_times.clone().into_any(),
                direct.get_item(2)?,
                direct.get_item(3)?,
            ],
        )?;
        let max_instances: i64 = shared_attribute(ours, Shared::MaxInstances)?.extract()?;
        let queued = pool.get().submit_job(
            direct.get_item(4)?,
            args,
            executor.clone(),
            job_id.clone(),
            max_instances,
            instances,
        )?;
        if !queued {
            let exc = direct.get_item(5)?.call1((job,))?;
            return Err(PyErr::from_value(exc));
        }
        Ok(())
    }

    /// What a sweep does with a job once it has run: store its new next run
    /// time (`keep`), or remove it as `remove_job` would and report that.
    fn store_outcome(
        &self,
        store: &Bound<'_, PyMemoryJobStore>,
        job: &Bound<'_, PyAny>,
        job_id: &Bound<'_, PyAny>,
        keep: bool,
        alias: &Bound<'_, PyString>,
    ) -> PyResult<()> {
        let py = job.py();
        if keep {
            return store.get().update_job(job);
        }
        // A scheduler shut down meanwhile (by a job) removes through
        // remove_job, which then looks among the pending jobs.
        let scheduler = self.scheduler.bind(py);
        if scheduler.getattr(intern!(py, "state"))?.eq(0)? {
            scheduler.call_method1(intern!(py, "remove_job"), (job_id, alias))?;
            return Ok(());
        }
        store.get().remove_job(job_id)?;
        let report_removed = self.report_removed.bind(py);
        if !report_removed.is_none() {
            report_removed.call1((job_id, alias))?;
        }
        Ok(())
    }
}

/// `AsyncIOExecutor.submit_job` for a coroutine job: counted, and queued for
/// the executor's drainer task (started if none is); any other job goes to
/// `submit_job`. `direct` is what `AsyncIOExecutor._direct_submission` gave.
/// Between the count's check and its update only C code runs, so no other
/// thread can change it meanwhile (the Python path holds the executor's lock).
fn queue_coroutine_job<'py>(
    job: &Bound<'py, PyAny>,
    job_id: &Bound<'py, PyString>,
    executor: &Bound<'py, PyAny>,
    run_times: &Bound<'py, PyList>,
    direct: &Bound<'py, PyTuple>,
) -> PyResult<()> {
    let py = job.py();
    let ours = job.cast::<PyJob>()?;
    let func = shared_attribute(ours, Shared::Func)?;
    if !is_coroutine_function(&func, &direct.get_item(2)?)? {
        executor.call_method1(intern!(py, "submit_job"), (job, run_times))?;
        return Ok(());
    }
    let max_instances: i64 = shared_attribute(ours, Shared::MaxInstances)?.extract()?;
    let jobstore_alias = shared_attribute(ours, Shared::JobstoreAlias)?;
    let context = direct.get_item(3)?.call0()?;
    let instances = direct.get_item(1)?.cast_into::<PyDict>()?;
    let running: i64 = match instances.get_item(job_id)? {
        Some(running) => running.extract()?,
        None => 0,
    };
    if running >= max_instances {
        let exc = direct.get_item(4)?.call1((job,))?;
        return Err(PyErr::from_value(exc));
    }
    let entry = PyTuple::new(
        py,
        [
            job.clone(),
            jobstore_alias,
            run_times.clone().into_any(),
            context,
        ],
    )?;
    direct
        .get_item(0)?
        .call_method1(intern!(py, "append"), (entry,))?;
    instances.set_item(job_id, running + 1)?;
    if executor.getattr(intern!(py, "_drainer"))?.is_none() {
        direct.get_item(5)?.call0()?;
    }
    Ok(())
}

/// `iscoroutinefunction_partial(func)` (given as `check`): a plain function's
/// code flags are read here.
fn is_coroutine_function(func: &Bound<'_, PyAny>, check: &Bound<'_, PyAny>) -> PyResult<bool> {
    const CO_COROUTINE: i64 = 0x80;
    let py = func.py();
    if func.get_type().is(cached!(py, "types", "FunctionType")?) {
        let flags: i64 = func
            .getattr(intern!(py, "__code__"))?
            .getattr(intern!(py, "co_flags"))?
            .extract()?;
        if flags & CO_COROUTINE != 0 {
            return Ok(true);
        }
    }
    check.call1((func,))?.is_truthy()
}

/// `dt.astimezone(timezone.utc)` as an instant, as the scheduler compares run
/// times: aware datetimes directly, anything else (a naive datetime, read as
/// local time) through `astimezone`.
fn utc_instant(dt: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = dt.py();
    if is_plain_aware(dt)? {
        return store_instant(dt);
    }
    store_instant(&dt.call_method1(intern!(py, "astimezone"), (utc(py)?,))?)
}
