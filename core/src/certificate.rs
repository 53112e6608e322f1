//! Provenance: a certificate of a result, so two departments can prove they ran the same
//! definition on the same data, and [`verify`] to confirm or refute one.
//!
//! A certificate holds the KPI id and definition version, the resolved parameters (defaults
//! included, so naming a default changes nothing), SHA-256 digests of the input and of the
//! result, the fingerprints of the pack and FX table when there are any, and the omnikpi
//! version; `certificate` is the SHA-256 of all of them. Digests are taken over canonical JSON
//! (keys sorted by their UTF-8 bytes, no spaces, decimals as their canonical strings), so every
//! front end, which hands the core the same input tree, gets the same certificate.
//!
//! ```
//! use serde_json::json;
//! let input = json!({"rows": [{"channel": "web", "opportunities": 4, "conversions": 1}]});
//! let (result, cert) = omnikpi::certificate::certify("conversion.rate", &input, &json!(null)).unwrap();
//! assert_eq!(result.to_json()["overall"]["rate"], "0.250000");
//! assert!(cert["certificate"].as_str().unwrap().starts_with("sha256:"));
//! let check = omnikpi::certificate::verify(&cert, &input).unwrap();
//! assert_eq!(check["confirmed"], true);
//! let other = json!({"rows": [{"channel": "web", "opportunities": 4, "conversions": 2}]});
//! assert_eq!(omnikpi::certificate::verify(&cert, &other).unwrap()["confirmed"], false);
//! ```

use crate::catalog::{definition, Params};
use crate::error::{ErrorCode, KpiError, Result};
use crate::output::Output;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

mod journeys;
pub use journeys::{
    certify_read, journeys_digest, parts_digest, read_digest, request_of, verify_read,
};

/// The omnikpi version written in certificates.
pub const OMNIKPI_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The fields a certificate's own digest covers, in the order it is written.
const FIELDS: [&str; 8] = [
    "kpi", "version", "params", "input", "result", "pack", "fx", "omnikpi",
];

/// `value` as canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace.
///
/// ```
/// let v = serde_json::json!({"b": 1, "a": [true, null, "é"]});
/// assert_eq!(omnikpi::certificate::canonical_json(&v), r#"{"a":[true,null,"é"],"b":1}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// `sha256:` and the hex SHA-256 of `value`'s canonical JSON.
///
/// ```
/// let d = omnikpi::certificate::digest(&serde_json::json!({}));
/// assert_eq!(d, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
/// ```
pub fn digest(value: &Value) -> String {
    let hash = Sha256::digest(canonical_json(value).as_bytes());
    sha256_text(&hash)
}

/// `sha256:` and the hex of a SHA-256 hash, as every digest is written.
fn sha256_text(hash: &[u8]) -> String {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Computes `kpi_id` like [`crate::evaluate`] and certifies the result.
///
/// # Errors
/// Everything [`crate::evaluate`] returns.
pub fn certify(kpi_id: &str, input: &Value, params: &Value) -> Result<(Output, Value)> {
    let result = crate::evaluate(kpi_id, input, params)?;
    let cert = certificate(kpi_id, input, params, &result.to_json())?;
    Ok((result, cert))
}

/// The certificate of `result`, computed by `kpi_id` from `input` and `params`.
///
/// # Errors
/// `unknown_kpi`, and the parameter errors of [`crate::evaluate`].
pub fn certificate(kpi_id: &str, input: &Value, params: &Value, result: &Value) -> Result<Value> {
    certificate_in_pack(kpi_id, input, params, result, None)
}

/// The certificate of `result` computed for a KPI pack whose fingerprint is `pack`
/// ([`crate::pack::Pack::fingerprint`]).
///
/// # Errors
/// As [`certificate`].
pub fn certificate_in_pack(
    kpi_id: &str,
    input: &Value,
    params: &Value,
    result: &Value,
    pack: Option<&str>,
) -> Result<Value> {
    let fx = input.get("fx").filter(|t| !t.is_null()).map(digest);
    let fields = Fields {
        kpi_id,
        params,
        input: &digest(input),
        result,
        pack,
        fx: fx.as_deref(),
    };
    Ok(sealed(fields.map()?))
}

/// What a certificate certifies, before its own digest seals them.
struct Fields<'a> {
    kpi_id: &'a str,
    params: &'a Value,
    /// The input's digest.
    input: &'a str,
    result: &'a Value,
    pack: Option<&'a str>,
    /// The FX table's digest.
    fx: Option<&'a str>,
}

impl Fields<'_> {
    /// The fields in the order a certificate writes them, parameters resolved.
    fn map(&self) -> Result<Map<String, Value>> {
        let definition = definition(self.kpi_id)?;
        let resolved = Params::resolve(definition, self.params)?;
        let mut fields = Map::new();
        fields.insert("kpi".into(), Value::from(self.kpi_id));
        fields.insert("version".into(), Value::from(definition.version.as_str()));
        fields.insert("params".into(), resolved.to_json());
        fields.insert("input".into(), Value::from(self.input));
        fields.insert("result".into(), Value::from(digest(self.result)));
        fields.insert("pack".into(), self.pack.map_or(Value::Null, Value::from));
        fields.insert("fx".into(), self.fx.map_or(Value::Null, Value::from));
        fields.insert("omnikpi".into(), Value::from(OMNIKPI_VERSION));
        Ok(fields)
    }
}

/// The fields with `certificate`, the digest of them all, first.
fn sealed(fields: Map<String, Value>) -> Value {
    let seal = digest(&Value::Object(fields.clone()));
    let mut out = Map::new();
    out.insert("certificate".into(), Value::from(seal));
    out.extend(fields);
    Value::Object(out)
}

/// Recomputes the result a certificate speaks of from `input` and says whether it confirms it:
/// `{"confirmed", "checks": [{"check", "ok", "certified", "found"}]}`, with a check for the
/// certificate's own digest, the definition version, the input, the result and the omnikpi
/// version. A different omnikpi version alone does not refute a certificate whose result is
/// reproduced; any other difference does.
///
/// # Errors
/// `wrong_type` or `missing_field` at `certificate.<field>` for something that is not a
/// certificate; the KPI's own errors when `input` cannot be computed.
pub fn verify(certificate: &Value, input: &Value) -> Result<Value> {
    let fields = read(certificate)?;
    let kpi = text(&fields, "kpi");
    let params = fields.get("params").cloned().unwrap_or(Value::Null);
    let result = crate::evaluate(kpi, input, &params)?.to_json();
    verdict(certificate, &fields, &digest(input), &result)
}

/// The text field `name` of a certificate's fields (empty when absent: [`read`] checked them).
fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> &'a str {
    fields.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// What [`verify`] says of a certificate whose input digests to `input` and whose KPI, run
/// again, gave `result`.
fn verdict(
    certificate: &Value,
    fields: &Map<String, Value>,
    input: &str,
    result: &Value,
) -> Result<Value> {
    let kpi = text(fields, "kpi");
    let current = definition(kpi)?;
    let own = digest(&Value::Object(fields.clone()));
    let checks = vec![
        check("certificate", certificate.get("certificate"), &own, true),
        check("version", fields.get("version"), &current.version, true),
        check("input", fields.get("input"), input, true),
        check("result", fields.get("result"), &digest(result), true),
        check("omnikpi", fields.get("omnikpi"), OMNIKPI_VERSION, false),
    ];
    let confirmed = checks.iter().all(|c| {
        c.get("ok") == Some(&Value::Bool(true)) || c.get("binding") == Some(&json!(false))
    });
    let checks = checks
        .into_iter()
        .map(|mut c| {
            if let Some(map) = c.as_object_mut() {
                map.remove("binding");
            }
            c
        })
        .collect();
    Ok(json!({"confirmed": confirmed, "kpi": kpi, "checks": Value::Array(checks)}))
}

fn check(name: &str, certified: Option<&Value>, found: &str, binding: bool) -> Value {
    let certified = certified.cloned().unwrap_or(Value::Null);
    json!({
        "check": name,
        "ok": certified.as_str() == Some(found),
        "certified": certified,
        "found": found,
        "binding": binding,
    })
}

/// The certified fields of a certificate, checked for shape.
fn read(certificate: &Value) -> Result<Map<String, Value>> {
    let Value::Object(map) = certificate else {
        return Err(crate::input::wrong_type(
            "certificate",
            "an object",
            certificate,
        ));
    };
    let mut fields = Map::new();
    for name in FIELDS {
        let path = format!("certificate.{name}");
        let value = map
            .get(name)
            .ok_or_else(|| KpiError::at(ErrorCode::MissingField, &path, "is missing"))?;
        let ok = match name {
            "params" => value.is_object(),
            "pack" | "fx" => value.is_null() || value.is_string(),
            _ => value.is_string(),
        };
        if !ok {
            return Err(crate::input::wrong_type(
                &path,
                "what a certificate holds",
                value,
            ));
        }
        fields.insert(name.to_owned(), value.clone());
    }
    match map.get("reading") {
        None => {}
        Some(reading @ Value::Object(_)) => {
            fields.insert("reading".to_owned(), reading.clone());
        }
        Some(other) => {
            return Err(crate::input::wrong_type(
                "certificate.reading",
                "an object",
                other,
            ))
        }
    }
    Ok(fields)
}
