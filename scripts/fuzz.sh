#!/usr/bin/env bash
# Fuzzes every target in fuzz/ with libFuzzer (cargo fuzz, stable toolchain, no sanitizer: a
# panic, an abort, a stack overflow, a timeout or an out-of-memory is a crash).
#   bash scripts/fuzz.sh                     # each target for FUZZ_SECONDS (default 20)
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh    # a longer run
#   bash scripts/fuzz.sh evaluate_json       # one target
# Each run first replays fuzz/regressions/<target>/ (inputs that once crashed, committed) and the
# seed corpus from spec/ and examples/. A crash stops the run with its input saved under
# fuzz/artifacts/<target>/: fix the bug, then copy the input into fuzz/regressions/<target>/
# and add a vector (or a test) reproducing it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${FUZZ_SECONDS:-20}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(evaluate_json incentive_policy tables columns)
command -v cargo-fuzz >/dev/null || cargo install -q cargo-fuzz --locked

# Seed corpora (regenerated each run; not committed).
python3 - <<'PY'
import json, pathlib
root = pathlib.Path(".")
corpus = root / "fuzz" / "corpus"
ids = [p.stem for p in sorted((root / "spec" / "kpis").glob("*.json"))]
catalog_order = json.loads(json.dumps(ids))
for t in ("evaluate_json", "incentive_policy", "tables", "columns"):
    (corpus / t).mkdir(parents=True, exist_ok=True)
n = 0
for f in sorted((root / "spec" / "vectors").glob("*/*.json")):
    for case in json.loads(f.read_text(encoding="utf-8"))["cases"]:
        kpi = case.get("kpi", f.parent.name)
        pick = ids.index(kpi) if kpi in ids else len(ids)
        (corpus / "evaluate_json" / f"v{n}").write_bytes(bytes([pick]) + json.dumps(case["input"]).encode())
        if isinstance(case["input"], dict) and isinstance(case["input"].get("policy"), dict):
            (corpus / "incentive_policy" / f"p{n}").write_text(json.dumps(case["input"]["policy"]))
        n += 1
(corpus / "incentive_policy" / "retail").write_bytes((root / "examples" / "retail" / "incentive_policy.json").read_bytes())
for csv in ("journeys.csv", "channels.csv", "orders.csv", "sales.csv"):
    text = (root / "examples" / "retail" / csv).read_text(encoding="utf-8").splitlines()
    (corpus / "tables" / csv).write_text("\n".join(text[:40]) + "\n")
PY

for t in "${targets[@]}"; do
  mkdir -p "fuzz/regressions/$t"
  echo "== fuzz $t: ${seconds}s"
  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none --release "$t" "corpus/$t" "regressions/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1) \
    | tee "fuzz/last-$t.log" | grep -E '^(Done|#[0-9]+ +DONE|stat::number_of_executed_units|==|thread .* panicked|SUMMARY)' || true
  if grep -qE 'panicked|ERROR: libFuzzer|SUMMARY: libFuzzer|deadly signal|Test unit written' "fuzz/last-$t.log"; then
    echo "fuzz $t found a crash; see fuzz/last-$t.log and fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -q 'stat::number_of_executed_units' "fuzz/last-$t.log" || { echo "fuzz $t did not run" >&2; tail -20 "fuzz/last-$t.log" >&2; exit 1; }
  echo "fuzz $t: clean, $(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz/last-$t.log") inputs"
done
