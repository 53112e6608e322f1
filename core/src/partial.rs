//! Partial states: a KPI computed over parts of its input (Spark partitions, files, threads),
//! each part reduced to a small state, the states merged and the result finished once. Merging
//! is exact, so the result equals the single pass over all the input, whatever the split.
//!
//! - `conversion.rate`: any split of the rows, states merged in the order of the parts
//!   ([`crate::conversion::RateState`]; order only decides the order of channels).
//! - `conversion.funnel`: a split by entity, every event of an entity in one part
//!   ([`crate::conversion::FunnelState`]).
//! - `attribution.*`: a split by journey ([`crate::attribution::Accumulator`], several models at
//!   once, read from Arrow tables by the bindings).
//!
//! ```
//! use serde_json::json;
//! let params = json!({});
//! let a = omnikpi::partial::state("conversion.rate",
//!     &json!({"rows": [{"channel": "web", "opportunities": 10, "conversions": 1}]}), &params, 0).unwrap();
//! let b = omnikpi::partial::state("conversion.rate",
//!     &json!({"rows": [{"channel": "web", "opportunities": 6, "conversions": 3}]}), &params, 1).unwrap();
//! let out = omnikpi::partial::combine("conversion.rate", &[a, b], &params).unwrap().to_json();
//! assert_eq!(out["overall"]["rate"], "0.250000");
//! assert_eq!(out["rows"]["read"], 2);
//! ```

use crate::catalog::Params;
use crate::conversion::{self, FunnelState, RateState};
use crate::error::{ErrorCode, KpiError, Result};
use crate::output::Output;
use serde_json::Value;

/// KPIs with partial states through [`state`] and [`combine`].
pub const KPIS: [&str; 2] = ["conversion.rate", "conversion.funnel"];

fn unsupported(kpi_id: &str) -> KpiError {
    KpiError::new(
        ErrorCode::InvalidParameter,
        Some("kpi".to_owned()),
        format!(
            "`{kpi_id}` has no partial state here; those that have: {}",
            KPIS.join(", ")
        ),
    )
}

/// The state of one part of the input of `kpi_id` (the same shape as [`crate::evaluate`]'s
/// input); `first_row` is the index of the part's first row in the whole input, for error paths.
///
/// # Errors
/// Everything [`crate::evaluate`] returns for that input, and `invalid_parameter` for a KPI
/// without partial states.
pub fn state(kpi_id: &str, input: &Value, params: &Value, first_row: usize) -> Result<Value> {
    let params = Params::resolve(crate::definition(kpi_id)?, params)?;
    match kpi_id {
        "conversion.rate" => {
            let mut state = RateState::default();
            state.update(&conversion::read_rate_rows(input)?, first_row)?;
            Ok(state.to_json())
        }
        "conversion.funnel" => {
            let (steps, events) = conversion::read_funnel_input(input)?;
            let mut state = FunnelState::new(&steps)?;
            state.update(&events, params.integer("window_seconds"))?;
            Ok(state.to_json())
        }
        other => Err(unsupported(other)),
    }
}

/// Merges the states of all the parts, in order, and finishes the result: the same output as
/// [`crate::evaluate`] on the whole input.
///
/// # Errors
/// `empty_input` without states (and for `conversion.rate` without rows), `wrong_type` for a
/// malformed state, `invalid_parameter` for states of different funnels.
pub fn combine(kpi_id: &str, states: &[Value], params: &Value) -> Result<Output> {
    let params = Params::resolve(crate::definition(kpi_id)?, params)?;
    let no_state = || KpiError::at(ErrorCode::EmptyInput, "states", "must not be empty");
    match kpi_id {
        "conversion.rate" => {
            let mut merged = RateState::default();
            for s in states {
                merged.merge(&RateState::from_json(s)?)?;
            }
            Ok(conversion::rate_output(
                &merged.finish(params.text("denominator"))?,
            ))
        }
        "conversion.funnel" => {
            let (first, rest) = states.split_first().ok_or_else(no_state)?;
            let mut merged = FunnelState::from_json(first)?;
            for s in rest {
                merged.merge(&FunnelState::from_json(s)?)?;
            }
            Ok(conversion::funnel_output(&merged.finish()?))
        }
        other => Err(unsupported(other)),
    }
}
