//! Negative balances carried forward: when the policy says so, a party whose period ends
//! below zero (clawbacks beyond its earnings) is paid zero, and the balance is taken from its
//! next periods' pay until earnings cover it.

use super::explanation::{CARRIED, CARRIED_FROM, CARRIED_OUT};
use super::policy::NegativeBalance;
use super::rules::{add, sum_money, Engine};
use super::summary::{Line, LineKind, PartyPeriod, PeriodTotals};
use crate::decimal::negate;
use crate::error::Result;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The rule id of the lines that carry a balance.
pub(super) const RULE: &str = "negative_balance";

/// Carries negative balances from period to period (in label order) when the policy carries
/// them forward: one `carried` line per party and period that carries something in or out.
pub(super) fn carry_forward(
    engine: &Engine,
    periods: &mut [PeriodTotals],
    lines: &mut Vec<Line>,
) -> Result<()> {
    let policy = engine.policy;
    if policy.negative_balance != NegativeBalance::CarriedForward {
        return Ok(());
    }
    // party -> (balance carried, below zero; the period it comes from)
    let mut owed: BTreeMap<String, (Decimal, String)> = BTreeMap::new();
    for period in periods.iter_mut() {
        if period.closed.is_some() {
            // a closed period stays as closed; what it carried out is the balance carried on
            owed = period
                .parties
                .iter()
                .filter(|q| !q.carried_out.is_zero())
                .map(|q| {
                    (
                        q.party.clone(),
                        (negate(q.carried_out), period.period.clone()),
                    )
                })
                .collect();
            continue;
        }
        for party in owed.keys() {
            if !period.parties.iter().any(|q| q.party == *party) {
                period.parties.push(PartyPeriod::idle(party));
            }
        }
        period.parties.sort_by_key(|q| policy.party_rank(&q.party));
        for q in &mut period.parties {
            let (carried_in, from) = owed
                .remove(&q.party)
                .unwrap_or((Decimal::ZERO, String::new()));
            let balance = add(q.payable, carried_in)?;
            let carried_out = if balance < Decimal::ZERO {
                negate(balance)
            } else {
                Decimal::ZERO
            };
            let mut why: Vec<String> = Vec::new();
            if !carried_in.is_zero() {
                why.push(CARRIED_FROM.say(engine.lang, &[&engine.money(carried_in), &from]));
            }
            if !carried_out.is_zero() {
                why.push(CARRIED_OUT.say(engine.lang, &[&engine.money(balance)]));
                owed.insert(q.party.clone(), (balance, period.period.clone()));
            }
            q.carried = add(carried_in, carried_out)?;
            q.carried_out = carried_out;
            q.payable = add(balance, carried_out)?;
            if !q.carried.is_zero() || !why.is_empty() {
                lines.push(Line {
                    sale_id: None,
                    period: period.period.clone(),
                    party: q.party.clone(),
                    rule: RULE.to_owned(),
                    kind: LineKind::Carried,
                    amount: q.carried,
                    explanation: CARRIED.say(engine.lang, &[&why.join("; ")]),
                });
            }
        }
        period.total = sum_money(period.parties.iter().map(|q| q.payable))?;
    }
    Ok(())
}
