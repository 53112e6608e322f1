//! `omnikpi_evaluate(kpi, input [, params])`: any KPI of the catalogue on its JSON input, the
//! result as the JSON text every other front end returns (decimals as exact text).
//!
//! ```sql
//! SELECT omnikpi_evaluate('conversion.rate',
//!     '{"rows": [{"channel": "web", "opportunities": 10, "conversions": 1}]}');
//! -- {"denominator":"journeys","overall":{"conversions":1,"opportunities":10,"rate":"0.100000",...
//! ```

use crate::failure;
use libduckdb_sys::duckdb_connection;
use quack_rs::data_chunk::DataChunk;
use quack_rs::error::ExtensionError;
use quack_rs::scalar::{ScalarFunctionInfo, ScalarFunctionSetBuilder, ScalarOverloadBuilder};
use quack_rs::types::TypeId;
use quack_rs::vector::VectorWriter;

/// The SQL name.
pub(crate) const NAME: &str = "omnikpi_evaluate";

/// Registers both overloads: parameters given as JSON text, or left at their defaults.
///
/// # Errors
/// When DuckDB refuses the registration.
pub(crate) fn register(con: duckdb_connection) -> Result<(), ExtensionError> {
    let overload = |arity: usize| {
        let mut builder = ScalarOverloadBuilder::new();
        for _ in 0..arity {
            builder = builder.param(TypeId::Varchar);
        }
        builder.returns(TypeId::Varchar).function(evaluate_rows)
    };
    let set = ScalarFunctionSetBuilder::new(NAME)
        .overload(overload(2))
        .overload(overload(3));
    // SAFETY: `con` is the live connection DuckDB passed to the entry point.
    #[allow(unsafe_code)]
    unsafe {
        set.register(con)
    }
}

/// One row: the KPI's result, `None` (SQL NULL) when an argument is NULL, as DuckDB folds a
/// constant NULL argument; `params` is `Some("{}")` in the two-argument form.
fn evaluate_row(
    kpi: Option<&str>,
    input: Option<&str>,
    params: Option<&str>,
) -> Result<Option<String>, String> {
    let (Some(kpi), Some(input), Some(params)) = (kpi, input, params) else {
        return Ok(None);
    };
    omnikpi::evaluate_json(kpi, input, params)
        .map(Some)
        .map_err(|e| failure(&e))
}

quack_rs::scalar_callback!(evaluate_rows, |info, input, output| {
    // SAFETY: DuckDB calls this with the chunk of the declared VARCHAR arguments (two or
    // three columns) and a VARCHAR result vector of the chunk's size.
    #[allow(unsafe_code)]
    unsafe {
        let chunk = DataChunk::from_raw(input);
        let columns: Vec<_> = (0..chunk.column_count()).map(|c| chunk.reader(c)).collect();
        let mut writer = VectorWriter::from_vector(output);
        for row in 0..chunk.size() {
            let text = |column: usize| {
                columns
                    .get(column)
                    .filter(|reader| reader.is_valid(row))
                    .map(|reader| reader.read_str(row))
            };
            let params = if columns.len() > 2 {
                text(2)
            } else {
                Some("{}")
            };
            match evaluate_row(text(0), text(1), params) {
                Ok(Some(json)) => writer.write_varchar(row, &json),
                Ok(None) => writer.set_null(row),
                Err(message) => {
                    ScalarFunctionInfo::new(info).set_error(&message);
                    return;
                }
            }
        }
    }
});
