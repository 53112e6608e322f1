//! Shapley-value attribution: Zhao's ordered variant (per position) and the conversion-rate game
//! per converting channel set (exact enumeration). The simplified Zhao formula is an equal split
//! over a journey's distinct channels and lives in the accumulator's update.

use super::{Credit, SHARE_UNITS};
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::split_units;
use std::collections::BTreeMap;

fn gcd(a: u128, b: u128) -> u128 {
    match a.checked_rem(b) {
        Some(r) => gcd(b, r),
        None => a, // b == 0
    }
}

/// Ordered Shapley: each distinct channel's equal share of the journey is split equally over
/// the positions (1-based) where it occurs.
pub(super) fn add_ordered(
    cells: &mut BTreeMap<(u16, u32), (i128, i128)>,
    channels: &[u16],
    conversions: u64,
    value: i128,
) -> Result<()> {
    let overflow = || KpiError::overflow("ordered Shapley credit");
    let mut counts: BTreeMap<u16, u64> = BTreeMap::new();
    for c in channels {
        let n = counts.entry(*c).or_insert(0);
        *n = n.saturating_add(1); // at most the journey's length
    }
    // The lcm of how often each channel occurs, in 128 bits: with many distinct counts in a long
    // journey it outgrows 64 (lcm(1..47) > 2^64); beyond 127 bits it is an error, never a wrap.
    let lcm = counts
        .values()
        .try_fold(1u128, |acc, c| {
            let c = u128::from(*c);
            acc.checked_div(gcd(acc, c))?.checked_mul(c)
        })
        .ok_or_else(overflow)?;
    let weights: Vec<i128> = channels
        .iter()
        .map(|c| {
            let count = u128::from(counts.get(c).copied().unwrap_or(1));
            lcm.checked_div(count)
                .and_then(|w| i128::try_from(w).ok())
                .ok_or_else(overflow)
        })
        .collect::<Result<_>>()?;
    let shares = split_units(SHARE_UNITS, &weights).ok_or_else(overflow)?;
    for (i, (c, (share, _))) in channels.iter().zip(shares).enumerate() {
        let position = u32::try_from(i.saturating_add(1)).map_err(|_| overflow())?;
        let cell = cells.entry((*c, position)).or_insert((0, 0));
        cell.0 = share
            .checked_mul(i128::from(conversions))
            .and_then(|x| cell.0.checked_add(x))
            .ok_or_else(overflow)?;
        cell.1 = share
            .checked_mul(value)
            .and_then(|x| cell.1.checked_add(x))
            .ok_or_else(overflow)?;
    }
    Ok(())
}

/// Shapley value of the game v(S) = conversion rate of journeys whose channel set is exactly S,
/// solved for each converting set S0 over the subsets of S0, normalized within S0 (negative
/// values count as 0; all zero gives an equal split) and applied to S0's conversions and value.
pub(super) fn rate_credit(
    sets: &BTreeMap<Vec<u16>, (u64, u64, i128)>,
    slots: usize,
    max_channels: usize,
) -> Result<Credit> {
    let mut credit = Credit::new(slots);
    for (set, (_, conversions, value)) in sets.iter().filter(|(_, (_, c, _))| *c > 0) {
        let m = set.len();
        if m > max_channels {
            return Err(KpiError::at(
                ErrorCode::LimitExceeded,
                "params.max_channels",
                format!(
                    "allows channel sets of {max_channels} channels, a converting journey has {m}: raise max_channels or use attribution.shapley"
                ),
            ));
        }
        let rate = |mask: usize| -> f64 {
            let subset: Vec<u16> = set
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| *c)
                .collect();
            match sets.get(&subset) {
                Some((journeys, conv, _)) if *journeys > 0 => *conv as f64 / *journeys as f64,
                _ => 0.0,
            }
        };
        let values: Vec<f64> = (0..(1usize << m)).map(rate).collect();
        let factorial = |k: usize| (1..=k).fold(1.0f64, |acc, x| acc * x as f64);
        let mut phi = vec![0.0f64; m];
        for (i, slot) in phi.iter_mut().enumerate() {
            for mask in 0..(1usize << m) {
                if mask & (1 << i) != 0 {
                    continue;
                }
                let size = mask.count_ones() as usize;
                // size <= m - 1: the mask leaves out channel i
                let weight = factorial(size) * factorial(m.saturating_sub(size).saturating_sub(1))
                    / factorial(m);
                let gain = values.get(mask | (1 << i)).copied().unwrap_or(0.0)
                    - values.get(mask).copied().unwrap_or(0.0);
                *slot += weight * gain;
            }
        }
        let positive: Vec<f64> = phi.iter().map(|p| p.max(0.0)).collect();
        let total: f64 = positive.iter().sum();
        let weights: Vec<i128> = if total > 0.0 {
            positive
                .iter()
                .map(|p| (p / total * 4_503_599_627_370_496.0).round() as i128)
                .collect()
        } else {
            vec![1; m]
        };
        let weights = if weights.iter().all(|w| *w == 0) {
            vec![1; m]
        } else {
            weights
        };
        let slots: Vec<usize> = set.iter().map(|c| usize::from(*c)).collect();
        credit.add(&slots, &weights, *conversions, *value)?;
    }
    Ok(credit)
}
