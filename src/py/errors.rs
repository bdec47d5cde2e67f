//! The one place where core errors become Python exceptions.

use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::PyErr;

use crate::error::Error;

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        match err {
            Error::Value(msg) => PyValueError::new_err(msg),
            Error::Type(msg) => PyTypeError::new_err(msg),
            Error::Overflow(msg) => PyOverflowError::new_err(msg),
            Error::Runtime(msg) => PyRuntimeError::new_err(msg),
            Error::BrokenPool(msg) => broken_thread_pool(msg),
            Error::ConflictingId(id) => store_error("ConflictingIdError", id),
            Error::JobLookup(id) => store_error("JobLookupError", id),
            Error::Foreign(inner) => match inner.downcast::<PyErr>() {
                Ok(py_err) => *py_err,
                Err(other) => PyRuntimeError::new_err(other.to_string()),
            },
        }
    }
}

/// Carry a Python exception through core code that knows nothing of Python.
pub fn foreign(err: PyErr) -> Error {
    Error::Foreign(Box::new(err))
}

/// One of `apscheduler_rs.jobstores.base`'s exceptions, built with the job id.
fn store_error(class: &str, job_id: String) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("apscheduler_rs.jobstores.base")
            .and_then(|module| module.getattr(class))
            .and_then(|cls| cls.call1((job_id.as_str(),)));
        match made {
            Ok(exc) => PyErr::from_value(exc),
            Err(err) => err,
        }
    })
}

/// `concurrent.futures.thread.BrokenThreadPool(msg)`, what a broken thread pool raises.
fn broken_thread_pool(msg: String) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("concurrent.futures.thread")
            .and_then(|module| module.getattr("BrokenThreadPool"))
            .and_then(|cls| cls.call1((msg.as_str(),)));
        match made {
            Ok(exc) => PyErr::from_value(exc),
            Err(err) => err,
        }
    })
}
