//! Journeys from a long-format touch table held as host values — a list of row objects
//! (`[{"user_id": "u1", "ts": 1767225600123, ...}, ...]`, as JavaScript's CSV parsers and JSON
//! APIs give it) or an object of columns (`{"user_id": [...], "ts": [...]}`) — read as the
//! [`Reading`] declares, by the cell rules and in the validation order of every other table
//! reader ([`super::touches`]). Errors name cells as the Arrow reader does: `table.ts[12]`.
//!
//! ```
//! use omnikpi::channel::Taxonomy;
//! use omnikpi::money::Currency;
//! use omnikpi::table::reading::Reading;
//! use serde_json::json;
//! let tax = Taxonomy::from_json(&json!([{"channel": "web", "group": "online"}])).unwrap();
//! let eur = Currency::lookup("EUR", None, "currency").unwrap();
//! let reading = Reading::from_json(&json!({
//!     "columns": {"journey_id": "user"}, "outcome": "last_touch", "timestamp_unit": "ms"
//! })).unwrap();
//! let rows = json!([
//!     {"user": "u1", "timestamp": 1_767_225_600_000u64, "channel": "web", "conversions": null},
//!     {"user": "u1", "timestamp": 1_767_225_660_000u64, "channel": "web", "conversions": true, "value": "90.00"},
//! ]);
//! let (batch, _) = omnikpi::table::rows::journeys(&rows, &reading, &tax, &eur).unwrap();
//! assert_eq!((batch.offsets.clone(), batch.conversions.clone()), (vec![0, 2], vec![1]));
//! assert_eq!(batch.timestamp, vec![1_767_225_600, 1_767_225_660]);
//! ```

use super::reading::{Conversions, Reading};
use super::touches::{
    self, count_from_integer, count_from_text, float_decimal, undeclared_float, Identities, Money,
    Slice, SLICE_ROWS,
};
use crate::attribution::{JourneyBatch, JourneyKey};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::wrong_type;
use rust_decimal::Decimal;
use serde_json::Value;

static NULL: Value = Value::Null;

/// The columns a reading uses, each a list of cells (rows without the column hold null).
struct Table<'a> {
    columns: Vec<(&'a str, Vec<&'a Value>)>,
    rows: usize,
    /// An empty list of rows: no row says what its columns are, and none is missing.
    shapeless: bool,
    /// Every column name, for the error naming a missing one (the first row's, for rows).
    names: Vec<&'a str>,
}

impl<'a> Table<'a> {
    /// The `wanted` columns of a list of row objects or of an object of equal-length lists
    /// (other columns are not read).
    fn read(table: &'a Value, wanted: &[&str]) -> Result<Self> {
        match table {
            Value::Array(rows) => Self::from_rows(rows, wanted),
            Value::Object(columns) => {
                let mut out = Vec::with_capacity(wanted.len());
                let mut length: Option<(usize, &str)> = None;
                for (name, cells) in columns.iter().filter(|(n, _)| wanted.contains(&n.as_str())) {
                    let cells = cells.as_array().ok_or_else(|| {
                        KpiError::at(
                            ErrorCode::WrongType,
                            &format!("table.{name}"),
                            "must be a list of cells (an object of columns holds one list per column)",
                        )
                    })?;
                    match length {
                        Some((n, first)) if n != cells.len() => {
                            return Err(KpiError::at(
                                ErrorCode::WrongType,
                                &format!("table.{name}"),
                                format!("has {} cells where `{first}` has {n}", cells.len()),
                            ))
                        }
                        _ => length = Some((cells.len(), name)),
                    }
                    out.push((name.as_str(), cells.iter().collect()));
                }
                Ok(Self {
                    columns: out,
                    rows: length.map_or(0, |(n, _)| n),
                    shapeless: false,
                    names: columns.keys().map(String::as_str).collect(),
                })
            }
            _ => Err(KpiError::at(
                ErrorCode::WrongType,
                "table",
                "must be a list of row objects or an object of columns",
            )),
        }
    }

    fn from_rows(rows: &'a [Value], wanted: &[&str]) -> Result<Self> {
        let mut columns: Vec<(&'a str, Vec<&'a Value>)> = Vec::with_capacity(wanted.len());
        for (i, row) in rows.iter().enumerate() {
            let object = row.as_object().ok_or_else(|| {
                KpiError::at(
                    ErrorCode::WrongType,
                    &format!("table[{i}]"),
                    "must be an object (one row of the table)",
                )
            })?;
            for (name, cell) in object.iter().filter(|(n, _)| wanted.contains(&n.as_str())) {
                let at = match columns.iter().position(|(n, _)| n == name) {
                    Some(at) => at,
                    None => {
                        columns.push((name.as_str(), vec![&NULL; i]));
                        columns.len().saturating_sub(1)
                    }
                };
                if let Some((_, cells)) = columns.get_mut(at) {
                    cells.push(cell);
                }
            }
            // rows without a column hold null in it
            for (_, cells) in &mut columns {
                cells.resize(i.saturating_add(1), &NULL);
            }
        }
        let first = rows.first().and_then(Value::as_object);
        Ok(Self {
            columns,
            rows: rows.len(),
            shapeless: rows.is_empty(),
            names: first
                .into_iter()
                .flatten()
                .map(|(n, _)| n.as_str())
                .collect(),
        })
    }

    fn column(&self, name: &str, required: bool) -> Result<Option<&[&'a Value]>> {
        match self.columns.iter().find(|(n, _)| *n == name) {
            Some((_, cells)) => Ok(Some(cells)),
            None if self.shapeless => Ok(Some(&[])),
            None if required => Err(KpiError::at(
                ErrorCode::MissingField,
                &format!("table.{name}"),
                format!(
                    "is not a column of the table (columns: {})",
                    self.names.join(", ")
                ),
            )),
            None => Ok(None),
        }
    }
}

/// The cells of a column from `first` on, each read by `read` (called with the cell and a
/// function giving its path), or the first error; an empty text cell is no value, as in every
/// table.
fn cells<T>(
    column: &[&Value],
    name: &str,
    first: usize,
    read: impl Fn(&Value, &dyn Fn() -> String) -> Result<T>,
) -> Result<Vec<Option<T>>> {
    column
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            v => read(v, &|| format!("table.{name}[{}]", first.saturating_add(i))).map(Some),
        })
        .collect()
}

/// Timestamps: integers in the declared unit, or text ([`Reading::seconds_from_text`]).
fn seconds(
    column: &[&Value],
    name: &str,
    first: usize,
    reading: &Reading,
) -> Result<Vec<Option<i64>>> {
    cells(column, name, first, |v, path| match v {
        Value::Number(n) => match n.as_i64() {
            Some(n) => reading.seconds_from_integer(n, &path()),
            None => Err(wrong_type(
                &path(),
                "a timestamp (text, or a 64-bit integer in a declared unit)",
                v,
            )),
        },
        Value::String(s) => reading.seconds_from_text(s, &path()),
        v => Err(wrong_type(
            &path(),
            "a timestamp (text, or an integer in a declared unit)",
            v,
        )),
    })
}

/// Conversion counts: integers, booleans (a flag: true is 1), or text holding either.
fn counts(column: &[&Value], name: &str, first: usize) -> Result<Vec<Option<u64>>> {
    cells(column, name, first, |v, path| match v {
        Value::Bool(b) => Ok(u64::from(*b)),
        Value::String(s) => count_from_text(s, &path()),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(n), _) => Ok(n),
            (None, Some(n)) => count_from_integer(n, path),
            _ => Err(wrong_type(&path(), "a count or a boolean", v)),
        },
        v => Err(wrong_type(&path(), "a count or a boolean", v)),
    })
}

/// Money: decimal text, integers, or (declared) floats.
fn money(
    column: Option<&[&Value]>,
    name: &str,
    first: usize,
    reading: &Reading,
    currency: &crate::money::Currency,
    conversions: &mut Conversions,
) -> Result<Money> {
    let Some(column) = column else {
        return Ok(Money::Exact(Vec::new()));
    };
    let values = cells(column, name, first, |v, path| match v {
        Value::String(s) => reading.decimal_from_text(s, &path()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Decimal::from(i))
            } else if let Some(u) = n.as_u64() {
                Ok(Decimal::from(u))
            } else if reading.money_from_float {
                float_decimal(n.as_f64().unwrap_or(f64::NAN), path)
            } else {
                Err(undeclared_float(&path(), n.as_f64().unwrap_or(f64::NAN)))
            }
        }
        v => Err(wrong_type(&path(), "an amount (decimal text)", v)),
    })?;
    Ok(Money::exact(
        values,
        reading.money_from_float,
        currency,
        conversions,
    ))
}

/// The cells of rows `first..end`.
fn window<'c, 'a>(column: &'c [&'a Value], first: usize, end: usize) -> &'c [&'a Value] {
    column.get(first..end).unwrap_or_default()
}

/// Channel cells are names (text) or null.
fn names_only(column: &[&Value], name: &str, first: usize) -> Result<()> {
    cells(column, name, first, |v, path| match v {
        Value::String(_) => Ok(()),
        v => Err(wrong_type(&path(), "a channel name (text)", v)),
    })
    .map(|_| ())
}

/// The journey id and channel cells of a slice.
struct ValueIds<'a, 'c> {
    ids: &'c [&'a Value],
    channels: &'c [&'a Value],
    journey: &'c str,
    first: usize,
    /// Whether the column's ids are integers (by its first id); the other kind is an error, so
    /// `7` and `"7"` are never two journeys.
    integers: Option<bool>,
}

impl Identities for ValueIds<'_, '_> {
    fn journey(&self, row: usize) -> Result<Option<JourneyKey<'_>>> {
        let path = || format!("table.{}[{}]", self.journey, self.first.saturating_add(row));
        let key = match self.ids.get(row).copied().unwrap_or(&NULL) {
            Value::Null => return Ok(None),
            Value::String(s) if self.integers != Some(true) => {
                super::csv::csv_id(s, path)?;
                JourneyKey::Text(s)
            }
            v @ Value::Number(n) if self.integers != Some(false) => match n.as_i64() {
                Some(n) => JourneyKey::Int(n),
                None => {
                    return Err(wrong_type(
                        &path(),
                        "a 64-bit integer or text journey id",
                        v,
                    ))
                }
            },
            v => {
                let like = match self.integers {
                    Some(true) => "an integer journey id, like the column's first",
                    Some(false) => "a text journey id, like the column's first",
                    None => "an integer or text journey id",
                };
                return Err(wrong_type(&path(), like, v));
            }
        };
        Ok(Some(key))
    }

    fn channel(&self, row: usize) -> Option<std::result::Result<u16, &str>> {
        match self.channels.get(row).copied().unwrap_or(&NULL) {
            Value::Null => None,
            Value::String(s) => Some(Err(s.as_str())),
            // checked before ([`names_only`])
            _ => None,
        }
    }
}

/// Every row of `table` (a list of row objects or an object of columns) into journeys, read as
/// `reading` declares. Returns the journeys and what the reading converted ([`Conversions`]).
///
/// # Errors
/// `wrong_type` for a table of another shape or a cell of the wrong kind, `missing_field` for
/// a missing column or a null cell, and the errors of every table reader (`invalid_timestamp`,
/// `negative_count`, `negative_amount`, `invalid_decimal`, `invalid_money_scale`,
/// `unknown_channel`, `invalid_dataset`), each at `table.<column>[<row>]`.
pub fn journeys(
    table: &Value,
    reading: &Reading,
    taxonomy: &crate::channel::Taxonomy,
    currency: &crate::money::Currency,
) -> Result<(JourneyBatch, Conversions)> {
    let names = &reading.columns;
    let table = Table::read(table, &names.names())?;
    let required = |name: &str| {
        table
            .column(name, true)
            .map(std::option::Option::unwrap_or_default)
    };
    let ids = required(&names.journey_id)?;
    let times = required(&names.timestamp)?;
    let channels = required(&names.channel)?;
    let counts_column = required(&names.conversions)?;
    let values = table.column(&names.value, false)?;
    let conversion_times = table.column(&names.conversion_timestamp, false)?;
    let integers = ids.iter().find(|v| !v.is_null()).map(|v| v.is_number());
    let mut builder = reading.builder(taxonomy);
    builder.reserve(table.rows);
    let mut conversions = Conversions::default();
    let mut first = 0;
    while first < table.rows {
        let end = first.saturating_add(SLICE_ROWS).min(table.rows);
        let channels = window(channels, first, end);
        let ids = ValueIds {
            ids: window(ids, first, end),
            channels,
            journey: &names.journey_id,
            first,
            integers,
        };
        let named = |e| touches::named(e, |row| ids.journey(row).ok().flatten(), first);
        // the order of every table reader: timestamps, channels' type, counts, money
        let times =
            seconds(window(times, first, end), &names.timestamp, first, reading).map_err(named)?;
        names_only(channels, &names.channel, first).map_err(named)?;
        let slice = Slice {
            times,
            counts: counts(window(counts_column, first, end), &names.conversions, first)
                .map_err(named)?,
            values: money(
                values.map(|c| window(c, first, end)),
                &names.value,
                first,
                reading,
                currency,
                &mut conversions,
            )
            .map_err(named)?,
            conversion_times: match conversion_times.map(|c| window(c, first, end)) {
                Some(c) => {
                    seconds(c, &names.conversion_timestamp, first, reading).map_err(named)?
                }
                None => Vec::new(),
            },
            ids: &ids,
            names,
            first_row: first,
            rows: end.saturating_sub(first),
        };
        slice.push(&mut [&mut builder], &mut [0], currency, |e| e)?;
        first = end;
    }
    Ok((builder.finish()?, conversions))
}

/// The journeys of a whole CSV text (a file a browser holds in memory), read as the CLI reads a
/// `.csv`: the dialect detected from the header unless `reading` declares it, an empty cell as
/// null, each cell by the rules of every touch table, errors placed at `name`'s row and column
/// with the dialect assumed. The Arrow CSV reader ([`super::arrow::csv_batches`]) streams large
/// files in the CLI; a test holds the two to the same journeys and errors.
///
/// ```
/// use omnikpi::table::{reading::Reading, rows::csv_text_journeys};
/// use omnikpi::{channel::Taxonomy, money::Currency};
/// let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
/// let eur = Currency::lookup("EUR", None, "currency").unwrap();
/// let text = "journey_id;timestamp;channel;conversions;value\nu1;2026-01-02T10:00:00Z;web;1;12,50\n";
/// let (batch, _) = csv_text_journeys(text, "touches.csv", &Reading::default(), &tax, &eur).unwrap();
/// assert_eq!(batch.value_minor, vec![1250]);
/// let bad = "journey_id,timestamp,channel,conversions\nu1,yesterday,web,1\n";
/// let e = csv_text_journeys(bad, "touches.csv", &Reading::default(), &tax, &eur).unwrap_err();
/// assert_eq!(e.path(), Some("touches.csv:row 2:timestamp"));
/// ```
///
/// # Errors
/// `invalid_dataset` for text that is not CSV, and the errors of [`journeys`], located.
pub fn csv_text_journeys(
    text: &str,
    name: &str,
    reading: &Reading,
    taxonomy: &crate::channel::Taxonomy,
    currency: &crate::money::Currency,
) -> Result<(JourneyBatch, Conversions)> {
    let csv = CsvText::read(text, name, reading)?;
    journeys(&csv.table, &csv.reading, taxonomy, currency).map_err(|e| csv.locate(e))
}

/// A CSV file's text as a table of columns (every cell text, empty cells null), with the
/// reading its header resolved (the dialect detected) and how it was read.
struct CsvText {
    table: Value,
    reading: Reading,
    name: String,
    how: String,
}

impl CsvText {
    fn read(text: &str, name: &str, reading: &Reading) -> Result<Self> {
        let body = text.trim_start_matches('\u{feff}');
        let mut resolved = reading.clone();
        resolved.csv = reading.csv.detect_text(body);
        let how = format!("read as CSV: {}", resolved.csv);
        let bad = |e: &dyn std::fmt::Display| {
            KpiError::new(
                ErrorCode::InvalidDataset,
                Some(name.to_owned()),
                format!("`{name}` cannot be read as CSV ({}): {e}", resolved.csv),
            )
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(resolved.csv.delimiter.unwrap_or(b','))
            .from_reader(body.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| bad(&e))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut columns: Vec<Vec<Value>> = vec![Vec::new(); header.len()];
        for record in reader.records() {
            let record = record.map_err(|e| bad(&e))?;
            for (i, column) in columns.iter_mut().enumerate() {
                column.push(match record.get(i).unwrap_or_default() {
                    "" => Value::Null,
                    cell => Value::String(cell.to_owned()),
                });
            }
        }
        let table = Value::Object(
            header
                .into_iter()
                .zip(columns)
                .map(|(h, c)| (h, Value::Array(c)))
                .collect(),
        );
        Ok(Self {
            table,
            reading: resolved,
            name: name.to_owned(),
            how,
        })
    }

    /// `e` at the file's row and column, saying how the file was read.
    fn locate(&self, e: KpiError) -> KpiError {
        super::csv::in_file(e, &self.name, &self.how)
    }
}

/// Every row of `table` (a list of row objects, an object of columns, or a CSV file's text,
/// named `name` in errors) read as `request` declares, the journeys cut by the request's `by`
/// when it names dimension columns ([`super::dimensions::Dimensions`]): what the Arrow reader's
/// [`super::arrow::read`] gives for the same table.
///
/// # Errors
/// As [`journeys`] and [`csv_text_journeys`]; `missing_field` at `table.<name>` or
/// `table.<name>[row]`, `wrong_type` for a dimension cell neither text nor an integer, and
/// `invalid_dataset` for a journey whose rows disagree on a dimension.
pub fn read(
    table: &Value,
    name: &str,
    request: &crate::attribution::Request,
) -> Result<(crate::attribution::Read, Conversions)> {
    let (taxonomy, currency) = (&request.taxonomy, &request.currency);
    let Value::String(text) = table else {
        return cut(table, &request.reading, request, || {
            journeys(table, &request.reading, taxonomy, currency)
        });
    };
    let csv = CsvText::read(text, name, &request.reading)?;
    cut(&csv.table, &csv.reading, request, || {
        journeys(&csv.table, &csv.reading, taxonomy, currency)
    })
    .map_err(|e| csv.locate(e))
}

/// The journeys `read` gives, cut by the dimensions of `request.by` read from `table`.
fn cut(
    table: &Value,
    reading: &Reading,
    request: &crate::attribution::Request,
    read: impl FnOnce() -> Result<(JourneyBatch, Conversions)>,
) -> Result<(crate::attribution::Read, Conversions)> {
    let (journeys, conversions) = read()?;
    if request.by.is_empty() {
        return Ok((crate::attribution::Read::Whole(journeys), conversions));
    }
    let mut dimensions =
        super::dimensions::Dimensions::new(&request.by, reading, request.periods.as_ref());
    let mut wanted: Vec<&str> = request.by.iter().map(String::as_str).collect();
    wanted.push(dimensions.id_column());
    let id_column = dimensions.id_column().to_owned();
    let names = dimensions.names().to_vec();
    let cells = Table::read(table, &wanted)?;
    let ids = cells.column(&id_column, true)?.unwrap_or_default();
    let columns = names
        .iter()
        .map(|n| Ok(cells.column(n, true)?.unwrap_or_default()))
        .collect::<Result<Vec<_>>>()?;
    for (row, id) in ids.iter().enumerate() {
        let id = dimension_text(id, &id_column, row)?;
        let key = names
            .iter()
            .zip(&columns)
            .map(|(name, column)| {
                dimension_text(column.get(row).copied().unwrap_or(&NULL), name, row)
            })
            .collect::<Result<Vec<_>>>()?;
        dimensions.push_row(&id, key, row)?;
    }
    let segments = dimensions.segments(&journeys)?;
    Ok((crate::attribution::Read::Segments(segments), conversions))
}

/// A dimension's (or journey id's) cell as text: text as it is, an integer in decimal.
fn dimension_text(cell: &Value, name: &str, row: usize) -> Result<String> {
    let path = || format!("table.{name}[{row}]");
    match cell {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Value::Null => Err(super::dimensions::empty(name, row)),
        other => Err(wrong_type(&path(), "text or an integer", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Taxonomy;
    use crate::money::Currency;
    #[cfg(feature = "arrow")]
    use proptest::prelude::*;
    use serde_json::json;

    fn taxonomy() -> Taxonomy {
        Taxonomy::from_json(&json!([
            {"channel": "web", "group": "online"},
            {"channel": "email", "group": "online"},
            {"channel": "store", "group": "offline"}
        ]))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn eur() -> Currency {
        Currency::lookup("EUR", None, "currency").unwrap_or_else(|e| panic!("{e}"))
    }

    fn read(table: &Value, reading: &Value) -> Result<(JourneyBatch, Conversions)> {
        journeys(table, &Reading::from_json(reading)?, &taxonomy(), &eur())
    }

    /// `rows` as an object of columns.
    fn columns(rows: &Value) -> Value {
        let mut out = serde_json::Map::new();
        let rows = rows.as_array().cloned().unwrap_or_default();
        for (i, row) in rows.iter().enumerate() {
            for (k, v) in row.as_object().into_iter().flatten() {
                let column = out
                    .entry(k.clone())
                    .or_insert_with(|| json!(vec![Value::Null; rows.len()]));
                if let Some(cell) = column.get_mut(i) {
                    *cell = v.clone();
                }
            }
        }
        Value::Object(out)
    }

    fn export() -> Value {
        // GA4-shaped: text ids, ms timestamps, the flag and float revenue on the last touch
        json!([
            {"user": "u2", "ts": 1_767_225_660_000u64, "ch": "store", "purchase": true, "revenue": 12.5},
            {"user": "u1", "ts": 1_767_225_600_000u64, "ch": "web", "purchase": null},
            {"user": "u2", "ts": 1_767_225_600_500u64, "ch": "email", "purchase": false},
            {"user": "u1", "ts": 1_767_225_700_000u64, "ch": "email", "purchase": true, "revenue": 0.1},
        ])
    }

    fn ga4() -> Value {
        json!({"columns": {"journey_id": "user", "timestamp": "ts", "channel": "ch",
                           "conversions": "purchase", "value": "revenue"},
               "outcome": "last_touch", "timestamp_unit": "ms", "money_from_float": "round_half_even"})
    }

    #[test]
    fn an_export_reads_as_its_canonical_table() {
        let (batch, conversions) = read(&export(), &ga4()).unwrap_or_else(|e| panic!("{e}"));
        let canonical = json!([
            {"journey_id": "u2", "timestamp": "2026-01-01T00:00:00Z", "channel": "email", "conversions": 1, "value": "12.50"},
            {"journey_id": "u2", "timestamp": "2026-01-01T00:01:00Z", "channel": "store", "conversions": 1, "value": "12.50"},
            {"journey_id": "u1", "timestamp": 1_767_225_600, "channel": "web", "conversions": 1, "value": "0.10"},
            {"journey_id": "u1", "timestamp": 1_767_225_700, "channel": "email", "conversions": 1, "value": "0.10"},
        ]);
        let (want, _) =
            read(&canonical, &json!({"timestamp_unit": "s"})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{batch:?}"), format!("{want:?}"));
        assert_eq!(batch.value_minor, vec![1250, 10]);
        // 0.1 is 0.1000000000000000055...: rounded, moved by less than 1e-9; 12.5 is exact
        assert_eq!(
            (conversions.money_rounded, conversions.money_changed),
            (1, 0)
        );
        let (by_columns, _) = read(&columns(&export()), &ga4()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{by_columns:?}"), format!("{batch:?}"));
    }

    #[test]
    fn errors_name_the_cell_and_say_what_to_declare() {
        let at = |table: Value, reading: Value| {
            let e = read(&table, &reading)
                .err()
                .unwrap_or_else(|| panic!("accepted"));
            (
                e.code().as_str().to_owned(),
                e.path().unwrap_or_default().to_owned(),
            )
        };
        let row = |over: Value| {
            let mut r =
                json!({"journey_id": 1, "timestamp": 60, "channel": "web", "conversions": 1});
            for (k, v) in over.as_object().into_iter().flatten() {
                r[k] = v.clone();
            }
            json!([{"journey_id": 1, "timestamp": 0, "channel": "web", "conversions": 1}, r])
        };
        let s = json!({"timestamp_unit": "s"});
        let cases = [
            (
                row(json!({"timestamp": 61})),
                json!({}),
                "wrong_type",
                "table.timestamp[0]",
            ),
            (
                row(json!({"value": 1.5})),
                s.clone(),
                "wrong_type",
                "table.value[1]",
            ),
            (
                row(json!({"value": "-1.00"})),
                s.clone(),
                "negative_amount",
                "table.value[1]",
            ),
            (
                row(json!({"value": "1.001"})),
                s.clone(),
                "invalid_money_scale",
                "table.value[1]",
            ),
            (
                row(json!({"conversions": -1})),
                s.clone(),
                "negative_count",
                "table.conversions[1]",
            ),
            (
                row(json!({"conversions": 1.5})),
                s.clone(),
                "wrong_type",
                "table.conversions[1]",
            ),
            (
                row(json!({"channel": null})),
                s.clone(),
                "missing_field",
                "table.channel[1]",
            ),
            (
                row(json!({"channel": 3})),
                s.clone(),
                "wrong_type",
                "table.channel[1]",
            ),
            (
                row(json!({"channel": "tv"})),
                s.clone(),
                "unknown_channel",
                "table[1].channel",
            ),
            (
                row(json!({"journey_id": "1"})),
                s.clone(),
                "wrong_type",
                "table.journey_id[1]",
            ),
            (
                row(json!({"journey_id": " "})),
                s.clone(),
                "wrong_type",
                "table.journey_id[1]",
            ),
            (
                row(json!({"timestamp": "2026-10-01 10:00:00"})),
                s.clone(),
                "invalid_timestamp",
                "table.timestamp[1]",
            ),
            (
                json!([{"journey_id": 1, "timestamp": 0, "conversions": 1}]),
                s.clone(),
                "missing_field",
                "table.channel",
            ),
            (
                json!({"journey_id": [1], "timestamp": [0, 1]}),
                s.clone(),
                "wrong_type",
                "table.timestamp",
            ),
            (json!([1]), s.clone(), "wrong_type", "table[0]"),
            (json!("rows"), s.clone(), "wrong_type", "table"),
        ];
        for (table, reading, code, path) in cases {
            assert_eq!(
                at(table.clone(), reading),
                (code.to_owned(), path.to_owned()),
                "{table}"
            );
        }
    }

    #[cfg(feature = "arrow")]
    fn arrow_batch(rows: &[(i64, i64, &str, bool, Option<&str>)]) -> arrow_array::RecordBatch {
        use arrow_array::{ArrayRef, BooleanArray, Int64Array, StringArray};
        use std::sync::Arc;
        let columns: Vec<(&str, ArrayRef)> = vec![
            (
                "journey_id",
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
            ),
            (
                "timestamp",
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))),
            ),
            (
                "channel",
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            ),
            (
                "conversions",
                Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.3)))),
            ),
            (
                "value",
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.4))),
            ),
        ];
        arrow_array::RecordBatch::try_from_iter(columns).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn malformed_csv_text_is_an_invalid_dataset_naming_the_file_and_dialect() {
        let text = "journey_id,timestamp,channel,conversions\nu1,0,web,1,extra\n";
        let reading = Reading::default();
        let e = csv_text_journeys(text, "t.csv", &reading, &taxonomy(), &eur())
            .err()
            .unwrap_or_else(|| panic!("a row of five fields under a header of four"));
        assert_eq!(
            (e.code().as_str(), e.path()),
            ("invalid_dataset", Some("t.csv"))
        );
        assert!(e.message().contains("delimiter `,`"), "{}", e.message());
    }

    #[cfg(feature = "arrow")]
    proptest! {
        /// Any table, valid or not, gives the same journeys or the same first error through
        /// the host-value reader as through the Arrow reader.
        #[test]
        fn host_rows_read_as_arrow_does(
            rows in proptest::collection::vec(
                (0i64..6, -5i64..50_000, prop_oneof![Just("web"), Just("store"), Just("tv")],
                 any::<bool>(), proptest::option::of(prop_oneof![Just("1.00"), Just("2.5"), Just("-1"), Just("0.001"), Just("x")])),
                0..40),
            last in any::<bool>(),
        ) {
            let reading = json!({"outcome": if last { "last_touch" } else { "every_row" }, "timestamp_unit": "ms"});
            let host: Vec<Value> = rows.iter().map(|r| json!({
                "journey_id": r.0, "timestamp": r.1, "channel": r.2, "conversions": r.3, "value": r.4,
            })).collect();
            let by_host = read(&Value::Array(host), &reading);
            let parsed = Reading::from_json(&reading).unwrap_or_else(|e| panic!("{e}"));
            let by_arrow = super::super::arrow::journeys(
                [Ok(arrow_batch(&rows))], None, &parsed, &taxonomy(), &eur());
            prop_assert_eq!(format!("{by_host:?}"), format!("{by_arrow:?}"));
        }

        /// Any CSV text, valid or not, in any dialect, gives the same journeys or the same first
        /// error through the text reader (the wasm build's) as through the Arrow CSV reader
        /// (the CLI's).
        #[test]
        fn csv_text_reads_as_the_arrow_csv_reader_does(
            rows in proptest::collection::vec(
                (0i64..6, prop_oneof![Just("2026-01-02T10:00:00Z"), Just("2026-01-02 11:00:00"),
                                      Just("1767348000"), Just("x"), Just("")],
                 prop_oneof![Just("web"), Just("store"), Just("tv"), Just("")],
                 prop_oneof![Just("1"), Just("0"), Just("TRUE"), Just("false"), Just("-1"), Just("")],
                 prop_oneof![Just("1.00"), Just("2,5"), Just("0.001"), Just(""), Just("\"3,10\"")]),
                0..30),
            semicolon in any::<bool>(),
        ) {
            let d = if semicolon { ";" } else { "," };
            let mut text = ["journey_id", "timestamp", "channel", "conversions", "value"].join(d);
            // cells holding the delimiter quoted, as a CSV writer does (malformed files are
            // refused by both readers in their own words: see the test below)
            let cell = |c: &str| if c.contains(d) && !c.starts_with('"') { format!("\"{c}\"") } else { c.to_owned() };
            for r in &rows {
                text.push('\n');
                text.push_str(&[format!("u{}", r.0), cell(r.1), cell(r.2), cell(r.3), cell(r.4)].join(d));
            }
            let reading = Reading::from_json(&json!({"timezone": "Europe/Paris", "timestamp_unit": "s"}))
                .unwrap_or_else(|e| panic!("{e}"));
            let by_text = csv_text_journeys(&text, "t.csv", &reading, &taxonomy(), &eur());
            let by_arrow = super::super::arrow::csv_batches(text.as_bytes(), "t.csv", &reading)
                .and_then(|(batches, resolved)| {
                    let how = format!("read as CSV: {}", resolved.csv);
                    super::super::arrow::journeys(batches, None, &resolved, &taxonomy(), &eur())
                        .map_err(|e| super::super::csv::in_file(e, "t.csv", &how))
                });
            prop_assert_eq!(format!("{by_text:?}"), format!("{by_arrow:?}"));
        }
    }
}
