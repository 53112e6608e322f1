#!/usr/bin/env bash
# Builds the release artifacts into dist/ (or $DIST_DIR), the files a user installs:
#   omnikpi-<v>-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
#       one wheel for every CPython >= 3.9 (abi3), linked through zig against glibc 2.17 so that
#       it installs on any Linux of the last ten years (Spark executors included); auditwheel
#       checks the tag it carries is the one its symbols allow
#   omnikpi-<v>.tar.gz                  the Python sdist (the core and its spec inside; needs Rust)
#   omnikpi-<v>.tgz                     the npm package: one wasm for browsers, bundlers, Node, Deno, Bun
#   omnikpi-cli-<v>-x86_64-linux.tar.gz the command line (glibc 2.17 or later, as the wheel)
#   omnikpi-duckdb-<v>-linux_amd64.tar.gz     the DuckDB extension, omnikpi.duckdb_extension (DuckDB
#       names an extension after its file, so the file keeps its name inside the archive)
#   SHA256SUMS
# Expects the tools scripts/setup.sh installs (.venv with maturin, ziglang and auditwheel; wasm-bindgen).
# tests/dist installs the wheel into a fresh venv and the tarball into an empty npm project.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dist="${DIST_DIR:-$root/dist}"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
say() { printf '\033[1mdist:\033[0m %s\n' "$*"; }
rm -rf "$dist"
mkdir -p "$dist"

say "Python wheel (abi3, manylinux2014 through zig) and sdist"
# maturin finds zig through the venv's ziglang package (python -m ziglang)
(cd bindings-python && PATH="$root/.venv/bin:$PATH" ../.venv/bin/maturin build --release --strip --zig \
  --compatibility manylinux2014 --out "$dist" --quiet)
wheel=$(ls "$dist"/omnikpi-"$version"-cp39-abi3-manylinux*.whl)
# (auditwheel wraps its sentences: read them as one line)
tag=$(.venv/bin/auditwheel show "$wheel" | tr '\n' ' ' | sed -n 's/.*platform tag: *"\([^"]*\)".*/\1/p')
[ "$tag" = "manylinux_2_17_x86_64" ] || {
  echo "auditwheel: $wheel is consistent with '$tag', not manylinux_2_17_x86_64" >&2
  .venv/bin/auditwheel show "$wheel" >&2
  exit 1
}
(cd bindings-python && ../.venv/bin/maturin sdist --out "$dist" 2>&1 | grep -v "warning: manifest has no\|^  |\|= note: see\|^From \`cargo package" || true)
[ -f "$dist/omnikpi-$version.tar.gz" ] || { echo "maturin sdist wrote no omnikpi-$version.tar.gz" >&2; exit 1; }

say "npm package"
bash bindings-wasm/build.sh >/dev/null
npm pack "$root/bindings-wasm/pkg" --pack-destination "$dist" --silent >/dev/null
[ -f "$dist/omnikpi-$version.tgz" ] || { echo "npm pack wrote no omnikpi-$version.tgz" >&2; exit 1; }

say "command line and DuckDB extension (linked through zig against glibc 2.17, like the wheel)"
# maturin's zig wrapper as cargo's linker and C compiler, for the host's own target triple
triple=x86_64-unknown-linux-gnu
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# (at a fixed path: cargo rebuilds when its linker's path changes)
zigcc="$root/target/zig/zigcc"
mkdir -p "$(dirname "$zigcc")"
printf '#!/bin/sh\nexec "%s" zig cc -- -target x86_64-linux-gnu.2.17 "$@"\n' "$root/.venv/bin/maturin" > "$zigcc"
chmod +x "$zigcc"
PATH="$root/.venv/bin:$PATH" CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER="$zigcc" CC_x86_64_unknown_linux_gnu="$zigcc" \
  cargo build -q --release -p omnikpi-cli -p omnikpi-duckdb --target "$triple"
built="target/$triple/release"
strip -o "$stage/omnikpi" "$built/omnikpi"
tar -czf "$dist/omnikpi-cli-$version-x86_64-linux.tar.gz" -C "$stage" omnikpi
strip -o "$stage/libomnikpi_duckdb.so" "$built/libomnikpi_duckdb.so"
.venv/bin/python scripts/duckdb_extension.py "$stage/libomnikpi_duckdb.so" "$stage/omnikpi.duckdb_extension" >/dev/null
tar -czf "$dist/omnikpi-duckdb-$version-linux_amd64.tar.gz" -C "$stage" omnikpi.duckdb_extension

(cd "$dist" && sha256sum -- * > SHA256SUMS)
say "built $dist:"
ls -l "$dist" | tail -n +2
