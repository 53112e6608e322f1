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
//! Each chunk DuckDB hands over is copied once, column by column, into an Arrow batch (the
//! values into one buffer each), which the core's Arrow reader reads straight into the
//! state's parts: each row into the part of its journey (a hash of its id,
//! [`omnikpi::attribution::JourneyKey::part`]), each part a [`JourneyReader`] that keeps the
//! builder's columns (a channel id and a time per touch, an id and outcome per journey), not the
//! rows. DuckDB's combine shares the source's readers (a copy would be made serially, under
//! DuckDB's lock); at the end each part absorbs its readers into one, on the parts' threads,
//! its journeys are accumulated, and the parts' accumulators (attribution's partial state) are
//! merged in order. The reader orders each journey's touches by time and channel name whatever
//! the order of the rows, and merging is exact: the result does not depend on the thread count
//! or on the order rows arrive in.
//! `options` is the core's `attribution::Request` object; it must be the same on every row of
//! a group.

use crate::column::{arrow_column, few_texts};
use crate::group::{self, Constant, GroupState};
use arrow_array::RecordBatch;
use libduckdb_sys::duckdb_connection;
use omnikpi::attribution::{Accumulator, Attribution, JourneyBatch, Request};
use omnikpi::certificate;
use omnikpi::table::arrow::JourneyReader;
use omnikpi::table::reading::{Conversions, ROLES};
use omnikpi::{ErrorCode, KpiError};
use quack_rs::aggregate::{AggregateFunctionSetBuilder, AggregateState, FfiState};
use quack_rs::data_chunk::DataChunk;
use quack_rs::error::ExtensionError;
use quack_rs::types::{NullHandling, TypeId};
use std::sync::Arc;

/// The SQL name.
pub(crate) const NAME: &str = "omnikpi_attribute";

/// Journeys are spread over this many parts by a hash of their id, so that a group's journeys
/// are built and attributed on several threads, each part accumulated on its own and the parts
/// merged in order (the core's partial state). The count is fixed: it does not follow DuckDB's
/// threads, and no result depends on it.
const PARTS: usize = 16;

/// The touches of one group, as read so far, and the options they came with.
#[derive(Default)]
struct Touches {
    options: Constant,
    /// The options read, at the group's first rows.
    request: Option<Request>,
    /// The rows this state read: the next batch's first row is numbered so in errors.
    rows: usize,
    /// Each part's journeys: those this state read, then those of the states combined into
    /// it, shared (the combine's source is only borrowed, and a copy would be made serially,
    /// under DuckDB's lock): they are absorbed at the end, part by part, on the parts' threads.
    read: Vec<Vec<Arc<JourneyReader>>>,
    /// The result, once the readers were given up to it (DuckDB finalizes a state once; a
    /// second call gives the same result).
    done: Option<Result<Option<String>, KpiError>>,
}

impl AggregateState for Touches {}

impl Touches {
    /// Reads `batch` (rows of this group, its columns named by their roles), read with
    /// `options`, into the parts.
    fn add(&mut self, batch: &RecordBatch, options: &str) -> Result<(), KpiError> {
        self.open()?;
        self.options.agree(options, "options")?;
        let request = match &self.request {
            Some(request) => request,
            None => self.request.insert(request(options)?),
        };
        self.read.resize_with(PARTS, Vec::new);
        let mut parts = Vec::with_capacity(PARTS);
        for readers in &mut self.read {
            if readers.is_empty() {
                readers.push(Arc::new(reader(request)));
            }
            // a reader shared with a combine's source is copied before it changes
            parts.extend(readers.first_mut().map(Arc::make_mut));
        }
        let first_row = self.rows;
        JourneyReader::push_parts(&mut parts, batch, first_row)?;
        self.rows = self.rows.saturating_add(batch.num_rows());
        Ok(())
    }

    /// Checks that the state still takes rows (its result was not made).
    fn open(&self) -> Result<(), KpiError> {
        match self.done {
            Some(_) => Err(KpiError::new(
                ErrorCode::InternalError,
                None,
                "rows for a group whose result was made",
            )),
            None => Ok(()),
        }
    }

    /// The attribution of the group's touches as JSON text, its readers given up to it;
    /// `None` for a group without rows.
    fn finish(&mut self) -> Result<Option<String>, KpiError> {
        let Some(options) = self.options.get() else {
            return Ok(None);
        };
        let request = match self.request.take() {
            Some(request) => request,
            None => request(options)?,
        };
        let read = std::mem::take(&mut self.read);
        let (total, conversions, journeys) = accumulate_parts(read, &request)?;
        let results = total.finish()?;
        let mut result = request.output(&results)?;
        if request.reading.money_from_float {
            counted(&mut result, conversions);
        }
        if request.certify {
            let parts: Vec<_> = journeys.iter().map(|j| (None, j)).collect();
            let input = certificate::parts_digest(&parts, &request.taxonomy, &request.currency)?;
            let json: Vec<_> = results.iter().map(Attribution::to_json).collect();
            let certificates = certificate::certify_read(&request, &input, &json)?;
            certified(&mut result, certificates);
        }
        Ok(Some(result.to_string()))
    }
}

/// The core's attribution request from a group's `options`, with no column names of its own.
fn request(options: &str) -> Result<Request, KpiError> {
    let request = Request::from_json(&omnikpi::parse_json(options, "options")?)?;
    if request.reading.columns != omnikpi::table::reading::Columns::default() {
        return Err(KpiError::at(
            ErrorCode::UnknownParameter,
            "options.reading.columns",
            "is not read in SQL: the columns are the function's arguments",
        ));
    }
    if !request.by.is_empty() {
        return Err(KpiError::at(
            ErrorCode::UnknownParameter,
            "options.by",
            "is SQL's GROUP BY here: group the touches by the dimension columns",
        ));
    }
    Ok(request)
}

/// An empty reader of `request`'s touch table.
fn reader(request: &Request) -> JourneyReader {
    JourneyReader::new(&request.reading, &request.taxonomy, &request.currency)
}

/// The first `columns` argument columns of `chunk` (the touch columns, in [`ROLES`] order) as
/// one record batch, named by their roles.
fn touch_batch(chunk: &DataChunk, columns: usize) -> Result<RecordBatch, KpiError> {
    let arrays = ROLES
        .iter()
        .take(columns)
        .enumerate()
        .map(|(c, role)| {
            let array = match *role {
                "channel" => few_texts(chunk, c, chunk.size(), role)?,
                _ => arrow_column(chunk, c, chunk.size(), role)?,
            };
            Ok((*role, array))
        })
        .collect::<Result<Vec<_>, KpiError>>()?;
    RecordBatch::try_from_iter(arrays).map_err(|e| {
        KpiError::new(
            ErrorCode::InternalError,
            None,
            format!("touches as Arrow: {e}"),
        )
    })
}

impl GroupState for Touches {
    fn merge_from(&mut self, other: &Self) -> Result<(), KpiError> {
        self.open()?;
        let Some(options) = other.options.get() else {
            return Ok(());
        };
        self.options.agree(options, "options")?;
        self.read.resize_with(PARTS, Vec::new);
        for (mine, theirs) in self.read.iter_mut().zip(&other.read) {
            mine.extend(theirs.iter().cloned());
        }
        Ok(())
    }

    /// The attribution of the group's touches as JSON text; `None` for a group without rows.
    fn result(&mut self) -> Result<Option<String>, KpiError> {
        if self.done.is_none() {
            self.done = Some(self.finish());
        }
        self.done.clone().unwrap_or_else(|| {
            Err(KpiError::new(
                ErrorCode::InternalError,
                None,
                "a result not made",
            ))
        })
    }
}

/// Each model's certificate (`"certify": true`) on its result, as `certificate`.
fn certified(result: &mut serde_json::Value, certificates: Vec<serde_json::Value>) {
    match result {
        serde_json::Value::Array(results) => {
            for (r, c) in results.iter_mut().zip(certificates) {
                if let Some(r) = r.as_object_mut() {
                    r.insert("certificate".to_owned(), c);
                }
            }
        }
        serde_json::Value::Object(r) => {
            if let Some(c) = certificates.into_iter().next() {
                r.insert("certificate".to_owned(), c);
            }
        }
        _ => {}
    }
}

/// The float amounts read as declared (`money_from_float`), on each model's result: SQL has no
/// other channel for what the CLI prints on stderr and Python warns of.
fn counted(result: &mut serde_json::Value, conversions: Conversions) {
    let count = serde_json::json!({
        "rounded": conversions.money_rounded,
        "moved": conversions.money_changed,
    });
    match result {
        serde_json::Value::Array(results) => results
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
            .for_each(|r| {
                r.insert("money_from_float".to_owned(), count.clone());
            }),
        serde_json::Value::Object(r) => {
            r.insert("money_from_float".to_owned(), count);
        }
        _ => {}
    }
}

/// Every part accumulated on its own (the parts spread over the machine's threads) and the
/// accumulators merged in part order, with what the reading converted and, when the request
/// asks for certificates, the parts' journeys; the first error in part order, if any.
fn accumulate_parts(
    read: Vec<Vec<Arc<JourneyReader>>>,
    request: &Request,
) -> Result<(Accumulator, Conversions, Vec<JourneyBatch>), KpiError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(PARTS);
    let mut work: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    for (part, readers) in read.into_iter().enumerate() {
        if let Some(worker) = work.get_mut(part % threads) {
            worker.push((part, readers));
        }
    }
    let mut done: Vec<(usize, Result<_, KpiError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = work
            .into_iter()
            .map(|parts| {
                scope.spawn(move || {
                    parts
                        .into_iter()
                        .map(|(p, readers)| (p, accumulate(readers, request)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // every worker is joined before any result is looked at
        let joined: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        joined
            .into_iter()
            .flat_map(|outcome| match outcome {
                Ok(parts) => parts,
                Err(_) => vec![(
                    0,
                    Err(KpiError::new(
                        ErrorCode::InternalError,
                        None,
                        "a worker thread stopped",
                    )),
                )],
            })
            .collect()
    });
    done.sort_by_key(|(p, _)| *p);
    let mut total = request.accumulator()?;
    let mut conversions = Conversions::default();
    let mut kept = Vec::new();
    for (_, part) in done {
        if let Some(part) = part? {
            total.merge(&part.accumulator)?;
            conversions.add(part.read);
            kept.extend(part.journeys);
        }
    }
    Ok((total, conversions, kept))
}

/// A part's journeys accumulated, what reading them converted, and the journeys themselves
/// when the request asks for certificates.
struct Part {
    accumulator: Accumulator,
    read: Conversions,
    journeys: Option<JourneyBatch>,
}

/// A part's journeys (its readers) accumulated; `None` for a part without rows. The largest
/// reader is taken (copied only while a combine's source still shares it), the others
/// absorbed row by row.
fn accumulate(
    mut read: Vec<Arc<JourneyReader>>,
    request: &Request,
) -> Result<Option<Part>, KpiError> {
    let largest = (0..read.len()).max_by_key(|r| read.get(*r).map_or(0, |r| r.rows()));
    let mut reader = match largest.filter(|r| *r < read.len()) {
        Some(r) => Arc::unwrap_or_clone(read.swap_remove(r)),
        None => reader(request),
    };
    for other in &read {
        reader.absorb(other)?;
    }
    if reader.rows() == 0 {
        return Ok(None);
    }
    let (journeys, read) = reader.finish()?;
    let mut accumulator = request.accumulator()?;
    accumulator.update(&journeys)?;
    Ok(Some(Part {
        accumulator,
        read,
        journeys: request.certify.then_some(journeys),
    }))
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

quack_rs::aggregate_update_callback!(update, |info, input, states| {
    // SAFETY: DuckDB calls this with a flattened chunk of the declared arguments (touch columns,
    // then the VARCHAR options) and one initialised `Touches` state per row.
    #[allow(unsafe_code)]
    let outcome = unsafe {
        let chunk = DataChunk::from_raw(input);
        let columns = chunk.column_count().saturating_sub(1);
        let options = chunk.reader(columns);
        let state_of = |row: usize| *states.add(row);
        let option_of = |row: usize| options.is_valid(row).then(|| options.read_blob(row));
        touch_batch(&chunk, columns).and_then(|batch| {
            for (state, rows) in group::runs(chunk.size(), &state_of) {
                let text = group::run_text(rows.clone(), &option_of, "options")?;
                if let Some(touches) = FfiState::<Touches>::with_state_mut(state) {
                    touches.add(&batch.slice(rows.start, rows.len()), text)?;
                }
            }
            Ok(())
        })
    };
    if let Err(e) = outcome {
        group::report(info, &e);
    }
});

group::combine_and_finalize!(Touches);
