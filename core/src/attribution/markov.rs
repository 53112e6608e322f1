//! Markov-chain removal effects, solved exactly: transition counts between order-k states
//! (windows of k consecutive channels), the absorbing chain START -> states -> CONVERSION | NULL,
//! and for each channel the conversion probability with every state containing it redirected
//! to NULL, by Gaussian elimination on (I - Q) x = r (no simulation, no seed).

use super::state::MarkovCounts;
use crate::channel::Taxonomy;
use crate::decimal::divide;
use crate::error::{ErrorCode, KpiError, Result};
use crate::output::Output;
use hashbrown::HashMap;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// A state: the channel ids of its window; START is the empty window.
type State = Vec<u16>;

/// A state packed into an integer while counting (no allocation per transition): the window's
/// length in the low 8 bits, then one 16-bit lane per channel id. Orders are at most 4.
type Key = u128;

/// Where channel `i` of a state sits in its key: after the 8-bit length, 16 bits a channel.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "i < the order, at most 4 (parameter bound): at most 56, below Key's 128 bits"
)]
const fn slot_shift(i: usize) -> usize {
    8 + 16 * i
}

fn pack(window: &[u16]) -> Key {
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
        let order = order.clamp(1, 4);
        let weight = conversions.max(1);
        let mut previous: Key = 0;
        let mut window: [u16; 4] = [0; 4];
        let mut filled = 0usize;
        let mut last_channel: Option<u16> = None;
        let mut emitted = false;
        for &c in channels {
            if collapse_repeats && last_channel == Some(c) {
                continue;
            }
            last_channel = Some(c);
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
            bump(&mut self.to_conversion, previous, conversions)
        } else {
            bump(&mut self.to_null, previous, 1)
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

    /// Every transient state, START first, then in id order (deterministic).
    fn states(&self) -> Vec<State> {
        let mut set: BTreeSet<State> = BTreeSet::new();
        for (from, to) in self.transitions.keys() {
            set.insert(unpack(*from));
            set.insert(unpack(*to));
        }
        set.extend(self.to_conversion.keys().map(|k| unpack(*k)));
        set.extend(self.to_null.keys().map(|k| unpack(*k)));
        set.insert(Vec::new());
        set.into_iter().collect()
    }

    fn out_total(&self, state: &State) -> Result<u64> {
        let key = pack(state);
        self.transitions
            .iter()
            .filter(|((from, _), _)| *from == key)
            .map(|(_, n)| *n)
            .chain(self.to_conversion.get(&key).copied())
            .chain(self.to_null.get(&key).copied())
            .try_fold(0u64, u64::checked_add)
            .ok_or_else(|| KpiError::overflow("Markov transition counts"))
    }

    pub fn solve(&self, taxonomy: &Taxonomy, max_states: usize) -> Result<Solved> {
        let states = self.states();
        if states.len() > max_states {
            return Err(KpiError::at(
                ErrorCode::LimitExceeded,
                "params.max_states",
                format!(
                    "allows {max_states} Markov states, the data has {}: lower the order or raise max_states",
                    states.len()
                ),
            ));
        }
        let index: HashMap<Key, usize> = states
            .iter()
            .enumerate()
            .map(|(i, s)| (pack(s), i))
            .collect();
        let n = states.len();
        let totals: Vec<f64> = {
            let mut t = vec![0u64; n];
            let sources = self.transitions.iter().map(|((from, _), c)| (from, c));
            for (s, c) in sources.chain(self.to_conversion.iter().chain(&self.to_null)) {
                if let Some(slot) = index.get(s).and_then(|i| t.get_mut(*i)) {
                    *slot = slot
                        .checked_add(*c)
                        .ok_or_else(|| KpiError::overflow("Markov transition counts"))?;
                }
            }
            t.into_iter().map(|x| x as f64).collect()
        };
        // Sorted edges so elimination sees the same numbers in the same order everywhere.
        let mut edges: Vec<(usize, usize, f64)> = self
            .transitions
            .iter()
            .filter_map(|((f, t), c)| Some((*index.get(f)?, *index.get(t)?, *c as f64)))
            .collect();
        edges.sort_by_key(|e| (e.0, e.1));
        let exits: Vec<f64> = states
            .iter()
            .zip(&totals)
            .map(|(s, t)| {
                let c = self.to_conversion.get(&pack(s)).copied().unwrap_or(0) as f64;
                if *t > 0.0 {
                    c / t
                } else {
                    0.0
                }
            })
            .collect();
        #[allow(
            clippy::arithmetic_side_effects,
            reason = "indices below m, m <= states <= max_states <= 5,000: m * m fits usize"
        )]
        let probability = |removed: &dyn Fn(&State) -> bool| -> f64 {
            let kept: Vec<usize> = (0..n)
                .filter(|i| states.get(*i).is_some_and(|s| s.is_empty() || !removed(s)))
                .collect();
            let position: HashMap<usize, usize> =
                kept.iter().enumerate().map(|(k, i)| (*i, k)).collect();
            let m = kept.len();
            let mut a = vec![0.0f64; m * m];
            let mut b = vec![0.0f64; m];
            for (k, i) in kept.iter().enumerate() {
                if let Some(cell) = a.get_mut(k * m + k) {
                    *cell = 1.0;
                }
                if let (Some(slot), Some(e)) = (b.get_mut(k), exits.get(*i)) {
                    *slot = *e;
                }
            }
            for (f, t, c) in &edges {
                if let (Some(r), Some(col), Some(total)) =
                    (position.get(f), position.get(t), totals.get(*f))
                {
                    if let Some(cell) = a.get_mut(r * m + col) {
                        *cell -= c / total;
                    }
                }
            }
            gauss(&mut a, &mut b, m);
            position
                .get(&0)
                .and_then(|k| b.get(*k))
                .copied()
                .unwrap_or(0.0)
        };
        let full = probability(&|_| false);
        let removal_effects = (0..taxonomy.len())
            .map(|c| {
                let c = u16::try_from(c).unwrap_or(u16::MAX);
                let appears = states.iter().any(|s| s.contains(&c));
                if !appears || full <= 0.0 {
                    return 0.0;
                }
                let without = probability(&|s: &State| s.contains(&c));
                let re = 1.0 - without / full;
                // Rounding noise of the solve must not turn an exact 0 or 1 into -1e-17 or 1+1e-16.
                re.clamp(0.0, 1.0)
            })
            .collect();
        Ok(Solved {
            conversion_probability: full,
            removal_effects,
        })
    }

    fn label(state: &State, taxonomy: &Taxonomy) -> String {
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
        let mut rows = Vec::new();
        for from in self.states() {
            let total = self.out_total(&from)?;
            let key = pack(&from);
            let mut targets: BTreeMap<State, u64> = BTreeMap::new();
            for ((f, t), c) in &self.transitions {
                if *f == key {
                    targets.insert(unpack(*t), *c);
                }
            }
            let mut push = |to: String, count: u64| -> Result<()> {
                if count > 0 {
                    let p = divide(Decimal::from(count), Decimal::from(total), 6)?;
                    rows.push(Output::record([
                        ("from", Self::label(&from, taxonomy).into()),
                        ("to", to.into()),
                        ("count", count.into()),
                        ("probability", p.into()),
                    ]));
                }
                Ok(())
            };
            for (to, c) in targets {
                push(Self::label(&to, taxonomy), c)?;
            }
            push(
                "(conversion)".to_owned(),
                self.to_conversion.get(&key).copied().unwrap_or(0),
            )?;
            push(
                "(null)".to_owned(),
                self.to_null.get(&key).copied().unwrap_or(0),
            )?;
        }
        Ok(Output::List(rows))
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

/// Solves `a x = b` in place (`a` is m x m, row-major) by Gaussian elimination with partial
/// pivoting; the solution is left in `b`. (I - Q) of an absorbing chain built from finite
/// observed paths is non-singular; a zero pivot leaves that unknown at 0.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "row and column indices below m, m <= max_states <= 5,000: m * m fits usize"
)]
fn gauss(a: &mut [f64], b: &mut [f64], m: usize) {
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&x, &y| {
                let vx = a.get(x * m + col).map_or(0.0, |v| v.abs());
                let vy = a.get(y * m + col).map_or(0.0, |v| v.abs());
                vx.total_cmp(&vy).then(y.cmp(&x))
            })
            .unwrap_or(col);
        if pivot != col {
            for k in 0..m {
                a.swap(col * m + k, pivot * m + k);
            }
            b.swap(col, pivot);
        }
        let p = a.get(col * m + col).copied().unwrap_or(0.0);
        if p == 0.0 {
            continue;
        }
        for row in (col + 1)..m {
            let factor = a.get(row * m + col).copied().unwrap_or(0.0) / p;
            if factor == 0.0 {
                continue;
            }
            for k in col..m {
                let v = a.get(col * m + k).copied().unwrap_or(0.0);
                if let Some(cell) = a.get_mut(row * m + k) {
                    *cell -= factor * v;
                }
            }
            let bc = b.get(col).copied().unwrap_or(0.0);
            if let Some(cell) = b.get_mut(row) {
                *cell -= factor * bc;
            }
        }
    }
    for row in (0..m).rev() {
        let mut sum = b.get(row).copied().unwrap_or(0.0);
        for k in (row + 1)..m {
            sum -= a.get(row * m + k).copied().unwrap_or(0.0) * b.get(k).copied().unwrap_or(0.0);
        }
        let p = a.get(row * m + row).copied().unwrap_or(0.0);
        if let Some(cell) = b.get_mut(row) {
            *cell = if p == 0.0 { 0.0 } else { sum / p };
        }
    }
}
