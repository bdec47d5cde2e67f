//! Time zones: fixed offsets, IANA zones from chrono-tz, and zones we cannot
//! compute ourselves (a Python tzinfo), behind one type with Python's semantics
//! for `utcoffset(wall, fold)` and `fromutc(utc)` (PEP 495).

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

/// The start of [`CHRONO_TZ_HORIZON_YEAR`] (2050-01-01T00:00:00Z) in microseconds.
const HORIZON_UTC_MICROS: i64 = 2_524_608_000 * MICROS_PER_SECOND;

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
        match self {
            Zone::Fixed(off) => Ok((micros_to_naive(utc + off)?, false)),
            Zone::Foreign(z) => z.fromutc(micros_to_naive(utc)?),
            Zone::Named {
                twin: Some(twin), ..
            } if utc >= HORIZON_UTC_MICROS => twin.fromutc(micros_to_naive(utc)?),
            Zone::Named { tz, .. } => {
                let secs = utc.div_euclid(MICROS_PER_SECOND);
                if let Some(span) = span_at_utc(tz, secs) {
                    let wall = micros_to_naive(utc + span.offset * MICROS_PER_SECOND)?;
                    let repeated = span.previous_offset - span.offset;
                    return Ok((wall, repeated > 0 && secs < span.start + repeated));
                }
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

/// A zone's offset changes between 1900 and the horizon, found once per zone
/// by probing chrono-tz week by week and bisecting each week where the offset
/// changes (transitions less than a week apart are not resolved; no zone has
/// had such pairs since 1900). Lookups are then a binary search.
struct Transitions {
    /// UTC seconds at which each offset starts, ascending; `offsets[i]` holds
    /// from `starts[i]` up to `starts[i + 1]`.
    starts: Vec<i64>,
    offsets: Vec<i64>,
}

const WEEK_SECS: i64 = 7 * 86_400;
const TABLE_FIRST_SEC: i64 = -2_208_988_800; // 1900-01-01
const TABLE_END_SEC: i64 = 2_556_143_999 + 86_400 * 366; // into 2052

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

impl Transitions {
    fn build(tz: &Tz) -> Transitions {
        let mut starts = vec![TABLE_FIRST_SEC];
        let mut offsets = vec![raw_offset(tz, TABLE_FIRST_SEC)];
        let mut inside = TABLE_FIRST_SEC;
        while inside < TABLE_END_SEC {
            let current = *offsets.last().unwrap_or(&0);
            let probe = inside + WEEK_SECS;
            let probed = raw_offset(tz, probe);
            if probed != current {
                let mut outside = probe;
                while outside - inside > 1 {
                    let mid = inside + (outside - inside) / 2;
                    if raw_offset(tz, mid) == current {
                        inside = mid;
                    } else {
                        outside = mid;
                    }
                }
                starts.push(outside);
                offsets.push(raw_offset(tz, outside));
            }
            inside = probe;
        }
        Transitions { starts, offsets }
    }
}

static TABLES: parking_lot::RwLock<Vec<(Tz, Arc<Transitions>)>> =
    parking_lot::RwLock::new(Vec::new());

/// The stretch `[start, end)` (UTC seconds) around the last lookup, with its
/// offset: consecutive lookups mostly fall in the same DST period.
#[derive(Clone, Copy)]
struct Span {
    tz: Tz,
    start: i64,
    end: i64,
    offset: i64,
    /// The offset before `start`: when larger, the first
    /// `previous_offset - offset` seconds of the span repeat earlier wall times.
    previous_offset: i64,
}

thread_local! {
    static LAST_SPAN: std::cell::Cell<Option<Span>> = const { std::cell::Cell::new(None) };
}

fn table_for(tz: &Tz) -> Arc<Transitions> {
    if let Some(found) = TABLES.read().iter().find(|(t, _)| t == tz) {
        return Arc::clone(&found.1);
    }
    let table = Arc::new(Transitions::build(tz));
    TABLES.write().push((*tz, Arc::clone(&table)));
    table
}

impl Transitions {
    fn span_at(&self, tz: Tz, secs: i64) -> Option<Span> {
        if !(TABLE_FIRST_SEC..TABLE_END_SEC).contains(&secs) {
            return None;
        }
        let idx = self
            .starts
            .partition_point(|&start| start <= secs)
            .checked_sub(1)?;
        Some(Span {
            tz,
            start: self.starts[idx],
            end: self.starts.get(idx + 1).copied().unwrap_or(TABLE_END_SEC),
            offset: self.offsets[idx],
            previous_offset: idx
                .checked_sub(1)
                .map_or(self.offsets[idx], |prev| self.offsets[prev]),
        })
    }
}

/// The span holding a UTC second, from the per-thread cache or the table;
/// `None` outside the table's range.
fn span_at_utc(tz: &Tz, secs: i64) -> Option<Span> {
    LAST_SPAN.with(|last| {
        if let Some(span) = last.get() {
            if span.tz == *tz && span.start <= secs && secs < span.end {
                return Some(span);
            }
        }
        let span = table_for(tz).span_at(*tz, secs)?;
        last.set(Some(span));
        Some(span)
    })
}

fn offset_at_utc(tz: &Tz, utc: i64) -> i64 {
    let secs = utc.div_euclid(MICROS_PER_SECOND);
    let offset = span_at_utc(tz, secs).map_or_else(|| raw_offset(tz, secs), |span| span.offset);
    offset * MICROS_PER_SECOND
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
    fn transition_table_agrees_with_chrono_tz() {
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

    /// fold by chrono's own view: the wall time is ambiguous and this instant
    /// is the later of its two.
    fn chrono_fold(tz: &Tz, utc: i64) -> bool {
        let off = raw_offset(tz, utc.div_euclid(MICROS_PER_SECOND)) * MICROS_PER_SECOND;
        let wall = micros_to_naive(utc + off).unwrap();
        match tz.from_local_datetime(&wall) {
            LocalResult::Ambiguous(a, b) => off == offset_secs(&a).min(offset_secs(&b)),
            _ => false,
        }
    }

    #[test]
    fn fromutc_fold_agrees_with_chrono() {
        for tz in [
            chrono_tz::Europe::Helsinki,
            chrono_tz::America::New_York,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
        ] {
            let zone = Zone::Named { tz, twin: None };
            let mut secs: i64 = 946_684_800; // 2000-01-01
            while secs < 1_893_456_000 {
                // 2030-01-01
                let utc = secs * MICROS_PER_SECOND;
                let (_, fold) = zone.fromutc(utc).unwrap();
                assert_eq!(fold, chrono_fold(&tz, utc), "{tz} at {secs}");
                secs += 17 * 60;
            }
        }
    }

    #[test]
    fn horizon_constant_is_the_start_of_the_horizon_year() {
        let start = make_naive(i64::from(CHRONO_TZ_HORIZON_YEAR), 1, 1, 0, 0, 0).unwrap();
        assert_eq!(naive_to_micros(start), HORIZON_UTC_MICROS);
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
