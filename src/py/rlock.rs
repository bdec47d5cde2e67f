//! `RLock`: the lock a scheduler makes with `_create_lock()`, a reentrant
//! lock with `threading.RLock`'s interface that the scheduler's Rust code can
//! also take directly, without a Python call.
//!
//! A thread that has to wait does so detached from Python (other threads run
//! meanwhile), in slices, so that a signal (Ctrl+C) still interrupts it as it
//! interrupts `threading.RLock.acquire()`.

use std::time::{Duration, Instant};

use parking_lot::lock_api::RawReentrantMutex;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

type Raw = RawReentrantMutex<parking_lot::RawMutex, parking_lot::RawThreadId>;

/// How long a waiting thread stays detached before it checks for signals.
const WAIT_SLICE: Duration = Duration::from_millis(50);

#[pyclass(frozen, module = "apscheduler_rs._core", name = "RLock")]
pub struct PyRLock {
    raw: Raw,
}

impl PyRLock {
    /// Wait for the lock as long as it takes (or until a signal handler raises).
    pub fn acquire_blocking(&self, py: Python<'_>) -> PyResult<()> {
        self.acquire_until(py, None).map(drop)
    }

    fn acquire_until(&self, py: Python<'_>, deadline: Option<Instant>) -> PyResult<bool> {
        if self.raw.try_lock() {
            return Ok(true);
        }
        loop {
            let slice = match deadline {
                None => WAIT_SLICE,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    left.min(WAIT_SLICE)
                }
            };
            if py.detach(|| self.raw.try_lock_for(slice)) {
                return Ok(true);
            }
            py.check_signals()?;
        }
    }

    /// Release one level of this thread's hold.
    pub fn release_held(&self) -> PyResult<()> {
        if !self.raw.is_owned_by_current_thread() {
            return Err(PyRuntimeError::new_err("cannot release un-acquired lock"));
        }
        // SAFETY: held by this thread (checked above).
        unsafe { self.raw.unlock() };
        Ok(())
    }
}

#[pymethods]
impl PyRLock {
    #[new]
    fn new() -> Self {
        PyRLock { raw: Raw::INIT }
    }

    #[pyo3(signature = (blocking=true, timeout=-1.0))]
    #[pyo3(text_signature = "($self, blocking=True, timeout=-1)")]
    fn acquire(&self, py: Python<'_>, blocking: bool, timeout: f64) -> PyResult<bool> {
        if !blocking {
            if timeout != -1.0 {
                return Err(PyValueError::new_err(
                    "can't specify a timeout for a non-blocking call",
                ));
            }
            return Ok(self.raw.try_lock());
        }
        if timeout == -1.0 {
            return self.acquire_until(py, None);
        }
        if timeout < 0.0 {
            return Err(PyValueError::new_err("timeout value must be positive"));
        }
        let deadline = Duration::try_from_secs_f64(timeout)
            .ok()
            .and_then(|wait| Instant::now().checked_add(wait));
        self.acquire_until(py, deadline)
    }

    fn release(&self) -> PyResult<()> {
        self.release_held()
    }

    fn __enter__(&self, py: Python<'_>) -> PyResult<bool> {
        self.acquire_until(py, None)
    }

    fn __exit__(
        &self,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        self.release_held()
    }

    /// Whether this thread holds the lock (`threading.RLock._is_owned`).
    fn _is_owned(&self) -> bool {
        self.raw.is_owned_by_current_thread()
    }

    fn __repr__(&self) -> String {
        let state = if self.raw.is_locked() {
            "locked"
        } else {
            "unlocked"
        };
        format!("<{state} apscheduler_rs._core.RLock object at {:p}>", self)
    }
}
