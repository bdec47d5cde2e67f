//! The expressions a cron field is made of, and the next matching value of each.

use chrono::{Datelike, NaiveDateTime};

use super::fields::FieldKind;
use crate::time::civil::{days_in_month, first_weekday_of_month};

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
pub const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
pub const POSITIONS: [&str; 6] = ["1st", "2nd", "3rd", "4th", "5th", "last"];

/// How a range was written: it decides only how it prints back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeNames {
    Numbers,
    Months,
    Weekdays,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `*` or `*/step`
    All { step: Option<i64> },
    /// `a`, `a-b`, `a/step`, `a-b/step`, or names such as `jan-mar`, `mon-fri`
    Range {
        first: i64,
        last: Option<i64>,
        step: Option<i64>,
        names: RangeNames,
    },
    /// `3rd fri`, `last sun` (day field only); position 0..=4 or 5 for "last"
    WeekdayPosition { position: usize, weekday: u32 },
    /// `last` (day field only)
    LastDayOfMonth,
}

fn stepped(start: i64, minval: i64, step: Option<i64>) -> i64 {
    match step {
        Some(step) if step != 0 => start + (step - (start - minval)).rem_euclid(step),
        _ => start,
    }
}

impl Expr {
    /// The smallest value >= the field's current value that this expression
    /// accepts, within the field's limits at `wall`.
    pub fn next_value(&self, wall: &NaiveDateTime, field: FieldKind) -> Option<i64> {
        match *self {
            Expr::All { step } => {
                let minval = field.min();
                let start = field.value(wall).max(minval);
                let next = stepped(start, minval, step);
                (next <= field.max(wall)).then_some(next)
            }
            Expr::Range {
                first, last, step, ..
            } => {
                let minval = field.min().max(first);
                let maxval = match last {
                    Some(last) => field.max(wall).min(last),
                    None => field.max(wall),
                };
                let next = stepped(minval.max(field.value(wall)), minval, step);
                (next <= maxval).then_some(next)
            }
            Expr::WeekdayPosition { position, weekday } => {
                let (year, month) = (wall.year(), wall.month());
                let first_wday = i64::from(first_weekday_of_month(year, month));
                let last_day = i64::from(days_in_month(year, month));
                let mut first_hit = i64::from(weekday) - first_wday + 1;
                if first_hit <= 0 {
                    first_hit += 7;
                }
                let target = if position < 5 {
                    first_hit + position as i64 * 7
                } else {
                    first_hit + ((last_day - first_hit).div_euclid(7)) * 7
                };
                (target <= last_day && target >= i64::from(wall.day())).then_some(target)
            }
            Expr::LastDayOfMonth => Some(i64::from(days_in_month(wall.year(), wall.month()))),
        }
    }

    pub fn step(&self) -> Option<i64> {
        match self {
            Expr::All { step } | Expr::Range { step, .. } => *step,
            _ => None,
        }
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::All { step: Some(s) } => write!(f, "*/{s}"),
            Expr::All { step: None } => f.write_str("*"),
            Expr::Range {
                first,
                last,
                step,
                names,
            } => {
                let name = |v: i64| -> String {
                    match names {
                        RangeNames::Numbers => v.to_string(),
                        RangeNames::Months => MONTHS
                            .get((v - 1) as usize)
                            .map_or_else(|| v.to_string(), |s| (*s).to_owned()),
                        RangeNames::Weekdays => WEEKDAYS
                            .get(v as usize)
                            .map_or_else(|| v.to_string(), |s| (*s).to_owned()),
                    }
                };
                match last {
                    Some(last) if last != first => write!(f, "{}-{}", name(*first), name(*last))?,
                    _ => f.write_str(&name(*first))?,
                }
                if let Some(step) = step {
                    write!(f, "/{step}")?;
                }
                Ok(())
            }
            Expr::WeekdayPosition { position, weekday } => {
                write!(
                    f,
                    "{} {}",
                    POSITIONS[*position], WEEKDAYS[*weekday as usize]
                )
            }
            Expr::LastDayOfMonth => f.write_str("last"),
        }
    }
}
