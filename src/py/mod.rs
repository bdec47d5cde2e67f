//! PyO3 bindings: the `apscheduler_rs._core` extension module. Thin wrappers;
//! the logic lives in the Python-free modules of the crate.

mod assigned;
mod calendarinterval;
mod capi;
mod common;
mod cron;
mod date;
mod datetime;
mod errors;
mod gil_cell;
mod interval;
mod job;
mod job_index;
mod job_run;
mod log_level;
mod memory_store;
mod pyfuncs;
mod refs;
mod rlock;
mod run_time;
mod scheduler;
mod scheduler_kept;
mod sweep;
mod thread_pool;
mod wake;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    gil_cell::require_gil(m.py())?;
    capi::init(m.py())?;
    m.add_class::<cron::PyCronTrigger>()?;
    m.add_class::<interval::PyIntervalTrigger>()?;
    m.add_class::<date::PyDateTrigger>()?;
    m.add_class::<calendarinterval::PyCalendarIntervalTrigger>()?;
    m.add_class::<job::PyJob>()?;
    m.add_class::<job::PyJobSpec>()?;
    m.add_class::<memory_store::PyMemoryJobStore>()?;
    m.add_class::<scheduler::PySchedulerCore>()?;
    m.add_class::<rlock::PyRLock>()?;
    m.add_class::<sweep::PyDueJobStep>()?;
    m.add_class::<wake::PyWakeSignal>()?;
    m.add_class::<thread_pool::PyThreadPool>()?;
    m.add_function(wrap_pyfunction!(thread_pool::shutdown_thread_pools, m)?)?;
    m.add_function(wrap_pyfunction!(cron::parse_cron_field, m)?)?;
    m.add_function(wrap_pyfunction!(job_run::start_coroutine_runs, m)?)?;
    m.add_function(wrap_pyfunction!(capi::datetime_fast_path, m)?)?;
    m.add_function(wrap_pyfunction!(refs::resolve_imported_ref, m)?)?;
    Ok(())
}
