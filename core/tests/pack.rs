//! KPI packs on the group example (examples/group), checked against figures computed here
//! independently from the raw files, and every error a pack or its tables can raise, located.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use omnikpi::pack::{export, Pack};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::str::FromStr;

#[path = "common/group.rs"]
mod group;
use group::{group_dir, group_pack, section};

fn group_files(pack: &Pack) -> BTreeMap<String, String> {
    pack.files()
        .into_iter()
        .filter(|f| group_dir().join(f).exists())
        .map(|f| {
            (
                f.to_owned(),
                std::fs::read_to_string(group_dir().join(f)).unwrap(),
            )
        })
        .collect()
}

fn group_report() -> Value {
    let pack = Pack::from_json(&group_pack()).unwrap();
    pack.report(&group_files(&pack)).unwrap()
}

fn view<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == key)
        .unwrap()
}

/// Each segment's key of a result, in order.
fn segment_keys(result: &Value) -> Vec<&Value> {
    result["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["key"])
        .collect()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

fn csv_rows(name: &str, delimiter: u8) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(group_dir().join(name)).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Each order's EUR amount: its local amount (decimal comma) times the treasury's average rate
/// of its month in Paris (from its millisecond time), rounded half to even to the cent.
fn orders_in_eur() -> Vec<(BTreeMap<String, String>, Decimal)> {
    let rates: BTreeMap<(String, String), Decimal> = csv_rows("fx_rates.csv", b',')
        .into_iter()
        .map(|r| {
            (
                (r["currency"].clone(), r["period"].clone()),
                Decimal::from_str(&r["rate"]).unwrap(),
            )
        })
        .collect();
    csv_rows("orders.csv", b';')
        .into_iter()
        .map(|o| {
            let amount = Decimal::from_str(&o["net_amount"].replace(',', ".")).unwrap();
            let ms: i64 = o["ordered_at"].parse().unwrap();
            let paris = chrono::DateTime::from_timestamp(ms / 1000, 0)
                .unwrap()
                .with_timezone(&chrono_tz::Europe::Paris);
            let month = paris.format("%Y-%m").to_string();
            let eur = if o["currency"] == "EUR" {
                amount
            } else {
                (amount * rates[&(o["currency"].clone(), month)])
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
            };
            (o, eur)
        })
        .collect()
}

#[test]
fn the_basket_is_the_orders_in_eur_by_brand_and_country() {
    let report = group_report();
    let orders = orders_in_eur();
    let whole: Decimal = orders.iter().map(|(_, a)| *a).sum();
    let basket = &section(&report, "average_basket")["result"];
    assert_eq!(dec(&basket["overall"]["revenue"]), whole);
    assert_eq!(basket["overall"]["orders"], orders.len());
    assert!(basket["fx"]["converted"].as_u64().unwrap() > 0);
    let view = view(&report, "basket_brand_country");
    let rows: Vec<&str> = view["rows"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let columns: Vec<&str> = view["columns"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        (rows.clone(), columns.clone()),
        (vec!["lumen", "nord"], vec!["CH", "FR", "GB"])
    );
    for (r, brand) in rows.iter().enumerate() {
        for (c, country) in columns.iter().enumerate() {
            let mine: Vec<Decimal> = orders
                .iter()
                .filter(|(o, _)| o["brand"] == *brand && o["country"] == *country)
                .map(|(_, a)| *a)
                .collect();
            let average = (mine.iter().sum::<Decimal>() / Decimal::from(mine.len()))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
            assert_eq!(dec(&view["cells"][r][c]), average, "{brand} {country}");
        }
    }
}

#[test]
fn conversion_cells_are_each_combinations_own_rate() {
    let report = group_report();
    let view = view(&report, "conversion_brand_country");
    let traffic = csv_rows("traffic.csv", b',');
    for (r, brand) in ["lumen", "nord"].iter().enumerate() {
        for (c, country) in ["CH", "FR", "GB"].iter().enumerate() {
            let mine = traffic
                .iter()
                .filter(|t| t["brand"] == *brand && t["country"] == *country);
            let (visits, orders) = mine.fold((0u64, 0u64), |(v, o), t| {
                (
                    v + t["visits"].parse::<u64>().unwrap(),
                    o + t["orders"].parse::<u64>().unwrap(),
                )
            });
            let rate = (Decimal::from(orders) / Decimal::from(visits))
                .round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven);
            assert_eq!(dec(&view["cells"][r][c]), rate, "{brand} {country}");
        }
    }
}

#[test]
fn attributed_value_adds_up_over_segments_and_to_the_orders() {
    let report = group_report();
    let result = &section(&report, "attribution_linear")["result"];
    let orders: Decimal = orders_in_eur().iter().map(|(_, a)| *a).sum();
    assert_eq!(
        dec(&result["totals"]["value"]),
        orders,
        "every order is one journey's revenue"
    );
    let segments = result["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 6);
    for channel in result["channels"].as_array().unwrap() {
        let name = &channel["channel"];
        let summed: Decimal = segments
            .iter()
            .flat_map(|s| s["channels"].as_array().unwrap())
            .filter(|c| c["channel"] == *name)
            .map(|c| dec(&c["value"]))
            .sum();
        assert_eq!(dec(&channel["value"]), summed, "{name}");
    }
}

#[test]
fn absent_tables_leave_their_kpis_out_with_a_note() {
    let report = group_report();
    let left = section(&report, "store_traffic");
    assert!(left.get("result").is_none());
    assert_eq!(left["missing"], json!(["store_visits.csv"]));
    assert_eq!(
        left["note"]["fr"],
        "Omis : les données n'ont pas store_visits.csv."
    );
    // without the journeys, both attribution sections and their comparison are left out
    let pack = Pack::from_json(&group_pack()).unwrap();
    let mut files = group_files(&pack);
    files.remove("touches.csv");
    let report = pack.report(&files).unwrap();
    assert!(section(&report, "attribution_markov").get("note").is_some());
    let view = view(&report, "web_revenue_brand_country");
    assert!(view.get("cells").is_none());
    assert_eq!(
        view["note"]["en"],
        "Left out with the section `attribution_linear`."
    );
    assert!(section(&report, "average_basket").get("result").is_some());
}

#[test]
fn every_section_is_certified_with_the_packs_fingerprint() {
    let pack = Pack::from_json(&group_pack()).unwrap();
    let report = pack.report(&group_files(&pack)).unwrap();
    assert_eq!(report["pack"]["fingerprint"], pack.fingerprint());
    for s in report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.get("result").is_some())
    {
        assert_eq!(s["certificate"]["pack"], pack.fingerprint());
        assert_eq!(
            s["certificate"]["result"],
            omnikpi::certificate::digest(&s["result"])
        );
    }
    let mut other = group_pack();
    other["version"] = json!("2026.12.1");
    assert_ne!(
        Pack::from_json(&other).unwrap().fingerprint(),
        pack.fingerprint()
    );
}

#[test]
fn exports_are_the_reports_figures() {
    let report = group_report();
    let tables = export::tables(&report).unwrap();
    let view = tables
        .iter()
        .find(|t| t.name == "basket_brand_country")
        .unwrap();
    let csv = export::csv(view);
    let cells = &report["comparisons"][0]["cells"];
    let first = format!(
        "lumen,{},{},{}",
        cells[0][0].as_str().unwrap(),
        cells[0][1].as_str().unwrap(),
        cells[0][2].as_str().unwrap()
    );
    assert_eq!(csv.lines().nth(1), Some(first.as_str()));
    let basket = tables.iter().find(|t| t.name == "average_basket").unwrap();
    let totals = basket.rows.iter().filter(|r| r[0] == "total").count();
    let segments = basket.rows.iter().filter(|r| r[0] == "segment").count();
    assert_eq!(
        totals,
        section(&report, "average_basket")["result"]["by_channel"]
            .as_array()
            .unwrap()
            .len()
    );
    assert!(segments > totals);
    let certificates = tables.iter().find(|t| t.name == "certificates").unwrap();
    let computed: Vec<&Value> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s.get("result").is_some())
        .collect();
    assert_eq!(certificates.rows.len(), computed.len());
    for (row, s) in certificates.rows.iter().zip(computed) {
        assert_eq!(
            (&row[0], &row[1]),
            (&s["key"], &s["certificate"]["certificate"])
        );
    }
    for lang in ["en", "fr"] {
        let page = omnikpi::pack::html::page(&report, lang).unwrap();
        let label = section(&report, "average_basket")["label"][lang]
            .as_str()
            .unwrap();
        assert!(page.contains(&format!("<h2>{label}</h2>"))); // labels in the language
        assert!(page.contains("<svg") && !page.contains("<script"));
    }
}

fn small_pack() -> Value {
    json!({
        "format": "omnikpi.pack/1", "id": "t", "version": "1", "name": {"en": "T", "fr": "T"},
        "languages": ["en", "fr"], "currency": "EUR", "period": "month", "time_zone": "Europe/Paris",
        "dimensions": [{"name": "brand", "label": {"en": "Brand", "fr": "Enseigne"}}],
        "tables": {"orders": {"file": "orders.csv", "columns": {"amount": "net"}},
                   "touches": {"file": "touches.csv", "columns": {"journey_id": "user"},
                               "reading": {"outcome": "last_touch", "timestamp_unit": "ms"}}},
        "channels": [{"channel": "web", "group": "online", "label": {"en": "Web", "fr": "Web"}},
                     {"channel": "store", "group": "offline", "label": {"en": "Store", "fr": "Magasin"}}],
        "kpis": [{"key": "basket", "kpi": "basket.average", "version": "^1.1", "by": ["brand"],
                  "label": {"en": "Basket", "fr": "Panier"}, "inputs": {"orders": "orders"}},
                 {"key": "linear", "kpi": "attribution.linear", "version": ">=2", "by": ["brand", "period"],
                  "label": {"en": "Linear", "fr": "Linéaire"}, "inputs": {"journeys": "touches"}}]
    })
}

fn pack_error(change: impl FnOnce(&mut Value)) -> (String, String) {
    let mut pack = small_pack();
    change(&mut pack);
    let e = Pack::from_json(&pack).unwrap_err();
    (
        e.code().as_str().to_owned(),
        e.path().unwrap_or_default().to_owned(),
    )
}

type Change = Box<dyn FnOnce(&mut Value)>;

#[test]
fn a_pack_is_checked_before_any_data_is_read() {
    assert!(Pack::from_json(&small_pack()).is_ok());
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|p| p["kpis"][0]["version"] = json!("^2")),
            "pack.kpis[0].version",
        ),
        (
            Box::new(|p| p["kpis"][0]["version"] = json!("one")),
            "pack.kpis[0].version",
        ),
        (
            Box::new(|p| p["kpis"][0]["kpi"] = json!("basket.median")),
            "pack.kpis[0].kpi",
        ),
        (
            Box::new(|p| p["kpis"][0]["by"] = json!(["store"])),
            "pack.kpis[0].by[0]",
        ),
        (
            Box::new(|p| p["kpis"][0]["by"] = json!(["brand", "brand"])),
            "pack.kpis[0].by[1]",
        ),
        (
            Box::new(|p| p["kpis"][0]["inputs"] = json!({"orders": "sales"})),
            "pack.kpis[0].inputs.orders",
        ),
        (
            Box::new(|p| p["kpis"][0]["inputs"] = json!({})),
            "pack.kpis[0].inputs.orders",
        ),
        (
            Box::new(|p| p["kpis"][0]["inputs"]["rows"] = json!("orders")),
            "pack.kpis[0].inputs.rows",
        ),
        (
            Box::new(|p| p["kpis"][0]["params"] = json!({"by": ["brand"]})),
            "pack.kpis[0].params.by",
        ),
        (
            Box::new(|p| p["kpis"][0]["params"] = json!({"window": 1})),
            "pack.kpis[0].params.window",
        ),
        (
            Box::new(|p| p["kpis"][0]["label"] = json!({"en": "Basket"})),
            "pack.kpis[0].label",
        ),
        (
            Box::new(|p| p["kpis"][0]["label"]["de"] = json!("Korb")),
            "pack.kpis[0].label.de",
        ),
        (
            Box::new(|p| p["kpis"][1]["key"] = json!("basket")),
            "pack.kpis[1].key",
        ),
        (
            Box::new(|p| p["kpis"][1]["key"] = json!("certificates")),
            "pack.kpis[1].key",
        ),
        (
            Box::new(|p| p["kpis"][0]["by"] = json!(["period"])),
            "pack.kpis[0].by[0]",
        ),
        (
            Box::new(|p| {
                p["comparisons"] = json!([{"key": "basket", "label": {"en": "C", "fr": "C"}, "kpi": "linear",
                    "value": "totals.value", "rows": "brand", "columns": "period"}])
            }),
            "pack.comparisons[0].key",
        ),
        (
            Box::new(|p| {
                p["comparisons"] = json!([{"key": "c", "label": {"en": "C", "fr": "C"}, "kpi": "basket",
                    "value": "overall.average", "rows": "brand", "columns": "period"}])
            }),
            "pack.comparisons[0].rows[1]",
        ),
        (
            Box::new(|p| p["format"] = json!("omnikpi.pack/2")),
            "pack.format",
        ),
        (Box::new(|p| p["period"] = json!("week")), "pack.period"),
        (
            Box::new(|p| p["time_zone"] = json!("Mars/Olympus")),
            "pack.time_zone",
        ),
        (
            Box::new(|p| p["languages"] = json!(["en", "en"])),
            "pack.languages[1]",
        ),
        (
            Box::new(|p| p["tables"]["orders"]["reading"] = json!({"timestamp_unit": "h"})),
            "pack.tables.orders.reading.timestamp_unit",
        ),
        (
            Box::new(|p| p["tables"]["orders"]["colums"] = json!({})),
            "pack.tables.orders.colums",
        ),
        (
            Box::new(|p| p["dimensions"][0]["name"] = json!("period")),
            "pack.dimensions[0].name",
        ),
        (
            Box::new(|p| p["channels"][1]["group"] = json!("elsewhere")),
            "pack.channels",
        ),
        (
            Box::new(|p| {
                p["fx"] = json!({"id": "x", "rate_at": "daily", "rounding": "half_even", "table": "orders"})
            }),
            "pack.fx.rate_at",
        ),
        (
            Box::new(|p| {
                p["fx"] =
                    json!({"id": "x", "rate_at": "date", "rounding": "half_even", "table": "rates"})
            }),
            "pack.fx.table",
        ),
        (
            Box::new(
                |p| p["comparisons"] = json!([{"key": "c", "label": {"en": "C", "fr": "C"}, "kpi": "basket", "value": "overall.average", "rows": "brand", "columns": "country"}]),
            ),
            "pack.comparisons[0].rows[1]",
        ),
        (
            Box::new(
                |p| p["comparisons"] = json!([{"key": "c", "label": {"en": "C", "fr": "C"}, "kpi": "baskets", "value": "overall.average", "rows": "brand", "columns": "period"}]),
            ),
            "pack.comparisons[0].kpi",
        ),
        (
            Box::new(|p| {
                p["kpis"][0]["kpi"] = json!("money.allocate");
                p["kpis"][0]["version"] = json!("*");
            }),
            "pack.kpis[0].by",
        ),
        (
            Box::new(|p| {
                p.as_object_mut().unwrap().remove("period");
            }),
            "pack.kpis[1].by[1]",
        ),
    ];
    for (change, path) in cases {
        assert_eq!(
            pack_error(change),
            ("invalid_pack".to_owned(), path.to_owned())
        );
    }
}

fn small_report(orders: &str, touches: &str) -> Result<Value, (String, String)> {
    small_report_filtered(orders, touches, &Value::Null)
}

fn small_report_filtered(
    orders: &str,
    touches: &str,
    filter: &Value,
) -> Result<Value, (String, String)> {
    let pack = Pack::from_json(&small_pack()).unwrap();
    let filter = omnikpi::pack::Filter::from_json(filter, &pack).unwrap();
    let files = [("orders.csv", orders), ("touches.csv", touches)]
        .into_iter()
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
        .collect();
    pack.report_filtered(&files, &filter).map_err(|e| {
        (
            e.code().as_str().to_owned(),
            e.path().unwrap_or_default().to_owned(),
        )
    })
}

const ORDERS: &str = "channel,net,brand\nweb,10.00,A\nstore,20.00,B\n";
const TOUCHES: &str = "user,timestamp,channel,conversions,value,brand\n\
    u1,1790841600000,web,,,A\nu1,1790845200000,store,1,30.00,A\nu2,1790841600000,web,1,12.50,B\n";

#[test]
fn tables_are_read_as_declared_and_errors_name_file_row_and_column() {
    let report = small_report(ORDERS, TOUCHES).unwrap();
    assert_eq!(
        report["sections"][0]["result"]["overall"]["revenue"],
        "30.00"
    );
    let linear = &report["sections"][1]["result"];
    assert_eq!(linear["totals"]["value"], "42.50");
    let keys: Vec<&Value> = segment_keys(linear);
    assert_eq!(
        keys,
        [
            &json!({"brand": "A", "period": "2026-10"}),
            &json!({"brand": "B", "period": "2026-10"})
        ]
    );
    let cases = [
        ("channel,net,brand\nweb,abc,A\n", TOUCHES, "invalid_decimal", "orders.csv:row 2:net"),
        ("channel,net,brand\nweb,-1.00,A\n", TOUCHES, "negative_amount", "orders.csv:row 2:net"),
        ("channel,net,brand\nweb,1.001,A\n", TOUCHES, "invalid_money_scale", "orders.csv:row 2:net"),
        ("channel,amount,brand\nweb,1.00,A\n", TOUCHES, "invalid_dataset", "orders.csv:header"),
        ("channel,net\nweb,1.00\n", TOUCHES, "invalid_dataset", "orders.csv:header"),
        ("channel,net,brand\nweb,1.00,\n", TOUCHES, "missing_field", "orders.csv:row 2:brand"),
        (ORDERS, "user,timestamp,channel,conversions,value,brand\nu1,1790841600000,web,1,1.00,A\nu1,1790841600001,web,,,B\n",
         "invalid_dataset", "touches.csv:row 3:brand"),
        (ORDERS, "user,timestamp,channel,conversions,value,brand\nu2,1790841600000,web,1,1.00,B\nu1,1790841600000,web,,,\nu1,1790841600001,web,1,1.00,\n",
         "missing_field", "touches.csv:row 3:brand"),
        (ORDERS, "user,timestamp,channel,conversions,value,brand\nu1,2026-10-01 10:00,web,1,1.00,A\n",
         "invalid_timestamp", "touches.csv:row 2:timestamp"),
        (ORDERS, "user,timestamp,channel,conversions,value,brand\nu1,1790841600000,tv,1,1.00,A\nu2,1790841600000,web,1,1.00,B\nu3,1790841600000,web,1,1.00,A\n",
         "unknown_channel", "touches.csv:row 2:channel"),
        (ORDERS, "user,timestamp,channel,conversions,value,brand\nu2,1790841600000,web,1,1.00,B\nu1,1790841600000,web,x,1.00,A\n",
         "wrong_type", "touches.csv:row 3:conversions"),
        // a later journey's row, in the second brand's rows: named by its own row
        (ORDERS, "user,timestamp,channel,conversions,value,brand\nu2,1790841600000,web,1,1.00,B\nu1,1790841600000,tv,1,1.00,A\n",
         "unknown_channel", "touches.csv:row 3:channel"),
    ];
    for (orders, touches, code, path) in cases {
        assert_eq!(
            small_report(orders, touches),
            Err((code.to_owned(), path.to_owned())),
            "{orders} {touches}"
        );
    }
}

#[test]
fn period_average_rates_pick_each_orders_month_from_its_time() {
    let mut pack = small_pack();
    pack["fx"] = json!({"id": "avg", "rate_at": "period", "rounding": "half_up", "table": "rates"});
    pack["tables"]["rates"] = json!({"file": "rates.csv"});
    pack["kpis"].as_array_mut().unwrap().truncate(1);
    assert_eq!(
        Pack::from_json(&pack).unwrap_err().path(),
        Some("pack.tables.orders.time")
    );
    pack["tables"]["orders"]["time"] = json!("at");
    let pack = Pack::from_json(&pack).unwrap();
    let files: BTreeMap<String, String> = [
        // 2026-09-30T22:30Z is October in Paris
        ("orders.csv", "channel,net,brand,currency,at\nweb,10.00,A,GBP,2026-09-30T22:30:00Z\nweb,10.00,A,GBP,2026-09-30T21:30:00Z\n"),
        ("rates.csv", "currency,period,rate\nGBP,2026-09,1.1005\nGBP,2026-10,1.2005\n"),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_owned(), t.to_owned()))
    .collect();
    let report = pack.report(&files).unwrap();
    // 12.005 -> 12.01 (half up), 11.005 -> 11.01
    assert_eq!(
        report["sections"][0]["result"]["overall"]["revenue"],
        "23.02"
    );
    let mut late = files.clone();
    late.insert(
        "rates.csv".into(),
        "currency,period,rate\nGBP,2026-09,1.1005\n".into(),
    );
    let e = pack.report(&late).unwrap_err();
    assert_eq!(
        (e.code().as_str(), e.path()),
        ("missing_fx_rate", Some("orders.csv:row 2:net"))
    );
}

#[test]
fn a_sections_certificate_is_verified_from_the_pack_and_the_files() {
    let pack = Pack::from_json(&group_pack()).unwrap();
    let files = group_files(&pack);
    let report = pack.report(&files).unwrap();
    let certificate = &section(&report, "average_basket")["certificate"];
    let verified = pack.verify(certificate, &files).unwrap();
    assert_eq!(
        (&verified["confirmed"], &verified["section"]),
        (&json!(true), &json!("average_basket"))
    );
    // one order changed by a cent: the input and the result no longer match
    let mut changed = files.clone();
    let orders = changed.get_mut("orders.csv").unwrap();
    *orders = orders.replacen("248,26", "248,27", 1);
    let refuted = pack.verify(certificate, &changed).unwrap();
    assert_eq!(refuted["confirmed"], false);
    let failed: Vec<&Value> = refuted["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| &c["check"])
        .collect();
    assert_eq!(failed, [&json!("input"), &json!("result")]);
    // another pack (a label changed) runs the same figures but is not the certified pack
    let mut relabelled = group_pack();
    relabelled["kpis"][1]["label"]["en"] = json!("Basket");
    let other = Pack::from_json(&relabelled)
        .unwrap()
        .verify(certificate, &files)
        .unwrap();
    assert_eq!(other["confirmed"], false);
    assert_eq!(
        other["checks"].as_array().unwrap().last().unwrap()["check"],
        "pack"
    );
    let mut foreign = certificate.clone();
    foreign["params"] = json!({"by": ["country"]});
    assert_eq!(
        pack.verify(&foreign, &files).unwrap_err().path(),
        Some("certificate")
    );
}

#[test]
fn float_money_a_table_declares_is_rounded_counted_and_reported() {
    let mut pack = small_pack();
    pack["tables"]["touches"]["reading"]["money_from_float"] = json!("round_half_even");
    pack["kpis"].as_array_mut().unwrap().remove(0);
    let pack = Pack::from_json(&pack).unwrap();
    let touches = "user,timestamp,channel,conversions,value,brand\n\
        u1,1790841600000,web,1,12.345,A\nu2,1790841600000,store,1,10.5,B\nu3,1790841600000,web,1,3.10,A\n";
    let files = [("touches.csv".to_owned(), touches.to_owned())]
        .into_iter()
        .collect();
    let report = pack.report(&files).unwrap();
    let linear = &report["sections"][0];
    assert_eq!(linear["result"]["totals"]["value"], "25.94"); // 12.34 (half to even) + 10.50 + 3.10
    assert_eq!(
        linear["reading"],
        json!({"money_rounded": 1, "money_changed": 1})
    );
    // without the declaration, the same file is refused at the cell
    let strict = Pack::from_json(&small_pack()).unwrap();
    let mut files = files;
    files.insert("orders.csv".into(), ORDERS.into());
    let e = strict.report(&files).unwrap_err();
    assert_eq!(
        (e.code().as_str(), e.path()),
        ("invalid_money_scale", Some("touches.csv:row 2:value"))
    );
}

fn filtered(filter: &Value) -> Value {
    let pack = Pack::from_json(&group_pack()).unwrap();
    let filter = omnikpi::pack::Filter::from_json(filter, &pack).unwrap();
    pack.report_filtered(&group_files(&pack), &filter).unwrap()
}

/// The day of a millisecond timestamp in Paris, as the pack's time zone has it.
fn paris_day(ms: &str) -> String {
    let ms: i64 = ms.parse().unwrap();
    chrono::DateTime::from_timestamp(ms.div_euclid(1000), 0)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn a_filter_keeps_the_rows_of_its_dimension_values_and_days() {
    let (from, to) = ("2026-10-01", "2026-10-31");
    let report = filtered(
        &json!({"dimensions": {"brand": ["lumen"], "country": ["FR", "GB"]}, "from": from, "to": to}),
    );
    assert_eq!(
        report["pack"]["filter"]["dimensions"]["country"],
        json!(["FR", "GB"])
    );
    // orders: each row by its own brand, country and day, counted here from the file
    let kept: Vec<Decimal> = orders_in_eur()
        .into_iter()
        .filter(|(o, _)| o["brand"] == "lumen" && ["FR", "GB"].contains(&o["country"].as_str()))
        .filter(|(o, _)| (from..=to).contains(&paris_day(&o["ordered_at"]).as_str()))
        .map(|(_, a)| a)
        .collect();
    let basket = &section(&report, "average_basket")["result"];
    assert_eq!(basket["overall"]["orders"], kept.len());
    assert_eq!(
        dec(&basket["overall"]["revenue"]),
        kept.iter().sum::<Decimal>()
    );
    let whole = group_report();
    let all = &section(&whole, "average_basket")["result"];
    assert!(basket["overall"]["orders"].as_u64() < all["overall"]["orders"].as_u64());
    // journeys: whole, by the brand and country their rows carry and the day of their latest touch
    let mut journeys: BTreeMap<String, (String, String, i64, u32)> = BTreeMap::new();
    for row in csv_rows("touches.csv", b',') {
        let j = journeys.entry(row["user_pseudo_id"].clone()).or_default();
        j.0.clone_from(&row["brand"]);
        j.1.clone_from(&row["country"]);
        j.2 = j.2.max(row["event_ts"].parse().unwrap());
        j.3 += u32::from(row["purchase"] == "1");
    }
    let expected: u32 = journeys
        .values()
        .filter(|(b, c, _, _)| b == "lumen" && ["FR", "GB"].contains(&c.as_str()))
        .filter(|(_, _, t, _)| (from..=to).contains(&paris_day(&t.to_string()).as_str()))
        .map(|j| j.3)
        .sum();
    let linear = &section(&report, "attribution_linear")["result"];
    assert_eq!(
        dec(&linear["totals"]["conversions"]),
        Decimal::from(expected)
    );
    let segments: Vec<&Value> = segment_keys(linear);
    assert_eq!(
        segments,
        [
            &json!({"brand": "lumen", "country": "FR"}),
            &json!({"brand": "lumen", "country": "GB"})
        ]
    );
    // the comparison views are filtered as the sections are
    let view = view(&report, "basket_brand_country");
    assert_eq!(view["rows"]["keys"], json!(["lumen"]));
    assert_eq!(view["columns"]["keys"], json!(["FR", "GB"]));
    assert_eq!(view["total"], basket["overall"]["average"]);
}

#[test]
fn a_kpi_the_filter_cannot_apply_to_is_left_out_never_shown_unfiltered() {
    // traffic.csv has brand and country but no time: computed under a brand filter...
    let report = filtered(&json!({"dimensions": {"brand": ["nord"]}}));
    let conversion = &section(&report, "conversion")["result"];
    let visits: u64 = csv_rows("traffic.csv", b',')
        .iter()
        .filter(|r| r["brand"] == "nord")
        .map(|r| r["visits"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(conversion["overall"]["opportunities"], visits);
    // ...and left out under a range of days
    let report = filtered(&json!({"from": "2026-10-01"}));
    let left = section(&report, "conversion");
    assert!(left.get("result").is_none());
    assert_eq!(left["unfiltered"], "`traffic.csv` has no time of its rows");
    assert_eq!(
        left["note"]["en"],
        "Left out: the filter does not apply (`traffic.csv` has no time of its rows)."
    );
    // the sessions have no department; the orders have every dimension
    let report = filtered(&json!({"dimensions": {"department": ["lighting"]}}));
    assert_eq!(
        section(&report, "checkout_funnel")["unfiltered"],
        "`sessions.csv` has no column `department`"
    );
    assert!(section(&report, "basket_by_department")
        .get("result")
        .is_some());
}

#[test]
fn an_empty_filter_is_the_unfiltered_report_and_a_wrong_one_is_refused() {
    assert_eq!(filtered(&json!({})), group_report());
    assert_eq!(
        filtered(&json!({"dimensions": {}, "from": null})),
        group_report()
    );
    assert!(group_report()["pack"].get("filter").is_none());
    let pack = Pack::from_json(&group_pack()).unwrap();
    let cases = [
        (
            json!({"dimensions": {"colour": ["red"]}}),
            "filter.dimensions.colour",
        ),
        (
            json!({"dimensions": {"brand": "lumen"}}),
            "filter.dimensions.brand",
        ),
        (
            json!({"dimensions": {"brand": []}}),
            "filter.dimensions.brand",
        ),
        (
            json!({"dimensions": {"brand": [1]}}),
            "filter.dimensions.brand",
        ),
        (json!({"from": "2026-10-1"}), "filter.from"),
        (json!({"to": 20261001}), "filter.to"),
        (
            json!({"from": "2026-11-01", "to": "2026-10-31"}),
            "filter.from",
        ),
        (json!({"brand": ["lumen"]}), "filter.brand"),
        (json!(["brand"]), "filter"),
    ];
    for (filter, path) in cases {
        let e = omnikpi::pack::Filter::from_json(&filter, &pack).unwrap_err();
        assert_eq!(
            (e.code().as_str(), e.path()),
            ("invalid_parameter", Some(path)),
            "{filter}"
        );
    }
}

#[test]
fn errors_under_a_filter_name_the_rows_of_the_file() {
    let only_b = json!({"dimensions": {"brand": ["B"]}});
    let report = |orders: &str, touches: &str| {
        small_report_filtered(orders, touches, &only_b).map_err(|(_, path)| path)
    };
    let report_b = report(ORDERS, TOUCHES).unwrap();
    assert_eq!(
        report_b["sections"][0]["result"]["overall"]["revenue"],
        "20.00"
    );
    assert_eq!(
        report_b["sections"][1]["result"]["totals"]["value"],
        "12.50"
    );
    // the third order is the filter's second row, and is named by its own row
    let orders = "channel,net,brand\nweb,10.00,A\nstore,20.00,B\nweb,-1.00,B\n";
    assert_eq!(
        report(orders, TOUCHES),
        Err("orders.csv:row 4:net".to_owned())
    );
    let touches = "user,timestamp,channel,conversions,value,brand\nu1,1790841600000,web,1,1.00,A\nu2,1790841600000,tv,1,1.00,B\n";
    assert_eq!(
        report(ORDERS, touches),
        Err("touches.csv:row 3:channel".to_owned())
    );
}
