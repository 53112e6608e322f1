#!/usr/bin/env bash
# Installs what is missing and builds everything (idempotent; quick when already done):
# - the Python virtualenv .venv with maturin (with ziglang and auditwheel for scripts/dist.sh), pytest, jsonschema, mypy, the optional companions
#   (pyarrow, pandas, polars, duckdb, matplotlib, tqdm, pyspark), nbclient, the DuckDB command
#   line (duckdb-cli, .venv/bin/duckdb), and the omnikpi package;
# - a Java runtime (17 or later) for Spark's local mode: Debian's openjdk-17-jre-headless;
# - the wasm toolchain: rustup's wasm32 target when present, otherwise Debian's rustc-web with
#   the std sources (shared/notes/toolchains.md), plus wasm-bindgen-cli at the pinned version;
# - Debian's chromium and playwright-core for the browser tests; esbuild (bindings-wasm's devDependency);
# - the CLI (release), the DuckDB extension (target/duckdb/omnikpi.duckdb_extension), the Python
#   extension, and the npm package in bindings-wasm/pkg.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
WASM_BINDGEN_VERSION=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' bindings-wasm/Cargo.toml)

# Python environment
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  python3 -m venv .venv
fi
PY_TOOLS="maturin ziglang auditwheel pytest jsonschema mypy pyarrow pandas polars duckdb hypothesis matplotlib tqdm pyspark nbclient nbformat ipykernel"
if ! .venv/bin/python -c "import ${PY_TOOLS// /, }" 2>/dev/null || [ ! -x .venv/bin/duckdb ]; then
  say "installing Python build and test tools"
  .venv/bin/pip install -q --disable-pip-version-check "maturin>=1.9.4,<2" ziglang auditwheel pytest jsonschema mypy pyarrow pandas polars duckdb duckdb-cli \
    hypothesis matplotlib tqdm "pyspark>=4,<5" nbclient nbformat ipykernel
fi

# Java for Spark's local mode (pyspark 4 needs 17 or later)
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then
  say "installing Debian's openjdk-17-jre-headless (Spark tests)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

# WebAssembly toolchain
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  if ! timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    if [ ! -x /usr/lib/llvm-19/bin/wasm-ld ] || ! dpkg -s rust-web-src >/dev/null 2>&1; then
      say "installing Debian's rustc-web, rust-web-src and lld-19 (wasm32 std from source)"
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      $SUDO apt-get update -qq
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc-web cargo-web rust-web-src lld-19 >/dev/null
    fi
  fi
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Headless Chromium and playwright-core for the browser tests (Debian's chromium; no browser download)
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium (browser tests)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -x tests/browser/node_modules/.bin/tsc ] \
  || [ ! -x tests/browser/node_modules/.bin/deno ] || [ ! -x tests/browser/node_modules/.bin/bun ]; then
  say "installing playwright-core, typescript, deno and bun (npm)"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
if [ ! -x bindings-wasm/node_modules/.bin/esbuild ]; then
  say "installing esbuild (npm; bundles the npm package's CommonJS entry)"
  (cd bindings-wasm && npm ci --no-audit --no-fund --silent)
fi

if ! command -v cargo-fuzz >/dev/null; then
  say "installing cargo-fuzz (for scripts/fuzz.sh)"
  cargo install -q cargo-fuzz --locked
fi

say "building the CLI"
cargo build -q --release -p omnikpi-cli
say "building the DuckDB extension (target/duckdb/omnikpi.duckdb_extension)"
cargo build -q --release -p omnikpi-duckdb
.venv/bin/python scripts/duckdb_extension.py target/release/libomnikpi_duckdb.so target/duckdb/omnikpi.duckdb_extension
say "building the Python package"
(cd bindings-python && ../.venv/bin/maturin develop --release -q 2>&1 | grep -v "^Ignoring\|^📦\|^✏️\|^🛠" || true)
.venv/bin/python -c "import omnikpi" || { echo "the omnikpi Python package did not install" >&2; exit 1; }
say "building the npm package"
bash bindings-wasm/build.sh >/dev/null 2>&1 || bash bindings-wasm/build.sh
say "ready"
