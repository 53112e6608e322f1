"""Vectors of the parameter `by` (spec/segments.json) for every KPI that declares `segments`.

The definition, and how each expected figure is obtained:

- a segment is the KPI computed on that segment's records alone, and with total `whole` the
  result's own fields are the KPI on all records: both are obtained here by running the
  command line's *unsegmented* path (`omnikpi eval-lines`, no `by`) on the segment's records and
  on all of them, a path every other vector of the KPI already holds to independent figures.
  What these vectors test is the segmentation itself: which record goes to which segment, the
  dimension fields taken out of records (kept when the KPI reads them), the keys (text, integers
  as their decimal text), their order (values in the order of `by`, byte order), lists a segment
  has no record in, the outputs `by` and `segments`, and the errors;
- with total `consolidated` (the attribution models) the result's own fields are computed here,
  in Python, from the segments: per channel, conversions and value summed, share = summed
  conversions / total conversions at 6 places half to even, the other counts from the whole,
  model details dropped.

Inputs: every case of the KPI's `basic.json` with at least two records, dimensions assigned by
record index (a rule written below, so the split is uneven and interleaved); cases whose segments
the KPI refuses (a funnel segment without an event of a step, a lift segment without a control
arm) are left out, except one, kept as the error it gives.

Run from the repository root after building the command line (``cargo build --release -p
omnikpi-cli``): ``python3 spec/gen/segment_vectors.py``. It rewrites
``vectors/<id>/segments.json``.
"""

from __future__ import annotations

import json
import subprocess
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT.parent / "target" / "release" / "omnikpi"


def run(requests: list[tuple[str, dict, dict]]) -> list[dict]:
    """Envelopes `{"ok": ...}` or `{"error": ...}` of the unsegmented path, one per request."""
    lines = "".join(
        json.dumps({"kpi": k, "input": json.dumps(i), "params": json.dumps(p)}) + "\n" for k, i, p in requests
    )
    out = subprocess.run([str(CLI), "eval-lines", "-"], input=lines, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]


def brand(i: int) -> str:
    """Record i's brand: B for every third record from the second, A otherwise."""
    return "B" if i % 3 == 1 else "A"


def country(i: int) -> str:
    return "GB" if i % 2 else "FR"


def store(i: int) -> int | str:
    """An integer or a text: both become text keys ("12" sorts before "7")."""
    return 12 if i % 2 else "7"


def tag(input_: dict, lists: list[str], dims: dict) -> dict:
    """The input with each record of `lists` carrying the dimensions `dims` (name -> rule of the
    record's index, counted over all the segmented lists' records in order)."""
    out = dict(input_)
    n = 0
    for name in lists:
        records = []
        for record in input_.get(name, []):
            records.append({**record, **{d: rule(n) for d, rule in dims.items()}})
            n += 1
        out[name] = records
    return out


def split(input_: dict, lists: list[str], by: list[str], period=None) -> list[tuple[dict, dict]]:
    """(key, the input of that segment), sorted; `period` derived by `period(list, record)`."""
    keys: dict[tuple, dict] = {}
    for name in lists:
        for record in input_.get(name, []):
            key = tuple(period(name, record) if period and d == "period" else str(record[d]) for d in by)
            keys.setdefault(key, {l: [] for l in lists})[name].append(record)
    segments = []
    for key in sorted(keys, key=lambda k: [v.encode() for v in k]):
        seg = dict(input_)
        for name in lists:
            seg[name] = keys[key][name]
        segments.append((dict(zip(by, key)), seg))
    return segments


def strip(input_: dict, lists: list[str], by: list[str], own: dict) -> dict:
    out = dict(input_)
    for name in lists:
        out[name] = [{k: v for k, v in r.items() if k not in by or k in own[name]} for r in input_.get(name, [])]
    return out


def consolidate(whole: dict, segments: list[dict]) -> dict:
    total = Decimal(whole["totals"]["conversions"])
    channels = []
    for row in whole["channels"]:
        def summed(field: str) -> Decimal:
            start = Decimal(row[field]) * 0
            for s in segments:
                start += sum((Decimal(r[field]) for r in s["channels"] if r["channel"] == row["channel"]), start * 0)
            return start

        conversions = summed("conversions")
        share = None if total == 0 else str((conversions / total).quantize(Decimal("0.000001"), ROUND_HALF_EVEN))
        channels.append({"channel": row["channel"], "conversions": str(conversions), "value": str(summed("value")), "share": share})
    kept = ["model", "currency", "channels", "totals", "journeys", "rows"]
    return {k: (channels if k == "channels" else v) for k, v in whole.items() if k in kept}


def ratio(numerator: Decimal, denominator: Decimal, places: int) -> str | None:
    """numerator / denominator at `places`, half to even; None for a zero denominator."""
    if denominator == 0:
        return None
    return str((numerator / denominator).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN))


def largest_remainder(units: int, weights: list[int]) -> list[int] | None:
    """`units` split by `weights`: floors, then one unit each to the largest remainders, ties to
    the larger weight, then to the earlier index (spec/reference: money allocation)."""
    total = sum(weights)
    if total <= 0:
        return None
    parts = [units * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(units * weights[i] % total), -weights[i], i))
    for i in order[: units - sum(parts)]:
        parts[i] += 1
    return parts


def summed(row: dict, segments: list[dict], field: str) -> Decimal:
    """The segments' `field` of the channel of `row`, summed at the scale of `row`'s."""
    start = Decimal(row[field]) * 0
    for s in segments:
        start += sum((Decimal(r[field]) for r in s["channels"] if r["channel"] == row["channel"]), start * 0)
    return start


def consolidate_share(whole: dict, segments: list[dict]) -> dict:
    """contribution.share: values summed per channel, shares of the summed total recomputed."""
    values = [(row["channel"], summed(row, segments, "value")) for row in whole["channels"]]
    total = sum((Decimal(s["total_value"]) for s in segments), Decimal(whole["total_value"]) * 0)
    units = largest_remainder(1_000_000, [int(v.scaleb(-v.as_tuple().exponent)) for _, v in values]) if total else None
    channels = [{"channel": c, "value": str(v), "share": None if units is None else str(Decimal(u).scaleb(-6)),
                 "reason": "zero_denominator" if units is None else None} for (c, v), u in zip(values, units or [None] * len(values))]
    return {k: {"channels": channels, "total_value": str(total)}.get(k, v) for k, v in whole.items() if k != "intervals"}


def roas_line(cost: Decimal, value: Decimal, conversions: Decimal, minor: int) -> dict:
    roas, cpa = ratio(value, cost, 6), ratio(cost, conversions, minor)
    return {"cost": str(cost), "value": str(value), "conversions": str(conversions),
            "roas": roas, "roas_reason": None if roas is not None else "zero_cost",
            "cpa": cpa, "cpa_reason": None if cpa is not None else "zero_conversions"}


def consolidate_roas(whole: dict, segments: list[dict]) -> dict:
    """contribution.roas: costs, values and conversions summed per channel, ROAS and CPA
    recomputed from the sums, the overall line from the channels' sums."""
    minor = -Decimal(whole["overall"]["cost"]).as_tuple().exponent
    channels, sums = [], [Decimal(whole["overall"][f]) * 0 for f in ("cost", "value", "conversions")]
    for row in whole["channels"]:
        figures = [summed(row, segments, f) for f in ("cost", "value", "conversions")]
        sums = [a + b for a, b in zip(sums, figures)]
        channels.append({"channel": row["channel"], **roas_line(*figures, minor)})
    return {k: {"channels": channels, "overall": roas_line(*sums, minor)}.get(k, v) for k, v in whole.items() if k != "intervals"}


CONSOLIDATIONS = {"contribution.share": consolidate_share, "contribution.roas": consolidate_roas}


def merged(kpi: str, input_: dict) -> dict:
    """The whole's input for KPIs whose records of different segments may repeat a channel
    (contribution.roas's costs, contribution.growth's rows): a channel's records added up."""
    lists = {"contribution.roas": ("costs", ["cost"]), "contribution.growth": ("channels", ["previous", "current"])}
    if kpi not in lists:
        return input_
    name, amounts = lists[kpi]
    out: dict[str, dict] = {}
    for record in input_.get(name, []):
        if record["channel"] in out:
            first = out[record["channel"]]
            for a in amounts:
                first[a] = str(Decimal(str(first[a])) + Decimal(str(record[a])))
        else:
            out[record["channel"]] = dict(record)
    return {**input_, name: list(out.values())}


def spend_only(kpi: str, input_: dict, params: dict) -> dict | None:
    """A ROAS segment with costs but no journeys: every channel of the taxonomy credited nothing
    (the unsegmented path refuses an input without journeys)."""
    if kpi != "contribution.roas" or input_.get("journeys") or not input_.get("costs"):
        return None
    minor = {"EUR": 2, "GBP": 2, "CHF": 2, "USD": 2, "JPY": 0}[input_["currency"]]
    zero = Decimal(0).scaleb(-minor)
    costs = {c["channel"]: Decimal(str(c["cost"])).quantize(zero) for c in input_["costs"]}
    channels = [{"channel": c["channel"], **roas_line(costs.get(c["channel"], zero), zero, Decimal("0.000000"), minor)}
                for c in input_["channels"]]
    overall = roas_line(sum(costs.values(), zero), zero, Decimal("0.000000"), minor)
    model = params.get("model", "linear")
    return {"model": model, "currency": input_["currency"], "channels": channels, "overall": overall,
            "rows": {"read": 0, "used": 0, "rejected": 0}}


def case(kpi: str, definition: dict, name: str, input_: dict, params: dict, by: list[str], period=None) -> dict | None:
    lists = definition["segments"]["records"]
    own = {i["name"]: [f["name"] for f in i.get("fields", [])] for i in definition["inputs"]}
    fields = [d for d in by if not (period and d == "period")]
    if period and "period" in by and any(l not in definition["segments"].get("time", {}) for l in lists):
        fields.append("period")  # records of a list without time carry their period's label
    whole_input = merged(kpi, strip(input_, lists, fields, own))
    segments = [(key, strip(seg, lists, fields, own)) for key, seg in split(input_, lists, by, period)]
    results = run([(kpi, whole_input, params)] + [(kpi, seg, params) for _, seg in segments])
    for i, (_, seg) in enumerate(segments):
        alone = spend_only(kpi, seg, params)
        if alone is not None:
            results[i + 1] = {"ok": alone}
    if any("error" in r for r in results):
        return None
    whole, parts = results[0]["ok"], [r["ok"] for r in results[1:]]
    if kpi == "contribution.growth":  # the whole reads every row, repeated channels included
        n = len(input_["channels"])
        whole = {**whole, "rows": {"read": n, "used": n, "rejected": 0}}
    if definition["segments"]["total"] == "consolidated":
        total = CONSOLIDATIONS.get(kpi, consolidate)(whole, parts)
    else:
        total = whole
    expected = {**total, "by": by, "segments": [{"key": key, **part} for (key, _), part in zip(segments, parts)]}
    return {"name": name, "input": input_, "params": {**params, "by": by}, "expected": expected}


def thirds(kpi: str, definition: dict) -> dict:
    """Two brands, each one journey over three channels worth 0.10: every segment rounds its
    thirds on its own, so the consolidated channels differ from an unsegmented run's."""
    journey = lambda j, b: {"journey_id": j, "brand": b, "conversions": 1, "value": "0.10",
                            "touches": [{"channel": c, "timestamp": t} for t, c in enumerate(["GA", "M", "E"])]}
    input_ = {"currency": "EUR", "channels": [{"channel": c, "group": "online"} for c in ["GA", "M", "E"]],
              "journeys": [journey("j1", "A"), journey("j2", "B")]}
    made = case(kpi, definition, "segments round on their own: the consolidation is their sum", input_, {}, ["brand"])
    whole = run([(kpi, strip(input_, ["journeys"], ["brand"], {"journeys": []}), {})])[0]["ok"]
    assert made and made["expected"]["channels"] != whole["channels"], "the case must show the rule"
    return made


def costs_by_brand(kpi: str, definition: dict) -> list[dict]:
    """ROAS with costs per brand and month: a channel's cost repeated across brands, a brand with
    spend but no journeys, costs carrying the label of their month."""
    journey = lambda j, b, channel, t, value: {"journey_id": j, "brand": b, "conversions": 1, "value": value,
                                             "touches": [{"channel": channel, "timestamp": t}]}
    input_ = {"currency": "EUR", "channels": [{"channel": c, "group": "online"} for c in ["GA", "M"]],
              "journeys": [journey("j1", "A", "GA", "2026-03-02T10:00:00Z", "10.00"),
                           journey("j2", "A", "M", "2026-04-02T10:00:00Z", "30.00"),
                           journey("j3", "C", "GA", "2026-04-20T10:00:00Z", "12.50")],
              "costs": [{"channel": "GA", "cost": "5.00", "brand": "A", "period": "2026-03"},
                        {"channel": "GA", "cost": "7.00", "brand": "B", "period": "2026-04"},
                        {"channel": "M", "cost": "3.00", "brand": "A", "period": "2026-04"},
                        {"channel": "GA", "cost": "4.00", "brand": "C", "period": "2026-04"}]}
    params = {"model": "last_touch"}
    no_period = {**input_, "costs": [{k: v for k, v in c.items() if k != "period"} for c in input_["costs"]]}
    out = []
    made = case(kpi, definition, "costs per brand: a channel's cost in each brand, spend without journeys", no_period, params, ["brand"])
    assert made and made["expected"]["channels"][0]["cost"] == "16.00", made
    assert made["expected"]["segments"][1]["rows"]["read"] == 0
    out.append(made)
    by_month = {**params, "period": "month", "time_zone": "Europe/Paris"}
    made = case(kpi, definition, "costs per brand and month: costs carry their month's label", input_, by_month,
                ["brand", "period"], periods(definition, "month", "Europe/Paris"))
    assert made and len(made["expected"]["segments"]) == 4, made
    out.append(made)
    missing = json.loads(json.dumps(input_))
    del missing["costs"][2]["period"]
    wrong = json.loads(json.dumps(input_))
    wrong["costs"][1]["period"] = "2026-4"
    out += [{"name": "a cost without the label of its period", "input": missing, "params": {**by_month, "by": ["brand", "period"]},
             "error": {"code": "missing_field", "path": "input.costs[2].period"}},
            {"name": "a cost whose label is not a month", "input": wrong, "params": {**by_month, "by": ["period"]},
             "error": {"code": "invalid_timestamp", "path": "input.costs[1].period"}},
            {"name": "a channel's cost twice in one segment", "input": {**no_period, "costs": no_period["costs"] + [no_period["costs"][0]]},
             "params": {**params, "by": ["brand"]}, "error": {"code": "duplicate_key", "path": "params.by"}}]
    return out


def rows_by_brand(kpi: str, definition: dict) -> list[dict]:
    """Growth with one row per channel and brand: the whole adds up each channel's rows."""
    row = lambda c, b, p, n: {"channel": c, "brand": b, "previous": p, "current": n}
    input_ = {"currency": "EUR", "channels": [row("web", "A", "100.00", "150.00"), row("store", "A", "200.00", "180.00"),
                                              row("web", "B", "0.00", "40.00"), row("store", "B", "50.00", "0.00")]}
    made = case(kpi, definition, "one row per channel and brand: the whole adds them up", input_, {}, ["brand"])
    assert made and made["expected"]["channels"][0]["current"] == "190.00" and made["expected"]["rows"]["read"] == 4, made
    twice = {**input_, "channels": input_["channels"] + [row("web", "B", "1.00", "2.00")]}
    return [made, {"name": "a channel twice in one segment", "input": twice, "params": {"by": ["brand"]},
                   "error": {"code": "duplicate_key", "path": "params.by"}}]


def periods(definition: dict, grain: str, zone: str):
    """The period of a record from its time, by the definition's paths (independent of the core:
    zoneinfo and the label formats of spec/segments.json)."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    def label(list_name: str, record: dict) -> str:
        if list_name not in definition["segments"]["time"]:
            return record["period"]  # a list without time: the record gives its label
        for way in definition["segments"]["time"][list_name]:
            value: Any = record
            for step in way.split("/"):
                value = value[-1] if step == "-1" and isinstance(value, list) else (value.get(step) if isinstance(value, dict) else None)
            if value is not None:
                t = datetime.fromtimestamp(value, timezone.utc) if isinstance(value, int) else datetime.fromisoformat(value.replace("Z", "+00:00"))
                t = t.astimezone(ZoneInfo(zone))
                return {"day": t.strftime("%Y-%m-%d"), "month": t.strftime("%Y-%m"), "quarter": f"{t.year:04d}-Q{(t.month - 1) // 3 + 1}",
                        "iso_week": "%04d-W%02d" % t.isocalendar()[:2]}[grain]
        raise AssertionError("a record without time")
    return label


def months(kpi: str, definition: dict) -> list[dict]:
    """Journeys converting on either side of midnight, 31 March 2026 in UTC: the first of April
    in Paris (UTC+2 since 29 March), still March in UTC."""
    journey = lambda j, first, last: {"journey_id": j, "conversions": 1, "value": "10.00",
                                      "touches": [{"channel": "GA", "timestamp": first}, {"channel": "M", "timestamp": last}]}
    input_ = {"currency": "EUR", "channels": [{"channel": c, "group": "online"} for c in ["GA", "M"]],
              "journeys": [journey("j1", "2026-03-31T20:30:00Z", "2026-03-31T21:30:00Z"),
                           journey("j2", "2026-03-31T21:30:00Z", "2026-03-31T22:30:00Z"),
                           {**journey("j3", "2026-03-30T09:00:00Z", "2026-03-30T10:00:00Z"),
                            "conversion_timestamp": "2026-04-02T08:00:00Z"}]}
    out = []
    for zone, keys in [("Europe/Paris", ["2026-03", "2026-04"]), ("UTC", ["2026-03", "2026-04"])]:
        params = {"period": "month", "time_zone": zone}
        made = case(kpi, definition, f"by period, months in {zone}", input_, params, ["period"], periods(definition, "month", zone))
        assert made and [s["key"]["period"] for s in made["expected"]["segments"]] == keys
        out.append(made)
    sizes = [s["rows"]["read"] for s in out[0]["expected"]["segments"]], [s["rows"]["read"] for s in out[1]["expected"]["segments"]]
    assert sizes == ([1, 2], [2, 1]), sizes
    out.append({"name": "a time zone that does not exist", "input": input_,
                "params": {"by": ["period"], "period": "month", "time_zone": "Europe/Pariss"},
                "error": {"code": "invalid_parameter", "path": "params.time_zone"}})
    return out


def errors(kpi: str, definition: dict, sample: dict) -> list[dict]:
    lists = definition["segments"]["records"]
    first = next(l for l in lists if sample.get(l))
    tagged = tag(sample, lists, {"brand": brand})
    missing = json.loads(json.dumps(tagged))
    del missing[first][-1]["brand"]
    last = len(missing[first]) - 1
    wrong = json.loads(json.dumps(tagged))
    wrong[first][0]["brand"] = True
    return [
        {"name": "a record without a dimension of by", "input": missing, "params": {"by": ["brand"]},
         "error": {"code": "missing_field", "path": f"input.{first}[{last}].brand"}},
        {"name": "a dimension that is neither text nor integer", "input": wrong, "params": {"by": ["brand"]},
         "error": {"code": "wrong_type", "path": f"input.{first}[0].brand"}},
        {"name": "by is a list", "input": tagged, "params": {"by": "brand"},
         "error": {"code": "wrong_type", "path": "params.by"}},
        {"name": "a dimension named twice", "input": tagged, "params": {"by": ["brand", "brand"]},
         "error": {"code": "invalid_parameter", "path": "params.by[1]"}},
        {"name": "an empty dimension name", "input": tagged, "params": {"by": [""]},
         "error": {"code": "invalid_parameter", "path": "params.by[0]"}},
        {"name": "dimensions without by are unknown fields", "input": tagged, "params": {},
         "error": {"code": "unknown_field"}},
    ]


def vectors(kpi: str) -> dict:
    definition = json.loads((ROOT / "kpis" / f"{kpi}.json").read_text(encoding="utf-8"))
    lists = definition["segments"]["records"]
    basic = json.loads((ROOT / "vectors" / kpi / "basic.json").read_text(encoding="utf-8"))["cases"]
    samples = [c for c in basic if "expected" in c and sum(len(c["input"].get(l, [])) for l in lists) >= 2]
    cases = []
    for c in samples:
        params = c.get("params") or {}
        made = case(kpi, definition, f"by brand: {c['name']}", tag(c["input"], lists, {"brand": brand}), params, ["brand"])
        if made:
            cases.append(made)
    if samples:
        c = max(samples, key=lambda c: sum(len(c["input"].get(l, [])) for l in lists))
        params = c.get("params") or {}
        two = tag(c["input"], lists, {"brand": brand, "country": country})
        made = case(kpi, definition, f"by brand and country: {c['name']}", two, params, ["brand", "country"])
        if made:
            cases.append(made)
        stores = tag(c["input"], lists, {"store": store})
        made = case(kpi, definition, f"integer and text keys: {c['name']}", stores, params, ["store"])
        if made:
            cases.append(made)
        cases += errors(kpi, definition, c["input"])
    own = {i["name"]: [f["name"] for f in i.get("fields", [])] for i in definition["inputs"]}
    kept = [f for f in ("channel", "store", "arm") if all(f in own.get(l, []) for l in lists)]
    for c in samples[:1]:
        if kept:
            made = case(kpi, definition, f"by a field the KPI reads ({kept[0]}): {c['name']}", c["input"], c.get("params") or {}, [kept[0]])
            if made:
                cases.append(made)
    if kpi in ("attribution.linear", "contribution.share"):
        cases.append(thirds(kpi, definition))
        cases += months(kpi, definition)
    if kpi == "contribution.roas":
        cases += costs_by_brand(kpi, definition)
    if kpi == "contribution.growth":
        cases += rows_by_brand(kpi, definition)
    if "time" in definition["segments"] and kpi.startswith("conversion."):
        c = max(samples, key=lambda c: sum(len(c["input"].get(l, [])) for l in lists))
        params = {**(c.get("params") or {}), "period": "day", "time_zone": "America/New_York"}
        made = case(kpi, definition, f"by period, days in New York: {c['name']}", c["input"], params, ["period"], periods(definition, "day", "America/New_York"))
        if made:
            cases.append(made)
    if "time" not in definition["segments"]:
        c = samples[0]
        cases.append({"name": "periods need records with a time", "input": c["input"],
                      "params": {"by": ["period"], "period": "month"},
                      "error": {"code": "invalid_parameter", "path": "params.period"}})
    assert any("expected" in c for c in cases), kpi
    return {"kpi": kpi, "description": f"The parameter by on {kpi} (spec/segments.json), written by spec/gen/segment_vectors.py.", "cases": cases}


def main() -> None:
    for path in sorted((ROOT / "kpis").glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        if "segments" not in definition:
            continue
        doc = vectors(definition["id"])
        out = ROOT / "vectors" / definition["id"] / "segments.json"
        out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(out.relative_to(ROOT), sum("expected" in c for c in doc["cases"]), "computed,", sum("error" in c for c in doc["cases"]), "errors")


if __name__ == "__main__":
    main()
