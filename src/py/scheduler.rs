//! `SchedulerCore`: the Rust base of `apscheduler_rs.schedulers.base.BaseScheduler`,
//! where `add_job` (as `_add_job_direct`, which the Python `add_job` calls
//! with every argument) and `remove_job` are done.
//!
//! The common case is done here directly: a started scheduler, jobs in a
//! memory store, a built-in trigger alias or a trigger instance, options left
//! to `job_defaults`, and none of the scheduler methods these calls go through
//! replaced (by a subclass or on the instance). Every other call goes to
//! `BaseScheduler._add_job` / `_remove_job`, the Python implementations, which
//! stay the reference; the direct paths do what they do, in the same order
//! (the same lock held, the same events, log lines and wake-ups), and the
//! differential tests against APScheduler 3.11.3 go through both.

use parking_lot::Mutex;
use pyo3::exceptions::PyValueError;
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use pyo3::PyTraverseError;

use super::datetime::{is_plain_aware, now_micros, zone_of};
use super::interval::PyIntervalTrigger;
use super::job::{derived_from_recent, intern_spec, JobId, PyJob, Shared, SharedValues};
use super::log_level::LevelCache;
use super::memory_store::PyMemoryJobStore;
use super::pyfuncs::cached;
use super::rlock::PyRLock;
use crate::error::Error;
use crate::time::ZonedDateTime;

const STATE_STOPPED: i64 = 0;
const STATE_RUNNING: i64 = 1;
const EVENT_JOB_ADDED: i64 = 1 << 9;
const EVENT_JOB_REMOVED: i64 = 1 << 10;

/// `BaseScheduler` methods whose work `add_job`'s direct path does itself: if
/// any is replaced, every `add_job` call takes the Python path.
const ADD_BYPASSES: [&str; 9] = [
    "_add_job",
    "_create_trigger",
    "_create_plugin_instance",
    "_real_add_job",
    "_lookup_jobstore",
    "_emit_job_event",
    "_wants_event",
    "_needs_wakeup_for",
    "_checked_job_defaults",
];

/// The same for `remove_job`.
const REMOVE_BYPASSES: [&str; 4] = [
    "_remove_job",
    "_report_removed",
    "_emit_job_event",
    "_wants_event",
];

/// A list of attribute names as Python strings, made once.
struct Names {
    names: &'static [&'static str],
    made: pyo3::sync::PyOnceLock<Vec<Py<PyString>>>,
}

impl Names {
    const fn new(names: &'static [&'static str]) -> Self {
        Names {
            names,
            made: pyo3::sync::PyOnceLock::new(),
        }
    }

    fn get<'a, 'py>(
        &'a self,
        py: Python<'py>,
    ) -> PyResult<impl Iterator<Item = &'a Bound<'py, PyString>> + 'a>
    where
        'py: 'a,
    {
        let made = self.made.get_or_init(py, || {
            self.names
                .iter()
                .map(|name| PyString::intern(py, name).unbind())
                .collect()
        });
        Ok(made.iter().map(move |name| name.bind(py)))
    }
}

static ADD_BYPASS_NAMES: Names = Names::new(&ADD_BYPASSES);
static REMOVE_BYPASS_NAMES: Names = Names::new(&REMOVE_BYPASSES);
static WAKEUP_NAME: Names = Names::new(&["wakeup"]);

/// What a scheduler class keeps of `BaseScheduler`'s methods (looked up once
/// per class; the class is held so that its address stays its own).
struct ClassChecks {
    class: Py<PyType>,
    adds_directly: bool,
    removes_directly: bool,
    /// `_dispatch_event` replaced: every event is wanted (see `_wants_event`).
    dispatch_replaced: bool,
    /// `wakeup` is one of our schedulers' own (see `_needs_wakeup_for`).
    wakeup_ours: bool,
}

/// `job_defaults` as last checked: the values given (compared by identity)
/// and the values a job holds for them (`coalesce` made a bool).
struct SeenStore {
    store: Py<PyAny>,
    dict: Option<Py<PyDict>>,
    plain_class: bool,
}

struct CheckedDefaults {
    given: [Py<PyAny>; 3],
    held: [Py<PyAny>; 3],
}

#[pyclass(
    subclass,
    frozen,
    module = "apscheduler_rs._core",
    name = "SchedulerCore"
)]
pub struct PySchedulerCore {
    class_checks: Mutex<Option<ClassChecks>>,
    defaults: Mutex<Option<CheckedDefaults>>,
    /// The last job store looked at: the store, its `__dict__` (if it has
    /// one) and whether its class's job methods are the memory store core's.
    store: Mutex<Option<SeenStore>>,
    /// The scheduler's logger as last looked at.
    logger: LevelCache,
    /// `_jobstores_lock` and its bound `acquire` and `release`.
    lock: Mutex<Option<[Py<PyAny>; 3]>>,
}

/// The scheduler's `_jobstores_lock`, held until dropped: our own lock taken
/// directly, or any other lock through its bound methods (remembered in the
/// core for the next call).
enum Held<'py> {
    Ours(Bound<'py, PyRLock>),
    Other(Bound<'py, PyAny>),
}

impl<'py> Held<'py> {
    fn acquire(core: &PySchedulerCore, lock: Bound<'py, PyAny>) -> PyResult<Self> {
        let py = lock.py();
        let lock = match lock.cast_into_exact::<PyRLock>() {
            Ok(ours) => {
                ours.get().acquire_blocking(py)?;
                return Ok(Held::Ours(ours));
            }
            Err(other) => other.into_inner(),
        };
        let known = core
            .lock
            .lock()
            .as_ref()
            .filter(|[known, _, _]| known.is(&lock))
            .map(|[_, acquire, release]| (acquire.clone_ref(py), release.clone_ref(py)));
        let (acquire, release) = match known {
            Some(methods) => methods,
            None => {
                let acquire = lock.getattr(intern!(py, "acquire"))?.unbind();
                let release = lock.getattr(intern!(py, "release"))?.unbind();
                let remembered = [
                    lock.clone().unbind(),
                    acquire.clone_ref(py),
                    release.clone_ref(py),
                ];
                let replaced = core.lock.lock().replace(remembered);
                drop(replaced);
                (acquire, release)
            }
        };
        acquire.call0(py)?;
        Ok(Held::Other(release.into_bound(py)))
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let (py, released) = match self {
            Held::Ours(lock) => (lock.py(), lock.get().release_held()),
            Held::Other(release) => (release.py(), release.call0().map(drop)),
        };
        if let Err(err) = released {
            err.write_unraisable(py, None);
        }
    }
}

/// What the direct paths read off a scheduler instance on each call.
struct Instance<'py> {
    scheduler: Bound<'py, PySchedulerCore>,
    dict: Bound<'py, PyDict>,
}

impl<'py> Instance<'py> {
    fn new(scheduler: &Bound<'py, PySchedulerCore>) -> PyResult<Self> {
        let py = scheduler.py();
        // SAFETY: a live object; returns a new reference or sets an error.
        let dict = unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                pyo3::ffi::PyObject_GenericGetDict(scheduler.as_ptr(), std::ptr::null_mut()),
            )?
        }
        .cast_into::<PyDict>()?;
        Ok(Instance {
            scheduler: scheduler.clone(),
            dict,
        })
    }

    fn py(&self) -> Python<'py> {
        self.scheduler.py()
    }

    /// Whether none of `names` is set on the instance itself.
    fn keeps(&self, names: &Names) -> PyResult<bool> {
        for name in names.get(self.py())? {
            if self.dict.contains(name)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// An attribute of the scheduler: from its `__dict__` (where the
    /// scheduler keeps all those read here), else looked up as usual.
    fn attr(&self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        match self.dict.get_item(name)? {
            Some(value) => Ok(value),
            None => self.scheduler.getattr(name),
        }
    }

    fn state(&self) -> PyResult<i64> {
        self.attr(intern!(self.py(), "state"))?.extract()
    }

    /// `_wants_event(code)`, with the class's `_dispatch_event` check done once.
    fn wants_event(&self, checks: &ClassFacts, code: i64) -> PyResult<bool> {
        let py = self.py();
        let mask: i64 = self.attr(intern!(py, "_listened_mask"))?.extract()?;
        Ok(mask & code != 0
            || checks.dispatch_replaced
            || self.dict.contains(intern!(py, "_dispatch_event"))?)
    }

    /// The scheduler's logger, if `logger.isEnabledFor(INFO)`.
    fn info_logger(&self) -> PyResult<Option<Bound<'py, PyAny>>> {
        let logger = self.attr(intern!(self.py(), "_logger"))?;
        Ok(self
            .scheduler
            .get()
            .logger
            .logs_info(&logger)?
            .then_some(logger))
    }
}

/// [`ClassChecks`] without the class reference, for use after the lock.
#[derive(Clone, Copy)]
struct ClassFacts {
    adds_directly: bool,
    removes_directly: bool,
    dispatch_replaced: bool,
    wakeup_ours: bool,
}

impl PySchedulerCore {
    fn class_facts(slf: &Bound<'_, Self>) -> PyResult<ClassFacts> {
        let py = slf.py();
        let class = slf.get_type();
        let facts = |checks: &ClassChecks| ClassFacts {
            adds_directly: checks.adds_directly,
            removes_directly: checks.removes_directly,
            dispatch_replaced: checks.dispatch_replaced,
            wakeup_ours: checks.wakeup_ours,
        };
        if let Some(checks) = slf.get().class_checks.lock().as_ref() {
            if checks.class.is(&class) {
                return Ok(facts(checks));
            }
        }
        let base = cached!(py, "apscheduler_rs.schedulers.base", "BaseScheduler")?;
        let same_as_base = |names: &[&str]| -> PyResult<bool> {
            for name in names {
                if !class.getattr(*name)?.is(base.getattr(*name)?) {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        let wakeup_module: String = class
            .getattr(intern!(py, "wakeup"))?
            .getattr(intern!(py, "__module__"))?
            .extract()?;
        let checks = ClassChecks {
            class: class.clone().unbind(),
            adds_directly: same_as_base(&ADD_BYPASSES)?,
            removes_directly: same_as_base(&REMOVE_BYPASSES)?,
            dispatch_replaced: !same_as_base(&["_dispatch_event"])?,
            wakeup_ours: wakeup_module.starts_with("apscheduler_rs.schedulers."),
        };
        let made = facts(&checks);
        let replaced = slf.get().class_checks.lock().replace(checks);
        drop(replaced);
        Ok(made)
    }

    /// The values a job holds for `job_defaults`, or `None` when a job would
    /// refuse one (the Python path then raises the job's error).
    fn job_defaults<'py>(
        slf: &Bound<'py, Self>,
        instance: &Instance<'py>,
    ) -> PyResult<Option<[Bound<'py, PyAny>; 3]>> {
        let py = slf.py();
        let defaults = instance
            .attr(intern!(py, "_job_defaults"))?
            .cast_into::<PyDict>()?;
        if defaults.len() != 3 {
            return Ok(None);
        }
        let keys = [
            intern!(py, "misfire_grace_time"),
            intern!(py, "coalesce"),
            intern!(py, "max_instances"),
        ];
        let mut given = Vec::with_capacity(3);
        for key in keys {
            match defaults.get_item(key)? {
                Some(value) => given.push(value),
                None => return Ok(None),
            }
        }
        {
            let remembered = slf.get().defaults.lock();
            if let Some(checked) = remembered.as_ref() {
                if checked.given.iter().zip(&given).all(|(a, b)| a.is(b)) {
                    return Ok(Some(
                        checked
                            .held
                            .each_ref()
                            .map(|v| v.clone_ref(py).into_bound(py)),
                    ));
                }
            }
        }
        let checked = instance
            .scheduler
            .call_method0(intern!(py, "_checked_job_defaults"))?;
        if checked.is_none() {
            return Ok(None);
        }
        let mut held = Vec::with_capacity(3);
        for key in keys {
            held.push(checked.get_item(key)?);
        }
        let to_array = |values: Vec<Bound<'py, PyAny>>| -> [Py<PyAny>; 3] {
            let mut values = values.into_iter().map(Bound::unbind);
            [(); 3].map(|()| values.next().expect("three values"))
        };
        let remembered = CheckedDefaults {
            given: to_array(given),
            held: to_array(held.clone()),
        };
        let replaced = slf.get().defaults.lock().replace(remembered);
        drop(replaced);
        let mut held = held.into_iter();
        Ok(Some([(); 3].map(|()| held.next().expect("three values"))))
    }
}

/// The arguments of one `add_job` call.
struct AddJob<'py> {
    func: Bound<'py, PyAny>,
    trigger: Option<Bound<'py, PyAny>>,
    args: Option<Bound<'py, PyAny>>,
    kwargs: Option<Bound<'py, PyAny>>,
    id: Option<Bound<'py, PyAny>>,
    name: Option<Bound<'py, PyAny>>,
    misfire_grace_time: Bound<'py, PyAny>,
    coalesce: Bound<'py, PyAny>,
    max_instances: Bound<'py, PyAny>,
    next_run_time: Bound<'py, PyAny>,
    jobstore: Bound<'py, PyAny>,
    executor: Bound<'py, PyAny>,
    replace_existing: Bound<'py, PyAny>,
    trigger_args: Bound<'py, PyDict>,
}

/// The trigger of an `add_job` call, as the direct path takes it.
enum TriggerGiven<'a, 'py> {
    Alias(&'static str),
    Instance(&'a Bound<'py, PyAny>),
}

/// Whether an option was left to `job_defaults` (it is `util.undefined`).
fn omitted(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(value.is(cached!(py, "apscheduler_rs.util", "undefined")?))
}

impl<'py> AddJob<'py> {
    /// `BaseScheduler._add_job(...)` with the same arguments.
    fn in_python(&self, scheduler: &Bound<'py, PySchedulerCore>) -> PyResult<Bound<'py, PyAny>> {
        let py = scheduler.py();
        let opt = |value: &Option<Bound<'py, PyAny>>| {
            value.clone().unwrap_or_else(|| py.None().into_bound(py))
        };
        let args = PyTuple::new(
            py,
            [
                self.func.clone(),
                opt(&self.trigger),
                opt(&self.args),
                opt(&self.kwargs),
                opt(&self.id),
                opt(&self.name),
                self.misfire_grace_time.clone(),
                self.coalesce.clone(),
                self.max_instances.clone(),
                self.next_run_time.clone(),
                self.jobstore.clone(),
                self.executor.clone(),
                self.replace_existing.clone(),
            ],
        )?;
        scheduler.call_method(intern!(py, "_add_job"), args, Some(&self.trigger_args))
    }

    /// What was given as the trigger, if the direct path knows it: a built-in
    /// alias (`"date"` when none was given) or an object that is not a string
    /// (a trigger instance, if it is one). `None` for another plugin alias or
    /// a str subclass, which the Python path resolves.
    fn trigger_given(&self) -> PyResult<Option<TriggerGiven<'_, 'py>>> {
        let Some(trigger) = &self.trigger else {
            return Ok(Some(TriggerGiven::Alias("date")));
        };
        let Ok(alias) = trigger.cast::<PyString>() else {
            return Ok(Some(TriggerGiven::Instance(trigger)));
        };
        if !alias.is_exact_instance_of::<PyString>() {
            return Ok(None);
        }
        Ok(match alias.to_str()? {
            "date" => Some(TriggerGiven::Alias("date")),
            "interval" => Some(TriggerGiven::Alias("interval")),
            "cron" => Some(TriggerGiven::Alias("cron")),
            "calendarinterval" => Some(TriggerGiven::Alias("calendarinterval")),
            _ => None,
        })
    }

    /// Whether the direct path can take this call, judging by the arguments.
    fn simple(&self, py: Python<'py>) -> PyResult<bool> {
        let exact_str = |v: &Bound<'py, PyAny>| v.is_exact_instance_of::<PyString>();
        let args_ok = match &self.args {
            None => true,
            Some(args) => {
                args.is_exact_instance_of::<PyTuple>() || args.is_exact_instance_of::<PyList>()
            }
        };
        let kwargs_ok = match &self.kwargs {
            None => true,
            Some(kwargs) => kwargs.is_exact_instance_of::<PyDict>(),
        };
        let id_ok = self
            .id
            .as_ref()
            .is_none_or(|id| exact_str(id) && id.is_truthy().unwrap_or(false));
        let name_ok = self
            .name
            .as_ref()
            .is_none_or(|name| exact_str(name) && name.is_truthy().unwrap_or(false));
        Ok(!exact_str(&self.func)
            && self.func.is_callable()
            && args_ok
            && kwargs_ok
            && id_ok
            && name_ok
            && omitted(py, &self.misfire_grace_time)?
            && omitted(py, &self.coalesce)?
            && omitted(py, &self.max_instances)?
            && omitted(py, &self.next_run_time)?
            && exact_str(&self.jobstore)
            && exact_str(&self.executor))
    }
}

/// Whether `trigger` is a `BaseTrigger`: by its type's MRO, as `is_trigger`
/// checks it, then by `isinstance` (registered virtual subclasses).
fn is_trigger(trigger: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = trigger.py();
    let base = cached!(py, "apscheduler_rs.triggers.base", "BaseTrigger")?;
    let mro = trigger
        .get_type()
        .getattr(intern!(py, "__mro__"))?
        .cast_into::<PyTuple>()?;
    if mro.iter().any(|class| class.is(base)) {
        return Ok(true);
    }
    trigger.is_instance(base)
}

fn trigger_type<'py>(py: Python<'py>, alias: &str) -> PyResult<&'py Bound<'py, PyAny>> {
    match alias {
        "interval" => cached!(py, "apscheduler_rs.triggers.interval", "IntervalTrigger"),
        "cron" => cached!(py, "apscheduler_rs.triggers.cron", "CronTrigger"),
        "calendarinterval" => cached!(
            py,
            "apscheduler_rs.triggers.calendarinterval",
            "CalendarIntervalTrigger"
        ),
        _ => cached!(py, "apscheduler_rs.triggers.date", "DateTrigger"),
    }
}

/// The memory store `store`, if it is one whose `add_job`, `update_job` and
/// `remove_job` are the core's own (a subclass may replace them), and whose
/// instance does not replace those this call goes around (`remove_job` when
/// `removing`, else `add_job` and `update_job`). What does not change between
/// calls is remembered in `core`.
fn plain_memory_store<'a, 'py>(
    core: &PySchedulerCore,
    store: &'a Bound<'py, PyAny>,
    removing: bool,
) -> PyResult<Option<&'a Bound<'py, PyMemoryJobStore>>> {
    let py = store.py();
    let Ok(memory) = store.cast::<PyMemoryJobStore>() else {
        return Ok(None);
    };
    let names = [
        intern!(py, "add_job"),
        intern!(py, "update_job"),
        intern!(py, "remove_job"),
    ];
    let seen = core
        .store
        .lock()
        .as_ref()
        .filter(|seen| seen.store.is(store))
        .map(|seen| {
            (
                seen.plain_class,
                seen.dict.as_ref().map(|d| d.clone_ref(py)),
            )
        });
    let (plain_class, dict) = match seen {
        Some(seen) => seen,
        None => {
            let class = store.get_type();
            let base = py.get_type::<PyMemoryJobStore>();
            let mut plain_class = true;
            for name in names {
                plain_class &= class.getattr(name)?.is(base.getattr(name)?);
            }
            let dict = match store.getattr(intern!(py, "__dict__")) {
                Ok(dict) => Some(dict.cast_into::<PyDict>()?.unbind()),
                Err(_) => None,
            };
            let remembered = SeenStore {
                store: store.clone().unbind(),
                dict: dict.as_ref().map(|d| d.clone_ref(py)),
                plain_class,
            };
            let replaced = core.store.lock().replace(remembered);
            drop(replaced);
            (plain_class, dict)
        }
    };
    if !plain_class {
        return Ok(None);
    }
    if let Some(dict) = dict {
        // on the instance, only the methods this call would go around
        let bypassed = if removing { &names[2..] } else { &names[..2] };
        let dict = dict.bind(py);
        for name in bypassed {
            if dict.contains(*name)? {
                return Ok(None);
            }
        }
    }
    Ok(Some(memory))
}

/// A global of `module`, read on each call as the Python code reads it (so
/// that a test's or freezegun's replacement of `datetime`, say, is seen).
fn global<'py>(
    py: Python<'py>,
    module: &'static str,
    name: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    static MODULES: pyo3::sync::PyOnceLock<(Py<PyModule>, Py<PyModule>)> =
        pyo3::sync::PyOnceLock::new();
    let (base, job) = MODULES.get_or_try_init(py, || -> PyResult<_> {
        Ok((
            py.import("apscheduler_rs.schedulers.base")?.unbind(),
            py.import("apscheduler_rs.job")?.unbind(),
        ))
    })?;
    let module = if module == "job" { job } else { base };
    module.bind(py).getattr(name)
}

/// `time()` and `monotonic()`, as `_needs_wakeup_for` reads the clocks.
fn clocks(py: Python<'_>) -> PyResult<(f64, f64)> {
    let time: f64 = global(py, "base", intern!(py, "time"))?
        .call0()?
        .extract()?;
    let monotonic: f64 = global(py, "base", intern!(py, "monotonic"))?
        .call0()?
        .extract()?;
    Ok((time, monotonic))
}

#[pymethods]
impl PySchedulerCore {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        PySchedulerCore {
            class_checks: Mutex::new(None),
            defaults: Mutex::new(None),
            store: Mutex::new(None),
            logger: LevelCache::new(),
            lock: Mutex::new(None),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(checks) = self.class_checks.try_lock() {
            if let Some(checks) = checks.as_ref() {
                visit.call(&checks.class)?;
            }
        }
        if let Some(defaults) = self.defaults.try_lock() {
            if let Some(defaults) = defaults.as_ref() {
                for value in defaults.given.iter().chain(&defaults.held) {
                    visit.call(value)?;
                }
            }
        }
        if let Some(store) = self.store.try_lock() {
            if let Some(seen) = store.as_ref() {
                visit.call(&seen.store)?;
                visit.call(&seen.dict)?;
            }
        }
        self.logger.visit(&visit)?;
        if let Some(lock) = self.lock.try_lock() {
            for object in lock.iter().flatten() {
                visit.call(object)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let checks = self.class_checks.try_lock().and_then(|mut c| c.take());
        let defaults = self.defaults.try_lock().and_then(|mut d| d.take());
        let store = self.store.try_lock().and_then(|mut c| c.take());
        self.logger.clear();
        let lock = self.lock.try_lock().and_then(|mut l| l.take());
        drop((checks, defaults, store, lock));
    }

    /// `BaseScheduler.add_job` with every argument given, in order
    /// (`trigger_args` as a dict; an option left out is `util.undefined`):
    /// done here in the common case, else handed to `BaseScheduler._add_job`.
    /// The Python method only spells out the public signature, which a text
    /// signature cannot (its `undefined` defaults are not constants).
    #[pyo3(signature = (
        func, trigger, args, kwargs, id, name, misfire_grace_time, coalesce,
        max_instances, next_run_time, jobstore, executor, replace_existing,
        trigger_args, /
    ))]
    #[allow(clippy::too_many_arguments)]
    fn _add_job_direct<'py>(
        slf: &Bound<'py, Self>,
        func: Bound<'py, PyAny>,
        trigger: Bound<'py, PyAny>,
        args: Bound<'py, PyAny>,
        kwargs: Bound<'py, PyAny>,
        id: Bound<'py, PyAny>,
        name: Bound<'py, PyAny>,
        misfire_grace_time: Bound<'py, PyAny>,
        coalesce: Bound<'py, PyAny>,
        max_instances: Bound<'py, PyAny>,
        next_run_time: Bound<'py, PyAny>,
        jobstore: Bound<'py, PyAny>,
        executor: Bound<'py, PyAny>,
        replace_existing: Bound<'py, PyAny>,
        trigger_args: Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let unless_none = |value: Bound<'py, PyAny>| (!value.is_none()).then_some(value);
        let call = AddJob {
            func,
            trigger: unless_none(trigger),
            args: unless_none(args),
            kwargs: unless_none(kwargs),
            id: unless_none(id),
            name: unless_none(name),
            misfire_grace_time,
            coalesce,
            max_instances,
            next_run_time,
            jobstore,
            executor,
            replace_existing,
            trigger_args,
        };
        match add_directly(slf, &call)? {
            Some(job) => Ok(job),
            None => call.in_python(slf),
        }
    }

    /// Unschedule and delete a job.
    ///
    /// :raises JobLookupError: if there is no such job
    #[pyo3(signature = (job_id, jobstore=None))]
    fn remove_job<'py>(
        slf: &Bound<'py, Self>,
        job_id: Bound<'py, PyAny>,
        jobstore: Option<Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        if !remove_directly(slf, &job_id, jobstore.as_ref())? {
            slf.call_method1(intern!(py, "_remove_job"), (job_id, jobstore))?;
        }
        Ok(())
    }
}

/// `wanted(code)` answered here when `wanted` is a scheduler's own
/// `_wants_event` (bound to one of ours, not replaced): `None` otherwise.
pub fn wants_event(wanted: &Bound<'_, PyAny>, code: i64) -> PyResult<Option<bool>> {
    let py = wanted.py();
    if !wanted.get_type().is(cached!(py, "types", "MethodType")?) {
        return Ok(None);
    }
    let base = cached!(py, "apscheduler_rs.schedulers.base", "BaseScheduler")?;
    let function = wanted.getattr(intern!(py, "__func__"))?;
    if !function.is(base.getattr(intern!(py, "_wants_event"))?) {
        return Ok(None);
    }
    let Ok(scheduler) = wanted
        .getattr(intern!(py, "__self__"))?
        .cast_into::<PySchedulerCore>()
    else {
        return Ok(None);
    };
    let facts = PySchedulerCore::class_facts(&scheduler)?;
    Instance::new(&scheduler)?
        .wants_event(&facts, code)
        .map(Some)
}

/// `add_job` done here, or `None` when the call needs the Python path (which
/// is then taken before anything was changed).
fn add_directly<'py>(
    slf: &Bound<'py, PySchedulerCore>,
    call: &AddJob<'py>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = slf.py();
    let facts = PySchedulerCore::class_facts(slf)?;
    if !facts.adds_directly || !call.simple(py)? {
        return Ok(None);
    }
    let instance = Instance::new(slf)?;
    if !instance.keeps(&ADD_BYPASS_NAMES)? || instance.state()? == STATE_STOPPED {
        return Ok(None);
    }
    let jobstores = instance
        .attr(intern!(py, "_jobstores"))?
        .cast_into::<PyDict>()?;
    let Some(store) = jobstores.get_item(&call.jobstore)? else {
        return Ok(None); // the Python path raises the lookup error
    };
    let Some(store) = plain_memory_store(slf.get(), &store, false)? else {
        return Ok(None);
    };
    let given = match call.trigger_given()? {
        Some(TriggerGiven::Instance(trigger)) if !is_trigger(trigger)? => return Ok(None),
        Some(given) => given,
        None => return Ok(None),
    };
    let Some(defaults) = PySchedulerCore::job_defaults(slf, &instance)? else {
        return Ok(None);
    };
    // From here on the call is ours: the same steps as the Python path.
    let trigger = match given {
        TriggerGiven::Instance(trigger) => Ok(trigger.clone().unbind()),
        TriggerGiven::Alias(alias) => {
            let trigger_args = &call.trigger_args;
            if !trigger_args.contains(intern!(py, "timezone"))? {
                trigger_args.set_item(
                    intern!(py, "timezone"),
                    instance.attr(intern!(py, "timezone"))?,
                )?;
            }
            // an interval trigger is kept inline by the job; the others are objects
            if alias == "interval" {
                Err(PyIntervalTrigger::from_kwargs(py, trigger_args)?)
            } else {
                Ok(trigger_type(py, alias)?
                    .call((), Some(trigger_args))?
                    .unbind())
            }
        }
    };
    add_new_job(slf, &instance, facts, call, store, trigger, defaults).map(Some)
}

/// Make the job (as `Job._create` would) and store it (as `_real_add_job`
/// would, under the scheduler's job store lock).
fn add_new_job<'py>(
    slf: &Bound<'py, PySchedulerCore>,
    instance: &Instance<'py>,
    facts: ClassFacts,
    call: &AddJob<'py>,
    store: &Bound<'py, PyMemoryJobStore>,
    trigger: Result<Py<PyAny>, PyIntervalTrigger>,
    defaults: [Bound<'py, PyAny>; 3],
) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    // Job._init's id (drawn first, as there), then Job._apply's checks, in
    // its order, for what the direct path accepts.
    let job_id = match &call.id {
        Some(id) => JobId::from_py(id)?,
        None => {
            let hex = global(py, "job", intern!(py, "uuid4"))?
                .call0()?
                .getattr(intern!(py, "hex"))?;
            JobId::from_py(&hex)?
        }
    };
    let args = match &call.args {
        None => PyTuple::empty(py),
        Some(args) => match args.cast_exact::<PyTuple>() {
            Ok(tuple) => tuple.clone(),
            Err(_) => PyTuple::new(py, args.try_iter()?.collect::<PyResult<Vec<_>>>()?)?,
        },
    };
    let kwargs = match &call.kwargs {
        None => None,
        Some(kwargs) => Some(kwargs.cast::<PyDict>()?.copy()?),
    };
    let (func_ref, derived_name) = match derived_from_recent(py, &call.func) {
        Some((func_ref, name)) => (func_ref, name),
        None => {
            let func_ref =
                match cached!(py, "apscheduler_rs.util", "obj_to_ref")?.call1((&call.func,)) {
                    Ok(func_ref) => Some(func_ref.unbind()),
                    Err(err) if err.is_instance_of::<PyValueError>(py) => None,
                    Err(err) => return Err(err),
                };
            let name = cached!(py, "apscheduler_rs.util", "get_callable_name")?
                .call1((&call.func,))?
                .unbind();
            (func_ref, name)
        }
    };
    let name = match &call.name {
        Some(name) => name.clone().unbind(),
        None => derived_name.clone_ref(py),
    };
    let derived = call.name.is_none();
    let [misfire_grace_time, coalesce, max_instances] = defaults;
    let mut values: SharedValues = Default::default();
    values[Shared::Scheduler as usize] = Some(slf.clone().into_any().unbind());
    values[Shared::JobstoreAlias as usize] = Some(call.jobstore.clone().unbind());
    values[Shared::Func as usize] = Some(call.func.clone().unbind());
    values[Shared::FuncRef as usize] = Some(func_ref.unwrap_or_else(|| py.None()));
    values[Shared::Name as usize] = Some(name);
    values[Shared::Executor as usize] = Some(call.executor.clone().unbind());
    values[Shared::MisfireGraceTime as usize] = Some(misfire_grace_time.unbind());
    values[Shared::Coalesce as usize] = Some(coalesce.unbind());
    values[Shared::MaxInstances as usize] = Some(max_instances.unbind());
    let spec = intern_spec(py, values, derived)?;
    // check_callable_args, unless this spec's function was seen to take such
    // a call (and has not changed since)
    let positional = args.len();
    let no_keywords = kwargs.as_ref().is_none_or(|k| k.is_empty());
    if !(no_keywords && spec.get().binds(py, positional)?) {
        let empty = PyDict::new(py);
        cached!(py, "apscheduler_rs.util", "check_callable_args")?.call1((
            &call.func,
            &args,
            kwargs.as_ref().unwrap_or(&empty),
        ))?;
        if no_keywords {
            spec.get().remember_binding(py, positional)?;
        }
    }
    let job_class = cached!(py, "apscheduler_rs.job", "Job")?.cast::<PyType>()?;
    let job = PyJob::new_object(job_class)?;
    job.get().fill(
        job_id,
        spec,
        args.into_any().unbind(),
        kwargs.map(|k| k.into_any().unbind()),
        trigger,
    );

    // _real_add_job, under the job store lock
    let lock = instance.attr(intern!(py, "_jobstores_lock"))?;
    let held = Held::acquire(slf.get(), lock)?;
    let state = instance.state()?;
    if state == STATE_STOPPED {
        // shut down meanwhile: the Python path queues it as pending
        drop(held);
        return call.in_python(slf);
    }
    // The first run time, from the clock as `datetime.now(self.timezone)`
    // reads it: computed here for an interval trigger kept inline (unless a
    // test or freezegun replaced the scheduler module's `datetime`).
    let clock = global(py, "base", intern!(py, "datetime"))?;
    let timezone = instance.attr(intern!(py, "timezone"))?;
    let mut first_instant = None;
    if clock.is(cached!(py, "datetime", "datetime")?) {
        let now = ZonedDateTime::from_utc(now_micros()?, &zone_of(&timezone)?)?;
        first_instant = job.get().first_run_instant(py, &now)?;
    }
    let first = match first_instant {
        Some(at) => {
            job.get().set_next_run_at(at);
            FirstRun::At(at)
        }
        None => {
            let now = clock.call_method1(intern!(py, "now"), (&timezone,))?;
            let first = job.get().next_fire_time(py, None, &now)?;
            // Job._as_run_time: what our triggers return is stored as is
            let first = if first.is_none() || is_plain_aware(&first)? {
                first
            } else {
                job.call_method1(intern!(py, "_as_run_time"), (&first,))?
            };
            job.get().set_next_run_time(&first)?;
            FirstRun::Datetime(first)
        }
    };
    let job_any = job.clone().into_any();
    match store.get().add_job(&job_any) {
        Ok(()) => {}
        Err(err) => {
            let conflict = cached!(py, "apscheduler_rs.jobstores.base", "ConflictingIdError")?;
            if err.is_instance(py, conflict) && call.replace_existing.is_truthy()? {
                store.get().update_job(&job_any)?;
            } else {
                return Err(err);
            }
        }
    }
    if instance.wants_event(&facts, EVENT_JOB_ADDED)? {
        let job_id = job.get().id().expect("filled").to_py(py)?;
        slf.call_method1(
            intern!(py, "_emit_job_event"),
            (EVENT_JOB_ADDED, job_id, &call.jobstore),
        )?;
    }
    if let Some(logger) = instance.info_logger()? {
        let name = job.getattr(intern!(py, "name"))?;
        logger.call_method1(
            intern!(py, "info"),
            (
                intern!(py, "Added job \"%s\" to job store \"%s\""),
                name,
                &call.jobstore,
            ),
        )?;
    }
    if state == STATE_RUNNING && needs_wakeup(instance, facts, first)? {
        slf.call_method0(intern!(py, "wakeup"))?;
    }
    drop(held);
    Ok(job_any)
}

/// A new job's first run time: an instant (`None`: it never fires), or the
/// datetime its trigger gave.
enum FirstRun<'py> {
    At(Option<i64>),
    Datetime(Bound<'py, PyAny>),
}

/// `_needs_wakeup_for(job)` for a job whose first run time is `first`.
fn needs_wakeup(instance: &Instance<'_>, facts: ClassFacts, first: FirstRun<'_>) -> PyResult<bool> {
    let py = instance.py();
    let wakes_at = instance.attr(intern!(py, "_wakes_at"))?;
    if wakes_at.is_none() || !facts.wakeup_ours || !instance.keeps(&WAKEUP_NAME)? {
        return Ok(true);
    }
    let run_time = match first {
        FirstRun::At(None) => return Ok(false),
        FirstRun::Datetime(first) if first.is_none() => return Ok(false),
        // `datetime.timestamp()` of an aware datetime: microseconds over a million
        FirstRun::At(Some(at)) => at as f64 / 1e6,
        FirstRun::Datetime(first) => first.call_method0(intern!(py, "timestamp"))?.extract()?,
    };
    let wakes_at: f64 = wakes_at.extract()?;
    let (time, monotonic) = clocks(py)?;
    Ok(run_time - time < wakes_at - monotonic)
}

/// `remove_job` done here; `false` when the call needs the Python path.
fn remove_directly<'py>(
    slf: &Bound<'py, PySchedulerCore>,
    job_id: &Bound<'py, PyAny>,
    jobstore: Option<&Bound<'py, PyAny>>,
) -> PyResult<bool> {
    let py = slf.py();
    let facts = PySchedulerCore::class_facts(slf)?;
    if !facts.removes_directly {
        return Ok(false);
    }
    let instance = Instance::new(slf)?;
    if !instance.keeps(&REMOVE_BYPASS_NAMES)? {
        return Ok(false);
    }
    let jobstore = jobstore.filter(|alias| !alias.is_none());
    let lock = instance.attr(intern!(py, "_jobstores_lock"))?;
    let held = Held::acquire(slf.get(), lock)?;
    if instance.state()? == STATE_STOPPED {
        drop(held);
        return Ok(false); // the pending jobs: the Python path
    }
    let jobstores = instance
        .attr(intern!(py, "_jobstores"))?
        .cast_into::<PyDict>()?;
    let mut removed_from = None;
    let lookup_error = cached!(py, "apscheduler_rs.jobstores.base", "JobLookupError")?;
    for (alias, store) in jobstores.iter() {
        if let Some(wanted) = jobstore {
            if !alias.eq(wanted)? {
                continue;
            }
        }
        let outcome = match plain_memory_store(slf.get(), &store, true)? {
            Some(memory) => memory.get().remove_job(job_id),
            None => store
                .call_method1(intern!(py, "remove_job"), (job_id,))
                .map(drop),
        };
        match outcome {
            Ok(()) => {
                removed_from = Some(alias);
                break;
            }
            Err(err) if err.is_instance(py, lookup_error) => continue,
            Err(err) => return Err(err),
        }
    }
    drop(held);
    let Some(alias) = removed_from else {
        return Err(Error::JobLookup(job_id.str()?.to_string()).into());
    };
    // _report_removed
    if instance.wants_event(&facts, EVENT_JOB_REMOVED)? {
        slf.call_method1(
            intern!(py, "_emit_job_event"),
            (EVENT_JOB_REMOVED, job_id, &alias),
        )?;
    }
    if let Some(logger) = instance.info_logger()? {
        logger.call_method1(intern!(py, "info"), (intern!(py, "Removed job %s"), job_id))?;
    }
    Ok(true)
}
