//! A dataset folder (CSV tables plus a `dataset.json` manifest) turned into the inputs of every
//! KPI, and the report that computes them all. Parsing only: the caller reads the files and hands
//! their bytes (or texts) to [`texts`], so the CLI, Python and JavaScript compute the report from
//! the same bytes with the same code, and refuse the same files.
//!
//! Tables (first line is the header; extra columns are ignored):
//! - `channels.csv`: `channel,group,direct`
//! - `touches.csv`: `journey_id,customer_id,timestamp,channel`
//! - `orders.csv`: `order_id,customer_id,journey_id,timestamp,origin_channel,fulfilment_channel,amount`
//!   (`journey_id` may be empty for an order without a tracked journey)
//! - `pickups.csv`: `pickup_id,store,timestamp,extra_amount`
//! - `web_events.csv`: `session_id,timestamp,event`
//!
//! - `costs.csv`: `channel,period,cost` (marketing costs, for ROAS and CPA)
//! - `sales.csv` and `incentive_policy.json` (optional, together): the sales ledger and the
//!   incentive policy; the report then shows the payouts (see [`crate::incentive`]).
//!
//! `dataset.json`: `{"name", "currency", "periods": [previous, current], "funnel_steps": [...],
//! "conversion_window_seconds", "lookback_seconds", "store_pool": {"amount", "description"}}`.

use crate::error::{ErrorCode, KpiError, Result};
use crate::output::Output;
use crate::pack::DataFile;
use crate::table::{channels_from_csv, Table};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The files a dataset folder must hold.
pub const FILES: [&str; 9] = [
    "dataset.json",
    "incentive_policy.json",
    "sales.csv",
    "costs.csv",
    "channels.csv",
    "touches.csv",
    "orders.csv",
    "pickups.csv",
    "web_events.csv",
];

/// One KPI section of a report: what to compute and how the report titles it.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The section's own id in the report, stable across releases (`checkout_funnel`).
    pub id: &'static str,
    /// The catalogue id of the KPI it computes.
    pub kpi: String,
    /// The section's title in the report.
    pub title: String,
    /// The KPI's input, built from the dataset's tables.
    pub input: Value,
    /// The KPI's parameters (null for the defaults).
    pub params: Value,
}

impl Section {
    fn new(
        id: &'static str,
        kpi: &str,
        title: impl Into<String>,
        input: Value,
        params: Value,
    ) -> Self {
        Self {
            id,
            kpi: kpi.to_owned(),
            title: title.into(),
            input,
            params,
        }
    }
}

/// A parsed dataset: each KPI's input and parameters, ready for [`crate::evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The dataset's name from the manifest.
    pub name: String,
    /// The KPI sections in report order.
    pub sections: Vec<Section>,
    /// The attribution input (journeys from touches.csv and orders.csv), for the model comparison.
    pub journeys: Value,
    /// The `incentives.split` input (policy, sales, touches), when the dataset has a policy.
    pub incentives: Option<Value>,
}

fn get<'a>(tables: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str> {
    tables.get(name).map(String::as_str).ok_or_else(|| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(name.to_owned()),
            format!("the dataset has no `{name}`"),
        )
    })
}

/// A JSON file of the dataset, read by the host-value rules (duplicate keys, integers beyond 64
/// bits... are errors at their path under `name`); text that is not JSON is `invalid_dataset`.
fn json_file(text: &str, name: &str) -> Result<Value> {
    crate::host::from_json_text(text, name).map_err(|e| {
        if e.code() == ErrorCode::InvalidJson {
            KpiError::new(
                ErrorCode::InvalidDataset,
                Some(name.to_owned()),
                e.message(),
            )
        } else {
            e
        }
    })
}

fn manifest_field<'a>(manifest: &'a Value, key: &str) -> Result<&'a Value> {
    manifest.get(key).ok_or_else(|| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(format!("dataset.json:{key}")),
            format!("`dataset.json` has no `{key}`"),
        )
    })
}

/// Rows of touches.csv: journey_id, customer_id, timestamp, channel.
type TouchRows<'t> = [(usize, [&'t str; 4])];
/// Rows of orders.csv: order_id, customer_id, journey_id, timestamp, origin_channel,
/// fulfilment_channel, amount, period.
type OrderRows<'t> = [(usize, [&'t str; 8])];

/// What every section builder reads: the manifest and the rows of the dataset's tables.
struct Sources<'t> {
    manifest: &'t Value,
    currency: &'t Value,
    taxonomy: &'t [Value],
    touches: &'t TouchRows<'t>,
    orders: &'t OrderRows<'t>,
}

impl Sources<'_> {
    fn manifest(&self, key: &str) -> Result<&Value> {
        manifest_field(self.manifest, key)
    }

    /// The manifest's two periods, previous then current.
    fn periods(&self) -> Result<(&str, &str)> {
        let periods = self.manifest("periods")?;
        let period = |i: usize| periods.get(i).and_then(Value::as_str).unwrap_or_default();
        Ok((period(0), period(1)))
    }

    /// conversion.rate: one row per journey, credited to its first touch's channel.
    fn rate(&self) -> Result<Section> {
        let mut first_touch: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
        let mut journey_order: Vec<&str> = Vec::new();
        for (line, [journey, _, ts, channel]) in self.touches {
            let at =
                crate::input::parse_timestamp(ts, &format!("touches.csv:row {line}:timestamp"))?;
            match first_touch.get(journey) {
                Some((t0, _)) if *t0 <= at => {}
                existing => {
                    if existing.is_none() {
                        journey_order.push(journey);
                    }
                    first_touch.insert(journey, (at, channel));
                }
            }
        }
        let converted: BTreeSet<&str> = self
            .orders
            .iter()
            .map(|(_, r)| r[2])
            .filter(|j| !j.is_empty())
            .collect();
        let rate_rows: Vec<Value> = journey_order
            .iter()
            .map(|j| {
                let channel = first_touch.get(j).map_or("", |(_, c)| c);
                json!({"channel": channel, "opportunities": 1, "conversions": u64::from(converted.contains(j))})
            })
            .collect();
        Ok(Section::new(
            "journey_conversion",
            "conversion.rate",
            "Journey conversion by first-touch channel",
            json!({"rows": rate_rows}),
            json!({"denominator": "journeys"}),
        ))
    }

    fn funnel(&self, web_events: &Table) -> Result<Section> {
        let events: Vec<Value> = web_events
            .select(["session_id", "timestamp", "event"])?
            .into_iter()
            .map(|(_, [s, t, e])| json!({"entity": s, "event": e, "timestamp": t}))
            .collect();
        let steps = self.manifest("funnel_steps")?.clone();
        Ok(Section::new(
            "checkout_funnel",
            "conversion.funnel",
            "Web checkout funnel (sessions)",
            json!({"steps": steps, "events": events}),
            json!({"window_seconds": 3600}),
        ))
    }

    fn windowed(&self) -> Result<Section> {
        let online: BTreeSet<&str> = self
            .taxonomy
            .iter()
            .filter(|c| c["group"] == "online")
            .filter_map(|c| c["channel"].as_str())
            .collect();
        let base_events: Vec<Value> = self
            .touches
            .iter()
            .filter(|(_, r)| online.contains(r[3]))
            .map(|(_, [_, c, t, ch])| json!({"entity": c, "timestamp": t, "group": ch}))
            .collect();
        let conversion_events: Vec<Value> = self
            .orders
            .iter()
            .map(|(_, r)| json!({"entity": r[1], "timestamp": r[3]}))
            .collect();
        let window = self.manifest("conversion_window_seconds")?.clone();
        Ok(Section::new(
            "orders_after_online_touch",
            "conversion.windowed",
            "Orders within the window after an online touch, by touch channel",
            json!({"base_events": base_events, "conversion_events": conversion_events}),
            json!({"window_seconds": window}),
        ))
    }

    fn cross_channel(&self) -> Result<Section> {
        let touches: Vec<Value> = self
            .touches
            .iter()
            .map(|(_, [_, c, t, ch])| json!({"customer": c, "channel": ch, "timestamp": t}))
            .collect();
        let conversions: Vec<Value> = self
            .orders
            .iter()
            .map(|(_, r)| json!({"customer": r[1], "channel": r[4], "timestamp": r[3]}))
            .collect();
        let lookback = self.manifest("lookback_seconds")?.clone();
        Ok(Section::new(
            "cross_channel_conversion",
            "conversion.cross_channel",
            "Cross-channel conversion (ROPO and reverse)",
            json!({"channels": self.taxonomy, "touches": touches, "conversions": conversions}),
            json!({"lookback_seconds": lookback}),
        ))
    }

    fn baskets(&self) -> [Section; 2] {
        let basket_orders: Vec<Value> = self
            .orders
            .iter()
            .map(|(_, r)| json!({"channel": r[4], "amount": r[6]}))
            .collect();
        let uplift_orders: Vec<Value> = self
            .orders
            .iter()
            .map(|(_, r)| json!({"customer": r[1], "channel": r[4], "amount": r[6]}))
            .collect();
        [
            Section::new(
                "average_basket",
                "basket.average",
                "Average basket by order channel",
                json!({"currency": self.currency, "orders": basket_orders}),
                Value::Null,
            ),
            Section::new(
                "multichannel_basket_uplift",
                "basket.multichannel_uplift",
                "Multichannel basket uplift",
                json!({"currency": self.currency, "channels": self.taxonomy, "orders": uplift_orders}),
                Value::Null,
            ),
        ]
    }

    /// pickup.attach_rate, and the store pool split by the number of pickups each store handled.
    fn pickups(&self, pickups: &Table) -> Result<[Section; 2]> {
        let rows = pickups.select(["pickup_id", "store", "timestamp", "extra_amount"])?;
        let list: Vec<Value> = rows
            .iter()
            .map(|(_, [id, s, _, a])| json!({"pickup_id": id, "store": s, "extra_amount": a}))
            .collect();
        let mut per_store: Vec<(&str, u64)> = Vec::new();
        for (_, [_, store, _, _]) in &rows {
            match per_store.iter_mut().find(|(s, _)| s == store) {
                Some(entry) => entry.1 = crate::decimal::add_count(entry.1, 1, "pickups")?,
                None => per_store.push((store, 1)),
            }
        }
        let pool = self.manifest("store_pool")?;
        let parties: Vec<Value> = per_store
            .iter()
            .map(|(s, n)| json!({"party": s, "weight": n.to_string()}))
            .collect();
        let pool_title = pool
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("Store pool");
        Ok([
            Section::new(
                "click_and_collect_attach",
                "pickup.attach_rate",
                "Click-and-collect attach rate by store",
                json!({"currency": self.currency, "pickups": list}),
                Value::Null,
            ),
            Section::new(
                "pickup_bonus_pool",
                "money.allocate",
                pool_title,
                json!({"amount": pool.get("amount").cloned().unwrap_or(Value::Null), "currency": self.currency, "parties": parties}),
                Value::Null,
            ),
        ])
    }

    /// Journeys for attribution: touches by journey (sorted by time, stable), with the
    /// journey's orders as its conversions, their amounts as its value.
    fn journeys(&self) -> Result<Value> {
        let mut by_journey: BTreeMap<&str, Vec<(i64, usize)>> = BTreeMap::new();
        let mut order_of: Vec<&str> = Vec::new();
        for (i, (line, [journey, _, ts, _])) in self.touches.iter().enumerate() {
            let at =
                crate::input::parse_timestamp(ts, &format!("touches.csv:row {line}:timestamp"))?;
            by_journey
                .entry(journey)
                .or_insert_with(|| {
                    order_of.push(journey);
                    Vec::new()
                })
                .push((at, i));
        }
        let mut outcomes: BTreeMap<&str, (u64, rust_decimal::Decimal, i64)> = BTreeMap::new();
        for (line, r) in self.orders {
            if r[2].is_empty() {
                continue;
            }
            let amount =
                crate::decimal::parse_decimal(r[6], &format!("orders.csv:row {line}:amount"))?;
            let at =
                crate::input::parse_timestamp(r[3], &format!("orders.csv:row {line}:timestamp"))?;
            let e = outcomes
                .entry(r[2])
                .or_insert((0, rust_decimal::Decimal::ZERO, i64::MIN));
            e.0 = crate::decimal::add_count(e.0, 1, "orders of a journey")?;
            e.1 = crate::money::add_amount(e.1, amount)?;
            e.2 = e.2.max(at);
        }
        let journey_list: Vec<Value> = order_of
            .iter()
            .map(|j| {
                let mut touches = by_journey.get(j).cloned().unwrap_or_default();
                touches.sort_by_key(|(t, _)| *t);
                let touches: Vec<Value> = touches
                    .iter()
                    .filter_map(|(t, i)| {
                        self.touches
                            .get(*i)
                            .map(|(_, r)| json!({"channel": r[3], "timestamp": t}))
                    })
                    .collect();
                match outcomes.get(j) {
                    Some((n, value, at)) => {
                        json!({"journey_id": j, "touches": touches, "conversions": n,
                        "value": value.to_string(), "conversion_timestamp": at})
                    }
                    None => json!({"journey_id": j, "touches": touches, "conversions": 0}),
                }
            })
            .collect();
        Ok(json!({"channels": self.taxonomy, "currency": self.currency, "journeys": journey_list}))
    }

    /// contribution.roas: the journeys with the costs of costs.csv in the manifest's periods.
    fn roas(&self, journeys: &Value, costs_table: &Table) -> Result<Section> {
        let (previous, current) = self.periods()?;
        let mut costs: Vec<(String, rust_decimal::Decimal)> = Vec::new();
        for (line, [channel, p, cost]) in costs_table.select(["channel", "period", "cost"])? {
            if p != previous && p != current {
                continue;
            }
            let cost = crate::decimal::parse_decimal(cost, &format!("costs.csv:row {line}:cost"))?;
            match costs.iter_mut().find(|(c, _)| c == channel) {
                Some(entry) => entry.1 = crate::money::add_amount(entry.1, cost)?,
                None => costs.push((channel.to_owned(), cost)),
            }
        }
        let mut with_costs = journeys.clone();
        if let Value::Object(map) = &mut with_costs {
            map.insert(
                "costs".into(),
                Value::Array(
                    costs
                        .iter()
                        .map(|(c, v)| json!({"channel": c, "cost": v.to_string()}))
                        .collect(),
                ),
            );
        }
        Ok(Section::new(
            "roas",
            "contribution.roas",
            format!(
                "Return on ad spend and cost per acquisition, {previous} to {current} (linear)"
            ),
            with_costs,
            Value::Null,
        ))
    }

    /// contribution.growth: order revenue by origin channel between the manifest's periods.
    fn growth(&self) -> Result<Section> {
        let (previous, current) = self.periods()?;
        let mut growth: Vec<(String, rust_decimal::Decimal, rust_decimal::Decimal)> = Vec::new();
        for (line, r) in self.orders {
            let amount =
                crate::decimal::parse_decimal(r[6], &format!("orders.csv:row {line}:amount"))?;
            let index = match growth.iter().position(|(c, _, _)| c == r[4]) {
                Some(i) => i,
                None => {
                    growth.push((
                        r[4].to_owned(),
                        rust_decimal::Decimal::ZERO,
                        rust_decimal::Decimal::ZERO,
                    ));
                    growth.len().saturating_sub(1) // just pushed: not empty
                }
            };
            if let Some(entry) = growth.get_mut(index) {
                if r[7] == previous {
                    entry.1 = crate::money::add_amount(entry.1, amount)?;
                } else if r[7] == current {
                    entry.2 = crate::money::add_amount(entry.2, amount)?;
                }
            }
        }
        Ok(Section::new(
            "revenue_growth",
            "contribution.growth",
            format!("Revenue growth by order channel, {previous} to {current}"),
            json!({"currency": self.currency, "channels": growth.iter().map(|(c, p, n)| json!({"channel": c, "previous": p.to_string(), "current": n.to_string()})).collect::<Vec<_>>()}),
            Value::Null,
        ))
    }
}

/// The `incentives.split` input (policy, sales, touches), when the dataset has a policy.
fn incentives_input(tables: &BTreeMap<String, String>) -> Result<Option<Value>> {
    let (Some(policy), Some(sales)) =
        (tables.get("incentive_policy.json"), tables.get("sales.csv"))
    else {
        return Ok(None);
    };
    let policy = json_file(policy, "incentive_policy.json")?;
    let sales = crate::incentive::records_from_csv(sales, "sales.csv", None)?;
    let touches = crate::incentive::records_from_csv(
        get(tables, "touches.csv")?,
        "touches.csv",
        Some(&["customer_id", "timestamp", "channel"]),
    )?;
    Ok(Some(
        json!({"policy": policy, "sales": sales, "touches": touches}),
    ))
}

impl Dataset {
    /// Builds every KPI input from the dataset's files, given as `file name -> text`: one
    /// builder per report section over the dataset's tables.
    ///
    /// # Errors
    /// `invalid_dataset` naming the file, and the row or column.
    pub fn from_files(tables: &BTreeMap<String, String>) -> Result<Self> {
        let manifest = json_file(get(tables, "dataset.json")?, "dataset.json")?;
        let table = |name: &str| Table::parse(name, get(tables, name)?);
        let (touches, orders) = (table("touches.csv")?, table("orders.csv")?);
        let (pickups, web_events) = (table("pickups.csv")?, table("web_events.csv")?);
        let currency = manifest_field(&manifest, "currency")?.clone();
        let name = manifest_field(&manifest, "name")?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let taxonomy = channels_from_csv(get(tables, "channels.csv")?, "channels.csv")?;
        let touch_rows = touches.select(["journey_id", "customer_id", "timestamp", "channel"])?;
        let order_rows = orders.select([
            "order_id",
            "customer_id",
            "journey_id",
            "timestamp",
            "origin_channel",
            "fulfilment_channel",
            "amount",
            "period",
        ])?;
        let src = Sources {
            manifest: &manifest,
            currency: &currency,
            taxonomy: &taxonomy,
            touches: &touch_rows,
            orders: &order_rows,
        };
        let mut sections = vec![
            src.rate()?,
            src.funnel(&web_events)?,
            src.windowed()?,
            src.cross_channel()?,
        ];
        sections.extend(src.baskets());
        sections.extend(src.pickups(&pickups)?);
        let journeys = src.journeys()?;
        sections.push(Section::new(
            "channel_contribution",
            "contribution.share",
            "Channel contribution: share of attributed value (linear)",
            journeys.clone(),
            Value::Null,
        ));
        sections.push(src.roas(&journeys, &table("costs.csv")?)?);
        sections.push(src.growth()?);
        Ok(Self {
            name,
            journeys,
            sections,
            incentives: incentives_input(tables)?,
        })
    }

    /// Computes every section: `{"dataset", "sections": [{"id", "kpi", "version", "title",
    /// "result"}]}`. `id` is the section's own stable id; `kpi` is the catalogue id it computes,
    /// or the family (`attribution`) for the section that compares every model of a family.
    ///
    /// # Errors
    /// The first KPI error, with its section named in the message.
    pub fn report(&self) -> Result<Output> {
        let sections = self
            .sections
            .iter()
            .map(
                |Section {
                     id,
                     kpi,
                     title,
                     input,
                     params,
                 }| {
                    let result = crate::evaluate(kpi, input, params).map_err(|e| {
                        KpiError::new(
                            e.code(),
                            e.path().map(str::to_owned),
                            format!("{kpi}: {}", e.message()),
                        )
                    })?;
                    let version = crate::definition(kpi)?.version.clone();
                    Ok(Output::record([
                        ("id", (*id).into()),
                        ("kpi", kpi.as_str().into()),
                        ("version", version.into()),
                        ("title", title.as_str().into()),
                        ("result", result),
                    ]))
                },
            )
            .collect::<Result<Vec<_>>>()?;
        let mut sections = sections;
        sections.push(self.attribution_comparison()?);
        if let Some(section) = self.incentive_payouts()? {
            sections.push(section);
        }
        Ok(Output::record([
            ("dataset", self.name.as_str().into()),
            ("sections", Output::List(sections)),
        ]))
    }

    /// The incentive payouts of the sales ledger under the dataset's policy, summarized for
    /// reading: payable per party and period (earned, accelerator, limit, bonus, adjustment,
    /// carried), totals per party, the amount paid per rule, and the unpaid sales with their
    /// reason. The full
    /// per-line split is `omnikpi incentives split`.
    ///
    /// # Errors
    /// Any incentive error, with the section named; `None` without a policy.
    pub fn incentive_payouts(&self) -> Result<Option<Output>> {
        let Some(input) = &self.incentives else {
            return Ok(None);
        };
        let named = |e: KpiError| {
            KpiError::new(
                e.code(),
                e.path().map(str::to_owned),
                format!("incentives.split: {}", e.message()),
            )
        };
        let record = crate::input::Record::new(input, "input", &["policy", "sales", "touches"])
            .map_err(named)?;
        let (policy, sales, touches) = crate::incentive::read_input(&record).map_err(named)?;
        let split = crate::incentive::split(&policy, &sales, &touches, &[]).map_err(named)?;
        let version = crate::definition("incentives.split")?.version.clone();
        Ok(Some(Output::record([
            ("id", "incentive_payouts".into()),
            ("kpi", "incentives.split".into()),
            ("version", version.into()),
            (
                "title",
                format!(
                    "Incentive payouts under policy {} v{} (per line: omnikpi incentives split)",
                    policy.first.id,
                    policy.version_label()
                )
                .into(),
            ),
            ("result", split.summary()?),
        ])))
    }

    /// Every attribution model (default parameters) on the dataset's journeys, in one pass:
    /// attributed conversions and value per channel, one column per model.
    ///
    /// # Errors
    /// Any attribution error, with the section named.
    pub fn attribution_comparison(&self) -> Result<Output> {
        let named = |e: KpiError| {
            KpiError::new(
                e.code(),
                e.path().map(str::to_owned),
                format!("attribution: {}", e.message()),
            )
        };
        let specs: Vec<(String, Value)> = crate::attribution::model_ids()
            .into_iter()
            .map(|id| (id.to_owned(), Value::Null))
            .collect();
        let comparison =
            crate::attribution::compare(&self.journeys, &specs, None).map_err(named)?;
        let version = crate::definition("attribution.linear")?.version.clone();
        Ok(Output::record([
            ("id", "attribution_comparison".into()),
            ("kpi", "attribution".into()),
            ("version", version.into()),
            (
                "title",
                "Attribution: every model side by side (one pass over the journeys)".into(),
            ),
            ("result", comparison.table),
        ]))
    }
}

/// The texts [`report`] reads, from the files a front end holds (`{file name: text or bytes}`),
/// by the one rule of [`DataFile::into_text`]: bytes must be UTF-8. Files not in [`FILES`] are
/// left out.
///
/// ```
/// use omnikpi::pack::DataFile;
/// let files = [("sales.csv".to_owned(), DataFile::Bytes(b"sale_id\n\xe9\n".to_vec()))];
/// let e = omnikpi::dataset::texts(files).unwrap_err();
/// assert_eq!((e.code().as_str(), e.path()), ("invalid_dataset", Some("sales.csv:row 2")));
/// let notes = [("notes.txt".to_owned(), DataFile::Text(String::new()))];
/// assert!(omnikpi::dataset::texts(notes).unwrap().is_empty());
/// ```
///
/// # Errors
/// `invalid_dataset` at `name:row N` for bytes that are not UTF-8.
pub fn texts(
    files: impl IntoIterator<Item = (String, DataFile)>,
) -> Result<BTreeMap<String, String>> {
    files
        .into_iter()
        .filter(|(name, _)| FILES.contains(&name.as_str()))
        .map(|(name, file)| Ok((name.clone(), file.into_text(&name)?)))
        .collect()
}

/// Parses a dataset's files and computes its report in one call.
///
/// # Errors
/// As [`Dataset::from_files`] and [`Dataset::report`].
pub fn report(files: &BTreeMap<String, String>) -> Result<Output> {
    Dataset::from_files(files)?.report()
}
