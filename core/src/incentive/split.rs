//! Applying a policy to sales: per sale and party the amount, the rule and an explanation;
//! refunds clawed back as mirrors of their sale; per period the tiers, limits and bonuses.

use super::ledger::Ledger;
use super::period::period_totals;
use super::policy::Policy;
use super::rules::Engine;
use super::sale::{read_input, CustomerTouch, Sale};
use super::summary::{Line, Split, Unpaid};
use crate::error::Result;
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
pub fn split(policy: &Policy, sales: &[Sale], touches: &[CustomerTouch]) -> Result<Split> {
    let paid = super::vat::as_paid(policy, sales)?;
    let sales = paid.as_slice();
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
