//! Scalar functions of JSON text: `omnikpi_evaluate(kpi, input [, params])` (any KPI of the
//! catalogue on its JSON input, the result as the JSON text every other front end returns),
//! `omnikpi_certify(kpi, input [, params])` (the result's certificate, the same as Python, JS
//! and the CLI give) and `omnikpi_verify(certificate, input)` (confirmed or refuted, and why).
//!
//! ```sql
//! SELECT omnikpi_evaluate('conversion.rate',
//!     '{"rows": [{"channel": "web", "opportunities": 10, "conversions": 1}]}');
//! -- {"denominator":"journeys","overall":{"conversions":1,"opportunities":10,"rate":"0.100000",...
//! SELECT omnikpi_verify(omnikpi_certify('conversion.rate', i), i)::JSON->>'confirmed'
//! FROM (SELECT '{"rows": [{"channel": "web", "opportunities": 10, "conversions": 1}]}' AS i);
//! -- true
//! ```

use crate::failure;
use libduckdb_sys::{duckdb_connection, duckdb_data_chunk, duckdb_function_info, duckdb_vector};
use quack_rs::data_chunk::DataChunk;
use quack_rs::error::ExtensionError;
use quack_rs::scalar::{ScalarFunctionInfo, ScalarFunctionSetBuilder, ScalarOverloadBuilder};
use quack_rs::types::TypeId;
use quack_rs::vector::VectorWriter;
use serde_json::Value;

/// The SQL name of the evaluation.
pub(crate) const NAME: &str = "omnikpi_evaluate";

/// What one row computes from its texts (NULL arguments already turned into a NULL result).
type Row = fn(&[&str]) -> Result<String, omnikpi::KpiError>;

/// Registers the three functions.
///
/// # Errors
/// When DuckDB refuses the registration.
pub(crate) fn register(con: duckdb_connection) -> Result<(), ExtensionError> {
    let overload = |arity: usize, callback| {
        let mut builder = ScalarOverloadBuilder::new();
        for _ in 0..arity {
            builder = builder.param(TypeId::Varchar);
        }
        builder.returns(TypeId::Varchar).function(callback)
    };
    let sets = [
        ScalarFunctionSetBuilder::new(NAME)
            .overload(overload(2, evaluate_rows))
            .overload(overload(3, evaluate_rows)),
        ScalarFunctionSetBuilder::new("omnikpi_certify")
            .overload(overload(2, certify_rows))
            .overload(overload(3, certify_rows)),
        ScalarFunctionSetBuilder::new("omnikpi_verify").overload(overload(2, verify_rows)),
    ];
    for set in sets {
        // SAFETY: `con` is the live connection DuckDB passed to the entry point.
        #[allow(unsafe_code)]
        unsafe {
            set.register(con)?;
        }
    }
    Ok(())
}

/// `[kpi, input, params]` with `params` `{}` in the two-argument form.
fn kpi_input_params<'a>(texts: &[&'a str]) -> (&'a str, &'a str, &'a str) {
    let at = |i: usize| texts.get(i).copied();
    (
        at(0).unwrap_or_default(),
        at(1).unwrap_or_default(),
        at(2).unwrap_or("{}"),
    )
}

fn evaluate_text(texts: &[&str]) -> Result<String, omnikpi::KpiError> {
    let (kpi, input, params) = kpi_input_params(texts);
    omnikpi::evaluate_json(kpi, input, params)
}

fn certify_text(texts: &[&str]) -> Result<String, omnikpi::KpiError> {
    let (kpi, input, params) = kpi_input_params(texts);
    let input = omnikpi::parse_json(input, "input")?;
    let params = omnikpi::parse_json(params, "params")?;
    let (_, certificate) = omnikpi::certificate::certify(kpi, &input, &params)?;
    Ok(certificate.to_string())
}

fn verify_text(texts: &[&str]) -> Result<String, omnikpi::KpiError> {
    let at = |i: usize| texts.get(i).copied().unwrap_or_default();
    let certificate: Value = omnikpi::parse_json(at(0), "certificate")?;
    let input = omnikpi::parse_json(at(1), "input")?;
    Ok(omnikpi::certificate::verify(&certificate, &input)?.to_string())
}

/// Runs `row` on every row of the chunk: NULL when an argument is NULL (as DuckDB folds a
/// constant NULL argument), the error of the first failing row raised.
///
/// # Safety
/// `input` is a chunk of VARCHAR columns and `output` a VARCHAR vector of its size, as DuckDB
/// passes them to a scalar function declared with VARCHAR arguments and result.
#[allow(unsafe_code)]
unsafe fn each_row(
    info: duckdb_function_info,
    input: duckdb_data_chunk,
    output: duckdb_vector,
    row_fn: Row,
) {
    // SAFETY (this block and those below): the chunk, its readers and the writer are what the
    // caller guarantees, and every row index is below the chunk's size.
    let chunk = unsafe { DataChunk::from_raw(input) };
    let columns: Vec<_> = (0..chunk.column_count())
        .map(|c| unsafe { chunk.reader(c) })
        .collect();
    let mut writer = unsafe { VectorWriter::from_vector(output) };
    for row in 0..chunk.size() {
        let texts: Option<Vec<&str>> = columns
            .iter()
            .map(|reader| unsafe { reader.is_valid(row).then(|| reader.read_str(row)) })
            .collect();
        match texts.map(|t| row_fn(&t)) {
            Some(Ok(json)) => unsafe { writer.write_varchar(row, &json) },
            None => unsafe { writer.set_null(row) },
            Some(Err(e)) => {
                unsafe { ScalarFunctionInfo::new(info) }.set_error(&failure(&e));
                return;
            }
        }
    }
}

quack_rs::scalar_callback!(evaluate_rows, |info, input, output| {
    // SAFETY: registered with VARCHAR arguments and a VARCHAR result.
    #[allow(unsafe_code)]
    unsafe {
        each_row(info, input, output, evaluate_text);
    }
});

quack_rs::scalar_callback!(certify_rows, |info, input, output| {
    // SAFETY: registered with VARCHAR arguments and a VARCHAR result.
    #[allow(unsafe_code)]
    unsafe {
        each_row(info, input, output, certify_text);
    }
});

quack_rs::scalar_callback!(verify_rows, |info, input, output| {
    // SAFETY: registered with VARCHAR arguments and a VARCHAR result.
    #[allow(unsafe_code)]
    unsafe {
        each_row(info, input, output, verify_text);
    }
});
