//! `WorkerPool`: up to `max_workers` threads taking tasks from one channel.
//!
//! Threads start lazily, as in `concurrent.futures`: a submission starts one only
//! when no worker is waiting for work and fewer than `max_workers` exist, and
//! threads then live until shutdown. What a thread does is the caller's `body`,
//! which pulls tasks with [`Worker::next_task`] until it returns `None`; so the
//! caller decides how a worker waits (the Python bindings wait detached from the
//! interpreter) and what it does before its first task (an initializer).
//!
//! Shutdown drops the channel's only sender: workers finish what is queued, find
//! the channel closed and return. `shutdown(true)` joins every thread started.
//! The pool lock is held only for bookkeeping; tasks are never run or dropped
//! under it, since a task's drop may run foreign code (a Python `__del__`).
//!
//! Threads do not survive `fork`: in a child process a pool inherited from its
//! parent refuses work and its shutdown neither locks nor joins.

use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle, ThreadId};

use crossbeam_channel::{unbounded, Receiver, Sender};
use parking_lot::{Condvar, Mutex};

use super::fork;
use crate::error::{Error, Result};

/// `concurrent.futures`' words for work submitted after shutdown.
pub const SHUT_DOWN: &str = "cannot schedule new futures after shutdown";

/// Work submitted to a pool inherited through `fork`.
pub const FORKED: &str =
    "cannot schedule new futures in a forked process: the pool's threads stayed in the parent";

/// What each worker thread runs, from start to exit.
pub type Body<T> = dyn Fn(&mut Worker<'_, T>) + Send + Sync;

/// The owning handle. Dropping it shuts the pool down without waiting.
pub struct WorkerPool<T: Send + 'static> {
    shared: Arc<Shared<T>>,
}

/// A handle that does not keep the pool open, for shutting down at exit the pools
/// whose owners are gone but whose threads may still be finishing work.
pub struct WeakPool<T: Send + 'static> {
    shared: Weak<Shared<T>>,
}

/// What the pool's handles and its threads share.
struct Shared<T> {
    /// The fork generation (`fork::generation`) of the process whose threads
    /// these are.
    generation: u64,
    max_workers: usize,
    name_prefix: String,
    stack_size: Option<usize>,
    body: Box<Body<T>>,
    tasks: Receiver<T>,
    /// Workers that finished a task and have not been promised another since.
    /// Counted loosely, like `concurrent.futures`' idle semaphore: a worker may
    /// take a queued task without a submission claiming its token, which only
    /// matters once all `max_workers` threads exist and no more can start.
    idle: AtomicUsize,
    state: Mutex<State<T>>,
    /// Signalled when the last running thread exits.
    all_exited: Condvar,
}

struct State<T> {
    /// `None` once shut down.
    sender: Option<Sender<T>>,
    /// Why the pool refuses work, once a worker has broken it.
    broken: Option<String>,
    started: usize,
    /// Threads started and not yet exited.
    running: usize,
    /// Threads nobody has joined yet.
    unjoined: Vec<JoinHandle<()>>,
    /// Every thread this pool started, to refuse a worker waiting for itself.
    thread_ids: Vec<ThreadId>,
}

/// A worker thread's view of its pool, given to the body.
pub struct Worker<'a, T> {
    shared: &'a Shared<T>,
    index: usize,
    took_task: bool,
}

impl<T: Send + 'static> WorkerPool<T> {
    /// A pool of at most `max_workers` threads named `{name_prefix}_{n}`, each
    /// running `body` on a stack of `stack_size` bytes (`None`: Rust's default).
    /// No thread starts until work is submitted.
    pub fn new(
        max_workers: usize,
        name_prefix: impl Into<String>,
        stack_size: Option<usize>,
        body: impl Fn(&mut Worker<'_, T>) + Send + Sync + 'static,
    ) -> Result<Self> {
        if max_workers == 0 {
            return Err(Error::value("max_workers must be greater than 0"));
        }
        let (sender, tasks) = unbounded();
        let state = State {
            sender: Some(sender),
            broken: None,
            started: 0,
            running: 0,
            unjoined: Vec::new(),
            thread_ids: Vec::new(),
        };
        Ok(WorkerPool {
            shared: Arc::new(Shared {
                generation: fork::generation(),
                max_workers,
                name_prefix: name_prefix.into(),
                stack_size,
                body: Box::new(body),
                tasks,
                idle: AtomicUsize::new(0),
                state: Mutex::new(state),
                all_exited: Condvar::new(),
            }),
        })
    }

    /// Queue `task`, starting a thread for it if none is idle and the limit allows.
    ///
    /// Fails with `Error::Runtime` after shutdown, in a process that inherited
    /// the pool by `fork`, or if no thread could be started and none is running,
    /// and with `Error::BrokenPool` once a worker has broken the pool; the task is
    /// then dropped.
    pub fn submit(&self, task: T) -> Result<()> {
        if self.shared.forked() {
            return Err(Error::Runtime(FORKED.to_owned()));
        }
        let mut state = self.shared.state.lock();
        let outcome = self.shared.enqueue(&mut state, task);
        drop(state);
        // A refused task is dropped here, after the lock is released.
        outcome.map_err(|(err, _task)| err)
    }

    /// Stop taking work; queued tasks still run. With `wait`, return once every
    /// thread has exited. Waiting from one of the pool's own threads fails with
    /// `Error::Runtime`, as `concurrent.futures` does, after shutting down.
    pub fn shutdown(&self, wait: bool) -> Result<()> {
        self.shared.shutdown(wait)
    }

    pub fn downgrade(&self) -> WeakPool<T> {
        WeakPool {
            shared: Arc::downgrade(&self.shared),
        }
    }

    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    /// Threads started so far (they live until shutdown).
    pub fn started(&self) -> usize {
        self.shared.state.lock().started
    }

    /// Threads started and not yet exited.
    pub fn running(&self) -> usize {
        self.shared.state.lock().running
    }

    /// Workers waiting for a task that no submission has claimed yet.
    pub fn idle(&self) -> usize {
        self.shared.idle.load(Ordering::SeqCst)
    }
}

impl<T: Send + 'static> Drop for WorkerPool<T> {
    fn drop(&mut self) {
        // Without waiting this cannot fail; the threads finish the queue and exit.
        let _ = self.shared.shutdown(false);
    }
}

impl<T: Send + 'static> WeakPool<T> {
    /// `WorkerPool::shutdown`, if the pool or any of its threads still exists.
    pub fn shutdown(&self, wait: bool) -> Result<()> {
        match self.shared.upgrade() {
            Some(shared) => shared.shutdown(wait),
            None => Ok(()),
        }
    }

    /// Whether the pool or any of its threads still exists.
    pub fn is_alive(&self) -> bool {
        self.shared.strong_count() > 0
    }
}

impl<T: Send + 'static> Shared<T> {
    /// Queue `task`, or hand it back with the reason it was refused.
    fn enqueue(
        self: &Arc<Self>,
        state: &mut State<T>,
        task: T,
    ) -> std::result::Result<(), (Error, T)> {
        if let Some(reason) = &state.broken {
            return Err((Error::BrokenPool(reason.clone()), task));
        }
        if state.sender.is_none() {
            return Err((Error::Runtime(SHUT_DOWN.to_owned()), task));
        }
        if !self.claim_idle() && state.started < self.max_workers {
            if let Err(err) = self.spawn(state) {
                // A running worker will still get to the task; with none it would
                // wait forever.
                if state.started == 0 {
                    return Err((err, task));
                }
            }
        }
        match &state.sender {
            Some(sender) => sender
                .send(task)
                .map_err(|refused| (Error::Runtime(SHUT_DOWN.to_owned()), refused.into_inner())),
            None => Err((Error::Runtime(SHUT_DOWN.to_owned()), task)),
        }
    }

    /// Take one idle worker's token, if there is one.
    fn claim_idle(&self) -> bool {
        self.idle
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    fn spawn(self: &Arc<Self>, state: &mut State<T>) -> Result<()> {
        let index = state.started;
        let shared = Arc::clone(self);
        // The OS rejects NUL in thread names; the body still sees the full name.
        let os_name = format!("{}_{index}", self.name_prefix).replace('\0', "");
        let mut builder = thread::Builder::new().name(os_name);
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        let handle = builder
            .spawn(move || run_worker(&shared, index))
            .map_err(|err| Error::Runtime(format!("can't start new thread: {err}")))?;
        // The thread's exit bookkeeping takes the lock we hold, so it cannot be
        // counted out before it is counted in.
        state.started += 1;
        state.running += 1;
        state.thread_ids.push(handle.thread().id());
        state.unjoined.push(handle);
        Ok(())
    }

    /// Whether this is a child process that inherited the pool by `fork`; its
    /// threads are not here, and its lock may have been copied while held.
    fn forked(&self) -> bool {
        fork::generation() != self.generation
    }

    fn shutdown(&self, wait: bool) -> Result<()> {
        if self.forked() {
            return Ok(());
        }
        let (sender, handles, joining_self) = {
            let mut state = self.state.lock();
            let sender = state.sender.take();
            let joining_self = wait && state.thread_ids.contains(&thread::current().id());
            let handles = if wait && !joining_self {
                mem::take(&mut state.unjoined)
            } else {
                Vec::new()
            };
            (sender, handles, joining_self)
        };
        // Closing the channel wakes the idle workers once the queue is empty.
        drop(sender);
        if joining_self {
            return Err(Error::Runtime("cannot join current thread".to_owned()));
        }
        if !wait {
            return Ok(());
        }
        for handle in handles {
            // A worker that panicked was counted out by its guard; nothing to report.
            let _ = handle.join();
        }
        // Another caller may have taken some of the handles; wait for those too.
        let mut state = self.state.lock();
        while state.running > 0 {
            self.all_exited.wait(&mut state);
        }
        Ok(())
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        if fork::generation() != self.generation {
            // The parent's threads: nothing in this process may join or detach them.
            mem::forget(mem::take(&mut self.state.get_mut().unjoined));
        }
    }
}

/// A worker thread from start to exit.
fn run_worker<T>(shared: &Shared<T>, index: usize) {
    let _exit = CountOut(shared);
    let mut worker = Worker {
        shared,
        index,
        took_task: false,
    };
    (shared.body)(&mut worker);
}

/// Counts a thread out when it exits, even by panic.
struct CountOut<'a, T>(&'a Shared<T>);

impl<T> Drop for CountOut<'_, T> {
    fn drop(&mut self) {
        let mut state = self.0.state.lock();
        state.running -= 1;
        if state.running == 0 {
            self.0.all_exited.notify_all();
        }
    }
}

impl<T> Worker<'_, T> {
    /// This worker's number in start order, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The thread's name: `{name_prefix}_{index}`.
    pub fn name(&self) -> String {
        format!("{}_{}", self.shared.name_prefix, self.index)
    }

    /// Block until a task arrives; `None` once the pool is shut down and its
    /// queue is empty, when the body should return.
    pub fn next_task(&mut self) -> Option<T> {
        // A new thread was started for a particular task, so only a worker that
        // has finished one counts as idle.
        if self.took_task {
            self.shared.idle.fetch_add(1, Ordering::SeqCst);
        }
        let task = self.shared.tasks.recv().ok();
        self.took_task = true;
        task
    }

    /// A task that is already queued, without waiting (and without counting this
    /// worker idle: it stays busy). Lets a worker that holds the interpreter run
    /// a backlog without handing the GIL back and forth for every task.
    pub fn try_next_task(&mut self) -> Option<T> {
        let task = self.shared.tasks.try_recv().ok();
        // a worker's first task may come this way too; it then counts as having
        // finished one when it next waits
        self.took_task |= task.is_some();
        task
    }

    /// Make the pool refuse all further work with `Error::BrokenPool(reason)` (the
    /// first reason given wins) and return the queued tasks, which will never run,
    /// for the caller to fail.
    pub fn break_pool(&mut self, reason: &str) -> Vec<T> {
        let mut state = self.shared.state.lock();
        if state.broken.is_none() {
            state.broken = Some(reason.to_owned());
        }
        // Drained under the lock, so no submission can slip in afterwards.
        self.shared.tasks.try_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::{bounded, RecvTimeoutError};
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};

    const LONG: Duration = Duration::from_secs(10);

    /// A task: a closure run by a body that just runs tasks.
    type Job = Box<dyn FnOnce() + Send>;

    fn simple_pool(max_workers: usize) -> WorkerPool<Job> {
        WorkerPool::new(max_workers, "test", None, |worker: &mut Worker<'_, Job>| {
            while let Some(job) = worker.next_task() {
                job();
            }
        })
        .expect("valid pool")
    }

    fn wait_until(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + LONG;
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn zero_workers_is_refused() {
        let made = WorkerPool::<Job>::new(0, "x", None, |_: &mut Worker<'_, Job>| {});
        assert!(matches!(made, Err(Error::Value(m)) if m == "max_workers must be greater than 0"));
    }

    #[test]
    fn runs_every_task_and_starts_no_thread_before_work() {
        let pool = simple_pool(4);
        assert_eq!(pool.started(), 0);
        let (done, results) = unbounded();
        for n in 0..100 {
            let done = done.clone();
            pool.submit(Box::new(move || done.send(n).expect("open")))
                .expect("accepted");
        }
        let mut seen: Vec<i32> = (0..100)
            .map(|_| results.recv_timeout(LONG).expect("ran"))
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert!(pool.started() <= 4);
        pool.shutdown(true).expect("shut down");
        assert_eq!(pool.running(), 0);
    }

    #[test]
    fn an_idle_worker_is_reused_instead_of_starting_another() {
        let pool = simple_pool(5);
        for round in 0..5 {
            let (done, finished) = bounded(1);
            pool.submit(Box::new(move || done.send(()).expect("open")))
                .expect("accepted");
            finished.recv_timeout(LONG).expect("ran");
            wait_until("the worker to be idle", || pool.idle() == 1);
            assert_eq!(pool.started(), 1, "round {round}");
        }
        pool.shutdown(true).expect("shut down");
    }

    #[test]
    fn runs_at_most_max_workers_at_once() {
        let pool = simple_pool(3);
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (release, gate) = bounded::<()>(0);
        let (done, finished) = unbounded();
        for _ in 0..8 {
            let (active, peak, gate, done) = (
                Arc::clone(&active),
                Arc::clone(&peak),
                gate.clone(),
                done.clone(),
            );
            pool.submit(Box::new(move || {
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let _ = gate.recv_timeout(LONG);
                active.fetch_sub(1, Ordering::SeqCst);
                done.send(()).expect("open");
            }))
            .expect("accepted");
        }
        wait_until("three tasks to block", || {
            active.load(Ordering::SeqCst) == 3
        });
        thread::sleep(Duration::from_millis(20));
        assert_eq!(active.load(Ordering::SeqCst), 3);
        assert_eq!(pool.started(), 3);
        for _ in 0..8 {
            release.send_timeout((), LONG).expect("a task takes it");
        }
        for _ in 0..8 {
            finished.recv_timeout(LONG).expect("finished");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        pool.shutdown(true).expect("shut down");
    }

    #[test]
    fn shutdown_with_wait_runs_the_queue_and_joins_every_thread() {
        let pool = simple_pool(2);
        let ran = Arc::new(AtomicUsize::new(0));
        for _ in 0..6 {
            let ran = Arc::clone(&ran);
            pool.submit(Box::new(move || {
                thread::sleep(Duration::from_millis(5));
                ran.fetch_add(1, Ordering::SeqCst);
            }))
            .expect("accepted");
        }
        pool.shutdown(true).expect("shut down");
        assert_eq!(ran.load(Ordering::SeqCst), 6);
        assert_eq!(pool.running(), 0);
        assert!(pool.shared.state.lock().unjoined.is_empty());
        // A second wait has nothing left to do.
        pool.shutdown(true).expect("shut down again");
    }

    #[test]
    fn shutdown_without_wait_returns_at_once_and_the_work_still_finishes() {
        let pool = simple_pool(1);
        let (release, gate) = bounded::<()>(0);
        let (done, finished) = bounded(1);
        pool.submit(Box::new(move || {
            let _ = gate.recv_timeout(LONG);
            done.send(()).expect("open");
        }))
        .expect("accepted");
        let started = Instant::now();
        pool.shutdown(false).expect("shut down");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(pool.running(), 1);
        release.send_timeout((), LONG).expect("the task takes it");
        finished.recv_timeout(LONG).expect("finished");
        pool.shutdown(true).expect("joined");
        assert_eq!(pool.running(), 0);
    }

    #[test]
    fn submitting_after_shutdown_is_refused() {
        let pool = simple_pool(1);
        pool.shutdown(false).expect("shut down");
        let refused = pool.submit(Box::new(|| {}));
        assert!(matches!(refused, Err(Error::Runtime(m)) if m == SHUT_DOWN));
        assert_eq!(pool.started(), 0);
    }

    #[test]
    fn a_refused_task_is_dropped_after_the_lock_is_released() {
        struct ChecksLock(Arc<Shared<ChecksLock>>, Arc<AtomicBool>);
        impl Drop for ChecksLock {
            fn drop(&mut self) {
                self.1
                    .store(self.0.state.try_lock().is_some(), Ordering::SeqCst);
            }
        }
        let pool =
            WorkerPool::new(1, "t", None, |_: &mut Worker<'_, ChecksLock>| {}).expect("pool");
        pool.shutdown(false).expect("shut down");
        let unlocked = Arc::new(AtomicBool::new(false));
        let task = ChecksLock(Arc::clone(&pool.shared), Arc::clone(&unlocked));
        assert!(pool.submit(task).is_err());
        assert!(unlocked.load(Ordering::SeqCst));
    }

    #[test]
    fn dropping_the_pool_lets_its_threads_finish_and_exit() {
        let pool = simple_pool(2);
        let (done, finished) = unbounded();
        for _ in 0..4 {
            let done = done.clone();
            pool.submit(Box::new(move || {
                thread::sleep(Duration::from_millis(5));
                done.send(()).expect("open");
            }))
            .expect("accepted");
        }
        let weak = pool.downgrade();
        drop(pool);
        for _ in 0..4 {
            finished.recv_timeout(LONG).expect("still ran");
        }
        weak.shutdown(true).expect("joined");
        wait_until("the pool to be freed", || !weak.is_alive());
    }

    #[test]
    fn a_worker_may_not_wait_for_its_own_pool() {
        let pool = Arc::new(simple_pool(1));
        let (done, outcome) = bounded(1);
        let inner = Arc::clone(&pool);
        pool.submit(Box::new(move || {
            done.send(inner.shutdown(true)).expect("open");
        }))
        .expect("accepted");
        let got = outcome.recv_timeout(LONG).expect("ran");
        assert!(matches!(got, Err(Error::Runtime(m)) if m == "cannot join current thread"));
        // It did shut down, and the caller outside can still wait for it.
        assert!(pool.submit(Box::new(|| {})).is_err());
        pool.shutdown(true).expect("joined");
        assert_eq!(pool.running(), 0);
    }

    #[test]
    fn threads_are_named_after_the_prefix() {
        let pool = WorkerPool::new(
            2,
            "named",
            Some(256 * 1024),
            |worker: &mut Worker<'_, Job>| {
                assert_eq!(thread::current().name(), Some(worker.name().as_str()));
                while let Some(job) = worker.next_task() {
                    job();
                }
            },
        )
        .expect("pool");
        let (done, names) = unbounded();
        for _ in 0..2 {
            let done = done.clone();
            pool.submit(Box::new(move || {
                let name = thread::current().name().map(str::to_owned);
                done.send(name).expect("open");
            }))
            .expect("accepted");
        }
        let first = names.recv_timeout(LONG).expect("ran");
        assert!(first.is_some_and(|n| n.starts_with("named_")));
        let _ = names.recv_timeout(LONG);
        pool.shutdown(true).expect("joined");
    }

    #[test]
    fn a_broken_pool_hands_back_its_queue_and_refuses_work() {
        let (abandoned_tx, abandoned) = unbounded();
        let (release, gate) = bounded::<()>(0);
        // Worker 0 waits, then breaks the pool; nothing ever runs.
        let pool = WorkerPool::new(1, "broken", None, move |worker: &mut Worker<'_, u32>| {
            let _ = gate.recv_timeout(LONG);
            for task in worker.break_pool("init failed") {
                abandoned_tx.send(task).expect("open");
            }
            worker.break_pool("second reason is ignored");
        })
        .expect("pool");
        for n in 0..3 {
            pool.submit(n).expect("accepted before it broke");
        }
        release.send_timeout((), LONG).expect("worker waits");
        let mut lost: Vec<u32> = (0..3)
            .map(|_| abandoned.recv_timeout(LONG).expect("handed back"))
            .collect();
        lost.sort_unstable();
        assert_eq!(lost, vec![0, 1, 2]);
        wait_until("the worker to exit", || pool.running() == 0);
        let refused = pool.submit(9);
        assert!(matches!(refused, Err(Error::BrokenPool(m)) if m == "init failed"));
        assert_eq!(
            abandoned.recv_timeout(Duration::from_millis(10)),
            Err(RecvTimeoutError::Timeout)
        );
        pool.shutdown(true).expect("joined");
    }
}
