//! `DateTriggerCore`: the Rust base of `apscheduler_rs.triggers.date.DateTrigger`.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::common::reject_unexpected_keywords;
use super::datetime::to_zoned;
use super::pyfuncs::{cached, convert_to_datetime, datetime_repr, local_zone};
use crate::triggers::date::DateTrigger;

#[pyclass(subclass, module = "apscheduler_rs._core", name = "DateTriggerCore")]
pub struct PyDateTrigger {
    core: DateTrigger,
    run_date: Py<PyAny>,
}

impl PyDateTrigger {
    /// A trigger `__setstate__` (or `_restore`) is to fill in: no run date.
    fn blank(py: Python<'_>) -> PyResult<Self> {
        let epoch = crate::time::ZonedDateTime::from_utc(0, &crate::time::Zone::utc())?;
        Ok(PyDateTrigger {
            core: DateTrigger { run_date: epoch },
            run_date: py.None(),
        })
    }

    /// `datetime.now(local zone)`: the default run date.
    fn now_local(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        cached!(py, "datetime", "datetime")?.call_method1(intern!(py, "now"), (local_zone(py)?,))
    }

    pub(crate) fn run_date_object(&self) -> &Py<PyAny> {
        &self.run_date
    }

    pub(crate) fn run_date_instant(&self) -> PyResult<i64> {
        Ok(self.core.run_date.utc_micros()?)
    }

    fn build(run_date: Bound<'_, PyAny>) -> PyResult<Self> {
        let value = to_zoned(&run_date, None)?;
        Ok(PyDateTrigger {
            core: DateTrigger { run_date: value },
            run_date: run_date.unbind(),
        })
    }
}

#[pymethods]
impl PyDateTrigger {
    #[new]
    #[pyo3(signature = (run_date=None, timezone=None, **unexpected))]
    #[pyo3(text_signature = "(run_date=None, timezone=None)")]
    fn new<'py>(
        py: Python<'py>,
        run_date: Option<Bound<'py, PyAny>>,
        timezone: Option<Bound<'py, PyAny>>,
        unexpected: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        reject_unexpected_keywords("DateTrigger", unexpected)?;
        if run_date.as_ref().is_none_or(|r| r.is_none())
            && timezone.as_ref().is_none_or(|t| t.is_none())
        {
            // `__new__` without arguments, as unpickling calls it before
            // `__setstate__`: nothing is computed; a call with no arguments
            // makes the default trigger (now) in `__init__`
            return Self::blank(py);
        }
        // An aware datetime is used as given whatever the zone; with no zone (or
        // a ZoneInfo, which `astimezone` accepts unchanged) there is nothing to
        // check either, so skip the Python helpers.
        if let Some(run_date) = &run_date {
            let simple_zone = match &timezone {
                None => true,
                Some(tz) => tz.is_none() || tz.get_type().is(cached!(py, "zoneinfo", "ZoneInfo")?),
            };
            if simple_zone
                && run_date.get_type().is(cached!(py, "datetime", "datetime")?)
                && !run_date.getattr(intern!(py, "tzinfo"))?.is_none()
            {
                return Self::build(run_date.clone());
            }
        }
        let astimezone = cached!(py, "apscheduler_rs.util", "astimezone")?;
        let tz = astimezone.call1((timezone,))?;
        let tz = if tz.is_truthy()? { tz } else { local_zone(py)? };
        let run_date = match convert_to_datetime(py, run_date.as_ref(), &tz, "run_date")? {
            Some(d) => d,
            None => {
                cached!(py, "datetime", "datetime")?.call_method1(intern!(py, "now"), (&tz,))?
            }
        };
        Self::build(run_date)
    }

    /// Make the default trigger of a call without arguments (now, in the local
    /// zone), which `__new__` left blank.
    #[pyo3(signature = (*_args, **_kwargs))]
    fn __init__(
        &mut self,
        py: Python<'_>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        if self.run_date.is_none(py) {
            *self = Self::new(py, Some(Self::now_local(py)?), None, None)?;
        }
        Ok(())
    }

    #[pyo3(signature = (previous_fire_time, now))]
    pub(crate) fn get_next_fire_time(
        &self,
        py: Python<'_>,
        previous_fire_time: Option<&Bound<'_, PyAny>>,
        now: &Bound<'_, PyAny>,
    ) -> Py<PyAny> {
        let _ = now;
        match previous_fire_time {
            None => self.run_date.clone_ref(py),
            Some(_) => py.None(),
        }
    }

    /// The run date as the core sees it (instant in microseconds), for tests.
    #[pyo3(name = "_run_date_micros")]
    fn run_date_micros(&self) -> PyResult<i64> {
        Ok(self.core.run_date.utc_micros()?)
    }

    #[pyo3(name = "_restore")]
    fn restore(&mut self, run_date: Bound<'_, PyAny>) -> PyResult<()> {
        *self = Self::build(run_date)?;
        Ok(())
    }

    #[getter]
    fn run_date(&self, py: Python<'_>) -> Py<PyAny> {
        self.run_date.clone_ref(py)
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "date[{}]",
            datetime_repr(py, Some(&self.run_date))?
        ))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        Ok(format!(
            "<{} (run_date='{}')>",
            slf.get_type().name()?,
            datetime_repr(py, Some(&slf.borrow().run_date))?
        ))
    }
}
