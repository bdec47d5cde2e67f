//! `JobCore`: where `apscheduler_rs.job.Job` keeps its attributes.
//!
//! Most of what a job holds is what it shares with the jobs added next to it:
//! its scheduler and store, its function (with reference and name), executor
//! and options. Those live in one immutable `JobSpec`, interned so that such
//! jobs share one. A job keeps its own id (inline, not as a Python string),
//! arguments, trigger and next run time; an empty `kwargs` is made only when
//! read, and a next run time that the job's trigger rebuilds exactly is kept
//! as an instant instead of a datetime. Python sees APScheduler's attributes,
//! unset until first assigned, as slots are.
//!
//! Locking: a job's state is behind a mutex that is never held while Python
//! code could run (no calls, no allocation of Python objects, no releasing
//! of references), so the garbage collector's traversal, which may run at any
//! allocation, can always take it; replaced values are dropped after it is
//! released.

use std::sync::OnceLock;

use parking_lot::Mutex;
use pyo3::exceptions::{PyAttributeError, PyTypeError, PyValueError};
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple, PyType};
use pyo3::{ffi, PyTraverseError};
use smallvec::SmallVec;

use super::common::no_attribute;
use super::interval::PyIntervalTrigger;
use super::refs::imported_ref;
use super::run_time;

/// A job id: its UTF-8 bytes (lone surrogates as "surrogatepass" writes them),
/// so that byte order is Python's code-point order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(SmallVec<[u8; 16]>);

impl JobId {
    pub fn from_text(text: &str) -> Self {
        JobId(SmallVec::from_slice(text.as_bytes()))
    }

    pub fn from_py(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = value
            .cast::<PyString>()
            .map_err(|_| PyTypeError::new_err("id must be a nonempty string"))?;
        if let Ok(utf8) = text.to_str() {
            return Ok(JobId::from_text(utf8));
        }
        let py = value.py();
        let encoded = text.call_method1(intern!(py, "encode"), ("utf-8", "surrogatepass"))?;
        Ok(JobId(SmallVec::from_slice(
            encoded.cast::<PyBytes>()?.as_bytes(),
        )))
    }

    pub fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        match std::str::from_utf8(&self.0) {
            Ok(text) => Ok(PyString::new(py, text)),
            Err(_) => Ok(PyBytes::new(py, &self.0)
                .call_method1(intern!(py, "decode"), ("utf-8", "surrogatepass"))?
                .cast_into::<PyString>()?),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The attributes a job shares with others, in `JobSpec.fields` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shared {
    Scheduler,
    JobstoreAlias,
    Func,
    FuncRef,
    Name,
    Executor,
    MisfireGraceTime,
    Coalesce,
    MaxInstances,
}

const SHARED_COUNT: usize = 9;

impl Shared {
    const ALL: [Shared; SHARED_COUNT] = [
        Shared::Scheduler,
        Shared::JobstoreAlias,
        Shared::Func,
        Shared::FuncRef,
        Shared::Name,
        Shared::Executor,
        Shared::MisfireGraceTime,
        Shared::Coalesce,
        Shared::MaxInstances,
    ];

    pub fn attribute(self) -> &'static str {
        match self {
            Shared::Scheduler => "_scheduler",
            Shared::JobstoreAlias => "_jobstore_alias",
            Shared::Func => "func",
            Shared::FuncRef => "func_ref",
            Shared::Name => "name",
            Shared::Executor => "executor",
            Shared::MisfireGraceTime => "misfire_grace_time",
            Shared::Coalesce => "coalesce",
            Shared::MaxInstances => "max_instances",
        }
    }

    fn named(attribute: &str) -> Option<Shared> {
        Shared::ALL.into_iter().find(|s| s.attribute() == attribute)
    }
}

pub type SharedValues = [Option<Py<PyAny>>; SHARED_COUNT];

/// The shared attributes of one or more jobs (never changed: a job given a
/// new value gets another spec). Internal; not exposed under a public name.
#[pyclass(frozen, module = "apscheduler_rs._core", name = "JobSpec")]
pub struct PyJobSpec {
    values: SharedValues,
    /// Whether `func_ref` and `name` are what `obj_to_ref(func)` (or `None`)
    /// and `get_callable_name(func)` give, so a job of the same function can
    /// take them from here.
    derived: bool,
    /// A call of `func` known to bind (see [`PyJobSpec::binds`]).
    checked_call: Mutex<Option<CheckedCall>>,
}

/// `func(*args)` with `positional` arguments and no keywords binds, for the
/// function's code, defaults and keyword defaults as they were then.
struct CheckedCall {
    parts: [Py<PyAny>; 3],
    positional: usize,
}

#[pymethods]
impl PyJobSpec {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for value in &self.values {
            visit.call(value)?;
        }
        if let Some(checked) = self.checked_call.try_lock() {
            for part in checked.iter().flat_map(|c| &c.parts) {
                visit.call(part)?;
            }
        }
        Ok(())
    }
}

/// What decides whether a call binds to a plain function: its code, defaults
/// and keyword defaults (`None` for other callables, and for a function with
/// a `__signature__` of its own, as `check_callable_args` caches them).
fn binding_parts<'py>(func: &Bound<'py, PyAny>) -> PyResult<Option<[Bound<'py, PyAny>; 3]>> {
    let py = func.py();
    if !func
        .get_type()
        .is(super::pyfuncs::cached!(py, "types", "FunctionType")?)
    {
        return Ok(None);
    }
    let own = func.getattr(intern!(py, "__dict__"))?;
    if own
        .cast::<PyDict>()?
        .contains(intern!(py, "__signature__"))?
    {
        return Ok(None);
    }
    Ok(Some([
        func.getattr(intern!(py, "__code__"))?,
        func.getattr(intern!(py, "__defaults__"))?,
        func.getattr(intern!(py, "__kwdefaults__"))?,
    ]))
}

impl PyJobSpec {
    pub fn value(&self, which: Shared) -> Option<&Py<PyAny>> {
        self.values[which as usize].as_ref()
    }

    /// Whether `func(*args)` with `positional` arguments (no keywords) is
    /// known to bind, as last checked for this spec's function.
    pub fn binds(&self, py: Python<'_>, positional: usize) -> PyResult<bool> {
        let Some(func) = self.value(Shared::Func) else {
            return Ok(false);
        };
        let Some(parts) = binding_parts(func.bind(py))? else {
            return Ok(false);
        };
        Ok(self.checked_call.lock().as_ref().is_some_and(|checked| {
            checked.positional == positional
                && checked.parts.iter().zip(&parts).all(|(a, b)| a.is(b))
        }))
    }

    /// Remember that `func(*args)` with `positional` arguments binds.
    pub fn remember_binding(&self, py: Python<'_>, positional: usize) -> PyResult<()> {
        let Some(func) = self.value(Shared::Func) else {
            return Ok(());
        };
        if let Some(parts) = binding_parts(func.bind(py))? {
            let checked = CheckedCall {
                parts: parts.map(Bound::unbind),
                positional,
            };
            let replaced = self.checked_call.lock().replace(checked);
            drop(replaced);
        }
        Ok(())
    }
}

/// `func_ref` and `name` as derived from `func` for a recent spec of that
/// very function object.
pub fn derived_from_recent(
    py: Python<'_>,
    func: &Bound<'_, PyAny>,
) -> Option<(Option<Py<PyAny>>, Py<PyAny>)> {
    let spec = RECENT_SPECS.lock().find_by(py, |spec| {
        spec.derived && spec.value(Shared::Func).map(Py::as_ptr) == Some(func.as_ptr())
    })?;
    let spec = spec.get();
    let name = spec.value(Shared::Name)?.clone_ref(py);
    let func_ref = spec.value(Shared::FuncRef).map(|r| r.clone_ref(py));
    Some((func_ref, name))
}

impl Drop for PyJobSpec {
    fn drop(&mut self) {
        RECENT_SPECS
            .lock()
            .forget(self as *const PyJobSpec as usize);
    }
}

/// The last specs made, for [`intern_spec`]: jobs added one after another
/// usually share theirs. Entries are borrowed (object, contents) addresses: a
/// spec removes itself when dropped, so the cache never keeps one alive.
static RECENT_SPECS: Mutex<RecentSpecs> = Mutex::new(RecentSpecs {
    entries: [(0, 0); 8],
    next: 0,
});

struct RecentSpecs {
    entries: [(usize, usize); 8],
    next: usize,
}

impl RecentSpecs {
    fn find(&self, py: Python<'_>, values: &SharedValues, derived: bool) -> Option<Py<PyJobSpec>> {
        self.find_by(py, |spec| {
            spec.derived == derived
                && spec
                    .values
                    .iter()
                    .zip(values)
                    .all(|(a, b)| a.as_ref().map(Py::as_ptr) == b.as_ref().map(Py::as_ptr))
        })
    }

    /// A live recent spec that `matches`.
    fn find_by(
        &self,
        py: Python<'_>,
        matches: impl Fn(&PyJobSpec) -> bool,
    ) -> Option<Py<PyJobSpec>> {
        for &(object, contents) in &self.entries {
            if object == 0 {
                continue;
            }
            let object = object as *mut ffi::PyObject;
            // SAFETY: an entry is removed when its spec is dropped, and both
            // happen with the GIL held, so a listed spec is alive; one whose
            // deallocation has begun (no references left) is passed over.
            let spec = unsafe {
                if ffi::Py_REFCNT(object) <= 0 {
                    continue;
                }
                &*(contents as *const PyJobSpec)
            };
            if matches(spec) {
                // SAFETY: alive (above), and the GIL is held.
                let spec = unsafe {
                    Bound::from_borrowed_ptr(py, object).cast_into_unchecked::<PyJobSpec>()
                };
                return Some(spec.unbind());
            }
        }
        None
    }

    /// Remember `spec` in a free slot (a spec's slot is freed when it is
    /// dropped), else in the one used longest ago.
    fn remember(&mut self, spec: &Py<PyJobSpec>) {
        let slot = match self.entries.iter().position(|entry| entry.0 == 0) {
            Some(free) => free,
            None => {
                let oldest = self.next;
                self.next = (oldest + 1) % self.entries.len();
                oldest
            }
        };
        self.entries[slot] = (
            spec.as_ptr() as usize,
            spec.get() as *const PyJobSpec as usize,
        );
    }

    fn forget(&mut self, contents: usize) {
        for entry in &mut self.entries {
            if entry.1 == contents {
                *entry = (0, 0);
            }
        }
    }
}

/// A spec with `values`: a recent one with the very same objects, or a new one.
pub fn intern_spec(py: Python<'_>, values: SharedValues, derived: bool) -> PyResult<Py<PyJobSpec>> {
    let found = RECENT_SPECS.lock().find(py, &values, derived);
    if let Some(spec) = found {
        return Ok(spec);
    }
    let spec = Py::new(
        py,
        PyJobSpec {
            values,
            derived,
            checked_call: Mutex::new(None),
        },
    )?;
    RECENT_SPECS.lock().remember(&spec);
    Ok(spec)
}

/// A job's `kwargs`.
#[derive(Default)]
enum Kwargs {
    #[default]
    Unset,
    /// `{}`, not made yet: made (and kept) when first read.
    Empty,
    Given(Py<PyAny>),
}

/// A job's `next_run_time`.
#[derive(Default)]
pub enum NextRun {
    #[default]
    Unset,
    /// `None`: paused.
    Paused,
    /// A datetime the job's trigger rebuilds exactly from this instant (UTC
    /// microseconds); see [`run_time`].
    At(i64),
    Given(Py<PyAny>),
}

/// A job's `trigger`.
#[derive(Default)]
enum TriggerSlot {
    #[default]
    Unset,
    Object(Py<PyAny>),
    /// A built-in interval trigger kept inline (a job made by `add_job` with
    /// the `"interval"` alias): its object is made, and kept, only when
    /// `job.trigger` is read.
    Interval(PyIntervalTrigger),
}

/// What identifies the trigger a job has, to tell whether it was replaced.
#[derive(PartialEq, Eq)]
enum TriggerIdentity {
    None,
    Object(usize),
    Interval(usize, i64, i64),
}

impl TriggerSlot {
    fn identity(&self) -> TriggerIdentity {
        match self {
            TriggerSlot::Unset => TriggerIdentity::None,
            TriggerSlot::Object(object) => TriggerIdentity::Object(object.as_ptr() as usize),
            TriggerSlot::Interval(inline) => {
                let (tz, interval, start) = inline.identity();
                TriggerIdentity::Interval(tz, interval, start)
            }
        }
    }
}

/// A job's trigger, taken out of the lock: a new reference, or a copy of an
/// inline one.
enum TriggerRef {
    Object(Py<PyAny>),
    Interval(PyIntervalTrigger),
}

impl TriggerRef {
    /// `trigger.get_next_fire_time(previous, now)`.
    fn next_fire_time<'py>(
        &self,
        py: Python<'py>,
        previous: Option<&Bound<'py, PyAny>>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self {
            TriggerRef::Object(trigger) => {
                run_time::next_fire_time(trigger.bind(py), previous, now)
            }
            TriggerRef::Interval(inline) => inline.get_next_fire_time(py, previous, now),
        }
    }

    /// The datetime a next run time kept as `at` stands for.
    fn rebuild<'py>(&self, py: Python<'py>, at: i64) -> PyResult<Bound<'py, PyAny>> {
        match self {
            TriggerRef::Object(trigger) => run_time::rebuild(trigger.bind(py), at),
            TriggerRef::Interval(inline) => inline.bridge().instant_to_new_py(py, at),
        }
    }

    /// The instant `dt` can be kept as (see [`run_time::compact`]).
    fn compact(&self, py: Python<'_>, dt: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
        match self {
            TriggerRef::Object(trigger) => run_time::compact(trigger.bind(py), dt),
            TriggerRef::Interval(inline) => inline.bridge().exact_instant(dt),
        }
    }
}

#[derive(Default)]
struct JobState {
    spec: Option<Py<PyJobSpec>>,
    args: Option<Py<PyAny>>,
    kwargs: Kwargs,
    trigger: TriggerSlot,
    next_run: NextRun,
}

#[pyclass(
    frozen,
    subclass,
    weakref,
    module = "apscheduler_rs._core",
    name = "JobCore"
)]
pub struct PyJob {
    /// Set once: a stored job is found (and ordered) by it.
    id: OnceLock<JobId>,
    state: Mutex<JobState>,
}

fn missing(slf: &Bound<'_, PyJob>, attribute: &str) -> PyErr {
    no_attribute(slf.as_any(), attribute)
}

/// A value assigned from Python (`None` is a value: attributes cannot be
/// deleted).
type Assigned<'py> = Bound<'py, PyAny>;

impl PyJob {
    /// A new job object of `class` (`Job`, a subclass of ours), empty as
    /// `Job.__new__(Job)` makes it, without calling `Job.__init__`.
    pub fn new_object<'py>(class: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyJob>> {
        Ok(super::common::new_without_init(class)?.cast_into::<PyJob>()?)
    }

    /// Fill a new job's own attributes (see [`Self::new_object`]); its
    /// trigger is an object, or an interval trigger kept inline.
    pub fn fill(
        &self,
        id: JobId,
        spec: Py<PyJobSpec>,
        args: Py<PyAny>,
        kwargs: Option<Py<PyAny>>,
        trigger: Result<Py<PyAny>, PyIntervalTrigger>,
    ) {
        let _ = self.id.set(id);
        let mut state = self.state.lock();
        state.spec = Some(spec);
        state.args = Some(args);
        state.kwargs = match kwargs {
            Some(kwargs) => Kwargs::Given(kwargs),
            None => Kwargs::Empty,
        };
        state.trigger = match trigger {
            Ok(object) => TriggerSlot::Object(object),
            Err(inline) => TriggerSlot::Interval(inline),
        };
    }

    pub fn id(&self) -> Option<&JobId> {
        self.id.get()
    }

    fn set_id(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = JobId::from_py(value)?;
        match self.id.get() {
            Some(current) if *current == id => Ok(()),
            Some(_) => Err(PyValueError::new_err("The job ID may not be changed")),
            None => {
                // a race with another first assignment keeps the first one
                let _ = self.id.set(id);
                Ok(())
            }
        }
    }

    fn spec(&self, py: Python<'_>) -> Option<Py<PyJobSpec>> {
        self.state.lock().spec.as_ref().map(|s| s.clone_ref(py))
    }

    pub fn shared(&self, py: Python<'_>, which: Shared) -> Option<Py<PyAny>> {
        let spec = self.spec(py)?;
        spec.get().value(which).map(|v| v.clone_ref(py))
    }

    /// Replace some shared attributes (`None`: unset) with one new spec.
    fn set_shared(
        &self,
        py: Python<'_>,
        changes: Vec<(Shared, Option<Py<PyAny>>)>,
    ) -> PyResult<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let current = self.spec(py);
        let mut values: SharedValues = match &current {
            Some(spec) => spec
                .get()
                .values
                .each_ref()
                .map(|v| v.as_ref().map(|v| v.clone_ref(py))),
            None => Default::default(),
        };
        for (which, value) in changes {
            values[which as usize] = value;
        }
        let spec = intern_spec(py, values, false)?;
        let replaced = self.state.lock().spec.replace(spec);
        drop(replaced);
        drop(current);
        Ok(())
    }

    /// The trigger, out of the lock (`None`: unset).
    fn trigger_ref(&self, py: Python<'_>) -> Option<TriggerRef> {
        match &self.state.lock().trigger {
            TriggerSlot::Unset => None,
            TriggerSlot::Object(object) => Some(TriggerRef::Object(object.clone_ref(py))),
            TriggerSlot::Interval(inline) => Some(TriggerRef::Interval(inline.clone_ref(py))),
        }
    }

    /// `job.trigger`: an inline trigger is made an object now, and kept.
    pub fn trigger<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let (inline, identity) = match self.trigger_ref(py) {
            None => return Ok(None),
            Some(TriggerRef::Object(object)) => return Ok(Some(object.into_bound(py))),
            Some(TriggerRef::Interval(inline)) => (inline, self.state.lock().trigger.identity()),
        };
        let object = inline.into_object(py)?;
        let replaced = {
            let mut state = self.state.lock();
            if state.trigger.identity() == identity {
                Some(std::mem::replace(
                    &mut state.trigger,
                    TriggerSlot::Object(object.clone().unbind()),
                ))
            } else {
                None
            }
        };
        drop(replaced);
        Ok(Some(object))
    }

    /// The first run time of an inline interval trigger whose zone the core
    /// computes, at `now`, as an instant (`Some(None)`: it never fires);
    /// `None` for any other trigger (ask [`Self::next_fire_time`]).
    pub fn first_run_instant(
        &self,
        py: Python<'_>,
        now: &crate::time::ZonedDateTime,
    ) -> PyResult<Option<Option<i64>>> {
        let Some(TriggerRef::Interval(inline)) = self.trigger_ref(py) else {
            return Ok(None);
        };
        if !inline.computes_natively(py)? {
            return Ok(None);
        }
        inline.first_fire_instant(py, now).map(Some)
    }

    /// `trigger.get_next_fire_time(previous, now)` for this job's trigger,
    /// without making an inline one an object.
    pub fn next_fire_time<'py>(
        &self,
        py: Python<'py>,
        previous: Option<&Bound<'py, PyAny>>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let trigger = self
            .trigger_ref(py)
            .ok_or_else(|| PyAttributeError::new_err("trigger"))?;
        trigger.next_fire_time(py, previous, now)
    }

    pub fn args(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.state.lock().args.as_ref().map(|a| a.clone_ref(py))
    }

    /// The next run time as a datetime (`None` when paused), or `Err(None)`
    /// when unset.
    pub fn next_run_time<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let at = match &self.state.lock().next_run {
            NextRun::Unset => return Err(PyAttributeError::new_err("next_run_time")),
            NextRun::Paused => return Ok(None),
            NextRun::Given(value) => return Ok(Some(value.clone_ref(py).into_bound(py))),
            NextRun::At(at) => *at,
        };
        let trigger = self
            .trigger_ref(py)
            .ok_or_else(|| PyAttributeError::new_err("trigger"))?;
        trigger.rebuild(py, at).map(Some)
    }

    /// The next run time's instant when it is kept as one (`Some(None)`: paused).
    pub fn next_run_instant(&self) -> Option<Option<i64>> {
        match self.state.lock().next_run {
            NextRun::At(at) => Some(Some(at)),
            NextRun::Paused => Some(None),
            _ => None,
        }
    }

    /// Store `value` (a datetime or `None`) as the next run time, as an instant
    /// when the trigger rebuilds it exactly.
    pub fn set_next_run_time(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let py = value.py();
        let next = if value.is_none() {
            NextRun::Paused
        } else {
            let identity = self.state.lock().trigger.identity();
            let at = match self.trigger_ref(py) {
                Some(trigger) => trigger.compact(py, value)?,
                None => None,
            };
            match at {
                // only if the trigger is still the one it was checked against
                Some(at) if self.state.lock().trigger.identity() == identity => NextRun::At(at),
                _ => NextRun::Given(value.clone().unbind()),
            }
        };
        let replaced = std::mem::replace(&mut self.state.lock().next_run, next);
        drop(replaced);
        Ok(())
    }

    /// Store an instant the trigger computed as the next run time (`None`:
    /// paused, the trigger never fires).
    pub fn set_next_run_at(&self, at: Option<i64>) {
        let next = at.map_or(NextRun::Paused, NextRun::At);
        let replaced = std::mem::replace(&mut self.state.lock().next_run, next);
        drop(replaced);
    }

    fn set_trigger(&self, py: Python<'_>, value: Option<Py<PyAny>>) -> PyResult<()> {
        // A run time kept as an instant belongs to the old trigger: make it a
        // datetime first.
        let kept_as_instant = matches!(self.state.lock().next_run, NextRun::At(_));
        let py_next = if kept_as_instant {
            self.next_run_time(py)?.map(Bound::unbind)
        } else {
            None
        };
        let (old_trigger, old_next) = {
            let mut state = self.state.lock();
            let old_next = match py_next {
                Some(dt) if matches!(state.next_run, NextRun::At(_)) => {
                    Some(std::mem::replace(&mut state.next_run, NextRun::Given(dt)))
                }
                _ => None,
            };
            let value = value.map_or(TriggerSlot::Unset, TriggerSlot::Object);
            (std::mem::replace(&mut state.trigger, value), old_next)
        };
        drop(old_trigger);
        drop(old_next);
        Ok(())
    }

    fn set_args(&self, value: Option<Py<PyAny>>) {
        let replaced = std::mem::replace(&mut self.state.lock().args, value);
        drop(replaced);
    }

    fn set_kwargs(&self, value: Kwargs) {
        let replaced = std::mem::replace(&mut self.state.lock().kwargs, value);
        drop(replaced);
    }

    /// `kwargs`, made now if it is the empty dict not made yet.
    pub fn kwargs<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let current = match &self.state.lock().kwargs {
            Kwargs::Unset => return Ok(None),
            Kwargs::Given(value) => Some(value.clone_ref(py)),
            Kwargs::Empty => None,
        };
        if let Some(value) = current {
            return Ok(Some(value.into_bound(py)));
        }
        let made = PyDict::new(py).into_any();
        let mut state = self.state.lock();
        match &state.kwargs {
            Kwargs::Given(value) => Ok(Some(value.clone_ref(py).into_bound(py))),
            _ => {
                state.kwargs = Kwargs::Given(made.clone().unbind());
                Ok(Some(made))
            }
        }
    }
}

#[pymethods]
impl PyJob {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        PyJob {
            id: OnceLock::new(),
            state: Mutex::new(JobState::default()),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // Taken only briefly and never while Python runs (see the module doc);
        // if it is held anyway, these references just count as external.
        let Some(state) = self.state.try_lock() else {
            return Ok(());
        };
        visit.call(&state.spec)?;
        visit.call(&state.args)?;
        if let Kwargs::Given(kwargs) = &state.kwargs {
            visit.call(kwargs)?;
        }
        match &state.trigger {
            TriggerSlot::Unset => {}
            TriggerSlot::Object(trigger) => visit.call(trigger)?,
            TriggerSlot::Interval(inline) => inline.visit(&visit)?,
        }
        if let NextRun::Given(next) = &state.next_run {
            visit.call(next)?;
        }
        Ok(())
    }

    fn __clear__(&self) {
        let cleared = self
            .state
            .try_lock()
            .map(|mut state| std::mem::take(&mut *state));
        drop(cleared);
    }

    #[getter]
    fn get_id<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyString>> {
        match slf.get().id.get() {
            Some(id) => id.to_py(slf.py()),
            None => Err(missing(slf, "id")),
        }
    }

    #[setter(id)]
    fn set_id_attr(&self, value: Assigned<'_>) -> PyResult<()> {
        self.set_id(&value)
    }

    #[getter(_scheduler)]
    fn get_scheduler(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::Scheduler)
    }

    #[setter(_scheduler)]
    fn set_scheduler(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::Scheduler, Some(value.unbind()))])
    }

    #[getter(_jobstore_alias)]
    fn get_jobstore_alias(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::JobstoreAlias)
    }

    #[setter(_jobstore_alias)]
    fn set_jobstore_alias(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::JobstoreAlias, Some(value.unbind()))])
    }

    #[getter(func)]
    fn get_func(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::Func)
    }

    #[setter(func)]
    fn set_func(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::Func, Some(value.unbind()))])
    }

    #[getter(func_ref)]
    fn get_func_ref(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::FuncRef)
    }

    #[setter(func_ref)]
    fn set_func_ref(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::FuncRef, Some(value.unbind()))])
    }

    #[getter(name)]
    fn get_name(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::Name)
    }

    #[setter(name)]
    fn set_name(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::Name, Some(value.unbind()))])
    }

    #[getter(executor)]
    fn get_executor(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::Executor)
    }

    #[setter(executor)]
    fn set_executor(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::Executor, Some(value.unbind()))])
    }

    #[getter(misfire_grace_time)]
    fn get_misfire_grace_time(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::MisfireGraceTime)
    }

    #[setter(misfire_grace_time)]
    fn set_misfire_grace_time(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::MisfireGraceTime, Some(value.unbind()))])
    }

    #[getter(coalesce)]
    fn get_coalesce(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::Coalesce)
    }

    #[setter(coalesce)]
    fn set_coalesce(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::Coalesce, Some(value.unbind()))])
    }

    #[getter(max_instances)]
    fn get_max_instances(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        get_shared(slf, Shared::MaxInstances)
    }

    #[setter(max_instances)]
    fn set_max_instances(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_shared(py, vec![(Shared::MaxInstances, Some(value.unbind()))])
    }

    #[getter(args)]
    fn get_args(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        slf.get().args(slf.py()).ok_or_else(|| missing(slf, "args"))
    }

    #[setter(args)]
    fn set_args_attr(&self, value: Assigned<'_>) {
        self.set_args(Some(value.unbind()));
    }

    #[getter(kwargs)]
    fn get_kwargs<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get()
            .kwargs(slf.py())?
            .ok_or_else(|| missing(slf, "kwargs"))
    }

    #[setter(kwargs)]
    fn set_kwargs_attr(&self, value: Assigned<'_>) {
        self.set_kwargs(Kwargs::Given(value.unbind()));
    }

    #[getter(trigger)]
    fn get_trigger<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.get()
            .trigger(slf.py())?
            .ok_or_else(|| missing(slf, "trigger"))
    }

    #[setter(trigger)]
    fn set_trigger_attr(&self, py: Python<'_>, value: Assigned<'_>) -> PyResult<()> {
        self.set_trigger(py, Some(value.unbind()))
    }

    #[getter(next_run_time)]
    fn get_next_run_time<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if matches!(slf.get().state.lock().next_run, NextRun::Unset) {
            return Err(missing(slf, "next_run_time"));
        }
        Ok(slf
            .get()
            .next_run_time(py)?
            .unwrap_or_else(|| py.None().into_bound(py)))
    }

    #[setter(next_run_time)]
    fn set_next_run_time_attr(&self, value: Assigned<'_>) -> PyResult<()> {
        self.set_next_run_time(&value)
    }

    /// Assign several attributes at once (keywords named as the attributes;
    /// `_kwargs_empty=True` gives an empty `kwargs` made only when read):
    /// the shared ones become one spec. The trigger is set before the next run
    /// time, which is kept relative to it.
    #[pyo3(signature = (**changes))]
    fn _assign(&self, py: Python<'_>, changes: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let Some(changes) = changes else {
            return Ok(());
        };
        let mut shared = Vec::new();
        let mut next_run_time = None;
        for (key, value) in changes.iter() {
            let key = key.cast::<PyString>()?.to_str()?.to_owned();
            if let Some(which) = Shared::named(&key) {
                shared.push((which, Some(value.unbind())));
                continue;
            }
            match key.as_str() {
                "id" => self.set_id(&value)?,
                "args" => self.set_args(Some(value.unbind())),
                "kwargs" => self.set_kwargs(Kwargs::Given(value.unbind())),
                "_kwargs_empty" => self.set_kwargs(Kwargs::Empty),
                "trigger" => self.set_trigger(py, Some(value.unbind()))?,
                "next_run_time" => next_run_time = Some(value),
                _ => {
                    return Err(PyAttributeError::new_err(format!(
                        "'JobCore' object has no attribute '{key}'"
                    )))
                }
            }
        }
        self.set_shared(py, shared)?;
        if let Some(value) = next_run_time {
            self.set_next_run_time(&value)?;
        }
        Ok(())
    }

    /// `self.trigger.get_next_fire_time(previous_fire_time, now)`, without
    /// making an inline trigger an object.
    #[pyo3(signature = (previous_fire_time, now))]
    fn _next_fire_time<'py>(
        slf: &Bound<'py, Self>,
        previous_fire_time: Option<Bound<'py, PyAny>>,
        now: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(trigger) = slf.get().trigger_ref(slf.py()) else {
            return Err(missing(slf, "trigger"));
        };
        trigger.next_fire_time(slf.py(), previous_fire_time.as_ref(), &now)
    }

    /// `str(self.trigger)`, without making an inline trigger an object.
    fn _trigger_text(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        match slf.get().trigger_ref(py) {
            None => Err(missing(slf, "trigger")),
            Some(TriggerRef::Object(trigger)) => Ok(trigger.bind(py).str()?.to_string()),
            Some(TriggerRef::Interval(inline)) => inline.__str__(py),
        }
    }

    /// The trigger as an object, without keeping one made for an inline
    /// trigger (for pickling: the job stays compact).
    fn _trigger_object<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        match slf.get().trigger_ref(py) {
            None => Err(missing(slf, "trigger")),
            Some(TriggerRef::Object(trigger)) => Ok(trigger.into_bound(py)),
            Some(TriggerRef::Interval(inline)) => inline.into_object(py),
        }
    }

    /// `Job.__setstate__(state)`: APScheduler 3's version 1 job state; with a
    /// `scheduler` and `jobstore_alias`, the job is bound to them in the same
    /// step (what a store does with a job it restores). The state's entries
    /// are read in the order the Python method reads them, so a broken row
    /// fails with the same error.
    #[pyo3(signature = (state, scheduler=None, jobstore_alias=None))]
    fn _restore<'py>(
        &self,
        py: Python<'py>,
        state: &Bound<'py, PyAny>,
        scheduler: Option<Bound<'py, PyAny>>,
        jobstore_alias: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let version = state.call_method1(intern!(py, "get"), (intern!(py, "version"), 1))?;
        if version.gt(1)? {
            let version = state.get_item(intern!(py, "version"))?;
            return Err(PyValueError::new_err(format!(
                "Job has version {version}, but only version 1 can be handled"
            )));
        }
        let item = |key: &Bound<'py, PyString>| state.get_item(key);
        // interned as obj_to_ref's are, and so are the name and executor
        // alias: restored jobs of one function share them (and a spec)
        let func_ref = interned(item(intern!(py, "func"))?);
        let id = item(intern!(py, "id"))?;
        let func = match imported_ref(&func_ref)? {
            Some(func) => func,
            None => super::pyfuncs::cached!(py, "apscheduler_rs.util", "ref_to_obj")?
                .call1((&func_ref,))?,
        };
        let trigger = item(intern!(py, "trigger"))?;
        let executor = interned(item(intern!(py, "executor"))?);
        let args = item(intern!(py, "args"))?;
        let kwargs = item(intern!(py, "kwargs"))?;
        let name = interned(item(intern!(py, "name"))?);
        let misfire_grace_time = item(intern!(py, "misfire_grace_time"))?;
        let coalesce = item(intern!(py, "coalesce"))?;
        let max_instances = item(intern!(py, "max_instances"))?;
        let next_run_time = item(intern!(py, "next_run_time"))?;

        self.set_id(&id)?;
        let mut shared = vec![
            (Shared::FuncRef, Some(func_ref.unbind())),
            (Shared::Func, Some(func.unbind())),
            (Shared::Executor, Some(executor.unbind())),
            (Shared::Name, Some(name.unbind())),
            (Shared::MisfireGraceTime, Some(misfire_grace_time.unbind())),
            (Shared::Coalesce, Some(coalesce.unbind())),
            (Shared::MaxInstances, Some(max_instances.unbind())),
        ];
        if let (Some(scheduler), Some(alias)) = (scheduler, jobstore_alias) {
            shared.push((Shared::Scheduler, Some(scheduler.unbind())));
            shared.push((Shared::JobstoreAlias, Some(alias.unbind())));
        }
        self.set_shared(py, shared)?;
        self.set_trigger(py, Some(trigger.unbind()))?;
        self.set_args(Some(args.unbind()));
        self.set_kwargs(Kwargs::Given(kwargs.unbind()));
        self.set_next_run_time(&next_run_time)
    }

    /// `func(*args, **kwargs)`, without making an empty `kwargs` dict.
    fn _call(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        slf.get()
            .call_or(slf.py(), |name| missing(slf, name))
            .map(Bound::unbind)
    }
}

impl PyJob {
    /// `func(*args, **kwargs)`, without making an empty `kwargs` dict (each
    /// unset attribute raises `AttributeError`).
    pub fn call<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call_or(py, |name| PyAttributeError::new_err(name.to_owned()))
    }

    /// [`Self::call`], with `unset(name)` the error for an unset attribute.
    fn call_or<'py>(
        &self,
        py: Python<'py>,
        unset: impl Fn(&str) -> PyErr,
    ) -> PyResult<Bound<'py, PyAny>> {
        let func = self.shared(py, Shared::Func).ok_or_else(|| unset("func"))?;
        let args = self.args(py).ok_or_else(|| unset("args"))?;
        let kwargs = match &self.state.lock().kwargs {
            Kwargs::Unset => None,
            Kwargs::Empty => Some(None),
            Kwargs::Given(kwargs) => Some(Some(kwargs.clone_ref(py))),
        };
        let kwargs = kwargs.ok_or_else(|| unset("kwargs"))?;
        let args = args.into_bound(py);
        let args = match args.cast_exact::<PyTuple>() {
            Ok(tuple) => tuple.clone(),
            Err(_) => PyTuple::new(py, args.try_iter()?.collect::<PyResult<Vec<_>>>()?)?,
        };
        let kwargs = match kwargs.map(|k| k.into_bound(py)) {
            None => None,
            Some(kwargs) => Some(match kwargs.cast_exact::<PyDict>() {
                Ok(dict) => dict.clone(),
                Err(_) => {
                    let dict = PyDict::new(py);
                    dict.update(kwargs.cast::<pyo3::types::PyMapping>()?)?;
                    dict
                }
            }),
        };
        func.bind(py)
            .call(args, kwargs.filter(|k| !k.is_empty()).as_ref())
    }
}

/// `sys.intern(value)` for an exact str, anything else as it is.
fn interned(value: Bound<'_, PyAny>) -> Bound<'_, PyAny> {
    let py = value.py();
    match value.cast_into_exact::<PyString>() {
        Ok(text) => {
            let mut raw = text.into_ptr();
            // SAFETY: `raw` is an owned reference to an exact str, which
            // PyUnicode_InternInPlace may replace by the interned one.
            unsafe {
                ffi::PyUnicode_InternInPlace(&mut raw);
                Bound::from_owned_ptr(py, raw)
            }
        }
        Err(other) => other.into_inner(),
    }
}

fn get_shared(slf: &Bound<'_, PyJob>, which: Shared) -> PyResult<Py<PyAny>> {
    shared_attribute(slf, which).map(Bound::unbind)
}

/// A shared attribute as `getattr(job, name)` reads it (AttributeError when
/// unset).
pub fn shared_attribute<'py>(
    slf: &Bound<'py, PyJob>,
    which: Shared,
) -> PyResult<Bound<'py, PyAny>> {
    slf.get()
        .shared(slf.py(), which)
        .map(|value| value.into_bound(slf.py()))
        .ok_or_else(|| missing(slf, which.attribute()))
}
