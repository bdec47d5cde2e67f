//! Civil-calendar helpers with Python's `datetime` limits (years 1..=9999).

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use crate::error::{Error, Result};

pub const MICROS_PER_SECOND: i64 = 1_000_000;
/// 0001-01-01 00:00:00 and 9999-12-31 23:59:59.999999 as Unix microseconds:
/// the range of Python's `datetime`.
pub const MIN_MICROS: i64 = -62_135_596_800 * MICROS_PER_SECOND;
pub const MAX_MICROS: i64 = 253_402_300_800 * MICROS_PER_SECOND - 1;

/// A wall time read as if it were UTC, in microseconds since the Unix epoch.
pub fn naive_to_micros(wall: NaiveDateTime) -> i64 {
    wall.and_utc().timestamp_micros()
}

/// The inverse of [`naive_to_micros`]; fails as Python does outside years 1..=9999.
pub fn micros_to_naive(micros: i64) -> Result<NaiveDateTime> {
    if !(MIN_MICROS..=MAX_MICROS).contains(&micros) {
        return Err(Error::overflow());
    }
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|dt| dt.naive_utc())
        .ok_or_else(Error::overflow)
}

/// Python's `datetime(year, month, day, hour, minute, second)` constructor checks,
/// with its error messages.
pub fn make_naive(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Result<NaiveDateTime> {
    if !(1..=9999).contains(&year) {
        return Err(Error::value(format!("year {year} is out of range")));
    }
    if !(1..=12).contains(&month) {
        return Err(Error::value("month must be in 1..12"));
    }
    if day < 1 || day > i64::from(days_in_month(year as i32, month as u32)) {
        return Err(Error::value("day is out of range for month"));
    }
    if !(0..=23).contains(&hour) {
        return Err(Error::value("hour must be in 0..23"));
    }
    if !(0..=59).contains(&minute) {
        return Err(Error::value("minute must be in 0..59"));
    }
    if !(0..=59).contains(&second) {
        return Err(Error::value("second must be in 0..59"));
    }
    NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)
        .and_then(|d| d.and_hms_opt(hour as u32, minute as u32, second as u32))
        .ok_or_else(|| Error::value("invalid date"))
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap_year(year) => 29,
        _ => 28,
    }
}

/// Weekday (Monday = 0) of the first day of the month, as `calendar.monthrange`.
pub fn first_weekday_of_month(year: i32, month: u32) -> u32 {
    NaiveDate::from_ymd_opt(year, month, 1)
        .map(|d| d.weekday().num_days_from_monday())
        .unwrap_or(0)
}

/// Replace the microsecond of a wall time (always valid).
pub fn with_micro(wall: NaiveDateTime, micro: u32) -> NaiveDateTime {
    wall.with_nanosecond(micro * 1000).unwrap_or(wall)
}

pub fn micro_of(wall: &NaiveDateTime) -> u32 {
    wall.nanosecond() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_lengths_follow_the_gregorian_calendar() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2023, 4), 30);
    }

    #[test]
    fn first_weekday_matches_calendar_monthrange() {
        // calendar.monthrange(2024, 5) == (2, 31): May 2024 starts on a Wednesday
        assert_eq!(first_weekday_of_month(2024, 5), 2);
    }

    #[test]
    fn micros_round_trip_and_range_is_python_s() {
        let wall = make_naive(2024, 3, 10, 2, 30, 0).unwrap();
        assert_eq!(micros_to_naive(naive_to_micros(wall)).unwrap(), wall);
        let max = make_naive(9999, 12, 31, 23, 59, 59).unwrap();
        assert!(micros_to_naive(naive_to_micros(max) + MICROS_PER_SECOND).is_err());
        assert!(make_naive(10000, 1, 1, 0, 0, 0).is_err());
        let min = make_naive(1, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(naive_to_micros(min), MIN_MICROS);
        assert_eq!(naive_to_micros(max) + 999_999, MAX_MICROS);
        assert!(micros_to_naive(MIN_MICROS - 1).is_err());
        assert!(make_naive(2023, 2, 29, 0, 0, 0).is_err());
    }
}
