//! Pieces the trigger bindings share: optional Python values and the parts of
//! `repr()` that cron and interval triggers write alike.

use pyo3::prelude::*;

use super::pyfuncs::datetime_repr;
use crate::triggers::cron::parser::py_repr;

/// An argument whose absence differs from any value it can be given, `None`
/// included (use `Passed::Omitted` as its default in the signature).
pub enum Passed<'py> {
    Omitted,
    Given(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Passed<'py> {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Passed::Given(obj.to_owned()))
    }
}

/// A new reference to an optional stored object (getter bodies).
pub fn clone_opt(py: Python<'_>, value: &Option<Py<PyAny>>) -> Option<Py<PyAny>> {
    value.as_ref().map(|v| v.clone_ref(py))
}

/// An optional argument with `None` meaning "not given".
pub fn given(value: Option<Bound<'_, PyAny>>) -> Option<Py<PyAny>> {
    value.filter(|v| !v.is_none()).map(Bound::unbind)
}

/// `start_date='…'`, `end_date='…'` and `jitter=…` as APScheduler's reprs show
/// them: each only when set (jitter only when truthy).
pub fn date_and_jitter_options(
    py: Python<'_>,
    start_date: Option<&Py<PyAny>>,
    end_date: Option<&Py<PyAny>>,
    jitter: Option<&Py<PyAny>>,
) -> PyResult<Vec<String>> {
    let mut options = Vec::new();
    for (name, date) in [("start_date", start_date), ("end_date", end_date)] {
        if let Some(date) = date {
            let text = datetime_repr(py, Some(date))?;
            options.push(format!("{name}={}", py_repr(&text)));
        }
    }
    if let Some(jitter) = jitter.map(|j| j.bind(py)) {
        if jitter.is_truthy()? {
            options.push(format!("jitter={}", jitter.str()?));
        }
    }
    Ok(options)
}

/// `<ClassName (options, timezone='…')>`
pub fn trigger_repr(
    class: &Bound<'_, PyAny>,
    options: &[String],
    timezone: &Bound<'_, PyAny>,
) -> PyResult<String> {
    Ok(format!(
        "<{} ({}, timezone='{}')>",
        class.getattr("__name__")?,
        options.join(", "),
        timezone.str()?
    ))
}

/// The TypeError Python raises for a keyword argument the constructor lacks,
/// naming the public class's `__init__` as APScheduler's message does (the
/// Rust constructor would otherwise be named).
pub fn reject_unexpected_keywords(
    public_name: &str,
    unexpected: Option<&Bound<'_, pyo3::types::PyDict>>,
) -> PyResult<()> {
    if let Some(extra) = unexpected {
        if let Some((key, _)) = extra.iter().next() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{public_name}.__init__() got an unexpected keyword argument '{key}'"
            )));
        }
    }
    Ok(())
}
