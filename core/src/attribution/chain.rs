//! The absorbing chain of Markov attribution, solved without a dense matrix.
//!
//! The transition matrix has one row per observed state and few successors per row, so it is
//! kept in compressed rows. The states are split into strongly connected components (Tarjan),
//! solved successors first: a component without a loop is one exact step, a small component
//! (up to [`DENSE_BLOCK`] states) is solved by Gaussian elimination, and a large one by
//! Gauss-Seidel sweeps until no probability moves by more than [`SETTLED`]. Every sum runs in a
//! fixed order (states in component order, each state's successors sorted), so the bits are the
//! same on every platform, native and wasm.
//!
//! Removing a channel fixes the states that contain it at 0. The components of the full chain
//! stay a valid order, and each removal starts its sweeps from the full solution, which only
//! has to fall.

use crate::error::{ErrorCode, KpiError, Result};

/// Largest component solved by Gaussian elimination (a 200 x 200 elimination is about 2.7M
/// multiply-adds: less than a few sweeps of a large component).
const DENSE_BLOCK: usize = 200;

/// A component is settled when a sweep moves no probability by more than this (4 ulps at 1).
const SETTLED: f64 = 4.0 * f64::EPSILON;

/// The most sweeps a large component gets before the solve gives up with `limit_exceeded`.
const MAX_SWEEPS: usize = 100_000;

/// The chain: per state (START is state 0), its successors with their transition
/// probabilities and its probability of converting next.
pub(super) struct Chain {
    /// Row `s` is `rows[s]..rows[s + 1]` in `targets` and `probabilities`.
    rows: Vec<usize>,
    targets: Vec<u32>,
    probabilities: Vec<f64>,
    exits: Vec<f64>,
    /// Where each strongly connected component ends, each after every component it leads to.
    /// States are numbered in this order inside the chain (a component is a range of numbers
    /// and its rows are contiguous: sweeps read memory in order); `original` gives each one's
    /// number outside, `rank` the reverse.
    ends: Vec<usize>,
    original: Vec<u32>,
    rank: Vec<u32>,
}

/// A transition count between two state numbers.
pub(super) struct Edge {
    pub from: u32,
    pub to: u32,
    pub count: u64,
}

impl Chain {
    /// The chain of `states` states from `edges` (sorted by from, then to), each state's total
    /// outflow `totals` (transitions, conversions and nulls) and its `conversions`.
    pub fn new(states: usize, edges: &[Edge], totals: &[u64], conversions: &[u64]) -> Self {
        let mut rows = Vec::with_capacity(states.saturating_add(1));
        let mut targets = Vec::with_capacity(edges.len());
        let mut probabilities = Vec::with_capacity(edges.len());
        let mut next = edges.iter().peekable();
        for s in 0..states {
            rows.push(targets.len());
            let total = totals.get(s).copied().unwrap_or(0) as f64;
            while let Some(e) = next.next_if(|e| e.from as usize == s) {
                targets.push(e.to);
                probabilities.push(if total > 0.0 {
                    e.count as f64 / total
                } else {
                    0.0
                });
            }
        }
        rows.push(targets.len());
        let exits = (0..states)
            .map(|s| {
                let total = totals.get(s).copied().unwrap_or(0) as f64;
                let c = conversions.get(s).copied().unwrap_or(0) as f64;
                if total > 0.0 {
                    c / total
                } else {
                    0.0
                }
            })
            .collect();
        let blocks = components(&rows, &targets);
        Chain {
            rows,
            targets,
            probabilities,
            exits,
            ends: Vec::new(),
            original: Vec::new(),
            rank: Vec::new(),
        }
        .renumbered(blocks)
    }

    /// The same chain with states numbered in component order. Each row keeps its successors
    /// in their original order, so every sum adds the same terms in the same order.
    fn renumbered(self, blocks: Components) -> Self {
        let n = self.len();
        let original = blocks.states;
        let mut rank = vec![0u32; n];
        for (p, s) in original.iter().enumerate() {
            if let Some(slot) = rank.get_mut(*s as usize) {
                *slot = u32::try_from(p).unwrap_or(u32::MAX);
            }
        }
        let mut rows = Vec::with_capacity(n.saturating_add(1));
        let mut targets = Vec::with_capacity(self.targets.len());
        let mut probabilities = Vec::with_capacity(self.targets.len());
        for s in &original {
            rows.push(targets.len());
            for (t, q) in self.row(*s as usize) {
                targets.push(rank.get(t).copied().unwrap_or(u32::MAX));
                probabilities.push(q);
            }
        }
        rows.push(targets.len());
        let exits = original
            .iter()
            .map(|s| self.exits.get(*s as usize).copied().unwrap_or(0.0))
            .collect();
        Chain {
            rows,
            targets,
            probabilities,
            exits,
            ends: blocks.ends,
            original,
            rank,
        }
    }

    /// The number of states.
    pub fn len(&self) -> usize {
        self.exits.len()
    }

    /// Each state's probability of reaching CONVERSION, with the `removed` states sent to NULL;
    /// `from` is a solution to start the sweeps of large components from (values of removed
    /// states are ignored).
    ///
    /// # Errors
    /// `limit_exceeded` when a large component does not settle within [`MAX_SWEEPS`] sweeps.
    pub fn solve(&self, removed: &[bool], from: Option<&[f64]>) -> Result<Vec<f64>> {
        let inside = |values: &[bool]| -> Vec<bool> {
            self.original
                .iter()
                .map(|s| values.get(*s as usize).copied().unwrap_or(false))
                .collect()
        };
        let start: Option<Vec<f64>> = from.map(|x| {
            self.original
                .iter()
                .map(|s| x.get(*s as usize).copied().unwrap_or(0.0))
                .collect()
        });
        let x = self.solve_inside(&inside(removed), start.as_deref())?;
        Ok(self
            .rank
            .iter()
            .map(|p| x.get(*p as usize).copied().unwrap_or(0.0))
            .collect())
    }

    /// [`Chain::solve`] in the chain's own numbering.
    fn solve_inside(&self, removed: &[bool], from: Option<&[f64]>) -> Result<Vec<f64>> {
        let n = self.len();
        let mut x = vec![0.0f64; n];
        let mut position = vec![u32::MAX; n];
        let mut start = 0;
        for &end in &self.ends {
            let block = start..end;
            start = end;
            let is_kept = |s: &usize| !removed.get(*s).copied().unwrap_or(false);
            if block.len() == 1 {
                // Most components are one state: no list to build.
                if let Some(s) = block.clone().find(is_kept) {
                    self.single(s, &mut x);
                }
                continue;
            }
            let kept: Vec<u32> = block.filter(is_kept).map(|s| s as u32).collect();
            match kept.as_slice() {
                [] => {}
                [s] => self.single(*s as usize, &mut x),
                _ if kept.len() <= DENSE_BLOCK => self.dense(&kept, &mut x, &mut position),
                _ => {
                    if let Some(start) = from {
                        for s in &kept {
                            if let (Some(v), Some(slot)) =
                                (start.get(*s as usize), x.get_mut(*s as usize))
                            {
                                *slot = *v;
                            }
                        }
                    }
                    self.sweeps(&kept, &mut x)?;
                }
            }
        }
        Ok(x)
    }

    /// The successors of `s` with their probabilities.
    fn row(&self, s: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let start = self.rows.get(s).copied().unwrap_or(0);
        let end = self.rows.get(s.saturating_add(1)).copied().unwrap_or(start);
        let targets = self.targets.get(start..end).unwrap_or_default();
        let probabilities = self.probabilities.get(start..end).unwrap_or_default();
        targets
            .iter()
            .zip(probabilities)
            .map(|(t, p)| (*t as usize, *p))
    }

    /// `x[s]` from its successors, its own loop divided out: `(exit + sum q x) / (1 - q_ss)`.
    fn update(&self, s: usize, x: &[f64]) -> f64 {
        let mut sum = self.exits.get(s).copied().unwrap_or(0.0);
        let mut stay = 0.0f64;
        for (t, q) in self.row(s) {
            if t == s {
                stay = q;
            } else {
                sum += q * x.get(t).copied().unwrap_or(0.0);
            }
        }
        if stay > 0.0 && stay < 1.0 {
            sum / (1.0 - stay)
        } else if stay >= 1.0 {
            0.0
        } else {
            sum
        }
    }

    /// A component of one state: one exact step (removed successors hold 0).
    fn single(&self, s: usize, x: &mut [f64]) {
        let v = self.update(s, x);
        if let Some(slot) = x.get_mut(s) {
            *slot = v;
        }
    }

    /// A small component by Gaussian elimination on `(I - Q_kk) x_k = r_k + Q_k,out x_out`.
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "local indices below m <= DENSE_BLOCK: m * m fits usize"
    )]
    fn dense(&self, kept: &[u32], x: &mut [f64], position: &mut [u32]) {
        let m = kept.len();
        for (k, s) in kept.iter().enumerate() {
            if let Some(p) = position.get_mut(*s as usize) {
                *p = k as u32;
            }
        }
        let mut a = vec![0.0f64; m * m];
        let mut b = vec![0.0f64; m];
        for (k, s) in kept.iter().enumerate() {
            let s = *s as usize;
            let mut rhs = self.exits.get(s).copied().unwrap_or(0.0);
            if let Some(cell) = a.get_mut(k * m + k) {
                *cell = 1.0;
            }
            for (t, q) in self.row(s) {
                match position.get(t).copied() {
                    Some(col) if col != u32::MAX => {
                        if let Some(cell) = a.get_mut(k * m + col as usize) {
                            *cell -= q;
                        }
                    }
                    _ => rhs += q * x.get(t).copied().unwrap_or(0.0),
                }
            }
            if let Some(slot) = b.get_mut(k) {
                *slot = rhs;
            }
        }
        gauss(&mut a, &mut b, m);
        for (s, v) in kept.iter().zip(&b) {
            if let Some(slot) = x.get_mut(*s as usize) {
                *slot = *v;
            }
            if let Some(p) = position.get_mut(*s as usize) {
                *p = u32::MAX;
            }
        }
    }

    /// A large component by Gauss-Seidel sweeps in the component's order until it settles.
    fn sweeps(&self, kept: &[u32], x: &mut [f64]) -> Result<()> {
        for _ in 0..MAX_SWEEPS {
            let mut moved = 0.0f64;
            for s in kept {
                let s = *s as usize;
                let v = self.update(s, x);
                if let Some(slot) = x.get_mut(s) {
                    moved = moved.max((v - *slot).abs());
                    *slot = v;
                }
            }
            if moved <= SETTLED {
                return Ok(());
            }
        }
        Err(KpiError::at(
            ErrorCode::LimitExceeded,
            "params.order",
            format!(
                "the Markov chain did not settle in {MAX_SWEEPS} sweeps over {} states (journeys that loop between the same states almost without end): lower the order",
                kept.len()
            ),
        ))
    }
}

/// Strongly connected components, their states one after another (no allocation per component:
/// most are single states).
struct Components {
    states: Vec<u32>,
    /// Where each component ends in `states`.
    ends: Vec<usize>,
}

/// The strongly connected components of the graph in compressed rows, each listed after every
/// component it can reach (Tarjan's algorithm, with an explicit stack: no recursion depth).
fn components(rows: &[usize], targets: &[u32]) -> Components {
    const UNSEEN: u32 = u32::MAX;
    let n = rows.len().saturating_sub(1);
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut blocks = Components {
        states: Vec::with_capacity(n),
        ends: Vec::new(),
    };
    let mut next = 0u32;
    let visit = |v: u32, next: &mut u32, index: &mut [u32], low: &mut [u32]| {
        if let (Some(i), Some(l)) = (index.get_mut(v as usize), low.get_mut(v as usize)) {
            *i = *next;
            *l = *next;
        }
        *next = next.saturating_add(1);
    };
    for root in 0..n as u32 {
        if index.get(root as usize) != Some(&UNSEEN) {
            continue;
        }
        visit(root, &mut next, &mut index, &mut low);
        stack.push(root);
        if let Some(f) = on_stack.get_mut(root as usize) {
            *f = true;
        }
        calls.push((root, rows.get(root as usize).copied().unwrap_or(0)));
        while let Some((v, edge)) = calls.last_mut() {
            let v = *v;
            let end = rows
                .get((v as usize).saturating_add(1))
                .copied()
                .unwrap_or(0);
            if *edge < end {
                let w = targets.get(*edge).copied().unwrap_or(v);
                *edge = edge.saturating_add(1);
                if index.get(w as usize) == Some(&UNSEEN) {
                    visit(w, &mut next, &mut index, &mut low);
                    stack.push(w);
                    if let Some(f) = on_stack.get_mut(w as usize) {
                        *f = true;
                    }
                    calls.push((w, rows.get(w as usize).copied().unwrap_or(0)));
                } else if on_stack.get(w as usize) == Some(&true) {
                    let iw = index.get(w as usize).copied().unwrap_or(UNSEEN);
                    if let Some(l) = low.get_mut(v as usize) {
                        *l = (*l).min(iw);
                    }
                }
                continue;
            }
            calls.pop();
            let lv = low.get(v as usize).copied().unwrap_or(0);
            if let Some((parent, _)) = calls.last() {
                if let Some(l) = low.get_mut(*parent as usize) {
                    *l = (*l).min(lv);
                }
            }
            if Some(&lv) == index.get(v as usize) {
                while let Some(w) = stack.pop() {
                    if let Some(f) = on_stack.get_mut(w as usize) {
                        *f = false;
                    }
                    blocks.states.push(w);
                    if w == v {
                        break;
                    }
                }
                blocks.ends.push(blocks.states.len());
            }
        }
    }
    blocks
}

/// Solves `a x = b` in place (`a` is m x m, row-major) by Gaussian elimination with partial
/// pivoting; the solution is left in `b`. (I - Q) of an absorbing chain built from finite
/// observed paths is non-singular; a zero pivot leaves that unknown at 0.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "row and column indices below m <= DENSE_BLOCK: m * m fits usize"
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

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    reason = "test arithmetic on small generated chains"
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A generated chain: per state, its successors with counts, its conversions and nulls.
    type Rows = Vec<(Vec<(u32, u64)>, u64, u64)>;

    fn chain(rows: &Rows) -> Chain {
        let n = rows.len() as u32;
        let mut edges: Vec<Edge> = Vec::new();
        let mut totals = Vec::new();
        let mut conversions = Vec::new();
        for (from, (successors, conv, null)) in rows.iter().enumerate() {
            let mut seen = std::collections::BTreeMap::new();
            for (to, count) in successors {
                *seen.entry(to % n).or_insert(0u64) += count;
            }
            totals.push(seen.values().sum::<u64>() + conv + null);
            conversions.push(*conv);
            edges.extend(seen.into_iter().map(|(to, count)| Edge {
                from: from as u32,
                to,
                count,
            }));
        }
        Chain::new(rows.len(), &edges, &totals, &conversions)
    }

    /// The reference: one elimination of the whole `(I - Q) x = r` over the kept states (in
    /// the chain's numbering, given and returned in the original one).
    fn whole(chain: &Chain, removed: &[bool]) -> Vec<f64> {
        let removed: Vec<bool> = chain
            .original
            .iter()
            .map(|s| removed[*s as usize])
            .collect();
        let kept: Vec<usize> = (0..chain.len()).filter(|s| !removed[*s]).collect();
        let m = kept.len();
        let mut a = vec![0.0; m * m];
        let mut b = vec![0.0; m];
        for (k, s) in kept.iter().enumerate() {
            a[k * m + k] += 1.0;
            b[k] = chain.exits[*s];
            for (t, q) in chain.row(*s) {
                if let Some(col) = kept.iter().position(|x| *x == t) {
                    a[k * m + col] -= q;
                }
            }
        }
        gauss(&mut a, &mut b, m);
        let mut x = vec![0.0; chain.len()];
        for (k, s) in kept.iter().enumerate() {
            x[chain.original[*s] as usize] = b[k];
        }
        x
    }

    fn rows(max: usize) -> impl Strategy<Value = Rows> {
        proptest::collection::vec(
            (
                proptest::collection::vec((0u32..10_000, 1u64..20), 0..5),
                0u64..4,
                1u64..4,
            ),
            1..max,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Components, dense blocks and sweeps (components above 200 states) give the whole
        /// elimination's probabilities, with and without removed states.
        #[test]
        fn solves_as_one_elimination_does(rows in rows(450), cut in 2u32..7) {
            let chain = chain(&rows);
            let none = vec![false; chain.len()];
            let full = chain.solve(&none, None).unwrap();
            for (got, want) in full.iter().zip(whole(&chain, &none)) {
                prop_assert!((got - want).abs() < 1e-12, "{got} vs {want}");
            }
            let removed: Vec<bool> = (0..chain.len()).map(|s| s > 0 && (s as u32).is_multiple_of(cut)).collect();
            let warm = chain.solve(&removed, Some(&full)).unwrap();
            for (s, (got, want)) in warm.iter().zip(whole(&chain, &removed)).enumerate() {
                prop_assert!((got - want).abs() < 1e-12, "state {s}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn a_component_larger_than_a_dense_block_is_swept() {
        // A ring of 300 states, each also converting or leaving: one component, above 200.
        let n = 300u32;
        let rows: Rows = (0..n).map(|s| (vec![((s + 1) % n, 8)], 1, 1)).collect();
        let chain = chain(&rows);
        assert_eq!(chain.ends, vec![300]);
        let x = chain.solve(&vec![false; 300], None).unwrap();
        // Symmetric ring: every state converts with probability (1/10) / (1 - 8/10) = 1/2.
        for v in x {
            assert!((v - 0.5).abs() < 1e-15, "{v}");
        }
    }
}
