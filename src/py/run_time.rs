//! A job's next run time kept as an instant: a datetime that one of our
//! triggers made (or would make) from its instant, so that it can be rebuilt
//! exactly when read instead of being kept as a Python object.

use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;

use super::pyfuncs::cached;

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

/// `trigger.get_next_fire_time(previous, now)`: for our public trigger classes
/// (not subclasses, which may override it) without the Python call.
pub fn next_fire_time<'py>(
    trigger: &Bound<'py, PyAny>,
    previous: Option<&Bound<'py, PyAny>>,
    now: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = trigger.py();
    let class = trigger.get_type();
    let name = intern!(py, "get_next_fire_time");
    // the public class as defined here, its method not replaced (by a test, say)
    let ours = |public: &Bound<'py, PyAny>, core: &Bound<'py, PyAny>| -> PyResult<bool> {
        Ok(class.is(public) && class.getattr(name)?.is(core.getattr(name)?))
    };
    let core = |class: Bound<'py, pyo3::types::PyType>| class.into_any();
    if ours(
        cached!(py, "apscheduler_rs.triggers.interval", "IntervalTrigger")?,
        &core(py.get_type::<PyIntervalTrigger>()),
    )? {
        if let Ok(interval) = trigger.cast::<PyIntervalTrigger>()?.try_borrow() {
            return interval.get_next_fire_time(py, previous, now);
        }
    } else if ours(
        cached!(py, "apscheduler_rs.triggers.date", "DateTrigger")?,
        &core(py.get_type::<PyDateTrigger>()),
    )? {
        if let Ok(date) = trigger.cast::<PyDateTrigger>()?.try_borrow() {
            return Ok(date.get_next_fire_time(py, previous, now).into_bound(py));
        }
    } else if ours(
        cached!(py, "apscheduler_rs.triggers.cron", "CronTrigger")?,
        &core(py.get_type::<PyCronTrigger>()),
    )? {
        if let Ok(cron) = trigger.cast::<PyCronTrigger>()?.try_borrow() {
            return cron.get_next_fire_time(py, previous, now);
        }
    } else if ours(
        cached!(
            py,
            "apscheduler_rs.triggers.calendarinterval",
            "CalendarIntervalTrigger"
        )?,
        &core(py.get_type::<PyCalendarIntervalTrigger>()),
    )? {
        if let Ok(calendar) = trigger.cast::<PyCalendarIntervalTrigger>()?.try_borrow() {
            return calendar.get_next_fire_time(py, previous, now);
        }
    }
    trigger.call_method1(name, (previous, now))
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
