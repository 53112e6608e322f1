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
use arrow_array::{ArrayRef, RecordBatch};
use libduckdb_sys::{duckdb_aggregate_state, duckdb_connection};
use omnikpi::attribution::Request;
use omnikpi::table::reading::ROLES;
use omnikpi::{ErrorCode, KpiError};
use quack_rs::aggregate::{
    AggregateFunctionInfo, AggregateFunctionSetBuilder, AggregateState, FfiState,
};
use quack_rs::data_chunk::DataChunk;
use quack_rs::error::ExtensionError;
use quack_rs::types::{NullHandling, TypeId};
use quack_rs::vector::VectorWriter;

/// The SQL name.
pub(crate) const NAME: &str = "omnikpi_attribute";

/// The touches of one group, as read so far, and the options they came with.
#[derive(Default)]
struct Touches {
    options: Option<String>,
    batches: Vec<RecordBatch>,
}

impl AggregateState for Touches {}

impl Touches {
    /// Keeps `batch` (rows of this group) read with `options`.
    fn add(&mut self, batch: RecordBatch, options: &str) -> Result<(), KpiError> {
        self.agree(options)?;
        self.batches.push(batch);
        Ok(())
    }

    /// Takes `options` as this group's, or checks they are the ones it has.
    fn agree(&mut self, options: &str) -> Result<(), KpiError> {
        match &self.options {
            None => self.options = Some(options.to_owned()),
            Some(mine) if mine == options => {}
            Some(_) => return Err(options_differ()),
        }
        Ok(())
    }

    /// The attribution of the group's touches as JSON text; `None` for a group without rows.
    fn result(&self) -> Result<Option<String>, KpiError> {
        let Some(options) = &self.options else {
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
            // rows of one group come in runs (all of them without GROUP BY)
            let mut start = 0;
            while start < batch.num_rows() {
                let state: duckdb_aggregate_state = state_of(start);
                let mut end = start + 1;
                while end < batch.num_rows() && state_of(end) == state {
                    end += 1;
                }
                let text = run_options(start..end, &option_of)?;
                if let Some(touches) = FfiState::<Touches>::with_state_mut(state) {
                    touches.add(batch.slice(start, end - start), text)?;
                }
                start = end;
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

fn options_differ() -> KpiError {
    KpiError::at(
        ErrorCode::InvalidParameter,
        "options",
        "must be the same on every row of a group",
    )
}

/// The options of a run of rows, the same on each.
fn run_options<'a>(
    rows: std::ops::Range<usize>,
    option_of: &dyn Fn(usize) -> Option<&'a str>,
) -> Result<&'a str, KpiError> {
    let mut first = None;
    for row in rows {
        let text = option_of(row).ok_or_else(|| {
            KpiError::at(
                ErrorCode::MissingField,
                "options",
                "is NULL; give the options object as text",
            )
        })?;
        match first {
            None => first = Some(text),
            Some(f) if f == text => {}
            Some(_) => return Err(options_differ()),
        }
    }
    first.ok_or_else(|| KpiError::new(ErrorCode::InternalError, None, "a run of no rows"))
}

quack_rs::aggregate_combine_callback!(combine, |info, source, target, count| {
    // SAFETY: DuckDB passes `count` initialised source and target states; a source may still
    // be read elsewhere (window segment trees), so it is only borrowed and its batches cloned.
    #[allow(unsafe_code)]
    let outcome = unsafe {
        (0..count as usize).try_for_each(|i| {
            let from = FfiState::<Touches>::with_state(*source.add(i));
            let to = FfiState::<Touches>::with_state_mut(*target.add(i));
            match (from, to) {
                (Some(from), Some(to)) => merge(from, to),
                _ => Ok(()),
            }
        })
    };
    if let Err(e) = outcome {
        // SAFETY: `info` is the pointer DuckDB passed in.
        #[allow(unsafe_code)]
        unsafe { AggregateFunctionInfo::new(info) }.set_error(&failure(&e));
    }
});

fn merge(from: &Touches, to: &mut Touches) -> Result<(), KpiError> {
    if let Some(options) = &from.options {
        to.agree(options)?;
    }
    to.batches.extend(from.batches.iter().cloned());
    Ok(())
}

quack_rs::aggregate_finalize_callback!(finalize, |info, source, result, count, offset| {
    // SAFETY: DuckDB passes `count` initialised states and a VARCHAR result vector with room
    // for rows offset..offset + count.
    #[allow(unsafe_code)]
    unsafe {
        let mut writer = VectorWriter::from_vector(result);
        for i in 0..count as usize {
            let row = offset as usize + i;
            let outcome =
                FfiState::<Touches>::with_state(*source.add(i)).map_or(Ok(None), Touches::result);
            match outcome {
                Ok(Some(json)) => writer.write_varchar(row, &json),
                Ok(None) => writer.set_null(row),
                Err(e) => {
                    AggregateFunctionInfo::new(info).set_error(&failure(&e));
                    return;
                }
            }
        }
    }
});
