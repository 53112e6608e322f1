"""A dataset folder's files are read by the core in every front end: the CLI, Python and Node hand
it each file's bytes, so they refuse the same files at the same place and read the same text the
same way (a byte order mark is allowed, bytes that are not UTF-8 are not: no front end decodes,
replaces or guesses on its own)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import omnikpi

from conftest import CLI, ROOT

NODE = """
const omnikpi = require(process.argv[2]);
try {
  process.stdout.write(JSON.stringify({ ok: omnikpi.report(process.argv[3]) }));
} catch (e) {
  process.stdout.write(JSON.stringify({ error: { code: e.code, path: e.path } }));
}
"""


def cli(folder: Path) -> dict[str, Any]:
    proc = subprocess.run([str(CLI), "report", str(folder), "--json"], capture_output=True, text=True)
    if proc.returncode == 0:
        return {"ok": json.loads(proc.stdout)}
    found = re.search(r"error \[(\w+)\] at (.+?): ", proc.stderr)
    assert proc.returncode == 2 and found, proc.stderr
    return {"error": {"code": found[1], "path": found[2]}}


def python(folder: Path) -> dict[str, Any]:
    try:
        return {"ok": json.loads(json.dumps(omnikpi.report(folder).to_dict(), default=str))}
    except omnikpi.OmniKpiError as e:
        return {"error": {"code": e.code, "path": e.path}}


def node(folder: Path, tmp: Path) -> dict[str, Any]:
    script = tmp / "report.cjs"
    script.write_text(NODE, encoding="utf-8")
    pkg = ROOT / "bindings-wasm" / "pkg" / "node.cjs"
    proc = subprocess.run(["node", str(script), str(pkg), str(folder)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def everywhere(folder: Path, tmp: Path) -> dict[str, Any]:
    """The one answer of the CLI, Python and Node on `folder`."""
    answers = {"cli": cli(folder), "python": python(folder), "node": node(folder, tmp)}
    assert answers["python"] == answers["cli"] == answers["node"], {k: str(v)[:300] for k, v in answers.items()}
    return answers["cli"]


def retail(tmp: Path, name: str) -> Path:
    folder = tmp / name
    shutil.copytree(ROOT / "examples" / "retail", folder)
    return folder


def test_a_file_that_is_not_utf8_is_refused_at_its_row_everywhere(tmp_path: Path) -> None:
    folder = retail(tmp_path, "latin1")
    sales = folder / "sales.csv"
    lines = sales.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b",", b"\xe9,", 1)  # a Latin-1 é on the file's fourth line
    sales.write_bytes(b"\n".join(lines))
    assert everywhere(folder, tmp_path) == {"error": {"code": "invalid_dataset", "path": "sales.csv:row 4"}}


def test_a_byte_order_mark_gives_the_same_report_everywhere(tmp_path: Path) -> None:
    folder = retail(tmp_path, "bom")
    for table in folder.glob("*.csv"):
        table.write_bytes(b"\xef\xbb\xbf" + table.read_bytes())
    with_bom = everywhere(folder, tmp_path)
    assert "ok" in with_bom and with_bom == cli(ROOT / "examples" / "retail")
