"""Result objects: frozen, typed, exact in pyarrow / polars / pandas, readable in notebooks,
drawable with matplotlib, and progress on table runs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pickle
from decimal import Decimal
from typing import Any

import matplotlib
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import omnikpi
from conftest import ROOT

matplotlib.use("Agg")

RETAIL = ROOT / "examples" / "retail"
CHANNELS: list[Any] = [
    {"channel": r["channel"], "group": r["group"], "direct": r["direct"] == "true"}
    for r in csv.DictReader(open(RETAIL / "channels.csv", encoding="utf-8"))
]


def journeys() -> pa.Table:
    return pacsv.read_csv(RETAIL / "journeys.csv",
                          convert_options=pacsv.ConvertOptions(column_types={"value": pa.decimal128(12, 2)}))


@pytest.fixture(scope="module")
def comparison() -> omnikpi.ModelComparison:
    return omnikpi.attribute(["linear", "markov", "first_touch"], journeys(), channels=CHANNELS, currency="EUR")


@pytest.fixture(scope="module")
def split() -> omnikpi.IncentiveSplit:
    from test_incentives import RETAIL_SALES, RETAIL_TOUCHES

    sales, touches = RETAIL_SALES(), RETAIL_TOUCHES()
    return omnikpi.split_incentives(RETAIL / "incentive_policy.json", sales, touches=touches)


def test_results_are_frozen_all_the_way_down(comparison: omnikpi.ModelComparison) -> None:
    linear = comparison["linear"]
    for target, name in [(linear, "channels"), (linear.totals, "value"), (linear.channels[0], "value")]:
        with pytest.raises(AttributeError, match="frozen"):
            setattr(target, name, None)
    with pytest.raises(TypeError):
        linear["channels"] = ()  # type: ignore[index]
    with pytest.raises(AttributeError, match="frozen"):
        comparison.extra = 1
    assert isinstance(linear.channels, tuple)
    assert linear.to_dict()["channels"][0] == {k: linear.channels[0][k] for k in linear.channels[0]}
    with pytest.raises(AttributeError, match="fields are channel, conversions, value, share"):
        linear.channels[0].amount


def test_repr_names_the_kpi_and_summarises_tables(comparison: omnikpi.ModelComparison) -> None:
    text = repr(comparison["markov"])
    assert text.startswith("Attribution(kpi='attribution.markov', model='markov', currency='EUR', channels=<8 rows>")
    assert "transition_matrix=<" in text
    assert repr(comparison) == "ModelComparison(models=['linear', 'markov', 'first_touch'], channels=8)"


def test_results_survive_pickling(comparison: omnikpi.ModelComparison, split: omnikpi.IncentiveSplit) -> None:
    for result in (comparison["markov"], comparison, split, omnikpi.report(RETAIL)):
        again = pickle.loads(pickle.dumps(result))
        assert type(again) is type(result) and again == result
        assert getattr(again, "kpi", None) == getattr(result, "kpi", None)


def test_arrow_columns_are_exact_decimals(comparison: omnikpi.ModelComparison) -> None:
    linear = comparison["linear"]
    table = linear.to_arrow()
    assert table.schema.field("value").type == pa.decimal128(38, 2)
    assert table.schema.field("conversions").type == pa.decimal128(38, 6)
    assert table.schema.field("channel").type == pa.string()
    assert table.column("value").to_pylist() == [c.value for c in linear.channels]
    assert sum(table.column("value").to_pylist()) == linear.totals.value  # exact: sums to the cent
    meta = table.schema.metadata
    assert meta[b"omnikpi.kpi"] == b"attribution.linear" and meta[b"omnikpi.currency"] == b"EUR"
    assert meta[b"omnikpi.version"] == linear.version.encode()


def test_polars_and_pandas_keep_decimals(comparison: omnikpi.ModelComparison) -> None:
    linear = comparison["linear"]
    frame = linear.to_polars()
    assert frame.schema["value"] == pl.Decimal(38, 2)
    assert frame["value"].sum() == linear.totals.value
    pdf = linear.to_pandas()
    assert all(isinstance(v, Decimal) for v in pdf["value"])
    assert sum(pdf["value"]) == linear.totals.value
    rates = omnikpi.conversion_rate([{"channel": "web", "opportunities": 0, "conversions": 0},
                                     {"channel": "app", "opportunities": 5, "conversions": 1}]).to_pandas()
    assert str(rates["conversions"].dtype) == "Int64"  # counts stay integers
    assert rates["rate"].tolist() == [None, Decimal("0.200000")]  # a missing rate is a gap, not NaN


def test_model_comparison_table_is_long_format(comparison: omnikpi.ModelComparison) -> None:
    table = comparison.to_polars()
    assert table.columns == ["model", "channel", "conversions", "value", "share"]
    assert table.height == 3 * 8
    per_model = table.group_by("model").agg(pl.col("value").sum()).sort("model")
    totals = {m: comparison[m].totals.value for m in comparison.keys()}
    assert dict(zip(per_model["model"], per_model["value"])) == totals


def test_every_table_of_a_split(split: omnikpi.IncentiveSplit) -> None:
    assert list(split.tables()) == ["lines", "unpaid", "periods", "parties", "payouts"]
    payouts = split.to_pandas("payouts")
    assert list(payouts.columns[:3]) == ["period", "party", "earned"]
    # the call centre's floor deducts its clawbacks (incentives.split 2.0.0): 3.72 less than when it absorbed them
    assert sum(payouts["payable"]) == split.total == Decimal("4639.73")
    lines = split.to_arrow()
    assert lines.schema.metadata[b"omnikpi.table"] == b"lines"
    assert lines.num_rows == len(split.lines)
    with pytest.raises(KeyError, match="this result has lines, unpaid"):
        split.table("nope")
    assert split.to_arrow("unpaid").num_rows == 0


def test_html_shows_values_and_escapes_text() -> None:
    rate = omnikpi.conversion_rate([{"channel": "<b>web</b>", "opportunities": 8, "conversions": 1}])
    page = rate._repr_html_()
    assert "&lt;b&gt;web&lt;/b&gt;" in page and "<b>web</b>" not in page
    assert "0.125000" in page and "conversion.rate" in page and "by_channel" in page
    report = omnikpi.report(RETAIL)
    html = report._repr_html_()
    assert html.count('class="omnikpi-result"') == len(report.sections) + 1
    assert report.section("incentives.split").kpi == "incentives.split"


def test_html_truncates_long_tables(split: omnikpi.IncentiveSplit) -> None:
    from omnikpi.notebook import MAX_ROWS

    page = split._repr_html_()
    assert f"… {len(split.lines) - MAX_ROWS} more rows" in page


def test_plots_draw_the_exact_values(comparison: omnikpi.ModelComparison, split: omnikpi.IncentiveSplit) -> None:
    linear = comparison["linear"]
    ax = linear.plot()
    assert [b.get_width() for b in ax.patches] == [float(c.value) for c in linear.channels]
    assert [t.get_text() for t in ax.get_yticklabels()] == [c.channel for c in linear.channels]
    ax = comparison.plot(measure="value")
    assert len(ax.patches) == 3 * 8 and [t.get_text() for t in ax.get_legend().get_texts()] == list(comparison.keys())
    ax = split.plot()
    stacked: dict[str, float] = {}
    for bar in ax.patches:
        stacked[str(round(bar.get_y() + bar.get_height() / 2))] = max(
            stacked.get(str(round(bar.get_y() + bar.get_height() / 2)), 0.0), bar.get_x() + bar.get_width())
    assert sorted(stacked.values()) == pytest.approx(sorted(float(p.payable) for p in split.parties))
    with pytest.raises(ValueError, match="can plot measure="):
        linear.plot(measure="cost")
    with pytest.raises(TypeError, match="has no chart"):
        omnikpi.report(RETAIL).plot()


def test_progress_counts_every_row() -> None:
    table = journeys()
    seen: list[tuple[int, int | None]] = []
    batches = pa.Table.from_batches(table.to_batches(max_chunksize=500))
    with_progress = omnikpi.attribute("linear", batches, channels=CHANNELS, currency="EUR",
                                      progress=lambda done, total: seen.append((done, total)))
    assert with_progress == omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR")
    assert seen[-1] == (table.num_rows, table.num_rows) and len(seen) == -(-table.num_rows // 500)
    with pytest.raises(TypeError, match="progress"):
        omnikpi.attribute("linear", [], channels=CHANNELS, currency="EUR", progress=True)


def test_progress_moves_through_one_large_batch() -> None:
    """A one-chunk table (what pandas and polars hand over) is read in slices of STEP rows, each
    reported, with the same result."""
    from omnikpi.progress import STEP

    rows = 3 * STEP + 123
    ids = pa.array([f"j{i // 3}" for i in range(rows)])
    converting = [(i // 3) % 2 for i in range(rows)]
    table = pa.table({
        "journey_id": ids,
        "timestamp": pa.array(range(rows), pa.timestamp("s")),
        "channel": pa.array([["web", "store", "email"][i % 3] for i in range(rows)]),
        "conversions": pa.array(converting, pa.int64()),
        "value": pa.array([Decimal("12.50") * c for c in converting], pa.decimal128(10, 2)),
    }).combine_chunks()
    assert table.column("journey_id").num_chunks == 1
    seen: list[tuple[int, int | None]] = []
    got = omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR",
                            progress=lambda done, total: seen.append((done, total)))
    assert got == omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR")
    assert seen == [(min((k + 1) * STEP, rows), rows) for k in range(4)]


def test_progress_bar_is_text_without_notebook_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    import tqdm.auto
    import tqdm.std

    from omnikpi.progress import bar_class

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed
    assert bar_class() is tqdm.std.tqdm
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    assert bar_class() is tqdm.auto.tqdm
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with pytest.raises(ImportError, match="pip install tqdm"):
        bar_class()


def test_progress_bar_with_tqdm(capsys: pytest.CaptureFixture[str]) -> None:
    omnikpi.attribute("linear", journeys(), channels=CHANNELS, currency="EUR", progress=True)
    assert "2.78k/2.78k" in capsys.readouterr().err


def test_unknown_column_roles_are_named() -> None:
    with pytest.raises(omnikpi.CatalogError) as e:
        omnikpi.attribute("linear", journeys(), channels=CHANNELS, currency="EUR", columns={"journey": "id"})
    assert (e.value.code, e.value.path) == ("unknown_parameter", "reading.columns.journey")


def test_misaligned_decimal_buffers_are_read() -> None:
    # JVM producers (Spark) align buffers to 8 bytes; decimal128 needs 16 in Rust (arrow 59 realigns)
    values = pa.array([Decimal("10.00"), Decimal("20.00")], pa.decimal128(12, 2))
    raw = values.buffers()[1]
    padded = pa.allocate_buffer(raw.size + 8)
    memoryview(padded).cast("B")[8:8 + raw.size] = memoryview(raw).cast("B")
    shifted = pa.Array.from_buffers(values.type, 2, [None, padded.slice(8, raw.size)])
    assert shifted.buffers()[1].address % 16 == 8 and shifted.to_pylist() == values.to_pylist()
    table = pa.table({"journey_id": ["a", "b"], "timestamp": [0, 1], "channel": ["web", "store"],
                      "conversions": [1, 1], "value": shifted})
    got = omnikpi.attribute("linear", table, channels=CHANNELS, currency="EUR", timestamp_unit="s")
    assert got.totals.value == Decimal("30.00")


def test_datetimes_are_timestamps() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    base = [{"entity": "a", "timestamp": dt.datetime(2026, 9, 1, 12, 0, 0, 999_999, tzinfo=paris)},
            {"entity": "b", "timestamp": dt.datetime(2026, 9, 1, 10, 0, 0)}]  # naive: UTC, as in Arrow
    conversions = [{"entity": "a", "timestamp": "2026-09-01T10:00:59Z"},
                   {"entity": "b", "timestamp": 1788256859}]  # 10:00:59 UTC
    assert omnikpi.conversion_windowed(base, conversions, window_seconds=60).overall.conversions == 2
    assert omnikpi.conversion_windowed(base, conversions, window_seconds=59).overall.conversions == 0
    with pytest.raises(omnikpi.InputError) as e:
        omnikpi.basket_average([{"channel": "web", "amount": dt.datetime(2026, 1, 1)}], currency="EUR")  # type: ignore[typeddict-item]
    assert e.value.code == "invalid_decimal"
    out = io.StringIO()
    print(omnikpi.conversion_windowed(base, conversions, window_seconds=60).overall, file=out)
    assert "conversions=2" in out.getvalue()


def test_results_are_arrow_streams_with_exact_decimals() -> None:
    """pa.table(r) and DuckDB's replacement scan read a result's main table through
    __arrow_c_stream__, decimals as decimal128 (exact), the same as to_arrow()."""
    import duckdb

    linear = omnikpi.attribute("linear", journeys(), channels=CHANNELS, currency="EUR")
    both = omnikpi.attribute(["linear", "markov"], journeys(), channels=CHANNELS, currency="EUR")
    for result in (linear, both):
        table = pa.table(result)
        assert table.equals(result.to_arrow()) and table.schema.metadata == result.to_arrow().schema.metadata
        assert pa.types.is_decimal(table.schema.field("value").type)
    rows = duckdb.sql("SELECT channel, value FROM linear ORDER BY channel").fetchall()
    assert rows == sorted((c.channel, c.value) for c in linear.channels)
    assert all(isinstance(v, Decimal) for _, v in rows)
    assert sum(v for _, v in rows) == linear.totals.value


def test_polars_takes_a_result_as_the_arrow_stream_it_is() -> None:
    """A result is not a Mapping (polars would read one as columns): pl.DataFrame(r) reads the
    stream, the same frame as r.to_polars(), decimals as pl.Decimal; fields still read as keys."""
    from collections.abc import Mapping

    linear = omnikpi.attribute("linear", journeys(), channels=CHANNELS, currency="EUR")
    both = omnikpi.attribute(["linear", "markov"], journeys(), channels=CHANNELS, currency="EUR")
    rate = omnikpi.conversion_rate([{"channel": "web", "opportunities": 8, "conversions": 1},
                                    {"channel": "app", "opportunities": 0, "conversions": 0}])
    for result in (linear, both, rate):
        assert not isinstance(result, Mapping)
        frame = pl.DataFrame(result)
        assert frame.equals(result.to_polars())
    assert pl.DataFrame(both).columns == ["model", "channel", "conversions", "value", "share"]
    assert pl.DataFrame(both)["value"].dtype == pl.Decimal(38, 2)
    assert pl.DataFrame(rate)["reason"].to_list() == [None, "zero_denominator"]
    # mapping behaviour kept where users rely on it
    assert dict(rate)["overall"] == rate.overall and set(rate.keys()) >= {"overall", "by_channel"}
    assert "overall" in rate and rate.get("nope") is None and {**rate}["overall"] == rate["overall"]
    assert list(both.keys()) == ["linear", "markov"] and dict(both.items())["markov"] == both["markov"]
    # iterating a result is refused, so pandas cannot quietly make a column of names from it
    for result in (linear, both, rate):
        with pytest.raises(TypeError, match="not iterable.*to_pandas"):
            pd.DataFrame(result)
    assert list(rate.by_channel[0]) == ["channel", "conversions", "opportunities", "rate", "reason"]
    assert isinstance(rate.by_channel[0], Mapping)  # rows stay mappings
    assert pickle.loads(pickle.dumps(rate)) == rate


def test_result_streams_are_built_without_pyarrow() -> None:
    """The stream is built in Rust: with pyarrow blocked, polars and DuckDB still read a result."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import duckdb, polars as pl, omnikpi\n"
        "r = omnikpi.money_allocate('10.00', {'web': 1, 'store': 2}, currency='EUR')\n"
        "f = pl.DataFrame(r)\n"
        "assert f['amount'].to_list() == [__import__('decimal').Decimal('3.33'), __import__('decimal').Decimal('6.67')], f\n"
        "assert duckdb.sql('SELECT sum(amount) FROM r').fetchall() == [(__import__('decimal').Decimal('10.00'),)]\n"
        "try:\n    r.to_arrow()\nexcept ImportError as e:\n    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "to_arrow() needs pyarrow" in proc.stdout


def test_result_tables_are_typed_by_the_host_values_they_hold() -> None:
    """The core's one rule for result rows: decimals at the column's largest scale (integers
    among them too), integers int64 (beyond 64 bits decimal), nulls only text, nested JSON text,
    a missing field null."""
    from omnikpi.results import Record, arrow_stream

    rows = (Record({"a": Decimal("1.5"), "b": 1, "c": None, "d": {"x": [1, 2]}, "e": 2**70, "f": True}),
            Record({"a": 2, "b": 2, "c": None, "d": "plain", "e": 1}),
            Record({"a": Decimal("0.125"), "b": None, "c": None, "e": None, "f": False}))
    table = pa.table(arrow_stream(rows, {"k": "v"}, "t"))
    assert [str(t) for t in table.schema.types] == ["decimal128(38, 3)", "int64", "string", "string",
                                                    "decimal128(38, 0)", "bool"]
    assert table.column("a").to_pylist() == [Decimal("1.500"), Decimal("2.000"), Decimal("0.125")]
    assert table.column("d").to_pylist() == ['{"x":[1,2]}', "plain", None]
    assert table.column("e").to_pylist() == [Decimal(2**70), Decimal(1), None]
    assert table.column("f").to_pylist() == [True, None, False]
    assert table.schema.metadata == {b"k": b"v"}
    with pytest.raises(omnikpi.InputError) as e:
        arrow_stream((Record({"a": Decimal("NaN")}),))
    assert (e.value.code, e.value.path) == ("invalid_decimal", "rows[0].a")
    # beyond the 96 bits of an exported decimal: refused at the cell, never an internal error
    with pytest.raises(omnikpi.OmniKpiError) as e:
        arrow_stream((Record({"a": 1}), Record({"a": 2**100})))
    assert (e.value.code, e.value.path) == ("value_out_of_range", "rows[1].a")


def test_to_pandas_gives_floats_for_plotting_only_when_asked() -> None:
    import matplotlib

    matplotlib.use("Agg")
    both = omnikpi.attribute(["linear", "markov"], journeys(), channels=CHANNELS, currency="EUR")
    exact = both.to_pandas()
    assert exact["value"].dtype == object and isinstance(exact["value"][0], Decimal)
    floats = both.to_pandas(floats=True)
    assert [str(floats[c].dtype) for c in ("conversions", "value", "share")] == ["float64"] * 3
    assert floats["value"].tolist() == [float(v) for v in exact["value"]]
    assert floats["model"].tolist() == exact["model"].tolist()
    ax = floats.pivot(index="channel", columns="model", values="value").plot.bar()
    assert len(ax.patches) == 2 * len(both["linear"].channels)
