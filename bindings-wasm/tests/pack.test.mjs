// KPI packs from JavaScript: the group example's report equals the CLI's (`report --pack
// --json`) value for value, pack errors carry the core's code and path, tables absent from the
// data leave their KPIs out, and the exports are the CLI's bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { Pack, OmniKpiError } from "../pkg/node.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const group = join(root, "examples", "group");
const cli = join(root, "target", "release", "omnikpi");
const packFile = join(group, "pack.json");

const plain = (r) => ({ pack: r.pack, sections: r.sections, comparisons: r.comparisons });

test("the group report equals the CLI's, from a folder or from texts, ESM and CommonJS", () => {
  const fromCli = JSON.parse(execFileSync(cli, ["report", "--pack", packFile, group, "--json"], { encoding: "utf8" }));
  const pack = Pack.fromFile(packFile);
  assert.deepStrictEqual(plain(pack.report(group)), fromCli);
  const texts = Object.fromEntries(pack.files.map((f) => {
    try { return [f, readFileSync(join(group, f), "utf8")]; } catch { return null; }
  }).filter(Boolean));
  const fromObject = new Pack(JSON.parse(readFileSync(packFile, "utf8")));
  assert.deepStrictEqual(plain(fromObject.report(texts)), fromCli);
  assert.equal(fromObject.fingerprint, fromCli.pack.fingerprint);
  const cjs = createRequire(import.meta.url)("../pkg/node.cjs");
  assert.deepStrictEqual(plain(cjs.Pack.fromFile(packFile).report(group)), fromCli);
});

test("exports are the bytes the CLI writes, and the page is in the pack's language", () => {
  const out = mkdtempSync(join(tmpdir(), "omnikpi-pack-"));
  execFileSync(cli, ["report", "--pack", packFile, group, "--out", out, "--lang", "fr"]);
  const report = Pack.fromFile(packFile).report(group);
  const tables = report.csvTables();
  assert.ok(tables.length >= 10);
  for (const [name, text] of tables) assert.equal(text, readFileSync(join(out, `${name}.csv`), "utf8"), name);
  assert.equal(report.html("fr"), readFileSync(join(out, "report.html"), "utf8"));
  assert.match(report.html("en"), /<h2>Average basket \(EUR\)<\/h2>/);
  assert.throws(() => report.html("de"), (e) => e instanceof OmniKpiError && e.code === "invalid_parameter");
});

test("a pack's errors carry the core's code and path; absent tables are a note", () => {
  const document = JSON.parse(readFileSync(packFile, "utf8"));
  const broken = structuredClone(document);
  broken.kpis[1].version = "^9";
  assert.throws(() => new Pack(broken), (e) => e instanceof OmniKpiError && e.code === "invalid_pack" && e.path === "pack.kpis[1].version");
  assert.throws(() => new Pack('{"format": "omnikpi.pack/1", "format": "x"}'), (e) => e.code === "duplicate_key");
  const pack = new Pack(document);
  const report = pack.report({ "traffic.csv": readFileSync(join(group, "traffic.csv"), "utf8") });
  assert.ok(report.section("conversion").result);
  assert.deepStrictEqual(report.section("average_basket").missing, ["fx_rates.csv", "orders.csv"]);
  assert.match(report.section("average_basket").note.fr, /^Omis/);
  const badRow = { "traffic.csv": "brand,country,month,channel,visits,orders\nlumen,FR,2026-09,web,ten,1\n" };
  assert.throws(() => pack.report(badRow), (e) => e.code === "wrong_type" && e.path === "traffic.csv:row 2:visits");
});

test("a section's certificate is verified from the pack and the data, in Node as in the CLI", () => {
  const pack = Pack.fromFile(packFile);
  const certificate = pack.report(group).section("click_and_collect").certificate;
  const checked = pack.verify(certificate, group);
  assert.equal(checked.confirmed, true);
  assert.equal(checked.section, "click_and_collect");
  const out = mkdtempSync(join(tmpdir(), "omnikpi-cert-"));
  const file = join(out, "cert.json");
  writeFileSync(file, JSON.stringify(certificate));
  assert.match(execFileSync(cli, ["verify", file, "--pack", packFile, group], { encoding: "utf8" }), /^confirmed: pickup\.attach_rate/);
  const pickups = readFileSync(join(group, "pickups.csv"), "utf8").replace(/,(\d+)\.(\d\d),/, (_, a, b) => `,${Number(a) + 1}.${b},`);
  const files = { "pickups.csv": pickups, "fx_rates.csv": readFileSync(join(group, "fx_rates.csv"), "utf8") };
  assert.equal(pack.verify(certificate, files).confirmed, false);
  writeFileSync(join(out, "pickups.csv"), pickups);
  writeFileSync(join(out, "fx_rates.csv"), files["fx_rates.csv"]);
  assert.throws(() => execFileSync(cli, ["verify", file, "--pack", packFile, out], { stdio: "pipe" }), (e) => e.status === 1);
});

test("a filtered report equals the CLI's with --where, --from and --to; a wrong filter names its field", () => {
  const args = ["--where", "brand=nord", "--from", "2026-09-15", "--to", "2026-10-15"];
  const fromCli = JSON.parse(execFileSync(cli, ["report", "--pack", packFile, group, "--json", ...args], { encoding: "utf8" }));
  const pack = Pack.fromFile(packFile);
  const report = pack.report(group, { filter: { dimensions: { brand: ["nord"] }, from: "2026-09-15", to: "2026-10-15" } });
  assert.deepStrictEqual(plain(report), fromCli);
  assert.deepStrictEqual(report.pack.filter, { dimensions: { brand: ["nord"] }, from: "2026-09-15", to: "2026-10-15" });
  assert.deepStrictEqual(plain(pack.report(group, { filter: null })), plain(pack.report(group)));
  // the flat tables are the CSV files' cells
  const tables = report.tables();
  const basket = tables.find((t) => t.name === "average_basket");
  const csv = report.csvTables().find(([name]) => name === "average_basket")[1].trimEnd().split("\n");
  assert.equal(basket.rows.length, csv.length - 1);
  assert.equal(basket.rows.map((r) => r.join(",")).join("\n"), csv.slice(1).join("\n"));
  assert.equal(basket.kinds[basket.columns.indexOf("revenue")], "decimal");
  assert.throws(() => pack.report(group, { filter: { dimensions: { colour: ["red"] } } }),
    (e) => e instanceof OmniKpiError && e.code === "invalid_parameter" && e.path === "filter.dimensions.colour");
  assert.throws(() => pack.report(group, { filter: { to: "2026-10-1" } }), (e) => e.path === "filter.to");
});

test("a workbook pack equals the CLI's from a folder, Buffers, Uint8Arrays or ArrayBuffers; wrong files name themselves", () => {
  const workbookPack = join(group, "pack-workbook.json");
  const fromCli = JSON.parse(execFileSync(cli, ["report", "--pack", workbookPack, group, "--json"], { encoding: "utf8" }));
  const pack = Pack.fromFile(workbookPack);
  assert.deepStrictEqual(plain(pack.report(group)), fromCli);
  const book = readFileSync(join(group, "group.xlsx"));
  const files = Object.fromEntries(pack.files.filter((f) => f.endsWith(".csv")).flatMap((f) => {
    try { return [[f, readFileSync(join(group, f), "utf8")]]; } catch { return []; }
  }));
  for (const bytes of [book, new Uint8Array(book), book.buffer.slice(book.byteOffset, book.byteOffset + book.length)]) {
    assert.deepStrictEqual(plain(pack.report({ ...files, "group.xlsx": bytes })), fromCli);
  }
  const csv = Pack.fromFile(packFile).report(group);
  for (const key of ["average_basket", "attribution_linear"]) {
    assert.deepStrictEqual(pack.report(group).section(key).result, csv.section(key).result, key);
  }
  assert.ok(fromCli.sections.find((s) => s.key === "average_basket").reading.money_rounded > 100);
  assert.throws(() => pack.report({ "group.xlsx": "order_no\n" }), (e) => e.code === "invalid_dataset" && e.path === "group.xlsx");
  assert.throws(() => pack.report({ "group.xlsx": 3 }), (e) => e instanceof OmniKpiError && e.code === "wrong_type" && e.path === "files.group.xlsx");
  assert.throws(() => pack.report([book]), (e) => e.code === "wrong_type" && e.path === "files");
});

test("a file's text with a lone surrogate is refused at the file, never replaced (packs and datasets)", async () => {
  const { reportFiles, datasetFiles } = await import("../pkg/node.mjs");
  const pack = Pack.fromFile(packFile);
  const traffic = readFileSync(join(group, "traffic.csv"), "utf8");
  assert.ok(traffic.split("\n").length > 2);
  const broken = traffic.replace("\n", "\n\ud800");
  assert.throws(() => pack.report({ "traffic.csv": broken }),
    (e) => e instanceof OmniKpiError && e.code === "wrong_type" && e.path === "files.traffic.csv");
  const retail = join(root, "examples", "retail");
  const files = Object.fromEntries(datasetFiles().flatMap((f) => {
    try { return [[f, readFileSync(join(retail, f), "utf8")]]; } catch { return []; }
  }));
  assert.equal(reportFiles(files).sections.length > 5, true);
  assert.throws(() => reportFiles({ ...files, "sales.csv": files["sales.csv"].replace(",lighting,", ",light\udc00ing,") }),
    (e) => e instanceof OmniKpiError && e.code === "wrong_type" && e.path === "files.sales.csv");
});

test("displayAmount writes an exact decimal as a reader of the language does", async () => {
  const { displayAmount } = await import("../pkg/node.mjs");
  assert.equal(displayAmount("-1234567.50", "fr"), "-1\u202f234\u202f567,50");
  assert.equal(displayAmount("-1234567.50", "en"), "-1,234,567.50");
  assert.equal(displayAmount("12345678901234567890.125", "en"), "12,345,678,901,234,567,890.125");
  assert.throws(() => displayAmount(1234.5, "en"), (e) => e instanceof OmniKpiError && e.code === "wrong_type");
});
