//! The interval trigger: fixed steps of real (UTC) time from a start date,
//! computed on float timestamps exactly as APScheduler 3 computes them.

use chrono::Datelike;

use crate::error::{Error, Result};
use crate::time::civil::{MAX_MICROS, MIN_MICROS};
use crate::time::timestamp::{micros_to_timestamp, timestamp_to_micros};
use crate::time::{Zone, ZonedDateTime};

#[derive(Clone)]
pub struct IntervalTrigger {
    /// `interval.total_seconds()`
    pub interval_length: f64,
    pub zone: Zone,
    pub start_date: ZonedDateTime,
    /// `start_date.timestamp()` and `end_date.timestamp()`, computed once (the
    /// end date is needed only as this).
    start_timestamp: f64,
    /// `f64::INFINITY` without an end date.
    end_timestamp: f64,
}

impl IntervalTrigger {
    pub fn new(
        interval_length: f64,
        zone: Zone,
        start_date: ZonedDateTime,
        end_date: Option<ZonedDateTime>,
    ) -> Result<Self> {
        let start_timestamp = micros_to_timestamp(start_date.utc_micros()?);
        let end_timestamp = match &end_date {
            Some(end) => micros_to_timestamp(end.utc_micros()?),
            None => f64::INFINITY,
        };
        Ok(IntervalTrigger {
            interval_length,
            zone,
            start_date,
            start_timestamp,
            end_timestamp,
        })
    }

    /// The next fire timestamp before jitter.
    pub fn next_timestamp(
        &self,
        previous: Option<&ZonedDateTime>,
        now: &ZonedDateTime,
    ) -> Result<f64> {
        let start = self.start_timestamp;
        Ok(match previous {
            Some(prev) => micros_to_timestamp(prev.utc_micros()?) + self.interval_length,
            None if self.start_date.py_gt(now)? => start,
            None => {
                let elapsed = micros_to_timestamp(now.utc_micros()?) - start;
                start + self.interval_length * (elapsed / self.interval_length).ceil()
            }
        })
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

    /// The fire time for a timestamp, or `None` past the end date.
    pub fn fire_time(&self, timestamp: f64) -> Result<Option<ZonedDateTime>> {
        match self.fire_instant(timestamp)? {
            Some(micros) => ZonedDateTime::from_utc(micros, &self.zone).map(Some),
            None => Ok(None),
        }
    }
}
