//! Whether a logger logs INFO, answered without a Python call when it can be.
//!
//! A plain `logging.Logger` caches `isEnabledFor` answers in its `_cache` dict,
//! which logging clears in place whenever a level (or `logging.disable`)
//! changes; its `disabled` flag is checked first, as `isEnabledFor` does. The
//! logger's dicts are remembered by the caller ([`LoggerDicts`], kept in a
//! [`LevelCache`] or elsewhere), so a check is two dict lookups. Anything else
//! (a subclass, no cached answer yet) gets the call.

use parking_lot::Mutex;
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::PyTraverseError;

use super::pyfuncs::cached;

pub const INFO: i64 = 20;

/// INFO as a Python int, made once (the level cache's key).
static INFO_LEVEL: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

/// A plain `logging.Logger`, its `__dict__` and its `_cache`.
pub struct LoggerDicts {
    logger: Py<PyAny>,
    dict: Py<PyDict>,
    cache: Py<PyDict>,
}

impl LoggerDicts {
    /// The dicts of `logger` if it is a plain `logging.Logger` with a
    /// `_cache` dict, else `None`.
    pub fn of(logger: &Bound<'_, PyAny>) -> PyResult<Option<Self>> {
        let py = logger.py();
        if !logger.get_type().is(cached!(py, "logging", "Logger")?) {
            return Ok(None);
        }
        let Ok(dict) = logger
            .getattr(intern!(py, "__dict__"))?
            .cast_into::<PyDict>()
        else {
            return Ok(None);
        };
        match dict.get_item(intern!(py, "_cache"))? {
            Some(cache) if cache.is_exact_instance_of::<PyDict>() => Ok(Some(LoggerDicts {
                logger: logger.clone().unbind(),
                dict: dict.unbind(),
                cache: cache.cast_into::<PyDict>()?.unbind(),
            })),
            _ => Ok(None),
        }
    }

    pub fn logger<'a, 'py>(&'a self, py: Python<'py>) -> &'a Bound<'py, PyAny> {
        self.logger.bind(py)
    }

    pub fn is_of(&self, logger: &Bound<'_, PyAny>) -> bool {
        self.logger.is(logger)
    }

    pub fn clone_ref(&self, py: Python<'_>) -> Self {
        LoggerDicts {
            logger: self.logger.clone_ref(py),
            dict: self.dict.clone_ref(py),
            cache: self.cache.clone_ref(py),
        }
    }

    /// `isEnabledFor(INFO)` as the logger has it cached, if it has.
    fn cached_info(&self, py: Python<'_>) -> PyResult<Option<bool>> {
        match truth_of_item(self.dict.bind(py), intern!(py, "disabled"))? {
            None => return Ok(None),
            Some(true) => return Ok(Some(false)),
            Some(false) => {}
        }
        let info = INFO_LEVEL.get_or_init(py, || {
            INFO.into_pyobject(py)
                .map_or_else(|_| py.None(), |n| n.into_any().unbind())
        });
        truth_of_item(self.cache.bind(py), info.bind(py))
    }

    pub fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.logger)?;
        visit.call(&self.dict)?;
        visit.call(&self.cache)
    }
}

/// Whether `dict[key]` is true (`None` if it is missing). `True` and `False`
/// themselves, what logging stores, are told apart by address, without
/// taking a reference to the value or calling its `__bool__`.
fn truth_of_item(dict: &Bound<'_, PyDict>, key: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
    let py = dict.py();
    // SAFETY: live objects; the result is borrowed from the dict, and only
    // compared by address before any Python code could run.
    let value = unsafe { pyo3::ffi::PyDict_GetItemWithError(dict.as_ptr(), key.as_ptr()) };
    if value.is_null() {
        return match PyErr::take(py) {
            Some(err) => Err(err),
            None => Ok(None),
        };
    }
    // SAFETY: the addresses of the two bool singletons.
    let (yes, no) = unsafe { (pyo3::ffi::Py_True(), pyo3::ffi::Py_False()) };
    if value == yes || value == no {
        return Ok(Some(value == yes));
    }
    // SAFETY: still borrowed from the dict (nothing ran since the lookup);
    // owned from here on, as `__bool__` may run Python code.
    let value = unsafe { Bound::from_borrowed_ptr(py, value) };
    value.is_truthy().map(Some)
}

/// `logger.isEnabledFor(INFO)`, read from `dicts` (the logger's, if given)
/// when they hold the answer.
pub fn logs_info(logger: &Bound<'_, PyAny>, dicts: Option<&LoggerDicts>) -> PyResult<bool> {
    let py = logger.py();
    if let Some(known) = dicts {
        if let Some(answer) = known.cached_info(py)? {
            return Ok(answer);
        }
    }
    logger
        .call_method1(intern!(py, "isEnabledFor"), (INFO,))?
        .is_truthy()
}

/// The dicts of the logger last looked at.
#[derive(Default)]
pub struct LevelCache(Mutex<Option<LoggerDicts>>);

impl LevelCache {
    pub const fn new() -> Self {
        LevelCache(Mutex::new(None))
    }

    /// `logger.isEnabledFor(INFO)`.
    pub fn logs_info(&self, logger: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = logger.py();
        let seen = self
            .0
            .lock()
            .as_ref()
            .filter(|known| known.is_of(logger))
            .map(|known| known.clone_ref(py));
        let dicts = match seen {
            Some(dicts) => Some(dicts),
            None => {
                let found = LoggerDicts::of(logger)?;
                if let Some(dicts) = &found {
                    let replaced = self.0.lock().replace(dicts.clone_ref(py));
                    drop(replaced);
                }
                found
            }
        };
        logs_info(logger, dicts.as_ref())
    }
}
