"""Progress on long runs over large tables (optional: ``pip install tqdm`` for a bar).

``progress=True`` on :func:`omnikpi.attribute` shows a tqdm bar (a widget in notebooks) counting
the rows as the Rust core reads each Arrow batch; a callable receives ``(rows_read, total_rows)``
instead (``total_rows`` is ``None`` when the table does not know its length). Only batches pass
through Python, never rows.

>>> import pyarrow as pa
>>> seen = []
>>> stream = tracked(pa.table({"x": [1, 2, 3]}), lambda done, total: seen.append((done, total)))
>>> stream.read_all().num_rows, seen
(3, [(3, 3)])
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional, Union

Progress = Union[bool, Callable[[int, Optional[int]], object], None]
"""``True`` for a tqdm bar, a callable ``(rows_read, total_rows)``, or ``None``/``False`` for nothing."""


def _length(table: Any) -> Optional[int]:
    try:
        return int(len(table))
    except TypeError:
        return None


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
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError(
                "progress=True needs tqdm, an optional dependency of omnikpi: pip install tqdm "
                "(or pass a callable that receives (rows_read, total_rows))"
            ) from None
        bar = tqdm(total=total, unit=" rows", unit_scale=True, desc="omnikpi")
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
                update(batch.num_rows)
                yield batch
        finally:
            close()

    return pa.RecordBatchReader.from_batches(reader.schema, batches())

