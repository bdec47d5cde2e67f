//! The scheduler loop's Rust side: how it sleeps until the next run time or until
//! someone (an added job, `wakeup()`, `shutdown()`) needs it sooner.

pub mod wake;
