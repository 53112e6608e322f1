"""KPI results as frozen, typed objects that turn into tables.

Every typed function of :mod:`omnikpi` returns one of the classes below. A result is read-only:
its fields are attributes (``r.overall.rate``) and, for code written against plain dicts, keys
(``r["overall"]["rate"]``); nested records are :class:`Record` and lists are tuples.
``to_dict()`` gives the plain JSON-shaped data :func:`omnikpi.evaluate` returns.

Each result has a main table (``by_channel`` for ``conversion.rate``, ``lines`` for
``incentives.split``...) and sometimes others (``tables()`` lists them), convertible to
pyarrow, polars and pandas. Decimals stay exact: money and rates become ``decimal128`` columns
in Arrow and polars, ``Decimal`` objects in pandas; no float is involved.

>>> import omnikpi
>>> r = omnikpi.conversion_rate([{"channel": "web", "opportunities": 200, "conversions": 25},
...                              {"channel": "store", "opportunities": 80, "conversions": 20}])
>>> r
ConversionRate(kpi='conversion.rate', denominator='journeys', overall=Record(conversions=45, opportunities=280, rate=Decimal('0.160714'), reason=None), by_channel=<2 rows>, rows=Record(read=2, used=2, rejected=0))
>>> r.by_channel[0].rate, r["overall"]["conversions"]
(Decimal('0.125000'), 45)
>>> r.to_arrow().schema.field("rate").type
Decimal128Type(decimal128(38, 6))
>>> r.overall = None
Traceback (most recent call last):
...
AttributeError: ConversionRate is frozen: build a new result instead of changing this one
"""

from __future__ import annotations

from decimal import Decimal
from typing import (TYPE_CHECKING, Any, ClassVar, Generic, ItemsView, Iterator, KeysView, Mapping, Optional, TypeVar,
                    ValuesView, overload)

if TYPE_CHECKING:  # optional dependencies, imported when a conversion is asked for
    from ._omnikpi import ArrowStream
    from .kpis import Attribution  # generated from this module's classes
    import pandas
    import polars
    import pyarrow
    from matplotlib.axes import Axes

T = TypeVar("T")

_FROZEN = "{} is frozen: build a new result instead of changing this one"


def _freeze(value: Any) -> Any:
    if isinstance(value, Fields):
        return value
    if isinstance(value, Mapping):
        return Record(value)
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, (Mapping, Fields)):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def _brief(value: Any) -> str:
    """A field's value in a ``repr``: tables are summarised by their length."""
    if isinstance(value, tuple) and value and all(isinstance(v, Record) for v in value):
        return f"<{len(value)} row{'s' if len(value) != 1 else ''}>"
    return repr(value)


class Fields:
    """Read-only fields as attributes and as keys, nested lists as tuples: what every result and
    every row offers. A result is *not* a ``Mapping``, so table libraries that take any mapping
    as columns (``pl.DataFrame(r)``) read it as the Arrow stream it also is; ``dict(r)``,
    ``r.keys()``, ``r.items()``, ``r["field"]`` and ``r == {...}`` work as on a dict.

    >>> f = Fields({"channel": "web", "share": Decimal("0.5"), "tags": ["a"]})
    >>> f.channel, f["share"], f.tags, dict(f) == {"channel": "web", "share": Decimal("0.5"), "tags": ("a",)}
    ('web', Decimal('0.5'), ('a',), True)
    """

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: "Mapping[str, Any] | Fields") -> None:
        object.__setattr__(self, "_data", {str(k): _freeze(v) for k, v in data.items()})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        raise _not_iterable(self)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def keys(self) -> KeysView[str]:
        """The field names, in the result's order."""
        return self._data.keys()

    def values(self) -> ValuesView[Any]:
        """The field values."""
        return self._data.values()

    def items(self) -> ItemsView[str, Any]:
        """``(name, value)`` of every field."""
        return self._data.items()

    def get(self, key: str, default: Any = None) -> Any:
        """Field ``key``, or ``default`` when the result has no such field."""
        return self._data.get(key, default)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no field {name!r}; its fields are {', '.join(self._data)}"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(_FROZEN.format(type(self).__name__))

    def __delattr__(self, name: str) -> None:
        raise AttributeError(_FROZEN.format(type(self).__name__))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Mapping, Fields)):
            return bool(_thaw(self) == _thaw(other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to dicts, which are not hashable either

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={_brief(v)}' for k, v in self._data.items())})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.to_dict(),))

    def to_dict(self) -> dict[str, Any]:
        """The plain data: dicts and lists, as :func:`omnikpi.evaluate` returns it."""
        return _thaw(self)  # type: ignore[no-any-return]


class Record(Fields, Mapping[str, Any]):
    """A read-only row of a result's table (a ``Mapping``): fields as attributes and as keys.

    >>> r = Record({"channel": "web", "share": Decimal("0.5"), "tags": ["a"]})
    >>> r.channel, r["share"], r.tags
    ('web', Decimal('0.5'), ('a',))
    >>> r == {"channel": "web", "share": Decimal("0.5"), "tags": ["a"]}
    True
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)


def _not_iterable(result: object) -> TypeError:
    """Iterating a result is refused: ``pd.DataFrame(r)`` would otherwise quietly make a column of
    its field (or model) names."""
    name = type(result).__name__
    return TypeError(f"a {name} is not iterable: its fields are r.keys() and r.items(); its table is "
                     "r.to_pandas(), r.to_polars() or pa.table(r) (pd.DataFrame(r) cannot read it)")


class Field(Generic[T]):
    """A typed, read-only field of a result class (what ``mypy`` sees of ``r.by_channel``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: Optional[type] = None) -> "Field[T]": ...
    @overload
    def __get__(self, obj: Fields, owner: Optional[type] = None) -> T: ...
    def __get__(self, obj: Optional[Fields], owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        try:
            return obj[self._name]
        except KeyError:
            raise AttributeError(f"this {type(obj).__name__} has no field {self._name!r}") from None


Rows = tuple[Record, ...]
"""A table of a result: a tuple of records with the same fields."""


def _missing(package: str, what: str) -> ImportError:
    return ImportError(f"{what} needs {package}, an optional dependency of omnikpi: pip install {package}")


def arrow_stream(rows: Rows, metadata: Optional[Mapping[str, str]] = None, name: str = "") -> "ArrowStream":
    """The records as an Arrow table built in Rust (any ``__arrow_c_stream__`` consumer reads it:
    pyarrow, polars, DuckDB), typed by the core's rule for host rows: ``Decimal`` fields become
    ``decimal128(38, s)`` with the largest scale of the column (exact), texts ``string``, counts
    ``int64``, nested records and lists JSON text. No optional dependency is needed.

    >>> import pyarrow as pa
    >>> pa.table(arrow_stream((Record({"party": "web", "amount": Decimal("4.46"), "n": 1}),))).schema
    party: string
    amount: decimal128(38, 2)
    n: int64
    """
    from . import _omnikpi

    return _omnikpi.result_table(name, [_thaw(row) for row in rows], dict(metadata or {}))


def pandas_frame(table: "pyarrow.Table", floats: bool = False) -> "pandas.DataFrame":
    """An Arrow table as pandas, exactly: decimals as ``Decimal`` objects, integer columns as the
    nullable ``Int64`` (a missing count does not turn the column into floats). With ``floats``,
    decimal columns become ``float64``, each the float nearest the decimal (for plotting; the
    conversion is the caller's choice)."""
    try:
        import pandas as pd
    except ImportError:
        raise _missing("pandas", "to_pandas()") from None
    import pyarrow as pa

    if floats:
        for i, field in enumerate(table.schema):
            if pa.types.is_decimal(field.type):
                # through the decimal's text: the nearest float, which Arrow's direct cast is not
                nearest = table.column(i).cast(pa.string()).cast(pa.float64())
                table = table.set_column(i, field.with_type(pa.float64()), nearest)
    ints = {t: pd.Int64Dtype() for t in (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(),
                                         pa.uint16(), pa.uint32())}
    return table.to_pandas(types_mapper=ints.get)


def polars_frame(stream: "ArrowStream") -> "polars.DataFrame":
    """An Arrow stream as polars (decimals as ``pl.Decimal``, exact; pyarrow is not needed)."""
    try:
        import polars as pl
    except ImportError:
        raise _missing("polars", "to_polars()") from None
    return pl.DataFrame(stream)


class Tabular:
    """What every result offers: its tables in pyarrow, polars and pandas, and HTML in notebooks."""

    __slots__ = ()

    def tables(self) -> dict[str, Rows]:
        """Every table of the result by name, the main one first."""
        raise NotImplementedError

    def _metadata(self, table: str) -> dict[str, str]:
        raise NotImplementedError

    def table(self, name: Optional[str] = None) -> Rows:
        """The rows of table ``name`` (the main table by default)."""
        tables = self.tables()
        if name is None:
            return next(iter(tables.values()), ())
        if name not in tables:
            raise KeyError(f"no table {name!r}; this result has {', '.join(tables) or 'none'}")
        return tables[name]

    def _name(self, name: Optional[str]) -> str:
        return name if name is not None else next(iter(self.tables()), "")

    def _stream(self, table: Optional[str] = None) -> "ArrowStream":
        name = self._name(table)
        return arrow_stream(self.table(table), self._metadata(name), name)

    def to_arrow(self, table: Optional[str] = None) -> "pyarrow.Table":
        """Table ``table`` (the main one by default) as a ``pyarrow.Table``, decimals exact.

        The schema metadata records the KPI, its version and the table's name."""
        try:
            import pyarrow as pa
        except ImportError:
            raise _missing("pyarrow", "to_arrow()") from None
        return pa.table(self._stream(table))

    def to_polars(self, table: Optional[str] = None) -> "polars.DataFrame":
        """Table ``table`` as a polars DataFrame (decimals as ``pl.Decimal``)."""
        return polars_frame(self._stream(table))

    def to_pandas(self, table: Optional[str] = None, *, floats: bool = False) -> "pandas.DataFrame":
        """Table ``table`` as a pandas DataFrame (decimals as ``Decimal`` objects, counts ``Int64``).

        ``floats=True`` gives the decimal columns as ``float64`` instead, for plotting
        (``df.plot.bar()`` finds numbers); the result itself stays exact."""
        return pandas_frame(self.to_arrow(table), floats)

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object:
        """The main table as an Arrow stream built in Rust (decimals as exact ``decimal128``):
        ``pa.table(r)``, ``pl.DataFrame(r)`` and ``duckdb.sql("FROM r")`` read it as
        :meth:`to_arrow` gives it, without pyarrow."""
        return self._stream().__arrow_c_stream__(requested_schema)

    def _repr_html_(self) -> str:
        from .notebook import result_html

        return result_html(self)

    def plot(self, ax: "Optional[Axes]" = None, **options: Any) -> "Axes":
        """Draws the result with matplotlib (an optional dependency) and returns the axes.

        Values are converted to floats for drawing only; the result itself stays exact.
        ``options`` go to the chart (``measure=`` picks the column where there is a choice)."""
        from .charts import plot

        return plot(self, ax, **options)


class Result(Tabular, Fields):
    """The result of one KPI: its fields, plus ``kpi`` and ``version`` of the definition used."""

    __slots__ = ("_kpi", "_version", "_certificate")
    _kpi: str
    _version: str
    _certificate: Optional[Mapping[str, Any]]
    main_table: ClassVar[Optional[str]] = None
    """Name of the main table (None: the first table found)."""
    derived_tables: ClassVar[tuple[tuple[str, str, tuple[str, ...]], ...]] = ()
    """Tables made by flattening nested rows: (name, dotted path of the rows, outer fields kept);
    ``("payouts", "periods.parties", ("period",))`` gives one row per period and party."""

    def __init__(
        self, kpi: str, version: str, data: Mapping[str, Any], certificate: Optional[Mapping[str, Any]] = None
    ) -> None:
        super().__init__(data)
        object.__setattr__(self, "_kpi", kpi)
        object.__setattr__(self, "_version", version)
        object.__setattr__(self, "_certificate", certificate)

    @property
    def certificate(self) -> Optional[Mapping[str, Any]]:
        """The result's certificate (see :func:`omnikpi.certify`): the KPI id, definition version,
        resolved parameters, input and result digests and omnikpi version, sealed by a SHA-256
        of them all; ``omnikpi.verify(r.certificate, input)`` confirms or refutes it. ``None``
        for results not computed from a single input (a comparison of models, a report)."""
        return self._certificate

    @property
    def kpi(self) -> str:
        """The KPI id, such as ``conversion.rate``."""
        return self._kpi

    @property
    def version(self) -> str:
        """The version of the KPI definition that computed this result."""
        return self._version

    def __repr__(self) -> str:
        fields = "".join(f", {k}={_brief(v)}" for k, v in self._data.items())
        return f"{type(self).__name__}(kpi={self._kpi!r}{fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (result_for, (self._kpi, self._version, self.to_dict()))

    def _metadata(self, table: str) -> dict[str, str]:
        meta = {"omnikpi.kpi": self._kpi, "omnikpi.version": self._version, "omnikpi.table": table}
        if isinstance(self._data.get("currency"), str):
            meta["omnikpi.currency"] = self._data["currency"]
        return meta

    def _flatten(self, rows: str, keep: tuple[str, ...]) -> Rows:
        return _flatten_rows(self, rows, keep)

    def tables(self) -> dict[str, Rows]:
        found: dict[str, Rows] = {}

        def walk(prefix: str, record: Fields) -> None:
            for key, value in record.items():
                if isinstance(value, tuple) and value and all(isinstance(v, Record) for v in value):
                    found[prefix + key] = value
                elif isinstance(value, tuple) and not value:
                    found[prefix + key] = value
                elif isinstance(value, Record):
                    walk(f"{prefix}{key}.", value)

        walk("", self)
        if "channels" in found and "intervals.channels" in found:
            found["channels"] = with_bounds(found["channels"], found["intervals.channels"])
        for name, rows, keep in self.derived_tables:
            found[name] = self._flatten(rows, keep)
        main = self.main_table
        if main is not None and main in found:
            found = {main: found[main], **{k: v for k, v in found.items() if k != main}}
        return found


def with_bounds(rows: Rows, bounds: Rows) -> Rows:
    """The channel rows with their interval bounds beside them (``conversions_low``,
    ``conversions_high``, ``value_low``, ...): the intervals' rows are those of ``channels``, in
    the same order."""
    by_channel = {b["channel"]: b for b in bounds}
    return tuple(
        Record({**row, **{k: v for k, v in by_channel.get(row["channel"], {}).items() if k != "channel"}})
        for row in rows
    )


def result_for(
    kpi: str, version: str, data: Mapping[str, Any], certificate: Optional[Mapping[str, Any]] = None
) -> Result:
    """The result object of KPI ``kpi``: its class (generated in :mod:`omnikpi.kpis`), or
    :class:`Result` for summaries that lack the class's fields (report sections); with its
    ``certificate`` when given."""
    from .kpis import RESULT_CLASSES  # the generated classes build on this module

    cls = RESULT_CLASSES.get(kpi, Result)
    fields = [name for name, value in vars(cls).items() if isinstance(value, Field)]
    if not all(name in data for name in fields):  # a summary of the KPI (a report section)
        cls = Result
    return cls(kpi, version, data, certificate)


def _rows_at(record: Fields, path: list[str], outer: dict[str, Any], keep: tuple[str, ...]) -> list[Record]:
    value = record.get(path[0], ())
    if len(path) == 1:
        return [Record({**outer, **row}) for row in value]
    return [r for row in value for r in _rows_at(row, path[1:], {**outer, **{k: row[k] for k in keep if k in row}}, keep)]


def _flatten_rows(result: Fields, rows: str, keep: tuple[str, ...]) -> Rows:
    """The rows at dotted path ``rows``, each with the ``keep`` fields of its outer rows first."""
    return tuple(_rows_at(result, rows.split("."), {}, keep))


class ModelComparison(Tabular):
    """Several attribution models computed in one pass: ``{model: Attribution}`` in the order asked
    (``keys()``, ``items()``, ``cmp["linear"]``), and an Arrow stream of its table
    (``pl.DataFrame(cmp)``); iterating it is refused, so ``pd.DataFrame(cmp)`` fails instead of
    listing model names.

    Its table has one row per model and channel (``model``, ``channel``, ``conversions``,
    ``value``, ``share``, and the interval bounds of a model run with ``intervals=True``);
    ``plot()`` draws the models side by side.
    """

    __slots__ = ("_models",)
    _models: dict[str, Attribution]

    def __init__(self, models: Mapping[str, Attribution]) -> None:
        object.__setattr__(self, "_models", dict(models))

    def __getitem__(self, model: str) -> Attribution:
        return self._models[model]

    def __iter__(self) -> Iterator[str]:
        raise _not_iterable(self)

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, model: object) -> bool:
        return model in self._models

    def keys(self) -> KeysView[str]:
        """The models, in the order asked."""
        return self._models.keys()

    def values(self) -> ValuesView[Attribution]:
        """Each model's result."""
        return self._models.values()

    def items(self) -> ItemsView[str, Attribution]:
        """``(model, result)`` of every model."""
        return self._models.items()

    def get(self, model: str, default: Optional[Attribution] = None) -> Optional[Attribution]:
        """Model ``model``'s result, or ``default``."""
        return self._models.get(model, default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ModelComparison):
            return self._models == other._models
        if isinstance(other, Mapping):
            return self._models == dict(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(_FROZEN.format(type(self).__name__))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ModelComparison, (self._models,))

    def __repr__(self) -> str:
        channels = len(next(iter(self._models.values()))["channels"]) if self._models else 0
        return f"ModelComparison(models={list(self._models)}, channels={channels})"

    def to_dict(self) -> dict[str, Any]:
        """``{model: plain result}``."""
        return {m: r.to_dict() for m, r in self._models.items()}

    def tables(self) -> dict[str, Rows]:
        rows = tuple(
            Record({"model": model, **c})
            for model, result in self._models.items()
            for c in result.table("channels")
        )
        return {"channels": rows}

    def _metadata(self, table: str) -> dict[str, str]:
        first = next(iter(self._models.values()), None)
        meta = {"omnikpi.kpi": ",".join(r.kpi for r in self._models.values()), "omnikpi.table": table}
        if first is not None:
            meta["omnikpi.currency"] = first["currency"]
        return meta


class Report(Tabular, Fields):
    """Every KPI of a dataset folder (:func:`omnikpi.report`): ``dataset`` and ``sections``, each
    with ``kpi``, ``version``, ``title`` and its ``result`` (a :class:`Result`)."""

    __slots__ = ()
    dataset: Field[str] = Field()
    sections: Field[Rows] = Field()

    def __init__(self, data: Mapping[str, Any]) -> None:
        sections = [
            {**s, "result": result_for(s["kpi"], s["version"], s["result"])} for s in data.get("sections", ())
        ]
        super().__init__({**data, "sections": sections})

    def section(self, kpi: str) -> Result:
        """The result of the section of KPI ``kpi``."""
        for s in self["sections"]:
            if s["kpi"] == kpi:
                result: Result = s["result"]
                return result
        raise KeyError(f"no section {kpi!r}; the report has {', '.join(s['kpi'] for s in self['sections'])}")

    def tables(self) -> dict[str, Rows]:
        return {"sections": tuple(Record({k: s[k] for k in ("kpi", "version", "title")}) for s in self["sections"])}

    def _metadata(self, table: str) -> dict[str, str]:
        return {"omnikpi.dataset": self["dataset"], "omnikpi.table": table}

    def __reduce__(self) -> tuple[Any, ...]:
        return (Report, (self.to_dict(),))
