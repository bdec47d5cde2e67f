//! `WakeSignal`: the scheduler loop's alarm clock.
//!
//! A one-slot channel: `set()` drops a token in (a full slot means a wake-up is
//! already pending, so extra calls cost nothing), `wait()` takes it out. Taking
//! the token and waking are one step, so a `set()` that lands while the loop is
//! busy is never lost, unlike an event's separate wait and clear.

use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};

pub struct WakeSignal {
    sender: Sender<()>,
    receiver: Receiver<()>,
}

/// Why `wait` returned.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Woken {
    /// `set()` was called.
    Signalled,
    /// The time ran out.
    TimedOut,
}

impl Default for WakeSignal {
    fn default() -> Self {
        Self::new()
    }
}

impl WakeSignal {
    pub fn new() -> Self {
        let (sender, receiver) = bounded(1);
        WakeSignal { sender, receiver }
    }

    /// Wake the waiter, or make its next `wait` return at once.
    pub fn set(&self) {
        match self.sender.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            // Both ends live in `self`, so the channel cannot be disconnected.
            Err(TrySendError::Disconnected(())) => unreachable!("WakeSignal owns both ends"),
        }
    }

    /// Whether a wake-up is pending.
    pub fn is_set(&self) -> bool {
        !self.receiver.is_empty()
    }

    /// Forget a pending wake-up.
    pub fn clear(&self) {
        while self.receiver.try_recv().is_ok() {}
    }

    /// Block until `set()` or until `deadline` (`None`: no deadline), consuming
    /// the wake-up.
    pub fn wait_until(&self, deadline: Option<Instant>) -> Woken {
        match deadline {
            None => match self.receiver.recv() {
                Ok(()) => Woken::Signalled,
                Err(_) => unreachable!("WakeSignal owns both ends"),
            },
            Some(deadline) => {
                let timeout = deadline.saturating_duration_since(Instant::now());
                match self.receiver.recv_timeout(timeout) {
                    Ok(()) => Woken::Signalled,
                    Err(RecvTimeoutError::Timeout) => Woken::TimedOut,
                    Err(RecvTimeoutError::Disconnected) => {
                        unreachable!("WakeSignal owns both ends")
                    }
                }
            }
        }
    }

    /// `wait_until` with a relative timeout.
    pub fn wait(&self, timeout: Option<Duration>) -> Woken {
        self.wait_until(timeout.and_then(|t| Instant::now().checked_add(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn set_before_wait_returns_at_once_and_is_consumed() {
        let signal = WakeSignal::new();
        signal.set();
        signal.set();
        assert!(signal.is_set());
        assert_eq!(signal.wait(Some(Duration::from_secs(5))), Woken::Signalled);
        assert!(!signal.is_set());
        let started = Instant::now();
        assert_eq!(
            signal.wait(Some(Duration::from_millis(20))),
            Woken::TimedOut
        );
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn set_from_another_thread_wakes_the_waiter() {
        let signal = Arc::new(WakeSignal::new());
        let setter = Arc::clone(&signal);
        let handle = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            setter.set();
        });
        let started = Instant::now();
        assert_eq!(signal.wait(None), Woken::Signalled);
        assert!(started.elapsed() < Duration::from_secs(5));
        handle.join().expect("setter thread");
    }

    #[test]
    fn clear_forgets_a_pending_wake_up() {
        let signal = WakeSignal::new();
        signal.set();
        signal.clear();
        assert_eq!(signal.wait(Some(Duration::ZERO)), Woken::TimedOut);
    }
}
