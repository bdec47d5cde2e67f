//! Python helpers the bindings call: cached lookups of module attributes, the
//! time-zone and date-argument rules shared by triggers, and jitter drawn from
//! Python's `random` (so `random.seed()` makes jitter as reproducible as in
//! APScheduler).

use pyo3::intern;
use pyo3::prelude::*;

/// A module attribute, imported once per interpreter.
macro_rules! cached_attr {
    ($py:expr, $module:literal, $name:literal) => {{
        static CELL: pyo3::sync::PyOnceLock<pyo3::Py<pyo3::PyAny>> = pyo3::sync::PyOnceLock::new();
        CELL.import($py, $module, $name)
    }};
}

pub(crate) use cached_attr as cached;

/// The time zone of a trigger, chosen as APScheduler does: the `timezone`
/// argument, else the tzinfo of an aware start or end date, else the local zone.
pub fn resolve_timezone<'py>(
    py: Python<'py>,
    timezone: Option<&Bound<'py, PyAny>>,
    dates: &[Option<&Bound<'py, PyAny>>],
) -> PyResult<Bound<'py, PyAny>> {
    let astimezone = cached!(py, "apscheduler_rs.util", "astimezone")?;
    if let Some(tz) = timezone {
        // A ZoneInfo is what `astimezone` would return anyway, and so is a
        // `datetime.timezone` unless it calls itself "local" (refused there).
        let ty = tz.get_type();
        if ty.is(cached!(py, "zoneinfo", "ZoneInfo")?) || tz.is(super::datetime::utc(py)?) {
            return Ok(tz.clone());
        }
        if ty.is(cached!(py, "datetime", "timezone")?)
            && tz
                .call_method1(intern!(py, "tzname"), (py.None(),))?
                .ne("local")?
        {
            return Ok(tz.clone());
        }
        if tz.is_truthy()? {
            return astimezone.call1((tz,));
        }
    }
    let datetime_type = cached!(py, "datetime", "datetime")?;
    for date in dates.iter().flatten() {
        if date.is_instance(datetime_type)? {
            let tzinfo = date.getattr(intern!(py, "tzinfo"))?;
            if tzinfo.is_truthy()? {
                return astimezone.call1((tzinfo,));
            }
        }
    }
    local_zone(py)
}

pub fn local_zone(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    cached!(py, "tzlocal", "get_localzone")?.call0()
}

/// `convert_to_datetime(value, tz, arg_name)` from `apscheduler_rs.util`.
pub fn convert_to_datetime<'py>(
    py: Python<'py>,
    value: Option<&Bound<'py, PyAny>>,
    tz: &Bound<'py, PyAny>,
    arg_name: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        // An aware datetime is returned as given.
        Some(v)
            if v.get_type().is(cached!(py, "datetime", "datetime")?)
                && !v.getattr(intern!(py, "tzinfo"))?.is_none() =>
        {
            Ok(Some(v.clone()))
        }
        Some(v) => Ok(Some(
            cached!(py, "apscheduler_rs.util", "convert_to_datetime")?.call1((v, tz, arg_name))?,
        )),
    }
}

/// `datetime_repr` from `apscheduler_rs.util`, for `repr()` of triggers.
pub fn datetime_repr(py: Python<'_>, value: Option<&Py<PyAny>>) -> PyResult<String> {
    let none = py.None();
    let arg = value.unwrap_or(&none);
    cached!(py, "apscheduler_rs.util", "datetime_repr")?
        .call1((arg,))?
        .extract()
}

/// A jitter in microseconds, or `None` when jitter is off (`None` or 0).
pub fn draw_jitter_seconds(py: Python<'_>, jitter: Option<&Py<PyAny>>) -> PyResult<Option<f64>> {
    let Some(jitter) = jitter else {
        return Ok(None);
    };
    let jitter = jitter.bind(py);
    if !jitter.is_truthy()? {
        return Ok(None);
    }
    let uniform = cached!(py, "random", "uniform")?;
    Ok(Some(uniform.call1((0, jitter))?.extract()?))
}
