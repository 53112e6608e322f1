//! `omnikpi_attribute(journey_id, timestamp, channel, conversions [, value
//! [, conversion_timestamp]], options)`: multi-touch attribution as an aggregate over a
//! long-format touch table (one row per touch), any model, the result as JSON text with exact
//! decimals, the same as `omnikpi_evaluate('attribution.<model>', ...)` and every other front
//! end gives for these journeys.
//!
//! ```sql
//! SELECT omnikpi_attribute(journey_id, ts, channel, conversions, value,
//!     '{"model": "linear", "currency": "EUR", "channels": [
//!         {"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}]}')
//! FROM touches;
//! ```
//!
//! Each thread keeps the rows it reads as Arrow batches (the state); DuckDB's combine appends
//! states, and the result is computed once per group from all its rows by the core's Arrow
//! reader, which orders each journey's touches by time and channel name whatever the order of
//! the rows: the result does not depend on the thread count or on the order rows arrive in.
//! `options` is the core's `attribution::Request` object; it must be the same on every row of
//! a group.

use crate::column::arrow_column;
use crate::failure;
use crate::group::{self, Constant, GroupState};
use arrow_array::{ArrayRef, RecordBatch};
use libduckdb_sys::duckdb_connection;
use omnikpi::attribution::Request;
use omnikpi::table::reading::ROLES;
use omnikpi::{ErrorCode, KpiError};
use quack_rs::aggregate::{
    AggregateFunctionInfo, AggregateFunctionSetBuilder, AggregateState, FfiState,
};
use quack_rs::data_chunk::DataChunk;
use quack_rs::error::ExtensionError;
use quack_rs::types::{NullHandling, TypeId};

/// The SQL name.
pub(crate) const NAME: &str = "omnikpi_attribute";

/// The touches of one group, as read so far, and the options they came with.
#[derive(Default)]
struct Touches {
    options: Constant,
    batches: Vec<RecordBatch>,
}

impl AggregateState for Touches {}

impl Touches {
    /// Keeps `batch` (rows of this group) read with `options`.
    fn add(&mut self, batch: RecordBatch, options: &str) -> Result<(), KpiError> {
        self.options.agree(options, "options")?;
        self.batches.push(batch);
        Ok(())
    }
}

impl GroupState for Touches {
    fn merge_from(&mut self, other: &Self) -> Result<(), KpiError> {
        if let Some(options) = other.options.get() {
            self.options.agree(options, "options")?;
        }
        self.batches.extend(other.batches.iter().cloned());
        Ok(())
    }

    /// The attribution of the group's touches as JSON text; `None` for a group without rows.
    fn result(&self) -> Result<Option<String>, KpiError> {
        let Some(options) = self.options.get() else {
            return Ok(None);
        };
        let request = Request::from_json(&omnikpi::parse_json(options, "options")?)?;
        if request.reading.columns != omnikpi::table::reading::Columns::default() {
            return Err(KpiError::at(
                ErrorCode::UnknownParameter,
                "options.reading.columns",
                "is not read in SQL: the columns are the function's arguments",
            ));
        }
        let rows: usize = self.batches.iter().map(RecordBatch::num_rows).sum();
        let (batch, _) = omnikpi::table::arrow::journeys(
            self.batches.iter().cloned().map(Ok),
            Some(rows),
            &request.reading,
            &request.taxonomy,
            &request.currency,
        )?;
        Ok(Some(request.attribute(&batch)?.to_string()))
    }
}

/// Registers the three overloads: without value, with value, with value and conversion time.
pub(crate) fn register(con: duckdb_connection) -> Result<(), ExtensionError> {
    let set = AggregateFunctionSetBuilder::new(NAME).overloads(4..=6, |columns, builder| {
        (0..columns)
            .fold(builder, |b, _| b.param(TypeId::Any))
            .param(TypeId::Varchar)
            .returns(TypeId::Varchar)
            .null_handling(NullHandling::SpecialNullHandling)
            .ffi_state::<Touches>()
            .update(update)
            .combine(combine)
            .finalize(finalize)
    });
    // SAFETY: `con` is the live connection DuckDB passed to the entry point.
    #[allow(unsafe_code)]
    unsafe {
        set.register(con)
    }
}

/// The chunk's touch columns as one record batch, named by their roles.
fn chunk_batch(chunk: &DataChunk, columns: usize) -> Result<RecordBatch, KpiError> {
    let rows = chunk.size();
    let named: Vec<(&str, ArrayRef)> = ROLES
        .iter()
        .take(columns)
        .enumerate()
        .map(|(c, role)| Ok((*role, arrow_column(chunk, c, rows, role)?)))
        .collect::<Result<_, KpiError>>()?;
    RecordBatch::try_from_iter(named).map_err(|e| {
        KpiError::new(
            ErrorCode::InternalError,
            None,
            format!("a chunk as Arrow: {e}"),
        )
    })
}

quack_rs::aggregate_update_callback!(update, |info, input, states| {
    // SAFETY: DuckDB calls this with a flattened chunk of the declared arguments (touch columns,
    // then the VARCHAR options) and one initialised `Touches` state per row.
    #[allow(unsafe_code)]
    let outcome = unsafe {
        let chunk = DataChunk::from_raw(input);
        let columns = chunk.column_count().saturating_sub(1);
        let options = chunk.reader(columns);
        let state_of = |row: usize| *states.add(row);
        let option_of = |row: usize| options.is_valid(row).then(|| options.read_str(row));
        chunk_batch(&chunk, columns).and_then(|batch| {
            for (state, rows) in group::runs(batch.num_rows(), &state_of) {
                let text = group::run_text(rows.clone(), &option_of, "options")?;
                if let Some(touches) = FfiState::<Touches>::with_state_mut(state) {
                    touches.add(batch.slice(rows.start, rows.len()), text)?;
                }
            }
            Ok(())
        })
    };
    if let Err(e) = outcome {
        // SAFETY: `info` is the pointer DuckDB passed in.
        #[allow(unsafe_code)]
        unsafe { AggregateFunctionInfo::new(info) }.set_error(&failure(&e));
    }
});

quack_rs::aggregate_combine_callback!(combine, |info, source, target, count| {
    // SAFETY: DuckDB's combine arguments: `count` initialised `Touches` states on each side.
    #[allow(unsafe_code)]
    if let Err(e) = unsafe { group::combine::<Touches>(source, target, count as usize) } {
        // SAFETY: `info` is the pointer DuckDB passed in.
        #[allow(unsafe_code)]
        unsafe { AggregateFunctionInfo::new(info) }.set_error(&failure(&e));
    }
});

quack_rs::aggregate_finalize_callback!(finalize, |info, source, result, count, offset| {
    // SAFETY: DuckDB's finalize arguments: `count` initialised `Touches` states, a VARCHAR result
    // vector with room for rows offset..offset + count.
    #[allow(unsafe_code)]
    if let Err(e) =
        unsafe { group::finalize::<Touches>(source, result, count as usize, offset as usize) }
    {
        // SAFETY: `info` is the pointer DuckDB passed in.
        #[allow(unsafe_code)]
        unsafe { AggregateFunctionInfo::new(info) }.set_error(&failure(&e));
    }
});
