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

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

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
