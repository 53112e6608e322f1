//! Input validation at scale: every KPI on a 200,000-element input, against the raw-scan floor of
//! the same text (a plain `serde_json` parse into a tree). The input of each KPI is its first basic
//! vector with its largest list grown to N elements (ids made unique), plus two inputs named in
//! #13: 200,000 declared channels and 200,000 allocation parties.
//!
//! ```sh
//! cargo run --release -p omnikpi-bench --bin validation-bench -- [N] [RUNS]
//! ```
//! Prints a Markdown table (median of RUNS, default 5): seconds for the whole evaluation (read,
//! validate, compute, write), for the core's JSON reader alone (the host-value rules), and for
//! the floor; the ratios to the floor; and the result (`ok` or the error code, which is part of
//! what is measured).

use serde_json::{json, Value};
use std::path::Path;
use std::time::Instant;

/// Fields that must stay unique when a list's elements are repeated.
const UNIQUE: [&str; 6] = [
    "party",
    "sale_id",
    "journey_id",
    "order_id",
    "pickup_id",
    "session_id",
];

fn first_basic_case(kpi: &str) -> Option<(Value, Value)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spec/vectors")
        .join(kpi)
        .join("basic.json");
    let doc = omnikpi::parse_json(&std::fs::read_to_string(path).ok()?, "vector").ok()?;
    let case = doc
        .get("cases")?
        .as_array()?
        .iter()
        .find(|c| c.get("expected").is_some())?;
    Some((
        case.get("input")?.clone(),
        case.get("params").cloned().unwrap_or(Value::Null),
    ))
}

/// The longest list directly under the input, or under its `policy`-free top level.
fn largest_list(input: &mut Value) -> Option<(&String, &mut Vec<Value>)> {
    input
        .as_object_mut()?
        .iter_mut()
        .filter_map(|(k, v)| v.as_array_mut().map(|a| (k, a)))
        .max_by_key(|(_, a)| a.len())
}

fn grow(input: &mut Value, n: usize) -> Option<String> {
    let (name, list) = largest_list(input)?;
    let template = list.clone();
    if template.is_empty() {
        return None;
    }
    list.clear();
    for i in 0..n {
        let mut item = template.get(i % template.len())?.clone();
        if i >= template.len() {
            if let Some(fields) = item.as_object_mut() {
                for key in UNIQUE {
                    if let Some(Value::String(s)) = fields.get_mut(key) {
                        s.push_str(&format!("~{i}"));
                    }
                }
            }
        }
        list.push(item);
    }
    Some(name.clone())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time(runs: usize, mut f: impl FnMut() -> String) -> (f64, String) {
    let mut outcome = String::new();
    let times = (0..runs)
        .map(|_| {
            let start = Instant::now();
            outcome = f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    (median(times), outcome)
}

fn measure(label: &str, kpi: &str, input: &Value, params: &Value, runs: usize) {
    let text = input.to_string();
    let params = params.to_string();
    let (floor, _) = time(runs, || {
        serde_json::from_str::<Value>(&text).map_or_else(|e| e.to_string(), |_| "ok".into())
    });
    let (read, _) = time(runs, || {
        omnikpi::parse_json(&text, "input")
            .map_or_else(|e| e.code().as_str().to_owned(), |_| "ok".into())
    });
    let (seconds, outcome) = time(runs, || match omnikpi::evaluate_json(kpi, &text, &params) {
        Ok(_) => "ok".into(),
        Err(e) => e.code().as_str().to_owned(),
    });
    println!(
        "| {label} | {:.1} MB | {seconds:.3} | {read:.3} | {floor:.3} | {:.1}x | {:.1}x | {outcome} |",
        text.len() as f64 / 1e6,
        read / floor,
        seconds / floor
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    println!("Inputs of {n} elements, median of {runs} runs (seconds).\n");
    println!("| KPI (list grown) | input | omnikpi (all) | core reader | raw parse | reader / raw | all / raw | result |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for definition in omnikpi::catalog() {
        let kpi = definition.id;
        let Some((mut input, params)) = first_basic_case(kpi) else {
            println!("| {kpi} | | | | | no basic vector |");
            continue;
        };
        let Some(list) = grow(&mut input, n) else {
            println!("| {kpi} | | | | | no list to grow |");
            continue;
        };
        measure(&format!("{kpi} ({list})"), kpi, &input, &params, runs);
    }
    let channels: Vec<Value> = (0..n)
        .map(|i| json!({"channel": format!("c{i}"), "group": "online"}))
        .collect();
    let taxonomy = json!({"channels": channels, "currency": "EUR",
        "journeys": [{"touches": [{"channel": "c0", "timestamp": 0}, {"channel": format!("c{}", n - 1), "timestamp": 1}], "conversions": 1, "value": "1.00"}]});
    measure(
        &format!("attribution.linear ({n} declared channels)"),
        "attribution.linear",
        &taxonomy,
        &Value::Null,
        runs,
    );
    let parties: Vec<Value> = (0..n)
        .map(|i| json!({"party": format!("p{i}"), "weight": "1"}))
        .collect();
    let allocate = json!({"amount": "1000000.00", "currency": "EUR", "parties": parties});
    measure(
        &format!("money.allocate ({n} parties)"),
        "money.allocate",
        &allocate,
        &Value::Null,
        runs,
    );
}
