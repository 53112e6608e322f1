//! Applying a policy to sales: per sale and party the amount, the rule and an explanation;
//! refunds clawed back as mirrors of their sale; per period the tiers, limits and bonuses.

use super::policy::{
    AttributionShare, Base, Policy, Recipient, Rule, SaleField, ShareAmount, TierMode,
};
use crate::decimal::negate;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::money::{allocate, split_units};
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One sale (or refund) as the engine reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    /// Unique id.
    pub id: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// The pay period it counts in (`2026-10`); periods sort as text.
    pub period: String,
    /// The customer, for touch conditions and attribution shares.
    pub customer: Option<String>,
    /// Channel the order was placed on (required unless a refund).
    pub origin: Option<String>,
    /// Channel or store that fulfilled it (required unless a refund).
    pub fulfilment: Option<String>,
    /// Ordered online, picked up in store.
    pub click_and_collect: bool,
    /// Product category.
    pub category: Option<String>,
    /// Delivery zone (franchise territory).
    pub zone: Option<String>,
    /// Member of staff credited.
    pub staff: Option<String>,
    /// Amount (for a refund: the amount refunded, positive).
    pub amount: Decimal,
    /// Extra purchase at a click-and-collect pickup (for a refund: the part of it refunded).
    pub extra_amount: Decimal,
    /// The sale a refund reverses.
    pub refund_of: Option<String>,
    /// Where the sale is in the input (`input.sales[3]`).
    pub path: String,
}

/// A customer touch: channel and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerTouch {
    /// The customer.
    pub customer: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// The channel.
    pub channel: String,
    /// Where it is in the input.
    pub path: String,
}

/// What produced a payout line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A share of a sale.
    Sale,
    /// A refund reversing (part of) a sale's line.
    Clawback,
    /// A tier's accelerator over a period.
    Accelerator,
    /// A cap bringing a period's pay down.
    Cap,
    /// A floor bringing a period's pay up.
    Floor,
    /// A growth bonus.
    Bonus,
}

impl LineKind {
    /// The spelling in results and CSV files.
    pub fn name(self) -> &'static str {
        match self {
            LineKind::Sale => "sale",
            LineKind::Clawback => "clawback",
            LineKind::Accelerator => "accelerator",
            LineKind::Cap => "cap",
            LineKind::Floor => "floor",
            LineKind::Bonus => "bonus",
        }
    }
}

/// One payout line: who gets how much, for which sale (or period adjustment), under which rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The sale or refund (`None` for a period adjustment).
    pub sale_id: Option<String>,
    /// The period it is paid in.
    pub period: String,
    /// The party paid.
    pub party: String,
    /// The rule, tier, limit or bonus id.
    pub rule: String,
    /// What produced it.
    pub kind: LineKind,
    /// The amount at the currency's minor unit (negative for a clawback).
    pub amount: Decimal,
    /// How the amount was computed, for a finance analyst.
    pub explanation: String,
}

/// One party's pay in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyPeriod {
    /// The party.
    pub party: String,
    /// Sum of its sale and clawback lines.
    pub earned: Decimal,
    /// Tier adjustment.
    pub accelerator: Decimal,
    /// Cap or floor adjustment.
    pub limit: Decimal,
    /// Growth bonus.
    pub bonus: Decimal,
    /// What is paid: earned + accelerator + limit + bonus.
    pub payable: Decimal,
}

/// One period's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodTotals {
    /// The period.
    pub period: String,
    /// Amounts plus extra amounts of its sales, minus its refunds, over every channel.
    pub net_sales: Decimal,
    /// Change of net sales from the previous period (`None` for the first).
    pub growth: Option<Decimal>,
    /// Per party, in declared order.
    pub parties: Vec<PartyPeriod>,
    /// Sum of what is payable.
    pub total: Decimal,
}

/// Why a sale produced no payout line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnpaidReason {
    /// No rule of the policy matches the sale.
    NoRule,
    /// A refund of a sale that paid nothing.
    OriginalUnpaid,
    /// A refund later than the policy's clawback window.
    OutsideClawbackWindow,
    /// A refund of zero.
    NothingRefunded,
}

impl UnpaidReason {
    /// The reason as the output writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            UnpaidReason::NoRule => "no_rule",
            UnpaidReason::OriginalUnpaid => "original_unpaid",
            UnpaidReason::OutsideClawbackWindow => "outside_clawback_window",
            UnpaidReason::NothingRefunded => "nothing_refunded",
        }
    }
}

/// A sale that produced no payout line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpaid {
    /// The sale's id.
    pub sale_id: String,
    /// Why.
    pub reason: UnpaidReason,
}

/// The canonical payouts of a set of sales under a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The policy's id and version.
    pub policy: (String, String),
    /// The currency code.
    pub currency: String,
    /// Its minor units (every amount of the result has exactly this scale).
    pub minor_units: u32,
    /// Every line: sales and refunds in input order, then period adjustments.
    pub lines: Vec<Line>,
    /// Sales that produced no line, with the reason.
    pub unpaid: Vec<Unpaid>,
    /// Per period.
    pub periods: Vec<PeriodTotals>,
    /// Sales read, used (paid or clawed back), rejected (unpaid).
    pub rows: RowCounts,
}

// ----------------------------------------------------------------------------- reading

/// Reads the `sales` list of an input, in the policy's currency.
///
/// # Errors
/// Shape errors with the row's path, `duplicate_key` (sale id), `currency_mismatch`,
/// `invalid_money_scale`, `negative_amount`, `empty_input`.
pub(crate) fn read_sales(record: &Record, policy: &Policy) -> Result<Vec<Sale>> {
    let mut seen = BTreeSet::new();
    record
        .non_empty_list("sales")?
        .iter()
        .map(|(path, v)| {
            let r = Record::new(
                v,
                path,
                &[
                    "sale_id",
                    "timestamp",
                    "period",
                    "customer_id",
                    "origin_channel",
                    "fulfilment_channel",
                    "click_and_collect",
                    "category",
                    "zone",
                    "staff",
                    "amount",
                    "extra_amount",
                    "currency",
                    "refund_of",
                ],
            )?;
            let id = r.text("sale_id")?;
            if !seen.insert(id.clone()) {
                return Err(KpiError::at(
                    ErrorCode::DuplicateKey,
                    &r.field_path("sale_id"),
                    format!("repeats the sale id `{id}`"),
                ));
            }
            let refund_of = r.opt_text("refund_of")?;
            let required = |key: &str| -> Result<Option<String>> {
                match (r.opt_text(key)?, &refund_of) {
                    (None, None) => Err(KpiError::at(
                        ErrorCode::MissingField,
                        &r.field_path(key),
                        "is missing",
                    )),
                    (value, _) => Ok(value),
                }
            };
            let amount = crate::money::read_amount(&r, "amount", &policy.currency, false)?;
            let extra_amount = if r.has("extra_amount") {
                crate::money::read_amount(&r, "extra_amount", &policy.currency, false)?
            } else {
                policy
                    .currency
                    .amount(Decimal::ZERO, &r.field_path("extra_amount"))?
            };
            Ok(Sale {
                timestamp: r.timestamp("timestamp")?,
                period: r.text("period")?,
                customer: r.opt_text("customer_id")?,
                origin: required("origin_channel")?,
                fulfilment: required("fulfilment_channel")?,
                click_and_collect: r.opt_bool("click_and_collect")?.unwrap_or(false),
                category: r.opt_text("category")?,
                zone: r.opt_text("zone")?,
                staff: r.opt_text("staff")?,
                amount,
                extra_amount,
                refund_of,
                path: path.clone(),
                id,
            })
        })
        .collect()
}

/// Reads the optional `touches` list of an input.
///
/// # Errors
/// Shape errors with the row's path.
pub(crate) fn read_touches(record: &Record) -> Result<Vec<CustomerTouch>> {
    if !record.has("touches") {
        return Ok(Vec::new());
    }
    record
        .list("touches")?
        .iter()
        .map(|(path, v)| {
            let r = Record::new(v, path, &["customer_id", "timestamp", "channel"])?;
            Ok(CustomerTouch {
                customer: r.text("customer_id")?,
                timestamp: r.timestamp("timestamp")?,
                channel: r.text("channel")?,
                path: path.clone(),
            })
        })
        .collect()
}

// ----------------------------------------------------------------------------- engine

struct Engine<'a> {
    policy: &'a Policy,
    /// Touches per customer, sorted by time (stable: input order among equal times).
    touches: BTreeMap<&'a str, Vec<&'a CustomerTouch>>,
    minor: u32,
}

fn overflow() -> KpiError {
    KpiError::overflow("an incentive amount")
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(overflow)
}

/// The checked sum of amounts.
fn sum_money(amounts: impl Iterator<Item = Decimal>) -> Result<Decimal> {
    amounts.into_iter().try_fold(Decimal::ZERO, add)
}

fn percent_of(amount: Decimal, percent: Decimal) -> Result<Decimal> {
    amount
        .checked_mul(percent)
        .and_then(|x| x.checked_div(Decimal::ONE_HUNDRED))
        .ok_or_else(overflow)
}

/// A paid line of an original sale, remembered for its clawbacks.
struct Paid {
    party: String,
    rule: String,
    base: Base,
    amount: Decimal,
    remaining: Decimal,
}

impl<'a> Engine<'a> {
    fn round(&self, value: Decimal) -> Decimal {
        self.policy.rounding.round(value, self.minor)
    }

    fn money(&self, value: Decimal) -> String {
        format!("{} {}", self.round(value), self.policy.currency.code())
    }

    fn matches(&self, rule: &Rule, sale: &Sale) -> bool {
        let w = &rule.when;
        let in_list = |list: &Option<Vec<String>>, value: &Option<String>| match list {
            None => true,
            Some(list) => value.as_ref().is_some_and(|v| list.contains(v)),
        };
        let of_kind = |kinds: &Option<Vec<String>>, value: &Option<String>| match kinds {
            None => true,
            Some(kinds) => value
                .as_deref()
                .and_then(|v| self.policy.party(v))
                .is_some_and(|p| kinds.contains(&p.kind)),
        };
        let base_positive = match rule.base {
            Base::Amount => true,
            Base::ExtraAmount => sale.extra_amount > Decimal::ZERO,
        };
        base_positive
            && in_list(&w.origin_channel, &sale.origin)
            && of_kind(&w.origin_kind, &sale.origin)
            && in_list(&w.fulfilment_channel, &sale.fulfilment)
            && of_kind(&w.fulfilment_kind, &sale.fulfilment)
            && w.click_and_collect
                .is_none_or(|flag| flag == sale.click_and_collect)
            && in_list(&w.category, &sale.category)
            && in_list(&w.zone, &sale.zone)
            && w.amount_min.is_none_or(|min| sale.amount >= min)
            && w.amount_max.is_none_or(|max| sale.amount < max)
            && w.online_touch.as_ref().is_none_or(|t| {
                self.window(sale, t.within_seconds, Some(&t.channels))
                    .next()
                    .is_some()
            })
    }

    /// The customer's touches on `channels` (all when `None`) in `(sale - seconds, sale]`.
    fn window<'s>(
        &'s self,
        sale: &'s Sale,
        seconds: i64,
        channels: Option<&'s Vec<String>>,
    ) -> impl Iterator<Item = &'a CustomerTouch> + 's {
        let from = sale.timestamp.saturating_sub(seconds);
        sale.customer
            .as_deref()
            .and_then(|c| self.touches.get(c))
            .into_iter()
            .flatten()
            .copied()
            .filter(move |t| {
                t.timestamp > from
                    && t.timestamp <= sale.timestamp
                    && channels.is_none_or(|list| list.contains(&t.channel))
            })
    }

    /// The winning rule of each group, in group order of first declaration.
    fn winners(&self, sale: &Sale) -> Vec<&'a Rule> {
        let mut groups: Vec<&str> = Vec::new();
        for rule in &self.policy.rules {
            if !groups.contains(&rule.group.as_str()) {
                groups.push(&rule.group);
            }
        }
        groups
            .iter()
            .filter_map(|g| {
                self.policy
                    .rules
                    .iter()
                    .filter(|r| r.group == *g && self.matches(r, sale))
                    // the highest priority; among equals (disjoint by validation) the first
                    .reduce(|best, r| if r.priority > best.priority { r } else { best })
            })
            .collect()
    }

    fn resolve(&self, field: SaleField, sale: &Sale) -> Result<String> {
        let value = match field {
            SaleField::OriginChannel => &sale.origin,
            SaleField::FulfilmentChannel => &sale.fulfilment,
            SaleField::Zone => &sale.zone,
            SaleField::Staff => &sale.staff,
        };
        let path = format!("{}.{}", sale.path, field.name());
        let value = value.as_deref().ok_or_else(|| {
            KpiError::at(
                ErrorCode::MissingField,
                &path,
                "is missing (a share of the matching rule is paid to the party it names)",
            )
        })?;
        let party = match field {
            SaleField::Zone => self.policy.zone_owner(value),
            _ => self.policy.party(value),
        };
        party.map(|p| p.id.clone()).ok_or_else(|| {
            KpiError::at(
                ErrorCode::UnknownParty,
                &path,
                match field {
                    SaleField::Zone => format!("is zone `{value}`, which no declared party owns"),
                    _ => format!("is `{value}`, which is not a declared party"),
                },
            )
        })
    }

    /// The lines of `rule` on an original sale.
    fn rule_lines(&self, rule: &Rule, sale: &Sale) -> Result<Vec<(String, Decimal, String)>> {
        let base = match rule.base {
            Base::Amount => sale.amount,
            Base::ExtraAmount => sale.extra_amount,
        };
        let about = rule
            .description
            .as_ref()
            .map_or_else(String::new, |d| format!(" ({d})"));
        let mut lines: Vec<(String, Decimal, String)> = Vec::new();
        let percents: Vec<(usize, Decimal)> = rule
            .shares
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.amount {
                ShareAmount::Percent(p) => Some((i, p)),
                ShareAmount::Fixed(_) => None,
            })
            .collect();
        let pool_percent = sum_money(percents.iter().map(|(_, p)| *p))?;
        let mut parts: BTreeMap<usize, (Decimal, String)> = BTreeMap::new();
        if !percents.is_empty() {
            let exact = percent_of(base, pool_percent)?.normalize();
            let pool_percent = pool_percent.normalize();
            let pool = self.round(exact);
            let weights: Vec<Decimal> = percents.iter().map(|(_, p)| *p).collect();
            let split = allocate(pool, self.minor, &weights, "shares")?;
            let single = percents.len() == 1;
            for ((i, pct), part) in percents.iter().zip(split) {
                let how = if single {
                    format!(
                        "{}: {pct}% of {} {} = {exact} -> {} ({})",
                        rule.id,
                        base.abs(),
                        rule.base.name(),
                        self.money(part.amount),
                        self.policy.rounding.name()
                    )
                } else {
                    format!(
                        "{}: {pct} of the {pool_percent}% pool on {} {} ({exact} -> {}, {}) = {}{}",
                        rule.id,
                        base.abs(),
                        rule.base.name(),
                        self.money(pool),
                        self.policy.rounding.name(),
                        self.money(part.amount),
                        if part.extra_unit {
                            ", with one leftover minor unit (largest remainder)"
                        } else {
                            ""
                        }
                    )
                };
                parts.insert(*i, (part.amount, how));
            }
        }
        for (i, share) in rule.shares.iter().enumerate() {
            let (amount, how) = match share.amount {
                ShareAmount::Fixed(f) => {
                    (f, format!("{}: fixed {} per sale", rule.id, self.money(f)))
                }
                ShareAmount::Percent(_) => parts.remove(&i).unwrap_or_default(),
            };
            match &share.recipient {
                Recipient::Party(p) => lines.push((p.clone(), amount, format!("{how}{about}"))),
                Recipient::From(field) => {
                    let party = self.resolve(*field, sale)?;
                    lines.push((
                        party,
                        amount,
                        format!("{how}, to the sale's {}{about}", field.name()),
                    ));
                }
                Recipient::Attribution(a) => {
                    lines.extend(self.attributed(a, sale, amount, &how, &about)?);
                }
            }
        }
        Ok(lines)
    }

    /// A share split between the channels that touched the customer, by attribution weight.
    fn attributed(
        &self,
        a: &AttributionShare,
        sale: &Sale,
        amount: Decimal,
        how: &str,
        about: &str,
    ) -> Result<Vec<(String, Decimal, String)>> {
        let touches: Vec<&CustomerTouch> = self
            .window(sale, a.lookback_seconds, a.channels.as_ref())
            .collect();
        let model = a.model.id().trim_start_matches("attribution.");
        if touches.is_empty() {
            return Ok(vec![(
                a.fallback.clone(),
                amount,
                format!(
                    "{how}; no qualifying touch, so all to the fallback {}{about}",
                    a.fallback
                ),
            )]);
        }
        let mut ids: Vec<&str> = Vec::new();
        let mut channels: Vec<u16> = Vec::new();
        for t in &touches {
            if self.policy.party(&t.channel).is_none() {
                return Err(KpiError::at(
                    ErrorCode::UnknownParty,
                    &format!("{}.channel", t.path),
                    format!(
                        "is `{}`, which is not a declared party but receives attribution credit for {}",
                        t.channel, sale.path
                    ),
                ));
            }
            let id = ids.iter().position(|c| *c == t.channel).unwrap_or_else(|| {
                ids.push(&t.channel);
                ids.len().saturating_sub(1) // just pushed: not empty
            });
            channels.push(u16::try_from(id).map_err(|_| overflow())?);
        }
        let times: Vec<i64> = touches.iter().map(|t| t.timestamp).collect();
        let mut weights = Vec::new();
        a.model.fill_weights(
            &a.model.prepared(),
            &[],
            &channels,
            &times,
            &[],
            &mut weights,
        );
        // Credit per channel, in the policy's declared party order.
        let mut per: Vec<(usize, &str, i128)> = ids
            .iter()
            .map(|c| (self.policy.party_rank(c), *c, 0i128))
            .collect();
        for (c, w) in channels.iter().zip(&weights) {
            if let Some(slot) = per.get_mut(usize::from(*c)) {
                slot.2 = slot.2.checked_add(*w).ok_or_else(overflow)?;
            }
        }
        per.sort_by_key(|(rank, _, _)| *rank);
        let total = per
            .iter()
            .try_fold(0i128, |acc, p| acc.checked_add(p.2))
            .ok_or_else(overflow)?;
        let mut units = amount.abs();
        units.rescale(self.minor);
        let ws: Vec<i128> = per.iter().map(|p| p.2).collect();
        let split = split_units(units.mantissa(), &ws).ok_or_else(overflow)?;
        per.iter()
            .zip(split)
            .map(|((_, channel, w), (u, _))| {
                let signed = if amount.is_sign_negative() {
                    u.checked_neg().ok_or_else(overflow)?
                } else {
                    u
                };
                let value = Decimal::try_from_i128_with_scale(signed, self.minor)
                    .map_err(|_| overflow())?;
                Ok((
                    (*channel).to_owned(),
                    value,
                    format!(
                        "{how}; {model} attribution over {} touches gives {channel} weight {}/{} = {}{about}",
                        touches.len(),
                        reduce(*w, total).0,
                        reduce(*w, total).1,
                        self.money(value)
                    ),
                ))
            })
            .collect()
    }
}

/// `w/total` in lowest terms, for explanations.
fn reduce(w: i128, total: i128) -> (i128, i128) {
    fn gcd(a: i128, b: i128) -> i128 {
        match a.checked_rem(b) {
            Some(r) => gcd(b, r),
            None => a.checked_abs().unwrap_or(1).max(1), // b == 0 (or i128::MIN % -1)
        }
    }
    let g = gcd(w, total);
    (
        w.checked_div(g).unwrap_or(w),
        total.checked_div(g).unwrap_or(total),
    )
}

/// What the split has paid so far, per sale: its lines, why it is unpaid, and what each of its
/// lines has left to claw back.
struct Ledger {
    per_sale: Vec<Vec<Line>>,
    unpaid: Vec<Option<UnpaidReason>>,
    paid: Vec<Vec<Paid>>,
}

impl Ledger {
    fn new(sales: usize) -> Self {
        Self {
            per_sale: vec![Vec::new(); sales],
            unpaid: vec![None; sales],
            paid: (0..sales).map(|_| Vec::new()).collect(),
        }
    }

    /// Pays every sale (refunds aside) by the rules that win it.
    fn pay_sales(&mut self, engine: &Engine, sales: &[Sale]) -> Result<()> {
        let Ledger {
            per_sale,
            unpaid,
            paid,
        } = self;
        for (i, sale) in sales.iter().enumerate() {
            if sale.refund_of.is_some() {
                continue;
            }
            let winners = engine.winners(sale);
            if winners.is_empty() {
                if let Some(u) = unpaid.get_mut(i) {
                    *u = Some(UnpaidReason::NoRule);
                }
            }
            for rule in winners {
                for (party, amount, explanation) in engine.rule_lines(rule, sale)? {
                    if let Some(p) = paid.get_mut(i) {
                        p.push(Paid {
                            party: party.clone(),
                            rule: rule.id.clone(),
                            base: rule.base,
                            amount,
                            remaining: amount,
                        });
                    }
                    if let Some(l) = per_sale.get_mut(i) {
                        l.push(Line {
                            sale_id: Some(sale.id.clone()),
                            period: sale.period.clone(),
                            party,
                            rule: rule.id.clone(),
                            kind: LineKind::Sale,
                            amount,
                            explanation,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Claws refunds back from what their sale's lines have left.
    fn claw_back(
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
            let o = *index.get(target).ok_or_else(|| {
                KpiError::at(
                    ErrorCode::UnknownSale,
                    &format!("{}.refund_of", refund.path),
                    format!("names `{target}`, which is not a sale of the input"),
                )
            })?;
            let original = sales.get(o).ok_or_else(overflow)?;
            if original.refund_of.is_some() {
                return Err(KpiError::at(
                    ErrorCode::UnknownSale,
                    &format!("{}.refund_of", refund.path),
                    format!("names `{target}`, which is itself a refund"),
                ));
            }
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
                    let claws: Vec<(Decimal, String)> = if complete.get(k).copied().unwrap_or(false)
                    {
                        members
                            .iter()
                            .filter_map(|j| lines.get(*j))
                            .map(|l| {
                                (
                                    negate(l.remaining),
                                    format!(
                                        "clawback of sale {target}: this refund completes its {} of {}, so the rest of the {} line of rule {rule} is reversed",
                                        base.name(),
                                        engine.money(whole),
                                        engine.money(l.amount)
                                    ),
                                )
                            })
                            .collect()
                    } else {
                        let originals: Vec<Decimal> = members
                            .iter()
                            .filter_map(|j| lines.get(*j).map(|l| l.amount))
                            .collect();
                        let total = sum_money(originals.iter().copied())?;
                        if total.is_zero() {
                            continue;
                        }
                        let exact = total
                            .checked_mul(given)
                            .and_then(|x| x.checked_div(whole))
                            .ok_or_else(overflow)?;
                        let claw = engine.round(exact);
                        let parts = allocate(negate(claw), engine.minor, &originals, "lines")?;
                        parts
                            .into_iter()
                            .zip(&originals)
                            .map(|(p, orig)| {
                                (
                                    p.amount,
                                    format!(
                                        "clawback of sale {target}: refund of {} of its {} of {}; rule {rule} paid {} in all, {}/{} of it = {exact} -> {}, of which this line's part (of {}) is {}",
                                        engine.money(given),
                                        base.name(),
                                        engine.money(whole),
                                        engine.money(total),
                                        given,
                                        whole,
                                        engine.money(negate(claw)),
                                        engine.money(*orig),
                                        engine.money(p.amount)
                                    ),
                                )
                            })
                            .collect()
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

/// Applies `policy` to `sales` (with the customers' `touches` for touch conditions and
/// attribution shares).
///
/// # Example
/// ```
/// use serde_json::json;
/// let out = omnikpi::evaluate("incentives.split", &json!({
///     "policy": {"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
///                "currency": "EUR",
///                "parties": [{"id": "web", "kind": "channel"}, {"id": "lille", "kind": "store"}],
///                "rules": [{"id": "cc", "when": {"click_and_collect": true},
///                           "shares": [{"party": "web", "percent": "5"},
///                                      {"party_from": "fulfilment_channel", "percent": "3"}]}]},
///     "sales": [{"sale_id": "o1", "timestamp": 0, "period": "2026-10", "origin_channel": "web",
///                "fulfilment_channel": "lille", "click_and_collect": true, "amount": "89.19"}]
/// }), &json!(null)).unwrap().to_json();
/// assert_eq!(out["lines"][0]["amount"], "4.46");
/// assert_eq!(out["lines"][1]["amount"], "2.68"); // 7.14 split 5:3, parts sum to the pool
/// ```
///
/// # Errors
/// `unknown_sale`, `refund_exceeds_sale`, `unknown_party`, `missing_field` (a share names a
/// sale field the sale lacks), `arithmetic_overflow`.
pub fn split(policy: &Policy, sales: &[Sale], touches: &[CustomerTouch]) -> Result<Split> {
    let mut by_customer: BTreeMap<&str, Vec<&CustomerTouch>> = BTreeMap::new();
    for t in touches {
        by_customer.entry(&t.customer).or_default().push(t);
    }
    for list in by_customer.values_mut() {
        list.sort_by_key(|t| t.timestamp);
    }
    let engine = Engine {
        policy,
        touches: by_customer,
        minor: policy.currency.minor_units(),
    };
    let index: BTreeMap<&str, usize> = sales
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut ledger = Ledger::new(sales.len());
    ledger.pay_sales(&engine, sales)?;
    ledger.claw_back(&engine, sales, &index)?;
    let Ledger {
        per_sale, unpaid, ..
    } = ledger;
    let mut lines: Vec<Line> = per_sale.into_iter().flatten().collect();
    let periods = period_totals(&engine, sales, &mut lines)?;
    let unpaid: Vec<Unpaid> = sales
        .iter()
        .zip(&unpaid)
        .filter_map(|(s, u)| {
            u.map(|reason| Unpaid {
                sale_id: s.id.clone(),
                reason,
            })
        })
        .collect();
    Ok(Split {
        policy: (policy.id.clone(), policy.version.clone()),
        currency: policy.currency.code().to_owned(),
        minor_units: engine.minor,
        rows: RowCounts::with_rejected(sales.len(), unpaid.len()),
        lines,
        unpaid,
        periods,
    })
}

/// Tiers, limits and bonuses per period; appends their lines to `lines`.
fn period_totals(
    engine: &Engine,
    sales: &[Sale],
    lines: &mut Vec<Line>,
) -> Result<Vec<PeriodTotals>> {
    let policy = engine.policy;
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
    let mut out = Vec::new();
    let mut previous: Option<Decimal> = None;
    for period in names {
        let net_sales = net.get(period).copied().unwrap_or_default();
        let growth = previous
            .map(|p| net_sales.checked_sub(p).ok_or_else(overflow))
            .transpose()?;
        previous = Some(net_sales);
        let mut earned: BTreeMap<usize, (String, Decimal)> = BTreeMap::new();
        for l in lines.iter().filter(|l| l.period == period) {
            let slot = earned
                .entry(policy.party_rank(&l.party))
                .or_insert((l.party.clone(), Decimal::ZERO));
            slot.1 = add(slot.1, l.amount)?;
        }
        for limit in policy.limits.iter().filter(|l| l.floor.is_some()) {
            earned
                .entry(policy.party_rank(&limit.party))
                .or_insert((limit.party.clone(), Decimal::ZERO));
        }
        let mut bonus_of: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut adjustments: Vec<Line> = Vec::new();
        for b in &policy.bonuses {
            let Some(g) = growth.filter(|g| *g > Decimal::ZERO) else {
                continue;
            };
            let exact = percent_of(g, b.percent)?;
            let pool = engine.round(exact);
            let parts = allocate(pool, engine.minor, &b.weights, "bonuses")?;
            for (party, part) in b.parties.iter().zip(parts) {
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
                    explanation: format!(
                        "{}: {}% of the growth of total net sales over every channel ({} -> {}: {}) = {exact} -> pool {}, shared by {} parties; this part {}",
                        b.id,
                        b.percent,
                        engine.money(net_sales.checked_sub(g).ok_or_else(overflow)?),
                        engine.money(net_sales),
                        engine.money(g),
                        engine.money(pool),
                        b.parties.len(),
                        engine.money(part.amount)
                    ),
                });
            }
        }
        let mut parties = Vec::new();
        let mut total = Decimal::ZERO;
        for (party, earned) in earned.into_values() {
            let mut accelerator = Decimal::ZERO;
            if let Some(tier) = policy.tiers.iter().find(|t| t.parties.contains(&party)) {
                if earned > Decimal::ZERO {
                    let adjusted = tiered(&tier.bands, tier.mode, earned)?;
                    accelerator = engine
                        .round(adjusted)
                        .checked_sub(earned)
                        .ok_or_else(overflow)?;
                    if !accelerator.is_zero() {
                        let bands: Vec<String> = tier
                            .bands
                            .iter()
                            .map(|(from, m)| format!("from {from}: x{m}"))
                            .collect();
                        adjustments.push(Line {
                            sale_id: None,
                            period: period.to_owned(),
                            party: party.clone(),
                            rule: tier.id.clone(),
                            kind: LineKind::Accelerator,
                            amount: accelerator,
                            explanation: format!(
                                "{} ({} tiers: {}): earnings of {} become {} -> {}, an accelerator of {}",
                                tier.id,
                                if tier.mode == TierMode::Step { "step" } else { "flat" },
                                bands.join(", "),
                                engine.money(earned),
                                adjusted.normalize(),
                                engine.money(adjusted),
                                engine.money(accelerator)
                            ),
                        });
                    }
                }
            }
            let subtotal = add(earned, accelerator)?;
            let mut limit = Decimal::ZERO;
            if let Some(l) = policy.limits.iter().find(|l| l.party == party) {
                let (kind, bound, target) = match (l.floor, l.cap) {
                    (Some(f), _) if subtotal < f => (LineKind::Floor, "floor", f),
                    (_, Some(c)) if subtotal > c => (LineKind::Cap, "cap", c),
                    _ => (LineKind::Sale, "", subtotal),
                };
                limit = target.checked_sub(subtotal).ok_or_else(overflow)?;
                if !limit.is_zero() {
                    adjustments.push(Line {
                        sale_id: None,
                        period: period.to_owned(),
                        party: party.clone(),
                        rule: format!("{bound}:{party}"),
                        kind,
                        amount: limit,
                        explanation: format!(
                            "{bound} of {} per period: pay before bonuses of {} adjusted by {}",
                            engine.money(target),
                            engine.money(subtotal),
                            engine.money(limit)
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
        });
    }
    Ok(out)
}

/// Earnings after a tier table: step (each band's slice at its multiplier) or flat.
fn tiered(bands: &[(Decimal, Decimal)], mode: TierMode, earned: Decimal) -> Result<Decimal> {
    match mode {
        TierMode::Flat => {
            let m = bands
                .iter()
                .rev()
                .find(|(from, _)| earned >= *from)
                .map_or(Decimal::ONE, |(_, m)| *m);
            earned.checked_mul(m).ok_or_else(overflow)
        }
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

// ----------------------------------------------------------------------------- output

impl Split {
    /// Payable per party over every period, in declared order.
    ///
    /// # Errors
    /// `arithmetic_overflow` when a party's total does not fit.
    pub fn payable_by_party(&self) -> Result<Vec<(String, Decimal)>> {
        let mut totals: Vec<(String, Decimal)> = Vec::new();
        for p in self.periods.iter().flat_map(|p| &p.parties) {
            match totals.iter_mut().find(|(party, _)| *party == p.party) {
                Some(slot) => slot.1 = add(slot.1, p.payable)?,
                None => totals.push((p.party.clone(), p.payable)),
            }
        }
        Ok(totals)
    }

    /// `{id, version}` of the policy, as every incentive result starts.
    pub(crate) fn policy_output(&self) -> Output {
        Output::record([
            ("id", self.policy.0.as_str().into()),
            ("version", self.policy.1.as_str().into()),
        ])
    }

    /// `[{party, payable}]` over every period, in declared order.
    fn by_party_output(&self) -> Result<Output> {
        Ok(Output::List(
            self.payable_by_party()?
                .into_iter()
                .map(|(party, payable)| {
                    Output::record([
                        ("party", party.into()),
                        ("payable", Output::Decimal(self.money(payable))),
                    ])
                })
                .collect(),
        ))
    }

    /// One party's pay in a period; `period` leads the record when given (the flat summary).
    fn party_period_output(&self, period: Option<&str>, q: &PartyPeriod) -> Output {
        let money = |d: Decimal| Output::Decimal(self.money(d));
        let mut fields: Vec<(&str, Output)> =
            period.map(|p| ("period", p.into())).into_iter().collect();
        fields.extend([
            ("party", q.party.as_str().into()),
            ("earned", money(q.earned)),
            ("accelerator", money(q.accelerator)),
            ("limit", money(q.limit)),
            ("bonus", money(q.bonus)),
            ("payable", money(q.payable)),
        ]);
        Output::record(fields)
    }

    fn unpaid_output(&self) -> Output {
        Output::List(
            self.unpaid
                .iter()
                .map(|u| {
                    Output::record([
                        ("sale_id", u.sale_id.as_str().into()),
                        ("reason", u.reason.as_str().into()),
                    ])
                })
                .collect(),
        )
    }

    /// `d` at exactly the currency's minor-unit scale (amounts are already exact there).
    pub fn money(&self, d: Decimal) -> Decimal {
        let mut d = d;
        d.rescale(self.minor_units);
        d
    }

    /// The result tree (the `incentives.split` output).
    ///
    /// # Errors
    /// `arithmetic_overflow` when a total does not fit.
    pub fn to_output(&self) -> Result<Output> {
        let money = |d: Decimal| Output::Decimal(self.money(d));
        let line = |l: &Line| {
            Output::record([
                ("sale_id", l.sale_id.clone().into()),
                ("period", l.period.as_str().into()),
                ("party", l.party.as_str().into()),
                ("rule", l.rule.as_str().into()),
                ("kind", l.kind.name().into()),
                ("amount", money(l.amount)),
                ("explanation", l.explanation.as_str().into()),
            ])
        };
        let total = sum_money(self.periods.iter().map(|p| p.total))?;
        Ok(Output::record([
            ("policy", self.policy_output()),
            ("currency", self.currency.as_str().into()),
            ("lines", Output::List(self.lines.iter().map(line).collect())),
            ("unpaid", self.unpaid_output()),
            (
                "periods",
                Output::List(
                    self.periods
                        .iter()
                        .map(|p| {
                            Output::record([
                                ("period", p.period.as_str().into()),
                                ("net_sales", money(p.net_sales)),
                                ("growth", p.growth.map_or(Output::Null, money)),
                                (
                                    "parties",
                                    Output::List(
                                        p.parties
                                            .iter()
                                            .map(|q| self.party_period_output(None, q))
                                            .collect(),
                                    ),
                                ),
                                ("total", money(p.total)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("parties", self.by_party_output()?),
            ("total", money(total)),
            ("rows", self.rows.into()),
        ]))
    }
}

impl Split {
    /// A summary for reports: `payouts` per period and party (earned, accelerator, limit,
    /// bonus, payable), `by_party` (payable over all periods, with the total), `by_rule` (lines
    /// and amount per rule and kind), `unpaid` and `rows`.
    ///
    /// # Errors
    /// `arithmetic_overflow` when a total does not fit.
    pub fn summary(&self) -> Result<Output> {
        let money = |d: Decimal| Output::Decimal(self.money(d));
        let payouts = self
            .periods
            .iter()
            .flat_map(|p| {
                p.parties
                    .iter()
                    .map(move |q| self.party_period_output(Some(&p.period), q))
            })
            .collect();
        let total = sum_money(self.payable_by_party()?.iter().map(|(_, p)| *p))?;
        let mut by_rule: Vec<(String, LineKind, u64, Decimal)> = Vec::new();
        for l in &self.lines {
            match by_rule
                .iter_mut()
                .find(|(r, k, _, _)| *r == l.rule && *k == l.kind)
            {
                Some(slot) => {
                    slot.2 = slot.2.saturating_add(1); // at most the number of lines
                    slot.3 = add(slot.3, l.amount)?;
                }
                None => by_rule.push((l.rule.clone(), l.kind, 1, l.amount)),
            }
        }
        Ok(Output::record([
            ("currency", self.currency.as_str().into()),
            ("payouts", Output::List(payouts)),
            ("by_party", self.by_party_output()?),
            ("overall", Output::record([("payable", money(total))])),
            (
                "by_rule",
                Output::List(
                    by_rule
                        .into_iter()
                        .map(|(rule, kind, n, amount)| {
                            Output::record([
                                ("rule", rule.into()),
                                ("kind", kind.name().into()),
                                ("lines", n.into()),
                                ("amount", money(amount)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("unpaid", self.unpaid_output()),
            ("rows", self.rows.into()),
        ]))
    }
}

/// Reads a policy, sales and touches from a KPI input record.
pub(crate) fn read_input(record: &Record) -> Result<(Policy, Vec<Sale>, Vec<CustomerTouch>)> {
    let (ppath, pv) = record.field("policy");
    if pv.is_null() {
        return Err(KpiError::at(ErrorCode::MissingField, &ppath, "is missing"));
    }
    let policy = Policy::read(pv, &ppath)?;
    let sales = read_sales(record, &policy)?;
    let touches = read_touches(record)?;
    Ok((policy, sales, touches))
}

/// The split of an `incentives.split` input (`{"policy", "sales", "touches"}`), typed, for
/// callers that want the lines and totals rather than the JSON-shaped result.
///
/// # Errors
/// As [`crate::evaluate`] on `incentives.split`.
pub fn split_input(input: &Value) -> Result<Split> {
    let record = Record::new(input, "input", &["policy", "sales", "touches"])?;
    let (policy, sales, touches) = read_input(&record)?;
    split(&policy, &sales, &touches)
}

pub(crate) fn evaluate_split(input: &Value, _params: &crate::catalog::Params) -> Result<Output> {
    split_input(input)?.to_output()
}
