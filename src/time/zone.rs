//! Time zones: fixed offsets, IANA zones from chrono-tz, and zones we cannot
//! compute ourselves (a Python tzinfo), behind one type with Python's semantics
//! for `utcoffset(wall, fold)` and `fromutc(utc)` (PEP 495).

use std::cell::Cell;
use std::sync::Arc;

use chrono::offset::LocalResult;
use chrono::{Datelike, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::civil::{micros_to_naive, naive_to_micros, MICROS_PER_SECOND};
use crate::error::Result;

/// chrono-tz precomputes transitions only up to the mid 2050s and then keeps the
/// last offset, while Python's zoneinfo goes on applying the zone's POSIX rule.
/// From this year on, a named zone asks its Python twin (when it has one).
const CHRONO_TZ_HORIZON_YEAR: i32 = 2050;

const DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A zone whose offsets only its owner can compute (a Python `tzinfo`).
pub trait ForeignZone: Send + Sync {
    /// The zone's UTC offset in microseconds at a wall time.
    fn utcoffset(&self, wall: NaiveDateTime, fold: bool) -> Result<i64>;
    /// The wall time and fold of a UTC instant.
    fn fromutc(&self, utc: NaiveDateTime) -> Result<(NaiveDateTime, bool)>;
    /// Identity of the underlying object: Python compares datetimes of the very
    /// same tzinfo object by wall time, all others by instant.
    fn identity(&self) -> usize;
}

#[derive(Clone)]
pub enum Zone {
    /// A constant offset in microseconds (`datetime.timezone`).
    Fixed(i64),
    /// An IANA zone, with the Python object it came from for dates past the
    /// chrono-tz horizon.
    Named {
        tz: Tz,
        twin: Option<Arc<dyn ForeignZone>>,
    },
    Foreign(Arc<dyn ForeignZone>),
}

impl Zone {
    pub fn utc() -> Self {
        Zone::Fixed(0)
    }

    /// Whether Python would see both as the same tzinfo (and so compare datetimes
    /// in them by wall time).
    pub fn same(&self, other: &Zone) -> bool {
        match (self, other) {
            (Zone::Fixed(a), Zone::Fixed(b)) => a == b,
            (Zone::Named { tz: a, twin: ta }, Zone::Named { tz: b, twin: tb }) => {
                a == b
                    && match (ta, tb) {
                        (Some(x), Some(y)) => x.identity() == y.identity(),
                        _ => true,
                    }
            }
            (Zone::Foreign(a), Zone::Foreign(b)) => a.identity() == b.identity(),
            _ => false,
        }
    }

    fn twin_for_year(&self, year: i32) -> Option<&Arc<dyn ForeignZone>> {
        match self {
            Zone::Named { twin: Some(t), .. } if year >= CHRONO_TZ_HORIZON_YEAR => Some(t),
            _ => None,
        }
    }

    /// UTC offset (microseconds) at a wall time; `fold` picks the side of an
    /// ambiguous or skipped wall time as PEP 495 does.
    pub fn utcoffset(&self, wall: NaiveDateTime, fold: bool) -> Result<i64> {
        if let Some(twin) = self.twin_for_year(wall.year()) {
            return twin.utcoffset(wall, fold);
        }
        match self {
            Zone::Fixed(off) => Ok(*off),
            Zone::Foreign(z) => z.utcoffset(wall, fold),
            Zone::Named { tz, .. } => Ok(named_utcoffset(tz, wall, fold)),
        }
    }

    /// Wall time and fold of a UTC instant given in microseconds.
    pub fn fromutc(&self, utc: i64) -> Result<(NaiveDateTime, bool)> {
        let utc_wall = micros_to_naive(utc)?;
        if let Some(twin) = self.twin_for_year(utc_wall.year()) {
            return twin.fromutc(utc_wall);
        }
        match self {
            Zone::Fixed(off) => Ok((micros_to_naive(utc + off)?, false)),
            Zone::Foreign(z) => z.fromutc(utc_wall),
            Zone::Named { tz, .. } => {
                let off = offset_at_utc(tz, utc);
                let wall = micros_to_naive(utc + off)?;
                // Far from any transition (same offset a day earlier) there is
                // no repeated wall time; skip the costlier local-time lookup.
                if offset_at_utc(tz, utc - DAY) == off {
                    return Ok((wall, false));
                }
                // The second occurrence of a repeated wall time has fold=1.
                let fold = match tz.from_local_datetime(&wall) {
                    LocalResult::Ambiguous(a, b) => {
                        let later = offset_secs(&a).min(offset_secs(&b));
                        off == later && offset_secs(&a) != offset_secs(&b)
                    }
                    _ => false,
                };
                Ok((wall, fold))
            }
        }
    }
}

fn offset_secs<T: TimeZone>(dt: &chrono::DateTime<T>) -> i64 {
    i64::from(dt.offset().fix().local_minus_utc()) * MICROS_PER_SECOND
}

/// A stretch of UTC time `[start, end)` (microseconds) over which a zone keeps
/// one offset. Successive lookups mostly fall in the same stretch (a DST
/// period), so the last one found is kept per thread.
#[derive(Clone, Copy)]
struct Span {
    tz: Tz,
    start: i64,
    end: i64,
    offset: i64,
}

thread_local! {
    static LAST_SPAN: Cell<Option<Span>> = const { Cell::new(None) };
}

const WEEK_SECS: i64 = 7 * 86_400;
/// How far a span search looks each way; a span is never assumed to reach
/// beyond the last instant actually probed.
const SPAN_SEARCH_WEEKS: i64 = 60;

/// chrono-tz's offset (seconds) at a UTC second.
fn raw_offset(tz: &Tz, secs: i64) -> i64 {
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) => i64::from(
            tz.offset_from_utc_datetime(&dt.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        None => 0,
    }
}

/// The first second at or after `known` whose offset differs from `offset`,
/// probing week by week in `direction` (+1 or -1) and bisecting the week in
/// which it changes. Transitions less than a week apart are not resolved.
fn span_edge(tz: &Tz, known: i64, offset: i64, direction: i64) -> i64 {
    let mut inside = known;
    for _ in 0..SPAN_SEARCH_WEEKS {
        let probe = inside + direction * WEEK_SECS;
        if raw_offset(tz, probe) != offset {
            let mut outside = probe;
            while (outside - inside).abs() > 1 {
                let mid = inside + (outside - inside) / 2;
                if raw_offset(tz, mid) == offset {
                    inside = mid;
                } else {
                    outside = mid;
                }
            }
            return if direction > 0 { outside } else { inside };
        }
        inside = probe;
    }
    // No change found: the span ends at the last probe (exclusive going forward).
    inside
}

fn find_span(tz: &Tz, utc: i64) -> Span {
    let secs = utc.div_euclid(MICROS_PER_SECOND);
    let offset = raw_offset(tz, secs);
    let start = span_edge(tz, secs, offset, -1);
    let end = span_edge(tz, secs, offset, 1);
    Span {
        tz: *tz,
        start: start * MICROS_PER_SECOND,
        end: end * MICROS_PER_SECOND,
        offset: offset * MICROS_PER_SECOND,
    }
}

fn offset_at_utc(tz: &Tz, utc: i64) -> i64 {
    LAST_SPAN.with(|last| {
        if let Some(span) = last.get() {
            if span.tz == *tz && span.start <= utc && utc < span.end {
                return span.offset;
            }
        }
        let span = find_span(tz, utc);
        last.set(Some(span));
        span.offset
    })
}

fn named_utcoffset(tz: &Tz, wall: NaiveDateTime, fold: bool) -> i64 {
    // Same offset a day either side: no transition near this wall time.
    let as_utc = naive_to_micros(wall);
    let before = offset_at_utc(tz, as_utc - DAY);
    if before == offset_at_utc(tz, as_utc + DAY) {
        return before;
    }
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(dt) => offset_secs(&dt),
        LocalResult::Ambiguous(a, b) => {
            // fold=0 is the first occurrence: the larger offset (earlier instant).
            let (oa, ob) = (offset_secs(&a), offset_secs(&b));
            if fold {
                oa.min(ob)
            } else {
                oa.max(ob)
            }
        }
        LocalResult::None => {
            // A skipped wall time: fold=0 keeps the offset from before the
            // transition, fold=1 takes the one after it. No zone has two
            // transitions within a day of each other, so a day either side
            // lands on each of them.
            if fold {
                offset_at_utc(tz, as_utc + DAY)
            } else {
                before
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::civil::make_naive;

    const H: i64 = 3600 * MICROS_PER_SECOND;

    fn ny() -> Zone {
        Zone::Named {
            tz: chrono_tz::America::New_York,
            twin: None,
        }
    }

    #[test]
    fn skipped_wall_time_uses_pep495_offsets() {
        let wall = make_naive(2024, 3, 10, 2, 30, 0).unwrap();
        assert_eq!(ny().utcoffset(wall, false).unwrap(), -5 * H);
        assert_eq!(ny().utcoffset(wall, true).unwrap(), -4 * H);
    }

    #[test]
    fn repeated_wall_time_uses_fold() {
        let wall = make_naive(2024, 11, 3, 1, 30, 0).unwrap();
        assert_eq!(ny().utcoffset(wall, false).unwrap(), -4 * H);
        assert_eq!(ny().utcoffset(wall, true).unwrap(), -5 * H);
    }

    #[test]
    fn fromutc_marks_the_second_occurrence() {
        let first = naive_to_micros(make_naive(2024, 11, 3, 5, 30, 0).unwrap());
        let (wall, fold) = ny().fromutc(first).unwrap();
        assert_eq!(wall, make_naive(2024, 11, 3, 1, 30, 0).unwrap());
        assert!(!fold);
        let (wall, fold) = ny().fromutc(first + H).unwrap();
        assert_eq!(wall, make_naive(2024, 11, 3, 1, 30, 0).unwrap());
        assert!(fold);
    }

    #[test]
    fn span_cache_agrees_with_chrono_tz() {
        for tz in [
            chrono_tz::Europe::Helsinki,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
        ] {
            // every 7 hours and 13 minutes from 1970 to 2049, in two passes so
            // that both fresh and cached spans are checked
            for _ in 0..2 {
                let mut secs: i64 = 0;
                while secs < 2_524_608_000 {
                    let expected = raw_offset(&tz, secs) * MICROS_PER_SECOND;
                    assert_eq!(
                        offset_at_utc(&tz, secs * MICROS_PER_SECOND),
                        expected,
                        "{tz} at {secs}"
                    );
                    secs += 7 * 3600 + 13 * 60;
                }
            }
        }
    }

    #[test]
    fn lord_howe_half_hour_shift() {
        let z = Zone::Named {
            tz: chrono_tz::Australia::Lord_Howe,
            twin: None,
        };
        // DST ends 2024-04-07 02:00 local (+11) -> 01:30 (+10:30)
        let wall = make_naive(2024, 4, 7, 1, 45, 0).unwrap();
        assert_eq!(z.utcoffset(wall, false).unwrap(), 11 * H);
        assert_eq!(z.utcoffset(wall, true).unwrap(), 21 * H / 2);
    }
}
