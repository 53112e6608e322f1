//! Per period: tiers, limits (caps and floors) and growth bonuses.

use super::attainment::{Credits, Windows};
use super::explanation::{ACCELERATOR, BAND, BONUS, CAP, DEDUCTED, FLOOR, LIMIT};
use super::policy::{ClawbackOrder, History, NegativeBalance, Tier, TierMode};
use super::rules::{add, overflow, percent_of, Engine};
use super::sale::Sale;
use super::summary::{Line, LineKind, PartyPeriod, PeriodTotals};
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::allocate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Tiers, limits and bonuses per period; appends their lines to `lines`.
pub(super) fn period_totals(
    engines: &[Engine],
    chosen: &BTreeMap<String, usize>,
    sales: &[Sale],
    lines: &mut Vec<Line>,
) -> Result<Vec<PeriodTotals>> {
    let names: BTreeSet<&str> = sales.iter().map(|s| s.period.as_str()).collect();
    let mut net: BTreeMap<&str, Decimal> = BTreeMap::new();
    for s in sales {
        let value = add(s.amount, s.extra_amount)?;
        let slot = net.entry(&s.period).or_insert(Decimal::ZERO);
        *slot = if s.refund_of.is_some() {
            slot.checked_sub(value).ok_or_else(overflow)?
        } else {
            add(*slot, value)?
        };
    }
    let mut days: BTreeMap<&str, BTreeSet<chrono::NaiveDate>> = BTreeMap::new();
    for s in sales {
        days.entry(&s.period).or_default().insert(s.day);
    }
    let credits = Credits::new(engines.iter().map(|e| e.policy), sales);
    let mut windows = Windows::default();
    let mut out = Vec::new();
    let mut previous: Option<Decimal> = None;
    for period in names {
        let engine = chosen
            .get(period)
            .and_then(|v| engines.get(*v))
            .or(engines.first())
            .ok_or_else(overflow)?;
        let policy = engine.policy;
        // a party with validity dates takes part in a period's floors and bonuses when it is
        // in force on the day of one of the period's sales
        let present = |id: &str| {
            policy.party(id).is_none_or(|p| {
                days.get(period)
                    .is_some_and(|d| d.iter().any(|day| p.valid.contains(*day)))
            })
        };
        let net_sales = net.get(period).copied().unwrap_or_default();
        let growth = previous
            .map(|p| net_sales.checked_sub(p).ok_or_else(overflow))
            .transpose()?;
        previous = Some(net_sales);
        let mut earned: BTreeMap<usize, (String, Decimal)> = BTreeMap::new();
        let mut clawed: BTreeMap<&str, Decimal> = BTreeMap::new();
        for l in lines.iter().filter(|l| l.period == period) {
            let slot = earned
                .entry(policy.party_rank(&l.party))
                .or_insert((l.party.clone(), Decimal::ZERO));
            slot.1 = add(slot.1, l.amount)?;
            if l.kind == LineKind::Clawback {
                let c = clawed.entry(l.party.as_str()).or_insert(Decimal::ZERO);
                *c = add(*c, l.amount)?;
            }
        }
        for limit in policy
            .limits
            .iter()
            .filter(|l| l.floor.is_some() && present(&l.party))
        {
            earned
                .entry(policy.party_rank(&limit.party))
                .or_insert((limit.party.clone(), Decimal::ZERO));
        }
        let credited = match &credits {
            Some(c) => c.by_party(lines.iter().filter(|l| l.period == period))?,
            None => BTreeMap::new(),
        };
        let mut bonus_of: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut adjustments: Vec<Line> = Vec::new();
        for b in &policy.bonuses {
            let Some(g) = growth.filter(|g| *g > Decimal::ZERO) else {
                continue;
            };
            let (parties, weights): (Vec<&String>, Vec<Decimal>) = b
                .parties
                .iter()
                .zip(&b.weights)
                .filter(|(p, _)| present(p))
                .unzip();
            if weights.iter().all(Decimal::is_zero) {
                continue; // no party of the bonus is in force in this period
            }
            let exact = percent_of(g, b.percent)?;
            let pool = engine.round(exact);
            let parts = allocate(pool, engine.minor, &weights, "bonuses")?;
            for (party, part) in parties.into_iter().zip(parts) {
                let slot = bonus_of.entry(party.clone()).or_insert(Decimal::ZERO);
                *slot = add(*slot, part.amount)?;
                earned
                    .entry(policy.party_rank(party))
                    .or_insert((party.clone(), Decimal::ZERO));
                adjustments.push(Line {
                    sale_id: None,
                    period: period.to_owned(),
                    party: party.clone(),
                    rule: b.id.clone(),
                    kind: LineKind::Bonus,
                    amount: part.amount,
                    explanation: BONUS.say(
                        engine.lang,
                        &[
                            &b.id,
                            &engine.num(b.percent),
                            &engine.money(net_sales.checked_sub(g).ok_or_else(overflow)?),
                            &engine.money(net_sales),
                            &engine.money(g),
                            &engine.num(exact),
                            &engine.money(pool),
                            &weights.len(),
                            &engine.money(part.amount),
                        ],
                    ),
                });
            }
        }
        let mut parties = Vec::new();
        let mut total = Decimal::ZERO;
        for (party, earned) in earned.into_values() {
            let tier = policy.tiers.iter().find(|t| t.parties.contains(&party));
            let (accelerator, line) = match (tier, tier.and_then(|t| t.quota.as_ref())) {
                (None, _) => (Decimal::ZERO, None),
                (Some(tier), None) => on_earnings(engine, tier, period, &party, earned)?,
                (Some(tier), Some(quota)) => {
                    let sold = credited.get(&party).copied().unwrap_or_default();
                    windows.accelerator(engine, (tier, quota), period, &party, (earned, sold))?
                }
            };
            adjustments.extend(line);
            let subtotal = add(earned, accelerator)?;
            let mut limit = Decimal::ZERO;
            if let Some(l) = policy.limits.iter().find(|l| l.party == party) {
                // with clawbacks deducted, the limit bounds the earnings of sales only
                let deducted = match l.clawbacks {
                    ClawbackOrder::Deducted => clawed.get(party.as_str()).copied(),
                    ClawbackOrder::Absorbed => None,
                }
                .unwrap_or_default();
                let bounded = subtotal.checked_sub(deducted).ok_or_else(overflow)?;
                let (kind, bound, word, target) = match (l.floor, l.cap) {
                    (Some(f), _) if bounded < f => (LineKind::Floor, "floor", &FLOOR, f),
                    (_, Some(c)) if bounded > c => (LineKind::Cap, "cap", &CAP, c),
                    _ => (LineKind::Sale, "", &CAP, bounded),
                };
                limit = target.checked_sub(bounded).ok_or_else(overflow)?;
                if !limit.is_zero() {
                    adjustments.push(Line {
                        sale_id: None,
                        period: period.to_owned(),
                        party: party.clone(),
                        rule: format!("{bound}:{party}"),
                        kind,
                        amount: limit,
                        explanation: LIMIT.say(
                            engine.lang,
                            &[
                                &word.text(engine.lang),
                                &engine.money(target),
                                &engine.money(bounded),
                                &engine.money(limit),
                                &if deducted.is_zero() {
                                    String::new()
                                } else {
                                    DEDUCTED.say(engine.lang, &[&engine.money(deducted)])
                                },
                            ],
                        ),
                    });
                }
            }
            let bonus = bonus_of.get(&party).copied().unwrap_or_default();
            let payable = add(add(subtotal, limit)?, bonus)?;
            total = add(total, payable)?;
            parties.push(PartyPeriod {
                party,
                earned,
                accelerator,
                limit,
                bonus,
                adjustment: Decimal::ZERO,
                carried: Decimal::ZERO,
                carried_out: Decimal::ZERO,
                payable,
            });
        }
        lines.extend(adjustments);
        out.push(PeriodTotals {
            period: period.to_owned(),
            net_sales,
            growth,
            parties,
            total,
            closed: None,
        });
    }
    Ok(out)
}

/// The accelerator of a tier on earnings, with its line when it is not zero.
fn on_earnings(
    engine: &Engine,
    tier: &Tier,
    period: &str,
    party: &str,
    earned: Decimal,
) -> Result<(Decimal, Option<Line>)> {
    if earned <= Decimal::ZERO {
        return Ok((Decimal::ZERO, None));
    }
    let adjusted = tiered(&tier.bands, tier.mode, earned)?;
    let accelerator = engine
        .round(adjusted)
        .checked_sub(earned)
        .ok_or_else(overflow)?;
    accelerator_line(tier, period, party, accelerator, || {
        let bands: Vec<String> = tier
            .bands
            .iter()
            .map(|(from, m)| BAND.say(engine.lang, &[&engine.num(from), &engine.num(m)]))
            .collect();
        Ok(ACCELERATOR.say(
            engine.lang,
            &[
                &tier.id,
                &engine.lang.tier_mode(tier.mode),
                &bands.join(", "),
                &engine.money(earned),
                &engine.num(adjusted.normalize()),
                &engine.money(adjusted),
                &engine.money(accelerator),
            ],
        ))
    })
}

/// A tier's accelerator of `party` in `period`, with its line (explained by `explain`) when it
/// is not zero.
pub(super) fn accelerator_line(
    tier: &Tier,
    period: &str,
    party: &str,
    amount: Decimal,
    explain: impl FnOnce() -> Result<String>,
) -> Result<(Decimal, Option<Line>)> {
    if amount.is_zero() {
        return Ok((amount, None));
    }
    let line = Line {
        sale_id: None,
        period: period.to_owned(),
        party: party.to_owned(),
        rule: tier.id.clone(),
        kind: LineKind::Accelerator,
        amount,
        explanation: explain()?,
    };
    Ok((amount, Some(line)))
}

/// The multiplier of the last band whose start `value` reaches (1 below the first).
pub(super) fn band_reached(bands: &[(Decimal, Decimal)], value: Decimal) -> Decimal {
    bands
        .iter()
        .rev()
        .find(|(from, _)| value >= *from)
        .map_or(Decimal::ONE, |(_, m)| *m)
}

/// Earnings after a tier table: step (each band's slice at its multiplier) or flat.
pub(super) fn tiered(
    bands: &[(Decimal, Decimal)],
    mode: TierMode,
    earned: Decimal,
) -> Result<Decimal> {
    match mode {
        TierMode::Flat => earned
            .checked_mul(band_reached(bands, earned))
            .ok_or_else(overflow),
        TierMode::Step => {
            let mut total = Decimal::ZERO;
            for (i, (from, m)) in bands.iter().enumerate() {
                if earned <= *from {
                    break;
                }
                let upper = bands
                    .get(i.saturating_add(1))
                    .map_or(earned, |(next, _)| earned.min(*next));
                let slice = upper.checked_sub(*from).ok_or_else(overflow)?;
                total = add(total, slice.checked_mul(*m).ok_or_else(overflow)?)?;
            }
            Ok(total)
        }
    }
}

/// When the result depends on the order of periods (growth bonuses, balances carried forward,
/// changes to a closed period booked in the next open one) and the policy declares no
/// `periods`, the labels are ordered as text: they must then sort as their sales do in time,
/// or `Sep-26` would follow `Oct-26` without a word.
///
/// # Errors
/// `invalid_policy` at the period of the first sale of a label whose sales start before those
/// of the label sorted before it.
pub(super) fn check_label_order(history: &History, sales: &[Sale], closed: bool) -> Result<()> {
    let policy = &history.first;
    let ordered = closed
        || policy.negative_balance == NegativeBalance::CarriedForward
        || history.versions().any(|v| !v.bonuses.is_empty());
    if policy.periods.is_some() || !ordered {
        return Ok(());
    }
    let mut first: BTreeMap<&str, &Sale> = BTreeMap::new();
    for s in sales {
        let slot = first.entry(&s.period).or_insert(s);
        if s.timestamp < slot.timestamp {
            *slot = s;
        }
    }
    let mut previous: Option<&Sale> = None;
    for sale in first.values() {
        if let Some(before) = previous.filter(|b| b.timestamp > sale.timestamp) {
            return Err(KpiError::at(
                ErrorCode::InvalidPolicy,
                &format!("{}.period", sale.path),
                format!(
                    "`{}` sorts after `{}` as text, yet its sales start earlier ({} is on {}, {} on {}); periods are ordered by their labels here, so declare the policy's `periods` (grain and time zone) or use labels that sort in time (2026-09)",
                    sale.period, before.period, sale.id, sale.day, before.id, before.day
                ),
            ));
        }
        previous = Some(sale);
    }
    Ok(())
}
