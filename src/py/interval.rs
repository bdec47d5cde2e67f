//! `IntervalTriggerCore`: the Rust base of `apscheduler_rs.triggers.interval.IntervalTrigger`.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::common::{
    clone_opt, date_and_jitter_options, given, reject_unexpected_keywords, trigger_repr,
};
use super::cron::convert_bounds;
use super::datetime::{timedelta_micros, Bridge};
use super::pyfuncs::{cached, convert_to_datetime, resolve_timezone};
use crate::triggers::interval::IntervalTrigger;

#[pyclass(
    subclass,
    module = "apscheduler_rs._core",
    name = "IntervalTriggerCore"
)]
pub struct PyIntervalTrigger {
    core: IntervalTrigger,
    bridge: Bridge,
    interval: Py<PyAny>,
    /// As APScheduler has it: `total_seconds()`, or the int 1 for an all-zero
    /// interval given to the constructor.
    interval_length: Py<PyAny>,
    start_date: Py<PyAny>,
    end_date: Option<Py<PyAny>>,
    jitter: Option<Py<PyAny>>,
}

impl PyIntervalTrigger {
    fn build(
        tz: &Bound<'_, PyAny>,
        interval: &Bound<'_, PyAny>,
        start: Bound<'_, PyAny>,
        end: Option<Bound<'_, PyAny>>,
        jitter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let py = tz.py();
        let bridge = Bridge::new(tz)?;
        let bounds = convert_bounds(&bridge, Some(start), end)?;
        let (start_obj, start_value) = bounds
            .start
            .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("start_date is required"))?;
        let length_obj = interval.call_method0(intern!(py, "total_seconds"))?;
        let interval_length: f64 = length_obj.extract()?;
        Ok(PyIntervalTrigger {
            core: IntervalTrigger::new(
                interval_length,
                bridge.zone.clone(),
                start_value,
                bounds.end.as_ref().map(|(_, v)| v.clone()),
            )?,
            bridge,
            interval: interval.clone().unbind(),
            interval_length: length_obj.unbind(),
            start_date: start_obj,
            end_date: bounds.end.map(|(o, _)| o),
            jitter: jitter.filter(|j| !j.is_none()).map(Bound::unbind),
        })
    }
}

#[pymethods]
impl PyIntervalTrigger {
    #[new]
    #[pyo3(signature = (
        weeks=None, days=None, hours=None, minutes=None, seconds=None, start_date=None, end_date=None,
        timezone=None, jitter=None, **unexpected
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        weeks: Option<Bound<'py, PyAny>>,
        days: Option<Bound<'py, PyAny>>,
        hours: Option<Bound<'py, PyAny>>,
        minutes: Option<Bound<'py, PyAny>>,
        seconds: Option<Bound<'py, PyAny>>,
        start_date: Option<Bound<'py, PyAny>>,
        end_date: Option<Bound<'py, PyAny>>,
        timezone: Option<Bound<'py, PyAny>>,
        jitter: Option<Bound<'py, PyAny>>,
        unexpected: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        reject_unexpected_keywords("IntervalTrigger", unexpected)?;
        let timedelta = cached!(py, "datetime", "timedelta")?;
        // Omitted components are 0 (an explicit None is taken as 0 too).
        let zero = 0i64.into_pyobject(py)?.into_any();
        let part = |v: Option<Bound<'py, PyAny>>| v.unwrap_or_else(|| zero.clone());
        let interval = timedelta.call1((
            part(days),
            part(seconds),
            0,
            0,
            part(minutes),
            part(hours),
            part(weeks),
        ))?;
        let zero = timedelta_micros(&interval)? == 0;
        let interval = if zero {
            timedelta.call1((0, 1))?
        } else {
            interval
        };
        let tz = resolve_timezone(
            py,
            timezone.as_ref(),
            &[start_date.as_ref(), end_date.as_ref()],
        )?;
        let start = match start_date.filter(|s| s.is_truthy().unwrap_or(true)) {
            Some(s) => s,
            None => {
                let now = cached!(py, "datetime", "datetime")?
                    .call_method1(intern!(py, "now"), (&tz,))?;
                now.add(&interval)?
            }
        };
        let start = convert_to_datetime(py, Some(&start), &tz, "start_date")?
            .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("start_date is required"))?;
        let end = convert_to_datetime(py, end_date.as_ref(), &tz, "end_date")?;
        let mut trigger = Self::build(&tz, &interval, start, end, jitter)?;
        if zero {
            trigger.interval_length = 1i64.into_pyobject(py)?.into_any().unbind();
        }
        Ok(trigger)
    }

    #[pyo3(signature = (previous_fire_time, now))]
    fn get_next_fire_time<'py>(
        &self,
        py: Python<'py>,
        previous_fire_time: Option<&Bound<'py, PyAny>>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut timestamp = match previous_fire_time {
            // The scheduler's usual call: only the previous instant matters.
            Some(previous) => self.core.timestamp_after(self.bridge.utc_of(previous)?),
            None => {
                // APScheduler compares start_date with `now` here, which Python
                // refuses for a naive `now`.
                if now.getattr(intern!(py, "tzinfo"))?.is_none() {
                    return Err(pyo3::exceptions::PyTypeError::new_err(
                        "can't compare offset-naive and offset-aware datetimes",
                    ));
                }
                let now = self.bridge.to_core(now)?;
                self.core.next_timestamp(None, &now)?
            }
        };
        // APScheduler draws jitter whenever it is not None, even when it is 0.
        if let Some(jitter) = &self.jitter {
            let uniform = cached!(py, "random", "uniform")?;
            timestamp += uniform.call1((0, jitter.bind(py)))?.extract::<f64>()?;
        }
        match self.core.fire_instant(timestamp)? {
            Some(utc) => self.bridge.instant_to_py(py, utc),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Restore from pickled state (version 2 layout).
    #[pyo3(name = "_restore")]
    fn restore(
        &mut self,
        timezone: &Bound<'_, PyAny>,
        start_date: Bound<'_, PyAny>,
        end_date: Option<Bound<'_, PyAny>>,
        interval: &Bound<'_, PyAny>,
        jitter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let end = end_date.filter(|v| !v.is_none());
        *self = Self::build(timezone, interval, start_date, end, jitter)?;
        Ok(())
    }

    #[getter]
    fn timezone<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.bridge.tz(py).clone()
    }

    #[getter]
    fn interval(&self, py: Python<'_>) -> Py<PyAny> {
        self.interval.clone_ref(py)
    }

    #[getter]
    fn interval_length(&self, py: Python<'_>) -> Py<PyAny> {
        self.interval_length.clone_ref(py)
    }

    #[getter]
    fn start_date(&self, py: Python<'_>) -> Py<PyAny> {
        self.start_date.clone_ref(py)
    }

    #[getter]
    fn end_date(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        clone_opt(py, &self.end_date)
    }

    #[getter]
    fn jitter(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        clone_opt(py, &self.jitter)
    }

    #[setter]
    fn set_jitter(&mut self, value: Option<Bound<'_, PyAny>>) {
        self.jitter = given(value);
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("interval[{}]", self.interval.bind(py).str()?))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let this = slf.borrow();
        let mut options = vec![format!("interval={}", this.interval.bind(py).repr()?)];
        options.extend(date_and_jitter_options(
            py,
            Some(&this.start_date),
            this.end_date.as_ref(),
            this.jitter.as_ref(),
        )?);
        trigger_repr(slf.get_type().as_any(), &options, this.bridge.tz(py))
    }
}
