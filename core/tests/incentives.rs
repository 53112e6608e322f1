//! Properties of the incentive engine on generated sales: every sale's lines sum exactly to its
//! distributable amount, refunds mirror their sale to the cent, and the result does not depend
//! on the order of the input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use omnikpi::incentive::split_input;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const STORES: [&str; 3] = ["lille", "lyon", "nice"];
const ONLINE: [&str; 3] = ["web", "app", "email"];

/// A policy exercising every share kind: percents to fixed and sale-named parties, a fixed
/// amount, an attribution share, a second group on the extra purchase, odd percents so that
/// largest remainders matter.
fn policy(rounding: &str) -> Value {
    let mut parties: Vec<Value> = ONLINE
        .iter()
        .map(|c| json!({"id": c, "kind": "channel"}))
        .collect();
    parties.extend(STORES.iter().map(|s| json!({"id": s, "kind": "store"})));
    parties.push(json!({"id": "anna", "kind": "staff"}));
    json!({
        "format": "omnikpi.incentive_policy/1", "id": "prop", "version": "1", "currency": "EUR",
        "rounding": rounding, "parties": parties,
        "rules": [
            {"id": "cc", "priority": 2, "when": {"click_and_collect": true},
             "shares": [{"party_from": "origin_channel", "percent": "2.37"},
                        {"party_from": "fulfilment_channel", "percent": "1.13"},
                        {"party_from": "staff", "fixed": "0.35"}]},
            {"id": "store", "priority": 1, "when": {"fulfilment_kind": ["store"]},
             "shares": [{"party_from": "fulfilment_channel", "percent": "3.3"},
                        {"attribution": {"model": "time_decay", "lookback_days": 10,
                                         "channels": ["web", "app", "email"], "fallback": "web"},
                         "percent": "0.7"}]},
            {"id": "extra", "group": "pickup", "base": "extra_amount",
             "shares": [{"party_from": "fulfilment_channel", "percent": "7.77"}]}
        ]
    })
}

#[derive(Debug, Clone)]
struct GenSale {
    cents: i64,
    extra_cents: i64,
    store: usize,
    origin: usize,
    cc: bool,
    day: i64,
    refunds: Vec<u8>, // percents of the amount refunded, in order (the last may complete it)
    complete: bool,
}

fn sale_strategy() -> impl Strategy<Value = GenSale> {
    (
        0i64..2_000_000,
        prop_oneof![Just(0i64), 1i64..50_000],
        0usize..3,
        0usize..3,
        any::<bool>(),
        0i64..60,
        prop::collection::vec(1u8..40, 0..3),
        any::<bool>(),
    )
        .prop_map(
            |(cents, extra_cents, store, origin, cc, day, refunds, complete)| GenSale {
                cents,
                extra_cents: if cc { extra_cents } else { 0 },
                store,
                origin,
                cc,
                day,
                refunds,
                complete,
            },
        )
}

fn money(cents: i64) -> String {
    Decimal::new(cents, 2).to_string()
}

/// The engine input: sales, their refunds (partial ones, then the rest when `complete`), touches.
fn input(sales: &[GenSale], rounding: &str) -> Value {
    let mut rows = Vec::new();
    let mut touches = Vec::new();
    for (i, s) in sales.iter().enumerate() {
        let id = format!("s{i}");
        let t = s.day * 86_400;
        rows.push(json!({
            "sale_id": id, "timestamp": t, "period": format!("p{}", s.day / 30), "customer_id": format!("c{i}"),
            "origin_channel": if s.cc { ONLINE[s.origin] } else { "store" },
            "fulfilment_channel": STORES[s.store], "click_and_collect": s.cc, "staff": "anna",
            "amount": money(s.cents), "extra_amount": money(s.extra_cents),
        }));
        for k in 0..(i % 4) {
            touches.push(json!({"customer_id": format!("c{i}"), "timestamp": t - 3600 * (k as i64 + 1) * 7, "channel": ONLINE[(i + k) % 3]}));
        }
        let mut left = s.cents;
        for (k, pct) in s.refunds.iter().enumerate() {
            let part = s.cents * i64::from(*pct) / 100;
            if part == 0 || part > left {
                continue;
            }
            left -= part;
            rows.push(json!({"sale_id": format!("r{i}_{k}"), "timestamp": t + 86_400 * (k as i64 + 1),
                             "period": format!("p{}", (s.day + k as i64 + 1) / 30), "refund_of": id, "amount": money(part)}));
        }
        if s.complete && (left > 0 || s.extra_cents > 0) {
            rows.push(
                json!({"sale_id": format!("r{i}_all"), "timestamp": t + 86_400 * 10,
                             "period": format!("p{}", (s.day + 10) / 30), "refund_of": id,
                             "amount": money(left), "extra_amount": money(s.extra_cents)}),
            );
        }
    }
    json!({"policy": policy(rounding), "sales": rows, "touches": touches})
}

fn rounding() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("half_even"),
        Just("half_away_from_zero"),
        Just("toward_zero")
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Every original sale's lines of a rule sum to round(base × Σ percents / 100) + Σ fixed.
    #[test]
    fn every_sale_pays_exactly_its_distributable_amount(sales in prop::collection::vec(sale_strategy(), 1..12), mode in rounding()) {
        let data = input(&sales, mode);
        let split = split_input(&data).unwrap();
        let strategy = match mode {
            "half_even" => rust_decimal::RoundingStrategy::MidpointNearestEven,
            "half_away_from_zero" => rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            _ => rust_decimal::RoundingStrategy::ToZero,
        };
        let pool = |base: i64, pct: &str| {
            (Decimal::new(base, 2) * pct.parse::<Decimal>().unwrap() / Decimal::ONE_HUNDRED).round_dp_with_strategy(2, strategy)
        };
        for (i, s) in sales.iter().enumerate() {
            let id = format!("s{i}");
            let mut by_rule: BTreeMap<String, Decimal> = BTreeMap::new();
            for l in split.lines.iter().filter(|l| l.sale_id.as_deref() == Some(id.as_str())) {
                *by_rule.entry(l.rule.clone()).or_default() += l.amount;
            }
            let main = if s.cc { pool(s.cents, "3.5") + Decimal::new(35, 2) } else { pool(s.cents, "4.0") };
            prop_assert_eq!(by_rule.get(if s.cc { "cc" } else { "store" }).copied(), Some(main));
            if s.extra_cents > 0 {
                prop_assert_eq!(by_rule.get("extra").copied(), Some(pool(s.extra_cents, "7.77")));
            } else {
                prop_assert!(!by_rule.contains_key("extra"));
            }
        }
        prop_assert_eq!(split.rows.read, split.rows.used + split.rows.rejected);
    }

    /// After refunds, a sale refunded in full has paid nothing, per party, to the cent; a sale
    /// partly refunded keeps between 0 and what it paid.
    #[test]
    fn refunds_mirror_their_sale(sales in prop::collection::vec(sale_strategy(), 1..12), mode in rounding()) {
        let data = input(&sales, mode);
        let split = split_input(&data).unwrap();
        let mut net: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        let mut paid: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for l in &split.lines {
            let Some(sale) = &l.sale_id else { continue };
            let original = sale.split('_').next().unwrap().replacen('r', "s", 1);
            *net.entry((original.clone(), l.party.clone())).or_default() += l.amount;
            if !sale.starts_with('r') {
                *paid.entry((original, l.party.clone())).or_default() += l.amount;
            }
        }
        for (i, s) in sales.iter().enumerate() {
            for ((sale, party), amount) in net.iter().filter(|((sale, _), _)| *sale == format!("s{i}")) {
                let before = paid.get(&(sale.clone(), party.clone())).copied().unwrap_or_default();
                if s.complete {
                    prop_assert_eq!(*amount, Decimal::ZERO, "{} {} kept {}", sale, party, amount);
                } else {
                    prop_assert!(*amount >= Decimal::ZERO && *amount <= before, "{} {}: {} of {}", sale, party, amount, before);
                }
            }
        }
    }

    /// Reversing the input order changes nothing: same lines per sale, same period totals.
    #[test]
    fn input_order_does_not_matter(sales in prop::collection::vec(sale_strategy(), 1..10)) {
        let data = input(&sales, "half_even");
        let mut reversed = data.clone();
        reversed["sales"].as_array_mut().unwrap().reverse();
        reversed["touches"].as_array_mut().unwrap().reverse();
        let (a, b) = (split_input(&data).unwrap(), split_input(&reversed).unwrap());
        let key = |s: &omnikpi::incentive::Split| {
            let mut lines: Vec<String> = s.lines.iter().map(|l| format!("{:?}|{}|{}|{}|{}", l.sale_id, l.party, l.rule, l.amount, l.explanation)).collect();
            lines.sort();
            lines
        };
        prop_assert_eq!(key(&a), key(&b));
        prop_assert_eq!(a.periods, b.periods);
    }
}
