//! Tables of records (an incentive input's sales, touches and claimed payouts) as the JSON
//! records the KPIs read, by one set of cell rules whatever the file: CSV (any dialect, Excel's
//! `;` with decimal commas included), a sheet of a workbook, or any Arrow table. What a column
//! holds is declared once per table ([`Kinds`]): money is an exact decimal (text in the file's
//! decimal sign, decimal128, integers; float cells only when `money_from_float` is declared,
//! then rounded half to even at the currency's minor unit and counted), time is Unix seconds
//! (by the reading's time zone and unit, never guessed), a flag is a boolean, anything else is
//! text (integer cells, as a spreadsheet holds ids, become their digits).
//!
//! ```
//! use omnikpi::table::records::{text_cell, Kinds};
//! use omnikpi::table::reading::Reading;
//! let kinds = Kinds { money: &["amount"], time: &["timestamp"], flags: &["click_and_collect"] };
//! let mut excel = Reading::default();
//! excel.csv.decimal_comma = Some(true);
//! assert_eq!(text_cell(&kinds, "amount", "89,19", &excel, "x").unwrap(), "89.19");
//! assert_eq!(text_cell(&kinds, "timestamp", "2026-10-01T10:00:00Z", &excel, "x").unwrap(), "2026-10-01T10:00:00Z");
//! excel.timezone = Some(omnikpi::table::reading::Zone::parse("UTC", "x").unwrap());
//! assert_eq!(text_cell(&kinds, "timestamp", "2026-10-01 10:00:00", &excel, "x").unwrap(), 1_790_848_800);
//! assert_eq!(text_cell(&kinds, "click_and_collect", "TRUE", &excel, "x").unwrap(), true);
//! assert!(text_cell(&kinds, "timestamp", "1790848800", &excel, "x").is_err()); // no unit declared
//! ```

use super::reading::Reading;
use crate::error::{KpiError, Result};
use serde_json::Value;

/// What the columns of a record table hold, by name; a column named in none is text.
#[derive(Debug, Clone, Copy)]
pub struct Kinds<'a> {
    /// Exact amounts, written as decimal strings.
    pub money: &'a [&'a str],
    /// Timestamps, written as Unix seconds.
    pub time: &'a [&'a str],
    /// Booleans.
    pub flags: &'a [&'a str],
}

/// The kind of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Money,
    Time,
    Flag,
    Text,
}

impl Kinds<'_> {
    fn of(&self, column: &str) -> Kind {
        if self.money.contains(&column) {
            Kind::Money
        } else if self.time.contains(&column) {
            Kind::Time
        } else if self.flags.contains(&column) {
            Kind::Flag
        } else {
            Kind::Text
        }
    }
}

/// A non-empty text cell of `column` as its record value: money as the canonical decimal
/// string (read in the reading's decimal sign), time as written when it is RFC 3339 and
/// otherwise as Unix seconds ([`Reading::seconds_from_text`]: a naive time in the declared
/// zone, an integer in the declared unit), a flag as a boolean, text as it is.
///
/// # Errors
/// At `path`: `invalid_decimal`, `invalid_timestamp`, `wrong_type` (integer time without a
/// declared unit), `invalid_dataset` (a flag that is not a boolean).
pub fn text_cell(
    kinds: &Kinds<'_>,
    column: &str,
    cell: &str,
    reading: &Reading,
    path: &str,
) -> Result<Value> {
    Ok(match kinds.of(column) {
        Kind::Money => Value::String(reading.decimal_from_text(cell, path)?.to_string()),
        // RFC 3339 text is kept as written (every front end hands it over so, and the KPI reads
        // it); other times become Unix seconds by the declared zone or unit
        Kind::Time if chrono::DateTime::parse_from_rfc3339(cell).is_ok() => {
            Value::String(cell.to_owned())
        }
        Kind::Time => Value::from(reading.seconds_from_text(cell, path)?),
        Kind::Flag => Value::Bool(super::csv_boolean(cell, path)?),
        Kind::Text => Value::String(cell.to_owned()),
    })
}

/// [`text_cell`] with the cell's path built only when the cell is wrong: a table of a million
/// rows is read without formatting a path per cell.
pub(crate) fn cell(
    kinds: &Kinds<'_>,
    column: &str,
    text: &str,
    reading: &Reading,
    path: impl FnOnce() -> String,
) -> Result<Value> {
    if kinds.of(column) == Kind::Text {
        return Ok(Value::String(text.to_owned()));
    }
    // the error, if any, is made again at the real path: the same code and message there
    text_cell(kinds, column, text, reading, "")
        .or_else(|_| text_cell(kinds, column, text, reading, &path()))
}

#[cfg(feature = "arrow")]
pub use self::batches::{read, Records};

#[cfg(feature = "arrow")]
mod batches {
    use super::{cell, Kind, Kinds};
    use crate::error::{ErrorCode, KpiError, Result};
    use crate::table::arrow::{csv_batches, in_file, renumbered, seconds, text as text_array};
    use crate::table::reading::{Conversions, Reading};
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Decimal128Type, Float64Type, Int64Type};
    use arrow_array::{Array, ArrayRef, RecordBatch};
    use arrow_schema::DataType;
    use rust_decimal::Decimal;
    use serde_json::{Map, Value};

    /// The records of a table, with how its file was read.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Records {
        /// One object per row, empty cells left out.
        pub rows: Vec<Value>,
        /// The float amounts rounded at the currency's minor unit, and of them those moved
        /// by more than 1e-9 (`money_from_float` declared).
        pub conversions: Conversions,
        /// How the file was read (`read as CSV: delimiter `;`, decimal comma`, or the sheet).
        pub how: String,
        /// What errors name: the file, or the file and the sheet (`sales.xlsx:Sales`).
        pub place: String,
    }

    /// The records of a file's bytes: a workbook (`.xlsx`, `.xls`, `.ods`: `sheet`, or the
    /// first) or CSV (the reading's dialect, what it does not declare detected from the
    /// header). Errors name `name` (with the sheet), the row (the header is row 1) and the
    /// column, and how the file was read.
    ///
    /// ```
    /// use omnikpi::table::records::{read, Kinds};
    /// use omnikpi::table::reading::Reading;
    /// let kinds = Kinds { money: &["amount"], time: &["timestamp"], flags: &[] };
    /// let eur = omnikpi::money::Currency::lookup("EUR", None, "currency").unwrap();
    /// let csv = "sale_id;timestamp;amount\n1001;2026-10-01T10:00:00Z;12,30\n";
    /// let read = read(csv.as_bytes(), "sales.csv", None, &Reading::default(), &eur, &kinds, None).unwrap();
    /// assert_eq!(read.rows[0]["sale_id"], "1001");
    /// assert_eq!(read.rows[0]["amount"], "12.30");
    /// let bad = "sale_id;timestamp;amount\n1001;2026-10-01T10:00:00Z;12.30\n";
    /// let e = omnikpi::table::records::read(bad.as_bytes(), "sales.csv", None, &Reading::default(), &eur, &kinds, None).unwrap_err();
    /// assert_eq!(e.path(), Some("sales.csv:row 2:amount"));
    /// ```
    ///
    /// # Errors
    /// `invalid_dataset` (not a CSV file or workbook, no such sheet), and the cell errors of
    /// [`text_cell`]; `wrong_type` for float money not declared, a float or boolean where text
    /// is expected.
    pub fn read(
        bytes: &[u8],
        name: &str,
        sheet: Option<&str>,
        reading: &Reading,
        currency: &crate::money::Currency,
        kinds: &Kinds<'_>,
        keep: Option<&[&str]>,
    ) -> Result<Records> {
        let mut conversions = Conversions::default();
        let mut rows = Vec::new();
        if crate::table::xlsx::is_workbook(name) {
            let (chosen, batch) = crate::table::xlsx::sheet_named(bytes, name, sheet)?;
            let how = format!("read as a workbook, sheet `{chosen}`");
            let place = format!("{name}:{chosen}");
            let table = Table {
                reading,
                currency,
                kinds,
                keep,
            };
            rows = table
                .records(&batch, 0, &mut conversions)
                .map_err(|e| in_file(e, &place, &how))?;
            return Ok(Records {
                rows,
                conversions,
                how,
                place,
            });
        }
        let (batches, resolved) = csv_batches(bytes, name, reading)?;
        let how = format!("read as CSV: {}", resolved.csv);
        let table = Table {
            reading: &resolved,
            currency,
            kinds,
            keep,
        };
        for batch in batches {
            let batch = batch?;
            let first = rows.len();
            let more = table
                .records(&batch, first, &mut conversions)
                .map_err(|e| in_file(e, name, &how))?;
            rows.extend(more);
        }
        Ok(Records {
            rows,
            conversions,
            how,
            place: name.to_owned(),
        })
    }

    /// How one table's columns are read.
    struct Table<'r> {
        reading: &'r Reading,
        currency: &'r crate::money::Currency,
        kinds: &'r Kinds<'r>,
        keep: Option<&'r [&'r str]>,
    }

    impl Table<'_> {
        /// The rows of `batch` (its first row the table's `first`), errors at
        /// `table.<column>[row]`.
        fn records(
            &self,
            batch: &RecordBatch,
            first: usize,
            conversions: &mut Conversions,
        ) -> Result<Vec<Value>> {
            let mut rows: Vec<Map<String, Value>> = vec![Map::new(); batch.num_rows()];
            for (field, array) in batch.schema_ref().fields().iter().zip(batch.columns()) {
                let name = field.name();
                if self.keep.is_some_and(|k| !k.contains(&name.as_str())) {
                    continue;
                }
                let values = self
                    .column(name, array, conversions)
                    .map_err(|e| renumbered(e, first))?;
                for (row, value) in rows.iter_mut().zip(values) {
                    if let Some(v) = value {
                        row.insert(name.clone(), v);
                    }
                }
            }
            Ok(rows.into_iter().map(Value::Object).collect())
        }

        /// One column's values (`None`: an empty cell).
        fn column(
            &self,
            name: &str,
            array: &ArrayRef,
            conversions: &mut Conversions,
        ) -> Result<Vec<Option<Value>>> {
            let path = format!("table.{name}");
            let kind = self.kinds.of(name);
            let t = array.data_type();
            if matches!(t, DataType::Null) {
                return Ok(vec![None; array.len()]);
            }
            let text = matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
            if kind == Kind::Time && !text {
                return Ok(seconds(array, &path, self.reading)?
                    .into_iter()
                    .map(|v| v.map(Value::from))
                    .collect());
            }
            if text {
                let s = text_array(array, &path)?;
                return s
                    .as_string::<i32>()
                    .iter()
                    .enumerate()
                    .map(|(row, v)| {
                        v.filter(|v| !v.is_empty())
                            .map(|v| {
                                cell(self.kinds, name, v, self.reading, || {
                                    format!("{path}[{row}]")
                                })
                            })
                            .transpose()
                    })
                    .collect();
            }
            match (kind, t) {
                (Kind::Flag, DataType::Boolean) => Ok(array
                    .as_boolean()
                    .iter()
                    .map(|v| v.map(Value::Bool))
                    .collect()),
                (Kind::Money | Kind::Text, t) if t.is_integer() => {
                    let s = arrow_cast::cast(array, &DataType::Int64)
                        .map_err(|e| KpiError::at(ErrorCode::WrongType, &path, e.to_string()))?;
                    Ok(s.as_primitive::<Int64Type>()
                        .iter()
                        .map(|v| v.map(|n| Value::String(n.to_string())))
                        .collect())
                }
                (Kind::Money, DataType::Decimal128(_, scale)) => {
                    let scale = u32::try_from(*scale).unwrap_or(0);
                    array
                        .as_primitive::<Decimal128Type>()
                        .iter()
                        .enumerate()
                        .map(|(row, v)| {
                            v.map(|m| {
                                Decimal::try_from_i128_with_scale(m, scale)
                                    .map(|d| Value::String(d.to_string()))
                                    .map_err(|_| {
                                        KpiError::at(
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
                (Kind::Money, t) if t.is_floating() => self.float_money(array, &path, conversions),
                (_, t) => Err(KpiError::at(
                    ErrorCode::WrongType,
                    &path,
                    format!(
                        "is a {t} column where {} is expected",
                        match kind {
                            Kind::Money => "money",
                            Kind::Flag => "a boolean",
                            _ => "text",
                        }
                    ),
                )),
            }
        }

        /// Float amounts, refused unless `money_from_float` is declared; then read and rounded
        /// by the touch tables' own rule ([`crate::table::arrow`]'s float money, rounded half to
        /// even at the currency's minor unit and counted in `conversions`).
        fn float_money(
            &self,
            array: &ArrayRef,
            path: &str,
            conversions: &mut Conversions,
        ) -> Result<Vec<Option<Value>>> {
            if !self.reading.money_from_float {
                let s = arrow_cast::cast(array, &DataType::Float64)
                    .map_err(|e| KpiError::at(ErrorCode::WrongType, path, e.to_string()))?;
                let first = s
                    .as_primitive::<Float64Type>()
                    .iter()
                    .enumerate()
                    .find_map(|(row, v)| Some((row, v?)));
                if let Some((row, x)) = first {
                    return Err(crate::table::touches::undeclared_float(
                        &format!("{path}[{row}]"),
                        x,
                    ));
                }
            }
            let mut values = crate::table::arrow::float_money(array, path)?;
            crate::table::touches::round_money(
                &mut values,
                self.currency.minor_units(),
                conversions,
            );
            Ok(values
                .into_iter()
                .map(|v| v.map(|d| Value::String(d.to_string())))
                .collect())
        }
    }
}

/// `error` as a KPI raised it on the list `table` of records that came as rows without a
/// position (an SQL aggregate's rows): a path `input.{table}[i]…` becomes `record…`, in the
/// message too, and the message ends with the record, `text_of(i)` (its JSON text), since `i`
/// names no row the user could find. Other errors are returned as they are.
///
/// ```
/// use omnikpi::{ErrorCode, KpiError};
/// use omnikpi::table::records::at_record;
/// let e = KpiError::at(ErrorCode::WrongType, "input.rows[3].conversions", "must be a count");
/// let e = at_record(e, "rows", |i| (i == 3).then(|| r#"{"conversions":"x"}"#.to_owned()));
/// assert_eq!(e.path(), Some("record.conversions"));
/// assert!(e.message().ends_with(r#"(record {"conversions":"x"})"#));
/// ```
pub fn at_record(
    error: KpiError,
    table: &str,
    text_of: impl Fn(usize) -> Option<String>,
) -> KpiError {
    let list = format!("input.{table}[");
    let placed = error.path().and_then(|path| {
        let rest = path.strip_prefix(&list)?;
        let (index, rest) = rest.split_once(']')?;
        Some((index.parse::<usize>().ok()?, rest.to_owned()))
    });
    let Some((index, rest)) = placed else {
        return error;
    };
    let old = format!("{list}{index}]");
    let mut message = error.message().replace(&old, "record");
    if let Some(text) = text_of(index) {
        message = format!("{message} (record {text})");
    }
    KpiError::new(error.code(), Some(format!("record{rest}")), message)
}
