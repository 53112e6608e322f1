"""The report on the example dataset from Python equals the CLI's, number for number."""

from __future__ import annotations

import json
import subprocess

import omnikpi
from conftest import ROOT, canonical


def cli() -> str:
    return str(ROOT / "target" / "release" / "omnikpi")


def test_report_matches_the_cli() -> None:
    py = canonical(omnikpi.report(ROOT / "examples" / "retail"))
    out = subprocess.run([cli(), "report", str(ROOT / "examples" / "retail"), "--json"],
                         check=True, capture_output=True, text=True).stdout
    assert py == json.loads(out)
    kpis = [s["kpi"] for s in py["sections"]]
    # every KPI but the attribution models, then one section comparing all models
    expected = [d["id"] for d in omnikpi.catalog() if not d["id"].startswith("attribution.")]
    assert kpis == expected + ["attribution"]


def test_report_on_a_missing_folder_is_a_dataset_error(tmp_path: object) -> None:
    try:
        omnikpi.report(str(tmp_path))
    except omnikpi.DatasetError as e:
        assert e.code == "invalid_dataset" and e.path == "dataset.json"
    else:
        raise AssertionError("expected DatasetError")
