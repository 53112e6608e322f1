#!/usr/bin/env bash
# Builds the npm package into bindings-wasm/pkg: the wasm module with its JS glue for Node
# (wasm-bindgen --target nodejs) and for browsers (--target web), plus the hand-written API layer
# and its CommonJS bundle (esbuild).
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
cp "$here"/js/*.mjs "$here"/js/*.d.ts "$here"/js/*.d.cts "$here/package.json" "$here/README.md" "$pkg/"
# The CommonJS entry is bundled from the ESM one by esbuild (bindings-wasm's devDependency,
# installed by scripts/setup.sh), so there is one source: node.mjs with api.mjs inlined, the wasm
# glue required at run time, import.meta.url given as the file's own URL.
esbuild="$here/node_modules/.bin/esbuild"
[ -x "$esbuild" ] || { echo "esbuild is missing: run (cd bindings-wasm && npm ci) or scripts/setup.sh" >&2; exit 1; }
"$esbuild" "$here/js/node.mjs" --bundle --format=cjs --platform=node --target=node18 --log-level=warning \
  --external:./node/omnikpi_wasm.js --define:import.meta.url=import_meta_url \
  --banner:js='// Generated from node.mjs and api.mjs by esbuild (bindings-wasm/build.sh): do not edit.
"use strict"; const import_meta_url = require("node:url").pathToFileURL(__filename).href;' \
  --outfile="$pkg/node.cjs"
# the declarations of `require` resolution: the same file under the .d.cts name TypeScript looks for
cp "$here/js/index.d.ts" "$pkg/index.d.cts"
echo "built $pkg ($(du -k "$pkg/node/omnikpi_wasm_bg.wasm" | cut -f1) KiB wasm)"
