//! # omnikpi
//!
//! One canonical set of omnichannel KPI definitions and calculations. Every KPI is defined in
//! `spec/kpis/<id>.json`, embedded here, and computed exactly: money is `rust_decimal::Decimal`
//! with ISO 4217 minor units, rates are rounded half to even at their declared scale, and splits
//! sum exactly to the whole. The same core is exposed to Python, JavaScript (WASM) and a CLI.
//!
//! ```
//! let out = omnikpi::evaluate_json(
//!     "conversion.rate",
//!     r#"{"rows": [{"channel": "web", "opportunities": 200, "conversions": 25}]}"#,
//!     r#"{"denominator": "sessions"}"#,
//! ).unwrap();
//! assert!(out.contains(r#""rate":"0.125000""#));
//! ```
#![forbid(unsafe_code)]
// No panic by construction: every integer or Decimal operation is checked, or annotated with why
// it cannot overflow (spec/README.md, RELIABILITY.md).
#![deny(clippy::arithmetic_side_effects)]
#![warn(missing_docs)]

pub mod attribution;
pub mod basket;
pub mod catalog;
pub mod certificate;
pub mod channel;
pub mod contribution;
pub mod conversion;
pub mod dataset;
pub mod decimal;
pub mod error;
pub mod fx;
pub mod host;
pub mod incentive;
mod input;
pub mod lift;
pub use input::parse_timestamp;
pub mod money;
pub mod output;
pub mod pack;
pub mod partial;
pub mod pickup;
pub mod registry;
pub mod result_table;
pub mod segment;
pub mod table;

pub use catalog::{catalog, definition, Definition, Params};
pub use error::{ErrorCode, KpiError, Result};
pub use output::{Output, RowCounts};

use serde_json::Value;

/// Largest input accepted, as canonical JSON (64 MiB), from JSON text and host values alike.
pub const MAX_JSON_BYTES: usize = host::MAX_BYTES;

/// Computes KPI `kpi_id` on `input` with `params` (a JSON object, or null for defaults),
/// in the shapes of the conformance vectors.
///
/// # Example
/// ```
/// use serde_json::json;
/// let out = omnikpi::evaluate(
///     "money.allocate",
///     &json!({"amount": "100.00", "currency": "EUR",
///             "parties": [{"party": "web", "weight": "1"}, {"party": "store", "weight": "2"}]}),
///     &json!(null),
/// ).unwrap();
/// assert_eq!(out.to_json()["parts"][1]["amount"], "66.67");
/// ```
///
/// # Errors
/// `unknown_kpi`, `unknown_parameter`, `invalid_parameter`, and every code the KPI's
/// definition lists.
pub fn evaluate(kpi_id: &str, input: &Value, params: &Value) -> Result<Output> {
    let entry = registry::find(kpi_id)?;
    let definition = definition(kpi_id)?;
    let params = Params::resolve(definition, params)?;
    let converted = fx::apply(definition, input)?;
    let input = converted.as_ref().map_or(input, |(i, _)| i);
    let by = segment::dimensions(&params);
    let result = if by.is_empty() {
        entry.kpi.evaluate(input, &params)?
    } else {
        segment::evaluate(entry, definition, input, &params, &by)?
    };
    Ok(match (converted, result) {
        (Some((_, report)), Output::Record(mut fields)) => {
            fields.push(("fx".to_owned(), report.to_output()));
            Output::Record(fields)
        }
        (_, result) => result,
    })
}

/// [`evaluate`] on JSON text, returning JSON text (decimals as canonical strings).
///
/// # Errors
/// `invalid_json` (with line and column), `value_out_of_range` for texts over
/// [`MAX_JSON_BYTES`], and everything [`evaluate`] returns.
pub fn evaluate_json(kpi_id: &str, input: &str, params: &str) -> Result<String> {
    let input = parse_json(input, "input")?;
    let params = parse_json(params, "params")?;
    Ok(evaluate(kpi_id, &input, &params)?.to_json().to_string())
}

/// Parses JSON text under the host-value rules of [`host`], naming `what` in the error.
///
/// # Errors
/// `invalid_json`, `duplicate_key`, `value_out_of_range` (too large, too deep, an integer beyond
/// 64 bits), `wrong_type` (a lone surrogate).
pub fn parse_json(text: &str, what: &str) -> Result<Value> {
    host::from_json_text(text, what)
}

/// The catalogue as a JSON array of definitions, as every binding returns it.
///
/// # Example
/// ```
/// assert!(omnikpi::catalog_json().as_array().unwrap().len() >= 8);
/// ```
pub fn catalog_json() -> Value {
    Value::Array(catalog().iter().map(|d| d.document.clone()).collect())
}
