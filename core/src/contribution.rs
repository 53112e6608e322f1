//! Channel contribution: `contribution.share` (share of attributed value under any model),
//! `contribution.roas` (ROAS and CPA from channel costs) and `contribution.growth` (each
//! channel's part in the change of the total between two periods).

use crate::attribution::Attribution;
use crate::catalog::Params;
use crate::decimal::divide;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::money::{add_amount, read_amount, read_currency, split_units, Currency};
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;

/// Scale of every ratio here.
const RATIO_SCALE: u32 = 6;

/// Runs the attribution model named by `params.model` on the journeys of `input` (the
/// attribution input shape, strictly).
fn attribute(input: &Value, params: &Params) -> Result<(Currency, Attribution)> {
    let (taxonomy, currency, batch) = crate::attribution::JourneyBatch::read(
        input,
        None,
        params.boolean("intervals") == Some(true),
    )?;
    let id = crate::attribution::model_id(params.text("model"))?;
    let results = crate::attribution::run_models(
        &taxonomy,
        &currency,
        &batch,
        &[(id.to_owned(), interval_params(params))],
        params.integer("lookback_seconds"),
    )?;
    let result = results
        .into_iter()
        .next()
        .ok_or_else(|| KpiError::internal("a run of one model without its result"))?;
    Ok((currency, result))
}

/// The model's parameters for the intervals the contribution KPI asks for (its own
/// `intervals`, `replicates`, `confidence` and `seed`), null without.
fn interval_params(params: &Params) -> Value {
    if params.boolean("intervals") != Some(true) {
        return Value::Null;
    }
    serde_json::json!({
        "intervals": true,
        "replicates": params.integer("replicates"),
        "confidence": params.decimal("confidence").map(|c| c.to_string()),
        "seed": params.integer("seed"),
    })
}

/// A pair of optional bounds as two outputs.
fn bound_pair(bounds: Option<(Decimal, Decimal)>) -> (Output, Output) {
    bounds.map_or((Output::Null, Output::Null), |(low, high)| {
        (low.into(), high.into())
    })
}

fn reason(value: &Option<Decimal>, why: &str) -> Output {
    value.map_or(Output::from(why), |_| Output::Null)
}

pub(crate) fn evaluate_share(input: &Value, params: &Params) -> Result<Output> {
    let (currency, attribution) = attribute(input, params)?;
    let (lines, total) = (&attribution.channels, attribution.total_value);
    let rows = Output::from(attribution.rows);
    let weights: Vec<i128> = lines.iter().map(|l| l.value.mantissa()).collect();
    let shares: Vec<Option<Decimal>> = match split_units(1_000_000, &weights) {
        Some(parts) if !total.is_zero() => parts
            .into_iter()
            .map(|(units, _)| Some(Decimal::new(i64::try_from(units).unwrap_or(0), RATIO_SCALE)))
            .collect(),
        _ => vec![None; lines.len()],
    };
    let channels = lines
        .iter()
        .zip(&shares)
        .map(|(l, share)| {
            Output::record([
                ("channel", l.channel.as_str().into()),
                ("value", l.value.into()),
                ("share", (*share).into()),
                ("reason", reason(share, "zero_denominator")),
            ])
        })
        .collect();
    let mut fields = vec![
        ("model".to_owned(), params.text("model").into()),
        ("currency".to_owned(), currency.code().into()),
        ("channels".to_owned(), Output::List(channels)),
        ("total_value".to_owned(), total.into()),
    ];
    if let Some(intervals) = &attribution.intervals {
        let bounds = intervals
            .channels
            .iter()
            .map(|c| {
                let (share_low, share_high) = bound_pair(c.value_share);
                Output::record([
                    ("channel", c.channel.as_str().into()),
                    ("value_low", c.value.0.into()),
                    ("value_high", c.value.1.into()),
                    ("share_low", share_low),
                    ("share_high", share_high),
                ])
            })
            .collect();
        fields.push(("intervals".to_owned(), intervals.output_with(bounds)));
    }
    fields.push(("rows".to_owned(), rows));
    Ok(Output::Record(fields))
}

pub(crate) fn evaluate_roas(input: &Value, params: &Params) -> Result<Output> {
    let record = Record::new(
        input,
        "input",
        &["channels", "currency", "journeys", "costs"],
    )?;
    let costs_list = record.list("costs")?;
    let mut journeys_only = input.clone();
    if let Value::Object(map) = &mut journeys_only {
        map.remove("costs");
    }
    let (currency, attribution) = attribute(&journeys_only, params)?;
    let (lines, rows) = (&attribution.channels, Output::from(attribution.rows));
    let mut costs: Vec<Option<Decimal>> = vec![None; lines.len()];
    for (path, v) in costs_list {
        let r = Record::new(v, &path, &["channel", "cost"])?;
        let name = r.text("channel")?;
        let slot = lines
            .iter()
            .position(|l| l.channel == name && l.channel != crate::attribution::NONE_CHANNEL)
            .ok_or_else(|| {
                KpiError::at(
                    ErrorCode::UnknownChannel,
                    &r.field_path("channel"),
                    format!("names channel `{name}`, which the taxonomy does not declare"),
                )
            })?;
        let cost = read_amount(&r, "cost", &currency, false)?;
        match costs.get_mut(slot) {
            Some(Some(_)) => {
                return Err(KpiError::at(
                    ErrorCode::DuplicateKey,
                    &r.field_path("channel"),
                    format!("costs channel `{name}` twice"),
                ))
            }
            Some(slot) => *slot = Some(cost),
            None => {}
        }
    }
    let zero = currency.amount(Decimal::ZERO, "cost")?;
    let line =
        |cost: Decimal, value: Decimal, conversions: Decimal| -> Result<Vec<(String, Output)>> {
            let roas = divide(value, cost, RATIO_SCALE)?;
            let cpa = divide(cost, conversions, currency.minor_units())?;
            Ok(vec![
                ("cost".into(), cost.into()),
                ("value".into(), value.into()),
                ("conversions".into(), conversions.into()),
                ("roas".into(), roas.into()),
                ("roas_reason".into(), reason(&roas, "zero_cost")),
                ("cpa".into(), cpa.into()),
                ("cpa_reason".into(), reason(&cpa, "zero_conversions")),
            ])
        };
    let mut channels = Vec::new();
    let (mut total_cost, mut total_value, mut total_conv) = (zero, Decimal::ZERO, Decimal::ZERO);
    for (l, cost) in lines.iter().zip(&costs) {
        let cost = cost.unwrap_or(zero);
        total_cost = add_amount(total_cost, cost)?;
        total_value = add_amount(total_value, l.value)?;
        total_conv = add_amount(total_conv, l.conversions)?;
        let mut fields = vec![("channel".to_owned(), Output::from(l.channel.as_str()))];
        fields.extend(line(cost, l.value, l.conversions)?);
        channels.push(Output::Record(fields));
    }
    let mut fields = vec![
        ("model".to_owned(), params.text("model").into()),
        ("currency".to_owned(), currency.code().into()),
        ("channels".to_owned(), Output::List(channels)),
        (
            "overall".to_owned(),
            Output::Record(line(total_cost, total_value, total_conv)?),
        ),
    ];
    if let Some(intervals) = &attribution.intervals {
        let zero = currency.amount(Decimal::ZERO, "cost")?;
        let bounds = intervals
            .channels
            .iter()
            .zip(&costs)
            .map(|(c, cost)| {
                let cost = cost.unwrap_or(zero);
                let (value_low, value_high) = c.value;
                let (conv_low, conv_high) = c.conversions;
                let minor = currency.minor_units();
                Ok(Output::record([
                    ("channel", c.channel.as_str().into()),
                    ("value_low", value_low.into()),
                    ("value_high", value_high.into()),
                    ("roas_low", divide(value_low, cost, RATIO_SCALE)?.into()),
                    ("roas_high", divide(value_high, cost, RATIO_SCALE)?.into()),
                    ("cpa_low", divide(cost, conv_high, minor)?.into()),
                    ("cpa_high", divide(cost, conv_low, minor)?.into()),
                ]))
            })
            .collect::<Result<Vec<_>>>()?;
        fields.push(("intervals".to_owned(), intervals.output_with(bounds)));
    }
    fields.push(("rows".to_owned(), rows));
    Ok(Output::Record(fields))
}

pub(crate) fn evaluate_growth(input: &Value, params: &Params) -> Result<Output> {
    let record = Record::new(input, "input", &["currency", "channels"])?;
    let currency = read_currency(&record, params)?;
    let zero = currency.amount(Decimal::ZERO, "amount")?;
    let mut lines: Vec<(String, Decimal, Decimal)> = Vec::new();
    let rows = record.non_empty_list("channels")?;
    for (path, v) in &rows {
        let r = Record::new(v, path, &["channel", "previous", "current"])?;
        let name = r.text("channel")?;
        if lines.iter().any(|(c, _, _)| *c == name) {
            return Err(KpiError::at(
                ErrorCode::DuplicateKey,
                &r.field_path("channel"),
                format!("repeats channel `{name}`"),
            ));
        }
        lines.push((
            name,
            read_amount(&r, "previous", &currency, false)?,
            read_amount(&r, "current", &currency, false)?,
        ));
    }
    let (mut previous, mut current) = (zero, zero);
    for (_, p, c) in &lines {
        previous = add_amount(previous, *p)?;
        current = add_amount(current, *c)?;
    }
    let overflow = || KpiError::overflow("a change");
    let total_change = current.checked_sub(previous).ok_or_else(overflow)?;
    let total_growth = divide(total_change, previous, RATIO_SCALE)?;
    let channels = lines
        .iter()
        .map(|(name, p, c)| {
            let change = c.checked_sub(*p).ok_or_else(overflow)?;
            let status = if p.is_zero() && !c.is_zero() {
                "new"
            } else if c.is_zero() && !p.is_zero() {
                "vanished"
            } else {
                "continuing"
            };
            let growth = divide(change, *p, RATIO_SCALE)?;
            let contribution = divide(change, previous, RATIO_SCALE)?;
            let share = divide(change, total_change, RATIO_SCALE)?;
            Ok(Output::record([
                ("channel", name.as_str().into()),
                ("previous", (*p).into()),
                ("current", (*c).into()),
                ("change", change.into()),
                ("status", status.into()),
                ("growth", growth.into()),
                (
                    "growth_reason",
                    reason(
                        &growth,
                        if status == "new" {
                            "new_channel"
                        } else {
                            "zero_denominator"
                        },
                    ),
                ),
                ("contribution", contribution.into()),
                ("share_of_change", share.into()),
                ("share_reason", reason(&share, "zero_denominator")),
            ]))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Output::record([
        ("currency", currency.code().into()),
        (
            "total",
            Output::record([
                ("previous", previous.into()),
                ("current", current.into()),
                ("change", total_change.into()),
                ("growth", total_growth.into()),
                ("growth_reason", reason(&total_growth, "zero_denominator")),
            ]),
        ),
        ("channels", Output::List(channels)),
        ("rows", RowCounts::all_used(rows.len()).into()),
    ]))
}
