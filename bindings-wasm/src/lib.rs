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
