"""The README's command-line quickstart runs as written, with the built binary on PATH."""

from __future__ import annotations

import json
from decimal import Decimal
import os
import re
import subprocess
from pathlib import Path

from conftest import CLI, ROOT


def cli_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Command line", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S)
    assert block, "no sh block under '### Command line'"
    return [line for line in block.group(1).splitlines() if line.startswith("omnikpi ")]


def test_readme_cli_quickstart_runs() -> None:
    lines = cli_lines()
    assert len(lines) >= 3
    env = dict(os.environ, PATH=f"{CLI.parent}{os.pathsep}{os.environ['PATH']}")
    for line in lines:
        proc = subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
        assert proc.stdout.strip(), line


def test_cli_errors_exit_2_with_code_and_path() -> None:
    proc = subprocess.run([str(CLI), "eval", "money.allocate", "--input", "-"], input='{"amount": 1.5}',
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.startswith("omnikpi: error [missing_field] at input.currency: ")
    bad = subprocess.run([str(CLI), "eval", "money.allocate", "--input", "/nonexistent.json"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "cannot read" in bad.stderr
    junk = subprocess.run([str(CLI), "eval", "conversion.rate", "--input", "-"], input="{not json",
                          capture_output=True, text=True, timeout=60)
    assert junk.returncode == 2 and "[invalid_json] at input" in junk.stderr


def test_report_prints_aligned_tables_with_totals() -> None:
    out = subprocess.run([str(CLI), "report", str(ROOT / "examples" / "retail")],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert "== Journey conversion by first-touch channel (conversion.rate v" in out
    assert "\n  total " in out
    assert out.count("rows: read") == 13  # 12 KPI sections and the payouts
    assert "conversions_by_model:" in out and "shapley.rate" in out


def test_cli_attribute_long_format_matches_the_report() -> None:
    """journeys.csv (long format) and touches.csv + orders.csv describe the same journeys:
    `omnikpi attribute` and the report's model comparison must agree to the digit."""
    retail = ROOT / "examples" / "retail"
    report = json.loads(subprocess.run([str(CLI), "report", str(retail), "--json"], capture_output=True, text=True,
                                       check=True, timeout=120).stdout)
    comparison = next(s for s in report["sections"] if s["id"] == "attribution_comparison")["result"]
    results = json.loads(subprocess.run(
        [str(CLI), "attribute", str(retail / "journeys.csv"), "--channels", str(retail / "channels.csv"), "--currency", "EUR", "--json"],
        capture_output=True, text=True, check=True, timeout=120).stdout)
    assert len(results) == 11
    for result in results:
        short = result["model"].removeprefix("attribution.")
        assert [c["conversions"] for c in result["channels"]] == [row[short] for row in comparison["conversions_by_model"]]
        assert [c["value"] for c in result["channels"]] == [row[short] for row in comparison["value_by_model"]]


def test_cli_attribute_errors_name_the_row(tmp_path: Path) -> None:
    bad = tmp_path / "journeys.csv"
    bad.write_text("journey_id,timestamp,channel,conversions\nj1,10,web,1\nj1,20,store,2\n", encoding="utf-8")
    args = [str(CLI), "attribute", str(bad), "--channels", str(ROOT / "examples" / "retail" / "channels.csv"), "--currency", "EUR"]
    proc = subprocess.run([*args, "--timestamp-unit", "s"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "[invalid_dataset] at journeys.csv:row 3" in proc.stderr, proc.stderr
    # integer timestamps are never read in a guessed unit
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "[wrong_type] at journeys.csv:row 2:timestamp" in proc.stderr, proc.stderr
    assert "--timestamp-unit" in proc.stderr


def test_closed_pipe_is_not_a_panic() -> None:
    proc = subprocess.run(f"{CLI} report {ROOT / 'examples' / 'retail'} | head -1", shell=True, capture_output=True, text=True, timeout=60)
    assert "panicked" not in proc.stderr and proc.stdout.startswith("omnikpi report")


def test_cli_attribute_parquet_matches_csv(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    retail = ROOT / "examples" / "retail"
    t = pacsv.read_csv(retail / "journeys.csv", convert_options=pacsv.ConvertOptions(column_types={"value": pa.string()}))
    value = pc.cast(pc.if_else(pc.equal(t["value"], ""), None, t["value"]), pa.decimal128(12, 2))
    t = t.set_column(t.schema.get_field_index("value"), "value", value)
    pq.write_table(t, tmp_path / "journeys.parquet", row_group_size=5000)
    run = lambda source: json.loads(subprocess.run(
        [str(CLI), "attribute", str(source), "--channels", str(retail / "channels.csv"), "--currency", "EUR", "--json"],
        capture_output=True, text=True, check=True, timeout=120).stdout)
    assert run(tmp_path / "journeys.parquet") == run(retail / "journeys.csv")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    proc = subprocess.run([str(CLI), "attribute", str(bad), "--channels", str(retail / "channels.csv"), "--currency", "EUR"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "[invalid_dataset]" in proc.stderr and "Parquet" in proc.stderr


def incentives(*args: str) -> subprocess.CompletedProcess[str]:
    retail = ROOT / "examples" / "retail"
    return subprocess.run([str(CLI), "incentives", *args, "--policy", str(retail / "incentive_policy.json"),
                           "--sales", str(retail / "sales.csv"), "--touches", str(retail / "touches.csv")],
                          capture_output=True, text=True, timeout=120)


def test_incentives_split_writes_csv_and_json_that_agree(tmp_path: Path) -> None:
    proc = incentives("split", "--csv", str(tmp_path / "payouts.csv"), "--json", str(tmp_path / "payouts.json"))
    assert proc.returncode == 0, proc.stderr
    assert "payouts:" in proc.stdout and "by_party:" in proc.stdout
    result = json.loads((tmp_path / "payouts.json").read_text(encoding="utf-8"))
    import csv
    from decimal import Decimal
    rows = list(csv.DictReader((tmp_path / "payouts.csv").open(encoding="utf-8")))
    assert len(rows) == len(result["lines"]) > 1000
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(result["total"])
    assert all(r["explanation"] and r["rule"] for r in rows)


def test_incentives_split_exports_its_tables_for_excel(tmp_path: Path) -> None:
    """--bom --periods-csv --parties-csv: every file starts with a byte order mark, carries the
    policy's id and version, and adds up to the JSON result; the lines read back as claims."""
    import csv
    out = {name: tmp_path / f"{name}.csv" for name in ("lines", "periods", "parties")}
    proc = incentives("split", "--bom", "--csv", str(out["lines"]), "--periods-csv", str(out["periods"]),
                      "--parties-csv", str(out["parties"]), "--json", str(tmp_path / "split.json"))
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "split.json").read_text(encoding="utf-8"))
    tables = {}
    for name, file in out.items():
        raw = file.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name
        tables[name] = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    policy = json.loads((ROOT / "examples" / "retail" / "incentive_policy.json").read_text(encoding="utf-8"))
    for name in ("periods", "parties"):
        assert {(r["policy_id"], r["policy_version"]) for r in tables[name]} == {(policy["id"], policy["version"])}
    assert sum(Decimal(r["payable"]) for r in tables["periods"]) == Decimal(result["total"])
    assert {r["party"]: Decimal(r["payable"]) for r in tables["parties"]} == {
        p["party"]: Decimal(p["payable"]) for p in result["parties"]}
    for r in tables["periods"]:
        parts = sum(Decimal(r[k]) for k in ("earned", "accelerator", "limit", "bonus"))
        assert parts == Decimal(r["payable"]), r
    same = incentives("check", "--payouts", str(out["lines"]))
    assert same.returncode == 0 and "no difference" in same.stdout, same.stdout[-300:]


def test_incentives_split_reads_a_policy_history(tmp_path: Path) -> None:
    """--policy may hold a list of dated versions: each sale is paid by the version in force on
    its day (named in its lines' explanations), the tables quote every version, and a gap
    between versions is refused where it is."""
    import csv
    retail = ROOT / "examples" / "retail"
    policy = json.loads((retail / "incentive_policy.json").read_text(encoding="utf-8"))
    september = dict(policy, version="2026.09", valid_to="2026-09-30")
    october = dict(policy, version="2026.10", valid_from="2026-10-01")
    history = tmp_path / "history.json"
    history.write_text(json.dumps([september, october]), encoding="utf-8")

    def split(policy_file: Path, name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CLI), "incentives", "split", "--policy", str(policy_file), "--sales", str(retail / "sales.csv"),
                               "--touches", str(retail / "touches.csv"), "--csv", str(tmp_path / f"{name}.csv"),
                               "--periods-csv", str(tmp_path / f"{name}_periods.csv")],
                              capture_output=True, text=True, timeout=120)
    assert split(retail / "incentive_policy.json", "single").returncode == 0
    proc = split(history, "history")
    assert proc.returncode == 0, proc.stderr
    read = lambda name: list(csv.DictReader((tmp_path / f"{name}.csv").open(encoding="utf-8")))
    single, dated = read("single"), read("history")
    # the same rules in both versions: the same amounts, line for line
    assert [(r["sale_id"], r["party"], r["amount"]) for r in single] == [(r["sale_id"], r["party"], r["amount"]) for r in dated]
    day = {r["sale_id"]: r["timestamp"][:10] for r in csv.DictReader((retail / "sales.csv").open(encoding="utf-8"))}
    paid = [r for r in dated if r["kind"] == "sale"]
    assert {r["explanation"].endswith("(policy version 2026.09)") for r in paid if day[r["sale_id"]] < "2026-10-01"} == {True}
    assert {r["explanation"].endswith("(policy version 2026.10)") for r in paid if day[r["sale_id"]] >= "2026-10-01"} == {True}
    assert {r["policy_version"] for r in read("history_periods")} == {"2026.09+2026.10"}
    history.write_text(json.dumps([september, dict(october, valid_from="2026-10-03")]), encoding="utf-8")
    gap = split(history, "gap")
    assert gap.returncode == 2 and "[invalid_policy] at input.policy[1].valid_from" in gap.stderr, gap.stderr
    assert "2026-10-01 to 2026-10-02" in gap.stderr


def test_incentives_close_freezes_a_period_and_books_later_changes(tmp_path: Path) -> None:
    """`incentives close` writes a period's record; a later split given it with --closed keeps
    the period as closed and books a late sale of that period as a prior-period adjustment in
    the next open one (the total over both periods is unchanged); check reads the adjustment
    lines back; an edited record is refused where it is."""
    import csv
    retail = ROOT / "examples" / "retail"
    record = tmp_path / "2026-09.closed.json"
    proc = incentives("close", "--period", "2026-09", "--out", str(record))
    assert proc.returncode == 0, proc.stderr
    closed = json.loads(record.read_text(encoding="utf-8"))
    assert closed["period"] == "2026-09" and closed["digest"].startswith("sha256:") and closed["digest"] in proc.stdout
    assert sum(Decimal(l["amount"]) for l in closed["lines"]) == Decimal(closed["total"])
    text = (retail / "sales.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    late = next(r for r in rows if r["period"] == "2026-09" and not r.get("refund_of"))
    late = dict(late, sale_id="late-september")
    sales = tmp_path / "sales.csv"
    with sales.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows + [late])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CLI), "incentives", *args, "--policy", str(retail / "incentive_policy.json"),
                               "--sales", str(sales), "--touches", str(retail / "touches.csv")],
                              capture_output=True, text=True, timeout=120)
    plain, kept = tmp_path / "plain.json", tmp_path / "kept.json"
    assert run("split", "--json", str(plain)).returncode == 0
    proc = run("split", "--closed", str(record), "--json", str(kept), "--csv", str(tmp_path / "kept.csv"))
    assert proc.returncode == 0, proc.stderr
    plain, kept = (json.loads(p.read_text(encoding="utf-8")) for p in (plain, kept))
    september = next(p for p in kept["periods"] if p["period"] == "2026-09")
    assert september["closed"] == closed["digest"] and september["total"] == closed["total"]
    assert not any(l["sale_id"] == "late-september" for l in kept["lines"])
    adjustments = [l for l in kept["lines"] if l["kind"] == "adjustment"]
    assert adjustments and {(l["period"], l["rule"]) for l in adjustments} == {("2026-10", "prior_period:2026-09")}
    late_lines = sum(Decimal(l["amount"]) for l in plain["lines"] if l["sale_id"] == "late-september")
    assert late_lines > 0 and sum(Decimal(l["amount"]) for l in adjustments) != 0
    assert kept["total"] == plain["total"]
    same = run("check", "--closed", str(record), "--payouts", str(tmp_path / "kept.csv"))
    assert same.returncode == 0 and "no difference" in same.stdout, same.stdout[-300:]
    closed["lines"][0]["amount"] = str(Decimal(closed["lines"][0]["amount"]) + 1)
    record.write_text(json.dumps(closed), encoding="utf-8")
    edited = run("split", "--closed", str(record))
    assert edited.returncode == 2 and "[closed_period] at input.closed[0].digest" in edited.stderr, edited.stderr


def test_incentives_statements_are_written_in_french_and_verified_from_the_same_files(tmp_path: Path) -> None:
    """`incentives statement` writes each party's statement per period as printable HTML, CSV
    and JSON with its certificate; the figures are the split's; French statements explain
    every line in French; `omnikpi verify` recomputes the certificate from the same files and
    refutes it when a sale changed."""
    import csv
    retail = ROOT / "examples" / "retail"
    out = tmp_path / "statements"
    proc = incentives("statement", "--party", "lille", "--lang", "fr", "--out", str(out), "--bom")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((out / "statements.json").read_text(encoding="utf-8"))
    cert = json.loads((out / "statements.certificate.json").read_text(encoding="utf-8"))
    assert cert["kpi"] == "incentives.statement" and cert["certificate"] in proc.stdout
    assert [s["period"] for s in result["statements"]] == ["2026-09", "2026-10"]
    split = json.loads(incentives("split", "--format", "json").stdout)
    for s in result["statements"]:
        pay = next(q for p in split["periods"] if p["period"] == s["period"] for q in p["parties"] if q["party"] == "lille")
        assert all(s[k] == pay[k] for k in ("earned", "accelerator", "limit", "bonus", "adjustment", "carried", "payable"))
        mine = [l for l in split["lines"] if l["party"] == "lille" and l["period"] == s["period"]]
        assert [l["amount"] for l in s["lines"]] == [l["amount"] for l in mine]
        english = (" pool on ", "clawback of sale", "to the sale's", " per period:", "(largest remainder)")
        for line in s["lines"]:  # the policy's own rule descriptions stay as written
            assert not any(w in line["explanation"] for w in english) and " EUR" in line["explanation"], line
        assert any("cagnotte" in l["explanation"] or " % de " in l["explanation"] for l in s["lines"])
    html = (out / "statements.html").read_text(encoding="utf-8")
    assert html.count("<section>") == 2 and "Relevé de commissions · lille · 2026-10" in html
    assert cert["certificate"] in html and result["policy_digest"] in html
    payable = result["statements"][1]["payable"].replace(".", ",")
    assert f"{payable} EUR" in html.replace("\u202f", "")
    raw = (out / "statements.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:4] == ["Politique", "version", "Période", "Partie"]
    assert ["2026-10", "lille", "", "", "À payer", result["statements"][1]["payable"]] == rows[-1][2:8]

    def verify(sales: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CLI), "verify", str(out / "statements.certificate.json"), "--policy",
                               str(retail / "incentive_policy.json"), "--sales", str(sales), "--touches",
                               str(retail / "touches.csv")], capture_output=True, text=True, timeout=120)
    confirmed = verify(retail / "sales.csv")
    assert confirmed.returncode == 0 and confirmed.stdout.startswith("confirmed"), confirmed.stdout
    text = (retail / "sales.csv").read_text(encoding="utf-8")
    changed = tmp_path / "sales.csv"
    changed.write_text(text.replace("114.01", "114.02", 1), encoding="utf-8")
    refuted = verify(changed)
    assert refuted.returncode == 1 and "DIFF input" in refuted.stdout, refuted.stdout
    # a split's certificate is verified from the same files too
    cert_path = tmp_path / "split.certificate.json"
    assert incentives("split", "--certificate", str(cert_path)).returncode == 0
    assert json.loads(cert_path.read_text(encoding="utf-8"))["kpi"] == "incentives.split"
    again = subprocess.run([str(CLI), "verify", str(cert_path), "--policy", str(retail / "incentive_policy.json"),
                            "--sales", str(retail / "sales.csv"), "--touches", str(retail / "touches.csv")],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout.startswith("confirmed: incentives.split"), again.stdout
    unknown = incentives("statement", "--party", "nantes", "--out", str(out))
    assert unknown.returncode == 2 and "[invalid_parameter] at params.party" in unknown.stderr


def test_incentives_check_lists_every_difference_and_exits_1(tmp_path: Path) -> None:
    claimed = tmp_path / "claimed.csv"
    assert incentives("split", "--csv", str(claimed)).returncode == 0
    same = incentives("check", "--payouts", str(claimed))
    assert same.returncode == 0, same.stderr
    assert "no difference" in same.stdout
    lines = claimed.read_text(encoding="utf-8").splitlines()
    # change a line by a cent, drop the next, claim another twice and one in the wrong period,
    # claim a sale that does not exist, and add two rows that cannot be read
    first = lines[1].split(",")
    first[5] = f"{Decimal(first[5]) + Decimal('0.01')}"
    moved = lines[5].split(",")
    moved[1] = "2099-12"
    lines = ([lines[0], ",".join(first[:6]) + ",\"edited\""] + lines[3:5] + [",".join(moved)] + lines[6:]
             + [lines[3], "O99999,2026-10,web,x,sale,1.00,", "O00002,2026-10,web,click_and_collect,sale,1.005,",
                "O00002,,web,click_and_collect,sale,1.00,"])
    claimed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    diff = incentives("check", "--payouts", str(claimed), "--json")
    assert diff.returncode == 1, diff.stderr
    result = json.loads(diff.stdout)
    found = {d["reason"]: d for d in result["differences"]}
    assert sorted(found) == ["claimed_twice", "no_such_sale", "not_claimed", "wrong_amount", "wrong_period"], found
    assert found["wrong_amount"]["difference"] == "0.01" and found["wrong_amount"]["explanation"]
    assert found["wrong_period"]["claimed_period"] == "2099-12" and found["wrong_period"]["difference"] == "0.00"
    assert found["claimed_twice"]["claim_rows"] == [f"{claimed}:row 3", f"{claimed}:row {len(lines) - 3}"]
    n = len(lines)
    assert [(m["path"], m["code"]) for m in result["malformed"]] == [
        (f"{claimed}:row {n - 1}:amount", "invalid_money_scale"), (f"{claimed}:row {n}:period", "missing_field")]
    assert result["rows"] == {"read": n - 1, "used": n - 3, "rejected": 2} and result["agrees"] is False
    table = incentives("check", "--payouts", str(claimed))
    assert table.returncode == 1
    assert "5 difference(s) and 2 malformed row(s)" in table.stdout, table.stdout
    assert f"{claimed}:row 3, {claimed}:row" in table.stdout


def test_incentives_errors_name_the_csv_row(tmp_path: Path) -> None:
    retail = ROOT / "examples" / "retail"
    sales = tmp_path / "sales.csv"
    text = (retail / "sales.csv").read_text(encoding="utf-8").splitlines()
    text[4] = text[4].replace(",lille,", ",nantes,")
    sales.write_text("\n".join(text) + "\n", encoding="utf-8")
    proc = subprocess.run([str(CLI), "incentives", "split", "--policy", str(retail / "incentive_policy.json"),
                           "--sales", str(sales)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"[unknown_party] at {sales}:row 5:fulfilment_channel" in proc.stderr, proc.stderr


def test_invalid_utf8_and_deep_json_are_errors_not_crashes(tmp_path: Path) -> None:
    latin1 = tmp_path / "input.json"
    latin1.write_bytes(b'{"rows": [{"channel": "caf\xe9", "opportunities": 1, "conversions": 0}]}')
    proc = subprocess.run([str(CLI), "eval", "conversion.rate", "--input", str(latin1)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "[invalid_dataset]" in proc.stderr, proc.stderr
    sales = tmp_path / "sales.csv"
    sales.write_bytes(b"sale_id,timestamp,period,origin_channel,fulfilment_channel,amount\no1,0,p,w\xff,lille,1.00\n")
    retail = ROOT / "examples" / "retail"
    proc = subprocess.run([str(CLI), "incentives", "split", "--policy", str(retail / "incentive_policy.json"), "--sales", str(sales)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "[invalid_dataset]" in proc.stderr, proc.stderr
    deep = "[" * 100_000 + "]" * 100_000
    proc = subprocess.run([str(CLI), "eval", "conversion.rate", "--input", "-"], input=deep, capture_output=True, text=True, timeout=60)
    # the same code and path as Python and JS give for the same nesting (spec/README.md, Host values)
    depth_path = "input" + "[0]" * 129
    assert proc.returncode == 2 and f"[value_out_of_range] at {depth_path}:" in proc.stderr and "panicked" not in proc.stderr, proc.stderr


def attribute(tmp_path: Path, journeys: str, channels: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "journeys.csv").write_text(journeys, encoding="utf-8")
    (tmp_path / "channels.csv").write_text(channels, encoding="utf-8")
    return subprocess.run([str(CLI), "attribute", str(tmp_path / "journeys.csv"), "--channels", str(tmp_path / "channels.csv"),
                           "--currency", "EUR", "--model", "linear", "--timestamp-unit", "s"],
                          capture_output=True, text=True, timeout=60)


def test_csv_errors_from_the_kpi_name_file_row_and_column(tmp_path: Path) -> None:
    """An error the KPI finds in journeys read from CSV names the file's row and column, not a JSON
    path (touches are sorted by time, the row is still the file's)."""
    channels = "channel,group,direct\nweb,online,false\nstore,offline,FALSE\n"
    journeys = "journey_id,timestamp,channel,conversions,value\nj1,20,web,1,10.00\nj1,10,fax,1,10.00\nj2,5,web,1,10.001\n"
    proc = attribute(tmp_path, journeys, channels)
    assert proc.returncode == 2 and "[unknown_channel] at journeys.csv:row 3:channel:" in proc.stderr, proc.stderr
    proc = attribute(tmp_path, journeys.replace("fax", "store"), channels)
    assert proc.returncode == 2 and "[invalid_money_scale] at journeys.csv:row 4:value:" in proc.stderr, proc.stderr
    # one boolean rule for every CSV column: TRUE as Excel writes it is true, `yes` an error with its row
    ok = attribute(tmp_path, "journey_id,timestamp,channel,conversions\nj1,0,web,1\n", "channel,group,direct\nweb,online,TRUE\n")
    assert ok.returncode == 0, ok.stderr
    proc = attribute(tmp_path, "journey_id,timestamp,channel,conversions\nj1,0,web,1\n", "channel,group,direct\nweb,online,yes\n")
    assert proc.returncode == 2 and "[invalid_dataset] at channels.csv:row 2:direct:" in proc.stderr, proc.stderr
    # empty ids never merge rows into one journey
    proc = attribute(tmp_path, "journey_id,timestamp,channel,conversions\n,0,web,1\n,1,web,0\n", channels)
    assert proc.returncode == 2 and "[missing_field] at journeys.csv:row 2:journey_id:" in proc.stderr, proc.stderr
    # a duplicate channel declared twice names its row too
    proc = attribute(tmp_path, "journey_id,timestamp,channel,conversions\nj1,0,web,1\n", channels + "web,online,false\n")
    assert proc.returncode == 2 and "[duplicate_key] at channels.csv:row 4:channel:" in proc.stderr, proc.stderr
