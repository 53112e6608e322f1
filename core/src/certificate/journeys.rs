//! Certificates of attributions computed from a touch table (a CSV, Parquet or workbook file,
//! DuckDB rows, an Arrow table): their `input` is the digest of the journeys the table was read
//! into ([`journeys_digest`]), so neither the rows' order, nor the file's format, nor how the
//! table was split between threads changes it, and the reading declared (columns, units,
//! outcome placement, dialect) is certified beside the parameters.
//!
//! ```
//! use omnikpi::attribution::{JourneyKey, LongBuilder, Outcome, Request};
//! use serde_json::json;
//! let request = Request::from_json(&json!({"model": "linear", "currency": "EUR",
//!     "channels": [{"channel": "web", "group": "online"}], "reading": {"outcome": "every_row"}})).unwrap();
//! let mut rows = LongBuilder::new(&request.taxonomy);
//! let sale = Outcome { conversions: 1, value_minor: 1250, ..Outcome::default() };
//! rows.push(JourneyKey::Text("u1"), 10, "web", sale, 0).unwrap();
//! let batch = rows.finish().unwrap();
//! let read = omnikpi::attribution::Read::Whole(batch);
//! let results: Vec<_> = request.results(&read).unwrap().iter().map(|r| r.to_json()).collect();
//! let input = omnikpi::certificate::read_digest(&read, &request.taxonomy, &request.currency).unwrap();
//! let certs = omnikpi::certificate::certify_read(&request, &input, &results).unwrap();
//! assert_eq!(certs[0]["reading"]["outcome"], "every_row");
//! let channels = json!([{"channel": "web", "group": "online"}]);
//! let again = omnikpi::certificate::request_of(&certs[0], &channels, "EUR").unwrap();
//! let check = omnikpi::certificate::verify_read(&certs[0], &again, &read).unwrap();
//! assert_eq!(check["confirmed"], true);
//! ```

use super::{canonical_json, read, sealed, sha256_text, text, verdict, Fields};
use crate::attribution::{JourneyBatch, Read, Request};
use crate::channel::Taxonomy;
use crate::error::{KpiError, Result};
use crate::money::Currency;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The digest of journeys read from a touch table: `sha256:` and the hex SHA-256 of lines, each
/// ended by `\n`: first the canonical JSON of `{"channels": [{"channel", "direct", "group"}...],
/// "currency"}`, then one line per journey, in the byte order of its id's text (an integer id
/// in decimal), the canonical JSON of `{"conversion_timestamp", "conversions", "id", "touches":
/// [{"channel", "lead", "timestamp"}...], "value_minor"}` (times in Unix seconds, the value in
/// minor units of the currency).
///
/// # Errors
/// `internal_error` for a batch without journey ids (every table reader gives them).
pub fn journeys_digest(
    batch: &JourneyBatch,
    taxonomy: &Taxonomy,
    currency: &Currency,
) -> Result<String> {
    parts_digest(&[(None, batch)], taxonomy, currency)
}

/// [`journeys_digest`] of the journeys of several batches, parts of one table whose journeys
/// are each in one part (SQL reads a table in parts; `by` cuts it into segments): the digest
/// of one batch holding them all. A part with a key (a segment's values of the dimensions)
/// adds `"key": [values...]` to each of its journeys' lines.
///
/// # Errors
/// As [`journeys_digest`].
pub fn parts_digest(
    parts: &[(Option<&[String]>, &JourneyBatch)],
    taxonomy: &Taxonomy,
    currency: &Currency,
) -> Result<String> {
    let channels: Vec<Value> = taxonomy
        .channels()
        .iter()
        .map(|c| json!({"channel": c.name, "direct": c.direct, "group": c.group.as_str()}))
        .collect();
    let names: Vec<String> = taxonomy
        .channels()
        .iter()
        .map(|c| Value::from(c.name.as_str()).to_string())
        .collect();
    let mut hash = Sha256::new();
    let head = json!({"channels": channels, "currency": currency.code()});
    hash.update(canonical_json(&head).as_bytes());
    hash.update(b"\n");
    let mut order: Vec<(std::borrow::Cow<'_, str>, usize, usize)> = Vec::new();
    for (p, (_, batch)) in parts.iter().enumerate() {
        let ids = batch
            .ids
            .as_ref()
            .ok_or_else(|| KpiError::internal("journeys read from a table without their ids"))?;
        for j in 0..batch.len() {
            order.push((ids.text(j).ok_or_else(|| missing_id(j))?, p, j));
        }
    }
    order.sort_unstable();
    let mut line = String::new();
    for (id, p, j) in &order {
        if let Some((key, batch)) = parts.get(*p) {
            line.clear();
            let key = key.map(|k| Value::from(k.to_vec()).to_string());
            journey_line(batch, *j, id, key.as_deref(), &names, &mut line);
            hash.update(line.as_bytes());
        }
    }
    Ok(sha256_text(&hash.finalize()))
}

/// [`parts_digest`] of the journeys `read` holds: one part, or a part per segment with its key.
///
/// # Errors
/// As [`journeys_digest`].
pub fn read_digest(read: &Read, taxonomy: &Taxonomy, currency: &Currency) -> Result<String> {
    match read {
        Read::Whole(batch) => journeys_digest(batch, taxonomy, currency),
        Read::Segments(segments) => {
            let parts: Vec<(Option<&[String]>, &JourneyBatch)> = segments
                .iter()
                .map(|(key, batch)| (Some(key.as_slice()), batch))
                .collect();
            parts_digest(&parts, taxonomy, currency)
        }
    }
}

fn missing_id(j: usize) -> KpiError {
    KpiError::internal(&format!("journey {j} of a table has no id"))
}

/// Journey `j`'s line of [`journeys_digest`]: canonical JSON (keys in byte order) and `\n`;
/// `key` is its segment's values as JSON, when the table was cut.
fn journey_line(
    batch: &JourneyBatch,
    j: usize,
    id: &str,
    key: Option<&str>,
    names: &[String],
    out: &mut String,
) {
    use std::fmt::Write;
    let at = |v: &[i64]| v.get(j).copied().unwrap_or_default();
    let conversions = batch.conversions.get(j).copied().unwrap_or_default();
    let value = batch.value_minor.get(j).copied().unwrap_or_default();
    let _ = write!(
        out,
        r#"{{"conversion_timestamp":{},"conversions":{conversions},"id":{}"#,
        at(&batch.conversion_time),
        Value::from(id),
    );
    if let Some(key) = key {
        let _ = write!(out, r#","key":{key}"#);
    }
    out.push_str(r#","touches":["#);
    for (n, t) in batch.touches(j).enumerate() {
        let channel = batch.channel.get(t).map_or(0, |c| usize::from(*c));
        let _ = write!(
            out,
            r#"{}{{"channel":{},"lead":{},"timestamp":{}}}"#,
            if n > 0 { "," } else { "" },
            names.get(channel).map_or("null", String::as_str),
            batch.lead.get(t).copied().unwrap_or_default(),
            batch.timestamp.get(t).copied().unwrap_or_default(),
        );
    }
    let _ = writeln!(out, r#"],"value_minor":{value}}}"#);
}

/// The certificates of `results` (each model's result as JSON), `request`'s models run over
/// journeys whose [`journeys_digest`] is `input`, one per model in the request's order. Each
/// certifies the model's parameters with the request's `lookback_seconds`, `by`, `period` and
/// `time_zone`, and the request's reading ([`crate::table::reading::Reading::to_json`]).
///
/// # Errors
/// `internal_error` when there are not as many results as models; the parameter errors of the
/// models.
pub fn certify_read(request: &Request, input: &str, results: &[Value]) -> Result<Vec<Value>> {
    if results.len() != request.specs.len() {
        return Err(KpiError::internal("a result per model to certify"));
    }
    request
        .specs
        .iter()
        .zip(results)
        .map(|((kpi_id, params), result)| {
            let mut params = match params {
                Value::Object(map) => map.clone(),
                _ => serde_json::Map::new(),
            };
            if let Some(lookback) = request.lookback_seconds {
                params.insert("lookback_seconds".into(), Value::from(lookback));
            }
            if !request.by.is_empty() {
                params.insert("by".into(), Value::from(request.by.clone()));
            }
            if let Some(periods) = &request.periods {
                params.insert("period".into(), Value::from(periods.grain.name()));
                params.insert("time_zone".into(), Value::from(periods.time_zone.name()));
            }
            let fields = Fields {
                kpi_id,
                params: &Value::Object(params),
                input,
                result,
                pack: None,
                fx: None,
            };
            let mut fields = fields.map()?;
            fields.insert("reading".into(), request.reading.to_json());
            Ok(sealed(fields))
        })
        .collect()
}

/// The request a certificate of [`certify_read`] was computed under: its model, parameters,
/// lookback, `by` and reading, over the taxonomy `channels` (a channels list) in `currency`, to
/// read the table again with.
///
/// # Errors
/// `wrong_type` or `missing_field` at `certificate.<field>` for something that is not a
/// certificate; the request's own errors.
pub fn request_of(certificate: &Value, channels: &Value, currency: &str) -> Result<Request> {
    let fields = read(certificate)?;
    let mut params = fields
        .get("params")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let lookback = params.remove("lookback_seconds").unwrap_or(Value::Null);
    let by = params.remove("by").unwrap_or(Value::Null);
    let period = params.remove("period").unwrap_or(Value::Null);
    let time_zone = params.remove("time_zone").unwrap_or(Value::Null);
    Request::from_json(&json!({
        "model": text(&fields, "kpi"),
        "channels": channels,
        "currency": currency,
        "params": params,
        "lookback_seconds": lookback,
        "by": by,
        "period": period,
        "time_zone": time_zone,
        "reading": fields.get("reading").cloned().unwrap_or(Value::Null),
    }))
}

/// Recomputes the attribution a certificate of [`certify_read`] speaks of from `read` (the
/// table read again under [`request_of`]'s request) and says whether it confirms it, as
/// [`super::verify`] does.
///
/// # Errors
/// `wrong_type` or `missing_field` at `certificate.<field>` for something that is not a
/// certificate; the model's own errors.
pub fn verify_read(certificate: &Value, request: &Request, read: &Read) -> Result<Value> {
    let fields = super::read(certificate)?;
    let result = request
        .results(read)?
        .first()
        .map(crate::output::Output::to_json)
        .ok_or_else(|| KpiError::internal("a run of one model without its result"))?;
    let input = read_digest(read, &request.taxonomy, &request.currency)?;
    verdict(certificate, &fields, &input, &result)
}
