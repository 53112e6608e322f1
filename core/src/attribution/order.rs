//! Markov order selection (`attribution.markov_order`): for orders 1 to `max_order`, how well
//! the order-k chain predicts journeys it did not see.
//!
//! A journey is a sequence of events (each channel of its path, then CONVERSION or NULL) and
//! weighs `max(conversions, 1)`, as in the chain of [`super::markov`]. Journeys fall into folds
//! by a hash of their id (FNV-1a 64), so the split does not depend on the order or partition of
//! the input. For each fold, every event is predicted from the last k channels before it by the
//! counts of the other folds, with the Krichevsky-Trofimov estimator (add 1/2 to every count);
//! log-likelihoods are summed per fold over its (context, event) pairs in sorted order and with
//! libm's `log`, so the bits are the same on every platform.
//!
//! ```
//! use serde_json::json;
//! let journeys: Vec<_> = (0..40).map(|i| json!({
//!     "journey_id": format!("j{i}"),
//!     "touches": [{"channel": "web", "timestamp": 0}, {"channel": "store", "timestamp": 60}],
//!     "conversions": i % 2,
//! })).collect();
//! let input = json!({"channels": [{"channel": "web", "group": "online"},
//!                                 {"channel": "store", "group": "offline"}],
//!                    "currency": "EUR", "journeys": journeys});
//! let out = omnikpi::evaluate("attribution.markov_order", &input, &json!({"max_order": 2}))
//!     .unwrap()
//!     .to_json();
//! assert_eq!(out["recommended_order"], 1);
//! ```

use super::accumulator::float_output;
use super::journey::{JourneyBatch, JOURNEY_FIELDS};
use super::markov::{self, Counts, Key};
use crate::catalog::{spec_value, Params};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::output::{Output, RowCounts};
use hashbrown::HashMap;
use serde_json::Value;

/// What the Krichevsky-Trofimov estimator adds to every count.
const PSEUDO_COUNT: f64 = 0.5;

/// One journey as the selection sees it.
struct Journey<'a> {
    /// Its channels, in order, as read (repeats are collapsed by the caller when asked).
    channels: &'a [u16],
    conversions: u64,
    fold: usize,
}

/// Evaluates `attribution.markov_order` on the JSON input of the attribution KPIs.
pub(crate) fn evaluate(input: &Value, params: &Params) -> Result<Output> {
    let (taxonomy, _, batch) = JourneyBatch::read(input, None, false)?;
    let integer = |name: &str| -> Result<usize> {
        Ok(usize::try_from(spec_value(params.integer(name), name)?).unwrap_or(0))
    };
    let (max_order, folds) = (integer("max_order")?, integer("folds")?);
    let max_states = integer("max_states")?;
    let collapse = spec_value(params.boolean("collapse_repeats"), "collapse_repeats")?;
    let max_touches = integer("max_touches")?;
    let folds_of = journey_folds(input, folds)?;
    let paths = collapsed(&batch, collapse);
    let mut journeys = Vec::with_capacity(batch.len());
    for (j, (path, fold)) in paths.iter().zip(folds_of).enumerate() {
        batch.within_limit(j, max_touches)?;
        journeys.push(Journey {
            channels: path,
            conversions: batch.conversions.get(j).copied().unwrap_or(0),
            fold,
        });
    }
    let events = journeys.iter().try_fold(0u64, |sum, j| {
        let n = u64::try_from(j.channels.len().saturating_add(1)).unwrap_or(u64::MAX);
        n.checked_mul(j.conversions.max(1))
            .and_then(|e| sum.checked_add(e))
            .ok_or_else(|| KpiError::overflow("events"))
    })?;
    let mut orders = Vec::new();
    let mut best: Option<(usize, f64)> = None;
    for order in 1..=max_order {
        let states = chain_states(&journeys, order, max_states)?;
        let log_likelihood = held_out(&journeys, order, folds, taxonomy.len())?;
        if best.is_none_or(|(_, b)| log_likelihood > b) {
            best = Some((order, log_likelihood));
        }
        orders.push(Output::record([
            ("order", Output::Count(order as u64)),
            ("states", Output::Count(states as u64)),
            ("log_likelihood", float_output(log_likelihood)),
            (
                "cross_entropy",
                float_output(-log_likelihood / events as f64),
            ),
        ]));
    }
    let converting = batch.conversions.iter().filter(|c| **c > 0).count() as u64;
    Ok(Output::record([
        ("orders", Output::List(orders)),
        (
            "recommended_order",
            Output::Count(best.map_or(1, |(o, _)| o) as u64),
        ),
        ("events", Output::Count(events)),
        ("folds", Output::Count(folds as u64)),
        (
            "journeys",
            Output::record([
                ("read", Output::Count(batch.len() as u64)),
                ("converting", Output::Count(converting)),
            ]),
        ),
        (
            "rows",
            Output::from(RowCounts {
                read: batch.len() as u64,
                used: batch.len() as u64,
                rejected: 0,
            }),
        ),
    ]))
}

/// Each journey's fold: FNV-1a 64 of its id's UTF-8 bytes, modulo `folds`.
fn journey_folds(input: &Value, folds: usize) -> Result<Vec<usize>> {
    let record = Record::new(input, "input", &["channels", "currency", "journeys"])?;
    record
        .non_empty_list("journeys")?
        .into_iter()
        .map(|(path, v)| {
            let id = Record::new(v, &path, JOURNEY_FIELDS)?.text("journey_id")?;
            Ok(fnv1a(id.as_bytes()).checked_rem(folds as u64).unwrap_or(0) as usize)
        })
        .collect()
}

/// FNV-1a, 64 bits.
///
/// ```text
/// fnv1a(b"") = 0xcbf29ce484222325, fnv1a(b"a") = 0xaf63dc4c8601ec8c
/// ```
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Each journey's channels, consecutive repeats collapsed when asked.
fn collapsed(batch: &JourneyBatch, collapse: bool) -> Vec<Vec<u16>> {
    (0..batch.len())
        .map(|j| {
            let channels = batch.channel.get(batch.touches(j)).unwrap_or_default();
            markov::path(channels, collapse).collect()
        })
        .collect()
}

/// The number of states of the order-k chain on every journey (as `attribution.markov` counts
/// them); more than `max_states` is `limit_exceeded`.
fn chain_states(journeys: &[Journey], order: usize, max_states: usize) -> Result<usize> {
    let mut counts = Counts::default();
    for j in journeys {
        // The paths are already collapsed when asked: collapsing again changes nothing.
        counts.add(j.channels, j.conversions, order, false)?;
    }
    let states = counts.state_count();
    if states > max_states {
        return Err(KpiError::at(
            ErrorCode::LimitExceeded,
            "params.max_states",
            format!("allows {max_states} Markov states, order {order} has {states}: lower max_order or raise max_states"),
        ));
    }
    Ok(states)
}

/// Weighted counts of (context, event) and of contexts, per fold.
struct FoldCounts {
    folds: usize,
    pairs: HashMap<(Key, u16), usize>,
    contexts: HashMap<Key, usize>,
    /// `folds` counts per pair, then per context, at the index the maps give.
    pair_counts: Vec<u64>,
    context_counts: Vec<u64>,
}

impl FoldCounts {
    fn add(&mut self, context: Key, event: u16, fold: usize, weight: u64) -> Result<()> {
        let folds = self.folds;
        let next = self.pairs.len();
        let pair = *self.pairs.entry((context, event)).or_insert(next);
        if pair == next {
            self.pair_counts
                .resize(self.pair_counts.len().saturating_add(folds), 0);
        }
        let next = self.contexts.len();
        let ctx = *self.contexts.entry(context).or_insert(next);
        if ctx == next {
            self.context_counts
                .resize(self.context_counts.len().saturating_add(folds), 0);
        }
        for (list, at) in [
            (&mut self.pair_counts, pair),
            (&mut self.context_counts, ctx),
        ] {
            let slot = at
                .checked_mul(folds)
                .and_then(|i| i.checked_add(fold))
                .and_then(|i| list.get_mut(i))
                .ok_or_else(|| KpiError::internal("a fold count out of range"))?;
            *slot = slot
                .checked_add(weight)
                .ok_or_else(|| KpiError::overflow("Markov event counts"))?;
        }
        Ok(())
    }

    /// The counts of entry `at` in `list`, one per fold, and their sum.
    fn of(list: &[u64], at: usize, folds: usize) -> (&[u64], u64) {
        let start = at.saturating_mul(folds);
        let counts = list
            .get(start..start.saturating_add(folds))
            .unwrap_or_default();
        (
            counts,
            counts.iter().fold(0u64, |s, c| s.saturating_add(*c)),
        )
    }
}

/// The held-out log-likelihood of the order-k chain, summed over folds.
fn held_out(journeys: &[Journey], order: usize, folds: usize, channels: usize) -> Result<f64> {
    let mut counts = FoldCounts {
        folds,
        pairs: HashMap::new(),
        contexts: HashMap::new(),
        pair_counts: Vec::new(),
        context_counts: Vec::new(),
    };
    let conversion = u16::try_from(channels).unwrap_or(u16::MAX);
    let null = conversion.saturating_add(1);
    for j in journeys {
        let weight = j.conversions.max(1);
        let path = j.channels;
        for t in 0..=path.len() {
            let context = markov::pack(path.get(t.saturating_sub(order)..t).unwrap_or_default());
            let event = match path.get(t) {
                Some(c) => *c,
                None if j.conversions > 0 => conversion,
                None => null,
            };
            counts.add(context, event, j.fold, weight)?;
        }
    }
    let mut pairs: Vec<((Key, u16), usize)> = counts.pairs.iter().map(|(k, i)| (*k, *i)).collect();
    pairs.sort_unstable_by_key(|((context, event), _)| (markov::sort_key(*context), *event));
    let outcomes = (channels as f64 + 2.0) * PSEUDO_COUNT;
    let mut per_fold = vec![0.0f64; folds];
    for ((context, _), at) in pairs {
        let (held, all) = FoldCounts::of(&counts.pair_counts, at, folds);
        let ctx = counts.contexts.get(&context).copied().unwrap_or(0);
        let (ctx_held, ctx_all) = FoldCounts::of(&counts.context_counts, ctx, folds);
        for ((sum, m), mc) in per_fold.iter_mut().zip(held).zip(ctx_held) {
            if *m == 0 {
                continue;
            }
            let seen = all.saturating_sub(*m) as f64 + PSEUDO_COUNT;
            let context_seen = ctx_all.saturating_sub(*mc) as f64 + outcomes;
            *sum += *m as f64 * libm::log(seen / context_seen);
        }
    }
    Ok(per_fold.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_its_published_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }
}
