// Attribution on typed arrays: the retail journeys as columns give exactly the CLI's numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as omnikpi from "../pkg/node.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const retail = join(root, "examples", "retail");

function csv(name) {
  const [header, ...lines] = readFileSync(join(retail, name), "utf8").trim().split("\n");
  const keys = header.split(",");
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [keys[i], v])));
}

/** The long-format journeys.csv as typed-array columns (rows are grouped and sorted already). */
function columns() {
  const channels = csv("channels.csv").map((c) => ({ channel: c.channel, group: c.group, direct: c.direct === "true" }));
  const ids = new Map(channels.map((c, i) => [c.channel, i]));
  const rows = csv("journeys.csv");
  const offsets = [0];
  const channel = [], timestamp = [], conversions = [], valueMinor = [], conversionTime = [];
  rows.forEach((r, i) => {
    channel.push(ids.get(r.channel));
    timestamp.push(Date.parse(r.timestamp) / 1000);
    if (i + 1 === rows.length || rows[i + 1].journey_id !== r.journey_id) {
      offsets.push(channel.length);
      conversions.push(Number(r.conversions));
      valueMinor.push(r.value ? Number(r.value.replace(".", "")) : 0);
      conversionTime.push(r.conversion_timestamp ? Date.parse(r.conversion_timestamp) / 1000 : NaN);
    }
  });
  return {
    channels, currency: "EUR",
    offsets: Uint32Array.from(offsets), channel: Uint16Array.from(channel), timestamp: Float64Array.from(timestamp),
    conversions: Uint32Array.from(conversions), valueMinor: Float64Array.from(valueMinor), conversionTime: Float64Array.from(conversionTime),
  };
}

const models = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "w_shaped",
  "markov", "shapley", "shapley.ordered", "shapley.rate"];

test("typed arrays give the CLI's numbers for every model", () => {
  const cli = JSON.parse(execFileSync(join(root, "target", "release", "omnikpi"),
    ["attribute", join(retail, "journeys.csv"), "--channels", join(retail, "channels.csv"), "--currency", "EUR", "--json"],
    { encoding: "utf8", maxBuffer: 1 << 26 }));
  const got = omnikpi.attributeColumns(models, columns());
  for (const expected of cli) {
    assert.deepStrictEqual(got[expected.model.replace("attribution.", "")], expected);
  }
});

test("BigInt64Array timestamps and values work like Float64Array", () => {
  const c = columns();
  const big = { ...c, timestamp: BigInt64Array.from(c.timestamp, (x) => BigInt(x)), valueMinor: BigInt64Array.from(c.valueMinor, (x) => BigInt(x)) };
  assert.deepStrictEqual(omnikpi.attributeColumns("linear", big), omnikpi.attributeColumns("linear", c));
});

test("single model with parameters", () => {
  const r = omnikpi.attributeColumns("markov", columns(), { order: 2 });
  assert.equal(r.model, "markov");
  assert.equal(r.order, 2);
});

test("bad columns are OmniKpiErrors naming the place", () => {
  const c = columns();
  const badChannel = { ...c, channel: Uint16Array.from(c.channel, (x, i) => (i === 4 ? 99 : x)) };
  assert.throws(() => omnikpi.attributeColumns("linear", badChannel), (e) => e.code === "unknown_channel" && /^journeys\[\d+\]\.touches\[\d+\]\.channel$/.test(e.path));
  const fractional = { ...c, timestamp: Float64Array.from(c.timestamp, (x, i) => (i === 2 ? x + 0.5 : x)) };
  assert.throws(() => omnikpi.attributeColumns("linear", fractional), (e) => e.code === "wrong_type" && e.path === "timestamp[2]");
  assert.throws(() => omnikpi.attributeColumns("linear", { ...c, channel: Array.from(c.channel) }), (e) => e.code === "wrong_type" && e.path === "channel");
  const short = { ...c, conversions: c.conversions.subarray(1) };
  assert.throws(() => omnikpi.attributeColumns("linear", short), (e) => e.code === "wrong_type" && e.path === "conversions");
  const unsorted = { ...c, timestamp: Float64Array.from(c.timestamp, (x, i) => (i === 1 ? 0 : x)) };
  assert.throws(() => omnikpi.attributeColumns("linear", unsorted), (e) => e.code === "unsorted_timestamps");
});

test("the lead column feeds W-shaped exactly as `lead` on touch objects does", () => {
  const channels = [{ channel: "a", group: "online" }, { channel: "b", group: "online" }, { channel: "c", group: "online" }];
  const ids = [0, 1, 2, 1, 0];
  const touches = ids.map((c, i) => ({ channel: channels[c].channel, timestamp: i * 60, lead: i === 2 }));
  const objects = omnikpi.attributionWShaped({ channels, currency: "EUR", journeys: [{ touches, conversions: 1, value: "100.00" }] });
  const columns = {
    channels, currency: "EUR", offsets: Uint32Array.of(0, 5), channel: Uint16Array.from(ids),
    timestamp: Float64Array.from(ids.map((_, i) => i * 60)), conversions: Uint32Array.of(1), valueMinor: Float64Array.of(10000),
  };
  const withLead = omnikpi.attributeColumns("w_shaped", { ...columns, lead: Uint8Array.of(0, 0, 1, 0, 0) });
  assert.deepStrictEqual(withLead.channels, objects.channels);
  const withoutLead = omnikpi.attributeColumns("w_shaped", columns);
  assert.notDeepStrictEqual(withoutLead.channels, objects.channels, "the lead flag must matter");
});

test("Int32Array channel ids give the same result, and an id out of range names its row", () => {
  const channels = [{ channel: "a", group: "online" }, { channel: "b", group: "offline" }];
  const base = { channels, currency: "EUR", offsets: Uint32Array.of(0, 2, 3), timestamp: Float64Array.of(0, 10, 5),
    conversions: Uint32Array.of(1, 0), valueMinor: Float64Array.of(1234, 0) };
  const u16 = omnikpi.attributeColumns("linear", { ...base, channel: Uint16Array.of(0, 1, 1) });
  const i32 = omnikpi.attributeColumns("linear", { ...base, channel: Int32Array.of(0, 1, 1) });
  assert.deepStrictEqual(i32, u16);
  assert.throws(() => omnikpi.attributeColumns("linear", { ...base, channel: Int32Array.of(0, -1, 1) }),
    (e) => e instanceof omnikpi.OmniKpiError && e.code === "value_out_of_range" && e.path === "channel[1]");
});

test("timestampUnit: milliseconds (Date.now(), Date.parse) and nanoseconds read as the seconds they are", () => {
  const c = columns();
  const seconds = omnikpi.attributeColumns(["time_decay", "linear"], c);
  // 999 ms past each second: floored to the same second by the core's rule
  const ms = { ...c, timestamp: Float64Array.from(c.timestamp, (x) => x * 1000 + 999),
    conversionTime: Float64Array.from(c.conversionTime, (x) => x * 1000), timestampUnit: "ms" };
  assert.deepStrictEqual(omnikpi.attributeColumns(["time_decay", "linear"], ms), seconds);
  const ns = { ...c, timestamp: BigInt64Array.from(c.timestamp, (x) => BigInt(x) * 1_000_000_000n), timestampUnit: "ns" };
  const withoutConversionTimes = { ...c, conversionTime: undefined };
  assert.deepStrictEqual(omnikpi.attributeColumns("time_decay", { ...ns, conversionTime: undefined }),
    omnikpi.attributeColumns("time_decay", withoutConversionTimes));
  // milliseconds read as seconds are not the same journeys: the unit matters
  assert.notDeepStrictEqual(omnikpi.attributeColumns("time_decay", { ...ms, timestampUnit: "s", conversionTime: undefined }),
    omnikpi.attributeColumns("time_decay", withoutConversionTimes));
  assert.throws(() => omnikpi.attributeColumns("linear", { ...c, timestampUnit: "h" }),
    (e) => e.code === "invalid_parameter" && e.path === "timestampUnit" && /one of s, ms, us, ns/.test(e.message));
});
