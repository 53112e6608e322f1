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
        let alone = evaluate(kpi, &only(input, lists, brand), params).unwrap();
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
            for field in ["conversions", "value"] {
                let summed: Decimal = segments
                    .iter()
                    .flat_map(|s| s["channels"].as_array().unwrap())
                    .filter(|c| c["channel"] == channel["channel"])
                    .map(|c| decimal(&c[field]))
                    .sum();
                assert_eq!(summed, decimal(&channel[field]), "{kpi}: {field}");
            }
            conversions += decimal(&channel["conversions"]);
        }
        assert_eq!(
            conversions,
            decimal(&result["totals"]["conversions"]),
            "{kpi}"
        );
        assert_eq!(result["totals"], whole["totals"], "{kpi}");
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

#[test]
fn partial_states_refuse_by_rather_than_ignore_it() {
    let err = omnikpi::partial::state(
        "conversion.rate",
        &json!({"rows": []}),
        &json!({"by": ["brand"]}),
        0,
    )
    .unwrap_err();
    assert_eq!(err.path(), Some("params.by"));
}

#[test]
fn a_kpi_without_segments_does_not_take_by() {
    let err =
        omnikpi::evaluate("money.allocate", &json!({}), &json!({"by": ["brand"]})).unwrap_err();
    assert_eq!(err.code(), omnikpi::ErrorCode::UnknownParameter);
}
