"""Every file in spec/ validates against its JSON Schema in spec/schema/."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT

SPEC = ROOT / "spec"


def schema(name: str) -> jsonschema.Draft202012Validator:
    doc = json.loads((SPEC / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(doc)
    return jsonschema.Draft202012Validator(doc)


def files(pattern: str) -> list[Path]:
    found = sorted(SPEC.glob(pattern))
    assert found, pattern
    return found


@pytest.mark.parametrize("path", files("kpis/*.json"), ids=lambda p: p.name)
def test_definition_matches_schema(path: Path) -> None:
    schema("kpi").validate(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("path", files("vectors/*/*.json"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_vector_file_matches_schema(path: Path) -> None:
    schema("vectors").validate(json.loads(path.read_text(encoding="utf-8")))


def test_errors_and_currencies_match_schema() -> None:
    schema("errors").validate(json.loads((SPEC / "errors.json").read_text(encoding="utf-8")))
    schema("currencies").validate(json.loads((SPEC / "currencies.json").read_text(encoding="utf-8")))


def test_schema_rejects_a_definition_without_vectors_reference() -> None:
    doc = json.loads((SPEC / "kpis" / "conversion.rate.json").read_text(encoding="utf-8"))
    doc["edge_cases"][0].pop("vector")
    with pytest.raises(jsonschema.ValidationError):
        schema("kpi").validate(doc)


def test_schema_rejects_a_case_with_both_expected_and_error() -> None:
    bad = {"kpi": "x.y", "description": "d", "cases": [{"name": "n", "input": {}, "expected": {}, "error": {"code": "c"}}]}
    with pytest.raises(jsonschema.ValidationError):
        schema("vectors").validate(bad)


def policies_in_vectors(with_error: bool) -> list[tuple[str, dict]]:
    found = []
    for path in sorted(SPEC.glob("vectors/incentives.*/*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            if ("error" in case) == with_error and isinstance(case["input"], dict) and "policy" in case["input"]:
                found.append((f"{path.parent.name}/{path.name}::{case['name']}", case))
    assert found
    return found


@pytest.mark.parametrize("name,case", policies_in_vectors(False), ids=lambda v: v if isinstance(v, str) else "")
def test_every_policy_the_engine_accepts_matches_the_schema(name: str, case: dict) -> None:
    schema("incentive_policy").validate(case["input"]["policy"])


def test_the_example_policy_matches_the_schema() -> None:
    doc = json.loads((ROOT / "examples" / "retail" / "incentive_policy.json").read_text(encoding="utf-8"))
    schema("incentive_policy").validate(doc)


# Policy errors a schema can see: it must reject them too (the others need the engine's checks).
SCHEMA_VISIBLE = ("unknown field in a rule", "unsupported policy format")


@pytest.mark.parametrize("name,case", policies_in_vectors(True), ids=lambda v: v if isinstance(v, str) else "")
def test_schema_rejects_the_structurally_bad_policies(name: str, case: dict) -> None:
    validator = schema("incentive_policy")
    if case["name"] in SCHEMA_VISIBLE:
        assert not validator.is_valid(case["input"]["policy"]), name
