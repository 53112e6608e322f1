"""The five runners (Rust, Python, Node, CLI, SQL) must produce byte-identical canonical results for
every vector. On a difference, the failure names the first vector and field that differ."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

from conftest import RESULTS, vector_cases

RUNNERS = ["rust", "python", "node", "cli", "sql"]


def canonical_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def first_difference(a: Any, b: Any, path: str = "") -> Optional[str]:
    """The path of the first field where a and b differ (None when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if canonical_bytes(a) != canonical_bytes(b):
        return f"{path or '.'} ({json.dumps(a)} vs {json.dumps(b)})"
    return None


def load(runner: str) -> dict[str, Any]:
    path = RESULTS / f"{runner}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run the {runner} suite first (bash scripts/test.sh runs all)")
    return json.loads(path.read_text(encoding="utf-8"))


def test_all_runners_agree_byte_for_byte() -> None:
    ids = [case_id for case_id, _, _ in vector_cases()]
    results = {r: load(r) for r in RUNNERS}
    for runner, got in results.items():
        missing = [i for i in ids if i not in got]
        assert not missing, f"{runner} did not run {len(missing)} vectors, first: {missing[0]}"
    for case_id in ids:
        reference = results["rust"][case_id]
        for runner in RUNNERS[1:]:
            other = results[runner][case_id]
            if canonical_bytes(reference) != canonical_bytes(other):
                where = first_difference(reference, other)
                pytest.fail(f"vector {case_id}: {runner} differs from rust at field {where}")


def test_first_difference_names_the_field() -> None:
    a = {"overall": {"rate": "0.125000", "n": 1}, "parts": [{"amount": "1.00"}]}
    b = {"overall": {"rate": "0.125000", "n": 1}, "parts": [{"amount": "1.0"}]}
    assert first_difference(a, b) == '.parts[0].amount ("1.00" vs "1.0")'
    assert first_difference(a, a) is None
