#!/usr/bin/env bash
# The main job: sets everything up, prints the report of the sample group's KPI pack
# (`omnikpi report --pack examples/group/pack.json examples/group`: two brands in three countries,
# EUR/GBP/CHF, side by side) and writes its HTML report and tables; then computes the same report
# from Python and from Node and says whether all three agree to the last digit; does the same for
# the small single-company sample (examples/retail); then attributes the sample's journeys in SQL
# (the DuckDB extension) and compares with the CLI.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh >/dev/null
pack="${1:-examples/group/pack.json}"
data="${2:-examples/group}"

target/release/omnikpi report --pack "$pack" "$data"
target/release/omnikpi report --pack "$pack" "$data" --out target/group-report --format csv,parquet,xlsx >/dev/null

out="$(mktemp -d)"
target/release/omnikpi report --pack "$pack" "$data" --json > "$out/cli.json"
target/release/omnikpi report examples/retail --json > "$out/retail_cli.json"
.venv/bin/python - "$pack" "$data" "$out" <<'PY'
import json, sys
from decimal import Decimal
from pathlib import Path
import omnikpi
pack, data, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
def plain(v):
    if isinstance(v, Decimal): return format(v, "f")
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    return v
(out / "python.json").write_text(json.dumps(omnikpi.Pack(pack).report(data).to_dict()))
(out / "retail_python.json").write_text(json.dumps(plain(omnikpi.report("examples/retail").to_dict())))
PY
node --input-type=module -e "
import { writeFileSync } from 'node:fs';
import { Pack, report } from '$root/bindings-wasm/pkg/node.mjs';
const r = Pack.fromFile(process.argv[1]).report(process.argv[2]);
writeFileSync(process.argv[3] + '/node.json', JSON.stringify({ pack: r.pack, sections: r.sections, comparisons: r.comparisons }));
writeFileSync(process.argv[3] + '/retail_node.json', JSON.stringify(report('examples/retail')));
" "$pack" "$data" "$out"
.venv/bin/python - "$out" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
def values(v):
    if isinstance(v, dict): return sum(values(x) for x in v.values())
    if isinstance(v, list): return sum(values(x) for x in v)
    return 1
print()
for prefix, what in (("", "the group's pack report"), ("retail_", "the retail sample's report")):
    docs = {name: json.loads((out / f"{prefix}{name}.json").read_text()) for name in ("cli", "python", "node")}
    canon = {name: json.dumps(doc, sort_keys=True) for name, doc in docs.items()}
    if len(set(canon.values())) != 1:
        for name in ("python", "node"):
            if canon[name] != canon["cli"]:
                print(f"DISAGREEMENT on {what}: {name} differs from the CLI", file=sys.stderr)
        sys.exit(1)
    print(f"All agree on {what}: the CLI, Python and Node computed the same {values(docs['cli'])} values "
          f"in {len(docs['cli']['sections'])} sections, byte for byte.")
print("HTML report (labels in English; --lang fr for French) and one CSV, Parquet and XLSX file per table: "
      "target/group-report/report.html")
print("KPI handbook (every definition and the group's pack, English and French): docs/handbook/index.html "
      "(regenerate: target/release/omnikpi handbook --out docs/handbook --pack examples/group/pack.json)")
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
