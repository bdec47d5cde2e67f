//! Trigger algorithms, free of Python: each computes the next fire time from the
//! previous one and the current time.

pub mod calendarinterval;
pub mod cron;
pub mod date;
pub mod interval;
