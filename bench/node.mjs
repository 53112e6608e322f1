// Attribution in Node through typed arrays against the Rust-native run, side by side on the same
// synthetic journeys (bench/src/main.rs writes them as binary columns), reported as ratios.
//
//   node bench/node.mjs [--journeys 5000000] [--runs 3]
//
// Writes bench/results/wasm.md and wasm.json. The wasm module is single-threaded, so the fair
// comparison is native on one thread; native on every core is reported beside it. The results of
// both runs are compared value by value: the ratio only counts if the numbers are identical.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir, cpus } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { attribute, attributeColumns } from "../bindings-wasm/pkg/node.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const journeys = arg("--journeys", 5_000_000), runs = arg("--runs", 3);
const bench = join(root, "target", "release", "attribution-bench");
const MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "w_shaped"];
const CHANNELS = ["paid_search", "social", "email", "display", "affiliate", "direct", "web", "app", "store", "call_centre"];

const native = (threads, columns) => JSON.parse(execFileSync(bench,
  ["--journeys", String(journeys), "--model", "heuristics", "--threads", String(threads), ...(columns ? ["--columns", columns] : [])],
  { encoding: "utf8", maxBuffer: 1 << 26 }));
const best = (xs) => Math.min(...xs);

const dir = mkdtempSync(join(tmpdir(), "omnikpi-bench-"));
const nativeOne = [native(1, dir)];
for (let i = 1; i < runs; i++) nativeOne.push(native(1));
const nativeAll = Array.from({ length: runs }, () => native(cpus().length));

const load = (name, Type) => {
  const b = readFileSync(join(dir, name));
  return new Type(b.buffer, b.byteOffset, b.byteLength / Type.BYTES_PER_ELEMENT);
};
const columns = {
  channels: CHANNELS.map((c) => ({ channel: c, group: c === "store" || c === "call_centre" ? "offline" : "online", direct: c === "direct" })),
  currency: "EUR",
  offsets: load("offsets.u32", Uint32Array), channel: load("channel.u16", Uint16Array), timestamp: load("timestamp.f64", Float64Array),
  conversions: load("conversions.u32", Uint32Array), valueMinor: load("value_minor.f64", Float64Array), lead: load("lead.u8", Uint8Array),
};
// attribute() on plain objects, as a dashboard holds journeys: one call over about a million
// touches, then calls of 100,000 journeys in the same process. A stall (a collector that cannot
// keep up, a wasm heap that keeps growing) shows as later calls far slower than the first.
function objects(from, count) {
  const out = [];
  for (let j = from; j < from + count; j++) {
    const touches = [];
    for (let t = columns.offsets[j]; t < columns.offsets[j + 1]; t++) {
      touches.push({ channel: CHANNELS[columns.channel[t]], timestamp: columns.timestamp[t] });
    }
    const minor = columns.valueMinor[j];
    out.push({ journey_id: `j${j}`, touches, conversions: columns.conversions[j],
      value: `${Math.trunc(minor / 100)}.${String(minor % 100).padStart(2, "0")}` });
  }
  return out;
}
const timed = (f) => { const start = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - start) / 1e9; };
const touchesOf = (js) => js.reduce((n, j) => n + j.touches.length, 0);
const plain = { channels: columns.channels, currency: "EUR" };
const small = objects(0, 100_000);
const objectRuns = { first_100k_seconds: timed(() => attribute("linear", { ...plain, journeys: small })) };
const big = objects(100_000, 200_000);
objectRuns.big_touches = touchesOf(big);
objectRuns.big_seconds = timed(() => attribute("linear", { ...plain, journeys: big }));
objectRuns.after_100k_seconds = Array.from({ length: runs }, () => timed(() => attribute("linear", { ...plain, journeys: small })));
objectRuns.small_touches = touchesOf(small);

// The native run gives each journey its last touch's time as conversion time, as attributeColumns does by default.
const wasmSeconds = [];
let results;
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  results = attributeColumns(MODELS, columns);
  wasmSeconds.push(Number(process.hrtime.bigint() - start) / 1e9);
}
rmSync(dir, { recursive: true, force: true });

// Same numbers, or the timing means nothing.
const expected = nativeOne[0].results;
MODELS.forEach((m, i) => {
  const a = JSON.stringify(results[m].channels), b = JSON.stringify(expected[i].channels);
  if (a !== b) throw new Error(`${m}: wasm and native results differ`);
});

const wasmFile = join(root, "bindings-wasm", "pkg", "node", "omnikpi_wasm_bg.wasm");
const size = statSync(wasmFile).size, gz = gzipSync(readFileSync(wasmFile), { level: 9 }).length;
const t1 = best(nativeOne.map((r) => r.seconds)), tn = best(nativeAll.map((r) => r.seconds)), tw = best(wasmSeconds);
const summary = {
  journeys, touches: nativeOne[0].touches, models: MODELS, runs, cores: cpus().length, node: process.version,
  native_1_thread_seconds: t1, native_all_cores_seconds: tn, wasm_seconds: tw,
  ratio_wasm_to_native_1_thread: tw / t1, ratio_wasm_to_native_all_cores: tw / tn,
  wasm_bytes: size, wasm_gzip_bytes: gz, identical_results: true, plain_objects: objectRuns,
};
const worst = Math.max(...objectRuns.after_100k_seconds);
const f = (x) => x.toFixed(2);
const md = `# Attribution in Node (WebAssembly, typed arrays) against native

One run of \`node bench/node.mjs --journeys ${journeys} --runs ${runs}\` (best of ${runs} each), ${summary.cores} cores, Node ${process.version}.
The seven rule-based models in one pass over ${journeys.toLocaleString("en")} journeys (${summary.touches.toLocaleString("en")} touches),
the same deterministic data in both (\`attribution-bench --columns\` writes it, Node reads the files as typed arrays).
Results compared channel by channel: identical.

| run | seconds | wasm / this |
| --- | ---: | ---: |
| native, 1 thread | ${f(t1)} | ${f(tw / t1)}x |
| native, ${summary.cores} threads | ${f(tn)} | ${f(tw / tn)}x |
| wasm in Node (\`attributeColumns\`, 1 thread) | ${f(tw)} | 1.00x |

Target: within 2.5x of native (single-threaded, as wasm is): **${tw / t1 <= 2.5 ? "met" : "missed"}** (${f(tw / t1)}x).

## \`attribute()\` on plain objects, after a large call in the same process

| call | journeys | touches | seconds |
| --- | ---: | ---: | ---: |
| first call | 100,000 | ${objectRuns.small_touches.toLocaleString("en")} | ${f(objectRuns.first_100k_seconds)} |
| large call | 200,000 | ${objectRuns.big_touches.toLocaleString("en")} | ${f(objectRuns.big_seconds)} |
${objectRuns.after_100k_seconds.map((t, i) => `| after it, run ${i + 1} | 100,000 | ${objectRuns.small_touches.toLocaleString("en")} | ${f(t)} |`).join("\n")}

Target: no stall — the calls after the large one no slower than 1.5x the first: **${worst <= 1.5 * objectRuns.first_100k_seconds ? "met" : "missed"}** (worst ${f(worst / objectRuns.first_100k_seconds)}x).

Package size: \`omnikpi_wasm_bg.wasm\` ${(size / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzipped (target under 400 KB: **${gz < 400_000 ? "met" : "missed"}**).
`;
writeFileSync(join(root, "bench", "results", "wasm.md"), md);
writeFileSync(join(root, "bench", "results", "wasm.json"), JSON.stringify(summary, null, 2) + "\n");
console.log(md);
