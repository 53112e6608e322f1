"""Exact Markov attribution at orders 1 to 4 against channelattribution's simulated Markov,
from the same long-format Parquet file, side by side in one run.

    bash scripts/setup.sh && cargo build --release -p omnikpi-cli
    .venv/bin/pip install channelattribution            # about 30 s: builds its C++ core
    .venv/bin/python bench/markov.py [--journeys 5000000] [--orders 1,2,3,4] [--runs 3] [--ca-runs 1]

The table: `--journeys` journeys over 30 channels (a few popular, a long tail), each continuing
with probability 0.7 a step (at most 30 touches), the next channel often a neighbour of the
last, so windows of 3 and 4 channels repeat and loop as in real journeys; conversion more
likely after five "good" channels and on longer paths; a decimal value. Integer journey ids,
Parquet timestamps, a dictionary channel column.

- omnikpi CLI: `omnikpi attribute FILE --model markov --params '{"markov": {"order": k,
  "transition_matrix": false}}' --json`: reading, building the journeys, counting the chain and
  solving it exactly (every removal effect).
- channelattribution 2.2.5: polars reads the columns and aggregates unique paths (its input),
  then `markov_model(order=k, ncore=2)` with its defaults (simulation, seed 0).

Each figure is the median of its runs, each run its own process timed from outside (wall
seconds; peak resident memory as the process's own `VmHWM`). channelattribution's error is
measured against omnikpi's exact result: per channel, |ca - exact| / exact on attributed
conversions, reported as the largest over channels holding at least 1% of the credit and as the
credit-weighted mean (sum |ca - exact| / sum exact).

Writes bench/results/markov.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from table import measured, unique_paths  # noqa: E402  (one way to time a child, one path table)

CHANNELS = 30


def write_table(journeys: int, path: Path) -> Path:
    """The long table (see the module's docstring) and its taxonomy CSV next to it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(7)
    popularity = 1 / np.arange(1, CHANNELS + 1) ** 0.8
    popularity /= popularity.sum()
    length = np.minimum(1 + rng.geometric(0.3, journeys), 30)
    longest = int(length.max())
    ch = np.empty((journeys, longest), np.int16)
    ch[:, 0] = rng.choice(CHANNELS, journeys, p=popularity)
    for k in range(1, longest):
        u = rng.random(journeys)
        near = (ch[:, k - 1] + rng.integers(1, 4, journeys)) % CHANNELS
        fresh = rng.choice(CHANNELS, journeys, p=popularity)
        ch[:, k] = np.where(u < 0.25, ch[:, k - 1], np.where(u < 0.6, near, fresh))
    mask = np.arange(longest)[None, :] < length[:, None]
    good = np.isin(ch, [2, 5, 11, 17, 23]) & mask
    p = 0.03 + 0.04 * good.sum(1).clip(0, 4) + 0.01 * length.clip(0, 10)
    conversions = (rng.random(journeys) < p).astype(np.int64)
    cents = np.where(conversions > 0, rng.integers(500, 50000, journeys), 0)
    jid = np.repeat(np.arange(journeys, dtype=np.int64), length)
    position = np.nonzero(mask)[1]
    text = np.char.add(np.char.add((cents // 100).astype("U8"), "."), np.char.zfill((cents % 100).astype("U2"), 2))
    table = pa.table({
        "journey_id": jid,
        "timestamp": pa.array(1767225600 + jid * 7 + position * 3600, pa.timestamp("s", tz="UTC")),
        "channel": pa.DictionaryArray.from_arrays(pa.array(ch[mask].astype(np.int32)),
                                                  pa.array([f"ch{i:02d}" for i in range(CHANNELS)])),
        "conversions": np.repeat(conversions, length),
        "value": pa.array(text).cast(pa.decimal128(14, 2)).take(pa.array(jid)),
    })
    pq.write_table(table, path, row_group_size=1 << 20)
    taxonomy = path.with_suffix(".channels.csv")
    taxonomy.write_text("channel,group,direct\n" + "".join(f"ch{i:02d},online,false\n" for i in range(CHANNELS)),
                        encoding="utf-8")
    return path


def child_ca(file: str, order: str) -> None:
    import ChannelAttribution as ca

    paths = unique_paths(file)
    result = ca.markov_model(paths, "path", "total_conversions", var_value="total_conversion_value",
                             var_null="total_null", order=int(order), sep=">", ncore=2, verbose=False,
                             flg_pro=False)
    print(json.dumps({"paths": len(paths), "markov": result.to_dict(orient="list")}))


def median_of(runs: int, cmd: list[str]) -> dict[str, object]:
    samples = [measured(cmd) for _ in range(runs)]
    return {"seconds": statistics.median(s[0] for s in samples), "peak_mib": statistics.median(s[1] for s in samples),
            "runs": [round(s[0], 2) for s in samples], "stdout": samples[-1][2]}


def errors(exact: list[dict[str, str]], simulated: dict[str, list]) -> dict[str, float]:
    """channelattribution's relative error on attributed conversions, against the exact result."""
    ours = {c["channel"]: float(c["conversions"]) for c in exact}
    theirs = dict(zip(simulated["channel_name"], simulated["total_conversions"]))
    total = sum(ours.values())
    big = [ch for ch, v in ours.items() if v >= 0.01 * total]
    return {
        "max_relative_error": max(abs(theirs.get(ch, 0.0) - ours[ch]) / ours[ch] for ch in big),
        "weighted_relative_error": sum(abs(theirs.get(ch, 0.0) - v) for ch, v in ours.items()) / total,
    }


def one_order(file: Path, order: int, runs: int, ca_runs: int) -> dict[str, object]:
    cli = ROOT / "target" / "release" / "omnikpi"
    params = json.dumps({"markov": {"order": order, "transition_matrix": False}})
    ours = median_of(runs, [str(cli), "attribute", str(file), "--model", "markov", "--channels",
                            str(file.with_suffix(".channels.csv")), "--currency", "EUR", "--json", "--params", params])
    result = json.loads(ours.pop("stdout"))[0]  # type: ignore[arg-type]
    ca = median_of(ca_runs, [sys.executable, __file__, "--child-ca", str(file), str(order)])
    # channelattribution prints a banner on stdout first: the result is the last line
    simulated = json.loads(str(ca.pop("stdout")).strip().splitlines()[-1])
    assert result["order"] == order
    total = sum(float(c["conversions"]) for c in result["channels"])
    assert abs(total - float(result["totals"]["conversions"])) < 1e-6, "the exact credit must sum to the total"
    return {"order": order, "states": result["states"], "paths": simulated["paths"], "omnikpi": ours,
            "channelattribution": ca, **errors(result["channels"], simulated["markov"])}


def report(journeys: int, touches: int, rows: list[dict[str, object]], runs: int, ca_runs: int) -> str:
    lines = [
        "# Markov attribution at orders 1 to 4: exact (omnikpi) against simulated (channelattribution)",
        "",
        f"{journeys:,} journeys, {touches:,} touch rows over {CHANNELS} channels, one long Parquet file "
        "(bench/markov.py). omnikpi: the CLI from the file to the exact result; channelattribution 2.2.5: "
        "polars reads and aggregates unique paths, then `markov_model(order=k, ncore=2)`. Medians of "
        f"{runs} runs (omnikpi) and {ca_runs} (channelattribution), each its own process; 2-core shared "
        "machine. Error: channelattribution's attributed conversions against the exact ones.",
        "",
        "| order | states | unique paths | omnikpi s | omnikpi peak MiB | ca s | ca peak MiB | ca / omnikpi | ca error, largest | ca error, weighted |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        o, c = r["omnikpi"], r["channelattribution"]
        lines.append(
            f"| {r['order']} | {r['states']:,} | {r['paths']:,} | {o['seconds']:.2f} | {o['peak_mib']:.0f} | "  # type: ignore[index]
            f"{c['seconds']:.2f} | {c['peak_mib']:.0f} | {c['seconds'] / o['seconds']:.1f}x | "  # type: ignore[index]
            f"{r['max_relative_error']:.1%} | {r['weighted_relative_error']:.1%} |")
    lines += ["", "Single runs: " + "; ".join(
        f"order {r['order']}: omnikpi {r['omnikpi']['runs']}, ca {r['channelattribution']['runs']}" for r in rows)]  # type: ignore[index]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-ca":
        child_ca(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=5_000_000)
    parser.add_argument("--orders", default="1,2,3,4")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ca-runs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        file = write_table(args.journeys, Path(tmp) / "journeys.parquet")
        touches = pq.ParquetFile(file).metadata.num_rows
        rows = []
        for order in [int(o) for o in args.orders.split(",")]:
            rows.append(one_order(file, order, args.runs, args.ca_runs))
            print(json.dumps({k: v for k, v in rows[-1].items()}), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "markov.json").write_text(json.dumps({"journeys": args.journeys, "touches": touches, "orders": rows},
                                                     indent=2) + "\n", encoding="utf-8")
    (args.out / "markov.md").write_text(report(args.journeys, touches, rows, args.runs, args.ca_runs), encoding="utf-8")
    print(report(args.journeys, touches, rows, args.runs, args.ca_runs))


if __name__ == "__main__":
    main()
