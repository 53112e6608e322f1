//! A model's credit: conversions and value per channel slot, in 10^-12 units of a journey's
//! share, accumulated as integers so merging is exact and associative.

use super::SHARE_UNITS;
use crate::error::{KpiError, Result};
use crate::money::{split_into, widening_mul};

/// Credit per channel slot (the last slot is `(none)`), in 10^-12 units of conversions and of
/// minor units of value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Credit {
    pub(super) conversions: Vec<i128>,
    pub(super) value: Vec<i128>,
}

impl Credit {
    pub(super) fn new(slots: usize) -> Self {
        Self {
            conversions: vec![0; slots],
            value: vec![0; slots],
        }
    }

    /// Splits one journey's conversions and value over `slots` by integer `weights`.
    pub(super) fn add(
        &mut self,
        slots: &[usize],
        weights: &[i128],
        conversions: u64,
        value: i128,
    ) -> Result<()> {
        self.add_with(slots, weights, conversions, value, &mut Scratch::default())
    }

    /// [`Credit::add`] with reused buffers (the per-journey hot path).
    pub(super) fn add_with(
        &mut self,
        slots: &[usize],
        weights: &[i128],
        conversions: u64,
        value: i128,
        scratch: &mut Scratch,
    ) -> Result<()> {
        split_into(
            SHARE_UNITS,
            weights,
            &mut scratch.shares,
            &mut scratch.order,
        )
        .ok_or_else(|| KpiError::overflow("a journey's weights"))?;
        self.add_shares(slots, &scratch.shares, conversions, value)
    }

    /// Adds `conversions` and `value` split by `shares` (10^-12 units of 1, summing to
    /// [`SHARE_UNITS`]) over `slots`.
    pub(super) fn add_shares(
        &mut self,
        slots: &[usize],
        shares: &[i128],
        conversions: u64,
        value: i128,
    ) -> Result<()> {
        for (slot, share) in slots.iter().zip(shares) {
            let share = *share;
            if share == 0 {
                continue;
            }
            let conv = widening_mul(share, i128::from(conversions));
            let val = widening_mul(share, value);
            match (
                conv,
                val,
                self.conversions.get_mut(*slot),
                self.value.get_mut(*slot),
            ) {
                (Some(c), Some(v), Some(cs), Some(vs)) => {
                    *cs = cs
                        .checked_add(c)
                        .ok_or_else(|| KpiError::overflow("attributed conversions"))?;
                    *vs = vs
                        .checked_add(v)
                        .ok_or_else(|| KpiError::overflow("attributed value"))?;
                }
                _ => return Err(KpiError::overflow("attributed credit")),
            }
        }
        Ok(())
    }

    /// Adds a journey's credit (`conversions` and `value` per slot, in 10^-12 units) `times`
    /// times: a bootstrap replicate's weight.
    pub(super) fn add_times(
        &mut self,
        slots: &[usize],
        conversions: &[i128],
        value: &[i128],
        times: u64,
    ) -> Result<()> {
        let overflow = || KpiError::overflow("replicate credit");
        let times = i128::from(times);
        for ((slot, c), v) in slots.iter().zip(conversions).zip(value) {
            let (c, v) = if times == 1 {
                (*c, *v)
            } else {
                (
                    c.checked_mul(times).ok_or_else(overflow)?,
                    v.checked_mul(times).ok_or_else(overflow)?,
                )
            };
            match (self.conversions.get_mut(*slot), self.value.get_mut(*slot)) {
                (Some(cs), Some(vs)) => {
                    *cs = cs.checked_add(c).ok_or_else(overflow)?;
                    *vs = vs.checked_add(v).ok_or_else(overflow)?;
                }
                _ => return Err(overflow()),
            }
        }
        Ok(())
    }

    pub(super) fn merge(&mut self, other: &Credit) -> Result<()> {
        for (a, b) in self.conversions.iter_mut().zip(&other.conversions) {
            *a = a
                .checked_add(*b)
                .ok_or_else(|| KpiError::overflow("merging credit"))?;
        }
        for (a, b) in self.value.iter_mut().zip(&other.value) {
            *a = a
                .checked_add(*b)
                .ok_or_else(|| KpiError::overflow("merging credit"))?;
        }
        Ok(())
    }
}

/// Buffers reused from journey to journey, so the hot loop does not allocate.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) ones: Vec<i128>,
    pub(super) weights: Vec<i128>,
    pub(super) shares: Vec<i128>,
    pub(super) order: Vec<(i128, i128, usize)>,
    /// A journey's weight in each bootstrap replicate.
    pub(super) replicate_weights: Vec<u64>,
    /// A journey's channel slots and their shares, for the replicates, then its credit per
    /// distinct slot.
    pub(super) share_slots: Vec<usize>,
    pub(super) slot_shares: Vec<i128>,
    pub(super) slot_conversions: Vec<i128>,
    pub(super) slot_value: Vec<i128>,
}
