//! The cron trigger: fire when every field matches, searching forward field by
//! field exactly as APScheduler 3 does (including its handling of DST gaps and
//! folds, which follows from working on wall-clock fields).

pub mod expressions;
pub mod fields;
pub mod parser;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::time::civil::{make_naive, micro_of, naive_to_micros, MICROS_PER_SECOND};
use crate::time::{Zone, ZonedDateTime};
use expressions::Expr;
use fields::{Field, FieldKind, Fields};

/// Fields by the texts they were parsed from (see [`CronTrigger::shared_fields`]).
static BY_TEXT: Mutex<Option<HashMap<String, Fields>>> = Mutex::new(None);

#[derive(Clone)]
pub struct CronTrigger {
    pub fields: Fields,
    pub zone: Zone,
    pub start_date: Option<ZonedDateTime>,
    pub end_date: Option<ZonedDateTime>,
}

/// The user's field values, in [`FieldKind::ALL`] order (`None`: not given).
pub type FieldValues<'a> = [Option<&'a str>; 8];

impl CronTrigger {
    /// Build the eight fields from what the user gave. Fields below the least
    /// significant given one default to their minimum, the others to `*`.
    pub fn compile_fields(values: &FieldValues) -> Result<Vec<Field>> {
        let last_given = values.iter().rposition(Option::is_some);
        let mut fields = Vec::with_capacity(FieldKind::ALL.len());
        for (i, (kind, value)) in FieldKind::ALL.iter().zip(values).enumerate() {
            fields.push(match value {
                Some(text) => parser::parse_field(*kind, text, false)?,
                None => default_field(*kind, matches!(last_given, Some(last) if i > last)),
            });
        }
        Ok(fields)
    }

    /// [`Self::compile_fields`], shared: triggers given the same texts get the
    /// same fields (parsed once), and so do triggers whose fields come out equal.
    pub fn shared_fields(values: &FieldValues) -> Result<Fields> {
        // The texts as one key: a unit separator between fields, a record
        // separator for a field not given (neither occurs in a valid field).
        let mut key = String::new();
        for value in values {
            key.push_str(value.unwrap_or("\u{1e}"));
            key.push('\u{1f}');
        }
        if let Some(known) = BY_TEXT.lock().as_ref().and_then(|map| map.get(&key)) {
            return Ok(Arc::clone(known));
        }
        let fields = fields::share(Self::compile_fields(values)?);
        let mut by_text = BY_TEXT.lock();
        let map = by_text.get_or_insert_with(HashMap::new);
        if map.len() < fields::MAX_SHARED {
            map.insert(key, Arc::clone(&fields));
        }
        Ok(fields)
    }

    /// Fields of a standard five-field crontab line.
    pub fn crontab_values(expr: &str) -> Result<[&str; 5]> {
        let parts: Vec<&str> = expr.split_whitespace().collect();
        match <[&str; 5]>::try_from(parts.as_slice()) {
            Ok(p) => Ok(p),
            Err(_) => Err(Error::value(format!(
                "Wrong number of fields; got {}, expected 5",
                parts.len()
            ))),
        }
    }

    /// The next fire time before jitter and the end-date clamp, or `None` when
    /// the schedule is over.
    pub fn next_fire_time(
        &self,
        previous: Option<&ZonedDateTime>,
        now: &ZonedDateTime,
    ) -> Result<Option<ZonedDateTime>> {
        let start = match previous {
            Some(prev) => {
                let after_prev = prev.utc_micros()? + 1;
                let start = ZonedDateTime::from_utc(now.utc_micros()?.min(after_prev), &self.zone)?;
                if start.py_eq(prev)? {
                    start.add_exact(1)?
                } else {
                    start
                }
            }
            None => match &self.start_date {
                Some(sd) => {
                    ZonedDateTime::from_utc(now.utc_micros()?.max(sd.utc_micros()?), &self.zone)?
                }
                None => now.clone(),
            },
        };
        // Round up to a whole second, then continue in the trigger's zone.
        let micro = i64::from(micro_of(&start.wall));
        let start = if micro > 0 {
            start.add_exact(MICROS_PER_SECOND - micro)?
        } else {
            start
        };
        let mut next = start.astimezone(&self.zone)?;

        let mut fieldnum: isize = 0;
        while (0..self.fields.len() as isize).contains(&fieldnum) {
            let field = &self.fields[fieldnum as usize];
            let current = field.kind.value(&next.wall);
            match field.next_value(&next.wall) {
                None => {
                    (next, fieldnum) = self.increment_field_value(&next, fieldnum - 1)?;
                }
                Some(value) if value > current => {
                    if field.kind.is_real() {
                        next = self.set_field_value(&next, fieldnum, value)?;
                        fieldnum += 1;
                    } else {
                        (next, fieldnum) = self.increment_field_value(&next, fieldnum)?;
                    }
                }
                Some(_) => fieldnum += 1,
            }
            if let Some(end) = &self.end_date {
                if next.py_gt(end)? {
                    return Ok(None);
                }
            }
        }
        Ok((fieldnum >= 0).then_some(next))
    }

    /// Python indexing of the field list, negative indices included.
    fn field_at(&self, i: isize) -> Result<&Field> {
        let n = self.fields.len() as isize;
        let idx = if i < 0 { i + n } else { i };
        self.fields
            .get(usize::try_from(idx).map_err(|_| Error::value("list index out of range"))?)
            .ok_or_else(|| Error::value("list index out of range"))
    }

    /// Add one to field `fieldnum` (carrying into more significant fields when it
    /// is at its maximum) and reset the less significant real fields to their
    /// minimum. Returns the new time and the field actually incremented.
    fn increment_field_value(
        &self,
        dateval: &ZonedDateTime,
        mut fieldnum: isize,
    ) -> Result<(ZonedDateTime, isize)> {
        let mut values: [Option<i64>; 8] = [None; 8];
        let n = self.fields.len() as isize;
        let mut i: isize = 0;
        while i < n {
            let field = self.field_at(i)?;
            let slot = field.kind as usize;
            if !field.kind.is_real() {
                if i == fieldnum {
                    fieldnum -= 1;
                    i -= 1;
                } else {
                    i += 1;
                }
                continue;
            }
            if i < fieldnum {
                values[slot] = Some(field.kind.value(&dateval.wall));
                i += 1;
            } else if i > fieldnum {
                values[slot] = Some(field.kind.min());
                i += 1;
            } else {
                let value = field.kind.value(&dateval.wall);
                if value == field.kind.max(&dateval.wall) {
                    fieldnum -= 1;
                    i -= 1;
                } else {
                    values[slot] = Some(value + 1);
                    i += 1;
                }
            }
        }
        let target = naive_from_values(&values)?;
        let difference = naive_to_micros(target) - naive_to_micros(dateval.wall);
        Ok((dateval.add_exact(difference)?, fieldnum))
    }

    /// Set field `fieldnum` to `new_value` and the less significant real fields
    /// to their minimum, keeping the fold (the result may be a skipped wall time).
    fn set_field_value(
        &self,
        dateval: &ZonedDateTime,
        fieldnum: isize,
        new_value: i64,
    ) -> Result<ZonedDateTime> {
        let mut values: [Option<i64>; 8] = [None; 8];
        for (i, field) in self.fields.iter().enumerate() {
            if !field.kind.is_real() {
                continue;
            }
            let i = i as isize;
            values[field.kind as usize] = Some(if i < fieldnum {
                field.kind.value(&dateval.wall)
            } else if i > fieldnum {
                field.kind.min()
            } else {
                new_value
            });
        }
        let wall = naive_from_values(&values)?;
        Ok(ZonedDateTime::new(wall, dateval.fold, self.zone.clone()))
    }
}

/// A field the user did not give: `*`, or its minimum when it lies below the
/// least significant field given (built directly; this is on every trigger's
/// construction path).
fn default_field(kind: FieldKind, below_given: bool) -> Field {
    let expr = if below_given && kind.default_expression() != "*" {
        let min = kind.min();
        Expr::Range {
            first: min,
            last: Some(min),
            step: None,
            names: expressions::RangeNames::Numbers,
        }
    } else {
        Expr::All { step: None }
    };
    Field {
        kind,
        exprs: smallvec::smallvec![expr],
        is_default: true,
    }
}

fn naive_from_values(values: &[Option<i64>; 8]) -> Result<chrono::NaiveDateTime> {
    let get = |k: FieldKind| values[k as usize];
    let required = |k: FieldKind| {
        get(k).ok_or_else(|| {
            Error::Type(format!("function missing required argument '{}'", k.name()))
        })
    };
    make_naive(
        required(FieldKind::Year)?,
        required(FieldKind::Month)?,
        required(FieldKind::Day)?,
        get(FieldKind::Hour).unwrap_or(0),
        get(FieldKind::Minute).unwrap_or(0),
        get(FieldKind::Second).unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_parsing_their_text() {
        for (i, kind) in FieldKind::ALL.into_iter().enumerate() {
            for below in [false, true] {
                let text = if below {
                    kind.default_expression()
                } else {
                    "*"
                };
                let parsed = parser::parse_field(kind, text, true).unwrap();
                assert_eq!(
                    default_field(kind, below),
                    parsed,
                    "field {i} below={below}"
                );
            }
        }
    }

    #[test]
    fn triggers_share_equal_fields() {
        let texts = |minute: &'static str| -> FieldValues {
            [
                None,
                None,
                None,
                None,
                Some("mon-fri"),
                Some("8-17"),
                Some(minute),
                None,
            ]
        };
        let a = CronTrigger::shared_fields(&texts("*/5")).unwrap();
        let b = CronTrigger::shared_fields(&texts("*/5")).unwrap();
        assert!(Arc::ptr_eq(&a, &b), "the same texts: one set of fields");
        // other texts, fields that come out equal: shared too
        let c = CronTrigger::shared_fields(&texts("07")).unwrap();
        let d = CronTrigger::shared_fields(&texts("7")).unwrap();
        assert_eq!(c, d);
        assert!(Arc::ptr_eq(&c, &d));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(*a, *CronTrigger::compile_fields(&texts("*/5")).unwrap());
        // a text that does not parse is refused every time, and never kept
        for _ in 0..2 {
            assert!(CronTrigger::shared_fields(&texts("07x")).is_err());
        }
    }
}
