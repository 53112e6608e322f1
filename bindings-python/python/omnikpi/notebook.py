"""HTML views of results for Jupyter, VS Code and other notebooks (``_repr_html_``).

A result shows its KPI and definition version, its single values (totals, overall rates,
row counts) and each of its tables, the first :data:`MAX_ROWS` rows of each. Numbers are
printed exactly as computed (``Decimal``), right-aligned.

>>> import omnikpi
>>> r = omnikpi.money_allocate("10.00", {"web": 1, "store": 2}, currency="EUR")
>>> print(result_html(r).splitlines()[1])
<p><strong>Allocation</strong> · <code>money.allocate</code> 1.1.0</p>
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .results import Fields, ModelComparison, Record, Rows, Tabular

MAX_ROWS = 30
"""Rows shown per table; the others are counted below it."""


def _cell(value: Any) -> str:
    if value is None:
        return '<td style="color:#888">—</td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, (int, Decimal)):
        return f'<td style="text-align:right;font-variant-numeric:tabular-nums">{html.escape(str(value))}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _scalars(record: "Fields", prefix: str = "") -> list[tuple[str, Any]]:
    """The single values of a record, nested records flattened as ``a.b``; tables left out."""
    from .results import Record

    out: list[tuple[str, Any]] = []
    for key, value in record.items():
        if isinstance(value, Record):
            if "kpi" not in value or "result" not in value:
                out.extend(_scalars(value, f"{prefix}{key}."))
        elif not isinstance(value, tuple):
            out.append((prefix + key, value))
    return out


def table_html(name: str, rows: "Rows") -> str:
    """One table: a caption with its name and size, a header row, at most :data:`MAX_ROWS` rows."""
    from .results import Record

    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns and not isinstance(row[k], tuple))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(_cell(None if isinstance(row.get(c), Record) else row.get(c)) for c in columns) + "</tr>"
        for row in rows[:MAX_ROWS]
    )
    more = f'<p style="color:#888">… {len(rows) - MAX_ROWS} more rows (use to_pandas())</p>' if len(rows) > MAX_ROWS else ""
    size = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    return (f'<table class="omnikpi-table"><caption style="text-align:left"><strong>{html.escape(name)}</strong>'
            f" ({size})</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}")


def pivot_html(comparison: "ModelComparison", measure: str) -> str:
    """One measure of a model comparison: a row per channel, a column per model."""
    from .results import Record

    models = list(comparison.keys())
    rows: dict[str, dict[str, Any]] = {}
    for model in models:
        for c in comparison[model]["channels"]:
            rows.setdefault(c["channel"], {"channel": c["channel"]})[model] = c[measure]
    return table_html(f"{measure} by channel and model", tuple(Record(r) for r in rows.values()))


def result_html(result: "Tabular") -> str:
    """The HTML a notebook shows for ``result``."""
    from .results import Fields, ModelComparison, Report, Result

    title = f"<strong>{type(result).__name__}</strong>"
    if isinstance(result, Result):
        title += f" · <code>{html.escape(result.kpi)}</code> {html.escape(result.version)}"
    parts = ['<div class="omnikpi-result">', f"<p>{title}</p>"]
    if isinstance(result, Report):
        parts.append(f"<p>dataset <code>{html.escape(result.dataset)}</code></p>")
        parts.extend(result_html(s["result"]) for s in result.sections)
    elif isinstance(result, ModelComparison):
        parts.extend(pivot_html(result, measure) for measure in ("value", "conversions", "share"))
    else:
        if isinstance(result, Fields):
            scalars = _scalars(result)
            if scalars:
                rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>{_cell(v)}</tr>" for k, v in scalars)
                parts.append(f'<table class="omnikpi-fields">{rows}</table>')
        parts.extend(table_html(name, rows) for name, rows in result.tables().items())
    parts.append("</div>")
    return "\n".join(parts)
