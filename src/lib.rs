//! apscheduler-rs: the Rust core of an APScheduler 3 compatible scheduler.
//!
//! `time`, `triggers` and `store` are plain Rust; `py` (feature `python`) exposes them to
//! Python as the `apscheduler_rs._core` extension module.

pub mod error;
pub mod executor;
pub mod scheduler;
pub mod store;
pub mod time;
pub mod triggers;

#[cfg(feature = "python")]
mod py;
