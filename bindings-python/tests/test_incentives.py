"""Incentive splits from Python: DataFrames in, the CLI's numbers out, every cent accounted for."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pandas as pd
import polars as pl
import pytest

import omnikpi
from conftest import ROOT, canonical

RETAIL = ROOT / "examples" / "retail"
POLICY = RETAIL / "incentive_policy.json"


def cli_split() -> Any:
    out = subprocess.run(
        [str(ROOT / "target" / "release" / "omnikpi"), "incentives", "split", "--policy", str(POLICY),
         "--sales", str(RETAIL / "sales.csv"), "--touches", str(RETAIL / "touches.csv"), "--format", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def split() -> dict[str, Any]:
    # pandas for the sales (text columns, empty cells as ""), polars for the touches
    sales = pd.read_csv(RETAIL / "sales.csv", dtype=str, keep_default_na=False)
    sales["click_and_collect"] = sales["click_and_collect"].map({"true": True, "false": False, "": None})
    touches = pl.read_csv(RETAIL / "touches.csv").select("customer_id", "timestamp", "channel")
    return omnikpi.split_incentives(POLICY, sales, touches=touches)


def test_dataframes_give_the_cli_numbers(split: dict[str, Any]) -> None:
    assert canonical(split) == cli_split()


def test_every_sale_is_paid_exactly_and_refunds_mirror(split: dict[str, Any]) -> None:
    sales = pd.read_csv(RETAIL / "sales.csv", dtype=str, keep_default_na=False)
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    for r in sales.itertuples():
        if r.refund_of:  # a refund's amount and extra amount, against the sale's
            refunded[r.refund_of] += Decimal(r.amount) + Decimal(r.extra_amount or "0")
    net: dict[str, Decimal] = defaultdict(Decimal)
    of = dict(zip(sales.sale_id, sales.refund_of))
    for line in split["lines"]:
        if line["sale_id"] is not None:
            net[of[line["sale_id"]] or line["sale_id"]] += line["amount"]
    whole = {s: Decimal(a) + Decimal(e or "0") for s, a, e in zip(sales.sale_id, sales.amount, sales.extra_amount)}
    full = [s for s, r in refunded.items() if r == whole[s]]
    assert full, "the example has fully refunded sales"
    for sale in full:  # a full refund takes back every cent its sale paid
        assert net[sale] == 0, sale
    assert split["rows"]["read"] == len(sales) == split["rows"]["used"] + split["rows"]["rejected"]
    # periods and parties add up to the total, to the cent
    assert sum(p["total"] for p in split["periods"]) == split["total"]
    assert sum(p["payable"] for p in split["parties"]) == split["total"]


def test_the_split_checks_clean_and_a_changed_cent_is_found(split: dict[str, Any]) -> None:
    lines = [{k: v for k, v in line.items() if v is not None} for line in split["lines"]]
    clean = omnikpi.check_payouts(POLICY, RETAIL_SALES(), lines, touches=RETAIL_TOUCHES())
    assert clean["differences"] == () and clean["matching"] == clean["compared"] and clean.agrees
    lines[0]["amount"] += Decimal("0.01")
    changed = omnikpi.check_payouts(POLICY, RETAIL_SALES(), lines, touches=RETAIL_TOUCHES())
    assert [(d["reason"], d["sale_id"], d["party"], d["difference"]) for d in changed["differences"]] == [
        ("wrong_amount", lines[0]["sale_id"], lines[0]["party"], Decimal("0.01"))
    ]
    assert changed["differences"][0]["explanation"] == split["lines"][0]["explanation"]


def test_a_claims_table_is_audited_row_by_row(split: dict[str, Any]) -> None:
    """A polars table of claims: a row in the wrong period, a duplicate and a malformed row are
    each reported, with the row's path, and the check still compares the others."""
    lines = [{k: v for k, v in line.items() if v is not None and k != "explanation"} for line in split["lines"]]
    lines[1]["period"] = "2099-12"
    lines.append(dict(lines[2]))
    claims = pl.DataFrame(
        [{**line, "amount": str(line["amount"]), "sale_id": line.get("sale_id")} for line in lines]
        + [{**{k: str(v) for k, v in lines[3].items()}, "amount": "1.005"}]
    )
    check = omnikpi.check_payouts(POLICY, RETAIL_SALES(), claims, touches=RETAIL_TOUCHES())
    assert [(d["reason"], d["claim_rows"]) for d in check["differences"]] == [
        ("wrong_period", (f"input.payouts[1]",)),
        ("claimed_twice", (f"input.payouts[2]", f"input.payouts[{len(lines) - 1}]")),
    ]
    assert [(m["path"], m["code"]) for m in check["malformed"]] == [
        (f"input.payouts[{len(lines)}].amount", "invalid_money_scale")
    ]
    assert check["rows"]["rejected"] == 1 and not check.agrees


def RETAIL_SALES() -> pl.DataFrame:  # noqa: N802 - reads like the constant it stands for
    return pl.read_csv(RETAIL / "sales.csv", infer_schema=False).with_columns(
        pl.col("click_and_collect").replace_strict({"true": True, "false": False}, default=None, return_dtype=pl.Boolean)
    )


def RETAIL_TOUCHES() -> pl.DataFrame:  # noqa: N802
    return pl.read_csv(RETAIL / "touches.csv").select("customer_id", "timestamp", "channel")


def test_a_float_money_column_is_refused_with_its_name() -> None:
    sales = pl.DataFrame({"sale_id": ["o1"], "timestamp": [0], "period": ["2026-10"], "origin_channel": ["web"],
                          "fulfilment_channel": ["lille"], "amount": [89.19]})
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.split_incentives(POLICY, sales)
    assert info.value.code == "wrong_type" and info.value.path == "input.sales.amount"


def test_policy_errors_are_policy_errors_with_the_field() -> None:
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    policy["rules"][0]["shares"][0]["percent"] = "120"
    with pytest.raises(omnikpi.PolicyError) as info:
        omnikpi.split_incentives(policy, [])
    assert info.value.code == "invalid_shares"
    assert info.value.path == "input.policy.rules[0].shares[0].percent"


def test_policy_files_are_read_by_the_core_json_reader(tmp_path: Any) -> None:
    """A policy file goes through the same JSON reader as the CLI's: a duplicate key is an error
    at its path, not the last value kept as json.loads would."""
    policy = json.loads(open("../examples/retail/incentive_policy.json", encoding="utf-8").read())
    text = json.dumps(policy)
    twice = text.replace('"version": ', '"version": "0", "version": ', 1)
    assert twice != text
    path = tmp_path / "policy.json"
    path.write_text(twice, encoding="utf-8")
    sale = {"sale_id": "O1", "timestamp": 0, "period": "2026-10", "origin_channel": "web",
            "fulfilment_channel": "lille", "amount": "10.00"}
    with pytest.raises(omnikpi.OmniKpiError) as info:
        omnikpi.split_incentives(str(path), [sale])
    assert (info.value.code, info.value.path) == ("duplicate_key", "policy.version")
    # and BOM-prefixed files (as Windows tools write them) are read
    path.write_text("\ufeff" + text, encoding="utf-8")
    assert omnikpi.split_incentives(str(path), [sale])["lines"]


def test_a_what_if_gives_the_cli_numbers_and_names_the_rules(tmp_path: Any) -> None:
    """Raising the store commission from 3% to 3.5%: the stores gain, the accelerators on top
    of it too, nobody else changes; the DataFrame call gives the CLI's result."""
    raised = json.loads(POLICY.read_text(encoding="utf-8"))
    raised["version"] = "2026.10"
    next(r for r in raised["rules"] if r["id"] == "store_sale")["shares"][0]["percent"] = "3.5"
    (tmp_path / "v2.json").write_text(json.dumps(raised), encoding="utf-8")
    what_if = omnikpi.diff_incentives(POLICY, raised, RETAIL_SALES(), touches=RETAIL_TOUCHES())
    cli = subprocess.run(
        [str(ROOT / "target" / "release" / "omnikpi"), "incentives", "diff", "--policy", str(POLICY),
         "--policy", str(tmp_path / "v2.json"), "--sales", str(RETAIL / "sales.csv"),
         "--touches", str(RETAIL / "touches.csv"), "--json"],
        check=True, capture_output=True, text=True,
    ).stdout
    assert canonical(what_if) == canonical(json.loads(cli))
    stores = {p["id"] for p in raised["parties"] if p["kind"] == "store"}
    changed = {r["party"] for r in what_if["parties"] if r["change"] != 0}
    assert changed == stores
    assert {r["rule"] for r in what_if["rules"]} == {"store_sale", "store_accelerator"}
    assert all(r["change"] > 0 for r in what_if["rules"])
    assert what_if["change"] == sum(r["change"] for r in what_if["parties"]) > 0


def test_a_closed_period_round_trips_through_python_and_the_cli(tmp_path: Any) -> None:
    """A period closed from Python is kept as closed by the CLI, and the CLI's record by Python:
    the digest is over the record's values, not over how a host spells them (Decimal or text)."""
    sales, touches = RETAIL_SALES(), RETAIL_TOUCHES()
    closed = omnikpi.close_incentives(POLICY, sales, "2026-09", touches=touches)
    assert closed.digest.startswith("sha256:") and closed.period == "2026-09"
    assert sum(Decimal(line["amount"]) for line in closed.lines) == closed.total
    record = closed.to_dict()
    kept = omnikpi.split_incentives(POLICY, sales, touches=touches, closed=[record])
    september = next(p for p in kept.periods if p["period"] == "2026-09")
    assert september["closed"] == closed.digest and september["total"] == closed.total
    assert kept.total == omnikpi.split_incentives(POLICY, sales, touches=touches).total
    cli_record = tmp_path / "2026-09.closed.json"
    subprocess.run(
        [str(ROOT / "target" / "release" / "omnikpi"), "incentives", "close", "--policy", str(POLICY), "--sales",
         str(RETAIL / "sales.csv"), "--touches", str(RETAIL / "touches.csv"), "--period", "2026-09", "--out", str(cli_record)],
        check=True, capture_output=True, text=True,
    )
    from_cli = json.loads(cli_record.read_text(encoding="utf-8"))
    assert from_cli["digest"] == closed.digest
    edited = dict(record, total=str(closed.total + 1))
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.split_incentives(POLICY, sales, touches=touches, closed=[from_cli, edited])
    assert e.value.code == "closed_period" and e.value.path == "input.closed[1].digest"


def test_statements_from_python_are_the_clis_in_both_languages(tmp_path: Any) -> None:
    """incentive_statements gives the CLI's statements.json byte for byte, in English and French,
    and its certificate is the one `omnikpi verify` confirms from the CLI's files."""
    sales, touches = RETAIL_SALES(), RETAIL_TOUCHES()
    for lang in ("en", "fr"):
        out = tmp_path / lang
        subprocess.run(
            [str(ROOT / "target" / "release" / "omnikpi"), "incentives", "statement", "--policy", str(POLICY), "--sales",
             str(RETAIL / "sales.csv"), "--touches", str(RETAIL / "touches.csv"), "--party", "lille", "--lang", lang,
             "--out", str(out)],
            check=True, capture_output=True, text=True,
        )
        mine = omnikpi.incentive_statements(POLICY, sales, touches=touches, party="lille", language=lang)
        assert canonical(mine.to_dict()) == canonical(json.loads((out / "statements.json").read_text(encoding="utf-8")))
        assert [s["period"] for s in mine.statements] == ["2026-09", "2026-10"]
    french = omnikpi.incentive_statements(POLICY, sales, touches=touches, party="lille", language="fr")
    english = omnikpi.incentive_statements(POLICY, sales, touches=touches, party="lille")
    assert [s["payable"] for s in french.statements] == [s["payable"] for s in english.statements]
    assert french.statements[0]["lines"][0]["explanation"] != english.statements[0]["lines"][0]["explanation"]
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.incentive_statements(POLICY, sales, touches=touches, language="de")
    assert e.value.code == "invalid_parameter" and e.value.path == "params.language"
    # the CLI's files, rendered by the same core from the CLI's own result and certificate
    out = tmp_path / "fr"
    cli_result = json.loads((out / "statements.json").read_text(encoding="utf-8"))
    cert = json.loads((out / "statements.certificate.json").read_text(encoding="utf-8"))
    html, csv = omnikpi.statement_files(cli_result, cert)
    assert html == (out / "statements.html").read_text(encoding="utf-8")
    assert csv == (out / "statements.csv").read_text(encoding="utf-8")
    html, _ = omnikpi.statement_files(french)
    assert "Relevé de commissions · lille · 2026-09" in html and cert["certificate"] not in html
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.statement_files({"format": "something else"})
    assert e.value.code == "wrong_type" and e.value.path == "statements"


def test_a_policy_kept_as_a_workbook_pays_as_its_json(split: dict[str, Any], tmp_path: Any) -> None:
    # the example's workbook is the JSON policy as `omnikpi incentives policy --xlsx` writes it
    sales = pd.read_csv(RETAIL / "sales.csv", dtype=str, keep_default_na=False)
    sales["click_and_collect"] = sales["click_and_collect"].map({"true": True, "false": False, "": None})
    touches = pl.read_csv(RETAIL / "touches.csv").select("customer_id", "timestamp", "channel")
    from_book = omnikpi.split_incentives(RETAIL / "incentive_policy.xlsx", sales, touches=touches)
    assert canonical(from_book) == canonical(split)
    # a workbook's error names its sheet, row and column
    book = tmp_path / "policy.xlsx"
    with open(book, "wb") as fh:
        fh.write(b"not a workbook")
    with pytest.raises(omnikpi.DatasetError, match="is not a workbook") as e:
        omnikpi.split_incentives(book, sales)
    assert e.value.code == "invalid_dataset"
