"""Writes spec/vectors/bad_input/catalogue.json: the bad-input catalogue, one case per row
(what is wrong, the KPI, the input, the expected error code and path). Every runner (Rust,
Python, Node, CLI) runs it like any vector file. The expected code of each row is written here
by hand; the script refuses to write the file if the engine disagrees.

Rows the vector format cannot carry are tested elsewhere and listed in RELIABILITY.md: invalid
UTF-8 and huge or deeply nested JSON text (CLI tests), hostile native values such as NaN floats,
cycles and lone surrogates (the Python and JS hostile-argument tests).

    python3 spec/gen/bad_input.py    (after cargo build --release)
"""
import json, pathlib, subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "omnikpi"
TAX = [{"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}]


def journeys(*js):
    return {"channels": TAX, "currency": "EUR", "journeys": list(js)}


def j(touches, conversions=1, value="10.00"):
    out = {"touches": [{"channel": c, "timestamp": t} for c, t in touches], "conversions": conversions}
    if conversions:
        out["value"] = value
    return out


def orders(*amounts, currency="EUR", row_currency=None):
    rows = [{"channel": "web", "amount": a, **({"currency": row_currency} if row_currency else {})} for a in amounts]
    return {"currency": currency, "orders": rows}


POLICY = {"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
          "parties": [{"id": "web", "kind": "channel"}, {"id": "lille", "kind": "store"}],
          "rules": [{"id": "web_orders", "when": {"origin_channel": ["web"]}, "shares": [{"party": "web", "percent": "5"}]}]}
SALE = {"sale_id": "o1", "timestamp": 0, "period": "2026-10", "origin_channel": "web", "fulfilment_channel": "lille", "amount": "10.00"}

ROWS = [
    # (what is wrong, kpi, input, params, code or None for a defined result, path)
    ("empty input: no rows at all", "conversion.rate", {"rows": []}, None, "empty_input", "input.rows"),
    ("empty input: a journey without touches", "attribution.linear", journeys(j([])), None, "empty_journey", "input.journeys[0].touches"),
    ("unsorted timestamps in a journey", "attribution.linear", journeys(j([("web", 20), ("store", 10)])), None, "unsorted_timestamps", "input.journeys[0].touches[1].timestamp"),
    ("duplicated timestamps: accepted, ties keep input order (first touch = the first listed)", "attribution.first_touch",
     journeys(j([("store", 10), ("web", 10)])), None, None, None),
    ("a touch after the conversion", "attribution.linear",
     journeys({**j([("web", 20)]), "conversion_timestamp": 10}), None, "touch_after_conversion", "input.journeys[0].touches[0].timestamp"),
    ("NaN as a decimal", "basket.average", orders("NaN"), None, "invalid_decimal", "input.orders[0].amount"),
    ("infinity as a decimal", "basket.average", orders("Infinity"), None, "invalid_decimal", "input.orders[0].amount"),
    ("an exponent instead of fixed-point digits", "basket.average", orders("1e3"), None, "invalid_decimal", "input.orders[0].amount"),
    ("a float for money", "basket.average", orders(12.5), None, "wrong_type", "input.orders[0].amount"),
    ("a negative amount", "basket.average", orders("-5.00"), None, "negative_amount", "input.orders[0].amount"),
    ("a value beyond 96 bits (Decimal's range)", "basket.average", orders("79228162514264337593543950336"), None, "invalid_decimal", "input.orders[0].amount"),
    ("more than 28 decimal places", "money.allocate",
     {"amount": "1.00", "currency": "EUR", "parties": [{"party": "a", "weight": "0.00000000000000000000000000001"}]}, None, "invalid_decimal", "input.parties[0].weight"),
    ("absurd amounts whose sum overflows", "basket.average",
     orders("79228162514264337593543950335", "79228162514264337593543950335", currency="JPY"), None, "arithmetic_overflow", None),
    ("more decimals than the currency's minor unit", "basket.average", orders("10.001"), None, "invalid_money_scale", "input.orders[0].amount"),
    ("an unknown currency", "basket.average", orders("10.00", currency="EUX"), None, "unknown_currency", "input.currency"),
    ("mixed currencies", "basket.average", orders("10.00", row_currency="USD"), None, "currency_mismatch", "input.orders[0].currency"),
    ("an unknown channel", "attribution.linear", journeys(j([("fax", 0)])), None, "unknown_channel", "input.journeys[0].touches[0].channel"),
    ("a count beyond 2^53", "conversion.rate", {"rows": [{"channel": "web", "opportunities": 2**60, "conversions": 1}]}, None, "value_out_of_range", "input.rows[0].opportunities"),
    ("a negative count", "conversion.rate", {"rows": [{"channel": "web", "opportunities": -1, "conversions": 0}]}, None, "negative_count", "input.rows[0].opportunities"),
    ("more conversions than opportunities", "conversion.rate", {"rows": [{"channel": "web", "opportunities": 1, "conversions": 2}]}, None, "conversions_exceed_opportunities", "input.rows[0].conversions"),
    ("a value on a journey that did not convert", "attribution.linear", journeys({**j([("web", 0)], conversions=0), "value": "5.00"}), None, "value_without_conversion", "input.journeys[0].value"),
    ("an unknown field (inputs are strict)", "conversion.rate", {"rows": [{"channel": "web", "opportunities": 1, "conversions": 0, "convs": 1}]}, None, "unknown_field", "input.rows[0].convs"),
    ("an unknown parameter", "conversion.rate", {"rows": [{"channel": "web", "opportunities": 1, "conversions": 0}]}, {"denominatr": "sessions"}, "unknown_parameter", "params.denominatr"),
    ("a timestamp that is not RFC 3339", "attribution.linear", {"channels": TAX, "currency": "EUR", "journeys": [{"touches": [{"channel": "web", "timestamp": "yesterday"}], "conversions": 0}]}, None, "invalid_timestamp", "input.journeys[0].touches[0].timestamp"),
    ("a policy with overlapping rules", "incentives.split",
     {"policy": {**POLICY, "rules": POLICY["rules"] + [{"id": "all", "shares": [{"party": "web", "percent": "1"}]}]}, "sales": [SALE]}, None, "overlapping_rules", "input.policy.rules[1]"),
    ("a policy whose shares exceed 100%", "incentives.split",
     {"policy": {**POLICY, "rules": [{"id": "r", "shares": [{"party": "web", "percent": "70"}, {"party": "lille", "percent": "40"}]}]}, "sales": [SALE]}, None, "invalid_shares", "input.policy.rules[0].shares"),
    ("a policy naming an undeclared party", "incentives.split",
     {"policy": {**POLICY, "rules": [{"id": "r", "shares": [{"party": "nantes", "percent": "1"}]}]}, "sales": [SALE]}, None, "unknown_party", "input.policy.rules[0].shares[0].party"),
    ("a refund larger than its sale", "incentives.split",
     {"policy": POLICY, "sales": [SALE, {"sale_id": "r1", "timestamp": 1, "period": "2026-10", "refund_of": "o1", "amount": "10.01"}]}, None, "refund_exceeds_sale", "input.sales[1].amount"),
    ("Markov order beyond the declared maximum (4)", "attribution.markov", journeys(j([("web", 0), ("store", 1)])), {"order": 5}, "invalid_parameter", "params.order"),
    ("Markov order above the longest journey: states are the shorter paths, a defined result", "attribution.markov",
     journeys(j([("web", 0), ("store", 1)]), j([("store", 0)], conversions=0)), {"order": 4}, None, None),
    ("more Markov states than max_states", "attribution.markov",
     journeys(j([("web", 0), ("store", 1), ("web", 2), ("store", 3)])), {"order": 2, "max_states": 2}, "limit_exceeded", "params.max_states"),
    ("more channels than shapley.rate enumerates", "attribution.shapley.rate",
     {"channels": [{"channel": f"c{i}", "group": "online"} for i in range(3)], "currency": "EUR",
      "journeys": [j([("c0", 0), ("c1", 1), ("c2", 2)])]}, {"max_channels": 2}, "limit_exceeded", None),
    ("a journey longer than max_touches (a path-length limit, default 10,000)", "attribution.markov",
     journeys(j([("web", 0), ("store", 1), ("web", 2)])), {"max_touches": 2}, "limit_exceeded", "input.journeys[0].touches"),
    ("an unknown KPI id", "conversion.rates", {"rows": []}, None, "unknown_kpi", "kpi"),
    # Host values (spec/README.md, Host values): the same code and path from JSON text, Python and JS.
    # Integers beyond 64 bits have no row: vector files are read by the canonical reader, which
    # refuses them; tests/conformance/test_6_differential.py sends them through every front end.
    ("a pandas NaT (-2^63) as a timestamp at day grain: a defined result, not an overflow", "conversion.windowed",
     {"base_events": [{"entity": "a", "timestamp": -2**63, "group": "web"}, {"entity": "a", "timestamp": 0, "group": "store"}],
      "conversion_events": [{"entity": "a", "timestamp": -2**63 + 5}]}, {"grain": "day"}, None, None),
]


def main() -> None:
    cases = []
    for what, kpi, inp, params, code, path in ROWS:
        args = [str(CLI), "eval", kpi, "--input", "-"] + (["--params", json.dumps(params)] if params is not None else [])
        r = subprocess.run(args, input=json.dumps(inp), capture_output=True, text=True)
        case = {"name": what, "kpi": kpi, "input": inp}
        if params is not None:
            case["params"] = params
        if code is None:
            assert r.returncode == 0, f"{what}: expected a result, got {r.stderr}"
            case["expected"] = json.loads(r.stdout)
        else:
            assert r.returncode == 2 and f"[{code}]" in r.stderr, f"{what}: expected {code}, got {r.stderr or r.stdout[:200]}"
            if path:
                assert f" at {path}: " in r.stderr, f"{what}: expected path {path}, got {r.stderr}"
            case["error"] = {"code": code, **({"path": path} if path else {})}
        cases.append(case)
    out = ROOT / "spec" / "vectors" / "bad_input" / "catalogue.json"
    out.parent.mkdir(exist_ok=True)
    doc = {"kpi": "bad_input", "description": "The bad-input catalogue: one row per kind of bad input, each with the KPI it is given to, "
           "what is wrong (the case name) and the expected error code (or the defined result where the input is odd but valid). "
           "Written by spec/gen/bad_input.py.", "cases": cases}
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out.relative_to(ROOT)}: {len(cases)} rows")


main()
