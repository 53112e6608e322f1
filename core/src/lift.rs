//! `conversion.lift`: the conversion rate of a treatment group against a holdout control group.
//!
//! Every lift is a fraction of exact integers, `gap / denominator` with
//! `gap = c_t × o_c − c_c × o_t`, reported with its value at 6 places (half to even) and with the
//! integers themselves, so a rollup or a significance test can start from the exact figures.

use crate::catalog::Params;
use crate::conversion::{Ratio, RATE_SCALE};
use crate::decimal::{add_count, pow10};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::output::{Output, RowCounts};
use serde_json::Value;

/// The two arms of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    /// Exposed to the action whose effect is measured.
    Treatment,
    /// Held out from it.
    Control,
}

/// One input row: counts of one arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArmCount {
    /// The arm counted.
    pub arm: Arm,
    /// Units that could convert.
    pub opportunities: u64,
    /// Units that converted.
    pub conversions: u64,
}

/// Why a lift has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLift {
    /// The control group has no opportunities.
    NoControl,
    /// The treatment group has no opportunities.
    NoTreatment,
    /// The control group never converts (relative lift only).
    ZeroControlRate,
}

impl NoLift {
    /// The reason as the output writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            NoLift::NoControl => "no_control",
            NoLift::NoTreatment => "no_treatment",
            NoLift::ZeroControlRate => "zero_control_rate",
        }
    }
}

/// An exact fraction and its value at 6 places, or why it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    /// The exact numerator.
    pub numerator: i128,
    /// The exact denominator (zero when there is no value).
    pub denominator: i128,
    /// `numerator / denominator` rounded half to even at 6 places, or the reason for none.
    pub value: std::result::Result<rust_decimal::Decimal, NoLift>,
}

/// The lift of a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lift {
    /// Conversions over opportunities of the treatment group.
    pub treatment: Ratio,
    /// Conversions over opportunities of the control group.
    pub control: Ratio,
    /// `rate_t − rate_c`.
    pub absolute: Fraction,
    /// `(rate_t − rate_c) / rate_c`.
    pub relative: Fraction,
    /// `c_t − o_t × rate_c`.
    pub incremental: Fraction,
}

fn overflow() -> KpiError {
    KpiError::overflow("a lift's exact numerator or denominator")
}

fn product(a: u64, b: u64) -> Result<i128> {
    i128::from(a)
        .checked_mul(i128::from(b))
        .ok_or_else(overflow)
}

/// `numerator / denominator` at 6 places, half to even; `missing` when the denominator is zero.
fn fraction(numerator: i128, denominator: i128, missing: NoLift) -> Result<Fraction> {
    let value = if denominator == 0 {
        Err(missing)
    } else {
        let scaled = numerator
            .checked_mul(pow10(RATE_SCALE).ok_or_else(overflow)?)
            .ok_or_else(overflow)?;
        let units = crate::decimal::divide_integers(scaled, denominator).ok_or_else(overflow)?;
        Ok(
            rust_decimal::Decimal::try_from_i128_with_scale(units, RATE_SCALE)
                .map_err(|_| overflow())?,
        )
    };
    Ok(Fraction {
        numerator,
        denominator,
        value,
    })
}

/// The lift of the treatment over the control, arms summed over their rows.
///
/// # Example
/// ```
/// use omnikpi::lift::{lift, Arm, ArmCount};
/// let rows = [
///     ArmCount { arm: Arm::Treatment, opportunities: 10_000, conversions: 500 },
///     ArmCount { arm: Arm::Control, opportunities: 2_000, conversions: 80 },
/// ];
/// let l = lift(&rows).unwrap();
/// assert_eq!(l.absolute.value.unwrap().to_string(), "0.010000");
/// assert_eq!(l.relative.value.unwrap().to_string(), "0.250000");
/// assert_eq!(l.incremental.value.unwrap().to_string(), "100.000000");
/// ```
///
/// # Errors
/// `empty_input`, `conversions_exceed_opportunities` (naming the row), `arithmetic_overflow`.
pub fn lift(rows: &[ArmCount]) -> Result<Lift> {
    if rows.is_empty() {
        return Err(KpiError::at(
            ErrorCode::EmptyInput,
            "input.rows",
            "must not be empty",
        ));
    }
    let (mut t, mut c) = ((0u64, 0u64), (0u64, 0u64));
    for (i, row) in rows.iter().enumerate() {
        if row.conversions > row.opportunities {
            return Err(KpiError::at(
                ErrorCode::ConversionsExceedOpportunities,
                &format!("input.rows[{i}].conversions"),
                format!(
                    "({}) exceeds opportunities ({})",
                    row.conversions, row.opportunities
                ),
            ));
        }
        let sum = if row.arm == Arm::Treatment {
            &mut t
        } else {
            &mut c
        };
        sum.0 = add_count(sum.0, row.conversions, "conversions")?;
        sum.1 = add_count(sum.1, row.opportunities, "opportunities")?;
    }
    let ((ct, ot), (cc, oc)) = (t, c);
    let gap = product(ct, oc)?
        .checked_sub(product(cc, ot)?)
        .ok_or_else(overflow)?;
    let missing = if oc == 0 {
        NoLift::NoControl
    } else {
        NoLift::NoTreatment
    };
    let relative_missing = match (oc, ot) {
        (0, _) => NoLift::NoControl,
        (_, 0) => NoLift::NoTreatment,
        _ => NoLift::ZeroControlRate,
    };
    Ok(Lift {
        treatment: Ratio::new(ct, ot)?,
        control: Ratio::new(cc, oc)?,
        absolute: fraction(gap, product(ot, oc)?, missing)?,
        relative: fraction(gap, product(ot, cc)?, relative_missing)?,
        incremental: fraction(gap, i128::from(oc), NoLift::NoControl)?,
    })
}

fn read_rows(input: &Value) -> Result<Vec<ArmCount>> {
    let record = Record::new(input, "input", &["rows"])?;
    record
        .list("rows")?
        .into_iter()
        .map(|(path, v)| {
            let r = Record::new(v, &path, &["arm", "opportunities", "conversions"])?;
            let arm = match r.text("arm")?.as_str() {
                "treatment" => Arm::Treatment,
                "control" => Arm::Control,
                other => {
                    return Err(KpiError::at(
                        ErrorCode::WrongType,
                        &r.field_path("arm"),
                        format!("must be `treatment` or `control`, got `{other}`"),
                    ))
                }
            };
            Ok(ArmCount {
                arm,
                opportunities: r.count("opportunities")?,
                conversions: r.count("conversions")?,
            })
        })
        .collect()
}

impl Fraction {
    fn output(&self) -> Output {
        let (value, reason) = match self.value {
            Ok(v) => (Output::from(v), Output::Null),
            Err(why) => (Output::Null, Output::from(why.as_str())),
        };
        Output::record([
            ("value", value),
            ("numerator", Output::Text(self.numerator.to_string())),
            ("denominator", Output::Text(self.denominator.to_string())),
            ("reason", reason),
        ])
    }
}

pub(crate) fn evaluate(input: &Value, _params: &Params) -> Result<Output> {
    let rows = read_rows(input)?;
    let lift = lift(&rows)?;
    Ok(Output::record([
        (
            "treatment",
            Output::Record(lift.treatment.fields("conversions", "opportunities")),
        ),
        (
            "control",
            Output::Record(lift.control.fields("conversions", "opportunities")),
        ),
        ("absolute_lift", lift.absolute.output()),
        ("relative_lift", lift.relative.output()),
        ("incremental_conversions", lift.incremental.output()),
        ("rows", RowCounts::all_used(rows.len()).into()),
    ]))
}
