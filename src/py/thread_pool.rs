//! `ThreadPoolCore`: the Rust worker threads under
//! `apscheduler_rs.executors.pool.ThreadPoolExecutor`.
//!
//! Each worker attaches to the interpreter once, for its whole life, so a job's
//! `threading.local` data and the initializer's set-up persist from one job to
//! the next as in `concurrent.futures`; it waits for work detached (`py.detach`),
//! so idle workers never hold the GIL. A task calls `func(*args)` (the executor's
//! `run_job`) and reports to the executor: `_run_job_success(job_id, events)`, or
//! `_run_job_error(job_id, exc, tb)` if `func` itself raised. `submit_job` also
//! keeps the executor's count of running instances, so a run costs no Python
//! lock and, when it has no events to dispatch, no call back into the executor.
//!
//! Workers must never try to attach while the interpreter finalizes, so
//! `shutdown_thread_pools` (run by the package from `threading`'s exit hooks,
//! before Python joins its own threads) shuts every pool down and joins its
//! threads, after which submissions fail as `concurrent.futures`' do.

use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use pyo3::call::PyCallArgs;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::error::Error;
use crate::executor::pool::{WeakPool, Worker, WorkerPool};

/// `concurrent.futures`' words for a pool whose initializer failed.
const INITIALIZER_FAILED: &str =
    "A thread initializer failed, the thread pool is not usable anymore";

/// Worker stack size unless `threading.stack_size()` sets one: what Python's
/// own threads get on Linux (Rust's default, 2 MiB, overflows well before
/// Python's recursion limit in code that recurses through C).
const DEFAULT_STACK_SIZE: usize = 8 << 20;

/// Set once the interpreter has begun to exit; no pool takes work after that.
static EXITING: AtomicBool = AtomicBool::new(false);

/// Every pool made, for the exit hook. Weak: a pool dropped without shutdown
/// stays listed only while its threads finish the queue.
static POOLS: Mutex<Vec<WeakPool<Task>>> = Mutex::new(Vec::new());

/// One submission: `func(*args)`, reported to `executor` under `job_id`.
struct Task {
    func: Py<PyAny>,
    args: Py<PyTuple>,
    executor: Py<PyAny>,
    job_id: Py<PyAny>,
    /// The executor's running-instance counts, for a task of `submit_job`:
    /// the worker counts the run's end itself (see `PyThreadPool::submit_job`).
    instances: Option<Py<PyDict>>,
}

impl Task {
    fn new(
        func: Bound<'_, PyAny>,
        args: Bound<'_, PyTuple>,
        executor: Bound<'_, PyAny>,
        job_id: Bound<'_, PyAny>,
        instances: Option<Bound<'_, PyDict>>,
    ) -> Self {
        Task {
            func: func.unbind(),
            args: args.unbind(),
            executor: executor.unbind(),
            job_id: job_id.unbind(),
            instances: instances.map(Bound::unbind),
        }
    }
}

/// Called in each worker before its first task.
struct Initializer {
    func: Py<PyAny>,
    args: Py<PyTuple>,
}

#[pyclass(module = "apscheduler_rs._core", name = "ThreadPoolCore", frozen)]
pub struct PyThreadPool {
    pool: WorkerPool<Task>,
}

#[pymethods]
impl PyThreadPool {
    #[new]
    #[pyo3(signature = (max_workers, thread_name_prefix, initializer=None, initargs=None, stack_size=0))]
    fn new(
        max_workers: i64,
        thread_name_prefix: String,
        initializer: Option<Bound<'_, PyAny>>,
        initargs: Option<Bound<'_, PyTuple>>,
        stack_size: usize,
    ) -> PyResult<Self> {
        if max_workers <= 0 {
            return Err(Error::value("max_workers must be greater than 0").into());
        }
        let initializer = match initializer {
            None => None,
            Some(func) if !func.is_callable() => {
                return Err(PyTypeError::new_err("initializer must be a callable"))
            }
            Some(func) => {
                let py = func.py();
                let args = initargs.unwrap_or_else(|| PyTuple::empty(py));
                Some(Initializer {
                    func: func.unbind(),
                    args: args.unbind(),
                })
            }
        };
        let max_workers = usize::try_from(max_workers).unwrap_or(usize::MAX);
        let stack_size = if stack_size == 0 {
            DEFAULT_STACK_SIZE
        } else {
            stack_size
        };
        let pool = WorkerPool::new(
            max_workers,
            thread_name_prefix,
            Some(stack_size),
            move |worker| work(worker, initializer.as_ref()),
        )?;
        let mut pools = POOLS.lock();
        pools.retain(WeakPool::is_alive);
        pools.push(pool.downgrade());
        drop(pools);
        Ok(PyThreadPool { pool })
    }

    /// Queue `func(*args)`; its outcome goes to `executor._run_job_success` or
    /// `executor._run_job_error` with `job_id`.
    fn submit(
        &self,
        func: Bound<'_, PyAny>,
        args: Bound<'_, PyTuple>,
        executor: Bound<'_, PyAny>,
        job_id: Bound<'_, PyAny>,
    ) -> PyResult<()> {
        refuse_after_exit()?;
        let task = Task::new(func, args, executor, job_id, None);
        Ok(self.pool.submit(task)?)
    }

    /// `BaseExecutor.submit_job` for one run of a job: unless `instances` (job
    /// id -> runs in progress) already has `max_instances` runs of `job_id`,
    /// count one more and queue `func(*args)`. The worker counts the run's end
    /// and reports only what is left to report: the events `func` returned
    /// (`executor._dispatch_run_events(events)`, when there are any) or the
    /// error it raised (`executor._log_run_error(job_id, exc, tb)`).
    ///
    /// Returns whether the run was queued. The count is read, checked and
    /// written with the GIL held throughout and no Python code run in between,
    /// so no Python-level lock is needed; every change to `instances` must be
    /// made this way (by this pool).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn submit_job(
        &self,
        func: Bound<'_, PyAny>,
        args: Bound<'_, PyTuple>,
        executor: Bound<'_, PyAny>,
        job_id: Bound<'_, PyString>,
        max_instances: i64,
        instances: Bound<'_, PyDict>,
    ) -> PyResult<bool> {
        refuse_after_exit()?;
        let running = running_instances(&instances, job_id.as_any())?;
        if running >= max_instances {
            return Ok(false);
        }
        let task = Task::new(
            func,
            args,
            executor,
            job_id.clone().into_any(),
            Some(instances.clone()),
        );
        self.pool.submit(task)?;
        instances.set_item(&job_id, running + 1)?;
        Ok(true)
    }

    /// Stop taking work (queued work still runs); with `wait`, return once every
    /// worker thread has exited.
    #[pyo3(signature = (wait=true))]
    fn shutdown(&self, py: Python<'_>, wait: bool) -> PyResult<()> {
        Ok(py.detach(|| self.pool.shutdown(wait))?)
    }

    #[getter]
    fn max_workers(&self) -> usize {
        self.pool.max_workers()
    }

    /// `concurrent.futures.ThreadPoolExecutor`'s name for it.
    #[getter]
    fn _max_workers(&self) -> usize {
        self.pool.max_workers()
    }

    /// Worker threads started so far; they start on demand and live until shutdown.
    #[getter]
    fn worker_count(&self) -> usize {
        self.pool.started()
    }
}

/// `concurrent.futures`' refusal of work once the interpreter has begun to exit.
fn refuse_after_exit() -> PyResult<()> {
    if EXITING.load(Ordering::SeqCst) {
        return Err(PyRuntimeError::new_err(
            "cannot schedule new futures after interpreter shutdown",
        ));
    }
    Ok(())
}

/// Shut down every thread pool and join its threads; later submissions raise
/// `RuntimeError`. For the interpreter's exit.
#[pyfunction]
pub fn shutdown_thread_pools(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    let pools = mem::take(&mut *POOLS.lock());
    py.detach(|| {
        for pool in &pools {
            // Fails only when called from one of the pool's workers, which then
            // cannot be joined; the other pools still are.
            let _ = pool.shutdown(true);
        }
    });
}

/// A worker thread's life.
fn work(worker: &mut Worker<'_, Task>, initializer: Option<&Initializer>) {
    // `None`: the interpreter is already finalizing, so nothing can run.
    let _ = Python::try_attach(|py| {
        let thread = adopt_thread(py, &worker.name())
            .map_err(|err| err.write_unraisable(py, None))
            .ok();
        if let Some(init) = initializer {
            if let Err(err) = init.func.call1(py, init.args.bind(py)) {
                log(
                    py,
                    "critical",
                    ("Exception in initializer:",),
                    err.value(py),
                );
                for task in worker.break_pool(INITIALIZER_FAILED) {
                    abandon(py, task);
                }
                forget_thread(py, thread);
                return;
            }
        }
        // Queued tasks run back to back; the worker detaches only to wait.
        while let Some(task) = worker
            .try_next_task()
            .or_else(|| py.detach(|| worker.next_task()))
        {
            run(py, task);
        }
        forget_thread(py, thread);
    });
}

/// Runs of `job_id` in progress according to `instances` (0 when absent).
/// With an exact `str` id (the caller's check) and the ints written here, the
/// dict operations run no Python code, so they cannot let another thread in.
fn running_instances(instances: &Bound<'_, PyDict>, job_id: &Bound<'_, PyAny>) -> PyResult<i64> {
    match instances.get_item(job_id)? {
        None => Ok(0),
        Some(count) => count.extract(),
    }
}

/// Count the end of a run of `job_id` in `instances`, as
/// `BaseExecutor._finished` does.
fn finished(instances: &Bound<'_, PyDict>, job_id: &Bound<'_, PyAny>) -> PyResult<()> {
    let running = running_instances(instances, job_id)? - 1;
    if running > 0 {
        instances.set_item(job_id, running)
    } else {
        instances.del_item(job_id)
    }
}

/// Run one task and report how it went.
fn run(py: Python<'_>, task: Task) {
    let Task {
        func,
        args,
        executor,
        job_id,
        instances,
    } = task;
    if let Some(instances) = instances {
        run_counted(py, func, args, executor, job_id, instances);
        return;
    }
    let reported = match func.call1(py, args.bind(py)) {
        Ok(events) => executor.call_method1(py, intern!(py, "_run_job_success"), (&job_id, events)),
        Err(err) => executor.call_method1(
            py,
            intern!(py, "_run_job_error"),
            (&job_id, err.value(py), err.traceback(py)),
        ),
    };
    if let Err(err) = reported {
        log_callback_error(py, &job_id, &err);
    }
}

/// Run a task of `submit_job`: count the run's end, then report what is left.
fn run_counted(
    py: Python<'_>,
    func: Py<PyAny>,
    args: Py<PyTuple>,
    executor: Py<PyAny>,
    job_id: Py<PyAny>,
    instances: Py<PyDict>,
) {
    let outcome = match super::job_run::run_natively(func.bind(py), args.bind(py)) {
        Some(outcome) => outcome.map(Bound::unbind),
        None => func.call1(py, args.bind(py)),
    };
    let reported = finished(instances.bind(py), job_id.bind(py)).and_then(|()| match outcome {
        Ok(events) if events.bind(py).is_truthy()? => executor
            .call_method1(py, intern!(py, "_dispatch_run_events"), (events,))
            .map(drop),
        Ok(_) => Ok(()),
        Err(err) => executor
            .call_method1(
                py,
                intern!(py, "_log_run_error"),
                (&job_id, err.value(py), err.traceback(py)),
            )
            .map(drop),
    });
    if let Err(err) = reported {
        log_callback_error(py, &job_id, &err);
    }
}

/// Fail a task that will never run because the pool broke, as a
/// `concurrent.futures` future fails with `BrokenThreadPool`.
fn abandon(py: Python<'_>, task: Task) {
    let err = PyErr::from(Error::BrokenPool(INITIALIZER_FAILED.to_owned()));
    if let Some(instances) = &task.instances {
        if let Err(err) = finished(instances.bind(py), task.job_id.bind(py)) {
            log_callback_error(py, &task.job_id, &err);
        }
    }
    let method = if task.instances.is_some() {
        intern!(py, "_log_run_error")
    } else {
        intern!(py, "_run_job_error")
    };
    let reported = task
        .executor
        .call_method1(py, method, (&task.job_id, err.value(py), py.None()));
    if let Err(err) = reported {
        log_callback_error(py, &task.job_id, &err);
    }
}

fn log_callback_error(py: Python<'_>, job_id: &Py<PyAny>, err: &PyErr) {
    log(
        py,
        "error",
        ("exception calling callback for job %r", job_id),
        err.value(py),
    );
}

/// Log on `concurrent.futures`' logger, where its thread pool reports the same
/// failures, with `exc`'s traceback.
fn log<'py>(py: Python<'py>, level: &str, args: impl PyCallArgs<'py>, exc: &Bound<'py, PyAny>) {
    let logged = (|| -> PyResult<()> {
        let logger = py
            .import("logging")?
            .call_method1("getLogger", ("concurrent.futures",))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("exc_info", exc)?;
        logger.call_method(level, args, Some(&kwargs))?;
        Ok(())
    })();
    if let Err(err) = logged {
        err.write_unraisable(py, None);
    }
}

/// Name this thread's Python `Thread` object (a dummy: the thread is not
/// `threading`'s) after the OS thread, as `concurrent.futures` names its threads.
fn adopt_thread<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    let thread = py.import("threading")?.call_method0("current_thread")?;
    thread.setattr("name", name)?;
    Ok(thread)
}

/// `threading` keeps the dummy `Thread` of a foreign thread for good; drop ours
/// as the thread exits so `threading.enumerate()` lists live threads only.
fn forget_thread(py: Python<'_>, thread: Option<Bound<'_, PyAny>>) {
    let Some(thread) = thread else { return };
    let forgot = (|| -> PyResult<()> {
        let threading = py.import("threading")?;
        // Private names: if a Python version lacks them there is nothing to do.
        let (Some(active), Some(lock)) = (
            threading.getattr_opt("_active")?,
            threading.getattr_opt("_active_limbo_lock")?,
        ) else {
            return Ok(());
        };
        let ident = threading.call_method0("get_ident")?;
        lock.call_method0("acquire")?;
        let removed = active.call_method1("get", (&ident,)).and_then(|current| {
            if current.is(&thread) {
                active.del_item(&ident)
            } else {
                Ok(())
            }
        });
        lock.call_method0("release")?;
        removed
    })();
    if let Err(err) = forgot {
        err.write_unraisable(py, None);
    }
}
