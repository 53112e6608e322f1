"""Confidence intervals from Python: the same bounds whatever the host structure and the id
type (a table with integer ids, JSON journeys with text ids), beside the point estimates in every
table export, and drawn as error bars."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

import omnikpi

CHANNELS = [{"channel": c, "group": "offline" if c == "store" else "online"} for c in ("web", "email", "store")]
PARAMS: dict[str, Any] = {"intervals": True, "replicates": 60, "confidence": "0.9", "seed": 5}


def touches(journeys: int = 120) -> pa.Table:
    rng = random.Random(3)
    rows: dict[str, list[Any]] = {"journey_id": [], "timestamp": [], "channel": [], "conversions": [], "value": []}
    for j in range(journeys):
        converted = rng.random() < 0.4
        value = Decimal(rng.randint(1000, 9000)) / 100 if converted else None
        for t in range(rng.randint(1, 4)):
            rows["journey_id"].append(j)
            rows["timestamp"].append(1_700_000_000 + 60 * t)
            rows["channel"].append(rng.choice(["web", "email", "store"]))
            rows["conversions"].append(int(converted))
            rows["value"].append(value)
    return pa.table({**rows, "value": pa.array(rows["value"], pa.decimal128(10, 2))})


def as_journeys(table: pa.Table) -> list[dict[str, Any]]:
    journeys: dict[int, dict[str, Any]] = {}
    for r in table.to_pylist():
        j = journeys.setdefault(r["journey_id"], {"journey_id": str(r["journey_id"]), "touches": [],
                                                  "conversions": r["conversions"]})
        j["touches"].append({"channel": r["channel"], "timestamp": r["timestamp"]})
        if r["value"] is not None:
            j["value"] = str(r["value"])
    return list(journeys.values())


@pytest.mark.parametrize("model", ["linear", "markov", "shapley"])
def test_a_table_with_integer_ids_and_json_journeys_with_text_ids_give_the_same_bounds(model: str) -> None:
    table = touches()
    from_table = omnikpi.attribute(model, table, channels=CHANNELS, currency="EUR", timestamp_unit="s", **PARAMS)
    from_json = omnikpi.attribute(model, as_journeys(table), channels=CHANNELS, currency="EUR", **PARAMS)
    assert from_table.to_dict() == from_json.to_dict()
    assert from_table.intervals.replicates == 60 and from_table.intervals.confidence == Decimal("0.9")
    shuffled = table.take(random.Random(1).sample(range(table.num_rows), table.num_rows))
    again = omnikpi.attribute(model, shuffled, channels=CHANNELS, currency="EUR", timestamp_unit="s", **PARAMS)
    assert again.to_dict() == from_table.to_dict()


def test_bounds_sit_beside_the_point_estimates_in_every_export() -> None:
    result = omnikpi.attribute("linear", touches(), channels=CHANNELS, currency="EUR", timestamp_unit="s", **PARAMS)
    frame = result.to_pandas()
    assert list(frame.columns) == ["channel", "conversions", "value", "share", "conversions_low", "conversions_high",
                                   "value_low", "value_high", "share_low", "share_high"]
    for row in result.table("channels"):
        assert row["value_low"] <= row["value_high"] and row["share_low"] <= row["share_high"]
    assert result.to_polars()["value_high"].to_list() == [b["value_high"] for b in result.intervals.channels]
    comparison = omnikpi.attribute(["first_touch", "linear"], touches(), channels=CHANNELS, currency="EUR",
                                   timestamp_unit="s", model_params={"linear": PARAMS})
    rows = comparison.to_arrow().to_pylist()
    assert all(r["value_low"] is None for r in rows if r["model"] == "first_touch")
    assert all(r["value_low"] is not None for r in rows if r["model"] == "linear")


def test_plot_draws_the_intervals_as_error_bars() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    result = omnikpi.attribute("linear", touches(), channels=CHANNELS, currency="EUR", timestamp_unit="s", **PARAMS)
    from matplotlib.container import BarContainer

    ax = result.plot()
    bars = next(c for c in ax.containers if isinstance(c, BarContainer))
    assert bars.errorbar is not None, "the bars carry no error bars"
    segments = bars.errorbar.lines[2][0].get_segments()
    lows = [float(b["value_low"]) for b in result.intervals.channels]
    assert [s[0][0] for s in segments] == pytest.approx(lows)
    plain = omnikpi.attribute("linear", touches(), channels=CHANNELS, currency="EUR", timestamp_unit="s").plot()
    assert all(c.errorbar is None for c in plain.containers if isinstance(c, BarContainer))


def test_intervals_need_journey_ids() -> None:
    journeys = as_journeys(touches(5))
    del journeys[2]["journey_id"]
    with pytest.raises(omnikpi.InputError) as e:
        omnikpi.attribute("linear", journeys, channels=CHANNELS, currency="EUR", **PARAMS)
    assert (e.value.code, e.value.path) == ("missing_field", "input.journeys[2].journey_id")
