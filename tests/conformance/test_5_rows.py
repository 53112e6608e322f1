"""Nothing is dropped silently: every result reports the rows it read, used and rejected, and
read = used + rejected — in every vector, in every runner's results and in the retail report."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any, Iterator

import pytest

from conftest import CLI, RESULTS, ROOT, vector_cases


def row_counts(value: Any, path: str = "") -> Iterator[tuple[str, dict[str, int]]]:
    """Every {read, used, rejected} object inside a result, with where it is."""
    if isinstance(value, dict):
        if {"read", "used", "rejected"} <= set(value):
            yield path, value
        for key, child in value.items():
            yield from row_counts(child, f"{path}.{key}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from row_counts(child, f"{path}[{i}]")


def check(result: dict[str, Any], where: str) -> None:
    assert isinstance(result.get("rows"), dict), f"{where}: the result has no `rows`"
    for path, rows in row_counts(result):
        assert rows["read"] == rows["used"] + rows["rejected"], f"{where}{path}: {rows}"


EXPECTED = [(case_id, case["expected"]) for case_id, _, case in vector_cases() if "expected" in case]


@pytest.mark.parametrize("case_id,expected", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_every_expected_result_counts_its_rows(case_id: str, expected: dict[str, Any]) -> None:
    check(expected, case_id)


@pytest.mark.parametrize("runner", ["rust", "python", "node", "cli"])
def test_every_runner_result_counts_its_rows(runner: str) -> None:
    results = json.loads((RESULTS / f"{runner}.json").read_text(encoding="utf-8"))
    outputs = {k: v["output"] for k, v in results.items() if "output" in v}
    assert len(outputs) == len(EXPECTED), f"{runner}: {len(outputs)} results for {len(EXPECTED)} expected"
    for case_id, output in outputs.items():
        check(output, f"{runner}:{case_id}")


def test_every_report_section_counts_its_rows() -> None:
    report = json.loads(subprocess.run([str(CLI), "report", str(ROOT / "examples" / "retail"), "--json"],
                                       check=True, capture_output=True, text=True, timeout=120).stdout)
    assert len(report["sections"]) >= 13
    for section in report["sections"]:
        check(section["result"], section["kpi"])


def test_report_sections_have_their_own_ids_and_name_catalogue_kpis() -> None:
    report = json.loads(subprocess.run([str(CLI), "report", str(ROOT / "examples" / "retail"), "--json"],
                                       check=True, capture_output=True, text=True, timeout=120).stdout)
    catalogue = json.loads(subprocess.run([str(CLI), "catalog", "--json"],
                                          check=True, capture_output=True, text=True, timeout=120).stdout)
    ids = {kpi["id"] for kpi in catalogue}
    families = {kpi_id.split(".")[0] for kpi_id in ids}
    sections = [s["id"] for s in report["sections"]]
    assert len(sections) == len(set(sections)), sections
    assert all(re.fullmatch(r"[a-z][a-z_]*", s) for s in sections), sections
    for section in report["sections"]:
        assert list(section)[:2] == ["id", "kpi"]
        assert section["kpi"] in ids or section["kpi"] in families, section["kpi"]
    assert sum(s["kpi"] in families for s in report["sections"]) == 1  # only the model comparison
