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
    # the KPIs the retail dataset has tables for, in catalogue order, then one section comparing
    # all models, then the payouts under the example policy (nothing is claimed, so no check)
    order = [d["id"] for d in omnikpi.catalog()]
    assert kpis[-2:] == ["attribution", "incentives.split"]
    assert kpis[:-2] == sorted(kpis[:-2], key=order.index)
    assert {"conversion.rate", "conversion.funnel", "basket.average", "money.allocate", "contribution.growth"} <= set(kpis)
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
