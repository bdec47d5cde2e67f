//! Python `datetime` and `tzinfo` objects to core values and back.
//!
//! Built for abi3, where the datetime C API is unavailable: fields are read as
//! attributes, and results are built with the pickle-state constructor
//! `datetime(bytes10, tzinfo)`, which takes one call instead of eight arguments.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime, Timelike};
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyType};
use pyo3::{intern, Py};

use super::errors::foreign;
use crate::error::Result as CoreResult;
use crate::time::civil::{make_naive, micro_of, with_micro};
use crate::time::{ForeignZone, Zone, ZonedDateTime};

static DATETIME_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIMEZONE_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ZONEINFO_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATETIME_TYPE.import(py, "datetime", "datetime")
}

pub fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    Ok(UTC
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py
                .import("datetime")?
                .getattr("timezone")?
                .getattr("utc")?
                .unbind())
        })?
        .bind(py))
}

/// Microseconds in a `timedelta`.
pub fn timedelta_micros(td: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = td.py();
    let days: i64 = td.getattr(intern!(py, "days"))?.extract()?;
    let seconds: i64 = td.getattr(intern!(py, "seconds"))?.extract()?;
    let micros: i64 = td.getattr(intern!(py, "microseconds"))?.extract()?;
    days.checked_mul(86_400)
        .and_then(|s| s.checked_add(seconds))
        .and_then(|s| s.checked_mul(1_000_000))
        .and_then(|us| us.checked_add(micros))
        .ok_or_else(|| {
            pyo3::exceptions::PyOverflowError::new_err(
                "timedelta too long to count in microseconds (over 106,751,991 days)",
            )
        })
}

/// A Python tzinfo that the core cannot compute itself.
struct PyTzInfo(Py<PyAny>);

impl PyTzInfo {
    fn call<T>(
        &self,
        f: impl FnOnce(Python<'_>, &Bound<'_, PyAny>) -> PyResult<T>,
    ) -> CoreResult<T> {
        Python::attach(|py| f(py, self.0.bind(py))).map_err(foreign)
    }
}

impl ForeignZone for PyTzInfo {
    fn utcoffset(&self, wall: NaiveDateTime, fold: bool) -> CoreResult<i64> {
        self.call(|py, tz| {
            let dt = new_datetime(py, wall, fold, tz)?;
            let offset = tz.call_method1(intern!(py, "utcoffset"), (dt,))?;
            if offset.is_none() {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "the time zone returned no UTC offset",
                ));
            }
            timedelta_micros(&offset)
        })
    }

    fn fromutc(&self, utc_wall: NaiveDateTime) -> CoreResult<(NaiveDateTime, bool)> {
        self.call(|py, tz| {
            let dt = new_datetime(py, utc_wall, false, tz)?;
            let local = tz.call_method1(intern!(py, "fromutc"), (dt,))?;
            read_wall(&local)
        })
    }

    fn identity(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// The last few tzinfos converted, by identity: most programs use one or two
/// zones throughout (say UTC and the local one, which a trigger restored from a
/// store meets in turn). Replaced round-robin.
static RECENT_ZONES: Mutex<RecentZones> = Mutex::new(RecentZones {
    slots: [None, None, None, None, None, None, None, None],
    next: 0,
});

struct RecentZones {
    slots: [Option<(Py<PyAny>, Zone)>; 8],
    next: usize,
}

/// The current instant in UTC microseconds, as `datetime.now()` reads it (the
/// system clock, rounded down).
pub fn now_micros() -> PyResult<i64> {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
    i64::try_from(since_epoch.as_micros())
        .map_err(|_| pyo3::exceptions::PyOverflowError::new_err("date value out of range"))
}

thread_local! {
    /// The zone this thread converted last, by tzinfo identity (the tzinfo is
    /// held, so that no other object can take its address).
    static LAST_ZONE: std::cell::RefCell<Option<(Py<PyAny>, Zone)>> =
        const { std::cell::RefCell::new(None) };
}

/// The core zone for a Python tzinfo: chrono-tz for `ZoneInfo` keys it knows,
/// a fixed offset for `datetime.timezone`, and the object itself otherwise.
/// Triggers keep only their tzinfo and ask here whenever they compute, so
/// this is remembered per thread and then in [`RECENT_ZONES`].
pub fn zone_of(tz: &Bound<'_, PyAny>) -> PyResult<Zone> {
    let last = LAST_ZONE.try_with(|slot| {
        slot.try_borrow().ok().and_then(|last| {
            last.as_ref()
                .filter(|(known, _)| known.as_ptr() == tz.as_ptr())
                .map(|(_, zone)| zone.clone())
        })
    });
    if let Ok(Some(zone)) = last {
        return Ok(zone);
    }
    let zone = recent_zone_of(tz)?;
    let replaced = LAST_ZONE.try_with(|slot| {
        slot.try_borrow_mut()
            .ok()
            .and_then(|mut last| last.replace((tz.clone().unbind(), zone.clone())))
    });
    drop(replaced); // after the borrow: a tzinfo's __del__ may convert again
    Ok(zone)
}

/// `f(zone)` with the zone of `tz`, borrowed from this thread's memo when it
/// is there (no copy; see [`zone_of`]).
pub fn with_zone<T>(tz: &Bound<'_, PyAny>, f: impl FnOnce(&Zone) -> T) -> PyResult<T> {
    let mut f = Some(f);
    let done = LAST_ZONE.try_with(|slot| {
        let last = slot.try_borrow().ok()?;
        match last.as_ref() {
            Some((known, zone)) if known.as_ptr() == tz.as_ptr() => f.take().map(|f| f(zone)),
            _ => None,
        }
    });
    if let Ok(Some(value)) = done {
        return Ok(value);
    }
    let zone = zone_of(tz)?;
    Ok(f.take().expect("not called")(&zone))
}

fn recent_zone_of(tz: &Bound<'_, PyAny>) -> PyResult<Zone> {
    let known = RECENT_ZONES
        .lock()
        .slots
        .iter()
        .flatten()
        .find(|(obj, _)| obj.as_ptr() == tz.as_ptr())
        .map(|(_, zone)| zone.clone());
    if let Some(zone) = known {
        return Ok(zone);
    }
    let zone = compute_zone(tz)?;
    let replaced = {
        let mut recent = RECENT_ZONES.lock();
        let slot = recent.next;
        recent.next = (slot + 1) % recent.slots.len();
        recent.slots[slot].replace((tz.clone().unbind(), zone.clone()))
    };
    drop(replaced); // after the lock: a tzinfo's __del__ may call back in here
    Ok(zone)
}

fn compute_zone(tz: &Bound<'_, PyAny>) -> PyResult<Zone> {
    let py = tz.py();
    let ty = tz.get_type();
    if ty.is(ZONEINFO_TYPE.import(py, "zoneinfo", "ZoneInfo")?) {
        let key = tz.getattr(intern!(py, "key"))?;
        if let Ok(key) = key.extract::<String>() {
            if let Ok(named) = chrono_tz::Tz::from_str(&key) {
                return Ok(Zone::Named {
                    tz: named,
                    twin: Some(Arc::new(PyTzInfo(tz.clone().unbind()))),
                });
            }
        }
    } else if ty.is(TIMEZONE_TYPE.import(py, "datetime", "timezone")?) {
        let offset = tz.call_method1(intern!(py, "utcoffset"), (py.None(),))?;
        return Ok(Zone::Fixed(timedelta_micros(&offset)?));
    }
    Ok(Zone::Foreign(Arc::new(PyTzInfo(tz.clone().unbind()))))
}

/// Wall time and fold of a Python datetime.
fn read_wall(dt: &Bound<'_, PyAny>) -> PyResult<(NaiveDateTime, bool)> {
    let py = dt.py();
    let get =
        |name: &Bound<'_, pyo3::types::PyString>| -> PyResult<i64> { dt.getattr(name)?.extract() };
    let wall = make_naive(
        get(intern!(py, "year"))?,
        get(intern!(py, "month"))?,
        get(intern!(py, "day"))?,
        get(intern!(py, "hour"))?,
        get(intern!(py, "minute"))?,
        get(intern!(py, "second"))?,
    )?;
    let micro: u32 = dt.getattr(intern!(py, "microsecond"))?.extract()?;
    let fold: u8 = dt.getattr(intern!(py, "fold"))?.extract()?;
    Ok((with_micro(wall, micro), fold != 0))
}

/// `datetime(...)` from a wall time, fold and tzinfo: through the C-API capsule
/// when available (see `capi`), else via the pickle-state constructor.
pub fn new_datetime<'py>(
    py: Python<'py>,
    wall: NaiveDateTime,
    fold: bool,
    tz: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(made) = super::capi::new_datetime(py, wall, fold, tz) {
        return made;
    }
    let year = wall.year() as u16;
    let micro = micro_of(&wall);
    let state = [
        (year >> 8) as u8,
        (year & 0xff) as u8,
        wall.month() as u8 | if fold { 0x80 } else { 0 },
        wall.day() as u8,
        wall.hour() as u8,
        wall.minute() as u8,
        wall.second() as u8,
        (micro >> 16) as u8,
        ((micro >> 8) & 0xff) as u8,
        (micro & 0xff) as u8,
    ];
    datetime_type(py)?.call1((PyBytes::new(py, &state), tz))
}

/// A Python datetime as a core value in its own zone. `own` is a tzinfo whose
/// zone is already known (a trigger's), so it is not converted again. Naive
/// datetimes are local time, as Python's `astimezone` reads them.
pub fn to_zoned(
    dt: &Bound<'_, PyAny>,
    own: Option<(&Bound<'_, PyAny>, &Zone)>,
) -> PyResult<ZonedDateTime> {
    let py = dt.py();
    let zone_for = |tzinfo: &Bound<'_, PyAny>| -> PyResult<Zone> {
        match own {
            Some((tz, zone)) if tzinfo.is(tz) => Ok(zone.clone()),
            _ => zone_of(tzinfo),
        }
    };
    if let Some((wall, fold, Some(tzinfo))) = super::capi::read(dt) {
        return Ok(ZonedDateTime::new(wall, fold, zone_for(&tzinfo)?));
    }
    let tzinfo = dt.getattr(intern!(py, "tzinfo"))?;
    if tzinfo.is_none() {
        let aware = dt.call_method1(intern!(py, "astimezone"), (utc(py)?,))?;
        let (wall, fold) = read_wall(&aware)?;
        return Ok(ZonedDateTime::new(wall, fold, Zone::utc()));
    }
    let (wall, fold) = read_wall(dt)?;
    Ok(ZonedDateTime::new(wall, fold, zone_for(&tzinfo)?))
}

/// Whether `dt` is a `datetime.datetime` (not a subclass) with a tzinfo: what
/// triggers return, and what the scheduler stores as is.
pub fn is_plain_aware(dt: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = dt.py();
    Ok(dt.get_type().is(datetime_type(py)?) && !dt.getattr(intern!(py, "tzinfo"))?.is_none())
}

/// A job's run time as the instant APScheduler's stores sort by
/// (`datetime_to_utc_timestamp`): aware datetimes by their instant, naive ones
/// read as UTC.
pub fn store_instant(dt: &Bound<'_, PyAny>) -> PyResult<i64> {
    let py = dt.py();
    if dt.getattr(intern!(py, "tzinfo"))?.is_none() {
        let (wall, _) = read_wall(dt)?;
        return Ok(crate::time::civil::naive_to_micros(wall));
    }
    Ok(to_zoned(dt, None)?.utc_micros()?)
}

/// Converts datetimes for one trigger: its own tzinfo object, whose zone is
/// looked up when needed ([`zone_of`] remembers it). Inputs (`now`, shared by
/// every job of a sweep) are remembered per thread, in [`LAST_INPUT`], and so
/// is the last datetime made ([`LAST_MADE`]); a trigger itself remembers
/// nothing, so an idle one holds no datetime (a job keeps its next run time as
/// an instant and has it rebuilt here when read).
pub struct Bridge {
    pub tz: Py<PyAny>,
}

/// The last input datetime converted on this thread, for the tzinfo object it
/// was converted with (a naive datetime's value depends on it).
struct Input {
    obj: Py<PyAny>,
    tz: usize,
    value: ZonedDateTime,
}

/// The last datetime a trigger made on this thread, by value: its tzinfo, its
/// packed fields and its instant. A chain of fire times (each one the next
/// call's previous fire time) then needs no conversion back. It holds the
/// tzinfo (so that no other can take its address) but not the datetime.
struct Made {
    tz: Py<PyAny>,
    packed: super::capi::Packed,
    utc: i64,
}

/// The instant of the datetime made last on this thread, if its tzinfo is
/// the object at `tz` and its packed value is `packed`.
fn made_instant(tz: *mut pyo3::ffi::PyObject, packed: &super::capi::Packed) -> Option<i64> {
    LAST_MADE
        .try_with(|slot| {
            let last = slot.try_borrow().ok()?;
            last.as_ref()
                .filter(|m| m.tz.as_ptr() == tz && m.packed == *packed)
                .map(|m| m.utc)
        })
        .ok()
        .flatten()
}

thread_local! {
    static LAST_MADE: std::cell::RefCell<Option<Made>> = const { std::cell::RefCell::new(None) };
    static LAST_INPUT: std::cell::RefCell<Option<Input>> = const { std::cell::RefCell::new(None) };
}

fn remembered_input(dt: &Bound<'_, PyAny>, tz: usize) -> Option<ZonedDateTime> {
    LAST_INPUT
        .try_with(|slot| {
            slot.borrow()
                .as_ref()
                .filter(|seen| seen.obj.as_ptr() == dt.as_ptr() && seen.tz == tz)
                .map(|seen| seen.value.clone())
        })
        .ok()
        .flatten()
}

fn remember_input(dt: &Bound<'_, PyAny>, tz: usize, value: &ZonedDateTime) {
    let seen = Input {
        obj: dt.clone().unbind(),
        tz,
        value: value.clone(),
    };
    // Dropped after the borrow ends: releasing the last reference to a
    // datetime can run Python code (a tzinfo's __del__) that converts again.
    let replaced = LAST_INPUT.try_with(|slot| slot.replace(Some(seen)));
    drop(replaced);
}

impl Bridge {
    pub fn new(tz: &Bound<'_, PyAny>) -> PyResult<Self> {
        zone_of(tz)?; // refused here if it cannot be used
        Ok(Bridge {
            tz: tz.clone().unbind(),
        })
    }

    /// The zone of this trigger's tzinfo.
    pub fn zone(&self, py: Python<'_>) -> PyResult<Zone> {
        zone_of(self.tz.bind(py))
    }

    pub fn tz<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.tz.bind(py)
    }

    /// An aware datetime as a core value, in its own zone. Naive datetimes are
    /// local time, as Python's `astimezone` reads them.
    pub fn to_core(&self, dt: &Bound<'_, PyAny>) -> PyResult<ZonedDateTime> {
        let tz = self.tz.as_ptr() as usize;
        if let Some(value) = remembered_input(dt, tz) {
            return Ok(value);
        }
        let value = self.convert(dt)?;
        remember_input(dt, tz, &value);
        Ok(value)
    }

    /// A trigger's two inputs as core values. The previous fire time is
    /// usually the datetime a trigger made last (taken from [`LAST_MADE`]) and
    /// is not remembered as an input, which would push out `now`, the input
    /// a sweep shares among its jobs.
    pub fn inputs(
        &self,
        previous: Option<&Bound<'_, PyAny>>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<(Option<ZonedDateTime>, ZonedDateTime)> {
        let previous_value = match previous {
            Some(previous) => Some(match self.made_value(previous)? {
                Some(value) => value,
                None => self.convert(previous)?,
            }),
            None => None,
        };
        if let (Some(previous), Some(value)) = (previous, &previous_value) {
            if previous.is(now) {
                return Ok((previous_value.clone(), value.clone()));
            }
        }
        Ok((previous_value, self.to_core(now)?))
    }

    /// The value of `dt` when it is the datetime a trigger in this tzinfo made
    /// last on this thread.
    fn made_value(&self, dt: &Bound<'_, PyAny>) -> PyResult<Option<ZonedDateTime>> {
        let py = dt.py();
        let tz = self.tz.as_ptr();
        let Some(packed) = super::capi::packed_in(dt, tz) else {
            return Ok(None);
        };
        if made_instant(tz, &packed).is_none() {
            return Ok(None);
        }
        let Some((wall, fold)) = super::capi::decode(&packed) else {
            return Ok(None);
        };
        Ok(Some(with_zone(self.tz.bind(py), |zone| {
            ZonedDateTime::new(wall, fold, zone.clone())
        })?))
    }

    /// Like [`Self::to_core`], without the memo (for values stored long-term).
    pub fn convert(&self, dt: &Bound<'_, PyAny>) -> PyResult<ZonedDateTime> {
        let py = dt.py();
        let tz = self.tz.bind(py);
        with_zone(tz, |zone| to_zoned(dt, Some((tz, zone))))?
    }

    /// The instant (UTC microseconds) of a datetime; read in place when it is
    /// in this trigger's own tzinfo (the usual previous fire time).
    pub fn utc_of(&self, dt: &Bound<'_, PyAny>) -> PyResult<i64> {
        let tz = self.tz.as_ptr();
        if let Some(utc) = super::capi::packed_in(dt, tz).and_then(|p| made_instant(tz, &p)) {
            return Ok(utc);
        }
        if let Some((wall, fold)) = super::capi::read_in(dt, tz) {
            let offset = with_zone(self.tz.bind(dt.py()), |z| z.utcoffset(wall, fold))??;
            return Ok(crate::time::civil::naive_to_micros(wall) - offset);
        }
        Ok(self.convert(dt)?.utc_micros()?)
    }

    /// Whether [`Self::instant_to_new_py`] rebuilds `dt` (whose value is
    /// `value`) exactly: a plain datetime with this trigger's tzinfo object,
    /// at a wall time and fold that its instant maps back to (not one in a
    /// gap, say). Then a trigger need not keep the object.
    pub fn rebuilds(&self, dt: &Bound<'_, PyAny>, value: &ZonedDateTime) -> PyResult<bool> {
        Ok(self.is_plain_in_own_tzinfo(dt)? && self.round_trips(dt.py(), value)?)
    }

    /// Whether `dt` is a plain datetime with this trigger's tzinfo object.
    fn is_plain_in_own_tzinfo(&self, dt: &Bound<'_, PyAny>) -> PyResult<bool> {
        let py = dt.py();
        Ok(dt.get_type().is(datetime_type(py)?)
            && dt.getattr(intern!(py, "tzinfo"))?.is(self.tz.bind(py)))
    }

    /// The instant of `dt` if [`Self::instant_to_new_py`] rebuilds it exactly
    /// (see [`Self::rebuilds`]); never for a zone only Python can compute.
    pub fn exact_instant(&self, dt: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
        let py = dt.py();
        if with_zone(self.tz.bind(py), |z| matches!(z, Zone::Foreign(_)))? {
            return Ok(None);
        }
        if !self.is_plain_in_own_tzinfo(dt)? {
            return Ok(None);
        }
        let value = self.convert(dt)?;
        Ok(self
            .round_trips(py, &value)?
            .then(|| value.utc_micros())
            .transpose()?)
    }

    /// Whether `value`, in this trigger's zone, is the wall time and fold that
    /// its own instant maps back to.
    pub fn round_trips(&self, py: Python<'_>, value: &ZonedDateTime) -> PyResult<bool> {
        let utc = value.utc_micros()?;
        Ok(with_zone(self.tz.bind(py), |z| z.fromutc(utc))?? == (value.wall, value.fold))
    }

    /// The datetime of an instant in this trigger's zone.
    pub fn instant_to_new_py<'py>(&self, py: Python<'py>, utc: i64) -> PyResult<Bound<'py, PyAny>> {
        let (wall, fold) = with_zone(self.tz.bind(py), |z| z.fromutc(utc))??;
        let tz = self.tz.bind(py);
        let dt = new_datetime(py, wall, fold, tz)?;
        self.remember_made(&dt, utc);
        Ok(dt)
    }

    /// Remember `dt`, just made in this trigger's zone at the instant `utc`,
    /// as this thread's [`LAST_MADE`].
    fn remember_made(&self, dt: &Bound<'_, PyAny>, utc: i64) {
        let tz = self.tz.bind(dt.py());
        let Some(packed) = super::capi::packed_in(dt, tz.as_ptr()) else {
            return;
        };
        // The replaced tzinfo is released after the borrow ends: that can run
        // Python code, which may make datetimes again.
        let replaced = LAST_MADE.try_with(|slot| {
            let mut last = slot.try_borrow_mut().ok()?;
            match last.as_mut() {
                Some(made) if made.tz.as_ptr() == tz.as_ptr() => {
                    made.packed = packed;
                    made.utc = utc;
                    None
                }
                _ => last.replace(Made {
                    tz: tz.clone().unbind(),
                    packed,
                    utc,
                }),
            }
        });
        drop(replaced);
    }

    pub fn to_py<'py>(&self, py: Python<'py>, value: ZonedDateTime) -> PyResult<Bound<'py, PyAny>> {
        let utc = value.utc_micros()?;
        let dt = new_datetime(py, value.wall, value.fold, self.tz.bind(py))?;
        self.remember_made(&dt, utc);
        Ok(dt)
    }
}
