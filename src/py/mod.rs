//! PyO3 bindings: the `apscheduler_rs._core` extension module. Thin wrappers;
//! the logic lives in the Python-free modules of the crate.

mod cron;
mod datetime;
mod errors;
mod pyfuncs;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<cron::PyCronTrigger>()?;
    m.add_function(wrap_pyfunction!(cron::parse_cron_field, m)?)?;
    Ok(())
}
