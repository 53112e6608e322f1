//! Exact decimals: strict parsing, canonical strings and half-even rounding of exact quotients.

use crate::error::{ErrorCode, KpiError, Result};
use rust_decimal::Decimal;

/// The largest count every language represents exactly (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_COUNT: u64 = 9_007_199_254_740_991;

/// Parses a decimal string strictly: fixed point only (`"-12.30"`), no exponent, no `NaN`,
/// no whitespace, at most 28 fractional digits and within `Decimal`'s 96-bit range.
/// Digits are never rounded away: a value that does not fit is an error.
///
/// # Example
/// ```
/// use omnikpi::decimal::parse_decimal;
/// assert_eq!(parse_decimal("12.30", "x").unwrap().to_string(), "12.30");
/// assert!(parse_decimal("1e3", "x").is_err());
/// assert!(parse_decimal("NaN", "x").is_err());
/// ```
///
/// # Errors
/// `invalid_decimal`, located at `path`.
pub fn parse_decimal(text: &str, path: &str) -> Result<Decimal> {
    let bad = |why: &str| {
        KpiError::at(
            ErrorCode::InvalidDecimal,
            path,
            format!("is not a valid decimal ({why}): `{text}`"),
        )
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return Err(bad("expected fixed-point digits like `-12.30`"));
    }
    if frac_part.map_or(0, str::len) > 28 {
        return Err(bad("more than 28 decimal places"));
    }
    Decimal::from_str_exact(text).map_err(|_| bad("beyond 28 significant digits"))
}

/// The canonical string of a decimal at exactly `scale` places, rounding half to even.
///
/// # Example
/// ```
/// use omnikpi::decimal::canonical;
/// use rust_decimal::Decimal;
/// assert_eq!(canonical(Decimal::new(1235, 3), 2), "1.24");
/// assert_eq!(canonical(Decimal::new(123, 1), 2), "12.30");
/// ```
pub fn canonical(value: Decimal, scale: u32) -> String {
    round_half_even(value, scale).to_string()
}

/// Rounds half to even at `scale` places and pads with zeros so the value has exactly that scale.
///
/// # Example
/// ```
/// use omnikpi::decimal::round_half_even;
/// use rust_decimal::Decimal;
/// assert_eq!(round_half_even(Decimal::new(125, 3), 2).to_string(), "0.12");
/// assert_eq!(round_half_even(Decimal::new(5, 0), 2).to_string(), "5.00");
/// ```
pub fn round_half_even(value: Decimal, scale: u32) -> Decimal {
    let mut rounded =
        value.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointNearestEven);
    rounded.rescale(scale);
    rounded
}

/// The exact quotient `numerator / denominator` rounded half to even at `scale` places,
/// computed on integers so no intermediate rounding happens. `None` when the denominator is zero.
///
/// # Example
/// ```
/// use omnikpi::decimal::divide;
/// use rust_decimal::Decimal;
/// // 1/8 = 0.125 -> 0.12 (half to even), 3/8 = 0.375 -> 0.38
/// assert_eq!(divide(Decimal::ONE, Decimal::from(8), 2).unwrap().unwrap().to_string(), "0.12");
/// assert_eq!(divide(Decimal::from(3), Decimal::from(8), 2).unwrap().unwrap().to_string(), "0.38");
/// assert!(divide(Decimal::ONE, Decimal::ZERO, 2).unwrap().is_none());
/// ```
///
/// # Errors
/// `arithmetic_overflow` when the scaled operands do not fit 128 bits.
pub fn divide(numerator: Decimal, denominator: Decimal, scale: u32) -> Result<Option<Decimal>> {
    if denominator.is_zero() {
        return Ok(None);
    }
    // n = mn / 10^sn, d = md / 10^sd, so n/d * 10^scale = mn * 10^(sd+scale) / (md * 10^sn).
    let overflow = || KpiError::overflow("an exact division");
    let num = numerator
        .mantissa()
        .checked_mul(pow10(denominator.scale().saturating_add(scale)).ok_or_else(overflow)?)
        .ok_or_else(overflow)?;
    let den = denominator
        .mantissa()
        .checked_mul(pow10(numerator.scale()).ok_or_else(overflow)?)
        .ok_or_else(overflow)?;
    let quotient = divide_integers(num, den).ok_or_else(overflow)?;
    let mut result = Decimal::try_from_i128_with_scale(quotient, scale).map_err(|_| overflow())?;
    result.rescale(scale);
    Ok(Some(result))
}

/// `num / den` rounded half to even; `None` for a zero denominator.
pub(crate) fn divide_integers(num: i128, den: i128) -> Option<i128> {
    if den == 0 {
        return None;
    }
    let negative = (num < 0) != (den < 0);
    let (n, d) = (num.unsigned_abs(), den.unsigned_abs());
    let mut q = n.checked_div(d)?;
    let r = n.checked_rem(d)?;
    let twice = r.checked_mul(2)?;
    if twice > d || (twice == d && q % 2 == 1) {
        q = q.checked_add(1)?;
    }
    let q = i128::try_from(q).ok()?;
    Some(if negative { q.checked_neg()? } else { q })
}

/// `-d`: a Decimal's negation flips its sign bit, so it cannot overflow (unlike an integer's).
pub(crate) fn negate(mut d: Decimal) -> Decimal {
    d.set_sign_negative(!d.is_sign_negative());
    d
}

/// `10^exp` as an integer, when it fits.
pub(crate) fn pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// A rate of two counts at `scale` places, half to even; `None` for a zero denominator.
pub(crate) fn count_rate(numerator: u64, denominator: u64, scale: u32) -> Result<Option<Decimal>> {
    divide(Decimal::from(numerator), Decimal::from(denominator), scale)
}

/// Adds two counts, refusing results beyond [`MAX_COUNT`].
pub(crate) fn add_count(a: u64, b: u64, what: &str) -> Result<u64> {
    a.checked_add(b)
        .filter(|sum| *sum <= MAX_COUNT)
        .ok_or_else(|| {
            KpiError::new(
                ErrorCode::ValueOutOfRange,
                None,
                format!("the total of {what} exceeds {MAX_COUNT}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_what_would_lose_digits() {
        for bad in [
            "",
            "-",
            ".5",
            "5.",
            "1e3",
            "NaN",
            "inf",
            " 1",
            "1 ",
            "+1",
            "1.2.3",
            "0x10",
            "0.12345678901234567890123456789",
            "79228162514264337593543950336",
        ] {
            let err = parse_decimal(bad, "p").unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidDecimal, "{bad}");
        }
        assert_eq!(parse_decimal("-0.50", "p").unwrap().to_string(), "-0.50");
        assert_eq!(
            parse_decimal("79228162514264337593543950335", "p").unwrap(),
            Decimal::MAX
        );
    }

    #[test]
    fn division_rounds_the_exact_quotient_half_even() {
        let d = |n: i64, s: u32| Decimal::new(n, s);
        assert_eq!(
            divide(d(1, 0), d(3, 0), 6).unwrap().unwrap().to_string(),
            "0.333333"
        );
        assert_eq!(
            divide(d(2, 0), d(3, 0), 6).unwrap().unwrap().to_string(),
            "0.666667"
        );
        assert_eq!(
            divide(d(-5, 0), d(2, 0), 0).unwrap().unwrap().to_string(),
            "-2"
        );
        assert_eq!(
            divide(d(-7, 0), d(2, 0), 0).unwrap().unwrap().to_string(),
            "-4"
        );
        assert_eq!(
            divide(d(1005, 2), d(1, 0), 1).unwrap().unwrap().to_string(),
            "10.0"
        );
        assert_eq!(
            divide(d(10, 0), d(4, 0), 2).unwrap().unwrap().to_string(),
            "2.50"
        );
        assert_eq!(
            divide(d(1, 0), d(-8, 0), 2).unwrap().unwrap().to_string(),
            "-0.12"
        );
        assert!(divide(Decimal::MAX, d(1, 28), 6).is_err());
    }
}
