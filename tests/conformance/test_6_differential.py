"""Differential test of the front ends: random valid and invalid inputs, derived from every KPI's
spec vectors, go through the CLI (`omnikpi eval-lines` for all of them, one `omnikpi eval` process
each for a sample), Python's `evaluate` in this process and Node's `evaluate` (on values read by
the package's `parseJson`). Every result must be byte-identical across them, every error the
same code and path, and nothing may crash (no exit 101, no PanicException, no RuntimeError).

The mutations: values swapped for others from a pool of awkward ones (integers around 2^53, 2^63
and 2^64, floats, -0.0, 1e300, empty and non-ASCII text, lone surrogates, timestamps, nested and
deeply nested containers), unknown keys (including `__proto__` and integer-like keys), removed
keys, emptied and repeated list elements, in inputs and parameters alike.

Seeds: a fixed one every run, plus a fresh one printed at the start; replay a failure with
OMNIKPI_DIFF_SEED=<seed> (which then runs only that seed).

One host limit is declared rather than tested away: a JavaScript number has no integer/float
distinction, so a case holding a whole-number float (`2.0`, `-0.0`) is not sent to Node (counted
in the summary); spec/README.md, *Host values*.
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import time
from decimal import Decimal
from typing import Any

import omnikpi
from conftest import CLI, ROOT, vector_cases

FIXED_SEED = 13
MUTANTS_PER_VECTOR = 4
CLI_SAMPLE = 60
DEEP = json.loads("[" * 130 + "]" * 130)

POOL: list[Any] = [
    0, 1, -1, 7, 2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 10**30,
    0.5, 2.0, -0.0, 1e300, 1e-300, -12.75,
    "", "0", "12.30", "-5.00", "1e3", "NaN", "é", "Ωmega", "\u0000", "\ud800", "2026-10-01T10:00:00Z", "9007199254740993",
    True, False, None, [], {}, [1], {"x": 1}, DEEP,
]
NEW_KEYS = ["zz", "__proto__", "1", "é", "journey_id", "channel"]


def nodes(value: Any, path: tuple = ()) -> list[tuple]:
    """Every (path, value) in a tree, containers included."""
    out = [(path, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += nodes(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += nodes(v, path + (i,))
    return out


def replace(tree: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    parent = tree
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = new
    return tree


def nudge(value: Any, rng: random.Random) -> Any:
    """A change that usually keeps the input valid: other small counts, other decimals."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return max(0, value + rng.choice([-1, 1, 2, 10]))
    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
        whole, _, frac = value.partition(".")
        return f"{rng.randint(0, 10**len(whole))}" + (f".{rng.randint(0, 10**len(frac) - 1):0{len(frac)}d}" if frac else "")
    if isinstance(value, list):
        return rng.sample(value, len(value)) + ([copy.deepcopy(rng.choice(value))] if value and rng.random() < 0.5 else [])
    return value


def mutate(tree: Any, rng: random.Random) -> Any:
    tree = copy.deepcopy(tree)
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 4)):
            path, value = rng.choice(nodes(tree))
            tree = replace(tree, path, nudge(value, rng))
        return tree
    for _ in range(rng.randint(1, 3)):
        spots = nodes(tree)
        path, value = rng.choice(spots)
        op = rng.randrange(5)
        if op == 0 or not isinstance(value, (dict, list)):
            tree = replace(tree, path, copy.deepcopy(rng.choice(POOL)))
        elif isinstance(value, dict) and op == 1:
            value[rng.choice(NEW_KEYS)] = rng.choice([1, "x", None])
        elif isinstance(value, dict) and value:
            del value[rng.choice(list(value))]
        elif isinstance(value, list) and op == 3:
            value.clear()
        elif isinstance(value, list) and value:
            value.append(copy.deepcopy(rng.choice(value)))
    return tree


def whole_float(value: Any) -> bool:
    return any(isinstance(v, float) and v == int(v) for _, v in nodes(value) if isinstance(v, float) and abs(v) < 1e308)


def generate(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for case_id, kpi, case in vector_cases():
        for n in range(MUTANTS_PER_VECTOR):
            inp, params = case["input"], case.get("params")
            if params is not None and rng.random() < 0.3:
                params = mutate(params, rng)
            else:
                inp = mutate(inp, rng)
            out.append({"id": f"{seed}:{case_id}#{n}", "kpi": kpi, "input": json.dumps(inp),
                        "params": "" if params is None else json.dumps(params), "js": not whole_float([inp, params])})
    return out


def canonical(value: Any) -> str:
    """One byte form for results of every runner (decimals are canonical strings everywhere)."""
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def envelope(ok: Any = None, error: dict | None = None) -> dict[str, Any]:
    if error is not None:
        return {"error": [error.get("code"), error.get("path")]}
    return {"ok": canonical(ok)}


def run_python(case: dict[str, Any]) -> dict[str, Any]:
    inp = json.loads(case["input"])
    params = json.loads(case["params"]) if case["params"] else None
    try:
        return envelope(ok=omnikpi.evaluate(case["kpi"], inp, params))
    except omnikpi.OmniKpiError as e:
        return envelope(error={"code": e.code, "path": e.path})
    except BaseException as e:  # a PanicException or any other escape is a failure
        return {"crash": f"{type(e).__name__}: {e}"}


def parse_envelopes(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        e = json.loads(line, parse_float=Decimal)
        out.append(envelope(ok=e["ok"]) if "ok" in e else e if "crash" in e else envelope(error=e["error"]))
    return out


def run_lines_cli(cases: list[dict[str, Any]], tmp: Any) -> list[dict[str, Any]]:
    file = tmp / "cases.jsonl"
    file.write_text("\n".join(json.dumps({k: c[k] for k in ("kpi", "input", "params")}) for c in cases), encoding="utf-8")
    proc = subprocess.run([str(CLI), "eval-lines", str(file)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"eval-lines exit {proc.returncode}: {proc.stderr[-2000:]}"
    return parse_envelopes(proc.stdout)


NODE = r"""
const { readFileSync } = require("node:fs");
const omnikpi = require(process.argv[2]);
const lines = readFileSync(process.argv[3], "utf8").split("\n").filter(Boolean);
const out = [];
const read = (text, what) => (text === "" ? undefined : omnikpi.parseJson(text, what));
for (const line of lines) {
  const c = JSON.parse(line);
  try {
    out.push(JSON.stringify({ ok: omnikpi.evaluate(c.kpi, read(c.input, "input"), read(c.params, "params")) }));
  } catch (e) {
    if (e instanceof omnikpi.OmniKpiError) out.push(JSON.stringify({ error: { code: e.code, path: e.path } }));
    else out.push(JSON.stringify({ crash: `${e && e.name}: ${e && e.message}` }));
  }
}
process.stdout.write(out.join("\n"));
"""


def run_node(cases: list[dict[str, Any]], tmp: Any) -> list[dict[str, Any]]:
    file = tmp / "node-cases.jsonl"
    file.write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    script = tmp / "run.cjs"
    script.write_text(NODE, encoding="utf-8")
    pkg = ROOT / "bindings-wasm" / "pkg" / "node.cjs"
    proc = subprocess.run(["node", str(script), str(pkg), str(file)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"node exit {proc.returncode}: {proc.stderr[-2000:]}"
    return parse_envelopes(proc.stdout)


def run_cli_process(case: dict[str, Any], tmp: Any) -> dict[str, Any]:
    args = [str(CLI), "eval", case["kpi"], "--input", "-"]
    if case["params"]:
        params = tmp / "params.json"
        params.write_text(case["params"], encoding="utf-8")
        args += ["--params", str(params)]
    proc = subprocess.run(args, input=case["input"], capture_output=True, text=True, timeout=60)
    if proc.returncode == 0:
        return envelope(ok=json.loads(proc.stdout, parse_float=Decimal))
    if proc.returncode != 2:
        return {"crash": f"exit {proc.returncode}: {proc.stderr[-500:]}"}
    head = proc.stderr.split(": ", 1)[0]  # omnikpi: error [code] at path
    rest = proc.stderr[len("omnikpi: error ["):]
    code = rest.split("]", 1)[0]
    after = rest.split("]", 1)[1]
    path = after[len(" at "):].split(": ", 1)[0] if after.startswith(" at ") else None
    assert head == "omnikpi", proc.stderr
    return envelope(error={"code": code, "path": path})


def seeds() -> list[int]:
    if os.environ.get("OMNIKPI_DIFF_SEED"):
        return [int(os.environ["OMNIKPI_DIFF_SEED"])]
    return [FIXED_SEED, int(time.time() * 1000) % 2**31]


def test_front_ends_agree_on_random_inputs(tmp_path: Any) -> None:
    chosen = seeds()
    print(f"\ndifferential seeds: {chosen} (replay one with OMNIKPI_DIFF_SEED=<seed>)")
    cases = [c for seed in chosen for c in generate(seed)]
    cli = run_lines_cli(cases, tmp_path)
    node_cases = [c for c in cases if c["js"]]
    node = dict(zip((c["id"] for c in node_cases), run_node(node_cases, tmp_path)))
    assert len(cli) == len(cases) and len(node) == len(node_cases)
    problems = []
    for case, from_cli in zip(cases, cli):
        results = {"cli": from_cli, "python": run_python(case)}
        if case["js"]:
            results["node"] = node[case["id"]]
        if any("crash" in r for r in results.values()) or len({canonical(r) for r in results.values()}) > 1:
            problems.append((case, results))
    rng = random.Random(chosen[-1])
    for i in rng.sample(range(len(cases)), CLI_SAMPLE):
        case, expected = cases[i], cli[i]
        got = run_cli_process(case, tmp_path)
        if got != expected:
            problems.append((case, {"cli-process": got, "cli-lines": expected}))
    valid = sum("ok" in r for r in cli)
    print(f"{len(cases)} cases ({valid} computed, {len(cases) - valid} refused), "
          f"{len(node_cases)} through Node ({len(cases) - len(node_cases)} hold a whole-number float, which JS cannot express), "
          f"{CLI_SAMPLE} also as separate CLI processes; {len(problems)} disagreements")
    report = "\n".join(f"{c['id']} {c['kpi']}\n  input: {c['input'][:300]}\n  params: {c['params'][:200]}\n  "
                       + "\n  ".join(f"{k}: {str(v)[:300]}" for k, v in r.items()) for c, r in problems[:10])
    assert not problems, f"{len(problems)} disagreements (seeds {chosen}):\n{report}"
    assert len(cases) >= 2000, len(cases)
