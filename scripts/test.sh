#!/usr/bin/env bash
# Sets everything up, then runs every test: Rust (unit, doc, conformance), formatting and lints,
# Python (pytest, doctests, mypy), SQL (the DuckDB extension, pytest), Node (node --test), the
# release files installed outside the repository (scripts/dist.sh, tests/dist), the
# browser and npm-package tests, the CLI and SQL vectors and the cross-language comparison, the
# README quickstarts, and a bounded fuzzing run (FUZZ_SECONDS per target, default 20). Fails if
# any suite runs no test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh

log="$(mktemp -d)"
passed=0
suite() { printf '\n\033[1m== %s ==\033[0m\n' "$1"; }
# count NAME N: a suite that ran no test fails the whole run.
count() {
  if [ "${2:-0}" -le 0 ]; then echo "suite '$1' ran no test" >&2; exit 1; fi
  passed=$((passed + $2))
  echo "-- $1: $2 passed"
}

suite "format and lints"
cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings

suite "rust: unit, doc and conformance tests"
# The pyo3 crate is a cdylib for Python; it is exercised by pytest instead of linked into a test binary.
cargo test --workspace --exclude omnikpi-python 2>&1 | tee "$log/rust.txt"
count rust "$(grep -o '^test result: ok\. [0-9]* passed' "$log/rust.txt" | awk '{s += $4} END {print s+0}')"

suite "python: pytest, doctests, typing"
(cd bindings-python && ../.venv/bin/python -m pytest -q -p no:cacheprovider) 2>&1 | tee "$log/py.txt"
count python "$(grep -o '[0-9]* passed' "$log/py.txt" | tail -1 | awk '{print $1}')"
.venv/bin/python -m mypy --strict --no-incremental --config-file bindings-python/pyproject.toml bindings-python/python/omnikpi
# the stubs against the compiled module itself (names, signatures, __all__)
.venv/bin/python -m mypy.stubtest --mypy-config-file bindings-python/pyproject.toml --allowlist bindings-python/stubtest-allowlist.txt omnikpi

suite "sql: the DuckDB extension against the CLI (pytest)"
.venv/bin/python -m pytest -q -p no:cacheprovider bindings-duckdb/tests 2>&1 | tee "$log/sql.txt"
count sql "$(grep -o '[0-9]* passed' "$log/sql.txt" | tail -1 | awk '{print $1}')"

suite "node: node --test"
node --test bindings-wasm/tests/ 2>&1 | tee "$log/node.txt" | grep -E '^# (tests|pass|fail)'
grep -q '^# fail 0$' "$log/node.txt" || { grep -B2 -A20 'not ok' "$log/node.txt" | head -60; exit 1; }
count node "$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log/node.txt")"

suite "dist: the release files (scripts/dist.sh) installed outside the repository"
bash scripts/dist.sh
.venv/bin/python -m pytest -q -p no:cacheprovider tests/dist 2>&1 | tee "$log/dist.txt"
count dist "$(grep -o '[0-9]* passed' "$log/dist.txt" | tail -1 | awk '{print $1}')"

suite "browser and package: handbook and dashboard in headless Chromium, the npm tarball under Node, Deno and Bun, tsc"
node --test tests/browser/ 2>&1 | tee "$log/browser.txt" | grep -E '^# (tests|pass|fail)'
grep -q '^# fail 0$' "$log/browser.txt" || { grep -A20 'not ok' "$log/browser.txt" | head -60; exit 1; }
count browser "$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log/browser.txt")"

suite "conformance: CLI and SQL vectors, schemas, handbook, byte comparison of Rust, Python, Node, CLI and SQL"
.venv/bin/python -m pytest -q -p no:cacheprovider tests/conformance 2>&1 | tee "$log/conf.txt"
count conformance "$(grep -o '[0-9]* passed' "$log/conf.txt" | tail -1 | awk '{print $1}')"

suite "fuzz: every target for ${FUZZ_SECONDS:-20}s after replaying its regressions (scripts/fuzz.sh)"
bash scripts/fuzz.sh 2>&1 | tee "$log/fuzz.txt"
count fuzz "$(grep -c '^fuzz .*: clean' "$log/fuzz.txt")"

echo
echo "all suites: $passed passed, 0 failed"
