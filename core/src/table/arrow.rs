//! Journeys from Arrow record batches in long format (one row per touch), for every source that
//! speaks Arrow: Python tables through the PyCapsule interface, Parquet files in the CLI.
//! Columns are read by type (text, integers, timestamps, decimal128) into [`LongBuilder`]; a float
//! money column is refused.

use crate::attribution::{JourneyKey, LongBuilder, Outcome};
use crate::error::{ErrorCode, KpiError};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampSecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use rust_decimal::Decimal;

/// Names of the columns to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Journey id column (integers or text).
    pub journey_id: String,
    /// Touch time column (timestamps, integer seconds, dates or RFC 3339 text).
    pub timestamp: String,
    /// Channel name column.
    pub channel: String,
    /// Conversions of the journey (integers), repeated on its rows.
    pub conversions: String,
    /// Optional value column (decimal128, text or integers), repeated on the journey's rows.
    pub value: String,
    /// Optional conversion time column.
    pub conversion_timestamp: String,
}

impl Default for Columns {
    fn default() -> Self {
        Self {
            journey_id: "journey_id".into(),
            timestamp: "timestamp".into(),
            channel: "channel".into(),
            conversions: "conversions".into(),
            value: "value".into(),
            conversion_timestamp: "conversion_timestamp".into(),
        }
    }
}

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

/// Timestamps as Unix seconds: timestamp columns (any unit, floored to the second), integers
/// (already seconds), dates, or RFC 3339 text.
fn seconds(array: &ArrayRef, path: &str) -> Result<Vec<Option<i64>>, KpiError> {
    let t = array.data_type().clone();
    match t {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            let s = cast(array, &DataType::Timestamp(TimeUnit::Second, None), path)?;
            Ok(s.as_primitive::<TimestampSecondType>().iter().collect())
        }
        ref i if is_integer(i) => {
            let s = cast(array, &DataType::Int64, path)?;
            Ok(s.as_primitive::<Int64Type>().iter().collect())
        }
        ref s if is_text(s) => parsed_text(array, path, crate::parse_timestamp),
        other => Err(error(
            ErrorCode::WrongType,
            path,
            format!("must be timestamps, integer seconds or RFC 3339 text, got {other}"),
        )),
    }
}

/// Counts: integer columns only (a float or bool count is refused).
fn counts(array: &ArrayRef, path: &str) -> Result<Vec<Option<u64>>, KpiError> {
    if !is_integer(array.data_type()) {
        return Err(error(
            ErrorCode::WrongType,
            path,
            format!("must be an integer column, got {}", array.data_type()),
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
fn decimals(array: &ArrayRef, path: &str) -> Result<Vec<Option<Decimal>>, KpiError> {
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
        t if is_text(t) => parsed_text(array, path, crate::decimal::parse_decimal),
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
            format!("must be decimal128, text or integer (a {other} column loses cents)"),
        )),
    }
}

/// Journey ids: integers or text.
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
    Ok(s.as_string::<i32>()
        .iter()
        .map(|v| v.map(|v| JourneyKey::Text(v.to_owned())))
        .collect())
}

/// Adds one record batch to the builder. `first_row` numbers rows across batches, so errors
/// name the row of the whole table (`table[12].channel`).
///
/// # Errors
/// `missing_field` (a column or a null cell), `wrong_type` (a column of the wrong type, such as
/// float money), `negative_count`, `negative_amount`, `invalid_decimal`, `invalid_money_scale`,
/// `invalid_timestamp`, and the builder's errors.
pub fn add_batch(
    builder: &mut LongBuilder,
    batch: &RecordBatch,
    names: &Columns,
    currency: &crate::money::Currency,
    first_row: usize,
) -> Result<(), KpiError> {
    let path = |name: &str| format!("table.{name}");
    let required = |name: &str| {
        column(batch, name, true)
            .map(|c| c.unwrap_or_else(|| arrow_array::new_null_array(&DataType::Null, 0)))
    };
    let journeys = keys(&required(&names.journey_id)?, &path(&names.journey_id))?;
    let times = seconds(&required(&names.timestamp)?, &path(&names.timestamp))?;
    let channels_array = text(&required(&names.channel)?, &path(&names.channel))?;
    let channels = channels_array.as_string::<i32>();
    let conversions = counts(&required(&names.conversions)?, &path(&names.conversions))?;
    let values = match column(batch, &names.value, false)? {
        Some(c) => decimals(&c, &path(&names.value))?,
        None => vec![None; batch.num_rows()],
    };
    let conversion_times = match column(batch, &names.conversion_timestamp, false)? {
        Some(c) => seconds(&c, &path(&names.conversion_timestamp))?,
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
        let channel = channels
            .is_valid(row)
            .then(|| channels.value(row))
            .ok_or_else(|| missing(&names.channel))?;
        let conversions = conversions.get(row).copied().flatten().unwrap_or(0);
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
        builder.push(
            journey,
            timestamp,
            channel,
            outcome,
            &format!("table[{}]", first_row.saturating_add(row)),
        )?;
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
                seconds(array, &column_path)?
                    .into_iter()
                    .map(|v| v.map(Value::from))
                    .collect()
            }
            DataType::Decimal128(_, _) => decimals(array, &column_path)?
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
