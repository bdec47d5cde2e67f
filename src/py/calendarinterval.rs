//! `CalendarIntervalTriggerCore`: the Rust base of
//! `apscheduler_rs.triggers.calendarinterval.CalendarIntervalTrigger`.

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;

use super::common::{clone_opt, given, Passed};
use super::datetime::Bridge;
use super::errors::foreign;
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
    /// years, months, weeks, days as given: APScheduler keeps (and shows) them
    /// as passed, bools and floats included.
    counts: [Py<PyAny>; 4],
    /// Whether the counts are integers the core can step with; otherwise each
    /// step is done with Python's own arithmetic, as APScheduler does it.
    integral: bool,
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
    pub(crate) fn bridge(&self) -> &Bridge {
        &self.bridge
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        tz: &Bound<'_, PyAny>,
        interval: [Bound<'_, PyAny>; 4],
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
        let int_type = cached!(py, "builtins", "int")?;
        let as_int = |v: &Bound<'_, PyAny>| -> PyResult<Option<i64>> {
            if v.is_instance(int_type)? {
                Ok(v.extract().ok())
            } else {
                Ok(None)
            }
        };
        let [years, months, weeks, days] = &interval;
        // `date + timedelta(days + weeks * 7)` uses whole days only.
        let day_step = days
            .add(weeks.mul(7)?)
            .and_then(|d| cached!(py, "datetime", "timedelta")?.call1((d,)))
            .and_then(|td| td.getattr(intern!(py, "days"))?.extract::<i64>())
            .ok();
        let (years_int, months_int) = (as_int(years)?, as_int(months)?);
        let integral = years_int.is_some() && months_int.is_some() && day_step.is_some();
        Ok(PyCalendarIntervalTrigger {
            core: CalendarIntervalTrigger {
                years: years_int.unwrap_or(0),
                months: months_int.unwrap_or(0),
                days: day_step.unwrap_or(0),
                time: naive_time,
                zone: bridge.zone(py)?,
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
            counts: interval.map(Bound::unbind),
            integral,
        })
    }
}

#[pymethods]
impl PyCalendarIntervalTrigger {
    #[new]
    #[pyo3(signature = (
        *, years=Passed::Omitted, months=Passed::Omitted, weeks=Passed::Omitted,
        days=Passed::Omitted, hour=Passed::Omitted, minute=Passed::Omitted,
        second=Passed::Omitted, start_date=None, end_date=None, timezone=None, jitter=None
    ))]
    #[pyo3(
        text_signature = "(*, years=0, months=0, weeks=0, days=0, hour=0, minute=0, second=0, \
        start_date=None, end_date=None, timezone=None, jitter=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        years: Passed<'py>,
        months: Passed<'py>,
        weeks: Passed<'py>,
        days: Passed<'py>,
        hour: Passed<'py>,
        minute: Passed<'py>,
        second: Passed<'py>,
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
        // An explicit None is passed on (and refused or kept, as APScheduler
        // does); only an omitted argument is 0.
        let zero = 0i64.into_pyobject(py)?.into_any();
        let or_zero = |value: Passed<'py>| match value {
            Passed::Given(value) => value,
            Passed::Omitted => zero.clone(),
        };
        let time = cached!(py, "datetime", "time")?.call1((
            or_zero(hour),
            or_zero(minute),
            or_zero(second),
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
            [years, months, weeks, days].map(or_zero),
            [hour, minute, second],
            start,
            end,
            jitter,
        )
    }

    #[pyo3(signature = (previous_fire_time, now))]
    pub(crate) fn get_next_fire_time<'py>(
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
        let next = if self.integral {
            self.core.next_fire_time(previous)?
        } else {
            let step = cached!(
                py,
                "apscheduler_rs.triggers.calendarinterval",
                "_python_step"
            )?;
            let date_type = cached!(py, "datetime", "date")?;
            self.core.next_fire_time_with(previous, |prev| {
                let prev = date_type
                    .call1((prev.year(), prev.month(), prev.day()))
                    .map_err(foreign)?;
                let args = (
                    prev,
                    &self.counts[0],
                    &self.counts[1],
                    &self.counts[2],
                    &self.counts[3],
                );
                let next = step.call1(args).map_err(foreign)?;
                to_date(&next).map_err(foreign)
            })?
        };
        let Some(mut next) = next else {
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
        interval: [Bound<'_, PyAny>; 4],
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
    fn years(&self, py: Python<'_>) -> Py<PyAny> {
        self.counts[0].clone_ref(py)
    }

    #[getter]
    fn months(&self, py: Python<'_>) -> Py<PyAny> {
        self.counts[1].clone_ref(py)
    }

    #[getter]
    fn weeks(&self, py: Python<'_>) -> Py<PyAny> {
        self.counts[2].clone_ref(py)
    }

    #[getter]
    fn days(&self, py: Python<'_>) -> Py<PyAny> {
        self.counts[3].clone_ref(py)
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
