"""Vectors of conversion.lift, computed independently of the Rust core: exact fractions
(Python's ``fractions``) rounded half to even by ``round`` on a Fraction, which is exact.

Run from the repository root: ``python3 spec/gen/lift_vectors.py``. Hand-checked figures are
asserted before anything is written.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

SCALE = 6
OUT = Path(__file__).resolve().parent.parent / "vectors" / "conversion.lift"


def fixed(q: Fraction) -> str:
    """``q`` at 6 places, half to even, as a canonical decimal string."""
    units = round(q * 10**SCALE)  # round() of a Fraction is exact and half to even
    sign = "-" if units < 0 else ""
    digits = str(abs(units)).rjust(SCALE + 1, "0")
    return f"{sign}{digits[:-SCALE]}.{digits[-SCALE:]}"


def ratio(num: int, den: int, reason: str | None) -> dict:
    return {"value": fixed(Fraction(num, den)) if den else None, "numerator": str(num),
            "denominator": str(den), "reason": None if den else reason}


def arm(conversions: int, opportunities: int) -> dict:
    rate = fixed(Fraction(conversions, opportunities)) if opportunities else None
    return {"conversions": conversions, "opportunities": opportunities, "rate": rate,
            "reason": None if opportunities else "zero_denominator"}


def lift(rows: list[dict]) -> dict:
    """The expected output: arms summed, then the three lifts as exact fractions."""
    sums = {"treatment": [0, 0], "control": [0, 0]}
    for r in rows:
        sums[r["arm"]][0] += r["conversions"]
        sums[r["arm"]][1] += r["opportunities"]
    (ct, ot), (cc, oc) = sums["treatment"], sums["control"]
    gap = ct * oc - cc * ot  # (rate_t - rate_c) * ot * oc
    missing = "no_control" if oc == 0 else "no_treatment"
    relative_reason = "no_control" if oc == 0 else "no_treatment" if ot == 0 else "zero_control_rate"
    return {
        "treatment": arm(ct, ot),
        "control": arm(cc, oc),
        "absolute_lift": ratio(gap, ot * oc, missing),
        "relative_lift": ratio(gap, ot * cc, relative_reason),
        "incremental_conversions": ratio(gap, oc, "no_control"),
        "rows": {"read": len(rows), "used": len(rows), "rejected": 0},
    }


def rows(*arms: tuple[str, int, int]) -> list[dict]:
    return [{"arm": a, "opportunities": o, "conversions": c} for a, o, c in arms]


def case(name: str, input_rows: list[dict]) -> dict:
    return {"name": name, "input": {"rows": input_rows}, "expected": lift(input_rows)}


def error(name: str, data: object, code: str, path: str) -> dict:
    return {"name": name, "input": data, "error": {"code": code, "path": path}}


# Hand-checked before writing: 5.0% treated vs 4.0% holdout.
BASIC = rows(("treatment", 10_000, 500), ("control", 2_000, 80))
_check = lift(BASIC)
assert _check["absolute_lift"]["value"] == "0.010000"  # 0.05 - 0.04
assert _check["relative_lift"]["value"] == "0.250000"  # 0.01 / 0.04
assert _check["incremental_conversions"]["value"] == "100.000000"  # 500 - 10000 * 0.04
assert _check["absolute_lift"]["numerator"] == str(500 * 2000 - 80 * 10000)
assert fixed(Fraction(1, 8_000_000)) == "0.000000" and fixed(Fraction(3, 2_000_000)) == "0.000002"
assert fixed(Fraction(-1, 3)) == "-0.333333"

basic = [
    case("treated converts more than the holdout", BASIC),
    case("rows of an arm are summed", rows(("treatment", 6_000, 300), ("control", 1_000, 40),
                                           ("treatment", 4_000, 200), ("control", 1_000, 40))),
    case("a negative lift", rows(("treatment", 3_000, 90), ("control", 1_000, 40))),
    case("rates with repeating decimals", rows(("treatment", 7, 3), ("control", 9, 2))),
]
edge = [
    case("no control opportunities", rows(("treatment", 100, 10), ("control", 0, 0))),
    case("no treatment opportunities", rows(("treatment", 0, 0), ("control", 100, 10))),
    case("a control that never converts", rows(("treatment", 100, 10), ("control", 50, 0))),
    case("an arm without rows counts as empty", rows(("treatment", 100, 10))),
    case("equal rates give zero lift", rows(("treatment", 300, 30), ("control", 100, 10))),
    # (1/8000000 rounds to 0, 3/2000000 = 0.0000015 rounds half to even to 0.000002)
    case("lift halfway between two 6-place values rounds to even",
         rows(("treatment", 2_000_000, 3), ("control", 2_000_000, 0))),
    case("large counts stay exact", rows(("treatment", 4_000_000_000, 123_456_789),
                                         ("control", 1_000_000_000, 30_000_001))),
]
_half = lift(edge[5]["input"]["rows"])
assert _half["absolute_lift"]["value"] == "0.000002", _half
errors = [
    error("empty rows", {"rows": []}, "empty_input", "input.rows"),
    error("conversions above opportunities", {"rows": rows(("treatment", 5, 6))}, "conversions_exceed_opportunities",
          "input.rows[0].conversions"),
    error("an arm that is neither treatment nor control", {"rows": rows(("exposed", 5, 1))}, "wrong_type", "input.rows[0].arm"),
    error("a negative count", {"rows": [{"arm": "control", "opportunities": -1, "conversions": 0}]}, "negative_count",
          "input.rows[0].opportunities"),
    error("a float count", {"rows": [{"arm": "control", "opportunities": 1.5, "conversions": 0}]}, "wrong_type",
          "input.rows[0].opportunities"),
    error("an unknown field", {"rows": [{"arm": "control", "opportunities": 1, "conversions": 0, "channel": "web"}]},
          "unknown_field", "input.rows[0].channel"),
    error("a missing arm", {"rows": [{"opportunities": 1, "conversions": 0}]}, "missing_field", "input.rows[0].arm"),
]

for name, cases, what in (("basic", basic, "Normal cases"), ("edge_cases", edge, "Edge cases"), ("errors", errors, "Errors")):
    doc = {"kpi": "conversion.lift", "description": f"{what} of conversion.lift (spec/gen/lift_vectors.py).", "cases": cases}
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {len(basic) + len(edge) + len(errors)} cases to {OUT}")
