//! Channel contribution: `contribution.share` (share of attributed value under any model),
//! `contribution.roas` (ROAS and CPA from channel costs) and `contribution.growth` (each
//! channel's part in the change of the total between two periods).

use crate::attribution::{channel_sum, decimal, field_sum, Attribution};
use crate::catalog::Params;
use crate::decimal::divide;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::money::{add_amount, read_amount, read_currency, split_units, Currency};
use crate::output::{Output, RowCounts};
use crate::registry::{Cut, Kpi};
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

/// The attribution of a segment without journeys: every channel of the taxonomy credited
/// nothing.
fn nothing_attributed(input: &Value, params: &Params) -> Result<(Currency, Attribution)> {
    let record = Record::new(input, "input", &["channels", "currency", "journeys"])?;
    let taxonomy = crate::channel::Taxonomy::read(&record, "channels")?;
    let code = record.text("currency")?;
    let currency = Currency::lookup(&code, None, &record.field_path("currency"))?;
    let value = currency.amount(Decimal::ZERO, "value")?;
    let conversions = Decimal::new(0, crate::attribution::CONVERSION_SCALE);
    let channels = taxonomy
        .channels()
        .iter()
        .map(|c| crate::attribution::ChannelCredit {
            channel: c.name.clone(),
            conversions,
            value,
            share: None,
        })
        .collect();
    let attribution = Attribution {
        model: crate::attribution::model_id(params.text("model"))?,
        currency: code,
        channels,
        total_conversions: conversions,
        total_value: value,
        journeys: crate::attribution::JourneyCounts {
            read: 0,
            converting: 0,
            unattributed: 0,
        },
        details: Vec::new(),
        intervals: None,
        rows: RowCounts::default(),
    };
    Ok((currency, attribution))
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

/// `contribution.share`: with `by`, the consolidation of the segments' shares.
pub(crate) struct ShareKpi;

impl Kpi for ShareKpi {
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output> {
        evaluate_share(input, params)
    }

    /// Per channel the segments' values summed, the total value summed, the shares recomputed.
    fn consolidate(&self, whole: &Output, segments: &[&Output]) -> Result<Output> {
        let values = channel_rows(whole)
            .iter()
            .map(|row| {
                let name = row.get("channel").cloned().unwrap_or(Output::Null);
                Ok((name, channel_sum(row, segments, "value")?))
            })
            .collect::<Result<Vec<_>>>()?;
        let total = field_sum(whole, segments, "total_value")?;
        Ok(consolidated(
            whole,
            &[
                ("channels", Output::List(share_rows(values, total))),
                ("total_value", total.into()),
            ],
        ))
    }
}

/// The rows of a result's `channels`.
fn channel_rows(result: &Output) -> &[Output] {
    match result.get("channels") {
        Some(Output::List(rows)) => rows,
        _ => &[],
    }
}

/// The whole's fields without its intervals (they stay in the segments), with `replaced`.
fn consolidated(whole: &Output, replaced: &[(&str, Output)]) -> Output {
    let Output::Record(fields) = whole else {
        return whole.clone();
    };
    Output::Record(
        fields
            .iter()
            .filter(|(name, _)| name != "intervals")
            .map(|(name, value)| {
                let value = replaced
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(value, |(_, v)| v);
                (name.clone(), value.clone())
            })
            .collect(),
    )
}

/// Each channel's value and its share of `total`: shares at six places summing exactly to one
/// (largest remainder), null with the reason `zero_denominator` when the total is zero.
fn share_rows(values: Vec<(Output, Decimal)>, total: Decimal) -> Vec<Output> {
    let weights: Vec<i128> = values.iter().map(|(_, v)| v.mantissa()).collect();
    let shares: Vec<Option<Decimal>> = match split_units(1_000_000, &weights) {
        Some(parts) if !total.is_zero() => parts
            .into_iter()
            .map(|(units, _)| Some(Decimal::new(i64::try_from(units).unwrap_or(0), RATIO_SCALE)))
            .collect(),
        _ => vec![None; values.len()],
    };
    values
        .into_iter()
        .zip(shares)
        .map(|((channel, value), share)| {
            Output::record([
                ("channel", channel),
                ("value", value.into()),
                ("share", share.into()),
                ("reason", reason(&share, "zero_denominator")),
            ])
        })
        .collect()
}

fn evaluate_share(input: &Value, params: &Params) -> Result<Output> {
    let (currency, attribution) = attribute(input, params)?;
    let (lines, total) = (&attribution.channels, attribution.total_value);
    let rows = Output::from(attribution.rows);
    let values = lines
        .iter()
        .map(|l| (Output::from(l.channel.as_str()), l.value))
        .collect();
    let channels = share_rows(values, total);
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

/// `contribution.roas`: with `by`, costs carry the dimensions and the result is the
/// consolidation of the segments.
pub(crate) struct RoasKpi;

impl Kpi for RoasKpi {
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output> {
        evaluate_roas(input, params, None)
    }

    /// The whole adds up a channel's costs of different segments; a segment with costs but no
    /// journeys (spend without result) has every channel's value and conversions zero.
    fn evaluate_cut(&self, input: &Value, params: &Params, cut: Cut) -> Result<Output> {
        evaluate_roas(input, params, Some(cut))
    }

    /// Per channel the segments' costs, values and conversions summed, ROAS and CPA recomputed.
    fn consolidate(&self, whole: &Output, segments: &[&Output]) -> Result<Output> {
        let minor = whole
            .get("overall")
            .and_then(|o| o.get("cost"))
            .and_then(decimal)
            .map_or(0, |cost| cost.scale());
        let mut sums = Totals::default();
        let mut channels = Vec::new();
        for row in channel_rows(whole) {
            let figure = |field| channel_sum(row, segments, field);
            let (cost, value, conversions) =
                (figure("cost")?, figure("value")?, figure("conversions")?);
            sums.add(cost, value, conversions)?;
            let mut fields = vec![(
                "channel".to_owned(),
                row.get("channel").cloned().unwrap_or(Output::Null),
            )];
            fields.extend(roas_line(minor, cost, value, conversions)?);
            channels.push(Output::Record(fields));
        }
        let overall = Output::Record(sums.line(minor)?);
        Ok(consolidated(
            whole,
            &[("channels", Output::List(channels)), ("overall", overall)],
        ))
    }
}

/// What a record repeating a key does: refused (`duplicate_key`), or added to the first one
/// (the whole of a segmented input, where each segment gives the key once).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeats {
    Refused,
    Added,
}

/// Costs, values and conversions added up over channels.
#[derive(Default)]
struct Totals {
    cost: Decimal,
    value: Decimal,
    conversions: Decimal,
}

impl Totals {
    fn add(&mut self, cost: Decimal, value: Decimal, conversions: Decimal) -> Result<()> {
        self.cost = add_amount(self.cost, cost)?;
        self.value = add_amount(self.value, value)?;
        self.conversions = add_amount(self.conversions, conversions)?;
        Ok(())
    }

    fn line(&self, minor: u32) -> Result<Vec<(String, Output)>> {
        roas_line(minor, self.cost, self.value, self.conversions)
    }
}

/// One ROAS line: cost, value, conversions, ROAS = value / cost and CPA = cost / conversions
/// (at the currency's `minor` units), each ratio null with its reason when undefined.
fn roas_line(
    minor: u32,
    cost: Decimal,
    value: Decimal,
    conversions: Decimal,
) -> Result<Vec<(String, Output)>> {
    let roas = divide(value, cost, RATIO_SCALE)?;
    let cpa = divide(cost, conversions, minor)?;
    Ok(vec![
        ("cost".into(), cost.into()),
        ("value".into(), value.into()),
        ("conversions".into(), conversions.into()),
        ("roas".into(), roas.into()),
        ("roas_reason".into(), reason(&roas, "zero_cost")),
        ("cpa".into(), cpa.into()),
        ("cpa_reason".into(), reason(&cpa, "zero_conversions")),
    ])
}

/// Each channel's cost from `costs` (none for a channel without one).
fn read_costs(
    costs_list: Vec<(String, &Value)>,
    lines: &[crate::attribution::ChannelCredit],
    currency: &Currency,
    repeats: Repeats,
) -> Result<Vec<Option<Decimal>>> {
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
        let cost = read_amount(&r, "cost", currency, false)?;
        match costs.get_mut(slot) {
            Some(Some(_)) if repeats == Repeats::Refused => {
                return Err(KpiError::at(
                    ErrorCode::DuplicateKey,
                    &r.field_path("channel"),
                    format!("costs channel `{name}` twice"),
                ))
            }
            Some(Some(first)) => *first = add_amount(*first, cost)?,
            Some(slot) => *slot = Some(cost),
            None => {}
        }
    }
    Ok(costs)
}

/// ROAS unsegmented (`cut` none) or on one part of an input cut by `by`.
fn evaluate_roas(input: &Value, params: &Params, cut: Option<Cut>) -> Result<Output> {
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
    let spend_only =
        cut == Some(Cut::Segment) && !costs_list.is_empty() && record.list("journeys")?.is_empty();
    let (currency, attribution) = if spend_only {
        nothing_attributed(&journeys_only, params)?
    } else {
        attribute(&journeys_only, params)?
    };
    let repeats = match cut {
        Some(Cut::Whole) => Repeats::Added,
        _ => Repeats::Refused,
    };
    let (lines, rows) = (&attribution.channels, Output::from(attribution.rows));
    let costs = read_costs(costs_list, lines, &currency, repeats)?;
    let (zero, minor) = (
        currency.amount(Decimal::ZERO, "cost")?,
        currency.minor_units(),
    );
    let mut channels = Vec::new();
    let mut totals = Totals {
        cost: zero,
        ..Totals::default()
    };
    for (l, cost) in lines.iter().zip(&costs) {
        let cost = cost.unwrap_or(zero);
        totals.add(cost, l.value, l.conversions)?;
        let mut fields = vec![("channel".to_owned(), Output::from(l.channel.as_str()))];
        fields.extend(roas_line(minor, cost, l.value, l.conversions)?);
        channels.push(Output::Record(fields));
    }
    let mut fields = vec![
        ("model".to_owned(), params.text("model").into()),
        ("currency".to_owned(), currency.code().into()),
        ("channels".to_owned(), Output::List(channels)),
        ("overall".to_owned(), Output::Record(totals.line(minor)?)),
    ];
    if let Some(intervals) = &attribution.intervals {
        let bounds = intervals
            .channels
            .iter()
            .zip(&costs)
            .map(|(c, cost)| {
                let cost = cost.unwrap_or(zero);
                let (value_low, value_high) = c.value;
                let (conv_low, conv_high) = c.conversions;
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

/// `contribution.growth`: with `by`, the whole adds up a channel's rows of different segments.
pub(crate) struct GrowthKpi;

impl Kpi for GrowthKpi {
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output> {
        evaluate_growth(input, params, Repeats::Refused)
    }

    fn evaluate_cut(&self, input: &Value, params: &Params, cut: Cut) -> Result<Output> {
        let repeats = match cut {
            Cut::Whole => Repeats::Added,
            Cut::Segment => Repeats::Refused,
        };
        evaluate_growth(input, params, repeats)
    }
}

fn evaluate_growth(input: &Value, params: &Params, repeats: Repeats) -> Result<Output> {
    let record = Record::new(input, "input", &["currency", "channels"])?;
    let currency = read_currency(&record, params)?;
    let zero = currency.amount(Decimal::ZERO, "amount")?;
    let mut lines: Vec<(String, Decimal, Decimal)> = Vec::new();
    let rows = record.non_empty_list("channels")?;
    for (path, v) in &rows {
        let r = Record::new(v, path, &["channel", "previous", "current"])?;
        let name = r.text("channel")?;
        let seen = lines.iter().position(|(c, _, _)| *c == name);
        if seen.is_some() && repeats == Repeats::Refused {
            return Err(KpiError::at(
                ErrorCode::DuplicateKey,
                &r.field_path("channel"),
                format!("repeats channel `{name}`"),
            ));
        }
        let previous = read_amount(&r, "previous", &currency, false)?;
        let current = read_amount(&r, "current", &currency, false)?;
        match seen.and_then(|i| lines.get_mut(i)) {
            Some((_, p, c)) => {
                *p = add_amount(*p, previous)?;
                *c = add_amount(*c, current)?;
            }
            None => lines.push((name, previous, current)),
        }
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
