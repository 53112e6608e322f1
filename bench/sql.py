"""Attribution from SQL: the DuckDB extension against the CLI and a DuckDB floor, on the same
long-format Parquet file, side by side in one run.

    bash scripts/setup.sh && cargo build --release -p omnikpi-bench
    .venv/bin/python bench/sql.py [--journeys 1000000,5000000] [--runs 3]

The table is bench/table.py's (attribution-bench's synthetic journeys as an export holds them: one
row per touch, integer or text journey ids, Parquet timestamps, a dictionary channel column, a
decimal value). Every run is its own process, timed from outside (wall seconds, peak resident
memory); each figure is the median of `--runs`.

- CLI: `omnikpi attribute FILE --model first_touch,last_touch,linear,markov --json`.
- SQL: a Python process that opens DuckDB, loads the extension and runs
  `SELECT omnikpi_attribute(journey_id, timestamp, channel, conversions, value, options)
  FROM read_parquet(FILE)` for the same four models (DuckDB's default threads). The time of the
  query alone, measured inside the process, is reported too.
- DuckDB floor: the same process shape running `SELECT journey_id, list(channel ORDER BY
  timestamp), first(conversions), first(value) FROM read_parquet(FILE) GROUP BY journey_id`:
  DuckDB reading the columns and grouping the rows by journey, the least any SQL must do.

The SQL result must equal the CLI's before a ratio is written. Writes bench/results/sql.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from table import MODELS, median_of, taxonomy_csv, write_tables  # noqa: E402

EXTENSION = ROOT / "target" / "duckdb" / "omnikpi.duckdb_extension"
ATTRIBUTE = ("SELECT omnikpi_attribute(journey_id, timestamp, channel, conversions, value, ?) "
             "FROM read_parquet(?)")
FLOOR = ("SELECT count(*) FROM (SELECT journey_id, list(channel ORDER BY timestamp), first(conversions), "
         "first(value) FROM read_parquet(?) GROUP BY journey_id)")


def connect():  # -> duckdb.DuckDBPyConnection
    import duckdb

    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.load_extension(str(EXTENSION))
    return con


def child_sql(file: str, taxonomy: str) -> None:
    con = connect()
    channels = json.loads(con.execute("SELECT json_group_array(c) FROM read_csv(?) c", [taxonomy]).fetchone()[0])
    options = json.dumps({"model": MODELS, "currency": "EUR", "channels": channels})
    start = time.perf_counter()
    (result,) = con.execute(ATTRIBUTE, [options, file]).fetchone()
    print(json.dumps({"seconds": time.perf_counter() - start, "result": json.loads(result)}))


def child_floor(file: str) -> None:
    con = connect()
    start = time.perf_counter()
    (journeys,) = con.execute(FLOOR, [file]).fetchone()
    print(json.dumps({"seconds": time.perf_counter() - start, "journeys": journeys}))


def one_size(journeys: int, runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        files = write_tables(journeys, Path(tmp))
        tax = taxonomy_csv(Path(tmp) / "channels.csv")
        cli = [str(ROOT / "target" / "release" / "omnikpi"), "attribute", "--model", ",".join(MODELS),
               "--channels", str(tax), "--currency", "EUR", "--json"]
        me = [sys.executable, __file__, "--child"]
        out: dict[str, object] = {"journeys": journeys}
        for ids in ("int", "text"):
            file = str(files[ids])
            side = {"cli": median_of(runs, cli + [file]), "sql": median_of(runs, me + ["sql", file, str(tax)]),
                    "floor": median_of(runs, me + ["floor", file])}
            sql = [json.loads(s) for s in side["sql"].pop("stdouts")]  # type: ignore[attr-defined]
            if any(s["result"] != json.loads(side["cli"]["stdout"]) for s in sql):  # type: ignore[index]
                raise SystemExit(f"SQL and the CLI differ ({ids} ids)")
            side["sql"]["query_seconds"] = statistics.median(s["seconds"] for s in sql)  # type: ignore[index]
            floors = [json.loads(s) for s in side["floor"].pop("stdouts")]  # type: ignore[attr-defined]
            side["floor"]["query_seconds"] = statistics.median(f["seconds"] for f in floors)  # type: ignore[index]
            for value in side.values():
                value.pop("stdout", None)
                value.pop("stdouts", None)
            out[ids] = side
    return out


def report(sizes: list[dict[str, object]], runs: int) -> str:
    lines = [
        "# Attribution from SQL: the DuckDB extension against the CLI and a DuckDB floor", "",
        f"Models {', '.join(MODELS)} in one pass; median of {runs} processes each; wall seconds from outside "
        "(process start, DuckDB and extension load included for SQL), and the query alone inside the process. "
        "The SQL result equals the CLI's in every run.", "",
        "| journeys | ids | CLI s | SQL s | SQL query s | SQL / CLI | floor query s | SQL query / floor | CLI MiB | SQL MiB |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for size in sizes:
        for ids in ("int", "text"):
            s = size[ids]  # type: ignore[index]
            cli, sql, floor = s["cli"], s["sql"], s["floor"]
            lines.append(
                f"| {size['journeys']:,} | {ids} | {cli['seconds']:.2f} | {sql['seconds']:.2f} | "
                f"{sql['query_seconds']:.2f} | {sql['seconds'] / cli['seconds']:.2f}x | {floor['query_seconds']:.2f} | "
                f"{sql['query_seconds'] / floor['query_seconds']:.1f}x | {cli['peak_mib']:.0f} | {sql['peak_mib']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, *rest = sys.argv[2:]
        {"sql": child_sql, "floor": child_floor}[kind](*rest)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", default="1000000,5000000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [one_size(int(n), args.runs) for n in args.journeys.split(",")]
    md = report(sizes, args.runs)
    (ROOT / "bench" / "results" / "sql.md").write_text(md, encoding="utf-8")
    (ROOT / "bench" / "results" / "sql.json").write_text(json.dumps(sizes, indent=2) + "\n", encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
