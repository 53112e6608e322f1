//! Tiers on attainment of a quota: a party's credited sales against its quota, per period or
//! accumulated over the quarter or the year to date.
//!
//! A tier's bands are then percents of the quota. With a flat table all of the window's
//! earnings take the multiplier of the band attainment reaches; with a step table each band
//! takes the part of the earnings that its slice of the credited sales brings. Over a window
//! longer than one period, each period pays the window's accelerator to date less what its
//! earlier periods paid.
//!
//! ```
//! use serde_json::json;
//! let policy = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
//!     "currency": "EUR", "parties": [{"id": "anna", "kind": "staff"}],
//!     "rules": [{"id": "sales", "shares": [{"party": "anna", "percent": "10"}]}],
//!     "tiers": [{"id": "quota", "parties": ["anna"], "mode": "flat", "basis": "attainment",
//!                "quotas": {"anna": "1000.00"},
//!                "bands": [{"from": "0", "multiplier": "1"}, {"from": "100", "multiplier": "1.5"}]}]});
//! let sale = |id: &str, amount: &str| json!({"sale_id": id, "timestamp": 0, "period": "2026-10",
//!     "origin_channel": "store", "fulfilment_channel": "lille", "amount": amount});
//! let out = omnikpi::evaluate("incentives.split", &json!({"policy": policy,
//!     "sales": [sale("a", "600.00"), sale("b", "500.00")]}), &json!(null)).unwrap().to_json();
//! // 1100.00 credited against a quota of 1000.00 is 110%: all 110.00 earned at x1.5
//! assert_eq!(out["periods"][0]["parties"][0]["accelerator"], "55.00");
//! ```

use super::explanation::{ATTAINMENT, BAND, EARLIER_PAID, PERCENT};
use super::policy::{Policy, Quota, Tier, TierMode};
use super::rules::{add, overflow, shown, Engine};
use super::sale::Sale;
use super::summary::{Line, LineKind};
use crate::error::{ErrorCode, KpiError, Result};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Each sale's credited value by id: amount plus extra purchase, negative for a refund.
pub(super) struct Credits<'a> {
    sales: HashMap<&'a str, &'a Sale>,
}

impl<'a> Credits<'a> {
    /// The index, built only when a tier of a policy reads attainment.
    pub(super) fn new<'p>(
        mut policies: impl Iterator<Item = &'p Policy>,
        sales: &'a [Sale],
    ) -> Option<Self> {
        policies
            .any(|p| p.tiers.iter().any(|t| t.quota.is_some()))
            .then(|| Self {
                sales: sales.iter().map(|s| (s.id.as_str(), s)).collect(),
            })
    }

    /// Each party's credited sales over `lines` (one period's): every sale with a sale or
    /// clawback line of the party, once.
    pub(super) fn by_party<'l>(
        &self,
        lines: impl Iterator<Item = &'l Line>,
    ) -> Result<BTreeMap<String, Decimal>> {
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
        for line in lines.filter(|l| matches!(l.kind, LineKind::Sale | LineKind::Clawback)) {
            let Some(id) = line.sale_id.as_deref() else {
                continue;
            };
            if !seen.insert((line.party.as_str(), id)) {
                continue;
            }
            let sale = self.sales.get(id).ok_or_else(overflow)?;
            let value = add(sale.amount, sale.extra_amount)?;
            let slot = out.entry(line.party.clone()).or_insert(Decimal::ZERO);
            *slot = if sale.refund_of.is_some() {
                slot.checked_sub(value).ok_or_else(overflow)?
            } else {
                add(*slot, value)?
            };
        }
        Ok(out)
    }
}

/// What a party's window has accumulated so far.
struct Accrued {
    window: String,
    earned: Decimal,
    credited: Decimal,
    paid: Decimal,
}

/// The windows open per (tier, party), as periods are closed in order.
#[derive(Default)]
pub(super) struct Windows {
    open: BTreeMap<(String, String), Accrued>,
}

impl Windows {
    /// The accelerator of `party` in `period` (its earnings and credited sales there), with
    /// its line when it is not zero.
    ///
    /// # Errors
    /// `invalid_policy` when a period label is not of the window's grain; `overflow`.
    pub(super) fn accelerator(
        &mut self,
        engine: &Engine,
        (tier, quota): (&Tier, &Quota),
        period: &str,
        party: &str,
        (earned, credited): (Decimal, Decimal),
    ) -> Result<(Decimal, Option<Line>)> {
        let (window, count) = quota.window.position(period).ok_or_else(|| {
            KpiError::at(
                ErrorCode::InvalidPolicy,
                "policy.tiers",
                format!(
                    "tier `{}` accumulates over the {} but period `{period}` is not a label of the policy's periods",
                    tier.id,
                    quota.window.name()
                ),
            )
        })?;
        let per_period = quota.amounts.get(party).copied().ok_or_else(overflow)?;
        let target = per_period
            .checked_mul(Decimal::from(count))
            .ok_or_else(overflow)?;
        let slot = self
            .open
            .entry((tier.id.clone(), party.to_owned()))
            .or_insert_with(|| Accrued::new(window.clone()));
        if slot.window != window {
            *slot = Accrued::new(window);
        }
        slot.earned = add(slot.earned, earned)?;
        slot.credited = add(slot.credited, credited)?;
        let adjusted = attained(tier, slot.earned, slot.credited, target)?;
        let due = engine
            .round(adjusted)
            .checked_sub(slot.earned)
            .ok_or_else(overflow)?;
        let accelerator = due.checked_sub(slot.paid).ok_or_else(overflow)?;
        let standing = Standing {
            credited: slot.credited,
            target,
            earned: slot.earned,
            adjusted,
            paid: slot.paid,
            accelerator,
        };
        slot.paid = due;
        super::period::accelerator_line(tier, period, party, accelerator, || {
            standing.explain(engine, tier, quota)
        })
    }
}

impl Accrued {
    fn new(window: String) -> Self {
        Self {
            window,
            earned: Decimal::ZERO,
            credited: Decimal::ZERO,
            paid: Decimal::ZERO,
        }
    }
}

/// A party's window to date as its accelerator line explains it.
struct Standing {
    credited: Decimal,
    target: Decimal,
    earned: Decimal,
    adjusted: Decimal,
    paid: Decimal,
    accelerator: Decimal,
}

impl Standing {
    fn explain(&self, engine: &Engine, tier: &Tier, quota: &Quota) -> Result<String> {
        let bands: Vec<String> = tier
            .bands
            .iter()
            .map(|(from, m)| {
                let at = PERCENT.say(engine.lang, &[&engine.num(from)]);
                BAND.say(engine.lang, &[&at, &engine.num(m)])
            })
            .collect();
        // the quota is positive, so the window's is
        let rate = self
            .credited
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|x| x.checked_div(self.target))
            .ok_or_else(overflow)?;
        let earlier = if self.paid.is_zero() {
            String::new()
        } else {
            EARLIER_PAID.say(engine.lang, &[&engine.money(self.paid)])
        };
        Ok(ATTAINMENT.say(
            engine.lang,
            &[
                &tier.id,
                &engine.lang.tier_mode(tier.mode),
                &engine.lang.window(quota.window),
                &bands.join(", "),
                &engine.money(self.credited),
                &engine.money(self.target),
                &PERCENT.say(engine.lang, &[&engine.lang.number(&shown(rate, 0))]),
                &engine.money(self.earned),
                &engine.shown(self.adjusted),
                &engine.money(self.adjusted),
                &earlier,
                &engine.money(self.accelerator),
            ],
        ))
    }
}

/// Earnings after a tier on attainment of `target`: unchanged while earnings or credited
/// sales are not positive.
fn attained(tier: &Tier, earned: Decimal, credited: Decimal, target: Decimal) -> Result<Decimal> {
    if earned <= Decimal::ZERO || credited <= Decimal::ZERO {
        return Ok(earned);
    }
    // each band's threshold in money: its percent of the quota
    let thresholds = tier
        .bands
        .iter()
        .map(|(from, m)| super::rules::percent_of(target, *from).map(|threshold| (threshold, *m)))
        .collect::<Result<Vec<_>>>()?;
    match tier.mode {
        TierMode::Flat => earned
            .checked_mul(super::period::band_reached(&thresholds, credited))
            .ok_or_else(overflow),
        TierMode::Step => {
            // the credited sales, sliced by band, each slice at its multiplier
            let weighted = super::period::tiered(&thresholds, TierMode::Step, credited)?;
            earned
                .checked_mul(weighted)
                .and_then(|x| x.checked_div(credited))
                .ok_or_else(overflow)
        }
    }
}
