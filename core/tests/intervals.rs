//! Confidence intervals (the `intervals` parameter of every attribution model): the replicates do
//! not depend on the order of the journeys, on how they are partitioned and merged (through
//! JSON partial states too), nor on whether an id came as an integer or as its decimal text;
//! a batch without ids is refused, and a run without intervals is unchanged.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

mod common;
use common::models;
use omnikpi::attribution::{
    Accumulator, Bootstrap, JourneyBatch, JourneyKey, LongBuilder, Outcome,
};
use omnikpi::channel::Taxonomy;
use omnikpi::money::Currency;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const NAMES: [&str; 5] = ["web", "app", "email", "direct", "store"];

fn taxonomy() -> Taxonomy {
    Taxonomy::from_json(&Value::Array(
        NAMES
            .iter()
            .map(|n| json!({"channel": n, "group": "online", "direct": *n == "direct"}))
            .collect(),
    ))
    .unwrap()
}

/// A journey: its id number, touches (channel index, seconds after the previous), conversions
/// and value in minor units.
type Journey = (u32, Vec<(usize, i64)>, u64, i128);

fn journeys() -> impl Strategy<Value = Vec<Journey>> {
    prop::collection::vec(
        (
            prop::collection::vec((0usize..5, 0i64..5_000), 1..6),
            prop_oneof![Just(0u64), 1u64..3],
            0i128..50_000,
        ),
        1..40,
    )
    .prop_map(|js| {
        js.into_iter()
            .enumerate()
            .map(|(i, (touches, conv, value))| {
                (i as u32, touches, conv, if conv == 0 { 0 } else { value })
            })
            .collect()
    })
}

/// The journeys as long-format rows, ids as integers or as text.
fn batch(tax: &Taxonomy, journeys: &[Journey], text_ids: bool) -> JourneyBatch {
    let mut b = LongBuilder::new(tax);
    let mut row = 0;
    for (id, touches, conversions, value) in journeys {
        let text = id.to_string();
        let key = if text_ids {
            JourneyKey::Text(&text)
        } else {
            JourneyKey::Int(i64::from(*id))
        };
        let mut t = 1_000_000;
        for (c, dt) in touches {
            t += dt;
            let outcome = Outcome {
                conversions: *conversions,
                value_minor: *value,
                conversion_time: None,
            };
            b.push(key, t, NAMES[*c], outcome, row).unwrap();
            row += 1;
        }
    }
    b.finish().unwrap()
}

fn accumulator(tax: &Taxonomy, seed: u64) -> Accumulator {
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let all = models();
    let levels = vec![Some(Decimal::new(9, 1)); all.len()];
    Accumulator::new(tax, &eur, all, Some(4_000))
        .with_intervals(
            Bootstrap {
                replicates: 12,
                seed,
            },
            levels,
        )
        .unwrap()
}

fn results(acc: &Accumulator) -> Vec<Value> {
    acc.finish().unwrap().iter().map(|r| r.to_json()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn intervals_do_not_depend_on_order_partition_or_id_type(
        js in journeys(),
        order in prop::collection::vec(any::<u32>(), 40),
        cut in 1usize..4,
        seed in 0u64..1_000,
    ) {
        let tax = taxonomy();
        let mut whole = accumulator(&tax, seed);
        whole.update(&batch(&tax, &js, true)).unwrap();
        let expected = results(&whole);
        prop_assert!(expected.iter().all(|r| r.get("intervals").is_some()));

        // shuffled, cut into parts, each part through a JSON partial state, merged backwards
        let mut shuffled = js.clone();
        shuffled.sort_by_key(|j| order[j.0 as usize % order.len()]);
        let size = shuffled.len().div_ceil(cut).max(1);
        let mut merged: Option<Accumulator> = None;
        for part in shuffled.chunks(size).rev() {
            let mut acc = accumulator(&tax, seed);
            acc.update(&batch(&tax, part, false)).unwrap();
            let mut restored = accumulator(&tax, seed);
            restored.load_json(&acc.to_json().unwrap()).unwrap();
            match &mut merged {
                None => merged = Some(restored),
                Some(m) => m.merge(&restored).unwrap(),
            }
        }
        prop_assert_eq!(results(&merged.unwrap()), expected);
    }
}

#[test]
fn another_seed_draws_other_replicates_and_the_point_stays() {
    let tax = taxonomy();
    let js: Vec<Journey> = (0..60)
        .map(|i| {
            let touches = vec![((i % 5) as usize, 10), (((i * 7) % 5) as usize, 20)];
            let conversions = u64::from(i % 3 != 0);
            let value = if conversions > 0 {
                1_000 + i128::from(i) * 37
            } else {
                0
            };
            (i, touches, conversions, value)
        })
        .collect();
    let b = batch(&tax, &js, true);
    let run = |seed| {
        let mut acc = accumulator(&tax, seed);
        acc.update(&b).unwrap();
        results(&acc)
    };
    let (a, other) = (run(1), run(2));
    assert_ne!(a[3]["intervals"], other[3]["intervals"]);
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let mut plain = Accumulator::new(&tax, &eur, models(), Some(4_000));
    plain.update(&b).unwrap();
    for (with, without) in a.iter().zip(results(&plain)) {
        let mut point = with.clone();
        point.as_object_mut().unwrap().remove("intervals");
        assert_eq!(
            point, without,
            "intervals must not change the point estimate"
        );
    }
}

#[test]
fn a_batch_without_ids_is_refused_and_states_must_agree() {
    let tax = taxonomy();
    let mut b = JourneyBatch::default();
    let touch = omnikpi::attribution::Touch {
        channel: "web".into(),
        timestamp: 10,
        lead: false,
    };
    b.push(&tax, &[touch], 1, 100, None, "j").unwrap();
    let e = accumulator(&tax, 0).update(&b).unwrap_err();
    assert_eq!(e.code().as_str(), "missing_field");
    let mut one = accumulator(&tax, 0);
    assert!(one.merge(&accumulator(&tax, 1)).is_err());
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let plain = Accumulator::new(&tax, &eur, models(), Some(4_000));
    assert!(one.merge(&plain).is_err());
}
