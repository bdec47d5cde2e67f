//! apscheduler-rs: the Rust core of an APScheduler 3 compatible scheduler.
//!
//! `time` and `triggers` are plain Rust; `py` (feature `python`) exposes them to
//! Python as the `apscheduler_rs._core` extension module.

pub mod error;
pub mod time;
pub mod triggers;

#[cfg(feature = "python")]
mod py;
