//! The wasm module behind the `omnikpi` npm package. Everything crosses as JSON text: inputs in,
//! an envelope out (`{"ok": result}` or `{"error": {"code", "message", "path"}}`), so decimals stay
//! canonical strings and no JS number touches money. The package's JS layer (`js/api.mjs`) turns
//! the envelope into values or `OmniKpiError` exceptions.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

fn envelope(result: omnikpi::Result<Value>) -> String {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(e) => json!({ "error": e.to_json() }),
    }
    .to_string()
}

/// Computes a KPI: `input_json` and `params_json` are JSON texts; returns the envelope.
#[wasm_bindgen]
pub fn evaluate(kpi_id: &str, input_json: &str, params_json: &str) -> String {
    envelope((|| {
        let input = omnikpi::parse_json(input_json, "input")?;
        let params = omnikpi::parse_json(params_json, "params")?;
        Ok(omnikpi::evaluate(kpi_id, &input, &params)?.to_json())
    })())
}

/// Every KPI definition, as a JSON array.
#[wasm_bindgen]
pub fn catalog() -> String {
    omnikpi::catalog_json().to_string()
}

/// Every KPI definition with its texts in `lang` (fallback: base language, then English);
/// returns the envelope.
#[wasm_bindgen(js_name = catalogLocalized)]
pub fn catalog_localized(lang: &str) -> String {
    envelope(omnikpi::catalog::localized_catalog(lang))
}

/// The report of a dataset given as a JSON object `{file name: text}`; returns the envelope.
#[wasm_bindgen]
pub fn report(files_json: &str) -> String {
    envelope((|| {
        let files: BTreeMap<String, String> = serde_json::from_str(files_json).map_err(|e| {
            omnikpi::KpiError::at(
                omnikpi::ErrorCode::InvalidJson,
                "files",
                format!("must map file names to texts: {e}"),
            )
        })?;
        Ok(omnikpi::dataset::report(&files)?.to_json())
    })())
}

/// Whole numbers carried in a Float64Array (seconds, minor units): refused when not integral or
/// beyond 2^53, where a double stops being exact.
fn integers(values: &[f64], what: &str) -> omnikpi::Result<Vec<i64>> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_finite() && v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_991.0 {
                Ok(*v as i64)
            } else {
                Err(omnikpi::KpiError::at(
                    omnikpi::ErrorCode::WrongType,
                    &format!("{what}[{i}]"),
                    format!("must be a whole number up to 2^53, got {v}"),
                ))
            }
        })
        .collect()
}

/// Attribution on columnar typed arrays (journey offsets, channel ids, timestamps, per-journey
/// conversions, value in minor units, conversion time with NaN for none, and optionally the
/// lead-creation flag of each touch for W-shaped), several models in one pass. `specs_json` is `[[kpi id, params], ...]`; returns the envelope with a list of results.
#[wasm_bindgen(js_name = attributeColumns)]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per typed-array column"
)]
pub fn attribute_columns(
    specs_json: &str,
    channels_json: &str,
    currency: &str,
    lookback_seconds: Option<f64>,
    offsets: Vec<u32>,
    channel: Vec<u16>,
    timestamp: Vec<f64>,
    conversions: Vec<u32>,
    value_minor: Vec<f64>,
    conversion_time: Vec<f64>,
    lead: Option<Vec<u8>>,
) -> String {
    envelope((|| {
        let specs: Vec<(String, Value)> = serde_json::from_str(specs_json).map_err(|e| {
            omnikpi::KpiError::at(
                omnikpi::ErrorCode::InvalidJson,
                "models",
                format!("is not a list of [id, params]: {e}"),
            )
        })?;
        let taxonomy = omnikpi::channel::Taxonomy::from_json(&omnikpi::parse_json(
            channels_json,
            "channels",
        )?)?;
        let currency = omnikpi::money::Currency::lookup(currency, None, "currency")?;
        let times = integers(&timestamp, "timestamp")?;
        let values = integers(&value_minor, "value_minor")?;
        let conversion_time: Vec<Option<i64>> = conversion_time
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if v.is_nan() {
                    Ok(None)
                } else {
                    integers(&[*v], &format!("conversion_time[{i}]")).map(|x| x.first().copied())
                }
            })
            .collect::<omnikpi::Result<_>>()?;
        let lookback = lookback_seconds
            .map(|l| integers(&[l], "lookback_seconds"))
            .transpose()?
            .and_then(|v| v.first().copied());
        let batch = omnikpi::attribution::JourneyBatch::from_columns(
            &taxonomy,
            offsets.iter().map(|o| *o as usize).collect(),
            channel,
            times,
            lead.map(|l| l.iter().map(|x| *x != 0).collect()),
            conversions.iter().map(|c| u64::from(*c)).collect(),
            values.iter().map(|v| i128::from(*v)).collect(),
            &conversion_time,
        )?;
        let results =
            omnikpi::attribution::run_models(&taxonomy, &currency, &batch, &specs, lookback)?;
        Ok(Value::Array(
            results.iter().map(omnikpi::Output::to_json).collect(),
        ))
    })())
}

/// The file names a dataset folder holds, as a JSON array.
#[wasm_bindgen(js_name = datasetFiles)]
pub fn dataset_files() -> String {
    json!(omnikpi::dataset::FILES).to_string()
}

/// Every error code with its family, as a JSON array of `[code, family]`.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> String {
    let codes: Vec<(&str, &str)> = omnikpi::ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.family()))
        .collect();
    json!(codes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_carry_results_and_errors() {
        let ok: Value = serde_json::from_str(&evaluate(
            "conversion.rate",
            r#"{"rows":[{"channel":"web","opportunities":8,"conversions":1}]}"#,
            "",
        ))
        .unwrap();
        assert_eq!(ok["ok"]["overall"]["rate"], "0.125000");
        let err: Value = serde_json::from_str(&evaluate("conversion.rate", "{", "")).unwrap();
        assert_eq!(err["error"]["code"], "invalid_json");
        assert_eq!(err["error"]["path"], "input");
        let bad: Value = serde_json::from_str(&report("[]")).unwrap();
        assert_eq!(bad["error"]["code"], "invalid_json");
    }
}
