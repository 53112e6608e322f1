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
//! A KPI whose partial states merge without order (`conversion.rate`,
//! [`omnikpi::partial::merges_unordered`]) keeps no records: each run of a group's rows becomes
//! a partial state, merged into the group's as DuckDB combines threads, channels in name order.
//! Any other KPI keeps the group's records and takes them in the byte order of their JSON text.
//! Either way a SQL table's lack of row order decides nothing: the result (the order of its
//! lists included) depends neither on threads nor on the order rows arrive in. It is the KPI's
//! JSON output, as `omnikpi_evaluate` gives it for the same input in that order. A record's
//! error is at `record…` and names the record.

use crate::column;
use crate::group::{self, Constant, GroupState};
use libduckdb_sys::duckdb_connection;
use omnikpi::table::records::at_record;
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

/// Records of a KPI whose states merge without order are reduced to a state once this many
/// wait: few enough to bound a group's memory, many enough that a state is built rarely.
const PENDING: usize = 4096;

/// The rows of one group and the KPI and options they came with: for a KPI whose states merge
/// without order, its merged partial state and the records not yet in it; else its records as
/// JSON text.
#[derive(Default)]
struct Records {
    kpi: Constant,
    options: Constant,
    records: Vec<String>,
    pending: Vec<Value>,
    state: Option<Value>,
    /// Whether the KPI's states merge without order, asked of the core once per group.
    unordered: Option<bool>,
}

impl AggregateState for Records {}

impl Records {
    /// Takes the group's KPI and options, or checks they are the ones it has.
    fn agree(&mut self, kpi: &str, options: &str) -> Result<(), KpiError> {
        self.kpi.agree(kpi, "kpi")?;
        self.options.agree(options, "options")?;
        if self.unordered.is_none() {
            self.unordered = Some(omnikpi::partial::merges_unordered(kpi));
        }
        Ok(())
    }

    /// Adds a run's records: waiting to be reduced to a state for a KPI whose states merge
    /// without order, else kept as text.
    fn add(&mut self, run: Vec<Record>) -> Result<(), KpiError> {
        if self.unordered != Some(true) {
            self.records.extend(run.into_iter().map(Record::into_text));
            return Ok(());
        }
        for record in run {
            self.pending.push(record.into_value()?);
        }
        if self.pending.len() >= PENDING {
            self.reduce()?;
        }
        Ok(())
    }

    /// Reduces the waiting records to a state merged into the group's.
    fn reduce(&mut self) -> Result<(), KpiError> {
        let (Some(kpi), Some(options)) = (self.kpi.get(), self.options.get()) else {
            return Ok(());
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        let options = omnikpi::parse_json(options, "options")?;
        let (table, mut input, params) = parts(&options)?;
        input.insert(
            table.to_owned(),
            Value::Array(std::mem::take(&mut self.pending)),
        );
        let input = Value::Object(input);
        let state = omnikpi::partial::state(kpi, &input, params, 0)
            .map_err(|e| at_record(e, table, |i| input.get(table)?.get(i).map(Value::to_string)))?;
        merge_into(&mut self.state, kpi, state, params)
    }
}

/// Merges `state` of `kpi` into a group's merged state.
fn merge_into(
    merged: &mut Option<Value>,
    kpi: &str,
    state: Value,
    params: &Value,
) -> Result<(), KpiError> {
    let states = match merged.take() {
        Some(mine) => vec![mine, state],
        None => vec![state],
    };
    *merged = Some(omnikpi::partial::merge_unordered(kpi, &states, params)?);
    Ok(())
}

impl GroupState for Records {
    fn merge_from(&mut self, other: &Self) -> Result<(), KpiError> {
        let (Some(kpi), Some(options)) = (other.kpi.get(), other.options.get()) else {
            return Ok(());
        };
        self.agree(kpi, options)?;
        self.records.extend(other.records.iter().cloned());
        self.pending.extend(other.pending.iter().cloned());
        if let Some(state) = &other.state {
            let options = omnikpi::parse_json(options, "options")?;
            merge_into(&mut self.state, kpi, state.clone(), parts(&options)?.2)?;
        }
        if self.pending.len() >= PENDING {
            self.reduce()?;
        }
        Ok(())
    }

    /// The KPI's result on the group's rows as JSON text; `None` for a group without rows.
    fn result(&mut self) -> Result<Option<String>, KpiError> {
        self.reduce()?;
        let (Some(kpi), Some(options)) = (self.kpi.get(), self.options.get()) else {
            return Ok(None);
        };
        let options = omnikpi::parse_json(options, "options")?;
        let (table, mut input, params) = parts(&options)?;
        if let Some(state) = &self.state {
            let output = omnikpi::partial::combine(kpi, std::slice::from_ref(state), params)?;
            return Ok(Some(output.to_json().to_string()));
        }
        let mut texts: Vec<&str> = self.records.iter().map(String::as_str).collect();
        texts.sort_unstable();
        let text_of = |i: usize| texts.get(i).map(|t| (*t).to_owned());
        let records = texts
            .iter()
            .enumerate()
            .map(|(i, text)| omnikpi::parse_json(text, &format!("input.{table}[{i}]")))
            .collect::<Result<Vec<Value>, KpiError>>()
            .map_err(|e| at_record(e, table, text_of))?;
        input.insert(table.to_owned(), Value::Array(records));
        let output = omnikpi::evaluate(kpi, &Value::Object(input), params)
            .map_err(|e| at_record(e, table, text_of))?;
        Ok(Some(output.to_json().to_string()))
    }
}

/// A row's record: the core record reader's reading of a STRUCT, or JSON text as given.
enum Record {
    Read(Value),
    Text(String),
}

impl Record {
    /// Its JSON text.
    fn into_text(self) -> String {
        match self {
            Record::Read(value) => value.to_string(),
            Record::Text(text) => text,
        }
    }

    /// Its value; text is parsed as JSON.
    ///
    /// # Errors
    /// `invalid_json` at `record` for text that is not JSON.
    fn into_value(self) -> Result<Value, KpiError> {
        match self {
            Record::Read(value) => Ok(value),
            Record::Text(text) => omnikpi::parse_json(&text, "record"),
        }
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

/// Each row's record: a STRUCT's fields through the core's record reader, or the text itself;
/// `None` for a NULL.
fn records_of(chunk: &DataChunk) -> Result<Vec<Option<Record>>, KpiError> {
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
            .map(|(row, record)| valid(row).then_some(Record::Read(record)))
            .collect());
    }
    match column::type_id(chunk, 1) {
        TypeId::SqlNull => return Ok((0..rows).map(|_| None).collect()),
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
        .map(|row| valid(row).then(|| Record::Text(unsafe { reader.read_str(row) }.to_owned())))
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
        records_of(&chunk).and_then(|mut records| {
            group::runs(chunk.size(), &state_of)
                .into_iter()
                .try_for_each(|(state, rows)| -> Result<(), KpiError> {
                    let kpi = group::run_text(rows.clone(), &kpi_of, "kpi")?;
                    let options = group::run_text(rows.clone(), &options_of, "options")?;
                    let Some(group) = FfiState::<Records>::with_state_mut(state) else {
                        return Ok(());
                    };
                    let run = rows
                        .map(|row| {
                            records.get_mut(row).and_then(Option::take).ok_or_else(|| {
                                KpiError::at(
                                    ErrorCode::MissingField,
                                    "record",
                                    "is NULL; leave rows out with WHERE or FILTER, never by a NULL record",
                                )
                            })
                        })
                        .collect::<Result<Vec<Record>, KpiError>>()?;
                    group.agree(kpi, options)?;
                    group.add(run)
                })
        })
    };
    if let Err(e) = outcome {
        group::report(info, &e);
    }
});

group::combine_and_finalize!(Records);
