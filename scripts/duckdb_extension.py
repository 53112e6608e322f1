"""Stamps the DuckDB extension: `omnikpi.duckdb_extension` is the built library with DuckDB's
512-byte metadata footer (eight 32-byte fields, then 256 bytes of absent signature), which DuckDB
reads before it loads an unsigned extension.

Usage: python3 scripts/duckdb_extension.py target/release/libomnikpi_duckdb.so OUT [--version V]
"""

import argparse
import pathlib
import platform
import sys

FIELD = 32
# The C API version the extension is built against (quack-rs's stable C API v1), not a release.
C_API_VERSION = "v1.2.0"


def platform_name() -> str:
    """DuckDB's name of this machine's platform."""
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
    system = {"Linux": "linux", "Darwin": "osx"}[platform.system()]
    return f"{system}_{machine}"


def field(text: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > FIELD:
        sys.exit(f"footer field {text!r} is longer than {FIELD} bytes")
    return raw.ljust(FIELD, b"\0")


def footer(version: str) -> bytes:
    """The metadata: three reserved fields, ABI type, extension version, C API version,
    platform, magic "4"; then the empty signature."""
    fields = ["", "", "", "C_STRUCT", version, C_API_VERSION, platform_name(), "4"]
    return b"".join(field(f) for f in fields) + b"\0" * 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--version", default="v0.1.0")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(args.library.read_bytes() + footer(args.version))


if __name__ == "__main__":
    main()
