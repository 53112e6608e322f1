"""Certificates (core/src/certificate.rs) are the same in every front end: for one computed
vector of every KPI and every `segments` vector, Python's `certify`, Node's `certify`, the
command line's `eval --certificate` and SQL's `omnikpi_certify` give byte-identical certificates,
each front end's `verify` confirms them on the same input and refutes them on a changed one.
Inputs are read from the vector files by each front end's own JSON reader (Python: the core's
`parse_json`; Node: `parseJson`), so the certificate covers what the core was handed."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import omnikpi
import pytest

from conftest import CLI, ROOT, duckdb_connection, vector_cases


def sample() -> list[tuple[str, str, dict[str, Any]]]:
    seen: set[str] = set()
    out = []
    for name, kpi, case in vector_cases():
        if "expected" not in case:
            continue
        if kpi not in seen or name.split("::")[0].endswith(("/segments", "/fx")):
            seen.add(kpi)
            out.append((name, kpi, case))
    return out


CASES = sample()


def digest(value: Any) -> str:
    """SHA-256 of canonical JSON, written here independently of the core: keys sorted, no spaces."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def changed(value: Any) -> Any:
    """The input with its first list of distinct items reversed: a different digest, an input
    the KPI still computes."""
    for key, items in value.items():
        if isinstance(items, list) and len(items) > 1 and items != items[::-1]:
            return {**value, key: items[::-1]}
    raise AssertionError("no list to reverse")


NODE = r"""
const { readFileSync } = require("node:fs");
const omnikpi = require(process.argv[2]);
const cases = readFileSync(process.argv[3], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const out = cases.map((c) => {
  const input = omnikpi.parseJson(c.input, "input");
  const params = omnikpi.parseJson(c.params, "params");
  const { certificate } = omnikpi.certify(c.kpi, input, params);
  const typed = omnikpi[c.fn](input, params).certificate;
  return JSON.stringify({
    certificate,
    typed_same: JSON.stringify(typed) === JSON.stringify(certificate),
    enumerable: Object.keys(omnikpi[c.fn](input, params)).includes("certificate"),
    confirmed: omnikpi.verify(certificate, input).confirmed,
  });
});
process.stdout.write(out.join("\n"));
"""


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("certificates")
    functions = {d["id"]: d["surface"]["function"] for d in omnikpi.catalog()}
    camel = lambda s: s.split("_")[0] + "".join(p.title() for p in s.split("_")[1:])
    lines = [json.dumps({"kpi": kpi, "fn": camel(functions[kpi]), "input": json.dumps(c["input"]),
                         "params": json.dumps(c.get("params") or {})}) for _, kpi, c in CASES]
    (tmp / "cases.jsonl").write_text("\n".join(lines), encoding="utf-8")
    (tmp / "run.cjs").write_text(NODE, encoding="utf-8")
    pkg = ROOT / "bindings-wasm" / "pkg" / "node.cjs"
    proc = subprocess.run(["node", str(tmp / "run.cjs"), str(pkg), str(tmp / "cases.jsonl")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_a_sample_of_every_kpi() -> None:
    assert len({kpi for _, kpi, _ in CASES}) == len(omnikpi.catalog())
    assert sum(name.split("::")[0].endswith("/segments") for name, _, _ in CASES) > 50
    assert sum(name.split("::")[0].endswith("/fx") for name, _, _ in CASES) > 20


@pytest.fixture(scope="module")
def con() -> Any:
    return duckdb_connection()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[n for n, _, _ in CASES])
def test_every_front_end_gives_the_same_certificate(
    index: int, node: list[dict[str, Any]], con: Any, tmp_path: Path
) -> None:
    name, kpi, case = CASES[index]
    text = json.dumps(case["input"])
    params = json.dumps(case.get("params") or {})
    value = omnikpi.parse_json(text, "input")
    result, cert = omnikpi.certify(kpi, value, omnikpi.parse_json(params, "params"))
    fx = value.get("fx") if isinstance(value, dict) else None
    assert cert["fx"] == (None if fx is None else digest(fx))
    assert cert["input"] == digest(value)
    assert cert["kpi"] == kpi and cert["version"] == omnikpi.catalog()[[d["id"] for d in omnikpi.catalog()].index(kpi)]["version"]
    assert omnikpi.verify(cert, value)["confirmed"] is True
    try:
        refuted = omnikpi.verify(cert, changed(value))
    except AssertionError:
        refuted = None  # an input of one record: nothing to reorder
    if refuted is not None:
        assert refuted["confirmed"] is False
        assert [c["check"] for c in refuted["checks"] if not c["ok"]][0] == "input"

    assert node[index]["certificate"] == cert
    assert node[index]["typed_same"] and not node[index]["enumerable"] and node[index]["confirmed"]

    (tmp_path / "input.json").write_text(text, encoding="utf-8")
    out = subprocess.run([str(CLI), "eval", kpi, "--input", str(tmp_path / "input.json"), "--params", params,
                          "--certificate", str(tmp_path / "cert.json")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "cert.json").read_text(encoding="utf-8")) == cert
    check = subprocess.run([str(CLI), "verify", str(tmp_path / "cert.json"), "--input", str(tmp_path / "input.json")],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.startswith("confirmed:"), check.stdout + check.stderr

    sql = con.execute("SELECT omnikpi_certify(?, ?, ?)", [kpi, text, params]).fetchone()[0]
    assert json.loads(sql) == cert
    assert json.loads(con.execute("SELECT omnikpi_verify(?, ?)", [sql, text]).fetchone()[0])["confirmed"] is True


def test_the_command_line_refutes_a_changed_input_with_exit_1(tmp_path: Path) -> None:
    _, kpi, case = next(c for c in vector_cases() if c[0].startswith("conversion.rate/basic") and len(c[2]["input"]["rows"]) > 1)
    (tmp_path / "input.json").write_text(json.dumps(case["input"]), encoding="utf-8")
    (tmp_path / "other.json").write_text(json.dumps(changed(case["input"])), encoding="utf-8")
    run = lambda *a: subprocess.run([str(CLI), *a], capture_output=True, text=True)
    assert run("eval", kpi, "--input", str(tmp_path / "input.json"), "--certificate", str(tmp_path / "c.json")).returncode == 0
    out = run("verify", str(tmp_path / "c.json"), "--input", str(tmp_path / "other.json"))
    assert out.returncode == 1 and out.stdout.startswith("refuted:") and "DIFF input" in out.stdout


def test_a_tampered_certificate_is_refuted() -> None:
    _, kpi, case = CASES[0]
    _, cert = omnikpi.certify(kpi, case["input"], case.get("params"))
    forged = {**cert, "version": "0.0.1"}
    out = omnikpi.verify(forged, case["input"])
    assert out["confirmed"] is False
    assert {c["check"] for c in out["checks"] if not c["ok"]} == {"certificate", "version"}
    with pytest.raises(omnikpi.OmniKpiError) as err:
        omnikpi.verify({k: v for k, v in cert.items() if k != "input"}, case["input"])
    assert err.value.code == "missing_field" and err.value.path == "certificate.input"


def test_typed_results_carry_their_certificate() -> None:
    rows = [{"channel": "web", "opportunities": 4, "conversions": 1, "brand": "A"}]
    r = omnikpi.conversion_rate(rows, by=["brand"])
    assert r.certificate == omnikpi.certify("conversion.rate", {"rows": rows}, {"by": ["brand"]})[1]
    assert omnikpi.verify(r.certificate, {"rows": rows})["confirmed"] is True
