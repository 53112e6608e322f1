"""Every conformance vector through the command line (`omnikpi eval`), one process per case.
Results are written to target/conformance/cli.json for the comparison that follows."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from conftest import CLI, RESULTS, vector_cases

CASES = list(vector_cases())
COLLECTED: dict[str, Any] = {}
ERROR_LINE = re.compile(r"^omnikpi: error \[(\w+)\](?: at (.+?))?: ")


def run_cli(kpi: str, case: dict[str, Any]) -> dict[str, Any]:
    args = [str(CLI), "eval", kpi, "--input", "-"]
    if case.get("params") is not None:
        args += ["--params", json.dumps(case["params"])]
    proc = subprocess.run(args, input=json.dumps(case["input"]), capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return {"output": json.loads(proc.stdout)}
    assert proc.returncode == 2, f"exit {proc.returncode}: {proc.stderr}"
    match = ERROR_LINE.match(proc.stderr)
    assert match, f"unexpected stderr: {proc.stderr!r}"
    return {"error": {"code": match.group(1), "path": match.group(2)}}


@pytest.mark.parametrize("case_id,kpi,case", CASES, ids=[c[0] for c in CASES])
def test_vector_through_cli(case_id: str, kpi: str, case: dict[str, Any]) -> None:
    result = run_cli(kpi, case)
    COLLECTED[case_id] = result
    if "expected" in case:
        assert result.get("output") == case["expected"], result
    else:
        assert result.get("error", {}).get("code") == case["error"]["code"], result
        if "path" in case["error"]:
            assert result["error"]["path"] == case["error"]["path"]


def test_write_cli_results() -> None:
    assert len(COLLECTED) == len(CASES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(COLLECTED, indent=1, ensure_ascii=False), encoding="utf-8")
