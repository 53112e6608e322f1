"""Conversion rate from SQL: `omnikpi_aggregate('conversion.rate', ...)` (omnikpi's partial
states, merged across DuckDB's threads) against the plain SQL an analyst would write instead
and a raw-scan floor, on the same Parquet file, side by side in one process.

    bash scripts/setup.sh
    .venv/bin/python bench/sql_rate.py [--rows 5000000] [--runs 5]

The table: one row per brand, channel and day (3 brands, 40 channels), sessions and orders as
BIGINT, written by DuckDB to a Parquet file in BENCH_TMP (or the system's temporary folder).

- omnikpi: `SELECT brand, omnikpi_aggregate('conversion.rate', {'channel': channel,
  'opportunities': sessions, 'conversions': orders}, '{"table": "rows"}') FROM t GROUP BY brand`.
- plain SQL: `SELECT brand, channel, sum(orders), sum(sessions) FROM t GROUP BY brand, channel`
  plus the brand totals (what the KPI returns, without its exact rates, checks and row counts).
- floor: `SELECT brand, count(*) FROM t GROUP BY brand`, DuckDB reading the file and grouping.

Each figure is the median of `--runs` timings of the query alone (the file already cached).
The sums omnikpi returns must equal plain SQL's before a ratio is written. Prints a Markdown
table; bench/README.md quotes it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "target" / "duckdb" / "omnikpi.duckdb_extension"
OMNIKPI = ("SELECT brand, omnikpi_aggregate('conversion.rate', {'channel': channel, 'opportunities': sessions, "
           "'conversions': orders}, '{\"table\": \"rows\"}') FROM read_parquet(?) GROUP BY brand")
PLAIN = ("SELECT brand, channel, sum(orders), sum(sessions) FROM read_parquet(?) GROUP BY ALL "
         "UNION ALL SELECT brand, NULL, sum(orders), sum(sessions) FROM read_parquet(?) GROUP BY ALL")
FLOOR = "SELECT brand, count(*) FROM read_parquet(?) GROUP BY brand"


def write_table(rows: int, folder: str) -> str:
    file = os.path.join(folder, f"rate_{rows}.parquet")
    if not os.path.exists(file):
        duckdb.sql(f"""COPY (SELECT ['fr', 'de', 'uk'][(1 + hash(i) % 3)::BIGINT] AS brand,
                      'ch' || lpad((hash(i * 7) % 40)::VARCHAR, 2, '0') AS channel,
                      (hash(i * 13) % 500)::BIGINT AS sessions, ((hash(i * 13) % 500) * (hash(i) % 10) // 100)::BIGINT AS orders
                      FROM range({rows}) r(i)) TO '{file}' (FORMAT parquet)""")
    return file


def timed(con: Any, sql: str, args: list[str], runs: int) -> tuple[float, list[Any]]:
    seconds, rows = [], []
    for _ in range(runs):
        start = time.perf_counter()
        rows = con.execute(sql, args).fetchall()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    file = write_table(args.rows, os.environ.get("BENCH_TMP", tempfile.gettempdir()))
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.load_extension(str(EXTENSION))
    floor, _ = timed(con, FLOOR, [file], args.runs)
    plain, sums = timed(con, PLAIN, [file, file], args.runs)
    ours, results = timed(con, OMNIKPI, [file], args.runs)
    expected = {(b, c): (int(n), int(d)) for b, c, n, d in sums}
    for brand, text in results:
        result = json.loads(text)
        got = {(brand, r["channel"]): (r["conversions"], r["opportunities"]) for r in result["by_channel"]}
        got[(brand, None)] = (result["overall"]["conversions"], result["overall"]["opportunities"])
        assert got == {k: v for k, v in expected.items() if k[0] == brand}, brand
    print(f"| rows | floor s | plain SQL s | omnikpi s | omnikpi / plain | omnikpi / floor |\n|---|---|---|---|---|---|\n"
          f"| {args.rows:,} | {floor:.3f} | {plain:.3f} | {ours:.3f} | {ours / plain:.2f}x | {ours / floor:.2f}x |")


if __name__ == "__main__":
    main()
