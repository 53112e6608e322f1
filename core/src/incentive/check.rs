//! Check mode, the audit finance runs: payouts computed elsewhere, line by line against the
//! canonical split, each difference with a reason from a closed list.

use super::policy::{History, Policy};
use super::sale::{read_input, Sale};
use super::split::split;
use super::summary::{Line, LineKind, Split};
use crate::error::{KpiError, Result};
use crate::input::Record;
use crate::output::{Output, RowCounts};
use crate::table::CsvRows;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};

/// At most this many malformed claim rows are listed (all are counted in `rows.rejected`).
pub const MALFORMED_LIMIT: usize = 100;

/// A payout claimed by another system: one line, keyed like a canonical line.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The sale or refund (absent for a period adjustment).
    pub sale_id: Option<String>,
    /// The period it is paid in.
    pub period: String,
    /// The party paid.
    pub party: String,
    /// The rule, tier, limit or bonus id.
    pub rule: String,
    /// The amount claimed.
    pub amount: Decimal,
    /// Where the claim is in the input (`input.payouts[3]`).
    pub path: String,
}

/// The claims of a check input: the rows that could be read, and the errors of the others.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Claims {
    /// Rows read as claims, in input order.
    pub rows: Vec<Claimed>,
    /// The first [`MALFORMED_LIMIT`] malformed rows' errors, in input order.
    pub malformed: Vec<KpiError>,
    /// How many rows were malformed.
    pub rejected: usize,
}

/// Why a claimed and a canonical payout disagree: a closed list, in the spec's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The same key on both sides, with different amounts.
    WrongAmount,
    /// A canonical line nobody claimed.
    NotClaimed,
    /// A key claimed by more rows than it has canonical lines (more than one without any).
    ClaimedTwice,
    /// A claim for a canonical line of the same sale, party and rule, in another period.
    WrongPeriod,
    /// A claim for a canonical line of the same sale, party and period, under another rule.
    WrongRule,
    /// The claimed sale is not among the sales.
    NoSuchSale,
    /// The claimed party is not in the policy.
    NoSuchParty,
    /// The claimed rule is no rule, tier, limit or bonus of the policy.
    NoSuchRule,
    /// Sale, party and rule exist, but the policy pays nothing on this key.
    NotDue,
}

impl Reason {
    /// Every reason, in the spec's order.
    pub const ALL: [Reason; 9] = [
        Reason::WrongAmount,
        Reason::NotClaimed,
        Reason::ClaimedTwice,
        Reason::WrongPeriod,
        Reason::WrongRule,
        Reason::NoSuchSale,
        Reason::NoSuchParty,
        Reason::NoSuchRule,
        Reason::NotDue,
    ];

    /// The code in results.
    ///
    /// ```
    /// assert_eq!(omnikpi::incentive::Reason::WrongPeriod.code(), "wrong_period");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Reason::WrongAmount => "wrong_amount",
            Reason::NotClaimed => "not_claimed",
            Reason::ClaimedTwice => "claimed_twice",
            Reason::WrongPeriod => "wrong_period",
            Reason::WrongRule => "wrong_rule",
            Reason::NoSuchSale => "no_such_sale",
            Reason::NoSuchParty => "no_such_party",
            Reason::NoSuchRule => "no_such_rule",
            Reason::NotDue => "not_due",
        }
    }
}

/// One disagreement between claimed and canonical payouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Why they disagree.
    pub reason: Reason,
    /// The sale (absent for a period adjustment).
    pub sale_id: Option<String>,
    /// The canonical line's period, or the claim's when there is no canonical line.
    pub period: String,
    /// The party.
    pub party: String,
    /// The canonical line's rule, or the claim's when there is no canonical line.
    pub rule: String,
    /// The period claimed (`None`: nothing claimed).
    pub claimed_period: Option<String>,
    /// The rule claimed (`None`: nothing claimed).
    pub claimed_rule: Option<String>,
    /// What was claimed, summed over its rows (`None`: nothing claimed).
    pub claimed: Option<Decimal>,
    /// What the policy gives (`None`: nothing due).
    pub canonical: Option<Decimal>,
    /// claimed - canonical (absent sides count as zero).
    pub difference: Decimal,
    /// The canonical line's explanation (`None`: no canonical line).
    pub explanation: Option<String>,
    /// Where the claim rows are (`input.payouts[3]`, or `payouts.csv:row 5`).
    pub claim_rows: Vec<String>,
}

/// The audit of claimed payouts against the canonical ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The canonical split it compared against.
    pub split: Split,
    /// Keys compared: canonical lines, and claims matching none.
    pub compared: u64,
    /// Keys that agree to the minor unit.
    pub matching: u64,
    /// Every disagreement, canonical order first, then claims matching no canonical line.
    pub differences: Vec<Difference>,
    /// The first [`MALFORMED_LIMIT`] claim rows that could not be read.
    pub malformed: Vec<KpiError>,
    /// Sum of the claims read.
    pub claimed_total: Decimal,
    /// Sum of the canonical lines.
    pub canonical_total: Decimal,
    /// Claimed rows read, used, rejected (malformed).
    pub rows: RowCounts,
}

/// A line's key: (sale, party, period, rule), borrowed from the line or the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key<'a> {
    sale: Option<&'a str>,
    party: &'a str,
    period: &'a str,
    rule: &'a str,
}

/// The same key without one of its parts, where a misfiled claim is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Near<'a>(Option<&'a str>, &'a str, &'a str);

/// One key with its canonical and claimed sides.
struct Entry<'a> {
    key: Key<'a>,
    canonical: Option<Decimal>,
    /// The canonical lines (positions in the split's lines).
    lines: Vec<usize>,
    claimed: Option<Decimal>,
    claim_rows: Vec<usize>,
    /// The entry on the other side it was paired with (a misfiled claim), and why.
    paired: Option<(usize, Reason)>,
}

impl<'a> Entry<'a> {
    fn new(key: Key<'a>) -> Self {
        Self {
            key,
            canonical: None,
            lines: Vec::new(),
            claimed: None,
            claim_rows: Vec::new(),
            paired: None,
        }
    }
}

fn overflow() -> KpiError {
    KpiError::overflow("a payout total")
}

fn total(mut amounts: impl Iterator<Item = Decimal>) -> Result<Decimal> {
    amounts
        .try_fold(Decimal::ZERO, |acc, a| acc.checked_add(a))
        .ok_or_else(overflow)
}

fn plus(total: Option<Decimal>, amount: Decimal) -> Result<Option<Decimal>> {
    total
        .unwrap_or_default()
        .checked_add(amount)
        .map(Some)
        .ok_or_else(overflow)
}

/// The entries of every canonical line and every claim, keyed (sale, party, period, rule):
/// canonical keys in line order, then claimed keys matching none, in claim order.
struct Ledger<'a> {
    entries: Vec<Entry<'a>>,
    index: HashMap<Key<'a>, usize>,
}

impl<'a> Ledger<'a> {
    /// The entry of `key`, added after the others if it is new.
    fn entry(&mut self, key: Key<'a>) -> Option<&mut Entry<'a>> {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.index.insert(key, self.entries.len());
                self.entries.push(Entry::new(key));
                self.entries.len().saturating_sub(1)
            }
        };
        self.entries.get_mut(i)
    }

    fn add_line(&mut self, position: usize, l: &'a Line) -> Result<()> {
        if let Some(e) = self.entry(Key {
            sale: l.sale_id.as_deref(),
            party: &l.party,
            period: &l.period,
            rule: &l.rule,
        }) {
            e.canonical = plus(e.canonical, l.amount)?;
            e.lines.push(position);
        }
        Ok(())
    }

    fn add_claim(&mut self, row: usize, c: &'a Claimed) -> Result<()> {
        if let Some(e) = self.entry(Key {
            sale: c.sale_id.as_deref(),
            party: &c.party,
            period: &c.period,
            rule: &c.rule,
        }) {
            e.claimed = plus(e.claimed, c.amount)?;
            e.claim_rows.push(row);
        }
        Ok(())
    }
}

/// What the policy and the sales know: a claim naming something else has nothing to match.
struct Known<'a> {
    sales: HashSet<&'a str>,
    parties: HashSet<&'a str>,
    rules: HashSet<String>,
}

impl<'a> Known<'a> {
    fn new(policy: &'a History, sales: &'a [Sale]) -> Self {
        Self {
            sales: sales.iter().map(|s| s.id.as_str()).collect(),
            parties: policy
                .versions()
                .flat_map(|v| v.parties.iter().map(|p| p.id.as_str()))
                .collect(),
            rules: policy.versions().flat_map(Policy::line_rules).collect(),
        }
    }

    /// Why a claim's key is unknown, if it is.
    fn unknown(&self, key: &Key) -> Option<Reason> {
        if key.sale.is_some_and(|s| !self.sales.contains(s)) {
            Some(Reason::NoSuchSale)
        } else if !self.parties.contains(key.party) {
            Some(Reason::NoSuchParty)
        } else if !self.rules.contains(key.rule) {
            Some(Reason::NoSuchRule)
        } else {
            None
        }
    }
}

/// Pairs each claim matching no canonical key with an unclaimed canonical line of the same
/// sale, party and rule (`wrong_period`), else of the same sale, party and period
/// (`wrong_rule`), first in canonical order; claims naming unknown things are not paired.
fn pair_misfiled(entries: &mut [Entry], known: &Known) {
    let mut same_rule: HashMap<Near, VecDeque<usize>> = HashMap::new();
    let mut same_period: HashMap<Near, VecDeque<usize>> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.canonical.is_some() && e.claim_rows.is_empty() {
            let k = &e.key;
            same_rule
                .entry(Near(k.sale, k.party, k.rule))
                .or_default()
                .push_back(i);
            same_period
                .entry(Near(k.sale, k.party, k.period))
                .or_default()
                .push_back(i);
        }
    }
    let mut taken = vec![false; entries.len()];
    let mut pairs = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if e.canonical.is_some() || known.unknown(&e.key).is_some() {
            continue;
        }
        let k = &e.key;
        let mut first_free = |queue: Option<&mut VecDeque<usize>>| {
            let queue = queue?;
            while let Some(j) = queue.pop_front() {
                if taken.get(j) == Some(&false) {
                    if let Some(t) = taken.get_mut(j) {
                        *t = true;
                    }
                    return Some(j);
                }
            }
            None
        };
        let found = match first_free(same_rule.get_mut(&Near(k.sale, k.party, k.rule))) {
            Some(j) => Some((j, Reason::WrongPeriod)),
            None => first_free(same_period.get_mut(&Near(k.sale, k.party, k.period)))
                .map(|j| (j, Reason::WrongRule)),
        };
        if let Some((j, reason)) = found {
            pairs.push((i, j, reason));
        }
    }
    for (claim, canonical, reason) in pairs {
        if let Some(e) = entries.get_mut(claim) {
            e.paired = Some((canonical, reason));
        }
        if let Some(e) = entries.get_mut(canonical) {
            e.paired = Some((claim, reason));
        }
    }
}

/// Audits `claims` against the canonical `split` of `sales` under `policy`: lines are matched
/// on (sale, party, period, rule), a claim matching none is paired with the canonical line it
/// was misfiled from where there is one, and every other key that disagrees is a difference
/// with its reason.
///
/// # Errors
/// `arithmetic_overflow`.
pub fn check(policy: &History, sales: &[Sale], split: Split, claims: Claims) -> Result<Check> {
    let claimed_total = total(claims.rows.iter().map(|c| c.amount))?;
    let canonical_total = total(split.lines.iter().map(|l| l.amount))?;
    let mut known = Known::new(policy, sales);
    // prior-period adjustments are named after the closed period they restate
    known.rules.extend(
        split
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Adjustment)
            .map(|l| l.rule.clone()),
    );
    let (compared, matching, differences) = compare(&known, &split.lines, &claims.rows)?;
    Ok(Check {
        split,
        compared,
        matching,
        differences,
        malformed: claims.malformed,
        claimed_total,
        canonical_total,
        rows: RowCounts::with_rejected(
            claims.rows.len().saturating_add(claims.rejected),
            claims.rejected,
        ),
    })
}

/// Keys compared, keys matching, and the differences of `rows` against `lines`.
fn compare(known: &Known, lines: &[Line], rows: &[Claimed]) -> Result<(u64, u64, Vec<Difference>)> {
    let mut ledger = Ledger {
        entries: Vec::with_capacity(lines.len()),
        index: HashMap::with_capacity(lines.len()),
    };
    for (position, l) in lines.iter().enumerate() {
        ledger.add_line(position, l)?;
    }
    for (row, c) in rows.iter().enumerate() {
        ledger.add_claim(row, c)?;
    }
    pair_misfiled(&mut ledger.entries, known);
    let mut compared = 0u64;
    let mut matching = 0u64;
    let mut differences = Vec::new();
    for e in &ledger.entries {
        let Some(d) = difference(e, &ledger.entries, known, lines, rows)? else {
            if e.canonical.is_some() || e.paired.is_none() {
                compared = compared.saturating_add(1); // at most the number of entries
                matching = matching.saturating_add(1);
            }
            continue;
        };
        compared = compared.saturating_add(1);
        differences.push(d);
    }
    Ok((compared, matching, differences))
}

/// The difference an entry makes, or `None` when it agrees (or is a claim reported beside the
/// canonical line it was paired with).
fn difference(
    e: &Entry,
    entries: &[Entry],
    known: &Known,
    lines: &[Line],
    rows: &[Claimed],
) -> Result<Option<Difference>> {
    let (claim, reason) = match (e.canonical, e.paired) {
        (None, Some(_)) => return Ok(None),
        (Some(_), Some((j, reason))) => (entries.get(j), Some(reason)),
        (Some(c), None) => {
            // A key may have several canonical lines (two shares of one rule to one party):
            // as many claim rows may claim it.
            let rows = e.claim_rows.len();
            let reason = match rows {
                0 if c.is_zero() => None,
                0 => Some(Reason::NotClaimed),
                _ if rows > e.lines.len() => Some(Reason::ClaimedTwice),
                _ if e.claimed == Some(c) => None,
                _ => Some(Reason::WrongAmount),
            };
            (Some(e), reason)
        }
        (None, None) => {
            let reason = match known.unknown(&e.key) {
                Some(r) => Some(r),
                None if e.claim_rows.len() > 1 => Some(Reason::ClaimedTwice),
                None if e.claimed.is_some_and(|a| a.is_zero()) => None,
                None => Some(Reason::NotDue),
            };
            (Some(e), reason)
        }
    };
    let Some(reason) = reason else {
        return Ok(None);
    };
    let claimed = claim.and_then(|c| c.claimed);
    let difference = claimed
        .unwrap_or_default()
        .checked_sub(e.canonical.unwrap_or_default())
        .ok_or_else(overflow)?;
    let claim_key = claim.filter(|c| !c.claim_rows.is_empty()).map(|c| &c.key);
    Ok(Some(Difference {
        reason,
        sale_id: e.key.sale.map(str::to_owned),
        period: e.key.period.to_owned(),
        party: e.key.party.to_owned(),
        rule: e.key.rule.to_owned(),
        claimed_period: claim_key.map(|k| k.period.to_owned()),
        claimed_rule: claim_key.map(|k| k.rule.to_owned()),
        claimed,
        canonical: e.canonical,
        difference,
        explanation: Some(
            e.lines
                .iter()
                .filter_map(|&i| lines.get(i).map(|l| l.explanation.as_str()))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .filter(|x| !x.is_empty()),
        claim_rows: claim
            .map(|c| c.claim_rows.as_slice())
            .unwrap_or_default()
            .iter()
            .filter_map(|&r| rows.get(r).map(|c| c.path.clone()))
            .collect(),
    }))
}

/// Reads one claim row.
fn read_claim(
    path: &str,
    v: &Value,
    fields: &[&str],
    currency: &crate::money::Currency,
) -> Result<Claimed> {
    let r = Record::new(v, path, fields)?;
    Ok(Claimed {
        sale_id: r.opt_text("sale_id")?,
        period: r.text("period")?,
        party: r.text("party")?,
        rule: r.text("rule")?,
        amount: crate::money::read_amount(&r, "amount", currency, true)?,
        path: path.to_owned(),
    })
}

/// Reads the `payouts` list of a check input, in the policy's currency: a malformed row is
/// counted and (up to [`MALFORMED_LIMIT`]) listed, and the others are still checked.
///
/// # Errors
/// `missing_field` or `wrong_type` when `payouts` is not a list.
pub(crate) fn read_claims(record: &Record, currency: &crate::money::Currency) -> Result<Claims> {
    let mut claims = Claims::default();
    // A split's own CSV columns, and the currency.
    let mut fields = super::LINE_COLUMNS.to_vec();
    fields.push("currency");
    for (path, v) in record.list("payouts")? {
        match read_claim(&path, v, &fields, currency) {
            Ok(c) => claims.rows.push(c),
            Err(e) => {
                if claims.malformed.len() < MALFORMED_LIMIT {
                    claims.malformed.push(e);
                }
                claims.rejected = claims.rejected.saturating_add(1);
            }
        }
    }
    Ok(claims)
}

impl Check {
    /// No difference and no malformed claim row.
    pub fn agrees(&self) -> bool {
        self.differences.is_empty() && self.rows.rejected == 0
    }

    /// Names claim rows by their place in `rows`' file (`payouts.csv:row 5`) instead of their
    /// input path, in differences and malformed rows alike.
    pub fn locate(mut self, rows: &CsvRows) -> Self {
        self.malformed = self.malformed.into_iter().map(|e| rows.locate(e)).collect();
        for d in &mut self.differences {
            for path in &mut d.claim_rows {
                if let Some(place) = rows.place(path) {
                    *path = place;
                }
            }
        }
        self
    }

    /// The result tree (the `incentives.check` output).
    pub fn to_output(&self) -> Output {
        let money = |d: Decimal| Output::Decimal(self.split.money(d));
        let optional_money = |d: Option<Decimal>| d.map_or(Output::Null, money);
        let difference = |d: &Difference| {
            Output::record([
                ("reason", d.reason.code().into()),
                ("sale_id", d.sale_id.clone().into()),
                ("period", d.period.as_str().into()),
                ("party", d.party.as_str().into()),
                ("rule", d.rule.as_str().into()),
                ("claimed_period", d.claimed_period.clone().into()),
                ("claimed_rule", d.claimed_rule.clone().into()),
                ("claimed", optional_money(d.claimed)),
                ("canonical", optional_money(d.canonical)),
                ("difference", money(d.difference)),
                (
                    "claim_rows",
                    Output::List(d.claim_rows.iter().map(|p| p.as_str().into()).collect()),
                ),
                ("explanation", d.explanation.clone().into()),
            ])
        };
        let malformed = |e: &KpiError| {
            Output::record([
                ("path", e.path().unwrap_or_default().into()),
                ("code", e.code().as_str().into()),
                ("message", e.message().into()),
            ])
        };
        Output::record([
            ("policy", self.split.policy_output()),
            ("currency", self.split.currency.as_str().into()),
            ("agrees", self.agrees().into()),
            ("compared", self.compared.into()),
            ("matching", self.matching.into()),
            (
                "differences",
                Output::List(self.differences.iter().map(difference).collect()),
            ),
            (
                "malformed",
                Output::List(self.malformed.iter().map(malformed).collect()),
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
/// As [`crate::evaluate`] on `incentives.check`: errors of the policy, the sales and the
/// touches; a malformed claim row is reported in the result instead.
pub fn check_input(input: &Value) -> Result<Check> {
    let record = Record::new(
        input,
        "input",
        &["policy", "sales", "touches", "closed", "payouts"],
    )?;
    let (policy, sales, touches) = read_input(&record)?;
    let closed = super::close::read_closed(&record, &policy)?;
    let claims = read_claims(&record, &policy.first.currency)?;
    let canonical = split(&policy, &sales, &touches, &closed)?;
    check(&policy, &sales, canonical, claims)
}

pub(crate) fn evaluate_check(input: &Value, _params: &crate::catalog::Params) -> Result<Output> {
    Ok(check_input(input)?.to_output())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn every_reason_has_a_distinct_code() {
        let codes: HashSet<&str> = Reason::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Reason::ALL.len());
    }

    #[test]
    fn an_error_code_is_never_a_reason() {
        assert!(Reason::ALL
            .iter()
            .all(|r| ErrorCode::ALL.iter().all(|c| c.as_str() != r.code())));
    }
}
