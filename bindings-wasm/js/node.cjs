// CommonJS entry point of omnikpi for Node (`require("omnikpi")`): the same API as node.mjs.
// api.cjs is generated from api.mjs at build time (bindings-wasm/build.sh), never edited.
"use strict";
const { readFileSync, existsSync } = require("node:fs");
const { join } = require("node:path");
const { createApi } = require("./api.cjs");

/** Text files for `Pack.fromFile` and `pack.report(folder)`: absent files are left out. */
const files = {
  readText: (path) => readFileSync(path, "utf8"),
  readFolder: (dir, names) =>
    Object.fromEntries(names.filter((n) => existsSync(join(dir, n))).map((n) => [n, readFileSync(join(dir, n), "utf8")])),
};
const api = createApi(require("./node/omnikpi_wasm.js"), files);

/** Computes every KPI on a dataset folder, as `omnikpi report <dir>` does. */
function report(dir) {
  const files = {};
  for (const name of api.datasetFiles()) {
    const path = join(dir, name);
    if (existsSync(path)) files[name] = readFileSync(path, "utf8");
  }
  return api.reportFiles(files);
}

module.exports = { ...api, report };
