"""The report on the example dataset from Python equals the CLI's, number for number."""

from __future__ import annotations

import json
from decimal import Decimal
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
    # every KPI but the attribution models and the incentive KPIs, then one section comparing
    # all models, then the payouts under the example policy (nothing is claimed, so no check)
    expected = [d["id"] for d in omnikpi.catalog() if not d["id"].startswith(("attribution.", "incentives."))]
    assert kpis == expected + ["attribution", "incentives.split"]
    payouts = py["sections"][-1]["result"]
    # the report's totals are the split's: every period's payable adds up to the overall total
    assert sum(Decimal(p["payable"]) for p in payouts["payouts"]) == Decimal(payouts["overall"]["payable"])
    assert payouts["rows"]["read"] == payouts["rows"]["used"] + payouts["rows"]["rejected"]


def test_report_on_a_missing_folder_is_a_dataset_error(tmp_path: object) -> None:
    try:
        omnikpi.report(str(tmp_path))
    except omnikpi.DatasetError as e:
        assert e.code == "invalid_dataset" and e.path == "dataset.json"
    else:
        raise AssertionError("expected DatasetError")
