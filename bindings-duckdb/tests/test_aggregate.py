"""`omnikpi_aggregate(kpi, record, options)` on every conformance vector: each list of a vector's
input, given as table rows (shuffled, at several thread counts), gives what `omnikpi_evaluate`
gives for the same input with that list in the byte order of the records' JSON text (a SQL
table has no order of its own; the aggregate takes records in that order), or, for a KPI whose
partial states merge without order, in the order of the channels' names. A record's error is
at `record` instead of its place in the list."""

from __future__ import annotations

import json
import random
import re
from typing import Any, Iterator

import duckdb
import pyarrow as pa
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


# KPIs whose partial states merge without order (omnikpi::partial::merges_unordered): the
# aggregate merges states instead of keeping records, channels in name order.
UNORDERED = {"conversion.rate"}


def outcome(con: Any, sql: str, args: list[Any], table: str = "") -> Any:
    try:
        row = con.execute(sql, args).fetchone()
    except duckdb.Error as e:
        match = ERROR.search(str(e))
        assert match, str(e)
        path = match.group(2)
        if table and path:  # the aggregate names a record, not a place in the list
            path = re.sub(rf"^input\.{re.escape(table)}\[\d+\]", "record", path)
        return ("error", match.group(1), path)
    return json.loads(row[0])


@pytest.mark.parametrize("case_id,kpi,case,table", CASES, ids=[c[0] for c in CASES])
def test_a_list_as_table_rows_gives_the_evaluated_result(case_id: str, kpi: str, case: dict[str, Any],
                                                          table: str) -> None:
    texts = [json.dumps(r, ensure_ascii=False) for r in case["input"][table]]
    rest = {k: v for k, v in case["input"].items() if k != table}
    options = json.dumps({"table": table, "input": rest, "params": case.get("params")})
    records = [json.loads(t) for t in sorted(texts)]
    if kpi in UNORDERED:
        records.sort(key=lambda r: str(r.get("channel")) if isinstance(r, dict) else "")
    ordered = {**case["input"], table: records}
    params = json.dumps(case.get("params")) if case.get("params") is not None else "{}"
    con = connect(1 + len(texts) % 3)
    expected = outcome(con, "SELECT omnikpi_evaluate(?, ?, ?)", [kpi, json.dumps(ordered), params], table)
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


def test_conversion_rate_merges_partial_states_whatever_the_threads_and_row_order() -> None:
    """120,000 rows over 40 channels and 3 brands, GROUP BY brand and with `by` inside: states
    merged from DuckDB's threads give, at 1, 2 and 4 threads and in two row orders, what
    `omnikpi_evaluate` gives on the same rows with channels in name order."""
    rng = random.Random(7)
    rows = []
    for _ in range(120_000):
        opportunities = rng.randrange(0, 50)
        rows.append((["fr", "de", "uk"][rng.randrange(3)], f"ch{rng.randrange(40):02d}", ["a", "b"][rng.randrange(2)],
                     opportunities, rng.randrange(0, opportunities + 1)))
    params = {"denominator": "sessions", "by": ["store"]}
    options = json.dumps({"table": "rows", "params": params})
    expected = {}
    for brand in ("de", "fr", "uk"):
        mine = sorted((r for r in rows if r[0] == brand), key=lambda r: r[1])
        records = [{"channel": c, "store": s, "opportunities": o, "conversions": n} for _, c, s, o, n in mine]
        con = connect(1)
        (text,) = con.execute("SELECT omnikpi_evaluate('conversion.rate', ?, ?)",
                              [json.dumps({"rows": records}), json.dumps(params)]).fetchone()
        expected[brand] = json.loads(text)
    assert [c["channel"] for c in expected["de"]["by_channel"]] == [f"ch{i:02d}" for i in range(40)]
    sql = ("SELECT brand, omnikpi_aggregate('conversion.rate', {'channel': channel, 'store': store, "
           "'opportunities': o, 'conversions': n}, ?) FROM t GROUP BY brand")
    source = pa.table({k: [r[i] for r in rows] for i, k in enumerate(["brand", "channel", "store", "o", "n"])})
    for threads in (1, 2, 4):
        for order in ("random()", "channel DESC"):
            con = connect(threads)
            con.register("source", source)
            con.execute(f"CREATE TABLE t AS SELECT * FROM source ORDER BY {order}")
            got = {brand: json.loads(text) for brand, text in con.execute(sql, [options]).fetchall()}
            assert got == expected, (threads, order)


def test_a_bad_record_is_named_whether_states_or_records_are_kept() -> None:
    con = connect(2)
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('web', 4, 1), ('app', 2, 3)) v(channel, o, n)")
    with pytest.raises(duckdb.Error, match=re.escape(
            '[conversions_exceed_opportunities] at record.conversions: `record.conversions` (3) exceeds opportunities (2): '
            'a unit converts at most once (record {"channel":"app","opportunities":2,"conversions":3})')):
        con.execute("SELECT omnikpi_aggregate('conversion.rate', {'channel': channel, 'opportunities': o, "
                    "'conversions': n}, '{\"table\": \"rows\"}') FROM t").fetchall()
    with pytest.raises(duckdb.Error, match=re.escape(
            '[invalid_decimal] at record.amount:')) as raised:
        con.execute("SELECT omnikpi_aggregate('basket.average', {'channel': channel, 'amount': 'x' || o}, "
                    "'{\"table\": \"orders\", \"input\": {\"currency\": \"EUR\"}}') FROM t").fetchall()
    assert '(record {"channel":"' in str(raised.value)


def test_conversion_rate_lists_channels_by_name_not_by_record_text() -> None:
    """`"a b"` sorts before `"a"` as JSON text (a space before the closing quote) but after it as
    a name: merged states order channels by name, records kept as text would not."""
    con = connect(2)
    (text,) = con.execute("SELECT omnikpi_aggregate('conversion.rate', {'channel': c, 'opportunities': 2, "
                          "'conversions': 1}, '{\"table\": \"rows\"}') FROM (VALUES ('a b'), ('a')) v(c)").fetchone()
    assert [c["channel"] for c in json.loads(text)["by_channel"]] == ["a", "a b"]
