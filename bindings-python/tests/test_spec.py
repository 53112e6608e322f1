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


SURFACES = {d["id"]: d["surface"] for d in omnikpi.catalog()}
DEFINITIONS = {d["id"]: d for d in omnikpi.catalog()}


def test_every_catalogue_id_has_its_typed_function_and_result_class() -> None:
    for kpi, surface in SURFACES.items():
        assert callable(getattr(omnikpi, surface["function"], None)), f"no omnikpi.{surface['function']} for {kpi}"
        assert surface["function"] in omnikpi.__all__
        assert omnikpi.kpis.RESULT_CLASSES[kpi].__name__ == surface["result"]
        assert omnikpi.kpis.FUNCTIONS[kpi] is getattr(omnikpi, surface["function"])


def _typed(kpi: str, i: dict[str, Any], p: dict[str, Any]) -> Any:
    """The typed function the spec's surface names, with the vector's input spread into
    arguments: positional inputs in order, the others and the parameters as keywords."""
    surface = SURFACES[kpi]
    function = getattr(omnikpi, surface["function"])
    args = [i[name] for name in surface["positional"]]
    keywords = {k: v for k, v in i.items() if k not in surface["positional"]}
    return function(*args, **keywords, **p)


def _fits_typed(kpi: str, case: dict[str, Any]) -> bool:
    """Whether the case's input spreads into the typed signature (an object whose keys are the
    KPI's inputs, none required missing; parameters the definition declares)."""
    i, p = case["input"], case.get("params") or {}
    if not isinstance(i, dict) or kpi not in DEFINITIONS:
        return False
    inputs = DEFINITIONS[kpi]["inputs"]
    names = {f["name"] for f in inputs}
    required = {f["name"] for f in inputs if not f.get("optional")}
    declared = {q["name"] for q in DEFINITIONS[kpi]["parameters"]}
    # an undeclared parameter is a keyword the typed function does not take (evaluate() reports it)
    return set(i) <= names and required <= set(i) and set(p) <= declared and all(isinstance(k, str) for k in p)


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
