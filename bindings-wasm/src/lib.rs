//! The wasm module behind the `omnikpi` npm package. JS values come in as they are and are walked
//! here by the core's host-value rules (`omnikpi::host`: this file only says what kind of value
//! each one is); results go out as a JSON envelope (`{"ok": result}` or `{"error": {"code",
//! "message", "path"}}`), so decimals stay canonical strings and no JS number touches money. The
//! package's JS layer (`js/api.mjs`) turns the envelope into values or `OmniKpiError` exceptions.

use js_sys::{
    Array, BigInt64Array, BigUint64Array, Date, Float32Array, Float64Array, Int16Array, Int32Array,
    Int8Array, JsString, Object, Uint16Array, Uint32Array, Uint8Array,
};
use omnikpi::host::{HostNode, HostValue, MapKey};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// One JS value as the core's host walker sees it.
struct JsNode(JsValue);

impl JsNode {
    /// The name of a value's class (`Map`, `Float64Array`, ...), or its `typeof`.
    fn kind(value: &JsValue) -> String {
        value
            .dyn_ref::<Object>()
            .map(|o| String::from(o.constructor().name()))
            .filter(|name| !name.is_empty())
            .or_else(|| value.js_typeof().as_string())
            .unwrap_or_else(|| "value".to_owned())
    }

    fn text(value: &JsValue) -> Option<String> {
        value
            .dyn_ref::<JsString>()
            .filter(|s| s.is_valid_utf16())
            .and_then(|s| s.as_string())
    }

    /// The elements of a typed array, as the numbers (or BigInts) they are: a column of a
    /// table held in typed arrays reads as a list of its cells.
    fn typed_array(v: &JsValue) -> Option<Vec<Self>> {
        /// The first typed array type among `$t` that `$v` is, its elements as JS values.
        macro_rules! elements {
            ($v:expr, $($t:ty),*) => {$(
                if let Some(a) = $v.dyn_ref::<$t>() {
                    return Some(a.to_vec().into_iter().map(|x| JsNode(x.into())).collect());
                }
            )*};
        }
        elements!(
            v,
            Float64Array,
            Float32Array,
            Int32Array,
            Uint32Array,
            Int16Array,
            Uint16Array,
            Int8Array,
            Uint8Array,
            BigInt64Array,
            BigUint64Array
        );
        None
    }

    /// A plain object (`{...}`, or one made with `Object.create(null)`), not a class instance.
    fn is_plain(object: &Object) -> bool {
        thread_local! {
            /// `Object.prototype`, looked up once rather than for every object walked.
            static OBJECT_PROTOTYPE: Object = Object::get_prototype_of(&Object::new());
        }
        let proto = Object::get_prototype_of(object);
        proto.is_null() || OBJECT_PROTOTYPE.with(|p| proto == *p)
    }
}

impl HostNode for JsNode {
    fn classify(&self) -> HostValue<Self> {
        memory::grow_geometrically();
        let v = &self.0;
        if v.is_null() || v.is_undefined() {
            return HostValue::Null;
        }
        if let Some(b) = v.as_bool() {
            return HostValue::Bool(b);
        }
        if let Some(f) = v.as_f64() {
            return HostValue::JsNumber(f);
        }
        if v.is_bigint() {
            return HostValue::Integer(i128::try_from(v.clone()).ok());
        }
        if v.is_string() {
            return Self::text(v).map_or(HostValue::InvalidText, HostValue::Text);
        }
        if Array::is_array(v) {
            let items = Array::from(v).iter().map(JsNode).collect();
            return HostValue::List(items);
        }
        if let Some(items) = Self::typed_array(v) {
            return HostValue::List(items);
        }
        if let Some(date) = v.dyn_ref::<Date>() {
            return HostValue::UnixMillis(date.get_time());
        }
        match v.dyn_ref::<Object>() {
            Some(object) if !v.is_function() && Self::is_plain(object) => {
                let entries = Object::entries(object)
                    .iter()
                    .map(|entry| {
                        let pair = Array::from(&entry);
                        let key =
                            Self::text(&pair.get(0)).map_or(MapKey::InvalidText, MapKey::Text);
                        (key, JsNode(pair.get(1)))
                    })
                    .collect();
                HostValue::Map(entries)
            }
            _ => HostValue::Unsupported(Self::kind(v)),
        }
    }
}

/// Memory that grows in doubling steps while host values are converted. Rust's wasm allocator
/// grows memory by the pages each request needs, and every `memory.grow` is slow in V8 (about
/// 0.7 ms, with garbage-collector pressure): converting a 200,000-row table grew memory 2,700
/// times, and the first such call took 5.1 s against 1.6 s once memory had grown.
mod memory {
    #[cfg(target_arch = "wasm32")]
    thread_local! {
        /// The memory size (in 64 KiB pages) after the last reservation.
        static RESERVED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// When memory grew since the last look, reserves as much again in one step and returns it
    /// to the allocator, which keeps it and serves the next allocations from it: memory grows
    /// a few dozen times instead of thousands, and at most doubles past what a call needs (each
    /// step at most 256 MiB). When memory did not grow, it costs a `memory.size` and a comparison.
    pub(super) fn grow_geometrically() {
        #[cfg(target_arch = "wasm32")]
        RESERVED.with(|reserved| {
            let pages = core::arch::wasm32::memory_size(0);
            if pages > reserved.get() {
                let bytes = pages.saturating_mul(64 * 1024).min(256 << 20);
                let mut block = Vec::<u8>::new();
                // a failed reservation only means memory grows as before
                let _ = block.try_reserve_exact(bytes);
                // kept until here (an unused allocation may be elided), then freed
                drop(std::hint::black_box(block));
                reserved.set(core::arch::wasm32::memory_size(0));
            }
        });
    }
}

/// A JS value converted by the core's host rules, located at `root` in errors.
fn host_value(value: JsValue, root: &str) -> omnikpi::Result<Value> {
    omnikpi::host::convert(&JsNode(value), root)
}

fn envelope(result: omnikpi::Result<Value>) -> String {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(e) => json!({ "error": e.to_json() }),
    }
    .to_string()
}

/// Computes a KPI on JS values (`params` null or undefined for the defaults); returns the envelope.
#[wasm_bindgen]
pub fn evaluate(kpi_id: &str, input: JsValue, params: JsValue) -> String {
    envelope((|| {
        let input = host_value(input, "input")?;
        let params = host_value(params, "params")?;
        Ok(omnikpi::evaluate(kpi_id, &input, &params)?.to_json())
    })())
}

/// Computes a KPI like `evaluate` and certifies it; the envelope holds `{result, certificate}`.
#[wasm_bindgen]
pub fn certify(kpi_id: &str, input: JsValue, params: JsValue) -> String {
    envelope((|| {
        let input = host_value(input, "input")?;
        let params = host_value(params, "params")?;
        let (result, certificate) = omnikpi::certificate::certify(kpi_id, &input, &params)?;
        Ok(serde_json::json!({"result": result.to_json(), "certificate": certificate}))
    })())
}

/// Recomputes the result a certificate speaks of from `input`; the envelope holds the
/// verification (`confirmed`, `kpi`, `checks`).
#[wasm_bindgen]
pub fn verify(certificate: JsValue, input: JsValue) -> String {
    envelope((|| {
        let certificate = host_value(certificate, "certificate")?;
        let input = host_value(input, "input")?;
        omnikpi::certificate::verify(&certificate, &input)
    })())
}

/// The statements of an `incentives.statement` result as the core renders them; the envelope
/// holds `{html, csv}`, each statement of the page ending with `certificate` when given.
#[wasm_bindgen(js_name = statementFiles)]
pub fn statement_files(result: JsValue, certificate: JsValue) -> String {
    envelope((|| {
        let result = host_value(result, "statements")?;
        let certificate = host_value(certificate, "certificate")?;
        let certificate = (!certificate.is_null()).then_some(certificate);
        let html = omnikpi::incentive::statement::html(&result, certificate.as_ref())?;
        let csv = omnikpi::incentive::statement::csv(&result)?;
        Ok(serde_json::json!({"html": html, "csv": csv}))
    })())
}

/// Computes a KPI on JSON texts, read by the same rules as the CLI's files; returns the envelope.
#[wasm_bindgen(js_name = evaluateJson)]
pub fn evaluate_json(kpi_id: &str, input_json: &str, params_json: &str) -> String {
    envelope((|| {
        let input = omnikpi::parse_json(input_json, "input")?;
        let params = omnikpi::parse_json(params_json, "params")?;
        Ok(omnikpi::evaluate(kpi_id, &input, &params)?.to_json())
    })())
}

/// Reads JSON text by the core's rules (duplicate keys, nesting, size, lone surrogates are errors)
/// into JS values: integers beyond 2^53 − 1 become `BigInt`s, so none changes on the way. Returns
/// `{value}`, or the error envelope as text; errors are located under `what`.
#[wasm_bindgen(js_name = parseJson)]
pub fn parse_json(text: &str, what: &str) -> JsValue {
    match omnikpi::parse_json(text, what) {
        Ok(value) => {
            let out = Object::new();
            define(&out, "value", &to_js(&value));
            out.into()
        }
        Err(e) => JsValue::from_str(&envelope(Err(e))),
    }
}

/// Sets an own enumerable property, even one named `__proto__` (an assignment would set the
/// prototype instead).
fn define(object: &Object, key: &str, value: &JsValue) {
    let descriptor = Object::new();
    for (name, v) in [
        ("value", value.clone()),
        ("writable", JsValue::TRUE),
        ("enumerable", JsValue::TRUE),
        ("configurable", JsValue::TRUE),
    ] {
        // Reflect.set on a fresh plain object with these names cannot fail.
        let _ = js_sys::Reflect::set(&descriptor, &JsValue::from_str(name), &v);
    }
    Object::define_property(object, &JsValue::from_str(key), &descriptor);
}

/// A canonical value as a JS value: integers beyond 2^53 − 1 as `BigInt`.
fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i.unsigned_abs() <= 9_007_199_254_740_991 {
                    // Exact: within ±(2^53 − 1).
                    #[allow(clippy::cast_precision_loss, reason = "within ±(2^53 - 1)")]
                    return JsValue::from_f64(i as f64);
                }
                return js_sys::BigInt::from(i).into();
            }
            if let Some(u) = n.as_u64() {
                return js_sys::BigInt::from(u).into();
            }
            JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN))
        }
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(to_js).collect::<Array>().into(),
        Value::Object(map) => {
            let out = Object::new();
            for (k, v) in map {
                define(&out, k, &to_js(v));
            }
            out.into()
        }
    }
}

/// Every KPI definition, as a JSON array.
#[wasm_bindgen]
pub fn catalog() -> String {
    omnikpi::catalog_json().to_string()
}

/// Every KPI definition with its texts in `lang` (fallback: base language, then English);
/// returns the envelope.
/// An exact decimal (`-1234.50`) as a reader of `lang` writes it (`-1,234.50` in English,
/// `-1 234,50` in French): core's one rule, no JS number in between.
#[wasm_bindgen(js_name = displayAmount)]
pub fn display_amount(amount: &str, lang: &str) -> String {
    omnikpi::incentive::statement::display_amount(amount, lang)
}

/// The KPI id and short name of an attribution model named either way (`linear` or
/// `attribution.linear`): core's one rule; returns the envelope of `{id, short}`.
#[wasm_bindgen(js_name = attributionModel)]
pub fn attribution_model(name: &str) -> String {
    envelope(
        omnikpi::attribution::model_id(name)
            .map(|id| json!({ "id": id, "short": omnikpi::attribution::short_name(id) })),
    )
}

#[wasm_bindgen(js_name = catalogLocalized)]
pub fn catalog_localized(lang: &str) -> String {
    envelope(omnikpi::catalog::localized_catalog(lang))
}

/// A pack given as JSON text (read by the core's rules) or as JS values.
fn read_pack(pack: JsValue) -> omnikpi::Result<omnikpi::pack::Pack> {
    match pack.as_string() {
        Some(text) => omnikpi::pack::Pack::from_json_text(&text),
        None => omnikpi::pack::Pack::from_json(&host_value(pack, "pack")?),
    }
}

/// A pack's files and fingerprint, once it is read and checked; returns the envelope.
#[wasm_bindgen(js_name = packRead)]
pub fn pack_read(pack: JsValue) -> String {
    envelope(read_pack(pack).map(
        |p| json!({"files": p.files(), "fingerprint": p.fingerprint(), "document": p.document}),
    ))
}

/// A pack's report on its files given as `{file name: string | Uint8Array | ArrayBuffer}` (a
/// workbook's bytes; CSV as text or UTF-8 bytes; read by the core,
/// [`omnikpi::pack::Pack::texts`]), on the rows `filter` keeps (`{dimensions, from, to}`, read
/// by core; null or undefined keeps all); returns the envelope.
#[wasm_bindgen(js_name = packReport)]
pub fn pack_report(pack: JsValue, files: JsValue, filter: JsValue) -> String {
    envelope((|| {
        let pack = read_pack(pack)?;
        let filter = omnikpi::pack::Filter::from_json(&host_value(filter, "filter")?, &pack)?;
        pack.report_filtered(&pack_texts(&pack, &files)?, &filter)
    })())
}

/// Recomputes the section a certificate of a pack's report speaks of from the files; returns
/// the envelope of `{confirmed, kpi, section, checks}`.
#[wasm_bindgen(js_name = packVerify)]
pub fn pack_verify(pack: JsValue, certificate: JsValue, files: JsValue) -> String {
    envelope((|| {
        let certificate = host_value(certificate, "certificate")?;
        let pack = read_pack(pack)?;
        pack.verify(&certificate, &pack_texts(&pack, &files)?)
    })())
}

/// A pack report's HTML page with labels in `lang`; returns the envelope.
#[wasm_bindgen(js_name = packHtml)]
pub fn pack_html(report: JsValue, lang: &str) -> String {
    envelope((|| {
        let report = host_value(report, "report")?;
        omnikpi::pack::html::page(&report, lang).map(Value::from)
    })())
}

/// A pack report's flat tables as `[[name, csv text]]`; returns the envelope.
#[wasm_bindgen(js_name = packCsv)]
pub fn pack_csv(report: JsValue) -> String {
    envelope((|| {
        let report = host_value(report, "report")?;
        let tables = omnikpi::pack::export::tables(&report)?;
        Ok(tables
            .iter()
            .map(|t| json!([t.name, omnikpi::pack::export::csv(t)]))
            .collect())
    })())
}

/// A pack report's flat tables (the ones `packCsv` writes) as `[{name, columns, kinds, rows}]`:
/// each cell as the CSV writes it (empty for null), each column's kind `text`, `integer`,
/// `boolean`, `decimal` or `json`; returns the envelope.
#[wasm_bindgen(js_name = packTables)]
pub fn pack_tables(report: JsValue) -> String {
    use omnikpi::result_table::ColumnKind;
    envelope((|| {
        let report = host_value(report, "report")?;
        let tables = omnikpi::pack::export::tables(&report)?;
        Ok(tables
            .iter()
            .map(|t| {
                let kinds: Vec<&str> = t
                    .kinds
                    .iter()
                    .map(|k| match k {
                        ColumnKind::Text => "text",
                        ColumnKind::Integer => "integer",
                        ColumnKind::Boolean => "boolean",
                        ColumnKind::Decimal { .. } => "decimal",
                        ColumnKind::Json => "json",
                    })
                    .collect();
                let rows: Vec<Vec<String>> = t
                    .rows
                    .iter()
                    .map(|r| r.iter().map(omnikpi::pack::export::cell_text).collect())
                    .collect();
                json!({"name": t.name, "columns": t.columns, "kinds": kinds, "rows": rows})
            })
            .collect())
    })())
}

/// The files a front end holds, from `{file name: string | Uint8Array | ArrayBuffer}`: a string
/// is the file's text (refused with a lone surrogate, never replaced), bytes what was read or
/// dropped. The core makes them texts
/// ([`omnikpi::pack::Pack::texts`], [`omnikpi::dataset::texts`]).
fn data_files(files: &JsValue) -> omnikpi::Result<Vec<(String, omnikpi::pack::DataFile)>> {
    use omnikpi::pack::DataFile;
    let object = files
        .dyn_ref::<Object>()
        .filter(|_| !files.is_function() && !Array::is_array(files))
        .ok_or_else(|| {
            let what = "must map file names to texts or bytes";
            omnikpi::KpiError::at(omnikpi::ErrorCode::WrongType, "files", what)
        })?;
    let mut list = Vec::new();
    for entry in Object::entries(object).iter() {
        let entry = Array::from(&entry);
        let name = entry.get(0).as_string().unwrap_or_default();
        let file = entry.get(1);
        let file = if file.is_string() {
            DataFile::Text(JsNode::text(&file).ok_or_else(|| DataFile::invalid_text(&name))?)
        } else if let Some(bytes) = file.dyn_ref::<Uint8Array>() {
            DataFile::Bytes(bytes.to_vec())
        } else if let Some(buffer) = file.dyn_ref::<js_sys::ArrayBuffer>() {
            DataFile::Bytes(Uint8Array::new(buffer).to_vec())
        } else {
            return Err(DataFile::refused(&name, &JsNode::kind(&file)));
        };
        list.push((name, file));
    }
    Ok(list)
}

/// The texts a pack reports on, from the files a front end holds ([`data_files`]).
fn pack_texts(
    pack: &omnikpi::pack::Pack,
    files: &JsValue,
) -> omnikpi::Result<BTreeMap<String, String>> {
    pack.texts(data_files(files)?)
}

/// The report of a dataset given as an object `{file name: text or bytes}`; returns the
/// envelope.
#[wasm_bindgen]
pub fn report(files: JsValue) -> String {
    envelope((|| {
        let files = omnikpi::dataset::texts(data_files(&files)?)?;
        Ok(omnikpi::dataset::report(&files)?.to_json())
    })())
}

/// Whole numbers from a `BigInt64Array` (exact) or a `Float64Array` (refused when not integral or
/// beyond 2^53 − 1, where a double stops being exact).
fn integers(column: &JsValue, what: &str) -> omnikpi::Result<Vec<i64>> {
    if let Some(exact) = column.dyn_ref::<BigInt64Array>() {
        return Ok(exact.to_vec());
    }
    let Some(doubles) = column.dyn_ref::<Float64Array>() else {
        return Err(omnikpi::KpiError::at(
            omnikpi::ErrorCode::WrongType,
            what,
            "must be a Float64Array or BigInt64Array",
        ));
    };
    doubles
        .to_vec()
        .iter()
        .enumerate()
        .map(|(i, v)| whole(*v, || format!("{what}[{i}]")))
        .collect()
}

/// A double that holds a whole number exactly (at most 2^53 − 1 in magnitude). The path is
/// formatted only for the error: columns call this once per cell.
fn whole(v: f64, path: impl FnOnce() -> String) -> omnikpi::Result<i64> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() <= omnikpi::host::MAX_SAFE_JS_INTEGER {
        // Exact: whole and within ±(2^53 − 1), checked just above.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "whole and within ±(2^53 - 1)"
        )]
        Ok(v as i64)
    } else {
        Err(omnikpi::KpiError::at(
            omnikpi::ErrorCode::WrongType,
            &path(),
            format!("must be a whole number up to 2^53 - 1 (or a BigInt64Array), got {v}"),
        ))
    }
}

/// Attribution on columnar typed arrays (journey offsets, channel ids, timestamps, per-journey
/// conversions, value in minor units, conversion time with NaN for none, and optionally the
/// lead-creation flag of each touch for W-shaped), several models in one pass. `specs` is
/// `[[kpi id, params], ...]`; timestamps and values are `Float64Array`s or `BigInt64Array`s;
/// timestamps (and conversion times) count `timestamp_unit`s since the epoch (`s`, `ms`, `us`,
/// `ns`; the core's rule floors them to seconds); returns the envelope with a list of results.
#[wasm_bindgen(js_name = attributeColumns)]
#[allow(
    clippy::too_many_arguments,
    reason = "one argument per typed-array column"
)]
pub fn attribute_columns(
    specs: JsValue,
    channels: JsValue,
    currency: &str,
    lookback_seconds: Option<f64>,
    offsets: Vec<u32>,
    channel: Vec<u16>,
    timestamp: JsValue,
    conversions: Vec<u32>,
    value_minor: JsValue,
    conversion_time: Vec<f64>,
    lead: Option<Vec<u8>>,
    timestamp_unit: &str,
    journey_id: JsValue,
) -> String {
    envelope((|| {
        let specs = model_specs(host_value(specs, "models")?)?;
        let taxonomy = omnikpi::channel::Taxonomy::from_json(&host_value(channels, "channels")?)?;
        let currency = omnikpi::money::Currency::lookup(currency, None, "currency")?;
        let unit = omnikpi::table::TimestampUnit::from_name(timestamp_unit, "timestampUnit")?;
        let times = integers(&timestamp, "timestamp")?
            .into_iter()
            .map(|t| unit.seconds(t))
            .collect();
        let values = integers(&value_minor, "valueMinor")?;
        let conversion_time: Vec<Option<i64>> = conversion_time
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (!v.is_nan())
                    .then(|| whole(*v, || format!("conversionTime[{i}]")).map(|t| unit.seconds(t)))
                    .transpose()
            })
            .collect::<omnikpi::Result<_>>()?;
        let lookback = lookback_seconds
            .map(|l| whole(l, || "lookbackSeconds".into()))
            .transpose()?;
        let mut batch = omnikpi::attribution::JourneyBatch::from_columns(
            &taxonomy,
            offsets.iter().map(|o| *o as usize).collect(),
            channel,
            times,
            lead.map(|l| l.iter().map(|x| *x != 0).collect()),
            conversions.iter().map(|c| u64::from(*c)).collect(),
            values.iter().map(|v| i128::from(*v)).collect(),
            &conversion_time,
        )?;
        if !journey_id.is_undefined() && !journey_id.is_null() {
            batch.ids = Some(journey_ids(
                host_value(journey_id, "journeyId")?,
                batch.len(),
            )?);
        }
        let results =
            omnikpi::attribution::run_models(&taxonomy, &currency, &batch, &specs, lookback)?;
        Ok(Value::Array(
            results
                .iter()
                .map(omnikpi::attribution::Attribution::to_json)
                .collect(),
        ))
    })())
}

/// Attribution of a long-format touch table held as JS values: a list of row objects, an
/// object of columns (arrays or typed arrays), or a CSV file's text, read as `reading` declares (`{columns, outcome,
/// timestamp_unit, timezone, money_from_float}`, the core's `Reading`, as the CLI's flags and
/// Python's keyword arguments build it). `channels` is the taxonomy's rows or a channels CSV's
/// text (`channel,group[,direct]`, read by the core as the CLI reads `--channels`); `cut`
/// (`{by, period, time_zone}`) names dimension columns to cut every result by and the grain of
/// a derived `period`; `certify` asks for each model's certificate (the
/// core's `certify_read`, as the CLI's `attribute --certificate` writes it). Returns
/// `{results, money_rounded, money_changed, certificates?}`.
#[wasm_bindgen(js_name = attributeTable)]
#[allow(
    clippy::too_many_arguments,
    reason = "mirrors the options of the JS function, each read by the core"
)]
pub fn attribute_table(
    specs: JsValue,
    table: JsValue,
    channels: JsValue,
    currency: &str,
    reading: JsValue,
    lookback_seconds: Option<f64>,
    cut: JsValue,
    certify: bool,
) -> String {
    envelope((|| {
        let specs = model_specs(host_value(specs, "models")?)?;
        let taxonomy = match channels.as_string() {
            Some(text) => Value::Array(omnikpi::table::channels_from_csv(&text, "channels.csv")?),
            None => host_value(channels, "channels")?,
        };
        let taxonomy = omnikpi::channel::Taxonomy::from_json(&taxonomy)?;
        let currency = omnikpi::money::Currency::lookup(currency, None, "currency")?;
        let reading =
            omnikpi::table::reading::Reading::from_json(&host_value(reading, "reading")?)?;
        let lookback = lookback_seconds
            .map(|l| whole(l, || "lookbackSeconds".into()))
            .transpose()?;
        let request =
            omnikpi::attribution::Request::new(taxonomy, currency, specs, lookback, reading)
                .cut(&host_value(cut, "options")?)?;
        let table = match table.as_string() {
            Some(text) => Value::String(text),
            None => host_value(table, "table")?,
        };
        // a CSV file's text: the core's CSV reader, as the CLI reads a `.csv`
        let (read, conversions) = omnikpi::table::rows::read(&table, "table.csv", &request)?;
        let results: Vec<Value> = request
            .results(&read)?
            .iter()
            .map(omnikpi::Output::to_json)
            .collect();
        let mut out = json!({
            "results": results,
            "money_rounded": conversions.money_rounded,
            "money_changed": conversions.money_changed,
        });
        if certify {
            let input =
                omnikpi::certificate::read_digest(&read, &request.taxonomy, &request.currency)?;
            let certificates = omnikpi::certificate::certify_read(&request, &input, &results)?;
            if let Some(fields) = out.as_object_mut() {
                fields.insert("certificates".to_owned(), Value::Array(certificates));
            }
        }
        Ok(out)
    })())
}

/// The `journeyId` column of `attributeColumns`: one id per journey, text or integer (an
/// integer id weighs a journey in the intervals' replicates as its decimal text does).
fn journey_ids(
    column: Value,
    journeys: usize,
) -> omnikpi::Result<omnikpi::attribution::JourneyIds> {
    use omnikpi::attribution::JourneyKey;
    let wrong = |path: String, what: &str| {
        omnikpi::KpiError::at(omnikpi::ErrorCode::WrongType, &path, what.to_owned())
    };
    let Value::Array(cells) = column else {
        return Err(wrong(
            "journeyId".into(),
            "must be an array of ids, one per journey",
        ));
    };
    if cells.len() != journeys {
        return Err(wrong(
            "journeyId".into(),
            "must hold one id per journey (offsets.length - 1)",
        ));
    }
    let keys = cells
        .iter()
        .enumerate()
        .map(|(i, cell)| match cell {
            Value::String(s) if !s.is_empty() => Ok(JourneyKey::Text(s)),
            Value::Number(n) if n.as_i64().is_some() => {
                Ok(JourneyKey::Int(n.as_i64().unwrap_or(0)))
            }
            _ => Err(wrong(
                format!("journeyId[{i}]"),
                "must be a non-empty string or an integer",
            )),
        })
        .collect::<omnikpi::Result<Vec<_>>>()?;
    Ok(omnikpi::attribution::JourneyIds::from_keys(keys))
}

/// `[[kpi id, params], ...]` as the core's model specs.
fn model_specs(specs: Value) -> omnikpi::Result<Vec<(String, Value)>> {
    serde_json::from_value(specs).map_err(|e| {
        omnikpi::KpiError::at(
            omnikpi::ErrorCode::WrongType,
            "models",
            format!("is not a list of [id, params]: {e}"),
        )
    })
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
        let ok: Value = serde_json::from_str(&evaluate_json(
            "conversion.rate",
            r#"{"rows":[{"channel":"web","opportunities":8,"conversions":1}]}"#,
            "",
        ))
        .unwrap();
        assert_eq!(ok["ok"]["overall"]["rate"], "0.125000");
        let err: Value = serde_json::from_str(&evaluate_json("conversion.rate", "{", "")).unwrap();
        assert_eq!(err["error"]["code"], "invalid_json");
        assert_eq!(err["error"]["path"], "input");
    }
}
