//! Several models side by side: each model's result and one table, one column per model.

use super::{run_models, short_name, Attribution, ChannelCredit, JourneyBatch};
use crate::error::{KpiError, Result};
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;

/// Several models run in one pass: each model's full result, and a side-by-side table.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// One result per model, in the order asked.
    pub results: Vec<Attribution>,
    /// `{currency, conversions_by_model, value_by_model, total_conversions, total_value, rows}`:
    /// one row per channel, one column per model (its short name).
    pub table: Output,
}

/// Runs the models `specs` (`(kpi id, params)`, params null for the defaults) in one pass over
/// the journeys of `input` (the attribution KPIs' input shape), with an optional lookback window.
///
/// # Example
/// ```
/// use serde_json::{json, Value};
/// let input = json!({"channels": [{"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}],
///     "currency": "EUR", "journeys": [{"touches": [{"channel": "web", "timestamp": 0},
///     {"channel": "store", "timestamp": 5}], "conversions": 1, "value": "10.00"}]});
/// let specs = vec![("attribution.first_touch".to_owned(), Value::Null), ("attribution.linear".to_owned(), Value::Null)];
/// let c = omnikpi::attribution::compare(&input, &specs, None).unwrap();
/// let table = c.table.to_json();
/// assert_eq!(table["value_by_model"][0]["first_touch"], "10.00");
/// assert_eq!(table["value_by_model"][0]["linear"], "5.00");
/// ```
///
/// # Errors
/// Input errors of the journeys, parameter errors of each model (named by `params.<model>`),
/// and the models' own errors.
pub fn compare(
    input: &Value,
    specs: &[(String, Value)],
    lookback_seconds: Option<i64>,
) -> Result<Comparison> {
    let (taxonomy, currency, batch) = JourneyBatch::read(input, None, false)?;
    let results = run_models(&taxonomy, &currency, &batch, specs, lookback_seconds)?;
    Comparison::from_results(results, currency.code(), batch.len())
}

impl Comparison {
    /// The side-by-side table of `results` (one per model, same taxonomy) over `journeys`
    /// journeys.
    ///
    /// # Errors
    /// `internal_error` for results whose channels differ (not from one accumulator).
    pub fn from_results(
        results: Vec<Attribution>,
        currency: &str,
        journeys: usize,
    ) -> Result<Self> {
        let first = results.first();
        let channels: Vec<&str> = first
            .map(|r| r.channels.iter().map(|c| c.channel.as_str()).collect())
            .unwrap_or_default();
        if results.iter().any(|r| {
            !r.channels
                .iter()
                .map(|c| c.channel.as_str())
                .eq(channels.iter().copied())
        }) {
            return Err(KpiError::internal(
                "models compared over different channels",
            ));
        }
        let column = |cell: fn(&ChannelCredit) -> Decimal| -> Output {
            let rows = channels.iter().enumerate().map(|(i, name)| {
                let mut row = vec![("channel".to_owned(), Output::from(*name))];
                for r in &results {
                    let value = r.channels.get(i).map(cell);
                    row.push((short_name(r.model).to_owned(), value.into()));
                }
                Output::Record(row)
            });
            Output::List(rows.collect())
        };
        let mut fields = vec![
            ("currency".to_owned(), currency.into()),
            ("conversions_by_model".to_owned(), column(|c| c.conversions)),
            ("value_by_model".to_owned(), column(|c| c.value)),
        ];
        if results.iter().any(|r| r.intervals.is_some()) {
            fields.push(("value_intervals_by_model".to_owned(), bounds(&results)));
        }
        fields.extend([
            (
                "total_conversions".to_owned(),
                first.map(|r| r.total_conversions).into(),
            ),
            (
                "total_value".to_owned(),
                first.map(|r| r.total_value).into(),
            ),
            ("rows".to_owned(), RowCounts::all_used(journeys).into()),
        ]);
        let table = Output::Record(fields);
        Ok(Comparison { results, table })
    }
}

/// One row per channel, one column per model: the value's interval as `low – high` text (empty
/// for a model run without intervals).
fn bounds(results: &[Attribution]) -> Output {
    let rows = results
        .first()
        .map(|r| r.channels.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, channel)| {
            let mut row = vec![("channel".to_owned(), Output::from(channel.channel.as_str()))];
            for r in results {
                let text = r
                    .intervals
                    .as_ref()
                    .and_then(|iv| iv.channels.get(i))
                    .map(|c| format!("{} – {}", c.value.0, c.value.1))
                    .unwrap_or_default();
                row.push((short_name(r.model).to_owned(), text.as_str().into()));
            }
            Output::Record(row)
        });
    Output::List(rows.collect())
}
