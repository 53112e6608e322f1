//! Excel workbooks (XLSX, XLS, ODS through calamine) as an Arrow record batch, so a sheet is read
//! by the same rules as any table ([`super::arrow::add_batch`]). Each column's type follows its
//! cells: integers (whole numbers, as Excel stores ids and counts), floats (money in a sheet is
//! a float: refused unless `money_from_float` is declared), booleans, dates and times (naive:
//! written as `YYYY-MM-DD HH:MM:SS` text, read in the declared time zone), or text when mixed.
//! Core does no I/O: the caller hands the file's bytes.

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use calamine::{Data, Reader};
use std::sync::Arc;

use crate::error::{ErrorCode, KpiError, Result};

/// The first row of `sheet` (the first sheet when `None`) as the header, the other rows as one
/// record batch.
///
/// # Errors
/// `invalid_dataset` naming the file (and sheet, row and column for an error cell, such as
/// `#DIV/0!`): not a workbook, no such sheet, an empty sheet, a duplicate or empty header.
pub fn sheet_batch(bytes: &[u8], name: &str, sheet: Option<&str>) -> Result<RecordBatch> {
    sheet_named(bytes, name, sheet).map(|(_, batch)| batch)
}

/// [`sheet_batch`], with the name of the sheet read (the first one's when `sheet` is `None`),
/// for errors and notes that name it.
///
/// # Errors
/// As [`sheet_batch`].
pub fn sheet_named(bytes: &[u8], name: &str, sheet: Option<&str>) -> Result<(String, RecordBatch)> {
    let bad = |place: String, detail: String| {
        KpiError::new(ErrorCode::InvalidDataset, Some(place), detail)
    };
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| bad(name.to_owned(), format!("`{name}` is not a workbook: {e}")))?;
    let names = book.sheet_names();
    let chosen = match sheet {
        Some(s) => s.to_owned(),
        None => names.first().cloned().unwrap_or_default(),
    };
    let range = book.worksheet_range(&chosen).map_err(|e| {
        bad(
            name.to_owned(),
            format!(
                "`{name}` has no sheet `{chosen}` (sheets: {}): {e}",
                names.join(", ")
            ),
        )
    })?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .ok_or_else(|| {
            bad(
                name.to_owned(),
                format!("sheet `{chosen}` of `{name}` is empty"),
            )
        })?
        .iter()
        .map(|c| c.to_string())
        .collect();
    let body: Vec<&[Data]> = rows.collect();
    let mut fields = Vec::with_capacity(header.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(header.len());
    for (c, title) in header.iter().enumerate() {
        if title.is_empty() {
            return Err(bad(
                format!("{name}:{chosen}:row 1"),
                format!(
                    "column {} of sheet `{chosen}` has no header",
                    c.saturating_add(1)
                ),
            ));
        }
        let cells: Vec<&Data> = body
            .iter()
            .map(|r| r.get(c).unwrap_or(&Data::Empty))
            .collect();
        if let Some(row) = cells.iter().position(|d| matches!(d, Data::Error(_))) {
            return Err(bad(
                format!("{name}:{chosen}:row {}:{title}", row.saturating_add(2)),
                format!(
                    "sheet `{chosen}` holds an error cell ({})",
                    cells.get(row).map_or(String::new(), |d| d.to_string())
                ),
            ));
        }
        let array = column(&cells);
        fields.push(Field::new(title, array.data_type().clone(), true));
        columns.push(array);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| {
        bad(
            name.to_owned(),
            format!("sheet `{chosen}` of `{name}`: {e}"),
        )
    })?;
    Ok((chosen, batch))
}

/// One column by the kinds of its cells (empty cells are nulls).
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
                Data::DateTime(t) => Some(t.as_datetime().map_or_else(
                    || t.to_string(),
                    |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
                )),
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

#[cfg(test)]
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
