"""Vectors of the `fx` input (spec/fx.json) for every KPI that declares `fx`.

The definition, and how each expected figure is obtained independently of the core's FX code:
an amount of a record whose `currency` is not the input's becomes amount × rate, rounded once to
the reporting currency's minor unit by the table's rule, and the record's currency becomes the
input's; the rate is the currency's only rate (`fixed`), the one whose `from` date is the latest
on or before the record's date in the table's time zone (`date`), or the rate of the record's
period (`period`). The conversion is done here with Python's decimal module; the KPI's figures
on the converted records come from the command line's path *without* `fx` (`omnikpi
eval-lines`), which the KPI's other vectors hold to independent figures; `fx` in the result is
`{table, rate_at, converted}` counted here.

Run from the repository root after building the command line: ``python3 spec/gen/fx_vectors.py``.
It rewrites ``vectors/<id>/fx.json``.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from segment_vectors import run

ROOT = Path(__file__).resolve().parent.parent
MINOR = json.loads((ROOT / "currencies.json").read_text())["minor_units"]


def when(record: dict, paths: list[str], zone: str) -> datetime:
    for way in paths:
        value = record
        for step in way.split("/"):
            value = value[-1] if step == "-1" and isinstance(value, list) else (value.get(step) if isinstance(value, dict) else None)
        if value is not None:
            t = datetime.fromtimestamp(value, timezone.utc) if isinstance(value, int) else datetime.fromisoformat(value.replace("Z", "+00:00"))
            return t.astimezone(ZoneInfo(zone))
    raise AssertionError("no time")


def convert(input_: dict, definition: dict) -> tuple[dict, int]:
    """The input with converted amounts and without `fx`, and the count of converted records."""
    table = input_["fx"]
    out = {k: copy.deepcopy(v) for k, v in input_.items() if k != "fx"}
    rounding = ROUND_HALF_UP if table["rounding"] == "half_up" else ROUND_HALF_EVEN
    quantum = Decimal(1).scaleb(-MINOR[input_["currency"]])
    zone = table.get("time_zone", "UTC")
    n = 0
    for name, amounts in definition["fx"].items():
        paths = definition.get("segments", {}).get("time", {}).get(name, [])
        for record in out.get(name, []):
            code = record.get("currency")
            if code in (None, input_["currency"]):
                continue
            rates = [r for r in table["rates"] if r["currency"] == code]
            if table["rate_at"] == "fixed":
                rate = Decimal(rates[0]["rate"])
            elif table["rate_at"] == "date":
                day = when(record, paths, zone).strftime("%Y-%m-%d")
                rate = Decimal(max((r for r in rates if r["valid_from"] <= day), key=lambda r: r["valid_from"])["rate"])
            else:
                period = when(record, paths, zone).strftime("%Y-%m") if paths else record["period"]
                rate = Decimal(next(r for r in rates if r["period"] == period)["rate"])
            for a in amounts:
                if record.get(a) is not None:
                    record[a] = str((Decimal(str(record[a])) * rate).quantize(quantum, rounding))
            record["currency"] = input_["currency"]
            n += 1
        fields = next(i for i in definition["inputs"] if i["name"] == name).get("fields", [])
        if table["rate_at"] == "period" and not any(f["name"] == "period" for f in fields):
            for record in out.get(name, []):
                record.pop("period", None)  # the table's key, not a field of the KPI
    return out, n


def case(kpi: str, definition: dict, name: str, input_: dict, params: dict | None = None) -> dict:
    converted, n = convert(input_, definition)
    [result] = run([(kpi, converted, params or {})])
    assert "ok" in result, result
    expected = {**result["ok"], "fx": {"table": input_["fx"]["id"], "rate_at": input_["fx"]["rate_at"], "converted": n}}
    out = {"name": name, "input": input_, "expected": expected}
    if params:
        out["params"] = params
    return out


FIXED = {"id": "budget-2026", "currency": "EUR", "rate_at": "fixed", "rounding": "half_even",
         "rates": [{"currency": "GBP", "rate": "1.1655"}, {"currency": "CHF", "rate": "1.0425"}, {"currency": "JPY", "rate": "0.0061"}]}


def records_case(kpi: str, definition: dict, base: dict) -> list[dict]:
    """Every other record of each declared list moved to GBP, CHF or JPY (amounts made valid in
    the currency: JPY has no minor unit)."""
    [(name, amounts)] = definition["fx"].items()
    cases = []
    for rounding in ["half_even", "half_up"]:
        input_ = copy.deepcopy(base)
        for i, record in enumerate(input_[name]):
            code = ["GBP", "CHF", "JPY"][i % 3] if i % 2 else None
            if code and all(record.get(a) is not None for a in amounts):
                record["currency"] = code
                for a in amounts:
                    record[a] = str(Decimal(str(record[a])).quantize(Decimal(1))) if code == "JPY" else record[a]
        input_["fx"] = {**FIXED, "rounding": rounding}
        cases.append(case(kpi, definition, f"fixed rates, {rounding}", input_))
    if not definition.get("segments", {}).get("time", {}).get(name):
        # records without a time choose their period-average rate by a `period` label
        input_ = copy.deepcopy(cases[0]["input"])
        for i, record in enumerate(input_[name]):
            record["period"] = ["2026-03", "2026-04"][i % 2]
        input_["fx"] = {**FIXED, "id": "averages-2026", "rate_at": "period", "rates": [
            {**r, "period": p, "rate": str(Decimal(r["rate"]) + d)}
            for r in FIXED["rates"] for p, d in [("2026-03", Decimal(0)), ("2026-04", Decimal("0.0100"))]]}
        cases.append(case(kpi, definition, "period-average rates chosen by each record's period label", input_))
        # a day is not taken for its month, in a record or in the table
        i = next(i for i, r in enumerate(input_[name]) if r.get("currency") not in (None, "EUR"))
        day = copy.deepcopy(input_)
        day[name][i]["period"] = "2026-03-01"
        cases.append({"name": "a record's period that is a day, not a month", "input": day,
                      "error": {"code": "invalid_timestamp", "path": f"input.{name}[{i}].period"}})
        unlabelled = copy.deepcopy(input_)
        del unlabelled[name][i]["period"]
        cases.append({"name": "a converted record without its period", "input": unlabelled,
                      "error": {"code": "missing_field", "path": f"input.{name}[{i}].period"}})
        day_rate = copy.deepcopy(input_)
        day_rate["fx"]["rates"][1]["period"] = "2026-04-01"
        cases.append({"name": "a rate's period that is a day, not a month", "input": day_rate,
                      "error": {"code": "invalid_timestamp", "path": "input.fx.rates[1].period"}})
    return cases


def errors(kpi: str, definition: dict, base: dict) -> list[dict]:
    [(name, amounts)] = definition["fx"].items()
    i = next(i for i, r in enumerate(base[name]) if r.get(amounts[0]) is not None)
    mixed = copy.deepcopy(base)
    mixed[name][i]["currency"] = "GBP"
    no_rate = {**copy.deepcopy(mixed), "fx": {**FIXED, "rates": [FIXED["rates"][1]]}}
    other = {**copy.deepcopy(mixed), "fx": {**FIXED, "currency": "USD"}}
    zero = {**copy.deepcopy(mixed), "fx": {**FIXED, "rates": [{"currency": "GBP", "rate": "0"}]}}
    twice = {**copy.deepcopy(mixed), "fx": {**FIXED, "rates": [FIXED["rates"][0], FIXED["rates"][0]]}}
    mode = {**copy.deepcopy(mixed), "fx": {**FIXED, "rate_at": "daily"}}
    return [
        {"name": "mixed currencies without a table", "input": mixed,
         "error": {"code": "currency_mismatch", "path": f"input.{name}[{i}].currency"}},
        {"name": "a currency the table has no rate for", "input": no_rate,
         "error": {"code": "missing_fx_rate", "path": f"input.{name}[{i}].{amounts[0]}"}},
        {"name": "a table in another currency than the input's", "input": other,
         "error": {"code": "currency_mismatch", "path": "input.fx.currency"}},
        {"name": "a rate that is not positive", "input": zero,
         "error": {"code": "invalid_parameter", "path": "input.fx.rates[0].rate"}},
        {"name": "a rate given twice", "input": twice,
         "error": {"code": "duplicate_key", "path": "input.fx.rates[1]"}},
        {"name": "an unknown rate_at", "input": mode,
         "error": {"code": "invalid_parameter", "path": "input.fx.rate_at"}},
    ]


def dated(kpi: str, definition: dict) -> list[dict]:
    """Journeys in GBP converting on either side of a rate change, in Paris time; a journey
    before the first rate."""
    journey = lambda j, t, code: {"journey_id": j, "conversions": 1, "value": "100.00", "currency": code,
                                  "touches": [{"channel": "GA", "timestamp": t}]}
    base = {"currency": "EUR", "channels": [{"channel": "GA", "group": "online"}, {"channel": "M", "group": "online"}],
            "journeys": [journey("j1", "2026-03-31T21:30:00Z", "GBP"), journey("j2", "2026-03-31T22:30:00Z", "GBP"),
                         journey("j3", "2026-02-10T12:00:00Z", "EUR")]}
    table = {"id": "ecb-2026", "currency": "EUR", "rate_at": "date", "rounding": "half_even", "time_zone": "Europe/Paris",
             "rates": [{"currency": "GBP", "rate": "1.1500", "valid_from": "2026-03-01"}, {"currency": "GBP", "rate": "1.2000", "valid_from": "2026-04-01"}]}
    made = case(kpi, definition, "rates in force on each conversion's date, in Paris", {**base, "fx": table})
    assert made["expected"]["totals"]["value"] == "335.00", made["expected"]["totals"]  # 115.00 + 120.00 + 100.00
    monthly = {**table, "id": "averages-2026", "rate_at": "period",
               "rates": [{"currency": "GBP", "rate": "1.1612", "period": "2026-03"}, {"currency": "GBP", "rate": "1.1833", "period": "2026-04"}]}
    made_p = case(kpi, definition, "monthly average rates", {**base, "fx": monthly})
    early = copy.deepcopy(base)
    early["journeys"][2]["currency"] = "GBP"
    return [made, made_p,
            {"name": "a date before the first rate", "input": {**early, "fx": table},
             "error": {"code": "missing_fx_rate", "path": "input.journeys[2].value"}},
            {"name": "a quarter's rate in a table of months", "input": {**base, "fx": {**monthly, "rates": [
                monthly["rates"][0], {**monthly["rates"][1], "period": "2026-Q2"}]}},
             "error": {"code": "invalid_timestamp", "path": "input.fx.rates[1].period"}},
            case(kpi, definition, "with by: each segment converted", {**base, "journeys": [dict(j, brand=b) for j, b in zip(base["journeys"], "ABA")], "fx": table},
                 {"by": ["brand"]})]


def main() -> None:
    for path in sorted((ROOT / "kpis").glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        if "fx" not in definition:
            continue
        kpi = definition["id"]
        basic = json.loads((ROOT / "vectors" / kpi / "basic.json").read_text(encoding="utf-8"))["cases"]
        [(name, amounts)] = definition["fx"].items()
        base = max((c for c in basic if "expected" in c and not c.get("params")),
                   key=lambda c: sum(r.get(amounts[0]) is not None for r in c["input"][name]))["input"]
        cases = records_case(kpi, definition, base) + errors(kpi, definition, base)
        if kpi == "attribution.linear":
            cases += dated(kpi, definition)
        doc = {"kpi": kpi, "description": f"The fx input of {kpi} (spec/fx.json), written by spec/gen/fx_vectors.py.", "cases": cases}
        (ROOT / "vectors" / kpi / "fx.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(kpi, len(cases), "cases")


if __name__ == "__main__":
    main()
