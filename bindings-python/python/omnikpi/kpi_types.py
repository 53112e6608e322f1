"""The types every KPI's inputs are made of. Each KPI's own record shapes (``...Row``) are
generated in :mod:`omnikpi.kpis` from its definition.

Money and rates are :class:`decimal.Decimal` at the scale the KPI's definition declares;
counts are ``int``; a rate whose denominator is zero is ``None`` with ``reason`` set.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Literal, Optional, Protocol, Sequence, TypeVar, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover
    from typing_extensions import NotRequired, TypedDict

class ArrowTable(Protocol):
    """Any table speaking the Arrow PyCapsule stream interface: pyarrow, polars, pandas >= 2.2,
    DuckDB results. Read in Rust, batch by batch, without a Python loop over rows."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...


T = TypeVar("T")
Records = Union[Sequence[T], ArrowTable]
"""A record input: a list of dicts of the shape ``T``, or a table with those columns."""

DecimalLike = Union[Decimal, str, int]
"""A decimal input: ``Decimal``, a fixed-point string such as ``"12.30"``, or an ``int``. Never a float."""
Timestamp = Union[int, str]
"""Unix seconds, or an RFC 3339 string such as ``"2026-03-01T10:15:00Z"``."""


class Channel(TypedDict):
    channel: str
    group: Literal["online", "offline"]
    direct: NotRequired[bool]
