//! What-if: the same sales under two policies, and what changes for each party and period.

use super::policy::History;
use super::sale::{read_sales, read_touches};
use super::split::split;
use super::summary::Split;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// What one party is paid in one period under each policy (or under one rule of them).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The period.
    pub period: String,
    /// The party.
    pub party: String,
    /// The rule, tier, limit or bonus (`None` on a party's payable).
    pub rule: Option<String>,
    /// Under the first policy.
    pub before: Decimal,
    /// Under the second policy.
    pub after: Decimal,
    /// after - before.
    pub change: Decimal,
}

/// The impact of replacing one policy by another on the same sales.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// The split under the first policy.
    pub before: Split,
    /// The split under the second policy.
    pub after: Split,
    /// Payable per period and party, wherever either policy pays something.
    pub parties: Vec<Change>,
    /// Per period, party and rule, only where the amount changes: the rules that cause it.
    pub rules: Vec<Change>,
    /// Sales whose lines differ between the two policies.
    pub sales_changed: u64,
}

fn overflow() -> KpiError {
    KpiError::overflow("a payout total")
}

/// Amounts per key under each policy, keys in order of first appearance.
#[derive(Default)]
struct Sides {
    keys: Vec<(String, String, Option<String>)>,
    amounts: HashMap<(String, String, Option<String>), (Decimal, Decimal)>,
}

impl Sides {
    fn add(
        &mut self,
        key: (String, String, Option<String>),
        after: bool,
        amount: Decimal,
    ) -> Result<()> {
        if !self.amounts.contains_key(&key) {
            self.keys.push(key.clone());
        }
        let slot = self.amounts.entry(key).or_default();
        let side = if after { &mut slot.1 } else { &mut slot.0 };
        *side = side.checked_add(amount).ok_or_else(overflow)?;
        Ok(())
    }

    /// The changes, sorted by period (stable: parties in order of first appearance), keeping
    /// those `keep` accepts.
    fn changes(self, keep: impl Fn(&(Decimal, Decimal)) -> bool) -> Result<Vec<Change>> {
        let mut out = Vec::new();
        for key in self.keys {
            let Some(&(before, after)) = self.amounts.get(&key) else {
                continue;
            };
            if !keep(&(before, after)) {
                continue;
            }
            let (period, party, rule) = key;
            let change = after.checked_sub(before).ok_or_else(overflow)?;
            out.push(Change {
                period,
                party,
                rule,
                before,
                after,
                change,
            });
        }
        out.sort_by(|a, b| a.period.cmp(&b.period));
        Ok(out)
    }
}

/// How many sales (and refunds) have different lines under the two splits.
fn sales_changed(before: &Split, after: &Split) -> u64 {
    let per_sale = |s: &Split| {
        let mut m: HashMap<String, Vec<(String, String, Decimal)>> = HashMap::new();
        for l in &s.lines {
            if let Some(id) = &l.sale_id {
                m.entry(id.clone())
                    .or_default()
                    .push((l.party.clone(), l.rule.clone(), l.amount));
            }
        }
        m
    };
    let (b, a) = (per_sale(before), per_sale(after));
    let mut ids: Vec<&String> = b.keys().chain(a.keys()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.iter().filter(|id| b.get(**id) != a.get(**id)).count() as u64
}

/// Splits `sales` under `before` and under `after` and compares them per period and party,
/// and per rule where an amount changes.
///
/// # Errors
/// As [`split`] under either policy; `currency_mismatch` when the policies pay in different
/// currencies.
pub fn diff(
    before: &History,
    after: &History,
    sales: &[super::Sale],
    touches: &[super::CustomerTouch],
) -> Result<Diff> {
    let (before, after) = (
        split(before, sales, touches, &[])?,
        split(after, sales, touches, &[])?,
    );
    let mut parties = Sides::default();
    let mut rules = Sides::default();
    for (s, is_after) in [(&before, false), (&after, true)] {
        for p in &s.periods {
            for pp in &p.parties {
                parties.add(
                    (p.period.clone(), pp.party.clone(), None),
                    is_after,
                    pp.payable,
                )?;
            }
        }
        for l in &s.lines {
            let key = (l.period.clone(), l.party.clone(), Some(l.rule.clone()));
            rules.add(key, is_after, l.amount)?;
        }
    }
    Ok(Diff {
        sales_changed: sales_changed(&before, &after),
        parties: parties.changes(|(b, a)| !b.is_zero() || !a.is_zero())?,
        rules: rules.changes(|(b, a)| b != a)?,
        before,
        after,
    })
}

impl Diff {
    /// Sales read, used (paid or clawed back under either policy), rejected (unpaid under both).
    pub fn rows(&self) -> RowCounts {
        let unpaid_after: HashSet<&str> = self
            .after
            .unpaid
            .iter()
            .map(|u| u.sale_id.as_str())
            .collect();
        let both = self
            .before
            .unpaid
            .iter()
            .filter(|u| unpaid_after.contains(u.sale_id.as_str()))
            .count();
        RowCounts::with_rejected(
            usize::try_from(self.after.rows.read).unwrap_or(usize::MAX),
            both,
        )
    }

    /// The result tree (the `incentives.diff` output).
    pub fn to_output(&self) -> Result<Output> {
        let money = |d: Decimal| Output::Decimal(self.after.money(d));
        let rows = |changes: &[Change], with_rule: bool| {
            Output::List(
                changes
                    .iter()
                    .map(|c| {
                        let mut fields = vec![
                            ("period", c.period.as_str().into()),
                            ("party", c.party.as_str().into()),
                        ];
                        if with_rule {
                            fields.push(("rule", c.rule.clone().into()));
                        }
                        fields.extend([
                            ("before", money(c.before)),
                            ("after", money(c.after)),
                            ("change", money(c.change)),
                        ]);
                        Output::record(fields)
                    })
                    .collect(),
            )
        };
        let (before, after) = (self.before.total()?, self.after.total()?);
        Ok(Output::record([
            ("before", self.before.policy_output()),
            ("after", self.after.policy_output()),
            ("currency", self.after.currency.as_str().into()),
            ("parties", rows(&self.parties, false)),
            ("rules", rows(&self.rules, true)),
            ("total_before", money(before)),
            ("total_after", money(after)),
            (
                "change",
                money(after.checked_sub(before).ok_or_else(overflow)?),
            ),
            ("sales_changed", self.sales_changed.into()),
            ("rows", self.rows().into()),
        ]))
    }
}

/// The diff of an `incentives.diff` input (`{"before", "after", "sales", "touches"}`).
///
/// # Errors
/// As [`crate::evaluate`] on `incentives.diff`.
pub fn diff_input(input: &Value) -> Result<Diff> {
    let record = Record::new(input, "input", &["before", "after", "sales", "touches"])?;
    let policy = |name: &str| {
        let (path, v) = record.field(name);
        if v.is_null() {
            return Err(KpiError::at(ErrorCode::MissingField, &path, "is missing"));
        }
        History::read(v, &path)
    };
    let (before, after) = (policy("before")?, policy("after")?);
    let currency = |h: &History| h.first.currency.code().to_owned();
    if currency(&before) != currency(&after) {
        let at = if after.later.is_empty() {
            format!("{}.currency", record.field_path("after"))
        } else {
            format!("{}[0].currency", record.field_path("after"))
        };
        return Err(KpiError::at(
            ErrorCode::CurrencyMismatch,
            &at,
            format!(
                "is `{}`, but the first policy pays in `{}`: a what-if compares policies in one currency",
                currency(&after),
                currency(&before)
            ),
        ));
    }
    let sales = read_sales(&record, &before.first)?;
    let touches = read_touches(&record)?;
    diff(&before, &after, &sales, &touches)
}

pub(crate) fn evaluate_diff(input: &Value, _params: &crate::catalog::Params) -> Result<Output> {
    diff_input(input)?.to_output()
}
