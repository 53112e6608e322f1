"""How the typed functions of :mod:`omnikpi.kpis` hand their arguments to the core.

Values are not converted here: the core converts and validates every host value
(``omnikpi::host``). This module only routes: record inputs given as Arrow-speaking tables are
read in Rust, a policy given as a path is read by the core's JSON reader, omitted optional inputs
and parameters are left out so the definition's defaults apply, and the result is wrapped in its
class.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Iterator, Mapping, Optional, Sequence, TypeVar, Union

from . import _omnikpi
from .errors import DatasetError
from .results import Result, result_for

PathLike = Union[str, "os.PathLike[str]"]
PolicyArgument = Union[Mapping[str, Any], Sequence[Mapping[str, Any]], PathLike]
"""An incentive policy: a dict, a list of its dated versions (a history), or the path of a JSON
file holding either (format ``omnikpi.incentive_policy/1``)."""

R = TypeVar("R", bound=Result)
_VERSIONS: dict[str, str] = {}


def version(kpi_id: str) -> str:
    """The catalogue version of ``kpi_id``."""
    if not _VERSIONS:
        _VERSIONS.update((d["id"], d["version"]) for d in _omnikpi.catalog(None))
    return _VERSIONS[kpi_id]


def typed_result(kpi_id: str, data: Mapping[str, Any], certificate: Optional[Mapping[str, Any]] = None) -> Result:
    """Plain result data of ``kpi_id`` in its result class, with the catalogue's version (and
    its certificate when given)."""
    return result_for(kpi_id, version(kpi_id), data, certificate)


def call(
    result: type[R], kpi_id: str, required: dict[str, Any], optional: dict[str, Any], params: dict[str, Any]
) -> R:
    """Evaluates ``kpi_id`` on its inputs (``optional`` ones left out when ``None``) and the
    parameters given (``None``: the definition's default), as a ``result`` object."""
    data = {**required, **{k: v for k, v in optional.items() if v is not None}}
    given = {k: v for k, v in params.items() if v is not None}
    data, certificate = _omnikpi.certify(kpi_id, data, given or None)
    return result(kpi_id, version(kpi_id), data, certificate)


def as_chunks(table: Any) -> Any:
    """``table`` as it is, but a polars DataFrame as its chunks, without a copy.

    polars' own ``__arrow_c_stream__`` first copies every column into one chunk (0.6 s of 2.9 s
    for 26.7 million touch rows); ``to_arrow`` hands the chunks over as they lie, strings as
    ``string_view``, which the core reads in place. Without pyarrow the stream is used.
    """
    polars = sys.modules.get("polars")
    if polars is None or not isinstance(table, polars.DataFrame):
        return table
    newest = getattr(getattr(polars, "CompatLevel", None), "newest", None)
    try:
        return table.to_arrow(compat_level=newest()) if newest else table.to_arrow()
    except ImportError:  # polars' to_arrow needs pyarrow
        return table


def streamed(table: Any) -> Any:
    """``table`` as it is, but a polars ``LazyFrame`` as an Arrow stream of the batches polars'
    streaming engine collects one at a time (``collect_batches``), so the whole frame is never
    held; without pyarrow (or with a polars lacking ``collect_batches``) the frame is collected
    by the streaming engine first."""
    polars = sys.modules.get("polars")
    if polars is None or not isinstance(table, polars.LazyFrame):
        return table
    try:
        import pyarrow as pa
    except ImportError:
        pa = None
    if pa is None or not hasattr(table, "collect_batches"):
        return table.collect(engine="streaming")
    frames = iter(table.collect_batches())
    first = next(frames, None)
    if first is None:  # no rows: the schema of the empty frame
        return table.collect()
    head = as_chunks(first)  # each batch a pyarrow table, as a DataFrame is handed over

    def batches() -> Iterator[Any]:
        yield from head.to_batches()
        for frame in frames:
            part = as_chunks(frame)
            yield from (part if part.schema == head.schema else part.cast(head.schema)).to_batches()

    return pa.RecordBatchReader.from_batches(head.schema, batches())


def row_count(table: Any) -> Optional[int]:
    """The rows of a pyarrow table or a pandas DataFrame (the core sizes the journeys once);
    ``None`` for other tables, whose length may cost a query (a DuckDB relation)."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(table, pandas.DataFrame):
        return len(table)
    rows = getattr(table, "num_rows", None)
    return rows if isinstance(rows, int) else None


def records(rows: Any, name: str) -> Any:
    """A list of dicts as it is, or the rows of an Arrow-speaking table (pandas, polars, pyarrow,
    DuckDB) read in Rust without a Python loop; decimal128 columns stay exact, timestamp columns
    become Unix seconds, float columns are refused by name."""
    rows = streamed(rows)
    if hasattr(rows, "__arrow_c_stream__"):
        return _omnikpi.records_from_table(rows, name)
    return rows


WORKBOOKS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def read_policy(policy: PolicyArgument) -> Any:
    """A policy given as a dict, or read from the path of its JSON file by the core's reader
    (a duplicate key is an error, not the last one kept), or of a workbook of its tables (the
    sheets `omnikpi incentives policy --xlsx` writes; errors at sheet, row and column)."""
    if isinstance(policy, (str, os.PathLike)):
        workbook = os.fsdecode(policy).lower().endswith(WORKBOOKS)
        try:
            with open(policy, "rb") as fh:
                data = fh.read()
            text = "" if workbook else data.decode("utf-8")
        except (OSError, ValueError) as e:  # missing file, bad name, bad encoding
            raise DatasetError(f"cannot read the policy file `{policy!s:.200}`: {e}", "invalid_dataset", "policy") from e
        if workbook:
            return _omnikpi.policy_from_workbook(data, os.fsdecode(policy))
        return _omnikpi.parse_json(text, "policy")
    return policy
