"""Charts of results with matplotlib (an optional dependency: ``pip install matplotlib``).

Every result has ``plot(ax=None, measure=None, title=None)``: channel contribution bars for
attribution and contribution results, one bar group per channel for a :class:`ModelComparison`,
payouts per party stacked by period for an incentive split, and bars of the main table's
measure for the others. Values become floats here, for drawing only; results stay exact.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import omnikpi
>>> tax = [{"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"}]
>>> j = [{"touches": [{"channel": "web", "timestamp": 0}, {"channel": "store", "timestamp": 60}],
...       "conversions": 1, "value": "90.00"}]
>>> ax = omnikpi.attribute("first_touch", j, channels=tax, currency="EUR").plot()
>>> [(float(b.get_width()), t.get_text()) for b, t in zip(ax.patches, ax.get_yticklabels())]
[(90.0, 'web'), (0.0, 'store')]
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

from .results import ModelComparison, Rows, Tabular
from .kpis import (
    Allocation,
    AttachRate,
    Attribution,
    BasketAverage,
    ContributionGrowth,
    ContributionRoas,
    ContributionShare,
    ConversionRate,
    CrossChannel,
    Funnel,
    IncentiveSplit,
    MultichannelUplift,
    PayoutCheck,
    Windowed,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

BARS: dict[type, tuple[str, str, tuple[str, ...]]] = {
    Attribution: ("channels", "channel", ("value", "conversions", "share")),
    ContributionShare: ("channels", "channel", ("share", "value")),
    ContributionRoas: ("channels", "channel", ("roas", "cpa", "value", "cost", "conversions")),
    ContributionGrowth: ("channels", "channel", ("contribution", "change", "share_of_change", "growth")),
    ConversionRate: ("by_channel", "channel", ("rate", "conversions", "opportunities")),
    Funnel: ("steps", "step", ("entities", "from_first", "from_previous", "drop_off")),
    Windowed: ("by_group", "group", ("rate", "conversions", "base_events")),
    CrossChannel: ("online_to_offline.by_channel", "channel", ("assisted",)),
    BasketAverage: ("by_channel", "channel", ("average", "revenue", "orders")),
    MultichannelUplift: ("segments", "segment", ("average", "revenue", "orders", "customers")),
    AttachRate: ("by_store", "store", ("rate", "extra_revenue", "average_extra", "pickups")),
    Allocation: ("parts", "party", ("amount", "weight")),
    PayoutCheck: ("differences", "party", ("difference", "claimed", "canonical")),
}
"""For each result class: its table, the label column and the measures it can draw (first: default).
A class not listed (a KPI added since) draws its main table: the first text column as labels and
every numeric column as a measure, in order."""


def _derived(result: Tabular) -> Optional[tuple[str, str, tuple[str, ...]]]:
    """The chart of a result without a curated one, read from its main table."""
    tables = result.tables()
    name, rows = next(((n, r) for n, r in tables.items() if r), ("", ()))
    if not rows:
        return None
    first = rows[0]
    label = next((k for k, v in first.items() if isinstance(v, str)), None)
    measures = tuple(k for k, v in first.items()
                     if isinstance(v, (int, Decimal)) and not isinstance(v, bool)
                     or v is None and any(isinstance(r.get(k), Decimal) for r in rows))
    return (name, label, measures) if label and measures else None


def _number(value: Any) -> float:
    """A drawable number: ``None`` (a rate without denominator) draws as 0."""
    return float(value) if isinstance(value, (int, Decimal)) else 0.0


def _axes(ax: "Optional[Axes]", height: float = 4.0) -> "Axes":
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plot() needs matplotlib, an optional dependency of omnikpi: pip install matplotlib") from None
    _, new = plt.subplots(figsize=(7, min(max(height, 3.0), 14.0)), layout="constrained")
    return new


def _choose(measure: Optional[str], allowed: tuple[str, ...], what: str) -> str:
    if measure is None:
        return allowed[0]
    if measure not in allowed:
        raise ValueError(f"{what} can plot measure= {', '.join(map(repr, allowed))}, not {measure!r}")
    return measure


def _unit(result: Tabular, measure: str) -> str:
    currency = getattr(result, "currency", None) if not isinstance(result, ModelComparison) else None
    money = {"value", "amount", "revenue", "average", "extra_revenue", "average_extra", "cost", "cpa", "change",
             "difference", "claimed", "canonical", "payable", "earned", "bonus", "accelerator", "limit",
             "adjustment", "carried"}
    return f"{measure} ({currency})" if currency and measure in money else measure


def plot(result: Tabular, ax: "Optional[Axes]" = None, *, measure: Optional[str] = None,
         title: Optional[str] = None) -> "Axes":
    """Draws ``result`` on ``ax`` (a new figure by default) and returns the axes."""
    if isinstance(result, ModelComparison):
        bars = len(result) * len(next(iter(result.values()))["channels"]) if len(result) else 0
        chosen = _choose(measure, ("share", "conversions", "value"), "a model comparison")
        return _comparison(result, _axes(ax, 1.0 + 0.09 * bars), chosen, title)
    if isinstance(result, IncentiveSplit):
        allowed: tuple[str, ...] = ("payable", "earned", "accelerator", "limit", "bonus", "adjustment", "carried")
        return _payouts(result, _axes(ax), _choose(measure, allowed, "an incentive split"), title)
    spec = next((s for cls, s in BARS.items() if isinstance(result, cls)), None) or _derived(result)
    if spec is None:
        raise TypeError(f"{type(result).__name__} has no chart; plot its sections' results instead")
    table, label, allowed = spec
    chosen = _choose(measure, allowed, type(result).__name__)
    rows = result.table(table)
    axes = _axes(ax)
    labels = [str(r.get(label) or r.get("sale_id") or r.get("period")) for r in rows]
    values = [_number(r.get(chosen)) for r in rows]
    axes.barh(range(len(rows)), values, color="#3b6ea8", xerr=_error_bars(rows, chosen, values))
    axes.set_yticks(range(len(rows)), labels)
    axes.invert_yaxis()
    axes.set_xlabel(_unit(result, chosen))
    axes.set_title(title or f"{getattr(result, 'kpi', type(result).__name__)}: {chosen} by {label}")
    return axes


def _error_bars(rows: Rows, measure: str, values: list[float]) -> Optional[list[list[float]]]:
    """Error bars from the rows' interval bounds (``<measure>_low`` and ``_high``, a result
    computed with ``intervals=True``): distances below and above each bar; ``None`` without."""
    low, high = f"{measure}_low", f"{measure}_high"
    if not rows or not all(isinstance(r.get(low), Decimal) for r in rows):
        return None
    return [[max(v - float(r[low]), 0.0) for r, v in zip(rows, values)],
            [max(float(r[high]) - v, 0.0) for r, v in zip(rows, values)]]


def _comparison(result: ModelComparison, axes: "Axes", measure: str, title: Optional[str]) -> "Axes":
    models = list(result.keys())
    channels = [c["channel"] for c in result[models[0]]["channels"]] if models else []
    height = 0.8 / max(len(models), 1)
    import matplotlib

    palette = matplotlib.colormaps["tab10" if len(models) <= 10 else "tab20"]
    for i, model in enumerate(models):
        rows = result[model].table("channels")
        by_channel = {r["channel"]: r for r in rows}
        ordered = tuple(by_channel[c] for c in channels if c in by_channel)
        values = [_number(r[measure]) for r in ordered]
        axes.barh([k + i * height for k in range(len(ordered))], values, height=height, label=model,
                  color=palette(i % palette.N), xerr=_error_bars(ordered, measure, values))
    axes.set_yticks([k + 0.4 - height / 2 for k in range(len(channels))], channels)
    axes.invert_yaxis()
    axes.set_xlabel(measure)
    axes.legend(fontsize="small")
    axes.set_title(title or f"attribution by model: {measure} per channel")
    return axes


def _payouts(result: IncentiveSplit, axes: "Axes", measure: str, title: Optional[str]) -> "Axes":
    rows: Rows = result.table("payouts")
    parties = list(dict.fromkeys(r["party"] for r in rows))
    left = [0.0] * len(parties)
    for period in dict.fromkeys(r["period"] for r in rows):
        values = {r["party"]: _number(r[measure]) for r in rows if r["period"] == period}
        widths = [values.get(p, 0.0) for p in parties]
        axes.barh(range(len(parties)), widths, left=left, label=str(period))
        left = [a + b for a, b in zip(left, widths)]
    axes.set_yticks(range(len(parties)), parties)
    axes.invert_yaxis()
    axes.set_xlabel(_unit(result, measure))
    axes.legend(title="period", fontsize="small")
    axes.set_title(title or f"incentive payouts: {measure} per party")
    return axes
