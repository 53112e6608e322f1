//! Journeys from Arrow record batches in long format (one row per touch), for every source that
//! speaks Arrow: Python tables through the PyCapsule interface, Parquet files in the CLI.
//! Columns are read by type (text, integers, timestamps, decimal128) into [`LongBuilder`]; a float
//! money column is refused.

pub use super::csv::in_file;
pub use super::reading::Columns;
use super::reading::{Conversions, Reading};
use super::touches::{
    self, count_from_integer, count_from_text, float_decimal, undeclared_float, Identities, Money,
    Slice, SLICE_ROWS,
};
use crate::attribution::{JourneyKey, LongBuilder};
use crate::error::{ErrorCode, KpiError};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampSecondType};
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray, StringViewArray};
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
pub(crate) fn text(array: &ArrayRef, path: &str) -> Result<ArrayRef, KpiError> {
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
pub(crate) fn seconds(
    array: &ArrayRef,
    path: &str,
    reading: &Reading,
) -> Result<Vec<Option<i64>>, KpiError> {
    let t = array.data_type().clone();
    match t {
        // a column of nulls only (how pandas and pyarrow type an empty column)
        DataType::Null => Ok(vec![None; array.len()]),
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
    if *array.data_type() == DataType::Null {
        return Ok(vec![None; array.len()]);
    }
    if *array.data_type() == DataType::Boolean {
        return Ok(array
            .as_boolean()
            .iter()
            .map(|v| v.map(u64::from))
            .collect());
    }
    if is_text(array.data_type()) {
        // CSV cells: a count, or a flag spelled as every boolean cell is (`TRUE`, `false`, ...)
        return parsed_text(array, path, count_from_text);
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
        .map(|(row, v)| {
            v.map(|n| count_from_integer(n, || format!("{path}[{row}]")))
                .transpose()
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
        DataType::Null => Ok(vec![None; array.len()]),
        t if t.is_floating() => {
            // named at its first value (a column of nulls only, as pandas types it, is empty)
            let s = cast(array, &DataType::Float64, path)?;
            let floats = s.as_primitive::<arrow_array::types::Float64Type>();
            match floats
                .iter()
                .enumerate()
                .find_map(|(row, v)| Some((row, v?)))
            {
                Some((row, x)) => Err(undeclared_float(&format!("{path}[{row}]"), x)),
                None => Ok(vec![None; array.len()]),
            }
        }
        other => Err(error(
            ErrorCode::WrongType,
            path,
            format!("must be decimal128, text or integer, got {other}"),
        )),
    }
}

/// A money column as decimal128 integers when they all are valid amounts, else as exact
/// decimals ([`decimals`], or floats when declared, then rounded); none: every cell empty.
fn money(
    column: Option<&ArrayRef>,
    path: &str,
    reading: &Reading,
    currency: &crate::money::Currency,
    conversions: &mut Conversions,
) -> Result<Money, KpiError> {
    let Some(c) = column else {
        return Ok(Money::Exact(Vec::new()));
    };
    if let DataType::Decimal128(_, scale) = c.data_type() {
        if let Some(minor) = decimal128_minor(c, *scale, currency.minor_units()) {
            return Ok(Money::Minor(minor));
        }
    }
    let values = if reading.money_from_float && c.data_type().is_floating() {
        float_money(c, path)?
    } else {
        decimals(c, path, reading)?
    };
    Ok(Money::exact(
        values,
        reading.money_from_float,
        currency,
        conversions,
    ))
}

/// The minor units of a decimal128 column by integer arithmetic alone, when every cell is
/// non-negative, within 28 digits and exact at the minor unit; `None` sends the column to the
/// general path, which names the first cell that is not.
fn decimal128_minor(array: &ArrayRef, scale: i8, minor: u32) -> Option<Vec<i128>> {
    const DECIMAL_MAX: i128 = (1 << 96) - 1;
    let scale = u32::try_from(scale).ok().filter(|s| *s <= 28)?;
    let up = 10i128.checked_pow(minor.saturating_sub(scale))?;
    let down = 10i128.checked_pow(scale.saturating_sub(minor))?;
    let cells = array.as_primitive::<arrow_array::types::Decimal128Type>();
    cells
        .iter()
        .map(|v| match v {
            None => Some(0),
            Some(m) if !(0..=DECIMAL_MAX).contains(&m) => None,
            // at the minor unit already (the common case): no 128-bit division
            Some(m) if down == 1 => m.checked_mul(up),
            Some(m) if m.checked_rem(down)? != 0 => None,
            Some(m) => m.checked_div(down)?.checked_mul(up),
        })
        .collect()
}

/// Float money as the exact decimal of each binary value, for [`Money::exact`] to round as
/// declared ([`Reading::money_from_float`]).
pub(crate) fn float_money(array: &ArrayRef, path: &str) -> Result<Vec<Option<Decimal>>, KpiError> {
    let s = cast(array, &DataType::Float64, path)?;
    s.as_primitive::<arrow_array::types::Float64Type>()
        .iter()
        .enumerate()
        .map(|(row, v)| {
            v.map(|x| float_decimal(x, || format!("{path}[{row}]")))
                .transpose()
        })
        .collect()
}

/// A text column read where it lies: Utf8View (as polars hands its strings over) without the
/// copy a cast to Utf8 makes; any other text type cast to Utf8. Typed once per batch, so a row
/// is read without a downcast.
enum Strings {
    Utf8(StringArray),
    View(StringViewArray),
}

impl Strings {
    fn read(array: &ArrayRef, path: &str) -> Result<Self, KpiError> {
        if *array.data_type() == DataType::Utf8View {
            return Ok(Self::View(array.as_string_view().clone()));
        }
        Ok(Self::Utf8(text(array, path)?.as_string::<i32>().clone()))
    }

    /// The text of `row`; `None` for a null.
    fn at(&self, row: usize) -> Option<&str> {
        match self {
            Self::Utf8(a) => a.is_valid(row).then(|| a.value(row)),
            Self::View(a) => a.is_valid(row).then(|| a.value(row)),
        }
    }
}

/// A journey id column: integers, or text (each id non-empty).
enum Keys {
    Int(Int64Array),
    Text(Strings),
}

impl Keys {
    fn read(array: &ArrayRef, path: &str) -> Result<Self, KpiError> {
        if is_integer(array.data_type()) {
            let ints = cast(array, &DataType::Int64, path)?;
            return Ok(Self::Int(ints.as_primitive::<Int64Type>().clone()));
        }
        Ok(Self::Text(Strings::read(array, path)?))
    }

    /// The id of `row`, borrowed from the column; `None` for a null. An empty id would merge
    /// unrelated rows into one journey: it is an error.
    fn at(&self, row: usize, path: &str) -> Result<Option<JourneyKey<'_>>, KpiError> {
        match self {
            Self::Int(a) => Ok(a.is_valid(row).then(|| JourneyKey::Int(a.value(row)))),
            Self::Text(a) => a
                .at(row)
                .map(|id| super::csv::csv_id(id, || format!("{path}[{row}]")))
                .transpose()
                .map(|id| id.map(JourneyKey::Text)),
        }
    }
}

/// A channel column: text, or a dictionary whose values are looked up once per batch.
enum Channels {
    Text(Strings),
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
        Ok(Self::Text(Strings::read(array, path)?))
    }

    /// The channel of `row`: its id, or its name when it must be looked up (text columns, and
    /// names the taxonomy lacks, for the builder's error); `None` for a null.
    fn at(&self, row: usize) -> Option<Result<u16, &str>> {
        match self {
            Self::Text(strings) => strings.at(row).map(Err),
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
    let mut rows = [0];
    let read = Read {
        reading,
        currency,
        first_row,
    };
    add_parts(&mut [builder], &mut rows, batch, &read, conversions)
}

/// How a batch is read: the reading, the currency, and the number of its first row.
struct Read<'a> {
    reading: &'a Reading,
    currency: &'a crate::money::Currency,
    first_row: usize,
}

/// [`add_batch`] into `parts`, each row into the part of its journey ([`JourneyKey::part`]),
/// `rows[p]` counting the rows part `p` received.
fn add_parts(
    parts: &mut [&mut LongBuilder],
    rows: &mut [usize],
    batch: &RecordBatch,
    read: &Read<'_>,
    conversions: &mut Conversions,
) -> Result<(), KpiError> {
    // a whole table in one batch (as polars hands it over) is read in slices, so the cells
    // converted at a time stay few
    let share = batch.num_rows().checked_div(parts.len()).unwrap_or(0);
    parts.iter_mut().for_each(|b| b.reserve(share));
    let mut offset = 0;
    while offset < batch.num_rows() {
        let length = SLICE_ROWS.min(batch.num_rows().saturating_sub(offset));
        let slice = batch.slice(offset, length);
        let read = Read {
            first_row: read.first_row.saturating_add(offset),
            ..*read
        };
        add_slice(parts, rows, &slice, &read, conversions)?;
        offset = offset.saturating_add(length);
    }
    Ok(())
}

/// An error at a cell of a slice (`table.value[3]`) at the cell of the table, its slice
/// starting at `first_row` (`table.value[65539]`).
pub(crate) fn renumbered(e: KpiError, first_row: usize) -> KpiError {
    let Some(path) = e.path() else {
        return e;
    };
    let Some((column, row, after)) = touches::cell(path) else {
        return e;
    };
    let place = format!("{column}[{}]{after}", row.saturating_add(first_row));
    let message = e.message().replacen(path, &place, 1);
    KpiError::new(e.code(), Some(place), message)
}

/// [`add_parts`] on one slice of a batch.
fn add_slice(
    parts: &mut [&mut LongBuilder],
    rows: &mut [usize],
    batch: &RecordBatch,
    read: &Read<'_>,
    conversions: &mut Conversions,
) -> Result<(), KpiError> {
    let Read {
        reading,
        currency,
        first_row,
    } = *read;
    let Some(first) = parts.first() else {
        return Err(KpiError::internal("a batch read into no part"));
    };
    let names = &reading.columns;
    let path = |name: &str| format!("table.{name}");
    let required = |name: &str| {
        column(batch, name, true)
            .map(|c| c.unwrap_or_else(|| arrow_array::new_null_array(&DataType::Null, 0)))
    };
    let journey_path = path(&names.journey_id);
    // cells are numbered within the slice, errors within the table, naming the row's journey
    let keys = Keys::read(&required(&names.journey_id)?, &journey_path)?;
    let times = seconds(
        &required(&names.timestamp)?,
        &path(&names.timestamp),
        reading,
    )
    .map_err(|e| {
        let journey = |row| keys.at(row, &journey_path).ok().flatten();
        touches::named(renumbered(e, first_row), journey, first_row)
    })?;
    let channels = Channels::read(&required(&names.channel)?, &path(&names.channel), first)?;
    let ids = ArrowIds {
        keys,
        channels,
        journey_path,
    };
    let renumbered = |e: KpiError| renumbered(e, first_row);
    let journey = |row| ids.journey(row).ok().flatten();
    let named = |e: KpiError| touches::named(renumbered(e), journey, first_row);
    let counts =
        counts(&required(&names.conversions)?, &path(&names.conversions)).map_err(named)?;
    let values = money(
        column(batch, &names.value, false)?.as_ref(),
        &path(&names.value),
        reading,
        currency,
        conversions,
    )
    .map_err(named)?;
    let conversion_times = match column(batch, &names.conversion_timestamp, false)? {
        Some(c) => seconds(&c, &path(&names.conversion_timestamp), reading).map_err(named)?,
        None => vec![None; batch.num_rows()],
    };
    let slice = Slice {
        ids: &ids,
        times,
        counts,
        values,
        conversion_times,
        names,
        first_row,
        rows: batch.num_rows(),
    };
    slice.push(parts, rows, currency, renumbered)
}

/// The journey id and channel columns of an Arrow slice.
struct ArrowIds {
    keys: Keys,
    channels: Channels,
    journey_path: String,
}

impl Identities for ArrowIds {
    fn journey(&self, row: usize) -> Result<Option<JourneyKey<'_>>, KpiError> {
        self.keys.at(row, &self.journey_path)
    }

    fn channel(&self, row: usize) -> Option<Result<u16, &str>> {
        self.channels.at(row)
    }
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

/// Every batch of a long-format touch table into journeys, read as `reading` declares: the one
/// loop the CLI (CSV, Parquet, workbooks), Python and the benchmarks run. `rows`: the table's
/// row count when the reader knows it (sizes the builder once, [`LongBuilder::expect_rows`]).
/// Returns the journeys and what the reading converted ([`Conversions`]).
///
/// # Errors
/// The first error of a batch (as the iterator gives it), of [`add_batch`], or of the builder.
pub fn journeys(
    batches: impl IntoIterator<Item = Result<RecordBatch, KpiError>>,
    rows: Option<usize>,
    reading: &Reading,
    taxonomy: &crate::channel::Taxonomy,
    currency: &crate::money::Currency,
) -> Result<(crate::attribution::JourneyBatch, Conversions), KpiError> {
    let mut reader = JourneyReader::new(reading, taxonomy, currency);
    if let Some(rows) = rows {
        reader.builder.expect_rows(rows);
    }
    for batch in batches {
        reader.push(&batch?)?;
    }
    reader.finish()
}

/// Every batch of a long-format touch table read as `request` declares ([`journeys`]), the
/// journeys cut by the request's `by` when it names dimension columns
/// ([`super::dimensions::Dimensions`], read in the same pass).
///
/// # Errors
/// As [`journeys`], and the errors of the dimensions.
pub fn read(
    batches: impl IntoIterator<Item = Result<RecordBatch, KpiError>>,
    rows: Option<usize>,
    request: &crate::attribution::Request,
) -> Result<(crate::attribution::Read, Conversions), KpiError> {
    use super::dimensions::Dimensions;
    let mut reader = JourneyReader::new(&request.reading, &request.taxonomy, &request.currency);
    if let Some(rows) = rows {
        reader.builder.expect_rows(rows);
    }
    let mut dimensions = (!request.by.is_empty())
        .then(|| Dimensions::new(&request.by, &request.reading, request.periods.as_ref()));
    for batch in batches {
        let batch = batch?;
        reader.push(&batch)?;
        if let Some(dimensions) = &mut dimensions {
            dimensions.push(&batch)?;
        }
    }
    let (journeys, conversions) = reader.finish()?;
    let read = match dimensions {
        Some(dimensions) => crate::attribution::Read::Segments(dimensions.segments(&journeys)?),
        None => crate::attribution::Read::Whole(journeys),
    };
    Ok((read, conversions))
}

/// A long-format touch table read into journeys a batch at a time, as [`journeys`] reads it
/// whole. Readers of parts of one table (on several threads, say) [`JourneyReader::absorb`] one
/// another and give what one reader of the whole table gives: what a reader keeps is the
/// builder's columns, not the batches.
///
/// ```
/// use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
/// use omnikpi::channel::Taxonomy;
/// use omnikpi::money::Currency;
/// use omnikpi::table::arrow::JourneyReader;
/// use omnikpi::table::reading::Reading;
/// use std::sync::Arc;
/// let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
/// let eur = Currency::lookup("EUR", None, "currency").unwrap();
/// let touches = |ids: Vec<&str>, times: Vec<i64>| RecordBatch::try_from_iter([
///     ("journey_id", Arc::new(StringArray::from(ids)) as ArrayRef),
///     ("timestamp", Arc::new(Int64Array::from(times)) as ArrayRef),
///     ("channel", Arc::new(StringArray::from(vec!["web"; 2])) as ArrayRef),
///     ("conversions", Arc::new(Int64Array::from(vec![1, 1])) as ArrayRef),
/// ]).unwrap();
/// let reading = Reading::from_json(&serde_json::json!({"timestamp_unit": "s"})).unwrap();
/// let mut here = JourneyReader::new(&reading, &tax, &eur);
/// here.push(&touches(vec!["u1", "u2"], vec![30, 40])).unwrap();
/// let mut there = JourneyReader::new(&reading, &tax, &eur);
/// there.push(&touches(vec!["u3", "u1"], vec![50, 10])).unwrap();
/// here.absorb(&there).unwrap();
/// let (journeys, _) = here.finish().unwrap();
/// assert_eq!(journeys.offsets, vec![0, 2, 3, 4]); // u1's two touches together
/// ```
#[derive(Debug, Clone)]
pub struct JourneyReader {
    builder: LongBuilder,
    reading: Reading,
    currency: crate::money::Currency,
    rows: usize,
    conversions: Conversions,
}

impl JourneyReader {
    /// A reader of journeys over `taxonomy`, amounts in `currency`, columns read as `reading`
    /// declares.
    pub fn new(
        reading: &Reading,
        taxonomy: &crate::channel::Taxonomy,
        currency: &crate::money::Currency,
    ) -> Self {
        Self {
            builder: reading.builder(taxonomy),
            reading: reading.clone(),
            currency: currency.clone(),
            rows: 0,
            conversions: Conversions::default(),
        }
    }

    /// The rows read so far: the next batch's first row is numbered so in errors.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Reads `batch`'s rows, numbered after the rows read before.
    ///
    /// # Errors
    /// As [`add_batch`].
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), KpiError> {
        let first_row = self.rows;
        Self::push_parts(&mut [self], batch, first_row)
    }

    /// Reads `batch` into `parts` (readers of one reading and currency), each row into the part
    /// of its journey ([`JourneyKey::part`]), the batch's rows numbered from `first_row`: a
    /// table read on several threads, each journey whole in one part. What the reading
    /// converts is counted in the first part.
    ///
    /// ```
    /// use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    /// use omnikpi::attribution::JourneyKey;
    /// use omnikpi::channel::Taxonomy;
    /// use omnikpi::money::Currency;
    /// use omnikpi::table::arrow::JourneyReader;
    /// use omnikpi::table::reading::Reading;
    /// use std::sync::Arc;
    /// let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
    /// let eur = Currency::lookup("EUR", None, "currency").unwrap();
    /// let reading = Reading::from_json(&serde_json::json!({"timestamp_unit": "s"})).unwrap();
    /// let batch = RecordBatch::try_from_iter([
    ///     ("journey_id", Arc::new(StringArray::from(vec!["u1", "u2", "u1"])) as ArrayRef),
    ///     ("timestamp", Arc::new(Int64Array::from(vec![10, 20, 30])) as ArrayRef),
    ///     ("channel", Arc::new(StringArray::from(vec!["web"; 3])) as ArrayRef),
    ///     ("conversions", Arc::new(Int64Array::from(vec![1, 1, 1])) as ArrayRef),
    /// ]).unwrap();
    /// let (mut a, mut b) = (JourneyReader::new(&reading, &tax, &eur), JourneyReader::new(&reading, &tax, &eur));
    /// JourneyReader::push_parts(&mut [&mut a, &mut b], &batch, 0).unwrap();
    /// assert_eq!(a.rows() + b.rows(), 3);
    /// let parts = [a, b].map(|r| r.finish().unwrap().0);
    /// let u1 = &parts[JourneyKey::Text("u1").part(2)];
    /// assert!(u1.offsets.windows(2).any(|w| w[1] - w[0] == 2)); // u1's two rows in its part
    /// ```
    ///
    /// # Errors
    /// As [`add_batch`]; `internal_error` for parts of different readings or currencies.
    pub fn push_parts(
        parts: &mut [&mut JourneyReader],
        batch: &RecordBatch,
        first_row: usize,
    ) -> Result<(), KpiError> {
        let Some((first, others)) = parts.split_first_mut() else {
            return Err(KpiError::internal("a batch read into no part"));
        };
        if others
            .iter()
            .any(|p| p.reading != first.reading || p.currency != first.currency)
        {
            return Err(KpiError::internal(
                "parts of one table with different readings or currencies",
            ));
        }
        let mut conversions = Conversions::default();
        let mut rows = vec![0; others.len().saturating_add(1)];
        // the first part's reading and currency, borrowed beside the builders
        let JourneyReader {
            builder,
            reading,
            currency,
            ..
        } = &mut **first;
        let mut builders: Vec<&mut LongBuilder> = Vec::with_capacity(rows.len());
        builders.push(builder);
        builders.extend(others.iter_mut().map(|p| &mut p.builder));
        let read = Read {
            reading,
            currency,
            first_row,
        };
        let outcome = add_parts(&mut builders, &mut rows, batch, &read, &mut conversions);
        for (part, read) in parts.iter_mut().zip(rows) {
            part.rows = part.rows.saturating_add(read);
        }
        if let Some(first) = parts.first_mut() {
            first.conversions.add(conversions);
        }
        outcome
    }

    /// Adds what `other` read after this reader's rows ([`LongBuilder::absorb`]), and counts
    /// its conversions.
    ///
    /// # Errors
    /// As [`LongBuilder::absorb`].
    pub fn absorb(&mut self, other: &JourneyReader) -> Result<(), KpiError> {
        if self.reading != other.reading || self.currency != other.currency {
            return Err(KpiError::internal(
                "readers of one table with different readings or currencies",
            ));
        }
        self.builder.absorb(&other.builder)?;
        self.rows = self.rows.saturating_add(other.rows);
        self.conversions.add(other.conversions);
        Ok(())
    }

    /// The journeys read, validated like every other batch, and what the reading converted.
    ///
    /// # Errors
    /// As [`LongBuilder::finish`].
    pub fn finish(self) -> Result<(crate::attribution::JourneyBatch, Conversions), KpiError> {
        Ok((self.builder.finish()?, self.conversions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Taxonomy;
    use crate::money::Currency;
    use std::sync::Arc;

    /// `rows` touches of one-touch journeys, the value of `bad` set to `value`.
    fn table(rows: usize, bad: usize, value: i128) -> RecordBatch {
        let ids: Vec<String> = (0..rows).map(|i| format!("u{i}")).collect();
        let values: Vec<i128> = (0..rows)
            .map(|i| if i == bad { value } else { 1_000 })
            .collect();
        let values = arrow_array::Decimal128Array::from(values)
            .with_precision_and_scale(18, 3)
            .unwrap();
        RecordBatch::try_from_iter([
            (
                "journey_id",
                Arc::new(arrow_array::StringArray::from(ids)) as ArrayRef,
            ),
            (
                "timestamp",
                Arc::new(arrow_array::TimestampSecondArray::from(vec![0; rows])) as ArrayRef,
            ),
            (
                "channel",
                Arc::new(arrow_array::StringArray::from(vec!["web"; rows])) as ArrayRef,
            ),
            (
                "conversions",
                Arc::new(arrow_array::Int64Array::from(vec![1; rows])) as ArrayRef,
            ),
            ("value", Arc::new(values) as ArrayRef),
        ])
        .unwrap()
    }

    fn read(batches: Vec<RecordBatch>) -> Result<crate::attribution::JourneyBatch, KpiError> {
        let taxonomy =
            Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}]))
                .unwrap();
        let eur = Currency::lookup("EUR", None, "currency").unwrap();
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        journeys(
            batches.into_iter().map(Ok),
            Some(rows),
            &Reading::default(),
            &taxonomy,
            &eur,
        )
        .map(|(b, _)| b)
    }

    #[test]
    fn errors_name_the_row_of_the_table_across_slices_and_batches() {
        // one batch larger than a slice, the bad cell in its second slice
        let e = read(vec![table(70_000, 66_000, 1_005)]).err().unwrap();
        assert_eq!(e.code(), ErrorCode::InvalidMoneyScale);
        assert_eq!(e.path(), Some("table.value[66000]"));
        assert!(
            e.message().starts_with("`table.value[66000]`"),
            "{}",
            e.message()
        );
        // and the journey of that row, which a table without row numbers (SQL) can find
        assert!(
            e.message().ends_with(" (journey `u66000`)"),
            "{}",
            e.message()
        );
        // the second batch of a table
        let e = read(vec![table(10, 99, 0), table(10, 3, -10)])
            .err()
            .unwrap();
        assert_eq!(
            (e.code(), e.path()),
            (ErrorCode::NegativeAmount, Some("table.value[13]"))
        );
        assert!(e.message().ends_with(" (journey `u3`)"), "{}", e.message());
    }

    #[test]
    fn decimal128_money_reads_as_the_exact_decimals_would() {
        // 1.000 at scale 3 is 100 cents; 2.340 is 234
        let batch = read(vec![table(3, 1, 2_340)]).unwrap();
        assert_eq!(batch.value_minor, vec![100, 234, 100]);
    }
}
