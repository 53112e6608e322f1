"""Check mode against split: is the audit as fast as the split it audits?

    bash scripts/setup.sh
    .venv/bin/python bench/incentives.py [--sales 200000] [--runs 3]

Data: a deterministic ledger shaped like examples/retail (its policy; sales drawn from its sales,
one customer in 40 of them with four online touches), `--sales` sales. Each figure is the median
of `--runs` separate processes, timed from outside (wall seconds; peak resident memory from
`wait4`):

- split: `omnikpi incentives split ... --csv lines.csv` (read, pay, write the lines);
- check: `omnikpi incentives check ... --payouts lines.csv` on those lines with a few spoiled
  (read sales and claims, pay, match on (sale, party, period, rule), pair misfiled claims);
- the tool a controller would pick instead: pandas reading both line tables and merging them
  outer on the four key columns with an indicator (it gives no reason, no pairing, no
  explanation; the canonical lines are handed to it);
- the floor: polars reading the claims CSV.

Target (issue 16): check within 2x the split. Writes bench/results/incentives.{md,json}.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "target" / "release" / "omnikpi"
RETAIL = ROOT / "examples" / "retail"
POLICY = RETAIL / "incentive_policy.json"
ONLINE = ["web", "app", "email", "social", "paid_search"]


def write_ledger(sales: int, out: Path) -> tuple[Path, Path]:
    """`sales` sales drawn from the retail sample's (refunds aside), and customer touches."""
    rng = random.Random(16)
    with (RETAIL / "sales.csv").open(encoding="utf-8") as f:
        base = [r for r in csv.DictReader(f) if not r["refund_of"]]
    customers = max(1, sales // 40)
    sales_file, touches_file = out / "sales.csv", out / "touches.csv"
    with sales_file.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(base[0]))
        w.writeheader()
        for i in range(sales):
            row = dict(rng.choice(base))
            row["sale_id"], row["customer_id"] = f"S{i:07d}", f"C{i % customers:06d}"
            w.writerow(row)
    with touches_file.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["journey_id", "customer_id", "timestamp", "channel"])
        for c in range(customers):
            for _ in range(4):
                day = f"2026-{rng.randint(9, 10):02d}-{rng.randint(1, 28):02d}T10:00:00Z"
                w.writerow([f"J{c}", f"C{c:06d}", day, rng.choice(ONLINE)])
    return sales_file, touches_file


def spoil(lines: Path, claims: Path) -> int:
    """The canonical lines with one in a thousand spoiled (a cent more, or another period)."""
    with lines.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for i in range(0, len(rows), 1000):
        if i % 2000 == 0:
            rows[i]["period"] = "2099-12"
        else:
            rows[i]["amount"] = f"{float(rows[i]['amount']) + 0.01:.2f}"
    with claims.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def timed(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    assert code in ok, f"{cmd[:3]} exited {code}: {proc.stderr.read().decode() if proc.stderr else ''}"
    return seconds, usage.ru_maxrss / 1024


PANDAS_MERGE = """
import sys, pandas as pd
key = ["sale_id", "party", "period", "rule"]
claims = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
canonical = pd.read_csv(sys.argv[2], dtype=str, keep_default_na=False)
claims = claims.groupby(key, as_index=False)["amount"].agg(lambda a: sum(map(float, a)))
canonical = canonical.groupby(key, as_index=False)["amount"].agg(lambda a: sum(map(float, a)))
m = claims.merge(canonical, on=key, how="outer", suffixes=("_claimed", "_canonical"), indicator=True)
print(int(((m["_merge"] != "both") | ((m["amount_claimed"] - m["amount_canonical"]).abs() > 0.005)).sum()))
"""

POLARS_FLOOR = "import sys, polars as pl; print(pl.read_csv(sys.argv[1], infer_schema=False).height)"


def measure(sales: int, runs: int) -> dict[str, object]:
    py = sys.executable
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        out = Path(tmp)
        sales_file, touches = write_ledger(sales, out)
        files = ["--policy", str(POLICY), "--sales", str(sales_file), "--touches", str(touches)]
        lines, claims = out / "lines.csv", out / "claims.csv"
        split = [str(CLI), "incentives", "split", *files, "--csv", str(lines)]
        subprocess.run(split, check=True, capture_output=True)
        count = spoil(lines, claims)
        check = [str(CLI), "incentives", "check", *files, "--payouts", str(claims), "--json"]
        found = json.loads(subprocess.run(check, capture_output=True, text=True).stdout)
        spoiled = len(range(0, count, 1000))
        # a line moved to another period is one wrong_period, or (when its key has two lines)
        # a wrong_amount and a not_due
        assert spoiled <= len(found["differences"]) <= 2 * spoiled, (len(found["differences"]), spoiled)
        tools = {
            "split": (split, (0,)),
            "check": (check, (1,)),
            "pandas merge": ([py, "-c", PANDAS_MERGE, str(claims), str(lines)], (0,)),
            "polars read (floor)": ([py, "-c", POLARS_FLOOR, str(claims)], (0,)),
        }
        result: dict[str, object] = {"sales": sales, "lines": count, "spoiled": spoiled}
        for name, (cmd, ok) in tools.items():
            samples = [timed(cmd, ok) for _ in range(runs)]
            result[name] = {"seconds": statistics.median(s for s, _ in samples),
                            "peak_mb": statistics.median(m for _, m in samples)}
            print(sales, name, result[name], file=sys.stderr)
    return result


def report(measured: list[dict[str, object]], runs: int) -> str:
    lines = ["# Incentives: check mode against split", "",
             f"One run of `python bench/incentives.py` ({runs} runs per figure, medians; 2 cores).", "",
             "| sales | claim lines | split s | check s | check / split | pandas merge s | polars read s | check MB | split MB |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for m in measured:
        s, c = m["split"], m["check"]  # type: ignore[index]
        lines.append(
            f"| {m['sales']:,} | {m['lines']:,} | {s['seconds']:.2f} | {c['seconds']:.2f} | "  # type: ignore[index]
            f"{c['seconds'] / s['seconds']:.2f}x | {m['pandas merge']['seconds']:.2f} | "  # type: ignore[index]
            f"{m['polars read (floor)']['seconds']:.2f} | {c['peak_mb']:.0f} | {s['peak_mb']:.0f} |")  # type: ignore[index]
    lines += ["", "Target: check within 2x the split. The pandas merge only finds which keys differ (no",
              "reason, no pairing of misfiled lines, no explanation) and is handed the canonical lines."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sales", default="20000,200000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    measured = [measure(int(n), args.runs) for n in args.sales.split(",")]
    results = ROOT / "bench" / "results"
    (results / "incentives.json").write_text(json.dumps(measured, indent=1) + "\n")
    (results / "incentives.md").write_text(report(measured, args.runs))
    print(report(measured, args.runs))


if __name__ == "__main__":
    main()
