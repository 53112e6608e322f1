//! A pack report as flat tables, one per section and per comparison view, for the exports every
//! front end writes (CSV here; the CLI adds Parquet and XLSX from the same tables): a section's
//! main table for the whole and then for every segment, the dimensions as columns.
//!
//! ```
//! use serde_json::json;
//! let pack = omnikpi::pack::Pack::from_json(&json!({
//!     "format": "omnikpi.pack/1", "id": "demo", "version": "1", "name": {"en": "Demo"},
//!     "languages": ["en"], "currency": "EUR",
//!     "dimensions": [{"name": "brand", "label": {"en": "Brand"}}],
//!     "tables": {"orders": {"file": "orders.csv"}},
//!     "kpis": [{"key": "basket", "kpi": "basket.average", "version": "^1", "label": {"en": "Basket"},
//!               "by": ["brand"], "inputs": {"orders": "orders"}}]})).unwrap();
//! let files = [("orders.csv".to_owned(), "channel,amount,brand\nweb,10.00,A\nweb,20.00,B\n".to_owned())];
//! let report = pack.report(&files.into_iter().collect()).unwrap();
//! let tables = omnikpi::pack::export::tables(&report).unwrap();
//! assert_eq!(tables[0].name, "basket");
//! assert_eq!(tables[0].columns[..3], ["scope", "brand", "channel"]);
//! assert_eq!(omnikpi::pack::export::csv(&tables[0]).lines().nth(2), Some("segment,A,web,1,10.00,10.00,"));
//! ```

use crate::error::Result;
use crate::result_table::{ColumnKind, ResultTable};
use serde_json::Value;

/// One flat table of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportTable {
    /// The section's or view's key: the file name without extension.
    pub name: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Each column's type (text for the scope and the dimensions).
    pub kinds: Vec<ColumnKind>,
    /// The rows, one value per column (null: empty).
    pub rows: Vec<Vec<Value>>,
}

/// Every section that was computed, then every comparison view, as flat tables.
///
/// # Errors
/// `unknown_kpi` for a section of a KPI this omnikpi does not define (a report from elsewhere).
pub fn tables(report: &Value) -> Result<Vec<ExportTable>> {
    let mut out = Vec::new();
    for section in items(report, "sections") {
        if let Some(table) = section_table(section)? {
            out.push(table);
        }
    }
    for view in items(report, "comparisons") {
        if view.get("cells").is_some() {
            out.push(view_table(view));
        }
    }
    out.push(certificates(report));
    Ok(out)
}

/// The name of the table of every section's certificate.
pub const CERTIFICATES: &str = "certificates";

/// One row per computed section: its key, KPI, version and certificate fields, so every export
/// carries the provenance of its figures.
fn certificates(report: &Value) -> ExportTable {
    let fields = [
        "certificate",
        "kpi",
        "version",
        "pack",
        "fx",
        "input",
        "result",
        "omnikpi",
    ];
    let mut columns = vec!["key".to_owned()];
    columns.extend(fields.iter().map(|f| (*f).to_owned()));
    let rows = items(report, "sections")
        .iter()
        .filter_map(|s| {
            let cert = s.get("certificate")?;
            let mut row = vec![s.get("key").cloned().unwrap_or(Value::Null)];
            row.extend(
                fields
                    .iter()
                    .map(|f| cert.get(*f).cloned().unwrap_or(Value::Null)),
            );
            Some(row)
        })
        .collect();
    ExportTable {
        name: CERTIFICATES.to_owned(),
        kinds: vec![ColumnKind::Text; columns.len()],
        columns,
        rows,
    }
}

fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn section_table(section: &Value) -> Result<Option<ExportTable>> {
    let Some(result) = section.get("result") else {
        return Ok(None);
    };
    let kpi = text(section, "kpi");
    let by: Vec<String> = items(section, "by")
        .iter()
        .filter_map(|b| b.as_str().map(str::to_owned))
        .collect();
    let whole = ResultTable::of(&kpi, result, None)?;
    let mut columns = vec!["scope".to_owned()];
    columns.extend(by.iter().cloned());
    columns.extend(whole.columns.iter().map(|c| c.name.clone()));
    let mut kinds = vec![ColumnKind::Text; by.len().saturating_add(1)];
    kinds.extend(whole.columns.iter().map(|c| c.kind));
    let mut rows = Vec::new();
    let mut add = |scope: &str, key: Option<&Value>, table: &ResultTable| {
        for r in 0..table.rows {
            let mut row = vec![Value::from(scope)];
            row.extend(
                by.iter()
                    .map(|d| key.and_then(|k| k.get(d)).cloned().unwrap_or(Value::Null)),
            );
            row.extend(
                table
                    .columns
                    .iter()
                    .map(|c| c.cells.get(r).cloned().unwrap_or(Value::Null)),
            );
            rows.push(row);
        }
    };
    add("total", None, &whole);
    for segment in items(result, "segments") {
        let table = ResultTable::of(&kpi, segment, None)?;
        add("segment", segment.get("key"), &table);
    }
    Ok(Some(ExportTable {
        name: text(section, "key"),
        columns,
        kinds,
        rows,
    }))
}

fn view_table(view: &Value) -> ExportTable {
    let axis = |name: &str| view.get(name).cloned().unwrap_or(Value::Null);
    let (rows_axis, columns_axis) = (axis("rows"), axis("columns"));
    let keys = |axis: &Value| -> Vec<Value> { items(axis, "keys").to_vec() };
    let mut columns = vec![text(&rows_axis, "dimension")];
    columns.extend(
        keys(&columns_axis)
            .iter()
            .map(|k| k.as_str().unwrap_or_default().to_owned()),
    );
    let cells = items(view, "cells");
    let rows: Vec<Vec<Value>> = keys(&rows_axis)
        .into_iter()
        .zip(cells)
        .map(|(key, line)| {
            let mut row = vec![key];
            row.extend(line.as_array().cloned().unwrap_or_default());
            row
        })
        .collect();
    let mut kinds = vec![ColumnKind::Text];
    kinds.extend(columns.iter().skip(1).map(|_| kind_of(&rows, 1)));
    ExportTable {
        name: text(view, "key"),
        columns,
        kinds,
        rows,
    }
}

/// The type of a comparison's cells: decimals at the largest scale they have, else text.
fn kind_of(rows: &[Vec<Value>], from: usize) -> ColumnKind {
    let cells = rows.iter().flat_map(|r| r.iter().skip(from));
    let mut scale = 0;
    for cell in cells {
        match cell {
            Value::Null => {}
            Value::Number(n) if n.is_i64() || n.is_u64() => {}
            Value::String(s) => match s.parse::<rust_decimal::Decimal>() {
                Ok(d) => scale = scale.max(d.scale()),
                Err(_) => return ColumnKind::Text,
            },
            _ => return ColumnKind::Text,
        }
    }
    ColumnKind::Decimal { scale }
}

/// A cell as text: strings as they are, numbers and booleans as JSON writes them, null empty.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The table as CSV (comma, quoted where needed, `\n` line ends).
pub fn csv(table: &ExportTable) -> String {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // writing to memory cannot fail
    let _ = writer.write_record(&table.columns);
    for row in &table.rows {
        let _ = writer.write_record(row.iter().map(cell_text));
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The table as an Arrow record batch: text columns `Utf8`, integers `Int64`, booleans, decimals
/// `Decimal128(38, scale)` exact, nested values as JSON text. For Parquet files and Python's
/// tables.
///
/// # Errors
/// `internal_error` when a cell does not fit its column's declared type.
#[cfg(feature = "arrow")]
pub fn record_batch(table: &ExportTable) -> Result<arrow_array::RecordBatch> {
    use arrow_array::{ArrayRef, BooleanArray, Decimal128Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let internal = |detail: String| {
        crate::error::KpiError::new(crate::error::ErrorCode::InternalError, None, detail)
    };
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (c, (name, kind)) in table.columns.iter().zip(&table.kinds).enumerate() {
        let cells = table.rows.iter().map(|r| r.get(c).unwrap_or(&Value::Null));
        let (data_type, array): (DataType, ArrayRef) = match kind {
            ColumnKind::Integer => (
                DataType::Int64,
                Arc::new(cells.map(Value::as_i64).collect::<Int64Array>()),
            ),
            ColumnKind::Boolean => (
                DataType::Boolean,
                Arc::new(cells.map(Value::as_bool).collect::<BooleanArray>()),
            ),
            ColumnKind::Decimal { scale } => {
                let units = cells
                    .map(|v| match v {
                        Value::Null => Ok(None),
                        other => {
                            let mut d: rust_decimal::Decimal = cell_text(other)
                                .parse()
                                .map_err(|e| internal(format!("`{name}`: {e}")))?;
                            d.rescale(*scale);
                            Ok(Some(d.mantissa()))
                        }
                    })
                    .collect::<Result<Vec<Option<i128>>>>()?;
                let scale_i8 = i8::try_from(*scale).unwrap_or(i8::MAX);
                let array = Decimal128Array::from(units)
                    .with_precision_and_scale(38, scale_i8)
                    .map_err(|e| internal(e.to_string()))?;
                (DataType::Decimal128(38, scale_i8), Arc::new(array))
            }
            ColumnKind::Text | ColumnKind::Json => (
                DataType::Utf8,
                Arc::new(
                    cells
                        .map(|v| (!v.is_null()).then(|| cell_text(v)))
                        .collect::<StringArray>(),
                ),
            ),
        };
        fields.push(Field::new(name, data_type, true));
        arrays.push(array);
    }
    arrow_array::RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| internal(e.to_string()))
}
