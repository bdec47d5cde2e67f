//! Which methods of a Rust base class were replaced on an instance, tracked
//! as they are assigned (by the class's `__setattr__` and `__delattr__`), so
//! that a direct path can tell in one load whether it may go around them,
//! instead of looking each name up in the instance dict on every call.
//!
//! Assignments through `setattr` (and so `unittest.mock.patch.object`) are
//! seen; writing into the instance's `__dict__` directly is not.

use std::sync::atomic::{AtomicU32, Ordering};

use pyo3::prelude::*;
use pyo3::types::PyString;

/// A set of methods, one bit per name of a table (at most 32 names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Methods(u32);

impl Methods {
    /// The `names` of `table`; a name not in the table is left out.
    pub const fn of(table: &[&str], names: &[&str]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < names.len() {
            bits |= bit(table, names[i]);
            i += 1;
        }
        Methods(bits)
    }

    pub const fn meets(self, other: Methods) -> bool {
        self.0 & other.0 != 0
    }

    /// The methods at these positions of a table.
    pub fn at(positions: impl IntoIterator<Item = usize>) -> Self {
        Methods(positions.into_iter().fold(0, |bits, i| bits | 1 << i))
    }
}

/// The bit of `name` in `table`, 0 when it is not there.
const fn bit(table: &[&str], name: &str) -> u32 {
    let mut i = 0;
    while i < table.len() {
        if same(table[i], name) {
            return 1 << i;
        }
        i += 1;
    }
    0
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The methods of `table` assigned on one instance.
pub struct Assigned {
    table: &'static [&'static str],
    bits: AtomicU32,
}

impl Assigned {
    pub const fn new(table: &'static [&'static str]) -> Self {
        Assigned {
            table,
            bits: AtomicU32::new(0),
        }
    }

    /// Whether one of `methods` is assigned on the instance.
    pub fn any(&self, methods: Methods) -> bool {
        Methods(self.bits.load(Ordering::Acquire)).meets(methods)
    }

    /// `target.name = value` (`None`: `del target.name`), done as `object`
    /// does it and noted if `name` is in the table: an assignment before it
    /// is made, a deletion once it is done.
    pub fn set_attr(
        &self,
        target: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let bit = name
            .cast::<PyString>()
            .ok()
            .and_then(|name| name.to_str().ok())
            .map_or(0, |name| bit(self.table, name));
        if value.is_some() && bit != 0 {
            self.bits.fetch_or(bit, Ordering::AcqRel);
        }
        let value = value.map_or(std::ptr::null_mut(), Bound::as_ptr);
        // SAFETY: live objects (a null value deletes); -1 with an error set.
        let done =
            unsafe { pyo3::ffi::PyObject_GenericSetAttr(target.as_ptr(), name.as_ptr(), value) };
        if done < 0 {
            return Err(PyErr::fetch(target.py()));
        }
        if value.is_null() && bit != 0 {
            self.bits.fetch_and(!bit, Ordering::AcqRel);
        }
        Ok(())
    }
}
