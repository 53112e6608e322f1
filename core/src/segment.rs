//! Dimensions: a KPI computed for each segment of its records (brand, country, store...) and
//! for the whole, in one call, under the parameter `by`.
//!
//! A KPI takes `by` when its definition declares `segments` (the input lists whose records
//! carry the dimensions, and what its own fields are with `by`); the parameter and the two
//! outputs it adds are written once, in `spec/segments.json`, and added to those definitions
//! when the catalogue embeds them.
//!
//! ```
//! use serde_json::json;
//! let rows = json!({"rows": [
//!     {"channel": "web", "opportunities": 10, "conversions": 1, "brand": "A"},
//!     {"channel": "web", "opportunities": 30, "conversions": 3, "brand": "B"},
//! ]});
//! let out = omnikpi::evaluate("conversion.rate", &rows, &json!({"by": ["brand"]})).unwrap().to_json();
//! assert_eq!(out["overall"]["conversions"], 4); // the whole
//! assert_eq!(out["segments"][1]["key"], json!({"brand": "B"}));
//! assert_eq!(out["segments"][1]["overall"]["conversions"], 3);
//! ```

use crate::catalog::{Definition, Params};
use crate::error::{ErrorCode, KpiError, Result};
use crate::incentive::Periods;
use crate::input::wrong_type;
use crate::output::Output;
use crate::registry::{Cut, Entry};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The shared text: the parameter `by`, the outputs `by` and `segments`, the rules of totals.
const SHARED: &str = include_str!("../spec/segments.json");

/// Adds the parameters `by`, `period` and `time_zone` and the outputs `by` and `segments` to a
/// definition that declares `segments`; other definitions are left as they are.
pub(crate) fn extend_definition(document: &mut Value) {
    if document.get("segments").is_none() {
        return;
    }
    let Ok(shared) = serde_json::from_str::<Value>(SHARED) else {
        return; // a core test parses the file: it cannot be malformed in a build
    };
    let names = |pointer: &str| -> Vec<String> {
        document
            .pointer(pointer)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|name| format!("`{name}`"))
            .collect()
    };
    let lists = names("/segments/records");
    let time: Vec<String> = document
        .pointer("/segments/time")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(list, paths)| {
            let paths: Vec<String> = paths
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|p| format!("`{p}`"))
                .collect();
            format!("`{list}`: {}", paths.join(" | "))
        })
        .collect();
    let time = if time.is_empty() {
        "-".to_owned()
    } else {
        time.join("; ")
    };
    let texts = [("{records}", lists.join(", ")), ("{time}", time)];
    let rules = rules(&shared, document);
    if let (Some(Value::Array(added)), Some(Value::Array(params))) =
        (shared.get("parameters"), document.get_mut("parameters"))
    {
        params.extend(added.iter().map(|p| naming(p, &texts)));
        if let Some(by) = params.iter_mut().find(|p| p["name"] == "by") {
            describe_by(by, &rules);
        }
    }
    if let (Some(Value::Array(added)), Some(Value::Array(outputs))) =
        (shared.get("outputs"), document.get_mut("outputs"))
    {
        outputs.extend(added.iter().cloned());
    }
}

/// What holds with `by` for a definition, per language: the rule of its total (from the shared
/// text) and its own `segments.rule`.
fn rules(shared: &Value, document: &Value) -> Vec<Value> {
    let total = document
        .pointer("/segments/total")
        .and_then(Value::as_str)
        .unwrap_or("whole");
    [
        shared.pointer(&format!("/totals/{total}")),
        document.pointer("/segments/rule"),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

/// Appends each rule's text, language by language, to the description of the parameter `by`.
fn describe_by(by: &mut Value, rules: &[Value]) {
    let Some(Value::Object(description)) = by.get_mut("description") else {
        return;
    };
    for (language, text) in description.iter_mut() {
        let Value::String(text) = text else { continue };
        for rule in rules {
            if let Some(more) = rule.get(language).and_then(Value::as_str) {
                text.push(' ');
                text.push_str(more);
            }
        }
    }
}

/// `value` with each placeholder of `texts` (`{records}`, `{time}`) replaced in its texts.
fn naming(value: &Value, texts: &[(&str, String)]) -> Value {
    match value {
        Value::String(text) => Value::String(
            texts
                .iter()
                .fold(text.clone(), |t, (from, to)| t.replace(from, to)),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), naming(v, texts)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What a definition declares about its segments.
struct Declaration {
    /// The input lists whose records carry the dimensions.
    records: Vec<String>,
    /// Whether the result's own fields are the consolidation of the segments (attribution)
    /// rather than the KPI on all records.
    consolidated: bool,
    /// Per list, the fields the KPI itself reads (a dimension among them is kept in records).
    fields: BTreeMap<String, Vec<String>>,
    /// Per list, where a record's time is: paths tried in order (`touches/-1/timestamp`).
    time: BTreeMap<String, Vec<String>>,
}

impl Declaration {
    fn of(definition: &Definition) -> Option<Self> {
        let doc = &definition.document;
        let segments = doc.get("segments")?;
        let records: Vec<String> = segments
            .get("records")?
            .as_array()?
            .iter()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        let fields = doc
            .get("inputs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|input| {
                let name = input.get("name")?.as_str()?.to_owned();
                let names = input
                    .get("fields")?
                    .as_array()?
                    .iter()
                    .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect();
                Some((name, names))
            })
            .collect();
        let time = records
            .iter()
            .map(|list| (list.clone(), time_paths(definition, list)))
            .collect();
        Some(Self {
            records,
            consolidated: segments.get("total").and_then(Value::as_str) == Some("consolidated"),
            fields,
            time,
        })
    }
}

/// The dimension names given in `by` (none when absent or empty).
pub(crate) fn dimensions(params: &Params) -> Vec<String> {
    params.strings("by")
}

/// Computes `entry` on `input` for the whole and for each segment of `by`.
///
/// # Errors
/// Everything the KPI returns on the whole input; `missing_field` for a record without a
/// dimension, `wrong_type` for a dimension value that is neither text nor an integer; an error
/// of one segment's computation, with the segment named in its message.
pub(crate) fn evaluate(
    entry: &Entry,
    definition: &Definition,
    input: &Value,
    params: &Params,
    by: &[String],
) -> Result<Output> {
    let Some(parts) = split(definition, input, params, by)? else {
        return entry.kpi.evaluate(input, params); // the KPI names the wrong type
    };
    let whole = entry.kpi.evaluate_cut(&parts.whole, params, Cut::Whole)?;
    let mut results = Vec::with_capacity(parts.segments.len());
    for (key, input) in parts.segments {
        let result = entry
            .kpi
            .evaluate_cut(&input, params, Cut::Segment)
            .map_err(|e| in_segment(e, by, &key))?;
        results.push((key, result));
    }
    assemble(entry, definition, whole, results, by)
}

/// An input cut by the dimensions of `by`.
pub(crate) struct Parts {
    /// The whole input, without the dimension fields.
    pub(crate) whole: Value,
    /// Each segment's key (its values in the order of `by`) and input, in key order.
    pub(crate) segments: Vec<(Vec<String>, Value)>,
}

/// Cuts `input` by the dimensions of `by`; `None` when the input is not an object (the KPI
/// itself names the wrong type).
///
/// # Errors
/// `invalid_parameter` for a KPI without segments, a time zone that does not exist or periods
/// of records without time; `missing_field` and `wrong_type` at a record's dimension.
pub(crate) fn split(
    definition: &Definition,
    input: &Value,
    params: &Params,
    by: &[String],
) -> Result<Option<Parts>> {
    let Some(declaration) = Declaration::of(definition) else {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            "params.by",
            format!("is not taken by `{}`: it has no segments", definition.id),
        ));
    };
    let Value::Object(object) = input else {
        return Ok(None);
    };
    let periods = periods(params, by)?;
    let split = Split::read(object, &declaration, by, periods.as_ref())?;
    let segments = split
        .keys
        .iter()
        .map(|(key, rows)| (key.clone(), split.segment_input(rows)))
        .collect();
    Ok(Some(Parts {
        whole: Value::Object(split.whole),
        segments,
    }))
}

/// The result with `by` and `segments`: the whole's own fields (or, for a definition whose total
/// is `consolidated`, the consolidation of the segments) and one entry per segment.
///
/// # Errors
/// `arithmetic_overflow` when a consolidated sum leaves the decimal range.
pub(crate) fn assemble(
    entry: &Entry,
    definition: &Definition,
    whole: Output,
    segments: Vec<(Vec<String>, Output)>,
    by: &[String],
) -> Result<Output> {
    let consolidated = Declaration::of(definition).is_some_and(|d| d.consolidated);
    let total = if consolidated {
        let results: Vec<&Output> = segments.iter().map(|(_, r)| r).collect();
        entry.kpi.consolidate(&whole, &results)?
    } else {
        whole
    };
    let listed = segments
        .into_iter()
        .map(|(key, result)| segment_output(by, &key, result))
        .collect();
    Ok(with_segments(total, by, listed))
}

/// The input split by dimension values: the whole without the dimension fields, and per key the
/// indexes of its records in each segmented list.
struct Split {
    whole: Map<String, Value>,
    keys: BTreeMap<Vec<String>, BTreeMap<String, Vec<usize>>>,
}

impl Split {
    fn read(
        object: &Map<String, Value>,
        declaration: &Declaration,
        by: &[String],
        periods: Option<&Periods>,
    ) -> Result<Self> {
        let mut whole = object.clone();
        let mut keys: BTreeMap<Vec<String>, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
        for list in &declaration.records {
            let Some(Value::Array(records)) = whole.get_mut(list) else {
                continue; // absent or not a list: the KPI reports it
            };
            let own = declaration.fields.get(list).cloned().unwrap_or_default();
            let clock = match periods {
                Some(periods) => Some(Clock::of(declaration, list, periods)?),
                None => None,
            };
            for (i, record) in records.iter_mut().enumerate() {
                let Value::Object(fields) = record else {
                    continue; // not a record: the KPI reports it
                };
                let path = || format!("input.{list}[{i}]");
                let key = key_of(fields, by, &path, clock.as_ref())?;
                let timed = clock.as_ref().is_some_and(|c| !c.paths.is_empty());
                let derived = |name: &String| timed && name == PERIOD;
                for name in by.iter().filter(|n| !own.contains(n) && !derived(n)) {
                    fields.shift_remove(name);
                }
                let lists = keys.entry(key).or_default();
                match lists.get_mut(list) {
                    Some(indexes) => indexes.push(i),
                    None => {
                        lists.insert(list.clone(), vec![i]);
                    }
                }
            }
        }
        Ok(Self { whole, keys })
    }

    /// The whole input with each segmented list cut down to `rows` (lists a segment has no
    /// record in become empty); other fields are copied, segmented lists are not.
    fn segment_input(&self, rows: &BTreeMap<String, Vec<usize>>) -> Value {
        let segmented = |name: &String| self.keys.values().any(|k| k.contains_key(name));
        let input = self
            .whole
            .iter()
            .map(|(name, value)| {
                let value = match (value, rows.get(name)) {
                    (Value::Array(records), Some(indexes)) => Value::Array(
                        indexes
                            .iter()
                            .filter_map(|i| records.get(*i).cloned())
                            .collect(),
                    ),
                    (Value::Array(_), None) if segmented(name) => Value::Array(Vec::new()),
                    (other, _) => other.clone(),
                };
                (name.clone(), value)
            })
            .collect();
        Value::Object(input)
    }
}

/// The periods of `period` in `by`, when the parameter `period` gives a grain.
///
/// # Errors
/// `invalid_parameter` at `params.time_zone` for a name that is not an IANA time zone.
fn periods(params: &Params, by: &[String]) -> Result<Option<Periods>> {
    derived_periods(
        params.text("period"),
        params.text("time_zone"),
        by,
        "params",
    )
}

/// The periods of `period` in `by` for the grain `grain` (none when empty) in `zone`, the
/// parameters read at `path` (`params`, or a table request's `options`).
///
/// # Errors
/// `invalid_parameter` at `<path>.time_zone` for a name that is not an IANA time zone.
pub(crate) fn derived_periods(
    grain: &str,
    zone: &str,
    by: &[String],
    path: &str,
) -> Result<Option<Periods>> {
    if grain.is_empty() || !by.iter().any(|b| b == PERIOD) {
        return Ok(None);
    }
    if zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            &format!("{path}.time_zone"),
            format!("is not an IANA time zone (such as Europe/Paris): `{zone}`"),
        ));
    }
    Periods::new(grain, Some(zone), path).map(Some)
}

/// The dimension derived from time when the parameter `period` gives a grain.
pub(crate) const PERIOD: &str = "period";

/// Where the records of one list keep their time, and the periods it falls in.
struct Clock<'a> {
    /// Paths tried in order; none when the list has no time and its records carry the label.
    paths: &'a [String],
    periods: &'a Periods,
}

impl<'a> Clock<'a> {
    /// The clock of `list`: its time paths, or, when only other lists of the KPI have a time
    /// (ROAS's costs next to its journeys), the label in each record's `period` field.
    fn of(declaration: &'a Declaration, list: &str, periods: &'a Periods) -> Result<Self> {
        let paths = declaration.time.get(list).map_or(&[][..], Vec::as_slice);
        let timed = declaration.time.values().any(|p| !p.is_empty());
        if paths.is_empty() && !timed {
            return Err(KpiError::at(
                ErrorCode::InvalidParameter,
                "params.period",
                format!(
                    "cannot derive periods: the records of `{list}` carry no time; give them a `period` field and leave the parameter `period` out"
                ),
            ));
        }
        Ok(Self { paths, periods })
    }

    /// The period label of a record: its time at the first path present, in the time zone, or
    /// its `period` field for a list without time.
    fn label(&self, fields: &Map<String, Value>, path: &str) -> Result<String> {
        if self.paths.is_empty() {
            return self.given(fields, path);
        }
        if let Some(label) = record_period(fields, self.paths, path, self.periods) {
            return label;
        }
        let first = self
            .paths
            .first()
            .map_or("", String::as_str)
            .replace('/', ".");
        Err(KpiError::at(
            ErrorCode::MissingField,
            &format!("{path}.{first}"),
            "is missing: a record's time gives its period",
        ))
    }

    /// The label a record without time gives in its `period` field.
    fn given(&self, fields: &Map<String, Value>, path: &str) -> Result<String> {
        let at = format!("{path}.{PERIOD}");
        match fields.get(PERIOD) {
            Some(Value::String(label)) => self.periods.checked_label(label, &at),
            None | Some(Value::Null) => Err(KpiError::at(
                ErrorCode::MissingField,
                &at,
                "is missing: records without a time carry the label of their period",
            )),
            Some(other) => Err(wrong_type(&at, "a period label", other)),
        }
    }
}

/// Where the records of `list` keep their time, as the definition's `segments.time` declares it
/// (none when it declares nothing).
pub(crate) fn time_paths(definition: &Definition, list: &str) -> Vec<String> {
    definition
        .document
        .pointer(&format!("/segments/time/{list}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

/// The label under `periods` of a record's time found by `paths`; `None` when the record has no
/// time there.
pub(crate) fn record_period(
    fields: &Map<String, Value>,
    paths: &[String],
    path: &str,
    periods: &Periods,
) -> Option<Result<String>> {
    let (at, time) = record_time(fields, paths, path)?;
    Some(crate::input::read_timestamp(time, &at).and_then(|seconds| periods.label(seconds, &at)))
}

/// A record's time: the value at the first of `paths` present and not null (`/` between keys,
/// `-1` the last item of a list), with its path under the record's `path`.
pub(crate) fn record_time<'v>(
    fields: &'v Map<String, Value>,
    paths: &[String],
    path: &str,
) -> Option<(String, &'v Value)> {
    for way in paths {
        let mut at = path.to_owned();
        let mut steps = way.split('/');
        let mut value = steps.next().and_then(|key| {
            at.push_str(&format!(".{key}"));
            fields.get(key)
        });
        for step in steps {
            value = match (value, step) {
                (Some(Value::Array(items)), "-1") => {
                    at.push_str(&format!("[{}]", items.len().saturating_sub(1)));
                    items.last()
                }
                (Some(Value::Object(map)), key) => {
                    at.push_str(&format!(".{key}"));
                    map.get(key)
                }
                _ => None,
            };
        }
        if let Some(time) = value.filter(|v| !v.is_null()) {
            return Some((at, time));
        }
    }
    None
}

/// A record's dimension values, as text, in the order of `by`; `period` from the record's time
/// when `clock` is given.
/// `path` makes the record's path, only when an error or a period needs it.
fn key_of(
    fields: &Map<String, Value>,
    by: &[String],
    path: &dyn Fn() -> String,
    clock: Option<&Clock>,
) -> Result<Vec<String>> {
    by.iter()
        .map(|name| {
            if let (PERIOD, Some(clock)) = (name.as_str(), clock) {
                return clock.label(fields, &path());
            }
            let at = || format!("{}.{name}", path());
            match fields.get(name) {
                None | Some(Value::Null) => Err(KpiError::at(
                    ErrorCode::MissingField,
                    &at(),
                    "is missing: every record carries the dimensions of `by`",
                )),
                Some(Value::String(text)) => Ok(text.clone()),
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
                Some(other) => Err(wrong_type(&at(), "a text or an integer", other)),
            }
        })
        .collect()
}

/// An error of one segment's computation, naming the segment.
pub(crate) fn in_segment(error: KpiError, by: &[String], key: &[String]) -> KpiError {
    let segment: Vec<String> = by
        .iter()
        .zip(key)
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    KpiError::new(
        error.code(),
        Some("params.by".to_owned()),
        format!("in segment {}: {}", segment.join(", "), error.message()),
    )
}

fn segment_output(by: &[String], key: &[String], result: Output) -> Output {
    let key = Output::Record(
        by.iter()
            .zip(key)
            .map(|(name, value)| (name.clone(), Output::Text(value.clone())))
            .collect(),
    );
    let mut fields = vec![("key".to_owned(), key)];
    if let Output::Record(own) = result {
        fields.extend(own);
    }
    Output::Record(fields)
}

fn with_segments(total: Output, by: &[String], segments: Vec<Output>) -> Output {
    let mut fields = match total {
        Output::Record(fields) => fields,
        other => vec![("result".to_owned(), other)],
    };
    fields.push((
        "by".to_owned(),
        Output::List(by.iter().map(|b| Output::Text(b.clone())).collect()),
    ));
    fields.push(("segments".to_owned(), Output::List(segments)));
    Output::Record(fields)
}
