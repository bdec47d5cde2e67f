//! `WakeSignal` for Python: the Blocking/Background schedulers sleep in it with
//! Python detached, so other threads run and `wakeup()` interrupts at once.

use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::scheduler::wake::{WakeSignal, Woken};

/// How often a waiter on the main thread comes back to let Python run signal
/// handlers (Ctrl+C): Python only runs them between bytecodes.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(50);

#[pyclass(module = "apscheduler_rs._core", name = "WakeSignal", frozen)]
pub struct PyWakeSignal {
    signal: WakeSignal,
}

#[pymethods]
impl PyWakeSignal {
    #[new]
    fn new() -> Self {
        PyWakeSignal {
            signal: WakeSignal::new(),
        }
    }

    fn set(&self) {
        self.signal.set();
    }

    fn is_set(&self) -> bool {
        self.signal.is_set()
    }

    fn clear(&self) {
        self.signal.clear();
    }

    /// Sleep until `set()` or `timeout` seconds (`None`: no limit); True if set.
    /// With `check_signals`, signal handlers run every few milliseconds and an
    /// exception they raise (KeyboardInterrupt) comes out of here.
    #[pyo3(signature = (timeout=None, check_signals=false))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>, check_signals: bool) -> PyResult<bool> {
        let deadline = timeout.and_then(|secs| {
            let secs = if secs.is_nan() { 0.0 } else { secs.max(0.0) };
            Duration::try_from_secs_f64(secs)
                .ok()
                .and_then(|t| Instant::now().checked_add(t))
        });
        if !check_signals {
            return Ok(py.detach(|| self.signal.wait_until(deadline)) == Woken::Signalled);
        }
        loop {
            let slice_end = Instant::now() + SIGNAL_CHECK_INTERVAL;
            let (slice_deadline, last) = match deadline {
                Some(d) if d <= slice_end => (d, true),
                _ => (slice_end, false),
            };
            if py.detach(|| self.signal.wait_until(Some(slice_deadline))) == Woken::Signalled {
                return Ok(true);
            }
            if last {
                return Ok(false);
            }
            py.check_signals()?;
        }
    }
}
