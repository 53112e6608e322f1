// The dashboard: loads the wasm module, computes the retail sample's report in the browser and
// renders conversion, attribution per model (a bar chart with each channel's confidence
// interval), contribution and incentive payouts. The sample's journeys, or a journeys CSV dropped
// on the page, are read by the core's CSV reader (`attributeTable` on the file's text, exactly
// as the CLI reads it) and attributed under every model with intervals.
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

function render(report) {
  const section = (kpi) => report.sections.find((s) => s.kpi === kpi)?.result;
  const rate = section("conversion.rate"), ropo = section("conversion.cross_channel"), basket = section("basket.average");
  $("#conversion").append(
    el("div", { class: "kpis" },
      kpi("Journey conversion", rate.overall.rate, "conversion.rate:overall"),
      kpi("Store sales after an online touch (ROPO)", ropo.online_to_offline.rate, "ropo:rate"),
      kpi(`Average basket (${basket.currency})`, basket.overall.average, "basket:overall")),
    table([["channel", "First-touch channel"], ["opportunities", "Journeys", true], ["conversions", "Converted", true], ["rate", "Rate", true]],
      rate.by_channel, "conversion.rate", rate.overall));
  const share = section("contribution.share");
  $("#contribution").append(el("p", {}, `Share of attributed value under the ${share.model} model.`),
    table([["channel", "Channel"], ["value", `Value (${share.currency})`, true], ["share", "Share", true]],
      share.channels, "contribution.share", { value: share.total_value }));
  const payouts = section("incentives.split");
  $("#payouts").append(el("p", {}, "Payable over both months, after tiers, caps, floors and the growth bonus."),
    table([["party", "Party"], ["payable", `Payable (${payouts.currency})`, true]], payouts.by_party, "payouts", payouts.overall));
}

async function attributeFile(file, dataset) {
  status(`Attributing ${file.name}…`, "loading");
  attribution = attributeCsv(await file.text(), dataset);
  renderAttribution();
  $("#source").textContent = `Source: ${file.name} (${attribution[MODELS[0]].rows.read} journeys).`;
  $("#source").dataset.testid = "source";
  status("Done.", "done");
}

async function main() {
  await init();
  const files = {};
  await Promise.all(datasetFiles().map(async (name) => {
    const res = await fetch(new URL(name, DATA));
    if (res.ok) files[name] = await res.text();
  }));
  const report = reportFiles(files);
  render(report);
  // the sample's channels CSV and currency, as the report read them
  const currency = report.sections.find((s) => s.kpi === "contribution.share").result.currency;
  const dataset = { channels: files["channels.csv"], currency };
  const journeys = await fetch(new URL("journeys.csv", DATA));
  if (!journeys.ok) throw new Error(`journeys.csv: ${journeys.status} ${journeys.statusText}`);
  attribution = attributeCsv(await journeys.text(), dataset);
  $("#model").replaceChildren(...MODELS.map((m) => el("option", m === "linear" ? { value: m, selected: "" } : { value: m }, m)));
  $("#model").onchange = renderAttribution;
  renderAttribution();
  const run = (file) => attributeFile(file, dataset).catch((e) => status(`Error: ${e.code ? `[${e.code}] ` : ""}${e.message}`, "error"));
  $("#journeys-file").onchange = (e) => e.target.files[0] && run(e.target.files[0]);
  const drop = $("#drop");
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) run(e.dataTransfer.files[0]); };
  status("Done.", "done");
}

main().catch((e) => status(`Error: ${e.code ? `[${e.code}] ` : ""}${e.message}`, "error"));
