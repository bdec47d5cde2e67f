//! Whether a logger logs INFO, answered without a Python call when it can be.
//!
//! A plain `logging.Logger` caches `isEnabledFor` answers in its `_cache` dict,
//! which logging clears in place whenever a level (or `logging.disable`)
//! changes; its `disabled` flag is checked first, as `isEnabledFor` does. The
//! logger's dicts are remembered in a [`LevelCache`] by the caller, so a check
//! is two dict lookups. Anything else (a subclass, no cached answer yet) gets
//! the call.

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

/// A logger and its `__dict__` and `_cache`, as last looked at.
#[derive(Default)]
pub struct LevelCache(Mutex<Option<[Py<PyAny>; 3]>>);

impl LevelCache {
    pub const fn new() -> Self {
        LevelCache(Mutex::new(None))
    }

    /// `logger.isEnabledFor(INFO)`.
    pub fn logs_info(&self, logger: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = logger.py();
        if let Some((dict, cache)) = self.dicts(logger)? {
            let dict = dict.bind(py).cast::<PyDict>()?;
            if let Some(disabled) = dict.get_item(intern!(py, "disabled"))? {
                if disabled.is_truthy()? {
                    return Ok(false);
                }
                let info = INFO_LEVEL.get_or_init(py, || {
                    INFO.into_pyobject(py)
                        .map_or_else(|_| py.None(), |n| n.into_any().unbind())
                });
                if let Some(known) = cache.bind(py).cast::<PyDict>()?.get_item(info)? {
                    return known.is_truthy();
                }
            }
        }
        logger
            .call_method1(intern!(py, "isEnabledFor"), (INFO,))?
            .is_truthy()
    }

    /// The dicts of a plain `logging.Logger` (remembered), else `None`.
    fn dicts(&self, logger: &Bound<'_, PyAny>) -> PyResult<Option<(Py<PyAny>, Py<PyAny>)>> {
        let py = logger.py();
        let seen = self
            .0
            .lock()
            .as_ref()
            .filter(|[known, _, _]| known.is(logger))
            .map(|[_, dict, cache]| (dict.clone_ref(py), cache.clone_ref(py)));
        if seen.is_some() {
            return Ok(seen);
        }
        if !logger.get_type().is(cached!(py, "logging", "Logger")?) {
            return Ok(None);
        }
        let dict = logger.getattr(intern!(py, "__dict__"))?;
        match dict.get_item(intern!(py, "_cache")) {
            Ok(cache) if cache.is_exact_instance_of::<PyDict>() => {
                let remembered = [
                    logger.clone().unbind(),
                    dict.clone().unbind(),
                    cache.clone().unbind(),
                ];
                let replaced = self.0.lock().replace(remembered);
                drop(replaced);
                Ok(Some((dict.unbind(), cache.unbind())))
            }
            _ => Ok(None),
        }
    }

    pub fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(seen) = self.0.try_lock() {
            for object in seen.iter().flatten() {
                visit.call(object)?;
            }
        }
        Ok(())
    }

    pub fn clear(&self) {
        let cleared = self.0.try_lock().and_then(|mut seen| seen.take());
        drop(cleared);
    }
}
