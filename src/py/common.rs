//! Pieces the bindings share: optional Python values, the parts of `repr()`
//! that cron and interval triggers write alike, and making an object of one
//! of our classes without `__init__`.

use pyo3::prelude::*;

use super::pyfuncs::datetime_repr;
use crate::triggers::cron::parser::py_repr;

/// `class.__new__(class)` as `type.__call__` would call it, without calling
/// `__init__`: an object of one of our classes (or a subclass) that its
/// `tp_new` makes from no arguments.
pub fn new_without_init<'py>(
    class: &Bound<'py, pyo3::types::PyType>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = class.py();
    // SAFETY: `class` is a live type object; its tp_new slot, when set, is
    // called as `type.__call__` calls it, and returns a new reference or NULL
    // with an error set.
    unsafe {
        let new = pyo3::ffi::PyType_GetSlot(class.as_type_ptr(), pyo3::ffi::Py_tp_new);
        if new.is_null() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "cannot create '{}' instances",
                class.name()?
            )));
        }
        let new: pyo3::ffi::newfunc = std::mem::transmute(new);
        let args = pyo3::types::PyTuple::empty(py);
        Bound::from_owned_ptr_or_err(
            py,
            new(class.as_type_ptr(), args.as_ptr(), std::ptr::null_mut()),
        )
    }
}

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

/// The `AttributeError` of reading an unset attribute `name` of `obj`, worded
/// as Python words it for an instance attribute.
pub fn no_attribute(obj: &Bound<'_, PyAny>, name: &str) -> PyErr {
    let class = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned());
    pyo3::exceptions::PyAttributeError::new_err(format!(
        "'{class}' object has no attribute '{name}'"
    ))
}
