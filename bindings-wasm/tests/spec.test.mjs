// Every conformance vector through the npm package (Node entry), by evaluate() and by the
// camelCase function of each KPI; results go to target/conformance/node.json.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as omnikpi from "../pkg/node.mjs";
import { KPI_FUNCTIONS } from "../pkg/api.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const vectors = join(root, "spec", "vectors");

export function cases() {
  const out = [];
  for (const kpi of readdirSync(vectors).sort()) {
    for (const file of readdirSync(join(vectors, kpi)).filter((f) => f.endsWith(".json")).sort()) {
      // parseJson, not JSON.parse: integers beyond 2^53 (a pandas NaT, a 2^64 count) arrive as
      // exact BigInts, as a JS user holding them would pass them.
      const doc = omnikpi.parseJson(readFileSync(join(vectors, kpi, file), "utf8"));
      for (const c of doc.cases) out.push([`${kpi}/${file.replace(/\.json$/, "")}::${c.name}`, c.kpi ?? doc.kpi, c]);
    }
  }
  return out;
}

function run(call) {
  try {
    return { output: call() };
  } catch (e) {
    assert.ok(e instanceof omnikpi.OmniKpiError, `not an OmniKpiError: ${e}`);
    assert.ok(e instanceof Error);
    return { error: { code: e.code, path: e.path } };
  }
}

function check(c, result) {
  if ("expected" in c) {
    assert.ok("output" in result, `expected a result, got ${JSON.stringify(result.error)}`);
    assert.deepStrictEqual(result.output, c.expected);
  } else {
    assert.ok("error" in result, "expected an error, got a result");
    assert.equal(result.error.code, c.error.code);
    if ("path" in c.error) assert.equal(result.error.path, c.error.path);
  }
}

const all = cases();
const catalogued = new Set(omnikpi.catalog().map((d) => d.id));
const results = {};

for (const [id, kpi, c] of all) {
  test(`evaluate ${id}`, () => {
    const result = run(() => omnikpi.evaluate(kpi, c.input, c.params));
    results[id] = result;
    check(c, result);
  });
  // Every catalogued KPI has its typed function (an unknown id, tested above, has none).
  if (!catalogued.has(kpi)) continue;
  const name = KPI_FUNCTIONS[kpi];
  test(`${name} ${id}`, () => {
    assert.equal(typeof omnikpi[name], "function", `no typed function for ${kpi}`);
    check(c, run(() => omnikpi[name](c.input, c.params)));
  });
}

test("every vector ran", () => assert.ok(all.length > 100, `only ${all.length} vectors`));

after(() => {
  assert.equal(Object.keys(results).length, all.length);
  const out = join(root, "target", "conformance");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "node.json"), JSON.stringify(results, null, 1));
});
