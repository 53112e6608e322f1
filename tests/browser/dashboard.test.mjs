// The dashboard example in real headless Chromium, served by its own static server: the group
// pack (examples/group) computed in the browser's Web Worker. Every panel is held to the CLI's
// `report --pack --out` on the same files: each section's table cell by cell against the CSV
// files the CLI writes, each comparison view and the model chart against its report.json, each
// note; every number's display against the core's `displayAmount` in the chosen language. Then
// the filters (against `--where`, `--from`, `--to`), and dropped files: a clean one, the
// last-touch touch table, an Excel-dialect file, a pack reading an Excel workbook's sheets, and
// broken ones (the CLI's error, same code, same cell). Screenshots land in target/dashboard/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const group = join(root, "examples", "group");
const packFile = join(group, "pack.json");
const omnikpi = join(root, "target", "release", "omnikpi");
const shots = join(root, "target", "dashboard");
const { displayAmount } = await import(join(root, "bindings-wasm", "pkg", "node.mjs"));

let server, url, browser, page;

before(async () => {
  server = spawn(process.execPath, [join(root, "bindings-wasm", "examples", "dashboard", "serve.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  url = await new Promise((resolve, reject) => {
    server.stdout.once("data", (d) => resolve(String(d).trim()));
    server.once("exit", (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await open();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

/** Loads the page afresh (the sample, no filter, no dropped file) and waits for its figures. */
async function open() {
  const errors = [];
  page.removeAllListeners("pageerror");
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await settled();
  assert.equal(await page.locator("#status").getAttribute("data-state"), "done", `${await page.locator("#status").textContent()} ${errors}`);
}

/** Waits until the page has finished computing (done or error). */
async function settled() {
  await page.waitForSelector("#status[data-state=done], #status[data-state=error]", { timeout: 60000 });
}

/** A CSV text as rows of cells (RFC 4180 quoting, as the CLI writes). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = "", quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i += 1; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; } else if (c === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; } else cell += c;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** The CLI's report on `folder` with `args` (`--where`, `--from`, ...): report.json and every
 * CSV table it writes with `--out`. */
function cliReport(folder, args = [], pack = packFile) {
  const out = mkdtempSync(join(tmpdir(), "omnikpi-dash-cli-"));
  execFileSync(omnikpi, ["report", folder, "--pack", pack, "--out", out, ...args], { stdio: "pipe" });
  const tables = Object.fromEntries(readdirSync(out).filter((f) => f.endsWith(".csv")).map((f) => [f.slice(0, -4), parseCsv(readFileSync(join(out, f), "utf8"))]));
  return { report: JSON.parse(readFileSync(join(out, "report.json"), "utf8")), tables };
}

/** The CLI's error on `folder`: its stderr (it exits with 2). */
function cliError(folder, pack = packFile) {
  try {
    execFileSync(omnikpi, ["report", folder, "--pack", pack], { stdio: "pipe" });
  } catch (e) {
    assert.equal(e.status, 2, String(e.stderr));
    return String(e.stderr);
  }
  assert.fail("the CLI accepted the data");
}

/** Every `[data-testid]` under `prefix` on the page: `{testid: [value, text]}`. */
async function cells(prefix) {
  const found = await page.$$eval(`[data-testid^="${prefix}"]`, (els) => els.map((e) => [e.dataset.testid, e.dataset.value, e.textContent, e.classList.contains("n")]));
  return Object.fromEntries(found.map(([id, value, text, number]) => [id, [value, text, number]]));
}

/** A number's display in `lang`, as the page must write it. */
const display = (value, lang) => (value === "" || value === null ? "–" : displayAmount(value, lang));

/** Every panel of the page against the CLI's report on the same files and filter. */
async function assertPanelsEqualCli({ report, tables }, lang = "en") {
  const shown = await cells("table:");
  let compared = 0, numbers = 0;
  for (const section of report.sections) {
    if (!section.result) {
      assert.equal(await page.locator(`[data-testid="note:${section.key}"]`).textContent(), section.note[lang], section.key);
      assert.equal(Object.keys(shown).some((id) => id.startsWith(`table:${section.key}:`)), false, `${section.key} has no table`);
      continue;
    }
    const [columns, ...rows] = tables[section.key];
    assert.equal(Object.keys(shown).filter((id) => id.startsWith(`table:${section.key}:`)).length, rows.length * columns.length, `${section.key}: every row and column`);
    rows.forEach((row, r) => row.forEach((cell, c) => {
      const [value, text, number] = shown[`table:${section.key}:${r}:${columns[c]}`];
      assert.equal(value, cell, `${section.key} row ${r} ${columns[c]}`);
      assert.equal(text, number ? display(cell, lang) : cell, `${section.key} row ${r} ${columns[c]} shown`);
      numbers += number ? 1 : 0;
      compared += 1;
    }));
  }
  const views = await cells("view:");
  for (const view of report.comparisons) {
    if (!view.cells) {
      assert.equal(await page.locator(`[data-testid="note:${view.key}"]`).textContent(), view.note[lang], view.key);
      continue;
    }
    view.rows.keys.forEach((r, i) => view.columns.keys.forEach((c, j) => {
      const [value, text] = views[`view:${view.key}:${r}:${c}`];
      assert.equal(value, view.cells[i][j] ?? "", `${view.key} ${r} ${c}`);
      assert.equal(text, display(view.cells[i][j] ?? "", lang));
      numbers += 1;
    }));
    assert.equal(views[`view:${view.key}:total`][0], view.total ?? "", `${view.key} total`);
    if (view.rows.dimension === "period") {
      for (const column of view.columns.keys) assert.equal(await page.locator(`[data-testid="series:${view.key}:${column}"]`).count(), 1, `${view.key} line ${column}`);
    }
  }
  const chart = await cells("model-chart:");
  for (const section of report.sections.filter((s) => s.result && s.kpi.startsWith("attribution."))) {
    for (const c of section.result.channels) {
      assert.deepEqual(chart[`model-chart:${section.key}:${c.channel}`].slice(0, 2), [c.value, display(c.value, lang)], `${section.key} ${c.channel}`);
    }
  }
  assert.ok(numbers > compared / 3, `${numbers} of ${compared} cells are numbers`);
  return compared;
}

/** A copy of the group's files with `changes` ({name: text}) in place. */
function folderWith(changes) {
  const folder = mkdtempSync(join(tmpdir(), "omnikpi-dash-data-"));
  cpSync(group, folder, { recursive: true });
  for (const [name, text] of Object.entries(changes)) writeFileSync(join(folder, name), text);
  return folder;
}

/** Drops `changes` ({name: text}) on the page as files, and waits for the page. */
async function drop(changes) {
  const dir = mkdtempSync(join(tmpdir(), "omnikpi-dash-drop-"));
  const paths = Object.entries(changes).map(([name, text]) => { writeFileSync(join(dir, name), text); return join(dir, name); });
  await page.setInputFiles("#files", paths);
  await page.waitForFunction(() => document.querySelector("#status").dataset.state !== "loading" &&
    (document.querySelector("#status").dataset.state === "error" || document.querySelector("#source").textContent.includes(".csv")), null, { timeout: 60000 });
}

async function screenshot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  assert.ok(statSync(join(shots, `${name}.png`)).size > 50000, `${name}: the screenshot is suspiciously small`);
}

/** The lines of an example file, the header first. */
const lines = (name) => readFileSync(join(group, name), "utf8").trimEnd().split("\n");

test("the static server serves the dashboard's files only", async () => {
  const origin = new URL(url).origin;
  const status = async (path) => (await fetch(origin + path)).status;
  for (const path of ["/bindings-wasm/examples/dashboard/", "/bindings-wasm/examples/dashboard/dashboard.mjs",
    "/bindings-wasm/examples/dashboard/worker.mjs", "/bindings-wasm/pkg/web.mjs", "/examples/group/pack.json", "/examples/group/touches.csv"]) {
    assert.equal(await status(path), 200, path);
  }
  // the repository's other files, however the path is spelled: `..` is resolved by the URL
  // parser, encoded dots and slashes by the server, a link by its real path
  for (const path of ["/.git/config", "/.git/HEAD", "/.venv/pyvenv.cfg", "/target/release/omnikpi", "/Cargo.toml",
    "/README.md", "/bindings-wasm/src/lib.rs", "/bindings-wasm/pkg/../../.git/config",
    "/bindings-wasm/pkg/%2e%2e/%2e%2e/.git/config", "/examples/group%2f..%2f..%2f.git%2fconfig",
    "/examples/retail/journeys.csv", "/bindings-wasm/examples/dashboard/%00", "/"]) {
    assert.equal(await status(path), 404, path);
  }
});

test("every panel equals the CLI's report on the pack, computed in a Web Worker", async () => {
  assert.equal(page.workers().length, 1, "the core runs in one Web Worker");
  const compared = await assertPanelsEqualCli(cliReport(group));
  assert.ok(compared > 500, `only ${compared} cells compared`);
  assert.equal(await page.locator("#title").textContent(), "Groupe Lumen: retail KPIs");
  await screenshot("dashboard");
});

test("the filters give the CLI's numbers with --where, --from and --to", async () => {
  await page.selectOption('[data-testid="filter:brand"]', ["lumen"]);
  await page.selectOption('[data-testid="filter:country"]', ["FR", "GB"]);
  await page.fill('[data-testid="filter:from"]', "2026-10-01");
  await page.fill('[data-testid="filter:to"]', "2026-10-31");
  await page.click("#apply");
  await page.waitForFunction(() => document.querySelector("#source").textContent.includes("filtered"), null, { timeout: 60000 });
  await settled();
  const cli = cliReport(group, ["--where", "brand=lumen", "--where", "country=FR,GB", "--from", "2026-10-01", "--to", "2026-10-31"]);
  assert.equal(cli.report.sections.find((s) => s.key === "conversion").unfiltered, "`traffic.csv` has no time of its rows");
  await assertPanelsEqualCli(cli);
  await screenshot("dashboard-filtered");
  await page.click("#reset");
  await page.waitForFunction(() => !document.querySelector("#source").textContent.includes("filtered"), null, { timeout: 60000 });
  await settled();
  await assertPanelsEqualCli(cliReport(group));
});

test("in French, labels are the pack's and numbers are written as French readers write them", async () => {
  await page.selectOption("#lang", "fr");
  assert.equal(await page.locator("#title").textContent(), "Groupe Lumen : indicateurs commerce");
  assert.equal(await page.locator('[data-section="average_basket"] h2').textContent(), "Panier moyen (EUR)");
  await assertPanelsEqualCli(cliReport(group), "fr");
  assert.match(await page.locator('[data-testid="view:revenue_by_month:total"]').textContent(), /^\d{3}\u202f\d{3},\d{2}$/);
  await screenshot("dashboard-fr");
  await page.selectOption("#lang", "en");
});

test("dropped files: clean, the last-touch touch table and an Excel-dialect file give the CLI's numbers", async () => {
  const pickups = lines("pickups.csv");
  const touches = lines("touches.csv");
  const orders = lines("orders.csv");
  const cases = {
    // a clean CSV: France's pickups only
    clean: { "pickups.csv": [pickups[0], ...pickups.slice(1).filter((l) => l.includes(",FR,"))].join("\n") + "\n" },
    // the touch table as exported: the outcome on each journey's last row, millisecond timestamps; nord's journeys only
    "last-touch": { "touches.csv": [touches[0], ...touches.slice(1).filter((l) => l.startsWith("nord-"))].join("\n") + "\n" },
    // Excel's CSV: a byte order mark, CRLF, semicolons and decimal commas; one brand's orders
    excel: { "orders.csv": "\ufeff" + [orders[0], ...orders.slice(1).filter((l) => l.includes(";nord;"))].join("\r\n") + "\r\n" },
  };
  assert.ok(touches.some((l) => l.startsWith("nord-")) && orders.some((l) => l.includes(";nord;")));
  for (const [name, changes] of Object.entries(cases)) {
    await open();
    await drop(changes);
    assert.equal(await page.locator("#status").getAttribute("data-state"), "done", `${name}: ${await page.locator("#status").textContent()}`);
    assert.match(await page.locator("#source").textContent(), new RegExp(`${Object.keys(changes)[0]}, the rest from the group sample`));
    const cli = cliReport(folderWith(changes));
    assert.notDeepEqual(cli.report.sections, cliReport(group).report.sections, `${name} changes the figures`);
    await assertPanelsEqualCli(cli);
    await screenshot(`dashboard-${name}`);
  }
});

test("a dropped pack, with its files, replaces the sample's pack and data", async () => {
  // the group's pack as another organization might write it: French only, three KPIs
  const pack = JSON.parse(readFileSync(packFile, "utf8"));
  pack.id = "lumen-france";
  pack.name = { fr: "Lumen France" };
  pack.languages = ["fr"];
  const french = (item) => { for (const key of ["label", "name"]) if (item[key]?.fr) item[key] = { fr: item[key].fr }; return item; };
  pack.channels.forEach(french);
  pack.dimensions.forEach(french);
  pack.kpis = pack.kpis.filter((k) => ["average_basket", "attribution_linear", "attribution_markov"].includes(k.key)).map(french);
  pack.comparisons = pack.comparisons.filter((c) => ["basket_brand_country", "revenue_by_month"].includes(c.key)).map(french);
  const folder = mkdtempSync(join(tmpdir(), "omnikpi-dash-pack-"));
  writeFileSync(join(folder, "pack.json"), JSON.stringify(pack, null, 2));
  const files = ["orders.csv", "touches.csv", "fx_rates.csv"];
  for (const f of files) cpSync(join(group, f), join(folder, f));
  await open();
  await page.setInputFiles("#files", ["pack.json", ...files].map((f) => join(folder, f)));
  await page.waitForFunction(() => document.querySelector("#status").dataset.state !== "loading", null, { timeout: 60000 });
  assert.equal(await page.locator("#status").getAttribute("data-state"), "done", await page.locator("#status").textContent());
  assert.equal(await page.locator("#title").textContent(), "Lumen France");
  assert.equal(await page.locator("#source").textContent(), "Source: pack.json, orders.csv, touches.csv, fx_rates.csv.");
  assert.deepEqual(await page.locator("#lang option").allTextContents(), ["fr"]);
  const cli = cliReport(folder, [], join(folder, "pack.json"));
  assert.deepEqual(cli.report.sections.map((s) => s.key), ["average_basket", "attribution_linear", "attribution_markov"]);
  assert.equal(await page.locator("[data-section]").count(), 3);
  await assertPanelsEqualCli(cli, "fr");
  // a pack the core refuses is the CLI's error
  writeFileSync(join(folder, "pack.json"), JSON.stringify({ ...pack, currency: "EURO" }));
  await page.setInputFiles("#files", join(folder, "pack.json"));
  await page.waitForSelector("#status[data-state=error]");
  const refused = await page.locator("#status").textContent();
  assert.match(refused, /\[unknown_currency\] `pack\.currency` is not an ISO 4217 currency: `EURO`/);
  assert.match(cliError(folder, join(folder, "pack.json")), /\[unknown_currency\] at pack\.currency/);
});

test("a dropped workbook pack reads its sheets in wasm by the core's reader, as the CLI does", async () => {
  // the group's pack reading orders and touches from the sheets of group.xlsx (float money, Excel dates)
  const workbookPack = join(group, "pack-workbook.json");
  const files = ["pack-workbook.json", "group.xlsx", "fx_rates.csv", "pickups.csv", "sessions.csv", "traffic.csv"];
  await open();
  await page.setInputFiles("#files", files.map((f) => join(group, f)));
  await page.waitForFunction(() => document.querySelector("#status").dataset.state !== "loading", null, { timeout: 60000 });
  assert.equal(await page.locator("#status").getAttribute("data-state"), "done", await page.locator("#status").textContent());
  assert.equal(await page.locator("#source").textContent(), `Source: ${files.join(", ")}.`);
  const cli = cliReport(group, [], workbookPack);
  assert.ok(cli.report.sections.find((s) => s.key === "average_basket").reading.money_rounded > 100);
  const csv = cliReport(group);
  for (const key of ["average_basket", "attribution_linear"]) assert.deepEqual(cli.tables[key], csv.tables[key], key);
  await assertPanelsEqualCli(cli);
  await screenshot("dashboard-workbook");
  // bytes that are not a workbook: the CLI's error, at the file
  const folder = mkdtempSync(join(tmpdir(), "omnikpi-dash-book-"));
  cpSync(group, folder, { recursive: true });
  writeFileSync(join(folder, "group.xlsx"), "order_no,net_amount\n");
  await page.setInputFiles("#files", join(folder, "group.xlsx"));
  await page.waitForSelector("#status[data-state=error]");
  assert.match(await page.locator("#status").textContent(), /\[invalid_dataset\] .*group\.xlsx/);
  assert.match(cliError(folder, workbookPack), /\[invalid_dataset\] at group\.xlsx/);
});

test("broken files give the CLI's error, with the same code at the same cell, and no figures", async () => {
  const orders = lines("orders.csv");
  const touches = lines("touches.csv");
  const cases = [
    // three decimals of a euro: refused, never truncated
    [{ "orders.csv": [orders[0], orders[1], orders[2].replace(/;(\d+),(\d\d);EUR$/, ";$1,$23;EUR")].join("\n") + "\n" }, "invalid_money_scale", "orders.csv:row 3:net_amount"],
    // a channel the pack does not declare
    [{ "touches.csv": [touches[0], touches[1].replace(",paid_search,", ",fax,")].join("\n") + "\n" }, "unknown_channel", "touches.csv:row 2:channel"],
  ];
  assert.match(cases[0][0]["orders.csv"], /,\d{3};EUR\n$/);
  for (const [changes, code, place] of cases) {
    await open();
    await drop(changes);
    assert.equal(await page.locator("#status").getAttribute("data-state"), "error");
    const shown = await page.locator("#status").textContent();
    assert.match(shown, new RegExp(`\\[${code}\\].*${place}`));
    assert.match(cliError(folderWith(changes)), new RegExp(`\\[${code}\\] at ${place}`));
    assert.equal(await page.locator('[data-testid^="table:"]').count(), 0, "no figures beside an error");
  }
  await screenshot("dashboard-error");
  // a file the pack does not read is refused by its name
  await open();
  await drop({ "journeys.csv": "journey_id,timestamp,channel\n" });
  assert.match(await page.locator("#status").textContent(), /journeys\.csv: not a file of the pack \(it reads fx_rates\.csv, orders\.csv/);
});

test("the page keeps responding while the worker computes a large touch table", async () => {
  await open();
  const touches = lines("touches.csv");
  // the touch table forty times over, each copy's journeys renamed: about 130,000 rows
  const copies = Array.from({ length: 40 }, (_, k) => touches.slice(1).map((l) => `c${k}-${l}`));
  const big = [touches[0], ...copies.flat()].join("\n") + "\n";
  await page.evaluate(() => {
    window.ticks = 0;
    const tick = () => { window.ticks += 1; if (document.querySelector("#status").dataset.state === "loading") setTimeout(tick, 10); };
    window.startTicks = tick;
  });
  const dir = mkdtempSync(join(tmpdir(), "omnikpi-dash-big-"));
  writeFileSync(join(dir, "touches.csv"), big);
  const started = Date.now();
  await page.setInputFiles("#files", join(dir, "touches.csv"));
  await page.evaluate(() => window.startTicks());
  await page.waitForFunction(() => document.querySelector("#status").dataset.state !== "loading", null, { timeout: 120000 });
  const elapsed = Date.now() - started;
  assert.equal(await page.locator("#status").getAttribute("data-state"), "done", await page.locator("#status").textContent());
  const ticks = await page.evaluate(() => window.ticks);
  // a page blocked by the computation would tick once or twice; a free one every ~10 ms
  assert.ok(ticks > Math.min(20, elapsed / 50), `${ticks} ticks in ${elapsed} ms`);
});
