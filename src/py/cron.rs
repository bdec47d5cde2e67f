//! `CronTriggerCore`: the Rust base of `apscheduler_rs.triggers.cron.CronTrigger`.

use std::cmp::Ordering;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyType};

use super::common::{
    clone_opt, date_and_jitter_options, given, reject_unexpected_keywords, trigger_repr,
};
use super::datetime::Bridge;
use super::pyfuncs::{cached, convert_to_datetime, draw_jitter_seconds, resolve_timezone};
use crate::time::timestamp::seconds_to_micros;
use crate::time::ZonedDateTime;
use crate::triggers::cron::expressions::{Expr, RangeNames};
use crate::triggers::cron::fields::{share, Field, FieldKind, Fields};
use crate::triggers::cron::parser::parse_field;
use crate::triggers::cron::CronTrigger;

#[pyclass(subclass, module = "apscheduler_rs._core", name = "CronTriggerCore")]
pub struct PyCronTrigger {
    core: CronTrigger,
    bridge: Bridge,
    start_date: Option<Py<PyAny>>,
    end_date: Option<Py<PyAny>>,
    jitter: Option<Py<PyAny>>,
}

/// Start and end dates as given (Python objects) and as core values.
pub struct Bounds {
    pub start: Option<(Py<PyAny>, ZonedDateTime)>,
    pub end: Option<(Py<PyAny>, ZonedDateTime)>,
}

fn convert_bounds(
    bridge: &Bridge,
    start: Option<Bound<'_, PyAny>>,
    end: Option<Bound<'_, PyAny>>,
) -> PyResult<Bounds> {
    let convert = |v: Option<Bound<'_, PyAny>>| -> PyResult<Option<(Py<PyAny>, ZonedDateTime)>> {
        v.map(|v| Ok((v.clone().unbind(), bridge.convert(&v)?)))
            .transpose()
    };
    Ok(Bounds {
        start: convert(start)?,
        end: convert(end)?,
    })
}

/// A field value as text: `str(value)`, with non-ASCII digits made ASCII.
fn text_of<'py>(value: Option<&Bound<'py, PyAny>>) -> PyResult<Option<Bound<'py, PyString>>> {
    match value {
        Some(v) if !v.is_none() => {
            let text = match v.cast::<PyString>() {
                Ok(s) => s.clone(),
                Err(_) => v.str()?,
            };
            field_text(text).map(Some)
        }
        _ => Ok(None),
    }
}

/// A field's text for the parser. Python's `\d` and `int()` accept any Unicode
/// decimal digit; the parser reads ASCII, so other digits are translated first.
fn field_text(text: Bound<'_, PyString>) -> PyResult<Bound<'_, PyString>> {
    if text.to_str()?.is_ascii() {
        return Ok(text);
    }
    let py = text.py();
    Ok(cached!(
        py,
        "apscheduler_rs.triggers.cron.expressions",
        "ascii_digits"
    )?
    .call1((text,))?
    .cast_into::<PyString>()?)
}

/// The last class seen to keep our constructor (no `__new__`/`__init__` of its
/// own): such a class takes the fields positionally, with no kwargs dict; any
/// other gets keywords, as APScheduler passes them.
static PLAIN_CLASS: parking_lot::Mutex<Option<Py<PyType>>> = parking_lot::Mutex::new(None);

fn keeps_core_constructor(cls: &Bound<'_, PyType>) -> PyResult<bool> {
    if let Some(known) = PLAIN_CLASS.lock().as_ref() {
        if known.as_ptr() == cls.as_ptr() {
            return Ok(true);
        }
    }
    let py = cls.py();
    let core_new = py
        .get_type::<PyCronTrigger>()
        .getattr(intern!(py, "__new__"))?;
    let object_init = cached!(py, "builtins", "object")?.getattr(intern!(py, "__init__"))?;
    let plain = cls.getattr(intern!(py, "__new__"))?.is(&core_new)
        && cls.getattr(intern!(py, "__init__"))?.is(&object_init);
    if plain {
        let replaced = PLAIN_CLASS.lock().replace(cls.clone().unbind());
        drop(replaced); // after the lock, as everywhere a Python object is released
    }
    Ok(plain)
}

impl PyCronTrigger {
    pub(crate) fn bridge(&self) -> &Bridge {
        &self.bridge
    }

    fn build(
        tz: &Bound<'_, PyAny>,
        start: Option<Bound<'_, PyAny>>,
        end: Option<Bound<'_, PyAny>>,
        fields: Fields,
        jitter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let bridge = Bridge::new(tz)?;
        let bounds = convert_bounds(&bridge, start, end)?;
        let core = CronTrigger {
            fields,
            zone: bridge.zone(tz.py())?,
            start_date: bounds.start.as_ref().map(|(_, v)| v.clone()),
            end_date: bounds.end.as_ref().map(|(_, v)| v.clone()),
        };
        Ok(PyCronTrigger {
            core,
            bridge,
            start_date: bounds.start.map(|(o, _)| o),
            end_date: bounds.end.map(|(o, _)| o),
            jitter: jitter.filter(|j| !j.is_none()).map(|j| j.clone().unbind()),
        })
    }

    fn non_default_fields(&self) -> impl Iterator<Item = &Field> {
        self.core.fields.iter().filter(|f| !f.is_default)
    }
}

#[pymethods]
impl PyCronTrigger {
    #[new]
    #[pyo3(signature = (
        year=None, month=None, day=None, week=None, day_of_week=None, hour=None,
        minute=None, second=None, start_date=None, end_date=None, timezone=None, jitter=None,
        **unexpected
    ))]
    #[pyo3(
        text_signature = "(year=None, month=None, day=None, week=None, day_of_week=None, \
        hour=None, minute=None, second=None, start_date=None, end_date=None, timezone=None, \
        jitter=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        year: Option<&Bound<'_, PyAny>>,
        month: Option<&Bound<'_, PyAny>>,
        day: Option<&Bound<'_, PyAny>>,
        week: Option<&Bound<'_, PyAny>>,
        day_of_week: Option<&Bound<'_, PyAny>>,
        hour: Option<&Bound<'_, PyAny>>,
        minute: Option<&Bound<'_, PyAny>>,
        second: Option<&Bound<'_, PyAny>>,
        start_date: Option<&Bound<'_, PyAny>>,
        end_date: Option<&Bound<'_, PyAny>>,
        timezone: Option<&Bound<'_, PyAny>>,
        jitter: Option<&Bound<'_, PyAny>>,
        unexpected: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        reject_unexpected_keywords("CronTrigger", unexpected)?;
        let tz = resolve_timezone(py, timezone, &[start_date, end_date])?;
        let start = convert_to_datetime(py, start_date, &tz, "start_date")?;
        let end = convert_to_datetime(py, end_date, &tz, "end_date")?;
        let texts = [year, month, day, week, day_of_week, hour, minute, second].map(text_of);
        let mut values: [Option<&str>; 8] = [None; 8];
        for (slot, text) in values.iter_mut().zip(&texts) {
            if let Some(text) = text.as_ref().map_err(|e| e.clone_ref(py))? {
                *slot = Some(text.to_str()?);
            }
        }
        let fields = CronTrigger::shared_fields(&values)?;
        Self::build(&tz, start, end, fields, jitter)
    }

    /// Build from a five-field crontab line (minute hour day month day_of_week).
    #[classmethod]
    #[pyo3(signature = (expr, timezone=None))]
    fn from_crontab<'py>(
        cls: &Bound<'py, PyType>,
        expr: &str,
        timezone: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let [minute, hour, day, month, day_of_week] = CronTrigger::crontab_values(expr)?;
        if keeps_core_constructor(cls)? {
            let none = py.None();
            let args = (
                &none,
                month,
                day,
                &none,
                day_of_week,
                hour,
                minute,
                &none,
                &none,
                &none,
                timezone,
            );
            return cls.call1(args);
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item(intern!(py, "minute"), minute)?;
        kwargs.set_item(intern!(py, "hour"), hour)?;
        kwargs.set_item(intern!(py, "day"), day)?;
        kwargs.set_item(intern!(py, "month"), month)?;
        kwargs.set_item(intern!(py, "day_of_week"), day_of_week)?;
        kwargs.set_item(intern!(py, "timezone"), timezone)?;
        cls.call((), Some(&kwargs))
    }

    #[pyo3(signature = (previous_fire_time, now))]
    pub(crate) fn get_next_fire_time<'py>(
        &self,
        py: Python<'py>,
        previous_fire_time: Option<&Bound<'py, PyAny>>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (previous, now) = self.bridge.inputs(previous_fire_time, now)?;
        let Some(mut next) = self.core.next_fire_time(previous.as_ref(), &now)? else {
            return Ok(py.None().into_bound(py));
        };
        if let Some(seconds) = draw_jitter_seconds(py, self.jitter.as_ref())? {
            next = next.add_wall(seconds_to_micros(seconds))?;
        }
        if let (Some(end), Some(end_obj)) = (&self.core.end_date, &self.end_date) {
            if end.py_cmp(&next)? == Ordering::Less {
                return Ok(end_obj.bind(py).clone());
            }
        }
        self.bridge.to_py(py, next)
    }

    #[getter]
    fn timezone<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.bridge.tz(py).clone()
    }

    #[getter]
    fn start_date(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        clone_opt(py, &self.start_date)
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

    /// Restore from pickled state: the time zone, dates, jitter and each field as
    /// `(name, is_default, [(kind, a, b, c)])` (see `expressions.py`). Built from
    /// the expressions' values, not their text, which can be ambiguous.
    #[pyo3(name = "_restore")]
    fn restore(
        &mut self,
        timezone: &Bound<'_, PyAny>,
        start_date: Option<Bound<'_, PyAny>>,
        end_date: Option<Bound<'_, PyAny>>,
        fields: Vec<(String, bool, Vec<ExprSpec>)>,
        jitter: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let fields = fields
            .into_iter()
            .map(|(name, is_default, specs)| {
                let kind = FieldKind::from_name(&name).ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err(format!("unknown cron field {name:?}"))
                })?;
                let exprs = specs
                    .into_iter()
                    .map(expr_from_spec)
                    .collect::<PyResult<_>>()?;
                Ok(Field {
                    kind,
                    exprs,
                    is_default,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let start = start_date.filter(|v| !v.is_none());
        let end = end_date.filter(|v| !v.is_none());
        *self = Self::build(timezone, start, end, share(fields), jitter.as_ref())?;
        Ok(())
    }

    /// Each field as `(name, is_default, [expression tuples])`, from which the
    /// Python layer builds APScheduler-shaped field objects.
    #[pyo3(name = "_field_specs")]
    fn field_specs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let specs = PyList::empty(py);
        for field in self.core.fields.iter() {
            specs.append((
                field.kind.name(),
                field.is_default,
                expression_specs(py, field)?,
            ))?;
        }
        Ok(specs)
    }

    fn __str__(&self) -> String {
        let options: Vec<String> = self
            .non_default_fields()
            .map(|f| format!("{}='{}'", f.kind.name(), f))
            .collect();
        format!("cron[{}]", options.join(", "))
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let this = slf.borrow();
        let mut options: Vec<String> = this
            .non_default_fields()
            .map(|f| format!("{}='{}'", f.kind.name(), f))
            .collect();
        options.extend(date_and_jitter_options(
            py,
            this.start_date.as_ref(),
            this.end_date.as_ref(),
            this.jitter.as_ref(),
        )?);
        trigger_repr(slf.get_type().as_any(), &options, this.bridge.tz(py))
    }
}

type ExprSpec = (String, Option<i64>, Option<i64>, Option<i64>);

fn expr_from_spec((kind, a, b, c): ExprSpec) -> PyResult<Expr> {
    let bad = || pyo3::exceptions::PyValueError::new_err(format!("bad cron expression {kind:?}"));
    let range = |names| -> PyResult<Expr> {
        Ok(Expr::Range {
            first: a.ok_or_else(bad)?,
            last: b,
            step: c,
            names,
        })
    };
    match kind.as_str() {
        "all" => Ok(Expr::All { step: a }),
        "range" => range(RangeNames::Numbers),
        "month" => range(RangeNames::Months),
        "weekday" => range(RangeNames::Weekdays),
        "position" => Ok(Expr::WeekdayPosition {
            position: usize::try_from(a.ok_or_else(bad)?)
                .map_err(|_| bad())?
                .min(5),
            weekday: u32::try_from(b.ok_or_else(bad)?).map_err(|_| bad())?.min(6),
        }),
        "last" => Ok(Expr::LastDayOfMonth),
        _ => Err(bad()),
    }
}

/// A field's expressions as `(kind, a, b, c)` tuples (see `expressions.py`).
fn expression_specs<'py>(py: Python<'py>, field: &Field) -> PyResult<Bound<'py, PyList>> {
    let specs = PyList::empty(py);
    for expr in &field.exprs {
        let (kind, a, b, c) = match *expr {
            Expr::All { step } => ("all", step, None, None),
            Expr::Range {
                first,
                last,
                step,
                names,
            } => {
                let kind = match names {
                    RangeNames::Numbers => "range",
                    RangeNames::Months => "month",
                    RangeNames::Weekdays => "weekday",
                };
                (kind, Some(first), last, step)
            }
            Expr::WeekdayPosition { position, weekday } => (
                "position",
                Some(position as i64),
                Some(i64::from(weekday)),
                None,
            ),
            Expr::LastDayOfMonth => ("last", None, None, None),
        };
        specs.append((kind, a, b, c))?;
    }
    Ok(specs)
}

/// Parse one field's text as `CronTrigger` would, into expression tuples.
#[pyfunction]
pub fn parse_cron_field<'py>(
    py: Python<'py>,
    name: &str,
    text: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let text = field_text(text.str()?)?;
    let text = text.to_str()?;
    let kind = FieldKind::from_name(name).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("unknown cron field {name:?}"))
    })?;
    expression_specs(py, &parse_field(kind, text, false)?)
}
