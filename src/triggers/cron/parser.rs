//! Parsing of cron field expressions, accepting exactly what APScheduler 3
//! accepts (its regular expressions match a prefix unless anchored, and names
//! are case-insensitive) and refusing the rest with its exception messages,
//! extended to name the field.

use super::expressions::{Expr, RangeNames, MONTHS, POSITIONS, WEEKDAYS};
use super::fields::{Exprs, Field, FieldKind};
use crate::error::{Error, Result};

/// Parse a field's text (`str(value)` of what the user passed).
pub fn parse_field(kind: FieldKind, text: &str, is_default: bool) -> Result<Field> {
    // A plain loop: collecting Results through iterator adapters cost more
    // than the parsing itself.
    let mut exprs = Exprs::new();
    for part in split_list(text.trim_matches(is_py_space)) {
        exprs.push(parse_expression(kind, part)?);
    }
    Ok(Field {
        kind,
        exprs,
        is_default,
    })
}

/// Split on commas with any spaces around them (Python's `re.split(' *, *')`).
fn split_list(text: &str) -> impl Iterator<Item = &str> {
    let last = text.matches(',').count();
    text.split(',').enumerate().map(move |(i, part)| {
        let part = if i > 0 {
            part.trim_start_matches(' ')
        } else {
            part
        };
        if i < last {
            part.trim_end_matches(' ')
        } else {
            part
        }
    })
}

fn parse_expression(kind: FieldKind, text: &str) -> Result<Expr> {
    let with_context = |e: Error| match e {
        Error::Value(msg) => Error::Value(format!(
            "{msg} (field \"{}\", expression {})",
            kind.name(),
            py_repr(text)
        )),
        other => other,
    };
    let parsed = match_all(text)
        .or_else(|| match_range(text))
        .or_else(|| match kind {
            FieldKind::Month => match_names(text, RangeNames::Months),
            FieldKind::DayOfWeek => match_names(text, RangeNames::Weekdays),
            FieldKind::Day => match_weekday_position(text).or_else(|| match_last(text)),
            _ => None,
        });
    match parsed {
        None => Err(Error::value(format!(
            "Unrecognized expression \"{text}\" for field \"{}\"",
            kind.name()
        ))),
        Some(Err(e)) => Err(with_context(e)),
        Some(Ok(expr)) => {
            validate_range(&expr, kind).map_err(|msg| {
                with_context(Error::Value(format!(
                    "Error validating expression {}: {msg}",
                    py_repr(text)
                )))
            })?;
            Ok(expr)
        }
    }
}

/// Python's `str.isspace()`: Unicode whitespace plus the ASCII separators
/// U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `$` in Python's `re` also matches before one trailing newline.
fn at_end(rest: &str) -> bool {
    rest.is_empty() || rest == "\n"
}

fn take_digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.split_at(n)
}

/// The ASCII letter `c` matches in APScheduler's case-insensitive patterns:
/// Python's `re.I` folds four non-ASCII letters onto `[a-z]` too.
fn folded_letter(c: char) -> Option<char> {
    match c {
        'a'..='z' => Some(c),
        'A'..='Z' => Some(c.to_ascii_lowercase()),
        '\u{17f}' => Some('s'),             // long s
        '\u{212a}' => Some('k'),            // Kelvin sign
        '\u{130}' | '\u{131}' => Some('i'), // dotted capital I, dotless small i
        _ => None,
    }
}

/// `[a-z]+` under `re.I`: the longest run of letters that fold onto ASCII.
fn take_letters(s: &str) -> (&str, &str) {
    let n: usize = s
        .chars()
        .take_while(|&c| folded_letter(c).is_some())
        .map(char::len_utf8)
        .sum();
    s.split_at(n)
}

/// `text` without a leading `pattern` (ASCII) matched as `re.I` matches it,
/// and the matched part of `text`.
fn strip_prefix_folded<'a>(text: &'a str, pattern: &str) -> Option<(&'a str, &'a str)> {
    let mut chars = text.char_indices();
    for expected in pattern.chars() {
        let (_, c) = chars.next()?;
        let same = if expected.is_ascii_alphabetic() {
            folded_letter(c) == Some(expected)
        } else {
            c == expected
        };
        if !same {
            return None;
        }
    }
    let end = chars.next().map_or(text.len(), |(i, _)| i);
    Some((&text[..end], &text[end..]))
}

/// Digits to an integer; absurdly long numbers saturate (they fail validation).
fn to_int(digits: &str) -> i64 {
    digits.parse::<i64>().unwrap_or(i64::MAX)
}

fn check_step(step: Option<i64>) -> Result<Option<i64>> {
    if step == Some(0) {
        return Err(Error::value("Increment must be higher than 0"));
    }
    Ok(step)
}

/// `*` or `*/n`
fn match_all(text: &str) -> Option<Result<Expr>> {
    let rest = text.strip_prefix('*')?;
    let step = if let Some(after) = rest.strip_prefix('/') {
        let (digits, rest) = take_digits(after);
        if digits.is_empty() || !at_end(rest) {
            return None;
        }
        Some(to_int(digits))
    } else if at_end(rest) {
        None
    } else {
        return None;
    };
    Some(check_step(step).map(|step| Expr::All { step }))
}

/// `a`, `a-b`, `a/n`, `a-b/n`
fn match_range(text: &str) -> Option<Result<Expr>> {
    let (first, mut rest) = take_digits(text);
    if first.is_empty() {
        return None;
    }
    let mut last = None;
    if let Some(after) = rest.strip_prefix('-') {
        let (digits, r) = take_digits(after);
        if !digits.is_empty() {
            last = Some(to_int(digits));
            rest = r;
        }
    }
    let mut step = None;
    if let Some(after) = rest.strip_prefix('/') {
        let (digits, r) = take_digits(after);
        if !digits.is_empty() {
            step = Some(to_int(digits));
            rest = r;
        }
    }
    if !at_end(rest) {
        return None;
    }
    Some(make_range(to_int(first), last, step, RangeNames::Numbers))
}

fn make_range(first: i64, last: Option<i64>, step: Option<i64>, names: RangeNames) -> Result<Expr> {
    let step = check_step(step)?;
    let last = if last.is_none() && step.is_none() {
        Some(first)
    } else {
        last
    };
    if matches!(last, Some(last) if first > last) {
        return Err(Error::value(
            "The minimum value in a range must not be higher than the maximum",
        ));
    }
    Ok(Expr::Range {
        first,
        last,
        step,
        names,
    })
}

/// `jan`, `jan-mar`, `mon-fri` (a prefix match, case-insensitive)
fn match_names(text: &str, names: RangeNames) -> Option<Result<Expr>> {
    let (first, rest) = take_letters(text);
    if first.is_empty() {
        return None;
    }
    let last = rest
        .strip_prefix('-')
        .map(|after| take_letters(after).0)
        .filter(|l| !l.is_empty());
    let lookup = |name: &str| -> Result<i64> {
        // Python's str.lower(): a folded letter such as the long s stays
        // itself and so names no month.
        let lower = name.to_lowercase();
        match names {
            RangeNames::Months => MONTHS
                .iter()
                .position(|m| *m == lower)
                .map(|i| i as i64 + 1)
                .ok_or_else(|| Error::value(format!("Invalid month name \"{name}\""))),
            _ => WEEKDAYS
                .iter()
                .position(|d| *d == lower)
                .map(|i| i as i64)
                .ok_or_else(|| Error::value(format!("Invalid weekday name \"{name}\""))),
        }
    };
    Some((|| {
        let first = lookup(first)?;
        let last = last.map(lookup).transpose()?;
        make_range(first, last, None, names)
    })())
}

/// `3rd fri`, `last sun`: a position, spaces, then a weekday name.
fn match_weekday_position(text: &str) -> Option<Result<Expr>> {
    let (option, rest) = POSITIONS
        .iter()
        .find_map(|p| strip_prefix_folded(text, p))?;
    let name_start = rest.trim_start_matches(' ');
    if name_start.len() == rest.len() {
        return None;
    }
    // The weekday is a run of digits, or else a run of word characters.
    let (digits, _) = take_digits(name_start);
    let name = if digits.is_empty() {
        let n: usize = name_start
            .char_indices()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .map(|(_, c)| c.len_utf8())
            .sum();
        &name_start[..n]
    } else {
        digits
    };
    if name.is_empty() {
        return None;
    }
    // The option matched a pattern; as a name (lowercased) it must be one too.
    let Some(position) = POSITIONS.iter().position(|p| *p == option.to_lowercase()) else {
        return Some(Err(Error::value(format!(
            "Invalid weekday position \"{option}\""
        ))));
    };
    let lower_name = name.to_lowercase();
    Some(
        WEEKDAYS
            .iter()
            .position(|d| *d == lower_name)
            .map(|weekday| Expr::WeekdayPosition {
                position,
                weekday: weekday as u32,
            })
            .ok_or_else(|| Error::value(format!("Invalid weekday name \"{name}\""))),
    )
}

/// `last` (a prefix match, case-insensitive)
fn match_last(text: &str) -> Option<Result<Expr>> {
    strip_prefix_folded(text, "last").map(|_| Ok(Expr::LastDayOfMonth))
}

fn validate_range(expr: &Expr, kind: FieldKind) -> std::result::Result<(), String> {
    let (min, max) = (kind.min(), kind.max_overall());
    let step_check = |step: Option<i64>, range: i64| -> std::result::Result<(), String> {
        match step {
            Some(step) if step > range => Err(format!(
                "the step value ({step}) is higher than the total range of the expression ({range})"
            )),
            _ => Ok(()),
        }
    };
    step_check(expr.step(), max - min)?;
    if let Expr::Range {
        first, last, step, ..
    } = *expr
    {
        if first < min {
            return Err(format!(
                "the first value ({first}) is lower than the minimum value ({min})"
            ));
        }
        if let Some(last) = last {
            if last > max {
                return Err(format!(
                    "the last value ({last}) is higher than the maximum value ({max})"
                ));
            }
        }
        // APScheduler treats a last value of 0 as "no last value" here.
        let upper = match last {
            Some(last) if last != 0 => last,
            _ => max,
        };
        step_check(step, upper - first)?;
    }
    Ok(())
}

/// `repr()` of a Python str, for messages that quote user input.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind, text: &str) -> Result<Field> {
        parse_field(kind, text, false)
    }

    fn message(kind: FieldKind, text: &str) -> String {
        match field(kind, text) {
            Err(Error::Value(m)) => m,
            other => panic!("expected ValueError for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn lists_with_spaces_print_back_canonically() {
        assert_eq!(field(FieldKind::Hour, "8, 12").unwrap().to_string(), "8,12");
        assert_eq!(
            field(FieldKind::Month, "6-8,11-12").unwrap().to_string(),
            "6-8,11-12"
        );
        assert_eq!(field(FieldKind::Second, "*/5").unwrap().to_string(), "*/5");
        assert_eq!(field(FieldKind::Second, "07").unwrap().to_string(), "7");
        assert_eq!(
            field(FieldKind::Minute, "5/15").unwrap().to_string(),
            "5/15"
        );
    }

    #[test]
    fn names_are_case_insensitive_and_prefix_matched() {
        assert_eq!(
            field(FieldKind::DayOfWeek, "MON-fri").unwrap().to_string(),
            "mon-fri"
        );
        assert_eq!(field(FieldKind::Month, "Jan").unwrap().to_string(), "jan");
        assert_eq!(
            field(FieldKind::Day, "3rd FRI").unwrap().to_string(),
            "3rd fri"
        );
        assert_eq!(field(FieldKind::Day, "last").unwrap().to_string(), "last");
        assert_eq!(
            field(FieldKind::Day, "last sun").unwrap().to_string(),
            "last sun"
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_field_named() {
        let m = message(FieldKind::Second, "07x");
        assert_eq!(m, "Unrecognized expression \"07x\" for field \"second\"");
        let m = message(FieldKind::Hour, "24");
        assert!(m.starts_with("Error validating expression '24': the last value (24)"));
        assert!(m.contains("field \"hour\""));
        let m = message(FieldKind::DayOfWeek, "7");
        assert!(m.contains("the last value (7) is higher than the maximum value (6)"));
        let m = message(FieldKind::Day, "3rd fryday");
        assert!(m.starts_with("Invalid weekday name \"fryday\""));
        assert!(m.contains("field \"day\""));
        assert!(message(FieldKind::Minute, "*/0").starts_with("Increment must be higher than 0"));
        assert!(message(FieldKind::Minute, "5-3").starts_with("The minimum value in a range"));
        assert!(message(FieldKind::Minute, "").starts_with("Unrecognized expression"));
        assert!(message(FieldKind::Minute, "*/60").contains("the step value (60)"));
    }

    #[test]
    fn letters_python_folds_onto_ascii_match_as_they_do_there() {
        // "la\u{17f}t" (long s) matches `last` under re.I.
        assert_eq!(
            field(FieldKind::Day, "la\u{17f}t").unwrap().to_string(),
            "last"
        );
        // They match [a-z], but as names (lowercased) they name nothing.
        let m = message(FieldKind::Month, "\u{17f}ep");
        assert!(m.starts_with("Invalid month name \"\u{17f}ep\""));
        let m = message(FieldKind::Day, "1\u{17f}t mon");
        assert!(m.starts_with("Invalid weekday position \"1\u{17f}t\""));
        let m = message(FieldKind::Month, "\u{130}");
        assert!(m.starts_with("Invalid month name \"\u{130}\""));
        // The Kelvin sign is a letter there too (and lowercases to k).
        let m = message(FieldKind::DayOfWeek, "\u{212a}");
        assert!(m.starts_with("Invalid weekday name \"\u{212a}\""));
    }

    #[test]
    fn python_repr_of_strings() {
        assert_eq!(py_repr("abc"), "'abc'");
        assert_eq!(py_repr("a'b"), "\"a'b\"");
        assert_eq!(py_repr("a\nb"), "'a\\nb'");
    }
}
