"""What the extension's tests share: the paths, DuckDB with the extension loaded, and the shape
of the errors it raises."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import duckdb

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "omnikpi"
EXTENSION = ROOT / "target" / "duckdb" / "omnikpi.duckdb_extension"
ERROR = re.compile(r"omnikpi: error \[(\w+)\](?: at (\S+?))?: ")


def connect(threads: Optional[int] = None) -> Any:
    """An in-memory DuckDB (at `threads` threads, or DuckDB's default) with omnikpi loaded."""
    config = {"allow_unsigned_extensions": "true"}
    if threads is not None:
        config["threads"] = str(threads)
    con = duckdb.connect(config=config)
    con.load_extension(str(EXTENSION))
    return con
