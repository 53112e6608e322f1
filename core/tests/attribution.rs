//! Accumulator properties: results do not depend on how journeys are split into batches or in
//! which order partial states are merged, states survive a JSON round trip, and every column
//! sums exactly to its total.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test loudly"
)]

mod common;
use common::models;
use omnikpi::attribution::{Accumulator, JourneyBatch, Touch};
use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
use omnikpi::money::Currency;
use serde_json::Value;

fn taxonomy() -> Taxonomy {
    let names = [
        "web", "app", "email", "social", "search", "direct", "store", "call",
    ];
    Taxonomy::new(
        names
            .iter()
            .map(|n| Channel {
                name: (*n).into(),
                group: if *n == "store" || *n == "call" {
                    ChannelGroup::Offline
                } else {
                    ChannelGroup::Online
                },
                direct: *n == "direct",
            })
            .collect(),
    )
    .unwrap()
}

/// A deterministic pseudo-random journey set (xorshift), with repeats, loops, leads,
/// non-converting journeys and touches older than the lookback window.
fn journeys(n: usize) -> Vec<(Vec<Touch>, u64, i128, i64)> {
    let names = [
        "web", "app", "email", "social", "search", "direct", "store", "call",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let len = 1 + (next() % 6) as usize;
            let mut t = (next() % 1_000_000) as i64;
            let touches: Vec<Touch> = (0..len)
                .map(|i| {
                    t += (next() % 400_000) as i64;
                    Touch {
                        channel: names[(next() % 8) as usize].into(),
                        timestamp: t,
                        lead: i == 1 && next() % 2 == 0,
                    }
                })
                .collect();
            let conversions = if next() % 3 == 0 { 0 } else { 1 + next() % 3 };
            let value = if conversions == 0 {
                0
            } else {
                (next() % 50_000) as i128
            };
            (touches, conversions, value, t + (next() % 100_000) as i64)
        })
        .collect()
}

fn batch(tax: &Taxonomy, rows: &[(Vec<Touch>, u64, i128, i64)]) -> JourneyBatch {
    let mut b = JourneyBatch::default();
    for (i, (touches, c, v, at)) in rows.iter().enumerate() {
        b.push(tax, touches, *c, *v, Some(*at), &format!("j{i}"))
            .unwrap();
    }
    b
}

fn results(acc: &Accumulator) -> Vec<Value> {
    acc.finish().unwrap().iter().map(|o| o.to_json()).collect()
}

#[test]
fn partitioning_and_merge_order_do_not_change_any_model() {
    let tax = taxonomy();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let rows = journeys(3000);
    for lookback in [None, Some(500_000)] {
        let mut whole = Accumulator::new(&tax, &eur, models(), lookback);
        whole.update(&batch(&tax, &rows)).unwrap();
        let expected = results(&whole);
        for parts in [2, 3, 7, 64] {
            let chunk = rows.len().div_ceil(parts);
            let partials: Vec<Accumulator> = rows
                .chunks(chunk)
                .map(|c| {
                    let mut a = Accumulator::new(&tax, &eur, models(), lookback);
                    a.update(&batch(&tax, c)).unwrap();
                    a
                })
                .collect();
            // left to right
            let mut left = Accumulator::new(&tax, &eur, models(), lookback);
            for p in &partials {
                left.merge(p).unwrap();
            }
            assert_eq!(
                results(&left),
                expected,
                "{parts} parts, merged left to right"
            );
            // right to left, through JSON (as Spark partitions would ship their states)
            let mut right = Accumulator::new(&tax, &eur, models(), lookback);
            for p in partials.iter().rev() {
                let mut shipped = Accumulator::new(&tax, &eur, models(), lookback);
                shipped.load_json(&p.to_json().unwrap()).unwrap();
                right.merge(&shipped).unwrap();
            }
            assert_eq!(
                results(&right),
                expected,
                "{parts} parts, merged right to left via JSON"
            );
        }
    }
}

#[test]
fn one_batch_per_journey_equals_one_batch() {
    let tax = taxonomy();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let rows = journeys(200);
    let mut whole = Accumulator::new(&tax, &eur, models(), None);
    whole.update(&batch(&tax, &rows)).unwrap();
    let mut single = Accumulator::new(&tax, &eur, models(), None);
    for r in &rows {
        single
            .update(&batch(&tax, std::slice::from_ref(r)))
            .unwrap();
    }
    assert_eq!(results(&single), results(&whole));
}

#[test]
fn every_column_sums_exactly_to_its_total() {
    let tax = taxonomy();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let rows = journeys(2000);
    for lookback in [None, Some(300_000)] {
        let mut acc = Accumulator::new(&tax, &eur, models(), lookback);
        acc.update(&batch(&tax, &rows)).unwrap();
        for result in results(&acc) {
            let sum = |field: &str| -> rust_decimal::Decimal {
                result["channels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        c[field]
                            .as_str()
                            .unwrap()
                            .parse::<rust_decimal::Decimal>()
                            .unwrap()
                    })
                    .sum()
            };
            let total = |field: &str| {
                result["totals"][field]
                    .as_str()
                    .unwrap()
                    .parse::<rust_decimal::Decimal>()
                    .unwrap()
            };
            assert_eq!(
                sum("conversions"),
                total("conversions"),
                "{}",
                result["model"]
            );
            assert_eq!(sum("value"), total("value"), "{}", result["model"]);
            if let Some(cells) = result.get("by_position").and_then(Value::as_array) {
                let by_pos: rust_decimal::Decimal = cells
                    .iter()
                    .map(|c| {
                        c["conversions"]
                            .as_str()
                            .unwrap()
                            .parse::<rust_decimal::Decimal>()
                            .unwrap()
                    })
                    .sum();
                let unattributed: rust_decimal::Decimal = result["channels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|c| c["channel"] == "(none)")
                    .map(|c| {
                        c["conversions"]
                            .as_str()
                            .unwrap()
                            .parse::<rust_decimal::Decimal>()
                            .unwrap()
                    })
                    .sum();
                assert_eq!(by_pos + unattributed, total("conversions"));
            }
        }
    }
}

#[test]
fn a_state_from_other_channels_is_refused() {
    let tax = taxonomy();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let other = Taxonomy::new(vec![Channel {
        name: "web".into(),
        group: ChannelGroup::Online,
        direct: false,
    }])
    .unwrap();
    let mut a = Accumulator::new(&tax, &eur, models(), None);
    let b = Accumulator::new(&other, &eur, models(), None);
    assert_eq!(
        a.merge(&b).unwrap_err().code(),
        omnikpi::ErrorCode::InvalidParameter
    );
    assert_eq!(
        a.load_json(&b.to_json().unwrap()).unwrap_err().code(),
        omnikpi::ErrorCode::InvalidParameter
    );
    assert_eq!(
        a.load_json(&serde_json::json!({"nope": 1}))
            .unwrap_err()
            .code(),
        omnikpi::ErrorCode::InvalidParameter
    );
}

#[test]
fn parallel_update_equals_sequential_update() {
    let tax = taxonomy();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let rows = journeys(1500);
    let b = batch(&tax, &rows);
    let mut sequential = Accumulator::new(&tax, &eur, models(), None);
    sequential.update(&b).unwrap();
    for threads in [1, 2, 3, 8] {
        let mut parallel = Accumulator::new(&tax, &eur, models(), None);
        parallel.update_parallel(&b, threads).unwrap();
        assert_eq!(
            results(&parallel),
            results(&sequential),
            "{threads} threads"
        );
    }
}

#[test]
fn max_touches_refuses_long_journeys_in_every_update_path() {
    let tax = taxonomy();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    // the generated journeys have at most 6 touches; this one has 7
    let long: Vec<Touch> = (0..7)
        .map(|i| Touch {
            channel: "web".into(),
            timestamp: i,
            lead: false,
        })
        .collect();
    let mut rows = journeys(50);
    rows.push((long, 1, 100, 10));
    let b = batch(&tax, &rows);
    for threads in [1, 2, 3] {
        let mut acc = Accumulator::new(&tax, &eur, models(), None).with_max_touches(6);
        let err = acc.update_parallel(&b, threads).unwrap_err();
        assert_eq!(
            err.code(),
            omnikpi::ErrorCode::LimitExceeded,
            "{threads} threads"
        );
        assert_eq!(err.path(), Some("input.journeys[50].touches"));
    }
    let mut acc = Accumulator::new(&tax, &eur, models(), None).with_max_touches(7);
    acc.update_parallel(&b, 2).unwrap();
}

#[test]
fn a_saved_state_is_refused_by_an_accumulator_with_other_parameters() {
    let tax = taxonomy();
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let mut windowed = Accumulator::new(&tax, &eur, models(), Some(10));
    windowed.update(&batch(&tax, &journeys(20))).unwrap();
    let state = windowed.to_json().unwrap();
    // Same channels, currency and models, but no window: a different result, so refused.
    let mut unbounded = Accumulator::new(&tax, &eur, models(), None);
    let e = unbounded.load_json(&state).unwrap_err();
    assert_eq!(e.code().as_str(), "invalid_parameter");
    assert!(e.message().contains("lookback_seconds"), "{}", e.message());
    // A different journey length limit likewise; the same parameters load.
    let mut shorter = Accumulator::new(&tax, &eur, models(), Some(10)).with_max_touches(3);
    assert!(shorter.load_json(&state).is_err());
    let mut same = Accumulator::new(&tax, &eur, models(), Some(10));
    same.load_json(&state).unwrap();
    assert_eq!(same.to_json().unwrap(), state);
}
