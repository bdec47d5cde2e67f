//! The interval trigger: fixed steps of real (UTC) time from a start date,
//! computed on float timestamps exactly as APScheduler 3 computes them.

use crate::error::{Error, Result};
use crate::time::timestamp::{micros_to_timestamp, timestamp_to_micros};
use crate::time::{Zone, ZonedDateTime};

#[derive(Clone)]
pub struct IntervalTrigger {
    /// `interval.total_seconds()`
    pub interval_length: f64,
    pub zone: Zone,
    pub start_date: ZonedDateTime,
    pub end_date: Option<ZonedDateTime>,
}

impl IntervalTrigger {
    /// The next fire timestamp before jitter.
    pub fn next_timestamp(
        &self,
        previous: Option<&ZonedDateTime>,
        now: &ZonedDateTime,
    ) -> Result<f64> {
        let start = micros_to_timestamp(self.start_date.utc_micros()?);
        Ok(match previous {
            Some(prev) => micros_to_timestamp(prev.utc_micros()?) + self.interval_length,
            None if self.start_date.py_gt(now)? => start,
            None => {
                let elapsed = micros_to_timestamp(now.utc_micros()?) - start;
                start + self.interval_length * (elapsed / self.interval_length).ceil()
            }
        })
    }

    /// The fire time for a timestamp, or `None` past the end date.
    pub fn fire_time(&self, timestamp: f64) -> Result<Option<ZonedDateTime>> {
        if let Some(end) = &self.end_date {
            if timestamp > micros_to_timestamp(end.utc_micros()?) {
                return Ok(None);
            }
        }
        let micros = timestamp_to_micros(timestamp).ok_or_else(Error::overflow)?;
        ZonedDateTime::from_utc(micros, &self.zone).map(Some)
    }
}
