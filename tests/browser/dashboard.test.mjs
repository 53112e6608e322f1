// The dashboard example in real headless Chromium: served by its static server, it computes the
// retail sample in the browser; every number it renders must equal the CLI's on the same data.
// Then a journeys CSV is dropped on it and attributed under every model, again against the CLI;
// the channel chart's intervals equal the CLI's `attribute --intervals`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const retail = join(root, "examples", "retail");
const cli = (...args) => JSON.parse(execFileSync(join(root, "target", "release", "omnikpi"), args, { encoding: "utf8", maxBuffer: 1 << 26 }));
const MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based", "w_shaped",
  "markov", "shapley", "shapley.ordered", "shapley.rate"];

let server, url, browser, page;

before(async () => {
  server = spawn(process.execPath, [join(root, "bindings-wasm", "examples", "dashboard", "serve.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  url = await new Promise((resolve, reject) => {
    server.stdout.once("data", (d) => resolve(String(d).trim()));
    server.once("exit", (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector("#status[data-state=done], #status[data-state=error]", { timeout: 60000 });
  assert.equal(await page.locator("#status").getAttribute("data-state"), "done", `${await page.locator("#status").textContent()} ${errors}`);
});

after(async () => {
  await browser?.close();
  server?.kill();
});

const cell = (id) => page.locator(`[data-testid="${id}"]`).textContent();

test("the static server serves the dashboard's files only", async () => {
  const origin = new URL(url).origin;
  const status = async (path) => (await fetch(origin + path)).status;
  for (const path of ["/bindings-wasm/examples/dashboard/", "/bindings-wasm/examples/dashboard/dashboard.mjs",
    "/bindings-wasm/pkg/web.mjs", "/examples/retail/journeys.csv"]) {
    assert.equal(await status(path), 200, path);
  }
  // the repository's other files, however the path is spelled: `..` is resolved by the URL
  // parser, encoded dots and slashes by the server, a link by its real path
  for (const path of ["/.git/config", "/.git/HEAD", "/.venv/pyvenv.cfg", "/target/release/omnikpi", "/Cargo.toml",
    "/README.md", "/bindings-wasm/src/lib.rs", "/bindings-wasm/pkg/../../.git/config",
    "/bindings-wasm/pkg/%2e%2e/%2e%2e/.git/config", "/examples/retail%2f..%2f..%2f.git%2fconfig",
    "/examples/group/pack.json", "/bindings-wasm/examples/dashboard/%00", "/"]) {
    assert.equal(await status(path), 404, path);
  }
});

test("conversion, contribution and payouts equal the CLI's report", async () => {
  const report = cli("report", retail, "--json");
  const section = (kpi) => report.sections.find((s) => s.kpi === kpi).result;
  const rate = section("conversion.rate");
  assert.equal(await cell("conversion.rate:overall"), rate.overall.rate);
  for (const row of rate.by_channel) {
    assert.equal(await cell(`conversion.rate:${row.channel}:rate`), row.rate ?? "–", row.channel);
    assert.equal(await cell(`conversion.rate:${row.channel}:conversions`), String(row.conversions));
  }
  assert.equal(await cell("ropo:rate"), section("conversion.cross_channel").online_to_offline.rate);
  assert.equal(await cell("basket:overall"), section("basket.average").overall.average);
  const share = section("contribution.share");
  for (const row of share.channels) assert.equal(await cell(`contribution.share:${row.channel}:share`), row.share);
  assert.equal(await cell("contribution.share:total:value"), share.total_value);
  const payouts = section("incentives.split");
  for (const row of payouts.by_party) assert.equal(await cell(`payouts:${row.party}:payable`), row.payable, row.party);
  assert.equal(await cell("payouts:total:payable"), payouts.overall.payable);
  const shots = join(root, "target", "dashboard");
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
  assert.ok(statSync(join(shots, "dashboard.png")).size > 50000, "screenshot is suspiciously small");
});

test("attribution under every model equals the CLI's model comparison", async () => {
  const comparison = cli("report", retail, "--json").sections.find((s) => s.id === "attribution_comparison").result;
  for (const model of MODELS) {
    await page.selectOption("#model", model);
    for (const [i, row] of comparison.value_by_model.entries()) {
      assert.equal(await cell(`attribution:${model}:${row.channel}:value`), row[model], `${model} ${row.channel}`);
      assert.equal(await cell(`attribution:${model}:${row.channel}:conversions`), comparison.conversions_by_model[i][model]);
    }
    assert.equal(await cell(`attribution:${model}:total:value`), comparison.total_value);
  }
});

test("the channel chart shows each model's confidence intervals, equal to the CLI's", async () => {
  const results = cli("attribute", join(retail, "journeys.csv"), "--channels", join(retail, "channels.csv"),
    "--currency", "EUR", "--model", "linear,markov", "--intervals", "--json");
  for (const result of results) {
    const model = result.model.replace("attribution.", "");
    await page.selectOption("#model", model);
    assert.equal(result.intervals.replicates, 200);
    for (const bound of result.intervals.channels) {
      assert.equal(await cell(`attribution:${model}:${bound.channel}:value_low`), bound.value_low, `${model} ${bound.channel}`);
      assert.equal(await cell(`attribution:${model}:${bound.channel}:value_high`), bound.value_high, `${model} ${bound.channel}`);
    }
    const whiskers = await page.locator('[data-testid^="whisker:"]').count();
    assert.equal(whiskers, result.channels.length, "one whisker per channel");
    assert.match(await page.locator("#interval-note").textContent(), /95% intervals.*200 bootstrap replicates/);
  }
});

test("a dropped journeys CSV is attributed in the browser exactly as the CLI does", async () => {
  const lines = readFileSync(join(retail, "journeys.csv"), "utf8").trim().split("\n");
  const dir = mkdtempSync(join(tmpdir(), "omnikpi-dash-"));
  const file = join(dir, "october.csv");
  writeFileSync(file, [lines[0], ...lines.slice(1).filter((l) => l.includes(",2026-10-"))].join("\n") + "\n");
  // with October's orders too: a dataset file replaces the sample's by its name
  const orders = readFileSync(join(retail, "orders.csv"), "utf8").trim().split("\n");
  const octoberOrders = join(dir, "orders.csv");
  writeFileSync(octoberOrders, [orders[0], ...orders.slice(1).filter((l) => l.includes(",2026-10-"))].join("\n") + "\n");
  await page.setInputFiles("#journeys-file", [file, octoberOrders]);
  await page.waitForFunction(() => document.querySelector("#source").textContent.includes("october.csv"), null, { timeout: 30000 });
  // every panel follows: the CLI's report on the sample with October's orders in place
  const folder = mkdtempSync(join(tmpdir(), "omnikpi-dash-data-"));
  cpSync(retail, folder, { recursive: true });
  writeFileSync(join(folder, "orders.csv"), readFileSync(octoberOrders));
  const sample = cli("report", retail, "--json");
  const report = cli("report", folder, "--json");
  const section = (r, kpi) => r.sections.find((s) => s.kpi === kpi).result;
  const rate = section(report, "conversion.rate");
  assert.notEqual(rate.overall.rate, section(sample, "conversion.rate").overall.rate, "October is not the whole sample");
  assert.equal(await cell("conversion.rate:overall"), rate.overall.rate);
  for (const row of rate.by_channel) assert.equal(await cell(`conversion.rate:${row.channel}:conversions`), String(row.conversions));
  assert.equal(await cell("basket:overall"), section(report, "basket.average").overall.average);
  const share = section(report, "contribution.share");
  assert.equal(await cell("contribution.share:total:value"), share.total_value);
  for (const row of share.channels) assert.equal(await cell(`contribution.share:${row.channel}:share`), row.share, row.channel);
  assert.equal(await cell("payouts:total:payable"), section(report, "incentives.split").overall.payable);
  assert.match(await page.locator("#source").textContent(), /october\.csv, orders\.csv.*the rest from the retail sample/);
  const results = cli("attribute", file, "--channels", join(retail, "channels.csv"), "--currency", "EUR", "--json");
  for (const result of results) {
    const model = result.model.replace("attribution.", "");
    await page.selectOption("#model", model);
    for (const c of result.channels) {
      assert.equal(await cell(`attribution:${model}:${c.channel}:value`), c.value, `${model} ${c.channel}`);
    }
  }
  const bad = join(dir, "bad.csv");
  writeFileSync(bad, "journey_id,timestamp,channel,conversions\nj1,2026-10-01T10:00:00Z,fax,1\n");
  await page.setInputFiles("#journeys-file", bad);
  await page.waitForSelector("#status[data-state=error]");
  const shown = await page.locator("#status").textContent();
  assert.match(shown, /\[unknown_channel\].*row 2:channel.*fax/);
  // the CLI refuses the same file with the same code at the same cell (the core's one CSV reader)
  const refused = (() => {
    try {
      execFileSync(join(root, "target", "release", "omnikpi"), ["attribute", bad, "--channels", join(retail, "channels.csv"), "--currency", "EUR"], { encoding: "utf8", stdio: "pipe" });
      return "";
    } catch (e) {
      return String(e.stderr);
    }
  })();
  assert.match(refused, /\[unknown_channel\] at bad\.csv:row 2:channel/);
  // an integer timestamp without a declared unit is refused too, never read as seconds
  const unitless = join(dir, "unitless.csv");
  writeFileSync(unitless, "journey_id,timestamp,channel,conversions\nj1,0,web,1\n");
  await page.setInputFiles("#journeys-file", unitless);
  await page.waitForFunction(() => /timestamp_unit|timestampUnit/.test(document.querySelector("#status").textContent), null, { timeout: 30000 });
});
