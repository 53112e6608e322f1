// The JS API beyond the vectors: error objects, hostile values, the browser build, the report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as omnikpi from "../pkg/node.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

test("errors are Error instances with name, code and path", () => {
  assert.throws(
    () => omnikpi.moneyAllocate({ amount: 10.5, currency: "EUR", parties: [{ party: "a", weight: "1" }] }),
    (e) => e instanceof Error && e.name === "OmniKpiError" && e.code === "wrong_type" && e.path === "input.amount",
  );
});

for (const [label, value] of [["NaN", NaN], ["Infinity", Infinity]]) {
  test(`${label} is refused with its path`, () => {
    // spec/README.md, Host values: a non-finite number is out of range, in every front end
    assert.throws(
      () => omnikpi.conversionRate({ rows: [{ channel: "web", opportunities: value, conversions: 0 }] }),
      (e) => e.code === "value_out_of_range" && e.path === "input.rows[0].opportunities",
    );
  });
}

test("integers above 2^53 are refused as numbers and exact as BigInt (never silently changed)", () => {
  const jpy = (amount) => ({ currency: "JPY", orders: [{ channel: "web", amount }] });
  assert.throws(
    () => omnikpi.basketAverage(jpy(9007199254740993)),
    (e) => e.code === "value_out_of_range" && e.path === "input.orders[0].amount" && /BigInt/.test(e.message),
  );
  assert.equal(omnikpi.basketAverage(jpy(9007199254740993n)).overall.revenue, "9007199254740993");
  assert.equal(omnikpi.basketAverage(jpy(9007199254740991)).overall.revenue, "9007199254740991");
  // parseJson keeps them exact where JSON.parse would round them
  const parsed = omnikpi.parseJson('{"currency": "JPY", "orders": [{"channel": "web", "amount": 9007199254740993}]}');
  assert.equal(parsed.orders[0].amount, 9007199254740993n);
  assert.equal(omnikpi.basketAverage(parsed).overall.revenue, "9007199254740993");
});

test("keys are never dropped: __proto__ and undefined values are unknown fields", () => {
  const withProto = omnikpi.parseJson('{"rows": [{"channel": "web", "opportunities": 1, "conversions": 0, "__proto__": 1}]}');
  assert.throws(() => omnikpi.conversionRate(withProto), (e) => e.code === "unknown_field" && e.path === "input.rows[0].__proto__");
  const row = { channel: "web", opportunities: 1, conversions: 0, extra: undefined };
  assert.throws(() => omnikpi.conversionRate({ rows: [row] }), (e) => e.code === "unknown_field" && e.path === "input.rows[0].extra");
  // several unknown keys: the one that sorts first ("1" < "b"), whatever order JS keeps them in
  const two = { channel: "web", opportunities: 1, conversions: 0, b: 1, 1: 2 };
  assert.throws(() => omnikpi.conversionRate({ rows: [two] }), (e) => e.path === "input.rows[0].1");
});

test("class instances are refused by name, not read field by field", () => {
  class Money { constructor() { this.amount = "1.00"; } }
  assert.throws(
    () => omnikpi.basketAverage({ currency: "EUR", orders: [new Money()] }),
    (e) => e.code === "wrong_type" && e.path === "input.orders[0]" && /Money/.test(e.message),
  );
  assert.throws(() => omnikpi.parseJson('{"a": 1, "a": 2}'), (e) => e.code === "duplicate_key" && e.path === "text.a");
});

test("Map, Set and functions are refused, not serialized to {}", () => {
  for (const bad of [new Map(), new Set(), () => 1]) {
    assert.throws(() => omnikpi.evaluate("conversion.rate", { rows: bad }), (e) => e.code === "wrong_type" && e.path === "input.rows");
  }
});

test("a non-string kpi id is an OmniKpiError", () => {
  assert.throws(() => omnikpi.evaluate(42, {}), (e) => e.code === "wrong_type" && e.path === "kpi");
});

test("BigInt and Date inputs convert exactly", () => {
  const out = omnikpi.moneyAllocate({ amount: 12n, currency: "EUR", parties: [{ party: "a", weight: 1n }] });
  assert.equal(out.parts[0].amount, "12.00");
  const f = omnikpi.conversionFunnel({ steps: ["visit"], events: [{ entity: "a", event: "visit", timestamp: new Date(0) }] });
  assert.equal(f.steps[0].entities, 1);
});

test("catalog lists every definition with a version", () => {
  const ids = omnikpi.catalog().map((d) => d.id);
  assert.ok(ids.includes("conversion.rate") && ids.includes("money.allocate"));
  assert.equal(new Set(ids).size, ids.length);
});

test("the browser build computes the same numbers", async () => {
  const web = await import("../pkg/web.mjs");
  assert.throws(() => web.catalog(), /init/);
  await web.init(readFileSync(join(here, "..", "pkg", "node", "omnikpi_wasm_bg.wasm")));
  const input = { rows: [{ channel: "web", opportunities: 3, conversions: 1 }] };
  assert.deepStrictEqual(web.conversionRate(input), omnikpi.conversionRate(input));
  assert.throws(() => web.evaluate("nope", {}), (e) => e instanceof web.OmniKpiError && e.code === "unknown_kpi");
  const pack = new web.Pack(readFileSync(join(root, "examples", "group", "pack.json"), "utf8"));
  assert.ok(pack instanceof web.Pack, "a pack is an instance of the Pack it was made with");
  assert.ok(!({} instanceof web.Pack));
  assert.equal(typeof pack.report, "function");
});

test("the report on examples/retail equals the CLI's", () => {
  const cli = join(root, "target", "release", "omnikpi");
  const fromCli = JSON.parse(execFileSync(cli, ["report", join(root, "examples", "retail"), "--json"], { encoding: "utf8" }));
  assert.deepStrictEqual(omnikpi.report(join(root, "examples", "retail")), fromCli);
});

test("catalog({lang}) returns localized labels with fallback", () => {
  const fr = omnikpi.catalog({ lang: "fr" });
  const ca = omnikpi.catalog({ lang: "fr-CA" });
  assert.equal(fr[0].title, "Taux de conversion");
  assert.equal(ca[0].title, fr[0].title);
  assert.equal(ca[0].lang, "fr-CA");
  assert.equal(omnikpi.catalog({ lang: "de" })[0].title, "Conversion rate");
  assert.equal(typeof omnikpi.catalog()[0].title, "object");
  assert.throws(() => omnikpi.catalog({ lang: "french" }), (e) => e.code === "invalid_parameter" && e.path === "lang");
});

test("the Node and browser entries export a function for every KPI of the catalogue", async () => {
  const web = await import("../pkg/web.mjs");
  // the spec's surface names each function in snake_case; JS uses camelCase
  const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
  const kpis = omnikpi.catalog().map((d) => camel(d.surface.function));
  assert.equal(kpis.length, omnikpi.catalog().length);
  for (const name of [...kpis, "evaluate", "catalog", "attribute", "attributeColumns", "attributeTable"]) {
    assert.equal(typeof omnikpi[name], "function", `node.mjs lacks ${name}`);
    assert.equal(typeof web[name], "function", `web.mjs lacks ${name}`);
  }
});

test("a model is named by its short name or its KPI id, by the core's one rule", () => {
  const input = { channels: [{ channel: "web", group: "online" }], currency: "EUR",
    journeys: [{ touches: [{ channel: "web", timestamp: 0 }], conversions: 1 }] };
  assert.equal(omnikpi.attribute("attribution.linear", input).model, omnikpi.attribute("linear", input).model);
  assert.throws(() => omnikpi.attribute("lineer", input), (e) => e.code === "unknown_kpi" && e.path === "model");
});
