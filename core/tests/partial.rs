//! Partial states (`omnikpi::partial`): any split of `conversion.rate` rows and any split of
//! `conversion.funnel` events by entity, reduced part by part, shipped as JSON, merged and
//! finished, give exactly `evaluate` on the whole input; states that are not states are refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use omnikpi::{evaluate, partial, ErrorCode};
use proptest::prelude::*;
use serde_json::{json, Value};

const CHANNELS: [&str; 4] = ["web", "app", "store", "call"];
const STEPS: [&str; 4] = ["visit", "view", "cart", "buy"];

fn rate_row() -> impl Strategy<Value = Value> {
    (0usize..4, 0u64..1000, 0u64..1000).prop_map(|(c, a, b)| {
        json!({"channel": CHANNELS[c], "opportunities": a.max(b), "conversions": a.min(b)})
    })
}

fn event() -> impl Strategy<Value = Value> {
    (0usize..12, 0usize..5, 0i64..5000).prop_map(|(e, s, t)| {
        let name = STEPS.get(s).copied().unwrap_or("other");
        json!({"entity": format!("e{e}"), "event": name, "timestamp": t})
    })
}

/// Cuts `items` at the given points (sorted, deduplicated, within bounds).
fn cut(items: &[Value], mut points: Vec<usize>) -> Vec<Vec<Value>> {
    points.retain(|p| *p <= items.len());
    points.sort_unstable();
    points.dedup();
    let mut parts = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([items.len()]) {
        parts.push(items[start..p].to_vec());
        start = p;
    }
    parts
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn rate_states_of_any_split_merge_to_the_single_pass(
        rows in prop::collection::vec(rate_row(), 1..60),
        points in prop::collection::vec(0usize..60, 0..6),
    ) {
        let params = json!({"denominator": "sessions"});
        let whole = evaluate("conversion.rate", &json!({"rows": rows}), &params).unwrap().to_json();
        let mut first = 0;
        let mut states = Vec::new();
        for part in cut(&rows, points) {
            let state = partial::state("conversion.rate", &json!({"rows": part}), &params, first).unwrap();
            first += part.len();
            states.push(serde_json::from_str(&state.to_string()).unwrap());
        }
        let merged = partial::combine("conversion.rate", &states, &params).unwrap().to_json();
        prop_assert_eq!(merged, whole);
    }

    #[test]
    fn rate_states_merged_without_order_give_the_rows_in_channel_order(
        rows in prop::collection::vec(rate_row(), 1..60),
        points in prop::collection::vec(0usize..60, 0..6),
        seed in any::<u64>(),
        by_brand in any::<bool>(),
    ) {
        let rows: Vec<Value> = rows.into_iter().enumerate().map(|(i, mut r)| {
            if by_brand {
                r["brand"] = json!(["b", "a"][i % 2]);
            }
            r
        }).collect();
        let params = if by_brand { json!({"by": ["brand"]}) } else { json!({}) };
        let mut sorted = rows.clone();
        sorted.sort_by(|a, b| a["channel"].as_str().cmp(&b["channel"].as_str()));
        let whole = evaluate("conversion.rate", &json!({"rows": sorted}), &params).unwrap().to_json();
        let mut states: Vec<Value> = cut(&rows, points).iter().map(|part| {
            partial::state("conversion.rate", &json!({"rows": part}), &params, 0).unwrap()
        }).collect();
        // any order of the parts, merged two by two as threads would
        let mut order = seed;
        while states.len() > 1 {
            order = order.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let i = (order >> 33) as usize % states.len();
            let a = states.swap_remove(i);
            let b = states.swap_remove(0);
            states.push(partial::merge_unordered("conversion.rate", &[a, b], &params).unwrap());
        }
        let merged = partial::merge_unordered("conversion.rate", &states, &params).unwrap();
        let result = partial::combine("conversion.rate", &[merged], &params).unwrap().to_json();
        prop_assert_eq!(result, whole);
    }

    #[test]
    fn funnel_states_of_entity_groups_merge_to_the_single_pass(
        events in prop::collection::vec(event(), 0..80),
        groups in 1usize..5,
        window in prop::option::of(1i64..3000),
    ) {
        let params = window.map_or(json!({}), |w| json!({"window_seconds": w}));
        let steps: Vec<&str> = STEPS.to_vec();
        let whole = evaluate("conversion.funnel", &json!({"steps": steps, "events": events}), &params)
            .unwrap().to_json();
        let mut parts = vec![Vec::new(); groups];
        for e in &events {
            let entity: usize = e["entity"].as_str().unwrap()[1..].parse().unwrap();
            parts[entity % groups].push(e.clone());
        }
        let states: Vec<Value> = parts.iter().rev()
            .map(|p| partial::state("conversion.funnel", &json!({"steps": steps, "events": p}), &params, 0).unwrap())
            .collect();
        prop_assert_eq!(partial::combine("conversion.funnel", &states, &params).unwrap().to_json(), whole);
    }
}

#[test]
fn a_bad_row_names_its_place_in_the_whole_input() {
    let rows = json!({"rows": [{"channel": "web", "opportunities": 1, "conversions": 2}]});
    let err = partial::state("conversion.rate", &rows, &json!({}), 40).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ConversionsExceedOpportunities);
    assert_eq!(err.path(), Some("input.rows[40].conversions"));
}

#[test]
fn only_states_of_any_split_merge_without_order() {
    assert_eq!(
        partial::merge_unordered("conversion.rate", &[], &json!({})).unwrap()["channels"],
        json!([])
    );
    let e = partial::merge_unordered("conversion.funnel", &[], &json!({})).unwrap_err();
    assert_eq!(
        (e.code(), e.path()),
        (ErrorCode::InvalidParameter, Some("kpi"))
    );
    assert!(!partial::merges_unordered("basket.average") && !partial::merges_unordered("nope"));
    let e = partial::merge_unordered("conversion.rate", &[json!({"kpi": "x"})], &json!({}))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongType);
}

#[test]
fn malformed_or_foreign_states_are_refused() {
    let steps = json!({"steps": ["a", "b"], "events": []});
    let funnel = partial::state("conversion.funnel", &steps, &json!({}), 0).unwrap();
    let other = partial::state(
        "conversion.funnel",
        &json!({"steps": ["a", "c"], "events": []}),
        &json!({}),
        0,
    )
    .unwrap();
    let rate = partial::state(
        "conversion.rate",
        &json!({"rows": [{"channel": "w", "opportunities": 2, "conversions": 1}]}),
        &json!({}),
        0,
    )
    .unwrap();
    let code = |kpi: &str, states: &[Value]| {
        partial::combine(kpi, states, &json!({}))
            .unwrap_err()
            .code()
    };
    assert_eq!(
        code("conversion.funnel", &[funnel.clone(), other]),
        ErrorCode::InvalidParameter
    );
    assert_eq!(
        code("conversion.funnel", std::slice::from_ref(&rate)),
        ErrorCode::WrongType
    );
    assert_eq!(
        code("conversion.rate", std::slice::from_ref(&funnel)),
        ErrorCode::WrongType
    );
    assert_eq!(code("conversion.funnel", &[]), ErrorCode::EmptyInput);
    assert_eq!(code("conversion.rate", &[]), ErrorCode::EmptyInput);
    let mut growing = funnel.clone();
    growing["reached"] = json!([1, 2]); // more entities at a later step: impossible
    assert_eq!(code("conversion.funnel", &[growing]), ErrorCode::WrongType);
    let mut over = rate.clone();
    over["channels"] = json!([["w", 3, 2]]); // conversions over opportunities
    assert_eq!(code("conversion.rate", &[over]), ErrorCode::WrongType);
    assert_eq!(
        partial::state("basket.average", &json!({}), &json!({}), 0)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidParameter
    );
}

#[test]
fn states_are_versioned_and_states_written_before_versions_still_read() {
    let params = json!({});
    let input = json!({"rows": [{"channel": "web", "opportunities": 10, "conversions": 4}]});
    let state = partial::state("conversion.rate", &input, &params, 0).unwrap();
    assert_eq!(
        state,
        json!({"kpi": "conversion.rate", "version": 1, "rows": 1, "channels": [["web", 4, 10]]})
    );
    let whole = evaluate("conversion.rate", &input, &params)
        .unwrap()
        .to_json();
    // as the first release wrote it, without a version
    let unversioned = json!({"kpi": "conversion.rate", "rows": 1, "channels": [["web", 4, 10]]});
    let combined = partial::combine("conversion.rate", &[unversioned], &params).unwrap();
    assert_eq!(combined.to_json(), whole);

    let mut later = state.clone();
    later["version"] = json!(2);
    let e = partial::combine("conversion.rate", &[later], &params).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidParameter);
    assert!(e.message().contains("reads version 1"), "{e}");

    let mut extra = state.clone();
    extra["more"] = json!(1);
    let e = partial::combine("conversion.rate", &[extra], &params).unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongType);
    assert!(e.message().contains("unknown field `more`"), "{e}");

    let funnel = json!({"kpi": "conversion.funnel", "version": 1, "steps": ["a", "b"],
                        "reached": [1, "2"], "events": 3, "rejected": 0});
    let e = partial::combine("conversion.funnel", &[funnel], &params).unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongType);
    assert!(e.message().contains("conversion.funnel"), "{e}");
}
