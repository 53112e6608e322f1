"""Every conformance vector through the command line (`omnikpi eval`), one process per case.
Results are written to target/conformance/cli.json for the comparison that follows."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from conftest import CLI, RESULTS, check_vector, vector_cases

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
    check_vector(result, case)


def test_write_cli_results() -> None:
    assert len(COLLECTED) == len(CASES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(COLLECTED, indent=1, ensure_ascii=False), encoding="utf-8")


def _declared() -> dict[str, dict[str, str]]:
    catalogue = json.loads(subprocess.run([str(CLI), "catalog", "--json"], check=True, capture_output=True,
                                          text=True, timeout=60).stdout)
    return {d["id"]: {p["name"]: p["type"] for p in d.get("parameters", [])} for d in catalogue}


DECLARED = _declared()


def _as_flags(kpi: str, params: dict[str, Any]) -> list[str] | None:
    """The parameters as `omnikpi kpi` flags, or None when text flags cannot say them (a name the
    spec does not declare, or a value of another type than declared: error vectors for `eval`)."""
    flags = []
    for name, value in params.items():
        kind = DECLARED[kpi].get(name)
        if kind is None or (kind in ("string", "decimal")) != isinstance(value, str):
            return None
        flags += ["--" + name.replace("_", "-"), value if isinstance(value, str) else json.dumps(value)]
    return flags


FLAG_CASES = [(i, k, c) for i, k, c in CASES if c.get("params") and _as_flags(k, c["params"]) is not None]


@pytest.mark.parametrize("case_id,kpi,case", FLAG_CASES, ids=[c[0] for c in FLAG_CASES])
def test_vector_through_the_kpi_subcommand(case_id: str, kpi: str, case: dict[str, Any]) -> None:
    """`omnikpi kpi <id> --<parameter> VALUE`: the subcommand generated from the spec computes
    what the vector expects, parameters typed by their declaration."""
    flags = _as_flags(kpi, case["params"]) or []
    proc = subprocess.run([str(CLI), "kpi", kpi, "--input", "-", *flags], input=json.dumps(case["input"]),
                          capture_output=True, text=True, timeout=60)
    if "expected" in case:
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == case["expected"]
    else:
        match = ERROR_LINE.match(proc.stderr)
        assert proc.returncode == 2 and match, proc.stderr
        assert match.group(1) == case["error"]["code"], proc.stderr
        if "path" in case["error"]:
            assert match.group(2) == case["error"]["path"], proc.stderr


def test_the_kpi_subcommands_cover_the_catalogue_and_refuse_what_the_spec_refuses() -> None:
    assert len(FLAG_CASES) >= 60  # the vectors with parameters, not a handful
    listed = subprocess.run([str(CLI), "kpi", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert all(kpi in listed for kpi in DECLARED), listed
    bad = subprocess.run([str(CLI), "kpi", "conversion.rate", "--input", "-", "--denominator", "clicks"],
                         input='{"rows": []}', capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("omnikpi: error [invalid_parameter] at params.denominator")
    junk = subprocess.run([str(CLI), "kpi", "attribution.markov", "--input", "-", "--order", "two"],
                          input="{}", capture_output=True, text=True, timeout=60)
    assert junk.returncode == 2 and junk.stderr.startswith("omnikpi: error [invalid_json] at params.order"), junk.stderr
