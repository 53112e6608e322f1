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
//! Each thread copies the rows it reads once, from DuckDB's vectors into Arrow builders, one per
//! column and part, the part chosen by a hash of the journey id (the state); every
//! [`SEAL_ROWS`] rows a part's builders are sealed into a record batch and read at once by the
//! core's Arrow reader into the part's journeys ([`JourneyReader`]), so a state holds the
//! builder's columns (a channel id and a time per touch, an id and outcome per journey), not
//! the rows. DuckDB's combine shares the source's readers (and reads its open rows into a
//! reader of their own); at the end each part absorbs its readers into one, on the parts'
//! threads, its journeys are accumulated, and the parts' accumulators (attribution's partial
//! state) are merged in order. The reader orders each journey's touches
//! by time and channel name whatever the order of the rows, and merging is exact: the result
//! does not depend on the thread count or on the order rows arrive in.
//! `options` is the core's `attribution::Request` object; it must be the same on every row of
//! a group.

use crate::column::{arrow_column, Parts};
use crate::group::{self, Constant, GroupState};
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
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
use std::ops::Range;
use std::sync::Arc;

/// The SQL name.
pub(crate) const NAME: &str = "omnikpi_attribute";

/// Journeys are spread over this many parts by a hash of their id, so that a group's journeys
/// are built and attributed on several threads, each part accumulated on its own and the parts
/// merged in order (the core's partial state). The count is fixed: it does not follow DuckDB's
/// threads, and no result depends on it.
const PARTS: usize = 16;

/// Rows a part gathers in its builders before they are sealed into a record batch: the core
/// reads a batch's columns at a time, so batches are kept large.
const SEAL_ROWS: usize = 65_536;

/// The touches of one group, as read so far, and the options they came with.
#[derive(Default)]
struct Touches {
    options: Constant,
    /// The options read, at the first batch a part seals.
    request: Option<Request>,
    /// Each argument column's builders, one per part (made at the first chunk).
    open: Vec<Parts>,
    /// Each part's journeys: those read from the batches it sealed, then those of the states
    /// combined into it, shared (the combine's source is only borrowed, and a copy would be
    /// made serially, under DuckDB's lock): they are absorbed at the end, part by part, on
    /// the parts' threads.
    read: Vec<Vec<Arc<JourneyReader>>>,
}

impl AggregateState for Touches {}

impl Touches {
    /// Keeps `rows` of `chunk` (rows of this group, the first `columns` its touch columns), row
    /// `r` in part `part_of[r]`, read with `options`; a part with [`SEAL_ROWS`] rows gathered
    /// is read into its journeys.
    fn add(
        &mut self,
        chunk: &DataChunk,
        columns: usize,
        rows: Range<usize>,
        part_of: &[u8],
        options: &str,
    ) -> Result<(), KpiError> {
        self.options.agree(options, "options")?;
        if self.open.is_empty() {
            self.open = ROLES
                .iter()
                .take(columns)
                .enumerate()
                .map(|(c, role)| Parts::new(chunk, c, PARTS, &format!("table.{role}")))
                .collect::<Result<_, _>>()?;
        }
        for (c, parts) in self.open.iter_mut().enumerate() {
            parts.append(chunk, c, part_of, rows.clone())?;
        }
        for part in 0..PARTS {
            if self.open.first().map_or(0, |c| c.len(part)) >= SEAL_ROWS {
                let columns = self.open.iter_mut().map(|c| c.finish(part)).collect();
                let batch = touch_batch(columns)?;
                self.reader(part)?.push_named(&batch)?;
            }
        }
        Ok(())
    }

    /// The group's options, read once (at the first batch a part seals or combines).
    fn parsed(&mut self) -> Result<&Request, KpiError> {
        if self.request.is_none() {
            let options = self.options.get().ok_or_else(|| {
                KpiError::new(ErrorCode::InternalError, None, "touches without options")
            })?;
            self.request = Some(request(options)?);
        }
        self.request
            .as_ref()
            .ok_or_else(|| KpiError::new(ErrorCode::InternalError, None, "options"))
    }

    /// Part `part`'s reader, made (with the options read) at its first batch.
    fn reader(&mut self, part: usize) -> Result<&mut JourneyReader, KpiError> {
        self.parsed()?;
        self.read.resize_with(PARTS, Vec::new);
        match (&self.request, self.read.get_mut(part)) {
            (Some(request), Some(readers)) => {
                if readers.is_empty() {
                    readers.push(Arc::new(reader(request)));
                }
                // a reader shared with a combine's source is copied before it changes
                readers
                    .first_mut()
                    .map(Arc::make_mut)
                    .ok_or_else(|| KpiError::new(ErrorCode::InternalError, None, "part"))
            }
            _ => Err(KpiError::new(ErrorCode::InternalError, None, "part")),
        }
    }

    /// Part `part`'s rows not yet sealed, as a batch (the builders left as they are); `None`
    /// when there are none.
    fn open_batch(&self, part: usize) -> Result<Option<RecordBatch>, KpiError> {
        if self.open.first().map_or(0, |c| c.len(part)) == 0 {
            return Ok(None);
        }
        let columns = self.open.iter().map(|c| c.finish_cloned(part)).collect();
        touch_batch(columns).map(Some)
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

/// A reader that names a bad row's journey.
trait PushNamed {
    /// Reads `batch`; an error at a row of it names the row's journey ([`with_journey`]).
    fn push_named(&mut self, batch: &RecordBatch) -> Result<(), KpiError>;
}

impl PushNamed for JourneyReader {
    fn push_named(&mut self, batch: &RecordBatch) -> Result<(), KpiError> {
        let first = self.rows();
        self.push(batch).map_err(|e| with_journey(e, batch, first))
    }
}

/// Touch columns (in [`ROLES`] order) as one record batch, named by their roles.
fn touch_batch(columns: Vec<ArrayRef>) -> Result<RecordBatch, KpiError> {
    RecordBatch::try_from_iter(ROLES.iter().copied().zip(columns)).map_err(|e| {
        KpiError::new(
            ErrorCode::InternalError,
            None,
            format!("touches as Arrow: {e}"),
        )
    })
}

impl GroupState for Touches {
    fn merge_from(&mut self, other: &Self) -> Result<(), KpiError> {
        let Some(options) = other.options.get() else {
            return Ok(());
        };
        self.options.agree(options, "options")?;
        self.read.resize_with(PARTS, Vec::new);
        for part in 0..PARTS {
            // the source's journeys are shared, its open rows read into a reader of their own
            let open = match other.open_batch(part)? {
                Some(batch) => {
                    let mut open = reader(self.parsed()?);
                    open.push_named(&batch)?;
                    Some(Arc::new(open))
                }
                None => None,
            };
            if let Some(mine) = self.read.get_mut(part) {
                mine.extend(other.read.get(part).into_iter().flatten().cloned());
                mine.extend(open);
            }
        }
        Ok(())
    }

    /// The attribution of the group's touches as JSON text; `None` for a group without rows.
    fn result(&self) -> Result<Option<String>, KpiError> {
        let Some(options) = self.options.get() else {
            return Ok(None);
        };
        let request = match &self.request {
            Some(request) => request.clone(),
            None => request(options)?,
        };
        let (total, conversions, journeys) = accumulate_parts(self, &request)?;
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
    touches: &Touches,
    request: &Request,
) -> Result<(Accumulator, Conversions, Vec<JourneyBatch>), KpiError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(PARTS);
    let mut done: Vec<(usize, Result<_, KpiError>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..PARTS)
                        .step_by(threads)
                        .map(|p| (p, accumulate(touches, request, p)))
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

/// Part `part`'s journeys (those read and its open rows) accumulated; `None` for a part without
/// rows. The state is left as it is: DuckDB owns it.
fn accumulate(touches: &Touches, request: &Request, part: usize) -> Result<Option<Part>, KpiError> {
    let read = touches.read.get(part).map_or(&[][..], Vec::as_slice);
    // the largest reader is copied, the others absorbed row by row
    let largest = (0..read.len()).max_by_key(|r| read.get(*r).map_or(0, |r| r.rows()));
    let mut reader = match largest.and_then(|r| read.get(r)) {
        Some(read) => JourneyReader::clone(read),
        None => reader(request),
    };
    for (_, other) in read.iter().enumerate().filter(|(r, _)| Some(*r) != largest) {
        reader.absorb(other)?;
    }
    if let Some(batch) = touches.open_batch(part)? {
        reader.push_named(&batch)?;
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

/// `e` naming the journey of the row its path names (`table[12]`, `table.channel[12]`), the
/// rows of `batch` numbered from `first`: a SQL table's rows have no numbers of their own, the
/// journey id says which rows are meant. An error that names its journey already (the core's
/// outcome checks do) is left as it is.
fn with_journey(e: KpiError, batch: &RecordBatch, first: usize) -> KpiError {
    if e.message().contains("(journey `") {
        return e;
    }
    let row = e
        .path()
        .and_then(|p| p.split_once('[')?.1.split_once(']'))
        .and_then(|(n, _)| n.parse::<usize>().ok())
        .and_then(|n| n.checked_sub(first))
        .filter(|r| *r < batch.num_rows());
    let id = row.and_then(|r| {
        let ids = arrow_cast::cast(batch.column(0), &DataType::Utf8).ok()?;
        let ids = ids.as_string::<i32>();
        ids.is_valid(r).then(|| ids.value(r).to_owned())
    });
    match id {
        Some(id) => KpiError::new(
            e.code(),
            e.path().map(str::to_owned),
            format!("{} (journey `{id}`)", e.message()),
        ),
        None => e,
    }
}

/// Each row's part (below [`PARTS`]) by a hash of its journey id (column 0 of the chunk): every
/// row of a journey lands in the same part, whatever chunk it comes in. Ids the core cannot
/// read go to part 0, where its reader reports them.
fn parts_of_chunk(chunk: &DataChunk) -> Result<Vec<u8>, KpiError> {
    let ids = arrow_column(chunk, 0, chunk.size(), ROLES.first().copied().unwrap_or(""))?;
    Ok(parts_of_rows(&ids)
        .into_iter()
        .map(|p| u8::try_from(p).unwrap_or(0))
        .collect())
}

/// Each row's part, from its journey id: integers by value, anything else by its text.
fn parts_of_rows(ids: &ArrayRef) -> Vec<usize> {
    let part = |hash: u64| usize::try_from(hash % PARTS as u64).unwrap_or(0);
    if ids.data_type().is_integer() {
        if let Ok(ints) = arrow_cast::cast(ids, &DataType::Int64) {
            let ints = ints.as_primitive::<Int64Type>();
            return (0..ints.len())
                .map(|r| part(fnv1a(&ints.value(r).to_le_bytes())))
                .collect();
        }
    }
    match arrow_cast::cast(ids, &DataType::Utf8) {
        Ok(text) => {
            let text = text.as_string::<i32>();
            (0..text.len())
                .map(|r| part(fnv1a(text.value(r).as_bytes())))
                .collect()
        }
        Err(_) => vec![0; ids.len()],
    }
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
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
        parts_of_chunk(&chunk).and_then(|part_of| {
            for (state, rows) in group::runs(chunk.size(), &state_of) {
                let text = group::run_text(rows.clone(), &option_of, "options")?;
                if let Some(touches) = FfiState::<Touches>::with_state_mut(state) {
                    touches.add(&chunk, columns, rows, &part_of, text)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn every_row_of_a_journey_lands_in_one_part_whatever_the_chunk() {
        let ids: Vec<i64> = (0..500).map(|i| i % 37).collect();
        let parts = parts_of_rows(&(Arc::new(Int64Array::from(ids.clone())) as ArrayRef));
        assert_eq!(parts.len(), 500);
        assert!(parts.iter().all(|p| *p < PARTS));
        assert!(
            parts
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 8,
            "37 ids spread over the parts"
        );
        // the same id alone in another chunk goes to the same part, each time
        for id in [0, 5, 36] {
            let alone = parts_of_rows(&(Arc::new(Int64Array::from(vec![id])) as ArrayRef));
            let row = ids.iter().position(|i| *i == id).unwrap();
            assert_eq!(alone, vec![parts[row]]);
            assert!(ids
                .iter()
                .zip(&parts)
                .all(|(i, p)| *i != id || *p == parts[row]));
        }
        let text =
            parts_of_rows(&(Arc::new(StringArray::from(vec!["u1", "u2", "u1"])) as ArrayRef));
        assert_eq!(text[0], text[2], "u1's two rows together");
    }
}
