//! The crate's one error type and its one mapping to Python exceptions.

use std::fmt;

/// Everything that can go wrong in the core. Each variant names the Python
/// exception class APScheduler 3 raises in the same situation.
#[derive(Debug)]
pub enum Error {
    /// Bad value (`ValueError`): unparsable expressions, out-of-range fields.
    Value(String),
    /// Wrong type (`TypeError`).
    Type(String),
    /// A job id already in use (`apscheduler.jobstores.base.ConflictingIdError`).
    ConflictingId(String),
    /// No job with this id (`apscheduler.jobstores.base.JobLookupError`).
    JobLookup(String),
    /// Date arithmetic left the range Python's `datetime` can hold (`OverflowError`).
    Overflow(String),
    /// An operation the object's state forbids (`RuntimeError`): work submitted to
    /// a pool that was shut down, a worker joining itself.
    Runtime(String),
    /// A worker pool that can no longer run work because a worker failed to start
    /// (`concurrent.futures.thread.BrokenThreadPool`).
    BrokenPool(String),
    /// An error raised by code outside the core that the core called back into
    /// (a Python tzinfo); the bindings restore the original exception.
    Foreign(Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn value(msg: impl Into<String>) -> Self {
        Error::Value(msg.into())
    }

    pub fn overflow() -> Self {
        Error::Overflow("date value out of range".to_owned())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Value(m)
            | Error::Type(m)
            | Error::Overflow(m)
            | Error::Runtime(m)
            | Error::BrokenPool(m) => f.write_str(m),
            Error::ConflictingId(id) => {
                write!(f, "Job identifier ({id}) conflicts with an existing job")
            }
            Error::JobLookup(id) => write!(f, "No job by the id of {id} was found"),
            Error::Foreign(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}
