#!/usr/bin/env bash
# Builds the npm package into bindings-wasm/pkg: the wasm module with its JS glue for Node
# (wasm-bindgen --target nodejs) and for browsers (--target web), plus the hand-written API layer.
# Uses rustup's wasm32 target when installed; otherwise Debian's rustc-web with -Zbuild-std
# (see shared/notes/toolchains.md). Requires wasm-bindgen-cli of the pinned version on PATH.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"
target=wasm32-unknown-unknown
if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  cargo build --release -p omnikpi-wasm --target "$target"
else
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 /usr/bin/cargo build --release -p omnikpi-wasm \
    --target "$target" -Zbuild-std=std,panic_abort \
    --config "target.$target.linker=\"/usr/lib/llvm-19/bin/wasm-ld\""
fi
wasm="$root/target/$target/release/omnikpi_wasm.wasm"
pkg="$here/pkg"
rm -rf "$pkg"
mkdir -p "$pkg"
# The name section (function names for stack traces) is a third of the file; the package ships
# without it. Speed over size: opt-level 3 is 375 KiB gzipped and 2.3x native in Node on the
# benchmark, opt-level "s" 309 KiB and 3.2x (bench/results/wasm.md; targets 400 KB and 2.5x).
wasm-bindgen --remove-name-section --remove-producers-section --target nodejs --out-dir "$pkg/node" "$wasm"
wasm-bindgen --remove-name-section --remove-producers-section --target web --out-dir "$pkg/web" "$wasm"
# One wasm file ships: both glues load the same bytes (wasm-bindgen writes them twice), so the
# browser build's copy goes and web.mjs loads node/omnikpi_wasm_bg.wasm (tests/browser checks
# the tarball holds one .wasm).
cmp -s "$pkg/node/omnikpi_wasm_bg.wasm" "$pkg/web/omnikpi_wasm_bg.wasm"
rm "$pkg/web/omnikpi_wasm_bg.wasm"
# The nodejs glue is CommonJS: mark its folder so Node does not read it as ESM.
echo '{"type": "commonjs"}' > "$pkg/node/package.json"
cp "$here"/js/*.mjs "$here"/js/*.cjs "$here"/js/*.d.ts "$here"/js/*.d.cts "$here/package.json" "$here/README.md" "$pkg/"
# CommonJS twins, generated so there is one source: the API layer without its `export`
# keywords plus a module.exports line, and the same declarations for `require` resolution.
{
  echo "// Generated from api.mjs by build.sh: do not edit."
  echo '"use strict";'
  sed -e 's/^export //' "$here/js/api.mjs"
  echo "module.exports = { OmniKpiError, KPI_FUNCTIONS, createApi };"
} > "$pkg/api.cjs"
cp "$here/js/index.d.ts" "$pkg/index.d.cts"
echo "built $pkg ($(du -k "$pkg/node/omnikpi_wasm_bg.wasm" | cut -f1) KiB wasm)"
