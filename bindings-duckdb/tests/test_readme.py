"""The README's SQL quickstart runs as written, statement by statement, from the repository root,
and its tables hold the CLI's numbers."""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal

import duckdb
import pytest

from conftest import CLI, ROOT


def statements() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### SQL (DuckDB)", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, flags=re.S)
    assert block, "no sql block under '### SQL (DuckDB)'"
    return [s.strip() for s in block.group(1).split(";\n") if s.strip()]


def code(statement: str) -> str:
    """A statement without its comment lines."""
    return "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()


def test_the_sql_quickstart_gives_the_clis_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})  # the README's LOAD loads it
    results = {s: con.execute(s).fetchall() for s in statements()}
    queries = [rows for s, rows in results.items() if code(s).startswith("SELECT")]
    assert len(queries) == 3, queries
    credits, payouts, split = queries
    cli = json.loads(subprocess.run(
        [str(CLI), "attribute", "examples/retail/journeys.csv", "--channels", "examples/retail/channels.csv",
         "--currency", "EUR", "--model", "linear,markov", "--json"],
        capture_output=True, text=True, check=True, timeout=120).stdout)
    expected = sorted(((r["model"], c["channel"], Decimal(c["conversions"]), Decimal(c["value"]))
                       for r in cli for c in r["channels"]), key=lambda row: (row[0], -row[3]))
    assert credits == expected
    assert split == [("web_shop", Decimal("205.52")), ("store", Decimal("822.07"))]
    cli_split = json.loads(subprocess.run(
        [str(CLI), "incentives", "split", "--policy", "examples/retail/incentive_policy.json", "--sales",
         "examples/retail/sales.csv", "--touches", "examples/retail/touches.csv", "--format", "json"],
        capture_output=True, text=True, check=True, timeout=120).stdout)
    assert payouts == [(cli_split["total"],)]
