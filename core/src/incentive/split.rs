//! Applying a policy to sales: per sale and party the amount, the rule and an explanation;
//! refunds clawed back as mirrors of their sale; per period the tiers, limits and bonuses.

use super::close::{read_closed, Closed};
use super::explanation::{Language, POLICY_VERSION};
use super::ledger::Ledger;
use super::period::period_totals;
use super::policy::{History, Policy};
use super::rules::Engine;
use super::sale::{read_input, CustomerTouch, Sale};
use super::summary::{Line, Split, Unpaid};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::output::{Output, RowCounts};
use serde_json::Value;
use std::collections::BTreeMap;

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
pub fn split(
    history: &History,
    sales: &[Sale],
    touches: &[CustomerTouch],
    closed: &[Closed],
) -> Result<Split> {
    split_in(history, sales, touches, closed, Language::En)
}

/// [`split`] with every explanation written in `lang` (a statement's language); the figures
/// are the same in every language.
///
/// # Errors
/// As [`split`].
pub fn split_in(
    history: &History,
    sales: &[Sale],
    touches: &[CustomerTouch],
    closed: &[Closed],
    lang: Language,
) -> Result<Split> {
    let policy = &history.first;
    super::period::check_label_order(history, sales, !closed.is_empty())?;
    let paid = super::vat::as_paid(policy, sales)?;
    let sales = paid.as_slice();
    let mut by_customer: BTreeMap<&str, Vec<&CustomerTouch>> = BTreeMap::new();
    for t in touches {
        by_customer.entry(&t.customer).or_default().push(t);
    }
    for list in by_customer.values_mut() {
        list.sort_by_key(|t| t.timestamp);
    }
    let minor = policy.currency.minor_units();
    let several = !history.later.is_empty();
    let engines: Vec<Engine> = history
        .versions()
        .map(|version| Engine {
            policy: version,
            touches: by_customer.clone(),
            minor,
            note: if several {
                POLICY_VERSION.say(lang, &[&version.version])
            } else {
                String::new()
            },
            lang,
        })
        .collect();
    let index: BTreeMap<&str, usize> = sales
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let version = sale_versions(history, sales, &index)?;
    let mut ledger = Ledger::new(sales.len());
    ledger.pay_sales(&engines, &version, sales)?;
    // the versions share rounding and clawback rules: the first's engine claws back
    let first = engines.first().ok_or_else(super::rules::overflow)?;
    ledger.claw_back(first, sales, &index)?;
    let Ledger {
        per_sale, unpaid, ..
    } = ledger;
    let mut lines: Vec<Line> = per_sale.into_iter().flatten().collect();
    let chosen = period_versions(history, sales, &version)?;
    let mut periods = period_totals(&engines, &chosen, sales, &mut lines)?;
    super::close::apply_closed(first, closed, &mut periods, &mut lines)?;
    super::balance::carry_forward(first, &mut periods, &mut lines)?;
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
        policy: (policy.id.clone(), history.version_label()),
        currency: policy.currency.code().to_owned(),
        minor_units: minor,
        rows: RowCounts::with_rejected(sales.len(), unpaid.len()),
        lines,
        unpaid,
        periods,
    })
}

/// The policy version of each sale: an original's is the version in force on its day, a
/// refund's is its sale's (a refund of an unknown sale is the clawback's error).
///
/// # Errors
/// `invalid_policy` at the timestamp of a sale no version is in force on.
fn sale_versions(
    history: &History,
    sales: &[Sale],
    index: &BTreeMap<&str, usize>,
) -> Result<Vec<usize>> {
    sales
        .iter()
        .map(|sale| {
            let source = match &sale.refund_of {
                None => sale,
                Some(id) => match index.get(id.as_str()).and_then(|o| sales.get(*o)) {
                    Some(original) => original,
                    None => return Ok(0),
                },
            };
            history.at(source.day).ok_or_else(|| {
                let windows: Vec<String> = history
                    .versions()
                    .map(|v| format!("version {} {}", v.version, v.valid.describe()))
                    .collect();
                KpiError::at(
                    ErrorCode::InvalidPolicy,
                    &format!("{}.timestamp", source.path),
                    format!(
                        "is on {}, when no version of policy `{}` is in force ({})",
                        source.day,
                        history.first.id,
                        windows.join("; ")
                    ),
                )
            })
        })
        .collect()
}

/// The version whose tiers, limits and bonuses close each period: the latest in force on the
/// day of one of the period's sales (a refund dated when none is: its sale's).
///
/// # Errors
/// `invalid_policy` at a sale when its period holds sales of two versions whose tiers, limits
/// or bonuses differ: the period would have no one set of them.
fn period_versions(
    history: &History,
    sales: &[Sale],
    version: &[usize],
) -> Result<BTreeMap<String, usize>> {
    let versions: Vec<&Policy> = history.versions().collect();
    let closes = |i: usize| {
        versions
            .get(i)
            .map(|p| (&p.tiers, &p.limits, &p.bonuses, &p.version))
    };
    let mut chosen: BTreeMap<String, (usize, &Sale)> = BTreeMap::new();
    for (i, sale) in sales.iter().enumerate() {
        let v = history
            .at(sale.day)
            .or_else(|| version.get(i).copied())
            .unwrap_or(0);
        let slot = chosen.entry(sale.period.clone()).or_insert((v, sale));
        let (w, other) = *slot;
        if w == v {
            continue;
        }
        let (a, b) = (closes(w), closes(v));
        if a.map(|x| (x.0, x.1, x.2)) != b.map(|x| (x.0, x.1, x.2)) {
            return Err(KpiError::at(
                ErrorCode::InvalidPolicy,
                &format!("{}.timestamp", sale.path),
                format!(
                    "puts {} under policy version {} in period {}, where {} is under version {}; the two differ in tiers, limits or bonuses, which close a period: change them at a period boundary",
                    sale.id,
                    b.map_or("?", |x| x.3.as_str()),
                    sale.period,
                    other.id,
                    a.map_or("?", |x| x.3.as_str())
                ),
            ));
        }
        *slot = (w.max(v), sale);
    }
    Ok(chosen.into_iter().map(|(p, (v, _))| (p, v)).collect())
}

/// The split of an `incentives.split` input (`{"policy", "sales", "touches"}`), typed, for
/// callers that want the lines and totals rather than the JSON-shaped result.
///
/// # Errors
/// As [`crate::evaluate`] on `incentives.split`.
pub fn split_input(input: &Value) -> Result<Split> {
    let record = Record::new(input, "input", &["policy", "sales", "touches", "closed"])?;
    let (policy, sales, touches) = read_input(&record)?;
    let closed = read_closed(&record, &policy)?;
    split(&policy, &sales, &touches, &closed)
}

pub(crate) fn evaluate_split(input: &Value, _params: &crate::catalog::Params) -> Result<Output> {
    split_input(input)?.to_output()
}
