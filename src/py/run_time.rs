//! A job's next run time kept as an instant: a datetime that one of our
//! triggers made (or would make) from its instant, so that it can be rebuilt
//! exactly when read instead of being kept as a Python object.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use super::calendarinterval::PyCalendarIntervalTrigger;
use super::cron::PyCronTrigger;
use super::date::PyDateTrigger;
use super::datetime::Bridge;
use super::interval::PyIntervalTrigger;

/// The instant `dt` can be kept as, for a job whose trigger is `trigger`;
/// `None` when only the object itself will do (another tzinfo object, a
/// subclass, a wall time its instant does not map back to, a trigger of
/// someone else's).
pub fn compact(trigger: &Bound<'_, PyAny>, dt: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if let Some(instant) = with_bridge(trigger, |bridge| bridge.exact_instant(dt)) {
        return instant;
    }
    if let Ok(date) = trigger.cast::<PyDateTrigger>() {
        if let Ok(date) = date.try_borrow() {
            if dt.is(date.run_date_object()) {
                return Ok(Some(date.run_date_instant()?));
            }
        }
    }
    Ok(None)
}

/// The datetime kept as `at` for a job whose trigger is `trigger`.
pub fn rebuild<'py>(trigger: &Bound<'py, PyAny>, at: i64) -> PyResult<Bound<'py, PyAny>> {
    let py = trigger.py();
    if let Some(made) = with_bridge(trigger, |bridge| bridge.instant_to_new_py(py, at)) {
        return made;
    }
    if let Ok(date) = trigger.cast::<PyDateTrigger>() {
        return Ok(date
            .try_borrow()?
            .run_date_object()
            .clone_ref(py)
            .into_bound(py));
    }
    Err(PyRuntimeError::new_err(
        "a next run time kept as an instant lost its trigger",
    ))
}

/// `f` on the trigger's bridge, if it is one of ours that has one.
fn with_bridge<T>(trigger: &Bound<'_, PyAny>, f: impl FnOnce(&Bridge) -> T) -> Option<T> {
    if let Ok(interval) = trigger.cast::<PyIntervalTrigger>() {
        return interval.try_borrow().ok().map(|t| f(t.bridge()));
    }
    if let Ok(cron) = trigger.cast::<PyCronTrigger>() {
        return cron.try_borrow().ok().map(|t| f(t.bridge()));
    }
    if let Ok(calendar) = trigger.cast::<PyCalendarIntervalTrigger>() {
        return calendar.try_borrow().ok().map(|t| f(t.bridge()));
    }
    None
}
