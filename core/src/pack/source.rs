//! A pack KPI's input, read from the organization's files: each record list from a table (one
//! record per row, each cell read by the type the KPI declares for its field, with the table's
//! dialect, timestamp unit and time zone), journeys from a long-format touch table by the touch
//! tables' one reader, the taxonomy, currency and FX table from the pack.

use super::declaration::{provided, InputSource, PackKpi, TableSource};
use super::{Filter, Pack};
use crate::catalog::definition;
use crate::error::{ErrorCode, KpiError, Result};
use crate::table::reading::{Conversions, Dialect, Reading};
use crate::table::xlsx::is_workbook;
use crate::table::{csv_boolean, CsvRows, Table};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// A KPI's input built from the files, and how to place an error of the KPI in them.
pub(super) struct Built {
    /// The KPI's input.
    pub input: Value,
    /// Each record list's rows, to name a record's file, row and column.
    places: Vec<Place>,
    /// What reading the touch tables converted (float money rounded, when declared), to report.
    pub conversions: crate::table::reading::Conversions,
}

/// A record list's rows in its file, and the file's column names by field.
type Place = (CsvRows, BTreeMap<String, String>);

impl Built {
    /// `e` located in the file, row and column of the record it names, when it names one.
    pub(super) fn locate(&self, e: KpiError) -> KpiError {
        for (rows, columns) in &self.places {
            let Some(path) = e.path() else { break };
            if rows.place(path).is_none() {
                continue;
            }
            let located = rows.locate(e);
            return renamed(located, columns);
        }
        e
    }
}

/// A located error's column in the file's own name.
fn renamed(e: KpiError, columns: &BTreeMap<String, String>) -> KpiError {
    let Some(path) = e.path() else { return e };
    let Some((head, field)) = path.rsplit_once(':') else {
        return e;
    };
    match columns.get(field) {
        Some(column) if !field.starts_with("row ") => {
            let place = format!("{head}:{column}");
            let message = e.message().replacen(path, &place, 1);
            KpiError::new(e.code(), Some(place), message)
        }
        _ => e,
    }
}

/// The files a KPI needs that the data does not have (empty: it can be computed).
pub(super) fn missing_files(
    pack: &Pack,
    kpi: &PackKpi,
    files: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut tables: Vec<&str> = kpi
        .inputs
        .values()
        .filter_map(|s| match s {
            InputSource::Table(t) => Some(t.as_str()),
            InputSource::Value(_) => None,
        })
        .collect();
    if let Some(fx) = fx_table(pack).filter(|_| takes_fx(kpi)) {
        tables.push(fx);
    }
    let mut out: Vec<String> = tables
        .into_iter()
        .filter_map(|t| pack.tables.get(t))
        .map(TableSource::entry)
        .filter(|f| !files.contains_key(f))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn fx_table(pack: &Pack) -> Option<&str> {
    pack.fx.as_ref()?.get("table")?.as_str()
}

fn takes_fx(kpi: &PackKpi) -> bool {
    definition(kpi.kpi).is_ok_and(|d| d.document.get("fx").is_some())
}

/// The KPI's input, every table read and filtered.
pub(super) fn build(
    pack: &Pack,
    kpi: &PackKpi,
    files: &BTreeMap<String, String>,
    filter: &Filter,
) -> Result<Built> {
    let definition = definition(kpi.kpi)?;
    let declared = definition
        .document
        .get("inputs")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut input = Map::new();
    let mut places = Vec::new();
    let mut conversions = crate::table::reading::Conversions::default();
    for spec in declared {
        let name = spec.get("name").and_then(Value::as_str).unwrap_or_default();
        let value = match (kpi.inputs.get(name), provided(spec)) {
            (Some(InputSource::Value(v)), _) => v.clone(),
            (Some(InputSource::Table(t)), _) => {
                let table = pack_table(pack, t)?;
                let text = file(files, &table.entry())?;
                let mut wanted = Wanted::of(spec, kpi);
                wanted.period = fx_periods(pack, definition, name, table)?;
                let source = Source {
                    pack,
                    table,
                    filter,
                };
                if wanted.journeys {
                    let (journeys, converted) = journeys(&source, text, &wanted)?;
                    conversions.add(converted);
                    journeys
                } else {
                    let (records, rows, converted) = records(&source, text, &wanted, name)?;
                    conversions.add(converted);
                    places.push((rows, table.columns.clone()));
                    records
                }
            }
            (None, Some("currency")) => Value::from(pack.currency.as_str()),
            (None, Some("channels")) => Value::Array(pack.channels.clone()),
            (None, Some("fx")) => match &pack.fx {
                Some(fx) => {
                    let (value, rows) = fx_input(pack, fx, files)?;
                    places.push(rows);
                    value
                }
                None => continue,
            },
            _ => continue,
        };
        input.insert(name.to_owned(), value);
    }
    Ok(Built {
        input: Value::Object(input),
        places,
        conversions,
    })
}

fn pack_table<'a>(pack: &'a Pack, name: &str) -> Result<&'a TableSource> {
    pack.tables
        .get(name)
        .ok_or_else(|| super::invalid("pack.tables", format!("has no table `{name}`")))
}

fn file<'a>(files: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str> {
    files.get(name).map(String::as_str).ok_or_else(|| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(name.to_owned()),
            format!("the data has no `{name}`"),
        )
    })
}

/// What a KPI input reads from a table: its fields with their types, and the dimensions.
struct Wanted {
    fields: Vec<(String, String, bool)>,
    dimensions: Vec<String>,
    journeys: bool,
    /// The periods of the FX table's averages, when records are labelled with theirs from the
    /// table's `time` column.
    period: Option<crate::incentive::Periods>,
}

impl Wanted {
    fn of(spec: &Value, kpi: &PackKpi) -> Self {
        let fields: Vec<(String, String, bool)> = spec
            .get("fields")
            .and_then(Value::as_array)
            .map(|f| {
                f.iter()
                    .filter_map(|f| {
                        let name = f.get("name")?.as_str()?.to_owned();
                        let kind = f.get("type")?.as_str()?.to_owned();
                        let optional = f.get("optional").and_then(Value::as_bool) == Some(true);
                        Some((name, kind, optional))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let journeys = fields.iter().any(|(_, kind, _)| kind == "array");
        let dimensions = kpi.by.iter().filter(|d| *d != "period").cloned().collect();
        Self {
            fields,
            dimensions,
            journeys,
            period: None,
        }
    }
}

/// The periods to label `list`'s records with, for an FX table of period averages when the
/// KPI reads no time of those records: the table's `time` column in the FX table's grain and
/// zone (the pack's zone unless the table declares one).
fn fx_periods(
    pack: &Pack,
    definition: &crate::catalog::Definition,
    list: &str,
    table: &TableSource,
) -> Result<Option<crate::incentive::Periods>> {
    let Some(fx) = pack
        .fx
        .as_ref()
        .filter(|f| f.get("rate_at") == Some(&Value::from("period")))
    else {
        return Ok(None);
    };
    let converted = definition
        .document
        .pointer(&format!("/fx/{list}"))
        .is_some();
    if !converted || !crate::segment::time_paths(definition, list).is_empty() {
        return Ok(None);
    }
    if table.time.is_none() {
        return Ok(None); // refused when the pack was read (`needs_time`)
    }
    let text = |key: &str| fx.get(key).and_then(Value::as_str);
    let zone = text("time_zone").or(pack.time_zone.as_deref());
    let periods = crate::incentive::Periods::new(text("grain").unwrap_or("month"), zone, "pack.fx")
        .map_err(|e| super::rehomed(&e, e.path().unwrap_or("pack.fx")))?;
    Ok(Some(periods))
}

/// The table's text parsed in its dialect, with the reading it declares: a CSV file's declared
/// or detected, a workbook's sheet the one it was written in ([`crate::table::xlsx::sheet_csv`]).
fn parse(table: &TableSource, text: &str) -> Result<(Table, Reading)> {
    let mut reading = Reading::from_json(&table.reading)?;
    let body = text.trim_start_matches('\u{feff}');
    reading.csv = if is_workbook(&table.file) {
        Dialect {
            delimiter: Some(b','),
            decimal_comma: Some(false),
        }
    } else {
        reading.csv.detect(body.lines().next().unwrap_or_default())
    };
    let parsed =
        Table::parse_delimited(&table.entry(), body, reading.csv.delimiter.unwrap_or(b','))?;
    Ok((parsed, reading))
}

/// A table of the pack being read for a KPI, and the report's filter.
struct Source<'a> {
    pack: &'a Pack,
    table: &'a TableSource,
    filter: &'a Filter,
}

impl Source<'_> {
    /// The rows (indices after the header) the filter keeps, in order: every row when it is
    /// empty. With `journey` (the id column) a journey's rows are kept or dropped together, by
    /// the first value of each dimension its rows carry and the day of its latest row.
    fn kept_rows(
        &self,
        parsed: &Table,
        reading: &Reading,
        journey: Option<usize>,
    ) -> Result<Vec<usize>> {
        if self.filter.is_empty() {
            return Ok((0..parsed.rows.len()).collect());
        }
        let (table, filter) = (self.table, self.filter);
        let find = |column: &str, what: &str| {
            parsed
                .header
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| no_column(table, column, what))
        };
        let dimensions = filter
            .dimensions
            .keys()
            .map(|d| {
                find(
                    column_of(table, d),
                    &format!("the filtered dimension `{d}`"),
                )
            })
            .collect::<Result<Vec<usize>>>()?;
        let time = match filter.by_day() {
            true => {
                let column = time_column(table, &parsed.header)
                    .ok_or_else(|| no_column(table, "timestamp", "the time filtered by day"))?;
                Some((find(column, "the time filtered by day")?, column))
            }
            false => None,
        };
        let days = crate::incentive::Periods::new("day", self.pack.time_zone.as_deref(), "pack")?;
        // each unit's (a row's, or a journey's) dimension values and latest time, and each
        // row's unit
        let mut units: Vec<(Vec<Option<&str>>, Option<i64>)> = Vec::new();
        let mut journeys: HashMap<&str, usize> = HashMap::new();
        let mut unit_of = Vec::with_capacity(parsed.rows.len());
        for (r, row) in parsed.rows.iter().enumerate() {
            let fresh = units.len();
            let u = match journey {
                Some(c) => *journeys
                    .entry(cell(row, c).unwrap_or_default())
                    .or_insert(fresh),
                None => fresh,
            };
            if u == fresh {
                units.push((vec![None; dimensions.len()], None));
            }
            unit_of.push(u);
            let Some((values, latest)) = units.get_mut(u) else {
                continue;
            };
            for (slot, &c) in values.iter_mut().zip(&dimensions) {
                if slot.is_none() {
                    *slot = cell(row, c);
                }
            }
            if let Some((c, column)) = time {
                let place = || format!("{}:row {}:{column}", table.entry(), r.saturating_add(2));
                let seconds = match cell(row, c) {
                    Some(text) => reading.seconds_from_text(text, &place())?,
                    None if journey.is_some() => continue, // refused by the journeys' reader
                    None => {
                        let place = place();
                        return Err(KpiError::new(
                            ErrorCode::MissingField,
                            Some(place.clone()),
                            format!("`{place}` is empty, and the report is filtered by day"),
                        ));
                    }
                };
                *latest = Some(latest.map_or(seconds, |l| l.max(seconds)));
            }
        }
        let kept_units = units
            .iter()
            .map(|(values, latest)| {
                let day = latest.map(|t| days.label(t, &table.entry())).transpose()?;
                Ok(filter.keeps(values, day.as_deref()))
            })
            .collect::<Result<Vec<bool>>>()?;
        let kept = unit_of
            .iter()
            .enumerate()
            .filter(|(_, u)| kept_units.get(**u).copied().unwrap_or(false));
        Ok(kept.map(|(r, _)| r).collect())
    }
}

/// A row's cell in column `c`, `None` when it is empty.
fn cell(row: &[String], c: usize) -> Option<&str> {
    row.get(c).map(String::as_str).filter(|v| !v.is_empty())
}

/// The column of a table's rows' time: its declared `time`, or the column of its `timestamp`
/// field when the header has it.
fn time_column<'a>(table: &'a TableSource, header: &[String]) -> Option<&'a str> {
    let column = table
        .time
        .as_deref()
        .unwrap_or_else(|| column_of(table, "timestamp"));
    header.iter().any(|h| h == column).then_some(column)
}

/// Why a KPI cannot be computed under the filter (a table it reads has no column of a filtered
/// dimension, or no time when days are filtered), or `None` when it can.
pub(super) fn unfilterable(
    pack: &Pack,
    kpi: &PackKpi,
    files: &BTreeMap<String, String>,
    filter: &Filter,
) -> Result<Option<String>> {
    if filter.is_empty() {
        return Ok(None);
    }
    for source in kpi.inputs.values() {
        let InputSource::Table(name) = source else {
            continue;
        };
        let table = pack_table(pack, name)?;
        let text = file(files, &table.entry())?;
        let first = text.split_inclusive('\n').next().unwrap_or_default();
        let (parsed, _) = parse(table, first)?;
        for dimension in filter.dimensions.keys() {
            let column = column_of(table, dimension);
            if !parsed.header.iter().any(|h| h == column) {
                return Ok(Some(format!(
                    "`{}` has no column `{column}`",
                    table.entry()
                )));
            }
        }
        if filter.by_day() && time_column(table, &parsed.header).is_none() {
            return Ok(Some(format!("`{}` has no time of its rows", table.entry())));
        }
    }
    Ok(None)
}

fn column_of<'a>(table: &'a TableSource, field: &'a str) -> &'a str {
    table.columns.get(field).map_or(field, String::as_str)
}

fn no_column(table: &TableSource, column: &str, what: &str) -> KpiError {
    KpiError::new(
        ErrorCode::InvalidDataset,
        Some(format!("{}:header", table.entry())),
        format!("`{}` has no column `{column}` ({what})", table.entry()),
    )
}

/// One record per row; each cell by its field's type; an empty cell leaves the field out. Float
/// money, when the table declares `money_from_float`, is rounded at its currency's minor unit
/// (the row's `currency`, or the pack's) and counted.
fn records(
    source: &Source,
    text: &str,
    wanted: &Wanted,
    list: &str,
) -> Result<(Value, CsvRows, Conversions)> {
    let table = source.table;
    let entry = table.entry();
    let (parsed, reading) = parse(table, text)?;
    let kept = source.kept_rows(&parsed, &reading, None)?;
    let mut columns: Vec<(usize, &str, &str)> = Vec::new();
    for (field, kind, optional) in &wanted.fields {
        let column = column_of(table, field);
        match parsed.header.iter().position(|h| h == column) {
            Some(i) => columns.push((i, field, kind)),
            None if *optional || field == "currency" => {}
            None => {
                return Err(no_column(
                    table,
                    column,
                    &format!("the field `{field}` of `{list}`"),
                ))
            }
        }
    }
    for dimension in &wanted.dimensions {
        let column = column_of(table, dimension);
        let i = parsed
            .header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| no_column(table, column, &format!("the dimension `{dimension}`")))?;
        columns.push((i, dimension, "string"));
    }
    let time = match (&wanted.period, &table.time) {
        (Some(periods), Some(column)) => {
            let i = parsed
                .header
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| {
                    no_column(table, column, "the time that picks each row's FX rate")
                })?;
            Some((i, column, periods))
        }
        _ => None,
    };
    let how = how(table, &reading);
    let mut money = FloatMoney {
        reading: &reading,
        workbook: is_workbook(&table.file),
        pack_currency: &source.pack.currency,
        currency_column: columns
            .iter()
            .find(|(_, field, _)| *field == "currency")
            .map(|(i, _, _)| *i),
        conversions: Conversions::default(),
    };
    let mut out = Vec::with_capacity(kept.len());
    for &r in &kept {
        let Some(row) = parsed.rows.get(r) else {
            continue;
        };
        let mut record = Map::new();
        if let Some((i, column, periods)) = time {
            let place = format!("{entry}:row {}:{column}", r.saturating_add(2));
            let cell = row.get(i).map_or("", String::as_str);
            let label = reading
                .seconds_from_text(cell, &place)
                .and_then(|t| periods.label(t, &place))
                .map_err(|e| with_dialect(e, &how))?;
            record.insert("period".to_owned(), Value::from(label));
        }
        for (i, field, kind) in &columns {
            let cell = row.get(*i).map_or("", String::as_str);
            if cell.is_empty() {
                continue;
            }
            let place = format!(
                "{entry}:row {}:{}",
                r.saturating_add(2),
                column_of(table, field)
            );
            let value = match *kind {
                "money" => money.read(cell, row, &place),
                _ => cell_value(cell, kind, &reading, &place),
            }
            .map_err(|e| with_dialect(e, &how))?;
            record.insert((*field).to_owned(), value);
        }
        out.push(Value::Object(record));
    }
    let lines = kept.iter().map(|r| r.saturating_add(2)).collect();
    Ok((
        Value::Array(out),
        CsvRows::at_lines(list, &entry, lines),
        money.conversions,
    ))
}

/// Money cells of a record table: exact decimals, rounded half to even at the row's currency's
/// minor unit when the table declares `money_from_float`, and counted.
struct FloatMoney<'a> {
    reading: &'a Reading,
    /// The table is a sheet: an amount with more places than its currency's is a float.
    workbook: bool,
    pack_currency: &'a str,
    currency_column: Option<usize>,
    conversions: Conversions,
}

impl FloatMoney<'_> {
    fn read(&mut self, cell: &str, row: &[String], place: &str) -> Result<Value> {
        let mut amount = [Some(self.reading.decimal_from_text(cell, place)?)];
        if self.reading.money_from_float || self.workbook {
            let code = self
                .currency_column
                .and_then(|c| row.get(c))
                .map_or(self.pack_currency, String::as_str);
            // an unknown code is refused with its place by the KPI; the pack's unit meanwhile
            let minor = crate::money::Currency::lookup(code, None, place)
                .or_else(|_| crate::money::Currency::lookup(self.pack_currency, None, place))?
                .minor_units();
            if !self.reading.money_from_float {
                if let [Some(d)] = amount {
                    if d.scale() > minor {
                        return Err(float_in_sheet(place, &d.to_string(), code, minor));
                    }
                }
            }
            crate::table::touches::round_money(&mut amount, minor, &mut self.conversions);
        }
        let [value] = amount;
        Ok(value.map_or(Value::Null, |d| Value::from(d.to_string())))
    }
}

/// An amount of a sheet with more places than its currency's: a float, not declared as money.
fn float_in_sheet(place: &str, amount: &str, currency: &str, minor: u32) -> KpiError {
    KpiError::at(
        ErrorCode::InvalidMoneyScale,
        place,
        format!("has more decimal places than {currency} allows ({minor}): `{amount}`; {FLOAT_IN_SHEET}"),
    )
}

/// What to do about float money in a sheet.
const FLOAT_IN_SHEET: &str = "a number in a sheet is a float, read as its exact value: to \
    round float money at the currency's minor unit, declare it in the table's reading \
    (\"money_from_float\": \"round_half_even\"), and the report counts what was rounded";

/// How a table was read, for its errors: the CSV dialect, or the workbook's sheet.
fn how(table: &TableSource, reading: &Reading) -> String {
    match (is_workbook(&table.file), &table.sheet) {
        (false, _) => format!("read as CSV: {}", reading.csv),
        (true, Some(sheet)) => format!("read from the sheet `{sheet}` of a workbook"),
        (true, None) => "read from the first sheet of a workbook".to_owned(),
    }
}

fn with_dialect(e: KpiError, how: &str) -> KpiError {
    let message = format!("{} ({how})", e.message());
    KpiError::new(e.code(), e.path().map(str::to_owned), message)
}

/// A cell as the JSON value of a field of type `kind`.
fn cell_value(cell: &str, kind: &str, reading: &Reading, place: &str) -> Result<Value> {
    Ok(match kind {
        "count" | "integer" => match cell.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => {
                return Err(KpiError::at(
                    ErrorCode::WrongType,
                    place,
                    format!("`{cell}` is not a whole number"),
                ))
            }
        },
        "money" | "decimal" => Value::from(reading.decimal_from_text(cell, place)?.to_string()),
        "boolean" => Value::Bool(csv_boolean(cell, place)?),
        "timestamp" => Value::from(reading.seconds_from_text(cell, place)?),
        _ => Value::from(cell),
    })
}

/// Journeys from a long-format touch table, read by the touch tables' one reader
/// ([`crate::table::rows::journeys`]) per combination of the dimensions and the currency, each
/// journey carrying them. A journey whose rows disagree on a dimension is an error at the row.
fn journeys(
    source: &Source,
    text: &str,
    wanted: &Wanted,
) -> Result<(Value, crate::table::reading::Conversions)> {
    let (pack, table) = (source.pack, source.table);
    let (parsed, mut reading) = parse(table, text)?;
    for role in crate::table::reading::ROLES {
        if let Some(column) = table.columns.get(role) {
            reading.columns.set(role, column);
        }
    }
    let how = how(table, &reading);
    let keyed = [wanted.dimensions.clone(), vec!["currency".to_owned()]].concat();
    let mut key_columns = Vec::new();
    for name in &keyed {
        let column = column_of(table, name);
        let i = parsed.header.iter().position(|h| h == column);
        match (i, name.as_str()) {
            (Some(i), _) => key_columns.push(Some(i)),
            (None, "currency") => key_columns.push(None),
            (None, _) => return Err(no_column(table, column, &format!("the dimension `{name}`"))),
        }
    }
    let id_column = parsed
        .header
        .iter()
        .position(|h| *h == reading.columns.journey_id)
        .ok_or_else(|| no_column(table, &reading.columns.journey_id, "the journey id"))?;
    let kept = source.kept_rows(&parsed, &reading, Some(id_column))?;
    let parts = partition(&parsed, &kept, table, &keyed, &key_columns, id_column)?;
    let taxonomy = crate::channel::Taxonomy::from_json(&Value::Array(pack.channels.clone()))?;
    let mut out = Vec::new();
    let mut conversions = crate::table::reading::Conversions::default();
    for (key, rows) in parts {
        let code = key
            .last()
            .and_then(Option::as_deref)
            .unwrap_or(&pack.currency);
        let currency =
            crate::money::Currency::lookup(code, None, &format!("{}:currency", table.entry()))?;
        let cells = column_table(&parsed, &rows);
        let (batch, converted) =
            crate::table::rows::journeys(&cells, &reading, &taxonomy, &currency).map_err(|e| {
                let e = crate::table::csv::in_file(renumber(e, &rows), &table.entry(), &how);
                match e.code() {
                    ErrorCode::InvalidMoneyScale if is_workbook(&table.file) => {
                        with_dialect(e, FLOAT_IN_SHEET)
                    }
                    _ => e,
                }
            })?;
        let mut extra = Map::new();
        for (name, value) in keyed.iter().zip(&key) {
            if let Some(v) = value {
                extra.insert(name.clone(), Value::from(v.as_str()));
            }
        }
        out.extend(batch_journeys(&batch, &taxonomy, &currency, &extra));
        conversions.add(converted);
    }
    Ok((Value::Array(out), conversions))
}

type Key = Vec<Option<String>>;

/// The rows of each combination of `keyed` values, in order of first appearance. A journey's
/// value of each is the one its rows carry (the outcome's currency may sit on one row only);
/// rows of one journey that carry different values are an error at the row.
fn partition(
    parsed: &Table,
    kept: &[usize],
    table: &TableSource,
    keyed: &[String],
    key_columns: &[Option<usize>],
    id_column: usize,
) -> Result<Vec<(Key, Vec<usize>)>> {
    let id = |row: &Vec<String>| row.get(id_column).map_or("", String::as_str).to_owned();
    // each journey's first row and key
    let mut journeys: BTreeMap<String, (usize, Key)> = BTreeMap::new();
    let rows = || {
        kept.iter()
            .filter_map(|&r| parsed.rows.get(r).map(|row| (r, row)))
    };
    for (r, row) in rows() {
        let (_, key) = journeys
            .entry(id(row))
            .or_insert_with(|| (r, vec![None; key_columns.len()]));
        for ((slot, column), name) in key.iter_mut().zip(key_columns).zip(keyed) {
            let Some(cell) = column.and_then(|c| row.get(c)).filter(|v| !v.is_empty()) else {
                continue;
            };
            match slot {
                Some(first) if first != cell => {
                    let what = format!(
                        "journey `{}` has `{cell}` here and `{first}` on an earlier row",
                        id(row)
                    );
                    return Err(at_row(table, r, name, ErrorCode::InvalidDataset, &what));
                }
                Some(_) => {}
                None => *slot = Some(cell.clone()),
            }
        }
    }
    for (journey, (first, key)) in &journeys {
        // the last keyed value is the currency, which may be absent (the pack's currency)
        let dimensions = keyed.iter().zip(key).take(keyed.len().saturating_sub(1));
        if let Some((name, _)) = dimensions.into_iter().find(|(_, v)| v.is_none()) {
            let what = format!(
                "is empty, and so is every row of journey `{journey}`: each journey carries its `{name}`"
            );
            return Err(at_row(table, *first, name, ErrorCode::MissingField, &what));
        }
    }
    let mut parts: Vec<(Key, Vec<usize>)> = Vec::new();
    for (r, row) in rows() {
        let key = journeys
            .get(&id(row))
            .map(|(_, key)| key.clone())
            .unwrap_or_default();
        match parts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push(r),
            None => parts.push((key, vec![r])),
        }
    }
    Ok(parts)
}

/// An error at row `r` (counted from 0 after the header) of `table`, in the file's column of
/// the field `name`: `touches.csv:row 3:brand`.
fn at_row(table: &TableSource, r: usize, name: &str, code: ErrorCode, what: &str) -> KpiError {
    let place = format!(
        "{}:row {}:{}",
        table.entry(),
        r.saturating_add(2),
        column_of(table, name)
    );
    KpiError::new(code, Some(place.clone()), format!("`{place}` {what}"))
}

/// The given rows as a table of columns (`{column: [cell or null]}`), the shape the touch
/// tables' reader takes.
fn column_table(parsed: &Table, rows: &[usize]) -> Value {
    let mut out = Map::new();
    for (c, name) in parsed.header.iter().enumerate() {
        let cells: Vec<Value> = rows
            .iter()
            .map(|r| match parsed.rows.get(*r).and_then(|row| row.get(c)) {
                Some(cell) if !cell.is_empty() => Value::from(cell.as_str()),
                _ => Value::Null,
            })
            .collect();
        out.insert(name.clone(), Value::Array(cells));
    }
    Value::Object(out)
}

/// An error at a row of a partition, at that row of the whole table: the index in
/// `table.<column>[i]` or `table[i].<column>`.
fn renumber(e: KpiError, rows: &[usize]) -> KpiError {
    let Some(path) = e.path() else { return e };
    let Some((head, rest)) = path.split_once('[') else {
        return e;
    };
    let Some((index, tail)) = rest.split_once(']') else {
        return e;
    };
    let Some(row) = index.parse::<usize>().ok().and_then(|i| rows.get(i)) else {
        return e;
    };
    let moved = format!("{head}[{row}]{tail}");
    let message = e.message().replacen(path, &moved, 1);
    KpiError::new(e.code(), Some(moved), message)
}

/// A batch's journeys as the JSON journeys of the attribution KPIs, each with `extra` fields.
fn batch_journeys(
    batch: &crate::attribution::JourneyBatch,
    taxonomy: &crate::channel::Taxonomy,
    currency: &crate::money::Currency,
    extra: &Map<String, Value>,
) -> Vec<Value> {
    let names = taxonomy.channels();
    (0..batch.len())
        .map(|j| {
            let touches: Vec<Value> = batch
                .touches(j)
                .map(|t| {
                    let channel = batch
                        .channel
                        .get(t)
                        .and_then(|c| names.get(usize::from(*c)));
                    serde_json::json!({
                        "channel": channel.map_or("", |c| c.name.as_str()),
                        "timestamp": batch.timestamp.get(t).copied().unwrap_or_default(),
                    })
                })
                .collect();
            let minor = batch.value_minor.get(j).copied().unwrap_or_default();
            let value =
                rust_decimal::Decimal::try_from_i128_with_scale(minor, currency.minor_units())
                    .unwrap_or_default();
            let mut journey = Map::new();
            journey.insert("touches".into(), Value::Array(touches));
            journey.insert(
                "conversions".into(),
                Value::from(batch.conversions.get(j).copied().unwrap_or_default()),
            );
            journey.insert("value".into(), Value::from(value.to_string()));
            journey.insert("currency".into(), Value::from(currency.code()));
            if let Some(t) = batch.conversion_time.get(j) {
                journey.insert("conversion_timestamp".into(), Value::from(*t));
            }
            journey.extend(extra.clone());
            Value::Object(journey)
        })
        .collect()
}

/// The `fx` input: the pack's declaration, the reporting currency, and the rates of its table.
fn fx_input(pack: &Pack, fx: &Value, files: &BTreeMap<String, String>) -> Result<(Value, Place)> {
    let mut out = fx.as_object().cloned().unwrap_or_default();
    let name = out
        .shift_remove("table")
        .and_then(|t| t.as_str().map(str::to_owned))
        .unwrap_or_default();
    let table = pack_table(pack, &name)?;
    let (parsed, reading) = parse(table, file(files, &table.entry())?)?;
    let mut rates = Vec::new();
    let fields = ["currency", "rate", "valid_from", "period"];
    for (r, row) in parsed.rows.iter().enumerate() {
        let mut rate = Map::new();
        for field in fields {
            let column = column_of(table, field);
            let Some(i) = parsed.header.iter().position(|h| h == column) else {
                continue;
            };
            let cell = row.get(i).map_or("", String::as_str);
            if cell.is_empty() {
                continue;
            }
            let place = format!("{}:row {}:{column}", table.entry(), r.saturating_add(2));
            let value = if field == "rate" {
                Value::from(reading.decimal_from_text(cell, &place)?.to_string())
            } else {
                Value::from(cell)
            };
            rate.insert(field.to_owned(), value);
        }
        rates.push(Value::Object(rate));
    }
    out.insert("currency".into(), Value::from(pack.currency.as_str()));
    if let (None, Some(zone)) = (out.get("time_zone"), &pack.time_zone) {
        out.insert("time_zone".into(), Value::from(zone.as_str()));
    }
    let rows = CsvRows::one_per_row("fx.rates", &table.entry(), rates.len());
    out.insert("rates".into(), Value::Array(rates));
    Ok((Value::Object(out), (rows, table.columns.clone())))
}
