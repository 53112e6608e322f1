//! `omnikpi_aggregate(kpi, record, options)`: any KPI whose input holds a list of records
//! (`conversion.rate`'s rows, `basket.average`'s orders, `conversion.funnel`'s events,
//! `money.allocate`'s parties, ...) as an aggregate over a table: each row gives one record of
//! the list `options.table` names, as a STRUCT (a table's row itself, or `{'channel': c, ...}`),
//! read by the core's record reader (text, integers, booleans, DECIMAL as exact decimals,
//! timestamps; DOUBLE refused), or as JSON text; `options.input` holds the rest of the KPI's
//! input and `options.params` its parameters.
//!
//! ```sql
//! SELECT brand, omnikpi_aggregate('conversion.rate',
//!     {'channel': channel, 'opportunities': sessions, 'conversions': orders},
//!     '{"table": "rows", "params": {"denominator": "sessions"}}')
//! FROM traffic GROUP BY brand;
//! ```
//!
//! A SQL table has no row order: the records of a group are taken in the byte order of their
//! JSON text, so the result (the order of its lists included) does not depend on threads or on
//! the order rows arrive in. The result is the KPI's JSON output, as `omnikpi_evaluate` gives
//! it for the same input.

use crate::column;
use crate::group::{self, Constant, GroupState};
use libduckdb_sys::duckdb_connection;
use omnikpi::{ErrorCode, KpiError};
use quack_rs::aggregate::{AggregateFunctionBuilder, AggregateState, FfiState};
use quack_rs::data_chunk::DataChunk;
use quack_rs::error::ExtensionError;
use quack_rs::types::{NullHandling, TypeId};
use serde_json::{Map, Value};

/// The SQL name.
pub(crate) const NAME: &str = "omnikpi_aggregate";

/// The keys of the options object.
const KEYS: [&str; 3] = ["table", "input", "params"];

/// The records of one group and the KPI and options they came with.
#[derive(Default)]
struct Records {
    kpi: Constant,
    options: Constant,
    records: Vec<String>,
}

impl AggregateState for Records {}

impl GroupState for Records {
    fn merge_from(&mut self, other: &Self) -> Result<(), KpiError> {
        if let (Some(kpi), Some(options)) = (other.kpi.get(), other.options.get()) {
            self.kpi.agree(kpi, "kpi")?;
            self.options.agree(options, "options")?;
        }
        self.records.extend(other.records.iter().cloned());
        Ok(())
    }

    /// The KPI's result on the group's records as JSON text; `None` for a group without rows.
    fn result(&mut self) -> Result<Option<String>, KpiError> {
        let (Some(kpi), Some(options)) = (self.kpi.get(), self.options.get()) else {
            return Ok(None);
        };
        let options = omnikpi::parse_json(options, "options")?;
        let (table, mut input, params) = parts(&options)?;
        let mut texts: Vec<&str> = self.records.iter().map(String::as_str).collect();
        texts.sort_unstable();
        let records = texts
            .iter()
            .enumerate()
            .map(|(i, text)| omnikpi::parse_json(text, &format!("input.{table}[{i}]")))
            .collect::<Result<Vec<Value>, KpiError>>()?;
        input.insert(table.to_owned(), Value::Array(records));
        let output = omnikpi::evaluate(kpi, &Value::Object(input), params)?;
        Ok(Some(output.to_json().to_string()))
    }
}

/// The options' table name, the rest of the input and the parameters.
fn parts(options: &Value) -> Result<(&str, Map<String, Value>, &Value), KpiError> {
    let map = omnikpi::host::options_object(options, "options", &KEYS)?;
    let table = map.get("table").and_then(Value::as_str).ok_or_else(|| {
        KpiError::at(
            ErrorCode::MissingField,
            "options.table",
            "must name the input list the rows are records of (`rows`, `orders`, `events`, ...)",
        )
    })?;
    let input = match map.get("input") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(input)) => input.clone(),
        Some(_) => {
            return Err(KpiError::at(
                ErrorCode::WrongType,
                "options.input",
                "must be an object",
            ))
        }
    };
    if input.contains_key(table) {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            &format!("options.input.{table}"),
            "is the table the rows give; leave it out of `input`",
        ));
    }
    Ok((table, input, map.get("params").unwrap_or(&Value::Null)))
}

/// Registers `omnikpi_aggregate(kpi VARCHAR, record STRUCT or VARCHAR, options VARCHAR)`.
pub(crate) fn register(con: duckdb_connection) -> Result<(), ExtensionError> {
    let function = AggregateFunctionBuilder::try_new(NAME)?
        .param(TypeId::Varchar)
        .param(TypeId::Any)
        .param(TypeId::Varchar)
        .returns(TypeId::Varchar)
        .null_handling(NullHandling::SpecialNullHandling)
        .ffi_state::<Records>()
        .update(update)
        .combine(combine)
        .finalize(finalize);
    // SAFETY: `con` is the live connection DuckDB passed to the entry point.
    #[allow(unsafe_code)]
    unsafe {
        function.register(con)
    }
}

/// Each row's record as JSON text: a STRUCT's fields through the core's record reader, or the
/// text itself; `None` for a NULL.
fn record_texts(chunk: &DataChunk) -> Result<Vec<Option<String>>, KpiError> {
    let rows = chunk.size();
    // SAFETY: column 1 is the record argument, `rows` the chunk's size; each row is read only
    // after its validity is checked, as the type the column has.
    #[allow(unsafe_code)]
    let reader = unsafe { chunk.reader(1) };
    #[allow(unsafe_code)]
    let valid = |row: usize| unsafe { reader.is_valid(row) };
    if let Some(batch) = column::struct_batch(chunk, 1, rows)? {
        let records = omnikpi::table::arrow::records(&batch, "record")?;
        return Ok((0..rows)
            .zip(records)
            .map(|(row, record)| valid(row).then(|| record.to_string()))
            .collect());
    }
    match column::type_id(chunk, 1) {
        TypeId::SqlNull => return Ok(vec![None; rows]),
        TypeId::Varchar => {}
        _ => {
            return Err(KpiError::at(
                ErrorCode::WrongType,
                "record",
                "must be a STRUCT (a row, or {'field': value, ...}) or JSON text",
            ))
        }
    }
    // SAFETY: a VARCHAR column, rows checked for validity first.
    #[allow(unsafe_code)]
    Ok((0..rows)
        .map(|row| valid(row).then(|| unsafe { reader.read_str(row) }.to_owned()))
        .collect())
}

quack_rs::aggregate_update_callback!(update, |info, input, states| {
    // SAFETY: DuckDB calls this with a flattened chunk of the three declared arguments (VARCHAR,
    // a STRUCT or VARCHAR record, VARCHAR) and one initialised `Records` state per row.
    #[allow(unsafe_code)]
    let outcome = unsafe {
        let chunk = DataChunk::from_raw(input);
        let [kpi, options] = [0, 2].map(|c| chunk.reader(c));
        let state_of = |row: usize| *states.add(row);
        let kpi_of = |row: usize| kpi.is_valid(row).then(|| kpi.read_blob(row));
        let options_of = |row: usize| options.is_valid(row).then(|| options.read_blob(row));
        record_texts(&chunk).and_then(|mut texts| {
            group::runs(chunk.size(), &state_of)
                .into_iter()
                .try_for_each(|(state, rows)| -> Result<(), KpiError> {
                    let kpi = group::run_text(rows.clone(), &kpi_of, "kpi")?;
                    let options = group::run_text(rows.clone(), &options_of, "options")?;
                    let Some(records) = FfiState::<Records>::with_state_mut(state) else {
                        return Ok(());
                    };
                    records.kpi.agree(kpi, "kpi")?;
                    records.options.agree(options, "options")?;
                    for row in rows {
                        let text = texts.get_mut(row).and_then(Option::take).ok_or_else(|| {
                            KpiError::at(
                                ErrorCode::MissingField,
                                "record",
                                "is NULL; leave rows out with WHERE or FILTER, never by a NULL record",
                            )
                        })?;
                        records.records.push(text);
                    }
                    Ok(())
                })
        })
    };
    if let Err(e) = outcome {
        group::report(info, &e);
    }
});

group::combine_and_finalize!(Records);
