"""Shared helpers: the repository root and the conformance vectors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping

from omnikpi.results import Fields, ModelComparison

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors"


def vector_cases() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(id, kpi, case) for every case of every vector file, sorted like the Rust runner."""
    for kpi_dir in sorted(VECTORS.iterdir()):
        for file in sorted(kpi_dir.glob("*.json")):
            doc = json.loads(file.read_text(encoding="utf-8"))
            for case in doc["cases"]:
                yield f"{kpi_dir.name}/{file.stem}::{case['name']}", case.get("kpi", doc["kpi"]), case


def canonical(value: Any) -> Any:
    """A result with every Decimal as its fixed-point string (the vectors' notation)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (Mapping, Fields, ModelComparison)):  # dicts and the frozen result objects
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value
