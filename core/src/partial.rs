//! Partial states: a KPI computed over parts of its input (Spark partitions, files, threads),
//! each part reduced to a small state, the states merged and the result finished once. Merging
//! is exact, so the result equals the single pass over all the input, whatever the split.
//!
//! - `conversion.rate`: any split of the rows, states merged in the order of the parts
//!   ([`crate::conversion::RateState`]; order only decides the order of channels). Parts
//!   without order between them (SQL) merge with [`merge_unordered`], channels in name order.
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
use crate::input::wrong_type;
use crate::output::Output;
use crate::registry::{self, Partial, REGISTRY};
use crate::segment;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// KPIs with partial states through [`state`] and [`combine`], in catalogue order.
pub fn kpis() -> Vec<&'static str> {
    REGISTRY
        .iter()
        .filter(|e| e.partial().is_some())
        .map(|e| e.id)
        .collect()
}

/// The partial states of `kpi_id`, its resolved parameters and the dimensions of `by`.
fn partial_of(kpi_id: &str, params: &Value) -> Result<(&'static dyn Partial, Params, Vec<String>)> {
    let entry = registry::find(kpi_id)?;
    let params = Params::resolve(crate::definition(kpi_id)?, params)?;
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
    let by = segment::dimensions(&params);
    Ok((partial, params, by))
}

/// The state of one part of the input of `kpi_id` (the same shape as [`crate::evaluate`]'s
/// input); `first_row` is the index of the part's first row in the whole input, for error paths.
/// With `by`, the state holds the whole part's state and one state per segment present in the
/// part: `{"by", "whole", "segments": [[key, state], ...]}`.
///
/// # Errors
/// Everything [`crate::evaluate`] returns for that input, and `invalid_parameter` for a KPI
/// without partial states.
pub fn state(kpi_id: &str, input: &Value, params: &Value, first_row: usize) -> Result<Value> {
    let (partial, params, by) = partial_of(kpi_id, params)?;
    if by.is_empty() {
        return partial.state(input, &params, first_row);
    }
    let definition = crate::definition(kpi_id)?;
    let Some(parts) = segment::split(definition, input, &params, &by)? else {
        return partial.state(input, &params, first_row); // the KPI names the wrong type
    };
    let whole = partial.state(&parts.whole, &params, first_row)?;
    let mut segments = Vec::with_capacity(parts.segments.len());
    for (key, input) in &parts.segments {
        let state = partial
            .state(input, &params, first_row)
            .map_err(|e| segment::in_segment(e, &by, key))?;
        segments.push(json!([key, state]));
    }
    Ok(json!({"by": by, "whole": whole, "segments": segments}))
}

/// Merges the states of all the parts, in order, and finishes the result: the same output as
/// [`crate::evaluate`] on the whole input. With `by`, each segment's states are merged in the
/// order of the parts that hold it.
///
/// # Errors
/// `empty_input` without states (and for `conversion.rate` without rows), `wrong_type` for a
/// malformed state, `invalid_parameter` for states of different funnels or cut by other
/// dimensions.
pub fn combine(kpi_id: &str, states: &[Value], params: &Value) -> Result<Output> {
    let (partial, params, by) = partial_of(kpi_id, params)?;
    if by.is_empty() {
        return partial.combine(states, &params);
    }
    let (wholes, keyed) = regrouped(states, &by)?;
    let whole = partial.combine(&wholes, &params)?;
    let mut results = Vec::with_capacity(keyed.len());
    for (key, states) in keyed {
        let result = partial
            .combine(&states, &params)
            .map_err(|e| segment::in_segment(e, &by, &key))?;
        results.push((key, result));
    }
    let entry = crate::registry::find(kpi_id)?;
    segment::assemble(entry, crate::definition(kpi_id)?, whole, results, &by)
}

/// The whole states of states written with `by`, and each segment's states, in the order of the
/// states that hold it.
///
/// # Errors
/// `wrong_type` at `states[i]` for a state not written with `by`.
fn regrouped(states: &[Value], by: &[String]) -> Result<(Vec<Value>, Regrouped)> {
    let mut wholes = Vec::with_capacity(states.len());
    let mut keyed = Regrouped::new();
    for (i, state) in states.iter().enumerate() {
        let (whole, segments) = segmented(state, by, &format!("states[{i}]"))?;
        wholes.push(whole.clone());
        for (key, state) in segments {
            keyed.entry(key).or_default().push(state.clone());
        }
    }
    Ok((wholes, keyed))
}

/// Each segment's states, by key.
type Regrouped = BTreeMap<Vec<String>, Vec<Value>>;

/// A segment's key and state, as a state written with `by` holds them.
type Keyed<'s> = Vec<(Vec<String>, &'s Value)>;

/// Whether the states of `kpi_id` merge without order ([`merge_unordered`]): the KPI's parts
/// may be any split of its rows, gathered in any order (`conversion.rate`; not
/// `conversion.funnel`, whose parts must hold whole entities).
///
/// ```
/// assert!(omnikpi::partial::merges_unordered("conversion.rate"));
/// assert!(!omnikpi::partial::merges_unordered("conversion.funnel"));
/// ```
pub fn merges_unordered(kpi_id: &str) -> bool {
    registry::find(kpi_id)
        .ok()
        .and_then(|entry| entry.partial())
        .is_some_and(|partial| matches!(partial.merge_unordered(&[]), Ok(Some(_))))
}

/// Merges the states of parts that have no order between them (the rows of a SQL table,
/// gathered by threads) into one state, which [`combine`] finishes. A list that would follow
/// the rows' order follows names instead (`conversion.rate`'s channels in byte order), so
/// neither the split nor the order of the states changes the result. With `by`, the segments'
/// states merge per segment. Merging no states gives the empty state.
///
/// ```
/// use serde_json::json;
/// let rows = |c: &str| json!({"rows": [{"channel": c, "opportunities": 4, "conversions": 1}]});
/// let state = |c: &str| omnikpi::partial::state("conversion.rate", &rows(c), &json!({}), 0).unwrap();
/// let merge = |states: &[serde_json::Value]| {
///     omnikpi::partial::merge_unordered("conversion.rate", states, &json!({})).unwrap()
/// };
/// let (web, store) = (state("web"), state("store"));
/// let one = merge(&[web.clone(), store.clone()]);
/// assert_eq!(one, merge(&[store, web]));
/// let out = omnikpi::partial::combine("conversion.rate", &[one], &json!({})).unwrap().to_json();
/// assert_eq!(out["by_channel"][0]["channel"], "store");
/// ```
///
/// # Errors
/// `invalid_parameter` for a KPI whose states do not merge without order, `wrong_type` for a
/// malformed state, `value_out_of_range` when a total no longer fits.
pub fn merge_unordered(kpi_id: &str, states: &[Value], params: &Value) -> Result<Value> {
    let (partial, _, by) = partial_of(kpi_id, params)?;
    let merge = |states: &[Value]| {
        partial.merge_unordered(states)?.ok_or_else(|| {
            KpiError::new(
                ErrorCode::InvalidParameter,
                Some("kpi".to_owned()),
                format!("the states of `{kpi_id}` merge only in the order of their parts"),
            )
        })
    };
    if by.is_empty() {
        return merge(states);
    }
    let (wholes, keyed) = regrouped(states, &by)?;
    let mut segments = Vec::with_capacity(keyed.len());
    for (key, states) in keyed {
        segments.push(json!([key, merge(&states)?]));
    }
    Ok(json!({"by": by, "whole": merge(&wholes)?, "segments": segments}))
}

/// The whole state and the keyed segment states of a state written with `by`.
fn segmented<'s>(state: &'s Value, by: &[String], path: &str) -> Result<(&'s Value, Keyed<'s>)> {
    let malformed = || wrong_type(path, "a state written with the same `by`", state);
    if state.get("by") != Some(&json!(by)) {
        return Err(malformed());
    }
    let whole = state.get("whole").ok_or_else(malformed)?;
    let mut segments = Vec::new();
    for pair in state
        .get("segments")
        .and_then(Value::as_array)
        .ok_or_else(malformed)?
    {
        let (Some(key), Some(segment)) = (pair.get(0), pair.get(1)) else {
            return Err(malformed());
        };
        let key: Vec<String> = serde_json::from_value(key.clone()).map_err(|_| malformed())?;
        segments.push((key, segment));
    }
    Ok((whole, segments))
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
