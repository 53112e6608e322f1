"""KPI packs: an organization's KPIs, labels, dimensions, currency and table mappings, declared
once (``spec/schema/pack.schema.json``), and the report computed from its own files.

The core reads the pack and every table, computes, exports and renders; this module only reads
files and hands them over, so the report is the one ``omnikpi report --pack`` prints and
``Pack`` computes in JavaScript, to the last digit.

>>> import omnikpi
>>> pack = omnikpi.Pack({
...     "format": "omnikpi.pack/1", "id": "demo", "version": "1", "name": {"en": "Demo"},
...     "languages": ["en"], "currency": "EUR",
...     "dimensions": [{"name": "brand", "label": {"en": "Brand"}}],
...     "tables": {"orders": {"file": "orders.csv"}},
...     "kpis": [{"key": "basket", "kpi": "basket.average", "version": "^1.1", "by": ["brand"],
...               "label": {"en": "Average basket"}, "inputs": {"orders": "orders"}}]})
>>> report = pack.report({"orders.csv": "channel,amount,brand\\nweb,10.00,A\\nweb,20.00,B\\n"})
>>> report.section("basket")["result"]["overall"]["average"]
Decimal('15.00')
>>> report.to_pandas("basket")["average"].tolist()[-1]
Decimal('20.00')
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Optional, Sequence, Union

from . import _omnikpi

if TYPE_CHECKING:  # pragma: no cover
    import pandas
    import polars
    import pyarrow

PathLike = Union[str, "os.PathLike[str]"]
FORMATS = ("csv", "parquet")
"""The table formats :meth:`PackReport.write` writes (XLSX: ``omnikpi report --out --format xlsx``)."""



def folder_files(folder: PathLike, names: Sequence[str]) -> dict[str, bytes]:
    """The bytes of each of ``names`` that ``folder`` holds, for the core to read (CSV as UTF-8,
    workbooks' sheets): the one folder reader of packs and dataset reports."""
    paths = {n: os.path.join(folder, n) for n in names}
    # os.path.exists, not Path.exists: a name too long for the system is absent, not an OSError
    return {n: Path(p).read_bytes() for n, p in paths.items() if os.path.exists(p)}

class Pack:
    """A KPI pack, read and checked whole by the core (errors: :class:`omnikpi.DatasetError`
    with code ``invalid_pack`` and the field's path).

    ``pack`` is the path of a pack file, or the pack as a mapping; :meth:`from_json` reads JSON
    text.
    """

    __slots__ = ("_pack",)

    def __init__(self, pack: Union[PathLike, Mapping[str, Any]]) -> None:
        if isinstance(pack, Mapping):
            self._pack = _omnikpi.Pack(pack)
        else:
            self._pack = _omnikpi.Pack(Path(pack).read_text(encoding="utf-8"))

    @classmethod
    def from_json(cls, text: str) -> "Pack":
        """A pack from its JSON text (duplicate keys refused, as everywhere)."""
        pack = cls.__new__(cls)
        pack._pack = _omnikpi.Pack(text)
        return pack

    @property
    def files(self) -> list[str]:
        """The files the pack reads, sorted."""
        return list(self._pack.files())

    @property
    def fingerprint(self) -> str:
        """``sha256:`` and the pack's digest, as every section's certificate names it."""
        return str(self._pack.fingerprint())

    def to_dict(self) -> dict[str, Any]:
        """The pack as written."""
        return dict(self._pack.document())

    def report(
        self, data: Union[PathLike, Mapping[str, Union[str, bytes]]], filter: Optional[Mapping[str, Any]] = None
    ) -> "PackReport":
        """Every KPI of the pack on ``data``: a folder holding the pack's files, or
        ``{file name: str or bytes}`` (a workbook's bytes, CSV as text or UTF-8 bytes; the core
        reads them as every front end does). A KPI whose files are absent is left out with a note.

        ``filter`` keeps some rows only: ``{"dimensions": {"brand": ["lumen"]}, "from":
        "2026-10-01", "to": "2026-10-31"}`` (days in the pack's time zone, both included; a
        journey whole, by its latest touch). A KPI it cannot apply to is left out with a note;
        the report's ``pack.filter`` states the filter. The README's pack example uses one.
        """
        return PackReport(self._pack.report(self._files(data), filter))

    def verify(
        self, certificate: Mapping[str, Any], data: Union[PathLike, Mapping[str, Union[str, bytes]]]
    ) -> dict[str, Any]:
        """Recomputes the section a certificate of this pack's report speaks of from ``data``
        and says whether it confirms it: ``{"confirmed", "kpi", "section", "checks"}``, the
        checks of :func:`omnikpi.verify` and ``pack`` (this pack's fingerprint)."""
        return dict(self._pack.verify(certificate, self._files(data)))

    def _files(self, data: Union[PathLike, Mapping[str, Union[str, bytes]]]) -> Mapping[str, Union[str, bytes]]:
        if isinstance(data, Mapping):
            return dict(data)  # the core takes a dict
        return folder_files(data, self.files)

    def __repr__(self) -> str:
        document = self._pack.document()
        return f"Pack({document['id']!r}, version={document['version']!r}, kpis={len(document.get('kpis', []))})"


class PackReport(Mapping[str, Any]):
    """A pack's report: ``pack`` (its id, version, labels, fingerprint), ``sections`` (each KPI's
    ``result`` and ``certificate``, or a ``note`` when its tables are absent) and
    ``comparisons`` (one value across two dimensions). Each section's ``result`` and each
    comparison's ``cells`` and ``total`` are typed as every other result is (decimals as
    ``Decimal``, counts as ``int``); :meth:`to_dict` and :meth:`to_json` give the JSON (decimals
    as exact text); the flat tables (:meth:`to_arrow`, :meth:`to_pandas`) carry exact decimals."""

    __slots__ = ("_report", "_data")

    def __init__(self, report: Any) -> None:
        self._report = report
        self._data: dict[str, Any] = report.data()

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data, equal to ``omnikpi report --pack ... --json``."""
        data: dict[str, Any] = json.loads(self._report.json())
        return data

    def to_json(self) -> str:
        """The report as JSON text."""
        return str(self._report.json())

    def section(self, key: str) -> dict[str, Any]:
        """The section of the pack KPI ``key``."""
        return self._find("sections", key)

    def comparison(self, key: str) -> dict[str, Any]:
        """The comparison view ``key``."""
        return self._find("comparisons", key)

    def _find(self, part: str, key: str) -> dict[str, Any]:
        for item in self._data[part]:
            if item["key"] == key:
                return dict(item)
        keys = ", ".join(i["key"] for i in self._data[part])
        raise KeyError(f"no {part[:-1]} {key!r}; the report has {keys}")

    def html(self, lang: Optional[str] = None) -> str:
        """The self-contained HTML report (charts, printable), labels in ``lang`` (the pack's
        first language by default)."""
        return str(self._report.html(lang or self._data["pack"]["languages"][0]))

    def _repr_html_(self) -> str:
        return self.html()

    def tables(self) -> dict[str, "pyarrow.Table"]:
        """Every computed section and comparison as a flat ``pyarrow.Table``: a section's main
        table for the whole and every segment, the dimensions as columns."""
        import pyarrow as pa

        return {name: pa.Table.from_batches([batch]) for name, batch in self._report.arrow()}

    def to_arrow(self, name: str) -> "pyarrow.Table":
        """The flat table ``name`` (a section's or a comparison's key)."""
        tables = self.tables()
        if name not in tables:
            raise KeyError(f"no table {name!r}; the report has {', '.join(tables)}")
        return tables[name]

    def to_pandas(self, name: str) -> "pandas.DataFrame":
        """The flat table ``name`` as a pandas DataFrame (decimals as ``Decimal``)."""
        return self.to_arrow(name).to_pandas()

    def to_polars(self, name: str) -> "polars.DataFrame":
        """The flat table ``name`` as a polars DataFrame (decimals as ``pl.Decimal``)."""
        import polars as pl

        frame = pl.from_arrow(self.to_arrow(name))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def write(self, out: PathLike, formats: Sequence[str] = ("csv",), lang: Optional[str] = None) -> list[Path]:
        """Writes ``report.json``, ``report.html``, each section's ``<key>.certificate.json``
        and every table in each of ``formats``
        (``csv``: the bytes the CLI writes; ``parquet``) into the folder ``out``; returns the
        paths written."""
        unknown = [f for f in formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown format {unknown[0]!r}; formats: {', '.join(FORMATS)} (XLSX: the CLI's --format xlsx)")
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / "report.json", folder / "report.html"]
        written[0].write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written[1].write_text(self.html(lang), encoding="utf-8")
        for section in self._data["sections"]:
            if "certificate" in section:  # for `omnikpi verify CERT --pack PACK DATA`
                path = folder / f"{section['key']}.certificate.json"
                path.write_text(json.dumps(section["certificate"], indent=2) + "\n", encoding="utf-8")
                written.append(path)
        if "csv" in formats:
            for name, text in self._report.csv():
                path = folder / f"{name}.csv"
                path.write_text(text, encoding="utf-8", newline="")
                written.append(path)
        if "parquet" in formats:
            import pyarrow.parquet as pq

            for name, table in self.tables().items():
                path = folder / f"{name}.parquet"
                pq.write_table(table, path)
                written.append(path)
        return written

    def __repr__(self) -> str:
        pack = self._data["pack"]
        return f"PackReport({pack['id']!r}, sections={len(self._data['sections'])}, comparisons={len(self._data['comparisons'])})"
