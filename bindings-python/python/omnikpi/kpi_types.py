"""Typed shapes of omnikpi inputs and results (the shapes of the conformance vectors).

Money and rates are :class:`decimal.Decimal` at the scale the KPI's definition declares;
counts are ``int``; a rate whose denominator is zero is ``None`` with ``reason`` set.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import List, Literal, Optional, Protocol, Sequence, TypeVar, Union

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


class Rows(TypedDict):
    read: int
    used: int
    rejected: int


class ChannelCount(TypedDict):
    channel: str
    opportunities: int
    conversions: int


class ConversionLine(TypedDict):
    conversions: int
    opportunities: int
    rate: Optional[Decimal]
    reason: Optional[str]


class ChannelConversionLine(ConversionLine):
    channel: str


class ConversionRateResult(TypedDict):
    denominator: str
    overall: ConversionLine
    by_channel: List[ChannelConversionLine]
    rows: Rows


class FunnelEvent(TypedDict):
    entity: str
    event: str
    timestamp: Timestamp


class FunnelStep(TypedDict):
    step: str
    entities: int
    from_previous: Optional[Decimal]
    from_first: Optional[Decimal]
    drop_off: int
    reason: Optional[str]


class FunnelResult(TypedDict):
    steps: List[FunnelStep]
    rows: Rows


class BaseEvent(TypedDict):
    entity: str
    timestamp: Timestamp
    group: NotRequired[str]


class ConversionEvent(TypedDict):
    entity: str
    timestamp: Timestamp


class WindowedLine(TypedDict):
    conversions: int
    base_events: int
    rate: Optional[Decimal]
    reason: Optional[str]


class WindowedOverall(WindowedLine):
    unmatched_conversions: int


class WindowedGroup(WindowedLine):
    group: str


class WindowedResult(TypedDict):
    overall: WindowedOverall
    by_group: List[WindowedGroup]
    rows: Rows


class Channel(TypedDict):
    channel: str
    group: Literal["online", "offline"]
    direct: NotRequired[bool]


class ChannelEvent(TypedDict):
    customer: str
    channel: str
    timestamp: Timestamp


class AssistingChannel(TypedDict):
    channel: str
    assisted: int


class CrossChannelDirection(TypedDict):
    assisted: int
    conversions: int
    rate: Optional[Decimal]
    reason: Optional[str]
    by_channel: List[AssistingChannel]


class CrossChannelResult(TypedDict):
    online_to_offline: CrossChannelDirection
    offline_to_online: CrossChannelDirection
    rows: Rows


class Order(TypedDict):
    channel: str
    amount: DecimalLike
    currency: NotRequired[str]


class CustomerOrder(Order):
    customer: str


class Basket(TypedDict):
    orders: int
    revenue: Decimal
    average: Optional[Decimal]
    reason: Optional[str]


class ChannelBasket(Basket):
    channel: str


class BasketAverageResult(TypedDict):
    currency: str
    overall: Basket
    by_channel: List[ChannelBasket]
    rows: Rows


class Segment(Basket):
    segment: Literal["multichannel", "offline_only", "online_only"]
    customers: int


class UpliftResult(TypedDict):
    currency: str
    segments: List[Segment]
    reference: str
    uplift: Optional[Decimal]
    reason: Optional[str]
    rows: Rows


class Pickup(TypedDict):
    pickup_id: str
    store: str
    extra_amount: DecimalLike
    currency: NotRequired[str]


class Attach(TypedDict):
    with_extra: int
    pickups: int
    rate: Optional[Decimal]
    reason: Optional[str]
    extra_revenue: Decimal
    average_extra: Optional[Decimal]


class StoreAttach(Attach):
    store: str


class AttachRateResult(TypedDict):
    currency: str
    overall: Attach
    by_store: List[StoreAttach]
    rows: Rows


class Party(TypedDict):
    party: str
    weight: DecimalLike


class Part(TypedDict):
    party: str
    weight: Decimal
    amount: Decimal
    extra_unit: bool


class AllocationResult(TypedDict):
    currency: str
    amount: Decimal
    method: str
    parts: List[Part]
    rows: Rows
