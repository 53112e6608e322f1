"""omnikpi.spark in Spark local mode: partial states per partition, merged on the driver, give
exactly the single-machine result, for several partitionings; errors found in a partition are
raised on the driver with their code."""

from __future__ import annotations

import csv
import os
import random
import sys
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import omnikpi
import omnikpi.spark
from conftest import ROOT

# The executors run this interpreter, where omnikpi is installed.
os.environ["PYSPARK_PYTHON"] = sys.executable
os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable

from pyspark.sql import DataFrame, SparkSession  # noqa: E402

RETAIL = ROOT / "examples" / "retail"
CHANNELS: list[Any] = [
    {"channel": r["channel"], "group": r["group"], "direct": r["direct"] == "true"}
    for r in csv.DictReader(open(RETAIL / "channels.csv", encoding="utf-8"))
]
MODELS = list(omnikpi.ATTRIBUTION_MODELS)
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.master("local[2]")
        .appName("omnikpi-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "3")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def journeys() -> pa.Table:
    # value as decimal128: Spark's DecimalType, exact; timestamps as UTC timestamps
    return pacsv.read_csv(RETAIL / "journeys.csv",
                          convert_options=pacsv.ConvertOptions(column_types={"value": pa.decimal128(12, 2)}))


@pytest.fixture(scope="module")
def single_machine() -> dict[str, Any]:
    return omnikpi.attribute(MODELS, journeys(), channels=CHANNELS, currency="EUR").to_dict()


@pytest.mark.parametrize("partitions", [1, 2, 7])
def test_attribution_equals_single_machine(spark: SparkSession, single_machine: dict[str, Any], partitions: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[list[str]] = []
    collect = omnikpi.spark._collect

    def counting(frame: Any, state: Any) -> list[str]:
        collected.append(collect(frame, state))
        return collected[-1]

    monkeypatch.setattr(omnikpi.spark, "_collect", counting)
    df = spark.createDataFrame(journeys())
    got = omnikpi.spark.attribute(MODELS, df, channels=CHANNELS, currency="EUR", num_partitions=partitions)
    assert isinstance(got, omnikpi.ModelComparison)
    assert got.to_dict() == single_machine
    assert len(collected[0]) == partitions  # one state per partition (946 journeys fill them all)


@pytest.mark.parametrize("partitions", [1, 3])
def test_attribution_by_brand_merges_per_segment(spark: SparkSession, partitions: int) -> None:
    table = journeys()
    ids = table["journey_id"].to_pylist()
    table = table.append_column("brand", pa.array(["AB"[int(i[-1]) % 2] for i in ids]))
    expected = omnikpi.attribute(["linear", "markov"], table, channels=CHANNELS, currency="EUR", by=["brand"])
    df = spark.createDataFrame(table)
    got = omnikpi.spark.attribute(["linear", "markov"], df, channels=CHANNELS, currency="EUR", by=["brand"],
                                  num_partitions=partitions)
    assert got.to_dict() == expected.to_dict()
    assert [s["key"] for s in got["markov"].to_dict()["segments"]] == [{"brand": "A"}, {"brand": "B"}]

def test_attribution_from_a_shuffled_frame_with_renamed_columns(spark: SparkSession, single_machine: dict[str, Any]) -> None:
    table = journeys()
    order = list(range(table.num_rows))
    random.Random(7).shuffle(order)
    renamed = table.take(order).rename_columns(["jid", "ts", "ch", "conv", "amount", "conv_ts"])
    df = spark.createDataFrame(renamed).repartition(5)  # touches of a journey scattered everywhere
    got = omnikpi.spark.attribute(
        "markov", df, channels=CHANNELS, currency="EUR",
        columns={"journey_id": "jid", "timestamp": "ts", "channel": "ch", "conversions": "conv", "value": "amount",
                 "conversion_timestamp": "conv_ts"},
    )
    assert isinstance(got, omnikpi.Attribution) and got.kpi == "attribution.markov"
    assert got.to_dict() == single_machine["markov"]


def test_attribution_parameters_reach_every_partition(spark: SparkSession) -> None:
    df = spark.createDataFrame(journeys())
    expected = omnikpi.attribute("time_decay", journeys(), channels=CHANNELS, currency="EUR",
                                 half_life_seconds=2 * 86400, lookback_seconds=3 * 86400)
    got = omnikpi.spark.attribute("time_decay", df, channels=CHANNELS, currency="EUR", num_partitions=4,
                                  half_life_seconds=2 * 86400, lookback_seconds=3 * 86400)
    assert got.to_dict() == expected.to_dict()
    assert got.to_dict() != omnikpi.attribute("time_decay", journeys(), channels=CHANNELS, currency="EUR").to_dict()


@pytest.mark.parametrize("partitions", [1, 3])
def test_intervals_do_not_depend_on_partitioning(spark: SparkSession, partitions: int) -> None:
    """The replicates weigh each journey by a hash of its id: the bounds merged from Spark
    partitions are the single machine's, byte for byte."""
    models = ["linear", "markov"]
    params = {m: {"intervals": True, "replicates": 50, "seed": 3} for m in models}
    expected = omnikpi.attribute(models, journeys(), channels=CHANNELS, currency="EUR", model_params=params)
    df = spark.createDataFrame(journeys())
    got = omnikpi.spark.attribute(models, df, channels=CHANNELS, currency="EUR", model_params=params,
                                  num_partitions=partitions)
    assert got.to_dict() == expected.to_dict()
    assert got["markov"].intervals.replicates == 50


def rate_rows() -> list[dict[str, Any]]:
    rng = random.Random(11)
    rows = []
    for _ in range(400):
        opportunities = rng.randint(0, 500)
        rows.append({"source": rng.choice(["web", "app", "store", "call_centre", "email"]),
                     "opportunities": opportunities, "conversions": rng.randint(0, opportunities)})
    return rows


@pytest.mark.parametrize("partitioning", ["coalesce1", "round_robin4", "by_channel5"])
def test_conversion_rate_equals_single_machine(spark: SparkSession, partitioning: str) -> None:
    df: DataFrame = spark.createDataFrame(pa.Table.from_pylist(rate_rows()))
    df = {"coalesce1": lambda d: d.coalesce(1), "round_robin4": lambda d: d.repartition(4),
          "by_channel5": lambda d: d.repartition(5, "source")}[partitioning](df)
    # the single-machine reference reads the same DataFrame in the same order
    in_order = [{"channel": r["source"], "opportunities": r["opportunities"], "conversions": r["conversions"]}
                for r in df.toArrow().to_pylist()]
    expected = omnikpi.conversion_rate(in_order, denominator="sessions")
    got = omnikpi.spark.conversion_rate(df, columns={"channel": "source"}, denominator="sessions")
    assert isinstance(got, omnikpi.ConversionRate)
    assert got.to_dict() == expected.to_dict()
    assert got.rows.read == 400


@pytest.mark.parametrize("partitions", [1, 4])
def test_conversion_rate_by_brand_merges_per_segment(spark: SparkSession, partitions: int) -> None:
    rows = [{**r, "brand": "AB"[i % 3 == 0], "country": ["FR", "GB"][i % 2]} for i, r in enumerate(rate_rows())]
    df: DataFrame = spark.createDataFrame(pa.Table.from_pylist(rows)).repartition(partitions)
    in_order = [{"channel": r["source"], "opportunities": r["opportunities"], "conversions": r["conversions"],
                 "brand": r["brand"], "country": r["country"]} for r in df.toArrow().to_pylist()]
    expected = omnikpi.conversion_rate(in_order, by=["brand", "country"])
    got = omnikpi.spark.conversion_rate(df, columns={"channel": "source"}, by=["brand", "country"])
    assert got.to_dict() == expected.to_dict()
    assert [s["key"] for s in got.segments] == [{"brand": b, "country": c} for b in "AB" for c in ["FR", "GB"]]


def test_funnel_by_a_dimension_merges_per_segment(spark: SparkSession) -> None:
    steps = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]
    events = web_events()
    shop = pa.array(["north" if e % 2 else "south" for e in range(events.num_rows)])
    events = events.append_column("shop", shop)
    expected = omnikpi.conversion_funnel(steps, events.to_pylist(), window_seconds=3600, by=["shop"])
    got = omnikpi.spark.conversion_funnel(steps, spark.createDataFrame(events), window_seconds=3600,
                                          num_partitions=3, by=["shop"])
    assert got.to_dict() == expected.to_dict() and len(got.segments) == 2


def web_events() -> pa.Table:
    table = pacsv.read_csv(RETAIL / "web_events.csv")
    return table.rename_columns(["entity", "timestamp", "event"])


@pytest.mark.parametrize("partitions", [1, 3, 6])
def test_funnel_equals_single_machine(spark: SparkSession, partitions: int) -> None:
    steps = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]
    events = web_events()
    assert set(events.column("event").to_pylist()) >= set(steps), "the sample's steps changed"
    expected = omnikpi.conversion_funnel(steps, events.to_pylist(), window_seconds=3600)
    df = spark.createDataFrame(events).repartition(4)
    got = omnikpi.spark.conversion_funnel(steps, df, window_seconds=3600, num_partitions=partitions)
    assert isinstance(got, omnikpi.Funnel)
    assert got.to_dict() == expected.to_dict()
    assert got.steps[0].entities > got.steps[-1].entities > 0


def test_empty_frames_give_the_single_machine_answer(spark: SparkSession) -> None:
    df = spark.createDataFrame(web_events()).limit(0)
    got = omnikpi.spark.conversion_funnel(["visit", "purchase"], df)
    assert got.to_dict() == omnikpi.conversion_funnel(["visit", "purchase"], []).to_dict()
    rates = spark.createDataFrame(pa.Table.from_pylist(rate_rows())).limit(0)
    with pytest.raises(omnikpi.InputError) as e:
        omnikpi.spark.conversion_rate(rates, columns={"channel": "source"})
    assert e.value.code == "empty_input"


def test_missing_column_is_named_before_any_job(spark: SparkSession) -> None:
    df = spark.createDataFrame(journeys()).drop("channel")
    with pytest.raises(omnikpi.InputError) as e:
        omnikpi.spark.attribute("linear", df, channels=CHANNELS, currency="EUR")
    assert (e.value.code, e.value.path) == ("missing_field", "table.channel")
    with pytest.raises(omnikpi.InputError) as e:
        omnikpi.spark.conversion_rate(spark.createDataFrame(pa.Table.from_pylist(rate_rows())), columns={"chan": "x"})
    assert (e.value.code, e.value.path) == ("unknown_field", "columns")
    # a touch table's roles are the core's, checked by the core as in every front end
    with pytest.raises(omnikpi.OmniKpiError) as e:
        omnikpi.spark.attribute("linear", spark.createDataFrame(journeys()), channels=CHANNELS, currency="EUR",
                                columns={"user": "journey_id"})
    assert (e.value.code, e.value.path) == ("unknown_parameter", "reading.columns.user")


def test_a_bad_row_in_a_partition_is_raised_on_the_driver(spark: SparkSession) -> None:
    rows = rate_rows() + [{"source": "web", "opportunities": 1, "conversions": 2}]
    df = spark.createDataFrame(pa.Table.from_pylist(rows)).repartition(3)
    with pytest.raises(omnikpi.InvalidValueError) as e:
        omnikpi.spark.conversion_rate(df, columns={"channel": "source"})
    assert e.value.code == "conversions_exceed_opportunities"
    assert "Spark partition" in str(e.value)


def test_a_float_value_column_is_refused_as_on_one_machine(spark: SparkSession) -> None:
    table = journeys()
    floats = table.set_column(4, "value", table.column("value").cast(pa.float64()))
    with pytest.raises(omnikpi.InputError) as local:
        omnikpi.attribute("linear", floats, channels=CHANNELS, currency="EUR")
    with pytest.raises(omnikpi.InputError) as distributed:
        omnikpi.spark.attribute("linear", spark.createDataFrame(floats), channels=CHANNELS, currency="EUR")
    assert (distributed.value.code, distributed.value.path) == (local.value.code, local.value.path)


def test_executors_that_cannot_import_omnikpi_are_named_with_the_fix(spark: SparkSession,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An executor whose Python lacks omnikpi fails the job with a ModuleNotFoundError buried in a
    Java trace; the driver raises it as an ImportError saying which Python and how to fix it."""
    def unimportable(state: Any) -> Any:
        def run(batches: Iterator[Any]) -> Iterator[Any]:
            raise ModuleNotFoundError("No module named 'omnikpi'")
            yield  # a generator, as mapInArrow wants

        return run

    monkeypatch.setattr(omnikpi.spark, "_reduce", unimportable)
    monkeypatch.setenv("PYSPARK_PYTHON", "/opt/python-without-omnikpi/bin/python")
    with pytest.raises(ImportError) as e:
        omnikpi.spark.attribute("linear", spark.createDataFrame(journeys()), channels=CHANNELS, currency="EUR")
    message = str(e.value)
    assert message.startswith("Spark's executors cannot import omnikpi")
    assert "/opt/python-without-omnikpi/bin/python" in message and sys.executable in message
    assert "No module named 'omnikpi'" in str(e.value.__cause__)
    # any other failure of a job is raised as it was
    assert omnikpi.spark._executor_failure(RuntimeError("Py4JJavaError: ... OutOfMemoryError")) is None
