//! Confidence intervals: a Poisson bootstrap over journeys. Replicate `r` counts journey `j`
//! `w(j, r)` times, a Poisson(1) draw made from a counter-based hash of (seed, journey id, r):
//! no random state, so any partition of the journeys, in any order, on threads, Spark or
//! DuckDB, draws the same replicates. Each replicate re-runs the model on the re-weighted
//! journeys (exact integer credit, as the point estimate); the bounds are order statistics of
//! the replicates' figures at the output scale.
//!
//! The weights, exactly (every front end and the independent reference compute these bits):
//!
//! ```text
//! key(j)  = FNV-1a 64 of the journey id's text (an integer id in decimal)
//! mix(z)  = SplitMix64's finalizer: z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
//!           z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31   (mod 2^64)
//! u(j, r) = mix(mix(key(j) ^ mix(seed)) + (r + 1) * 0x9E3779B97F4A7C15)   (mod 2^64)
//! w(j, r) = #{k in 0..=19 : u(j, r) >= T[k]},  T[k] = floor(2^64 * P(Poisson(1) <= k))
//! ```

use super::accumulator::{add_to_set, channel_set, journey_shares, Journey, ModelState, Totals};
use super::credit::{Credit, Scratch};
use super::{markov, Model};
use crate::error::{ErrorCode, KpiError, Result};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The bootstrap's settings: how many replicates, and the seed of their weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bootstrap {
    /// Number of replicates.
    pub replicates: u32,
    /// Seed of the weights.
    pub seed: u64,
}

/// The golden-ratio increment of SplitMix64: replicate `r` hashes `base + (r + 1) * GOLDEN`.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// `floor(2^64 * P(X <= k))` for X ~ Poisson(1), k = 0..=19 (computed at 80 digits by
/// `spec/gen/interval_vectors.py`, which checks these values).
const THRESHOLDS: [u64; 20] = [
    0x5e2d_58d8_b3bc_df1a,
    0xbc5a_b1b1_6779_be35,
    0xeb71_5e1d_c158_2dc2,
    0xfb23_9797_34a2_52f1,
    0xff10_25f5_9174_dc3d,
    0xffd9_0f3b_a405_5e19,
    0xfffa_8b71_fc72_c913,
    0xffff_540c_0914_b3c9,
    0xffff_ed1f_4aa8_f120,
    0xffff_fe21_6e64_1462,
    0xffff_ffd4_d85d_3183,
    0xffff_fffc_6da2_62b4,
    0xffff_ffff_ba12_d178,
    0xffff_ffff_fb07_c64c,
    0xffff_ffff_ffab_8ea5,
    0xffff_ffff_fffa_be22,
    0xffff_ffff_ffff_b11a,
    0xffff_ffff_ffff_fba1,
    0xffff_ffff_ffff_ffc5,
    0xffff_ffff_ffff_fffd,
];

/// SplitMix64's finalizer.
fn mix(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Bootstrap {
    /// The weight of the journey with key `key` in each replicate, into `out`.
    ///
    /// ```
    /// use omnikpi::attribution::Bootstrap;
    /// let b = Bootstrap { replicates: 1000, seed: 7 };
    /// let mut w = Vec::new();
    /// b.weights(0x07ee_7e07_b4b1_9223, &mut w);
    /// assert_eq!(w.len(), 1000);
    /// let mean = w.iter().sum::<u64>() as f64 / 1000.0;
    /// assert!((mean - 1.0).abs() < 0.1); // Poisson(1)
    /// ```
    pub fn weights(&self, key: u64, out: &mut Vec<u64>) {
        out.clear();
        let mut counter = mix(key ^ mix(self.seed));
        for _ in 0..self.replicates {
            counter = counter.wrapping_add(GOLDEN);
            let u = mix(counter);
            out.push(THRESHOLDS.iter().take_while(|t| u >= **t).count() as u64);
        }
    }

    /// The rank `k` (1-based) of the lower bound in the sorted replicates; the upper bound is
    /// the replicate of rank `R + 1 - k`: `k = max(1, ceil(R (1 - confidence) / 2))`.
    ///
    /// ```
    /// use omnikpi::attribution::Bootstrap;
    /// use rust_decimal::Decimal;
    /// let b = Bootstrap { replicates: 200, seed: 0 };
    /// assert_eq!(b.rank(Decimal::new(95, 2)), 5);
    /// assert_eq!(b.rank(Decimal::new(999, 3)), 1);
    /// ```
    pub fn rank(&self, confidence: Decimal) -> usize {
        Decimal::ONE
            .checked_sub(confidence)
            .and_then(|rest| rest.checked_mul(Decimal::from(self.replicates)))
            .and_then(|tail| tail.checked_div(Decimal::TWO))
            .and_then(|tail| tail.ceil().to_usize())
            .unwrap_or(1)
            .max(1)
    }
}

/// The bounds of `values` (one per replicate) at ranks `k` and `R + 1 - k`.
pub(super) fn bounds(mut values: Vec<i128>, k: usize) -> Option<(i128, i128)> {
    values.sort_unstable();
    let low = values.get(k.checked_sub(1)?)?;
    let high = values.get(values.len().checked_sub(k)?)?;
    Some((*low, *high))
}

/// The bootstrap's replicates: each one's totals and model states, counted with the journeys'
/// weights ([`Bootstrap::weights`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Replicates {
    pub(super) bootstrap: Bootstrap,
    pub(super) runs: Vec<Replicate>,
}

/// One replicate: its totals and one state per model (credit per channel for every model but
/// Markov and Shapley rate, whose replicates are solved like the point estimate).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Replicate {
    pub(super) totals: Totals,
    pub(super) states: Vec<ModelState>,
}

/// The journey's credit per distinct channel with a share (`scratch.share_slots` merged,
/// zero shares dropped): `scratch.slot_conversions` and `scratch.slot_value` in 10^-12 units,
/// what the point estimate adds for it, so a replicate adds each `w` times.
fn journey_credit(journey: &Journey<'_>, scratch: &mut Scratch) -> Result<()> {
    let overflow = || KpiError::overflow("a journey's credit");
    let mut merged: Vec<(usize, i128)> = scratch
        .share_slots
        .iter()
        .copied()
        .zip(scratch.slot_shares.iter().copied())
        .filter(|(_, share)| *share != 0)
        .collect();
    merged.sort_unstable_by_key(|(slot, _)| *slot);
    scratch.share_slots.clear();
    scratch.slot_conversions.clear();
    scratch.slot_value.clear();
    for group in merged.chunk_by(|a, b| a.0 == b.0) {
        let share = group
            .iter()
            .try_fold(0i128, |acc, (_, s)| acc.checked_add(*s))
            .ok_or_else(overflow)?;
        let slot = group.first().map_or(0, |(slot, _)| *slot);
        scratch.share_slots.push(slot);
        scratch.slot_conversions.push(
            share
                .checked_mul(i128::from(journey.conversions))
                .ok_or_else(overflow)?,
        );
        scratch
            .slot_value
            .push(share.checked_mul(journey.value).ok_or_else(overflow)?);
    }
    Ok(())
}

impl Replicates {
    /// Adds `journey` to model `m`'s state in every replicate, `weights[r]` times.
    pub(super) fn add(
        &mut self,
        m: usize,
        model: &Model,
        journey: &Journey<'_>,
        rules: (&[i128; 4], &[bool]),
        weights: &[u64],
        scratch: &mut Scratch,
    ) -> Result<()> {
        let set: Vec<u16> = match model {
            Model::ShapleyRate { .. } => channel_set(journey.channels),
            Model::Markov { .. } => Vec::new(),
            _ if journey.conversions > 0 => {
                journey_shares(model, journey, rules, scratch)?;
                journey_credit(journey, scratch)?;
                Vec::new()
            }
            _ => return Ok(()),
        };
        for (run, w) in self.runs.iter_mut().zip(weights) {
            if *w == 0 {
                continue;
            }
            match (run.states.get_mut(m), model) {
                (
                    Some(ModelState::Markov(counts)),
                    Model::Markov {
                        order,
                        collapse_repeats,
                        ..
                    },
                ) => counts.add_times(
                    journey.channels,
                    journey.conversions,
                    *order,
                    *collapse_repeats,
                    *w,
                )?,
                (Some(ModelState::Sets(sets)), _) => add_to_set(sets, &set, journey, *w)?,
                (Some(ModelState::Credit(credit)), _) => credit.add_times(
                    &scratch.share_slots,
                    &scratch.slot_conversions,
                    &scratch.slot_value,
                    *w,
                )?,
                _ => {}
            }
        }
        Ok(())
    }

    pub(super) fn merge(&mut self, other: &Replicates) -> Result<()> {
        if self.bootstrap != other.bootstrap || self.runs.len() != other.runs.len() {
            return Err(KpiError::new(
                ErrorCode::InvalidParameter,
                Some("state".to_owned()),
                "cannot merge attribution states built with different bootstraps",
            ));
        }
        for (mine, theirs) in self.runs.iter_mut().zip(&other.runs) {
            mine.totals.merge(&theirs.totals)?;
            for (a, b) in mine.states.iter_mut().zip(&theirs.states) {
                a.merge(b)?;
            }
        }
        Ok(())
    }

    pub(super) fn new(bootstrap: Bootstrap, models: &[Model], slots: usize) -> Self {
        let states: Vec<ModelState> = models
            .iter()
            .map(|m| match m {
                Model::Markov { .. } => ModelState::Markov(markov::Counts::default()),
                Model::ShapleyRate { .. } => ModelState::Sets(BTreeMap::new()),
                _ => ModelState::Credit(Credit::new(slots)),
            })
            .collect();
        let run = Replicate {
            totals: Totals::default(),
            states,
        };
        Self {
            bootstrap,
            runs: vec![run; bootstrap.replicates as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_poisson_one() {
        let b = Bootstrap {
            replicates: 20_000,
            seed: 3,
        };
        let mut w = Vec::new();
        b.weights(12_345, &mut w);
        let zeros = w.iter().filter(|x| **x == 0).count() as f64 / 20_000.0;
        let ones = w.iter().filter(|x| **x == 1).count() as f64 / 20_000.0;
        let twos = w.iter().filter(|x| **x == 2).count() as f64 / 20_000.0;
        // e^-1, e^-1, e^-1 / 2
        assert!((zeros - 0.3679).abs() < 0.01, "{zeros}");
        assert!((ones - 0.3679).abs() < 0.01, "{ones}");
        assert!((twos - 0.1839).abs() < 0.01, "{twos}");
    }

    #[test]
    fn weights_depend_on_key_and_seed_only() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let boot = |seed| Bootstrap {
            replicates: 64,
            seed,
        };
        boot(1).weights(9, &mut a);
        boot(1).weights(9, &mut b);
        assert_eq!(a, b);
        boot(2).weights(9, &mut b);
        assert_ne!(a, b);
        boot(1).weights(10, &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn bounds_are_order_statistics() {
        assert_eq!(bounds(vec![5, 1, 4, 2, 3], 2), Some((2, 4)));
        assert_eq!(bounds(vec![5, 1], 3), None);
    }
}
