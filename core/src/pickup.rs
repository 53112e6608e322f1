//! `pickup.attach_rate`: click-and-collect pickups with an extra purchase at the store.

use crate::basket::zero;
use crate::catalog::Params;
use crate::conversion::Ratio;
use crate::decimal::{add_count, divide};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::money::{add_amount, read_amount, read_currency, Currency};
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

/// A click-and-collect pickup and what the customer bought on top at the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pickup {
    /// Unique pickup (or order) id.
    pub pickup_id: String,
    /// The store where the order was collected.
    pub store: String,
    /// Amount of the extra purchase at pickup, zero when none.
    pub extra_amount: Decimal,
}

/// Attach rate at pickup for one store or overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attach {
    /// Pickups with an extra purchase / pickups.
    pub rate: Ratio,
    /// Sum of extra purchases.
    pub extra_revenue: Decimal,
    /// `extra_revenue / pickups with extra`, at the minor unit; `None` when there is none.
    pub average_extra: Option<Decimal>,
}

impl Attach {
    fn new(with_extra: u64, pickups: u64, extra: Decimal, currency: &Currency) -> Result<Self> {
        Ok(Self {
            rate: Ratio::new(with_extra, pickups)?,
            extra_revenue: extra,
            average_extra: divide(extra, Decimal::from(with_extra), currency.minor_units())?,
        })
    }

    fn fields(&self) -> Vec<(String, Output)> {
        let mut fields = self.rate.fields("with_extra", "pickups");
        fields.push(("extra_revenue".to_owned(), self.extra_revenue.into()));
        fields.push(("average_extra".to_owned(), self.average_extra.into()));
        fields
    }
}

/// Share of click-and-collect pickups where the customer bought something extra, the extra
/// revenue, and the average extra purchase; overall and per store.
///
/// # Example
/// ```
/// use omnikpi::pickup::{attach_rate, Pickup};
/// use omnikpi::money::Currency;
/// use rust_decimal::Decimal;
/// let eur = Currency::lookup("EUR", None, "currency").unwrap();
/// let p = |id: &str, cents: i64| Pickup { pickup_id: id.into(), store: "lyon".into(), extra_amount: Decimal::new(cents, 2) };
/// let (overall, _) = attach_rate(&[p("1", 0), p("2", 1250), p("3", 750)], &eur).unwrap();
/// assert_eq!(overall.rate.rate.unwrap().to_string(), "0.666667");
/// assert_eq!(overall.average_extra.unwrap().to_string(), "10.00");
/// ```
///
/// # Errors
/// `empty_input`, `duplicate_key` (a pickup id twice), `arithmetic_overflow`.
pub fn attach_rate(
    pickups: &[Pickup],
    currency: &Currency,
) -> Result<(Attach, Vec<(String, Attach)>)> {
    if pickups.is_empty() {
        return Err(KpiError::at(
            ErrorCode::EmptyInput,
            "input.pickups",
            "must not be empty",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut stores: Vec<String> = Vec::new();
    let mut per: BTreeMap<&str, (u64, u64, Decimal)> = BTreeMap::new();
    let mut all = (0u64, 0u64, zero(currency));
    for (i, p) in pickups.iter().enumerate() {
        if !seen.insert(p.pickup_id.as_str()) {
            return Err(KpiError::at(
                ErrorCode::DuplicateKey,
                &format!("input.pickups[{i}].pickup_id"),
                format!("repeats pickup `{}`", p.pickup_id),
            ));
        }
        let entry = per.entry(&p.store).or_insert_with(|| {
            stores.push(p.store.clone());
            (0, 0, zero(currency))
        });
        let extra = u64::from(!p.extra_amount.is_zero());
        for t in [entry, &mut all] {
            t.0 = add_count(t.0, 1, "pickups")?;
            t.1 = add_count(t.1, extra, "pickups with an extra purchase")?;
            t.2 = add_amount(t.2, p.extra_amount)?;
        }
    }
    let by_store = stores
        .iter()
        .map(|s| {
            let (n, k, r) = per.get(s.as_str()).copied().unwrap_or_default();
            Ok((s.clone(), Attach::new(k, n, r, currency)?))
        })
        .collect::<Result<_>>()?;
    Ok((Attach::new(all.1, all.0, all.2, currency)?, by_store))
}

pub(crate) fn evaluate_attach(input: &Value, params: &Params) -> Result<Output> {
    let record = Record::new(input, "input", &["currency", "pickups"])?;
    let currency = read_currency(&record, params)?;
    let pickups = record
        .list("pickups")?
        .into_iter()
        .map(|(path, v)| {
            let r = Record::new(
                v,
                &path,
                &["pickup_id", "store", "extra_amount", "currency"],
            )?;
            Ok(Pickup {
                pickup_id: r.text("pickup_id")?,
                store: r.text("store")?,
                extra_amount: read_amount(&r, "extra_amount", &currency, false)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let (overall, by_store) = attach_rate(&pickups, &currency)?;
    let by_store = by_store
        .iter()
        .map(|(s, a)| {
            let mut fields = vec![("store".to_owned(), Output::from(s.as_str()))];
            fields.extend(a.fields());
            Output::Record(fields)
        })
        .collect();
    Ok(Output::record([
        ("currency", currency.code().into()),
        ("overall", Output::Record(overall.fields())),
        ("by_store", Output::List(by_store)),
        ("rows", RowCounts::all_used(pickups.len()).into()),
    ]))
}
