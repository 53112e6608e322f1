"""`omnikpi_aggregate(kpi, record, options)` on every conformance vector: each list of a vector's
input, given as table rows (shuffled, at several thread counts), gives what `omnikpi_evaluate`
gives for the same input with that list in the byte order of the records' JSON text (a SQL
table has no order of its own; the aggregate takes records in that order)."""

from __future__ import annotations

import json
import random
import re
from typing import Any, Iterator

import duckdb
import pytest

from conftest import ERROR, ROOT, connect


def cases() -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(id, kpi, case, list) for every vector and every non-empty list of records in its input."""
    for kpi_dir in sorted((ROOT / "spec" / "vectors").iterdir()):
        for file in sorted(kpi_dir.glob("*.json")):
            doc = json.loads(file.read_text(encoding="utf-8"))
            for case in doc["cases"]:
                inp = case.get("input")
                if not isinstance(inp, dict):
                    continue
                for key, value in inp.items():
                    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                        yield f"{kpi_dir.name}/{file.stem}::{case['name']}::{key}", case.get("kpi", doc["kpi"]), case, key


CASES = list(cases())


def outcome(con: Any, sql: str, args: list[Any]) -> Any:
    try:
        row = con.execute(sql, args).fetchone()
    except duckdb.Error as e:
        match = ERROR.search(str(e))
        assert match, str(e)
        return ("error", match.group(1), match.group(2))
    return json.loads(row[0])


@pytest.mark.parametrize("case_id,kpi,case,table", CASES, ids=[c[0] for c in CASES])
def test_a_list_as_table_rows_gives_the_evaluated_result(case_id: str, kpi: str, case: dict[str, Any],
                                                          table: str) -> None:
    texts = [json.dumps(r, ensure_ascii=False) for r in case["input"][table]]
    rest = {k: v for k, v in case["input"].items() if k != table}
    options = json.dumps({"table": table, "input": rest, "params": case.get("params")})
    ordered = {**case["input"], table: [json.loads(t) for t in sorted(texts)]}
    params = json.dumps(case.get("params")) if case.get("params") is not None else "{}"
    con = connect(1 + len(texts) % 3)
    expected = outcome(con, "SELECT omnikpi_evaluate(?, ?, ?)", [kpi, json.dumps(ordered), params])
    shuffled = random.Random(case_id).sample(texts, len(texts))
    con.execute("CREATE TABLE records (record VARCHAR)")
    con.executemany("INSERT INTO records VALUES (?)", [[t] for t in shuffled])
    got = outcome(con, "SELECT omnikpi_aggregate(?, record, ?) FROM records", [kpi, options])
    assert got == expected


def test_the_vectors_give_enough_cases() -> None:
    kpis = {kpi for _, kpi, _, _ in CASES}
    assert len(CASES) > 300 and {"conversion.rate", "basket.average", "money.allocate", "conversion.funnel"} <= kpis


def test_groups_nulls_and_options() -> None:
    con = connect(4)
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('a', 'web', 200, 25), ('a', 'store', 10, 0), "
                "('b', 'web', 5, 1)) v(brand, channel, sessions, orders)")
    sql = ("SELECT brand, omnikpi_aggregate('conversion.rate', to_json({'channel': channel, "
           "'opportunities': sessions, 'conversions': orders}), ?) FROM t GROUP BY brand ORDER BY brand")
    rows = con.execute(sql, ['{"table": "rows", "params": {"denominator": "sessions"}}']).fetchall()
    assert [json.loads(r)["overall"]["rate"] for _, r in rows] == ["0.119048", "0.200000"]
    assert con.execute("SELECT omnikpi_aggregate('conversion.rate', '{}', '{\"table\": \"rows\"}') "
                       "FROM t WHERE false").fetchone() == (None,)
    for options, code, path in [('{"table": "rows", "inputs": {}}', "unknown_parameter", "options.inputs"),
                                ('{"input": {}}', "missing_field", "options.table"),
                                ('{"table": "rows", "input": {"rows": []}}', "invalid_parameter", "options.input.rows")]:
        with pytest.raises(duckdb.Error, match=re.escape(f"[{code}] at {path}")):
            con.execute(sql, [options]).fetchall()
    with pytest.raises(duckdb.Error, match=re.escape("[missing_field] at record")):
        con.execute("SELECT omnikpi_aggregate('conversion.rate', NULL, '{\"table\": \"rows\"}') FROM t").fetchall()


def test_struct_records_are_read_by_the_core_record_reader() -> None:
    """A sales table as DuckDB types it (DECIMAL amounts, BOOLEAN flags, TIMESTAMPTZ), each row
    handed over whole, gives the CLI's split of the same CSV file to the cent."""
    import subprocess
    con = connect(4)
    retail = ROOT / "examples" / "retail"
    con.execute("CREATE TABLE sales AS FROM read_csv(?, types = {'amount': 'DECIMAL(18,2)', "
                "'extra_amount': 'DECIMAL(18,2)', 'zone': 'VARCHAR'})", [str(retail / "sales.csv")])
    touches = con.execute("SELECT json_group_array(t) FROM (SELECT customer_id, timestamp, channel "
                          "FROM read_csv(?, all_varchar = true)) t", [str(retail / "touches.csv")]).fetchone()[0]
    policy = json.loads((retail / "incentive_policy.json").read_text())
    options = json.dumps({"table": "sales", "input": {"policy": policy, "touches": json.loads(touches)}})
    (got,) = con.execute("SELECT omnikpi_aggregate('incentives.split', s, ?) FROM (FROM sales ORDER BY random()) s",
                         [options]).fetchone()
    cli = subprocess.run([str(ROOT / "target" / "release" / "omnikpi"), "incentives", "split", "--policy",
                          str(retail / "incentive_policy.json"), "--sales", str(retail / "sales.csv"), "--touches",
                          str(retail / "touches.csv"), "--format", "json"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert json.loads(got) == json.loads(cli)
    rate = con.execute("SELECT omnikpi_aggregate('conversion.rate', {'channel': 'web', 'opportunities': 8, "
                       "'conversions': 1}, '{\"table\": \"rows\"}')").fetchone()[0]
    assert json.loads(rate)["overall"]["rate"] == "0.125000"
    with pytest.raises(duckdb.Error, match=re.escape("[wrong_type] at record.amount")):
        con.execute("SELECT omnikpi_aggregate('basket.average', {'channel': 'web', 'amount': 12.5::DOUBLE}, "
                    "'{\"table\": \"orders\", \"input\": {\"currency\": \"EUR\"}}')").fetchall()
    with pytest.raises(duckdb.Error, match=re.escape("[wrong_type] at record.span: `record.span` is a DuckDB INTERVAL")):
        con.execute("SELECT omnikpi_aggregate('conversion.rate', {'span': INTERVAL 1 DAY}, '{\"table\": \"rows\"}')").fetchall()
    with pytest.raises(duckdb.Error, match=re.escape("[wrong_type] at record:")):
        con.execute("SELECT omnikpi_aggregate('conversion.rate', 42, '{\"table\": \"rows\"}')").fetchall()
