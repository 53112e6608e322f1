//! The consolidation of attribution segments: what a model's result is with `by`.

use super::CONVERSION_SCALE;
use crate::decimal::divide;
use crate::error::{KpiError, Result};
use crate::output::Output;
use rust_decimal::Decimal;

/// The fields a consolidated result keeps from the whole; what only a model reports (removal
/// effects, positions, intervals) stays in each segment.
const KEPT: [&str; 6] = [
    "model", "currency", "channels", "totals", "journeys", "rows",
];

/// The result of a model over all journeys made of its `segments` (each computed on its own
/// journeys): per channel, conversions and value summed, so they add up exactly over the
/// segments; the share recomputed from the summed conversions; the other counts from `whole`,
/// which they equal. `whole` gives the channels' order.
///
/// # Errors
/// `arithmetic_overflow` when a sum leaves the decimal range.
pub(crate) fn consolidate(whole: &Output, segments: &[&Output]) -> Result<Output> {
    let Output::Record(fields) = whole else {
        return Err(KpiError::internal(
            "an attribution result that is not a record",
        ));
    };
    let total = whole
        .get("totals")
        .and_then(|t| t.get("conversions"))
        .and_then(decimal);
    let mut kept = Vec::with_capacity(KEPT.len());
    for (name, value) in fields {
        if !KEPT.contains(&name.as_str()) {
            continue;
        }
        let value = match (name.as_str(), value) {
            ("channels", Output::List(rows)) => Output::List(
                rows.iter()
                    .map(|row| channel(row, segments, total))
                    .collect::<Result<_>>()?,
            ),
            _ => value.clone(),
        };
        kept.push((name.clone(), value));
    }
    Ok(Output::Record(kept))
}

/// One channel's row with the segments' conversions and value summed.
fn channel(row: &Output, segments: &[&Output], total: Option<Decimal>) -> Result<Output> {
    let conversions = channel_sum(row, segments, "conversions")?;
    let share = match total {
        Some(t) => divide(conversions, t, CONVERSION_SCALE)?,
        None => None,
    };
    Ok(Output::record([
        (
            "channel",
            row.get("channel").cloned().unwrap_or(Output::Null),
        ),
        ("conversions", conversions.into()),
        ("value", channel_sum(row, segments, "value")?.into()),
        ("share", share.into()),
    ]))
}

/// The sum over `segments` of `field` in their row of the channel of `row` (a row of the
/// whole's `channels`), at the scale of `row`'s own figure; segments without the channel add
/// nothing.
///
/// # Errors
/// `arithmetic_overflow` when the sum leaves the decimal range.
pub(crate) fn channel_sum(row: &Output, segments: &[&Output], field: &str) -> Result<Decimal> {
    let name = row.get("channel");
    let of = |segment: &Output| {
        let Some(Output::List(rows)) = segment.get("channels") else {
            return None;
        };
        rows.iter()
            .find(|r| r.get("channel") == name)
            .and_then(|r| r.get(field))
            .and_then(decimal)
    };
    sum(row.get(field), segments.iter().filter_map(|s| of(s)))
}

/// The sum over `segments` of their own field `field`, at the scale of `whole`'s.
///
/// # Errors
/// `arithmetic_overflow` when the sum leaves the decimal range.
pub(crate) fn field_sum(whole: &Output, segments: &[&Output], field: &str) -> Result<Decimal> {
    sum(
        whole.get(field),
        segments
            .iter()
            .filter_map(|s| s.get(field).and_then(decimal)),
    )
}

/// `figures` added up from a zero at the scale of `like`.
fn sum(like: Option<&Output>, mut figures: impl Iterator<Item = Decimal>) -> Result<Decimal> {
    let mut zero = Decimal::ZERO;
    if let Some(d) = like.and_then(decimal) {
        zero.rescale(d.scale());
    }
    figures.try_fold(zero, |acc, d| {
        acc.checked_add(d)
            .ok_or_else(|| KpiError::overflow("consolidating segments"))
    })
}

/// The decimal of a figure, if it is one.
pub(crate) fn decimal(value: &Output) -> Option<Decimal> {
    match value {
        Output::Decimal(d) => Some(*d),
        _ => None,
    }
}
