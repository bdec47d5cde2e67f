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

use std::cell::OnceCell;

use pyo3::exceptions::PyValueError;
use pyo3::gc::PyVisit;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use pyo3::PyTraverseError;

use super::assigned::Methods;
use super::datetime::{is_plain_aware, now_micros, zone_of};
use super::interval::PyIntervalTrigger;
use super::job::{derived_from_recent, intern_spec, JobId, PyJob, Shared, SharedValues};
use super::log_level::logs_info;
use super::memory_store::{PyMemoryJobStore, ADDS_JOBS, JOB_METHODS, REMOVES_JOBS};
use super::pyfuncs::cached;
use super::rlock::PyRLock;
use super::scheduler_kept::{
    Attr, CheckedDefaults, ClassFacts, KeptNow, LoggerNow, PyKeptAttribute, SchedulerKept,
    SeenStore, ADD_BYPASSES, DISPATCH, REMOVE_BYPASSES, WAKEUP,
};
use crate::error::Error;
use crate::time::ZonedDateTime;

const STATE_STOPPED: i64 = 0;
const STATE_RUNNING: i64 = 1;
const EVENT_JOB_ADDED: i64 = 1 << 9;
const EVENT_JOB_REMOVED: i64 = 1 << 10;

#[pyclass(
    subclass,
    frozen,
    module = "apscheduler_rs._core",
    name = "SchedulerCore"
)]
pub struct PySchedulerCore {
    pub(super) kept: SchedulerKept,
}

/// The scheduler's `_jobstores_lock`, held until dropped: our own lock taken
/// directly, or any other lock through its bound methods (remembered in the
/// core for the next call).
enum Held<'a, 'py> {
    Ours(&'a Bound<'py, PyRLock>),
    Other(Bound<'py, PyAny>),
}

impl<'a, 'py> Held<'a, 'py> {
    fn acquire(instance: &'a Instance<'py>) -> PyResult<Self> {
        let py = instance.py();
        let lock = &instance.now.jobstores_lock;
        if let Ok(ours) = lock.cast_exact::<PyRLock>() {
            ours.get().acquire_blocking(py)?;
            return Ok(Held::Ours(ours));
        }
        let [acquire, release] = match &instance.now.lock_methods {
            Some(methods) => methods.clone(),
            None => {
                let acquire = lock.getattr(intern!(py, "acquire"))?;
                let release = lock.getattr(intern!(py, "release"))?;
                let remembered = [
                    lock.clone().unbind(),
                    acquire.clone().unbind(),
                    release.clone().unbind(),
                ];
                let replaced = instance.kept().borrow(py)?.lock_methods.replace(remembered);
                drop(replaced);
                [acquire, release]
            }
        };
        acquire.call0()?;
        Ok(Held::Other(release))
    }
}

impl Drop for Held<'_, '_> {
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

/// A scheduler as a direct path reads it: what it keeps, as of the call's
/// start, and its instance dict for the other attributes (once one is read).
struct Instance<'py> {
    scheduler: Bound<'py, PySchedulerCore>,
    now: KeptNow<'py>,
    dict: OnceCell<Bound<'py, PyDict>>,
}

impl<'py> Instance<'py> {
    /// The scheduler, if a direct path going around `bypassed` can be taken:
    /// the attributes it reads are set, the Python code reads them where
    /// they are kept (no class shadows them), and neither the class nor the
    /// instance replaces any of `bypassed`.
    fn new(scheduler: &Bound<'py, PySchedulerCore>, bypassed: Methods) -> PyResult<Option<Self>> {
        let kept = &scheduler.get().kept;
        let Some(now) = kept.now(scheduler.as_any())? else {
            return Ok(None);
        };
        if !now.facts.attrs_kept || now.facts.replaced.meets(bypassed) || kept.assigned(bypassed) {
            return Ok(None);
        }
        Ok(Some(Instance {
            scheduler: scheduler.clone(),
            now,
            dict: OnceCell::new(),
        }))
    }

    fn py(&self) -> Python<'py> {
        self.scheduler.py()
    }

    fn kept(&self) -> &SchedulerKept {
        &self.scheduler.get().kept
    }

    /// `_jobstores`, as of the call's start.
    fn jobstores(&self) -> PyResult<&Bound<'py, PyDict>> {
        Ok(self.now.jobstores.cast::<PyDict>()?)
    }

    /// Any other attribute of the scheduler: from its `__dict__` (where the
    /// scheduler keeps those read here), else looked up as usual.
    fn attr(&self, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        let dict = match self.dict.get() {
            Some(dict) => dict,
            None => {
                let dict = instance_dict(&self.scheduler)?;
                self.dict.get_or_init(|| dict)
            }
        };
        match dict.get_item(name)? {
            Some(value) => Ok(value),
            None => self.scheduler.getattr(name),
        }
    }

    /// `state`, read now; `None` when it is not an int (the Python path then
    /// reads it).
    fn state(&self) -> Option<i64> {
        self.kept().state()
    }

    /// `_wants_event(code)`.
    fn wants_event(&self, code: i64) -> bool {
        wants(self.kept(), self.now.facts, code)
    }

    /// The scheduler's logger, if `logger.isEnabledFor(INFO)`.
    fn info_logger(&self) -> PyResult<Option<&Bound<'py, PyAny>>> {
        let py = self.py();
        let enabled = match &self.now.logger {
            LoggerNow::Plain(dicts) => logs_info(dicts.logger(py), Some(dicts))?,
            LoggerNow::Other(logger) => {
                let dicts = self.kept().logger_dicts(logger)?;
                logs_info(logger, dicts.as_ref())?
            }
        };
        Ok(enabled.then(|| match &self.now.logger {
            LoggerNow::Plain(dicts) => dicts.logger(py),
            LoggerNow::Other(logger) => logger,
        }))
    }
}

/// `_wants_event(code)` of a scheduler keeping `kept`, of a class with `facts`.
fn wants(kept: &SchedulerKept, facts: ClassFacts, code: i64) -> bool {
    kept.listened(code) || facts.replaced.meets(DISPATCH) || kept.assigned(DISPATCH)
}

/// The instance dict of a scheduler.
fn instance_dict<'py>(scheduler: &Bound<'py, PySchedulerCore>) -> PyResult<Bound<'py, PyDict>> {
    let py = scheduler.py();
    // SAFETY: a live object; returns a new reference or sets an error.
    Ok(unsafe {
        Bound::from_owned_ptr_or_err(
            py,
            pyo3::ffi::PyObject_GenericGetDict(scheduler.as_ptr(), std::ptr::null_mut()),
        )?
    }
    .cast_into::<PyDict>()?)
}

impl PySchedulerCore {
    /// The values a job holds for `job_defaults`, or `None` when a job would
    /// refuse one (the Python path then raises the job's error).
    fn job_defaults<'py>(instance: &Instance<'py>) -> PyResult<Option<[Bound<'py, PyAny>; 3]>> {
        let py = instance.py();
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
            let kept = instance.kept().borrow(instance.py())?;
            if let Some(checked) = kept.defaults.as_ref() {
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
        let replaced = instance
            .kept()
            .borrow(instance.py())?
            .defaults
            .replace(remembered);
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
/// `removing`, else `add_job` and `update_job`). The class's answer is
/// remembered in the scheduler for the next call.
fn plain_memory_store<'a, 'py>(
    instance: &Instance<'py>,
    store: &'a Bound<'py, PyAny>,
    removing: bool,
) -> PyResult<Option<&'a Bound<'py, PyMemoryJobStore>>> {
    let py = store.py();
    let Ok(memory) = store.cast::<PyMemoryJobStore>() else {
        return Ok(None);
    };
    let seen = instance
        .kept()
        .borrow(py)?
        .store
        .as_ref()
        .filter(|seen| seen.store.is(store))
        .map(|seen| seen.plain_class);
    let plain_class = match seen {
        Some(plain_class) => plain_class,
        None => {
            let class = store.get_type();
            let base = py.get_type::<PyMemoryJobStore>();
            let mut plain_class = true;
            for name in JOB_METHODS {
                plain_class &= class.getattr(name)?.is(base.getattr(name)?);
            }
            let remembered = SeenStore {
                store: store.clone().unbind(),
                plain_class,
            };
            let replaced = instance.kept().borrow(py)?.store.replace(remembered);
            drop(replaced);
            plain_class
        }
    };
    let bypassed = if removing { REMOVES_JOBS } else { ADDS_JOBS };
    Ok((plain_class && !memory.get().assigned(bypassed)).then_some(memory))
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
            kept: SchedulerKept::new(),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.kept.visit(&visit)
    }

    fn __clear__(&self) {
        Python::attach(|py| self.kept.clear(py));
    }

    /// Assignments are tracked for the methods the direct paths go around.
    fn __setattr__(
        slf: &Bound<'_, Self>,
        name: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        slf.get().kept.set_attr(slf.as_any(), name, Some(value))
    }

    fn __delattr__(slf: &Bound<'_, Self>, name: &Bound<'_, PyAny>) -> PyResult<()> {
        slf.get().kept.set_attr(slf.as_any(), name, None)
    }

    // The attributes kept in Rust (see `scheduler_kept`), as class attributes
    // that are data descriptors, so they are found before the instance dict.
    #[classattr]
    fn state() -> PyKeptAttribute {
        PyKeptAttribute::new(Attr::State)
    }

    #[classattr]
    #[pyo3(name = "_listened_mask")]
    fn listened_mask() -> PyKeptAttribute {
        PyKeptAttribute::new(Attr::ListenedMask)
    }

    #[classattr]
    #[pyo3(name = "_jobstores")]
    fn jobstores() -> PyKeptAttribute {
        PyKeptAttribute::new(Attr::Jobstores)
    }

    #[classattr]
    #[pyo3(name = "_jobstores_lock")]
    fn jobstores_lock() -> PyKeptAttribute {
        PyKeptAttribute::new(Attr::JobstoresLock)
    }

    #[classattr]
    #[pyo3(name = "_logger")]
    fn logger() -> PyKeptAttribute {
        PyKeptAttribute::new(Attr::Logger)
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
        job_id: &Bound<'py, PyAny>,
        jobstore: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        if !remove_directly(slf, job_id, jobstore)? {
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
    let kept = &scheduler.get().kept;
    let facts = kept.class_facts(scheduler.as_any())?;
    Ok(Some(wants(kept, facts, code)))
}

/// `add_job` done here, or `None` when the call needs the Python path (which
/// is then taken before anything was changed).
fn add_directly<'py>(
    slf: &Bound<'py, PySchedulerCore>,
    call: &AddJob<'py>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = slf.py();
    let Some(instance) = Instance::new(slf, ADD_BYPASSES)? else {
        return Ok(None);
    };
    if !call.simple(py)? || instance.state().is_none_or(|state| state == STATE_STOPPED) {
        return Ok(None);
    }
    let jobstores = instance.jobstores()?;
    let Some(store) = jobstores.get_item(&call.jobstore)? else {
        return Ok(None); // the Python path raises the lookup error
    };
    let Some(store) = plain_memory_store(&instance, &store, false)? else {
        return Ok(None);
    };
    let given = match call.trigger_given()? {
        Some(TriggerGiven::Instance(trigger)) if !is_trigger(trigger)? => return Ok(None),
        Some(given) => given,
        None => return Ok(None),
    };
    let Some(defaults) = PySchedulerCore::job_defaults(&instance)? else {
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
    add_new_job(slf, &instance, call, store, trigger, defaults).map(Some)
}

/// Make the job (as `Job._create` would) and store it (as `_real_add_job`
/// would, under the scheduler's job store lock).
fn add_new_job<'py>(
    slf: &Bound<'py, PySchedulerCore>,
    instance: &Instance<'py>,
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
    let held = Held::acquire(instance)?;
    let Some(state) = instance.state().filter(|&state| state != STATE_STOPPED) else {
        // shut down meanwhile: the Python path queues it as pending
        drop(held);
        return call.in_python(slf);
    };
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
    if instance.wants_event(EVENT_JOB_ADDED) {
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
    if state == STATE_RUNNING && needs_wakeup(instance, first)? {
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
fn needs_wakeup(instance: &Instance<'_>, first: FirstRun<'_>) -> PyResult<bool> {
    let py = instance.py();
    let wakes_at = instance.attr(intern!(py, "_wakes_at"))?;
    if wakes_at.is_none() || !instance.now.facts.wakeup_ours || instance.kept().assigned(WAKEUP) {
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
    let Some(instance) = Instance::new(slf, REMOVE_BYPASSES)? else {
        return Ok(false);
    };
    let jobstore = jobstore.filter(|alias| !alias.is_none());
    let held = Held::acquire(&instance)?;
    if instance.state().is_none_or(|state| state == STATE_STOPPED) {
        drop(held);
        return Ok(false); // the pending jobs: the Python path
    }
    let jobstores = instance.jobstores()?;
    let mut removed_from = None;
    let lookup_error = cached!(py, "apscheduler_rs.jobstores.base", "JobLookupError")?;
    for (alias, store) in jobstores.iter() {
        if let Some(wanted) = jobstore {
            if !alias.eq(wanted)? {
                continue;
            }
        }
        let outcome = match plain_memory_store(&instance, &store, true)? {
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
    if instance.wants_event(EVENT_JOB_REMOVED) {
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
