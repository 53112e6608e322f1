"""Touch tables as users export them (GA4, Adobe, warehouses), read as the user declares and
never guessed: every declared variant of one dataset gives the same bytes, through Python's Arrow
path and the CLI's CSV and Parquet paths, which share the core's one reader."""

from __future__ import annotations

import json
import random
import subprocess
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import omnikpi

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "omnikpi"
CHANNELS = [{"channel": c, "group": g} for c, g in
            [("web", "online"), ("email", "online"), ("store", "offline"), ("call", "offline")]]
MODELS = ["first_touch", "last_touch", "linear", "markov"]


def journeys(seed: int, spread: int = 10_000_000) -> list[dict[str, Any]]:
    """Random journeys from 2026-09-21 on (over ``spread`` seconds): 1-5 touches within a day,
    some converting with a value."""
    rng = random.Random(seed)
    out = []
    for j in range(120):
        start = 1_790_000_000 + rng.randrange(spread)
        times = sorted(start + rng.randrange(86_400) for _ in range(rng.randint(1, 5)))
        converted = rng.random() < 0.4
        out.append({"id": f"user-{j:04d}", "touches": [(rng.choice("web email store call".split()), t) for t in times],
                    "conversions": int(converted), "value": Decimal(rng.randrange(1, 50_000)) / 100 if converted else None})
    return out


def every_row(js: list[dict[str, Any]]) -> pa.Table:
    """The canonical shape: integer seconds, outcome repeated on every row, decimal value."""
    rows: dict[str, list[Any]] = {"journey_id": [], "timestamp": [], "channel": [], "conversions": [], "value": []}
    for j in js:
        for channel, t in j["touches"]:
            rows["journey_id"].append(j["id"]); rows["timestamp"].append(t); rows["channel"].append(channel)
            rows["conversions"].append(j["conversions"]); rows["value"].append(j["value"])
    return pa.table({**rows, "value": pa.array(rows["value"], pa.decimal128(12, 2))})


def ga4(js: list[dict[str, Any]]) -> pa.Table:
    """As GA4 in BigQuery exports it: user_pseudo_id, event_timestamp in microseconds, the
    purchase flag (bool) and float revenue on the last touch only, rows shuffled."""
    rows = []
    for j in js:
        last = len(j["touches"]) - 1
        for k, (channel, t) in enumerate(j["touches"]):
            on_last = k == last
            rows.append({"user_pseudo_id": j["id"], "event_timestamp": t * 1_000_000 + 123, "source": channel,
                         "purchase": bool(j["conversions"]) if on_last else None,
                         "revenue": float(j["value"]) if on_last and j["value"] is not None else None})
    random.Random(7).shuffle(rows)
    return pa.Table.from_pylist(rows, schema=pa.schema([("user_pseudo_id", pa.string()), ("event_timestamp", pa.int64()),
                                                         ("source", pa.string()), ("purchase", pa.bool_()),
                                                         ("revenue", pa.float64())]))


GA4 = dict(columns={"journey_id": "user_pseudo_id", "timestamp": "event_timestamp", "channel": "source",
                    "conversions": "purchase", "value": "revenue"},
           outcome="last_touch", timestamp_unit="us", money_from_float="round_half_even")


def canonical(result: Any) -> str:
    return json.dumps({m: result[m].to_dict() for m in MODELS}, sort_keys=True, default=str)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_ga4_export_equals_the_canonical_table(seed: int) -> None:
    js = journeys(seed)
    want = canonical(omnikpi.attribute(MODELS, every_row(js), channels=CHANNELS, currency="EUR", timestamp_unit="s"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # floats of two-place amounts round without moving past 1e-9
        got = canonical(omnikpi.attribute(MODELS, ga4(js), channels=CHANNELS, currency="EUR", **GA4))
    assert got == want


def test_units_flags_and_zones_are_one_instant() -> None:
    js = journeys(4, spread=2_000_000)  # September to mid-October: no daylight saving change in Paris
    table = every_row(js)
    want = canonical(omnikpi.attribute(MODELS, table, channels=CHANNELS, currency="EUR", timestamp_unit="s"))
    ts = table["timestamp"].to_pylist()
    for unit, scale in [("ms", 1_000), ("ns", 1_000_000_000)]:
        scaled = table.set_column(1, "timestamp", pa.array([t * scale for t in ts], pa.int64()))
        assert canonical(omnikpi.attribute(MODELS, scaled, channels=CHANNELS, currency="EUR", timestamp_unit=unit)) == want
    typed = table.set_column(1, "timestamp", pa.array([t * 1000 for t in ts], pa.timestamp("ms", tz="UTC")))
    assert canonical(omnikpi.attribute(MODELS, typed, channels=CHANNELS, currency="EUR")) == want  # Arrow carries its unit
    flags = table.set_column(3, "conversions", pa.array([bool(c) for c in table["conversions"].to_pylist()]))
    assert canonical(omnikpi.attribute(MODELS, flags, channels=CHANNELS, currency="EUR", timestamp_unit="s")) == want
    # naive local times in Paris (UTC+1/+2) are the same instants once the zone is declared
    import datetime as dt
    from zoneinfo import ZoneInfo
    paris = [dt.datetime.fromtimestamp(t, ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M:%S") for t in ts]
    naive = table.set_column(1, "timestamp", pa.array(paris))
    assert canonical(omnikpi.attribute(MODELS, naive, channels=CHANNELS, currency="EUR", timezone="Europe/Paris")) == want
    with pytest.raises(omnikpi.InputError) as e:
        omnikpi.attribute(MODELS, naive, channels=CHANNELS, currency="EUR")
    assert e.value.code == "invalid_timestamp" and "timezone" in str(e.value)


def test_nothing_is_guessed() -> None:
    table = ga4(journeys(5))
    declared = dict(GA4)
    for missing, code in [("timestamp_unit", "wrong_type"), ("money_from_float", "wrong_type")]:
        options = {k: v for k, v in declared.items() if k != missing}
        with pytest.raises(omnikpi.OmniKpiError) as e:
            omnikpi.attribute(MODELS, table, channels=CHANNELS, currency="EUR", **options)
        assert e.value.code == code and missing in str(e.value), str(e.value)
    # without outcome="last_touch", rows that disagree are refused, naming the row
    options = {k: v for k, v in declared.items() if k != "outcome"}
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.attribute(MODELS, table, channels=CHANNELS, currency="EUR", **options)
    assert e.value.code == "invalid_dataset"
    # an outcome on a row that is not the journey's last touch is refused, not dropped
    bad = pa.table({"journey_id": ["a", "a"], "timestamp": [10, 20], "channel": ["web", "store"],
                    "conversions": [1, None], "value": ["5.00", None]})
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.attribute("linear", bad, channels=CHANNELS, currency="EUR", timestamp_unit="s", outcome="last_touch")
    assert e.value.code == "invalid_dataset" and "not its last touch" in str(e.value)
    for option, value in [("outcome", "first_touch"), ("timestamp_unit", "h"), ("timezone", "Mars/Olympus"),
                          ("money_from_float", "truncate")]:
        with pytest.raises(omnikpi.OmniKpiError) as e:
            omnikpi.attribute("linear", bad, channels=CHANNELS, currency="EUR", **{option: value})
        assert (e.value.code, e.value.path) == ("invalid_parameter", f"reading.{option}")


def test_float_money_is_rounded_and_counted() -> None:
    table = pa.table({"journey_id": ["a", "b", "c"], "timestamp": [1, 2, 3], "channel": ["web"] * 3,
                      "conversions": [1, 1, 1], "value": [19.99, 2.675, 0.1 + 0.2]})
    with pytest.warns(omnikpi.FloatMoneyWarning, match="1 of 3 amounts"):
        got = omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR", timestamp_unit="s",
                                money_from_float="round_half_even")
    # 2.675 is 2.67499999... in binary: half-even on the exact value gives 2.67, as declared
    assert got.totals.value == Decimal("19.99") + Decimal("2.67") + Decimal("0.30")


def test_cli_csv_parquet_and_python_agree_on_a_ga4_export(tmp_path: Path) -> None:
    js = journeys(6)
    table = ga4(js)
    pq.write_table(table, tmp_path / "ga4.parquet")
    pacsv.write_csv(table, tmp_path / "ga4.csv")
    (tmp_path / "channels.csv").write_text("channel,group,direct\n" + "".join(f"{c['channel']},{c['group']},false\n" for c in CHANNELS))
    flags = ["--column", "journey_id=user_pseudo_id", "--column", "timestamp=event_timestamp", "--column", "channel=source",
             "--column", "conversions=purchase", "--column", "value=revenue", "--outcome", "last-touch",
             "--timestamp-unit", "us", "--money-from-float", "round-half-even"]
    def cli(source: Path) -> Any:
        proc = subprocess.run([str(CLI), "attribute", str(source), "--channels", str(tmp_path / "channels.csv"), "--currency", "EUR",
                               "--model", ",".join(MODELS), "--json", *flags], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    from_csv, from_parquet = cli(tmp_path / "ga4.csv"), cli(tmp_path / "ga4.parquet")
    assert from_csv == from_parquet
    python = omnikpi.attribute(MODELS, table, channels=CHANNELS, currency="EUR", **GA4)
    assert [r["channels"] for r in from_csv] == [json.loads(json.dumps(python[m].to_dict()["channels"], default=str)) for m in MODELS]



def test_a_table_certificate_is_the_clis_and_verified_by_it(tmp_path: Path) -> None:
    js = journeys(8)
    table = ga4(js)
    pq.write_table(table, tmp_path / "ga4.parquet")
    (tmp_path / "channels.csv").write_text("channel,group,direct\n" + "".join(f"{c['channel']},{c['group']},false\n" for c in CHANNELS))
    python = omnikpi.attribute(MODELS, table, channels=CHANNELS, currency="EUR", certify=True, **GA4)
    certs = [python[m].certificate for m in MODELS]
    assert [c["kpi"] for c in certs] == [f"attribution.{m}" for m in MODELS]
    assert certs[0]["reading"]["outcome"] == "last_touch" and certs[0]["reading"]["timestamp_unit"] == "us"
    # the rows' order is not the input: the journeys as read are
    reshuffled = table.take(pa.array(random.Random(11).sample(range(table.num_rows), table.num_rows)))
    again = omnikpi.attribute(MODELS, reshuffled, channels=CHANNELS, currency="EUR", certify=True, **GA4)
    assert [again[m].certificate for m in MODELS] == certs
    # the same journeys read from another shape: same input, another reading, another certificate
    plain = omnikpi.attribute(MODELS, every_row(js), channels=CHANNELS, currency="EUR", timestamp_unit="s", certify=True)
    assert plain["linear"].certificate["input"] == certs[2]["input"]
    assert plain["linear"].certificate["certificate"] != certs[2]["certificate"]
    assert omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR", **GA4).certificate is None
    # the CLI writes the same certificates for the Parquet file, and confirms Python's from it
    flags = ["--column", "journey_id=user_pseudo_id", "--column", "timestamp=event_timestamp", "--column", "channel=source",
             "--column", "conversions=purchase", "--column", "value=revenue", "--outcome", "last-touch",
             "--timestamp-unit", "us", "--money-from-float", "round-half-even"]
    common = ["--channels", str(tmp_path / "channels.csv"), "--currency", "EUR"]
    proc = subprocess.run([str(CLI), "attribute", str(tmp_path / "ga4.parquet"), *common, "--model", ",".join(MODELS),
                           "--certificate", str(tmp_path / "cli.json"), *flags], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "cli.json").read_text()) == json.loads(json.dumps(certs))
    (tmp_path / "python.json").write_text(json.dumps(certs))
    proc = subprocess.run([str(CLI), "verify", str(tmp_path / "python.json"), "--journeys", str(tmp_path / "ga4.parquet"), *common],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.count("confirmed:") == len(MODELS), proc.stdout + proc.stderr
    # a list of journeys is certified over the KPI's input, which verify() recomputes
    data = [{"touches": [{"channel": "web", "timestamp": 0}], "conversions": 1, "value": "9.00"}]
    listed = omnikpi.attribute("linear", data, channels=CHANNELS, currency="EUR", certify=True)
    assert omnikpi.verify(listed.certificate, {"channels": CHANNELS, "currency": "EUR", "journeys": data})["confirmed"]


def test_a_table_cut_by_its_dimensions_equals_its_journeys_cut_by_theirs(tmp_path: Path) -> None:
    js = journeys(9)
    brand = {j["id"]: "AB"[k % 2] for k, j in enumerate(js)}
    country = {j["id"]: ["FR", "GB", "CH"][k % 3] for k, j in enumerate(js)}
    table = every_row(js)
    ids = table["journey_id"].to_pylist()
    table = table.append_column("brand", pa.array([brand[i] for i in ids])).append_column(
        "country", pa.array([country[i] for i in ids], pa.dictionary(pa.int8(), pa.string())))
    models = ["linear", "markov"]
    got = omnikpi.attribute(models, table, channels=CHANNELS, currency="EUR", timestamp_unit="s", by=["brand", "country"])
    listed = [{"journey_id": j["id"], "touches": [{"channel": c, "timestamp": t} for c, t in j["touches"]],
               "conversions": j["conversions"], "value": j["value"], "brand": brand[j["id"]], "country": country[j["id"]]}
              for j in js]
    want = omnikpi.attribute(models, listed, channels=CHANNELS, currency="EUR", by=["brand", "country"])
    for m in models:
        assert got[m].to_dict() == want[m].to_dict()
        assert len(got[m].to_dict()["segments"]) == 6
        assert got[m].to_dict()["segments"][0]["key"] == {"brand": "A", "country": "CH"}
    # the CLI cuts the same file alike
    pq.write_table(table, tmp_path / "touches.parquet")
    (tmp_path / "channels.csv").write_text("channel,group\n" + "".join(f"{c['channel']},{c['group']}\n" for c in CHANNELS))
    proc = subprocess.run([str(CLI), "attribute", str(tmp_path / "touches.parquet"), "--channels", str(tmp_path / "channels.csv"),
                           "--currency", "EUR", "--model", "linear,markov", "--timestamp-unit", "s", "--by", "brand,country",
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [json.loads(json.dumps(got[m].to_dict(), default=str)) for m in models]
    # a journey whose rows disagree is refused at the row, never split
    rows = table.to_pylist()
    first = rows[0]["journey_id"]
    last = max(i for i, r in enumerate(rows) if r["journey_id"] == first)
    if last == 0:
        rows.append({**rows[0], "timestamp": rows[0]["timestamp"] + 1})
        last = len(rows) - 1
    rows[last] = {**rows[last], "brand": "Z"}
    bad = pa.Table.from_pylist(rows, schema=table.schema)
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.attribute("linear", bad, channels=CHANNELS, currency="EUR", timestamp_unit="s", by=["brand"])
    assert (e.value.code, e.value.path) == ("invalid_dataset", f"table.brand[{last}]"), str(e.value)
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR", timestamp_unit="s", by=["store"])
    assert (e.value.code, e.value.path) == ("missing_field", "table.store")
    # certified with its cut: the segments' keys are part of the input, `by` of the parameters
    cert = omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR", timestamp_unit="s", by=["brand"],
                             certify=True).certificate
    plain = omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR", timestamp_unit="s", certify=True).certificate
    assert cert["params"]["by"] == ["brand"] and cert["input"] != plain["input"]
    (tmp_path / "cert.json").write_text(json.dumps(cert))
    verify = subprocess.run([str(CLI), "verify", str(tmp_path / "cert.json"), "--journeys", str(tmp_path / "touches.parquet"),
                             "--channels", str(tmp_path / "channels.csv"), "--currency", "EUR"],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and "confirmed: attribution.linear" in verify.stdout, verify.stdout + verify.stderr


def test_period_in_by_is_derived_from_a_tables_journeys_as_from_a_list(tmp_path: Path) -> None:
    js = journeys(10)  # September to December 2026: months in Paris, daylight saving change included
    brand = {j["id"]: "AB"[k % 2] for k, j in enumerate(js)}
    table = every_row(js)
    table = table.append_column("brand", pa.array([brand[i] for i in table["journey_id"].to_pylist()]))
    cut = dict(by=["brand", "period"], period="month", time_zone="Europe/Paris")
    got = omnikpi.attribute(["linear", "markov"], table, channels=CHANNELS, currency="EUR", timestamp_unit="s", **cut)
    listed = [{"journey_id": j["id"], "touches": [{"channel": c, "timestamp": t} for c, t in j["touches"]],
               "conversions": j["conversions"], "value": j["value"], "brand": brand[j["id"]]} for j in js]
    want = omnikpi.attribute(["linear", "markov"], listed, channels=CHANNELS, currency="EUR", **cut)
    assert got.to_dict() == want.to_dict()
    keys = [s["key"] for s in got["linear"].to_dict()["segments"]]
    assert {k["period"] for k in keys} >= {"2026-09", "2026-10"} and all(set(k) == {"brand", "period"} for k in keys)
    # the CLI derives the same periods from the same file, and its certificate names the grain
    pq.write_table(table, tmp_path / "touches.parquet")
    (tmp_path / "channels.csv").write_text("channel,group\n" + "".join(f"{c['channel']},{c['group']}\n" for c in CHANNELS))
    common = ["--channels", str(tmp_path / "channels.csv"), "--currency", "EUR"]
    proc = subprocess.run([str(CLI), "attribute", str(tmp_path / "touches.parquet"), *common, "--model", "linear,markov",
                           "--timestamp-unit", "s", "--by", "brand,period", "--period", "month", "--time-zone", "Europe/Paris",
                           "--json", "--certificate", str(tmp_path / "cert.json")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [json.loads(json.dumps(got[m].to_dict(), default=str)) for m in ["linear", "markov"]]
    cert = json.loads((tmp_path / "cert.json").read_text())[0]
    assert (cert["params"]["period"], cert["params"]["time_zone"]) == ("month", "Europe/Paris")
    verify = subprocess.run([str(CLI), "verify", str(tmp_path / "cert.json"), "--journeys", str(tmp_path / "touches.parquet"),
                             *common], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # without a grain, `period` is a column the table must have
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR", timestamp_unit="s", by=["period"])
    assert (e.value.code, e.value.path) == ("missing_field", "table.period")

NODE_TABLE = r"""
const omnikpi = require(process.argv[2]);
const cases = JSON.parse(require("node:fs").readFileSync(process.argv[3], "utf8"));
const out = cases.map(({ rows, options }) => {
  try {
    return { ok: omnikpi.attributeTable(["first_touch", "last_touch", "linear", "markov"], rows, options) };
  } catch (e) {
    return { error: [e.code, e.path] };
  }
});
process.stdout.write(JSON.stringify(out));
"""


def node_tables(cases: list[dict[str, Any]], tmp: Path) -> list[dict[str, Any]]:
    """Each case's ``rows`` through Node's ``attributeTable`` with its ``options``."""
    (tmp / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    (tmp / "table.cjs").write_text(NODE_TABLE, encoding="utf-8")
    pkg = ROOT / "bindings-wasm" / "pkg" / "node.cjs"
    proc = subprocess.run(["node", str(tmp / "table.cjs"), str(pkg), str(tmp / "cases.json")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_node_reads_a_table_as_python_does(tmp_path: Path) -> None:
    """The same GA4-shaped rows, valid and broken, through Node's attributeTable (row objects)
    and Python's Arrow path: the same bytes, or the same error code and cell."""
    js_options = {"channels": CHANNELS, "currency": "EUR", "columns": GA4["columns"], "outcome": "last_touch",
                  "timestampUnit": "us", "moneyFromFloat": "round_half_even"}
    schema = ga4(journeys(1)).schema
    cases: list[tuple[list[dict[str, Any]], dict[str, Any]]] = []
    for seed in (1, 2, 3):
        rows = ga4(journeys(seed)).to_pylist()
        cases.append((rows, js_options))
        rng = random.Random(seed)
        for column, bad in [("revenue", -5.0), ("source", None), ("source", "tv"), ("event_timestamp", None),
                            ("user_pseudo_id", None)]:
            broken = [dict(r) for r in rows]
            broken[rng.randrange(len(broken))][column] = bad
            cases.append((broken, js_options))
        cases.append((rows, {k: v for k, v in js_options.items() if k != "timestampUnit"}))
        cases.append((rows, {k: v for k, v in js_options.items() if k != "moneyFromFloat"}))
    snake = {"timestampUnit": "timestamp_unit", "moneyFromFloat": "money_from_float"}
    node = node_tables([{"rows": rows, "options": options} for rows, options in cases], tmp_path)
    python: list[dict[str, Any]] = []
    for rows, options in cases:
        kwargs = {snake.get(k, k): v for k, v in options.items() if k not in ("channels", "currency")}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = omnikpi.attribute(MODELS, pa.Table.from_pylist(rows, schema=schema), channels=CHANNELS,
                                        currency="EUR", **kwargs)
            python.append({"ok": {m: json.loads(json.dumps(got[m].to_dict(), default=str)) for m in MODELS}})
        except omnikpi.OmniKpiError as e:
            python.append({"error": [e.code, e.path]})
    assert len(node) == len(python) > 20
    assert sum("ok" in p for p in python) == 3 and sum("error" in p for p in python) == len(python) - 3
    for i, (n, p) in enumerate(zip(node, python)):
        assert n == p, f"case {i}"
