"""Writes spec/vectors/incentives.{split,check,diff,close,statement}/*.json.

Each case's `expected` is what `omnikpi eval` returns, written only after the hand-computed
figures noted beside the case (the `hand` dict: line amounts per (sale, party) and period
totals) agree with it. Run from the repository root after `cargo build --release`:
    python3 spec/gen/incentive_vectors.py
"""
import copy, json, pathlib, subprocess
from decimal import Decimal

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "omnikpi"
DAY = 86400


def policy(parties, rules, **extra):
    p = {"format": "omnikpi.incentive_policy/1", "id": "test", "version": "1", "currency": "EUR",
         "parties": [{"id": i, "kind": k, **({"zones": z} if z else {})} for i, k, *rest in parties for z in [rest[0] if rest else None]],
         "rules": rules}
    p.update(extra)
    return p


def sale(sid, day, amount, origin="store", fulfil="lille", period="2026-10", **extra):
    s = {"sale_id": sid, "timestamp": day * DAY, "period": period, "origin_channel": origin,
         "fulfilment_channel": fulfil, "amount": amount}
    s.update(extra)
    return s


def refund(sid, day, amount, of, period="2026-10", **extra):
    s = {"sale_id": sid, "timestamp": day * DAY, "period": period, "refund_of": of, "amount": amount}
    s.update(extra)
    return s


def eval_json(kpi, inp, params=None):
    extra = ["--params", json.dumps(params)] if params else []
    r = subprocess.run([str(CLI), "eval", kpi, "--input", "-", *extra], input=json.dumps(inp), capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{kpi}: {r.stderr}")
    return json.loads(r.stdout)


def amounts(out):
    got = {}
    for l in out["lines"]:
        key = (l["sale_id"] or l["period"], l["party"])
        got[key] = got.get(key, 0) + round(float(l["amount"]) * 100)
    return {k: v / 100 for k, v in got.items()}


PARTIES = [("web", "channel"), ("app", "channel"), ("email", "channel"), ("social", "channel"),
           ("paid_search", "channel"), ("lille", "store"), ("bordeaux", "store"),
           ("franchise_nord", "franchisee", ["59", "62"]), ("anna", "staff"),
           ("store_team", "team"), ("web_team", "team")]

split_basic = []
split_edge = []
split_errors = []

# --- basic ------------------------------------------------------------------------------
cc = policy(PARTIES, [{"id": "click_and_collect", "description": "web order picked up in store",
                       "when": {"click_and_collect": True, "origin_channel": ["web", "app"]},
                       "shares": [{"party_from": "origin_channel", "percent": "5"},
                                  {"party_from": "fulfilment_channel", "percent": "3"}]}])
split_basic.append(("click and collect: the web site and the store share one pool",
    "8% of 89.19 = 7.1352 -> 7.14, split 5:3: quotas 4.4625 and 2.6775, floors 4.46 and 2.67, the leftover cent to the larger remainder (the store).",
    {"policy": cc, "sales": [sale("o1", 1, "89.19", "web", "lille", click_and_collect=True),
                              sale("o2", 2, "40.00", "app", "bordeaux", click_and_collect=True),
                              sale("o3", 3, "25.00", "store", "lille")]},
    {("o1", "web"): 4.46, ("o1", "lille"): 2.68, ("o2", "app"): 2.00, ("o2", "bordeaux"): 1.20}))

ropo = policy(PARTIES, [
    {"id": "store_sale", "priority": 1, "when": {"origin_channel": ["store"], "fulfilment_kind": ["store"]},
     "shares": [{"party_from": "fulfilment_channel", "percent": "4"}]},
    {"id": "ropo", "priority": 2, "description": "store sale after an online touch",
     "when": {"origin_channel": ["store"], "fulfilment_kind": ["store"], "online_touch": {"within_days": 7, "channels": ["web", "app"]}},
     "shares": [{"party_from": "fulfilment_channel", "percent": "3"}, {"party": "web", "percent": "1"}]}])
split_basic.append(("an online touch within 7 days credits the web shop on a store sale",
    "s1: web touch 5 days before -> ropo (3% store, 1% web of 100.00); s2: touch 8 days before, s3: touch exactly 7 days before (excluded), s4: no customer -> store_sale 4%.",
    {"policy": ropo,
     "sales": [sale("s1", 10, "100.00", customer_id="c1"), sale("s2", 10, "100.00", customer_id="c2"),
               sale("s3", 10, "100.00", customer_id="c3"), sale("s4", 10, "100.00")],
     "touches": [{"customer_id": "c1", "timestamp": 5 * DAY, "channel": "web"},
                 {"customer_id": "c2", "timestamp": 2 * DAY, "channel": "app"},
                 {"customer_id": "c3", "timestamp": 3 * DAY, "channel": "web"},
                 {"customer_id": "c1", "timestamp": 11 * DAY, "channel": "app"}]},
    {("s1", "lille"): 3.00, ("s1", "web"): 1.00, ("s2", "lille"): 4.00, ("s3", "lille"): 4.00, ("s4", "lille"): 4.00}))

fr = policy(PARTIES, [{"id": "delivered_in_zone", "when": {"origin_kind": ["channel"], "fulfilment_channel": ["delivery"]},
                       "shares": [{"party_from": "origin_channel", "percent": "2"}, {"party_from": "zone", "percent": "6"}]}])
split_basic.append(("the franchisee of the delivery zone gets its share of online orders",
    "100.00 delivered in zone 59 (franchise_nord): 8.00 split 2:6.",
    {"policy": fr, "sales": [sale("d1", 1, "100.00", "web", "delivery", zone="59"), sale("d2", 2, "12.34", "app", "delivery", zone="62")]},
    {("d1", "web"): 2.00, ("d1", "franchise_nord"): 6.00, ("d2", "app"): 0.25, ("d2", "franchise_nord"): 0.74}))

attr = policy(PARTIES, [{"id": "marketing", "shares": [
    {"attribution": {"model": "linear", "lookback_days": 30, "channels": ["email", "social", "paid_search"], "fallback": "web"}, "percent": "3"}]}])
split_basic.append(("attribution weights split the marketing share",
    "a1: 3% of 33.33 = 0.9999 -> 1.00; linear over email, social, email: weights email 2, social 1 -> 0.67 / 0.33. a2: the only touch is 31 days old -> fallback web 3.00.",
    {"policy": attr, "sales": [sale("a1", 40, "33.33", customer_id="c1"), sale("a2", 40, "100.00", customer_id="c2")],
     "touches": [{"customer_id": "c1", "timestamp": 31 * DAY, "channel": "email"},
                 {"customer_id": "c1", "timestamp": 32 * DAY, "channel": "social"},
                 {"customer_id": "c1", "timestamp": 33 * DAY, "channel": "email"},
                 {"customer_id": "c2", "timestamp": 9 * DAY, "channel": "email"}]},
    {("a1", "email"): 0.67, ("a1", "social"): 0.33, ("a2", "web"): 3.00}))

extra = policy(PARTIES, [
    {"id": "click_and_collect", "when": {"click_and_collect": True}, "shares": [{"party": "web", "percent": "5"}]},
    {"id": "pickup_extra", "group": "pickup", "base": "extra_amount", "when": {"click_and_collect": True},
     "shares": [{"party_from": "fulfilment_channel", "percent": "10"}, {"party_from": "staff", "fixed": "0.50"}]}])
split_basic.append(("extra purchase at pickup and a fixed amount per sale",
    "p1: 5% of 50.00 to web; extra 20.00: 10% to lille, 0.50 fixed to anna. p2: no extra purchase, so only the web line.",
    {"policy": extra, "sales": [sale("p1", 1, "50.00", "web", "lille", click_and_collect=True, extra_amount="20.00", staff="anna"),
                                 sale("p2", 2, "30.00", "web", "lille", click_and_collect=True, staff="anna")]},
    {("p1", "web"): 2.50, ("p1", "lille"): 2.00, ("p1", "anna"): 0.50, ("p2", "web"): 1.50}))

ref = policy(PARTIES, [{"id": "web_orders", "when": {"origin_channel": ["web"]},
                        "shares": [{"party": "web", "percent": "5"}, {"party_from": "fulfilment_channel", "percent": "3"}]}])
split_basic.append(("refunds mirror their sale cent for cent",
    "o1 89.19 -> 4.46 / 2.68, fully refunded -> -4.46 / -2.68. o2 100.00 -> 5.00 / 3.00; refund 30.00 claws 30% of 8.00 = 2.40 split 5:3 -> -1.50 / -0.90; refund of the last 70.00 takes the rest -> -3.50 / -2.10.",
    {"policy": ref, "sales": [sale("o1", 1, "89.19", "web", "lille"), sale("o2", 2, "100.00", "web", "bordeaux"),
                               refund("r1", 20, "89.19", "o1", period="2026-11"), refund("r3", 25, "70.00", "o2", period="2026-11"),
                               refund("r2", 21, "30.00", "o2", period="2026-11")]},
    {("o1", "web"): 4.46, ("o1", "lille"): 2.68, ("r1", "web"): -4.46, ("r1", "lille"): -2.68,
     ("o2", "web"): 5.00, ("o2", "bordeaux"): 3.00, ("r2", "web"): -1.50, ("r2", "bordeaux"): -0.90,
     ("r3", "web"): -3.50, ("r3", "bordeaux"): -2.10}))

tiers = policy(PARTIES, [{"id": "web_orders", "priority": 2, "when": {"origin_channel": ["web"]}, "shares": [{"party": "web", "percent": "10"}]},
                         {"id": "store_orders", "priority": 1, "when": {"origin_channel": ["store"]}, "shares": [{"party_from": "fulfilment_channel", "percent": "10"}]}],
               tiers=[{"id": "web_accelerator", "parties": ["web"], "mode": "step", "bands": [{"from": "0", "multiplier": "1"}, {"from": "10.00", "multiplier": "1.5"}]}],
               limits=[{"party": "web", "cap": "16.00", "clawbacks": "absorbed"}, {"party": "lille", "floor": "5.00", "clawbacks": "absorbed"},
                       {"party": "bordeaux", "floor": "1.00", "clawbacks": "absorbed"}])
split_basic.append(("step accelerator, cap and floor over a period",
    "web earns 15.00: 10.00 x1 + 5.00 x1.5 = 17.50 (+2.50), capped at 16.00 (-1.50). lille earns 2.00, floored to 5.00 (+3.00). bordeaux earns nothing but its 1.00 floor applies.",
    {"policy": tiers, "sales": [sale("w1", 1, "100.00", "web", "delivery"), sale("w2", 2, "50.00", "web", "delivery"), sale("s1", 3, "20.00", "store", "lille")]},
    {("w1", "web"): 10.00, ("w2", "web"): 5.00, ("s1", "lille"): 2.00,
     ("2026-10", "web"): 1.00, ("2026-10", "lille"): 3.00, ("2026-10", "bordeaux"): 1.00}))

bonus = policy(PARTIES, [{"id": "all_sales", "shares": [{"party_from": "fulfilment_channel", "percent": "1"}]}],
               bonuses=[{"id": "omnichannel_growth", "basis": "total_growth", "percent": "5", "parties": ["store_team", "web_team"]}])
split_basic.append(("team bonus on total omnichannel growth",
    "September: store 600.00 + web 400.00 = 1000.00. October: store 594.00 (-1%) + web 440.00 (+10%) = 1034.00, growth 34.00 -> 5% = 1.70, 0.85 each. November: 900.00, growth negative -> no bonus.",
    {"policy": bonus, "sales": [sale("a", 1, "600.00", "store", "lille", period="2026-09"), sale("b", 2, "400.00", "web", "bordeaux", period="2026-09"),
                                 sale("c", 31, "594.00", "store", "lille"), sale("d", 32, "440.00", "web", "bordeaux"),
                                 sale("e", 61, "900.00", "store", "lille", period="2026-11")]},
    {("a", "lille"): 6.00, ("b", "bordeaux"): 4.00, ("c", "lille"): 5.94, ("d", "bordeaux"): 4.40, ("e", "lille"): 9.00,
     ("2026-10", "store_team"): 0.85, ("2026-10", "web_team"): 0.85}))

split_errors.append(("period labels that do not sort in time",
    "The same growth bonus with labels Sep-26 and Oct-26: as text Oct-26 sorts first, so September would be compared with October the wrong way round; "
    "without declared periods the labels must sort as their sales do.",
    {"policy": bonus, "sales": [sale("a", 1, "600.00", "store", "lille", period="Sep-26"), sale("c", 31, "594.00", "store", "lille", period="Oct-26")]},
    {"code": "invalid_policy", "path": "input.sales[0].period"}))

unpaid = policy(PARTIES, [{"id": "web_orders", "when": {"origin_channel": ["web"]}, "shares": [{"party": "web", "percent": "5"}]}],
                clawback={"window_days": 30})
split_basic.append(("unpaid sales are listed with their reason",
    "s2 (store) matches no rule; r1 refunds it (original_unpaid); r2 refunds w1 40 days later, outside the 30-day window.",
    {"policy": unpaid, "sales": [sale("w1", 1, "10.00", "web", "delivery"), sale("s2", 1, "10.00", "store", "lille"),
                                  refund("r1", 2, "10.00", "s2"), refund("r2", 41, "10.00", "w1")]},
    {("w1", "web"): 0.50}))

# --- edge cases -------------------------------------------------------------------------
half = lambda mode: policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "5"}]}], rounding=mode)
split_edge.append(("half even rounding", "5% of 0.50 = 0.025 -> 0.02 (half to even); its refund -> -0.02.",
    {"policy": half("half_even"), "sales": [sale("x", 1, "0.50"), refund("rx", 2, "0.50", "x")]}, {("x", "web"): 0.02, ("rx", "web"): -0.02}))
split_edge.append(("half away from zero rounding", "5% of 0.50 = 0.025 -> 0.03; its refund -> -0.03.",
    {"policy": half("half_away_from_zero"), "sales": [sale("x", 1, "0.50"), refund("rx", 2, "0.50", "x")]}, {("x", "web"): 0.03, ("rx", "web"): -0.03}))
split_edge.append(("toward zero rounding", "5% of 0.59 = 0.0295 -> 0.02.",
    {"policy": half("toward_zero"), "sales": [sale("x", 1, "0.59")]}, {("x", "web"): 0.02}))
five_three = lambda scope: policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "5"}, {"party_from": "fulfilment_channel", "percent": "3"}]}],
                                 share_rounding=scope)
split_edge.append(("pooled share rounding", "8% pool of 1.48 = 0.1184 -> 0.12, split 5:3 = 0.075 / 0.045 -> floors 0.07 / 0.04, the leftover cent to the first of equal remainders (web): 0.08 / 0.04.",
    {"policy": five_three("pooled"), "sales": [sale("p", 1, "1.48")]}, {("p", "web"): 0.08, ("p", "lille"): 0.04}))
split_edge.append(("per-share rounding pays what a spreadsheet pays",
    "5% of 1.48 = 0.074 -> 0.07; 3% of 1.48 = 0.0444 -> 0.04 (0.11, a cent under the rounded pool). Half refunded (0.74): 0.07 x 1/2 = 0.035 -> 0.04, 0.04 x 1/2 = 0.02; "
    "the rest refunded completes the sale: the lines' remainders 0.03 and 0.02.",
    {"policy": five_three("per_share"), "sales": [sale("p", 1, "1.48"), refund("r1", 2, "0.74", "p"), refund("r2", 3, "0.74", "p")]},
    {("p", "web"): 0.07, ("p", "lille"): 0.04, ("r1", "web"): -0.04, ("r1", "lille"): -0.02, ("r2", "web"): -0.03, ("r2", "lille"): -0.02}))
paris = lambda grain: policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "5"}]}],
                            periods={"grain": grain, "time_zone": "Europe/Paris"})
late_sept, new_year_eve = 1790807400, 1798759800  # 2026-09-30T22:30:00Z, 2026-12-31T23:30:00Z
no_period = lambda sid, ts, amount: {k: v for k, v in dict(sale(sid, 0, amount), timestamp=ts).items() if k != "period"}
split_edge.append(("periods derived in the policy's time zone",
    "Months in Paris: a sale at 2026-09-30T22:30:00Z (00:30 on 1 October in Paris) counts in 2026-10; one at 2026-12-31T23:30:00Z counts in 2027-01. "
    "Neither row gives a period. 5% of 100.00 and of 40.00 -> 5.00 and 2.00.",
    {"policy": paris("month"), "sales": [no_period("a", late_sept, "100.00"), no_period("b", new_year_eve, "40.00")]},
    {("a", "web"): 5.00, ("b", "web"): 2.00}))
yen = policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "3"}]}]); yen["currency"] = "JPY"
split_edge.append(("yen has no minor unit", "3% of 1234 JPY = 37.02 -> 37.", {"policy": yen, "sales": [sale("y", 1, "1234")]}, {("y", "web"): 37}))
thirds = policy(PARTIES, [{"id": "credit_split", "total_percent": "100", "shares": [
    {"party": "web", "percent": "33.34"}, {"party": "lille", "percent": "33.33"}, {"party": "bordeaux", "percent": "33.33"}]}])
split_edge.append(("a credit split of 100% hands out every cent", "0.10 by 33.34:33.33:33.33 -> floors 3/3/3, the leftover cent to the largest remainder (web).",
    {"policy": thirds, "sales": [sale("t", 1, "0.10")]}, {("t", "web"): 0.04, ("t", "lille"): 0.03, ("t", "bordeaux"): 0.03}))
prio = policy(PARTIES, [{"id": "small", "priority": 1, "when": {"amount": {"max": "100.00"}}, "shares": [{"party": "web", "percent": "2"}]},
                        {"id": "any", "priority": 0, "shares": [{"party": "web", "percent": "1"}]},
                        {"id": "big", "priority": 1, "when": {"amount": {"min": "100.00"}}, "shares": [{"party": "web", "percent": "3"}]}])
split_edge.append(("amount bands and priorities", "99.99 -> small (2%); 100.00 -> big (3%, min inclusive, max exclusive); both outrank `any`.",
    {"policy": prio, "sales": [sale("lo", 1, "99.99"), sale("hi", 1, "100.00")]}, {("lo", "web"): 2.00, ("hi", "web"): 3.00}))
cat = policy(PARTIES, [{"id": "shoes", "when": {"category": ["shoes"]}, "shares": [{"party_from": "staff", "percent": "2"}]}])
split_edge.append(("category condition and a sale without category", "c1 (shoes) pays anna; c2 has no category and matches nothing.",
    {"policy": cat, "sales": [sale("c1", 1, "50.00", category="shoes", staff="anna"), sale("c2", 1, "50.00", staff="anna")]}, {("c1", "anna"): 1.00}))
partial_extra = policy(PARTIES, [
    {"id": "cc", "when": {"click_and_collect": True}, "shares": [{"party": "web", "percent": "5"}]},
    {"id": "pickup_extra", "group": "pickup", "base": "extra_amount", "shares": [{"party_from": "fulfilment_channel", "percent": "10"}]}])
split_edge.append(("a refund of the extra purchase claws back only the pickup rule", "extra 20.00 refunded in full: lille -2.00, the web line untouched.",
    {"policy": partial_extra, "sales": [sale("p", 1, "50.00", "web", "lille", click_and_collect=True, extra_amount="20.00"),
                                         refund("rp", 2, "0", "p", extra_amount="20.00")]},
    {("p", "web"): 2.50, ("p", "lille"): 2.00, ("rp", "lille"): -2.00}))
flat = policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "10"}]}],
              tiers=[{"id": "flat_bonus", "parties": ["web"], "mode": "flat", "bands": [{"from": "0", "multiplier": "1"}, {"from": "10.00", "multiplier": "1.2"}]}])
split_edge.append(("flat tier", "earned 15.00 reaches the 10.00 band: all x1.2 = 18.00 (+3.00).",
    {"policy": flat, "sales": [sale("f", 1, "150.00")]}, {("f", "web"): 15.00, ("2026-10", "web"): 3.00}))

vat = lambda **extra: policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "5"}]}],
                             vat={"base": "net", "rates": [{"rate": "20"}, {"category": "books", "rate": "5.5"},
                                                           {"country": "CH", "rate": "8.1"}, {"country": "CH", "category": "books", "rate": "2.6"}]}, **extra)
split_edge.append(("commission net of VAT at the rate of each sale's country and category",
    "Net = gross x 100 / (100 + rate), rounded to the cent: FR standard 120.00 / 1.20 = 100.00 -> 5.00; FR books 105.50 / 1.055 = 100.00 -> 5.00; "
    "CH 108.10 / 1.081 = 100.00 -> 5.00; CH books 102.60 / 1.026 = 100.00 -> 5.00 (country and category beat category alone); "
    "10.00 / 1.20 = 8.333... -> 8.33, 5% = 0.4165 -> 0.42.",
    {"policy": vat(), "sales": [sale("fr", 1, "120.00", country="FR"), sale("fr_book", 1, "105.50", country="FR", category="books"),
                                 sale("ch", 1, "108.10", country="CH"), sale("ch_book", 1, "102.60", country="CH", category="books"),
                                 sale("small", 1, "10.00")]},
    {("fr", "web"): 5.00, ("fr_book", "web"): 5.00, ("ch", "web"): 5.00, ("ch_book", "web"): 5.00, ("small", "web"): 0.42}))
split_edge.append(("a refund is taken net at the rate of its sale",
    "The CH books sale 102.60 (2.6%) -> 100.00 -> 5.00; its refund of 51.30 carries no country or category and is taken at 2.6%: 50.00, clawing back 2.50.",
    {"policy": vat(), "sales": [sale("ch_book", 1, "102.60", country="CH", category="books"), refund("r", 2, "51.30", "ch_book")]},
    {("ch_book", "web"): 5.00, ("r", "web"): -2.50}))
split_edge.append(("a gross base pays on the amounts as given",
    "vat.base gross: 5% of 120.00 = 6.00, whatever the rates.",
    {"policy": policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "5"}]}], vat={"base": "gross", "rates": [{"rate": "20"}]}),
     "sales": [sale("fr", 1, "120.00", country="FR")]},
    {("fr", "web"): 6.00}))

# --- dated policies: rules, parties and VAT rates in force on the sale's day -------------
from datetime import datetime, timezone
at = lambda text: int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())
on = lambda sid, when, amount, period, **extra: dict(sale(sid, 0, amount, period=period, **extra), timestamp=at(when))
refund_on = lambda sid, when, amount, of, period: dict(refund(sid, 0, amount, of, period=period), timestamp=at(when))
store_fee = [{"id": "store_orders", "shares": [{"party_from": "fulfilment_channel", "percent": "10"}]}]
quota_step = policy(PARTIES, store_fee, tiers=[{"id": "store_quota", "parties": ["lille", "bordeaux"], "mode": "step", "basis": "attainment",
                                                "quotas": {"lille": "1000.00", "bordeaux": "500.00"},
                                                "bands": [{"from": "0", "multiplier": "1"}, {"from": "100", "multiplier": "1.5"}]}])
split_edge.append(("step tier on attainment of a per-party quota",
    "Bands are percents of each store's quota; each band takes the earnings its slice of the credited sales brings. "
    "lille (quota 1000.00): 800.00 + 400.00 - a refund of 100.00 = 1100.00 credited (110%), earnings 80.00 + 40.00 - 10.00 = 110.00; "
    "slices 1000.00 x1 + 100.00 x1.5 = 1150.00, so 110.00 x 1150/1100 = 115.00 (+5.00). "
    "bordeaux (quota 500.00): 300.00 + 260.00 = 560.00 (112%), earnings 56.00; 500.00 x1 + 60.00 x1.5 = 590.00, 56.00 x 590/560 = 59.00 (+3.00).",
    {"policy": quota_step, "sales": [sale("s1", 1, "800.00"), sale("s2", 2, "400.00"), refund("r1", 3, "100.00", "s2"),
                                      sale("b1", 4, "300.00", fulfil="bordeaux"), sale("b2", 5, "260.00", fulfil="bordeaux")]},
    {("s1", "lille"): 80.00, ("s2", "lille"): 40.00, ("r1", "lille"): -10.00, ("b1", "bordeaux"): 30.00, ("b2", "bordeaux"): 26.00,
     ("2026-10", "lille"): 5.00, ("2026-10", "bordeaux"): 3.00}))
quarter = policy(PARTIES, store_fee, periods={"grain": "month", "time_zone": "UTC"},
                 tiers=[{"id": "quarter_quota", "parties": ["lille"], "mode": "flat", "basis": "attainment", "window": "quarter",
                         "quotas": {"lille": "1000.00"}, "bands": [{"from": "0", "multiplier": "1"}, {"from": "100", "multiplier": "1.2"}]}])
split_edge.append(("flat tier on quarter-to-date attainment, reversed when a refund lowers it",
    "Quota 1000.00 a month, so 1000.00, 2000.00, 3000.00 over the quarter to date. October: 800.00 credited (80%), earnings 80.00 at x1: nothing. "
    "November: 2300.00 credited of 2000.00 (115%): all 230.00 earned this quarter at x1.2 = 276.00, +46.00. "
    "December: 600.00 of the November sale refunded (-60.00) and 700.00 sold (70.00): 2400.00 of 3000.00 (80%), the quarter's 240.00 at x1 "
    "is due nothing more, so the 46.00 paid in November is taken back (-46.00). January opens a new quarter: 1200.00 of 1000.00 (120%), 120.00 x1.2, +24.00.",
    {"policy": quarter, "sales": [on("q1", "2026-10-10T10:00:00", "800.00", "2026-10"), on("q2", "2026-11-10T10:00:00", "1500.00", "2026-11"),
                                   refund_on("rq2", "2026-12-01T10:00:00", "600.00", "q2", "2026-12"), on("q3", "2026-12-10T10:00:00", "700.00", "2026-12"),
                                   on("q4", "2027-01-10T10:00:00", "1200.00", "2027-01")]},
    {("q1", "lille"): 80.00, ("q2", "lille"): 150.00, ("rq2", "lille"): -60.00, ("q3", "lille"): 70.00, ("q4", "lille"): 120.00,
     ("2026-11", "lille"): 46.00, ("2026-12", "lille"): -46.00, ("2027-01", "lille"): 24.00}))
ytd = policy(PARTIES, [{"id": "staff_sales", "shares": [{"party_from": "staff", "percent": "7"}]}], periods={"grain": "month", "time_zone": "UTC"},
             tiers=[{"id": "ytd_quota", "parties": ["anna"], "mode": "step", "basis": "attainment", "window": "year_to_date",
                     "quotas": {"anna": "1000.00"}, "bands": [{"from": "0", "multiplier": "1"}, {"from": "100", "multiplier": "2"}]}])
split_edge.append(("step tier on year-to-date attainment, each period paying the year's accelerator less what earlier periods paid",
    "Quota 1000.00 a month. January: 900.00 (90% of 1000.00), 7% = 63.00, nothing. "
    "February: 1433.33 more, 7% = 100.3331 -> 100.33; 2333.33 of 2000.00: slices 2000.00 x1 + 333.33 x2 = 2666.66, "
    "the year's 163.33 x 2666.66/2333.33 = 186.66265... -> 186.66, +23.33. "
    "March: 433.33 of February's sale refunded: 100.33 x 433.33/1433.33 = 30.3321... -> -30.33; 1200.00 sold, 84.00; "
    "3100.00 of 3000.00: 3000.00 x1 + 100.00 x2 = 3200.00, the year's 217.00 x 3200/3100 = 224.00, due 7.00, less 23.33 paid in February: -16.33.",
    {"policy": ytd, "sales": [on("a1", "2026-01-15T10:00:00", "900.00", "2026-01", staff="anna"), on("a2", "2026-02-10T10:00:00", "1433.33", "2026-02", staff="anna"),
                              refund_on("ra2", "2026-03-02T10:00:00", "433.33", "a2", "2026-03"), on("a4", "2026-03-20T10:00:00", "1200.00", "2026-03", staff="anna")]},
    {("a1", "anna"): 63.00, ("a2", "anna"): 100.33, ("ra2", "anna"): -30.33, ("a4", "anna"): 84.00,
     ("2026-02", "anna"): 23.33, ("2026-03", "anna"): -16.33}))

rate_change = lambda **extra: policy(PARTIES, [
    {"id": "web_orders_2026", "valid_to": "2026-10-31", "shares": [{"party": "web", "percent": "5"}]},
    {"id": "web_orders_2026_11", "valid_from": "2026-11-01", "shares": [{"party": "web", "percent": "6"}]}], **extra)
split_edge.append(("a rate change on a date",
    "5% until 2026-10-31, 6% from 2026-11-01 (two rules of one group, disjoint days, no priority needed): "
    "o1 on 31 October 100.00 -> 5.00; o2 on 1 November 100.00 -> 6.00; the refund of o1 on 5 November reverses o1's line, "
    "at 5%: -5.00 (not 6%).",
    {"policy": rate_change(), "sales": [on("o1", "2026-10-31T12:00:00", "100.00", "2026-10"), on("o2", "2026-11-01T00:00:00", "100.00", "2026-11"),
                                         refund_on("r1", "2026-11-05T09:00:00", "100.00", "o1", "2026-11")]},
    {("o1", "web"): 5.00, ("o2", "web"): 6.00, ("r1", "web"): -5.00}))
paris_change = rate_change(periods={"grain": "month", "time_zone": "Europe/Paris"})
split_edge.append(("validity dates are days in the policy's time zone",
    "Periods in Paris: 2026-10-31T23:30:00Z is 1 November 00:30 there, so the 6% rule pays 100.00 -> 6.00 (in UTC it would be 5%).",
    {"policy": paris_change, "sales": [{k: v for k, v in on("late", "2026-10-31T23:30:00", "100.00", "x").items() if k != "period"}]},
    {("late", "web"): 6.00}))
takeover = policy([("web", "channel"), ("lille", "store")], [{"id": "zone_fee", "shares": [{"party_from": "zone", "percent": "2"}]}])
takeover["parties"] += [{"id": "franchise_nord", "kind": "franchisee", "zones": ["59"], "valid_to": "2026-10-31"},
                        {"id": "franchise_flandre", "kind": "franchisee", "zones": ["59"], "valid_from": "2026-11-01"}]
split_edge.append(("a franchisee takes over a zone on a date",
    "Zone 59 belongs to franchise_nord until 31 October and to franchise_flandre from 1 November: 2% of 100.00 each, "
    "z1 (20 October) -> franchise_nord 2.00, z2 (3 November) -> franchise_flandre 2.00.",
    {"policy": takeover, "sales": [on("z1", "2026-10-20T10:00:00", "100.00", "2026-10", zone="59"), on("z2", "2026-11-03T10:00:00", "100.00", "2026-11", zone="59")]},
    {("z1", "franchise_nord"): 2.00, ("z2", "franchise_flandre"): 2.00}))
closing = policy([("web", "channel"), ("bordeaux", "store")], [{"id": "store_fee", "shares": [{"party_from": "fulfilment_channel", "percent": "3"}]}],
                 limits=[{"party": "lille", "floor": "10.00", "clawbacks": "absorbed"}])
closing["parties"].insert(1, {"id": "lille", "kind": "store", "valid_to": "2026-10-31"})
split_edge.append(("a store that has closed takes no floor",
    "lille (floor 10.00 per period) closes on 31 October. October: lille earns 3% of 100.00 = 3.00, the floor adds 7.00. "
    "November: no sale falls on a day lille is in force, so no floor (bordeaux earns 3.00).",
    {"policy": closing, "sales": [on("s1", "2026-10-15T10:00:00", "100.00", "2026-10"), on("s2", "2026-11-15T10:00:00", "100.00", "2026-11", fulfilment_channel="bordeaux")]},
    {("s1", "lille"): 3.00, ("2026-10", "lille"): 7.00, ("s2", "bordeaux"): 3.00}))
swiss = policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": "5"}]}],
               vat={"base": "net", "rates": [{"country": "CH", "rate": "7.7", "valid_to": "2023-12-31"}, {"country": "CH", "rate": "8.1", "valid_from": "2024-01-01"}]})
split_edge.append(("a VAT rate change on a date",
    "Swiss VAT 7.7% until 2023-12-31, 8.1% from 2024-01-01: 107.70 on 31 December -> 100.00 net -> 5.00; 108.10 on 1 January -> 100.00 -> 5.00; "
    "the January refund of the December sale is taken net at 7.7%: 107.70 -> 100.00 -> -5.00.",
    {"policy": swiss, "sales": [on("dec", "2023-12-31T15:00:00", "107.70", "2023-12", country="CH"), on("jan", "2024-01-01T15:00:00", "108.10", "2024-01", country="CH"),
                                 refund_on("r_dec", "2024-01-10T15:00:00", "107.70", "dec", "2024-01")]},
    {("dec", "web"): 5.00, ("jan", "web"): 5.00, ("r_dec", "web"): -5.00}))

floor_with = lambda order: policy([("web", "channel"), ("lille", "store")], [{"id": "store_fee", "shares": [{"party_from": "fulfilment_channel", "percent": "3"}]}],
                                  limits=[{"party": "lille", "floor": "10.00", "clawbacks": order}])
floor_sales = [sale("s1", 1, "200.00"), sale("s2", 2, "100.00"), refund("r2", 3, "100.00", "s2")]
split_edge.append(("a floor that absorbs the period's clawbacks",
    "lille earns 6.00 + 3.00 - 3.00 (s2 refunded) = 6.00; floor 10.00 with clawbacks absorbed: +4.00, payable 10.00 - the same as without the refund.",
    {"policy": floor_with("absorbed"), "sales": floor_sales},
    {("s1", "lille"): 6.00, ("s2", "lille"): 3.00, ("r2", "lille"): -3.00, ("2026-10", "lille"): 4.00}))
split_edge.append(("a floor after which the period's clawbacks are deducted",
    "Same sales, clawbacks deducted: the floor compares the earnings of sales, 9.00, and adds 1.00; the clawback of 3.00 is then felt: payable 7.00.",
    {"policy": floor_with("deducted"), "sales": floor_sales},
    {("s1", "lille"): 6.00, ("s2", "lille"): 3.00, ("r2", "lille"): -3.00, ("2026-10", "lille"): 1.00}))

carry = lambda **extra: policy([("web", "channel"), ("lille", "store")], [{"id": "store_fee", "shares": [{"party_from": "fulfilment_channel", "percent": "3"}]}], **extra)
carry_sales = [on("s1", "2026-09-10T10:00:00", "1000.00", "2026-09"), refund_on("r1", "2026-10-05T10:00:00", "1000.00", "s1", "2026-10"),
               on("s2", "2026-10-12T10:00:00", "100.00", "2026-10"), on("s3", "2026-11-12T10:00:00", "200.00", "2026-11"),
               on("s4", "2026-12-12T10:00:00", "1000.00", "2026-12")]
split_edge.append(("a negative balance carried forward until earnings cover it",
    "lille earns 3%: September 30.00. October: s1 refunded (-30.00) and s2 3.00 -> -27.00: paid 0.00, 27.00 carried (line +27.00). "
    "November: 6.00 - 27.00 = -21.00: paid 0.00, carried in -27.00 and out +21.00 (line -6.00). December: 30.00 - 21.00 = 9.00 (line -21.00). "
    "Total paid 39.00 = 30.00 - 30.00 + 3.00 + 6.00 + 30.00.",
    {"policy": carry(negative_balance="carried_forward"), "sales": carry_sales},
    {("s1", "lille"): 30.00, ("r1", "lille"): -30.00, ("s2", "lille"): 3.00, ("2026-10", "lille"): 27.00, ("s3", "lille"): 6.00,
     ("2026-11", "lille"): -6.00, ("s4", "lille"): 30.00, ("2026-12", "lille"): -21.00}))
split_edge.append(("a negative balance owed in its period",
    "The same sales with negative_balance owed (the default): October pays lille -27.00; no line carries anything.",
    {"policy": carry(negative_balance="owed"), "sales": carry_sales},
    {("s1", "lille"): 30.00, ("r1", "lille"): -30.00, ("s2", "lille"): 3.00, ("s3", "lille"): 6.00, ("s4", "lille"): 30.00}))

# --- period close -------------------------------------------------------------------------
close_pol = carry()
close_sales = [on("s1", "2026-10-02T10:00:00", "100.00", "2026-10"), on("s2", "2026-10-03T10:00:00", "200.00", "2026-10"),
               on("s3", "2026-11-03T10:00:00", "50.00", "2026-11")]
october = eval_json("incentives.close", {"policy": close_pol, "sales": close_sales, "period": "2026-10"})
assert october["total"] == "9.00" and october["digest"].startswith("sha256:"), october
late_sales = close_sales + [refund_on("r2", "2026-11-10T10:00:00", "200.00", "s2", "2026-11"), on("s0", "2026-10-30T10:00:00", "10.00", "2026-10")]
split_edge.append(("a change to a closed period booked in the next open one",
    "October was closed at lille 9.00 (3% of s1 100.00 and s2 200.00). Later, s2 is refunded in November (its clawback, -6.00, is November's own line) "
    "and a late October sale s0 of 10.00 arrives: October stays as closed (no s0 line), and November books lille +0.30 under rule prior_period:2026-10 "
    "(recomputed 9.30, closed 9.00). November: 1.50 - 6.00 + 0.30 = -4.20.",
    {"policy": close_pol, "sales": late_sales, "closed": [october]},
    {("s1", "lille"): 3.00, ("s2", "lille"): 6.00, ("s3", "lille"): 1.50, ("r2", "lille"): -6.00, ("2026-11", "lille"): 0.30}))
close_basic = [
    ("close a period", "October: lille 3% of 100.00 and 200.00 = 9.00; the record freezes its two lines and its pay, with their digest.",
     {"policy": close_pol, "sales": close_sales, "period": "2026-10"}, {("s1", "lille"): 3.00, ("s2", "lille"): 6.00}),
    ("a change to a closed period booked in the next open one",
     "Closing November after a late October sale (s0, 10.00) and a November refund of s2: November's record holds s3 1.50, the clawback -6.00 "
     "and the prior-period adjustment +0.30 for October; total -4.20.",
     {"policy": close_pol, "sales": late_sales, "closed": [october], "period": "2026-11"},
     {("s3", "lille"): 1.50, ("r2", "lille"): -6.00, ("2026-11", "lille"): 0.30}),
]
edited = copy.deepcopy(october)
edited["lines"][0]["amount"] = "4.00"
close_errors = [
    ("a closed period edited after the close", "The October record's first line was changed from 3.00 to 4.00 by hand: its digest no longer matches.",
     {"policy": close_pol, "sales": late_sales, "closed": [edited], "period": "2026-11"}, {"code": "closed_period", "path": "input.closed[0].digest"}),
    ("a change with no open period after the closed one", "A late October sale changes closed October, and no later period has sales to book the adjustment in.",
     {"policy": close_pol, "sales": close_sales[:2] + [late_sales[-1]], "closed": [october], "period": "2026-10"}, {"code": "closed_period", "path": "input.closed[0]"}),
    ("a period without sales", "", {"policy": close_pol, "sales": close_sales, "period": "2026-12"}, {"code": "closed_period", "path": "input.period"}),
    ("a period closed already", "", {"policy": close_pol, "sales": close_sales, "closed": [october], "period": "2026-10"}, {"code": "closed_period", "path": "input.period"}),
]
other_close = eval_json("incentives.close", {"policy": dict(close_pol, id="other"), "sales": close_sales, "period": "2026-10"})
split_errors.append(("a period closed under another policy", "", {"policy": close_pol, "sales": late_sales, "closed": [other_close]},
    {"code": "closed_period", "path": "input.closed[0].policy.id"}))
split_errors.append(("a period closed twice", "", {"policy": close_pol, "sales": late_sales, "closed": [october, october]},
    {"code": "closed_period", "path": "input.closed[1].period"}))

def version(v, percent, valid_from=None, valid_to=None, **extra):
    p = policy(PARTIES, [{"id": "web_orders", "shares": [{"party": "web", "percent": percent}]}], version=v, **extra)
    p.update({k: d for k, d in [("valid_from", valid_from), ("valid_to", valid_to)] if d})
    return p
history = [version("1", "5", valid_to="2026-10-31"), version("2", "6", valid_from="2026-11-01")]
history_sales = [on("o1", "2026-10-31T12:00:00", "100.00", "2026-10"), on("o2", "2026-11-01T00:00:00", "100.00", "2026-11"),
                 refund_on("r1", "2026-11-05T09:00:00", "100.00", "o1", "2026-11")]
split_edge.append(("a policy history: each sale under the version in force on its day",
    "policy is a list of versions: 1 (5%) until 2026-10-31, 2 (6%) from 2026-11-01. o1 on 31 October -> 5.00 (version 1); "
    "o2 on 1 November -> 6.00 (version 2); the refund of o1 on 5 November reverses o1's line at version 1's 5%: -5.00. "
    "The result quotes version `1+2`.",
    {"policy": history, "sales": history_sales},
    {("o1", "web"): 5.00, ("o2", "web"): 6.00, ("r1", "web"): -5.00}))
history_errors = [
    ("a history with a gap", "Version 1 ends on 31 October, version 2 starts on 3 November: 1 and 2 November would have no policy.",
     [version("1", "5", valid_to="2026-10-31"), version("2", "6", valid_from="2026-11-03")], "invalid_policy", "input.policy[1].valid_from"),
    ("a history with an overlap", "", [version("1", "5", valid_to="2026-11-01"), version("2", "6", valid_from="2026-11-01")], "invalid_policy", "input.policy[1].valid_from"),
    ("a history with an undated boundary", "Version 1 never ends.", [version("1", "5"), version("2", "6", valid_from="2026-11-01")], "invalid_policy", "input.policy[0].valid_to"),
    ("a history of two policies", "", [version("1", "5", valid_to="2026-10-31"), dict(version("2", "6", valid_from="2026-11-01"), id="other")], "invalid_policy", "input.policy[1].id"),
    ("a history whose versions pay in two currencies", "", [version("1", "5", valid_to="2026-10-31"), dict(version("2", "6", valid_from="2026-11-01"), currency="CHF")],
     "invalid_policy", "input.policy[1].currency"),
    ("a history repeating a version", "", [version("1", "5", valid_to="2026-10-31"), version("1", "6", valid_from="2026-11-01")], "duplicate_key", "input.policy[1].version"),
    ("an empty history", "", [], "invalid_policy", "input.policy"),
]
for name, desc, versions, code, path in history_errors:
    split_errors.append((name, desc, {"policy": versions, "sales": history_sales}, {"code": code, "path": path}))
split_errors.append(("a sale before the first version of a policy", "The only version is in force from 1 November; o1 is on 31 October.",
    {"policy": version("1", "5", valid_from="2026-11-01"), "sales": history_sales}, {"code": "invalid_policy", "path": "input.sales[0].timestamp"}))
mid_month = [version("1", "5", valid_to="2026-11-14"), version("2", "6", valid_from="2026-11-15", limits=[{"party": "web", "cap": "50.00", "clawbacks": "absorbed"}])]
split_errors.append(("a period under two versions that close it differently",
    "Version 2 starts on 15 November with a cap for web; November's sales fall under both versions, so the period has no one cap.",
    {"policy": mid_month, "sales": [on("a", "2026-11-02T10:00:00", "100.00", "2026-11"), on("b", "2026-11-20T10:00:00", "100.00", "2026-11")]},
    {"code": "invalid_policy", "path": "input.sales[1].timestamp"}))

# --- statements ---------------------------------------------------------------------------
# Each basic case's `hand` lists the statements in their expected order:
# (period, party, number of lines, payable, adjustment).
described_pol = copy.deepcopy(close_pol)
described_pol["rules"][0]["description"] = {"en": "store fee: 3% to the fulfilling channel", "fr": "commission : 3 % au canal d'exécution"}
statement_sales = [on("s1", "2026-10-02T10:00:00", "100.00", "2026-10"), on("w1", "2026-10-05T10:00:00", "40.00", "2026-10", fulfil="web"),
                   on("s3", "2026-11-03T10:00:00", "50.00", "2026-11")]
statement_basic = [
    ("every statement of a split",
     "3% to the fulfilment channel. October: lille 3% of s1 100.00 = 3.00, web 3% of w1 40.00 = 1.20; November: lille 3% of s3 50.00 = 1.50. "
     "web has neither a line nor pay in November: no statement.",
     {"policy": close_pol, "sales": statement_sales}, None,
     [("2026-10", "web", 1, "1.20", "0.00"), ("2026-10", "lille", 1, "3.00", "0.00"), ("2026-11", "lille", 1, "1.50", "0.00")]),
    ("one party's statements, in French",
     "The same split, lille only, with the words of the statement in French (the figures do not change).",
     {"policy": close_pol, "sales": statement_sales}, {"party": "lille", "language": "fr"},
     [("2026-10", "lille", 1, "3.00", "0.00"), ("2026-11", "lille", 1, "1.50", "0.00")]),
    ("one period's statements", "", {"policy": close_pol, "sales": statement_sales}, {"period": "2026-11"},
     [("2026-11", "lille", 1, "1.50", "0.00")]),
    ("a rule described in both languages",
     "The rule's description is given in English and French; the French statement quotes the French text.",
     {"policy": described_pol, "sales": statement_sales}, {"period": "2026-10", "language": "fr"},
     [("2026-10", "web", 1, "1.20", "0.00"), ("2026-10", "lille", 1, "3.00", "0.00")]),
]
statement_edge = [
    ("a closed period and its adjustment",
     "October closed at lille 9.00; then a late October sale s0 (10.00) and the refund of s2 in November. October's statement is as closed (two lines, 9.00, "
     "with the close's digest); November's holds s3 1.50, the clawback -6.00 and the prior-period adjustment +0.30: -4.20.",
     {"policy": close_pol, "sales": late_sales, "closed": [october]}, {"party": "lille"},
     [("2026-10", "lille", 2, "9.00", "0.00"), ("2026-11", "lille", 3, "-4.20", "0.30")]),
]
statement_errors = [
    ("a party the policy does not have", "", {"policy": close_pol, "sales": statement_sales}, {"party": "nantes"},
     {"code": "invalid_parameter", "path": "params.party"}),
    ("a period the split does not have", "", {"policy": close_pol, "sales": statement_sales}, {"period": "2026-12"},
     {"code": "invalid_parameter", "path": "params.period"}),
    ("a language statements are not written in", "", {"policy": close_pol, "sales": statement_sales}, {"language": "de"},
     {"code": "invalid_parameter", "path": "params.language"}),
]


def statement_hand(name, got, hand):
    seen = [(s["period"], s["party"], len(s["lines"]), s["payable"], s["adjustment"]) for s in got["statements"]]
    assert seen == hand, f"{name}: hand {hand} != engine {seen}"
    for s in got["statements"]:
        parts = sum(Decimal(s[k]) for k in ("earned", "accelerator", "limit", "bonus", "adjustment", "carried"))
        assert parts == Decimal(s["payable"]), f"{name}: {s['party']} {s['period']} parts {parts} != payable"
        assert sum(Decimal(l["amount"]) for l in s["lines"] if l["kind"] in ("sale", "clawback")) == Decimal(s["earned"]), name


# --- errors -----------------------------------------------------------------------------
def err_case(name, desc, mutate, code, path, sales=None):
    pol = copy.deepcopy(cc)
    inp = {"policy": pol, "sales": sales or [sale("o1", 1, "89.19", "web", "lille", click_and_collect=True)]}
    mutate(inp)
    split_errors.append((name, desc, inp, {"code": code, "path": path}))

err_case("unknown field in a rule", "Policies are strict.", lambda i: i["policy"]["rules"][0].update({"share": []}), "unknown_field", "input.policy.rules[0].share")
err_case("a description in a language policies are not written in", "Descriptions are in en or fr.",
         lambda i: i["policy"]["rules"][0].update({"description": {"en": "click and collect", "de": "Abholung"}}), "unknown_field", "input.policy.rules[0].description.de")
err_case("a description without any text", "", lambda i: i["policy"]["rules"][0].update({"description": {}}), "empty_input", "input.policy.rules[0].description")
err_case("unsupported policy format", "Only format 1 is read.", lambda i: i["policy"].update({"format": "omnikpi.incentive_policy/2"}), "invalid_policy", "input.policy.format")
err_case("shares over 100%", "60% + 50%.", lambda i: i["policy"]["rules"][0].update({"shares": [{"party": "web", "percent": "60"}, {"party": "lille", "percent": "50"}]}), "invalid_shares", "input.policy.rules[0].shares")
err_case("shares that do not add up to the declared total", "A credit split that must total 100 adds up to 90.", lambda i: i["policy"]["rules"][0].update({"total_percent": "100", "shares": [{"party": "web", "percent": "40"}, {"party": "lille", "percent": "50"}]}), "invalid_shares", "input.policy.rules[0].shares")
err_case("overlapping rules without priority", "Both rules can pay a web click-and-collect order.", lambda i: i["policy"]["rules"].append({"id": "all_web", "when": {"origin_channel": ["web"]}, "shares": [{"party": "web", "percent": "1"}]}), "overlapping_rules", "input.policy.rules[1]")
err_case("overlapping rules with equal priorities", "Equal priorities decide nothing.", lambda i: (i["policy"]["rules"][0].update({"priority": 1}), i["policy"]["rules"].append({"id": "all", "priority": 1, "shares": [{"party": "web", "percent": "1"}]})), "overlapping_rules", "input.policy.rules[1]")
err_case("a share to an undeclared party", "`nantes` is not a party.", lambda i: i["policy"]["rules"][0]["shares"].append({"party": "nantes", "percent": "1"}), "unknown_party", "input.policy.rules[0].shares[2].party")
err_case("a sale fulfilled by an undeclared store", "The share goes to the fulfilment channel, which is not a party.", lambda i: i["sales"][0].update({"fulfilment_channel": "nantes"}), "unknown_party", "input.sales[0].fulfilment_channel")
err_case("a zone no franchisee owns", "Zone 75 has no owner.", lambda i: (i["policy"]["rules"][0]["shares"].append({"party_from": "zone", "percent": "1"}), i["sales"][0].update({"zone": "75"})), "unknown_party", "input.sales[0].zone")
err_case("a share naming a field the sale lacks", "The share goes to the sale's staff, but the sale names none.", lambda i: i["policy"]["rules"][0]["shares"].append({"party_from": "staff", "percent": "1"}), "missing_field", "input.sales[0].staff")
quota_tier = lambda **extra: {"id": "quota", "parties": ["web"], "mode": "step", "basis": "attainment", "quotas": {"web": "100.00"},
                              "bands": [{"from": "0", "multiplier": "1"}, {"from": "100", "multiplier": "2"}], **extra}
err_case("a tier on attainment without a party's quota", "Every party of a tier on attainment has a quota.",
         lambda i: i["policy"].update({"tiers": [quota_tier(parties=["web", "lille"])]}), "invalid_policy", "input.policy.tiers[0].quotas")
err_case("a quarter window without monthly periods", "Attainment accumulates over a quarter of declared monthly periods.",
         lambda i: i["policy"].update({"tiers": [quota_tier(window="quarter")]}), "invalid_policy", "input.policy.tiers[0].window")
err_case("quotas on a tier on earnings", "Quotas apply only to a tier with basis attainment.",
         lambda i: i["policy"].update({"tiers": [{k: v for k, v in quota_tier().items() if k != "basis"}]}), "invalid_policy", "input.policy.tiers[0].quotas")
err_case("tiers not ascending", "Bands must ascend strictly from 0.", lambda i: i["policy"].update({"tiers": [{"id": "t", "parties": ["web"], "mode": "step", "bands": [{"from": "0", "multiplier": "1"}, {"from": "0", "multiplier": "2"}]}]}), "invalid_policy", "input.policy.tiers[0].bands[1].from")
err_case("an attribution share with a model that needs the whole dataset", "Markov credits channels across journeys, not one sale's touches.", lambda i: i["policy"]["rules"][0].update({"shares": [{"attribution": {"model": "markov", "lookback_days": 30, "fallback": "web"}, "percent": "3"}]}), "invalid_policy", "input.policy.rules[0].shares[0].attribution.model")
err_case("refund of an unknown sale", "", lambda i: i["sales"].append(refund("r", 2, "1.00", "nope")), "unknown_sale", "input.sales[1].refund_of")
err_case("a refund dated before its sale", "o1 is sold on day 1; a refund of it on day 0 cannot precede it.", lambda i: i["sales"].append(refund("r", 0, "1.00", "o1")), "invalid_timestamp", "input.sales[1].timestamp")
err_case("refunds beyond the sale", "89.19 sold, 50.00 + 40.00 refunded.", lambda i: i["sales"].extend([refund("r1", 2, "50.00", "o1"), refund("r2", 3, "40.00", "o1")]), "refund_exceeds_sale", "input.sales[2].amount")
err_case("a sale in another currency", "", lambda i: i["sales"][0].update({"currency": "USD"}), "currency_mismatch", "input.sales[0].currency")
err_case("an amount finer than the minor unit", "", lambda i: i["sales"][0].update({"amount": "10.001"}), "invalid_money_scale", "input.sales[0].amount")
err_case("a float amount", "Floats lose precision.", lambda i: i["sales"][0].update({"amount": 10.5}), "wrong_type", "input.sales[0].amount")
err_case("a duplicated sale id", "", lambda i: i["sales"].append(sale("o1", 2, "1.00")), "duplicate_key", "input.sales[1].sale_id")
err_case("a negative sale", "A refund is a row with refund_of, not a negative amount.", lambda i: i["sales"][0].update({"amount": "-5.00"}), "negative_amount", "input.sales[0].amount")
err_case("no sales", "", lambda i: i.update({"sales": []}), "empty_input", "input.sales")
err_case("a negative amount band", "An amount band of sales cannot start below zero.", lambda i: i["policy"]["rules"][0]["when"].update({"amount": {"min": "-1.00"}}), "negative_amount", "input.policy.rules[0].when.amount.min")
err_case("a period label that disagrees with its timestamp", "The policy declares months in Paris; 2026-09-30T22:30:00Z is October there, but the row says 2026-09.",
         lambda i: (i["policy"].update({"periods": {"grain": "month", "time_zone": "Europe/Paris"}}), i["sales"][0].update({"timestamp": late_sept, "period": "2026-09"})),
         "invalid_dataset", "input.sales[0].period")
err_case("a sale no VAT rate applies to", "The policy pays net of VAT but declares a rate for books only.",
         lambda i: i["policy"].update({"vat": {"base": "net", "rates": [{"category": "books", "rate": "5.5"}]}}), "invalid_policy", "input.sales[0]")
err_case("two VAT rates for the same country and category", "",
         lambda i: i["policy"].update({"vat": {"base": "net", "rates": [{"country": "FR", "rate": "20"}, {"country": "FR", "rate": "10"}]}}), "duplicate_key", "input.policy.vat.rates[1]")
err_case("a net base without rates", "", lambda i: i["policy"].update({"vat": {"base": "net"}}), "invalid_policy", "input.policy.vat.rates")
err_case("a VAT rate of 100% or more", "", lambda i: i["policy"].update({"vat": {"base": "net", "rates": [{"rate": "100"}]}}), "invalid_policy", "input.policy.vat.rates[0].rate")
err_case("a validity that ends before it starts", "", lambda i: i["policy"]["rules"][0].update({"valid_from": "2026-11-01", "valid_to": "2026-10-31"}), "invalid_policy", "input.policy.rules[0].valid_to")
err_case("a validity date that is not a day of the calendar", "30 February.", lambda i: i["policy"]["rules"][0].update({"valid_from": "2026-02-30"}), "invalid_policy", "input.policy.rules[0].valid_from")
err_case("a validity date in another spelling", "", lambda i: i["policy"]["rules"][0].update({"valid_from": "01/11/2026"}), "invalid_policy", "input.policy.rules[0].valid_from")
err_case("a rule paying a party on days it is not in force", "bordeaux is paid from 1 November only, but the undated rule pays it a share on every day.",
         lambda i: (i["policy"]["parties"][6].update({"valid_from": "2026-11-01"}), i["policy"]["rules"][0]["shares"].append({"party": "bordeaux", "percent": "1"})),
         "invalid_policy", "input.policy.rules[0].shares[2]")
err_case("a sale placed on a channel on a day it is not in force", "The share goes to the origin channel, web, which is paid from 1 November only.",
         lambda i: i["policy"]["parties"][0].update({"valid_from": "2026-11-01"}), "unknown_party", "input.sales[0].origin_channel")
err_case("a sale fulfilled by a store on a day it is not in force", "lille closed on 1 January 1970; the sale is on the 2nd.",
         lambda i: i["policy"]["parties"][5].update({"valid_to": "1970-01-01"}), "unknown_party", "input.sales[0].fulfilment_channel")
err_case("a zone owned twice on common days", "franchise_nord owns 59 on every day; franchise_sud would own it from 2026 too.",
         lambda i: i["policy"]["parties"].append({"id": "franchise_sud", "kind": "franchisee", "zones": ["59"], "valid_from": "2026-01-01"}), "duplicate_key", "input.policy.parties[11].zones[0]")
err_case("two VAT rates of a country in force on a common day", "",
         lambda i: i["policy"].update({"vat": {"base": "net", "rates": [{"country": "CH", "rate": "7.7", "valid_to": "2024-01-01"}, {"country": "CH", "rate": "8.1", "valid_from": "2024-01-01"}]}}),
         "duplicate_key", "input.policy.vat.rates[1]")
err_case("a limit that does not say where clawbacks count", "A floor must declare whether clawbacks are absorbed by it or deducted after it.",
         lambda i: i["policy"].update({"limits": [{"party": "lille", "floor": "5.00"}]}), "missing_field", "input.policy.limits[0].clawbacks")
err_case("an unknown negative balance rule", "", lambda i: i["policy"].update({"negative_balance": "forgiven"}), "invalid_policy", "input.policy.negative_balance")
err_case("a zone owned twice", "", lambda i: i["policy"]["parties"].append({"id": "franchise_sud", "kind": "franchisee", "zones": ["59"]}), "duplicate_key", "input.policy.parties[11].zones[0]")

# --- check ------------------------------------------------------------------------------
# Each basic case's `hand` lists the differences in their expected order, computed by hand:
# (reason, sale_id, party, claimed, canonical), plus matching and malformed counts.
check_basic, check_errors = [], []
base_input = {"policy": ref, "sales": [sale("o1", 1, "89.19", "web", "lille"), sale("o2", 2, "100.00", "web", "bordeaux")]}


def claim(sale_id, party, amount, period="2026-10", rule="web_orders"):
    c = {"party": party, "period": period, "rule": rule, "amount": amount}
    if sale_id is not None:
        c["sale_id"] = sale_id
    return c


capped = copy.deepcopy(ref)
capped["limits"] = [{"party": "lille", "cap": "1000.00", "clawbacks": "absorbed"}]  # never reached: makes `cap:lille` a rule id
every_reason = {"policy": capped, "sales": base_input["sales"] + [sale("o3", 3, "50.00", "web", "lille", period="2026-11")]}
check_basic.append(("every reason, once each",
    "Canonical (8% pool split 5:3): o1 web 4.46, lille 2.68 (2026-10); o2 web 5.00, bordeaux 3.00 (2026-10); o3 web 2.50, lille 1.50 (2026-11). "
    "Claimed: o1 web right; o1 lille a cent short (wrong_amount); o2 web twice (claimed_twice, 10.00 against 5.00); o2 bordeaux nothing (not_claimed); "
    "o3 web in 2026-10 (wrong_period); o3 lille under cap:lille (wrong_rule); o9 (no_such_sale); nantes (no_such_party); rule loyalty (no_such_rule); "
    "o1 bordeaux, to whom o1 pays nothing (not_due); o1 anna 0.00, not due but zero (agrees).",
    dict(every_reason, payouts=[claim("o1", "web", "4.46"), claim("o1", "lille", "2.67"), claim("o2", "web", "5.00"), claim("o2", "web", "5.00"),
                                claim("o3", "web", "2.50"), claim("o3", "lille", "1.50", period="2026-11", rule="cap:lille"),
                                claim("o9", "web", "1.00"), claim("o1", "nantes", "1.00"), claim("o1", "web", "0.50", rule="loyalty"),
                                claim("o1", "bordeaux", "0.10"), claim("o1", "anna", "0.00")]),
    {"differences": [("wrong_amount", "o1", "lille", "2.67", "2.68"), ("claimed_twice", "o2", "web", "10.00", "5.00"),
                     ("not_claimed", "o2", "bordeaux", None, "3.00"), ("wrong_period", "o3", "web", "2.50", "2.50"),
                     ("wrong_rule", "o3", "lille", "1.50", "1.50"), ("no_such_sale", "o9", "web", "1.00", None),
                     ("no_such_party", "o1", "nantes", "1.00", None), ("no_such_rule", "o1", "web", "0.50", None),
                     ("not_due", "o1", "bordeaux", "0.10", None)],
     "matching": 2, "compared": 11, "malformed": 0}))
check_basic.append(("a sale line claimed in other periods under unknown rules",
    "o1's lille commission (2.68 in 2026-10) claimed as two rows of 1.34, in 2027-03 and 2025-01, under rules that do not exist: two no_such_rule and the canonical line not_claimed.",
    dict(base_input, payouts=[claim("o1", "web", "4.46"), claim("o1", "lille", "1.34", period="2027-03", rule="store"),
                              claim("o1", "lille", "1.34", period="2025-01", rule="store_commission"),
                              claim("o2", "web", "5.00"), claim("o2", "bordeaux", "3.00")]),
    {"differences": [("not_claimed", "o1", "lille", None, "2.68"), ("no_such_rule", "o1", "lille", "1.34", None),
                     ("no_such_rule", "o1", "lille", "1.34", None)],
     "matching": 3, "compared": 6, "malformed": 0}))
check_basic.append(("the canonical lines match themselves", "The split's own lines, claimed back, including period adjustments.",
    None, {"differences": [], "malformed": 0}))
check_basic.append(("a period adjustment claimed in the wrong period",
    "The split's own lines, with the first period adjustment's period changed to 2099-12: it pairs back with its line as wrong_period, difference 0.",
    "misfiled adjustment", {"differences": "one wrong_period adjustment", "malformed": 0}))
two_lines = policy(PARTIES, [{"id": "web_orders", "when": {"origin_channel": ["web"]},
                              "shares": [{"party": "web", "percent": "4"},
                                         {"attribution": {"model": "linear", "lookback_days": 30, "fallback": "web"}, "percent": "1"}]}])
check_basic.append(("two canonical lines on one key, and one row too many",
    "o1 89.19 pays web 4% (3.57) and, with no touch, the 1% attribution share (0.89) to the fallback web: two lines on (o1, web, 2026-10, web_orders), 4.46 in all. "
    "o2 100.00 likewise: 4.00 and 1.00. o1 is claimed as its two lines (agrees); o2 as three rows, 4.00, 1.00 and 1.00 (claimed_twice, 6.00 against 5.00).",
    {"policy": two_lines, "sales": base_input["sales"],
     "payouts": [claim("o1", "web", "3.57"), claim("o1", "web", "0.89"), claim("o2", "web", "4.00"), claim("o2", "web", "1.00"), claim("o2", "web", "1.00")]},
    {"differences": [("claimed_twice", "o2", "web", "6.00", "5.00")], "matching": 1, "compared": 2, "malformed": 0}))
check_basic.append(("every malformed claim row is reported, the others checked",
    "Four rows: a sale line without rule, one without party, an amount finer than a cent, and a good one (o1 web 4.46). The three are listed with their paths and codes; the good row is still compared.",
    dict(base_input, payouts=[{"sale_id": "o1", "period": "2026-10", "party": "lille", "amount": "2.68"},
                              {"sale_id": "o2", "period": "2026-10", "rule": "web_orders", "amount": "5.00"},
                              claim("o2", "bordeaux", "3.005"), claim("o1", "web", "4.46")]),
    {"differences": [("not_claimed", "o1", "lille", None, "2.68"), ("not_claimed", "o2", "web", None, "5.00"),
                     ("not_claimed", "o2", "bordeaux", None, "3.00")],
     "matching": 1, "compared": 4,
     "malformed": [("input.payouts[0].rule", "missing_field"), ("input.payouts[1].party", "missing_field"),
                   ("input.payouts[2].amount", "invalid_money_scale")]}))


def check_err(name, payouts, code, path):
    check_errors.append((name, "", dict(base_input, payouts=payouts), {"code": code, "path": path}))
check_err("payouts that are not a list", {"o1": "4.46"}, "wrong_type", "input.payouts")
check_errors.append(("no payouts", "The input names no payouts to check.", dict(base_input), {"code": "missing_field", "path": "input.payouts"}))


def adjustment_misfiled(src):
    lines = eval_json("incentives.split", src)["lines"]
    payouts = [{k: l[k] for k in ("sale_id", "period", "party", "rule", "amount") if l[k] is not None} for l in lines]
    first = next(i for i, l in enumerate(lines) if l["sale_id"] is None)
    payouts[first]["period"] = "2099-12"
    return payouts, lines[first]


def check_hand(name, got, hand):
    seen = [(d["reason"], d["sale_id"], d["party"], d["claimed"], d["canonical"]) for d in got["differences"]]
    assert seen == hand["differences"], f"{name}: {seen}"
    for d in got["differences"]:
        sides = [Decimal(x) for x in (d["claimed"] or "0", d["canonical"] or "0")]
        assert Decimal(d["difference"]) == sides[0] - sides[1], f"{name}: {d}"
    if "matching" in hand:
        assert (got["matching"], got["compared"]) == (hand["matching"], hand["compared"]), f"{name}: {got['matching']}, {got['compared']}"
    malformed = [(m["path"], m["code"]) for m in got["malformed"]]
    assert malformed == (hand["malformed"] or []), f"{name}: {malformed}"
    assert got["rows"]["rejected"] == len(malformed)
    assert got["agrees"] == (not seen and not malformed)


# --- diff (what-if) -------------------------------------------------------------------------
# `hand`: payable per (period, party) before and after, changed amounts per (period, party,
# rule), totals and the count of sales whose lines change, all computed by hand.
diff_basic, diff_errors = [], []
raised = policy(PARTIES, [{"id": "web_orders", "when": {"origin_channel": ["web"]},
                           "shares": [{"party": "web", "percent": "6"}, {"party_from": "fulfilment_channel", "percent": "3"}]},
                          {"id": "store_sales", "when": {"origin_channel": ["store"]},
                           "shares": [{"party_from": "fulfilment_channel", "percent": "2"}]}])
raised["version"] = "2"
what_if_sales = base_input["sales"] + [sale("s1", 40, "50.00", "store", "lille", period="2026-11")]
diff_basic.append(("a rate change and a new rule",
    "Before (web 5% + store 3% on web orders): o1 89.19 -> web 4.46, lille 2.68; o2 100.00 -> web 5.00, bordeaux 3.00; s1 (a store sale) unpaid. "
    "After (web 6% + 3%, and 2% to the store on store sales): o1 9% = 8.0271 -> 8.03, 6:3 -> floors 5.35 / 2.67, the leftover cent to lille's larger remainder -> 5.35 / 2.68; "
    "o2 -> 6.00 / 3.00; s1 -> lille 1.00 in 2026-11. web in 2026-10: 9.46 -> 11.35 (+1.89, web_orders); lille 2026-11: 0 -> 1.00 (store_sales). Totals 15.14 -> 18.03; o1, o2 and s1 change.",
    {"before": ref, "after": raised, "sales": what_if_sales},
    {"parties": {("2026-10", "web"): ("9.46", "11.35"), ("2026-10", "lille"): ("2.68", "2.68"), ("2026-10", "bordeaux"): ("3.00", "3.00"),
                 ("2026-11", "lille"): ("0.00", "1.00")},
     "rules": {("2026-10", "web", "web_orders"): ("9.46", "11.35"), ("2026-11", "lille", "store_sales"): ("0.00", "1.00")},
     "total": ("15.14", "18.03"), "sales_changed": 3}))
diff_basic.append(("the same policy twice", "Nothing changes: every party's payable is the same, no rule changes, no sale changes.",
    {"before": ref, "after": ref, "sales": base_input["sales"]},
    {"parties": {("2026-10", "web"): ("9.46", "9.46"), ("2026-10", "lille"): ("2.68", "2.68"), ("2026-10", "bordeaux"): ("3.00", "3.00")},
     "rules": {}, "total": ("15.14", "15.14"), "sales_changed": 0}))
diff_basic.append(("what a dated rate change would cost",
    "Before: one undated version paying 5%. After: the history raising it to 6% from 1 November. o1 (October) 5.00 either way; "
    "o2 (1 November) 5.00 -> 6.00; the refund of o1 reverses 5.00 under both. web in 2026-11: 5.00 - 5.00 = 0.00 -> 6.00 - 5.00 = 1.00 "
    "(web_orders); totals 5.00 -> 6.00; only o2 changes.",
    {"before": version("1", "5"), "after": history, "sales": history_sales},
    {"parties": {("2026-10", "web"): ("5.00", "5.00"), ("2026-11", "web"): ("0.00", "1.00")},
     "rules": {("2026-11", "web", "web_orders"): ("0.00", "1.00")}, "total": ("5.00", "6.00"), "sales_changed": 1}))
francs = copy.deepcopy(ref)
francs["currency"] = "CHF"
diff_errors.append(("policies in two currencies", "", {"before": ref, "after": francs, "sales": base_input["sales"]},
                    {"code": "currency_mismatch", "path": "input.after.currency"}))
diff_errors.append(("a history in another currency than the policy it is compared with", "",
                    {"before": version("1", "5"), "after": [dict(v, currency="CHF") for v in history], "sales": history_sales},
                    {"code": "currency_mismatch", "path": "input.after[0].currency"}))


def diff_hand(name, got, hand):
    parties = {(r["period"], r["party"]): (r["before"], r["after"]) for r in got["parties"] if r["before"] != "0.00" or r["after"] != "0.00"}
    assert parties == hand["parties"], f"{name}: {parties}"
    rules = {(r["period"], r["party"], r["rule"]): (r["before"], r["after"]) for r in got["rules"]}
    assert rules == hand["rules"], f"{name}: {rules}"
    for r in got["parties"] + got["rules"]:
        assert Decimal(r["change"]) == Decimal(r["after"]) - Decimal(r["before"]), f"{name}: {r}"
    assert (got["total_before"], got["total_after"]) == hand["total"], f"{name}: {got['total_before']} {got['total_after']}"
    assert Decimal(got["change"]) == sum(Decimal(r["change"]) for r in got["parties"]), name
    assert got["sales_changed"] == hand["sales_changed"], f"{name}: {got['sales_changed']}"



def error_case(kind, name, desc, inp, e, params=None):
    """A bad-input case of incentives.<kind>, after checking the CLI fails with its code and path."""
    extra = ["--params", json.dumps(params)] if params else []
    r = subprocess.run([str(CLI), "eval", f"incentives.{kind}", "--input", "-", *extra], input=json.dumps(inp), capture_output=True, text=True)
    assert r.returncode != 0 and f"[{e['code']}]" in r.stderr and f"at {e['path']}:" in r.stderr, f"{name}: {r.stderr}"
    return (kind, "errors", {"name": name, **({"description": desc} if desc else {}), "input": inp, **({"params": params} if params else {}), "error": e})


def build():
    out_dir = ROOT / "spec" / "vectors"
    files = {}
    cases = []
    for name, desc, inp, hand in split_basic + split_edge:
        got = eval_json("incentives.split", inp)
        a = amounts(got)
        for key, value in hand.items():
            assert abs(a.get(key, 0) - value) < 1e-9, f"{name}: {key} hand {value} != engine {a.get(key)}"
        extra_keys = {k for k, v in a.items() if v != 0} - set(hand)
        assert not extra_keys, f"{name}: lines not in the hand computation: {extra_keys}"
        if name == "periods derived in the policy's time zone":
            assert [l["period"] for l in got["lines"]] == ["2026-10", "2027-01"], got["lines"]
        cases.append(("split", "basic" if (name, desc, inp, hand) in split_basic else "edge_cases", {"name": name, "description": desc, "input": inp, "expected": got}))
    for name, desc, inp, e in split_errors:
        r = subprocess.run([str(CLI), "eval", "incentives.split", "--input", "-"], input=json.dumps(inp), capture_output=True, text=True)
        assert r.returncode != 0, f"{name}: expected an error, got {r.stdout[:200]}"
        assert f"[{e['code']}]" in r.stderr and f"at {e['path']}:" in r.stderr, f"{name}: {r.stderr}"
        cases.append(("split", "errors", {"name": name, **({"description": desc} if desc else {}), "input": inp, "error": e}))
    for name, desc, inp, hand in check_basic:
        src = split_basic[6][2]  # the tiers case: sale lines and period adjustments
        if inp is None:
            lines = eval_json("incentives.split", src)["lines"]
            inp = dict(src, payouts=[{k: l[k] for k in ("sale_id", "period", "party", "rule", "amount") if l[k] is not None} for l in lines])
        elif inp == "misfiled adjustment":
            payouts, line = adjustment_misfiled(src)
            inp = dict(src, payouts=payouts)
            hand = dict(hand, differences=[("wrong_period", None, line["party"], line["amount"], line["amount"])])
        got = eval_json("incentives.check", inp)
        check_hand(name, got, hand)
        cases.append(("check", "basic", {"name": name, "description": desc, "input": inp, "expected": got}))
    for name, desc, inp, e in check_errors:
        cases.append(error_case("check", name, desc, inp, e))
    for name, desc, inp, hand in diff_basic:
        got = eval_json("incentives.diff", inp)
        diff_hand(name, got, hand)
        cases.append(("diff", "basic", {"name": name, "description": desc, "input": inp, "expected": got}))
    for name, desc, inp, e in diff_errors:
        cases.append(error_case("diff", name, desc, inp, e))
    for name, desc, inp, hand in close_basic:
        got = eval_json("incentives.close", inp)
        a = amounts(got)
        assert a == hand, f"{name}: hand {hand} != engine {a}"
        assert sum(Decimal(str(v)) for v in hand.values()) == Decimal(got["total"]), f"{name}: total {got['total']}"
        cases.append(("close", "basic", {"name": name, "description": desc, "input": inp, "expected": got}))
    for name, desc, inp, e in close_errors:
        cases.append(error_case("close", name, desc, inp, e))
    for file, group in (("basic", statement_basic), ("edge_cases", statement_edge)):
        for name, desc, inp, params, hand in group:
            got = eval_json("incentives.statement", inp, params)
            statement_hand(name, got, hand)
            if name == "a rule described in both languages":
                assert all(l["explanation"].endswith("(commission : 3 % au canal d'exécution)") for s in got["statements"] for l in s["lines"]), got
            assert (got["statements"][0]["closed"] is not None) == ("closed" in inp), name
            case = {"name": name, **({"description": desc} if desc else {}), "input": inp, **({"params": params} if params else {}), "expected": got}
            cases.append(("statement", file, case))
    for name, desc, inp, params, e in statement_errors:
        cases.append(error_case("statement", name, desc, inp, e, params))
    what = {"basic": "Normal cases", "edge_cases": "Edge cases", "errors": "Bad input"}
    for kind, file, case in cases:
        kpi = f"incentives.{kind}"
        files.setdefault((kpi, file), {"kpi": kpi, "description": f"{what[file]} of {kpi} (expected values checked against hand computations in spec/gen/incentive_vectors.py).", "cases": []})["cases"].append(case)
    for (kpi, file), doc in files.items():
        d = out_dir / kpi
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{file}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{kpi}/{file}.json: {len(doc['cases'])} cases")


build()
