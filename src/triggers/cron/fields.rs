//! The eight cron fields: what part of a datetime each reads, its limits, and
//! whether it can be set directly (week and weekday cannot: they are reached by
//! moving the day).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Datelike, NaiveDateTime, Timelike};
use parking_lot::Mutex;
use smallvec::SmallVec;

use super::expressions::Expr;
use crate::time::civil::days_in_month;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    Year,
    Month,
    Day,
    Week,
    DayOfWeek,
    Hour,
    Minute,
    Second,
}

impl FieldKind {
    /// In APScheduler's order, most significant first.
    pub const ALL: [FieldKind; 8] = [
        FieldKind::Year,
        FieldKind::Month,
        FieldKind::Day,
        FieldKind::Week,
        FieldKind::DayOfWeek,
        FieldKind::Hour,
        FieldKind::Minute,
        FieldKind::Second,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Year => "year",
            FieldKind::Month => "month",
            FieldKind::Day => "day",
            FieldKind::Week => "week",
            FieldKind::DayOfWeek => "day_of_week",
            FieldKind::Hour => "hour",
            FieldKind::Minute => "minute",
            FieldKind::Second => "second",
        }
    }

    pub fn from_name(name: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Fields that map to a `datetime` constructor argument.
    pub fn is_real(self) -> bool {
        !matches!(self, FieldKind::Week | FieldKind::DayOfWeek)
    }

    pub fn min(self) -> i64 {
        match self {
            FieldKind::Year => 1970,
            FieldKind::Month | FieldKind::Day | FieldKind::Week => 1,
            _ => 0,
        }
    }

    /// The largest value this field can take anywhere (for validation).
    pub fn max_overall(self) -> i64 {
        match self {
            FieldKind::Year => 9999,
            FieldKind::Month => 12,
            FieldKind::Day => 31,
            FieldKind::Week => 53,
            FieldKind::DayOfWeek => 6,
            FieldKind::Hour => 23,
            FieldKind::Minute | FieldKind::Second => 59,
        }
    }

    /// The largest value at this date: the day field depends on the month.
    pub fn max(self, wall: &NaiveDateTime) -> i64 {
        match self {
            FieldKind::Day => i64::from(days_in_month(wall.year(), wall.month())),
            _ => self.max_overall(),
        }
    }

    pub fn value(self, wall: &NaiveDateTime) -> i64 {
        match self {
            FieldKind::Year => i64::from(wall.year()),
            FieldKind::Month => i64::from(wall.month()),
            FieldKind::Day => i64::from(wall.day()),
            FieldKind::Week => i64::from(wall.iso_week().week()),
            FieldKind::DayOfWeek => i64::from(wall.weekday().num_days_from_monday()),
            FieldKind::Hour => i64::from(wall.hour()),
            FieldKind::Minute => i64::from(wall.minute()),
            FieldKind::Second => i64::from(wall.second()),
        }
    }

    /// The value a field takes when "not given, but below a given field".
    pub fn default_expression(self) -> &'static str {
        match self {
            FieldKind::Year | FieldKind::Week | FieldKind::DayOfWeek => "*",
            FieldKind::Month | FieldKind::Day => "1",
            _ => "0",
        }
    }
}

/// Expressions of one field: nearly always one or two, kept inline.
pub type Exprs = SmallVec<[Expr; 2]>;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    pub kind: FieldKind,
    pub exprs: Exprs,
    pub is_default: bool,
}

/// A trigger's eight fields, shared by every trigger with the same ones: a
/// thousand jobs at `minute=i % 60` hold sixty sets of fields, not a thousand.
pub type Fields = Arc<[Field]>;

/// Distinct sets of fields kept for sharing; past this many, new ones are not
/// kept (a program making ever new schedules must not grow this for good).
pub const MAX_SHARED: usize = 4096;

static SHARED: Mutex<Option<HashSet<Fields>>> = Mutex::new(None);

/// `fields` as a shared set: the one already made for equal fields, if any.
pub fn share(fields: Vec<Field>) -> Fields {
    let mut shared = SHARED.lock();
    let set = shared.get_or_insert_with(HashSet::new);
    if let Some(known) = set.get(fields.as_slice()) {
        return Arc::clone(known);
    }
    let fields: Fields = fields.into();
    if set.len() < MAX_SHARED {
        set.insert(Arc::clone(&fields));
    }
    fields
}

impl Field {
    /// The smallest next value any of the expressions accepts.
    pub fn next_value(&self, wall: &NaiveDateTime) -> Option<i64> {
        self.exprs
            .iter()
            .filter_map(|e| e.next_value(wall, self.kind))
            .min()
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.exprs.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
