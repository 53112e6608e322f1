//! The parameter `by` on every vector input of every KPI that takes it, with dimensions drawn at
//! random (proptest): each segment is the KPI on its records alone, the result's own fields are
//! the KPI on all records (or, for attribution, the exact sum of the segments), record counts add
//! up over the segments, in either record order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use omnikpi::ErrorCode;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::path::Path;
use std::str::FromStr;

/// (kpi, the segmented lists, consolidated?, an input and params the KPI computes).
fn samples() -> Vec<(String, Vec<String>, bool, Value, Value)> {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let mut out = Vec::new();
    for definition in omnikpi::catalog() {
        let Some(segments) = definition.document.get("segments") else {
            continue;
        };
        let lists: Vec<String> = segments["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let consolidated = segments["total"] == "consolidated";
        let text =
            std::fs::read_to_string(spec.join(format!("vectors/{}/basic.json", definition.id)))
                .unwrap();
        let file: Value = serde_json::from_str(&text).unwrap();
        for case in file["cases"].as_array().unwrap() {
            if case.get("expected").is_some() {
                let params = case.get("params").cloned().unwrap_or(json!({}));
                out.push((
                    definition.id.to_owned(),
                    lists.clone(),
                    consolidated,
                    case["input"].clone(),
                    params,
                ));
            }
        }
    }
    assert!(out.len() > 30, "too few samples: {}", out.len());
    out
}

fn evaluate(kpi: &str, input: &Value, params: &Value) -> omnikpi::Result<Value> {
    omnikpi::evaluate(kpi, input, params).map(|o| o.to_json())
}

fn decimal(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

/// The input with each record of `lists` given a `brand` from `brands` (cycled) and the records
/// of each list reversed when `reverse`.
fn tagged(input: &Value, lists: &[String], brands: &[u8], reverse: bool) -> Value {
    let mut out = input.clone();
    let mut n = 0;
    for list in lists {
        if let Some(records) = out.get_mut(list).and_then(Value::as_array_mut) {
            for record in records.iter_mut() {
                let brand = brands[n % brands.len()];
                record["brand"] = json!(format!("b{brand}"));
                n += 1;
            }
            if reverse {
                records.reverse();
            }
        }
    }
    out
}

/// The records of `lists` whose brand is `brand`, without their brand.
fn only(input: &Value, lists: &[String], brand: &str) -> Value {
    let mut out = input.clone();
    for list in lists {
        if let Some(records) = out.get_mut(list).and_then(Value::as_array_mut) {
            records.retain(|r| r["brand"] == brand);
            for r in records.iter_mut() {
                r.as_object_mut().unwrap().remove("brand");
            }
        }
    }
    out
}

fn check(kpi: &str, lists: &[String], consolidated: bool, input: &Value, params: &Value) {
    let mut with_by = params.clone();
    with_by["by"] = json!(["brand"]);
    let whole = evaluate(kpi, &only_all(input, lists), params);
    let Ok(result) = evaluate(kpi, input, &with_by) else {
        // A segment the KPI refuses (a lift segment without a control arm): the whole must
        // compute, and the error must name the segment.
        let err = omnikpi::evaluate(kpi, input, &with_by).unwrap_err();
        assert!(
            whole.is_ok() && err.message().contains("in segment brand="),
            "{kpi}: {err:?}"
        );
        return;
    };
    let whole = whole.unwrap();
    let segments = result["segments"].as_array().unwrap();
    let mut read = 0;
    for segment in segments {
        let brand = segment["key"]["brand"].as_str().unwrap();
        let alone = match evaluate(kpi, &only(input, lists, brand), params) {
            Ok(alone) => alone,
            Err(e) => {
                // a brand with costs but no journey: alone it is empty_input; as a segment it
                // is its spend with nothing attributed (spec: contribution.roas segments)
                assert_eq!(
                    e.code(),
                    ErrorCode::EmptyInput,
                    "{kpi}: segment {brand}: {e}"
                );
                assert_eq!(segment["rows"]["read"], 0, "{kpi}: segment {brand}");
                assert_eq!(
                    segment["overall"]["value"], "0.00",
                    "{kpi}: segment {brand}"
                );
                continue;
            }
        };
        let mut own = segment.clone();
        own.as_object_mut().unwrap().remove("key");
        assert_eq!(own, alone, "{kpi}: segment {brand}");
        read += segment["rows"]["read"].as_u64().unwrap();
    }
    assert_eq!(
        read,
        result["rows"]["read"].as_u64().unwrap(),
        "{kpi}: rows read"
    );
    if consolidated {
        let channels = result["channels"].as_array().unwrap();
        let mut conversions = Decimal::ZERO;
        for channel in channels {
            let additive = ["conversions", "value", "cost"];
            for field in additive.iter().filter(|f| !channel[**f].is_null()) {
                let summed: Decimal = segments
                    .iter()
                    .flat_map(|s| s["channels"].as_array().unwrap())
                    .filter(|c| c["channel"] == channel["channel"])
                    .map(|c| decimal(&c[field]))
                    .sum();
                assert_eq!(summed, decimal(&channel[field]), "{kpi}: {field}");
            }
            if let Some(c) = channel.get("conversions") {
                conversions += decimal(c);
            }
        }
        if kpi.starts_with("attribution.") {
            assert_eq!(
                conversions,
                decimal(&result["totals"]["conversions"]),
                "{kpi}"
            );
            assert_eq!(result["totals"], whole["totals"], "{kpi}");
        }
        for (field, of) in [("total_value", "value"), ("overall", "cost")] {
            if let Some(total) = result.get(field) {
                let total = total.get(of).unwrap_or(total);
                let summed: Decimal = segments
                    .iter()
                    .map(|s| {
                        let t = &s[field];
                        decimal(t.get(of).unwrap_or(t))
                    })
                    .sum();
                assert_eq!(summed, decimal(total), "{kpi}: {field}");
            }
        }
    } else {
        let mut own = result.clone();
        own.as_object_mut().unwrap().remove("by");
        own.as_object_mut().unwrap().remove("segments");
        assert_eq!(own, whole, "{kpi}: the whole");
    }
}

/// Every record without its brand.
fn only_all(input: &Value, lists: &[String]) -> Value {
    let mut out = input.clone();
    for list in lists {
        if let Some(records) = out.get_mut(list).and_then(Value::as_array_mut) {
            for r in records.iter_mut() {
                r.as_object_mut().unwrap().remove("brand");
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn segments_are_the_kpi_on_their_records(
        pick in any::<prop::sample::Index>(),
        brands in prop::collection::vec(0u8..3, 1..7),
        reverse in any::<bool>(),
    ) {
        let all = samples();
        let (kpi, lists, consolidated, input, params) = pick.get(&all);
        check(kpi, lists, *consolidated, &tagged(input, lists, &brands, false), params);
        if reverse {
            check(kpi, lists, *consolidated, &tagged(input, lists, &brands, true), params);
        }
    }
}

#[test]
fn every_sample_splits_in_every_kpi() {
    for (kpi, lists, consolidated, input, params) in samples() {
        check(
            &kpi,
            &lists,
            consolidated,
            &tagged(&input, &lists, &[0, 1, 1], false),
            &params,
        );
    }
}

/// Partial states with `by`, over the records cut into `parts` pieces (contiguous rows, a
/// funnel's events by entity), give what one pass gives.
fn partial_equals_one_pass(kpi: &str, list: &str, input: &Value, by: &[&str], parts: usize) {
    let params = json!({"by": by});
    let records = input[list].as_array().unwrap().clone();
    let piece = |i: usize| -> Vec<Value> {
        records
            .iter()
            .enumerate()
            .filter(|(j, r)| match r.get("entity") {
                Some(e) => e.as_str().unwrap().bytes().map(usize::from).sum::<usize>() % parts == i,
                None => j * parts / records.len() == i, // contiguous: rows keep their order
            })
            .map(|(_, r)| r.clone())
            .collect()
    };
    let states: Vec<Value> = (0..parts)
        .map(|i| {
            let mut part = input.clone();
            part[list] = Value::Array(piece(i));
            omnikpi::partial::state(kpi, &part, &params, 0).unwrap()
        })
        .collect();
    let merged = omnikpi::partial::combine(kpi, &states, &params)
        .unwrap()
        .to_json();
    let one = omnikpi::evaluate(kpi, input, &params).unwrap().to_json();
    assert_eq!(merged, one, "{kpi} in {parts} parts");
}

#[test]
fn partial_states_merge_per_segment() {
    let rows: Vec<Value> = (0..40u64)
        .map(|i| {
            let pick = |names: &[&str]| names[(i % names.len() as u64) as usize].to_owned();
            json!({"channel": pick(&["web", "store", "app"]), "opportunities": 10 + i,
                   "conversions": i % 7, "brand": pick(&["A", "B"]), "country": pick(&["FR", "GB", "CH", "DE"])})
        })
        .collect();
    let events: Vec<Value> = (0..60u64)
        .map(|i| {
            let event = ["visit", "cart", "buy"][(i % 3) as usize];
            let shop = if i % 4 < 2 { "north" } else { "south" };
            json!({"entity": format!("e{}", i % 11), "event": event, "timestamp": i * 60, "shop": shop})
        })
        .collect();
    for parts in [1, 2, 5] {
        partial_equals_one_pass(
            "conversion.rate",
            "rows",
            &json!({"rows": rows}),
            &["brand", "country"],
            parts,
        );
        let funnel = json!({"steps": ["visit", "cart", "buy"], "events": events});
        partial_equals_one_pass("conversion.funnel", "events", &funnel, &["shop"], parts);
    }
}

#[test]
fn states_cut_by_other_dimensions_do_not_merge() {
    let row = |dim: &str| json!({"rows": [{"channel": "web", "opportunities": 4, "conversions": 1, dim: "X"}]});
    let a = omnikpi::partial::state(
        "conversion.rate",
        &row("brand"),
        &json!({"by": ["brand"]}),
        0,
    )
    .unwrap();
    let b = omnikpi::partial::state(
        "conversion.rate",
        &row("country"),
        &json!({"by": ["country"]}),
        0,
    )
    .unwrap();
    let err = omnikpi::partial::combine(
        "conversion.rate",
        &[a.clone(), b],
        &json!({"by": ["brand"]}),
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.path()),
        (omnikpi::ErrorCode::WrongType, Some("states[1]"))
    );
    let plain = omnikpi::partial::combine("conversion.rate", &[a], &json!({}));
    assert!(plain.is_err(), "a segmented state is not a plain one");
}

#[test]
fn a_kpi_without_segments_does_not_take_by() {
    let err =
        omnikpi::evaluate("money.allocate", &json!({}), &json!({"by": ["brand"]})).unwrap_err();
    assert_eq!(err.code(), omnikpi::ErrorCode::UnknownParameter);
}
