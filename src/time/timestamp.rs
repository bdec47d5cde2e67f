//! POSIX timestamps as Python floats, with CPython's rounding, for triggers that
//! (like APScheduler's) do their arithmetic on `datetime.timestamp()` values.

/// `dt.timestamp()` of an instant in microseconds (correctly rounded division,
/// as `timedelta.total_seconds()`).
pub fn micros_to_timestamp(micros: i64) -> f64 {
    micros as f64 / 1e6
}

/// Seconds to microseconds the way `datetime.fromtimestamp` rounds them (half to
/// even on the fractional part); `None` when out of any representable range.
pub fn timestamp_to_micros(ts: f64) -> Option<i64> {
    // Beyond 1e14 s (years past 3 million) nothing is representable anyway; the
    // bound also keeps the integer casts below exact.
    if !ts.is_finite() || ts.abs() > 1e14 {
        return None;
    }
    let mut whole = ts as i64; // truncates toward zero, like C's modf
    let mut frac = round_half_even((ts - whole as f64) * 1e6);
    if frac >= 1e6 {
        frac -= 1e6;
        whole += 1;
    } else if frac < 0.0 {
        frac += 1e6;
        whole -= 1;
    }
    Some(whole * 1_000_000 + frac as i64)
}

/// Round half to even for |x| <= 2^51: adding and subtracting 1.5 * 2^52 leaves
/// no fractional bits, and IEEE addition rounds ties to even. (Avoids a libm
/// call on this hot path.)
fn round_half_even(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    (x + MAGIC) - MAGIC
}

/// `timedelta(seconds=s)` in microseconds, rounded as CPython rounds it.
pub fn seconds_to_micros(seconds: f64) -> i64 {
    let whole = seconds.trunc();
    let frac = seconds - whole;
    let mut total = whole as i64 * 1_000_000;
    if frac == 0.0 {
        return total;
    }
    let scaled = frac * 1e6;
    let scaled_whole = scaled.trunc();
    let leftover = scaled - scaled_whole;
    total += scaled_whole as i64;
    let mut rounded = leftover.round();
    if (rounded - leftover).abs() == 0.5 {
        let odd = (total & 1) as f64;
        rounded = 2.0 * ((leftover + odd) * 0.5).round() - odd;
    }
    total + rounded as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fromtimestamp_rounds_half_to_even() {
        // Expected values are what CPython 3.11 returns.
        assert_eq!(timestamp_to_micros(1.0000005), Some(1_000_001));
        assert_eq!(timestamp_to_micros(2.0000025), Some(2_000_002));
        assert_eq!(timestamp_to_micros(-0.5e-6), Some(0));
        assert_eq!(timestamp_to_micros(1.5), Some(1_500_000));
        assert_eq!(timestamp_to_micros(f64::NAN), None);
    }

    #[test]
    fn fast_rounding_matches_the_libm_formulation() {
        // CPython's: modf, scale, round(), then fix exact halves to even.
        fn reference(ts: f64) -> i64 {
            let mut whole = ts.trunc();
            let scaled = (ts - whole) * 1e6;
            let mut frac = scaled.round();
            if (scaled - frac).abs() == 0.5 {
                frac = 2.0 * (scaled / 2.0).round();
            }
            if frac >= 1e6 {
                frac -= 1e6;
                whole += 1.0;
            } else if frac < 0.0 {
                frac += 1e6;
                whole -= 1.0;
            }
            whole as i64 * 1_000_000 + frac as i64
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..2_000_000u64 {
            // xorshift: timestamps across +-4e9 s with arbitrary fractions
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ts = (x % 8_000_000_000_000_000) as f64 / 1e6 - 4e9 + (i % 3) as f64 * 0.5e-6;
            assert_eq!(timestamp_to_micros(ts), Some(reference(ts)), "{ts}");
        }
        for ts in [
            0.5e-6, 1.5e-6, 2.5e-6, -0.5e-6, -1.5e-6, 1.0000005, 2.0000025,
        ] {
            assert_eq!(timestamp_to_micros(ts), Some(reference(ts)), "{ts}");
        }
    }

    #[test]
    fn timedelta_seconds_rounding() {
        assert_eq!(seconds_to_micros(0.5), 500_000);
        assert_eq!(seconds_to_micros(2.0), 2_000_000);
        assert_eq!(seconds_to_micros(1e-7), 0);
    }
}
