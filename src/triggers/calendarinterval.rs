//! The calendar interval trigger: every N years/months/weeks/days at the same
//! wall-clock time, skipping dates that do not exist and times a DST change
//! skips, as APScheduler 3 does.

use chrono::{Datelike, NaiveDate, NaiveTime};

use crate::error::{Error, Result};
use crate::time::civil::naive_to_micros;
use crate::time::{Zone, ZonedDateTime};

#[derive(Clone)]
pub struct CalendarIntervalTrigger {
    pub years: i64,
    pub months: i64,
    /// Days added after the months and years: `days + 7 * weeks`.
    pub days: i64,
    pub time: NaiveTime,
    pub zone: Zone,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// Python's `date` range; stepping past it would loop forever in APScheduler.
fn in_python_range(year: i64) -> bool {
    (1..=9999).contains(&year)
}

impl CalendarIntervalTrigger {
    /// `previous` is the wall-clock date of the previous fire time.
    pub fn next_fire_time(&self, previous: Option<NaiveDate>) -> Result<Option<ZonedDateTime>> {
        self.next_fire_time_with(previous, |prev| self.step_from(prev))
    }

    /// [`Self::next_fire_time`] with the calendar step supplied by the caller
    /// (the bindings use Python's arithmetic for non-integer counts).
    pub fn next_fire_time_with(
        &self,
        mut previous: Option<NaiveDate>,
        mut step: impl FnMut(NaiveDate) -> Result<NaiveDate>,
    ) -> Result<Option<ZonedDateTime>> {
        loop {
            let next_date = match previous {
                Some(prev) => step(prev)?,
                None => self.start_date,
            };
            if matches!(self.end_date, Some(end) if next_date > end) {
                return Ok(None);
            }
            // Combine with the time (fold=0), then normalise through UTC: a time
            // skipped by DST comes out different, and that date is passed over.
            let wall = next_date.and_time(self.time);
            let utc = naive_to_micros(wall) - self.zone.utcoffset(wall, false)?;
            let next = ZonedDateTime::from_utc(utc, &self.zone)?;
            if next.wall.time() != self.time {
                previous = Some(next.wall.date());
            } else {
                return Ok(Some(next));
            }
        }
    }

    /// Add the months and years (until the day exists), then the weeks and days.
    pub fn step_from(&self, prev: NaiveDate) -> Result<NaiveDate> {
        let (mut year, mut month) = (i64::from(prev.year()), i64::from(prev.month()));
        loop {
            month += self.months;
            year += self.years + (month - 1).div_euclid(12);
            month = (month - 1).rem_euclid(12) + 1;
            if !in_python_range(year) {
                return Err(Error::overflow());
            }
            if let Some(date) = NaiveDate::from_ymd_opt(year as i32, month as u32, prev.day()) {
                let stepped = date
                    .checked_add_signed(chrono::Duration::days(self.days))
                    .filter(|d| in_python_range(i64::from(d.year())))
                    .ok_or_else(|| Error::Overflow("date value out of range".to_owned()))?;
                return Ok(stepped);
            }
        }
    }
}
