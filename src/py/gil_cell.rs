//! `GilCell`: state of a Python object that is only touched with the GIL held
//! and never while Python code runs, so that it needs no lock of its own.
//!
//! This crate builds for the stable ABI (abi3), which free-threaded Python
//! does not offer, and the module refuses to load without a GIL (see
//! `require_gil`). So holding a `Python<'py>` token means holding the GIL,
//! which one thread at a time can: the GIL orders every access. A borrow is
//! never held across a call into Python (which could release the GIL, or
//! come back here); were that rule broken, the second borrow gets an error,
//! never a second `&mut`.
//!
//! On this VM's hot paths a `parking_lot::Mutex` costs two atomic
//! read-modify-writes per use; the borrow flag here is a plain load and store.

use std::cell::{RefCell, RefMut};

use pyo3::exceptions::PyRuntimeError;
use pyo3::gc::PyVisit;
use pyo3::prelude::*;

pub struct GilCell<T>(RefCell<T>);

// SAFETY: the cell is only reached through `borrow_mut`, which needs a
// `Python` token (the GIL held, see the module doc), and `for_gc`, which
// needs a `PyVisit` (the garbage collector runs with the GIL held). So no
// two threads touch it at once, and the GIL's release and acquisition order
// one thread's changes before the next one's reads.
unsafe impl<T: Send> Sync for GilCell<T> {}

impl<T> GilCell<T> {
    pub const fn new(value: T) -> Self {
        GilCell(RefCell::new(value))
    }

    /// The value, for as long as no Python code runs.
    pub fn borrow_mut<'a>(&'a self, _py: Python<'a>) -> PyResult<RefMut<'a, T>> {
        self.0
            .try_borrow_mut()
            .map_err(|_| PyRuntimeError::new_err("re-entered while busy (a bug in apscheduler_rs)"))
    }

    /// The value while the garbage collector visits (`None` if a borrow is
    /// in progress, which then has nothing to report).
    pub fn for_gc<'a>(&'a self, _visit: &PyVisit<'_>) -> Option<RefMut<'a, T>> {
        self.0.try_borrow_mut().ok()
    }
}

/// Refuse to run on an interpreter without a GIL (see the module doc).
pub fn require_gil(py: Python<'_>) -> PyResult<()> {
    let sys = py.import("sys")?;
    if let Ok(enabled) = sys.getattr("_is_gil_enabled") {
        if !enabled.call0()?.is_truthy()? {
            return Err(pyo3::exceptions::PyImportError::new_err(
                "apscheduler_rs needs the GIL: run it on a Python build with the GIL \
                 (or with PYTHON_GIL=1)",
            ));
        }
    }
    Ok(())
}
