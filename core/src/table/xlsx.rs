//! Excel workbooks (XLSX, XLS, ODS through calamine, the `xlsx` feature). A sheet is read by
//! the same rules as any table: as an Arrow record batch ([`sheet_batch`], with `arrow`, read
//! by [`super::arrow::add_batch`]) or as CSV text in the dialect a KPI pack reads its workbooks
//! in ([`sheet_csv`]). Each cell keeps its kind: integers (whole numbers, as Excel stores ids
//! and counts), floats (money in a sheet is a float: refused unless `money_from_float` is
//! declared), booleans, dates and times (naive: written as `YYYY-MM-DD HH:MM:SS` text, a date
//! alone at midnight, read in the declared time zone), text. Core does no I/O: the caller hands the file's bytes.

#[cfg(feature = "arrow")]
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
#[cfg(feature = "arrow")]
use arrow_schema::{Field, Schema};
#[cfg(feature = "xlsx")]
use calamine::{Data, Reader};
#[cfg(feature = "arrow")]
use std::sync::Arc;

#[cfg(feature = "xlsx")]
use crate::error::{ErrorCode, KpiError, Result};

/// A sheet of a workbook: its name, its header (the first row) and its cells.
#[cfg(feature = "xlsx")]
struct Sheet {
    name: String,
    header: Vec<String>,
    range: calamine::Range<Data>,
}

#[cfg(feature = "xlsx")]
impl Sheet {
    /// `sheet` of the workbook `bytes` (the first when `None`), with a header in every column
    /// and no error cell.
    fn open(bytes: &[u8], file: &str, sheet: Option<&str>) -> Result<Self> {
        let bad = |place: String, detail: String| {
            KpiError::new(ErrorCode::InvalidDataset, Some(place), detail)
        };
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
            .map_err(|e| bad(file.to_owned(), format!("`{file}` is not a workbook: {e}")))?;
        let names = book.sheet_names();
        let chosen = match sheet {
            Some(s) => s.to_owned(),
            None => names.first().cloned().unwrap_or_default(),
        };
        let range = book.worksheet_range(&chosen).map_err(|e| {
            bad(
                file.to_owned(),
                format!(
                    "`{file}` has no sheet `{chosen}` (sheets: {}): {e}",
                    names.join(", ")
                ),
            )
        })?;
        let header: Vec<String> = range
            .rows()
            .next()
            .ok_or_else(|| {
                bad(
                    file.to_owned(),
                    format!("sheet `{chosen}` of `{file}` is empty"),
                )
            })?
            .iter()
            .map(|c| c.to_string())
            .collect();
        if let Some(c) = header.iter().position(String::is_empty) {
            return Err(bad(
                format!("{file}:{chosen}:row 1"),
                format!(
                    "column {} of sheet `{chosen}` has no header",
                    c.saturating_add(1)
                ),
            ));
        }
        for (r, row) in range.rows().enumerate().skip(1) {
            if let Some((c, cell)) = row
                .iter()
                .enumerate()
                .find(|(_, d)| matches!(d, Data::Error(_)))
            {
                let title = header.get(c).map_or("", String::as_str);
                return Err(bad(
                    format!("{file}:{chosen}:row {}:{title}", r.saturating_add(1)),
                    format!("sheet `{chosen}` holds an error cell ({cell})"),
                ));
            }
        }
        Ok(Self {
            name: chosen,
            header,
            range,
        })
    }

    /// The rows after the header.
    fn body(&self) -> impl Iterator<Item = &[Data]> {
        self.range.rows().skip(1)
    }
}

/// The first row of `sheet` (the first sheet when `None`) as the header, the other rows as one
/// record batch.
///
/// # Errors
/// `invalid_dataset` naming the file (and sheet, row and column for an error cell, such as
/// `#DIV/0!`): not a workbook, no such sheet, an empty sheet, a duplicate or empty header.
#[cfg(feature = "arrow")]
pub fn sheet_batch(bytes: &[u8], name: &str, sheet: Option<&str>) -> Result<RecordBatch> {
    sheet_named(bytes, name, sheet).map(|(_, batch)| batch)
}

/// [`sheet_batch`], with the name of the sheet read (the first one's when `sheet` is `None`),
/// for errors and notes that name it.
///
/// # Errors
/// As [`sheet_batch`].
#[cfg(feature = "arrow")]
pub fn sheet_named(bytes: &[u8], name: &str, sheet: Option<&str>) -> Result<(String, RecordBatch)> {
    let sheet = Sheet::open(bytes, name, sheet)?;
    let body: Vec<&[Data]> = sheet.body().collect();
    let mut fields = Vec::with_capacity(sheet.header.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(sheet.header.len());
    for (c, title) in sheet.header.iter().enumerate() {
        let cells: Vec<&Data> = body
            .iter()
            .map(|r| r.get(c).unwrap_or(&Data::Empty))
            .collect();
        let array = column(&cells);
        fields.push(Field::new(title, array.data_type().clone(), true));
        columns.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(name.to_owned()),
            format!("sheet `{}` of `{name}`: {e}", sheet.name),
        )
    })?;
    Ok((sheet.name, batch))
}

/// `sheet` of a workbook (the first when `None`) as CSV text, delimited by `,` with a decimal
/// point (the dialect a KPI pack reads its workbooks in), so that its cells are read by the
/// rules of the pack's tables. Whole numbers are written as integers; other numbers as their
/// float's exact value (money then reads as more places than the currency has, refused unless
/// the table declares `money_from_float`, which rounds it and counts it); dates and times as
/// naive `YYYY-MM-DD HH:MM:SS` (a date alone at midnight); booleans as `true`/`false`. Row `n`
/// of the text is row `n` of the table, its header row 1.
///
/// ```
/// let e = omnikpi::table::xlsx::sheet_csv(b"order_id,amount", "orders.xlsx", None).unwrap_err();
/// assert_eq!((e.code().as_str(), e.path()), ("invalid_dataset", Some("orders.xlsx")));
/// ```
///
/// # Errors
/// As [`sheet_batch`]; `invalid_decimal` at the cell for a number beyond 28 digits.
#[cfg(feature = "xlsx")]
pub fn sheet_csv(bytes: &[u8], name: &str, sheet: Option<&str>) -> Result<String> {
    let sheet = Sheet::open(bytes, name, sheet)?;
    let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
    let written = |e: csv::Error| KpiError::new(ErrorCode::InternalError, None, e.to_string());
    out.write_record(&sheet.header).map_err(written)?;
    let width = sheet.header.len();
    for (r, row) in sheet.body().enumerate() {
        let mut record = Vec::with_capacity(width);
        for (c, cell) in row.iter().take(width).enumerate() {
            let place = || {
                let title = sheet.header.get(c).map_or("", String::as_str);
                format!("{name}:{}:row {}:{title}", sheet.name, r.saturating_add(2))
            };
            record.push(cell_text(cell, place)?);
        }
        record.resize(width, String::new());
        out.write_record(&record).map_err(written)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| written(e.into_error().into()))?;
    String::from_utf8(bytes)
        .map_err(|e| KpiError::new(ErrorCode::InternalError, None, e.to_string()))
}

/// A cell as CSV text (see [`sheet_csv`]).
#[cfg(feature = "xlsx")]
fn cell_text(cell: &Data, place: impl FnOnce() -> String) -> Result<String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::Int(n) => n.to_string(),
        // whole: Display writes every digit (1e20 as 100000000000000000000), -0 as 0
        Data::Float(x) if x.fract() == 0.0 => format!("{}", x + 0.0),
        Data::Float(x) => crate::table::touches::float_decimal(*x, place)?.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) => date_time_text(t),
        other => other.to_string(),
    })
}

/// A date and time cell as naive text: `YYYY-MM-DD` at midnight (a date typed in a sheet: what
/// a table of days such as FX `valid_from` reads), else `YYYY-MM-DD HH:MM:SS` and its fraction
/// of a second, if any. Both read back as the same instant.
#[cfg(feature = "xlsx")]
fn date_time_text(t: &calamine::ExcelDateTime) -> String {
    match t.as_datetime() {
        Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
        None => t.to_string(),
    }
}

/// One column by the kinds of its cells (empty cells are nulls).
#[cfg(feature = "arrow")]
fn column(cells: &[&Data]) -> ArrayRef {
    let filled = || cells.iter().filter(|d| !matches!(d, Data::Empty));
    let whole = |x: f64| x.fract() == 0.0 && x.abs() < 9.0e15;
    if filled().all(|d| matches!(d, Data::Int(_)) || matches!(d, Data::Float(x) if whole(*x))) {
        return Arc::new(
            cells
                .iter()
                .map(|d| match d {
                    Data::Int(n) => Some(*n),
                    // whole and below 2^53: the cast is exact
                    Data::Float(x) => Some(*x as i64),
                    _ => None,
                })
                .collect::<Int64Array>(),
        );
    }
    if filled().all(|d| matches!(d, Data::Int(_) | Data::Float(_))) {
        return Arc::new(
            cells
                .iter()
                .map(|d| match d {
                    Data::Float(x) => Some(*x),
                    Data::Int(n) => Some(*n as f64),
                    _ => None,
                })
                .collect::<Float64Array>(),
        );
    }
    if filled().all(|d| matches!(d, Data::Bool(_))) {
        return Arc::new(
            cells
                .iter()
                .map(|d| match d {
                    Data::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        );
    }
    Arc::new(
        cells
            .iter()
            .map(|d| match d {
                Data::Empty => None,
                Data::DateTime(t) => Some(date_time_text(t)),
                other => Some(other.to_string()),
            })
            .collect::<StringArray>(),
    )
}

/// Whether a file name is a workbook calamine reads.
pub fn is_workbook(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"]
        .iter()
        .any(|e| lower.ends_with(e))
}

#[cfg(all(test, feature = "arrow"))]
mod tests {
    use super::*;
    use arrow_schema::DataType;

    #[test]
    fn cells_become_typed_columns() {
        let ints = column(&[&Data::Float(1.0), &Data::Empty, &Data::Int(3)]);
        assert_eq!(ints.data_type(), &DataType::Int64);
        let floats = column(&[&Data::Float(89.99), &Data::Int(3)]);
        assert_eq!(floats.data_type(), &DataType::Float64);
        let flags = column(&[&Data::Bool(true), &Data::Empty]);
        assert_eq!(flags.data_type(), &DataType::Boolean);
        let mixed = column(&[&Data::String("a".into()), &Data::Float(1.5)]);
        assert_eq!(mixed.data_type(), &DataType::Utf8);
        assert!(is_workbook("Export.XLSX") && !is_workbook("export.csv"));
        assert!(sheet_batch(b"not a workbook", "x.xlsx", None).is_err());
    }
}
