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

use crate::error::{ErrorCode, KpiError, Result};
use crate::host::{HostNode, HostValue, MapKey};
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

/// A table a front end holds as a list of records (a result's rows as the host language keeps
/// them: Python dicts of `Decimal`, `int`, `str`...) as an export table, so every front end gives
/// result tables to table engines by one typing rule. Columns come in order of first appearance;
/// a column is typed by the host values it holds (nulls aside): host decimals (with integers
/// among them) `Decimal` at the largest scale, integers `Integer` (`Decimal` at scale 0 beyond
/// the 64-bit range), booleans `Boolean`, text `Text`, a column of nulls only `Text`; anything
/// else (nested records and lists, floats, a mix of kinds) `Json`, each cell converted by the
/// host rules. A record without a field has null there.
///
/// ```
/// use omnikpi::host::{HostNode, HostValue, MapKey};
/// use omnikpi::result_table::ColumnKind;
/// // a host value in miniature: what a binding hands over
/// #[derive(Clone)]
/// enum V { Int(i128), Dec(&'static str), Text(&'static str), Row(Vec<(&'static str, V)>), Rows(Vec<V>) }
/// impl HostNode for V {
///     fn classify(&self) -> HostValue<Self> {
///         match self {
///             V::Int(i) => HostValue::Integer(Some(*i)),
///             V::Dec(d) => HostValue::Decimal((*d).to_owned()),
///             V::Text(t) => HostValue::Text((*t).to_owned()),
///             V::Row(f) => HostValue::Map(f.iter().map(|(k, v)| (MapKey::Text((*k).to_owned()), v.clone())).collect()),
///             V::Rows(r) => HostValue::List(r.clone()),
///         }
///     }
/// }
/// let rows = V::Rows(vec![
///     V::Row(vec![("party", V::Text("web")), ("amount", V::Dec("4.46")), ("n", V::Int(1))]),
///     V::Row(vec![("party", V::Text("store")), ("amount", V::Int(3)), ("n", V::Int(2))]),
/// ]);
/// let table = omnikpi::pack::export::from_host_rows("parts", &rows, "rows").unwrap();
/// assert_eq!(table.columns, ["party", "amount", "n"]);
/// assert_eq!(table.kinds, [ColumnKind::Text, ColumnKind::Decimal { scale: 2 }, ColumnKind::Integer]);
/// ```
///
/// # Errors
/// `wrong_type` at `root` when the value is not a list, at `root[i]` for a row that is not a
/// record or a key that is not text; the host conversion's errors for a nested cell.
pub fn from_host_rows<N: HostNode>(name: &str, rows: &N, root: &str) -> Result<ExportTable> {
    let HostValue::List(items) = rows.classify() else {
        return Err(KpiError::at(
            ErrorCode::WrongType,
            root,
            "must be a list of records",
        ));
    };
    let mut columns: Vec<String> = Vec::new();
    let mut kinds: Vec<Option<ColumnKind>> = Vec::new();
    let mut cells: Vec<Vec<(usize, Value)>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{root}[{i}]");
        let HostValue::Map(fields) = item.classify() else {
            return Err(KpiError::at(ErrorCode::WrongType, &at, "must be a record"));
        };
        let mut row = Vec::with_capacity(fields.len());
        for (key, node) in &fields {
            let MapKey::Text(key) = key else {
                return Err(KpiError::at(
                    ErrorCode::WrongType,
                    &at,
                    "has a key that is not text",
                ));
            };
            let c = columns.iter().position(|n| n == key).unwrap_or_else(|| {
                columns.push(key.clone());
                kinds.push(None);
                columns.len().saturating_sub(1)
            });
            let (kind, value) = host_cell(node, &format!("{at}.{key}"))?;
            if let (Some(kind), Some(slot)) = (kind, kinds.get_mut(c)) {
                *slot = Some(slot.map_or(kind, |k| widened(k, kind)));
            }
            row.push((c, value));
        }
        cells.push(row);
    }
    let kinds: Vec<ColumnKind> = kinds
        .into_iter()
        .map(|k| k.unwrap_or(ColumnKind::Text))
        .collect();
    let rows = cells
        .into_iter()
        .map(|row| {
            let mut full = vec![Value::Null; columns.len()];
            for (c, value) in row {
                if let Some(slot) = full.get_mut(c) {
                    *slot = value;
                }
            }
            full
        })
        .collect();
    Ok(ExportTable {
        name: name.to_owned(),
        columns,
        kinds,
        rows,
    })
}

/// One host cell: the kind it asks of its column (none for a null) and its value.
fn host_cell<N: HostNode>(node: &N, path: &str) -> Result<(Option<ColumnKind>, Value)> {
    Ok(match node.classify() {
        HostValue::Null => (None, Value::Null),
        HostValue::Bool(b) => (Some(ColumnKind::Boolean), Value::Bool(b)),
        HostValue::Integer(Some(n)) => match i64::try_from(n) {
            Ok(small) => (Some(ColumnKind::Integer), Value::from(small)),
            // Arrow's decimal128 holds it; the export's decimals are rust_decimal's 96 bits
            Err(_) if rust_decimal::Decimal::try_from_i128_with_scale(n, 0).is_ok() => (
                Some(ColumnKind::Decimal { scale: 0 }),
                Value::String(n.to_string()),
            ),
            Err(_) => {
                return Err(KpiError::at(
                    ErrorCode::ValueOutOfRange,
                    path,
                    format!("`{n}` is beyond the 96 bits of an exported decimal"),
                ))
            }
        },
        HostValue::Text(t) => (Some(ColumnKind::Text), Value::String(t)),
        HostValue::Decimal(text) => {
            let scale = crate::decimal::parse_decimal(&text, path)?.scale();
            (Some(ColumnKind::Decimal { scale }), Value::String(text))
        }
        _ => (Some(ColumnKind::Json), crate::host::convert(node, path)?),
    })
}

/// The kind of a column holding cells of kinds `a` and `b`.
fn widened(a: ColumnKind, b: ColumnKind) -> ColumnKind {
    use ColumnKind::{Decimal, Integer};
    match (a, b) {
        (Decimal { scale: x }, Decimal { scale: y }) => Decimal { scale: x.max(y) },
        (Decimal { scale }, Integer) | (Integer, Decimal { scale }) => Decimal { scale },
        (a, b) if a == b => a,
        _ => ColumnKind::Json,
    }
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
    // the row count given, so a table without columns (an empty list) is a batch too
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(table.rows.len()));
    arrow_array::RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .map_err(|e| internal(e.to_string()))
}
