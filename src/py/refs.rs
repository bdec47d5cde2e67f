//! `module:attr.path` references (`util.obj_to_ref`'s) resolved without an
//! import when none is needed: what restoring a stored job does once per job.
//!
//! `util.ref_to_obj` is the whole function (imports, and APScheduler's
//! `LookupError`s); it asks [`imported_ref`] first, and so does restoring a
//! job in Rust, which saves the Python call too.

use pyo3::exceptions::PyAttributeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyString, PyTuple};

/// The object `reference` names, if it needs no import: its module is in
/// `sys.modules`, is a plain module (a package's attribute path may name a
/// submodule to import) that is not still being imported (`__import__` would
/// wait for it), and each attribute of the path is there. `None` otherwise,
/// and for anything malformed: `ref_to_obj` then does the import and words
/// the error.
pub fn imported_ref<'py>(reference: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = reference.py();
    let Ok(text) = reference.cast::<PyString>() else {
        return Ok(None);
    };
    let Some((module_name, path)) = text.to_str()?.split_once(':') else {
        return Ok(None);
    };
    // SAFETY: the interpreter's module dict (what the import system reads),
    // borrowed; a new reference is taken at once.
    let modules = unsafe { Bound::from_borrowed_ptr(py, pyo3::ffi::PyImport_GetModuleDict()) };
    let Ok(modules) = modules.cast_into::<PyDict>() else {
        return Ok(None);
    };
    let Some(module) = modules.get_item(module_name)? else {
        return Ok(None);
    };
    let Ok(module) = module.cast_into_exact::<PyModule>() else {
        return Ok(None);
    };
    let namespace = module.dict();
    if namespace.contains(intern!(py, "__path__"))? {
        return Ok(None);
    }
    if let Some(spec) = namespace.get_item(intern!(py, "__spec__"))? {
        if !spec.is_none() {
            match spec.getattr(intern!(py, "_initializing")) {
                Ok(initializing) if initializing.is_truthy()? => return Ok(None),
                Ok(_) => {}
                // a spec without the flag: not being imported
                Err(err) if err.is_instance_of::<PyAttributeError>(py) => {}
                Err(_) => return Ok(None),
            }
        }
    }
    let mut target = module.into_any();
    for name in path.split('.') {
        match target.getattr(name) {
            Ok(found) => target = found,
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(target))
}

/// [`imported_ref`] for `util.ref_to_obj`: `(obj,)`, or `None` when the
/// reference needs the import (or an error) there.
#[pyfunction]
pub fn resolve_imported_ref<'py>(
    reference: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    match imported_ref(reference)? {
        Some(found) => Ok(Some(PyTuple::new(reference.py(), [found])?)),
        None => Ok(None),
    }
}
