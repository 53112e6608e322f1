"""The retail sample's attribution and web funnel on Spark (local mode), checked against one machine.

    PYSPARK_PYTHON=$(which python) python examples/python/spark_attribution.py

Each partition is reduced to a partial state in Rust, the driver merges the states: the result
is the single-machine result to the cent, whatever the partitioning.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
from pyspark.sql import SparkSession

import omnikpi
import omnikpi.spark

RETAIL = Path(__file__).resolve().parent.parent / "retail"
STEPS = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]


def main() -> None:
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        journeys = pacsv.read_csv(
            RETAIL / "journeys.csv", convert_options=pacsv.ConvertOptions(column_types={"value": pa.decimal128(12, 2)})
        )
        channels = [
            omnikpi.kpi_types.Channel(channel=r["channel"], group=r["group"], direct=r["direct"] == "true")
            for r in pacsv.read_csv(RETAIL / "channels.csv").to_pylist()
        ]
        frame = spark.createDataFrame(journeys)
        on_spark = omnikpi.spark.attribute("markov", frame, channels=channels, currency="EUR", num_partitions=4)
        on_one_machine = omnikpi.attribute("markov", journeys, channels=channels, currency="EUR")
        assert on_spark == on_one_machine, "Spark and one machine differ"
        print(on_spark.to_polars())

        events = pacsv.read_csv(RETAIL / "web_events.csv").rename_columns(["entity", "timestamp", "event"])
        funnel = omnikpi.spark.conversion_funnel(STEPS, spark.createDataFrame(events), window_seconds=7 * 86400)
        assert funnel == omnikpi.conversion_funnel(STEPS, events, window_seconds=7 * 86400)
        print(funnel.to_polars())
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
