//! Journeys from long-format rows (one row per touch), as DataFrames, SQL results and exports
//! hold them: [`LongBuilder`] groups rows into a [`JourneyBatch`] at the speed of a scan when
//! rows come grouped by journey, and still correctly when they do not.

use super::ids::{decode, encode, JourneyIds};
use super::journey::JourneyBatch;
use crate::channel::Taxonomy;
use crate::error::{ErrorCode, KpiError, Result};
use std::hash::BuildHasher;

/// A journey id as a table holds it, borrowed from the row: an integer or text. The builder
/// copies a text id once per journey, not once per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JourneyKey<'a> {
    /// An integer id.
    Int(i64),
    /// A text id.
    Text(&'a str),
}

impl JourneyKey<'_> {
    /// How an error about one of the journey's rows names it: `` (journey `u1`)``.
    ///
    /// ```
    /// use omnikpi::attribution::JourneyKey;
    /// assert_eq!(JourneyKey::Int(7).note(), " (journey `7`)");
    /// assert_eq!(JourneyKey::Text("u1").note(), " (journey `u1`)");
    /// ```
    pub fn note(&self) -> String {
        match self {
            JourneyKey::Int(i) => format!(" (journey `{i}`)"),
            JourneyKey::Text(t) => format!(" (journey `{t}`)"),
        }
    }

    /// The part (below `parts`) this journey belongs to when a table is read in parts: a hash
    /// of the id (an integer times a large odd constant, its high half; FNV-1a of a text's
    /// bytes), so every row of a journey lands in one part whichever batch or thread reads it.
    ///
    /// ```
    /// use omnikpi::attribution::JourneyKey;
    /// assert_eq!(JourneyKey::Text("u1").part(1), 0);
    /// assert_eq!(JourneyKey::Int(7).part(16), JourneyKey::Int(7).part(16));
    /// assert!(JourneyKey::Text("u1").part(16) < 16);
    /// ```
    pub fn part(&self, parts: usize) -> usize {
        if parts <= 1 {
            return 0;
        }
        let hash = match self {
            Self::Int(i) => {
                u64::from_le_bytes(i.to_le_bytes()).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32
            }
            Self::Text(t) => super::order::fnv1a(t.as_bytes()),
        };
        u64::try_from(parts)
            .ok()
            .and_then(|p| hash.checked_rem(p))
            .and_then(|p| usize::try_from(p).ok())
            .unwrap_or(0)
    }
}

/// How often runs repeat an earlier id, on a sample of ids chosen by their hash (FNV-1a, so
/// the sample and the moment it decides do not depend on the process).
#[derive(Debug, Clone, Default)]
struct Sample {
    seen: hashbrown::HashSet<u64>,
    runs: u32,
    repeats: u32,
}

impl Sample {
    /// Notes a new run's id; whether runs now look scattered (at least 1,024 sampled runs, more
    /// than one in eight of them a repeat).
    fn scattered(&mut self, id: &[u8]) -> bool {
        let hash = super::order::fnv1a(id);
        if hash >> 58 != 0 {
            return false; // one id in 64 is sampled
        }
        self.runs = self.runs.saturating_add(1);
        if !self.seen.insert(hash) {
            self.repeats = self.repeats.saturating_add(1);
        }
        self.runs >= 1_024 && self.repeats > self.runs / 8
    }
}

/// Once rows are known to come scattered (a journey's rows far apart, as in a table sorted by
/// time): the journeys by the hash of their id, and every touch's journey.
#[derive(Debug, Clone)]
struct Scattered {
    table: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
    owner: Vec<u32>,
    /// The journey of the previous row.
    current: u32,
    /// The encoding of the id being looked up.
    scratch: Vec<u8>,
}

/// The previous row's journey id, its text buffer reused from run to run.
#[derive(Debug, Clone, Default)]
enum PreviousKey {
    #[default]
    None,
    Int(i64),
    Text(String),
}

impl PreviousKey {
    /// Whether `key` is greater than the previous row's key (integers by value, text by bytes);
    /// true for the first row.
    fn after(&self, key: &JourneyKey<'_>) -> bool {
        match (self, key) {
            (Self::None, _) => true,
            (Self::Int(a), JourneyKey::Int(b)) => b > a,
            (Self::Text(a), JourneyKey::Text(b)) => *b > a.as_str(),
            _ => false,
        }
    }

    /// Whether `key` is the previous row's.
    fn is(&self, key: &JourneyKey<'_>) -> bool {
        match (self, key) {
            (Self::Int(a), JourneyKey::Int(b)) => a == b,
            (Self::Text(a), JourneyKey::Text(b)) => a == b,
            _ => false,
        }
    }

    fn set(&mut self, key: &JourneyKey<'_>) {
        match (key, &mut *self) {
            (JourneyKey::Text(t), Self::Text(buffer)) => {
                buffer.clear();
                buffer.push_str(t);
            }
            (JourneyKey::Text(t), _) => *self = Self::Text((*t).to_owned()),
            (JourneyKey::Int(i), _) => *self = Self::Int(*i),
        }
    }
}

/// Where a journey's outcome (conversions, value, conversion time) sits in a long-format table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutcomeRows {
    /// Repeated on every row of the journey (rows that disagree are an error).
    #[default]
    EveryRow,
    /// On the journey's last touch only (the rows at its latest timestamp; where several carry
    /// it, they carry the same), as GA4, Adobe and warehouse exports write it; the other rows
    /// are null, zero or false.
    LastTouch,
}

/// One journey's outcome columns, repeated on each of its rows in long format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Conversions of the journey.
    pub conversions: u64,
    /// Value in minor units of the batch currency.
    pub value_minor: i128,
    /// Conversion time, when given.
    pub conversion_time: Option<i64>,
}

impl Outcome {
    /// No conversion, no value, no conversion time: what a row that does not carry the outcome
    /// holds.
    pub fn is_empty(&self) -> bool {
        *self == Outcome::default()
    }
}

/// Each run's outcome, as the batch's columns, and the table row it was read from.
#[derive(Debug, Clone, Default)]
struct Outcomes {
    conversions: Vec<u64>,
    value_minor: Vec<i128>,
    conversion_time: Vec<Option<i64>>,
    rows: Vec<usize>,
}

impl Outcomes {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn push(&mut self, outcome: Outcome, row: usize) {
        self.conversions.push(outcome.conversions);
        self.value_minor.push(outcome.value_minor);
        self.conversion_time.push(outcome.conversion_time);
        self.rows.push(row);
    }

    /// Run `j`'s outcome and its row.
    fn get(&self, j: usize) -> Option<(Outcome, usize)> {
        let outcome = Outcome {
            conversions: *self.conversions.get(j)?,
            value_minor: *self.value_minor.get(j)?,
            conversion_time: *self.conversion_time.get(j)?,
        };
        Some((outcome, *self.rows.get(j)?))
    }

    fn set(&mut self, j: usize, outcome: Outcome, row: usize) {
        let slots = (
            self.conversions.get_mut(j),
            self.value_minor.get_mut(j),
            self.conversion_time.get_mut(j),
            self.rows.get_mut(j),
        );
        if let (Some(c), Some(v), Some(t), Some(r)) = slots {
            (*c, *v, *t, *r) = (
                outcome.conversions,
                outcome.value_minor,
                outcome.conversion_time,
                row,
            );
        }
    }

    /// Keeps the runs `keep` names (by index), in order.
    fn keep(&mut self, keep: impl Fn(usize) -> bool) {
        kept(&mut self.conversions, &keep);
        kept(&mut self.value_minor, &keep);
        kept(&mut self.conversion_time, &keep);
        kept(&mut self.rows, &keep);
    }
}

/// Keeps the elements of `column` whose index `keep` names, in order.
fn kept<T>(column: &mut Vec<T>, keep: &impl Fn(usize) -> bool) {
    let mut i = 0usize;
    column.retain(|_| {
        i = i.saturating_add(1);
        keep(i.saturating_sub(1))
    });
}

/// Each channel id's place among the taxonomy's names in byte order: touches of a journey at
/// the same time are ordered by it, so a table's row order cannot change a journey.
#[derive(Debug, Clone)]
struct ChannelRanks(Vec<u16>);

impl ChannelRanks {
    fn new(taxonomy: &Taxonomy) -> Self {
        let mut by_name: Vec<usize> = (0..taxonomy.len()).collect();
        by_name.sort_by_key(|i| taxonomy.channels().get(*i).map(|c| c.name.as_bytes()));
        let mut rank = vec![0u16; taxonomy.len()];
        for (place, id) in (0u16..).zip(by_name) {
            if let Some(r) = rank.get_mut(id) {
                *r = place;
            }
        }
        Self(rank)
    }

    /// The sort key of a touch at `time` on channel `id`.
    fn key(&self, time: i64, id: u16) -> (i64, u16) {
        (
            time,
            self.0.get(usize::from(id)).copied().unwrap_or(u16::MAX),
        )
    }
}

/// Builds a [`JourneyBatch`] from long-format rows (one row per touch, the journey's outcome
/// repeated on each row or on its last touch only). Journeys keep the order of their first row;
/// touches are ordered by timestamp, touches at the same time by channel name (bytes): a table
/// has no other order to go by (a SQL relation, Spark partitions, a re-sorted export), so the
/// same rows in any order give the same journeys, and every model the same result.
///
/// Rows go straight into the batch's columns as they come, a run of rows with the same id at a
/// time; each run's id is stored once in one byte arena. While runs do not repeat ids (tables
/// grouped by journey, as exports and `GROUP BY` give them), nothing is looked up per row or
/// per journey: runs of one journey, if any, are found once at [`LongBuilder::finish`], which
/// then regroups them. When a sample of ids shows runs repeating (a table sorted by time), the
/// runs so far merge into journeys and from then on each run's id is looked up in a hash table,
/// so memory follows journeys, not runs. The batch is the same either way; when the switch
/// happens depends only on the ids (a fixed hash picks the sample), so every reader of the same
/// rows reports the same error.
///
/// # Example
/// ```
/// use omnikpi::attribution::{JourneyKey, LongBuilder, Outcome};
/// use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
/// let tax = Taxonomy::new(vec![
///     Channel { name: "web".into(), group: ChannelGroup::Online, direct: false },
///     Channel { name: "store".into(), group: ChannelGroup::Offline, direct: false },
/// ]).unwrap();
/// let mut b = LongBuilder::new(&tax);
/// let sale = Outcome { conversions: 1, value_minor: 9_000, conversion_time: None };
/// b.push(JourneyKey::Text("u7"), 20, "store", sale, 0).unwrap();
/// b.push(JourneyKey::Int(8), 5, "web", Outcome::default(), 1).unwrap();
/// b.push(JourneyKey::Text("u7"), 10, "web", sale, 2).unwrap();
/// let batch = b.finish().unwrap();
/// assert_eq!(batch.offsets, vec![0, 2, 3]); // u7 first: the order of first rows
/// assert_eq!(batch.channel, vec![0, 1, 0]); // u7's web touch first: sorted by time
///
/// let mut b = LongBuilder::new(&tax); // at the same time: "store" before "web", whatever the rows
/// b.push(JourneyKey::Int(1), 30, "web", Outcome::default(), 0).unwrap();
/// b.push(JourneyKey::Int(1), 30, "store", Outcome::default(), 1).unwrap();
/// assert_eq!(b.finish().unwrap().channel, vec![1, 0]);
/// ```
#[derive(Debug, Clone)]
pub struct LongBuilder {
    taxonomy: Taxonomy,
    placement: OutcomeRows,
    /// Each run's journey id.
    ids: JourneyIds,
    /// The previous row's journey id: a row with the same id continues the run.
    previous: PreviousKey,
    /// Whether some run's id was not greater than the run's before (runs may share a journey).
    out_of_order: bool,
    /// Each run's outcome and the table row it was read from.
    outcomes: Outcomes,
    /// With [`OutcomeRows::LastTouch`]: each run's latest timestamp so far.
    last: Vec<i64>,
    /// The order of a journey's touches: time, then channel name.
    rank: ChannelRanks,
    /// The touches in row order.
    channel: Vec<u16>,
    timestamp: Vec<i64>,
    /// Each run's first touch (the batch's offsets, but for the end).
    starts: Vec<usize>,
    /// Whether a run's touches went back in (time, channel name) order (sorted at the end).
    unsorted: bool,
    /// How often runs repeat an id, while ids come out of order.
    sample: Sample,
    /// Once runs look scattered: each run's id is looked up, each touch's journey kept.
    scattered: Option<Scattered>,
}

impl LongBuilder {
    /// An empty builder for journeys over `taxonomy`.
    pub fn new(taxonomy: &Taxonomy) -> Self {
        Self {
            rank: ChannelRanks::new(taxonomy),
            taxonomy: taxonomy.clone(),
            placement: OutcomeRows::EveryRow,
            ids: JourneyIds::default(),
            previous: PreviousKey::None,
            out_of_order: false,
            outcomes: Outcomes::default(),
            last: Vec::new(),
            channel: Vec::new(),
            timestamp: Vec::new(),
            starts: Vec::new(),
            unsorted: false,
            sample: Sample::default(),
            scattered: None,
        }
    }

    /// The builder reading the outcome from the rows `placement` says.
    pub fn with_outcome_rows(mut self, placement: OutcomeRows) -> Self {
        self.placement = placement;
        self
    }

    /// Room for `rows` more touches (a batch's rows, before they are pushed).
    pub fn reserve(&mut self, rows: usize) {
        self.channel.reserve(rows);
        self.timestamp.reserve(rows);
    }

    /// The number of rows of the whole table, when the reader knows it (a Parquet file's
    /// metadata, an in-memory table): the touch columns are allocated once.
    ///
    /// ```
    /// use omnikpi::attribution::{JourneyKey, LongBuilder, Outcome};
    /// use omnikpi::channel::Taxonomy;
    /// let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
    /// let mut b = LongBuilder::new(&tax);
    /// b.expect_rows(2);
    /// b.push(JourneyKey::Int(2), 0, "web", Outcome::default(), 0).unwrap();
    /// b.push(JourneyKey::Int(1), 0, "web", Outcome::default(), 1).unwrap();
    /// assert_eq!(b.finish().unwrap().len(), 2);
    /// ```
    pub fn expect_rows(&mut self, rows: usize) {
        self.reserve(rows.saturating_sub(self.channel.len()));
    }

    /// Adds one touch row; `row` is its index in the table, which errors name (`table[12]`).
    ///
    /// # Errors
    /// `unknown_channel`; `invalid_dataset` when the outcome differs from the earlier rows of
    /// its run (rows of a journey that came apart are compared at [`LongBuilder::finish`]);
    /// `limit_exceeded` beyond 2^32 journeys or rows.
    pub fn push(
        &mut self,
        journey: JourneyKey<'_>,
        timestamp: i64,
        channel: &str,
        outcome: Outcome,
        row: usize,
    ) -> Result<()> {
        let id = self.channel_id(channel).ok_or_else(|| {
            KpiError::at(
                ErrorCode::UnknownChannel,
                &format!("table[{row}].channel"),
                format!("names channel `{channel}`, which the taxonomy does not declare"),
            )
        })?;
        self.push_id(journey, timestamp, id, outcome, row)
    }

    /// The id of channel `name` in the builder's taxonomy, for [`LongBuilder::push_id`] (a
    /// dictionary column looks its values up once, not once a row).
    pub fn channel_id(&self, name: &str) -> Option<u16> {
        self.taxonomy
            .index(name)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// [`LongBuilder::push`] with the channel given by its id ([`LongBuilder::channel_id`]).
    ///
    /// # Errors
    /// As [`LongBuilder::push`], but for the channel.
    pub fn push_id(
        &mut self,
        journey: JourneyKey<'_>,
        timestamp: i64,
        id: u16,
        outcome: Outcome,
        row: usize,
    ) -> Result<()> {
        let limit = |what: &str| {
            KpiError::at(
                ErrorCode::LimitExceeded,
                &format!("table[{row}]"),
                format!("more than 2^32 {what}"),
            )
        };
        u32::try_from(self.channel.len()).map_err(|_| limit("rows"))?;
        if self.scattered.is_some() {
            let (j, new) = self
                .scattered_journey(&journey)
                .ok_or_else(|| limit("journeys"))?;
            if new {
                self.outcomes.push(outcome, row);
                if self.placement == OutcomeRows::LastTouch {
                    self.last.push(timestamp);
                }
            } else {
                self.check_outcome(j as usize, outcome, timestamp, row)?;
            }
            if let Some(scattered) = &mut self.scattered {
                scattered.current = j;
                scattered.owner.push(j);
            }
            self.channel.push(id);
            self.timestamp.push(timestamp);
            return Ok(());
        }
        let mut scattered = false;
        match self.outcomes.len().checked_sub(1) {
            Some(run) if self.previous.is(&journey) => {
                self.check_outcome(run, outcome, timestamp, row)?;
                let before = self.timestamp.last().zip(self.channel.last());
                if before.is_some_and(|(t, c)| self.rank.key(timestamp, id) < self.rank.key(*t, *c))
                {
                    self.unsorted = true;
                }
            }
            _ => {
                u32::try_from(self.outcomes.len()).map_err(|_| limit("journeys"))?;
                if !self.out_of_order && !self.previous.after(&journey) {
                    self.out_of_order = true;
                }
                let stored = self.ids.push(&journey);
                scattered = self.out_of_order && self.sample.scattered(stored);
                self.previous.set(&journey);
                self.outcomes.push(outcome, row);
                if self.placement == OutcomeRows::LastTouch {
                    self.last.push(timestamp);
                }
                self.starts.push(self.channel.len());
            }
        }
        self.channel.push(id);
        self.timestamp.push(timestamp);
        if scattered {
            self.scatter()?;
        }
        Ok(())
    }

    /// Adds the rows `other` holds after this builder's own, as if they had been pushed here: a
    /// table read in parts (on several threads, say) gives the journeys it gives read whole,
    /// in the order of their first rows here, then there. `other`'s rows are replayed from what
    /// it keeps: each touch with its journey's id, the outcome on every row or (last touch) on
    /// the rows at the journey's latest time, numbered as the row `other` read that outcome from.
    ///
    /// ```
    /// use omnikpi::attribution::{JourneyKey, LongBuilder, Outcome};
    /// use omnikpi::channel::Taxonomy;
    /// let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
    /// let sale = Outcome { conversions: 1, value_minor: 500, conversion_time: None };
    /// let (mut here, mut there) = (LongBuilder::new(&tax), LongBuilder::new(&tax));
    /// here.push(JourneyKey::Text("u1"), 20, "web", sale, 0).unwrap();
    /// there.push(JourneyKey::Int(2), 5, "web", Outcome::default(), 0).unwrap();
    /// there.push(JourneyKey::Text("u1"), 10, "web", sale, 1).unwrap();
    /// here.absorb(&there).unwrap();
    /// let batch = here.finish().unwrap();
    /// assert_eq!(batch.offsets, vec![0, 2, 3]); // u1's two touches, then 2's
    /// assert_eq!(batch.timestamp, vec![10, 20, 5]);
    /// ```
    ///
    /// # Errors
    /// As [`LongBuilder::push_id`]: a journey both hold must agree on its outcome;
    /// `internal_error` when the builders' taxonomies or outcome placements differ.
    pub fn absorb(&mut self, other: &LongBuilder) -> Result<()> {
        if self.taxonomy != other.taxonomy || self.placement != other.placement {
            return Err(KpiError::internal(
                "builders of one table read with different taxonomies or outcome placements",
            ));
        }
        if self.channel.is_empty() {
            *self = other.clone();
            return Ok(());
        }
        self.reserve(other.channel.len());
        match &other.scattered {
            Some(scattered) => {
                for (touch, j) in scattered.owner.iter().enumerate() {
                    self.replay(other, touch, *j)?;
                }
            }
            None => {
                let ends = other.starts.iter().skip(1).copied();
                let ends = ends.chain([other.channel.len()]);
                for ((run, start), end) in (0u32..).zip(&other.starts).zip(ends) {
                    for touch in *start..end {
                        self.replay(other, touch, run)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Pushes `other`'s touch `touch`, of its run (or journey) `j`, as [`LongBuilder::absorb`]
    /// replays it.
    fn replay(&mut self, other: &LongBuilder, touch: usize, j: u32) -> Result<()> {
        let (Some(key), Some(time), Some(channel), Some((outcome, row))) = (
            decode(other.ids.at(j)),
            other.timestamp.get(touch),
            other.channel.get(touch),
            other.outcomes.get(j as usize),
        ) else {
            return Err(KpiError::internal("a touch of an absorbed builder"));
        };
        let carried = match other.last.get(j as usize) {
            Some(last) if other.placement == OutcomeRows::LastTouch && last != time => {
                Outcome::default()
            }
            _ => outcome,
        };
        self.push_id(key, *time, *channel, carried, row)
    }

    /// Runs look scattered (a table sorted by time, say): the runs so far merge into journeys,
    /// their outcomes checked as [`LongBuilder::finish`] checks them, and from now on each new
    /// run's id is looked up, so memory grows with journeys, not with runs.
    fn scatter(&mut self) -> Result<()> {
        let firsts = self.ids.firsts();
        let owner = self.merged(&firsts)?;
        let hasher = hashbrown::DefaultHashBuilder::default();
        self.scattered = Some(Scattered {
            table: self.ids.table(&hasher),
            hasher,
            current: owner.last().copied().unwrap_or(0),
            owner,
            scratch: Vec::new(),
        });
        self.starts = Vec::new();
        Ok(())
    }

    /// Once scattered: the journey of `key` and whether it is new (stored then); `None` beyond
    /// 2^32 journeys.
    fn scattered_journey(&mut self, key: &JourneyKey<'_>) -> Option<(u32, bool)> {
        let scattered = self.scattered.as_mut()?;
        if self.previous.is(key) {
            return Some((scattered.current, false));
        }
        self.previous.set(key);
        scattered.scratch.clear();
        encode(key, &mut scattered.scratch);
        let hash = scattered.hasher.hash_one(scattered.scratch.as_slice());
        let (ids, wanted) = (&self.ids, scattered.scratch.as_slice());
        if let Some(j) = scattered.table.find(hash, |j| ids.at(*j) == wanted) {
            return Some((*j, false));
        }
        let next = u32::try_from(self.outcomes.len()).ok()?;
        let hasher = &scattered.hasher;
        scattered
            .table
            .insert_unique(hash, next, |j| hasher.hash_one(ids.at(*j)));
        self.ids.push(key);
        Some((next, true))
    }

    /// Checks a later row's outcome against its run's (or a later run's against the first run
    /// of its journey): equal on every row, or (last touch) carried by the rows at the latest
    /// time only (equal where several carry it, so row order cannot choose). `time` is the
    /// row's timestamp; `row` the table row an error names.
    fn check_outcome(&mut self, j: usize, outcome: Outcome, time: i64, row: usize) -> Result<()> {
        let journey = || {
            u32::try_from(j)
                .ok()
                .and_then(|j| decode(self.ids.at(j)))
                .map_or_else(String::new, |key| key.note())
        };
        let differs = |first: usize| {
            KpiError::at(
                ErrorCode::InvalidDataset,
                &format!("table[{row}]"),
                format!(
                    "has conversion columns that differ from the same journey's table[{first}]{}",
                    journey()
                ),
            )
        };
        let not_last = |at: usize, later: usize| {
            KpiError::at(
                ErrorCode::InvalidDataset,
                &format!("table[{at}]"),
                format!(
                    "carries the journey's outcome but is not its last touch (table[{later}] is \
                     later){}; with the outcome on the last touch, other rows hold null, 0 or \
                     false",
                    journey()
                ),
            )
        };
        let Some((seen, first)) = self.outcomes.get(j) else {
            return Err(KpiError::internal("journey index"));
        };
        match (self.placement, self.last.get_mut(j)) {
            (OutcomeRows::LastTouch, Some(last)) if time > *last => {
                if !seen.is_empty() {
                    return Err(not_last(first, row));
                }
                *last = time;
                self.outcomes.set(j, outcome, row);
            }
            (OutcomeRows::LastTouch, Some(last)) if time == *last => {
                if seen.is_empty() {
                    self.outcomes.set(j, outcome, row);
                } else if !outcome.is_empty() && outcome != seen {
                    return Err(differs(first));
                }
            }
            (OutcomeRows::LastTouch, Some(_)) if !outcome.is_empty() => {
                return Err(not_last(row, first));
            }
            (OutcomeRows::LastTouch, Some(_)) => {}
            _ if seen != outcome => return Err(differs(first)),
            _ => {}
        }
        Ok(())
    }

    /// The batch, validated like every other.
    ///
    /// # Errors
    /// `invalid_dataset` when runs of one journey (rows that came apart) disagree on its
    /// outcome, checked run by run in row order; otherwise as [`JourneyBatch::from_columns`].
    pub fn finish(mut self) -> Result<JourneyBatch> {
        let offsets = match self.scattered.take() {
            Some(scattered) => self.regroup(&scattered.owner),
            None => match self.journey_of_touches()? {
                None => self.grouped_offsets(),
                Some(owner) => self.regroup(&owner),
            },
        };
        let outcomes = self.outcomes;
        let mut batch = JourneyBatch::from_columns(
            &self.taxonomy,
            offsets,
            self.channel,
            self.timestamp,
            None,
            outcomes.conversions,
            outcomes.value_minor,
            &outcomes.conversion_time,
        )?;
        batch.ids = Some(self.ids);
        Ok(batch)
    }

    /// When runs share a journey: each touch's journey ([`LongBuilder::merged`]); `None` when
    /// every run is a journey of its own.
    fn journey_of_touches(&mut self) -> Result<Option<Vec<u32>>> {
        if !self.out_of_order {
            return Ok(None);
        }
        let firsts = self.ids.firsts();
        if (0u32..).zip(&firsts).all(|(r, f)| r == *f) {
            return Ok(None);
        }
        self.merged(&firsts).map(Some)
    }

    /// Merges each run into the first run of its id (`firsts`): each later run's outcome is
    /// checked against (and merged into) its journey's, run by run in row order; outcomes are
    /// kept one per journey, journeys numbered in the order of their first run. Returns each
    /// touch's journey.
    fn merged(&mut self, firsts: &[u32]) -> Result<Vec<u32>> {
        let mut journey_of: Vec<u32> = Vec::with_capacity(firsts.len());
        let mut journeys = 0u32;
        for (run, first) in (0u32..).zip(firsts) {
            if run == *first {
                journey_of.push(journeys);
                journeys = journeys.saturating_add(1);
                continue;
            }
            let journey = journey_of.get(*first as usize).copied().unwrap_or(0);
            journey_of.push(journey);
            let (outcome, row) = self.outcomes.get(run as usize).unwrap_or_default();
            let time = self.last.get(run as usize).copied().unwrap_or_default();
            self.check_outcome(*first as usize, outcome, time, row)?;
        }
        let is_first = |r: usize| firsts.get(r).is_some_and(|f| *f as usize == r);
        self.outcomes.keep(is_first);
        kept(&mut self.last, &is_first);
        self.ids = self.ids.kept(is_first);
        let mut owner = Vec::with_capacity(self.channel.capacity());
        let ends = self.starts.iter().skip(1).copied();
        for (end, journey) in ends.chain([self.channel.len()]).zip(journey_of) {
            owner.resize(end, journey);
        }
        Ok(owner)
    }

    /// Offsets of rows that came grouped, each journey's touches sorted by time and channel
    /// name when some went back.
    fn grouped_offsets(&mut self) -> Vec<usize> {
        let mut offsets = std::mem::take(&mut self.starts);
        offsets.push(self.channel.len());
        if self.unsorted {
            self.sort_within(&offsets);
        }
        offsets
    }

    /// Sorts each journey's touches (between consecutive `offsets`) by time, touches at the same
    /// time by channel name: the order of a table's rows does not reach a journey.
    fn sort_within(&mut self, offsets: &[usize]) {
        let rank = &self.rank;
        let key = |(t, c): &(i64, u16)| rank.key(*t, *c);
        for w in offsets.windows(2) {
            let &[start, end] = w else { continue };
            let (Some(times), Some(channels)) = (
                self.timestamp.get_mut(start..end),
                self.channel.get_mut(start..end),
            ) else {
                continue;
            };
            let in_order = times
                .windows(2)
                .zip(channels.windows(2))
                .all(|(t, c)| match (t, c) {
                    ([t0, t1], [c0, c1]) => key(&(*t0, *c0)) <= key(&(*t1, *c1)),
                    _ => true,
                });
            if in_order {
                continue;
            }
            let mut touches: Vec<(i64, u16)> = times
                .iter()
                .copied()
                .zip(channels.iter().copied())
                .collect();
            touches.sort_by_key(key);
            for ((t, c), (time, channel)) in times.iter_mut().zip(channels.iter_mut()).zip(touches)
            {
                (*t, *c) = (time, channel);
            }
        }
    }

    /// Touches that did not come grouped, regrouped by journey (in the order of first rows),
    /// sorted by time then channel name; returns the offsets. A counting sort: each touch is
    /// placed at its journey's next free slot, in row order, then each journey sorted by time.
    fn regroup(&mut self, owner: &[u32]) -> Vec<usize> {
        let mut offsets = vec![0usize; self.outcomes.len().saturating_add(1)];
        for j in owner {
            if let Some(count) = offsets.get_mut((*j as usize).saturating_add(1)) {
                *count = count.saturating_add(1);
            }
        }
        let mut total = 0usize;
        for o in &mut offsets {
            total = total.saturating_add(*o);
            *o = total;
        }
        let mut free = offsets.clone();
        let mut channel = vec![0u16; self.channel.len()];
        let mut timestamp = vec![0i64; self.timestamp.len()];
        let touches = self.channel.iter().zip(&self.timestamp);
        for (j, (c, t)) in owner.iter().zip(touches) {
            let Some(slot) = free.get_mut(*j as usize) else {
                continue;
            };
            if let (Some(to_c), Some(to_t)) = (channel.get_mut(*slot), timestamp.get_mut(*slot)) {
                (*to_c, *to_t) = (*c, *t);
            }
            *slot = slot.saturating_add(1);
        }
        self.channel = channel;
        self.timestamp = timestamp;
        self.sort_within(&offsets);
        offsets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{Channel, ChannelGroup};
    use proptest::prelude::*;

    fn taxonomy() -> Taxonomy {
        let channel = |name: &str| Channel {
            name: name.into(),
            group: ChannelGroup::Online,
            direct: false,
        };
        Taxonomy::new(vec![channel("a"), channel("b"), channel("c")]).unwrap()
    }

    /// The batch the builder must give: journeys in the order of their first row, touches by
    /// time then channel name (ids 0, 1, 2 are names a, b, c), built without the builder's
    /// fast paths.
    fn expected(rows: &[(u8, i64, u16)]) -> (Vec<usize>, Vec<u16>, Vec<i64>) {
        let mut first: Vec<u8> = Vec::new();
        for (j, _, _) in rows {
            if !first.contains(j) {
                first.push(*j);
            }
        }
        let mut sorted: Vec<(usize, i64, u16)> = rows
            .iter()
            .map(|(j, t, c)| (first.iter().position(|f| f == j).unwrap_or(0), *t, *c))
            .collect();
        sorted.sort();
        let mut offsets = vec![0];
        for j in 0..first.len() {
            offsets.push(sorted.iter().filter(|r| r.0 <= j).count());
        }
        let channel = sorted.iter().map(|r| r.2).collect();
        let timestamp = sorted.iter().map(|r| r.1).collect();
        (offsets, channel, timestamp)
    }

    /// The rows through a builder that switches to looking ids up after row `scatter_at`
    /// (as it does by itself on a sample of at least 1,024 scattered runs).
    fn built(
        rows: &[(u8, i64, u16)],
        text: bool,
        scatter_at: Option<usize>,
    ) -> Result<JourneyBatch> {
        let mut b = LongBuilder::new(&taxonomy());
        let names: Vec<String> = rows.iter().map(|r| format!("user-{}", r.0)).collect();
        for (i, ((j, t, c), name)) in rows.iter().zip(&names).enumerate() {
            let key = if text {
                JourneyKey::Text(name)
            } else {
                JourneyKey::Int(i64::from(*j))
            };
            b.push_id(key, *t, *c, Outcome::default(), i)?;
            if scatter_at == Some(i) {
                b.scatter()?;
            }
        }
        b.finish()
    }

    proptest! {
        /// Grouped, grouped but unsorted in time, and scattered rows all give the reference
        /// batch, for integer and text ids.
        #[test]
        fn any_row_order_gives_the_same_journeys(
            rows in proptest::collection::vec((0u8..6, 0i64..5, 0u16..3), 1..40),
            text in any::<bool>(),
            scatter_at in proptest::option::of(0usize..40),
        ) {
            let mut grouped = rows.clone();
            grouped.sort_by_key(|r| r.0);
            for rows in [grouped, rows] {
                let batch = built(&rows, text, scatter_at);
                prop_assert!(batch.is_ok(), "{batch:?}");
                let batch = batch.unwrap();
                let (offsets, channel, timestamp) = expected(&rows);
                prop_assert_eq!(batch.offsets, offsets);
                prop_assert_eq!(batch.channel, channel);
                prop_assert_eq!(batch.timestamp, timestamp);
            }
        }
    }

    /// Each journey's outcome by the rule itself, row by row over the whole journey: equal on
    /// every row, or carried by the rows at the latest time only (equal where several carry
    /// it); `None` when a journey breaks it.
    fn reference_outcomes(rows: &[(u8, i64, u8)], placement: OutcomeRows) -> Option<Vec<u8>> {
        let mut firsts: Vec<u8> = Vec::new();
        rows.iter().for_each(|r| {
            if !firsts.contains(&r.0) {
                firsts.push(r.0);
            }
        });
        let mut outcomes = Vec::new();
        for j in firsts {
            let mine: Vec<&(u8, i64, u8)> = rows.iter().filter(|r| r.0 == j).collect();
            let latest = mine.iter().map(|r| r.1).max()?;
            let carried: Vec<u8> = mine.iter().filter(|r| r.2 != 0).map(|r| r.2).collect();
            let outcome = match placement {
                OutcomeRows::EveryRow => mine.first()?.2,
                OutcomeRows::LastTouch => carried.first().copied().unwrap_or(0),
            };
            let fine = |r: &&(u8, i64, u8)| match placement {
                OutcomeRows::EveryRow => r.2 == outcome,
                OutcomeRows::LastTouch => r.2 == 0 || (r.1 == latest && r.2 == outcome),
            };
            if !mine.iter().all(fine) {
                return None;
            }
            outcomes.push(outcome);
        }
        Some(outcomes)
    }

    proptest! {
        /// Whatever the row order, the outcome rule holds over each whole journey: the builder
        /// accepts exactly the tables the rule accepts, with the same outcome per journey.
        #[test]
        fn the_outcome_rule_holds_over_whole_journeys(
            rows in proptest::collection::vec((0u8..4, 0i64..4, 0u8..3), 1..24),
            last_touch in any::<bool>(),
            scatter_at in proptest::option::of(0usize..24),
        ) {
            let placement = if last_touch { OutcomeRows::LastTouch } else { OutcomeRows::EveryRow };
            let mut b = LongBuilder::new(&taxonomy()).with_outcome_rows(placement);
            let pushed = rows.iter().enumerate().try_for_each(|(i, (j, t, o))| {
                let outcome = Outcome { conversions: u64::from(*o), ..Outcome::default() };
                b.push_id(JourneyKey::Int(i64::from(*j)), *t, 0, outcome, i)?;
                if scatter_at == Some(i) {
                    b.scatter()?;
                }
                Ok(())
            });
            let built = pushed.and_then(|()| b.finish());
            let expected = reference_outcomes(&rows, placement);
            let got = built.ok().map(|b| b.conversions.iter().map(|c| *c as u8).collect());
            prop_assert_eq!(got, expected);
        }
    }

    proptest! {
        /// Rows read by three builders (any of them switched to looking ids up) and absorbed
        /// into the first give what one builder gives for all the rows: the same journeys and
        /// outcomes, or an error for both.
        #[test]
        fn builders_absorbed_give_what_one_builder_gives(
            rows in proptest::collection::vec((0u8..5, 0i64..4, 0u16..3, 0u8..8), 1..40),
            cuts in (0usize..40, 0usize..40),
            last_touch in any::<bool>(),
            scattered in (any::<bool>(), any::<bool>(), any::<bool>()),
        ) {
            let placement = if last_touch { OutcomeRows::LastTouch } else { OutcomeRows::EveryRow };
            // most rows follow the rule (outcome j % 3, on the journey's latest rows with
            // last touch); a row whose own outcome is 2 breaks it with 1
            let latest = |j: u8| rows.iter().filter(|r| r.0 == j).map(|r| r.1).max();
            let rows: Vec<(u8, i64, u16, u8)> = rows.iter().map(|(j, t, c, o)| {
                let kept = j % 3;
                let carried = if last_touch && latest(*j) != Some(*t) { 0 } else { kept };
                (*j, *t, *c, if *o == 2 && kept != 1 { 1 } else { carried })
            }).collect();
            let read = |rows: &[(u8, i64, u16, u8)], first: usize, scatter: bool| {
                let mut b = LongBuilder::new(&taxonomy()).with_outcome_rows(placement);
                for (i, (j, t, c, o)) in rows.iter().enumerate() {
                    let outcome = Outcome { conversions: u64::from(*o), ..Outcome::default() };
                    let name = format!("user-{j}");
                    let key = if j % 2 == 0 { JourneyKey::Text(&name) } else { JourneyKey::Int(i64::from(*j)) };
                    b.push_id(key, *t, *c, outcome, first.saturating_add(i))?;
                }
                if scatter && !b.channel.is_empty() {
                    b.scatter()?;
                }
                Ok::<_, KpiError>(b)
            };
            let summary = |b: Result<LongBuilder>| {
                b.and_then(LongBuilder::finish).ok().map(|b| (b.offsets, b.channel, b.timestamp, b.conversions))
            };
            let whole = summary(read(&rows, 0, false));
            let (a, b) = (cuts.0.min(rows.len()), cuts.1.min(rows.len()));
            let (a, b) = (a.min(b), a.max(b));
            let (first, rest) = rows.split_at(a);
            let (second, third) = rest.split_at(b.saturating_sub(a));
            let absorbed = read(first, 0, scattered.0).and_then(|mut all| {
                all.absorb(&read(second, a, scattered.1)?)?;
                all.absorb(&read(third, b, scattered.2)?)?;
                Ok(all)
            });
            prop_assert_eq!(summary(absorbed), whole);
        }
    }

    /// A table sorted by time (each journey's rows far apart) switches to looking ids up, by
    /// itself, and still gives the journeys of the same rows grouped; a table grouped by
    /// journey with ids out of order never does.
    #[test]
    fn rows_sorted_by_time_are_looked_up_once_they_look_scattered() {
        let journeys = 40_000i64;
        let rows: Vec<(i64, i64)> = (0..4 * journeys)
            .map(|i| ((i * 7_919) % journeys, i / journeys))
            .collect();
        let build = |rows: &[(i64, i64)]| {
            let mut b = LongBuilder::new(&taxonomy());
            for (i, (j, t)) in rows.iter().enumerate() {
                let channel = u16::try_from(j % 3).unwrap_or(0);
                b.push_id(JourneyKey::Int(*j), *t, channel, Outcome::default(), i)?;
            }
            Ok::<_, KpiError>(b)
        };
        let by_time = build(&rows).unwrap();
        assert!(by_time.scattered.is_some());
        assert_eq!(by_time.outcomes.len(), journeys as usize); // one per journey, not per run
                                                               // the same rows grouped, journeys in the same order of first rows (ids out of order)
        let grouped: Vec<(i64, i64)> = rows
            .iter()
            .take(journeys as usize)
            .flat_map(|(j, _)| (0..4).map(move |t| (*j, t)))
            .collect();
        let grouped = build(&grouped).unwrap();
        assert!(grouped.scattered.is_none() && grouped.out_of_order);
        let (by_time, grouped) = (by_time.finish().unwrap(), grouped.finish().unwrap());
        assert_eq!(by_time.len(), journeys as usize);
        assert!(by_time.offsets == grouped.offsets, "offsets differ");
        assert!(by_time.channel == grouped.channel, "channels differ");
        assert!(by_time.timestamp == grouped.timestamp, "timestamps differ");
    }

    #[test]
    fn a_journey_that_comes_back_keeps_its_place_and_its_outcome_rule() {
        let sale = Outcome {
            conversions: 1,
            value_minor: 500,
            conversion_time: None,
        };
        let mut b = LongBuilder::new(&taxonomy()).with_outcome_rows(OutcomeRows::LastTouch);
        let rows = [
            ("u1", 10, Outcome::default()),
            ("u2", 3, Outcome::default()),
            ("u1", 30, sale),
            ("u2", 1, Outcome::default()),
        ];
        for (i, (key, t, outcome)) in rows.into_iter().enumerate() {
            assert!(b.push_id(JourneyKey::Text(key), t, 0, outcome, i).is_ok());
        }
        let batch = b.finish().unwrap();
        assert_eq!(batch.offsets, vec![0, 2, 4]);
        assert_eq!(batch.timestamp, vec![10, 30, 1, 3]);
        assert_eq!(batch.conversions, vec![1, 0]);
        assert_eq!(batch.value_minor, vec![500, 0]);
        // a journey that comes back with a later touch: its outcome was not on the last touch
        let mut b = LongBuilder::new(&taxonomy()).with_outcome_rows(OutcomeRows::LastTouch);
        assert!(b.push_id(JourneyKey::Int(1), 50, 0, sale, 0).is_ok());
        assert!(b.push_id(JourneyKey::Int(2), 50, 0, sale, 1).is_ok());
        assert!(b
            .push_id(JourneyKey::Int(1), 60, 0, Outcome::default(), 2)
            .is_ok());
        let e = b.finish().err();
        assert_eq!(e.as_ref().and_then(|e| e.path()), Some("table[0]"));
        assert_eq!(e.map(|e| e.code()), Some(ErrorCode::InvalidDataset));
    }

    /// Rows in a row are checked as they come; runs of one journey are checked at the end, in
    /// row order, against the journey's first run.
    #[test]
    fn runs_of_one_journey_must_agree_on_its_outcome() {
        let sale = |conversions| Outcome {
            conversions,
            value_minor: 100,
            conversion_time: None,
        };
        let run = |rows: &[(i64, Outcome)]| {
            let mut b = LongBuilder::new(&taxonomy());
            for (i, (key, outcome)) in rows.iter().enumerate() {
                b.push_id(JourneyKey::Int(*key), 0, 0, *outcome, i)?;
            }
            b.finish()
        };
        let same = run(&[(5, sale(1)), (3, sale(2)), (5, sale(1)), (3, sale(2))]);
        assert_eq!(same.map(|b| b.conversions).ok(), Some(vec![1, 2]));
        let rows = [
            (5, sale(1)),
            (3, sale(2)),
            (3, sale(2)),
            (5, sale(1)),
            (3, sale(3)),
        ];
        let e = run(&rows).err();
        assert_eq!(e.as_ref().and_then(|e| e.path()), Some("table[4]"));
        assert!(e.is_some_and(|e| e.to_string().contains("journey's table[1]")));
        let rows = [(5, sale(1)), (5, sale(2)), (3, sale(2))];
        let e = run(&rows).err();
        assert_eq!(
            e.and_then(|e| e.path().map(str::to_owned)),
            Some("table[1]".into())
        );
    }
}
