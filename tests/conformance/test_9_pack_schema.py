"""The KPI pack's JSON Schema and the engine agree: the example pack is valid for both, and every
pack made by changing one field of it (types, empty texts, enums, unknown and missing fields)
is accepted or refused by both. What a schema cannot state (a KPI and version range this
omnikpi has, locked parameters the KPI takes, mapped inputs, declared dimensions and tables,
every label in every language, unique keys, a valid taxonomy and time zone) is listed in the
schema's description; only those cases may differ, with the engine stricter."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conftest import CLI, ROOT

SCHEMA = json.loads((ROOT / "spec" / "schema" / "pack.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
PACK = json.loads((ROOT / "examples" / "group" / "pack.json").read_text(encoding="utf-8"))
WORKBOOK_PACK = json.loads((ROOT / "examples" / "group" / "pack-workbook.json").read_text(encoding="utf-8"))
DELETE = object()

# (path, new value or DELETE, whether the engine alone refuses it: a rule beyond the schema)
MUTATIONS: list[tuple[tuple[Any, ...], Any, bool]] = [
    (("format",), "omnikpi.pack/2", False), (("format",), DELETE, False),
    (("id",), "", False), (("id",), 5, False), (("version",), DELETE, False),
    (("name",), "Groupe", False), (("name",), {}, False), (("name", "de"), "Gruppe", True), (("name", "fr"), DELETE, True),
    (("languages",), [], False), (("languages",), ["en", "en"], False), (("languages",), "en", False),
    (("currency",), "eur", False), (("currency",), "XYZ", True), (("currency",), 978, False),
    (("period",), "week", False), (("period",), None, True),  # kpis use `period` in by
    (("time_zone",), "Mars/Olympus", True),
    (("fx", "rate_at"), "daily", False), (("fx", "rounding"), "up", False), (("fx", "table"), DELETE, False),
    (("fx", "table"), "rates", True), (("fx", "grain"), "year", False), (("fx", "extra"), 1, False),
    (("channels", 0, "group"), "elsewhere", False), (("channels", 0, "label"), DELETE, False),
    (("channels", 1, "channel"), "web", True), (("channels", 0, "direct"), "no", False),
    (("dimensions", 0, "name"), "period", False), (("dimensions", 0, "name"), "", False), (("dimensions", 1, "name"), "brand", True),
    (("tables", "orders", "file"), DELETE, False), (("tables", "orders", "colums"), {}, False),
    (("tables", "orders", "columns", "amount"), "", False), (("tables", "orders", "reading", "timestamp_unit"), "h", False),
    (("tables", "orders", "reading", "delimiter"), ":", False), (("tables", "orders", "reading", "columns"), {}, False),
    (("tables", "orders", "time"), DELETE, True),  # period-average FX rates need each order's time
    (("tables", "orders", "sheet"), "Orders", True),  # a sheet of a CSV file
    (("tables", "orders", "sheet"), 3, False), (("tables", "orders", "sheet"), "", False),
    (("tables", "orders", "file"), "orders.xlsx", True),  # a workbook with the CSV dialect the example declares
    (("kpis", 0, "key"), DELETE, False), (("kpis", 0, "kpi"), "conversion.median", True), (("kpis", 0, "version"), "^9", True),
    (("kpis", 0, "version"), "", False), (("kpis", 0, "by"), ["brand", "brand"], False), (("kpis", 0, "by"), ["region"], True),
    (("kpis", 0, "params"), {"by": ["brand"]}, False), (("kpis", 0, "params"), {"window": 1}, True),
    (("kpis", 0, "inputs"), {"rows": 5}, False), (("kpis", 0, "inputs"), {"rows": {"table": "traffic", "x": 1}}, False),
    (("kpis", 0, "inputs"), {"rows": "visits"}, True), (("kpis", 0, "inputs"), {}, True), (("kpis", 0, "extra"), 1, False),
    (("kpis", 1, "key"), "conversion", True),
    (("comparisons", 0, "key"), "conversion", True), (("comparisons", 0, "key"), "certificates", True),
    (("comparisons", 0, "rows"), DELETE, False), (("comparisons", 0, "columns"), "brand", True), (("comparisons", 0, "kpi"), "basket", True),
    (("extra",), 1, False),
]


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    pack = copy.deepcopy(PACK)
    target = pack
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return pack


def engine(pack: dict[str, Any], tmp: Path) -> tuple[int, str]:
    file = tmp / "pack.json"
    file.write_text(json.dumps(pack), encoding="utf-8")
    proc = subprocess.run([str(CLI), "report", "--pack", str(file), str(tmp), "--json"], capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("pack", [PACK, WORKBOOK_PACK], ids=["pack.json", "pack-workbook.json"])
def test_the_example_packs_are_valid_for_both(pack: dict[str, Any], tmp_path: Path) -> None:
    assert not list(VALIDATOR.iter_errors(pack))
    assert engine(pack, tmp_path) == (0, "")


@pytest.mark.parametrize("path,value,beyond", MUTATIONS, ids=lambda v: repr(v)[:40])
def test_schema_and_engine_agree(path: tuple[Any, ...], value: Any, beyond: bool, tmp_path: Path) -> None:
    pack = changed(path, value)
    schema_ok = not list(VALIDATOR.iter_errors(pack))
    code, stderr = engine(pack, tmp_path)
    assert code in (0, 2), stderr
    if beyond:
        assert schema_ok and code == 2, f"the schema accepts it and the engine refuses it: {stderr}"
    else:
        assert schema_ok == (code == 0), f"schema {'accepts' if schema_ok else 'refuses'}, engine: {stderr or 'accepts'}"
    if code == 2:
        assert stderr.startswith("omnikpi: error ["), stderr
