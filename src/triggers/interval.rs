//! The interval trigger: fixed steps of real (UTC) time from a start date,
//! computed on float timestamps exactly as APScheduler 3 computes them.
//!
//! The trigger is three numbers; the zone and the start date as a wall time
//! (which APScheduler compares with `now` by Python's rules) are given by the
//! caller when they matter, so that a trigger stored by the thousand stays
//! small.

use chrono::Datelike;

use crate::error::{Error, Result};
use crate::time::civil::{MAX_MICROS, MIN_MICROS};
use crate::time::timestamp::{micros_to_timestamp, timestamp_to_micros};
use crate::time::ZonedDateTime;

/// Two days in microseconds: more than any zone's offset ever changed by, so
/// two instants further apart than this compare the same way as wall times
/// in one zone.
const WALL_ORDER_MARGIN: i64 = 2 * 86_400 * 1_000_000;

#[derive(Clone, Copy, Debug)]
pub struct IntervalTrigger {
    /// `interval.total_seconds()`
    pub interval_length: f64,
    /// The start date's instant.
    pub start_utc: i64,
    /// `start_date.timestamp()`
    pub start_timestamp: f64,
    /// `end_date.timestamp()`, `f64::INFINITY` without an end date.
    pub end_timestamp: f64,
}

impl IntervalTrigger {
    /// Every `interval_length` seconds from the instant `start_utc`
    /// (microseconds), up to the instant `end_utc` if given.
    pub fn new(interval_length: f64, start_utc: i64, end_utc: Option<i64>) -> Self {
        IntervalTrigger {
            interval_length,
            start_utc,
            start_timestamp: micros_to_timestamp(start_utc),
            end_timestamp: end_utc.map_or(f64::INFINITY, micros_to_timestamp),
        }
    }

    /// The next fire timestamp before jitter, with no previous fire time:
    /// the start date if it is later than `now`, else the first step after
    /// `now`. `start` makes the start date as a datetime, compared with `now`
    /// as Python compares them; it is needed only when the two are close.
    pub fn first_timestamp(
        &self,
        start: impl FnOnce() -> Result<ZonedDateTime>,
        now: &ZonedDateTime,
    ) -> Result<f64> {
        let now_utc = now.utc_micros()?;
        let start_later = if self.start_utc.abs_diff(now_utc) > WALL_ORDER_MARGIN as u64 {
            self.start_utc > now_utc
        } else {
            start()?.py_gt(now)?
        };
        if start_later {
            return Ok(self.start_timestamp);
        }
        let elapsed = micros_to_timestamp(now_utc) - self.start_timestamp;
        Ok(self.start_timestamp + self.interval_length * (elapsed / self.interval_length).ceil())
    }

    /// The next fire timestamp after a previous fire time given as an instant.
    pub fn timestamp_after(&self, previous_utc: i64) -> f64 {
        micros_to_timestamp(previous_utc) + self.interval_length
    }

    /// The fire instant (UTC microseconds) for a timestamp, or `None` past the
    /// end date.
    pub fn fire_instant(&self, timestamp: f64) -> Result<Option<i64>> {
        if timestamp > self.end_timestamp {
            return Ok(None);
        }
        let micros = timestamp_to_micros(timestamp).ok_or_else(Error::overflow)?;
        if !(MIN_MICROS..=MAX_MICROS).contains(&micros) {
            // `datetime.fromtimestamp` names the UTC year it cannot represent.
            return Err(match chrono::DateTime::from_timestamp_micros(micros) {
                Some(dt) => Error::value(format!("year {} is out of range", dt.year())),
                None => Error::overflow(),
            });
        }
        Ok(Some(micros))
    }
}
