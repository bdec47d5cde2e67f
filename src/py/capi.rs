//! Fast paths for `datetime` objects in an abi3 module.
//!
//! The limited API has no datetime functions, so the portable route is
//! attribute access and calling the type: ~30 ns per field read, ~120 ns per
//! construction, which dominated trigger calls. CPython publishes two things we
//! can use instead, both unchanged since 3.7 (we need 3.9+):
//! - the `datetime.datetime_CAPI` capsule (imported with `PyCapsule_Import`,
//!   which *is* in the stable ABI), whose constructor builds a datetime with a
//!   fold directly;
//! - the object layout the public `datetime.h` macros read (`data[10]`, `fold`,
//!   `tzinfo`).
//!
//! Both are checked once, at import, against the slow route on a sample value;
//! if anything disagrees they stay off and the attribute route is used.

use std::ffi::{c_char, c_int};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDateTime, Timelike};
use pyo3::ffi;
use pyo3::prelude::*;

use crate::time::civil::{make_naive, micro_of, with_micro};

/// The head of `PyDateTime_CAPI` (datetime.h), up to the PEP 495 constructor.
#[repr(C)]
struct DateTimeCapi {
    date_type: *mut ffi::PyTypeObject,
    datetime_type: *mut ffi::PyTypeObject,
    time_type: *mut ffi::PyTypeObject,
    delta_type: *mut ffi::PyTypeObject,
    tzinfo_type: *mut ffi::PyTypeObject,
    timezone_utc: *mut ffi::PyObject,
    date_from_date: *const (),
    datetime_from_date_and_time: *const (),
    time_from_time: *const (),
    delta_from_delta: *const (),
    timezone_from_timezone: *const (),
    datetime_from_timestamp: *const (),
    date_from_timestamp: *const (),
    datetime_from_date_and_time_and_fold: unsafe extern "C" fn(
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        c_int,
        *mut ffi::PyObject,
        c_int,
        *mut ffi::PyTypeObject,
    ) -> *mut ffi::PyObject,
}

/// `PyDateTime_DateTime` (datetime.h): an aware datetime's memory layout.
#[repr(C)]
struct RawDateTime {
    ob_base: ffi::PyObject,
    hashcode: ffi::Py_hash_t,
    hastzinfo: c_char,
    data: [u8; 10],
    fold: u8,
    tzinfo: *mut ffi::PyObject,
}

struct Capi(&'static DateTimeCapi);

// The capsule is immortal static data owned by the datetime module.
unsafe impl Send for Capi {}
unsafe impl Sync for Capi {}

static CAPI: OnceLock<Option<Capi>> = OnceLock::new();

fn capi() -> Option<&'static DateTimeCapi> {
    CAPI.get().and_then(|c| c.as_ref().map(|c| c.0))
}

/// Import the capsule and check both fast paths; called once at module init.
pub fn init(py: Python<'_>) -> PyResult<()> {
    let capsule = unsafe { ffi::PyCapsule_Import(c"datetime.datetime_CAPI".as_ptr(), 1) };
    let candidate = if capsule.is_null() {
        unsafe { ffi::PyErr_Clear() };
        None
    } else {
        Some(Capi(unsafe { &*(capsule as *const DateTimeCapi) }))
    };
    let _ = CAPI.set(candidate);
    // APSCHEDULER_RS_PORTABLE_DATETIME=1 forces the attribute route (tests use
    // it to keep that route covered).
    let forced_off = std::env::var_os("APSCHEDULER_RS_PORTABLE_DATETIME").is_some_and(|v| v == "1");
    if forced_off || !self_test(py).unwrap_or(false) {
        // Something differs from what we expect: use the portable route only.
        let _ = CAPI.set(None);
        FAST.set(false).ok();
    } else {
        FAST.set(true).ok();
    }
    Ok(())
}

static FAST: OnceLock<bool> = OnceLock::new();

fn enabled() -> bool {
    FAST.get().copied().unwrap_or(false)
}

/// Whether the capsule and layout fast paths are in use (for tests).
#[pyfunction]
pub fn datetime_fast_path() -> bool {
    enabled()
}

fn self_test(py: Python<'_>) -> PyResult<bool> {
    let Some(api) = capi() else { return Ok(false) };
    let datetime = py.import("datetime")?.getattr("datetime")?;
    if datetime.as_ptr() != api.datetime_type as *mut ffi::PyObject {
        return Ok(false);
    }
    let tz = py.import("datetime")?.getattr("timezone")?.getattr("utc")?;
    let wall = with_micro(make_naive(2024, 11, 3, 1, 30, 45)?, 123_456);
    let made = unsafe { build(py, api, wall, true, &tz)? };
    // Built by the capsule, read back by attributes...
    let get = |name: &str| -> PyResult<i64> { made.getattr(name)?.extract() };
    let fields_ok = [
        get("year")? == 2024,
        get("month")? == 11,
        get("day")? == 3,
        get("hour")? == 1,
        get("minute")? == 30,
        get("second")? == 45,
        get("microsecond")? == 123_456,
        get("fold")? == 1,
        made.getattr("tzinfo")?.is(&tz),
    ];
    // ...and read by layout: both must agree.
    let read = read_raw(&made);
    Ok(fields_ok.iter().all(|ok| *ok)
        && matches!(read, Some((w, true, Some(ptr))) if w == wall && ptr == tz.as_ptr()))
}

unsafe fn build<'py>(
    py: Python<'py>,
    api: &DateTimeCapi,
    wall: NaiveDateTime,
    fold: bool,
    tz: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let ptr = (api.datetime_from_date_and_time_and_fold)(
        wall.year(),
        wall.month() as c_int,
        wall.day() as c_int,
        wall.hour() as c_int,
        wall.minute() as c_int,
        wall.second() as c_int,
        micro_of(&wall) as c_int,
        tz.as_ptr(),
        c_int::from(fold),
        api.datetime_type,
    );
    Bound::from_owned_ptr_or_err(py, ptr)
}

/// Wall time, fold and tzinfo pointer of an exact `datetime.datetime`.
fn read_raw(dt: &Bound<'_, PyAny>) -> Option<(NaiveDateTime, bool, Option<*mut ffi::PyObject>)> {
    let api = capi()?;
    let ty = unsafe { ffi::Py_TYPE(dt.as_ptr()) };
    if ty != api.datetime_type {
        return None;
    }
    // Raw-pointer reads, no reference: a naive datetime's allocation ends
    // before the `tzinfo` slot, which is read only when `hastzinfo` says so.
    let raw = dt.as_ptr() as *const RawDateTime;
    let (d, hastzinfo, fold) = unsafe {
        (
            std::ptr::addr_of!((*raw).data).read(),
            std::ptr::addr_of!((*raw).hastzinfo).read(),
            std::ptr::addr_of!((*raw).fold).read(),
        )
    };
    let (wall, fold) = decode(&(d, fold))?;
    let tzinfo = (hastzinfo != 0).then(|| unsafe { std::ptr::addr_of!((*raw).tzinfo).read() });
    Some((wall, fold, tzinfo))
}

/// What identifies an aware datetime's value in a given tzinfo: its packed
/// fields (`data`) and fold, read by layout (no conversion).
pub type Packed = ([u8; 10], u8);

/// The wall time and fold a packed value holds.
pub fn decode((d, fold): &Packed) -> Option<(NaiveDateTime, bool)> {
    let year = i64::from(u16::from(d[0]) << 8 | u16::from(d[1]));
    let micro = u32::from(d[7]) << 16 | u32::from(d[8]) << 8 | u32::from(d[9]);
    let wall = make_naive(
        year,
        i64::from(d[2]),
        i64::from(d[3]),
        i64::from(d[4]),
        i64::from(d[5]),
        i64::from(d[6]),
    )
    .ok()?;
    Some((with_micro(wall, micro), *fold != 0))
}

/// The packed value of `dt` when it is a plain datetime whose tzinfo is the
/// object at `tz`; `None` otherwise or when the fast path is off.
pub fn packed_in(dt: &Bound<'_, PyAny>, tz: *mut ffi::PyObject) -> Option<Packed> {
    if !enabled() {
        return None;
    }
    let api = capi()?;
    if unsafe { ffi::Py_TYPE(dt.as_ptr()) } != api.datetime_type {
        return None;
    }
    let raw = dt.as_ptr() as *const RawDateTime;
    unsafe {
        if std::ptr::addr_of!((*raw).hastzinfo).read() == 0
            || std::ptr::addr_of!((*raw).tzinfo).read() != tz
        {
            return None;
        }
        Some((
            std::ptr::addr_of!((*raw).data).read(),
            std::ptr::addr_of!((*raw).fold).read(),
        ))
    }
}

/// A datetime's wall time and fold, by layout, when its tzinfo is the object
/// at `tz` (compared by address, no reference taken); `None` otherwise or when
/// the fast path is off.
pub fn read_in(dt: &Bound<'_, PyAny>, tz: *mut ffi::PyObject) -> Option<(NaiveDateTime, bool)> {
    if !enabled() {
        return None;
    }
    match read_raw(dt)? {
        (wall, fold, Some(tzinfo)) if tzinfo == tz => Some((wall, fold)),
        _ => None,
    }
}

/// A datetime's wall time, fold and tzinfo (null-free `Py` handle), by layout
/// when the fast path is on; `None` means "use the attribute route".
pub fn read<'py>(
    dt: &Bound<'py, PyAny>,
) -> Option<(NaiveDateTime, bool, Option<Bound<'py, PyAny>>)> {
    if !enabled() {
        return None;
    }
    let (wall, fold, tzinfo) = read_raw(dt)?;
    let tz = tzinfo
        .filter(|p| !p.is_null() && *p != unsafe { ffi::Py_None() })
        .map(|p| unsafe { Bound::from_borrowed_ptr(dt.py(), p) });
    Some((wall, fold, tz))
}

/// Build a datetime through the capsule; `None` when the fast path is off.
pub fn new_datetime<'py>(
    py: Python<'py>,
    wall: NaiveDateTime,
    fold: bool,
    tz: &Bound<'py, PyAny>,
) -> Option<PyResult<Bound<'py, PyAny>>> {
    if !enabled() {
        return None;
    }
    let api = capi()?;
    Some(unsafe { build(py, api, wall, fold, tz) })
}
