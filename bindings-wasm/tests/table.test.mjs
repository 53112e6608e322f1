// attributeTable: a long-format touch table as a dashboard holds it (row objects from a CSV parser
// or a JSON API, or an object of columns), read by the core as the CLI reads a file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as omnikpi from "../pkg/node.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const retail = join(root, "examples", "retail");
const models = ["first_touch", "last_touch", "linear", "time_decay", "w_shaped", "markov", "shapley"];

function csv(name) {
  const [header, ...lines] = readFileSync(join(retail, name), "utf8").trim().split("\n");
  const keys = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [keys[i], v])));
}
const channels = csv("channels.csv").map((c) => ({ channel: c.channel, group: c.group, direct: c.direct === "true" }));
/** journeys.csv as a CSV parser gives it: every cell text, empty cells "". */
const rows = csv("journeys.csv");

/** The rows as an export writes them: ms timestamps, the outcome as a flag and a float on the last touch, shuffled. */
function exported() {
  const last = new Map(rows.map((r, i) => [r.journey_id, i]));
  const out = rows.map((r, i) => ({
    user: r.journey_id, ts: Date.parse(r.timestamp), source: r.channel,
    purchase: last.get(r.journey_id) === i ? r.conversions === "1" : null,
    revenue: last.get(r.journey_id) === i && r.value ? Number(r.value) : null,
    converted_at: last.get(r.journey_id) === i && r.conversion_timestamp ? Date.parse(r.conversion_timestamp) : null,
  }));
  let seed = 7;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
const EXPORT = {
  channels, currency: "EUR", outcome: "last_touch", timestampUnit: "ms", moneyFromFloat: "round_half_even",
  columns: { journey_id: "user", timestamp: "ts", channel: "source", conversions: "purchase", value: "revenue", conversion_timestamp: "converted_at" },
};

test("CSV-parsed rows give the CLI's numbers for every model", () => {
  const cli = JSON.parse(execFileSync(join(root, "target", "release", "omnikpi"),
    ["attribute", join(retail, "journeys.csv"), "--channels", join(retail, "channels.csv"), "--currency", "EUR", "--json",
      "--model", models.join(",")],
    { encoding: "utf8", maxBuffer: 1 << 26 }));
  const got = omnikpi.attributeTable(models, rows, { channels, currency: "EUR" });
  assert.equal(cli.length, models.length);
  for (const expected of cli) assert.deepStrictEqual(got[expected.model.replace("attribution.", "")], expected);
});

test("an export (ms, flags and floats on the last touch, shuffled) equals the canonical table", async () => {
  const want = omnikpi.attributeTable(models, rows, { channels, currency: "EUR" });
  const warnings = [];
  const listen = (w) => warnings.push(w);
  process.on("warning", listen);
  try {
    assert.deepStrictEqual(omnikpi.attributeTable(models, exported(), EXPORT), want);
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listen);
  }
  assert.deepStrictEqual(warnings, []); // two-place floats round without moving past 1e-9
});

test("an object of columns, plain or typed, reads as its rows do", () => {
  const table = exported();
  const want = omnikpi.attributeTable("linear", table, EXPORT);
  const column = (k) => table.map((r) => r[k]);
  const plain = Object.fromEntries(Object.keys(table[0]).map((k) => [k, column(k)]));
  assert.deepStrictEqual(omnikpi.attributeTable("linear", plain, EXPORT), want);
  assert.deepStrictEqual(omnikpi.attributeTable("linear", { ...plain, ts: Float64Array.from(column("ts")) }, EXPORT), want);
  assert.deepStrictEqual(omnikpi.attributeTable("linear", { ...plain, ts: BigInt64Array.from(column("ts"), BigInt) }, EXPORT), want);
});

test("Dates, seconds, microseconds and zoned text are one instant", () => {
  const variant = (ts, options) => omnikpi.attributeTable("time_decay",
    rows.map((r) => ({ ...r, timestamp: ts(Date.parse(r.timestamp)), conversion_timestamp: "" })), { channels, currency: "EUR", ...options });
  // conversion times are left out alike in every variant below
  const noConversionTime = omnikpi.attributeTable("time_decay", rows.map((r) => ({ ...r, conversion_timestamp: "" })), { channels, currency: "EUR" });
  assert.deepStrictEqual(variant((ms) => new Date(ms), {}), noConversionTime);
  assert.deepStrictEqual(variant((ms) => ms / 1000, { timestampUnit: "s" }), noConversionTime);
  assert.deepStrictEqual(variant((ms) => BigInt(ms) * 1000n, { timestampUnit: "us" }), noConversionTime);
  const utcText = (ms) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");
  assert.deepStrictEqual(variant(utcText, { timezone: "UTC" }), noConversionTime);
});

test("nothing is guessed: each refusal names the cell and what to declare", () => {
  const table = exported();
  const fails = (options, code, path, hint) => assert.throws(() => omnikpi.attributeTable("linear", table, options),
    (e) => e instanceof omnikpi.OmniKpiError && e.code === code && e.path === path && (!hint || e.message.includes(hint)), JSON.stringify(options));
  const { timestampUnit, moneyFromFloat, outcome, ...rest } = EXPORT;
  const firstFloat = table.findIndex((r) => r.revenue !== null && !Number.isInteger(r.revenue));
  fails({ ...rest, moneyFromFloat, outcome }, "wrong_type", "table.ts[0]", "timestampUnit");
  fails({ ...rest, timestampUnit, outcome }, "wrong_type", `table.revenue[${firstFloat}]`, "moneyFromFloat");
  assert.throws(() => omnikpi.attributeTable("linear", table, { ...rest, timestampUnit, moneyFromFloat }), (e) => e.code === "invalid_dataset");
  fails({ ...EXPORT, timestampUnit: "h" }, "invalid_parameter", "reading.timestamp_unit");
  fails({ ...EXPORT, timezone: "Mars/Olympus" }, "invalid_parameter", "reading.timezone");
  fails({ ...EXPORT, columns: { user: "x" } }, "unknown_parameter", "reading.columns.user");
  fails({ ...EXPORT, timestampunit: "ms" }, "unknown_parameter", "options.timestampunit");
  const naive = rows.map((r) => ({ ...r, timestamp: r.timestamp.replace("T", " ").replace("Z", "") }));
  assert.throws(() => omnikpi.attributeTable("linear", naive, { channels, currency: "EUR" }),
    (e) => e.code === "invalid_timestamp" && e.path === "table.timestamp[0]" && e.message.includes("timezone"));
});

test("float money: rounded as declared, and a warning counts the values that moved", async () => {
  const table = [
    { journey_id: "a", timestamp: 1, channel: "web", conversions: 1, value: 19.99 },
    { journey_id: "b", timestamp: 2, channel: "web", conversions: 1, value: 2.675 },
    { journey_id: "c", timestamp: 3, channel: "web", conversions: 1, value: 0.1 + 0.2 },
  ];
  const warnings = [];
  const listen = (w) => warnings.push(w);
  process.on("warning", listen);
  let got;
  try {
    got = omnikpi.attributeTable("linear", table, { channels, currency: "EUR", timestampUnit: "s", moneyFromFloat: "round_half_even" });
    await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
  } finally {
    process.off("warning", listen);
  }
  // 2.675 is 2.67499999... in binary: half-even on the exact value gives 2.67, as in Python and the CLI
  assert.equal(got.channels.find((c) => c.channel === "web").value, "22.96"); // 19.99 + 2.67 + 0.30
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0].name, "FloatMoneyWarning");
  assert.match(warnings[0].message, /1 of 3 amounts/);
});

test("hostile tables and options give OmniKpiErrors only", () => {
  const hostile = [null, undefined, 1, "x", [], {}, [null], [1], [[]], { a: 1 }, { a: [1], b: [1, 2] }, new Map(), Symbol("s"),
    () => 1, [{ journey_id: {}, timestamp: [], channel: 1n, conversions: -1n, value: NaN }], new Float64Array(3), [Object.create(null)]];
  for (const [i, t] of hostile.entries()) {
    for (const options of [{ channels, currency: "EUR" }, t, { channels: t, currency: t }, { channels, currency: "EUR", columns: t, outcome: t, timezone: t }]) {
      try {
        omnikpi.attributeTable("linear", t, options);
      } catch (e) {
        assert.ok(e instanceof omnikpi.OmniKpiError, `case ${i}: ${e}`);
      }
    }
  }
});

test("a CSV file's text is read by the core's CSV reader: the CLI's numbers, the CLI's errors", () => {
  const text = readFileSync(join(retail, "journeys.csv"), "utf8");
  assert.deepStrictEqual(omnikpi.attributeTable(models, text, { channels, currency: "EUR" }),
    omnikpi.attributeTable(models, rows, { channels, currency: "EUR" }));
  // an Excel CSV: semicolons and decimal commas, detected from the header as the CLI detects them
  const excel = "\ufeffjourney_id;timestamp;channel;conversions;value\nu1;2026-10-01T10:00:00Z;web;1;12,50\n";
  assert.equal(omnikpi.attributeTable("linear", excel, { channels, currency: "EUR" }).totals.value, "12.50");
  assert.throws(() => omnikpi.attributeTable("linear", "journey_id,timestamp,channel,conversions\nu1,1,web,1\n", { channels, currency: "EUR" }),
    (e) => e.code === "wrong_type" && e.path === "table.csv:row 2:timestamp" && /timestampUnit/.test(e.message));
});

test("intervals: the same bounds from CSV text, row objects, integer ids and JSON journeys with text ids", () => {
  const params = { intervals: true, replicates: 40, seed: 9 };
  const text = readFileSync(join(retail, "journeys.csv"), "utf8");
  const fromText = omnikpi.attributeTable("markov", text, { channels, currency: "EUR" }, params);
  assert.equal(fromText.intervals.replicates, 40);
  assert.deepStrictEqual(omnikpi.attributeTable("markov", rows, { channels, currency: "EUR" }, params), fromText);
  // integer ids hash as their decimal text: ids 1..n as numbers and as strings agree
  const small = [
    { journey_id: 1, timestamp: "2026-10-01T10:00:00Z", channel: "email", conversions: "1", value: "10.00" },
    { journey_id: 2, timestamp: "2026-10-01T11:00:00Z", channel: "store", conversions: "1", value: "20.00" },
    { journey_id: 3, timestamp: "2026-10-01T12:00:00Z", channel: "email", conversions: "0", value: "" },
  ];
  const asText = small.map((r) => ({ ...r, journey_id: String(r.journey_id) }));
  const a = omnikpi.attributeTable("linear", small, { channels, currency: "EUR" }, params);
  assert.deepStrictEqual(omnikpi.attributeTable("linear", asText, { channels, currency: "EUR" }, params), a);
  const journeys = { channels, currency: "EUR", journeys: small.map((r) => ({ journey_id: String(r.journey_id),
    touches: [{ channel: r.channel, timestamp: r.timestamp }], conversions: Number(r.conversions), ...(r.value ? { value: r.value } : {}) })) };
  assert.deepStrictEqual(omnikpi.attribute("linear", journeys, params).intervals, a.intervals);
  assert.notDeepStrictEqual(omnikpi.attributeTable("linear", small, { channels, currency: "EUR" }, { ...params, seed: 10 }).intervals, a.intervals);
});

test("attributeColumns takes a journeyId column for intervals, with the bounds attributeTable gives", () => {
  const small = [
    { journey_id: 11, timestamp: 1759312800, channel: 0, conversions: 1, value: 1000 },
    { journey_id: 12, timestamp: 1759316400, channel: 2, conversions: 1, value: 2500 },
    { journey_id: 13, timestamp: 1759320000, channel: 1, conversions: 0, value: 0 },
  ];
  const params = { intervals: true, replicates: 30, seed: 4 };
  const columns = {
    channels, currency: "EUR", offsets: Uint32Array.from([0, 1, 2, 3]), channel: Uint16Array.from(small.map((r) => r.channel)),
    timestamp: Float64Array.from(small.map((r) => r.timestamp)), conversions: Uint32Array.from(small.map((r) => r.conversions)),
    valueMinor: Float64Array.from(small.map((r) => r.value)), journeyId: small.map((r) => r.journey_id),
  };
  const fromColumns = omnikpi.attributeColumns("linear", columns, params);
  const rowsOf = small.map((r) => ({ journey_id: String(r.journey_id), timestamp: String(r.timestamp), channel: channels[r.channel].channel,
    conversions: String(r.conversions), value: r.conversions ? (r.value / 100).toFixed(2) : "" }));
  const fromRows = omnikpi.attributeTable("linear", rowsOf, { channels, currency: "EUR", timestampUnit: "s" }, params);
  assert.deepStrictEqual(fromColumns.intervals, fromRows.intervals);
  assert.throws(() => omnikpi.attributeColumns("linear", { ...columns, journeyId: undefined }, params),
    (e) => e.code === "missing_field" && /journey_id/.test(e.message));
  assert.throws(() => omnikpi.attributeColumns("linear", { ...columns, journeyId: [1, 2] }, params),
    (e) => e.code === "wrong_type" && e.path === "journeyId");
});

test("channels may be a channels CSV's text, read by the core as the CLI reads --channels", () => {
  const text = readFileSync(join(retail, "journeys.csv"), "utf8");
  const taxonomy = readFileSync(join(retail, "channels.csv"), "utf8");
  const fromRows = omnikpi.attributeTable(models, text, { channels, currency: "EUR" });
  const fromCsv = omnikpi.attributeTable(models, text, { channels: taxonomy, currency: "EUR" });
  assert.deepEqual(fromCsv, fromRows);
  // saved on Windows: CRLF and a byte-order mark
  const windows = "\ufeff" + taxonomy.replaceAll("\n", "\r\n");
  assert.deepEqual(omnikpi.attributeTable(models, text, { channels: windows, currency: "EUR" }), fromRows);
  // the core's errors, placed in the file
  assert.throws(() => omnikpi.attributeTable("linear", text, { channels: "channel,group,direct\nweb,online,maybe\n", currency: "EUR" }),
    (e) => e instanceof omnikpi.OmniKpiError && e.path === "channels.csv:row 2:direct");
  assert.throws(() => omnikpi.attributeTable("linear", text, { channels: "name,group\nweb,online\n", currency: "EUR" }),
    (e) => e instanceof omnikpi.OmniKpiError && /channel/.test(e.message));
});

test("by and certify: a table cut by its columns and certified as the CLI cuts and certifies its file", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "omnikpi-by-"));
  const branded = rows.map((r) => ({ ...r, brand: Number(r.journey_id.slice(-1)) % 2 === 0 ? "even" : "odd" }));
  const keys = Object.keys(branded[0]);
  const text = [keys.join(","), ...branded.map((r) => keys.map((k) => r[k]).join(","))].join("\n") + "\n";
  writeFileSync(join(dir, "journeys.csv"), text);
  const two = ["linear", "markov"];
  const cli = JSON.parse(execFileSync(join(root, "target", "release", "omnikpi"),
    ["attribute", join(dir, "journeys.csv"), "--channels", join(retail, "channels.csv"), "--currency", "EUR", "--json",
      "--model", two.join(","), "--by", "brand", "--certificate", join(dir, "cert.json")],
    { encoding: "utf8", maxBuffer: 1 << 26 }));
  const certificates = JSON.parse(readFileSync(join(dir, "cert.json"), "utf8"));
  for (const table of [branded, text]) {
    const got = omnikpi.attributeTable(two, table, { channels, currency: "EUR", by: ["brand"], certify: true });
    two.forEach((m, i) => {
      assert.deepStrictEqual(got[m], cli[i]);
      assert.deepStrictEqual(got[m].certificate, certificates[i]);
    });
    assert.deepStrictEqual(got.linear.segments.map((s) => s.key), [{ brand: "even" }, { brand: "odd" }]);
  }
  // without certify, no certificate; a journey whose rows disagree is refused at the row
  assert.equal(omnikpi.attributeTable("linear", branded, { channels, currency: "EUR", by: ["brand"] }).certificate, undefined);
  const split = branded.map((r, i) => (i === 1 ? { ...r, brand: "other" } : r));
  assert.throws(() => omnikpi.attributeTable("linear", split, { channels, currency: "EUR", by: ["brand"] }),
    (e) => e.code === "invalid_dataset" && e.path === "table.brand[1]");
  assert.throws(() => omnikpi.attributeTable("linear", branded, { channels, currency: "EUR", by: "brand" }),
    (e) => e.code === "wrong_type" && e.path === "options.by");
});

test("period in by is derived from each journey's conversion time, as the CLI derives it", async () => {
  const { mkdtempSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "omnikpi-period-"));
  const text = readFileSync(join(retail, "journeys.csv"), "utf8");
  writeFileSync(join(dir, "journeys.csv"), text);
  const cli = JSON.parse(execFileSync(join(root, "target", "release", "omnikpi"),
    ["attribute", join(dir, "journeys.csv"), "--channels", join(retail, "channels.csv"), "--currency", "EUR", "--json",
      "--model", "linear", "--by", "period", "--period", "iso_week", "--time-zone", "Europe/Paris"],
    { encoding: "utf8", maxBuffer: 1 << 26 }));
  const got = omnikpi.attributeTable("linear", rows, { channels, currency: "EUR", by: ["period"], period: "iso_week", timeZone: "Europe/Paris" });
  assert.deepStrictEqual(got, cli[0]);
  assert.ok(got.segments.length > 1 && got.segments.every((s) => /^\d{4}-W\d{2}$/.test(s.key.period)));
});
