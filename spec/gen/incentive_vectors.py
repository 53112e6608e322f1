"""Writes spec/vectors/incentives.{split,check}/*.json.

Each case's `expected` is what `omnikpi eval` returns, written only after the hand-computed
figures noted beside the case (the `hand` dict: line amounts per (sale, party) and period
totals) agree with it. Run from the repository root after `cargo build --release`:
    python3 spec/gen/incentive_vectors.py
"""
import copy, json, pathlib, subprocess

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


def eval_json(kpi, inp):
    r = subprocess.run([str(CLI), "eval", kpi, "--input", "-"], input=json.dumps(inp), capture_output=True, text=True)
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
               limits=[{"party": "web", "cap": "16.00"}, {"party": "lille", "floor": "5.00"}, {"party": "bordeaux", "floor": "1.00"}])
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

# --- errors -----------------------------------------------------------------------------
def err_case(name, desc, mutate, code, path, sales=None):
    pol = copy.deepcopy(cc)
    inp = {"policy": pol, "sales": sales or [sale("o1", 1, "89.19", "web", "lille", click_and_collect=True)]}
    mutate(inp)
    split_errors.append((name, desc, inp, {"code": code, "path": path}))

err_case("unknown field in a rule", "Policies are strict.", lambda i: i["policy"]["rules"][0].update({"share": []}), "unknown_field", "input.policy.rules[0].share")
err_case("unsupported policy format", "Only format 1 is read.", lambda i: i["policy"].update({"format": "omnikpi.incentive_policy/2"}), "invalid_policy", "input.policy.format")
err_case("shares over 100%", "60% + 50%.", lambda i: i["policy"]["rules"][0].update({"shares": [{"party": "web", "percent": "60"}, {"party": "lille", "percent": "50"}]}), "invalid_shares", "input.policy.rules[0].shares")
err_case("shares that do not add up to the declared total", "A credit split that must total 100 adds up to 90.", lambda i: i["policy"]["rules"][0].update({"total_percent": "100", "shares": [{"party": "web", "percent": "40"}, {"party": "lille", "percent": "50"}]}), "invalid_shares", "input.policy.rules[0].shares")
err_case("overlapping rules without priority", "Both rules can pay a web click-and-collect order.", lambda i: i["policy"]["rules"].append({"id": "all_web", "when": {"origin_channel": ["web"]}, "shares": [{"party": "web", "percent": "1"}]}), "overlapping_rules", "input.policy.rules[1]")
err_case("overlapping rules with equal priorities", "Equal priorities decide nothing.", lambda i: (i["policy"]["rules"][0].update({"priority": 1}), i["policy"]["rules"].append({"id": "all", "priority": 1, "shares": [{"party": "web", "percent": "1"}]})), "overlapping_rules", "input.policy.rules[1]")
err_case("a share to an undeclared party", "`nantes` is not a party.", lambda i: i["policy"]["rules"][0]["shares"].append({"party": "nantes", "percent": "1"}), "unknown_party", "input.policy.rules[0].shares[2].party")
err_case("a sale fulfilled by an undeclared store", "The share goes to the fulfilment channel, which is not a party.", lambda i: i["sales"][0].update({"fulfilment_channel": "nantes"}), "unknown_party", "input.sales[0].fulfilment_channel")
err_case("a zone no franchisee owns", "Zone 75 has no owner.", lambda i: (i["policy"]["rules"][0]["shares"].append({"party_from": "zone", "percent": "1"}), i["sales"][0].update({"zone": "75"})), "unknown_party", "input.sales[0].zone")
err_case("a share naming a field the sale lacks", "The share goes to the sale's staff, but the sale names none.", lambda i: i["policy"]["rules"][0]["shares"].append({"party_from": "staff", "percent": "1"}), "missing_field", "input.sales[0].staff")
err_case("tiers not ascending", "Bands must ascend strictly from 0.", lambda i: i["policy"].update({"tiers": [{"id": "t", "parties": ["web"], "mode": "step", "bands": [{"from": "0", "multiplier": "1"}, {"from": "0", "multiplier": "2"}]}]}), "invalid_policy", "input.policy.tiers[0].bands[1].from")
err_case("an attribution share with a model that needs the whole dataset", "Markov credits channels across journeys, not one sale's touches.", lambda i: i["policy"]["rules"][0].update({"shares": [{"attribution": {"model": "markov", "lookback_days": 30, "fallback": "web"}, "percent": "3"}]}), "invalid_policy", "input.policy.rules[0].shares[0].attribution.model")
err_case("refund of an unknown sale", "", lambda i: i["sales"].append(refund("r", 2, "1.00", "nope")), "unknown_sale", "input.sales[1].refund_of")
err_case("refunds beyond the sale", "89.19 sold, 50.00 + 40.00 refunded.", lambda i: i["sales"].extend([refund("r1", 2, "50.00", "o1"), refund("r2", 3, "40.00", "o1")]), "refund_exceeds_sale", "input.sales[2].amount")
err_case("a sale in another currency", "", lambda i: i["sales"][0].update({"currency": "USD"}), "currency_mismatch", "input.sales[0].currency")
err_case("an amount finer than the minor unit", "", lambda i: i["sales"][0].update({"amount": "10.001"}), "invalid_money_scale", "input.sales[0].amount")
err_case("a float amount", "Floats lose precision.", lambda i: i["sales"][0].update({"amount": 10.5}), "wrong_type", "input.sales[0].amount")
err_case("a duplicated sale id", "", lambda i: i["sales"].append(sale("o1", 2, "1.00")), "duplicate_key", "input.sales[1].sale_id")
err_case("a negative sale", "A refund is a row with refund_of, not a negative amount.", lambda i: i["sales"][0].update({"amount": "-5.00"}), "negative_amount", "input.sales[0].amount")
err_case("no sales", "", lambda i: i.update({"sales": []}), "empty_input", "input.sales")
err_case("a zone owned twice", "", lambda i: i["policy"]["parties"].append({"id": "franchise_sud", "kind": "franchisee", "zones": ["59"]}), "duplicate_key", "input.policy.parties[11].zones[0]")

# --- check ------------------------------------------------------------------------------
check_basic, check_errors = [], []
base_input = {"policy": ref, "sales": [sale("o1", 1, "89.19", "web", "lille"), sale("o2", 2, "100.00", "web", "bordeaux")]}
check_basic.append(("every kind of difference is listed",
    "Canonical: o1 web 4.46, lille 2.68; o2 web 5.00, bordeaux 3.00. Claimed: o1 web 4.46 (match), lille 2.67 (off by a cent), o2 web 5.00 (match), bordeaux missing, and a line for o3 that does not exist.",
    dict(base_input, payouts=[{"sale_id": "o1", "party": "web", "amount": "4.46"}, {"sale_id": "o1", "party": "lille", "amount": "2.67"},
                               {"sale_id": "o2", "party": "web", "amount": "5.00"}, {"sale_id": "o3", "party": "web", "amount": "1.00"}]),
    {"differences": 3, "matching": 2}))
check_basic.append(("the canonical lines match themselves", "The split's own lines, claimed back, including a period adjustment.",
    None, {"differences": 0}))

def check_err(name, payouts, code, path):
    check_errors.append((name, "", dict(base_input, payouts=payouts), {"code": code, "path": path}))
check_err("period adjustment without rule", [{"period": "2026-10", "party": "web", "amount": "1.00"}], "missing_field", "input.payouts[0].rule")
check_err("a claimed amount finer than the minor unit", [{"sale_id": "o1", "party": "web", "amount": "4.455"}], "invalid_money_scale", "input.payouts[0].amount")
check_err("a claimed line without party", [{"sale_id": "o1", "amount": "4.46"}], "missing_field", "input.payouts[0].party")


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
        cases.append(("split", "basic" if (name, desc, inp, hand) in split_basic else "edge_cases", {"name": name, "description": desc, "input": inp, "expected": got}))
    for name, desc, inp, e in split_errors:
        r = subprocess.run([str(CLI), "eval", "incentives.split", "--input", "-"], input=json.dumps(inp), capture_output=True, text=True)
        assert r.returncode != 0, f"{name}: expected an error, got {r.stdout[:200]}"
        assert f"[{e['code']}]" in r.stderr and f"at {e['path']}:" in r.stderr, f"{name}: {r.stderr}"
        cases.append(("split", "errors", {"name": name, **({"description": desc} if desc else {}), "input": inp, "error": e}))
    for name, desc, inp, hand in check_basic:
        if inp is None:
            src = split_basic[6][2]  # the tiers case: sale lines and period adjustments
            lines = eval_json("incentives.split", src)["lines"]
            inp = dict(src, payouts=[{k: l[k] for k in ("sale_id", "period", "party", "rule", "amount") if l[k] is not None} for l in lines])
        got = eval_json("incentives.check", inp)
        assert len(got["differences"]) == hand["differences"], f"{name}: {got['differences']}"
        if "matching" in hand:
            assert got["matching"] == hand["matching"]
        cases.append(("check", "basic", {"name": name, "description": desc, "input": inp, "expected": got}))
    for name, desc, inp, e in check_errors:
        r = subprocess.run([str(CLI), "eval", "incentives.check", "--input", "-"], input=json.dumps(inp), capture_output=True, text=True)
        assert r.returncode != 0 and f"[{e['code']}]" in r.stderr and f"at {e['path']}:" in r.stderr, f"{name}: {r.stderr}"
        cases.append(("check", "errors", {"name": name, "input": inp, "error": e}))
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
