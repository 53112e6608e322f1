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
use crate::error::{ErrorCode, KpiError, Result};
use crate::output::Output;
use crate::registry::{self, Partial, REGISTRY};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// KPIs with partial states through [`state`] and [`combine`], in catalogue order.
pub fn kpis() -> Vec<&'static str> {
    REGISTRY
        .iter()
        .filter(|e| e.partial().is_some())
        .map(|e| e.id)
        .collect()
}

/// The partial states of `kpi_id` and its resolved parameters.
fn partial_of(kpi_id: &str, params: &Value) -> Result<(&'static dyn Partial, Params)> {
    let entry = registry::find(kpi_id)?;
    let params = Params::resolve(crate::definition(kpi_id)?, params)?;
    if !crate::segment::dimensions(&params).is_empty() {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            "params.by",
            "is not taken by partial states yet: evaluate each segment's records, or the whole with `by`",
        ));
    }
    let partial = entry.partial().ok_or_else(|| {
        KpiError::new(
            ErrorCode::InvalidParameter,
            Some("kpi".to_owned()),
            format!(
                "`{kpi_id}` has no partial state here; those that have: {}",
                kpis().join(", ")
            ),
        )
    })?;
    Ok((partial, params))
}

/// The state of one part of the input of `kpi_id` (the same shape as [`crate::evaluate`]'s
/// input); `first_row` is the index of the part's first row in the whole input, for error paths.
///
/// # Errors
/// Everything [`crate::evaluate`] returns for that input, and `invalid_parameter` for a KPI
/// without partial states.
pub fn state(kpi_id: &str, input: &Value, params: &Value, first_row: usize) -> Result<Value> {
    let (partial, params) = partial_of(kpi_id, params)?;
    partial.state(input, &params, first_row)
}

/// Merges the states of all the parts, in order, and finishes the result: the same output as
/// [`crate::evaluate`] on the whole input.
///
/// # Errors
/// `empty_input` without states (and for `conversion.rate` without rows), `wrong_type` for a
/// malformed state, `invalid_parameter` for states of different funnels.
pub fn combine(kpi_id: &str, states: &[Value], params: &Value) -> Result<Output> {
    let (partial, params) = partial_of(kpi_id, params)?;
    partial.combine(states, &params)
}

/// The JSON of a state struct.
///
/// # Errors
/// `internal_error` if it cannot be written (state structs hold text, integers and lists, which
/// always can).
pub(crate) fn write_state(state: &impl Serialize) -> Result<Value> {
    serde_json::to_value(state).map_err(|e| KpiError::internal(&format!("state: {e}")))
}

/// The tag every conversion state starts with: which KPI wrote it, and in which version.
#[derive(Deserialize)]
struct Tag {
    kpi: Option<String>,
    version: Option<u64>,
}

/// Reads a state of `kpi` written in `version` (a state without a version is version 1).
///
/// # Errors
/// `wrong_type` at `state` for anything but such a state, with what failed;
/// `invalid_parameter` for a state of another version.
pub(crate) fn read_state<T: DeserializeOwned>(kpi: &str, version: u32, state: &Value) -> Result<T> {
    let tag = Tag::deserialize(state).map_err(|e| malformed(kpi, &e.to_string()))?;
    if tag.kpi.as_deref() != Some(kpi) {
        return Err(malformed(kpi, "its `kpi` names another KPI"));
    }
    if tag.version.unwrap_or(1) != u64::from(version) {
        return Err(KpiError::new(
            ErrorCode::InvalidParameter,
            Some("state".to_owned()),
            format!(
                "the state was written by another state version (this one reads version {version})"
            ),
        ));
    }
    T::deserialize(state).map_err(|e| malformed(kpi, &e.to_string()))
}

/// `wrong_type` at `state`: not a state of `kpi`, because of `what`.
pub(crate) fn malformed(kpi: &str, what: &str) -> KpiError {
    KpiError::at(
        ErrorCode::WrongType,
        "state",
        format!("is not a {kpi} state written by to_json(): {what}"),
    )
}
