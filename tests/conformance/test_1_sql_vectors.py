"""Every conformance vector through SQL: `omnikpi_evaluate(kpi, input, params)` in DuckDB with
the omnikpi extension loaded. Results are written to target/conformance/sql.json for the
byte comparison that follows; errors are read back from the message DuckDB raises."""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import pytest

from conftest import RESULTS, check_vector, duckdb_connection, vector_cases

CASES = list(vector_cases())
COLLECTED: dict[str, Any] = {}
ERROR_LINE = re.compile(r"omnikpi: error \[(\w+)\](?: at (.+?))?: ")
CON = duckdb_connection()


def run_sql(kpi: str, case: dict[str, Any]) -> dict[str, Any]:
    args = [kpi, json.dumps(case["input"])]
    if case.get("params") is not None:
        args.append(json.dumps(case["params"]))
    marks = ", ".join("?" for _ in args)
    try:
        row = CON.execute(f"SELECT omnikpi_evaluate({marks})", args).fetchone()
    except duckdb.Error as e:
        match = ERROR_LINE.search(str(e))
        assert match, f"not an omnikpi error: {e}"
        return {"error": {"code": match.group(1), "path": match.group(2)}}
    assert row is not None
    return {"output": json.loads(row[0])}


@pytest.mark.parametrize("case_id,kpi,case", CASES, ids=[c[0] for c in CASES])
def test_vector_through_sql(case_id: str, kpi: str, case: dict[str, Any]) -> None:
    result = run_sql(kpi, case)
    COLLECTED[case_id] = result
    check_vector(result, case)


def test_write_sql_results() -> None:
    assert len(COLLECTED) == len(CASES)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sql.json").write_text(json.dumps(COLLECTED, indent=1, ensure_ascii=False), encoding="utf-8")


def test_a_null_argument_gives_null_from_a_constant_and_from_a_column() -> None:
    rate = '{"rows": [{"channel": "web", "opportunities": 4, "conversions": 1}]}'
    assert CON.execute("SELECT omnikpi_evaluate(NULL, ?)", [rate]).fetchone() == (None,)
    assert CON.execute("SELECT omnikpi_evaluate('conversion.rate', ?, NULL)", [rate]).fetchone() == (None,)
    rows = CON.execute(
        "SELECT omnikpi_evaluate(k, i, p) FROM (VALUES ('conversion.rate', ?, '{}'), ('conversion.rate', ?, NULL),"
        " (NULL, ?, '{}')) t(k, i, p)", [rate, rate, rate]).fetchall()
    assert json.loads(rows[0][0])["overall"]["rate"] == "0.250000"
    assert rows[1:] == [(None,), (None,)]


def test_an_error_in_one_row_fails_the_query_with_the_code_and_path() -> None:
    good = '{"rows": [{"channel": "web", "opportunities": 4, "conversions": 1}]}'
    with pytest.raises(duckdb.InvalidInputException, match=re.escape(
            "omnikpi: error [invalid_json] at input: ")):
        CON.execute("SELECT omnikpi_evaluate('conversion.rate', i) FROM (VALUES (?), ('{')) t(i)", [good]).fetchall()
