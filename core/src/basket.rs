//! Basket KPIs: `basket.average` and `basket.multichannel_uplift`.

use crate::catalog::Params;
use crate::channel::{ChannelGroup, Taxonomy};
use crate::conversion::{RATE_SCALE, ZERO_DENOMINATOR};
use crate::decimal::{add_count, divide};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::money::{add_amount, read_amount, read_currency, Currency};
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

/// Orders and revenue of a group, with the average basket at the currency's minor unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basket {
    /// Number of orders.
    pub orders: u64,
    /// Sum of order amounts, at the minor-unit scale.
    pub revenue: Decimal,
    /// `revenue / orders` rounded half to even at the minor unit; `None` without orders.
    pub average: Option<Decimal>,
}

impl Basket {
    fn new(orders: u64, revenue: Decimal, currency: &Currency) -> Result<Self> {
        Ok(Self {
            orders,
            revenue,
            average: divide(revenue, Decimal::from(orders), currency.minor_units())?,
        })
    }

    fn fields(&self) -> Vec<(String, Output)> {
        vec![
            ("orders".to_owned(), self.orders.into()),
            ("revenue".to_owned(), self.revenue.into()),
            ("average".to_owned(), self.average.into()),
            (
                "reason".to_owned(),
                self.average
                    .map_or(Output::from(ZERO_DENOMINATOR), |_| Output::Null),
            ),
        ]
    }
}

/// Sums amounts per key, keeping the order of first appearance.
#[derive(Debug, Default)]
struct Totals {
    order: Vec<String>,
    sums: BTreeMap<String, (u64, Decimal)>,
}

impl Totals {
    fn add(&mut self, key: &str, amount: Decimal) -> Result<()> {
        if !self.sums.contains_key(key) {
            self.order.push(key.to_owned());
        }
        let entry = self
            .sums
            .entry(key.to_owned())
            .or_insert((0, Decimal::ZERO));
        entry.0 = add_count(entry.0, 1, "orders")?;
        entry.1 = add_amount(entry.1, amount)?;
        Ok(())
    }

    fn get(&self, key: &str) -> (u64, Decimal) {
        self.sums.get(key).copied().unwrap_or((0, Decimal::ZERO))
    }
}

/// One order for the basket KPIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The customer (used by `basket.multichannel_uplift`).
    pub customer: String,
    /// The channel the order was placed in.
    pub channel: String,
    /// The order amount, non-negative, in the input's currency.
    pub amount: Decimal,
}

/// Average basket (average order value), overall and per channel.
///
/// # Example
/// ```
/// use omnikpi::basket::{basket_average, Order};
/// use omnikpi::money::Currency;
/// use rust_decimal::Decimal;
/// let eur = Currency::lookup("EUR", None, "currency").unwrap();
/// let o = |ch: &str, cents: i64| Order { customer: "c".into(), channel: ch.into(), amount: Decimal::new(cents, 2) };
/// let (overall, by_channel) = basket_average(&[o("web", 1000), o("web", 2001), o("store", 500)], &eur).unwrap();
/// assert_eq!(overall.average.unwrap().to_string(), "11.67");
/// assert_eq!(by_channel[0].1.average.unwrap().to_string(), "15.00"); // 15.005 -> half to even
/// ```
///
/// # Errors
/// `empty_input`, `arithmetic_overflow`.
pub fn basket_average(
    orders: &[Order],
    currency: &Currency,
) -> Result<(Basket, Vec<(String, Basket)>)> {
    if orders.is_empty() {
        return Err(KpiError::at(
            ErrorCode::EmptyInput,
            "input.orders",
            "must not be empty",
        ));
    }
    let mut totals = Totals::default();
    let mut revenue = zero(currency);
    for o in orders {
        totals.add(&o.channel, o.amount)?;
        revenue = add_amount(revenue, o.amount)?;
    }
    let by_channel = totals
        .order
        .iter()
        .map(|c| {
            let (n, r) = totals.get(c);
            Ok((c.clone(), Basket::new(n, r, currency)?))
        })
        .collect::<Result<_>>()?;
    Ok((
        Basket::new(orders.len() as u64, revenue, currency)?,
        by_channel,
    ))
}

pub(crate) fn zero(currency: &Currency) -> Decimal {
    let mut z = Decimal::ZERO;
    z.rescale(currency.minor_units());
    z
}

fn read_orders(record: &Record, currency: &Currency, with_customer: bool) -> Result<Vec<Order>> {
    let allowed: &[&str] = if with_customer {
        &["customer", "channel", "amount", "currency"]
    } else {
        &["channel", "amount", "currency"]
    };
    record
        .list("orders")?
        .into_iter()
        .map(|(path, v)| {
            let r = Record::new(v, &path, allowed)?;
            Ok(Order {
                customer: if with_customer {
                    r.text("customer")?
                } else {
                    String::new()
                },
                channel: r.text("channel")?,
                amount: read_amount(&r, "amount", currency, false)?,
            })
        })
        .collect()
}

pub(crate) fn evaluate_average(input: &Value, params: &Params) -> Result<Output> {
    let record = Record::new(input, "input", &["currency", "orders"])?;
    let currency = read_currency(&record, params)?;
    let orders = read_orders(&record, &currency, false)?;
    let (overall, by_channel) = basket_average(&orders, &currency)?;
    let by_channel = by_channel
        .iter()
        .map(|(c, b)| {
            let mut fields = vec![("channel".to_owned(), Output::from(c.as_str()))];
            fields.extend(b.fields());
            Output::Record(fields)
        })
        .collect();
    Ok(Output::record([
        ("currency", currency.code().into()),
        ("overall", Output::Record(overall.fields())),
        ("by_channel", Output::List(by_channel)),
        ("rows", RowCounts::all_used(orders.len()).into()),
    ]))
}

// ---------------------------------------------------------------- basket.multichannel_uplift

/// Customer segments by the channel groups they bought in.
pub const SEGMENTS: [&str; 3] = ["multichannel", "offline_only", "online_only"];

/// The result of `basket.multichannel_uplift`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uplift {
    /// Per segment of [`SEGMENTS`]: customers and their basket.
    pub segments: Vec<(&'static str, u64, Basket)>,
    /// `average(multichannel) / average(reference) - 1`, from the exact averages, half to even
    /// at 6 places.
    pub uplift: Option<Decimal>,
    /// Why `uplift` is absent: `empty_segment` or `zero_denominator`.
    pub reason: Option<&'static str>,
}

/// How much larger the average basket of multichannel customers (orders in both online and
/// offline channels) is than the reference segment's (`offline_only`, `online_only`, or
/// `single_channel` = both single-channel segments together).
///
/// # Example
/// ```
/// use omnikpi::basket::{multichannel_uplift, Order};
/// use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
/// use omnikpi::money::Currency;
/// use rust_decimal::Decimal;
/// let tax = Taxonomy::new(vec![
///     Channel { name: "web".into(), group: ChannelGroup::Online, direct: false },
///     Channel { name: "store".into(), group: ChannelGroup::Offline, direct: false },
/// ]).unwrap();
/// let eur = Currency::lookup("EUR", None, "currency").unwrap();
/// let o = |c: &str, ch: &str, eur: i64| Order { customer: c.into(), channel: ch.into(), amount: Decimal::from(eur) };
/// let orders = [o("a", "web", 60), o("a", "store", 60), o("b", "store", 50)];
/// let u = multichannel_uplift(&tax, &orders, &eur, "offline_only").unwrap();
/// assert_eq!(u.uplift.unwrap().to_string(), "0.200000"); // 60 vs 50
/// ```
///
/// # Errors
/// `empty_input`, `unknown_channel`, `arithmetic_overflow`.
pub fn multichannel_uplift(
    taxonomy: &Taxonomy,
    orders: &[Order],
    currency: &Currency,
    reference: &str,
) -> Result<Uplift> {
    if orders.is_empty() {
        return Err(KpiError::at(
            ErrorCode::EmptyInput,
            "input.orders",
            "must not be empty",
        ));
    }
    let mut groups: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for (i, o) in orders.iter().enumerate() {
        let g = taxonomy.group(&o.channel, &format!("input.orders[{i}].channel"))?;
        let entry = groups.entry(&o.customer).or_default();
        match g {
            ChannelGroup::Online => entry.0 = true,
            ChannelGroup::Offline => entry.1 = true,
        }
    }
    let segment_of = |customer: &str| match groups.get(customer).copied().unwrap_or_default() {
        (true, true) => "multichannel",
        (false, _) => "offline_only",
        (true, false) => "online_only",
    };
    let mut totals = Totals::default();
    for o in orders {
        totals.add(segment_of(&o.customer), o.amount)?;
    }
    let mut segments = Vec::new();
    for s in SEGMENTS {
        let customers = groups.keys().filter(|c| segment_of(c) == s).count() as u64;
        let (n, r) = totals.get(s);
        let revenue = if n == 0 { zero(currency) } else { r };
        segments.push((s, customers, Basket::new(n, revenue, currency)?));
    }
    let pick = |names: &[&str]| {
        names.iter().try_fold((0u64, Decimal::ZERO), |acc, s| {
            let (n, r) = totals.get(s);
            Ok::<_, KpiError>((add_count(acc.0, n, "orders")?, add_amount(acc.1, r)?))
        })
    };
    let (n_ref, r_ref) = match reference {
        "offline_only" => pick(&["offline_only"]),
        "online_only" => pick(&["online_only"]),
        _ => pick(&["offline_only", "online_only"]),
    }?;
    let (n_multi, r_multi) = totals.get("multichannel");
    let overflow = || KpiError::overflow("the uplift");
    let (uplift, reason) = if n_multi == 0 || n_ref == 0 {
        (None, Some("empty_segment"))
    } else if r_ref.is_zero() {
        (None, Some(ZERO_DENOMINATOR))
    } else {
        // (r_m / n_m) / (r_r / n_r) - 1 = (r_m * n_r - n_m * r_r) / (n_m * r_r), exactly.
        let a = r_multi
            .checked_mul(Decimal::from(n_ref))
            .ok_or_else(overflow)?;
        let b = r_ref
            .checked_mul(Decimal::from(n_multi))
            .ok_or_else(overflow)?;
        let diff = a.checked_sub(b).ok_or_else(overflow)?;
        (divide(diff, b, RATE_SCALE)?, None)
    };
    Ok(Uplift {
        segments,
        uplift,
        reason,
    })
}

pub(crate) fn evaluate_uplift(input: &Value, params: &Params) -> Result<Output> {
    let record = Record::new(input, "input", &["currency", "channels", "orders"])?;
    let currency = read_currency(&record, params)?;
    let taxonomy = Taxonomy::read(&record, "channels")?;
    let orders = read_orders(&record, &currency, true)?;
    let reference = params.text("reference");
    let result = multichannel_uplift(&taxonomy, &orders, &currency, reference)?;
    let segments = result
        .segments
        .iter()
        .map(|(s, customers, b)| {
            let mut fields = vec![
                ("segment".to_owned(), Output::from(*s)),
                ("customers".to_owned(), (*customers).into()),
            ];
            fields.extend(b.fields());
            Output::Record(fields)
        })
        .collect();
    Ok(Output::record([
        ("currency", currency.code().into()),
        ("segments", Output::List(segments)),
        ("reference", reference.into()),
        ("uplift", result.uplift.into()),
        ("reason", result.reason.into()),
        ("rows", RowCounts::all_used(orders.len()).into()),
    ]))
}
