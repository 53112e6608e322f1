//! Validation mode for finance: payouts computed elsewhere against the canonical split.

use super::sale::read_input;
use super::split::split;
use super::summary::Split;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;

/// A payout claimed by another system: per sale and party, or per period adjustment.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The sale or refund (absent for a period adjustment).
    pub sale_id: Option<String>,
    /// The period (required for a period adjustment).
    pub period: Option<String>,
    /// The party paid.
    pub party: String,
    /// The rule, tier, limit or bonus id (required for a period adjustment).
    pub rule: Option<String>,
    /// The amount claimed.
    pub amount: Decimal,
}

/// One disagreement between claimed and canonical payouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The sale (absent for a period adjustment).
    pub sale_id: Option<String>,
    /// The period.
    pub period: Option<String>,
    /// The party.
    pub party: String,
    /// The canonical rule(s), or the claimed one when there is no canonical line.
    pub rule: Option<String>,
    /// What was claimed (`None`: nothing claimed).
    pub claimed: Option<Decimal>,
    /// What the policy gives (`None`: nothing due).
    pub canonical: Option<Decimal>,
    /// claimed - canonical (absent sides count as zero).
    pub difference: Decimal,
}

/// The comparison of claimed payouts with the canonical ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The canonical split it compared against.
    pub split: Split,
    /// Keys compared: (sale, party) pairs and (period, party, rule) adjustments.
    pub compared: u64,
    /// Keys that agree to the minor unit.
    pub matching: u64,
    /// Every disagreement, canonical order first, then claims with no canonical line.
    pub differences: Vec<Difference>,
    /// Sum of the claims.
    pub claimed_total: Decimal,
    /// Sum of the canonical lines.
    pub canonical_total: Decimal,
    /// Claimed rows read, used, rejected.
    pub rows: RowCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Sale(String, String),
    Period(String, String, String),
}

struct Entry {
    key: Key,
    period: String,
    rules: Vec<String>,
    canonical: Option<Decimal>,
    claimed: Option<Decimal>,
}

/// Records that `key` is the entry at `position`, and gives the key back for the entry itself.
fn indexed(index: &mut HashMap<Key, usize>, key: Key, position: usize) -> Key {
    index.insert(key.clone(), position);
    key
}

fn overflow() -> KpiError {
    KpiError::overflow("a payout total")
}

/// Compares `claimed` payouts with the canonical `split`: sale lines per (sale, party), summed
/// over rules; period adjustments per (period, party, rule).
///
/// # Errors
/// `arithmetic_overflow`.
pub fn check(split: Split, claimed: &[Claimed]) -> Result<Check> {
    // Entries in order of first appearance (the output order), found by key through an index.
    let mut entries: Vec<Entry> = Vec::new();
    let mut index: HashMap<Key, usize> = HashMap::new();
    let key_of = |sale: &Option<String>, period: &str, party: &str, rule: &str| match sale {
        Some(s) => Key::Sale(s.clone(), party.to_owned()),
        None => Key::Period(period.to_owned(), party.to_owned(), rule.to_owned()),
    };
    for l in &split.lines {
        let key = key_of(&l.sale_id, &l.period, &l.party, &l.rule);
        match index.get(&key).and_then(|&i| entries.get_mut(i)) {
            Some(e) => {
                e.canonical = Some(
                    e.canonical
                        .unwrap_or_default()
                        .checked_add(l.amount)
                        .ok_or_else(overflow)?,
                );
                if !e.rules.contains(&l.rule) {
                    e.rules.push(l.rule.clone());
                }
            }
            None => entries.push(Entry {
                key: indexed(&mut index, key, entries.len()),
                period: l.period.clone(),
                rules: vec![l.rule.clone()],
                canonical: Some(l.amount),
                claimed: None,
            }),
        }
    }
    let mut claimed_total = Decimal::ZERO;
    for c in claimed {
        claimed_total = claimed_total.checked_add(c.amount).ok_or_else(overflow)?;
        let key = key_of(
            &c.sale_id,
            c.period.as_deref().unwrap_or_default(),
            &c.party,
            c.rule.as_deref().unwrap_or_default(),
        );
        match index.get(&key).and_then(|&i| entries.get_mut(i)) {
            Some(e) => {
                e.claimed = Some(
                    e.claimed
                        .unwrap_or_default()
                        .checked_add(c.amount)
                        .ok_or_else(overflow)?,
                );
            }
            None => entries.push(Entry {
                key: indexed(&mut index, key, entries.len()),
                period: c.period.clone().unwrap_or_default(),
                rules: c.rule.iter().cloned().collect(),
                canonical: None,
                claimed: Some(c.amount),
            }),
        }
    }
    let canonical_total = split
        .lines
        .iter()
        .try_fold(Decimal::ZERO, |acc, l| acc.checked_add(l.amount))
        .ok_or_else(overflow)?;
    let mut differences = Vec::new();
    let mut matching = 0u64;
    for e in &entries {
        let difference = e
            .claimed
            .unwrap_or_default()
            .checked_sub(e.canonical.unwrap_or_default())
            .ok_or_else(overflow)?;
        if difference.is_zero() && e.claimed.is_some() == e.canonical.is_some() {
            matching = matching.saturating_add(1); // at most the number of entries
            continue;
        }
        if difference.is_zero() && e.canonical.is_some_and(|c| c.is_zero()) {
            // A zero line nobody claimed is not a disagreement.
            matching = matching.saturating_add(1);
            continue;
        }
        let (sale_id, party) = match &e.key {
            Key::Sale(s, p) => (Some(s.clone()), p.clone()),
            Key::Period(_, p, _) => (None, p.clone()),
        };
        differences.push(Difference {
            sale_id,
            period: Some(e.period.clone()).filter(|p| !p.is_empty()),
            party,
            rule: Some(e.rules.join("+")).filter(|r| !r.is_empty()),
            claimed: e.claimed,
            canonical: e.canonical,
            difference,
        });
    }
    Ok(Check {
        split,
        compared: entries.len() as u64,
        matching,
        differences,
        claimed_total,
        canonical_total,
        rows: RowCounts::all_used(claimed.len()),
    })
}

/// Reads the `payouts` list of a check input, in the policy's currency.
fn read_claimed(record: &Record, currency: &crate::money::Currency) -> Result<Vec<Claimed>> {
    record
        .list("payouts")?
        .iter()
        .map(|(path, v)| {
            let r = Record::new(
                v,
                path,
                &["sale_id", "period", "party", "rule", "kind", "amount", "currency", "explanation"],
            )?;
            let sale_id = r.opt_text("sale_id")?;
            let period = r.opt_text("period")?;
            let rule = r.opt_text("rule")?;
            if sale_id.is_none() {
                for (key, value) in [("period", &period), ("rule", &rule)] {
                    if value.is_none() {
                        return Err(KpiError::at(
                            ErrorCode::MissingField,
                            &r.field_path(key),
                            "is missing (a payout without sale_id is a period adjustment, named by period and rule)",
                        ));
                    }
                }
            }
            Ok(Claimed {
                party: r.text("party")?,
                amount: crate::money::read_amount(&r, "amount", currency, true)?,
                sale_id,
                period,
                rule,
            })
        })
        .collect()
}

impl Check {
    /// The result tree (the `incentives.check` output).
    pub fn to_output(&self) -> Output {
        let money = |d: Decimal| Output::Decimal(self.split.money(d));
        Output::record([
            ("policy", self.split.policy_output()),
            ("currency", self.split.currency.as_str().into()),
            ("compared", self.compared.into()),
            ("matching", self.matching.into()),
            (
                "differences",
                Output::List(
                    self.differences
                        .iter()
                        .map(|d| {
                            Output::record([
                                ("sale_id", d.sale_id.clone().into()),
                                ("period", d.period.clone().into()),
                                ("party", d.party.as_str().into()),
                                ("rule", d.rule.clone().into()),
                                ("claimed", d.claimed.map_or(Output::Null, money)),
                                ("canonical", d.canonical.map_or(Output::Null, money)),
                                ("difference", money(d.difference)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("claimed_total", money(self.claimed_total)),
            ("canonical_total", money(self.canonical_total)),
            ("rows", self.rows.into()),
        ])
    }
}

/// The check of an `incentives.check` input (`{"policy", "sales", "touches", "payouts"}`).
///
/// # Errors
/// As [`crate::evaluate`] on `incentives.check`.
pub fn check_input(input: &Value) -> Result<Check> {
    let record = Record::new(input, "input", &["policy", "sales", "touches", "payouts"])?;
    let (policy, sales, touches) = read_input(&record)?;
    let claimed = read_claimed(&record, &policy.currency)?;
    check(split(&policy, &sales, &touches)?, &claimed)
}

pub(crate) fn evaluate_check(input: &Value, _params: &crate::catalog::Params) -> Result<Output> {
    Ok(check_input(input)?.to_output())
}
