//! `IntervalTriggerCore`: the Rust base of `apscheduler_rs.triggers.interval.IntervalTrigger`.

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyTuple};

use super::common::{
    date_and_jitter_options, given, reject_unexpected_keywords, trigger_repr, Passed,
};
use super::datetime::{new_datetime, now_micros, timedelta_micros, Bridge};
use super::pyfuncs::{cached, convert_to_datetime, resolve_timezone};
use crate::time::civil::MICROS_PER_SECOND;
use crate::time::ZonedDateTime;
use crate::triggers::interval::IntervalTrigger;

#[pyclass(
    subclass,
    module = "apscheduler_rs._core",
    name = "IntervalTriggerCore"
)]
pub struct PyIntervalTrigger {
    bridge: Bridge,
    /// `interval` in microseconds; the timedelta is made when asked for, so an
    /// idle trigger holds no Python objects of its own.
    interval_micros: i64,
    /// The start date's instant.
    start_utc: i64,
    /// What most triggers lack, out of line so that they are smaller.
    extras: Option<Box<Extras>>,
}

#[derive(Default)]
struct Extras {
    /// The start date as given, with its value, kept only when rebuilding it
    /// from its instant would not give an equal object back (see
    /// [`Bridge::rebuilds`]).
    start_date: Option<(Py<PyAny>, ZonedDateTime)>,
    /// The end date as given, and its instant.
    end_date: Option<(Py<PyAny>, i64)>,
    jitter: Option<Py<PyAny>>,
    /// `interval.total_seconds()` when it is not the microseconds over a
    /// million (intervals of 2**53 microseconds or more).
    interval_length: Option<f64>,
    /// APScheduler's `interval_length` is the int 1 (not 1.0) for an all-zero
    /// interval given to the constructor.
    length_is_int_one: bool,
}

impl Extras {
    /// `None` when there is nothing to keep.
    fn boxed(self) -> Option<Box<Extras>> {
        let empty = self.start_date.is_none()
            && self.end_date.is_none()
            && self.jitter.is_none()
            && self.interval_length.is_none()
            && !self.length_is_int_one;
        (!empty).then(|| Box::new(self))
    }
}

thread_local! {
    /// A trigger value for the next `IntervalTrigger.__new__` on this thread
    /// to return as it is (see [`PyIntervalTrigger::into_object`]).
    static PENDING: std::cell::RefCell<Option<PyIntervalTrigger>> =
        const { std::cell::RefCell::new(None) };
}

fn take_pending() -> Option<PyIntervalTrigger> {
    PENDING
        .try_with(|pending| pending.try_borrow_mut().ok().and_then(|mut p| p.take()))
        .ok()
        .flatten()
}

/// The interval of the constructor's `weeks` .. `seconds` as microseconds
/// and seconds (`total_seconds()`). Plain ints are added up here; anything else
/// (floats, say) goes through `timedelta`, whose rounding and errors are the
/// rule.
fn interval_of(py: Python<'_>, parts: [Passed<'_>; 5]) -> PyResult<(i64, f64)> {
    // microseconds per week, day, hour, minute, second
    const UNITS: [i64; 5] = [
        604_800_000_000,
        86_400_000_000,
        3_600_000_000,
        60_000_000,
        1_000_000,
    ];
    let mut total: Option<i64> = Some(0);
    for (part, unit) in parts.iter().zip(UNITS) {
        total = match part {
            Passed::Omitted => total,
            Passed::Given(v) if v.is_exact_instance_of::<PyInt>() => v
                .extract::<i64>()
                .ok()
                .and_then(|n| n.checked_mul(unit))
                .and_then(|micros| total?.checked_add(micros)),
            Passed::Given(_) => None,
        };
    }
    // Below 2**53 microseconds the division is exact as in `total_seconds()`.
    if let Some(micros) = total.filter(|m| m.unsigned_abs() < 1 << 53) {
        return Ok((micros, micros as f64 / 1e6));
    }
    let zero = 0i64.into_pyobject(py)?.into_any();
    let [weeks, days, hours, minutes, seconds] = parts.map(|part| match part {
        Passed::Omitted => zero.clone(),
        Passed::Given(v) => v,
    });
    let interval = cached!(py, "datetime", "timedelta")?
        .call1((days, seconds, 0, 0, minutes, hours, weeks))?;
    let length = interval
        .call_method0(intern!(py, "total_seconds"))?
        .extract()?;
    Ok((interval_micros(&interval)?, length))
}

/// The microseconds of an interval: refused (`ValueError`) past what an
/// instant can be counted in, about 292,000 years, where 3.11.3 accepts the
/// trigger and fails with "year ... is out of range" once it fires.
fn interval_micros(interval: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = interval.py();
    timedelta_micros(interval).map_err(|err| {
        if !err.is_instance_of::<PyOverflowError>(py) {
            return err;
        }
        let shown = interval
            .str()
            .map(|s| s.to_string())
            .unwrap_or_else(|_| "?".to_owned());
        PyValueError::new_err(format!(
            "The interval {shown} is too long: at most 106751991 days can be counted"
        ))
    })
}

impl PyIntervalTrigger {
    pub(crate) fn bridge(&self) -> &Bridge {
        &self.bridge
    }

    /// The trigger for an interval (microseconds, and `total_seconds()`), a
    /// start date (`None`: now plus the interval) and an optional end date.
    fn build(
        tz: &Bound<'_, PyAny>,
        interval_micros: i64,
        interval_length: f64,
        start: Option<Bound<'_, PyAny>>,
        end: Option<Bound<'_, PyAny>>,
        jitter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let py = tz.py();
        let bridge = Bridge::new(tz)?;
        let (start_utc, start_date) = match start {
            Some(given) => {
                let value = bridge.convert(&given)?;
                let utc = value.utc_micros()?;
                let keep = !bridge.rebuilds(&given, &value)?;
                (utc, keep.then(|| (given.unbind(), value)))
            }
            None => {
                // `datetime.now(tz) + interval`: wall-clock addition, fold 0
                let now = ZonedDateTime::from_utc(now_micros()?, &bridge.zone(py)?)?;
                let value = now.add_wall(interval_micros)?;
                let utc = value.utc_micros()?;
                let given = if !bridge.round_trips(py, &value)? {
                    let made = new_datetime(py, value.wall, value.fold, tz)?.unbind();
                    Some((made, value))
                } else {
                    None
                };
                (utc, given)
            }
        };
        let end_date = end
            .map(|e| -> PyResult<_> {
                let utc = bridge.convert(&e)?.utc_micros()?;
                Ok((e.unbind(), utc))
            })
            .transpose()?;
        // Derived when it is exactly the microseconds over a million, as
        // `total_seconds()` computes it below 2**53.
        let derived = interval_micros.unsigned_abs() < 1 << 53
            && interval_micros as f64 / 1e6 == interval_length;
        Ok(PyIntervalTrigger {
            bridge,
            interval_micros,
            start_utc,
            extras: Extras {
                start_date,
                end_date,
                jitter: jitter.filter(|j| !j.is_none()).map(Bound::unbind),
                interval_length: (!derived).then_some(interval_length),
                length_is_int_one: false,
            }
            .boxed(),
        })
    }

    /// The constructor's work, for `IntervalTrigger(...)` and for a job that
    /// keeps its trigger inline ([`Self::from_kwargs`]).
    fn construct<'py>(
        py: Python<'py>,
        parts: [Passed<'py>; 5],
        start_date: Option<Bound<'py, PyAny>>,
        end_date: Option<Bound<'py, PyAny>>,
        timezone: Option<Bound<'py, PyAny>>,
        jitter: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Self> {
        let (interval_micros, interval_length) = interval_of(py, parts)?;
        // An all-zero interval means one second (`interval_length` the int 1).
        let zero = interval_micros == 0;
        let (interval_micros, interval_length) = if zero {
            (MICROS_PER_SECOND, 1.0)
        } else {
            (interval_micros, interval_length)
        };
        let tz = resolve_timezone(
            py,
            timezone.as_ref(),
            &[start_date.as_ref(), end_date.as_ref()],
        )?;
        let start = match start_date.filter(|s| s.is_truthy().unwrap_or(true)) {
            Some(s) => Some(
                convert_to_datetime(py, Some(&s), &tz, "start_date")?.ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err("start_date is required")
                })?,
            ),
            None => None,
        };
        let end = convert_to_datetime(py, end_date.as_ref(), &tz, "end_date")?;
        let mut trigger = Self::build(&tz, interval_micros, interval_length, start, end, jitter)?;
        if zero {
            let mut extras = trigger
                .extras
                .take()
                .map(|boxed| *boxed)
                .unwrap_or_default();
            extras.length_is_int_one = true;
            trigger.extras = extras.boxed();
        }
        Ok(trigger)
    }

    /// `IntervalTrigger(**kwargs)` as a value, without a Python object.
    pub(crate) fn from_kwargs<'py>(py: Python<'py>, kwargs: &Bound<'py, PyDict>) -> PyResult<Self> {
        let mut parts = [(); 5].map(|()| Passed::Omitted);
        let (mut start_date, mut end_date, mut timezone, mut jitter) = (None, None, None, None);
        let optional = |value: Bound<'py, PyAny>| (!value.is_none()).then_some(value);
        for (key, value) in kwargs.iter() {
            let name = key.cast::<pyo3::types::PyString>()?.to_str()?.to_owned();
            let component = ["weeks", "days", "hours", "minutes", "seconds"]
                .iter()
                .position(|c| *c == name);
            match (component, name.as_str()) {
                (Some(index), _) => parts[index] = Passed::Given(value),
                (None, "start_date") => start_date = optional(value),
                (None, "end_date") => end_date = optional(value),
                (None, "timezone") => timezone = optional(value),
                (None, "jitter") => jitter = optional(value),
                _ => {
                    let unexpected = PyDict::new(py);
                    unexpected.set_item(key, value)?;
                    reject_unexpected_keywords("IntervalTrigger", Some(&unexpected))?;
                }
            }
        }
        Self::construct(py, parts, start_date, end_date, timezone, jitter)
    }

    /// A trigger `__setstate__` is to fill in: an interval of 0, which no
    /// constructed trigger has (an all-zero interval means one second).
    fn blank(py: Python<'_>) -> Self {
        PyIntervalTrigger {
            bridge: Bridge {
                tz: super::datetime::utc(py).map_or_else(|_| py.None(), |u| u.clone().unbind()),
            },
            interval_micros: 0,
            start_utc: 0,
            extras: None,
        }
    }

    fn is_blank(&self) -> bool {
        self.interval_micros == 0
    }

    /// What tells this trigger from another one (a job checks that its
    /// trigger was not replaced meanwhile): tzinfo address, interval, start.
    pub(crate) fn identity(&self) -> (usize, i64, i64) {
        (
            self.bridge.tz.as_ptr() as usize,
            self.interval_micros,
            self.start_utc,
        )
    }

    /// A copy (new references to the same objects).
    pub(crate) fn clone_ref(&self, py: Python<'_>) -> Self {
        PyIntervalTrigger {
            bridge: Bridge {
                tz: self.bridge.tz.clone_ref(py),
            },
            interval_micros: self.interval_micros,
            start_utc: self.start_utc,
            extras: self.extras.as_deref().map(|extras| {
                Box::new(Extras {
                    start_date: extras
                        .start_date
                        .as_ref()
                        .map(|(obj, value)| (obj.clone_ref(py), value.clone())),
                    end_date: extras
                        .end_date
                        .as_ref()
                        .map(|(obj, utc)| (obj.clone_ref(py), *utc)),
                    jitter: extras.jitter.as_ref().map(|j| j.clone_ref(py)),
                    interval_length: extras.interval_length,
                    length_is_int_one: extras.length_is_int_one,
                })
            }),
        }
    }

    /// This trigger as an `IntervalTrigger` object (of the public class).
    pub(crate) fn into_object(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let class = cached!(py, "apscheduler_rs.triggers.interval", "IntervalTrigger")?
            .cast::<pyo3::types::PyType>()?;
        PENDING.with(|pending| *pending.borrow_mut() = Some(self));
        // `new` takes `PENDING`
        let made = super::common::new_without_init(class);
        let leftover = take_pending(); // not taken if tp_new failed early
        drop(leftover);
        made
    }

    /// `traverse` for what this trigger holds (when a job keeps it inline).
    pub(crate) fn visit(&self, visit: &pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.bridge.tz)?;
        if let Some(extras) = self.extras() {
            visit.call(extras.start_date.as_ref().map(|(obj, _)| obj))?;
            visit.call(extras.end_date.as_ref().map(|(obj, _)| obj))?;
            visit.call(&extras.jitter)?;
        }
        Ok(())
    }

    fn extras(&self) -> Option<&Extras> {
        self.extras.as_deref()
    }

    fn length_seconds(&self) -> f64 {
        self.extras()
            .and_then(|e| e.interval_length)
            .unwrap_or(self.interval_micros as f64 / 1e6)
    }

    /// The trigger's arithmetic (a few numbers, made per call).
    fn core(&self) -> IntervalTrigger {
        let end = self
            .extras()
            .and_then(|e| e.end_date.as_ref())
            .map(|(_, utc)| *utc);
        IntervalTrigger::new(self.length_seconds(), self.start_utc, end)
    }

    /// The first fire timestamp (before jitter) at `now`.
    fn first_timestamp(&self, py: Python<'_>, now: &ZonedDateTime) -> PyResult<f64> {
        let start = || self.start_value(py).map_err(crate::py::errors::foreign);
        Ok(self.core().first_timestamp(start, now)?)
    }

    /// The fire instant of a timestamp, with jitter drawn as APScheduler does
    /// (whenever it is not None, even 0); `None` past the end date.
    fn fire_instant(&self, py: Python<'_>, mut timestamp: f64) -> PyResult<Option<i64>> {
        if let Some(jitter) = self.jitter_object() {
            let uniform = cached!(py, "random", "uniform")?;
            timestamp += uniform.call1((0, jitter.bind(py)))?.extract::<f64>()?;
        }
        Ok(self.core().fire_instant(timestamp)?)
    }

    /// `get_next_fire_time(None, now)` as an instant, for `now` given as one
    /// in a zone; `Ok(None)` when there is no fire time. `Err` is kept for
    /// errors; a trigger whose zone only Python can compute is not asked
    /// (see [`Self::computes_natively`]).
    pub(crate) fn first_fire_instant(
        &self,
        py: Python<'_>,
        now: &ZonedDateTime,
    ) -> PyResult<Option<i64>> {
        let timestamp = self.first_timestamp(py, now)?;
        self.fire_instant(py, timestamp)
    }

    /// Whether run times of this trigger are kept as instants (its zone is
    /// one the core computes; see `Bridge::exact_instant`).
    pub(crate) fn computes_natively(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(!matches!(
            self.bridge.zone(py)?,
            crate::time::Zone::Foreign(_)
        ))
    }

    /// The start date as a core value: as given, or in the trigger's zone.
    fn start_value(&self, py: Python<'_>) -> PyResult<ZonedDateTime> {
        match self.extras().and_then(|e| e.start_date.as_ref()) {
            Some((_, value)) => Ok(value.clone()),
            None => Ok(ZonedDateTime::from_utc(
                self.start_utc,
                &self.bridge.zone(py)?,
            )?),
        }
    }

    fn interval_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached!(py, "datetime", "timedelta")?.call1((0, 0, self.interval_micros))
    }

    fn jitter_object(&self) -> Option<&Py<PyAny>> {
        self.extras().and_then(|e| e.jitter.as_ref())
    }

    fn end_date_object(&self) -> Option<&Py<PyAny>> {
        self.extras()
            .and_then(|e| e.end_date.as_ref())
            .map(|(obj, _)| obj)
    }

    fn start_date_object(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.extras().and_then(|e| e.start_date.as_ref()) {
            Some((given, _)) => Ok(given.clone_ref(py)),
            None => Ok(self.bridge.instant_to_new_py(py, self.start_utc)?.unbind()),
        }
    }
}

#[pymethods]
impl PyIntervalTrigger {
    #[new]
    #[pyo3(signature = (
        weeks=Passed::Omitted, days=Passed::Omitted, hours=Passed::Omitted,
        minutes=Passed::Omitted, seconds=Passed::Omitted, start_date=None, end_date=None,
        timezone=None, jitter=None, **unexpected
    ))]
    #[pyo3(
        text_signature = "(weeks=0, days=0, hours=0, minutes=0, seconds=0, start_date=None, \
        end_date=None, timezone=None, jitter=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new<'py>(
        py: Python<'py>,
        weeks: Passed<'py>,
        days: Passed<'py>,
        hours: Passed<'py>,
        minutes: Passed<'py>,
        seconds: Passed<'py>,
        start_date: Option<Bound<'py, PyAny>>,
        end_date: Option<Bound<'py, PyAny>>,
        timezone: Option<Bound<'py, PyAny>>,
        jitter: Option<Bound<'py, PyAny>>,
        unexpected: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Self> {
        if let Some(made) = take_pending() {
            return Ok(made);
        }
        reject_unexpected_keywords("IntervalTrigger", unexpected)?;
        let defaults = [&weeks, &days, &hours, &minutes, &seconds]
            .iter()
            .all(|part| matches!(part, Passed::Omitted))
            && [&start_date, &end_date, &timezone, &jitter]
                .iter()
                .all(|value| value.as_ref().is_none_or(|v| v.is_none()));
        if defaults {
            // `__new__` without arguments, as unpickling calls it before
            // `__setstate__`: nothing is computed; a call with no arguments
            // makes the default trigger in `__init__`
            return Ok(Self::blank(py));
        }
        Self::construct(
            py,
            [weeks, days, hours, minutes, seconds],
            start_date,
            end_date,
            timezone,
            jitter,
        )
    }

    /// Make the default trigger of a call without arguments (every second
    /// from now, in the local zone), which `__new__` left blank.
    #[pyo3(signature = (*_args, **_kwargs))]
    fn __init__(
        &mut self,
        py: Python<'_>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        if self.is_blank() {
            let omitted = [(); 5].map(|()| Passed::Omitted);
            *self = Self::construct(py, omitted, None, None, None, None)?;
        }
        Ok(())
    }

    #[pyo3(signature = (previous_fire_time, now))]
    pub(crate) fn get_next_fire_time<'py>(
        &self,
        py: Python<'py>,
        previous_fire_time: Option<&Bound<'py, PyAny>>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timestamp = match previous_fire_time {
            // The scheduler's usual call: only the previous instant matters.
            Some(previous) => self.core().timestamp_after(self.bridge.utc_of(previous)?),
            None => {
                // APScheduler compares start_date with `now` here, which Python
                // refuses for a naive `now`.
                let naive = match super::capi::read(now) {
                    Some((_, _, tzinfo)) => tzinfo.is_none(),
                    None => now.getattr(intern!(py, "tzinfo"))?.is_none(),
                };
                if naive {
                    return Err(pyo3::exceptions::PyTypeError::new_err(
                        "can't compare offset-naive and offset-aware datetimes",
                    ));
                }
                // converted without the per-thread memo of inputs: only a
                // first fire time needs `now`, and that is asked once per job
                let now = self.bridge.convert(now)?;
                self.first_timestamp(py, &now)?
            }
        };
        match self.fire_instant(py, timestamp)? {
            Some(utc) => self.bridge.instant_to_new_py(py, utc),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Restore from pickled state: APScheduler's version 2 layout, or 3.0's
    /// `(version, state)` tuple. Done here rather than in Python: restarting
    /// a persistent store restores every job's trigger.
    fn __setstate__<'py>(slf: &Bound<'py, Self>, state: Bound<'py, PyAny>) -> PyResult<()> {
        let py = slf.py();
        let state = if state.is_instance_of::<PyTuple>() {
            state.get_item(1)?
        } else {
            state
        };
        // `state.get(key, default)`, straight from the dict when it is one
        let dict = state.cast_exact::<PyDict>().ok();
        let get =
            |key: &Bound<'py, PyAny>, default: Bound<'py, PyAny>| -> PyResult<Bound<'py, PyAny>> {
                match dict {
                    Some(dict) => Ok(dict.get_item(key)?.unwrap_or(default)),
                    None => state.call_method1(intern!(py, "get"), (key, default)),
                }
            };
        let version = get(
            intern!(py, "version").as_any(),
            1i64.into_pyobject(py)?.into_any(),
        )?;
        if version.gt(2)? {
            return Err(PyValueError::new_err(format!(
                "Got serialized data for version {version} of {}, but only versions up to 2 \
                 can be handled",
                slf.get_type().name()?
            )));
        }
        let interval = state.get_item(intern!(py, "interval"))?;
        // anything but a timedelta fails where 3.11.3 fails: in total_seconds()
        if !interval.is_instance(cached!(py, "datetime", "timedelta")?)? {
            interval.call_method0(intern!(py, "total_seconds"))?;
        }
        let micros = interval_micros(&interval)?;
        // `total_seconds()`, which is exactly this below 2**53 microseconds
        let length = if micros.unsigned_abs() < 1 << 53 {
            micros as f64 / 1e6
        } else {
            interval
                .call_method0(intern!(py, "total_seconds"))?
                .extract()?
        };
        let end = state.get_item(intern!(py, "end_date"))?;
        let jitter = get(intern!(py, "jitter").as_any(), py.None().into_bound(py))?;
        let restored = Self::build(
            &state.get_item(intern!(py, "timezone"))?,
            micros,
            length,
            Some(state.get_item(intern!(py, "start_date"))?),
            Some(end).filter(|v| !v.is_none()),
            Some(jitter),
        )?;
        *slf.borrow_mut() = restored;
        Ok(())
    }

    #[getter]
    fn timezone<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.bridge.tz(py).clone()
    }

    #[getter]
    fn interval<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.interval_object(py)
    }

    #[getter]
    fn interval_length<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(if self.extras().is_some_and(|e| e.length_is_int_one) {
            1i64.into_pyobject(py)?.into_any()
        } else {
            self.length_seconds().into_pyobject(py)?.into_any()
        })
    }

    #[getter]
    fn start_date(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.start_date_object(py)
    }

    #[getter]
    fn end_date(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.end_date_object().map(|v| v.clone_ref(py))
    }

    #[getter]
    fn jitter(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.jitter_object().map(|v| v.clone_ref(py))
    }

    #[setter]
    fn set_jitter(&mut self, value: Option<Bound<'_, PyAny>>) {
        let mut extras = self.extras.take().map(|boxed| *boxed).unwrap_or_default();
        extras.jitter = given(value);
        self.extras = extras.boxed();
    }

    pub(crate) fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("interval[{}]", self.interval_object(py)?.str()?))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let this = slf.borrow();
        let mut options = vec![format!("interval={}", this.interval_object(py)?.repr()?)];
        options.extend(date_and_jitter_options(
            py,
            Some(&this.start_date_object(py)?),
            this.end_date_object(),
            this.jitter_object(),
        )?);
        trigger_repr(slf.get_type().as_any(), &options, this.bridge.tz(py))
    }
}
