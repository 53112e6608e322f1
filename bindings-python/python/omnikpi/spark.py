"""omnikpi on Spark: the same results as on one machine, for data that outgrows it.

Each Spark partition is reduced to a small partial state by the Rust core (``mapInArrow``: the
rows cross as Arrow batches, never as Python objects), the states are collected and merged on
the driver, and the result is finished there. Merging is exact integer addition, so the
result is the single-machine result to the last cent, whatever the partitioning.

- :func:`attribute`: every attribution model, journeys in long format; the DataFrame is
  repartitioned by journey so that every touch of a journey is in one partition.
- :func:`conversion_rate`: any partitioning; channels come in order of first appearance in the
  DataFrame, as on one machine.
- :func:`conversion_funnel`: events repartitioned by entity.

pyspark is an optional dependency (``pip install omnikpi[spark]``, Java 17 or later); the
executors need omnikpi installed in their Python (``PYSPARK_PYTHON``): when they cannot import
it, the job's buried ``ModuleNotFoundError`` is raised on the driver as an ``ImportError`` that
names their Python and how to fix it. Errors found in a
partition are raised on the driver as the same :class:`omnikpi.OmniKpiError` subclass, with the
partition named in the message.

Example (needs a Spark session; ``tests/test_spark.py`` runs the same calls in local mode)::

    from pyspark.sql import SparkSession
    import omnikpi.spark

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    touches = spark.read.parquet("touches.parquet")   # journey_id, timestamp, channel, ...
    compared = omnikpi.spark.attribute(["linear", "markov"], touches, channels=tax, currency="EUR")
    compared.to_pandas()                              # one row per model and channel
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Optional, Sequence, Union, overload

from . import _omnikpi
from .errors import InputError, OmniKpiError, class_for
from .arguments import records as _records
from .kpi_types import Channel, Records
from .kpis import Attribution, ConversionRate, Funnel
from .results import ModelComparison

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

STATES = "partition int, state string, error string"
"""The schema of what each partition sends to the driver: its state, or the error it met."""


def _require(df: "DataFrame", names: Mapping[str, str], optional: Sequence[str] = ()) -> list[str]:
    """The DataFrame columns to keep, in role order; a missing required one is the error the
    single-machine path raises (``missing_field`` at ``table.<column>``)."""
    present = set(df.columns)
    keep = []
    for role, column in names.items():
        if column in present:
            keep.append(column)
        elif role not in optional:
            raise InputError(
                f"is not a column of the DataFrame (columns: {', '.join(df.columns)}); "
                f"name the {role} column with columns={{'{role}': ...}}",
                "missing_field",
                f"table.{column}",
            )
    return keep


def _reduce(state: Callable[[Any, int], str]) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The ``mapInArrow`` function: one row per non-empty partition, its state or its error."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from pyspark import TaskContext

        context = TaskContext.get()
        partition = context.partitionId() if context is not None else 0
        first = next(batches, None)
        if first is None:
            return
        reader = pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], batches))
        try:
            row = {"partition": [partition], "state": [state(reader, partition)], "error": [None]}
        except OmniKpiError as e:
            error = json.dumps({"code": e.code, "path": e.path, "message": str(e)})
            row = {"partition": [partition], "state": [None], "error": [error]}
        yield pa.RecordBatch.from_pydict(
            row, schema=pa.schema([("partition", pa.int32()), ("state", pa.string()), ("error", pa.string())])
        )

    return run


EXECUTORS_WITHOUT_OMNIKPI = (
    "Spark's executors cannot import omnikpi: the Python they run ({python}) does not have it. "
    "Install omnikpi into that Python (pip install omnikpi on every worker), or point Spark at a "
    "Python that has it before the session starts: PYSPARK_PYTHON={driver} (in local mode, "
    "os.environ['PYSPARK_PYTHON'] = sys.executable), or ship it with spark-submit --archives "
    "(a packed virtualenv or conda environment)."
)


def _executor_failure(error: BaseException) -> Optional[ImportError]:
    """The error to raise on the driver for ``error``, raised by a Spark job, when it is an
    executor that cannot import omnikpi (a ``ModuleNotFoundError`` buried in a Java trace):
    what happened and how to fix it; ``None`` for any other error."""
    if "No module named 'omnikpi'" not in str(error):
        return None
    import os
    import sys

    python = os.environ.get("PYSPARK_PYTHON") or "python3, PYSPARK_PYTHON being unset"
    return ImportError(EXECUTORS_WITHOUT_OMNIKPI.format(python=python, driver=sys.executable))


def _collect(frame: "DataFrame", state: Callable[[Any, int], str]) -> list[str]:
    """Runs ``state`` on every partition and returns the states in partition order, or raises
    the first partition's error on the driver."""
    try:
        collected = frame.mapInArrow(_reduce(state), STATES).collect()
    except Exception as job:  # py4j's and pyspark's errors carry the executor's trace as text
        failure = _executor_failure(job)
        if failure is None:
            raise
        raise failure from job
    rows = sorted(collected, key=lambda r: r["partition"])
    families = dict(_omnikpi.error_codes())
    for r in rows:
        if r["error"] is not None:
            e = json.loads(r["error"])
            cls = class_for(families.get(e["code"], ""))
            raise cls(f"{e['message']} (in Spark partition {r['partition']})", e["code"], e["path"])
    return [r["state"] for r in rows]


@overload
def attribute(
    model: str, df: "DataFrame", *, channels: Records[Channel], currency: str,
    columns: Optional[Mapping[str, str]] = None, outcome: Optional[str] = None,
    timestamp_unit: Optional[str] = None, timezone: Optional[str] = None, money_from_float: Optional[str] = None,
    model_params: Optional[Mapping[str, Mapping[str, Any]]] = None, num_partitions: Optional[int] = None,
    by: Optional[Sequence[str]] = None, **params: Any,
) -> Attribution: ...
@overload
def attribute(
    model: Union[list[str], tuple[str, ...]], df: "DataFrame", *, channels: Records[Channel], currency: str,
    columns: Optional[Mapping[str, str]] = None, outcome: Optional[str] = None,
    timestamp_unit: Optional[str] = None, timezone: Optional[str] = None, money_from_float: Optional[str] = None,
    model_params: Optional[Mapping[str, Mapping[str, Any]]] = None, num_partitions: Optional[int] = None,
    by: Optional[Sequence[str]] = None, **params: Any,
) -> ModelComparison: ...
def attribute(
    model: Union[str, list[str], tuple[str, ...]],
    df: "DataFrame",
    *,
    channels: Records[Channel],
    currency: str,
    columns: Optional[Mapping[str, str]] = None,
    outcome: Optional[str] = None,
    timestamp_unit: Optional[str] = None,
    timezone: Optional[str] = None,
    money_from_float: Optional[str] = None,
    model_params: Optional[Mapping[str, Mapping[str, Any]]] = None,
    num_partitions: Optional[int] = None,
    by: Optional[Sequence[str]] = None,
    **params: Any,
) -> Union[Attribution, ModelComparison]:
    """:func:`omnikpi.attribute` on a PySpark DataFrame of touches in long format (one row per
    touch; columns as :data:`omnikpi.DEFAULT_COLUMNS`, renamed with ``columns=``; ``outcome``,
    ``timestamp_unit``, ``timezone`` and ``money_from_float`` as in :func:`omnikpi.attribute`).

    The DataFrame is repartitioned by journey (into ``num_partitions``, or Spark's shuffle
    setting); each partition's journeys become one accumulator state (one per segment with
    ``by``, dimension columns); the driver merges them, segment by segment, and finishes every
    model. Equal to :func:`omnikpi.attribute` on the collected table.
    """
    from . import DEFAULT_COLUMNS, attribution_results, column_names, model_specs, reading_of, table_cut, without_lookback

    short, per_model, lookback = model_specs(model, model_params, params)
    names = column_names(columns)
    dimensions = list(by or ())
    keep = _require(df, {**dict(zip(DEFAULT_COLUMNS, names)), **{d: d for d in dimensions}},
                    optional=("value", "conversion_timestamp"))
    journey = names[0]
    frame = df.select(*keep)
    frame = frame.repartition(num_partitions, journey) if num_partitions else frame.repartition(journey)
    model_only = without_lookback(per_model)
    channel_list = _records(channels, "channels")
    reading = reading_of(columns, outcome, timestamp_unit, timezone, money_from_float)

    def state(reader: Any, partition: int) -> str:
        return _omnikpi.attribution_state(short, reader, channel_list, currency, reading, model_only, lookback, cut)

    cut = table_cut(by, per_model)
    states = _collect(frame, state)
    results = _omnikpi.attribution_finish(short, states, channel_list, currency, model_only, lookback, cut)
    return attribution_results(model, short, results)


RATE_COLUMNS = {"channel": "channel", "opportunities": "opportunities", "conversions": "conversions"}
"""Columns read by :func:`conversion_rate`; override any with ``columns=``."""

FUNNEL_COLUMNS = {"entity": "entity", "event": "event", "timestamp": "timestamp"}
"""Columns read by :func:`conversion_funnel`; override any with ``columns=``."""


def _renamed(
    df: "DataFrame", defaults: Mapping[str, str], columns: Optional[Mapping[str, str]], by: Sequence[str] = ()
) -> "DataFrame":
    """The role columns under their role names, and the dimension columns of ``by`` as they are."""
    from . import column_roles

    names = column_roles(defaults, columns)
    _require(df, {**names, **{d: d for d in by}})
    return df.select(*[df[names[role]].alias(role) for role in defaults], *[df[d] for d in by])


def conversion_rate(
    df: "DataFrame", *, columns: Optional[Mapping[str, str]] = None, denominator: Optional[str] = None,
    by: Optional[Sequence[str]] = None,
) -> ConversionRate:
    """:func:`omnikpi.conversion_rate` on a DataFrame of ``channel``, ``opportunities``,
    ``conversions`` rows, partitioned as it is: each partition's rows become per-channel sums,
    merged on the driver in partition order (so channels keep their order of first appearance).
    With ``by`` (dimension columns), each partition's state holds one state per segment, merged
    per segment on the driver: the segments of :func:`omnikpi.conversion_rate` with ``by``."""
    frame = _renamed(df, RATE_COLUMNS, columns, by or ())
    params: dict[str, Any] = {"denominator": denominator} if denominator is not None else {}
    if by:
        params["by"] = list(by)

    def state(reader: Any, partition: int) -> str:
        return _omnikpi.partial_state_table("conversion.rate", reader, "rows", {}, params)

    states = _collect(frame, state)
    out = _omnikpi.combine_states("conversion.rate", states, params)
    from .arguments import typed_result

    return typed_result("conversion.rate", out)  # type: ignore[return-value]


def conversion_funnel(
    steps: Sequence[str], df: "DataFrame", *, columns: Optional[Mapping[str, str]] = None,
    window_seconds: Optional[int] = None, num_partitions: Optional[int] = None, by: Optional[Sequence[str]] = None,
) -> Funnel:
    """:func:`omnikpi.conversion_funnel` on a DataFrame of ``entity``, ``event``, ``timestamp``
    events, repartitioned by entity so that each entity's events are in one partition; with
    ``by`` (dimension columns), segments merged per segment on the driver."""
    frame = _renamed(df, FUNNEL_COLUMNS, columns, by or ())
    frame = frame.repartition(num_partitions, "entity") if num_partitions else frame.repartition("entity")
    params: dict[str, Any] = {"window_seconds": window_seconds} if window_seconds is not None else {}
    if by:
        params["by"] = list(by)
    context = {"steps": list(steps)}

    def state(reader: Any, partition: int) -> str:
        return _omnikpi.partial_state_table("conversion.funnel", reader, "events", context, params)

    # The driver adds the state of no events: the steps are checked even when every partition
    # is empty, and the result then has zero entities at each step.
    import pyarrow as pa

    empty = pa.table({"entity": pa.array([], pa.string()), "event": pa.array([], pa.string()),
                      "timestamp": pa.array([], pa.int64())})
    states = [_omnikpi.partial_state_table("conversion.funnel", empty, "events", context, params)]
    states += _collect(frame, state)
    out = _omnikpi.combine_states("conversion.funnel", states, params)
    from .arguments import typed_result

    return typed_result("conversion.funnel", out)  # type: ignore[return-value]
