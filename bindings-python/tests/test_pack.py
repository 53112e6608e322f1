"""KPI packs from Python: the group example's report equals the CLI's value for value, pack and
table errors carry the core's code and path, absent tables leave their KPIs out, and the exports
are the CLI's bytes and exact decimals."""

from __future__ import annotations

import copy
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import omnikpi
from omnikpi import _omnikpi
from conftest import ROOT

GROUP = ROOT / "examples" / "group"
PACK = GROUP / "pack.json"
CLI = str(ROOT / "target" / "release" / "omnikpi")


def cli_report(*args: str) -> str:
    return subprocess.run([CLI, "report", "--pack", str(PACK), str(GROUP), *args],
                          check=True, capture_output=True, text=True).stdout


def test_the_group_report_equals_the_clis() -> None:
    pack = omnikpi.Pack(PACK)
    report = pack.report(GROUP)
    assert report.to_dict() == json.loads(cli_report("--json"))
    texts = {f: (GROUP / f).read_text(encoding="utf-8") for f in pack.files if (GROUP / f).exists()}
    from_mapping = omnikpi.Pack(json.loads(PACK.read_text(encoding="utf-8"))).report(texts)
    assert from_mapping.to_dict() == report.to_dict()
    assert report["pack"]["fingerprint"] == pack.fingerprint
    assert all(s["certificate"]["pack"] == pack.fingerprint for s in report["sections"] if "result" in s)


def test_exports_are_the_clis_bytes_and_exact(tmp_path: Path) -> None:
    report = omnikpi.Pack(PACK).report(GROUP)
    subprocess.run([CLI, "report", "--pack", str(PACK), str(GROUP), "--out", str(tmp_path / "cli"),
                    "--format", "csv,parquet"], check=True, capture_output=True)
    written = report.write(tmp_path / "py", formats=["csv", "parquet"])
    for path in written:
        if path.suffix in (".csv", ".html"):
            assert path.read_bytes() == (tmp_path / "cli" / path.name).read_bytes(), path.name
    import pyarrow.parquet as pq

    for path in (tmp_path / "cli").glob("*.parquet"):
        assert pq.read_table(path).equals(report.to_arrow(path.stem)), path.name
    basket = report.to_pandas("basket_brand_country")
    cells = report.comparison("basket_brand_country")["cells"]
    assert list(basket["FR"]) == [Decimal(row[1]) for row in cells]
    assert report.to_arrow("average_basket").schema.field("revenue").type.scale == 2
    assert "<svg" in report._repr_html_()


def test_pack_errors_name_the_field() -> None:
    document = json.loads(PACK.read_text(encoding="utf-8"))
    broken = copy.deepcopy(document)
    broken["kpis"][0]["by"] = ["brand", "region"]
    with pytest.raises(omnikpi.DatasetError) as e:
        omnikpi.Pack(broken)
    assert (e.value.code, e.value.path) == ("invalid_pack", "pack.kpis[0].by[1]")
    with pytest.raises(omnikpi.InputError) as e:
        omnikpi.Pack.from_json('{"format": "omnikpi.pack/1", "format": "x"}')
    assert e.value.code == "duplicate_key"
    broken = copy.deepcopy(document)
    broken["currency"] = 3.5
    with pytest.raises(omnikpi.OmniKpiError):
        omnikpi.Pack(broken)


def test_absent_tables_are_a_note_and_bad_cells_are_located() -> None:
    pack = omnikpi.Pack(PACK)
    traffic = (GROUP / "traffic.csv").read_text(encoding="utf-8")
    report = pack.report({"traffic.csv": traffic})
    assert report.section("conversion")["result"]["overall"]["rate"]
    assert report.section("attribution_linear")["missing"] == ["fx_rates.csv", "touches.csv"]
    assert report.comparison("basket_brand_country")["note"]["en"].startswith("Left out")
    orders = (GROUP / "orders.csv").read_text(encoding="utf-8").splitlines()
    orders[3] = orders[3].replace(";EUR", ";EURO")
    files = {f: (GROUP / f).read_text(encoding="utf-8") for f in pack.files if (GROUP / f).exists()}
    files["orders.csv"] = "\n".join(orders) + "\n"
    with pytest.raises(omnikpi.MoneyError) as e:
        pack.report(files)
    assert (e.value.code, e.value.path) == ("unknown_currency", "orders.csv:row 4:currency")


def test_a_certificate_is_verified_from_the_pack_and_the_data() -> None:
    pack = omnikpi.Pack(PACK)
    report = pack.report(GROUP)
    certificate = report.section("conversion")["certificate"]
    checked = pack.verify(certificate, GROUP)
    assert checked["confirmed"] and checked["section"] == "conversion"
    assert [c["check"] for c in checked["checks"]][-1] == "pack"
    lines = (GROUP / "traffic.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",0"  # one row's orders set to zero
    refuted = pack.verify(certificate, {"traffic.csv": "\n".join(lines) + "\n"})
    assert not refuted["confirmed"]
    assert {c["check"] for c in refuted["checks"] if not c["ok"]} == {"input", "result"}


def _as_json_text(value: object) -> object:
    """A Python report value written as its JSON: decimals as their exact text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _as_json_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json_text(v) for v in value]
    return value


def test_report_values_are_decimals_that_read_as_the_json() -> None:
    """Sections' results and comparisons' cells come typed from the core, as every other result:
    decimals as Decimal (exactly the JSON's text), counts as int."""
    report = omnikpi.Pack(PACK).report(GROUP)
    plain = report.to_dict()
    assert _as_json_text(report["sections"]) == plain["sections"]
    assert _as_json_text(report["comparisons"]) == plain["comparisons"]
    conversion = report.section("conversion")["result"]["overall"]
    assert isinstance(conversion["rate"], Decimal) and isinstance(conversion["conversions"], int)
    computed = [c for c in report["comparisons"] if "cells" in c]
    assert computed, "the group pack has comparison views"
    for view in computed:
        cells = [c for row in view["cells"] for c in row if c is not None]
        assert cells and all(isinstance(c, Decimal) for c in cells), view["key"]
        assert isinstance(view["total"], Decimal)


FILTER_ARGS = ("--where", "brand=lumen", "--where", "country=FR,GB", "--from", "2026-10-01", "--to", "2026-10-31")


def test_a_filtered_report_equals_the_clis() -> None:
    pack = omnikpi.Pack(PACK)
    report = pack.report(GROUP, filter={"dimensions": {"brand": ["lumen"], "country": ["FR", "GB"]},
                                        "from": "2026-10-01", "to": "2026-10-31"})
    assert report.to_dict() == json.loads(cli_report("--json", *FILTER_ARGS))
    assert report["pack"]["filter"]["to"] == "2026-10-31"
    assert report.section("conversion")["unfiltered"] == "`traffic.csv` has no time of its rows"
    whole = pack.report(GROUP)
    assert report.section("average_basket")["result"]["overall"]["orders"] < whole.section("average_basket")["result"]["overall"]["orders"]


@pytest.mark.parametrize(("bad", "path"), [
    ({"dimensions": {"colour": ["red"]}}, "filter.dimensions.colour"),
    ({"from": "1 Oct 2026"}, "filter.from"),
    ({"brand": ["lumen"]}, "filter.brand"),
])
def test_a_wrong_filter_is_refused_with_its_field(bad: dict[str, object], path: str) -> None:
    with pytest.raises(omnikpi.OmniKpiError) as raised:
        omnikpi.Pack(PACK).report(GROUP, filter=bad)
    assert (raised.value.code, raised.value.path) == ("invalid_parameter", path)


WORKBOOK_PACK = GROUP / "pack-workbook.json"
FROM_THE_WORKBOOK = ("average_basket", "basket_by_department", "attribution_linear", "attribution_markov")


def test_a_workbook_pack_equals_the_clis_and_the_csv_numbers() -> None:
    """The orders and touches from the sheets of `group.xlsx` (float money, Excel dates): the
    CLI's report from a folder or from bytes, and the CSV files' numbers, the rounding counted."""
    pack = omnikpi.Pack(WORKBOOK_PACK)
    report = pack.report(GROUP)
    cli = subprocess.run([CLI, "report", "--pack", str(WORKBOOK_PACK), str(GROUP), "--json"],
                         check=True, capture_output=True, text=True).stdout
    assert report.to_dict() == json.loads(cli)
    files: dict[str, str | bytes] = {f: (GROUP / f).read_bytes() for f in pack.files if (GROUP / f).exists()}
    files["traffic.csv"] = (GROUP / "traffic.csv").read_text(encoding="utf-8")
    assert pack.report(files).to_dict() == report.to_dict()
    csv = omnikpi.Pack(PACK).report(GROUP)
    for key in FROM_THE_WORKBOOK:
        assert report.section(key)["result"] == csv.section(key)["result"], key
        assert report.section(key)["reading"]["money_rounded"] > 100, key


def test_a_workbook_given_wrongly_is_refused_with_the_file() -> None:
    pack = omnikpi.Pack(WORKBOOK_PACK)
    with pytest.raises(omnikpi.DatasetError) as e:
        pack.report({"group.xlsx": "order_no,customer\n"})
    assert (e.value.code, e.value.path) == ("invalid_dataset", "group.xlsx")
    with pytest.raises(omnikpi.DatasetError) as e:
        pack.report({"orders.csv": b"order_no\n", "group.xlsx": b"not a zip"})
    assert (e.value.code, e.value.path) == ("invalid_dataset", "group.xlsx")
    with pytest.raises(omnikpi.OmniKpiError) as raised:
        pack.report({"group.xlsx": 3})  # type: ignore[dict-item]
    assert (raised.value.code, raised.value.path) == ("wrong_type", "files.group.xlsx")


def test_a_files_text_with_a_lone_surrogate_is_refused_at_the_file_never_replaced() -> None:
    traffic = (GROUP / "traffic.csv").read_text(encoding="utf-8")
    broken = traffic.replace("\n", "\n\ud800", 1)
    with pytest.raises(omnikpi.OmniKpiError) as raised:
        omnikpi.Pack(PACK).report({"traffic.csv": broken})
    assert (raised.value.code, raised.value.path) == ("wrong_type", "files.traffic.csv")
    retail = GROUP.parent / "retail"
    files = {n: (retail / n).read_text(encoding="utf-8") for n in _omnikpi.dataset_files() if (retail / n).exists()}
    assert len(_omnikpi.report_files(files)["sections"]) > 5
    files["sales.csv"] = files["sales.csv"].replace(",lighting,", ",light\udc00ing,")
    with pytest.raises(omnikpi.OmniKpiError) as raised:
        _omnikpi.report_files(files)
    assert (raised.value.code, raised.value.path) == ("wrong_type", "files.sales.csv")
