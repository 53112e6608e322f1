"""Attribution on Arrow-speaking tables: pyarrow, pandas and polars give the numbers the CLI gives
on the same long-format file, decimals stay exact, and bad columns get clear errors."""

from __future__ import annotations

import csv
import json
import subprocess
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

import omnikpi
from conftest import ROOT, canonical

RETAIL = ROOT / "examples" / "retail"
CHANNELS: list[Any] = [
    {"channel": r["channel"], "group": r["group"], "direct": r["direct"] == "true"}
    for r in csv.DictReader(open(RETAIL / "channels.csv", encoding="utf-8"))
]
MODELS = list(omnikpi.ATTRIBUTION_MODELS)


def arrow_table() -> pa.Table:
    # value as text: exact; an empty cell is a journey without value
    return pacsv.read_csv(RETAIL / "journeys.csv", convert_options=pacsv.ConvertOptions(column_types={"value": pa.string()}))


def cli_results() -> dict[str, Any]:
    out = subprocess.run([str(ROOT / "target" / "release" / "omnikpi"), "attribute", str(RETAIL / "journeys.csv"),
                          "--channels", str(RETAIL / "channels.csv"), "--currency", "EUR", "--json"],
                         capture_output=True, text=True, check=True).stdout
    return {r["model"].removeprefix("attribution."): r for r in json.loads(out)}


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return cli_results()


def test_pyarrow_table_equals_the_cli(expected: dict[str, Any]) -> None:
    got = omnikpi.attribute(MODELS, arrow_table(), channels=CHANNELS, currency="EUR")
    assert canonical(got) == expected
    assert isinstance(got["linear"]["channels"][0]["value"], Decimal)


def test_decimal128_values_equal_text_values(expected: dict[str, Any]) -> None:
    t = arrow_table()
    values = pc.cast(pc.if_else(pc.equal(t["value"], ""), None, t["value"]), pa.decimal128(12, 2))
    t = t.set_column(t.schema.get_field_index("value"), "value", values)
    assert canonical(omnikpi.attribute(MODELS, t, channels=CHANNELS, currency="EUR")) == expected


def test_pandas_dataframe_equals_the_cli(expected: dict[str, Any]) -> None:
    frame = arrow_table().to_pandas()
    assert hasattr(frame, "__arrow_c_stream__")
    assert canonical(omnikpi.attribute(MODELS, frame, channels=CHANNELS, currency="EUR")) == expected


def test_polars_dataframe_equals_the_cli(expected: dict[str, Any]) -> None:
    import polars as pl

    frame = pl.from_arrow(arrow_table())
    assert isinstance(frame, pl.DataFrame)
    assert canonical(omnikpi.attribute(MODELS, frame, channels=CHANNELS, currency="EUR")) == expected


def test_polars_chunks_are_handed_over_as_they_lie(expected: dict[str, Any]) -> None:
    """A polars frame of several chunks goes to the core chunk by chunk, text as string_view (its
    own stream would first copy every column into one chunk), and gives the CLI's numbers."""
    import polars as pl

    from omnikpi.arguments import as_chunks

    t = arrow_table()
    pieces = [t.slice(0, 7), t.slice(7, 5), t.slice(12)]
    frame = pl.concat([pl.from_arrow(p) for p in pieces], rechunk=False)
    assert isinstance(frame, pl.DataFrame) and frame.n_chunks() == 3
    handed = as_chunks(frame)
    assert isinstance(handed, pa.Table)
    assert handed.column("journey_id").num_chunks == 3
    assert handed.schema.field("channel").type == pa.string_view()
    assert canonical(omnikpi.attribute(MODELS, frame, channels=CHANNELS, currency="EUR")) == expected
    assert as_chunks(t) is t


def test_polars_lazy_frames_are_streamed_batch_by_batch(expected: dict[str, Any]) -> None:
    """A LazyFrame (a scan, a filter) is collected by polars' streaming engine a batch at a time
    as the core reads it, never whole first, and gives the CLI's numbers; its channels too."""
    import polars as pl

    from omnikpi.arguments import streamed

    lazy = pl.from_arrow(arrow_table()).lazy()
    handed = streamed(lazy.filter(pl.col("journey_id") != ""))
    assert isinstance(handed, pa.RecordBatchReader)
    got = omnikpi.attribute(MODELS, lazy, channels=pl.DataFrame(CHANNELS).lazy(), currency="EUR")
    assert canonical(got) == expected
    # several batches, each read as it comes
    many = pl.concat([pl.from_arrow(arrow_table()).slice(i, 50) for i in range(0, arrow_table().num_rows, 50)],
                     rechunk=False).lazy()
    assert sum(b.num_rows for b in streamed(many)) == arrow_table().num_rows
    assert canonical(omnikpi.attribute(MODELS, many, channels=CHANNELS, currency="EUR")) == expected
    # no rows: what the same empty frame gives
    empty = lazy.filter(pl.col("journey_id") == "no such journey")
    assert canonical(omnikpi.attribute("linear", empty, channels=CHANNELS, currency="EUR")) == canonical(
        omnikpi.attribute("linear", empty.collect(), channels=CHANNELS, currency="EUR"))
    t = arrow_table()
    assert streamed(t) is t and streamed(CHANNELS) is CHANNELS


def test_row_counts_are_handed_over_only_when_free() -> None:
    """pyarrow tables and pandas frames tell the core their row count (it sizes the journeys
    once); a stream or a DuckDB relation, whose length may cost a query, does not."""
    from omnikpi.arguments import row_count

    t = arrow_table()
    assert row_count(t) == t.num_rows == len(t.to_pandas())
    assert row_count(t.to_pandas()) == t.num_rows
    assert row_count(pa.RecordBatchReader.from_batches(t.schema, t.to_batches())) is None


def test_duckdb_results_equal_the_cli(expected: dict[str, Any]) -> None:
    import duckdb

    con = duckdb.connect()
    touches = con.sql(f"select * from read_csv('{RETAIL / 'journeys.csv'}', types={{'value': 'DECIMAL(12,2)'}})")
    taxonomy = con.sql(f"select channel, \"group\", direct from read_csv('{RETAIL / 'channels.csv'}')")
    # both relations on one connection: the channels are read before the touches' stream opens
    assert canonical(omnikpi.attribute(MODELS, touches, channels=taxonomy, currency="EUR")) == expected


def test_shuffled_rows_give_the_same_result(expected: dict[str, Any]) -> None:
    t = arrow_table()
    order = list(range(t.num_rows))[::-1]
    assert canonical(omnikpi.attribute("markov", t.take(order), channels=CHANNELS, currency="EUR")) == expected["markov"]


def small(**columns: Any) -> pa.Table:
    base: dict[str, Any] = {
        "journey_id": [1, 1, 2],
        "timestamp": [0, 60, 10],
        "channel": ["web", "store", "web"],
        "conversions": [1, 1, 0],
        "value": ["90.00", "90.00", None],
    }
    base.update(columns)
    return pa.table(base)


def test_integer_ids_and_seconds_and_model_params() -> None:
    got = omnikpi.attribute(["linear", "time_decay"], small(), channels=CHANNELS, currency="EUR", timestamp_unit="s",
                            model_params={"time_decay": {"half_life_seconds": 60}})
    by_channel = {c["channel"]: c["value"] for c in got["time_decay"]["channels"]}
    # weights 2^-1 (web, 60 s before the last touch) and 1 (store): 30.00 and 60.00
    assert (by_channel["web"], by_channel["store"]) == (Decimal("30.00"), Decimal("60.00"))
    assert got["linear"]["journeys"] == {"read": 2, "converting": 1, "not_converting": 1, "unattributed": 0}


def test_float_value_column_is_refused() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.attribute("linear", small(value=[None, 90.0, 90.0]), channels=CHANNELS, currency="EUR", timestamp_unit="s")
    # named at its first value, with how to declare the rounding
    assert (info.value.code, info.value.path) == ("wrong_type", "table.value[1]")
    assert "money_from_float" in str(info.value)
    # a float column of nulls only (as pandas types an empty column) holds no money to refuse
    for empty in (pa.array([None] * 3, pa.float64()), pa.array([None] * 3)):
        got = omnikpi.attribute("linear", small(value=empty), channels=CHANNELS, currency="EUR", timestamp_unit="s")
        assert got.totals.value == 0


def test_missing_column_is_named() -> None:
    t = small().drop_columns(["channel"])
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.attribute("linear", t, channels=CHANNELS, currency="EUR", timestamp_unit="s")
    assert (info.value.code, info.value.path) == ("missing_field", "table.channel")


def test_renamed_columns() -> None:
    t = small().rename_columns(["jid", "ts", "ch", "conversions", "value"])
    got = omnikpi.attribute("last_touch", t, channels=CHANNELS, currency="EUR", timestamp_unit="s",
                            columns={"journey_id": "jid", "timestamp": "ts", "channel": "ch"})
    assert {c["channel"]: c["conversions"] for c in got["channels"]}["store"] == Decimal("1.000000")


def test_string_view_columns_read_as_strings(expected: dict[str, Any]) -> None:
    """polars hands its text over as string_view: read where it lies, same bytes and same errors."""
    t = arrow_table()
    views = t.cast(pa.schema([pa.field(f.name, pa.string_view() if f.type == pa.string() else f.type) for f in t.schema]))
    assert views.schema.field("channel").type == pa.string_view()
    assert canonical(omnikpi.attribute(MODELS, views, channels=CHANNELS, currency="EUR")) == expected
    for column, cells, code in [("channel", ["web", None, "web"], "missing_field"), ("journey_id", ["a", " ", "b"], "invalid_dataset"),
                                ("journey_id", ["a", None, "b"], "missing_field")]:
        for kind in (pa.string(), pa.string_view()):
            with pytest.raises(omnikpi.OmniKpiError) as info:
                omnikpi.attribute("linear", small(**{column: pa.array(cells, kind)}), channels=CHANNELS, currency="EUR",
                                  timestamp_unit="s")
            assert (info.value.code, info.value.path) == (code, f"table.{column}[1]"), kind


def test_unknown_channel_names_the_row() -> None:
    with pytest.raises(omnikpi.InvalidValueError) as info:
        omnikpi.attribute("linear", small(channel=["web", "tv", "web"]), channels=CHANNELS, currency="EUR", timestamp_unit="s")
    assert (info.value.code, info.value.path) == ("unknown_channel", "table[1].channel")


def test_null_channel_is_missing() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.attribute("linear", small(channel=["web", None, "web"]), channels=CHANNELS, currency="EUR", timestamp_unit="s")
    assert (info.value.code, info.value.path) == ("missing_field", "table.channel[1]")


def test_disagreeing_outcome_rows_are_refused() -> None:
    with pytest.raises(omnikpi.DatasetError) as info:
        omnikpi.attribute("linear", small(conversions=[1, 2, 0]), channels=CHANNELS, currency="EUR", timestamp_unit="s")
    assert info.value.code == "invalid_dataset" and info.value.path == "table[1]"


def test_float_conversions_are_refused() -> None:
    with pytest.raises(omnikpi.InputError) as info:
        omnikpi.attribute("linear", small(conversions=[1.0, 1.0, 0.0]), channels=CHANNELS, currency="EUR", timestamp_unit="s")
    assert (info.value.code, info.value.path) == ("wrong_type", "table.conversions")


def test_several_models_take_parameters_by_name() -> None:
    with pytest.raises(TypeError):
        omnikpi.attribute(["linear", "markov"], small(), channels=CHANNELS, currency="EUR", timestamp_unit="s", order=2)
