//! Refunds clawed back as mirrors of their sale's lines.

use super::explanation::{CLAWBACK_PART, CLAWBACK_PER_SHARE, CLAWBACK_REST, LIMITED};
use super::ledger::Ledger;
use super::policy::{Base, ShareRounding};
use super::rules::{add, overflow, sum_money, Engine};
use super::sale::Sale;
use super::summary::{Line, LineKind, UnpaidReason};
use crate::decimal::negate;
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::allocate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A paid line of an original sale, remembered for its clawbacks.
pub(super) struct Paid {
    pub(super) party: String,
    pub(super) rule: String,
    pub(super) base: Base,
    pub(super) amount: Decimal,
    pub(super) remaining: Decimal,
}

impl Ledger {
    /// Claws refunds back from what their sale's lines have left.
    pub(super) fn claw_back(
        &mut self,
        engine: &Engine,
        sales: &[Sale],
        index: &BTreeMap<&str, usize>,
    ) -> Result<()> {
        let policy = engine.policy;
        let Ledger {
            per_sale,
            unpaid,
            paid,
        } = self;
        // Refunds in time order (input order among equal times), each against what is left.
        let mut refunds: Vec<usize> = (0..sales.len())
            .filter(|i| sales.get(*i).is_some_and(|s| s.refund_of.is_some()))
            .collect();
        refunds.sort_by_key(|i| sales.get(*i).map_or(0, |s| s.timestamp));
        let mut refunded: BTreeMap<usize, (Decimal, Decimal)> = BTreeMap::new();
        for r in refunds {
            let Some(refund) = sales.get(r) else { continue };
            let target = refund.refund_of.as_deref().unwrap_or_default();
            let o = original_of(refund, target, sales, index)?;
            let original = sales.get(o).ok_or_else(overflow)?;
            let done = refunded.entry(o).or_insert((Decimal::ZERO, Decimal::ZERO));
            let mut complete = [false, false];
            for (k, (base, key)) in [
                (Base::Amount, "amount"),
                (Base::ExtraAmount, "extra_amount"),
            ]
            .into_iter()
            .enumerate()
            {
                let (given, before, whole) = match base {
                    Base::Amount => (refund.amount, &mut done.0, original.amount),
                    Base::ExtraAmount => (refund.extra_amount, &mut done.1, original.extra_amount),
                };
                let after = add(*before, given)?;
                if after > whole {
                    return Err(KpiError::at(
                        ErrorCode::RefundExceedsSale,
                        &format!("{}.{key}", refund.path),
                        format!(
                            "brings the refunds of `{target}` to {after}, more than its {key} of {whole}"
                        ),
                    ));
                }
                *before = after;
                if let Some(c) = complete.get_mut(k) {
                    *c = !given.is_zero() && after == whole;
                }
            }
            if refund.amount.is_zero() && refund.extra_amount.is_zero() {
                if let Some(u) = unpaid.get_mut(r) {
                    *u = Some(UnpaidReason::NothingRefunded);
                }
                continue;
            }
            let late = policy
                .clawback_window_seconds
                .is_some_and(|w| refund.timestamp.saturating_sub(original.timestamp) > w);
            let lines = paid.get_mut(o).ok_or_else(overflow)?;
            if lines.is_empty() {
                if let Some(u) = unpaid.get_mut(r) {
                    *u = Some(UnpaidReason::OriginalUnpaid);
                }
                continue;
            }
            if late {
                if let Some(u) = unpaid.get_mut(r) {
                    *u = Some(UnpaidReason::OutsideClawbackWindow);
                }
                continue;
            }
            let mut out = Vec::new();
            for (k, base) in [Base::Amount, Base::ExtraAmount].into_iter().enumerate() {
                let (given, whole) = match base {
                    Base::Amount => (refund.amount, original.amount),
                    Base::ExtraAmount => (refund.extra_amount, original.extra_amount),
                };
                if given.is_zero() {
                    continue;
                }
                let mut rules: Vec<String> = Vec::new();
                for l in lines.iter().filter(|l| l.base == base) {
                    if !rules.contains(&l.rule) {
                        rules.push(l.rule.clone());
                    }
                }
                for rule in rules {
                    let members: Vec<usize> = (0..lines.len())
                        .filter(|j| {
                            lines
                                .get(*j)
                                .is_some_and(|l| l.base == base && l.rule == rule)
                        })
                        .collect();
                    let members_lines: Vec<&Paid> =
                        members.iter().filter_map(|j| lines.get(*j)).collect();
                    let refund_of = Refunded {
                        target,
                        base,
                        given,
                        whole,
                        completes: complete.get(k).copied().unwrap_or(false),
                    };
                    let Some(claws) = refund_of.claws(engine, &rule, &members_lines)? else {
                        continue;
                    };
                    for (j, (amount, explanation)) in members.iter().zip(claws) {
                        if let Some(l) = lines.get_mut(*j) {
                            l.remaining = add(l.remaining, amount)?;
                            out.push(Line {
                                sale_id: Some(refund.id.clone()),
                                period: refund.period.clone(),
                                party: l.party.clone(),
                                rule: l.rule.clone(),
                                kind: LineKind::Clawback,
                                amount,
                                explanation,
                            });
                        }
                    }
                }
            }
            if out.is_empty() {
                if let Some(u) = unpaid.get_mut(r) {
                    *u = Some(UnpaidReason::OriginalUnpaid);
                }
            }
            if let Some(l) = per_sale.get_mut(r) {
                *l = out;
            }
        }
        Ok(())
    }
}

/// One refund of one base (`amount` or `extra_amount`) of an original sale.
struct Refunded<'a> {
    target: &'a str,
    base: Base,
    given: Decimal,
    whole: Decimal,
    /// Whether this refund completes the base: the rest of every line is then reversed.
    completes: bool,
}

impl Refunded<'_> {
    /// The clawback of each line `members` of `rule` paid (amount and explanation): the rest of
    /// each line when the refund completes the base, else the rule's total times given/whole,
    /// rounded, allocated over the lines in the ratio of what they paid. `None` when the rule
    /// paid nothing.
    fn claws(
        &self,
        engine: &Engine,
        rule: &str,
        members: &[&Paid],
    ) -> Result<Option<Vec<(Decimal, String)>>> {
        let Refunded {
            target,
            base,
            given,
            whole,
            completes,
        } = *self;
        if completes {
            return Ok(Some(
                members
                    .iter()
                    .map(|l| {
                        (
                            negate(l.remaining),
                            CLAWBACK_REST.say(
                                engine.lang,
                                &[
                                    &target,
                                    &engine.lang.base(base),
                                    &engine.money(whole),
                                    &engine.money(l.amount),
                                    &rule,
                                ],
                            ),
                        )
                    })
                    .collect(),
            ));
        }
        if engine.policy.share_rounding == ShareRounding::PerShare {
            return self.claws_per_share(engine, rule, members).map(Some);
        }
        let originals: Vec<Decimal> = members.iter().map(|l| l.amount).collect();
        let total = sum_money(originals.iter().copied())?;
        if total.is_zero() {
            return Ok(None);
        }
        let exact = total
            .checked_mul(given)
            .and_then(|x| x.checked_div(whole))
            .ok_or_else(overflow)?;
        let claw = engine.round(exact);
        let parts = allocate(negate(claw), engine.minor, &originals, "lines")?;
        Ok(Some(
            parts
                .into_iter()
                .zip(&originals)
                .map(|(p, orig)| {
                    (
                        p.amount,
                        CLAWBACK_PART.say(
                            engine.lang,
                            &[
                                &target,
                                &engine.money(given),
                                &engine.lang.base(base),
                                &engine.money(whole),
                                &rule,
                                &engine.money(total),
                                &engine.num(given),
                                &engine.num(whole),
                                &engine.shown(exact),
                                &engine.money(negate(claw)),
                                &engine.money(*orig),
                                &engine.money(p.amount),
                            ],
                        ),
                    )
                })
                .collect(),
        ))
    }
}

impl Refunded<'_> {
    /// Per-share rounding: each line gives back its amount times given/whole, rounded on its
    /// own, and never more than it has left.
    fn claws_per_share(
        &self,
        engine: &Engine,
        rule: &str,
        members: &[&Paid],
    ) -> Result<Vec<(Decimal, String)>> {
        members
            .iter()
            .map(|l| {
                let exact = l
                    .amount
                    .checked_mul(self.given)
                    .and_then(|x| x.checked_div(self.whole))
                    .ok_or_else(overflow)?;
                let rounded = engine.round(exact);
                let claw = if rounded.abs() > l.remaining.abs() {
                    l.remaining
                } else {
                    rounded
                };
                Ok((
                    negate(claw),
                    CLAWBACK_PER_SHARE.say(
                        engine.lang,
                        &[
                            &self.target,
                            &engine.money(self.given),
                            &engine.lang.base(self.base),
                            &engine.money(self.whole),
                            &rule,
                            &engine.money(l.amount),
                            &engine.num(self.given),
                            &engine.num(self.whole),
                            &engine.shown(exact),
                            &engine.money(negate(claw)),
                            &if claw == rounded {
                                ""
                            } else {
                                LIMITED.text(engine.lang)
                            },
                        ],
                    ),
                ))
            })
            .collect()
    }
}

/// The index of the sale `refund` refunds.
///
/// # Errors
/// `unknown_sale` when it names no sale of the input, or a refund.
fn original_of(
    refund: &Sale,
    target: &str,
    sales: &[Sale],
    index: &BTreeMap<&str, usize>,
) -> Result<usize> {
    let unknown = |what: &str| {
        KpiError::at(
            ErrorCode::UnknownSale,
            &format!("{}.refund_of", refund.path),
            format!("names `{target}`, which {what}"),
        )
    };
    let o = *index
        .get(target)
        .ok_or_else(|| unknown("is not a sale of the input"))?;
    let Some(original) = sales.get(o) else {
        return Err(unknown("is not a sale of the input"));
    };
    if original.refund_of.is_some() {
        return Err(unknown("is itself a refund"));
    }
    if refund.timestamp < original.timestamp {
        return Err(KpiError::at(
            ErrorCode::InvalidTimestamp,
            &format!("{}.timestamp", refund.path),
            format!(
                "is before the sale it refunds (`{target}`, {} at {}): a refund cannot precede its sale",
                original.path, original.timestamp
            ),
        ));
    }
    Ok(o)
}
