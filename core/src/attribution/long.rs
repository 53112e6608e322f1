//! Journeys from long-format rows (one row per touch), as DataFrames, SQL results and exports
//! hold them: [`LongBuilder`] groups rows into a [`JourneyBatch`] at the speed of a scan when
//! rows come grouped by journey, and still correctly when they do not.

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

/// The previous row's journey id, its text buffer reused from journey to journey.
#[derive(Debug, Clone, Default)]
enum PreviousKey {
    #[default]
    None,
    Int(i64, u32),
    Text(String, u32),
}

/// The journey ids seen so far, each stored once in one byte arena (a tag and the integer's
/// bytes, or a tag and the text): no allocation per journey. While each new id is greater than
/// the one before (tables sorted by journey, as warehouse exports and `ORDER BY` give them), a
/// new id cannot have been seen and is only stored; the first id out of order builds a hash
/// table of journeys over the stored ids.
#[derive(Debug, Clone, Default)]
struct Index {
    bytes: Vec<u8>,
    /// Where each journey's id ends in `bytes`.
    ends: Vec<usize>,
    /// The journeys by the hash of their id, once ids came out of order.
    table: Option<hashbrown::HashTable<u32>>,
    hasher: hashbrown::DefaultHashBuilder,
    /// The encoding of the id being looked up.
    scratch: Vec<u8>,
}

impl Index {
    /// The journey of `key`, or `next` (a new journey) when it was not seen. Without a hash
    /// table ([`Index::build_table`], once ids came out of order) the key is taken as new.
    fn journey(&mut self, key: &JourneyKey<'_>, next: u32) -> u32 {
        self.scratch.clear();
        match key {
            JourneyKey::Int(i) => {
                self.scratch.push(0);
                self.scratch.extend_from_slice(&i.to_le_bytes());
            }
            JourneyKey::Text(t) => {
                self.scratch.push(1);
                self.scratch.extend_from_slice(t.as_bytes());
            }
        }
        if let Some(table) = &mut self.table {
            let (bytes, ends, hasher) = (&self.bytes, &self.ends, &self.hasher);
            let hash = hasher.hash_one(self.scratch.as_slice());
            let id = |j: u32| stored(bytes, ends, j);
            if let Some(j) = table.find(hash, |j| id(*j) == self.scratch.as_slice()) {
                return *j;
            }
            table.insert_unique(hash, next, |j| hasher.hash_one(id(*j)));
        }
        self.bytes.extend_from_slice(&self.scratch);
        self.ends.push(self.bytes.len());
        next
    }

    /// Room for `more` journeys in the hash table, once there is one.
    fn reserve(&mut self, more: usize) {
        if let Some(table) = &mut self.table {
            let (bytes, ends, hasher) = (&self.bytes, &self.ends, &self.hasher);
            table.reserve(more, |j| hasher.hash_one(stored(bytes, ends, *j)));
        }
    }

    /// The hash table of the journeys so far, with room for `journeys` in all.
    fn build_table(&mut self, journeys: usize) {
        let mut table = hashbrown::HashTable::with_capacity(journeys.max(self.ends.len()));
        for j in (0u32..).take(self.ends.len()) {
            let hash = self.hasher.hash_one(stored(&self.bytes, &self.ends, j));
            table.insert_unique(hash, j, |j| {
                self.hasher.hash_one(stored(&self.bytes, &self.ends, *j))
            });
        }
        self.table = Some(table);
    }
}

/// The stored id of journey `j`.
fn stored<'b>(bytes: &'b [u8], ends: &[usize], j: u32) -> &'b [u8] {
    let j = j as usize;
    let start = j
        .checked_sub(1)
        .and_then(|p| ends.get(p))
        .copied()
        .unwrap_or(0);
    let end = ends.get(j).copied().unwrap_or(start);
    bytes.get(start..end).unwrap_or_default()
}

impl PreviousKey {
    /// Whether `key` is greater than the previous row's key (integers by value, text by bytes);
    /// true for the first row.
    fn after(&self, key: &JourneyKey<'_>) -> bool {
        match (self, key) {
            (Self::None, _) => true,
            (Self::Int(a, _), JourneyKey::Int(b)) => b > a,
            (Self::Text(a, _), JourneyKey::Text(b)) => *b > a.as_str(),
            _ => false,
        }
    }

    /// The journey of `key` when it is the previous row's.
    fn journey(&self, key: &JourneyKey<'_>) -> Option<u32> {
        match (self, key) {
            (Self::Int(a, j), JourneyKey::Int(b)) if a == b => Some(*j),
            (Self::Text(a, j), JourneyKey::Text(b)) if a == b => Some(*j),
            _ => None,
        }
    }

    fn set(&mut self, key: &JourneyKey<'_>, journey: u32) {
        match (key, &mut *self) {
            (JourneyKey::Text(t), Self::Text(buffer, j)) => {
                buffer.clear();
                buffer.push_str(t);
                *j = journey;
            }
            (JourneyKey::Text(t), _) => *self = Self::Text((*t).to_owned(), journey),
            (JourneyKey::Int(i), _) => *self = Self::Int(*i, journey),
        }
    }
}

/// Where a journey's outcome (conversions, value, conversion time) sits in a long-format table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutcomeRows {
    /// Repeated on every row of the journey (rows that disagree are an error).
    #[default]
    EveryRow,
    /// On the journey's last touch only (latest timestamp, the last such row on ties), as GA4,
    /// Adobe and warehouse exports write it; the other rows are null, zero or false.
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

/// Builds a [`JourneyBatch`] from long-format rows (one row per touch, the journey's outcome
/// repeated on each row or on its last touch only). Journeys keep the order of their first row;
/// touches are ordered by timestamp, ties by row order.
///
/// Rows grouped by journey (as exports and `GROUP BY` results come) go straight into the
/// batch's columns: an id is stored once per journey in one byte arena, and looked up in a hash
/// table only when ids do not come in ascending order. Rows that are not grouped are sorted once
/// at [`LongBuilder::finish`].
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
/// ```
#[derive(Debug, Clone)]
pub struct LongBuilder {
    taxonomy: Taxonomy,
    placement: OutcomeRows,
    /// Each journey id seen, to its journey.
    index: Index,
    /// The previous row's journey: while rows come grouped, a row of the same journey is not
    /// looked up.
    previous: PreviousKey,
    /// Each journey's outcome and the table row it was read from.
    outcomes: Vec<(Outcome, usize)>,
    /// With [`OutcomeRows::LastTouch`]: each journey's latest (timestamp, touch) so far.
    last: Vec<(i64, u32)>,
    /// The touches in row order.
    channel: Vec<u16>,
    timestamp: Vec<i64>,
    /// Rows so far grouped by journey: each journey's first touch.
    starts: Vec<u32>,
    /// Once a row came apart from its journey's others: every touch's journey.
    owner: Option<Vec<u32>>,
    /// Whether a journey's timestamps went back in row order (sorted at the end).
    unsorted: bool,
    /// The rows the table holds in all, when its reader knows ([`LongBuilder::expect_rows`]).
    expected_rows: usize,
}

impl LongBuilder {
    /// An empty builder for journeys over `taxonomy`.
    pub fn new(taxonomy: &Taxonomy) -> Self {
        Self {
            taxonomy: taxonomy.clone(),
            placement: OutcomeRows::EveryRow,
            index: Index::default(),
            previous: PreviousKey::None,
            outcomes: Vec::new(),
            last: Vec::new(),
            channel: Vec::new(),
            timestamp: Vec::new(),
            starts: Vec::new(),
            owner: None,
            unsorted: false,
            expected_rows: 0,
        }
    }

    /// The builder reading the outcome from the rows `placement` says.
    pub fn with_outcome_rows(mut self, placement: OutcomeRows) -> Self {
        self.placement = placement;
        self
    }

    /// Room for `rows` more touches (a batch's rows, before they are pushed), and for the
    /// journeys they likely hold.
    pub fn reserve(&mut self, rows: usize) {
        self.channel.reserve(rows);
        self.timestamp.reserve(rows);
        if let Some(owner) = &mut self.owner {
            owner.reserve(rows);
        }
        let journeys = self.journeys_in(rows);
        self.index.reserve(journeys);
    }

    /// The number of rows of the whole table, when the reader knows it (a Parquet file's
    /// metadata, an in-memory table): the touch columns are allocated once, and the journey
    /// index, if ids come out of order, is sized once for the journeys the rows so far suggest.
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
        self.expected_rows = rows;
        self.reserve(rows.saturating_sub(self.channel.len()));
    }

    /// The journeys `rows` rows likely hold, at the ratio of the rows so far.
    fn journeys_in(&self, rows: usize) -> usize {
        rows.saturating_mul(self.outcomes.len())
            .checked_div(self.channel.len())
            .unwrap_or(0)
    }

    /// Adds one touch row; `row` is its index in the table, which errors name (`table[12]`).
    ///
    /// # Errors
    /// `unknown_channel`; `invalid_dataset` when the outcome differs from the journey's earlier
    /// rows; `limit_exceeded` beyond 2^32 journeys or rows.
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
        let touch = u32::try_from(self.channel.len()).map_err(|_| limit("rows"))?;
        match self.previous.journey(&journey) {
            Some(j) => {
                self.check_outcome(j as usize, outcome, (timestamp, touch), row)?;
                if self.timestamp.last().is_some_and(|t| timestamp < *t) {
                    self.unsorted = true;
                }
                if let Some(owner) = &mut self.owner {
                    owner.push(j);
                }
            }
            None => {
                let next = u32::try_from(self.outcomes.len()).map_err(|_| limit("journeys"))?;
                if self.index.table.is_none() && !self.previous.after(&journey) {
                    // the first id out of order: from now on ids are looked up, in a table
                    // sized for the journeys the whole table likely holds
                    let expected = self
                        .journeys_in(self.expected_rows.saturating_sub(self.channel.len()))
                        .saturating_add(self.outcomes.len());
                    self.index.build_table(expected);
                }
                let j = self.index.journey(&journey, next);
                self.previous.set(&journey, j);
                if j == next {
                    self.outcomes.push((outcome, row));
                    if self.placement == OutcomeRows::LastTouch {
                        self.last.push((timestamp, touch));
                    }
                    if self.owner.is_none() {
                        self.starts.push(touch);
                    }
                } else {
                    self.check_outcome(j as usize, outcome, (timestamp, touch), row)?;
                    self.scatter();
                }
                if let Some(owner) = &mut self.owner {
                    owner.push(j);
                }
            }
        }
        self.channel.push(id);
        self.timestamp.push(timestamp);
        Ok(())
    }

    /// Rows stopped coming grouped: from now on every touch records its journey.
    fn scatter(&mut self) {
        if self.owner.is_some() {
            return;
        }
        let mut owner = Vec::with_capacity(self.channel.capacity());
        let ends = self.starts.iter().skip(1).copied().map(|s| s as usize);
        let ends = ends.chain(std::iter::once(self.channel.len()));
        for (j, end) in (0u32..).zip(ends) {
            owner.resize(end, j);
        }
        self.owner = Some(owner);
        self.starts = Vec::new();
    }

    /// Checks a later row's outcome against the journey's: equal on every row, or (last touch)
    /// carried by the latest row only.
    fn check_outcome(
        &mut self,
        j: usize,
        outcome: Outcome,
        key: (i64, u32),
        row: usize,
    ) -> Result<()> {
        let differs = |first: usize| {
            KpiError::at(
                ErrorCode::InvalidDataset,
                &format!("table[{row}]"),
                format!(
                    "has conversion columns that differ from the same journey's table[{first}]"
                ),
            )
        };
        let not_last = |at: usize, later: usize| {
            KpiError::at(
                ErrorCode::InvalidDataset,
                &format!("table[{at}]"),
                format!(
                    "carries the journey's outcome but is not its last touch (table[{later}] is \
                     later); with the outcome on the last touch, other rows hold null, 0 or false"
                ),
            )
        };
        let Some((seen, first)) = self.outcomes.get_mut(j) else {
            return Err(KpiError::internal("journey index"));
        };
        match (self.placement, self.last.get_mut(j)) {
            (OutcomeRows::LastTouch, Some(last)) if key >= *last => {
                if !seen.is_empty() {
                    return Err(not_last(*first, row));
                }
                *seen = outcome;
                *first = row;
                *last = key;
            }
            (OutcomeRows::LastTouch, Some(_)) if !outcome.is_empty() => {
                return Err(not_last(row, *first));
            }
            (OutcomeRows::LastTouch, Some(_)) => {}
            _ if *seen != outcome => return Err(differs(*first)),
            _ => {}
        }
        Ok(())
    }

    /// The batch, validated like every other.
    ///
    /// # Errors
    /// As [`JourneyBatch::from_columns`].
    pub fn finish(mut self) -> Result<JourneyBatch> {
        let offsets = match self.owner.take() {
            None => self.grouped_offsets(),
            Some(owner) => self.regroup(&owner),
        };
        let conversions = self.outcomes.iter().map(|(o, _)| o.conversions).collect();
        let value_minor = self.outcomes.iter().map(|(o, _)| o.value_minor).collect();
        let conversion_time = self
            .outcomes
            .iter()
            .map(|(o, _)| o.conversion_time)
            .collect::<Vec<_>>();
        JourneyBatch::from_columns(
            &self.taxonomy,
            offsets,
            self.channel,
            self.timestamp,
            None,
            conversions,
            value_minor,
            &conversion_time,
        )
    }

    /// Offsets of rows that came grouped, each journey's touches sorted by time (stable: ties
    /// keep row order) when some went back.
    fn grouped_offsets(&mut self) -> Vec<usize> {
        let mut offsets: Vec<usize> = self.starts.iter().map(|s| *s as usize).collect();
        offsets.push(self.channel.len());
        if self.unsorted {
            for w in offsets.windows(2) {
                let &[start, end] = w else { continue };
                let (Some(times), Some(channels)) = (
                    self.timestamp.get_mut(start..end),
                    self.channel.get_mut(start..end),
                ) else {
                    continue;
                };
                if times.is_sorted() {
                    continue;
                }
                let mut touches: Vec<(i64, u16)> = times
                    .iter()
                    .copied()
                    .zip(channels.iter().copied())
                    .collect();
                touches.sort_by_key(|t| t.0);
                for ((t, c), (time, channel)) in
                    times.iter_mut().zip(channels.iter_mut()).zip(touches)
                {
                    (*t, *c) = (time, channel);
                }
            }
        }
        offsets
    }

    /// Touches that did not come grouped, regrouped by journey (in the order of first rows),
    /// sorted by time, ties in row order; returns the offsets.
    fn regroup(&mut self, owner: &[u32]) -> Vec<usize> {
        let mut order: Vec<u32> = (0..u32::try_from(owner.len()).unwrap_or(u32::MAX)).collect();
        let key = |p: &u32| {
            let p = *p as usize;
            (owner.get(p).copied(), self.timestamp.get(p).copied(), p)
        };
        order.sort_unstable_by_key(key);
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
        self.channel = permuted(&self.channel, &order);
        self.timestamp = permuted(&self.timestamp, &order);
        offsets
    }
}

/// `column` in the order of `order`'s positions.
fn permuted<T: Copy>(column: &[T], order: &[u32]) -> Vec<T> {
    order
        .iter()
        .filter_map(|p| column.get(*p as usize).copied())
        .collect()
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
    /// time then row, built without the builder's fast paths.
    fn expected(rows: &[(u8, i64, u16)]) -> (Vec<usize>, Vec<u16>, Vec<i64>) {
        let mut first: Vec<u8> = Vec::new();
        for (j, _, _) in rows {
            if !first.contains(j) {
                first.push(*j);
            }
        }
        let mut sorted: Vec<(usize, i64, usize, u16)> = rows
            .iter()
            .enumerate()
            .map(|(i, (j, t, c))| (first.iter().position(|f| f == j).unwrap_or(0), *t, i, *c))
            .collect();
        sorted.sort();
        let mut offsets = vec![0];
        for j in 0..first.len() {
            offsets.push(sorted.iter().filter(|r| r.0 <= j).count());
        }
        let channel = sorted.iter().map(|r| r.3).collect();
        let timestamp = sorted.iter().map(|r| r.1).collect();
        (offsets, channel, timestamp)
    }

    fn built(rows: &[(u8, i64, u16)], text: bool) -> Result<JourneyBatch> {
        let mut b = LongBuilder::new(&taxonomy());
        let names: Vec<String> = rows.iter().map(|r| format!("user-{}", r.0)).collect();
        for (i, ((j, t, c), name)) in rows.iter().zip(&names).enumerate() {
            let key = if text {
                JourneyKey::Text(name)
            } else {
                JourneyKey::Int(i64::from(*j))
            };
            b.push_id(key, *t, *c, Outcome::default(), i)?;
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
        ) {
            let mut grouped = rows.clone();
            grouped.sort_by_key(|r| r.0);
            for rows in [grouped, rows] {
                let batch = built(&rows, text);
                prop_assert!(batch.is_ok(), "{batch:?}");
                let batch = batch.unwrap();
                let (offsets, channel, timestamp) = expected(&rows);
                prop_assert_eq!(batch.offsets, offsets);
                prop_assert_eq!(batch.channel, channel);
                prop_assert_eq!(batch.timestamp, timestamp);
            }
        }
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
        let e = b
            .push_id(JourneyKey::Int(1), 60, 0, Outcome::default(), 2)
            .err();
        assert_eq!(e.as_ref().and_then(|e| e.path()), Some("table[0]"));
        assert_eq!(e.map(|e| e.code()), Some(ErrorCode::InvalidDataset));
    }
}
