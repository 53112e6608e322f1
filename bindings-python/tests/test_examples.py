"""The Python examples run and type-check: the retail notebook executed with nbclient (its tables,
plots and totals checked against the Rust-side report), the example scripts run, and
``mypy --strict`` passes on the scripts and on the notebook's code."""

from __future__ import annotations

import base64
import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest
from mypy import api as mypy_api

import omnikpi
from conftest import ROOT

EXAMPLES = ROOT / "examples"
NOTEBOOK = EXAMPLES / "retail_tour.ipynb"
SCRIPTS = sorted((EXAMPLES / "python").glob("*.py"))


@pytest.fixture(scope="module")
def executed() -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, if any cell fails
    return notebook


def outputs(notebook: Any, kind: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if kind == "stream" and out.output_type == "stream":
                found.append(out.text)
            elif kind in out.get("data", {}):
                found.append(out.data[kind])
    return found


def test_notebook_shows_tables_and_plots(executed: Any) -> None:
    html = outputs(executed, "text/html")
    assert any("<strong>Funnel</strong>" in h for h in html)
    assert any("<strong>ModelComparison</strong>" in h and "shapley.rate" in h for h in html)
    assert any("<strong>IncentiveSplit</strong>" in h and "explanation" in h for h in html)
    pngs = outputs(executed, "image/png")
    assert len(pngs) == 4  # funnel, model comparison, contribution share, payouts
    assert all(base64.b64decode(p).startswith(b"\x89PNG") for p in pngs)


def test_notebook_totals_match_the_report(executed: Any) -> None:
    # The report reads the CSV files in Rust; the notebook went through polars DataFrames.
    report = omnikpi.report(EXAMPLES / "retail")
    payable = report.section("incentives.split")["overall"]["payable"]
    printed = "".join(outputs(executed, "stream"))
    assert f"{payable} EUR payable over 2 periods" in printed


def test_attribution_script_writes_its_table_and_chart(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(EXAMPLES / "python" / "attribution_report.py"), str(tmp_path)],
                         capture_output=True, text=True, check=True)
    rows = list(csv.DictReader(open(tmp_path / "attribution.csv", encoding="utf-8")))
    assert len(rows) == len(omnikpi.ATTRIBUTION_MODELS) * 8
    assert (tmp_path / "attribution.png").read_bytes().startswith(b"\x89PNG")
    assert run.stdout.splitlines()[-1].split() == ["total", "714.000000", "104909.02", "EUR"]


def test_spark_script_agrees_with_one_machine() -> None:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    run = subprocess.run([sys.executable, str(EXAMPLES / "python" / "spark_attribution.py")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "purchase" in run.stdout


def test_examples_pass_mypy_strict(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    as_module = tmp_path / "retail_tour.py"
    as_module.write_text(code + "\n", encoding="utf-8")
    config = ROOT / "bindings-python" / "pyproject.toml"
    out, err, status = mypy_api.run(["--strict", "--no-incremental", "--config-file", str(config),
                                     *map(str, SCRIPTS), str(as_module)])
    assert status == 0, out + err
    assert f"{len(SCRIPTS) + 1} source files" in out
