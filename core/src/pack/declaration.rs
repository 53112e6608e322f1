//! Reading a pack's JSON into a checked [`Pack`]: one function per section, each error
//! `invalid_pack` at the field's path (`pack.kpis[2].version`).

use super::{invalid, rehomed, Pack, FORMAT};
use crate::catalog::{definition, Definition, Params};
use crate::error::Result;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A label per language (`{"en": "Average basket", "fr": "Panier moyen"}`).
pub type Labels = BTreeMap<String, String>;

/// A dimension the organization reports by (`brand`, `country`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    /// Its name, and the column that holds it unless a table maps it to another.
    pub name: String,
    /// Its labels.
    pub label: Labels,
}

/// One of the organization's tables: the file it is read from, its column names where they
/// differ from omnikpi's fields, and how its cells are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSource {
    /// The file's name among the data's files (`orders.csv`, `export.xlsx`).
    pub file: String,
    /// The sheet of a workbook the table is, when not the first.
    pub sheet: Option<String>,
    /// omnikpi's field or role (or a dimension's name) → the table's column.
    pub columns: BTreeMap<String, String>,
    /// The reading options of every table ([`crate::table::reading::Reading::from_json`]),
    /// without `columns`.
    pub reading: Value,
    /// The column of each row's time, for records whose KPI reads no time of its own (an
    /// order's date picks its period-average FX rate).
    pub time: Option<String>,
}

impl TableSource {
    /// The table's name among the texts a pack reports on: its file's (`orders.csv`), and its
    /// sheet's when declared (`export.xlsx:Orders`). Errors in its cells name it.
    pub fn entry(&self) -> String {
        match &self.sheet {
            Some(sheet) => format!("{}:{sheet}", self.file),
            None => self.file.clone(),
        }
    }
}

/// Where a KPI input comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum InputSource {
    /// A table of the pack, one record (or, for journeys, one touch) per row.
    Table(String),
    /// A value written in the pack (a funnel's steps).
    Value(Value),
}

/// One KPI of the pack.
#[derive(Debug, Clone, PartialEq)]
pub struct PackKpi {
    /// The section's key in the report (`average_basket`).
    pub key: String,
    /// The canonical KPI id.
    pub kpi: &'static str,
    /// The version range the pack accepts (`^1.1`).
    pub range: String,
    /// The organization's labels.
    pub label: Labels,
    /// The dimensions the KPI is computed by.
    pub by: Vec<String>,
    /// The locked parameters, `by`, `period` and `time_zone` included.
    pub params: Value,
    /// Each input the pack maps.
    pub inputs: BTreeMap<String, InputSource>,
}

/// A comparison view: one value of a KPI across two dimensions, side by side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The view's key.
    pub key: String,
    /// Its labels.
    pub label: Labels,
    /// The pack KPI it shows (a `kpis[].key`).
    pub section: String,
    /// The value shown, a path in a segment's result (`overall.average`,
    /// `channels[channel=web].value`).
    pub value: String,
    /// The dimension of the rows.
    pub rows: String,
    /// The dimension of the columns.
    pub columns: String,
}

/// The keys of a pack, and of each of its parts.
const PACK_KEYS: &[&str] = &[
    "format",
    "id",
    "version",
    "name",
    "languages",
    "currency",
    "period",
    "time_zone",
    "fx",
    "channels",
    "dimensions",
    "tables",
    "kpis",
    "comparisons",
];
const KPI_KEYS: &[&str] = &["key", "kpi", "version", "label", "by", "params", "inputs"];
const TABLE_KEYS: &[&str] = &["file", "sheet", "columns", "reading", "time"];
const COMPARISON_KEYS: &[&str] = &["key", "label", "kpi", "value", "rows", "columns"];
const PERIODS: &[&str] = &["day", "iso_week", "month", "quarter"];

fn object<'a>(value: &'a Value, path: &str, keys: &[&str]) -> Result<&'a Map<String, Value>> {
    let map = value
        .as_object()
        .ok_or_else(|| invalid(path, "must be an object"))?;
    if let Some(key) = map.keys().filter(|k| !keys.contains(&k.as_str())).min() {
        return Err(invalid(
            &format!("{path}.{key}"),
            format!("is not a field here (fields: {})", keys.join(", ")),
        ));
    }
    Ok(map)
}

fn text<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(invalid(&format!("{path}.{key}"), "must be non-empty text")),
        None => Err(invalid(&format!("{path}.{key}"), "is required")),
    }
}

fn opt_text(map: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => text(map, key, path).map(|s| Some(s.to_owned())),
    }
}

fn list<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a [Value]> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(invalid(&format!("{path}.{key}"), "must be a list")),
    }
}

fn labels(value: Option<&Value>, path: &str, languages: &[String]) -> Result<Labels> {
    let value = value.ok_or_else(|| invalid(path, "is required"))?;
    let map = value
        .as_object()
        .ok_or_else(|| invalid(path, "must map each language to a label"))?;
    let mut out = Labels::new();
    for (lang, label) in map {
        let at = format!("{path}.{lang}");
        if !languages.contains(lang) {
            return Err(invalid(&at, "is not one of the pack's languages"));
        }
        let label = label
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid(&at, "must be non-empty text"))?;
        out.insert(lang.clone(), label.to_owned());
    }
    if let Some(lang) = languages.iter().find(|l| !out.contains_key(*l)) {
        return Err(invalid(path, format!("has no `{lang}` label")));
    }
    Ok(out)
}

fn names(items: &[Value], path: &str) -> Result<Vec<String>> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| invalid(&format!("{path}[{i}]"), "must be non-empty text"))
        })
        .collect()
}

/// The whole pack.
pub(super) fn parse(document: &Value) -> Result<Pack> {
    let map = object(document, "pack", PACK_KEYS)?;
    let format = text(map, "format", "pack")?;
    if format != FORMAT {
        return Err(invalid(
            "pack.format",
            format!("is `{format}`; this omnikpi reads `{FORMAT}`"),
        ));
    }
    let languages = names(list(map, "languages", "pack")?, "pack.languages")?;
    if languages.is_empty() {
        return Err(invalid("pack.languages", "must name at least one language"));
    }
    let twice = languages
        .iter()
        .enumerate()
        .find(|(i, l)| languages.get(..*i).is_some_and(|before| before.contains(l)));
    if let Some((i, _)) = twice {
        return Err(invalid(&format!("pack.languages[{i}]"), "appears twice"));
    }
    let currency = text(map, "currency", "pack")?.to_owned();
    crate::money::Currency::lookup(&currency, None, "pack.currency")?;
    let period = opt_text(map, "period", "pack")?;
    if let Some(p) = period.as_deref().filter(|p| !PERIODS.contains(p)) {
        return Err(invalid(
            "pack.period",
            format!("is `{p}`; one of {}", PERIODS.join(", ")),
        ));
    }
    let time_zone = opt_text(map, "time_zone", "pack")?;
    crate::incentive::Periods::new("day", time_zone.as_deref(), "pack")
        .map_err(|e| rehomed(&e, "pack.time_zone"))?;
    let (channels, channel_labels) = channels(list(map, "channels", "pack")?, &languages)?;
    let dimensions = dimensions(list(map, "dimensions", "pack")?, &languages)?;
    let tables = tables(map.get("tables"))?;
    let mut pack = Pack {
        document: document.clone(),
        id: text(map, "id", "pack")?.to_owned(),
        version: text(map, "version", "pack")?.to_owned(),
        name: labels(map.get("name"), "pack.name", &languages)?,
        languages,
        currency,
        period,
        time_zone,
        fx: fx(map.get("fx"), &tables)?,
        channels,
        channel_labels,
        dimensions,
        tables,
        kpis: Vec::new(),
        comparisons: Vec::new(),
    };
    for (i, item) in list(map, "kpis", "pack")?.iter().enumerate() {
        let kpi = kpi(item, &format!("pack.kpis[{i}]"), &pack)?;
        taken(&pack, &kpi.key, &format!("pack.kpis[{i}].key"))?;
        pack.kpis.push(kpi);
    }
    for (i, item) in list(map, "comparisons", "pack")?.iter().enumerate() {
        let view = comparison(item, &format!("pack.comparisons[{i}]"), &pack)?;
        taken(&pack, &view.key, &format!("pack.comparisons[{i}].key"))?;
        pack.comparisons.push(view);
    }
    Ok(pack)
}

/// A key names one exported table: unique among KPIs and comparisons, not the certificates'.
fn taken(pack: &Pack, key: &str, path: &str) -> Result<()> {
    let used =
        pack.kpis.iter().any(|k| k.key == key) || pack.comparisons.iter().any(|c| c.key == key);
    if used || key == super::export::CERTIFICATES {
        return Err(invalid(
            path,
            format!("`{key}` names another table of the report (keys of kpis and comparisons are unique; `certificates` is taken)"),
        ));
    }
    Ok(())
}

fn channels(
    items: &[Value],
    languages: &[String],
) -> Result<(Vec<Value>, BTreeMap<String, Labels>)> {
    let mut taxonomy = Vec::new();
    let mut labelled = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("pack.channels[{i}]");
        let map = object(item, &path, &["channel", "group", "direct", "label"])?;
        let name = text(map, "channel", &path)?;
        let mut entry = map.clone();
        entry.shift_remove("label");
        taxonomy.push(Value::Object(entry));
        labelled.insert(
            name.to_owned(),
            labels(map.get("label"), &format!("{path}.label"), languages)?,
        );
    }
    // the taxonomy's own checks (groups, duplicates), at the pack's path
    if !taxonomy.is_empty() {
        crate::channel::Taxonomy::from_json(&Value::Array(taxonomy.clone()))
            .map_err(|e| rehomed(&e, "pack.channels"))?;
    }
    Ok((taxonomy, labelled))
}

fn dimensions(items: &[Value], languages: &[String]) -> Result<Vec<Dimension>> {
    let mut out: Vec<Dimension> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("pack.dimensions[{i}]");
        let map = object(item, &path, &["name", "label"])?;
        let name = text(map, "name", &path)?.to_owned();
        if name == "period" || out.iter().any(|d| d.name == name) {
            return Err(invalid(
                &format!("{path}.name"),
                format!("`{name}` is declared twice (`period` is derived from `pack.period`)"),
            ));
        }
        let label = labels(map.get("label"), &format!("{path}.label"), languages)?;
        out.push(Dimension { name, label });
    }
    Ok(out)
}

/// A sheet is only of a workbook, and a workbook has no CSV dialect.
fn workbook_reading(
    file: &str,
    sheet: Option<&str>,
    reading: &crate::table::reading::Reading,
    path: &str,
) -> Result<()> {
    let workbook = crate::table::xlsx::is_workbook(file);
    if sheet.is_some() && !workbook {
        return Err(invalid(
            &format!("{path}.sheet"),
            format!(
                "`{file}` is not a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods): it has no sheets"
            ),
        ));
    }
    if workbook && reading.csv != crate::table::reading::Dialect::default() {
        return Err(invalid(
            &format!("{path}.reading"),
            format!("`{file}` is a workbook: its cells have no CSV delimiter or decimal sign"),
        ));
    }
    Ok(())
}

fn tables(value: Option<&Value>) -> Result<BTreeMap<String, TableSource>> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let map = value
        .as_object()
        .ok_or_else(|| invalid("pack.tables", "must map table names to tables"))?;
    let mut out = BTreeMap::new();
    for (name, table) in map {
        let path = format!("pack.tables.{name}");
        let fields = object(table, &path, TABLE_KEYS)?;
        let columns = match fields.get("columns") {
            None => BTreeMap::new(),
            Some(Value::Object(c)) => c
                .iter()
                .map(|(field, column)| {
                    let column = column.as_str().filter(|s| !s.is_empty()).ok_or_else(|| {
                        invalid(&format!("{path}.columns.{field}"), "must be a column name")
                    })?;
                    Ok((field.clone(), column.to_owned()))
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(invalid(&format!("{path}.columns"), "must be an object")),
        };
        let reading = fields.get("reading").cloned().unwrap_or(Value::Null);
        if reading.get("columns").is_some() {
            return Err(invalid(
                &format!("{path}.reading.columns"),
                "columns are mapped in the table's own `columns`",
            ));
        }
        let declared = crate::table::reading::Reading::from_json(&reading)
            .map_err(|e| rehomed(&e, &format!("{path}.{}", e.path().unwrap_or("reading"))))?;
        let file = text(fields, "file", &path)?.to_owned();
        let sheet = opt_text(fields, "sheet", &path)?;
        workbook_reading(&file, sheet.as_deref(), &declared, &path)?;
        let source = TableSource {
            file,
            sheet,
            columns,
            reading,
            time: opt_text(fields, "time", &path)?,
        };
        out.insert(name.clone(), source);
    }
    Ok(out)
}

/// The FX declaration: the `fx` input's fields but `currency` (the pack's) and `rates`, which
/// come from the table `table` (columns `currency`, `rate`, and `valid_from` or `period`).
fn fx(value: Option<&Value>, tables: &BTreeMap<String, TableSource>) -> Result<Option<Value>> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let keys = ["id", "rate_at", "rounding", "grain", "time_zone", "table"];
    let map = object(value, "pack.fx", &keys)?;
    text(map, "id", "pack.fx")?;
    for (key, choices) in [
        ("rate_at", &["fixed", "date", "period"][..]),
        ("rounding", &["half_even", "half_up"][..]),
        ("grain", &["day", "iso_week", "month", "quarter"][..]),
    ] {
        let given = match map.get(key) {
            None if key == "grain" => continue,
            _ => text(map, key, "pack.fx")?,
        };
        if !choices.contains(&given) {
            return Err(invalid(
                &format!("pack.fx.{key}"),
                format!("is `{given}`; one of {}", choices.join(", ")),
            ));
        }
    }
    let zone = opt_text(map, "time_zone", "pack.fx")?;
    crate::incentive::Periods::new("day", zone.as_deref(), "pack.fx")
        .map_err(|e| rehomed(&e, "pack.fx.time_zone"))?;
    let table = text(map, "table", "pack.fx")?;
    if !tables.contains_key(table) {
        return Err(invalid(
            "pack.fx.table",
            format!("`{table}` is not in pack.tables"),
        ));
    }
    Ok(Some(value.clone()))
}

fn kpi(item: &Value, path: &str, pack: &Pack) -> Result<PackKpi> {
    let map = object(item, path, KPI_KEYS)?;
    let id = text(map, "kpi", path)?;
    let definition = definition(id).map_err(|e| rehomed(&e, &format!("{path}.kpi")))?;
    let range = text(map, "version", path)?;
    in_range(definition, range, &format!("{path}.version"))?;
    let by = names(list(map, "by", path)?, &format!("{path}.by"))?;
    check_by(&by, definition, pack, &format!("{path}.by"))?;
    let params = params(map.get("params"), &by, pack, path)?;
    Params::resolve(definition, &params).map_err(|e| {
        let at = e.path().unwrap_or("params").replacen("params", "", 1);
        rehomed(&e, &format!("{path}.params{at}"))
    })?;
    Ok(PackKpi {
        key: text(map, "key", path)?.to_owned(),
        kpi: definition.id,
        range: range.to_owned(),
        label: labels(map.get("label"), &format!("{path}.label"), &pack.languages)?,
        by,
        params,
        inputs: inputs(
            map.get("inputs"),
            definition,
            pack,
            &format!("{path}.inputs"),
        )?,
    })
}

fn in_range(definition: &Definition, range: &str, path: &str) -> Result<()> {
    let req = semver::VersionReq::parse(range)
        .map_err(|e| invalid(path, format!("`{range}` is not a version range ({e})")))?;
    let version = semver::Version::parse(&definition.version).map_err(|e| {
        invalid(
            path,
            format!("the definition's version cannot be read ({e})"),
        )
    })?;
    if !req.matches(&version) {
        return Err(invalid(
            path,
            format!(
                "`{range}` does not accept {} {}, the version this omnikpi defines",
                definition.id, definition.version
            ),
        ));
    }
    Ok(())
}

fn check_by(by: &[String], definition: &Definition, pack: &Pack, path: &str) -> Result<()> {
    if !by.is_empty() && definition.document.get("segments").is_none() {
        return Err(invalid(
            path,
            format!("{} takes no dimensions", definition.id),
        ));
    }
    for (i, name) in by.iter().enumerate() {
        if by.get(..i).is_some_and(|before| before.contains(name)) {
            return Err(invalid(
                &format!("{path}[{i}]"),
                format!("`{name}` appears twice"),
            ));
        }
        let timed = definition.document.pointer("/segments/time").is_some();
        if name == "period" && !timed {
            return Err(invalid(
                &format!("{path}[{i}]"),
                format!(
                    "{} reads no time of its records to derive a period from",
                    definition.id
                ),
            ));
        }
        let declared = pack.dimensions.iter().any(|d| &d.name == name)
            || (name == "period" && pack.period.is_some());
        if !declared {
            return Err(invalid(
                &format!("{path}[{i}]"),
                format!("`{name}` is not a dimension of the pack (or `period` with pack.period)"),
            ));
        }
    }
    Ok(())
}

/// The locked parameters with `by`, and the pack's period and time zone when `by` has `period`.
fn params(locked: Option<&Value>, by: &[String], pack: &Pack, path: &str) -> Result<Value> {
    let params = match locked {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid(&format!("{path}.params"), "must be an object")),
    };
    for key in ["by", "period", "time_zone"] {
        if params.contains_key(key) {
            return Err(invalid(
                &format!("{path}.params.{key}"),
                format!("is declared by the pack (`{key}`), not per KPI"),
            ));
        }
    }
    Ok(with_dimensions(params, by, pack))
}

/// `params` computed `by` the given dimensions: `by`, and the pack's period and time zone when
/// `by` has `period` (any segmentation `params` had is replaced).
pub(super) fn with_dimensions(mut params: Map<String, Value>, by: &[String], pack: &Pack) -> Value {
    for key in ["by", "period", "time_zone"] {
        params.shift_remove(key);
    }
    if !by.is_empty() {
        params.insert("by".into(), Value::from(by.to_vec()));
    }
    if by.iter().any(|b| b == "period") {
        params.insert("period".into(), Value::from(pack.period.clone()));
        if let Some(zone) = &pack.time_zone {
            params.insert("time_zone".into(), Value::from(zone.as_str()));
        }
    }
    Value::Object(params)
}

/// Whether the pack itself provides an input: the reporting currency, the channel taxonomy,
/// the FX table.
pub(super) fn provided(input: &Value) -> Option<&'static str> {
    let name = input.get("name").and_then(Value::as_str)?;
    let fields: Vec<&str> = input
        .get("fields")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(|f| f.get("name")?.as_str()).collect())
        .unwrap_or_default();
    match name {
        "currency" => Some("currency"),
        "fx" => Some("fx"),
        "channels" if fields == ["channel", "group", "direct"] => Some("channels"),
        _ => None,
    }
}

fn inputs(
    value: Option<&Value>,
    definition: &Definition,
    pack: &Pack,
    path: &str,
) -> Result<BTreeMap<String, InputSource>> {
    let declared = definition
        .document
        .get("inputs")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let given = match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid(path, "must map the KPI's inputs to tables")),
    };
    let mut out = BTreeMap::new();
    for (name, source) in &given {
        let at = format!("{path}.{name}");
        let known = declared
            .iter()
            .any(|i| i.get("name").and_then(Value::as_str) == Some(name));
        if !known {
            return Err(invalid(
                &at,
                format!("is not an input of {}", definition.id),
            ));
        }
        let source = input_source(source, pack, &at)?;
        if let InputSource::Table(t) = &source {
            let timeless = pack.tables.get(t).is_some_and(|t| t.time.is_none());
            if timeless && needs_time(pack, definition, name) {
                return Err(invalid(
                    &format!("pack.tables.{t}.time"),
                    format!("is required: the FX rates are period averages and {}'s `{name}` have no time of their own", definition.id),
                ));
            }
        }
        out.insert(name.clone(), source);
    }
    for input in declared {
        let name = input
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let optional = input.get("optional").and_then(Value::as_bool) == Some(true);
        let missing = !out.contains_key(name) && provided(input).is_none() && !optional;
        if missing {
            return Err(invalid(
                &format!("{path}.{name}"),
                "is required: map it to a table",
            ));
        }
        if provided(input) == Some("channels") && pack.channels.is_empty() {
            return Err(invalid(
                "pack.channels",
                format!("{} needs the channel taxonomy", definition.id),
            ));
        }
    }
    Ok(out)
}

/// Whether the records of `list` need a time from their table: the FX rates are period
/// averages, the KPI converts `list`'s amounts and reads no time of those records.
pub(super) fn needs_time(pack: &Pack, definition: &Definition, list: &str) -> bool {
    let averages = pack.fx.as_ref().and_then(|f| f.get("rate_at")) == Some(&Value::from("period"));
    let converted = definition
        .document
        .pointer(&format!("/fx/{list}"))
        .is_some();
    averages && converted && crate::segment::time_paths(definition, list).is_empty()
}

fn input_source(source: &Value, pack: &Pack, path: &str) -> Result<InputSource> {
    let table = match source {
        Value::String(t) => t.as_str(),
        Value::Object(m) if m.len() == 1 && m.contains_key("value") => {
            return Ok(InputSource::Value(
                m.get("value").cloned().unwrap_or(Value::Null),
            ))
        }
        Value::Object(_) => text(object(source, path, &["table"])?, "table", path)?,
        _ => return Err(invalid(path, "must name a table, or be {\"value\": ...}")),
    };
    if !pack.tables.contains_key(table) {
        return Err(invalid(path, format!("`{table}` is not in pack.tables")));
    }
    Ok(InputSource::Table(table.to_owned()))
}

fn comparison(item: &Value, path: &str, pack: &Pack) -> Result<Comparison> {
    let map = object(item, path, COMPARISON_KEYS)?;
    let section = text(map, "kpi", path)?.to_owned();
    let kpi = pack.kpis.iter().find(|k| k.key == section).ok_or_else(|| {
        invalid(
            &format!("{path}.kpi"),
            format!("`{section}` is not a key of pack.kpis"),
        )
    })?;
    let definition = definition(kpi.kpi)?;
    let view = Comparison {
        key: text(map, "key", path)?.to_owned(),
        label: labels(map.get("label"), &format!("{path}.label"), &pack.languages)?,
        section,
        value: text(map, "value", path)?.to_owned(),
        rows: text(map, "rows", path)?.to_owned(),
        columns: text(map, "columns", path)?.to_owned(),
    };
    let by = [view.rows.clone(), view.columns.clone()];
    if view.rows == view.columns {
        return Err(invalid(&format!("{path}.columns"), "must differ from rows"));
    }
    check_by(&by, definition, pack, &format!("{path}.rows"))?;
    Ok(view)
}
