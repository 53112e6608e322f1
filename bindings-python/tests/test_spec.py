"""Every conformance vector through the Python package: the generic entry point and the typed
function of each KPI. Results are recorded in target/conformance/python.json for the
cross-language comparison (tests/conformance/compare.py)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Callable

import pytest

import omnikpi
from conftest import ROOT, canonical, vector_cases

CASES = list(vector_cases())
RESULTS: dict[str, Any] = {}


def run(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"output": canonical(call())}
    except omnikpi.OmniKpiError as e:
        return {"error": {"code": e.code, "path": e.path}}


def check(case: dict[str, Any], result: dict[str, Any]) -> None:
    if "expected" in case:
        assert "output" in result, f"expected a result, got {result.get('error')}"
        assert result["output"] == case["expected"]
    else:
        assert "error" in result, f"expected error {case['error']}, got a result"
        assert result["error"]["code"] == case["error"]["code"]
        if "path" in case["error"]:
            assert result["error"]["path"] == case["error"]["path"]


def decimals_are_decimal(value: Any) -> None:
    """No money or rate crosses into Python as a str or float."""
    if isinstance(value, dict):
        for key, v in value.items():
            if key in {"rate", "revenue", "average", "amount", "weight", "uplift", "extra_revenue",
                       "average_extra", "from_previous", "from_first"}:
                assert v is None or isinstance(v, Decimal), f"{key} is {type(v).__name__}"
            decimals_are_decimal(v)
    elif isinstance(value, list):
        for v in value:
            decimals_are_decimal(v)
    else:
        assert not isinstance(value, float)


@pytest.mark.parametrize("case_id,kpi,case", CASES, ids=[c[0] for c in CASES])
def test_vector_through_evaluate(case_id: str, kpi: str, case: dict[str, Any]) -> None:
    raw: dict[str, Any] = {}

    def call() -> Any:
        out = omnikpi.evaluate(kpi, case["input"], case.get("params"))
        raw["out"] = out
        return out

    result = run(call)
    RESULTS[case_id] = result
    check(case, result)
    if "out" in raw:
        decimals_are_decimal(raw["out"])


def _typed(kpi: str, i: dict[str, Any], p: dict[str, Any]) -> Any:
    """The typed function of each KPI, called with the vector's input spread into arguments."""
    if kpi == "conversion.rate":
        return omnikpi.conversion_rate(i["rows"], **p)
    if kpi == "conversion.funnel":
        return omnikpi.conversion_funnel(i["steps"], i["events"], **p)
    if kpi == "conversion.windowed":
        return omnikpi.conversion_windowed(i["base_events"], i["conversion_events"], **p)
    if kpi == "conversion.cross_channel":
        return omnikpi.conversion_cross_channel(i["channels"], i["touches"], i["conversions"], **p)
    if kpi == "basket.average":
        return omnikpi.basket_average(i["orders"], currency=i["currency"], **p)
    if kpi == "basket.multichannel_uplift":
        return omnikpi.basket_multichannel_uplift(i["orders"], currency=i["currency"], channels=i["channels"], **p)
    if kpi == "pickup.attach_rate":
        return omnikpi.pickup_attach_rate(i["pickups"], currency=i["currency"], **p)
    if kpi == "money.allocate":
        return omnikpi.money_allocate(i["amount"], i["parties"], currency=i["currency"], **p)
    if kpi == "contribution.share":
        return omnikpi.contribution_share(i["journeys"], channels=i["channels"], currency=i["currency"], **p)
    if kpi == "contribution.roas":
        return omnikpi.contribution_roas(i["journeys"], i["costs"], channels=i["channels"], currency=i["currency"], **p)
    if kpi == "contribution.growth":
        return omnikpi.contribution_growth(i["channels"], currency=i["currency"], **p)
    if kpi == "incentives.split":
        return omnikpi.split_incentives(i["policy"], i["sales"], **({"touches": i["touches"]} if "touches" in i else {}))
    if kpi == "incentives.check":
        return omnikpi.check_payouts(i["policy"], i["sales"], i["payouts"], **({"touches": i["touches"]} if "touches" in i else {}))
    if kpi.startswith("attribution."):
        return omnikpi.attribute(kpi.removeprefix("attribution."), i["journeys"], channels=i["channels"], currency=i["currency"], **p)
    raise AssertionError(f"no typed function for {kpi}")


def _fits_typed(kpi: str, case: dict[str, Any]) -> bool:
    """Whether the case's input spreads into the typed signature (all keys known, none missing)."""
    expected_keys = {
        "conversion.rate": {"rows"}, "conversion.funnel": {"steps", "events"},
        "conversion.windowed": {"base_events", "conversion_events"},
        "conversion.cross_channel": {"channels", "touches", "conversions"},
        "basket.average": {"currency", "orders"}, "basket.multichannel_uplift": {"currency", "channels", "orders"},
        "pickup.attach_rate": {"currency", "pickups"}, "money.allocate": {"amount", "currency", "parties"},
        "contribution.share": {"channels", "currency", "journeys"},
        "contribution.roas": {"channels", "currency", "journeys", "costs"},
        "contribution.growth": {"currency", "channels"},
        "incentives.split": {"policy", "sales"},
        "incentives.check": {"policy", "sales", "payouts"},
    }.get(kpi, {"channels", "currency", "journeys"} if kpi.startswith("attribution.") else None)
    i, p = case["input"], case.get("params") or {}
    optional = {"touches"} if kpi.startswith("incentives.") else set()
    # an undeclared parameter is a keyword the typed function does not take (evaluate() reports it)
    declared = {q["name"] for d in omnikpi.catalog() if d["id"] == kpi for q in d["parameters"]}
    return (expected_keys is not None and isinstance(i, dict) and set(i) - optional == expected_keys
            and "window" not in p and set(p) <= declared)


TYPED = [c for c in CASES if _fits_typed(c[1], c[2])]
VERSIONS = {d["id"]: d["version"] for d in omnikpi.catalog()}


@pytest.mark.parametrize("case_id,kpi,case", TYPED, ids=[c[0] for c in TYPED])
def test_vector_through_typed_function(case_id: str, kpi: str, case: dict[str, Any]) -> None:
    got: list[Any] = []

    def call() -> Any:
        got.append(_typed(kpi, case["input"], case.get("params") or {}))
        return got[0]

    check(case, run(call))
    if got:  # the typed result is the KPI's frozen result object, plain data underneath
        result = got[0]
        assert isinstance(result, omnikpi.Result) and result.kpi == kpi, type(result)
        assert result.version == VERSIONS[kpi]
        assert type(result) is not omnikpi.Result, f"{kpi} has no result class of its own"
        assert canonical(result.to_dict()) == case["expected"]
        with pytest.raises(AttributeError, match="frozen"):
            result.rows = None  # type: ignore[misc]


def test_typed_functions_cover_most_vectors() -> None:
    # Cases left out pass shapes the typed signatures cannot take (unknown or missing top-level
    # fields, a non-object input, an unknown KPI id); they run through evaluate() above.
    assert len(TYPED) >= len(CASES) - 12, f"only {len(TYPED)} of {len(CASES)}"


def test_zz_write_conformance_results() -> None:
    """Runs last in this module (name order within the file is declaration order)."""
    assert len(RESULTS) == len(CASES), "every vector must have run"
    out = ROOT / "target" / "conformance"
    out.mkdir(parents=True, exist_ok=True)
    (out / "python.json").write_text(json.dumps(RESULTS, indent=1, ensure_ascii=False), encoding="utf-8")
