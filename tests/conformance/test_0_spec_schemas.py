"""Every file in spec/ validates against its JSON Schema in spec/schema/."""

from __future__ import annotations

import json
import re
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


@pytest.mark.parametrize("path", files("guides/*.json"), ids=lambda p: p.name)
def test_guide_matches_schema(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    schema("guide").validate(doc)
    assert path.stem == doc["id"]


@pytest.mark.parametrize("name", ["segments", "fx"])
def test_shared_definitions_match_their_schema(name: str) -> None:
    """spec/segments.json and spec/fx.json refer to the KPI schema's definitions, resolved from
    the same folder."""
    from referencing import Registry, Resource

    kpi = json.loads((SPEC / "schema" / "kpi.schema.json").read_text(encoding="utf-8"))
    doc = json.loads((SPEC / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resources([(kpi["$id"], Resource.from_contents(kpi))])
    jsonschema.Draft202012Validator.check_schema(doc)
    jsonschema.Draft202012Validator(doc, registry=registry).validate(
        json.loads((SPEC / f"{name}.json").read_text(encoding="utf-8")))


def with_segments(definition: dict) -> dict:
    """The definition as the core embeds it: with `segments`, the outputs of spec/segments.json
    follow its own, each segment holding `key` and the result's own fields; with `fx`, the output
    of spec/fx.json comes last."""
    own = definition["outputs"]
    added = []
    if "segments" in definition:
        shared = json.loads((SPEC / "segments.json").read_text(encoding="utf-8"))
        added = [dict(o) for o in shared["outputs"]]
        for o in added:
            if o["name"] == "segments":
                o["fields"] = o["fields"] + [dict(f, optional=True) for f in own]
    if "fx" in definition:
        added.append(json.loads((SPEC / "fx.json").read_text(encoding="utf-8"))["output"])
    return {**definition, "outputs": own + added}


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
    given = case["input"]["policy"]
    # a history is a list of versions of one policy, each a policy of the schema
    for version in given if isinstance(given, list) else [given]:
        schema("incentive_policy").validate(version)


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


# ------------------------------------------------------------------ outputs as declared
# The bindings' result classes and TypeScript types are generated from the declared outputs
# (`omnikpi surfaces`), so every computed vector must have exactly that shape.

DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def shape_errors(value: object, field: dict, path: str) -> list[str]:
    if value is None:
        return [] if field.get("nullable") else [f"{path} is null but not declared nullable"]
    kind = field["type"]
    ok = {
        "string": lambda v: isinstance(v, str),
        "count": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "decimal": lambda v: isinstance(v, str) and DECIMAL.match(v) is not None,
        "money": lambda v: isinstance(v, str) and DECIMAL.match(v) is not None,
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
    }.get(kind, lambda v: isinstance(v, dict))  # object and the named records (ratio, basket...)
    if not ok(value):
        return [f"{path} is {value!r}, not a {kind}"]
    if isinstance(value, list) and "fields" in field:
        return [e for i, item in enumerate(value) for e in record_errors(item, field["fields"], f"{path}[{i}]")]
    if isinstance(value, list) and "items" in field:
        item = {"name": "item", "type": field["items"]}
        return [e for i, v in enumerate(value) for e in shape_errors(v, item, f"{path}[{i}]")]
    if isinstance(value, dict) and "fields" in field:
        return record_errors(value, field["fields"], path)
    return []


def record_errors(value: object, fields: list[dict], path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path} is not an object"]
    names = [f["name"] for f in fields]
    errors = [f"{path}.{k} is not declared" for k in value if k not in names]
    for f in fields:
        if f["name"] in value:
            errors += shape_errors(value[f["name"]], f, f"{path}.{f['name']}")
        elif not f.get("optional"):
            errors.append(f"{path}.{f['name']} is declared but absent")
    present = [k for k in names if k in value]
    if [k for k in value if k in names] != present:
        errors.append(f"{path}: keys {list(value)} are not in the declared order {names}")
    return errors


def computed_cases() -> list[tuple[str, dict, dict]]:
    found = []
    for path in sorted(SPEC.glob("kpis/*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        for vectors in sorted((SPEC / "vectors" / definition["id"]).glob("*.json")):
            for case in json.loads(vectors.read_text(encoding="utf-8"))["cases"]:
                if "expected" in case:
                    found.append((f"{definition['id']}/{vectors.name}::{case['name']}", definition, case))
    return found


@pytest.mark.parametrize("name,definition,case", computed_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_expected_output_has_the_declared_shape(name: str, definition: dict, case: dict) -> None:
    assert record_errors(case["expected"], with_segments(definition)["outputs"], "output") == []


def test_the_shape_check_sees_an_undeclared_field_and_a_wrong_type() -> None:
    outputs = [{"name": "rate", "type": "decimal"}, {"name": "rows", "type": "object", "fields": [{"name": "read", "type": "count"}]}]
    assert record_errors({"rate": "0.5", "rows": {"read": 1}}, outputs, "o") == []
    assert record_errors({"rate": 0.5, "rows": {"read": 1, "x": 2}}, outputs, "o") == [
        "o.rate is 0.5, not a decimal", "o.rows.x is not declared"]
    assert record_errors({"rate": None, "rows": {"read": 1}}, outputs, "o") == ["o.rate is null but not declared nullable"]
    assert record_errors({"rows": {"read": 1}}, outputs, "o") == ["o.rate is declared but absent"]
