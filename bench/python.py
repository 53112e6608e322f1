"""Python overhead: the 5M-journey attribution from a pyarrow table and from a polars DataFrame,
against the Rust-native run on the same long-format data, side by side in one run.

    cargo build --release -p omnikpi-bench && bash scripts/setup.sh
    .venv/bin/python bench/python.py [--journeys 5000000] [--runs 3]

The journeys are attribution-bench's synthetic set in long format (one row per touch: journey_id,
timestamp, channel as a dictionary column, conversions, value as decimal128), written once to
Parquet. Every side reads it into memory first, untimed; then times the same work: the Arrow
batches into omnikpi's long-format builder, and the seven rule-based models in one pass. Python
crosses through the Arrow PyCapsule interface (no copy in Python, no row loop). The results are
compared before any ratio is written. Writes bench/results/python.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

import omnikpi

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ["paid_search", "social", "email", "display", "affiliate", "direct", "web", "app", "store", "call_centre"]
MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "w_shaped"]


def long_table(columns: Path) -> pa.Table:
    offsets = np.fromfile(columns / "offsets.u32", dtype="<u4").astype(np.int64)
    lengths = np.diff(offsets)
    journeys = len(lengths)
    journey_id = np.repeat(np.arange(journeys, dtype=np.int64), lengths)
    channel = np.fromfile(columns / "channel.u16", dtype="<u2").astype(np.int32)
    timestamp = np.fromfile(columns / "timestamp.f64", dtype="<f8").astype(np.int64)
    conversions = np.repeat(np.fromfile(columns / "conversions.u32", dtype="<u4").astype(np.int64), lengths)
    minor = np.repeat(np.fromfile(columns / "value_minor.f64", dtype="<f8").astype(np.int64), lengths)
    # decimal128(18, 2) straight from the minor units: 16-byte little-endian two's complement
    raw = np.zeros((len(minor), 2), dtype=np.int64)
    raw[:, 0] = minor
    raw[:, 1] = minor >> 63
    value = pa.Array.from_buffers(pa.decimal128(18, 2), len(minor), [None, pa.py_buffer(raw.tobytes())])
    return pa.table({
        "journey_id": journey_id,
        "timestamp": timestamp,
        "channel": pa.DictionaryArray.from_arrays(pa.array(channel), pa.array(CHANNELS)),
        "conversions": conversions,
        "value": value,
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    taxonomy = [{"channel": c, "group": "offline" if c in ("store", "call_centre") else "online", "direct": c == "direct"}
                for c in CHANNELS]
    with tempfile.TemporaryDirectory() as tmp:
        cols = Path(tmp) / "columns"
        subprocess.run([str(ROOT / "target" / "release" / "attribution-bench"), "--journeys", str(args.journeys),
                        "--columns", str(cols)], check=True, capture_output=True)
        table = long_table(cols)
        parquet = Path(tmp) / "journeys.parquet"
        pq.write_table(table, parquet, row_group_size=1 << 20)
        native_runs = [json.loads(subprocess.run(
            [str(ROOT / "target" / "release" / "long-bench"), "--parquet", str(parquet), "--models", ",".join(MODELS),
             "--channels", ",".join(CHANNELS)], check=True, capture_output=True, text=True).stdout) for _ in range(args.runs)]
    frame = pl.from_arrow(table)
    timings: dict[str, list[float]] = {"pyarrow": [], "polars": []}
    results: dict[str, object] = {}
    for name, source in (("pyarrow", table), ("polars", frame)):
        for _ in range(args.runs):
            start = time.perf_counter()
            out = omnikpi.attribute(MODELS, source, channels=taxonomy, currency="EUR", timestamp_unit="s")
            timings[name].append(time.perf_counter() - start)
        results[name] = out
    expected = {m: r for m, r in zip(MODELS, native_runs[0]["results"])}
    for name, out in results.items():
        for m in MODELS:
            got = json.loads(json.dumps(out[m].to_dict(), default=str))  # type: ignore[index]
            assert got["channels"] == expected[m]["channels"], f"{name} {m}: results differ from native"
    native = min(r["seconds"] for r in native_runs)
    best = {k: min(v) for k, v in timings.items()}
    summary = {"journeys": args.journeys, "rows": native_runs[0]["rows"], "models": MODELS, "runs": args.runs,
               "native_seconds": native, **{f"{k}_seconds": v for k, v in best.items()},
               **{f"{k}_overhead": v / native - 1 for k, v in best.items()}, "identical_results": True}
    md = f"""# Python overhead: attribution from DataFrames against native

One run of `python bench/python.py --journeys {args.journeys} --runs {args.runs}` (best of {args.runs} each).
{args.journeys:,} journeys in long format ({summary['rows']:,} rows), the seven rule-based models in one pass;
every side reads the data into memory first (untimed), then times ingestion into the builder and the models.
Results compared channel by channel with native: identical.

| source | seconds | overhead vs native |
| --- | ---: | ---: |
| native (Rust, Arrow batches from Parquet) | {native:.2f} | - |
| pyarrow table (`omnikpi.attribute`) | {best['pyarrow']:.2f} | {100 * (best['pyarrow'] / native - 1):+.0f}% |
| polars DataFrame (`omnikpi.attribute`) | {best['polars']:.2f} | {100 * (best['polars'] / native - 1):+.0f}% |

Target: Python overhead under 20%.
"""
    (ROOT / "bench" / "results" / "python.md").write_text(md, encoding="utf-8")
    (ROOT / "bench" / "results" / "python.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
