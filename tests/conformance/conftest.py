"""Paths shared by the cross-language conformance tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "target" / "conformance"
CLI = ROOT / "target" / "release" / "omnikpi"


def vector_cases() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(id, kpi, case) for every vector, ids as every runner writes them."""
    vectors = ROOT / "spec" / "vectors"
    for kpi_dir in sorted(vectors.iterdir()):
        for file in sorted(kpi_dir.glob("*.json")):
            doc = json.loads(file.read_text(encoding="utf-8"))
            for case in doc["cases"]:
                yield f"{kpi_dir.name}/{file.stem}::{case['name']}", case.get("kpi", doc["kpi"]), case


def check_vector(result: dict[str, Any], case: dict[str, Any]) -> None:
    """A runner's `{"output"}` or `{"error": {"code", "path"}}` is what the vector expects."""
    if "expected" in case:
        assert result.get("output") == case["expected"], result
    else:
        assert result.get("error", {}).get("code") == case["error"]["code"], result
        if "path" in case["error"]:
            assert result["error"]["path"] == case["error"]["path"]


def duckdb_connection(threads: int | None = None) -> Any:
    """A DuckDB connection with the omnikpi extension loaded: the extension tests' own `connect`
    (bindings-duckdb/tests/conftest.py), loaded by path since both files are named conftest."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "omnikpi_duckdb_conftest", ROOT / "bindings-duckdb" / "tests" / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.connect(threads)
