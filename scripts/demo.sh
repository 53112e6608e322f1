#!/usr/bin/env bash
# The main job: sets everything up, prints `omnikpi report examples/retail`, then computes the same
# report from Python and from Node and says whether all three agree to the last digit; then
# attributes the sample's journeys in SQL (the DuckDB extension) and compares with the CLI.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh >/dev/null
data="${1:-examples/retail}"

target/release/omnikpi report "$data"

out="$(mktemp -d)"
target/release/omnikpi report "$data" --json > "$out/cli.json"
.venv/bin/python - "$data" > "$out/python.json" <<'PY'
import json, sys
from decimal import Decimal
import omnikpi
def plain(v):
    if isinstance(v, Decimal): return format(v, "f")
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    return v
print(json.dumps(plain(omnikpi.report(sys.argv[1]).to_dict()), indent=2))
PY
node --input-type=module -e "
import { report } from '$root/bindings-wasm/pkg/node.mjs';
console.log(JSON.stringify(report(process.argv[1]), null, 2));
" "$data" > "$out/node.json"
.venv/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
docs = {name: json.loads((out / f"{name}.json").read_text()) for name in ("cli", "python", "node")}
canon = {name: json.dumps(doc, sort_keys=True) for name, doc in docs.items()}
def values(v):
    if isinstance(v, dict): return sum(values(x) for x in v.values())
    if isinstance(v, list): return sum(values(x) for x in v)
    return 1
n = values(docs["cli"])
print()
if len(set(canon.values())) == 1:
    print(f"All agree: the CLI, Python and Node computed the same {n} values in "
          f"{len(docs['cli']['sections'])} report sections, byte for byte.")
    print("KPI handbook (every definition, English and French): docs/handbook/index.html "
          "(regenerate: target/release/omnikpi handbook --out docs/handbook)")
else:
    for name in ("python", "node"):
        if canon[name] != canon["cli"]:
            print(f"DISAGREEMENT: {name} differs from the CLI", file=sys.stderr)
    sys.exit(1)
PY

models=first_touch,last_touch,linear,markov,shapley
target/release/omnikpi attribute examples/retail/journeys.csv --channels examples/retail/channels.csv \
  --currency EUR --model "$models" --json > "$out/cli_attribute.json"
.venv/bin/python - "$out" "$models" <<'PY'
import json, sys
from pathlib import Path
import duckdb
out, models = Path(sys.argv[1]), sys.argv[2].split(",")
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.load_extension("target/duckdb/omnikpi.duckdb_extension")
options = con.execute("SELECT json_object('model', ?::VARCHAR[], 'currency', 'EUR', 'channels', "
                      "(SELECT json_group_array(c) FROM read_csv('examples/retail/channels.csv') c))", [models]).fetchone()[0]
(sql,) = con.execute("SELECT omnikpi_attribute(journey_id, timestamp, channel, conversions, value, conversion_timestamp, ?) "
                     "FROM read_csv('examples/retail/journeys.csv', types={'value': 'DECIMAL(18,2)'})", [options]).fetchone()
if json.loads(sql) != json.loads((out / "cli_attribute.json").read_text()):
    sys.exit("DISAGREEMENT: SQL (DuckDB) attribution differs from `omnikpi attribute`")
print(f"SQL agrees too: DuckDB's omnikpi_attribute gave the CLI's {len(models)} attribution results on journeys.csv.")
PY
