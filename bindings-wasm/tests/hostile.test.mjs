// No panic crosses the binding: every exported function, driven with hostile arguments, either
// returns or throws an OmniKpiError (an Error with a stable code) — never a RuntimeError from
// the wasm module ("unreachable"), never a TypeError from the glue.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as omnikpi from "../pkg/node.mjs";
import { KPI_FUNCTIONS } from "../pkg/api.mjs";

const cyclic = [];
cyclic.push(cyclic);
let deep = [];
for (let i = 0; i < 5000; i++) deep = [deep];
const HOSTILE = [
  undefined, null, true, 0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 60, 10n ** 40n, "", "x".repeat(100_000), "\ud800",
  "1e3", "NaN", "-0", [], [null], [[]], {}, { rows: null }, { rows: [{}] }, { journeys: [{ touches: [] }] }, cyclic, deep,
  new Map(), new Set([1]), () => 1, Symbol("s"), new Uint8Array(3), new Date(NaN), Object.create(null),
  { channels: [{ channel: "a", group: "online" }], currency: "EUR", journeys: [{ touches: [{ channel: "a", timestamp: 1e300 }], conversions: 1 }] },
  { amount: "79228162514264337593543950335", currency: "EUR", parties: [{ party: "a", weight: "79228162514264337593543950335" }, { party: "b", weight: "1" }] },
];
const COLUMNS = [
  ...HOSTILE,
  { channels: [{ channel: "a", group: "online" }], currency: "EUR", offsets: Uint32Array.of(0, 5), channel: Uint16Array.of(0),
    timestamp: Float64Array.of(0), conversions: Uint32Array.of(1), valueMinor: Float64Array.of(1) },
  { channels: [{ channel: "a", group: "online" }], currency: "EUR", offsets: Uint32Array.of(0, 1), channel: Uint16Array.of(7),
    timestamp: Float64Array.of(0.5), conversions: Uint32Array.of(1), valueMinor: Float64Array.of(NaN) },
];

function onlyOmniKpiErrors(label, call) {
  try {
    call();
  } catch (e) {
    assert.ok(e instanceof omnikpi.OmniKpiError && e instanceof Error && typeof e.code === "string" && e.code.length > 0,
      `${label}: threw ${e?.name}: ${e?.message}`);
  }
}

test("every typed function with hostile input and parameters", () => {
  let calls = 0;
  for (const name of Object.values(KPI_FUNCTIONS)) {
    for (const [i, h] of HOSTILE.entries()) {
      onlyOmniKpiErrors(`${name}(hostile ${i})`, () => omnikpi[name](h));
      onlyOmniKpiErrors(`${name}({}, hostile ${i})`, () => omnikpi[name]({}, h));
      calls += 2;
    }
  }
  assert.ok(calls > 1000);
});

test("evaluate, attribute, attributeColumns, catalog and reportFiles with hostile arguments", () => {
  for (const [i, h] of HOSTILE.entries()) {
    onlyOmniKpiErrors(`evaluate(hostile ${i})`, () => omnikpi.evaluate(h, {}, null));
    onlyOmniKpiErrors(`evaluate(kpi, hostile ${i})`, () => omnikpi.evaluate("attribution.markov", h, null));
    onlyOmniKpiErrors(`attribute(hostile ${i})`, () => omnikpi.attribute(h, h, h));
    onlyOmniKpiErrors(`catalog(hostile ${i})`, () => omnikpi.catalog({ lang: h }));
    onlyOmniKpiErrors(`reportFiles(hostile ${i})`, () => omnikpi.reportFiles(h));
    onlyOmniKpiErrors(`reportFiles({dataset.json: hostile ${i}})`, () => omnikpi.reportFiles({ "dataset.json": h, "sales.csv": h }));
  }
  for (const [i, c] of COLUMNS.entries()) {
    onlyOmniKpiErrors(`attributeColumns(linear, hostile ${i})`, () => omnikpi.attributeColumns("linear", c));
    onlyOmniKpiErrors(`attributeColumns(hostile, columns ${i})`, () => omnikpi.attributeColumns(HOSTILE[i % HOSTILE.length], c));
  }
});
