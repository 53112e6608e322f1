//! VAT: whether a policy pays on amounts as the sales give them (`gross`, VAT included) or net
//! of VAT, at rates per product category and country.
//!
//! With base `net`, every amount the policy reads — shares, conditions, tiers, bonuses — is the
//! sale's net amount: `gross × 100 / (100 + rate)`, rounded to the currency's minor unit by the
//! policy's rounding. The rate of a sale is the most specific entry of `rates` that matches it
//! (country and category, then category, then country, then neither) among those in force on
//! the sale's day (`valid_from`/`valid_to`); a refund is taken net at the rate of the sale it
//! reverses, on that sale's day.
//!
//! ```
//! use serde_json::json;
//! let out = omnikpi::evaluate("incentives.split", &json!({
//!     "policy": {"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
//!                "currency": "EUR", "vat": {"base": "net", "rates": [{"rate": "20"}]},
//!                "parties": [{"id": "web", "kind": "channel"}],
//!                "rules": [{"id": "web_orders", "shares": [{"party": "web", "percent": "5"}]}]},
//!     "sales": [{"sale_id": "o1", "timestamp": 0, "period": "2026-10", "origin_channel": "web",
//!                "fulfilment_channel": "web", "amount": "120.00"}]
//! }), &json!(null)).unwrap().to_json();
//! assert_eq!(out["lines"][0]["amount"], "5.00"); // 5% of 100.00, the amount net of 20% VAT
//! ```

use super::policy::{Policy, Validity};
use super::sale::Sale;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

/// What a policy pays on, and the VAT rates that take sales net.
#[derive(Debug, Clone, PartialEq)]
pub struct Vat {
    /// Whether shares are computed on amounts net of VAT.
    pub net: bool,
    /// The rates, in declared order.
    pub rates: Vec<VatRate>,
}

/// One VAT rate and the sales it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct VatRate {
    /// The sales' `country`, or any country.
    pub country: Option<String>,
    /// The sales' `category`, or any category.
    pub category: Option<String>,
    /// The rate in percent (`20`, `5.5`).
    pub rate: Decimal,
    /// The days of the sales it applies to (a rate change on a date is two entries).
    pub valid: Validity,
}

/// The VAT a sale's amounts were taken net of: its rate and its gross amounts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetOfVat {
    /// The rate in percent.
    pub rate: Decimal,
    /// The amount as the sale gave it.
    pub gross: Decimal,
    /// The extra amount as the sale gave it.
    pub gross_extra: Decimal,
}

fn invalid(path: &str, detail: impl std::fmt::Display) -> KpiError {
    KpiError::at(ErrorCode::InvalidPolicy, path, detail.to_string())
}

impl Vat {
    /// Reads the policy's `vat` object: `{"base": "net" | "gross", "rates": [{"country"?,
    /// "category"?, "rate"}]}`; `None` when the policy has none (amounts paid as given).
    ///
    /// # Errors
    /// `invalid_policy` for another base, a rate outside 0 to 100 or a net base without rates;
    /// `duplicate_key` for two rates of the same country and category in force on a common day;
    /// shape errors.
    pub(crate) fn read(record: &Record) -> Result<Option<Self>> {
        if !record.has("vat") {
            return Ok(None);
        }
        let (path, value) = record.field("vat");
        let vat = Record::new(value, &path, &["base", "rates"])?;
        let net = match vat.text("base")?.as_str() {
            "net" => true,
            "gross" => false,
            other => {
                return Err(invalid(
                    &vat.field_path("base"),
                    format!("must be net or gross, got `{other}`"),
                ))
            }
        };
        let rates = if vat.has("rates") {
            vat.list("rates")?
                .iter()
                .map(|(p, v)| read_rate(v, p))
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        if net && rates.is_empty() {
            return Err(invalid(
                &vat.field_path("rates"),
                "must give at least one rate: a net base takes every sale net of its rate",
            ));
        }
        for (i, r) in rates.iter().enumerate() {
            let same = |o: &&VatRate| {
                o.country == r.country && o.category == r.category && o.valid.meets(&r.valid)
            };
            if let Some(first) = rates.iter().take(i).position(|o| same(&o)) {
                return Err(KpiError::at(
                    ErrorCode::DuplicateKey,
                    &format!("{}[{i}]", vat.field_path("rates")),
                    format!("has the country and category of rates[{first}] on some of its days"),
                ));
            }
        }
        Ok(Some(Self { net, rates }))
    }

    /// The rate of a sale of `country` and `category` on `day`: the most specific matching
    /// entry in force.
    fn rate(
        &self,
        country: Option<&str>,
        category: Option<&str>,
        day: NaiveDate,
    ) -> Option<Decimal> {
        let matches = |wanted: &Option<String>, given: Option<&str>| {
            wanted.as_deref().is_none_or(|w| Some(w) == given)
        };
        self.rates
            .iter()
            .filter(|r| {
                r.valid.contains(day)
                    && matches(&r.country, country)
                    && matches(&r.category, category)
            })
            .max_by_key(|r| {
                (
                    r.country.is_some() && r.category.is_some(),
                    r.category.is_some(),
                )
            })
            .map(|r| r.rate)
    }
}

fn read_rate(value: &Value, path: &str) -> Result<VatRate> {
    let r = Record::new(
        value,
        path,
        &["country", "category", "rate", "valid_from", "valid_to"],
    )?;
    let rate = r.decimal("rate")?;
    if rate.is_sign_negative() || rate >= Decimal::ONE_HUNDRED {
        return Err(invalid(
            &r.field_path("rate"),
            format!("must be a percent from 0 to less than 100, got {rate}"),
        ));
    }
    Ok(VatRate {
        country: r.opt_text("country")?,
        category: r.opt_text("category")?,
        rate,
        valid: Validity::read(&r)?,
    })
}

/// The sales as `policy` pays them: unchanged without a net base, otherwise each amount net of
/// the VAT of its rate (a refund at the rate of the sale it reverses).
///
/// # Errors
/// `invalid_policy` at a sale no rate applies to; `arithmetic_overflow`.
pub(crate) fn as_paid(policy: &Policy, sales: &[Sale]) -> Result<Vec<Sale>> {
    let Some(vat) = policy.vat.as_ref().filter(|v| v.net) else {
        return Ok(sales.to_vec());
    };
    let by_id: BTreeMap<&str, &Sale> = sales.iter().map(|s| (s.id.as_str(), s)).collect();
    sales
        .iter()
        .map(|sale| {
            // a refund reverses at its sale's rate; an unknown sale is the engine's error
            let taxed = sale
                .refund_of
                .as_deref()
                .and_then(|id| by_id.get(id).copied())
                .unwrap_or(sale);
            let rate = vat
                .rate(
                    taxed.country.as_deref(),
                    taxed.category.as_deref(),
                    taxed.day,
                )
                .ok_or_else(|| {
                    invalid(
                        &taxed.path,
                        format!(
                            "has no VAT rate in policy.vat.rates (country {}, category {}, on {})",
                            taxed.country.as_deref().unwrap_or("none"),
                            taxed.category.as_deref().unwrap_or("none"),
                            taxed.day
                        ),
                    )
                })?;
            let net = |gross: Decimal| -> Result<Decimal> {
                let exact = gross
                    .checked_mul(Decimal::ONE_HUNDRED)
                    .and_then(|g| g.checked_div(Decimal::ONE_HUNDRED.checked_add(rate)?))
                    .ok_or_else(|| KpiError::overflow("an amount net of VAT"))?;
                Ok(policy.rounding.round(exact, policy.currency.minor_units()))
            };
            Ok(Sale {
                amount: net(sale.amount)?,
                extra_amount: net(sale.extra_amount)?,
                vat: Some(NetOfVat {
                    rate,
                    gross: sale.amount,
                    gross_extra: sale.extra_amount,
                }),
                ..sale.clone()
            })
        })
        .collect()
}
