//! Aware datetimes with Python's semantics. The trigger algorithms of
//! APScheduler 3 work on wall-clock fields and lean on how Python's `datetime`
//! compares, converts and adds; [`ZonedDateTime`] reproduces exactly that.

pub mod civil;
pub mod timestamp;
pub mod zone;

use std::cmp::Ordering;

use chrono::NaiveDateTime;

use crate::error::{Error, Result};
use civil::{micros_to_naive, naive_to_micros};
pub use zone::{ForeignZone, Zone};

/// An aware datetime: wall time, PEP 495 fold and zone, like a Python
/// `datetime` with a tzinfo. The wall time may lie in a DST gap, as Python's can.
#[derive(Clone)]
pub struct ZonedDateTime {
    pub wall: NaiveDateTime,
    pub fold: bool,
    pub zone: Zone,
}

impl ZonedDateTime {
    pub fn new(wall: NaiveDateTime, fold: bool, zone: Zone) -> Self {
        ZonedDateTime { wall, fold, zone }
    }

    /// The instant, in microseconds since the Unix epoch (`dt.astimezone(UTC)`).
    pub fn utc_micros(&self) -> Result<i64> {
        Ok(naive_to_micros(self.wall) - self.zone.utcoffset(self.wall, self.fold)?)
    }

    /// `datetime.fromtimestamp`-like: the wall time of an instant in a zone.
    pub fn from_utc(utc: i64, zone: &Zone) -> Result<Self> {
        let (wall, fold) = zone.fromutc(utc)?;
        Ok(ZonedDateTime::new(wall, fold, zone.clone()))
    }

    /// `dt.astimezone(zone)`: unchanged when already in that very zone.
    pub fn astimezone(&self, zone: &Zone) -> Result<Self> {
        if self.zone.same(zone) {
            Ok(self.clone())
        } else {
            ZonedDateTime::from_utc(self.utc_micros()?, zone)
        }
    }

    /// Add microseconds to the instant, keeping the zone (APScheduler's
    /// `datetime_utc_add`): correct across DST changes.
    pub fn add_exact(&self, micros: i64) -> Result<Self> {
        let utc = self
            .utc_micros()?
            .checked_add(micros)
            .ok_or_else(Error::overflow)?;
        ZonedDateTime::from_utc(utc, &self.zone)
    }

    /// `dt + timedelta`: adds to the wall time, fold reset, zone kept.
    pub fn add_wall(&self, micros: i64) -> Result<Self> {
        let wall = naive_to_micros(self.wall)
            .checked_add(micros)
            .ok_or_else(Error::overflow)?;
        let wall = micros_to_naive(wall)?;
        Ok(ZonedDateTime::new(wall, false, self.zone.clone()))
    }

    /// Python's ordering of two aware datetimes: by wall time when both have the
    /// same tzinfo, by instant otherwise.
    pub fn py_cmp(&self, other: &ZonedDateTime) -> Result<Ordering> {
        if self.zone.same(&other.zone) {
            Ok(self.wall.cmp(&other.wall))
        } else {
            Ok(self.utc_micros()?.cmp(&other.utc_micros()?))
        }
    }

    /// Python's `==`: as [`Self::py_cmp`], except that across zones a time whose
    /// offset depends on its fold never equals anything (PEP 495).
    pub fn py_eq(&self, other: &ZonedDateTime) -> Result<bool> {
        if self.zone.same(&other.zone) {
            return Ok(self.wall == other.wall);
        }
        if self.utc_micros()? != other.utc_micros()? {
            return Ok(false);
        }
        Ok(!self.fold_sensitive()? && !other.fold_sensitive()?)
    }

    fn fold_sensitive(&self) -> Result<bool> {
        Ok(self.zone.utcoffset(self.wall, !self.fold)?
            != self.zone.utcoffset(self.wall, self.fold)?)
    }

    pub fn py_gt(&self, other: &ZonedDateTime) -> Result<bool> {
        Ok(self.py_cmp(other)? == Ordering::Greater)
    }
}
