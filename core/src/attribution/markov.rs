//! Markov-chain removal effects, solved exactly: transition counts between order-k states
//! (windows of k consecutive channels), the absorbing chain START -> states -> CONVERSION | NULL,
//! and for each channel the conversion probability with every state containing it redirected
//! to NULL, by solving (I - Q) x = r to the limit of f64 ([`super::chain`]: no simulation, no
//! seed).

use super::chain::{Chain, Edge};
use super::state::MarkovCounts;
use crate::channel::Taxonomy;
use crate::decimal::divide;
use crate::error::{ErrorCode, KpiError, Result};
use crate::output::Output;
use hashbrown::HashMap;
use rust_decimal::Decimal;

/// A state: the channel ids of its window; START is the empty window.
type State = Vec<u16>;

/// The order of states: their windows compared channel by channel, a window before the longer
/// windows it begins (the order of `State`, without unpacking).
pub(super) fn sort_key(key: Key) -> (u128, u8) {
    let len = (key & 0xFF) as u8;
    let lanes = (0..4usize).fold(0u128, |acc, i| {
        let lane = (key >> slot_shift(i)) & 0xFFFF;
        (acc << 16) | lane
    });
    (lanes, len)
}

/// A journey's channels, consecutive repeats dropped when `collapse` (the rule of every Markov
/// KPI's `collapse_repeats`).
pub(super) fn path(channels: &[u16], collapse: bool) -> impl Iterator<Item = u16> + '_ {
    let mut last: Option<u16> = None;
    channels.iter().copied().filter(move |c| {
        let repeat = collapse && last == Some(*c);
        last = Some(*c);
        !repeat
    })
}

/// Whether the window `key` contains channel `c`.
fn contains(key: Key, c: u16) -> bool {
    let len = (key & 0xFF) as usize;
    (0..len).any(|i| ((key >> slot_shift(i)) & 0xFFFF) as u16 == c)
}

/// `effect` of every channel `0..channels`, in order, on up to `workers` threads (the machine's
/// cores; one in wasm). Each channel's solve is independent and runs in a fixed order of
/// operations, so the result does not depend on the number of threads.
fn per_channel(
    channels: usize,
    workers: usize,
    effect: &(dyn Fn(usize) -> Result<f64> + Sync),
) -> Result<Vec<f64>> {
    let workers = workers.min(channels);
    if workers <= 1 {
        return (0..channels).map(effect).collect();
    }
    let mut effects = vec![0.0f64; channels];
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || -> Result<Vec<(usize, f64)>> {
                    (w..channels)
                        .step_by(workers)
                        .map(|c| Ok((c, effect(c)?)))
                        .collect()
                })
            })
            .collect();
        for handle in handles {
            let done = handle
                .join()
                .map_err(|_| KpiError::internal("a Markov removal solve stopped"))??;
            for (c, e) in done {
                if let Some(slot) = effects.get_mut(c) {
                    *slot = e;
                }
            }
        }
        Ok(())
    })?;
    Ok(effects)
}

/// The observed states, numbered (START is 0), and their counts in number order.
pub(super) struct Graph {
    states: Vec<Key>,
    /// Transitions sorted by from, then to.
    edges: Vec<Edge>,
    /// Everything leaving each state: transitions, conversions and nulls.
    totals: Vec<u64>,
    conversions: Vec<u64>,
    nulls: Vec<u64>,
}

impl Graph {
    /// The conversion probability and every channel's removal effect; more states than
    /// `max_states` is `limit_exceeded`.
    pub fn solve(&self, taxonomy: &Taxonomy, max_states: usize) -> Result<Solved> {
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        self.solve_on(taxonomy, max_states, workers)
    }

    /// [`Graph::solve`] with the removal effects on up to `workers` threads.
    fn solve_on(&self, taxonomy: &Taxonomy, max_states: usize, workers: usize) -> Result<Solved> {
        let n = self.states.len();
        if n > max_states {
            return Err(KpiError::at(
                ErrorCode::LimitExceeded,
                "params.max_states",
                format!(
                    "allows {max_states} Markov states, the data has {n}: lower the order or raise max_states"
                ),
            ));
        }
        let chain = Chain::new(n, &self.edges, &self.totals, &self.conversions);
        let full_solution = chain.solve(&vec![false; n], None)?;
        let full = full_solution.first().copied().unwrap_or(0.0);
        let effect = |c: usize| -> Result<f64> {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            let removed: Vec<bool> = self.states.iter().map(|k| contains(*k, c)).collect();
            if full <= 0.0 || !removed.contains(&true) {
                return Ok(0.0);
            }
            let without = chain
                .solve(&removed, Some(&full_solution))?
                .first()
                .copied()
                .unwrap_or(0.0);
            // Rounding noise of the solve must not turn an exact 0 or 1 into -1e-17 or 1+1e-16.
            Ok((1.0 - without / full).clamp(0.0, 1.0))
        };
        let removal_effects = per_channel(taxonomy.len(), workers, &effect)?;
        Ok(Solved {
            states: n,
            conversion_probability: full,
            removal_effects,
        })
    }

    fn label(state: Key, taxonomy: &Taxonomy) -> String {
        let state = unpack(state);
        if state.is_empty() {
            return "(start)".to_owned();
        }
        state
            .iter()
            .map(|c| {
                taxonomy
                    .channels()
                    .get(usize::from(*c))
                    .map_or("?", |ch| ch.name.as_str())
            })
            .collect::<Vec<_>>()
            .join(">")
    }

    /// Every observed transition with its probability (exact count ratio at 6 places).
    pub fn matrix_output(&self, taxonomy: &Taxonomy) -> Result<Output> {
        let labels: Vec<String> = self
            .states
            .iter()
            .map(|k| Self::label(*k, taxonomy))
            .collect();
        let label = |s: u32| labels.get(s as usize).cloned().unwrap_or_default();
        let mut rows = Vec::with_capacity(self.edges.len());
        let mut edges = self.edges.iter().peekable();
        for (s, total) in self.totals.iter().enumerate() {
            let from = u32::try_from(s).unwrap_or(u32::MAX);
            let mut push = |to: String, count: u64| -> Result<()> {
                if count > 0 {
                    let p = divide(Decimal::from(count), Decimal::from(*total), 6)?;
                    rows.push(Output::record([
                        ("from", label(from).into()),
                        ("to", to.into()),
                        ("count", count.into()),
                        ("probability", p.into()),
                    ]));
                }
                Ok(())
            };
            while let Some(e) = edges.next_if(|e| e.from == from) {
                push(label(e.to), e.count)?;
            }
            let conversions = self.conversions.get(s).copied().unwrap_or(0);
            push("(conversion)".to_owned(), conversions)?;
            push("(null)".to_owned(), self.nulls.get(s).copied().unwrap_or(0))?;
        }
        Ok(Output::List(rows))
    }
}

/// A state packed into an integer while counting (no allocation per transition): the window's
/// length in the low 8 bits, then one 16-bit lane per channel id. Orders are at most 4.
pub(super) type Key = u128;

/// Where channel `i` of a state sits in its key: after the 8-bit length, 16 bits a channel.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "i < the order, at most 4 (parameter bound): at most 56, below Key's 128 bits"
)]
const fn slot_shift(i: usize) -> usize {
    8 + 16 * i
}

pub(super) fn pack(window: &[u16]) -> Key {
    window
        .iter()
        .enumerate()
        .fold(window.len() as Key, |key, (i, c)| {
            key | (Key::from(*c) << slot_shift(i))
        })
}

fn unpack(key: Key) -> State {
    let len = (key & 0xFF) as usize;
    (0..len)
        .map(|i| ((key >> slot_shift(i)) & 0xFFFF) as u16)
        .collect()
}

/// Adds `n` to the count under `key`; counts come from states loaded from JSON too, so the sum
/// is checked.
fn bump<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, u64>, key: K, n: u64) -> Result<()> {
    let slot = counts.entry(key).or_insert(0);
    *slot = slot
        .checked_add(n)
        .ok_or_else(|| KpiError::overflow("Markov transition counts"))?;
    Ok(())
}

/// Transition counts, weighted as ChannelAttribution does: a journey with c conversions adds
/// c to each of its transitions and to last -> CONVERSION; a journey without conversion adds 1
/// to each transition and to last -> NULL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Counts {
    transitions: HashMap<(Key, Key), u64>,
    to_conversion: HashMap<Key, u64>,
    to_null: HashMap<Key, u64>,
}

/// The solved chain.
pub(super) struct Solved {
    /// States of the chain, START included.
    pub states: usize,
    pub conversion_probability: f64,
    /// Per taxonomy channel, in [0, 1].
    pub removal_effects: Vec<f64>,
}

impl Counts {
    pub fn add(
        &mut self,
        channels: &[u16],
        conversions: u64,
        order: usize,
        collapse_repeats: bool,
    ) -> Result<()> {
        self.add_times(channels, conversions, order, collapse_repeats, 1)
    }

    /// [`Counts::add`] for a journey counted `times` times (a bootstrap replicate's weight).
    pub fn add_times(
        &mut self,
        channels: &[u16],
        conversions: u64,
        order: usize,
        collapse_repeats: bool,
        times: u64,
    ) -> Result<()> {
        let order = order.clamp(1, 4);
        let overflow = || KpiError::overflow("Markov transition counts");
        let weight = conversions.max(1).checked_mul(times).ok_or_else(overflow)?;
        let mut previous: Key = 0;
        let mut window: [u16; 4] = [0; 4];
        let mut filled = 0usize;
        let mut emitted = false;
        for c in path(channels, collapse_repeats) {
            if filled < order {
                if let Some(slot) = window.get_mut(filled) {
                    *slot = c;
                }
                filled = filled.saturating_add(1); // below order, at most 4
                if filled < order {
                    continue;
                }
            } else {
                window.copy_within(1..order, 0);
                if let Some(slot) = window.get_mut(order.saturating_sub(1)) {
                    *slot = c;
                }
            }
            let state = pack(window.get(..order).unwrap_or_default());
            bump(&mut self.transitions, (previous, state), weight)?;
            previous = state;
            emitted = true;
        }
        if !emitted {
            // A path shorter than the order is one state of its own length.
            let state = pack(window.get(..filled).unwrap_or_default());
            bump(&mut self.transitions, (previous, state), weight)?;
            previous = state;
        }
        if conversions > 0 {
            bump(&mut self.to_conversion, previous, weight)
        } else {
            bump(&mut self.to_null, previous, times)
        }
    }

    pub fn merge(&mut self, other: &Counts) -> Result<()> {
        for (k, n) in &other.transitions {
            bump(&mut self.transitions, *k, *n)?;
        }
        for (k, n) in &other.to_conversion {
            bump(&mut self.to_conversion, *k, *n)?;
        }
        for (k, n) in &other.to_null {
            bump(&mut self.to_null, *k, *n)?;
        }
        Ok(())
    }

    /// Every transient state, START first, then in the order of their channel ids (a window
    /// before the windows it begins): deterministic.
    fn states(&self) -> Vec<Key> {
        let mut keys: hashbrown::HashSet<Key> = hashbrown::HashSet::new();
        keys.insert(0);
        for (from, to) in self.transitions.keys() {
            keys.insert(*from);
            keys.insert(*to);
        }
        keys.extend(self.to_conversion.keys());
        keys.extend(self.to_null.keys());
        let mut states: Vec<Key> = keys.into_iter().collect();
        states.sort_unstable_by_key(|k| sort_key(*k));
        states
    }

    /// The number of states (START included).
    pub(super) fn state_count(&self) -> usize {
        self.states().len()
    }

    /// The states numbered (START is 0) with every transition between them, sorted.
    pub(super) fn graph(&self) -> Result<Graph> {
        let states = self.states();
        let index: HashMap<Key, u32> = states
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let number = |k: &Key| index.get(k).copied().unwrap_or(0);
        let mut edges: Vec<Edge> = self
            .transitions
            .iter()
            .map(|((f, t), c)| Edge {
                from: number(f),
                to: number(t),
                count: *c,
            })
            .collect();
        edges.sort_unstable_by_key(|e| (e.from, e.to));
        let mut totals = vec![0u64; states.len()];
        let mut conversions = vec![0u64; states.len()];
        let mut nulls = vec![0u64; states.len()];
        let sources = edges.iter().map(|e| (e.from, e.count));
        let exits = self.to_conversion.iter().chain(&self.to_null);
        for (s, c) in sources.chain(exits.map(|(k, c)| (number(k), *c))) {
            if let Some(slot) = totals.get_mut(s as usize) {
                *slot = slot
                    .checked_add(c)
                    .ok_or_else(|| KpiError::overflow("Markov transition counts"))?;
            }
        }
        for (map, list) in [
            (&self.to_conversion, &mut conversions),
            (&self.to_null, &mut nulls),
        ] {
            for (k, c) in map {
                if let Some(slot) = list.get_mut(number(k) as usize) {
                    *slot = *c;
                }
            }
        }
        Ok(Graph {
            states,
            edges,
            totals,
            conversions,
            nulls,
        })
    }

    /// The counts as written in a state, each list sorted.
    pub(super) fn to_state(&self) -> MarkovCounts {
        let mut transitions: Vec<(State, State, u64)> = self
            .transitions
            .iter()
            .map(|((f, t), n)| (unpack(*f), unpack(*t), *n))
            .collect();
        transitions.sort();
        let sorted = |m: &HashMap<Key, u64>| {
            let mut v: Vec<(State, u64)> = m.iter().map(|(k, n)| (unpack(*k), *n)).collect();
            v.sort();
            v
        };
        MarkovCounts {
            transitions,
            to_conversion: sorted(&self.to_conversion),
            to_null: sorted(&self.to_null),
        }
    }

    /// Counts read from a state; `None` when a window is longer than the largest order (4).
    pub(super) fn from_state(state: &MarkovCounts) -> Option<Self> {
        let key = |ids: &State| (ids.len() <= 4).then(|| pack(ids));
        let mut counts = Counts::default();
        for (from, to, n) in &state.transitions {
            counts.transitions.insert((key(from)?, key(to)?), *n);
        }
        for (list, map) in [
            (&state.to_conversion, &mut counts.to_conversion),
            (&state.to_null, &mut counts.to_null),
        ] {
            for (window, n) in list {
                map.insert(key(window)?, *n);
            }
        }
        Some(counts)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]
mod tests {
    use super::*;
    use crate::channel::{Channel, ChannelGroup};
    use proptest::prelude::*;

    fn taxonomy(n: usize) -> Taxonomy {
        let channel = |i: usize| Channel {
            name: format!("c{i}"),
            group: ChannelGroup::Online,
            direct: false,
        };
        Taxonomy::new((0..n).map(channel).collect()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Removal effects are the same bits on one thread or several.
        #[test]
        fn threads_do_not_change_a_bit(
            journeys in proptest::collection::vec(
                (proptest::collection::vec(0u16..6, 1..12), 0u64..3), 1..300),
            order in 1usize..5,
        ) {
            let mut counts = Counts::default();
            for (path, conversions) in &journeys {
                counts.add(path, *conversions, order, true).unwrap();
            }
            let tax = taxonomy(6);
            let graph = counts.graph().unwrap();
            let one = graph.solve_on(&tax, 1_000_000, 1).unwrap();
            for workers in [2, 3, 8] {
                let many = graph.solve_on(&tax, 1_000_000, workers).unwrap();
                prop_assert_eq!(one.conversion_probability.to_bits(), many.conversion_probability.to_bits());
                let bits = |s: &Solved| s.removal_effects.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&one), bits(&many));
            }
        }
    }
}
