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
    let name = row.get("channel").cloned().unwrap_or(Output::Null);
    let of = |segment: &Output, field: &str| {
        let Some(Output::List(rows)) = segment.get("channels") else {
            return None;
        };
        rows.iter()
            .find(|r| r.get("channel") == Some(&name))
            .and_then(|r| r.get(field))
            .and_then(decimal)
    };
    let sum = |field: &str| -> Result<Decimal> {
        let start = row.get(field).and_then(decimal).map_or(Decimal::ZERO, |d| {
            let mut zero = Decimal::ZERO;
            zero.rescale(d.scale());
            zero
        });
        segments
            .iter()
            .filter_map(|s| of(s, field))
            .try_fold(start, |acc, d| {
                acc.checked_add(d)
                    .ok_or_else(|| KpiError::overflow("consolidating segments"))
            })
    };
    let conversions = sum("conversions")?;
    let share = match total {
        Some(t) => divide(conversions, t, CONVERSION_SCALE)?,
        None => None,
    };
    Ok(Output::record([
        ("channel", name.clone()),
        ("conversions", conversions.into()),
        ("value", sum("value")?.into()),
        ("share", share.into()),
    ]))
}

fn decimal(value: &Output) -> Option<Decimal> {
    match value {
        Output::Decimal(d) => Some(*d),
        _ => None,
    }
}
