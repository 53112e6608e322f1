//! A policy history: the successive versions of one policy, each in force on its own days
//! (`valid_from`/`valid_to` at the top of the policy), with neither gap nor overlap between
//! them. A sale is paid by the version in force on its day.

use super::Policy;
use crate::error::{ErrorCode, KpiError, Result};
use chrono::NaiveDate;
use serde_json::Value;

/// One policy, or the versions of one policy in the order they were in force.
///
/// Versions share their money and calendar (currency, rounding, share rounding, VAT, periods,
/// clawback window); rules, parties, tiers, limits and bonuses are each version's own.
///
/// ```
/// use serde_json::json;
/// let version = |v: &str, from: Option<&str>, to: Option<&str>, percent: &str| {
///     let mut p = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": v,
///         "currency": "EUR", "parties": [{"id": "web", "kind": "channel"}],
///         "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": percent}]}]});
///     if let Some(d) = from { p["valid_from"] = json!(d); }
///     if let Some(d) = to { p["valid_to"] = json!(d); }
///     p
/// };
/// use omnikpi::incentive::History;
/// let history = History::read(&json!([version("1", None, Some("2026-10-31"), "5"),
///                                     version("2", Some("2026-11-01"), None, "6")]), "policy").unwrap();
/// assert_eq!(history.version_label(), "1+2");
/// let gap = History::read(&json!([version("1", None, Some("2026-10-31"), "5"),
///                                 version("2", Some("2026-11-03"), None, "6")]), "policy");
/// assert!(gap.unwrap_err().to_string().contains("2026-11-01 to 2026-11-02"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// The first version: its money and calendar are every version's.
    pub first: Policy,
    /// The versions after it, in the order they were in force.
    pub later: Vec<Policy>,
}

fn invalid(path: &str, detail: impl std::fmt::Display) -> KpiError {
    KpiError::at(ErrorCode::InvalidPolicy, path, detail.to_string())
}

impl History {
    /// Reads a policy (an object) or a history (a list of policy versions) found at `path`.
    ///
    /// # Errors
    /// Those of [`Policy::read`] at `path[i]`; `invalid_policy` for an empty list, versions of
    /// different ids, money or calendars, an undated boundary, a gap or an overlap;
    /// `duplicate_key` for a repeated version.
    pub fn read(value: &Value, path: &str) -> Result<Self> {
        let Some(items) = value.as_array() else {
            return Ok(Self {
                first: Policy::read(value, path)?,
                later: Vec::new(),
            });
        };
        let mut versions: Vec<Policy> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = format!("{path}[{i}]");
            let policy = Policy::read(item, &here)?;
            if let Some(previous) = versions.last() {
                follows(
                    previous,
                    &policy,
                    &format!("{path}[{}]", i.saturating_sub(1)),
                    &here,
                )?;
            }
            if let Some(j) = versions.iter().position(|v| v.version == policy.version) {
                return Err(KpiError::at(
                    ErrorCode::DuplicateKey,
                    &format!("{here}.version"),
                    format!("repeats version `{}` of {path}[{j}]", policy.version),
                ));
            }
            versions.push(policy);
        }
        let mut versions = versions.into_iter();
        let first = versions
            .next()
            .ok_or_else(|| invalid(path, "must hold at least one policy version"))?;
        Ok(Self {
            first,
            later: versions.collect(),
        })
    }

    /// Every version, in the order they were in force.
    pub fn versions(&self) -> impl Iterator<Item = &Policy> {
        std::iter::once(&self.first).chain(&self.later)
    }

    /// The index of the version in force on `day`.
    pub fn at(&self, day: NaiveDate) -> Option<usize> {
        self.versions().position(|v| v.valid.contains(day))
    }

    /// The version a result quotes: the policy's own, or its versions joined by `+`.
    pub fn version_label(&self) -> String {
        let names: Vec<&str> = self.versions().map(|v| v.version.as_str()).collect();
        names.join("+")
    }
}

/// Checks that `next` can follow `previous` in a history.
fn follows(previous: &Policy, next: &Policy, before: &str, here: &str) -> Result<()> {
    if next.id != previous.id {
        return Err(invalid(
            &format!("{here}.id"),
            format!(
                "is `{}`, but a history holds versions of one policy (`{}`)",
                next.id, previous.id
            ),
        ));
    }
    let shared: [(&str, bool); 7] = [
        ("currency", next.currency == previous.currency),
        ("rounding", next.rounding == previous.rounding),
        (
            "share_rounding",
            next.share_rounding == previous.share_rounding,
        ),
        ("vat", next.vat == previous.vat),
        ("periods", next.periods == previous.periods),
        (
            "clawback",
            next.clawback_window_seconds == previous.clawback_window_seconds,
        ),
        (
            "negative_balance",
            next.negative_balance == previous.negative_balance,
        ),
    ];
    if let Some((field, _)) = shared.iter().find(|(_, same)| !same) {
        return Err(invalid(
            &format!("{here}.{field}"),
            format!(
                "differs from {before}: the versions of a history share currency, rounding, share rounding, VAT, periods, clawback and negative balance (date VAT rates to change them)"
            ),
        ));
    }
    let (Some(end), Some(start)) = (previous.valid.to, next.valid.from) else {
        let (field, at) = match previous.valid.to {
            None => ("valid_to", before),
            Some(_) => ("valid_from", here),
        };
        return Err(invalid(
            &format!("{at}.{field}"),
            "is missing: every boundary between two versions of a history is dated",
        ));
    };
    let day_after = end.succ_opt().unwrap_or(end);
    if start > day_after {
        let last_gap = start.pred_opt().unwrap_or(start);
        return Err(invalid(
            &format!("{here}.valid_from"),
            format!("leaves {day_after} to {last_gap} without a policy after {before}"),
        ));
    }
    if start < day_after {
        return Err(invalid(
            &format!("{here}.valid_from"),
            format!(
                "overlaps {before} ({}): both would be in force {start} to {end}",
                previous.valid.describe()
            ),
        ));
    }
    Ok(())
}
