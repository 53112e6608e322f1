"""Attribution of the retail sample under every model, written as a CSV table and a chart.

    python examples/python/attribution_report.py [OUT_DIR]

Reads examples/retail/journeys.csv with pyarrow (values as exact decimals), computes the eleven
models in one pass, writes OUT_DIR/attribution.csv (one row per model and channel) and
OUT_DIR/attribution.png, and prints the linear model's credits.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

import omnikpi  # noqa: E402

RETAIL = Path(__file__).resolve().parent.parent / "retail"


def main(out: Path) -> None:
    journeys = pacsv.read_csv(
        RETAIL / "journeys.csv", convert_options=pacsv.ConvertOptions(column_types={"value": pa.decimal128(12, 2)})
    )
    channels = [
        omnikpi.kpi_types.Channel(channel=r["channel"], group=r["group"], direct=r["direct"] == "true")
        for r in pacsv.read_csv(RETAIL / "channels.csv").to_pylist()
    ]
    compared = omnikpi.attribute(list(omnikpi.ATTRIBUTION_MODELS), journeys, channels=channels, currency="EUR")
    out.mkdir(parents=True, exist_ok=True)
    compared.to_polars().write_csv(out / "attribution.csv")
    figure = compared.plot(measure="share").get_figure(root=True)
    assert figure is not None  # the chart is drawn on a new figure
    figure.savefig(out / "attribution.png", dpi=100)
    linear = compared["linear"]
    for c in linear.channels:
        print(f"{c.channel:>12} {c.conversions:>12} {c.value:>12} {linear.currency}")
    print(f"{'total':>12} {linear.totals.conversions:>12} {linear.totals.value:>12} {linear.currency}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("attribution-out"))
