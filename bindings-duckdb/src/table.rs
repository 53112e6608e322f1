//! `omnikpi_table(kpi, input, params := '{...}', list := 'lines')`: a KPI's result as rows, one
//! per element of one of its lists (the KPI's main table by default: `money.allocate`'s parts,
//! `incentives.split`'s lines, `incentives.check`'s differences), each column typed by the
//! spec's declaration of the field: DECIMAL(38, s) at the largest scale the column holds for
//! decimals and money, BIGINT for counts, BOOLEAN, VARCHAR for text (and JSON text for nested
//! values). Never DOUBLE.
//!
//! ```sql
//! SELECT party, amount FROM omnikpi_table('money.allocate',
//!     '{"amount": "1027.59", "currency": "EUR",
//!       "parties": [{"party": "web", "weight": "20"}, {"party": "store", "weight": "80"}]}');
//! ```
//!
//! A table function's arguments cannot hold subqueries: a large input is built into a variable
//! first (`SET VARIABLE v = (SELECT json_object(...))`, then `getvariable('v')`).

use crate::failure;
use libduckdb_sys::duckdb_connection;
use omnikpi::result_table::{ColumnKind, ResultColumn, ResultTable};
use omnikpi::KpiError;
use quack_rs::data_chunk::DataChunk;
use quack_rs::error::ExtensionError;
use quack_rs::table::{BindInfo, TableFunctionBuilder};
use quack_rs::types::{LogicalType, TypeId};
use quack_rs::vector::VectorWriter;
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;
use std::sync::Arc;

/// The SQL name.
pub(crate) const NAME: &str = "omnikpi_table";

/// Rows written per output chunk (DuckDB's vector size).
const CHUNK_ROWS: usize = 2048;

/// The table being scanned and the next row.
#[derive(Clone)]
struct Scan {
    table: Arc<ResultTable>,
    next: usize,
}

/// Registers `omnikpi_table(kpi VARCHAR, input VARCHAR, params := VARCHAR, list := VARCHAR)`.
pub(crate) fn register(con: duckdb_connection) -> Result<(), ExtensionError> {
    let function = TableFunctionBuilder::try_new(NAME)?
        .param(TypeId::Varchar)
        .param(TypeId::Varchar)
        .named_param("params", TypeId::Varchar)
        .named_param("list", TypeId::Varchar)
        .with_state::<Scan, _>(|bind| {
            bind_table(bind).map_err(|e| ExtensionError::new(failure(&e)))
        })
        .scan(|scan, chunk| scan_rows(scan, chunk).map_err(|e| ExtensionError::new(failure(&e))))
        .build()?;
    // SAFETY: `con` is the live connection DuckDB passed to the entry point.
    #[allow(unsafe_code)]
    unsafe {
        function.register(con)
    }
}

/// A text argument; `None` when it is not given or NULL.
fn text(value: &quack_rs::value::Value) -> Option<String> {
    (!value.is_sql_null())
        .then(|| value.as_str().ok())
        .flatten()
}

/// Computes the KPI and declares the result's columns.
fn bind_table(bind: &BindInfo) -> Result<Scan, KpiError> {
    // SAFETY: parameters 0 and 1 are the declared VARCHAR positional parameters; `params` and
    // `list` are the declared named ones (a SQL NULL value when not given).
    #[allow(unsafe_code)]
    let (kpi, input, params, list) = unsafe {
        (
            text(&bind.get_parameter_value(0)),
            text(&bind.get_parameter_value(1)),
            text(&bind.get_named_parameter_value("params")),
            text(&bind.get_named_parameter_value("list")),
        )
    };
    let missing = |what: &str| {
        KpiError::at(
            omnikpi::ErrorCode::MissingField,
            what,
            "is NULL; give it as text",
        )
    };
    let kpi = kpi.ok_or_else(|| missing("kpi"))?;
    let input = input.ok_or_else(|| missing("input"))?;
    let input = omnikpi::parse_json(&input, "input")?;
    let params = omnikpi::parse_json(params.as_deref().unwrap_or("{}"), "params")?;
    let result = omnikpi::evaluate(&kpi, &input, &params)?.to_json();
    let table = ResultTable::of(&kpi, &result, list.as_deref())?;
    for column in &table.columns {
        let kind = match column.kind {
            ColumnKind::Decimal { scale } => {
                LogicalType::decimal(38, u8::try_from(scale).unwrap_or(28))
            }
            ColumnKind::Integer => LogicalType::new(TypeId::BigInt),
            ColumnKind::Boolean => LogicalType::new(TypeId::Boolean),
            ColumnKind::Text | ColumnKind::Json => LogicalType::new(TypeId::Varchar),
        };
        bind.add_result_column_with_type(&column.name, &kind);
    }
    bind.set_cardinality(table.rows as u64, true);
    Ok(Scan {
        table: Arc::new(table),
        next: 0,
    })
}

/// Writes the next rows into `chunk` (none once every row is out).
fn scan_rows(scan: &mut Scan, chunk: &DataChunk) -> Result<(), KpiError> {
    let rows = scan.next..(scan.next + CHUNK_ROWS).min(scan.table.rows);
    for (c, column) in scan.table.columns.iter().enumerate() {
        // SAFETY: column c was declared in bind with the type `write_cell` writes; every row
        // index written is below CHUNK_ROWS, the chunk's capacity.
        #[allow(unsafe_code)]
        let mut writer = unsafe { chunk.writer(c) };
        for (out, row) in rows.clone().enumerate() {
            write_cell(&mut writer, out, column, row)?;
        }
    }
    // SAFETY: `rows.len()` rows were written, at most the chunk's capacity.
    #[allow(unsafe_code)]
    unsafe {
        chunk.set_size(rows.len());
    }
    scan.next = rows.end;
    Ok(())
}

/// Cell `row` of `column` at row `out` of the output vector.
///
/// # Errors
/// `internal_error` for a cell of another type than the spec declares for its field (never
/// written into a vector of the declared type).
fn write_cell(
    writer: &mut VectorWriter,
    out: usize,
    column: &ResultColumn,
    row: usize,
) -> Result<(), KpiError> {
    let cell = column.cells.get(row).unwrap_or(&Value::Null);
    let unexpected = || {
        KpiError::new(
            omnikpi::ErrorCode::InternalError,
            None,
            format!(
                "result field `{}` holds {cell}, not the type the spec declares",
                column.name
            ),
        )
    };
    // SAFETY: `out` is below the chunk's capacity; each write matches the column's declared
    // type (DECIMAL(38, s) is stored as a 128-bit integer).
    #[allow(unsafe_code)]
    unsafe {
        match (column.kind, cell) {
            (_, Value::Null) => writer.set_null(out),
            (ColumnKind::Decimal { scale }, Value::String(text)) => {
                let mut d = Decimal::from_str(text).map_err(|_| unexpected())?;
                d.rescale(scale);
                writer.write_i128(out, d.mantissa());
            }
            (ColumnKind::Integer, v) => writer.write_i64(out, v.as_i64().ok_or_else(unexpected)?),
            (ColumnKind::Boolean, Value::Bool(b)) => writer.write_bool(out, *b),
            (ColumnKind::Text, Value::String(text)) => writer.write_varchar(out, text),
            (ColumnKind::Json | ColumnKind::Text, other) => {
                writer.write_varchar(out, &other.to_string())
            }
            _ => return Err(unexpected()),
        }
    }
    Ok(())
}
