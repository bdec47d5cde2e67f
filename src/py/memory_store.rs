//! `MemoryJobStoreCore`: the Rust base of `apscheduler_rs.jobstores.memory.MemoryJobStore`.
//! Stores any job object by its `id` and `next_run_time` attributes.

use parking_lot::Mutex;
use pyo3::intern;
use pyo3::prelude::*;

use super::datetime::store_instant;
use crate::store::memory::{JobIndex, RunAt};

#[pyclass(
    subclass,
    frozen,
    module = "apscheduler_rs._core",
    name = "MemoryJobStoreCore"
)]
pub struct PyMemoryJobStore {
    // The lock is never held while Python runs: ids and run times are read
    // before taking it, and replaced job objects are dropped after releasing
    // it (a job's __del__ could otherwise call back into the store).
    index: Mutex<JobIndex<Py<PyAny>>>,
}

/// A job's id and where it sorts.
fn key_of(job: &Bound<'_, PyAny>) -> PyResult<(String, RunAt)> {
    let py = job.py();
    let id: String = job.getattr(intern!(py, "id"))?.extract()?;
    let next = job.getattr(intern!(py, "next_run_time"))?;
    let run_at = if next.is_none() {
        RunAt::PAUSED
    } else {
        RunAt::at(store_instant(&next)?)
    };
    Ok((id, run_at))
}

#[pymethods]
impl PyMemoryJobStore {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyAny>>) -> Self {
        PyMemoryJobStore {
            index: Mutex::new(JobIndex::new()),
        }
    }

    fn lookup_job(&self, py: Python<'_>, job_id: &str) -> Option<Py<PyAny>> {
        self.index.lock().get(job_id).map(|job| job.clone_ref(py))
    }

    fn get_due_jobs(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let now = store_instant(now)?;
        Ok(self
            .index
            .lock()
            .due(now)
            .map(|job| job.clone_ref(py))
            .collect())
    }

    fn get_next_run_time(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        // The first job's attribute as it is now (APScheduler reads it too): a
        // job changed without update_job still wakes the scheduler.
        let first = self.index.lock().first().map(|job| job.clone_ref(py));
        match first {
            Some(job) => Ok(Some(
                job.bind(py).getattr(intern!(py, "next_run_time"))?.unbind(),
            )),
            None => Ok(None),
        }
    }

    fn get_all_jobs(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        self.index
            .lock()
            .iter()
            .map(|job| job.clone_ref(py))
            .collect()
    }

    fn add_job(&self, job: &Bound<'_, PyAny>) -> PyResult<()> {
        let (id, run_at) = key_of(job)?;
        let added = self.index.lock().add(&id, run_at, job.clone().unbind());
        Ok(added?)
    }

    pub(crate) fn update_job(&self, job: &Bound<'_, PyAny>) -> PyResult<()> {
        let (id, run_at) = key_of(job)?;
        let old = self.index.lock().update(&id, run_at, job.clone().unbind());
        drop(old?);
        Ok(())
    }

    pub(crate) fn remove_job(&self, job_id: &str) -> PyResult<()> {
        let removed = self.index.lock().remove(job_id);
        drop(removed?);
        Ok(())
    }

    fn remove_all_jobs(&self) {
        let old = std::mem::take(&mut *self.index.lock());
        drop(old);
    }
}
