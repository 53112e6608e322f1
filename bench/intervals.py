"""Confidence intervals: what they cost, and how often they hold the truth.

    bash scripts/setup.sh && cargo build --release -p omnikpi-bench
    .venv/bin/python bench/intervals.py [--journeys 5000000] [--markov-journeys 1000000] [--runs 3] [--trials 200]

1. Cost. `long-bench` on the long-format Parquet table of bench/table.py (integer ids), the same
   models with and without `--intervals 200`, each run its own process (in-process time of the
   call: reading the table into journeys and the models; medians of `--runs`). Targets: 200
   replicates of every rule-based model within 10x the point estimate's time at 5M journeys;
   Markov with 200 replicates on 1M journeys within a minute on this 2-core machine.
2. Coverage. A population of journeys with a known truth: 1 to 4 touches, each channel drawn with
   fixed probabilities (the first touch from its own), a conversion whose probability depends on the channels touched. Every
   path of the population is enumerated, so each channel's expected linear and first-touch credit
   per journey is exact. Each trial draws a Poisson(3,000) number of journeys (a period's
   traffic), asks for 95% intervals (200 replicates, the trial's seed) and checks whether each
   channel's interval holds the truth: its share of conversions, and its attributed conversions
   (3,000 times the expected credit per journey).

Writes bench/results/intervals.{md,json}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

RULE_MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "w_shaped"]
CHANNELS = ["search", "social", "email", "store"]
PICK_FIRST = [0.55, 0.25, 0.15, 0.05]  # the first touch: mostly search
PICK = [0.2, 0.3, 0.3, 0.2]  # the later ones
RATE = 3000


def long_bench(file: Path, models: list[str], replicates: int | None, calls: int) -> float:
    from python import CHANNELS as BENCH_CHANNELS

    cmd = [str(ROOT / "target" / "release" / "long-bench"), "--parquet", str(file), "--models", ",".join(models),
           "--channels", ",".join(BENCH_CHANNELS), "--calls", str(calls)]
    if replicates:
        cmd += ["--intervals", str(replicates)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    if replicates:
        assert all("intervals" in r for r in result["results"]), "a model without intervals"
    return float(result["seconds"])


def cost(journeys: int, markov_journeys: int, runs: int) -> dict[str, object]:
    from table import write_tables

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        for size, models, label in ((journeys, RULE_MODELS, "rule-based"), (markov_journeys, ["markov"], "markov")):
            sub = Path(tmp) / str(size)
            sub.mkdir(exist_ok=True)
            file = write_tables(size, sub)["int"]
            point = statistics.median(long_bench(file, models, None, 1) for _ in range(runs))
            with_intervals = statistics.median(long_bench(file, models, 200, 1) for _ in range(runs))
            out[label] = {"journeys": size, "models": models, "point_seconds": point,
                          "intervals_seconds": with_intervals, "ratio": with_intervals / point}
            print(label, out[label], file=sys.stderr)
    return out


# ---- coverage -------------------------------------------------------------------------------

def convert_probability(path: tuple[int, ...]) -> float:
    touched = set(path)
    return 0.05 + 0.10 * (2 in touched) + 0.08 * (3 in touched) + 0.03 * len(path)


def population() -> list[tuple[tuple[int, ...], float]]:
    """Every path (1 to 4 touches) with its probability."""
    paths = []
    for length in range(1, 5):
        for path in itertools.product(range(4), repeat=length):
            p = 0.25 * PICK_FIRST[path[0]]
            for c in path[1:]:
                p *= PICK[c]
            paths.append((path, p))
    return paths


def truth(model: str) -> tuple[list[float], list[float]]:
    """Per channel: expected attributed conversions per journey, and share of conversions."""
    credit = [0.0] * 4
    for path, p in population():
        q = p * convert_probability(path)
        if model == "linear":
            for c in path:
                credit[c] += q / len(path)
        else:
            credit[path[0]] += q
    total = sum(credit)
    return credit, [c / total for c in credit]


def coverage(trials: int) -> dict[str, object]:
    import numpy as np

    import omnikpi

    taxonomy = [{"channel": c, "group": "offline" if c == "store" else "online"} for c in CHANNELS]
    paths = population()
    probs = np.array([p for _, p in paths])
    probs /= probs.sum()
    out: dict[str, object] = {}
    for model in ("linear", "first_touch"):
        per_journey, shares = truth(model)
        hits = {"conversions": [0] * 4, "share": [0] * 4}
        widths = [[] for _ in range(4)]
        for trial in range(trials):
            rng = np.random.default_rng(1000 + trial)
            n = int(rng.poisson(RATE))
            drawn = rng.choice(len(paths), size=n, p=probs)
            converts = rng.random(n)
            journeys = []
            for i, (k, u) in enumerate(zip(drawn, converts)):
                path = paths[k][0]
                journeys.append({"journey_id": f"t{trial}-{i}", "conversions": int(u < convert_probability(path)),
                                 "touches": [{"channel": CHANNELS[c], "timestamp": 60 * t} for t, c in enumerate(path)]})
            r = omnikpi.attribute(model, journeys, channels=taxonomy, currency="EUR", intervals=True,
                                  replicates=200, confidence="0.95", seed=trial)
            for c, row in enumerate(r["intervals"]["channels"][:4]):
                expected = RATE * per_journey[c]
                hits["conversions"][c] += row["conversions_low"] <= Decimal(repr(expected)) <= row["conversions_high"]
                hits["share"][c] += row["share_low"] <= Decimal(repr(shares[c])) <= row["share_high"]
                widths[c].append(float(row["share_high"] - row["share_low"]))
        out[model] = {
            "trials": trials,
            "truth_share": dict(zip(CHANNELS, shares)),
            "coverage_conversions": {c: h / trials for c, h in zip(CHANNELS, hits["conversions"])},
            "coverage_share": {c: h / trials for c, h in zip(CHANNELS, hits["share"])},
            "median_share_width": {c: statistics.median(w) for c, w in zip(CHANNELS, widths)},
        }
        print(model, out[model], file=sys.stderr)
    return out


def report(measured: dict[str, object], runs: int, trials: int) -> str:
    lines = ["# Confidence intervals: cost and coverage", "",
             f"One run of `python bench/intervals.py` ({runs} runs per figure, medians; 2 cores).", "",
             "## Cost: 200 bootstrap replicates against the point estimate", "",
             "| models | journeys | point s | with intervals s | ratio | target |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for label, target in (("rule-based", "≤ 10x"), ("markov", "≤ 60 s")):
        m = measured["cost"][label]  # type: ignore[index]
        lines.append(f"| {label} ({', '.join(m['models'])}) | {m['journeys']:,} | {m['point_seconds']:.2f} | "
                     f"{m['intervals_seconds']:.2f} | {m['ratio']:.1f}x | {target} |")
    lines += ["", "Time of reading the Parquet table into journeys and running the models, in the process.", "",
              f"## Coverage of the 95% interval ({trials} trials, Poisson({RATE:,}) journeys each)", "",
              "| model | channel | true share | share interval holds it | conversions interval holds it | median share width |",
              "| --- | --- | ---: | ---: | ---: | ---: |"]
    for model in ("linear", "first_touch"):
        m = measured["coverage"][model]  # type: ignore[index]
        for c in CHANNELS:
            lines.append(f"| {model} | {c} | {m['truth_share'][c]:.4f} | {m['coverage_share'][c]:.1%} | "
                         f"{m['coverage_conversions'][c]:.1%} | {m['median_share_width'][c]:.4f} |")
    lines += ["", "A 95% interval should hold the truth in about 95% of trials; with this many trials the",
              "count itself varies by about ±1.5 points (binomial standard error)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journeys", type=int, default=5_000_000)
    parser.add_argument("--markov-journeys", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    measured = {"cost": cost(args.journeys, args.markov_journeys, args.runs), "coverage": coverage(args.trials)}
    results = ROOT / "bench" / "results"
    (results / "intervals.json").write_text(json.dumps(measured, indent=1) + "\n")
    (results / "intervals.md").write_text(report(measured, args.runs, args.trials))
    print(report(measured, args.runs, args.trials))


if __name__ == "__main__":
    main()
