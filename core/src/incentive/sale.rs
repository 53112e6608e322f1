//! The sales, refunds and customer touches a split reads.

use super::policy::{History, Policy};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// One sale (or refund) as the engine reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sale {
    /// Unique id.
    pub id: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// The pay period it counts in (`2026-10`); periods sort as text.
    pub period: String,
    /// Its calendar day in the policy's time zone, for validity dates.
    pub day: chrono::NaiveDate,
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
    /// Country, for the policy's VAT rates.
    pub country: Option<String>,
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
    /// The VAT its amounts were taken net of, when the policy pays net of VAT.
    pub vat: Option<super::vat::NetOfVat>,
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
                    "country",
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
            let timestamp = r.timestamp("timestamp")?;
            Ok(Sale {
                period: period_of(&r, timestamp, policy)?,
                day: policy.day_of(timestamp, &r.field_path("timestamp"))?,
                timestamp,
                customer: r.opt_text("customer_id")?,
                origin: required("origin_channel")?,
                fulfilment: required("fulfilment_channel")?,
                click_and_collect: r.opt_bool("click_and_collect")?.unwrap_or(false),
                category: r.opt_text("category")?,
                zone: r.opt_text("zone")?,
                country: r.opt_text("country")?,
                staff: r.opt_text("staff")?,
                amount,
                extra_amount,
                refund_of,
                path: path.clone(),
                vat: None,
                id,
            })
        })
        .collect()
}

/// A sale's period: its `period` as given, or, when the policy declares periods, the one its
/// timestamp falls in (a given label must then be that one).
fn period_of(r: &Record, timestamp: i64, policy: &Policy) -> Result<String> {
    let Some(periods) = &policy.periods else {
        return r.text("period");
    };
    let derived = periods.label(timestamp, &r.field_path("timestamp"))?;
    match r.opt_text("period")? {
        Some(given) if given != derived => Err(KpiError::at(
            ErrorCode::InvalidDataset,
            &r.field_path("period"),
            format!(
                "is `{given}`, but its timestamp falls in `{derived}` ({} periods in {}, as the policy declares)",
                periods.grain.name(),
                periods.time_zone.name()
            ),
        )),
        _ => Ok(derived),
    }
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

/// Reads a policy, sales and touches from a KPI input record.
pub(crate) fn read_input(record: &Record) -> Result<(History, Vec<Sale>, Vec<CustomerTouch>)> {
    let (ppath, pv) = record.field("policy");
    if pv.is_null() {
        return Err(KpiError::at(ErrorCode::MissingField, &ppath, "is missing"));
    }
    let policy = History::read(pv, &ppath)?;
    let sales = read_sales(record, &policy.first)?;
    let touches = read_touches(record)?;
    Ok((policy, sales, touches))
}
