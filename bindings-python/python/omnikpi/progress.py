"""Progress on long runs over large tables (optional: ``pip install tqdm`` for a bar).

``progress=True`` on :func:`omnikpi.attribute` shows a tqdm bar counting the rows as the Rust core
reads each Arrow batch: a widget in notebooks that have ipywidgets, plain text everywhere else
(never the "IProgress not found" notice). A callable receives ``(rows_read, total_rows)`` instead
(``total_rows`` is ``None`` when the table does not know its length). A batch larger than
:data:`STEP` rows (a pandas or polars frame, a one-chunk pyarrow table) is handed over in slices
of that many rows, without a copy, so the bar moves as the core reads. Only batches pass through
Python, never rows.

>>> import pyarrow as pa
>>> seen = []
>>> stream = tracked(pa.table({"x": [1, 2, 3]}), lambda done, total: seen.append((done, total)))
>>> stream.read_all().num_rows, seen
(3, [(3, 3)])
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Iterator, Optional, Union

STEP = 65_536
"""The most rows the core reads between two progress reports."""

Progress = Union[bool, Callable[[int, Optional[int]], object], None]
"""``True`` for a tqdm bar, a callable ``(rows_read, total_rows)``, or ``None``/``False`` for nothing."""


def _length(table: Any) -> Optional[int]:
    try:
        return int(len(table))
    except TypeError:
        return None


def bar_class() -> Any:
    """tqdm's bar: the notebook widget (``tqdm.auto``) when ipywidgets is there to draw it, the
    plain text bar otherwise."""
    try:
        import tqdm as _  # noqa: F401
    except ImportError:
        raise ImportError(
            "progress=True needs tqdm, an optional dependency of omnikpi: pip install tqdm "
            "(or pass a callable that receives (rows_read, total_rows))"
        ) from None
    try:
        importlib.import_module("ipywidgets")  # the notebook widget draws with it
    except ImportError:
        from tqdm.std import tqdm as text_bar

        return text_bar
    from tqdm.auto import tqdm as auto_bar

    return auto_bar


def tracked(table: Any, progress: Progress) -> Any:
    """``table`` as an Arrow stream that reports its progress batch by batch (or ``table`` itself
    when ``progress`` is ``None`` or ``False``)."""
    if progress is None or progress is False:
        return table
    try:
        import pyarrow as pa
    except ImportError:
        raise ImportError("progress= needs pyarrow to follow the Arrow stream: pip install pyarrow") from None
    total = _length(table)
    reader = pa.RecordBatchReader.from_stream(table)
    if progress is True:
        bar = bar_class()(total=total, unit=" rows", unit_scale=True, desc="omnikpi")
        update: Callable[[int], object] = bar.update
        close: Callable[[], object] = bar.close
    elif callable(progress):
        report = progress
        done = [0]

        def update(rows: int) -> None:
            done[0] += rows
            report(done[0], total)

        def close() -> None:
            return None
    else:
        raise TypeError("`progress` must be True, False, None or a callable (rows_read, total_rows)")

    def batches() -> Iterator[Any]:
        try:
            for batch in reader:
                for start in range(0, batch.num_rows, STEP):
                    piece = batch.slice(start, STEP)
                    update(piece.num_rows)
                    yield piece
        finally:
            close()

    return pa.RecordBatchReader.from_batches(reader.schema, batches())

