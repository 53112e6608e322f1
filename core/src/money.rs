//! Money: ISO 4217 minor units and exact largest-remainder allocation.

use crate::decimal::pow10;
use crate::error::{ErrorCode, KpiError, Result};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const CURRENCY_TABLE: &str = include_str!("../spec/currencies.json");

/// A currency with the number of decimal places its amounts may carry.
///
/// # Example
/// ```
/// use omnikpi::money::Currency;
/// let jpy = Currency::lookup("JPY", None, "currency").unwrap();
/// assert_eq!(jpy.minor_units(), 0);
/// let eur = Currency::lookup("EUR", None, "currency").unwrap();
/// assert_eq!(eur.minor_units(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    code: String,
    minor_units: u32,
}

fn table() -> &'static BTreeMap<String, u32> {
    static TABLE: OnceLock<BTreeMap<String, u32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str::<serde_json::Value>(CURRENCY_TABLE)
            .ok()
            .and_then(|doc| {
                doc.get("minor_units")?.as_object().map(|units| {
                    units
                        .iter()
                        .filter_map(|(code, n)| {
                            Some((code.clone(), u32::try_from(n.as_u64()?).ok()?))
                        })
                        .collect()
                })
            })
            .unwrap_or_default()
    })
}

impl Currency {
    /// Looks a code up in the embedded ISO 4217 table (`spec/currencies.json`);
    /// `minor_units` overrides the table (for internal units such as loyalty points).
    ///
    /// # Errors
    /// `unknown_currency` when the code is not in the table and no override is given.
    pub fn lookup(code: &str, minor_units: Option<u32>, path: &str) -> Result<Self> {
        let units = match minor_units {
            Some(units) => units,
            None => *table().get(code).ok_or_else(|| {
                KpiError::at(
                    ErrorCode::UnknownCurrency,
                    path,
                    format!("is not an ISO 4217 currency: `{code}`"),
                )
            })?,
        };
        Ok(Self {
            code: code.to_owned(),
            minor_units: units,
        })
    }

    /// The ISO code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Decimal places of the minor unit (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }

    /// Checks that `amount` has no more decimal places than the minor unit allows
    /// (`12.300` EUR is fine, `12.345` EUR is not) and returns it at exactly the minor-unit scale.
    ///
    /// # Errors
    /// `invalid_money_scale`.
    pub fn amount(&self, amount: Decimal, path: &str) -> Result<Decimal> {
        if amount.normalize().scale() > self.minor_units {
            return Err(KpiError::at(
                ErrorCode::InvalidMoneyScale,
                path,
                format!(
                    "has more decimal places than {} allows ({}): `{amount}`",
                    self.code, self.minor_units
                ),
            ));
        }
        let mut exact = amount;
        exact.rescale(self.minor_units);
        Ok(exact)
    }
}

/// One party's part of an allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The amount at the currency's minor-unit scale.
    pub amount: Decimal,
    /// Whether this part received one of the leftover minor units.
    pub extra_unit: bool,
}

/// Splits `amount` by `weights` into minor units so the parts sum exactly to the amount.
///
/// The method is largest remainder (Hamilton): each party gets the floor of its exact quota
/// in minor units; the units left over go one each to the largest remainders, ties to the
/// larger weight, then to the earlier party. A negative amount is allocated as its absolute
/// value and the sign applied after, so a refund mirrors its sale cent for cent.
///
/// # Example
/// ```
/// use omnikpi::money::allocate;
/// use rust_decimal::Decimal;
/// // 1.00 by 2:3:1 -> 0.33 / 0.50 / 0.17
/// let w = [Decimal::from(2), Decimal::from(3), Decimal::from(1)];
/// let parts = allocate(Decimal::new(100, 2), 2, &w, "weights").unwrap();
/// let amounts: Vec<String> = parts.iter().map(|p| p.amount.to_string()).collect();
/// assert_eq!(amounts, ["0.33", "0.50", "0.17"]);
/// ```
///
/// # Errors
/// `empty_input` (no weights), `invalid_weights` (a negative weight, or all zero),
/// `arithmetic_overflow` when the amount and weights do not fit 128-bit integers.
pub fn allocate(
    amount: Decimal,
    minor_units: u32,
    weights: &[Decimal],
    path: &str,
) -> Result<Vec<Part>> {
    if weights.is_empty() {
        return Err(KpiError::at(
            ErrorCode::EmptyInput,
            path,
            "must not be empty",
        ));
    }
    if let Some(i) = weights.iter().position(Decimal::is_sign_negative) {
        return Err(KpiError::at(
            ErrorCode::InvalidWeights,
            &format!("{path}[{i}]"),
            "must not be negative",
        ));
    }
    let overflow = || KpiError::overflow("an allocation");
    let ints = integer_weights(weights).ok_or_else(overflow)?;
    let total = ints
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(*w))
        .ok_or_else(overflow)?;
    if total == 0 {
        return Err(KpiError::at(
            ErrorCode::InvalidWeights,
            path,
            "must not all be zero",
        ));
    }
    let mut units_dec = amount.abs();
    units_dec.rescale(minor_units);
    let shares = split_units(units_dec.mantissa(), &ints).ok_or_else(overflow)?;
    let negative = amount.is_sign_negative();
    shares
        .iter()
        .map(|&(magnitude, extra_unit)| {
            let signed = if negative {
                magnitude.checked_neg().ok_or_else(overflow)?
            } else {
                magnitude
            };
            let mut value =
                Decimal::try_from_i128_with_scale(signed, minor_units).map_err(|_| overflow())?;
            value.rescale(minor_units);
            Ok(Part {
                amount: value,
                extra_unit,
            })
        })
        .collect()
}

/// `a * b`, checked; when both fit 64 bits the product cannot overflow 128 bits, so the plain
/// product is exact and skips the overflow-checked 128-bit multiplication, which WebAssembly
/// runs as a slow library call (the attribution hot path multiplies per touch).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "a product of two i64 values is below 2^126 in magnitude: it fits i128"
)]
pub(crate) fn widening_mul(a: i128, b: i128) -> Option<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(x), Ok(y)) => Some(i128::from(x) * i128::from(y)),
        _ => a.checked_mul(b),
    }
}

/// `(claim / total, claim % total)` for non-negative `claim` and positive `total`, exactly, without
/// a 128-bit division: a floating-point estimate of the quotient corrected by exact products.
fn floor_div(claim: i128, total: i128) -> Option<(i128, i128)> {
    let mut q = (claim as f64 / total as f64) as i128;
    loop {
        let r = claim.checked_sub(q.checked_mul(total)?)?;
        if r < 0 {
            let step = r.checked_neg()?.checked_div(total.max(1))? / 2;
            q = q.checked_sub(step.checked_add(1)?)?;
        } else if r >= total {
            let step = r.checked_div(total)? / 2;
            q = q.checked_add(step.checked_add(1)?)?;
        } else {
            return Some((q, r));
        }
    }
}

/// Decimal weights as integers at their common scale (`0.4, 0.25` -> `40, 25`); `None` on overflow.
pub(crate) fn integer_weights(weights: &[Decimal]) -> Option<Vec<i128>> {
    let scale = weights.iter().map(Decimal::scale).max().unwrap_or(0);
    weights
        .iter()
        // scale is the largest of the scales: never below w's
        .map(|w| pow10(scale.saturating_sub(w.scale())).and_then(|f| w.mantissa().checked_mul(f)))
        .collect()
}

/// Splits `units` (non-negative) by non-negative integer `weights` with not all zero, by the
/// largest-remainder method: floors of the exact quotas, then one unit each to the largest
/// remainders, ties to the larger weight, then to the earlier index. Returns each part and
/// whether it received a leftover unit; the parts sum exactly to `units`. `None` on overflow
/// or when every weight is zero.
///
/// # Example
/// ```
/// use omnikpi::money::split_units;
/// let parts = split_units(100, &[2, 3, 1]).unwrap();
/// assert_eq!(parts, vec![(33, false), (50, false), (17, true)]);
/// ```
pub fn split_units(units: i128, weights: &[i128]) -> Option<Vec<(i128, bool)>> {
    let mut parts = Vec::with_capacity(weights.len());
    let mut scratch = Vec::new();
    split_into(units, weights, &mut parts, &mut scratch)?;
    let total = weights
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(*w))?;
    // A part received a leftover unit when it exceeds the floor of its exact quota.
    parts
        .iter()
        .zip(weights)
        .map(|(p, w)| Some((*p, *p > units.checked_mul(*w)?.checked_div(total)?)))
        .collect()
}

/// [`split_units`] into a reused buffer, without allocating on the hot path: `parts` receives
/// the parts, `scratch` is working space. Same rule, same results, with exact fast paths for a
/// single non-zero weight, equal weights, and quotas that fit 64-bit arithmetic.
pub(crate) fn split_into(
    units: i128,
    weights: &[i128],
    parts: &mut Vec<i128>,
    scratch: &mut Vec<(i128, i128, usize)>,
) -> Option<()> {
    parts.clear();
    let mut total: i128 = 0;
    let mut nonzero = 0usize;
    let mut last_nonzero = 0usize;
    for (i, w) in weights.iter().enumerate() {
        if *w < 0 {
            return None;
        }
        if *w > 0 {
            nonzero = nonzero.saturating_add(1); // at most weights.len()
            last_nonzero = i;
        }
        total = total.checked_add(*w)?;
    }
    if total <= 0 || units < 0 {
        return None;
    }
    if nonzero == 1 {
        parts.extend((0..weights.len()).map(|i| if i == last_nonzero { units } else { 0 }));
        return Some(());
    }
    let first = weights.first().copied().unwrap_or(0);
    if weights.iter().all(|w| *w == first) {
        // Equal quotas and remainders: the leftover units go to the earliest parties.
        let n = i128::try_from(weights.len()).ok()?;
        let (each, leftover) = match (u64::try_from(units), u64::try_from(n)) {
            // 64-bit division where it fits: 128-bit division is a slow library call in wasm.
            (Ok(u), Ok(k)) => (i128::from(u.checked_div(k)?), i128::from(u.checked_rem(k)?)),
            _ => (units.checked_div(n)?, units.checked_rem(n)?),
        };
        // each + 1 <= units when there is a leftover unit: never saturates
        parts.extend((0..n).map(|i| each.saturating_add(i128::from(i < leftover))));
        return Some(());
    }
    scratch.clear();
    let mut given: i128 = 0;
    let small = u64::try_from(units)
        .ok()
        .zip(u64::try_from(total).ok())
        .filter(|(u, t)| u.checked_mul(*t).is_some());
    for (i, w) in weights.iter().enumerate() {
        let (floor, rem) = match small {
            // units * w <= units * total fits u64: 64-bit division, much faster than 128-bit.
            Some((u, t)) => {
                let claim = u.checked_mul(u64::try_from(*w).ok()?)?;
                (
                    i128::from(claim.checked_div(t)?),
                    i128::from(claim.checked_rem(t)?),
                )
            }
            None => {
                let claim = units.checked_mul(*w)?;
                floor_div(claim, total)?
            }
        };
        parts.push(floor);
        given = given.checked_add(floor)?;
        scratch.push((rem, *w, i));
    }
    let leftover = usize::try_from(units.checked_sub(given)?).ok()?;
    if leftover > 0 {
        // Largest remainder first, then larger weight, then earlier party.
        scratch.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        for &(_, _, i) in scratch.iter().take(leftover) {
            if let Some(p) = parts.get_mut(i) {
                *p = p.checked_add(1)?;
            }
        }
    }
    Some(())
}

// ---------------------------------------------------------------- JSON reading of money

/// Reads the input's `currency` (with the optional `minor_units` parameter override).
pub(crate) fn read_currency(
    record: &crate::input::Record,
    params: &crate::catalog::Params,
) -> Result<Currency> {
    let code = record.text("currency")?;
    let minor = params
        .integer("minor_units")
        .and_then(|m| u32::try_from(m).ok());
    Currency::lookup(&code, minor, &record.field_path("currency"))
}

/// Reads `key` of `record` as an amount in `currency`: a decimal string at most at the
/// minor-unit scale, in the same currency when the row names one, non-negative unless allowed.
pub(crate) fn read_amount(
    record: &crate::input::Record,
    key: &str,
    currency: &Currency,
    allow_negative: bool,
) -> Result<Decimal> {
    let path = record.field_path(key);
    if let Some(code) = record.opt_text("currency")? {
        if code != currency.code() {
            return Err(KpiError::at(
                ErrorCode::CurrencyMismatch,
                &record.field_path("currency"),
                format!("is `{code}`, but the input is in `{}`", currency.code()),
            ));
        }
    }
    let amount = record.decimal(key)?;
    if amount.is_sign_negative() && !amount.is_zero() && !allow_negative {
        return Err(KpiError::at(
            ErrorCode::NegativeAmount,
            &path,
            format!("must not be negative, got {amount}"),
        ));
    }
    currency.amount(amount, &path)
}

/// Adds two amounts, reporting overflow.
pub(crate) fn add_amount(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b)
        .ok_or_else(|| KpiError::overflow("a money total"))
}

/// The parties of `money.allocate`: a list of `{party, weight}`, or an object of party → weight
/// in its order (the field's `keyed_by` in the spec). Each with the paths of its name and its
/// weight.
fn read_parties(record: &crate::input::Record) -> Result<Vec<(String, Decimal, String, String)>> {
    use crate::input::{read_decimal, Record};
    let (path, value) = record.field("parties");
    if let Some(map) = value.as_object() {
        if map.is_empty() {
            return Err(KpiError::at(
                ErrorCode::EmptyInput,
                &path,
                "must not be empty",
            ));
        }
        return map
            .iter()
            .map(|(name, w)| {
                let at = format!("{path}.{name}");
                Ok((name.clone(), read_decimal(w, &at)?, at.clone(), at))
            })
            .collect();
    }
    record
        .non_empty_list("parties")?
        .into_iter()
        .map(|(path, v)| {
            let r = Record::new(v, &path, &["party", "weight"])?;
            let name = r.text("party")?;
            let weight = r.decimal("weight")?;
            Ok((name, weight, r.field_path("party"), r.field_path("weight")))
        })
        .collect()
}

pub(crate) fn evaluate_allocate(
    input: &serde_json::Value,
    params: &crate::catalog::Params,
) -> Result<crate::Output> {
    use crate::input::Record;
    use crate::Output;
    let record = Record::new(input, "input", &["amount", "currency", "parties"])?;
    let currency = read_currency(&record, params)?;
    let amount = read_amount(&record, "amount", &currency, true)?;
    let parties_path = record.field_path("parties");
    let mut names: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut weights = Vec::new();
    for (name, weight, name_path, weight_path) in read_parties(&record)? {
        if !seen.insert(name.clone()) {
            return Err(KpiError::at(
                ErrorCode::DuplicateKey,
                &name_path,
                format!("repeats party `{name}`"),
            ));
        }
        if weight.is_sign_negative() && !weight.is_zero() {
            return Err(KpiError::at(
                ErrorCode::InvalidWeights,
                &weight_path,
                format!("must not be negative, got {weight}"),
            ));
        }
        names.push(name);
        weights.push(weight);
    }
    let parts = allocate(amount, currency.minor_units(), &weights, &parties_path)?;
    let parts = names
        .iter()
        .zip(&weights)
        .zip(&parts)
        .map(|((name, weight), part)| {
            Output::record([
                ("party", name.as_str().into()),
                ("weight", (*weight).into()),
                ("amount", part.amount.into()),
                ("extra_unit", part.extra_unit.into()),
            ])
        })
        .collect();
    Ok(Output::record([
        ("currency", currency.code().into()),
        ("amount", amount.into()),
        ("method", "largest_remainder".into()),
        ("parts", Output::List(parts)),
        (
            "rows",
            crate::output::RowCounts::all_used(names.len()).into(),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(amount: i64, weights: &[i64]) -> Vec<i64> {
        let w: Vec<Decimal> = weights.iter().map(|&x| Decimal::from(x)).collect();
        allocate(Decimal::from(amount), 0, &w, "w")
            .unwrap()
            .iter()
            .map(|p| i64::try_from(p.amount.mantissa()).unwrap())
            .collect()
    }

    #[test]
    fn reproduces_the_reference_hamilton_table() {
        // spec-and-money.md section 3.2, column "Hamilton".
        assert_eq!(split(100, &[2, 3, 1]), [33, 50, 17]);
        assert_eq!(split(1003, &[49, 51]), [491, 512]);
        assert_eq!(split(9999, &[75, 25]), [7499, 2500]);
        assert_eq!(split(5, &[100, 101, 100, 100]), [1, 2, 1, 1]);
        assert_eq!(split(1, &[33, 66]), [0, 1]);
        assert_eq!(split(3, &[75, 25]), [2, 1]);
        assert_eq!(split(102_759, &[20, 70, 5, 5]), [20552, 71931, 5138, 5138]);
    }

    #[test]
    fn ties_go_to_the_larger_weight_then_the_earlier_party() {
        // 5 over 30/70: quotas 1.5 and 3.5, equal remainders: the larger weight wins.
        assert_eq!(split(5, &[30, 70]), [1, 4]);
        // 100 over 1:1:1: equal weights, the earliest party gets the leftover unit.
        assert_eq!(split(100, &[1, 1, 1]), [34, 33, 33]);
    }

    #[test]
    fn floor_div_equals_division() {
        let mut x: u64 = 88172645463325252;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let claim = i128::from(x >> (x % 60)) * i128::from(x % 1_000_000_007);
            let total = 1 + i128::from((x >> 17) % (1 << ((x >> 3) % 62)));
            assert_eq!(
                super::floor_div(claim, total),
                Some((claim / total, claim % total)),
                "{claim} / {total}"
            );
        }
        assert_eq!(
            super::floor_div(4_503_599_627_370_496 * 1_000_000_000_000, 3),
            Some((1_501_199_875_790_165_333_333_333_333, 1))
        );
    }

    #[test]
    fn refunds_mirror_sales() {
        assert_eq!(split(-100, &[1, 1, 1]), [-34, -33, -33]);
        assert_eq!(split(-5, &[30, 70]), [-1, -4]);
    }

    #[test]
    fn scale_checks_use_the_minor_unit() {
        let eur = Currency::lookup("EUR", None, "c").unwrap();
        assert_eq!(
            eur.amount(Decimal::new(12300, 3), "a").unwrap().to_string(),
            "12.30"
        );
        let err = eur.amount(Decimal::new(12345, 3), "a").unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidMoneyScale);
        assert_eq!(
            Currency::lookup("XXZ", None, "c").unwrap_err().code(),
            ErrorCode::UnknownCurrency
        );
    }
}
