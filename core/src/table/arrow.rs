//! Journeys from Arrow record batches in long format (one row per touch), for every source that
//! speaks Arrow: Python tables through the PyCapsule interface, Parquet files in the CLI.
//! Columns are read by type (text, integers, timestamps, decimal128) into [`LongBuilder`]; a float
//! money column is refused.

pub use super::reading::Columns;
use super::reading::{Conversions, Reading};
use crate::attribution::{JourneyKey, LongBuilder, Outcome};
use crate::error::{ErrorCode, KpiError};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampSecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use rust_decimal::Decimal;

fn error(code: ErrorCode, path: &str, detail: impl std::fmt::Display) -> KpiError {
    KpiError::at(code, path, detail)
}

fn column(batch: &RecordBatch, name: &str, required: bool) -> Result<Option<ArrayRef>, KpiError> {
    match batch.column_by_name(name) {
        Some(c) => Ok(Some(c.clone())),
        None if required => Err(error(
            ErrorCode::MissingField,
            &format!("table.{name}"),
            format!("is not a column of the table (columns: {})", {
                let names: Vec<&str> = batch
                    .schema_ref()
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect();
                names.join(", ")
            }),
        )),
        None => Ok(None),
    }
}

fn cast(array: &ArrayRef, to: &DataType, path: &str) -> Result<ArrayRef, KpiError> {
    arrow_cast::cast(array, to).map_err(|e| {
        error(
            ErrorCode::WrongType,
            path,
            format!("cannot be read as {to}: {e}"),
        )
    })
}

fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _)
    )
}

fn is_integer(t: &DataType) -> bool {
    t.is_integer()
}

/// Text columns (any string or dictionary type) as Utf8.
fn text(array: &ArrayRef, path: &str) -> Result<ArrayRef, KpiError> {
    if !is_text(array.data_type()) {
        return Err(error(
            ErrorCode::WrongType,
            path,
            format!("must be a text column, got {}", array.data_type()),
        ));
    }
    cast(array, &DataType::Utf8, path)
}

/// The cells of a text column parsed by `parse` (called with the cell and its path); an empty
/// cell (as CSV writes a missing value) is no value, like a null.
fn parsed_text<T>(
    array: &ArrayRef,
    path: &str,
    parse: impl Fn(&str, &str) -> Result<T, KpiError>,
) -> Result<Vec<Option<T>>, KpiError> {
    let s = text(array, path)?;
    s.as_string::<i32>()
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| parse(v, &format!("{path}[{row}]")))
                .transpose()
        })
        .collect()
}

/// Timestamps as Unix seconds: timestamp columns (any unit, floored to the second), dates,
/// integers in the declared unit, or text ([`Reading::seconds_from_text`]).
fn seconds(array: &ArrayRef, path: &str, reading: &Reading) -> Result<Vec<Option<i64>>, KpiError> {
    let t = array.data_type().clone();
    match t {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            let s = cast(array, &DataType::Timestamp(TimeUnit::Second, None), path)?;
            Ok(s.as_primitive::<TimestampSecondType>().iter().collect())
        }
        ref i if is_integer(i) => {
            let s = cast(array, &DataType::Int64, path)?;
            s.as_primitive::<Int64Type>()
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    v.map(|n| reading.seconds_from_integer(n, &format!("{path}[{row}]")))
                        .transpose()
                })
                .collect()
        }
        ref s if is_text(s) => parsed_text(array, path, |v, p| reading.seconds_from_text(v, p)),
        other => Err(error(
            ErrorCode::WrongType,
            path,
            format!("must be timestamps, dates, integers in a declared unit or text, got {other}"),
        )),
    }
}

/// Counts: integer columns, booleans (a conversion flag: true is 1), or text holding either;
/// floats are refused.
fn counts(array: &ArrayRef, path: &str) -> Result<Vec<Option<u64>>, KpiError> {
    if *array.data_type() == DataType::Boolean {
        return Ok(array
            .as_boolean()
            .iter()
            .map(|v| v.map(u64::from))
            .collect());
    }
    if is_text(array.data_type()) {
        // CSV cells: a count, or a flag spelled as every boolean cell is (`TRUE`, `false`, ...)
        return parsed_text(array, path, |cell, at| match cell.parse::<u64>() {
            Ok(n) => Ok(n),
            Err(_) => super::csv_boolean(cell, at).map(u64::from).map_err(|_| {
                error(
                    ErrorCode::WrongType,
                    at,
                    format!("`{cell}` is not a count or a boolean"),
                )
            }),
        });
    }
    if !is_integer(array.data_type()) {
        return Err(error(
            ErrorCode::WrongType,
            path,
            format!(
                "must be an integer or boolean column, got {}",
                array.data_type()
            ),
        ));
    }
    let s = cast(array, &DataType::Int64, path)?;
    s.as_primitive::<Int64Type>()
        .iter()
        .enumerate()
        .map(|(row, v)| match v {
            Some(n) if n < 0 => Err(error(
                ErrorCode::NegativeCount,
                &format!("{path}[{row}]"),
                "must not be negative",
            )),
            Some(n) => Ok(Some(n as u64)),
            None => Ok(None),
        })
        .collect()
}

/// Money: decimal128 or text columns (or integers); a float column is refused.
fn decimals(
    array: &ArrayRef,
    path: &str,
    reading: &Reading,
) -> Result<Vec<Option<Decimal>>, KpiError> {
    match array.data_type() {
        DataType::Decimal128(_, scale) => {
            let scale = u32::try_from(*scale)
                .map_err(|_| error(ErrorCode::WrongType, path, "has a negative decimal scale"))?;
            array
                .as_primitive::<arrow_array::types::Decimal128Type>()
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    v.map(|m| {
                        Decimal::try_from_i128_with_scale(m, scale).map_err(|_| {
                            error(
                                ErrorCode::InvalidDecimal,
                                &format!("{path}[{row}]"),
                                "is beyond 28 digits",
                            )
                        })
                    })
                    .transpose()
                })
                .collect()
        }
        t if is_text(t) => parsed_text(array, path, |v, p| reading.decimal_from_text(v, p)),
        t if is_integer(t) => {
            let s = cast(array, &DataType::Int64, path)?;
            Ok(s.as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(Decimal::from))
                .collect())
        }
        other => Err(error(
            ErrorCode::WrongType,
            path,
            format!(
                "must be decimal128, text or integer (a {other} column loses cents); to round \
                 float money at the currency's minor unit, declare it (CLI --money-from-float \
                 round-half-even, Python money_from_float=\"round_half_even\")"
            ),
        )),
    }
}

/// Float money as the exact decimal of each binary value, for [`round_money`] to round as
/// declared ([`Reading::money_from_float`]). A NaN, infinite or huge value is an error.
fn float_money(array: &ArrayRef, path: &str) -> Result<Vec<Option<Decimal>>, KpiError> {
    let s = cast(array, &DataType::Float64, path)?;
    s.as_primitive::<arrow_array::types::Float64Type>()
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.map(|x| {
                Decimal::from_f64_retain(x).ok_or_else(|| {
                    error(
                        ErrorCode::InvalidDecimal,
                        &format!("{path}[{row}]"),
                        format!("`{x}` is not a finite amount within 28 digits"),
                    )
                })
            })
            .transpose()
        })
        .collect()
}

/// Rounds half to even, at `minor` places, the amounts that have more places (float money
/// declared as such), counting in `conversions` those rounded and those moved by more than 1e-9.
fn round_money(values: &mut [Option<Decimal>], minor: u32, conversions: &mut Conversions) {
    let tolerance = Decimal::new(1, 9);
    for v in values.iter_mut().flatten() {
        if v.scale() <= minor {
            continue;
        }
        let rounded = crate::decimal::round_half_even(*v, minor);
        conversions.money_rounded = conversions.money_rounded.saturating_add(1);
        let moved = v.checked_sub(rounded).map(|d| d.abs());
        if moved.is_none_or(|d| d > tolerance) {
            conversions.money_changed = conversions.money_changed.saturating_add(1);
        }
        *v = rounded;
    }
}

/// Journey ids: integers or non-empty text.
fn keys(array: &ArrayRef, path: &str) -> Result<Vec<Option<JourneyKey>>, KpiError> {
    if is_integer(array.data_type()) {
        let s = cast(array, &DataType::Int64, path)?;
        return Ok(s
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.map(JourneyKey::Int))
            .collect());
    }
    let s = text(array, path)?;
    s.as_string::<i32>()
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.map(|v| {
                // an empty id would merge unrelated rows into one journey
                super::csv::csv_id(v, &format!("{path}[{row}]"))
                    .map(|v| JourneyKey::Text(v.to_owned()))
            })
            .transpose()
        })
        .collect()
}

/// A channel column: text, or a dictionary whose values are looked up once per batch.
enum Channels {
    Text(ArrayRef),
    Dictionary {
        keys: Vec<Option<usize>>,
        /// Each dictionary value's channel id, or its name when the taxonomy lacks it.
        ids: Vec<Result<u16, String>>,
    },
}

impl Channels {
    fn read(array: &ArrayRef, path: &str, builder: &LongBuilder) -> Result<Self, KpiError> {
        if let Some(dict) = array.as_any_dictionary_opt() {
            let values = text(dict.values(), path)?;
            let values = values.as_string::<i32>();
            let ids = values
                .iter()
                .map(|v| {
                    let name = v.unwrap_or_default();
                    builder.channel_id(name).ok_or_else(|| name.to_owned())
                })
                .collect();
            let keys = arrow_cast::cast(dict.keys(), &DataType::Int64).map_err(|e| {
                error(
                    ErrorCode::WrongType,
                    path,
                    format!("has unreadable dictionary keys: {e}"),
                )
            })?;
            let keys = keys
                .as_primitive::<Int64Type>()
                .iter()
                .map(|k| k.and_then(|k| usize::try_from(k).ok()))
                .collect();
            return Ok(Self::Dictionary { keys, ids });
        }
        Ok(Self::Text(text(array, path)?))
    }

    /// The channel of `row`: its id, or its name when it must be looked up (text columns, and
    /// names the taxonomy lacks, for the builder's error); `None` for a null.
    fn at(&self, row: usize) -> Option<Result<u16, &str>> {
        match self {
            Self::Text(array) => {
                let s = array.as_string::<i32>();
                s.is_valid(row).then(|| Err(s.value(row)))
            }
            Self::Dictionary { keys, ids } => {
                let id = ids.get((*keys.get(row)?)?)?;
                Some(id.as_ref().map(|i| *i).map_err(String::as_str))
            }
        }
    }
}

/// Adds one record batch to the builder (made by [`Reading::builder`]), read as `reading`
/// declares. `first_row` numbers rows across batches, so errors name the row of the whole table
/// (`table.channel[12]`); `conversions` counts what the reading converted (float money).
///
/// # Errors
/// `missing_field` (a column or a null cell), `wrong_type` (a column of the wrong type, such as
/// undeclared float money or integer timestamps without a unit), `negative_count`,
/// `negative_amount`, `invalid_decimal`, `invalid_money_scale`, `invalid_timestamp`, and the
/// builder's errors.
pub fn add_batch(
    builder: &mut LongBuilder,
    batch: &RecordBatch,
    reading: &Reading,
    currency: &crate::money::Currency,
    first_row: usize,
    conversions: &mut Conversions,
) -> Result<(), KpiError> {
    let names = &reading.columns;
    let path = |name: &str| format!("table.{name}");
    let required = |name: &str| {
        column(batch, name, true)
            .map(|c| c.unwrap_or_else(|| arrow_array::new_null_array(&DataType::Null, 0)))
    };
    let journeys = keys(&required(&names.journey_id)?, &path(&names.journey_id))?;
    let times = seconds(
        &required(&names.timestamp)?,
        &path(&names.timestamp),
        reading,
    )?;
    let channels = Channels::read(&required(&names.channel)?, &path(&names.channel), builder)?;
    let conversion_counts = counts(&required(&names.conversions)?, &path(&names.conversions))?;
    let mut values = match column(batch, &names.value, false)? {
        Some(c) if reading.money_from_float && c.data_type().is_floating() => {
            float_money(&c, &path(&names.value))?
        }
        Some(c) => decimals(&c, &path(&names.value), reading)?,
        None => vec![None; batch.num_rows()],
    };
    if reading.money_from_float {
        round_money(&mut values, currency.minor_units(), conversions);
    }
    let conversion_times = match column(batch, &names.conversion_timestamp, false)? {
        Some(c) => seconds(&c, &path(&names.conversion_timestamp), reading)?,
        None => vec![None; batch.num_rows()],
    };
    for row in 0..batch.num_rows() {
        let at = |name: &str| format!("table.{name}[{}]", first_row.saturating_add(row));
        let missing = |name: &str| error(ErrorCode::MissingField, &at(name), "is null");
        let journey = journeys
            .get(row)
            .cloned()
            .flatten()
            .ok_or_else(|| missing(&names.journey_id))?;
        let timestamp = times
            .get(row)
            .copied()
            .flatten()
            .ok_or_else(|| missing(&names.timestamp))?;
        let channel = channels.at(row).ok_or_else(|| missing(&names.channel))?;
        let conversions = conversion_counts.get(row).copied().flatten().unwrap_or(0);
        let value = match values.get(row).copied().flatten() {
            Some(v) if v.is_sign_negative() && !v.is_zero() => {
                return Err(error(
                    ErrorCode::NegativeAmount,
                    &at(&names.value),
                    "must not be negative",
                ))
            }
            Some(v) => currency.amount(v, &at(&names.value))?.mantissa(),
            None => 0,
        };
        let outcome = Outcome {
            conversions,
            value_minor: value,
            conversion_time: conversion_times.get(row).copied().flatten(),
        };
        let table_row = first_row.saturating_add(row);
        match channel {
            Ok(id) => builder.push_id(journey, timestamp, id, outcome, table_row)?,
            Err(name) => builder.push(journey, timestamp, name, outcome, table_row)?,
        }
    }
    Ok(())
}

/// The rows of a record batch as JSON records (the list inputs of the incentive KPIs and any
/// other record-shaped input): text as strings (an empty string is no value), booleans,
/// integers, decimal128 as exact decimal strings, timestamps and dates as Unix seconds; a null
/// leaves the field out. Floating-point columns are refused (money must stay exact). Errors
/// name the column as `{path}.column`.
///
/// # Errors
/// `wrong_type` for a float or an unsupported column type, naming the column.
pub fn records(batch: &RecordBatch, path: &str) -> Result<Vec<serde_json::Value>, KpiError> {
    use serde_json::{Map, Value};
    let mut rows: Vec<Map<String, Value>> = vec![Map::new(); batch.num_rows()];
    for (field, array) in batch.schema_ref().fields().iter().zip(batch.columns()) {
        let name = field.name();
        let column_path = format!("{path}.{name}");
        let t = array.data_type().clone();
        let values: Vec<Option<Value>> = match t {
            DataType::Boolean => array
                .as_boolean()
                .iter()
                .map(|v| v.map(Value::Bool))
                .collect(),
            ref i if is_integer(i) => {
                let s = cast(array, &DataType::Int64, &column_path)?;
                s.as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.map(Value::from))
                    .collect()
            }
            DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
                seconds(array, &column_path, &Reading::default())?
                    .into_iter()
                    .map(|v| v.map(Value::from))
                    .collect()
            }
            DataType::Decimal128(_, _) => decimals(array, &column_path, &Reading::default())?
                .into_iter()
                .map(|v| v.map(|d| Value::String(d.to_string())))
                .collect(),
            ref s if is_text(s) => text(array, &column_path)?
                .as_string::<i32>()
                .iter()
                .map(|v| {
                    v.filter(|v| !v.is_empty())
                        .map(|v| Value::String(v.to_owned()))
                })
                .collect(),
            DataType::Null => vec![None; batch.num_rows()],
            other => {
                return Err(error(
                    ErrorCode::WrongType,
                    &format!("{path}.{name}"),
                    format!(
                    "is a {other} column; use text, integers, booleans, timestamps or decimal128 \
                         (floats lose money's exactness)"
                ),
                ))
            }
        };
        for (row, value) in rows.iter_mut().zip(values) {
            if let Some(v) = value {
                row.insert(name.clone(), v);
            }
        }
    }
    Ok(rows.into_iter().map(Value::Object).collect())
}

/// A CSV file as Arrow record batches, every column text (`Utf8`), so that each cell is read by
/// the same rules as a text column of any table ([`add_batch`]): one reader for CSV, Parquet and
/// Arrow. A UTF-8 byte order mark before the header is skipped. The dialect is `reading`'s,
/// what it does not declare detected from the header ([`super::reading::Dialect::detect`]);
/// the returned reading carries it, for [`add_batch`] and [`in_file`].
///
/// ```
/// use omnikpi::table::reading::Reading;
/// let csv = "\u{feff}journey_id;timestamp;channel;conversions\nj1;2026-10-01T10:00:00Z;web;1\n";
/// let (batches, reading) = omnikpi::table::arrow::csv_batches(csv.as_bytes(), "j.csv", &Reading::default()).unwrap();
/// let batches: Vec<_> = batches.collect::<Result<_, _>>().unwrap();
/// assert_eq!(batches[0].num_rows(), 1);
/// assert_eq!(batches[0].schema().field(0).name(), "journey_id");
/// assert_eq!(reading.csv.delimiter, Some(b';'));
/// ```
///
/// # Errors
/// `invalid_dataset` naming the file when it has no header or a row cannot be read.
pub fn csv_batches<R: std::io::BufRead>(
    mut reader: R,
    name: &str,
    reading: &Reading,
) -> Result<(impl Iterator<Item = Result<RecordBatch, KpiError>>, Reading), KpiError> {
    let bad = |e: &dyn std::fmt::Display, dialect: &str| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(name.to_owned()),
            format!("`{name}` cannot be read as CSV{dialect}: {e}"),
        )
    };
    let mut header = String::new();
    reader.read_line(&mut header).map_err(|e| bad(&e, ""))?;
    let header = header
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n']);
    let mut resolved = reading.clone();
    resolved.csv = reading.csv.detect(header);
    let dialect = resolved.csv;
    let delimiter = dialect.delimiter.unwrap_or(b',');
    let assumed = format!(" ({dialect})");
    let mut names = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .from_reader(header.as_bytes());
    let fields: Vec<arrow_schema::Field> = names
        .records()
        .next()
        .transpose()
        .map_err(|e| bad(&e, &assumed))?
        .ok_or_else(|| bad(&"the file is empty", &assumed))?
        .iter()
        .map(|n| arrow_schema::Field::new(n, DataType::Utf8, true))
        .collect();
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
    let file = name.to_owned();
    let batches = arrow_csv::ReaderBuilder::new(schema)
        .with_header(false)
        .with_delimiter(delimiter)
        .with_batch_size(65_536)
        .build(reader)
        .map_err(|e| bad(&e, &assumed))?;
    let batches = batches.map(move |b| {
        b.map_err(|e| {
            KpiError::new(
                ErrorCode::InvalidDataset,
                Some(file.clone()),
                format!("`{file}` cannot be read as CSV{assumed}: {e}"),
            )
        })
    });
    Ok((batches, resolved))
}

/// An error of [`add_batch`] on a file's batches (CSV, or a sheet) located in the file:
/// `table.timestamp[7]` and `table[7].channel` become `journeys.csv:row 9:timestamp` and
/// `journeys.csv:row 9:channel` (the header is row 1), the message ending with `how` the file
/// was read (`read as CSV: delimiter `;`, decimal comma`).
pub fn in_file(e: KpiError, file: &str, how: &str) -> KpiError {
    let Some(path) = e.path().map(str::to_owned) else {
        return e;
    };
    let place = |row: &str, column: &str| -> Option<String> {
        let line = row.parse::<usize>().ok()?.checked_add(2)?;
        Some(match column {
            "" => format!("{file}:row {line}"),
            c => format!("{file}:row {line}:{c}"),
        })
    };
    let located = if let Some(rest) = path.strip_prefix("table[") {
        rest.split_once(']')
            .and_then(|(row, column)| place(row, column.trim_start_matches('.')))
    } else if let Some(rest) = path.strip_prefix("table.") {
        match rest.split_once('[') {
            Some((column, row)) => row.strip_suffix(']').and_then(|row| place(row, column)),
            None => Some(format!("{file}:column {rest}")),
        }
    } else {
        None
    };
    match located {
        Some(place) => {
            let message = e.message().replacen(&path, &place, 1);
            KpiError::new(e.code(), Some(place), format!("{message} ({how})"))
        }
        None => e,
    }
}

/// Every batch of a long-format touch table into journeys, read as `reading` declares: the one
/// loop the CLI (CSV, Parquet, workbooks), Python and the benchmarks run. Returns the journeys
/// and what the reading converted ([`Conversions`]).
///
/// # Errors
/// The first error of a batch (as the iterator gives it), of [`add_batch`], or of the builder.
pub fn journeys(
    batches: impl IntoIterator<Item = Result<RecordBatch, KpiError>>,
    reading: &Reading,
    taxonomy: &crate::channel::Taxonomy,
    currency: &crate::money::Currency,
) -> Result<(crate::attribution::JourneyBatch, Conversions), KpiError> {
    let mut builder = reading.builder(taxonomy);
    let mut conversions = Conversions::default();
    let mut rows = 0usize;
    for batch in batches {
        let batch = batch?;
        add_batch(
            &mut builder,
            &batch,
            reading,
            currency,
            rows,
            &mut conversions,
        )?;
        rows = rows.saturating_add(batch.num_rows());
    }
    Ok((builder.finish()?, conversions))
}
