//! Inputs that used to overflow a bare integer or Decimal operation (a panic under the release
//! profile's overflow checks), found when `clippy::arithmetic_side_effects` was denied in core:
//! each now gives a result or an error with a code, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test loudly"
)]

use omnikpi::attribution::{Accumulator, JourneyBatch, Model, Touch};
use omnikpi::channel::Taxonomy;
use omnikpi::money::Currency;
use serde_json::{json, Value};

fn channels(n: usize) -> Vec<Value> {
    (1..=n)
        .map(|i| json!({"channel": format!("c{i}"), "group": "online"}))
        .collect()
}

/// A journey in which channel i occurs i times: the lcm of 1..n.
fn repeated(n: usize) -> Value {
    let mut touches = Vec::new();
    for i in 1..=n {
        for _ in 0..i {
            touches.push(json!({"channel": format!("c{i}"), "timestamp": touches.len()}));
        }
    }
    json!({"channels": channels(n), "currency": "EUR",
           "journeys": [{"touches": touches, "conversions": 1, "value": "10.00"}]})
}

#[test]
fn ordered_shapley_with_many_distinct_repeat_counts_computes_or_refuses() {
    // lcm(1..50) > 2^64 (it overflowed u64) but < 2^127: computed, and it still sums to the whole
    let out =
        omnikpi::evaluate("attribution.shapley.ordered", &repeated(50), &Value::Null).unwrap();
    let total: f64 = out.to_json()["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversions"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    // lcm(1..100) > 2^127: an error with its code, not a panic
    let e =
        omnikpi::evaluate("attribution.shapley.ordered", &repeated(100), &Value::Null).unwrap_err();
    assert_eq!(e.code().as_str(), "arithmetic_overflow");
}

#[test]
fn a_policy_whose_percents_would_overflow_is_refused() {
    // Each percent over 100 is refused before the shares are summed (the sum is checked too).
    let big = "79228162514264337593543950335";
    let policy = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
        "parties": [{"id": "web", "kind": "channel"}, {"id": "lille", "kind": "store"}],
        "rules": [{"id": "r", "shares": [{"party": "web", "percent": big}, {"party": "lille", "percent": big}]}]});
    let sale = json!({"sale_id": "o1", "timestamp": 0, "period": "2026-10", "origin_channel": "web",
        "fulfilment_channel": "lille", "amount": "10.00"});
    let e = omnikpi::evaluate(
        "incentives.split",
        &json!({"policy": policy, "sales": [sale]}),
        &Value::Null,
    )
    .unwrap_err();
    assert_eq!(e.code().as_str(), "invalid_shares");
}

fn accumulator(model: Model) -> Accumulator {
    let taxonomy = Taxonomy::from_json(&json!(channels(2))).unwrap();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    Accumulator::new(&taxonomy, &eur, vec![model], None)
}

fn markov() -> Model {
    Model::Markov {
        order: 1,
        collapse_repeats: true,
        max_states: 1000,
        transition_matrix: true,
    }
}

#[test]
fn loaded_states_with_absurd_counts_are_errors_when_merged_or_finished() {
    let taxonomy = Taxonomy::from_json(&json!(channels(2))).unwrap();
    let touch = |c: &str, timestamp: i64| Touch {
        channel: c.to_owned(),
        timestamp,
        lead: false,
    };
    let mut journeys = JourneyBatch::default();
    journeys
        .push(
            &taxonomy,
            &[touch("c1", 0), touch("c2", 1)],
            1,
            100,
            Some(1),
            "j0",
        )
        .unwrap();
    let mut real = accumulator(markov());
    real.update(&journeys).unwrap();
    let mut state = real.to_json().unwrap();
    // counts at u64::MAX: merging another journey overflows them
    state["journeys"] = json!(u64::MAX);
    let markov_state = &mut state["states"][0]["markov"];
    let mut changed = 0;
    for list in ["transitions", "to_conversion", "to_null"] {
        for row in markov_state[list].as_array_mut().unwrap() {
            *row.as_array_mut().unwrap().last_mut().unwrap() = json!(u64::MAX);
            changed += 1;
        }
    }
    assert!(changed >= 2, "{state}");
    let mut loaded = accumulator(markov());
    loaded.load_json(&state).unwrap();
    let e = loaded.merge(&real).unwrap_err();
    assert_eq!(e.code().as_str(), "arithmetic_overflow");
    // more unattributed conversions than conversions: refused at finish, not an underflow
    let mut state = real.to_json().unwrap();
    state["none_conversions"] = json!(5);
    let mut inconsistent = accumulator(markov());
    inconsistent.load_json(&state).unwrap();
    let e = inconsistent.finish().unwrap_err();
    assert_eq!(e.code().as_str(), "arithmetic_overflow");
}

#[test]
fn a_dataset_whose_journey_orders_overflow_is_an_error() {
    // examples/retail with nine 28-digit amounts on one journey: their sum overflowed a bare `+=`
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/retail");
    let mut files = std::collections::BTreeMap::new();
    for name in omnikpi::dataset::FILES {
        files.insert(
            name.to_owned(),
            std::fs::read_to_string(dir.join(name)).unwrap(),
        );
    }
    let orders = files["orders.csv"].clone();
    let mut lines: Vec<String> = orders.lines().map(str::to_owned).collect();
    let template = lines[1].clone();
    let fields: Vec<&str> = template.split(',').collect();
    for i in 0..9 {
        let mut row: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        row[0] = format!("BIG{i}");
        row[8] = "9999999999999999999999999999".to_owned();
        lines.push(row.join(","));
    }
    files.insert("orders.csv".to_owned(), lines.join("\n") + "\n");
    let e = omnikpi::dataset::report(&files).unwrap_err();
    assert_eq!(e.code().as_str(), "arithmetic_overflow", "{}", e.message());
}
