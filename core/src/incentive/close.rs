//! Period close: a period's lines and pay frozen in a record with a digest; later runs keep
//! a closed period as it was closed and book what a recomputation would change in it as a
//! prior-period adjustment in the next open period.

use super::explanation::{ADJUSTED_ALREADY, AND_MORE, BY_RULE, RESTATED};
use super::policy::History;
use super::rules::{add, sum_money, Engine};
use super::summary::{Line, LineKind, PartyPeriod, PeriodTotals, Split};
use crate::decimal::negate;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

/// The format of a closed period's record.
pub const CLOSE_FORMAT: &str = "omnikpi.incentive_close/1";

/// The rule id of the adjustment lines that restate `period`.
fn adjustment_rule(period: &str) -> String {
    format!("prior_period:{period}")
}

/// A period as it was closed: its lines and pay, frozen, and the digest that proves they are
/// as omnikpi wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct Closed {
    /// The period.
    pub period: String,
    /// The policy's id and version at the close.
    pub policy: (String, String),
    /// The currency code.
    pub currency: String,
    /// Its minor units.
    pub minor_units: u32,
    /// The period's lines.
    pub lines: Vec<Line>,
    /// The period's totals (its parties' pay, net sales, growth).
    pub totals: PeriodTotals,
    /// The sales read, used and rejected (unpaid) by the split that closed it.
    pub rows: RowCounts,
    /// `sha256:` and the hex digest of the record without it.
    pub digest: String,
}

impl Closed {
    /// Closes `period` of `split`: its lines and pay, with their digest.
    ///
    /// # Errors
    /// `closed_period` at `input.period` when the split has no such period or it is closed
    /// already.
    pub fn of(split: &Split, period: &str) -> Result<Closed> {
        let totals = split
            .periods
            .iter()
            .find(|p| p.period == period)
            .ok_or_else(|| {
                let known: Vec<&str> = split.periods.iter().map(|p| p.period.as_str()).collect();
                KpiError::at(
                    ErrorCode::ClosedPeriod,
                    "input.period",
                    format!(
                        "`{period}` has no sales to close (periods: {})",
                        known.join(", ")
                    ),
                )
            })?;
        if let Some(digest) = &totals.closed {
            return Err(KpiError::at(
                ErrorCode::ClosedPeriod,
                "input.period",
                format!("`{period}` is closed already ({digest})"),
            ));
        }
        let mut closed = Closed {
            period: period.to_owned(),
            policy: split.policy.clone(),
            currency: split.currency.clone(),
            minor_units: split.minor_units,
            lines: split
                .lines
                .iter()
                .filter(|l| l.period == period)
                .cloned()
                .collect(),
            totals: totals.clone(),
            rows: split.rows,
            digest: String::new(),
        };
        closed.digest = crate::certificate::digest(&closed.body().to_json());
        closed.totals.closed = Some(closed.digest.clone());
        Ok(closed)
    }

    fn money(&self, d: Decimal) -> Output {
        Output::Decimal(super::summary::at_minor(d, self.minor_units))
    }

    /// The record without its digest: what the digest is computed over.
    fn body(&self) -> Output {
        Output::record(self.body_fields())
    }

    /// The fields of [`Closed::body`], in order.
    fn body_fields(&self) -> Vec<(&'static str, Output)> {
        let money = |d: Decimal| self.money(d);
        let lines = self.lines.iter().map(|l| l.to_output(&money)).collect();
        let parties = self
            .totals
            .parties
            .iter()
            .map(|q| {
                let mut fields = vec![("party", q.party.as_str().into())];
                fields.extend(q.amounts(money));
                // what the period carries out, before payable: the next period starts from it
                let at = fields.len().saturating_sub(1);
                fields.insert(at, ("carried_out", money(q.carried_out)));
                Output::record(fields)
            })
            .collect();
        vec![
            ("format", CLOSE_FORMAT.into()),
            ("period", self.period.as_str().into()),
            (
                "policy",
                Output::record([
                    ("id", self.policy.0.as_str().into()),
                    ("version", self.policy.1.as_str().into()),
                ]),
            ),
            ("currency", self.currency.as_str().into()),
            ("lines", Output::List(lines)),
            ("parties", Output::List(parties)),
            ("net_sales", money(self.totals.net_sales)),
            ("growth", self.totals.growth.map_or(Output::Null, money)),
            ("total", money(self.totals.total)),
            ("rows", self.rows.into()),
        ]
    }

    /// The record (the `incentives.close` output): the body and its digest.
    pub fn to_output(&self) -> Output {
        let mut fields = self.body_fields();
        fields.push(("digest", self.digest.as_str().into()));
        Output::record(fields)
    }
}

// ----------------------------------------------------------------------------- reading

const FIELDS: [&str; 11] = [
    "format",
    "period",
    "policy",
    "currency",
    "lines",
    "parties",
    "net_sales",
    "growth",
    "total",
    "rows",
    "digest",
];

fn closed_error(path: &str, detail: impl std::fmt::Display) -> KpiError {
    KpiError::at(ErrorCode::ClosedPeriod, path, detail)
}

/// Reads the `closed` list of an input: the records `incentives close` wrote for `history`.
///
/// # Errors
/// `closed_period` when a record's digest does not match its content (it was edited), when
/// it was closed under another policy or currency, or when a period is closed twice; the
/// reading errors of its fields.
pub(crate) fn read_closed(record: &Record, history: &History) -> Result<Vec<Closed>> {
    if !record.has("closed") {
        return Ok(Vec::new());
    }
    let minor = history.first.currency.minor_units();
    let mut out: Vec<Closed> = Vec::new();
    for (path, v) in record.list("closed")? {
        let closed = read_one(&path, v, minor)?;
        if closed.policy.0 != history.first.id {
            return Err(closed_error(
                &format!("{path}.policy.id"),
                format!(
                    "closes `{}` under policy `{}`, not `{}`",
                    closed.period, closed.policy.0, history.first.id
                ),
            ));
        }
        if closed.currency != history.first.currency.code() {
            return Err(closed_error(
                &format!("{path}.currency"),
                format!(
                    "is {}, the policy pays in {}",
                    closed.currency,
                    history.first.currency.code()
                ),
            ));
        }
        if out.iter().any(|c| c.period == closed.period) {
            return Err(closed_error(
                &format!("{path}.period"),
                format!("closes `{}` a second time", closed.period),
            ));
        }
        out.push(closed);
    }
    Ok(out)
}

fn read_one(path: &str, v: &Value, minor: u32) -> Result<Closed> {
    let r = Record::new(v, path, &FIELDS)?;
    let format = r.text("format")?;
    if format != CLOSE_FORMAT {
        return Err(closed_error(
            &r.field_path("format"),
            format!("is `{format}`, expected `{CLOSE_FORMAT}`"),
        ));
    }
    let period = r.text("period")?;
    let (ppath, pv) = r.field("policy");
    let policy = Record::new(pv, &ppath, &["id", "version"])?;
    let lines = r
        .list("lines")?
        .into_iter()
        .map(|(p, l)| read_line(&p, l, minor))
        .collect::<Result<Vec<Line>>>()?;
    let parties = r
        .list("parties")?
        .into_iter()
        .map(|(p, q)| read_party(&p, q, minor))
        .collect::<Result<Vec<PartyPeriod>>>()?;
    let growth = if r.has("growth") {
        Some(amount(&r, "growth", minor)?)
    } else {
        None
    };
    let digest = r.text("digest")?;
    let (rpath, rv) = r.field("rows");
    let counts = Record::new(rv, &rpath, &["read", "used", "rejected"])?;
    let rows = RowCounts {
        read: counts.count("read")?,
        used: counts.count("used")?,
        rejected: counts.count("rejected")?,
    };
    let mut closed = Closed {
        period: period.clone(),
        policy: (policy.text("id")?, policy.text("version")?),
        currency: r.text("currency")?,
        minor_units: minor,
        lines,
        totals: PeriodTotals {
            period,
            net_sales: amount(&r, "net_sales", minor)?,
            growth,
            parties,
            total: amount(&r, "total", minor)?,
            closed: None,
        },
        rows,
        digest: String::new(),
    };
    let expected = crate::certificate::digest(&closed.body().to_json());
    if expected != digest {
        return Err(closed_error(
            &r.field_path("digest"),
            format!(
                "does not match the record of `{}`: the record was edited after the close",
                closed.period
            ),
        ));
    }
    closed.totals.closed = Some(digest.clone());
    closed.digest = digest;
    Ok(closed)
}

/// `key` of `r`, an amount at most at `minor` decimals (as a close writes it).
fn amount(r: &Record, key: &str, minor: u32) -> Result<Decimal> {
    let d = r.decimal(key)?;
    if d.normalize().scale() > minor {
        return Err(KpiError::at(
            ErrorCode::InvalidMoneyScale,
            &r.field_path(key),
            format!("{d} has more than {minor} decimals"),
        ));
    }
    Ok(d)
}

fn read_line(path: &str, v: &Value, minor: u32) -> Result<Line> {
    let r = Record::new(v, path, &super::LINE_COLUMNS)?;
    let kind = r.text("kind")?;
    Ok(Line {
        sale_id: r.opt_text("sale_id")?,
        period: r.text("period")?,
        party: r.text("party")?,
        rule: r.text("rule")?,
        kind: LineKind::from_name(&kind)
            .ok_or_else(|| closed_error(&r.field_path("kind"), format!("`{kind}` is no kind")))?,
        amount: amount(&r, "amount", minor)?,
        explanation: r.text("explanation")?,
    })
}

fn read_party(path: &str, v: &Value, minor: u32) -> Result<PartyPeriod> {
    let r = Record::new(
        v,
        path,
        &[
            "party",
            "earned",
            "accelerator",
            "limit",
            "bonus",
            "adjustment",
            "carried",
            "carried_out",
            "payable",
        ],
    )?;
    Ok(PartyPeriod {
        party: r.text("party")?,
        earned: amount(&r, "earned", minor)?,
        accelerator: amount(&r, "accelerator", minor)?,
        limit: amount(&r, "limit", minor)?,
        bonus: amount(&r, "bonus", minor)?,
        adjustment: amount(&r, "adjustment", minor)?,
        carried: amount(&r, "carried", minor)?,
        carried_out: amount(&r, "carried_out", minor)?,
        payable: amount(&r, "payable", minor)?,
    })
}

// ----------------------------------------------------------------------------- applying

/// What a party earned in a period before adjustments and carried balances.
fn own_pay(q: &PartyPeriod) -> Result<Decimal> {
    sum_money([q.earned, q.accelerator, q.limit, q.bonus].into_iter())
}

/// Keeps every closed period as it was closed, and books what recomputing it changes (less
/// what earlier closes booked already) per party as one `adjustment` line in the first open
/// period after it.
///
/// # Errors
/// `closed_period` at `input.closed[i]` when a change has no open period after it.
pub(super) fn apply_closed(
    engine: &Engine,
    closed: &[Closed],
    periods: &mut Vec<PeriodTotals>,
    lines: &mut Vec<Line>,
) -> Result<()> {
    if closed.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<(usize, &Closed)> = closed.iter().enumerate().collect();
    sorted.sort_by(|a, b| a.1.period.cmp(&b.1.period));
    let mut booked: Vec<Line> = Vec::new();
    for (i, c) in &sorted {
        let changes = restatement(engine, c, closed, periods, lines)?;
        if changes.is_empty() {
            continue;
        }
        let target = periods
            .iter()
            .map(|p| p.period.as_str())
            .find(|p| *p > c.period.as_str() && !closed.iter().any(|k| k.period == *p))
            .ok_or_else(|| {
                let who: Vec<String> = changes
                    .iter()
                    .map(|(party, amount, _)| format!("{party} {}", engine.money(*amount)))
                    .collect();
                closed_error(
                    &format!("input.closed[{i}]"),
                    format!(
                        "recomputing closed period `{}` changes {}, and no open period after it has sales to book the adjustment in",
                        c.period,
                        who.join(", ")
                    ),
                )
            })?
            .to_owned();
        for (party, amount, why) in changes {
            booked.push(Line {
                sale_id: None,
                period: target.clone(),
                party,
                rule: adjustment_rule(&c.period),
                kind: LineKind::Adjustment,
                amount,
                explanation: why,
            });
        }
    }
    lines.retain(|l| !closed.iter().any(|c| c.period == l.period));
    for c in closed {
        lines.extend(c.lines.iter().cloned());
        match periods.iter_mut().find(|p| p.period == c.period) {
            Some(p) => *p = c.totals.clone(),
            None => periods.push(c.totals.clone()),
        }
    }
    periods.sort_by(|a, b| a.period.cmp(&b.period));
    for l in &booked {
        let period = periods
            .iter_mut()
            .find(|p| p.period == l.period)
            .ok_or_else(super::rules::overflow)?;
        if !period.parties.iter().any(|q| q.party == l.party) {
            period.parties.push(PartyPeriod::idle(&l.party));
            period
                .parties
                .sort_by_key(|q| engine.policy.party_rank(&q.party));
        }
        for q in period.parties.iter_mut().filter(|q| q.party == l.party) {
            q.adjustment = add(q.adjustment, l.amount)?;
            q.payable = add(q.payable, l.amount)?;
        }
        period.total = add(period.total, l.amount)?;
    }
    lines.extend(booked);
    Ok(())
}

/// Per party, what recomputing closed period `c` changes that no earlier close booked, with
/// the explanation of its adjustment line.
fn restatement(
    engine: &Engine,
    c: &Closed,
    closed: &[Closed],
    periods: &[PeriodTotals],
    lines: &[Line],
) -> Result<Vec<(String, Decimal, String)>> {
    let rule = adjustment_rule(&c.period);
    let now = periods.iter().find(|p| p.period == c.period);
    let mut parties: Vec<&str> = c.totals.parties.iter().map(|q| q.party.as_str()).collect();
    parties.extend(
        now.iter()
            .flat_map(|p| p.parties.iter().map(|q| q.party.as_str())),
    );
    parties.sort_by_key(|p| engine.policy.party_rank(p));
    parties.dedup();
    let mut out = Vec::new();
    for party in parties {
        let pay = |p: Option<&PeriodTotals>| -> Result<Decimal> {
            p.and_then(|p| p.parties.iter().find(|q| q.party == party))
                .map_or(Ok(Decimal::ZERO), own_pay)
        };
        let (recomputed, frozen) = (pay(now)?, pay(Some(&c.totals))?);
        let already = sum_money(
            closed
                .iter()
                .flat_map(|k| &k.lines)
                .filter(|l| l.rule == rule && l.party == party)
                .map(|l| l.amount),
        )?;
        let change = recomputed
            .checked_sub(frozen)
            .and_then(|d| d.checked_sub(already))
            .ok_or_else(super::rules::overflow)?;
        if change.is_zero() {
            continue;
        }
        let mut why = RESTATED.say(
            engine.lang,
            &[
                &c.period,
                &short(&c.digest),
                &engine.money(recomputed),
                &engine.money(frozen),
            ],
        );
        if !already.is_zero() {
            why.push_str(&ADJUSTED_ALREADY.say(engine.lang, &[&engine.money(already)]));
        }
        let rules = per_rule(c, lines, party)?;
        if !rules.is_empty() {
            let shown: Vec<String> = rules
                .iter()
                .take(5)
                .map(|(r, d)| format!("{r} {}", engine.money(*d)))
                .collect();
            let more = rules.len().saturating_sub(5);
            why.push_str(&BY_RULE.say(engine.lang, &[&shown.join(", ")]));
            if more > 0 {
                why.push_str(&AND_MORE.say(engine.lang, &[&more]));
            }
        }
        out.push((party.to_owned(), change, why));
    }
    Ok(out)
}

/// The rules whose lines for `party` in closed period `c` differ between the recomputation
/// and the close, with the difference.
fn per_rule(c: &Closed, lines: &[Line], party: &str) -> Result<Vec<(String, Decimal)>> {
    let mut by_rule: BTreeMap<&str, Decimal> = BTreeMap::new();
    let own = |l: &&Line| {
        l.party == party
            && l.period == c.period
            && !matches!(l.kind, LineKind::Adjustment | LineKind::Carried)
    };
    for l in lines.iter().filter(own) {
        let slot = by_rule.entry(&l.rule).or_insert(Decimal::ZERO);
        *slot = add(*slot, l.amount)?;
    }
    for l in c.lines.iter().filter(own) {
        let slot = by_rule.entry(&l.rule).or_insert(Decimal::ZERO);
        *slot = add(*slot, negate(l.amount))?;
    }
    Ok(by_rule
        .into_iter()
        .filter(|(_, d)| !d.is_zero())
        .map(|(r, d)| (r.to_owned(), d))
        .collect())
}

/// The first characters of a digest's hex, enough to tell closes apart in an explanation.
fn short(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

// ----------------------------------------------------------------------------- input

/// The close of an `incentives.close` input (`{"policy", "sales", "touches", "closed",
/// "period"}`): the split with the periods closed before, then `period` frozen.
///
/// # Example
/// ```
/// use serde_json::json;
/// let policy = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
///     "currency": "EUR", "parties": [{"id": "web", "kind": "channel"}],
///     "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": "5"}]}]});
/// let sales = json!([{"sale_id": "o1", "timestamp": 0, "period": "2026-10",
///     "origin_channel": "web", "fulfilment_channel": "delivery", "amount": "10.00"}]);
/// let closed = omnikpi::incentive::close_input(
///     &json!({"policy": policy, "sales": sales, "period": "2026-10"})).unwrap();
/// assert_eq!(closed.totals.total.to_string(), "0.50");
/// assert!(closed.digest.starts_with("sha256:"));
/// ```
///
/// # Errors
/// As `incentives.split`; `closed_period` when `period` has no sales or is closed already.
pub fn close_input(input: &Value) -> Result<Closed> {
    let record = Record::new(
        input,
        "input",
        &["policy", "sales", "touches", "closed", "period"],
    )?;
    let (policy, sales, touches) = super::sale::read_input(&record)?;
    let closed = read_closed(&record, &policy)?;
    let period = record.text("period")?;
    let split = super::split::split(&policy, &sales, &touches, &closed)?;
    Closed::of(&split, &period)
}

pub(crate) fn evaluate_close(input: &Value, _params: &crate::catalog::Params) -> Result<Output> {
    Ok(close_input(input)?.to_output())
}
