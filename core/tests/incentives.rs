//! Properties of the incentive engine on generated sales: every sale's lines sum exactly to its
//! distributable amount, refunds mirror their sale to the cent, and the result does not depend
//! on the order of the input; the check of a split's own lines agrees, and a spoiled line gives
//! exactly the reasons of its spoiling.
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
    /// partly refunded keeps between 0 and what it paid; shares rounded pooled or per share.
    #[test]
    fn refunds_mirror_their_sale(
        sales in prop::collection::vec(sale_strategy(), 1..12),
        mode in rounding(),
        per_share in any::<bool>(),
    ) {
        let mut data = input(&sales, mode);
        if per_share {
            data["policy"]["share_rounding"] = json!("per_share");
        }
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

/// How a claimed copy of the canonical lines is spoiled, and the reasons the check must give.
#[derive(Debug, Clone, Copy)]
enum Spoil {
    Amount,
    Period,
    Rule,
    Sale,
    Party,
    Duplicate,
    Drop,
}

fn spoil_strategy() -> impl Strategy<Value = Spoil> {
    prop_oneof![
        Just(Spoil::Amount),
        Just(Spoil::Period),
        Just(Spoil::Rule),
        Just(Spoil::Sale),
        Just(Spoil::Party),
        Just(Spoil::Duplicate),
        Just(Spoil::Drop),
    ]
}

/// The split's own lines as claims, in the split's CSV shape.
fn claims_of(split: &omnikpi::incentive::Split) -> Vec<Value> {
    split
        .lines
        .iter()
        .map(|l| {
            json!({"sale_id": l.sale_id, "period": l.period, "party": l.party, "rule": l.rule,
                   "amount": l.amount.to_string()})
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into()
        })
        .collect()
}

fn reasons(check: &omnikpi::incentive::Check) -> Vec<&'static str> {
    let mut r: Vec<&str> = check.differences.iter().map(|d| d.reason.code()).collect();
    r.sort_unstable();
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// The split's own lines, in any order, agree; one spoiled line gives exactly the reasons
    /// of its spoiling, and the differences always sum to claimed minus canonical.
    #[test]
    fn check_finds_exactly_what_was_spoiled(
        sales in prop::collection::vec(sale_strategy(), 1..8),
        spoil in spoil_strategy(),
        pick in any::<prop::sample::Index>(),
        seed in any::<u64>(),
    ) {
        let mut data = input(&sales, "half_even");
        let split = split_input(&data).unwrap();
        let mut claims = claims_of(&split);
        // A deterministic shuffle: claim order must not matter.
        let n = claims.len();
        for i in (1..n).rev() {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) >> 33) as usize % (i + 1);
            claims.swap(i, j);
        }
        data["payouts"] = Value::Array(claims.clone());
        let clean = omnikpi::incentive::check_input(&data).unwrap();
        prop_assert!(clean.agrees(), "{:?}", clean.differences);
        let nonzero: Vec<usize> = (0..n).filter(|&i| claims[i]["amount"] != "0.00").collect();
        prop_assume!(!nonzero.is_empty());
        let i = nonzero[pick.index(nonzero.len())];
        let line = claims[i].clone();
        let same_key = claims.iter().filter(|c| {
            ["sale_id", "period", "party", "rule"].iter().all(|k| c.get(*k) == line.get(*k))
        }).count();
        let left_behind = if same_key == 1 { "not_claimed" } else { "wrong_amount" };
        let expected: Vec<&str> = match spoil {
            Spoil::Amount => {
                let cents: Decimal = line["amount"].as_str().unwrap().parse().unwrap();
                claims[i]["amount"] = json!((cents + Decimal::new(1, 2)).to_string());
                vec!["wrong_amount"]
            }
            Spoil::Period if same_key == 1 => {
                claims[i]["period"] = json!("p99");
                vec!["wrong_period"]
            }
            Spoil::Period => {
                claims[i]["period"] = json!("p99");
                vec![left_behind, "not_due"]
            }
            Spoil::Rule => { claims[i]["rule"] = json!("no_such"); vec![left_behind, "no_such_rule"] }
            Spoil::Sale => { claims[i]["sale_id"] = json!("s_unknown"); vec![left_behind, "no_such_sale"] }
            Spoil::Party => { claims[i]["party"] = json!("nobody"); vec![left_behind, "no_such_party"] }
            Spoil::Duplicate => { claims.push(line.clone()); vec!["claimed_twice"] }
            Spoil::Drop => { claims.remove(i); vec![left_behind] }
        };
        let mut expected = expected;
        expected.sort_unstable();
        data["payouts"] = Value::Array(claims);
        let check = omnikpi::incentive::check_input(&data).unwrap();
        prop_assert_eq!(reasons(&check), expected, "{:?}", check.differences);
        let sum: Decimal = check.differences.iter().map(|d| d.difference).sum();
        prop_assert_eq!(sum, check.claimed_total - check.canonical_total);
    }
}

/// A month's sale for anna (7%, quota 1000.00 a month), with perhaps a later refund of part of it.
#[derive(Debug, Clone)]
struct QuotaSale {
    month: u32,
    cents: i64,
    refund: Option<(u32, i64)>,
}

fn quota_sale() -> impl Strategy<Value = QuotaSale> {
    (
        1u32..=6,
        100i64..120_000,
        prop::option::of((0u32..3, 1u32..=100)),
    )
        .prop_map(|(month, cents, refund)| QuotaSale {
            month,
            cents,
            refund: refund.map(|(later, pct)| {
                let part = (cents * i64::from(pct) / 100).max(100).min(cents);
                ((month + later).min(6), part)
            }),
        })
}

fn quota_input(sales: &[QuotaSale], mode: &str) -> Value {
    let at = |month: u32, day: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, month, day)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
    };
    let mut rows = Vec::new();
    for (i, s) in sales.iter().enumerate() {
        rows.push(json!({"sale_id": format!("s{i}"), "timestamp": at(s.month, 1), "origin_channel": "store",
                         "fulfilment_channel": "lille", "staff": "anna", "amount": money(s.cents)}));
        if let Some((month, cents)) = s.refund {
            rows.push(json!({"sale_id": format!("r{i}"), "timestamp": at(month, 20), "refund_of": format!("s{i}"),
                             "amount": money(cents)}));
        }
    }
    json!({"policy": {"format": "omnikpi.incentive_policy/1", "id": "q", "version": "1", "currency": "EUR",
                      "periods": {"grain": "month"},
                      "parties": [{"id": "lille", "kind": "store"}, {"id": "anna", "kind": "staff"}],
                      "rules": [{"id": "staff_sales", "shares": [{"party_from": "staff", "percent": "7"}]}],
                      "tiers": [{"id": "quota", "parties": ["anna"], "mode": mode, "basis": "attainment", "window": "quarter",
                                 "quotas": {"anna": "1000.00"},
                                 "bands": [{"from": "0", "multiplier": "1"}, {"from": "80", "multiplier": "1.25"},
                                           {"from": "120", "multiplier": "2"}]}]},
           "sales": rows})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 120, ..ProptestConfig::default() })]

    /// A tier on quarter-to-date attainment: each month pays the quarter's accelerator to date
    /// (recomputed here from the lines: earnings and credited sales to date, bands at 80% and
    /// 120% of 1000.00 per month begun) less what the quarter's earlier months paid, so the
    /// accelerators of a quarter always add up to what its earnings to date are due.
    #[test]
    fn quota_accelerators_add_up_over_the_quarter(sales in prop::collection::vec(quota_sale(), 1..10), step in any::<bool>()) {
        let mode = if step { "step" } else { "flat" };
        let split = split_input(&quota_input(&sales, mode)).unwrap();
        let mut credited: BTreeMap<u32, Decimal> = BTreeMap::new();
        for s in &sales {
            *credited.entry(s.month).or_default() += Decimal::new(s.cents, 2);
            if let Some((month, cents)) = s.refund {
                *credited.entry(month).or_default() -= Decimal::new(cents, 2);
            }
        }
        let (mut earned_q, mut credited_q, mut paid_q) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        let mut quarter = 0;
        for (month, sold) in credited {
            if (month - 1) / 3 != quarter {
                quarter = (month - 1) / 3;
                (earned_q, credited_q, paid_q) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            }
            let period = format!("2026-{month:02}");
            let of = |kind: &str| -> Decimal {
                split.lines.iter()
                    .filter(|l| l.period == period && l.party == "anna" && l.kind.name() == kind)
                    .map(|l| l.amount).sum()
            };
            earned_q += of("sale") + of("clawback");
            credited_q += sold;
            let quota = Decimal::from(1000 * ((month - 1) % 3 + 1));
            let (low, high) = (quota * Decimal::new(8, 1), quota * Decimal::new(12, 1));
            let adjusted = if earned_q <= Decimal::ZERO || credited_q <= Decimal::ZERO {
                earned_q
            } else if step {
                let slice = |from: Decimal, to: Option<Decimal>| (to.map_or(credited_q, |t| credited_q.min(t)) - from).max(Decimal::ZERO);
                let weighted = slice(Decimal::ZERO, Some(low)) + slice(low, Some(high)) * Decimal::new(125, 2) + slice(high, None) * Decimal::TWO;
                earned_q * weighted / credited_q
            } else if credited_q >= high {
                earned_q * Decimal::TWO
            } else if credited_q >= low {
                earned_q * Decimal::new(125, 2)
            } else {
                earned_q
            };
            let due = adjusted.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven) - earned_q;
            prop_assert_eq!(of("accelerator"), due - paid_q, "{} {} {}", period, earned_q, credited_q);
            paid_q = due;
        }
    }
}
