//! Incentive splits that finance can audit: a strict, versioned policy (parties, rules with
//! conditions and shares, tiers, caps and floors, growth bonuses, clawbacks), an engine that
//! pays every sale to the cent with an explanation per line, and a check of payouts computed
//! elsewhere against the canonical ones.
//!
//! ```
//! use serde_json::json;
//! let policy = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
//!     "currency": "EUR", "parties": [{"id": "web", "kind": "channel"}],
//!     "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": "5"}]}]});
//! let sales = json!([{"sale_id": "o1", "timestamp": 0, "period": "2026-10",
//!     "origin_channel": "web", "fulfilment_channel": "delivery", "amount": "10.00"}]);
//! let out = omnikpi::evaluate("incentives.check", &json!({"policy": policy, "sales": sales,
//!     "payouts": [{"sale_id": "o1", "period": "2026-10", "party": "web", "rule": "web_sales",
//!                  "amount": "0.60"}]}), &json!(null)).unwrap().to_json();
//! assert_eq!(out["differences"][0]["reason"], "wrong_amount");
//! assert_eq!(out["differences"][0]["canonical"], "0.50");
//! ```

mod attainment;
mod balance;
mod check;
mod clawback;
mod close;
mod diff;
mod explanation;
mod ledger;
mod period;
mod policy;
mod rules;
mod sale;
mod split;
pub mod statement;
mod summary;
mod vat;

pub(crate) use check::evaluate_check;
pub use check::{check, check_input, Check, Claimed, Claims, Difference, Reason, MALFORMED_LIMIT};
pub(crate) use close::evaluate_close;
pub use close::{close_input, Closed, CLOSE_FORMAT};
pub(crate) use diff::evaluate_diff;
pub use diff::{diff, diff_input, Change, Diff};
pub use explanation::Language;
#[cfg(feature = "arrow")]
pub use policy::workbook as policy_workbook;
pub use policy::{
    AttributionShare, Base, Bonus, ClawbackOrder, Conditions, Description, Grain, History, Limit,
    NegativeBalance, OnlineTouch, Party, Periods, Policy, Quota, Recipient, Rounding, Rule,
    SaleField, Share, ShareAmount, ShareRounding, Tier, TierMode, Validity, Window, FORMAT,
    SHARE_MODELS,
};
pub(crate) use sale::read_input;
pub use sale::{CustomerTouch, Sale};
pub(crate) use split::evaluate_split;
pub use split::{split, split_in, split_input};
pub(crate) use statement::evaluate_statement;
pub use summary::{Line, LineKind, PartyPeriod, PeriodTotals, Split, Unpaid, UnpaidReason};
pub use vat::{NetOfVat, Vat, VatRate};

use crate::error::Result;
use serde_json::{Map, Value};

/// The columns of a split's lines as CSV, which a check reads back as claims.
pub const LINE_COLUMNS: [&str; 7] = [
    "sale_id",
    "period",
    "party",
    "rule",
    "kind",
    "amount",
    "explanation",
];

/// What the columns of the incentive tables (sales, touches, claimed payouts) hold, so every
/// reader of them ([`records_from_csv`], [`crate::table::records::read`] for Excel CSV and
/// workbooks) converts a cell by the same rule.
pub const TABLE_KINDS: crate::table::records::Kinds<'static> = crate::table::records::Kinds {
    money: &["amount", "extra_amount"],
    time: &["timestamp"],
    flags: &["click_and_collect"],
};

/// How the incentive tables are read when nothing else is declared: integer times are Unix
/// seconds, as the incentive inputs define them (spec/kpis/incentives.split.json).
pub fn table_reading() -> crate::table::reading::Reading {
    crate::table::reading::Reading {
        timestamp_unit: Some(crate::table::TimestampUnit::Seconds),
        ..Default::default()
    }
}

/// A CSV table (comma-delimited) as the records of an incentive input (`sales`, `touches`,
/// `payouts`): one object per row, empty cells left out, each cell read by [`TABLE_KINDS`]
/// (amounts as exact decimal strings, timestamps as Unix seconds, `click_and_collect` as a
/// boolean, other cells as text). `keep` limits the columns read (others are ignored);
/// without it every column is kept, and the strict reader then rejects unknown ones with the
/// row's path. Other dialects and workbooks: [`crate::table::records::read`].
///
/// # Example
/// ```
/// let csv = "sale_id,timestamp,period,origin_channel,fulfilment_channel,click_and_collect,amount\n\
///            o1,2026-10-01T10:00:00Z,2026-10,web,lille,true,89.19\n";
/// let rows = omnikpi::incentive::records_from_csv(csv, "sales.csv", None).unwrap();
/// assert_eq!(rows[0]["click_and_collect"], true);
/// assert_eq!(rows[0]["amount"], "89.19");
/// assert_eq!(rows[0]["timestamp"], "2026-10-01T10:00:00Z");
/// ```
///
/// # Errors
/// `invalid_dataset` naming the file, row and column; the cell errors of
/// [`crate::table::records::text_cell`] there.
pub fn records_from_csv(text: &str, name: &str, keep: Option<&[&str]>) -> Result<Vec<Value>> {
    let table = crate::table::Table::parse(name, text)?;
    let reading = table_reading();
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let line = i.saturating_add(2); // header is line 1
            let mut row = Map::new();
            for (column, cell) in table.header.iter().zip(record.iter()) {
                if cell.is_empty() || keep.is_some_and(|k| !k.contains(&column.as_str())) {
                    continue;
                }
                let place = || format!("{name}:row {line}:{column}");
                let value =
                    crate::table::records::cell(&TABLE_KINDS, column, cell, &reading, place)?;
                row.insert(column.clone(), value);
            }
            Ok(Value::Object(row))
        })
        .collect()
}

/// The lines of a split as CSV (`sale_id,period,party,rule,kind,amount,explanation`), the
/// format `omnikpi incentives split` writes and `check` reads back as claimed payouts.
///
/// # Errors
/// `arithmetic_overflow` never; `invalid_dataset` if the CSV writer fails.
pub fn lines_to_csv(lines: &[Line]) -> Result<String> {
    use crate::output::cannot_write;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(LINE_COLUMNS).map_err(cannot_write)?;
    for l in lines {
        writer
            .write_record([
                l.sale_id.as_deref().unwrap_or_default(),
                &l.period,
                &l.party,
                &l.rule,
                l.kind.name(),
                &l.amount.to_string(),
                &l.explanation,
            ])
            .map_err(cannot_write)?;
    }
    crate::output::csv_finish(writer)
}
