// The dashboard: loads the wasm module, computes the retail sample's report in the browser and
// renders conversion, attribution per model (a bar chart with each channel's confidence
// interval), contribution and incentive payouts. Files dropped on the page replace the sample's:
// one named as a dataset file (orders.csv, sales.csv, ...) replaces that file, any other CSV the
// journeys. Every panel is then computed again from the merged files, by the core's readers (the
// report on the files' texts, `attributeTable` on the journeys' text, exactly as the CLI reads
// them), and says which files it shows.
// Every number shown is a value omnikpi returned, untouched; `data-testid` attributes let the
// end-to-end test read them back.
import { init, reportFiles, datasetFiles, attributeTable } from "../../pkg/web.mjs";

const DATA = new URL("../../../examples/retail/", import.meta.url);
const MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "position_based",
  "w_shaped", "markov", "shapley", "shapley.ordered", "shapley.rate"];
const $ = (selector) => document.querySelector(selector);
const status = (text, state) => { $("#status").textContent = text; $("#status").dataset.state = state; };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** A table of `rows` (objects) under `columns` ([key, header, numeric]); `total` adds a last row. */
function table(columns, rows, testid, total) {
  const head = el("tr", {}, ...columns.map(([, h, n]) => el("th", n ? { class: "n" } : {}, h)));
  const line = (row, key) => el("tr", key === "total" ? { class: "total" } : {}, ...columns.map(([k, , n], i) =>
    el("td", { ...(n ? { class: "n" } : {}), "data-testid": `${testid}:${key}:${k}` }, String(row[k] ?? (i === 0 && key === "total" ? "total" : "–")))));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows.map((r) => line(r, r[columns[0][0]])),
    ...(total ? [line(total, "total")] : [])));
}

function kpi(label, value, testid) {
  return el("div", { class: "kpi" }, label, el("b", { "data-testid": testid }, value ?? "–"));
}

/** Horizontal bars of decimal strings, each with its interval as a whisker (`low`, `high`);
 * lengths are for the eye only, the labels are exact. */
function bars(items) {
  const width = 420, row = 22, left = 110;
  const max = Math.max(...items.map((i) => Number(i.high ?? i.value)), 1);
  const x = (v) => left + Math.max(1, (Number(v) / max) * width * 0.75);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", width + 90);
  svg.setAttribute("height", items.length * row + 4);
  items.forEach((item, i) => {
    const y = i * row + 2, end = x(item.value), mid = y + (row - 6) / 2;
    const whisker = item.low === undefined ? "" :
      `<line data-testid="whisker:${item.label}" x1="${x(item.low)}" x2="${x(item.high)}" y1="${mid}" y2="${mid}" stroke="#111827" stroke-width="1.5"></line>` +
      `<line x1="${x(item.low)}" x2="${x(item.low)}" y1="${y + 3}" y2="${y + row - 9}" stroke="#111827"></line>` +
      `<line x1="${x(item.high)}" x2="${x(item.high)}" y1="${y + 3}" y2="${y + row - 9}" stroke="#111827"></line>`;
    svg.insertAdjacentHTML("beforeend",
      `<text x="0" y="${y + 14}">${item.label}</text><rect x="${left}" y="${y}" width="${end - left}" height="${row - 6}" fill="#4f46e5"></rect>` +
      whisker + `<text x="${x(item.high ?? item.value) + 6}" y="${y + 14}">${item.value}</text>`);
  });
  return svg;
}

let attribution = null; // { model: result } under every model, intervals beside the channels

function renderAttribution() {
  const model = $("#model").value;
  const result = attribution[model];
  const bounds = new Map((result.intervals?.channels ?? []).map((b) => [b.channel, b]));
  const rows = result.channels.map((c) => ({ ...c, value_low: bounds.get(c.channel)?.value_low, value_high: bounds.get(c.channel)?.value_high }));
  $("#chart").replaceChildren(bars(rows.map((r) => ({ label: r.channel, value: r.value, low: r.value_low, high: r.value_high }))));
  const level = result.intervals ? `${Number(result.intervals.confidence) * 100}%` : "";
  $("#attribution-table").replaceChildren(table(
    [["channel", "Channel"], ["conversions", "Conversions", true], ["value", `Value (${result.currency})`, true],
      ["value_low", `${level} low`, true], ["value_high", `${level} high`, true]],
    rows, `attribution:${model}`, { conversions: result.totals.conversions, value: result.totals.value }));
  $("#interval-note").textContent = result.intervals
    ? `Whiskers: ${level} intervals of each channel's value, ${result.intervals.replicates} bootstrap replicates over journeys (seed ${result.intervals.seed}).`
    : "";
}

/**
 * Every model on a journeys CSV's text, with intervals: the journeys and the channels CSV are
 * read by the core as the CLI reads them, in the dataset's currency.
 */
function attributeCsv(text, dataset) {
  const withIntervals = Object.fromEntries(MODELS.map((m) => [m, { intervals: true }]));
  return attributeTable(MODELS, text, dataset, withIntervals);
}

/** Empties a panel down to its title. */
const cleared = (selector) => { const panel = $(selector); panel.replaceChildren(panel.querySelector("h2")); return panel; };

function render(report) {
  const section = (kpi) => report.sections.find((s) => s.kpi === kpi)?.result;
  const rate = section("conversion.rate"), ropo = section("conversion.cross_channel"), basket = section("basket.average");
  cleared("#conversion").append(
    el("div", { class: "kpis" },
      kpi("Journey conversion", rate.overall.rate, "conversion.rate:overall"),
      kpi("Store sales after an online touch (ROPO)", ropo.online_to_offline.rate, "ropo:rate"),
      kpi(`Average basket (${basket.currency})`, basket.overall.average, "basket:overall")),
    table([["channel", "First-touch channel"], ["opportunities", "Journeys", true], ["conversions", "Converted", true], ["rate", "Rate", true]],
      rate.by_channel, "conversion.rate", rate.overall));
  const share = section("contribution.share");
  cleared("#contribution").append(el("p", {}, `Share of attributed value under the ${share.model} model.`),
    table([["channel", "Channel"], ["value", `Value (${share.currency})`, true], ["share", "Share", true]],
      share.channels, "contribution.share", { value: share.total_value }));
  const payouts = section("incentives.split");
  cleared("#payouts").append(el("p", {}, "Payable over both months, after tiers, caps, floors and the growth bonus."),
    table([["party", "Party"], ["payable", `Payable (${payouts.currency})`, true]], payouts.by_party, "payouts", payouts.overall));
}

/** Every panel from `files` ({name: text}): the report on the dataset's files, then attribution of journeys.csv. */
function compute(files) {
  const report = reportFiles(Object.fromEntries(datasetFiles().filter((n) => n in files).map((n) => [n, files[n]])));
  // the dataset's currency, as the report read it
  const currency = report.sections.find((s) => s.kpi === "contribution.share").result.currency;
  return { report, attribution: attributeCsv(files["journeys.csv"], { channels: files["channels.csv"], currency }) };
}

/** The dropped files in place of the sample's: a dataset file's name replaces that file, any other the journeys. */
async function replacing(sample, dropped) {
  const named = new Set(datasetFiles());
  const files = { ...sample };
  for (const file of dropped) files[named.has(file.name) ? file.name : "journeys.csv"] = await file.text();
  return files;
}

async function main() {
  await init();
  const sample = {};
  await Promise.all([...datasetFiles(), "journeys.csv"].map(async (name) => {
    const res = await fetch(new URL(name, DATA));
    if (res.ok) sample[name] = await res.text();
    else if (name === "journeys.csv") throw new Error(`journeys.csv: ${res.status} ${res.statusText}`);
  }));
  const show = ({ report, attribution: byModel }, source) => {
    attribution = byModel;
    render(report);
    renderAttribution();
    $("#source").textContent = source;
  };
  $("#model").replaceChildren(...MODELS.map((m) => el("option", m === "linear" ? { value: m, selected: "" } : { value: m }, m)));
  $("#model").onchange = renderAttribution;
  show(compute(sample), "Source: the retail sample.");
  const run = async (dropped) => {
    const names = dropped.map((f) => f.name).join(", ");
    status(`Computing ${names}…`, "loading");
    const computed = compute(await replacing(sample, dropped));
    show(computed, `Source: ${names} (${computed.attribution[MODELS[0]].rows.read} journeys), the rest from the retail sample.`);
    status("Done.", "done");
  };
  const fail = (e) => status(`Error: ${e.code ? `[${e.code}] ` : ""}${e.message}`, "error");
  $("#journeys-file").onchange = (e) => e.target.files.length && run([...e.target.files]).catch(fail);
  const drop = $("#drop");
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files.length) run([...e.dataTransfer.files]).catch(fail); };
  status("Done.", "done");
}

main().catch((e) => status(`Error: ${e.code ? `[${e.code}] ` : ""}${e.message}`, "error"));
