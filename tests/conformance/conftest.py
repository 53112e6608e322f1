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
EXTENSION = ROOT / "target" / "duckdb" / "omnikpi.duckdb_extension"


def check_vector(result: dict[str, Any], case: dict[str, Any]) -> None:
    """A runner's `{"output"}` or `{"error": {"code", "path"}}` is what the vector expects."""
    if "expected" in case:
        assert result.get("output") == case["expected"], result
    else:
        assert result.get("error", {}).get("code") == case["error"]["code"], result
        if "path" in case["error"]:
            assert result["error"]["path"] == case["error"]["path"]


def duckdb_connection(threads: int | None = None) -> Any:
    """A DuckDB connection (the `duckdb` Python package) with the omnikpi extension loaded."""
    import duckdb

    config = {"allow_unsigned_extensions": "true"}
    if threads is not None:
        config["threads"] = str(threads)
    con = duckdb.connect(config=config)
    con.load_extension(str(EXTENSION))
    return con
