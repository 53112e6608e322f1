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
