//! Multi-touch attribution: every model as an accumulator (`update`, `merge`, `finish`, with a
//! serializable state) over columnar journey batches.
//!
//! Exactness: each journey's credit is a set of integer weights; its share of 1 is split at
//! 10^-12 by largest remainder and the conversions and value it carries accumulate as integers,
//! so merging is associative and results cannot depend on partitioning. `finish` quantizes each
//! column once (conversions at 6 places, value at the currency's minor unit) by largest
//! remainder, so channels plus `(none)` sum exactly to the totals.

mod accumulator;
mod bootstrap;
mod chain;
mod comparison;
mod consolidation;
mod credit;
mod ids;
mod journey;
mod long;
mod markov;
mod model;
mod order;
mod request;
mod result;
mod shapley;
mod state;

pub use accumulator::Accumulator;
pub use bootstrap::Bootstrap;
pub use comparison::{compare, Comparison};
pub(crate) use consolidation::{channel_sum, consolidate, decimal, field_sum};
use credit::Credit;
pub use ids::JourneyIds;
pub use journey::{JourneyBatch, Touch};
pub use long::{JourneyKey, LongBuilder, Outcome, OutcomeRows};
pub use model::{model_id, model_ids, short_name, Model};
pub(crate) use order::evaluate as evaluate_markov_order;
pub use request::{Parts, Read, Request};
pub use result::{Attribution, ChannelCredit, ChannelInterval, Intervals, JourneyCounts};

use crate::catalog::Params;
use crate::channel::Taxonomy;
use crate::error::{KpiError, Result};
use crate::money::Currency;
use crate::output::Output;
use serde_json::Value;

/// Units of a journey's share of 1 (10^12).
const SHARE_UNITS: i128 = 1_000_000_000_000;
/// Scale of attributed conversions.
pub const CONVERSION_SCALE: u32 = 6;
/// Touches a journey may have unless the `max_touches` parameter says otherwise: the default
/// declared in `spec/kpis/attribution.*.json` (read from the embedded catalogue, never restated
/// here). Longer journeys are refused with `limit_exceeded` (real journeys have tens of touches;
/// millions are a data bug, and `shapley.ordered` reports one cell per position).
///
/// ```
/// assert_eq!(omnikpi::attribution::default_max_touches(), 10_000);
/// ```
pub fn default_max_touches() -> usize {
    static DEFAULT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *DEFAULT.get_or_init(|| {
        crate::catalog::definition("attribution.linear")
            .and_then(|d| Params::resolve(d, &Value::Null))
            .ok()
            .and_then(|p| p.integer("max_touches"))
            .and_then(|n| usize::try_from(n).ok())
            // no default in the spec: every journey is refused, loudly, by every test
            .unwrap_or(0)
    })
}
/// `a + b` for counts that may come from loaded states: overflow is an error, never a wrap.
fn add_u64(a: u64, b: u64, what: &str) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| KpiError::overflow(what))
}

/// `a + b` for credit sums: overflow is an error.
fn add_i128(a: i128, b: i128, what: &str) -> Result<i128> {
    a.checked_add(b).ok_or_else(|| KpiError::overflow(what))
}

/// Label of the line that receives conversions with no touch left in the lookback window.
pub const NONE_CHANNEL: &str = "(none)";

/// The `max_touches` parameter (its spec default when absent).
fn max_touches(params: &Params) -> usize {
    params
        .integer("max_touches")
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_else(default_max_touches)
}

/// The intervals a model's parameters ask for (`intervals`, `replicates`, `seed`,
/// `confidence`): `None` without `intervals`.
fn interval_params(params: &Params) -> Result<Option<(Bootstrap, rust_decimal::Decimal)>> {
    if params.boolean("intervals") != Some(true) {
        return Ok(None);
    }
    let count = |name: &str| -> Result<u64> {
        Ok(u64::try_from(crate::catalog::spec_value(params.integer(name), name)?).unwrap_or(0))
    };
    let bootstrap = Bootstrap {
        replicates: u32::try_from(count("replicates")?).unwrap_or(0),
        seed: count("seed")?,
    };
    let confidence = crate::catalog::spec_value(params.decimal("confidence"), "confidence")?;
    Ok(Some((bootstrap, confidence)))
}

/// Evaluates one attribution KPI on the JSON input.
pub(crate) fn evaluate(kpi_id: &str, input: &Value, params: &Params) -> Result<Output> {
    let minor = params
        .integer("minor_units")
        .and_then(|m| u32::try_from(m).ok());
    let intervals = interval_params(params)?;
    let (taxonomy, currency, batch) = JourneyBatch::read(input, minor, intervals.is_some())?;
    let model = Model::from_params(kpi_id, params)?;
    let mut acc = Accumulator::new(
        &taxonomy,
        &currency,
        vec![model],
        params.integer("lookback_seconds"),
    )
    .with_max_touches(max_touches(params));
    if let Some((bootstrap, confidence)) = intervals {
        acc = acc.with_intervals(bootstrap, vec![Some(confidence)])?;
    }
    acc.update(&batch)?;
    acc.finish()?
        .first()
        .map(Attribution::to_output)
        .ok_or_else(|| KpiError::internal("an accumulator of one model without its result"))
}

/// Runs the models `specs` (`(kpi id, params)`) in one pass over a validated `batch`, on every
/// available core (the result does not depend on it).
///
/// # Errors
/// `unknown_kpi`, parameter errors, and the models' own errors.
pub fn run_models(
    taxonomy: &Taxonomy,
    currency: &Currency,
    batch: &JourneyBatch,
    specs: &[(String, Value)],
    lookback_seconds: Option<i64>,
) -> Result<Vec<Attribution>> {
    let mut acc = Accumulator::for_specs(taxonomy, currency, specs, lookback_seconds)?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    acc.update_parallel(batch, threads)?;
    acc.finish()
}

/// Runs several models in one pass over `batch` (the Rust face of "compare models").
///
/// # Errors
/// As [`Accumulator::update`] and [`Accumulator::finish`].
pub fn attribute(
    taxonomy: &Taxonomy,
    currency: &Currency,
    batch: &JourneyBatch,
    models: Vec<Model>,
    lookback_seconds: Option<i64>,
) -> Result<Vec<Attribution>> {
    let mut acc = Accumulator::new(taxonomy, currency, models, lookback_seconds);
    acc.update(batch)?;
    acc.finish()
}
