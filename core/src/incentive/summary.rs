//! What a split returns: lines, unpaid sales, period totals, and their output form.

use super::rules::{add, sum_money};
use crate::error::Result;
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;

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
    /// A negative balance carried from one period to the next.
    Carried,
    /// A prior-period adjustment: what a closed period's recomputation changes, booked in a
    /// later open period.
    Adjustment,
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
            LineKind::Carried => "carried",
            LineKind::Adjustment => "adjustment",
        }
    }

    /// The kind spelled `name` in results and CSV files.
    ///
    /// ```
    /// use omnikpi::incentive::LineKind;
    /// assert_eq!(LineKind::from_name("clawback"), Some(LineKind::Clawback));
    /// assert_eq!(LineKind::from_name("tip"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<LineKind> {
        [
            LineKind::Sale,
            LineKind::Clawback,
            LineKind::Accelerator,
            LineKind::Cap,
            LineKind::Floor,
            LineKind::Bonus,
            LineKind::Carried,
            LineKind::Adjustment,
        ]
        .into_iter()
        .find(|k| k.name() == name)
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

impl Line {
    /// The line as a result record, amounts written by `money`.
    pub(super) fn to_output(&self, money: &dyn Fn(Decimal) -> Output) -> Output {
        Output::record([
            ("sale_id", self.sale_id.clone().into()),
            ("period", self.period.as_str().into()),
            ("party", self.party.as_str().into()),
            ("rule", self.rule.as_str().into()),
            ("kind", self.kind.name().into()),
            ("amount", money(self.amount)),
            ("explanation", self.explanation.as_str().into()),
        ])
    }
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
    /// Prior-period adjustments booked in this period.
    pub adjustment: Decimal,
    /// A negative balance carried in from the previous period (negative), plus what this
    /// period carries out to the next (positive), when the policy carries balances forward.
    pub carried: Decimal,
    /// What this period carries out to the next (positive, part of `carried`).
    pub carried_out: Decimal,
    /// What is paid: earned + accelerator + limit + bonus + adjustment + carried.
    pub payable: Decimal,
}

impl PartyPeriod {
    /// Its amounts as every result writes them (earned, accelerator, limit, bonus,
    /// adjustment, carried, payable), each through `money`.
    pub(super) fn amounts(&self, money: impl Fn(Decimal) -> Output) -> Vec<(&'static str, Output)> {
        vec![
            ("earned", money(self.earned)),
            ("accelerator", money(self.accelerator)),
            ("limit", money(self.limit)),
            ("bonus", money(self.bonus)),
            ("adjustment", money(self.adjustment)),
            ("carried", money(self.carried)),
            ("payable", money(self.payable)),
        ]
    }

    /// A party with nothing in a period (yet).
    pub(super) fn idle(party: &str) -> PartyPeriod {
        PartyPeriod {
            party: party.to_owned(),
            earned: Decimal::ZERO,
            accelerator: Decimal::ZERO,
            limit: Decimal::ZERO,
            bonus: Decimal::ZERO,
            adjustment: Decimal::ZERO,
            carried: Decimal::ZERO,
            carried_out: Decimal::ZERO,
            payable: Decimal::ZERO,
        }
    }
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
    /// The digest of the period's close, when it is closed: its lines and pay are then as
    /// closed, and changes are booked as adjustments in a later period.
    pub closed: Option<String>,
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

// ----------------------------------------------------------------------------- output

/// `d` written at exactly `minor` places (an amount exact there already: nothing is rounded).
pub(super) fn at_minor(d: Decimal, minor: u32) -> Decimal {
    let mut d = d;
    d.rescale(minor);
    d
}

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
    /// Everything payable, over every period.
    ///
    /// # Errors
    /// `arithmetic_overflow` when the total does not fit.
    pub fn total(&self) -> Result<Decimal> {
        sum_money(self.periods.iter().map(|p| p.total))
    }

    pub(crate) fn policy_output(&self) -> Output {
        Output::record([
            ("id", self.policy.0.as_str().into()),
            ("version", self.policy.1.as_str().into()),
        ])
    }

    /// `[{party, payable}]` over every period, in declared order.
    pub(super) fn by_party_output(&self) -> Result<Output> {
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
    pub(super) fn party_period_output(&self, period: Option<&str>, q: &PartyPeriod) -> Output {
        let money = |d: Decimal| Output::Decimal(self.money(d));
        let mut fields: Vec<(&str, Output)> =
            period.map(|p| ("period", p.into())).into_iter().collect();
        fields.push(("party", q.party.as_str().into()));
        fields.extend(q.amounts(money));
        Output::record(fields)
    }

    pub(super) fn unpaid_output(&self) -> Output {
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
        at_minor(d, self.minor_units)
    }

    /// The result tree (the `incentives.split` output).
    ///
    /// # Errors
    /// `arithmetic_overflow` when a total does not fit.
    pub fn to_output(&self) -> Result<Output> {
        let money = |d: Decimal| Output::Decimal(self.money(d));
        let line = |l: &Line| l.to_output(&money);
        let total = self.total()?;
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
                                ("closed", p.closed.clone().into()),
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
