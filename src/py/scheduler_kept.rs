//! What a `SchedulerCore` keeps for the direct paths of `add_job` and
//! `remove_job`, so that a call reads all of it in one pass and without
//! looking anything up in the instance dict:
//!
//! - the attributes that both the Python code and the direct paths use
//!   (`state`, `_listened_mask`, `_jobstores`, `_jobstores_lock`, `_logger`),
//!   held here behind data descriptors instead of in the instance dict, with
//!   `state` and `_listened_mask` also mirrored as integers;
//! - which of the methods the direct paths go around were assigned on the
//!   instance (`SchedulerCore.__setattr__` and `__delattr__` track it);
//! - what earlier calls found out about the class, the job defaults, the job
//!   store, the logger and the lock.

use std::cell::RefMut;
use std::sync::atomic::{AtomicI64, Ordering};

use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString, PyType};
use pyo3::PyTraverseError;

use super::assigned::{Assigned, Methods};
use super::common::no_attribute;
use super::gil_cell::GilCell;
use super::log_level::LoggerDicts;
use super::pyfuncs::cached;
use super::rlock::PyRLock;
use super::scheduler::PySchedulerCore;

/// The attributes kept here (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attr {
    State,
    ListenedMask,
    Jobstores,
    JobstoresLock,
    Logger,
}

impl Attr {
    const ALL: [Attr; 5] = [
        Attr::State,
        Attr::ListenedMask,
        Attr::Jobstores,
        Attr::JobstoresLock,
        Attr::Logger,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Attr::State => "state",
            Attr::ListenedMask => "_listened_mask",
            Attr::Jobstores => "_jobstores",
            Attr::JobstoresLock => "_jobstores_lock",
            Attr::Logger => "_logger",
        }
    }
}

/// A kept attribute as seen from Python: a data descriptor on `SchedulerCore`
/// that reads and writes what the scheduler keeps, as if it were in the
/// instance dict.
#[pyclass(frozen, module = "apscheduler_rs._core", name = "KeptAttribute")]
pub struct PyKeptAttribute(Attr);

impl PyKeptAttribute {
    pub fn new(attr: Attr) -> Self {
        PyKeptAttribute(attr)
    }
}

/// The scheduler core holding what `obj` keeps.
fn kept_by<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> PyResult<&'a Bound<'py, PySchedulerCore>> {
    Ok(obj.cast::<PySchedulerCore>()?)
}

#[pymethods]
impl PyKeptAttribute {
    fn __get__(
        slf: &Bound<'_, Self>,
        obj: Option<&Bound<'_, PyAny>>,
        _owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        match obj {
            Some(obj) if !obj.is_none() => kept_by(obj)?.get().kept.get(obj, slf.get().0),
            _ => Ok(slf.clone().into_any().unbind()),
        }
    }

    fn __set__(&self, obj: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        kept_by(obj)?.get().kept.set(obj, self.0, Some(value))
    }

    fn __delete__(&self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        kept_by(obj)?.get().kept.set(obj, self.0, None)
    }

    fn __repr__(&self) -> String {
        format!(
            "<kept attribute '{}' of 'SchedulerCore' objects>",
            self.0.name()
        )
    }
}

/// `BaseScheduler` methods that a direct path does the work of itself (the
/// first nine: `add_job`'s). If a subclass replaces one, or one is assigned on
/// the instance, the calls that go around it take the Python path.
const OVERRIDABLE: [&str; 13] = [
    "_add_job",
    "_create_trigger",
    "_create_plugin_instance",
    "_real_add_job",
    "_lookup_jobstore",
    "_emit_job_event",
    "_wants_event",
    "_needs_wakeup_for",
    "_checked_job_defaults",
    "_remove_job",
    "_report_removed",
    "_dispatch_event",
    "wakeup",
];

/// What `add_job`'s direct path goes around.
pub const ADD_BYPASSES: Methods = Methods::of(&OVERRIDABLE, OVERRIDABLE.split_at(9).0);
/// What `remove_job`'s direct path goes around.
pub const REMOVE_BYPASSES: Methods = Methods::of(
    &OVERRIDABLE,
    &[
        "_remove_job",
        "_report_removed",
        "_emit_job_event",
        "_wants_event",
    ],
);
/// Replaced, it sees every event (see `_wants_event`).
pub const DISPATCH: Methods = Methods::of(&OVERRIDABLE, &["_dispatch_event"]);
pub const WAKEUP: Methods = Methods::of(&OVERRIDABLE, &["wakeup"]);

/// What a scheduler class keeps of `SchedulerCore`'s and `BaseScheduler`'s
/// attributes (looked up once per class; the class is held so that its
/// address stays its own).
pub struct ClassChecks {
    class: Py<PyType>,
    facts: ClassFacts,
}

/// [`ClassChecks`] without the class.
#[derive(Clone, Copy)]
pub struct ClassFacts {
    /// The kept attributes are not shadowed by the class (so the Python code
    /// reads what is kept here).
    pub attrs_kept: bool,
    /// The [`OVERRIDABLE`] methods the class replaces.
    pub replaced: Methods,
    /// `wakeup` is one of our schedulers' own (see `_needs_wakeup_for`).
    pub wakeup_ours: bool,
}

impl ClassFacts {
    fn of(class: &Bound<'_, PyType>) -> PyResult<Self> {
        let py = class.py();
        let core = py.get_type::<PySchedulerCore>();
        let mut attrs_kept = true;
        for attr in Attr::ALL {
            let name = PyString::intern(py, attr.name());
            attrs_kept &= class.getattr(&name)?.is(core.getattr(&name)?);
        }
        let base = cached!(py, "apscheduler_rs.schedulers.base", "BaseScheduler")?;
        let mut replaced = Vec::new();
        for (i, name) in OVERRIDABLE.iter().enumerate() {
            if !class.getattr(*name)?.is(base.getattr(*name)?) {
                replaced.push(i);
            }
        }
        let wakeup_module: String = class
            .getattr(intern!(py, "wakeup"))?
            .getattr(intern!(py, "__module__"))?
            .extract()?;
        Ok(ClassFacts {
            attrs_kept,
            replaced: Methods::at(replaced),
            wakeup_ours: wakeup_module.starts_with("apscheduler_rs.schedulers."),
        })
    }
}

/// `job_defaults` as last checked: the values given (compared by identity)
/// and the values a job holds for them (`coalesce` made a bool).
pub struct CheckedDefaults {
    pub given: [Py<PyAny>; 3],
    pub held: [Py<PyAny>; 3],
}

/// The last job store looked at, and whether its class's job methods are
/// the memory store core's.
pub struct SeenStore {
    pub store: Py<PyAny>,
    pub plain_class: bool,
}

/// Everything in the scheduler's `GilCell`.
#[derive(Default)]
pub struct Kept {
    attrs: [Option<Py<PyAny>>; 5],
    class_checks: Option<ClassChecks>,
    pub defaults: Option<CheckedDefaults>,
    pub store: Option<SeenStore>,
    /// The dicts of `_logger` (found again whenever `_logger` is set).
    logger_dicts: Option<LoggerDicts>,
    /// A `_jobstores_lock` that is not ours, with its bound `acquire` and
    /// `release`.
    pub lock_methods: Option<[Py<PyAny>; 3]>,
}

impl Kept {
    pub fn attr<'py>(&self, py: Python<'py>, attr: Attr) -> Option<Bound<'py, PyAny>> {
        self.attrs[attr as usize]
            .as_ref()
            .map(|value| value.clone_ref(py).into_bound(py))
    }

    /// What a direct call reads, `None` while one of the attributes it reads
    /// is unset.
    fn now<'py>(&self, py: Python<'py>, facts: ClassFacts) -> Option<KeptNow<'py>> {
        let bind = |value: &Py<PyAny>| value.clone_ref(py).into_bound(py);
        let jobstores_lock = self.attr(py, Attr::JobstoresLock)?;
        let logger = match &self.logger_dicts {
            // found again whenever `_logger` is set, so they are its dicts
            Some(dicts) => LoggerNow::Plain(dicts.clone_ref(py)),
            None => LoggerNow::Other(self.attr(py, Attr::Logger)?),
        };
        let lock_methods = if jobstores_lock.is_exact_instance_of::<PyRLock>() {
            None
        } else {
            self.lock_methods
                .as_ref()
                .filter(|[lock, _, _]| lock.is(&jobstores_lock))
                .map(|[_, acquire, release]| [bind(acquire), bind(release)])
        };
        Some(KeptNow {
            facts,
            jobstores: self.attr(py, Attr::Jobstores)?,
            jobstores_lock,
            logger,
            lock_methods,
        })
    }

    fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        for value in &self.attrs {
            visit.call(value)?;
        }
        if let Some(checks) = &self.class_checks {
            visit.call(&checks.class)?;
        }
        if let Some(defaults) = &self.defaults {
            for value in defaults.given.iter().chain(&defaults.held) {
                visit.call(value)?;
            }
        }
        if let Some(seen) = &self.store {
            visit.call(&seen.store)?;
        }
        if let Some(dicts) = &self.logger_dicts {
            dicts.visit(visit)?;
        }
        for object in self.lock_methods.iter().flatten() {
            visit.call(object)?;
        }
        Ok(())
    }
}

/// What a direct call reads of [`Kept`], cloned at once.
pub struct KeptNow<'py> {
    pub facts: ClassFacts,
    pub jobstores: Bound<'py, PyAny>,
    pub jobstores_lock: Bound<'py, PyAny>,
    pub logger: LoggerNow<'py>,
    /// `acquire` and `release` of `jobstores_lock` (not ours), if remembered.
    pub lock_methods: Option<[Bound<'py, PyAny>; 2]>,
}

/// `_logger`: a plain logger with its dicts, or one not looked at yet (or
/// not a plain logger).
pub enum LoggerNow<'py> {
    Plain(LoggerDicts),
    Other(Bound<'py, PyAny>),
}

/// `state` or `_listened_mask` when it is not an `int` that fits an `i64`.
const NOT_AN_INT: i64 = i64::MIN;

/// The whole of what a scheduler keeps (see the module doc).
pub struct SchedulerKept {
    kept: GilCell<Kept>,
    state: AtomicI64,
    listened_mask: AtomicI64,
    /// [`OVERRIDABLE`] methods assigned on the instance.
    assigned: Assigned,
}

impl SchedulerKept {
    pub fn new() -> Self {
        SchedulerKept {
            kept: GilCell::new(Kept::default()),
            state: AtomicI64::new(NOT_AN_INT),
            listened_mask: AtomicI64::new(NOT_AN_INT),
            assigned: Assigned::new(&OVERRIDABLE),
        }
    }

    /// What is kept, for as long as no Python code runs.
    pub fn borrow<'a>(&'a self, py: Python<'a>) -> PyResult<RefMut<'a, Kept>> {
        self.kept.borrow_mut(py)
    }

    /// `state` as an int, `None` when it is something else (or unset).
    pub fn state(&self) -> Option<i64> {
        Some(self.state.load(Ordering::Acquire)).filter(|&state| state != NOT_AN_INT)
    }

    /// Whether a listener may want the event `code`: `_listened_mask & code`,
    /// true whenever the mask is not an int.
    pub fn listened(&self, code: i64) -> bool {
        let mask = self.listened_mask.load(Ordering::Acquire);
        mask == NOT_AN_INT || mask & code != 0
    }

    /// Whether one of `methods` was assigned on the instance.
    pub fn assigned(&self, methods: Methods) -> bool {
        self.assigned.any(methods)
    }

    /// `__setattr__` (`__delattr__` with `None`) of the scheduler.
    pub fn set_attr(
        &self,
        slf: &Bound<'_, PyAny>,
        name: &Bound<'_, PyAny>,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.assigned.set_attr(slf, name, value)
    }

    /// What a direct call reads of what is kept (`None` while an attribute it
    /// reads is unset).
    pub fn now<'py>(&self, slf: &Bound<'py, PyAny>) -> PyResult<Option<KeptNow<'py>>> {
        let py = slf.py();
        let facts = self.class_facts(slf)?;
        Ok(self.borrow(py)?.now(py, facts))
    }

    /// What is known of `slf`'s class (looked at again when it changed).
    pub fn class_facts(&self, slf: &Bound<'_, PyAny>) -> PyResult<ClassFacts> {
        let py = slf.py();
        let class = slf.get_type();
        if let Some(checks) = &self.borrow(py)?.class_checks {
            if checks.class.is(&class) {
                return Ok(checks.facts);
            }
        }
        let facts = ClassFacts::of(&class)?;
        let checks = ClassChecks {
            class: class.unbind(),
            facts,
        };
        let replaced = self.borrow(py)?.class_checks.replace(checks);
        drop(replaced);
        Ok(facts)
    }

    /// The dicts of `logger`, if it is a plain logger; remembered while it is
    /// `_logger`.
    pub fn logger_dicts(&self, logger: &Bound<'_, PyAny>) -> PyResult<Option<LoggerDicts>> {
        let py = logger.py();
        let found = LoggerDicts::of(logger)?;
        if let Some(dicts) = &found {
            let mut kept = self.borrow(py)?;
            if kept
                .attr(py, Attr::Logger)
                .is_some_and(|now| now.is(logger))
            {
                let replaced = kept.logger_dicts.replace(dicts.clone_ref(py));
                drop(kept);
                drop(replaced);
            }
        }
        Ok(found)
    }

    /// The getter of a kept attribute (`AttributeError` while unset).
    pub fn get(&self, slf: &Bound<'_, PyAny>, attr: Attr) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        match self.borrow(py)?.attr(py, attr) {
            Some(value) => Ok(value.unbind()),
            None => Err(no_attribute(slf, attr.name())),
        }
    }

    /// The setter (and deleter, `None`) of a kept attribute.
    pub fn set(
        &self,
        slf: &Bound<'_, PyAny>,
        attr: Attr,
        value: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let as_int = value
            .and_then(|v| v.cast_exact::<PyInt>().ok())
            .and_then(|v| v.extract::<i64>().ok())
            .filter(|&v| v != NOT_AN_INT)
            .unwrap_or(NOT_AN_INT);
        let py = slf.py();
        let mut kept = self.borrow(py)?;
        let slot = &mut kept.attrs[attr as usize];
        if value.is_none() && slot.is_none() {
            drop(kept);
            return Err(no_attribute(slf, attr.name()));
        }
        let old = std::mem::replace(slot, value.map(|v| v.clone().unbind()));
        let mut old_dicts = None;
        match attr {
            Attr::State => self.state.store(as_int, Ordering::Release),
            Attr::ListenedMask => self.listened_mask.store(as_int, Ordering::Release),
            Attr::Logger => old_dicts = kept.logger_dicts.take(),
            Attr::Jobstores | Attr::JobstoresLock => {}
        }
        drop(kept);
        // what was replaced may run Python code when released
        drop((old, old_dicts));
        Ok(())
    }

    pub fn visit(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        match self.kept.for_gc(visit) {
            Some(kept) => kept.visit(visit),
            None => Ok(()),
        }
    }

    pub fn clear(&self, py: Python<'_>) {
        let cleared = self
            .kept
            .borrow_mut(py)
            .map(|mut kept| std::mem::take(&mut *kept));
        drop(cleared);
    }
}
