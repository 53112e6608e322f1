"""Property tests (hypothesis) through the Python binding: the two ingestion paths of attribution
(list of dicts, Arrow table, its rows in any order) agree on generated journeys; Decimal, str and int inputs mean the
same; allocations sum and mirror; incentive splits do not depend on the order of the sales."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given, settings, strategies as st

import omnikpi

CHANNELS = [{"channel": c, "group": g} for c, g in
            [("web", "online"), ("app", "online"), ("email", "online"), ("store", "offline")]]
MODELS = ["first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley"]

journey = st.tuples(
    st.lists(st.tuples(st.sampled_from(["web", "app", "email", "store"]), st.integers(0, 86_400)), min_size=1, max_size=6),
    st.integers(0, 2),
    st.integers(1, 99_999),
)


def as_dicts(journeys: list[Any]) -> list[dict[str, Any]]:
    """Journeys as dicts; touches at the same time listed by channel name, the order in which a
    table's reader puts them (a table's rows have no order of their own)."""
    out = []
    for touches, conversions, cents in journeys:
        t, rows = 0, []
        for channel, gap in touches:
            t += gap
            rows.append({"channel": channel, "timestamp": t})
        rows.sort(key=lambda r: (r["timestamp"], r["channel"].encode()))
        j: dict[str, Any] = {"touches": rows, "conversions": conversions}
        if conversions:
            j["value"] = f"{cents // 100}.{cents % 100:02d}"
        out.append(j)
    return out


def as_table(journeys: list[dict[str, Any]]) -> pa.Table:
    cols: dict[str, list[Any]] = {"journey_id": [], "timestamp": [], "channel": [], "conversions": [], "value": []}
    for i, j in enumerate(journeys):
        for touch in j["touches"]:
            cols["journey_id"].append(i)
            cols["timestamp"].append(touch["timestamp"])
            cols["channel"].append(touch["channel"])
            cols["conversions"].append(j["conversions"])
            cols["value"].append(Decimal(j["value"]) if "value" in j else None)
    return pa.table({**cols, "value": pa.array(cols["value"], pa.decimal128(12, 2))})


@settings(max_examples=60, deadline=None)
@given(st.lists(journey, min_size=1, max_size=25))
def test_dicts_and_arrow_tables_give_the_same_attribution(raw: list[Any]) -> None:
    journeys = as_dicts(raw)
    from_dicts = omnikpi.attribute(MODELS, journeys, channels=CHANNELS, currency="EUR")
    from_table = omnikpi.attribute(MODELS, as_table(journeys), channels=CHANNELS, currency="EUR", timestamp_unit="s")
    assert from_table == from_dicts
    table = as_table(journeys)
    shuffled = table.take(pa.array(random.Random(len(raw)).sample(range(table.num_rows), table.num_rows)))
    assert omnikpi.attribute(MODELS, shuffled, channels=CHANNELS, currency="EUR", timestamp_unit="s") == from_dicts
    for result in from_dicts.values():
        assert sum(c["value"] for c in result["channels"]) == result["totals"]["value"]
        assert sum(c["conversions"] for c in result["channels"]) == result["totals"]["conversions"]


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**12), st.lists(st.integers(0, 1000), min_size=1, max_size=6).filter(any))
def test_allocation_sums_and_mirrors_whatever_the_input_form(cents: int, weights: list[int]) -> None:
    amount = Decimal(cents).scaleb(-2)
    parties = [{"party": f"p{i}", "weight": w} for i, w in enumerate(weights)]
    as_decimal = omnikpi.money_allocate(amount, parties, currency="EUR")
    as_text = omnikpi.money_allocate(f"{amount:f}", [{**p, "weight": str(p["weight"])} for p in parties], currency="EUR")
    assert as_decimal == as_text
    assert sum(p["amount"] for p in as_decimal["parts"]) == amount
    negative = omnikpi.money_allocate(-amount, parties, currency="EUR")
    assert [p["amount"] for p in negative["parts"]] == [-p["amount"] for p in as_decimal["parts"]]


POLICY = {
    "format": "omnikpi.incentive_policy/1", "id": "p", "version": "1", "currency": "EUR",
    "parties": [{"id": "web", "kind": "channel"}, {"id": "app", "kind": "channel"}, {"id": "lille", "kind": "store"},
                {"id": "nice", "kind": "store"}],
    "rules": [{"id": "cc", "priority": 1, "when": {"click_and_collect": True},
               "shares": [{"party_from": "origin_channel", "percent": "2.5"}, {"party_from": "fulfilment_channel", "percent": "1.25"}]},
              {"id": "store", "priority": 0, "when": {"fulfilment_kind": ["store"]},
               "shares": [{"party_from": "fulfilment_channel", "percent": "3.3"}]}],
    "tiers": [{"id": "acc", "parties": ["lille", "nice"], "mode": "step", "bands": [{"from": "0", "multiplier": "1"}, {"from": "5.00", "multiplier": "1.5"}]}],
}
sale = st.tuples(st.integers(1, 1_000_000), st.booleans(), st.sampled_from(["web", "app"]), st.sampled_from(["lille", "nice"]),
                 st.integers(0, 60))


@settings(max_examples=60, deadline=None)
@given(st.lists(sale, min_size=1, max_size=15))
def test_incentive_split_does_not_depend_on_sale_order(raw: list[Any]) -> None:
    sales = [{"sale_id": f"s{i}", "timestamp": day * 86_400, "period": f"2026-{10 + day // 31}",
              "origin_channel": origin if cc else "store", "fulfilment_channel": store, "click_and_collect": cc,
              "amount": f"{cents // 100}.{cents % 100:02d}"}
             for i, (cents, cc, origin, store, day) in enumerate(raw)]
    forward = omnikpi.split_incentives(POLICY, sales)
    backward = omnikpi.split_incentives(POLICY, list(reversed(sales)))
    key = lambda s: sorted((l["sale_id"] or "", l["party"], l["rule"], l["amount"]) for l in s["lines"])  # noqa: E731
    assert key(forward) == key(backward)
    assert forward["periods"] == backward["periods"] and forward["total"] == backward["total"]
    assert sum(p["payable"] for p in forward["parties"]) == forward["total"]
