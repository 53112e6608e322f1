//! Currencies: amounts in several currencies converted to the reporting currency with a declared
//! FX table, before any KPI reads them.
//!
//! A KPI whose definition declares `fx` (the amount fields of its record lists) takes an `fx`
//! input beside its own; the table and the output it adds are written once, in `spec/fx.json`.
//! Without a table, a record in another currency than the input's is `currency_mismatch`, as
//! before.
//!
//! ```
//! use serde_json::json;
//! let input = json!({"currency": "EUR", "orders": [
//!     {"channel": "web", "amount": "10.00", "currency": "EUR"},
//!     {"channel": "web", "amount": "10.00", "currency": "GBP"}],
//!   "fx": {"id": "budget-2026", "currency": "EUR", "rate_at": "fixed", "rounding": "half_even",
//!          "rates": [{"currency": "GBP", "rate": "1.1655"}]}});
//! let out = omnikpi::evaluate("basket.average", &input, &json!(null)).unwrap().to_json();
//! assert_eq!(out["overall"]["revenue"], "21.66"); // 10.00 GBP is 11.655 EUR: 11.66, half to even
//! assert_eq!(out["fx"]["converted"], 1);
//! ```

use crate::catalog::Definition;
use crate::error::{ErrorCode, KpiError, Result};
use crate::incentive::Periods;
use crate::input::{read_decimal, Record};
use crate::money::Currency;
use crate::output::Output;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The shared text: the `fx` input and output.
const SHARED: &str = include_str!("../spec/fx.json");

/// Adds the `fx` input and output to a definition that declares `fx`.
pub(crate) fn extend_definition(document: &mut Value) {
    if document.get("fx").is_none() {
        return;
    }
    let Ok(shared) = serde_json::from_str::<Value>(SHARED) else {
        return; // a core test parses the file: it cannot be malformed in a build
    };
    for (key, section) in [("input", "inputs"), ("output", "outputs")] {
        if let (Some(added), Some(Value::Array(list))) =
            (shared.get(key), document.get_mut(section))
        {
            list.push(added.clone());
        }
    }
}

/// When a rate applies.
#[derive(Debug, Clone, PartialEq)]
enum RateAt {
    /// One rate per currency (a budget or closing rate).
    Fixed(BTreeMap<String, Decimal>),
    /// The rate in force on the record's date: the latest `valid_from` on or before it.
    Date(Periods, BTreeMap<String, Vec<(String, Decimal)>>),
    /// The average rate of the record's period.
    Period(Periods, BTreeMap<(String, String), Decimal>),
}

/// A declared FX table.
#[derive(Debug, Clone, PartialEq)]
struct Table {
    id: String,
    currency: String,
    half_up: bool,
    rates: RateAt,
}

impl Table {
    fn read(value: &Value) -> Result<Self> {
        let r = Record::new(
            value,
            "input.fx",
            &[
                "id",
                "currency",
                "rate_at",
                "rounding",
                "grain",
                "time_zone",
                "rates",
            ],
        )?;
        let id = r.text("id")?;
        let currency = r.text("currency")?;
        Currency::lookup(&currency, None, &r.field_path("currency"))?;
        let rate_at = crate::input::choice(
            &r.text("rate_at")?,
            &["fixed", "date", "period"],
            &r.field_path("rate_at"),
        )?;
        let half_up = crate::input::choice(
            &r.text("rounding")?,
            &["half_even", "half_up"],
            &r.field_path("rounding"),
        )? == "half_up";
        let zone = r.opt_text("time_zone")?;
        let grain = r.opt_text("grain")?.unwrap_or_else(|| "month".to_owned());
        let periods = |grain: &str| {
            Periods::new(grain, zone.as_deref(), "input.fx").map_err(|e| {
                KpiError::new(
                    ErrorCode::InvalidParameter,
                    e.path().map(str::to_owned),
                    e.message(),
                )
            })
        };
        let rows = r.non_empty_list("rates")?;
        let rates = match rate_at {
            "fixed" => RateAt::Fixed(fixed_rates(&rows)?),
            "date" => RateAt::Date(periods("day")?, dated_rates(&rows)?),
            _ => {
                let periods = periods(&grain)?;
                let rates = period_rates(&periods, &rows)?;
                RateAt::Period(periods, rates)
            }
        };
        Ok(Self {
            id,
            currency,
            half_up,
            rates,
        })
    }

    /// `amount` in `code` on the record's time (or period), in the reporting currency.
    fn convert(
        &self,
        amount: Decimal,
        code: &str,
        when: &When,
        reporting: &Currency,
        path: &str,
    ) -> Result<Decimal> {
        let rate = self.rate(code, when, path)?;
        let product = amount
            .checked_mul(rate)
            .ok_or_else(|| KpiError::overflow("an FX conversion"))?;
        let strategy = if self.half_up {
            RoundingStrategy::MidpointAwayFromZero
        } else {
            RoundingStrategy::MidpointNearestEven
        };
        Ok(product.round_dp_with_strategy(reporting.minor_units(), strategy))
    }

    fn rate(&self, code: &str, when: &When, path: &str) -> Result<Decimal> {
        let missing = |at: &str| {
            KpiError::at(
                ErrorCode::MissingFxRate,
                path,
                format!(
                    "is in {code}, and FX table `{}` has no {code} rate{at}",
                    self.id
                ),
            )
        };
        match &self.rates {
            RateAt::Fixed(rates) => rates.get(code).copied().ok_or_else(|| missing("")),
            RateAt::Date(days, rates) => {
                let day = when.label(days)?;
                rates
                    .get(code)
                    .and_then(|dated| dated.iter().rev().find(|(from, _)| *from <= day))
                    .map(|(_, rate)| *rate)
                    .ok_or_else(|| missing(&format!(" in force on {day}")))
            }
            RateAt::Period(periods, rates) => {
                let period = when.label(periods)?;
                rates
                    .get(&(code.to_owned(), period.clone()))
                    .copied()
                    .ok_or_else(|| missing(&format!(" for period {period}")))
            }
        }
    }
}

/// A rate row's currency and rate (positive).
fn rate_row<'v>(
    row: &'v Value,
    path: &str,
    fields: &[&str],
) -> Result<(Record<'v>, String, Decimal)> {
    let r = Record::new(row, path, fields)?;
    let code = r.text("currency")?;
    Currency::lookup(&code, None, &r.field_path("currency"))?;
    let rate = r.decimal("rate")?;
    if rate <= Decimal::ZERO {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            &r.field_path("rate"),
            format!("must be positive, got {rate}"),
        ));
    }
    Ok((r, code, rate))
}

fn duplicate(path: &str, what: &str) -> KpiError {
    KpiError::at(ErrorCode::DuplicateKey, path, format!("repeats {what}"))
}

fn fixed_rates(rows: &[(String, &Value)]) -> Result<BTreeMap<String, Decimal>> {
    let mut rates = BTreeMap::new();
    for (path, row) in rows {
        let (_, code, rate) = rate_row(row, path, &["currency", "rate"])?;
        if rates.insert(code.clone(), rate).is_some() {
            return Err(duplicate(path, &format!("the rate of {code}")));
        }
    }
    Ok(rates)
}

fn dated_rates(rows: &[(String, &Value)]) -> Result<BTreeMap<String, Vec<(String, Decimal)>>> {
    let mut rates: BTreeMap<String, Vec<(String, Decimal)>> = BTreeMap::new();
    for (path, row) in rows {
        let (r, code, rate) = rate_row(row, path, &["currency", "rate", "valid_from"])?;
        let from = r.text("valid_from")?;
        if chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d").is_err() || from.len() != 10 {
            return Err(KpiError::at(
                ErrorCode::InvalidTimestamp,
                &r.field_path("valid_from"),
                format!("must be a date like 2026-01-31, got `{from}`"),
            ));
        }
        let dated = rates.entry(code.clone()).or_default();
        if dated.iter().any(|(f, _)| *f == from) {
            return Err(duplicate(path, &format!("the {code} rate from {from}")));
        }
        dated.push((from, rate));
        dated.sort();
    }
    Ok(rates)
}

fn period_rates(
    periods: &Periods,
    rows: &[(String, &Value)],
) -> Result<BTreeMap<(String, String), Decimal>> {
    let mut rates = BTreeMap::new();
    for (path, row) in rows {
        let (r, code, rate) = rate_row(row, path, &["currency", "rate", "period"])?;
        let period = periods.checked_label(&r.text("period")?, &r.field_path("period"))?;
        if rates.insert((code.clone(), period.clone()), rate).is_some() {
            return Err(duplicate(path, &format!("the {code} rate of {period}")));
        }
    }
    Ok(rates)
}

/// A record's time, found by the paths its definition declares, or its `period` field.
struct When<'a> {
    fields: &'a Map<String, Value>,
    paths: &'a [String],
    /// The record's path, under which its time or `period` is named in errors.
    record: &'a str,
}

impl When<'_> {
    /// The record's period (or day) label under `periods`: from its time, else its `period`
    /// field (for a table of period averages).
    fn label(&self, periods: &Periods) -> Result<String> {
        let path = self.record;
        if let Some(label) = crate::segment::record_period(self.fields, self.paths, path, periods) {
            return label;
        }
        match self.fields.get("period") {
            Some(Value::String(p)) if periods.grain != crate::incentive::Grain::Day => {
                periods.checked_label(p, &format!("{path}.period"))
            }
            _ => Err(KpiError::at(
                ErrorCode::MissingField,
                &format!(
                    "{path}.{}",
                    self.paths
                        .first()
                        .map_or("period", String::as_str)
                        .replace('/', ".")
                ),
                "is missing: the FX table's rates depend on a record's time",
            )),
        }
    }
}

/// What the conversion did, reported in the result's `fx` field.
pub(crate) struct Report {
    table: String,
    rate_at: &'static str,
    converted: u64,
}

impl Report {
    /// The `fx` output.
    pub(crate) fn to_output(&self) -> Output {
        Output::record([
            ("table", Output::Text(self.table.clone())),
            ("rate_at", Output::Text(self.rate_at.to_owned())),
            ("converted", Output::Count(self.converted)),
        ])
    }
}

/// The input with every amount of the declared records in the reporting currency (the input's
/// `currency`), and the table removed; `None` when the input has no `fx`.
///
/// # Errors
/// The table's shape errors at `input.fx...`; `currency_mismatch` when the table's currency is
/// not the input's; `missing_fx_rate` at an amount the table has no rate for; `missing_field`
/// at a record whose time the rate depends on.
pub(crate) fn apply(definition: &Definition, input: &Value) -> Result<Option<(Value, Report)>> {
    let (Some(declared), Some(object)) = (definition.document.get("fx"), input.as_object()) else {
        return Ok(None);
    };
    let Some(table) = object.get("fx").filter(|t| !t.is_null()) else {
        return Ok(None);
    };
    let table = Table::read(table)?;
    let code = object
        .get("currency")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let reporting = Currency::lookup(code, None, "input.currency")?;
    if table.currency != reporting.code() {
        return Err(KpiError::at(
            ErrorCode::CurrencyMismatch,
            "input.fx.currency",
            format!("is `{}`, but the input reports in `{code}`", table.currency),
        ));
    }
    let mut out = object.clone();
    out.remove("fx");
    let mut converted = 0u64;
    for (list, amounts) in declared.as_object().into_iter().flatten() {
        let paths = crate::segment::time_paths(definition, list);
        let period_key =
            matches!(table.rates, RateAt::Period(..)) && !reads_period(definition, list);
        let Some(Value::Array(records)) = out.get_mut(list) else {
            continue;
        };
        for (i, record) in records.iter_mut().enumerate() {
            let Value::Object(fields) = record else {
                continue;
            };
            let path = || format!("input.{list}[{i}]");
            if convert_record(fields, amounts, &paths, &table, &reporting, &path)? {
                converted = converted.saturating_add(1);
            }
            if period_key {
                // the table's key, not a field of the KPI
                fields.shift_remove("period");
            }
        }
    }
    let rate_at = match table.rates {
        RateAt::Fixed(_) => "fixed",
        RateAt::Date(..) => "date",
        RateAt::Period(..) => "period",
    };
    Ok(Some((
        Value::Object(out),
        Report {
            table: table.id,
            rate_at,
            converted,
        },
    )))
}

/// Whether the KPI's records of `list` have a `period` field of their own (otherwise a
/// record's `period` only chooses its period-average rate, and is taken out before the KPI
/// reads the record).
fn reads_period(definition: &Definition, list: &str) -> bool {
    definition
        .document
        .get("inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|input| input.get("name").and_then(Value::as_str) == Some(list))
        .filter_map(|input| input.get("fields")?.as_array())
        .flatten()
        .any(|field| field.get("name").and_then(Value::as_str) == Some("period"))
}

/// Converts a record's amounts when its currency is not the reporting one; whether it did.
fn convert_record(
    fields: &mut Map<String, Value>,
    amounts: &Value,
    paths: &[String],
    table: &Table,
    reporting: &Currency,
    path: &dyn Fn() -> String,
) -> Result<bool> {
    let code = match fields.get("currency") {
        Some(Value::String(code)) if code != reporting.code() => code.clone(),
        _ => return Ok(false),
    };
    let path = path();
    let source = Currency::lookup(&code, None, &format!("{path}.currency"))?;
    let names: Vec<&str> = amounts
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut converted = Vec::new();
    for name in &names {
        let at = format!("{path}.{name}");
        let amount = match fields.get(*name) {
            None | Some(Value::Null) => continue,
            Some(value) => read_decimal(value, &at)?,
        };
        source.amount(amount, &at)?;
        let when = When {
            fields,
            paths,
            record: &path,
        };
        converted.push((*name, table.convert(amount, &code, &when, reporting, &at)?));
    }
    for (name, amount) in converted {
        fields.insert(name.to_owned(), Value::String(amount.to_string()));
    }
    fields.insert(
        "currency".to_owned(),
        Value::String(reporting.code().to_owned()),
    );
    Ok(true)
}
