//! `MemoryJobStoreCore`: the Rust base of `apscheduler_rs.jobstores.memory.MemoryJobStore`.
//!
//! Our own jobs (`JobCore`) go in an index that finds them by the id they
//! carry; any other object with `id` and `next_run_time` attributes (as
//! APScheduler's store accepts) goes in one that keeps a copy of its id. Both
//! order by (next run time, id), paused jobs last, and are read as one.

use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyo3::PyTraverseError;

use super::assigned::{Assigned, Methods};
use super::datetime::store_instant;
use super::gil_cell::GilCell;
use super::job::{JobId, PyJob};
use super::job_index::{OwnIdIndex, Released};
use crate::error::Error;
use crate::store::memory::{JobIndex, RunAt};

#[derive(Default)]
struct Indexes {
    own: OwnIdIndex,
    other: JobIndex<Py<PyAny>>,
}

/// A job's id as the indexes know it: the id bytes, and the text for the
/// index of other objects (which holds only ids that are valid UTF-8).
fn id_text(id: &[u8]) -> Option<&str> {
    std::str::from_utf8(id).ok()
}

impl Indexes {
    fn contains(&self, id: &[u8]) -> bool {
        self.own.contains(id) || id_text(id).is_some_and(|text| self.other.get(text).is_some())
    }

    fn get(&self, py: Python<'_>, id: &[u8]) -> Option<Py<PyAny>> {
        if let Some(job) = self.own.get(id) {
            return Some(job.clone_ref(py).into_any());
        }
        self.other.get(id_text(id)?).map(|job| job.clone_ref(py))
    }

    /// Remove the job with this id from whichever index has it.
    fn remove(&mut self, id: &[u8]) -> Option<Removed> {
        if let Some(released) = self.own.remove(id) {
            return Some(Removed::Own(released));
        }
        let text = id_text(id)?;
        self.other.remove(text).ok().map(Removed::Other)
    }

    /// Every job in order (both indexes merged), with where it sorts.
    fn merged(&self) -> impl Iterator<Item = (RunAt, IndexedJob<'_>)> {
        let mut own = self.own.entries().peekable();
        let mut other = self
            .other
            .entries()
            .map(|(run_at, id, job)| (run_at, id.as_bytes(), job))
            .peekable();
        std::iter::from_fn(move || {
            let take_own = match (own.peek(), other.peek()) {
                (Some(a), Some(b)) => (a.0, a.1) <= (b.0, b.1),
                (Some(_), None) => true,
                (None, _) => false,
            };
            if take_own {
                own.next().map(|(r, _, j)| (r, IndexedJob::Own(j)))
            } else {
                other.next().map(|(r, _, j)| (r, IndexedJob::Other(j)))
            }
        })
    }

    /// The jobs in order, up to `until` if given.
    fn ordered(&self, py: Python<'_>, until: Option<RunAt>) -> Vec<Py<PyAny>> {
        self.merged()
            .take_while(|(run_at, _)| until.is_none_or(|until| *run_at <= until))
            .map(|(_, job)| job.to_py(py))
            .collect()
    }

    /// The first job in order.
    fn first(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.merged().next().map(|(_, job)| job.to_py(py))
    }
}

/// A job in one of the two indexes.
enum IndexedJob<'a> {
    Own(&'a Py<PyJob>),
    Other(&'a Py<PyAny>),
}

impl IndexedJob<'_> {
    fn to_py(&self, py: Python<'_>) -> Py<PyAny> {
        match self {
            IndexedJob::Own(job) => job.clone_ref(py).into_any(),
            IndexedJob::Other(job) => job.clone_ref(py),
        }
    }
}

/// What a removal let go of, dropped once the store's lock is released.
enum Removed {
    Own(#[allow(dead_code)] Released),
    Other(#[allow(dead_code)] Py<PyAny>),
}

/// Where a job sorts: by its next run time (`None`: paused, last).
fn run_at_of(job: &Bound<'_, PyAny>) -> PyResult<RunAt> {
    if let Ok(own) = job.cast::<PyJob>() {
        if let Some(kept) = own.get().next_run_instant() {
            return Ok(RunAt::from(kept));
        }
    }
    let next = job.getattr(intern!(job.py(), "next_run_time"))?;
    if next.is_none() {
        Ok(RunAt::PAUSED)
    } else {
        Ok(RunAt::at(store_instant(&next)?))
    }
}

/// `find(id bytes)` for the id to look for; `None` when it is not a string
/// (only strings can be ids: anything else is found nowhere). A string Python
/// holds as UTF-8 is read in place, without a copy.
fn with_lookup_id<T>(
    job_id: &Bound<'_, PyAny>,
    find: impl FnOnce(&[u8]) -> PyResult<Option<T>>,
) -> PyResult<Option<T>> {
    if let Ok(text) = job_id.cast::<PyString>() {
        if let Ok(utf8) = text.to_str() {
            return find(utf8.as_bytes());
        }
    }
    match JobId::from_py(job_id) {
        Ok(id) => find(id.as_bytes()),
        Err(_) => Ok(None),
    }
}

/// A job to add: ours with its id (for the own-id index), or any other
/// object with a copy of its `id`.
enum Incoming<'a, 'py> {
    Own(&'a Bound<'py, PyJob>, JobId),
    Other(String),
}

fn incoming<'a, 'py>(job: &'a Bound<'py, PyAny>) -> PyResult<Incoming<'a, 'py>> {
    if let Ok(own) = job.cast::<PyJob>() {
        if let Some(id) = own.get().id() {
            return Ok(Incoming::Own(own, id.clone()));
        }
    }
    Ok(Incoming::Other(
        job.getattr(intern!(job.py(), "id"))?.extract()?,
    ))
}

/// The store's job methods, which the scheduler's direct paths call without
/// a Python call when neither the class nor the instance replaces them.
pub const JOB_METHODS: [&str; 3] = ["add_job", "update_job", "remove_job"];
pub const ADDS_JOBS: Methods = Methods::of(&JOB_METHODS, &["add_job", "update_job"]);
pub const REMOVES_JOBS: Methods = Methods::of(&JOB_METHODS, &["remove_job"]);

#[pyclass(
    subclass,
    frozen,
    module = "apscheduler_rs._core",
    name = "MemoryJobStoreCore"
)]
pub struct PyMemoryJobStore {
    // Never borrowed while Python runs: ids and run times are read before,
    // and released jobs are dropped after (a job's __del__ could otherwise
    // call back into the store).
    indexes: GilCell<Indexes>,
    /// [`JOB_METHODS`] assigned on the instance.
    assigned: Assigned,
}

impl PyMemoryJobStore {
    /// Whether one of `methods` is assigned on the instance.
    pub fn assigned(&self, methods: Methods) -> bool {
        self.assigned.any(methods)
    }

    /// Add `job`, refused (ConflictingIdError) if its id is taken.
    fn insert(&self, job: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = job.py();
        let run_at = run_at_of(job)?;
        let incoming = incoming(job)?;
        let mut indexes = self.indexes.borrow_mut(py)?;
        match incoming {
            Incoming::Own(own, id) => {
                if indexes.contains(id.as_bytes()) {
                    drop(indexes);
                    let text = id.to_py(py)?.to_string();
                    return Err(Error::ConflictingId(text).into());
                }
                indexes.own.insert(py, run_at, own);
            }
            Incoming::Other(id) => {
                if indexes.own.contains(id.as_bytes()) {
                    drop(indexes);
                    return Err(Error::ConflictingId(id).into());
                }
                let added = indexes.other.add(&id, run_at, job.clone().unbind());
                drop(indexes);
                added?;
            }
        }
        Ok(())
    }
}

#[pymethods]
impl PyMemoryJobStore {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyAny>>) -> Self {
        PyMemoryJobStore {
            indexes: GilCell::new(Indexes::default()),
            assigned: Assigned::new(&JOB_METHODS),
        }
    }

    /// Assignments are tracked for the job methods (see `JOB_METHODS`).
    fn __setattr__(
        slf: &Bound<'_, Self>,
        name: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        slf.get().assigned.set_attr(slf.as_any(), name, Some(value))
    }

    fn __delattr__(slf: &Bound<'_, Self>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        slf.get().assigned.set_attr(slf.as_any(), name, None)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(indexes) = self.indexes.for_gc(&visit) {
            indexes.own.visit(&visit)?;
            for (_, _, job) in indexes.other.entries() {
                visit.call(job)?;
            }
        }
        Ok(())
    }

    /// Let go of every job (the collector breaking a cycle through them).
    fn __clear__(&self) {
        Python::attach(|py| {
            if let Err(err) = self.remove_all_jobs(py) {
                err.write_unraisable(py, None);
            }
        });
    }

    fn lookup_job(&self, py: Python<'_>, job_id: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        with_lookup_id(job_id, |id| Ok(self.indexes.borrow_mut(py)?.get(py, id)))
    }

    fn get_due_jobs(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<Vec<Py<PyAny>>> {
        let now = RunAt::at(store_instant(now)?);
        Ok(self.indexes.borrow_mut(py)?.ordered(py, Some(now)))
    }

    fn get_next_run_time(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        // The first job's attribute as it is now (APScheduler reads it too): a
        // job changed without update_job still wakes the scheduler.
        let first = self.indexes.borrow_mut(py)?.first(py);
        match first {
            Some(job) => Ok(Some(
                job.bind(py).getattr(intern!(py, "next_run_time"))?.unbind(),
            )),
            None => Ok(None),
        }
    }

    fn get_all_jobs(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        Ok(self.indexes.borrow_mut(py)?.ordered(py, None))
    }

    pub(crate) fn add_job(&self, job: &Bound<'_, PyAny>) -> PyResult<()> {
        self.insert(job)
    }

    pub(crate) fn update_job(&self, job: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = job.py();
        let run_at = run_at_of(job)?;
        let incoming = incoming(job)?;
        let id = match &incoming {
            Incoming::Own(_, id) => id.clone(),
            Incoming::Other(text) => JobId::from_text(text),
        };
        let mut indexes = self.indexes.borrow_mut(py)?;
        let Some(removed) = indexes.remove(id.as_bytes()) else {
            drop(indexes);
            return Err(Error::JobLookup(id.to_py(py)?.to_string()).into());
        };
        match incoming {
            Incoming::Own(own, _) => indexes.own.insert(py, run_at, own),
            Incoming::Other(text) => {
                // just removed, so the id is free
                let _ = indexes.other.add(&text, run_at, job.clone().unbind());
            }
        }
        drop(indexes);
        drop(removed);
        Ok(())
    }

    pub(crate) fn remove_job(&self, job_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = job_id.py();
        let removed = with_lookup_id(job_id, |id| Ok(self.indexes.borrow_mut(py)?.remove(id)))?;
        match removed {
            Some(removed) => {
                drop(removed);
                Ok(())
            }
            None => Err(Error::JobLookup(job_id.str()?.to_string()).into()),
        }
    }

    fn remove_all_jobs(&self, py: Python<'_>) -> PyResult<()> {
        let old = std::mem::take(&mut *self.indexes.borrow_mut(py)?);
        let Indexes { mut own, other } = old;
        let released = own.clear();
        drop(released);
        drop(other);
        Ok(())
    }
}
