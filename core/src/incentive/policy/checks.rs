//! Checks of a policy's rules: two rules of one group that could match the same sale must
//! say which wins (a priority), or the split would depend on the order rules are written in.

use super::{Conditions, Party, Recipient, Rule};
use crate::error::{ErrorCode, KpiError, Result};
use std::collections::BTreeSet;

/// The channels a rule can accept for one side (origin or fulfilment): `None` = any.
fn channel_set(
    list: &Option<Vec<String>>,
    kinds: &Option<Vec<String>>,
    parties: &[Party],
) -> Option<BTreeSet<String>> {
    let of_kind: Option<BTreeSet<String>> = kinds.as_ref().map(|k| {
        parties
            .iter()
            .filter(|p| k.contains(&p.kind))
            .map(|p| p.id.clone())
            .collect()
    });
    let listed: Option<BTreeSet<String>> = list.as_ref().map(|l| l.iter().cloned().collect());
    match (listed, of_kind) {
        (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
        (a, b) => a.or(b),
    }
}

fn sets_meet(a: &Option<BTreeSet<String>>, b: &Option<BTreeSet<String>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.intersection(b).next().is_some(),
        _ => true,
    }
}

/// Whether some sale could satisfy the conditions of both rules.
fn may_overlap(a: &Conditions, b: &Conditions, parties: &[Party]) -> bool {
    let list = |l: &Option<Vec<String>>| -> Option<BTreeSet<String>> {
        l.as_ref().map(|v| v.iter().cloned().collect())
    };
    let origin = |c: &Conditions| channel_set(&c.origin_channel, &c.origin_kind, parties);
    let fulfil = |c: &Conditions| channel_set(&c.fulfilment_channel, &c.fulfilment_kind, parties);
    let flags_meet = match (a.click_and_collect, b.click_and_collect) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let lo = match (a.amount_min, b.amount_min) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let hi = match (a.amount_max, b.amount_max) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    let amounts_meet = match (lo, hi) {
        (Some(lo), Some(hi)) => lo < hi,
        _ => true,
    };
    sets_meet(&origin(a), &origin(b))
        && sets_meet(&fulfil(a), &fulfil(b))
        && sets_meet(&list(&a.category), &list(&b.category))
        && sets_meet(&list(&a.zone), &list(&b.zone))
        && flags_meet
        && amounts_meet
}

pub(super) fn check_overlaps(rules: &[Rule], parties: &[Party], path: &str) -> Result<()> {
    for (j, later) in rules.iter().enumerate() {
        for (i, earlier) in rules.iter().enumerate().take(j) {
            let decided =
                matches!((earlier.priority, later.priority), (Some(x), Some(y)) if x != y);
            if earlier.group == later.group
                && !decided
                && earlier.valid.meets(&later.valid)
                && may_overlap(&earlier.when, &later.when, parties)
            {
                return Err(KpiError::at(
                    ErrorCode::OverlappingRules,
                    &format!("{path}[{j}]"),
                    format!(
                        "(`{}`) can match the same sales as `{}` ({path}[{i}]) in group `{}`; \
                         give them different priorities or disjoint conditions",
                        later.id, earlier.id, later.group
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A rule that names a party (a share or an attribution fallback) is in force only on days the
/// party is: otherwise some sale would pay a party that is not there.
pub(super) fn check_party_windows(rules: &[Rule], parties: &[Party], path: &str) -> Result<()> {
    for (i, rule) in rules.iter().enumerate() {
        for (j, share) in rule.shares.iter().enumerate() {
            let named = match &share.recipient {
                Recipient::Party(id) => id,
                Recipient::Attribution(a) => &a.fallback,
                Recipient::From(_) => continue,
            };
            let Some(party) = parties.iter().find(|p| p.id == *named) else {
                continue; // undeclared parties are refused where they are read
            };
            if !party.valid.covers(&rule.valid) {
                return Err(KpiError::at(
                    ErrorCode::InvalidPolicy,
                    &format!("{path}[{i}].shares[{j}]"),
                    format!(
                        "pays `{named}` ({}) under rule `{}` ({}); date the rule within the party's days",
                        party.valid.describe(),
                        rule.id,
                        rule.valid.describe()
                    ),
                ));
            }
        }
    }
    Ok(())
}
