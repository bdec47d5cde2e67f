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
pub struct LoggerDicts([Py<PyAny>; 3]);

impl LoggerDicts {
    /// The dicts of `logger` if it is a plain `logging.Logger` with a
    /// `_cache` dict, else `None`.
    pub fn of(logger: &Bound<'_, PyAny>) -> PyResult<Option<Self>> {
        let py = logger.py();
        if !logger.get_type().is(cached!(py, "logging", "Logger")?) {
            return Ok(None);
        }
        let dict = logger.getattr(intern!(py, "__dict__"))?;
        match dict.get_item(intern!(py, "_cache")) {
            Ok(cache) if cache.is_exact_instance_of::<PyDict>() => Ok(Some(LoggerDicts([
                logger.clone().unbind(),
                dict.unbind(),
                cache.unbind(),
            ]))),
            _ => Ok(None),
        }
    }

    pub fn logger<'a, 'py>(&'a self, py: Python<'py>) -> &'a Bound<'py, PyAny> {
        self.0[0].bind(py)
    }

    pub fn is_of(&self, logger: &Bound<'_, PyAny>) -> bool {
        self.0[0].is(logger)
    }

    pub fn clone_ref(&self, py: Python<'_>) -> Self {
        LoggerDicts(self.0.each_ref().map(|object| object.clone_ref(py)))
    }

    /// `isEnabledFor(INFO)` as the logger has it cached, if it has.
    fn cached_info(&self, py: Python<'_>) -> PyResult<Option<bool>> {
        let [_, dict, cache] = &self.0;
        let Some(disabled) = dict
            .bind(py)
            .cast::<PyDict>()?
            .get_item(intern!(py, "disabled"))?
        else {
            return Ok(None);
        };
        if disabled.is_truthy()? {
            return Ok(Some(false));
        }
        let info = INFO_LEVEL.get_or_init(py, || {
            INFO.into_pyobject(py)
                .map_or_else(|_| py.None(), |n| n.into_any().unbind())
        });
        match cache.bind(py).cast::<PyDict>()?.get_item(info)? {
            Some(known) => known.is_truthy().map(Some),
            None => Ok(None),
        }
    }

    pub fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        for object in &self.0 {
            visit.call(object)?;
        }
        Ok(())
    }
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
