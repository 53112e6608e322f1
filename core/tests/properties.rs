//! Property tests (proptest) on generated inputs: attribution under every model sums exactly to
//! the totals, does not depend on journey order, channel names or how journeys are partitioned
//! and merged; canonical decimal strings round-trip; allocations sum to the whole, mirror for
//! negatives and break ties as declared. Failing cases proptest finds are kept in
//! `core/proptest-regressions/` and replayed first.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

mod common;
use common::models;
use omnikpi::attribution::{Accumulator, JourneyBatch, Touch};
use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
use omnikpi::decimal::parse_decimal;
use omnikpi::money::{allocate, Currency};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

const NAMES: [&str; 6] = ["web", "app", "email", "direct", "store", "call"];

fn taxonomy(prefix: &str) -> Taxonomy {
    Taxonomy::new(
        NAMES
            .iter()
            .map(|n| Channel {
                name: format!("{prefix}{n}"),
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

/// A journey: touches (channel index, seconds after the previous touch, lead), conversions,
/// value in minor units.
type Journey = (Vec<(usize, i64, bool)>, u64, i64);

fn journey() -> impl Strategy<Value = Journey> {
    (
        prop::collection::vec((0usize..6, 0i64..200_000, any::<bool>()), 1..7),
        prop_oneof![Just(0u64), 1u64..4],
        0i64..100_000,
    )
        .prop_map(|(touches, conversions, value)| {
            (
                touches,
                conversions,
                if conversions == 0 { 0 } else { value },
            )
        })
}

fn batch(tax: &Taxonomy, prefix: &str, journeys: &[Journey]) -> JourneyBatch {
    let mut b = JourneyBatch::default();
    for (i, (touches, conversions, value)) in journeys.iter().enumerate() {
        let mut t = 1_000_000;
        let touches: Vec<Touch> = touches
            .iter()
            .map(|(c, dt, lead)| {
                t += dt;
                Touch {
                    channel: format!("{prefix}{}", NAMES[*c]),
                    timestamp: t,
                    lead: *lead,
                }
            })
            .collect();
        b.push(
            tax,
            &touches,
            *conversions,
            i128::from(*value),
            None,
            &format!("j{i}"),
        )
        .unwrap();
    }
    b
}

fn run(prefix: &str, parts: &[&[Journey]], lookback: Option<i64>) -> Vec<Value> {
    let tax = taxonomy(prefix);
    let eur = Currency::lookup("EUR", None, "currency").unwrap();
    let mut total: Option<Accumulator> = None;
    for part in parts {
        let mut acc = Accumulator::new(&tax, &eur, models(), lookback);
        acc.update(&batch(&tax, prefix, part)).unwrap();
        // every partial state also survives a JSON round trip
        let mut restored = Accumulator::new(&tax, &eur, models(), lookback);
        restored.load_json(&acc.to_json().unwrap()).unwrap();
        match &mut total {
            None => total = Some(restored),
            Some(t) => t.merge(&restored).unwrap(),
        }
    }
    total
        .unwrap()
        .finish()
        .unwrap()
        .iter()
        .map(|o| o.to_json())
        .collect()
}

fn decimal(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every model's attributed conversions and values sum exactly to its totals.
    #[test]
    fn attribution_sums_exactly_to_the_totals(journeys in prop::collection::vec(journey(), 1..40),
                                              lookback in prop_oneof![Just(None), Just(Some(150_000i64))]) {
        for result in run("", &[&journeys], lookback) {
            let channels = result["channels"].as_array().unwrap();
            let sum = |f: &str| channels.iter().map(|c| decimal(&c[f])).sum::<Decimal>();
            prop_assert_eq!(sum("conversions"), decimal(&result["totals"]["conversions"]), "{}", result["model"]);
            prop_assert_eq!(sum("value"), decimal(&result["totals"]["value"]), "{}", result["model"]);
        }
    }

    /// Splitting the journeys into parts, merging the partial states in any order, gives the
    /// single-pass result exactly (merge is associative and partition-independent).
    #[test]
    fn partitions_and_merge_order_do_not_matter(journeys in prop::collection::vec(journey(), 2..40),
                                                cuts in prop::collection::vec(any::<prop::sample::Index>(), 1..4),
                                                reverse in any::<bool>()) {
        let whole = run("", &[&journeys], None);
        let mut at: Vec<usize> = cuts.iter().map(|c| c.index(journeys.len())).collect();
        at.sort_unstable();
        at.dedup();
        let mut parts: Vec<&[Journey]> = Vec::new();
        let mut start = 0;
        for cut in at.into_iter().chain([journeys.len()]) {
            if cut > start {
                parts.push(&journeys[start..cut]);
                start = cut;
            }
        }
        if reverse {
            parts.reverse();
        }
        prop_assert_eq!(run("", &parts, None), whole);
    }

    /// Journey order does not matter.
    #[test]
    fn journey_order_does_not_matter(journeys in prop::collection::vec(journey(), 1..30)) {
        let mut reversed = journeys.clone();
        reversed.reverse();
        prop_assert_eq!(run("", &[&reversed], None), run("", &[&journeys], None));
    }

    /// Renaming the channels (same declared order) renames the lines and changes no number.
    #[test]
    fn channel_names_do_not_matter(journeys in prop::collection::vec(journey(), 1..30)) {
        let plain = serde_json::to_string(&run("", &[&journeys], None)).unwrap();
        let renamed = serde_json::to_string(&run("ch_", &[&journeys], None)).unwrap();
        let mut back = renamed.clone();
        for n in NAMES {
            back = back.replace(&format!("\"ch_{n}\""), &format!("\"{n}\"")).replace(&format!("ch_{n}"), n);
        }
        prop_assert_eq!(back, plain);
    }

    /// A decimal's canonical string parses back to the same value and the same string.
    #[test]
    fn canonical_decimal_strings_round_trip(mantissa in any::<i64>(), scale in 0u32..20) {
        let d = Decimal::new(mantissa, scale);
        let text = d.to_string();
        let back = parse_decimal(&text, "x").unwrap();
        prop_assert_eq!(back, d);
        prop_assert_eq!(back.to_string(), text);
    }

    /// Allocations sum exactly to the amount, mirror for negative amounts, give each party its
    /// floor or floor + 1 minor unit, and hand leftovers to equal weights in declared order.
    #[test]
    fn allocations_sum_mirror_and_break_ties_as_declared(cents in 0i64..10_000_000,
                                                         weights in prop::collection::vec(0u32..1000, 1..8)) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let ws: Vec<Decimal> = weights.iter().map(|w| Decimal::from(*w)).collect();
        let amount = Decimal::new(cents, 2);
        let parts = allocate(amount, 2, &ws, "w").unwrap();
        prop_assert_eq!(parts.iter().map(|p| p.amount).sum::<Decimal>(), amount);
        let negative = allocate(-amount, 2, &ws, "w").unwrap();
        for (p, n) in parts.iter().zip(&negative) {
            prop_assert_eq!(n.amount, -p.amount);
        }
        let total: i64 = weights.iter().map(|w| i64::from(*w)).sum();
        for (p, w) in parts.iter().zip(&weights) {
            let floor = Decimal::new(cents * i64::from(*w) / total, 2);
            prop_assert!(p.amount == floor || p.amount == floor + Decimal::new(1, 2));
        }
        // equal weights and equal remainders: the leftover cents go to the earliest parties
        let equal = allocate(amount, 2, &vec![Decimal::ONE; weights.len()], "w").unwrap();
        let n = weights.len() as i64;
        for (i, p) in equal.iter().enumerate() {
            let expected = cents / n + i64::from((i as i64) < cents % n);
            prop_assert_eq!(p.amount, Decimal::new(expected, 2));
        }
    }
}
