//! Journey ids as the readers met them, stored once in one byte arena: the long-format builder
//! finds the runs of one journey with them, and the bootstrap of the confidence intervals weighs
//! each journey by a hash of its id ([`JourneyIds::key`]).

use super::long::JourneyKey;
use super::order::fnv1a;
use std::hash::BuildHasher;

/// The journey id of each run of rows (rows in a row with the same id), stored once in one byte
/// arena (a tag and the integer's bytes, or a tag and the text): no allocation and no lookup per
/// run. Runs with the same id (rows that came apart) are found once, at the end, by sorting the
/// ids' hashes: a sequential pass instead of one random probe per journey into a table of millions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JourneyIds {
    bytes: Vec<u8>,
    /// Where each run's id ends in `bytes`.
    ends: Vec<usize>,
}

/// The key [`encode`] stored in `stored`; `None` for bytes it did not write.
pub(super) fn decode(stored: &[u8]) -> Option<JourneyKey<'_>> {
    match stored.split_first()? {
        (0, bytes) => Some(JourneyKey::Int(i64::from_le_bytes(bytes.try_into().ok()?))),
        (1, text) => std::str::from_utf8(text).ok().map(JourneyKey::Text),
        _ => None,
    }
}

/// Appends the stored form of `key` to `out`: a tag and the integer's bytes, or a tag and the
/// text.
pub(super) fn encode(key: &JourneyKey<'_>, out: &mut Vec<u8>) {
    match key {
        JourneyKey::Int(i) => {
            out.push(0);
            out.extend_from_slice(&i.to_le_bytes());
        }
        JourneyKey::Text(t) => {
            out.push(1);
            out.extend_from_slice(t.as_bytes());
        }
    }
}

impl JourneyIds {
    /// Stores the id of a new run (or journey); returns its stored bytes.
    pub(super) fn push(&mut self, key: &JourneyKey<'_>) -> &[u8] {
        let start = self.bytes.len();
        encode(key, &mut self.bytes);
        self.ends.push(self.bytes.len());
        self.bytes.get(start..).unwrap_or_default()
    }

    /// The stored id of run `r`.
    pub(super) fn at(&self, r: u32) -> &[u8] {
        let r = r as usize;
        let start = r
            .checked_sub(1)
            .and_then(|p| self.ends.get(p))
            .copied()
            .unwrap_or(0);
        let end = self.ends.get(r).copied().unwrap_or(start);
        self.bytes.get(start..end).unwrap_or_default()
    }

    /// The hash table of the stored ids (one per journey, once runs are merged into journeys).
    pub(super) fn table(
        &self,
        hasher: &hashbrown::DefaultHashBuilder,
    ) -> hashbrown::HashTable<u32> {
        let mut table = hashbrown::HashTable::with_capacity(self.ends.len());
        for j in (0u32..).take(self.ends.len()) {
            let hash = hasher.hash_one(self.at(j));
            table.insert_unique(hash, j, |j| hasher.hash_one(self.at(*j)));
        }
        table
    }

    /// The ids of the runs `keep` names, in order.
    pub(crate) fn kept(&self, keep: impl Fn(usize) -> bool) -> JourneyIds {
        let mut ids = JourneyIds::default();
        for r in (0u32..).take(self.ends.len()) {
            if keep(r as usize) {
                ids.bytes.extend_from_slice(self.at(r));
                ids.ends.push(ids.bytes.len());
            }
        }
        ids
    }

    /// Each run to the first run with its id (itself when it is the first).
    ///
    /// The ids' hashes are sorted; only runs whose hash occurs twice are compared, byte for byte.
    pub(super) fn firsts(&self) -> Vec<u32> {
        let hasher = hashbrown::DefaultHashBuilder::default();
        let runs = (0u32..).take(self.ends.len());
        let hashes: Vec<u64> = runs.clone().map(|r| hasher.hash_one(self.at(r))).collect();
        let mut firsts: Vec<u32> = runs.collect();
        let mut sorted = hashes.clone();
        sorted.sort_unstable();
        let twice: Vec<u64> = sorted
            .windows(2)
            .filter_map(|w| match w {
                [a, b] if a == b => Some(*a),
                _ => None,
            })
            .collect();
        if twice.is_empty() {
            return firsts;
        }
        let mut suspects: Vec<(u64, u32)> = (0u32..)
            .zip(&hashes)
            .filter(|(_, h)| twice.binary_search(h).is_ok())
            .map(|(r, h)| (*h, r))
            .collect();
        suspects.sort_unstable();
        for group in suspects.chunk_by(|a, b| a.0 == b.0) {
            // the group's distinct ids, each at its first run (the group is in run order)
            let mut distinct: Vec<u32> = Vec::new();
            for (_, r) in group {
                match distinct.iter().find(|d| self.at(**d) == self.at(*r)) {
                    Some(first) => {
                        if let Some(slot) = firsts.get_mut(*r as usize) {
                            *slot = *first;
                        }
                    }
                    None => distinct.push(*r),
                }
            }
        }
        firsts
    }
}

impl JourneyIds {
    /// The ids of `keys`, in order: one per journey of a batch built from columns.
    ///
    /// ```
    /// use omnikpi::attribution::{JourneyIds, JourneyKey};
    /// let ids = JourneyIds::from_keys([JourneyKey::Int(7), JourneyKey::Text("u8")]);
    /// assert_eq!(ids.len(), 2);
    /// assert_eq!(ids.key(0), JourneyIds::from_keys([JourneyKey::Text("7")]).key(0));
    /// ```
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = JourneyKey<'a>>) -> Self {
        let mut ids = JourneyIds::default();
        for key in keys {
            ids.push(&key);
        }
        ids
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no id.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The id of journey `j` as text, an integer id written in decimal, so a table read from
    /// CSV, Parquet or SQL names the same journey alike.
    ///
    /// ```
    /// use omnikpi::attribution::{JourneyIds, JourneyKey};
    /// let ids = JourneyIds::from_keys([JourneyKey::Int(-7), JourneyKey::Text("u8")]);
    /// assert_eq!(ids.text(0).as_deref(), Some("-7"));
    /// assert_eq!(ids.text(1).as_deref(), Some("u8"));
    /// ```
    pub fn text(&self, j: usize) -> Option<std::borrow::Cow<'_, str>> {
        match decode(self.at(u32::try_from(j).ok()?))? {
            JourneyKey::Int(n) => Some(std::borrow::Cow::Owned(n.to_string())),
            JourneyKey::Text(t) => Some(std::borrow::Cow::Borrowed(t)),
        }
    }

    /// The bootstrap key of journey `j`: FNV-1a (64 bits) of its id's text, an integer id
    /// written in decimal (`42`, `-7`), so a table read from CSV, Parquet or JSON weighs the
    /// same journey alike.
    ///
    /// ```
    /// use omnikpi::attribution::{JourneyKey, LongBuilder, Outcome};
    /// use omnikpi::channel::Taxonomy;
    /// let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
    /// let mut b = LongBuilder::new(&tax);
    /// b.push(JourneyKey::Int(42), 0, "web", Outcome::default(), 0).unwrap();
    /// b.push(JourneyKey::Text("42"), 0, "web", Outcome::default(), 1).unwrap();
    /// let batch = b.finish().unwrap();
    /// let ids = batch.ids.as_ref().unwrap();
    /// assert_eq!(ids.key(0), ids.key(1));
    /// assert_eq!(ids.key(0), Some(0x07ee_7e07_b4b1_9223));
    /// ```
    pub fn key(&self, j: usize) -> Option<u64> {
        let stored = self.at(u32::try_from(j).ok()?);
        match stored.split_first() {
            Some((0, bytes)) => {
                let n = i64::from_le_bytes(bytes.try_into().ok()?);
                Some(fnv1a(decimal(n, &mut [0; 20])))
            }
            Some((_, text)) => Some(fnv1a(text)),
            None => None,
        }
    }
}

/// `n` in decimal (`-7`), written at the end of `buf` (20 bytes hold every i64).
fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        at = at.saturating_sub(1);
        if let Some(slot) = buf.get_mut(at) {
            // a digit: below 10
            *slot = b'0'.saturating_add((rest % 10) as u8);
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        at = at.saturating_sub(1);
        if let Some(slot) = buf.get_mut(at) {
            *slot = b'-';
        }
    }
    buf.get(at..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ids_hash_as_their_decimal_text() {
        for n in [0i64, 7, -7, 42, i64::MAX, i64::MIN] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string().as_bytes());
            let mut ids = JourneyIds::default();
            ids.push(&JourneyKey::Int(n));
            let text = n.to_string();
            ids.push(&JourneyKey::Text(&text));
            assert_eq!(ids.key(0), ids.key(1));
        }
    }
}
