//! `CalendarIntervalTriggerCore`: the Rust base of
//! `apscheduler_rs.triggers.calendarinterval.CalendarIntervalTrigger`.

use chrono::{NaiveDate, NaiveTime, Timelike};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;

use super::datetime::Bridge;
use super::pyfuncs::{cached, draw_jitter_seconds, local_zone};
use crate::time::timestamp::seconds_to_micros;
use crate::triggers::calendarinterval::CalendarIntervalTrigger;

#[pyclass(
    subclass,
    module = "apscheduler_rs._core",
    name = "CalendarIntervalTriggerCore"
)]
pub struct PyCalendarIntervalTrigger {
    core: CalendarIntervalTrigger,
    bridge: Bridge,
    start_date: Py<PyAny>,
    end_date: Option<Py<PyAny>>,
    jitter: Option<Py<PyAny>>,
    time: Py<PyAny>,
}

/// A `date` (or `datetime`) as a core date; `None` for anything else, which
/// APScheduler accepts at construction and fails on only when computing.
fn as_date(value: &Bound<'_, PyAny>) -> PyResult<Option<NaiveDate>> {
    let py = value.py();
    if value.is_instance(cached!(py, "datetime", "date")?)? {
        to_date(value).map(Some)
    } else {
        Ok(None)
    }
}

fn to_date(value: &Bound<'_, PyAny>) -> PyResult<NaiveDate> {
    let py = value.py();
    let year: i32 = value.getattr(intern!(py, "year"))?.extract()?;
    let month: u32 = value.getattr(intern!(py, "month"))?.extract()?;
    let day: u32 = value.getattr(intern!(py, "day"))?.extract()?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| PyValueError::new_err("invalid date"))
}

impl PyCalendarIntervalTrigger {
    #[allow(clippy::too_many_arguments)]
    fn build(
        tz: &Bound<'_, PyAny>,
        interval: [i64; 4],
        time: [i64; 3],
        start_date: Bound<'_, PyAny>,
        end_date: Option<Bound<'_, PyAny>>,
        jitter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let py = tz.py();
        // time(hour, minute, second, tzinfo=tz) validates as Python does.
        let time_obj =
            cached!(py, "datetime", "time")?.call1((time[0], time[1], time[2], 0, tz))?;
        let naive_time = NaiveTime::from_hms_opt(time[0] as u32, time[1] as u32, time[2] as u32)
            .ok_or_else(|| PyValueError::new_err("invalid time"))?;
        let bridge = Bridge::new(tz)?;
        let [years, months, weeks, days] = interval;
        Ok(PyCalendarIntervalTrigger {
            core: CalendarIntervalTrigger {
                years,
                months,
                weeks,
                days,
                time: naive_time,
                zone: bridge.zone.clone(),
                start_date: as_date(&start_date)?.unwrap_or_default(),
                end_date: match &end_date {
                    Some(end) => as_date(end)?,
                    None => None,
                },
            },
            bridge,
            start_date: start_date.unbind(),
            end_date: end_date.map(Bound::unbind),
            jitter: jitter.filter(|j| !j.is_none()).map(Bound::unbind),
            time: time_obj.unbind(),
        })
    }
}

#[pymethods]
impl PyCalendarIntervalTrigger {
    #[new]
    #[pyo3(signature = (
        *, years=0, months=0, weeks=0, days=0, hour=None, minute=None, second=None,
        start_date=None, end_date=None, timezone=None, jitter=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        years: i64,
        months: i64,
        weeks: i64,
        days: i64,
        hour: Option<Bound<'py, PyAny>>,
        minute: Option<Bound<'py, PyAny>>,
        second: Option<Bound<'py, PyAny>>,
        start_date: Option<Bound<'py, PyAny>>,
        end_date: Option<Bound<'py, PyAny>>,
        timezone: Option<Bound<'py, PyAny>>,
        jitter: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let astimezone = cached!(py, "apscheduler_rs.util", "astimezone")?;
        let tz = match timezone.filter(|t| t.is_truthy().unwrap_or(true)) {
            Some(t) => astimezone.call1((t,))?,
            None => astimezone.call1((local_zone(py)?,))?,
        };
        let asdate = cached!(py, "apscheduler_rs.util", "asdate")?;
        let start = asdate.call1((start_date,))?;
        let start = if start.is_truthy()? {
            start
        } else {
            cached!(py, "datetime", "date")?.call_method0(intern!(py, "today"))?
        };
        let end = asdate.call1((end_date,))?;
        let end = (!end.is_none()).then_some(end);
        // time(hour, minute, second) checks these after the zone and dates, as
        // APScheduler's constructor does.
        let zero = 0i64.into_pyobject(py)?.into_any();
        let time = cached!(py, "datetime", "time")?.call1((
            hour.unwrap_or_else(|| zero.clone()),
            minute.unwrap_or_else(|| zero.clone()),
            second.unwrap_or(zero),
        ))?;
        let part = |name| -> PyResult<i64> { time.getattr(name)?.extract() };
        let (hour, minute, second) = (
            part(intern!(py, "hour"))?,
            part(intern!(py, "minute"))?,
            part(intern!(py, "second"))?,
        );
        // The interval and date-order checks are in the Python subclass's
        // __init__: unpickling calls __new__ with no arguments at all.
        Self::build(
            &tz,
            [years, months, weeks, days],
            [hour, minute, second],
            start,
            end,
            jitter,
        )
    }

    #[pyo3(signature = (previous_fire_time, now))]
    fn get_next_fire_time<'py>(
        &self,
        py: Python<'py>,
        previous_fire_time: Option<&Bound<'py, PyAny>>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = now;
        // Non-date bounds: let Python raise exactly what APScheduler's
        // `datetime.combine()` or `>` would.
        let datetime = cached!(py, "datetime", "datetime")?;
        if previous_fire_time.is_none() && as_date(self.start_date.bind(py))?.is_none() {
            datetime.call_method1(
                intern!(py, "combine"),
                (self.start_date.bind(py), self.time.bind(py)),
            )?;
        }
        if let Some(end) = &self.end_date {
            let end = end.bind(py);
            let end_is_datetime = end.is_instance(datetime)?;
            if as_date(end)?.is_none() {
                self.start_date.bind(py).gt(end)?;
            } else if previous_fire_time.is_some() {
                // Later dates are plain dates, which Python will not order
                // against a datetime.
                if end_is_datetime {
                    return Err(pyo3::exceptions::PyTypeError::new_err(
                        "can't compare datetime.datetime to datetime.date",
                    ));
                }
            } else if self.start_date.bind(py).is_instance(datetime)? != end_is_datetime {
                self.start_date.bind(py).gt(end)?;
            }
        }
        let previous = previous_fire_time.map(to_date).transpose()?;
        let Some(mut next) = self.core.next_fire_time(previous)? else {
            return Ok(py.None().into_bound(py));
        };
        if let Some(seconds) = draw_jitter_seconds(py, self.jitter.as_ref())? {
            next = next.add_wall(seconds_to_micros(seconds))?;
        }
        self.bridge.to_py(py, next)
    }

    #[pyo3(name = "_restore")]
    fn restore(
        &mut self,
        timezone: &Bound<'_, PyAny>,
        interval: [i64; 4],
        time: [i64; 3],
        start_date: Bound<'_, PyAny>,
        end_date: Option<Bound<'_, PyAny>>,
        jitter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let end = end_date.filter(|v| !v.is_none());
        *self = Self::build(timezone, interval, time, start_date, end, jitter)?;
        Ok(())
    }

    #[getter]
    fn timezone<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.bridge.tz(py).clone()
    }

    #[getter]
    fn years(&self) -> i64 {
        self.core.years
    }

    #[getter]
    fn months(&self) -> i64 {
        self.core.months
    }

    #[getter]
    fn weeks(&self) -> i64 {
        self.core.weeks
    }

    #[getter]
    fn days(&self) -> i64 {
        self.core.days
    }

    #[getter]
    fn start_date(&self, py: Python<'_>) -> Py<PyAny> {
        self.start_date.clone_ref(py)
    }

    #[getter]
    fn end_date(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.end_date.as_ref().map(|v| v.clone_ref(py))
    }

    #[getter]
    fn jitter(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.jitter.as_ref().map(|v| v.clone_ref(py))
    }

    #[setter]
    fn set_jitter(&mut self, value: Option<Bound<'_, PyAny>>) {
        self.jitter = value.filter(|v| !v.is_none()).map(Bound::unbind);
    }

    /// The time of day with the trigger's tzinfo (`datetime.time`).
    #[getter(_time)]
    fn time(&self, py: Python<'_>) -> Py<PyAny> {
        self.time.clone_ref(py)
    }

    /// `[hour, minute, second]`, as pickled.
    #[getter(_time_parts)]
    fn time_parts(&self) -> [u32; 3] {
        let t = self.core.time;
        [t.hour(), t.minute(), t.second()]
    }
}
