"""End to end from the table a user holds: omnikpi against channelattribution and a polars floor,
from the same long-format Parquet file, side by side in one run.

    bash scripts/setup.sh && cargo build --release -p omnikpi-bench
    .venv/bin/pip install channelattribution            # about 30 s: builds its C++ core
    .venv/bin/python bench/table.py [--journeys 1000000,5000000] [--runs 3]

The table is attribution-bench's synthetic set in long format, as an export holds it: one row per
touch, journey ids as integers or as text (`u123`), timestamps as Parquet timestamps, the channel as
a dictionary column, conversions and the value (decimal) repeated on each row, and a column no
model uses (`page`), written once per id kind. Every run is its own process, timed from outside
(wall seconds, peak resident memory from `wait4`); each figure is the median of `--runs`.

- omnikpi CLI: `omnikpi attribute FILE --model first_touch,last_touch,linear,markov --json`:
  reading, building the journeys and the four models (exact Markov, order 1). Also from the same
  table written as CSV (the streaming path; its memory is the figure that matters).
- channelattribution 2.2.5, its best path: polars reads the columns, sorts each journey's touches,
  joins them into paths and aggregates unique paths (conversions, value, nulls), then
  `heuristic_models` (first, last, linear) and `markov_model` (order 1, ncore 2, its defaults).
- polars floor: read the same columns and group the rows by journey (each journey's channels and
  timestamps as lists, its conversions and value): the least any tool must do with this table.
- Python: `omnikpi.attribute` on a polars DataFrame, a pyarrow table and a pandas DataFrame already
  in memory, timed inside the process around the call, against `long-bench` (native, same data in
  memory, same call path); each process times `CALLS` calls and reports their median (this shared
  machine varies by ±20% from one call to the next; pandas with NumPy dtypes, 50 s a call, once). Results are compared with the CLI's before any ratio is written; first-
  and last-touch conversions per channel must equal channelattribution's.

Writes bench/results/table.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["first_touch", "last_touch", "linear", "markov"]
COLUMNS = ["journey_id", "timestamp", "channel", "conversions", "value"]
SOURCES = ["polars", "pyarrow", "pandas", "pandas-numpy"]
CALLS = 3  # calls timed in each Python and native process; their median is the process's figure


def write_tables(journeys: int, tmp: Path) -> dict[str, Path]:
    """The long table with integer and with text ids as Parquet, and the text one as CSV."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT / "bench"))
    from python import long_table

    cols = tmp / "columns"
    subprocess.run([str(ROOT / "target" / "release" / "attribution-bench"), "--journeys", str(journeys),
                    "--columns", str(cols)], check=True, capture_output=True)
    table = long_table(cols)
    table = table.set_column(1, "timestamp", table["timestamp"].cast(pa.timestamp("s", tz="UTC")))
    pages = pa.DictionaryArray.from_arrays(pa.array(np.arange(table.num_rows, dtype=np.int32) % 50),
                                           pa.array([f"/shop/page-{i}" for i in range(50)]))
    table = table.append_column("page", pages)
    text = table.set_column(0, "journey_id", pa.array(np.char.add("u", table["journey_id"].to_numpy().astype("U12"))))
    files = {"int": tmp / "int.parquet", "text": tmp / "text.parquet", "csv": tmp / "text.csv"}
    pq.write_table(table, files["int"], row_group_size=1 << 20)
    pq.write_table(text, files["text"], row_group_size=1 << 20)
    plain = text.set_column(2, "channel", text["channel"].cast(pa.string()))
    pcsv.write_csv(plain.drop_columns(["page"]), files["csv"])
    return files


def taxonomy_csv(path: Path) -> Path:
    from python import CHANNELS

    lines = ["channel,group,direct"] + [
        f"{c},{'offline' if c in ('store', 'call_centre') else 'online'},{'true' if c == 'direct' else 'false'}"
        for c in CHANNELS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def measured(cmd: list[str]) -> tuple[float, float, str]:
    """Runs `cmd`; its wall seconds, its peak resident memory in MiB and its stdout. The peak is
    the process's own high-water mark (`VmHWM`), read until it exits: `wait4`'s `ru_maxrss` would
    count the pages of this (large) parent that the child had before it ran the command."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak_kib = 0
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                hwm = next((line for line in status.read_text().splitlines() if line.startswith("VmHWM:")), "")
                peak_kib = max(peak_kib, int(hwm.split()[1])) if hwm else peak_kib
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(0.002)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd} failed: {err.read().decode()[-2000:]}")
        return seconds, peak_kib / 1024, out.read().decode()


# ---- the child processes -------------------------------------------------------------------

def child_floor(file: str) -> None:
    import polars as pl

    df = pl.read_parquet(file, columns=COLUMNS)
    grouped = df.group_by("journey_id", maintain_order=True).agg(
        pl.col("channel"), pl.col("timestamp"), pl.col("conversions").first(), pl.col("value").first())
    print(json.dumps({"journeys": grouped.height}))


def unique_paths(file: str):  # -> pandas.DataFrame
    """channelattribution's input from the long table: each journey's channels sorted by time and
    joined with `>`, aggregated by path (conversions, value, nulls), read and grouped by polars."""
    import polars as pl

    df = pl.read_parquet(file, columns=COLUMNS)
    return (
        df.group_by("journey_id").agg(
            path=pl.col("channel").cast(pl.Utf8).sort_by("timestamp").str.join(">"),
            conversions=pl.col("conversions").first(),
            value=pl.col("value").first().cast(pl.Float64))
        .group_by("path").agg(
            total_conversions=pl.col("conversions").sum(),
            total_conversion_value=pl.col("value").sum(),
            total_null=(pl.col("conversions") == 0).sum())
    ).to_pandas()


def child_ca(file: str) -> None:
    import ChannelAttribution as ca

    paths = unique_paths(file)
    heuristic = ca.heuristic_models(paths, "path", "total_conversions", var_value="total_conversion_value",
                                    sep=">", flg_pro=False)
    markov = ca.markov_model(paths, "path", "total_conversions", var_value="total_conversion_value",
                             var_null="total_null", order=1, sep=">", ncore=2, verbose=False, flg_pro=False)
    print(json.dumps({"heuristic": heuristic.to_dict(orient="list"), "markov": markov.to_dict(orient="list")}))


def child_python(source: str, file: str) -> None:
    import pyarrow.parquet as pq

    import omnikpi
    from python import CHANNELS

    table = pq.read_table(file, columns=COLUMNS)
    if source == "polars":
        import polars as pl
        data = pl.from_arrow(table)
    elif source == "pandas":
        import pandas as pd
        data = table.to_pandas(types_mapper=pd.ArrowDtype)  # as pd.read_parquet(f, dtype_backend="pyarrow")
    elif source == "pandas-numpy":
        data = table.to_pandas()  # decimals become Python Decimal objects
    else:
        data = table
    taxonomy = [{"channel": c, "group": "offline" if c in ("store", "call_centre") else "online",
                 "direct": c == "direct"} for c in CHANNELS]
    times = []
    for _ in range(1 if source == "pandas-numpy" else CALLS):  # pandas-numpy: about 50 s a call
        start = time.perf_counter()
        out = omnikpi.attribute(MODELS, data, channels=taxonomy, currency="EUR")
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    results = {m: json.loads(json.dumps(out[m].to_dict(), default=str))["channels"] for m in MODELS}
    print(json.dumps({"seconds": seconds, "results": results}))


# ---- the run --------------------------------------------------------------------------------

def median_of(runs: int, cmd: list[str]) -> dict[str, object]:
    results = [measured(cmd) for _ in range(runs)]
    return {"seconds": statistics.median(r[0] for r in results), "peak_mib": statistics.median(r[1] for r in results),
            "runs": [round(r[0], 3) for r in results], "stdout": results[0][2], "stdouts": [r[2] for r in results]}


def in_process(measure: dict[str, object]) -> float:
    """The median of the seconds each run measured inside its process."""
    return statistics.median(json.loads(s)["seconds"] for s in measure["stdouts"])  # type: ignore[union-attr]


def one_size(journeys: int, runs: int) -> dict[str, object]:
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        files = write_tables(journeys, Path(tmp))
        tax = taxonomy_csv(Path(tmp) / "channels.csv")
        cli = [str(ROOT / "target" / "release" / "omnikpi"), "attribute", "--model", ",".join(MODELS),
               "--channels", str(tax), "--currency", "EUR", "--json"]
        me = [sys.executable, __file__]
        out: dict[str, object] = {"journeys": journeys}
        for ids in ("int", "text"):
            file = str(files[ids])
            table = pq.read_table(file, columns=COLUMNS)
            side: dict[str, object] = {"rows": table.num_rows, "column_bytes": table.nbytes}
            del table
            side["omnikpi"] = median_of(runs, cli + [file])
            side["channelattribution"] = median_of(runs, me + ["--child", "ca", file])
            side["floor"] = median_of(runs, me + ["--child", "floor", file])
            side["native"] = median_of(runs, [str(ROOT / "target" / "release" / "long-bench"), "--parquet", file,
                                              "--models", ",".join(MODELS), "--channels", channels_arg(),
                                              "--calls", str(CALLS)])
            for source in SOURCES:
                side[source] = median_of(runs, me + ["--child", "python", source, file])
            check(side)
            out[ids] = side
        out["csv"] = median_of(runs, cli + [str(files["csv"])])
        out["csv"]["file_mib"] = files["csv"].stat().st_size / 2**20
        if out["csv"].pop("stdout") != out["text"]["omnikpi"]["stdout"]:  # type: ignore[index]
            raise SystemExit("the CSV and the Parquet table gave different results")
        del out["csv"]["stdouts"]  # type: ignore[attr-defined]
    for ids in ("int", "text"):
        for value in out[ids].values():  # type: ignore[union-attr]
            if isinstance(value, dict):
                value.pop("stdout", None)
                value.pop("stdouts", None)
    return out


def channels_arg() -> str:
    from python import CHANNELS
    return ",".join(CHANNELS)


def check(side: dict[str, object]) -> None:
    """Every omnikpi run gives the CLI's numbers; first and last touch equal channelattribution's."""
    cli = {m: r["channels"] for m, r in zip(MODELS, json.loads(side["omnikpi"]["stdout"]))}  # type: ignore[index]
    native = json.loads(side["native"]["stdout"])["results"]  # type: ignore[index]
    for m, r in zip(MODELS, native):
        if r["channels"] != cli[m]:
            raise SystemExit(f"native {m} differs from the CLI")
    side["native_seconds_in_process"] = in_process(side["native"])  # type: ignore[arg-type]
    for source in SOURCES:
        got = json.loads(side[source]["stdout"])  # type: ignore[index]
        if got["results"] != cli:
            raise SystemExit(f"Python from {source} differs from the CLI")
        side[f"{source}_seconds_in_process"] = in_process(side[source])  # type: ignore[arg-type]
    # channelattribution prints a banner of its own before our line
    theirs = json.loads(str(side["channelattribution"]["stdout"]).strip().splitlines()[-1])["heuristic"]  # type: ignore[index]
    for ours, column in (("first_touch", "first_touch_conversions"), ("last_touch", "last_touch_conversions")):
        expected = {c["channel"]: float(c["conversions"]) for c in cli[ours]}
        for name, value in zip(theirs["channel_name"], theirs[column]):
            if abs(expected.get(name, 0.0) - value) > 1e-6 * max(1.0, value):
                raise SystemExit(f"{ours} of {name}: channelattribution {value}, omnikpi {expected.get(name)}")


def report(sizes: list[dict[str, object]], runs: int) -> str:
    lines = [
        "# From the table a user holds: omnikpi against channelattribution and a polars floor",
        "",
        f"One run of `python bench/table.py --journeys {','.join(str(s['journeys']) for s in sizes)} --runs {runs}` "
        f"(median of {runs} runs each, every run its own process), {os.cpu_count()} cores.",
        "The same long-format Parquet file for every tool; first, last, linear and Markov (order 1) attribution.",
        "Results compared before any ratio is written: every omnikpi front end gives the CLI's numbers,",
        "first- and last-touch conversions equal channelattribution's.",
        "",
        "## End to end: read, build journeys, four models",
        "",
        "| journeys | ids | rows | omnikpi CLI s | channelattribution s | polars floor s | ca / omnikpi | omnikpi / floor |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in sizes:
        for ids in ("int", "text"):
            d = s[ids]  # type: ignore[index]
            ours, ca, floor = (d[k]["seconds"] for k in ("omnikpi", "channelattribution", "floor"))
            lines.append(f"| {s['journeys']:,} | {ids} | {d['rows']:,} | {ours:.2f} | {ca:.2f} | {floor:.2f} "
                         f"| {ca / ours:.1f}x | {ours / floor:.2f}x |")
    lines += ["", "Targets: ≥ 10x channelattribution, ≤ 2x the floor.", "",
              "## Memory: peak resident", "",
              "| journeys | input | bytes of the columns used (Arrow) | omnikpi MiB | ratio | channelattribution MiB | floor MiB |",
              "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for s in sizes:
        for ids in ("int", "text"):
            d = s[ids]  # type: ignore[index]
            used = d["column_bytes"] / 2**20
            lines.append(f"| {s['journeys']:,} | Parquet, {ids} ids | {used:.0f} MiB | {d['omnikpi']['peak_mib']:.0f} "
                         f"| {d['omnikpi']['peak_mib'] / used:.2f}x | {d['channelattribution']['peak_mib']:.0f} "
                         f"| {d['floor']['peak_mib']:.0f} |")
        c = s["csv"]  # type: ignore[index]
        lines.append(f"| {s['journeys']:,} | CSV, text ids ({c['file_mib']:.0f} MiB file) | - | {c['peak_mib']:.0f} | - | - | - |")
    lines += ["", "Targets: ≤ 2x the bytes of the columns used; the CSV path streams (5M journeys within 4 GiB).",
              "", "## Python: `omnikpi.attribute` on data in memory, against native", "",
              "| journeys | ids | native s | polars | pyarrow | pandas (Arrow dtypes) | pandas (NumPy dtypes) |",
              "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for s in sizes:
        for ids in ("int", "text"):
            d = s[ids]  # type: ignore[index]
            native = d["native_seconds_in_process"]
            cells = " | ".join(f"{d[f'{k}_seconds_in_process']:.2f} s ({100 * (d[f'{k}_seconds_in_process'] / native - 1):+.0f}%)"
                               for k in SOURCES)
            lines.append(f"| {s['journeys']:,} | {ids} | {native:.2f} | {cells} |")
    lines += ["", f"Target: within 20% of native (each process times {CALLS} calls, pandas with NumPy dtypes 1; the median over the runs of each process's median call).",
              "pandas with NumPy dtypes holds decimal money as Python `Decimal` objects: pandas' own export to Arrow",
              "(its `__arrow_c_stream__`) converts them one by one, and that conversion is most of the time; pandas with",
              "Arrow dtypes (`pd.read_parquet(f, dtype_backend=\"pyarrow\")`) hands the columns over as they are.", ""]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT / "bench"))
        kind, *rest = sys.argv[2:]
        {"floor": child_floor, "ca": child_ca, "python": child_python}[kind](*rest)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", default="1000000,5000000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    sizes = [one_size(int(n), args.runs) for n in args.journeys.split(",")]
    md = report(sizes, args.runs)
    (ROOT / "bench" / "results" / "table.md").write_text(md, encoding="utf-8")
    (ROOT / "bench" / "results" / "table.json").write_text(json.dumps(sizes, indent=2) + "\n", encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
