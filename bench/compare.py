#!/usr/bin/env python3
"""Side-by-side attribution benchmark: omnikpi (Rust, native) against the Python package
`channelattribution`, on the same deterministic synthetic journeys, in one run.

- omnikpi: every model on the journeys (one process per model, so each peak memory is its own),
  plus all rule-based models in one pass; timed by the Rust binary itself.
- channelattribution: `heuristic_models` (first, last, linear) and `markov_model` (order 1,
  Monte Carlo, seeded) on the unique paths of the same journeys (its input format), each in a
  child process measured for wall time and peak memory.
- Reports the speed ratio per model, and the per-channel difference between its simulated
  Markov result and omnikpi's exact one (expected to be small but not zero: it is an estimate).

Usage: .venv/bin/python bench/compare.py [--journeys 5000000] [--out bench/results]
Needs: pip install channelattribution matplotlib pandas (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "target" / "release" / "attribution-bench"
MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "w_shaped",
          "markov", "shapley", "shapley.ordered", "shapley.rate"]

CA_SCRIPT = textwrap.dedent(
    """
    import io, json, resource, sys, time, contextlib
    import pandas as pd
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution as ca          # prints a banner on import
    paths = pd.read_csv(sys.argv[1])
    which = sys.argv[2]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if which == "heuristic":
            out = ca.heuristic_models(paths, "path", "conversions", var_value="value", sep=">")
        else:
            out = ca.markov_model(paths, "path", "conversions", var_value="value", var_null="nulls",
                                  order=1, sep=">", seed=0, verbose=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "result": out.to_dict(orient="list")}))
    """
)


def run_omnikpi(journeys: int, model: str) -> dict:
    out = subprocess.run([str(BENCH), "--journeys", str(journeys), "--model", model],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_ca(paths: Path, which: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CA_SCRIPT, str(paths), which], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, default=5_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "omnikpi-bench"], check=True, cwd=ROOT)
    args.out.mkdir(parents=True, exist_ok=True)

    ours = {m: run_omnikpi(args.journeys, m) for m in MODELS}
    heuristics = run_omnikpi(args.journeys, "heuristics")
    with tempfile.TemporaryDirectory() as tmp:
        paths = Path(tmp) / "paths.csv"
        subprocess.run([str(BENCH), "--journeys", str(args.journeys), "--paths", str(paths)], check=True, capture_output=True)
        unique_paths = sum(1 for _ in paths.open()) - 1
        ca_heuristic = run_ca(paths, "heuristic")
        ca_markov = run_ca(paths, "markov")

    rows = []
    for m, r in ours.items():
        ca = {"first_touch": ca_heuristic, "last_touch": ca_heuristic, "linear": ca_heuristic, "markov": ca_markov}.get(m)
        rows.append({
            "model": m,
            "omnikpi_seconds": r["seconds"],
            "omnikpi_model_mib": (r["peak_mib"] or 0) - (r["baseline_mib"] or 0),
            "channelattribution_seconds": ca["seconds"] if ca else None,
            "channelattribution_peak_mib": ca["peak_mib"] if ca else None,
            "speedup": ca["seconds"] / r["seconds"] if ca else None,
        })
    # Per-channel difference of channelattribution's simulated Markov from the exact solution.
    exact = {c["channel"]: float(c["conversions"]) for c in ours["markov"]["result"]["channels"]}
    simulated = dict(zip(ca_markov["result"]["channel_name"], ca_markov["result"]["total_conversions"]))
    differences = [{"channel": c, "exact": exact[c], "channelattribution": simulated.get(c),
                    "relative_difference": (simulated[c] - exact[c]) / exact[c] if c in simulated and exact[c] else None}
                   for c in exact if c != "(none)"]
    report = {
        "journeys": args.journeys, "unique_paths": unique_paths, "threads": heuristics["threads"],
        "all_rule_based_models_one_pass_seconds": heuristics["seconds"],
        "models": rows, "markov_difference": differences,
        "note": "channelattribution computes first, last and linear in one heuristic_models call; its time is "
                "compared with each of ours. Its markov_model is a seeded Monte Carlo estimate, ours is exact.",
    }
    (args.out / "attribution.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# Attribution benchmark: {args.journeys:,} journeys ({unique_paths:,} unique paths), {heuristics['threads']} threads", "",
             f"All 7 rule-based models in one pass: **{heuristics['seconds']:.2f} s**", "",
             "| model | omnikpi s | omnikpi model MiB | channelattribution s | channelattribution peak MiB | speed-up |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ca_s = f"{r['channelattribution_seconds']:.2f}" if r["channelattribution_seconds"] else "-"
        ca_m = f"{r['channelattribution_peak_mib']:.0f}" if r["channelattribution_peak_mib"] else "-"
        sp = f"{r['speedup']:.1f}x" if r["speedup"] else "-"
        lines.append(f"| {r['model']} | {r['omnikpi_seconds']:.2f} | {r['omnikpi_model_mib']:.0f} | {ca_s} | {ca_m} | {sp} |")
    lines += ["", "Markov, attributed conversions: exact (omnikpi) vs simulated (channelattribution)", "",
              "| channel | exact | channelattribution | relative difference |", "| --- | ---: | ---: | ---: |"]
    for d in differences:
        rel = f"{d['relative_difference'] * 100:+.2f}%" if d["relative_difference"] is not None else "-"
        lines.append(f"| {d['channel']} | {d['exact']:.2f} | {d['channelattribution'] or 0:.2f} | {rel} |")
    (args.out / "attribution.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
