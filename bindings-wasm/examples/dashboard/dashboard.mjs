// The dashboard: loads the wasm module, computes the retail sample's report in the browser and
// renders conversion, attribution per model (a bar chart), contribution and incentive payouts.
// A journeys CSV dropped on the page is attributed under every model with typed-array columns.
// Every number shown is a value omnikpi returned, untouched; `data-testid` attributes let the
// end-to-end test read them back.
import { init, reportFiles, datasetFiles, attributeColumns } from "../../pkg/web.mjs";

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

/** Horizontal bars of decimal strings; lengths are for the eye only, the labels are exact. */
function bars(items) {
  const width = 420, row = 22, left = 110, max = Math.max(...items.map((i) => Number(i.value)), 1);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", width + 90);
  svg.setAttribute("height", items.length * row + 4);
  items.forEach((item, i) => {
    const y = i * row + 2, w = Math.max(1, (Number(item.value) / max) * width * 0.75);
    svg.insertAdjacentHTML("beforeend",
      `<text x="0" y="${y + 14}">${item.label}</text><rect x="${left}" y="${y}" width="${w}" height="${row - 6}" fill="#4f46e5"></rect>` +
      `<text x="${left + w + 6}" y="${y + 14}">${item.value}</text>`);
  });
  return svg;
}

let attribution = null; // { currency, value_by_model, conversions_by_model, total_value }

function renderAttribution() {
  const model = $("#model").value;
  const rows = attribution.value_by_model;
  $("#chart").replaceChildren(bars(rows.map((r) => ({ label: r.channel, value: r[model] }))));
  const merged = rows.map((r, i) => ({ channel: r.channel, value: r[model], conversions: attribution.conversions_by_model[i][model] }));
  $("#attribution-table").replaceChildren(table(
    [["channel", "Channel"], ["conversions", "Conversions", true], ["value", `Value (${attribution.currency})`, true]],
    merged, `attribution:${model}`, { conversions: attribution.total_conversions, value: attribution.total_value }));
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
  attribution = section("attribution");
  $("#model").replaceChildren(...MODELS.map((m) => el("option", m === "linear" ? { value: m, selected: "" } : { value: m }, m)));
  $("#model").onchange = renderAttribution;
  renderAttribution();
  const share = section("contribution.share");
  $("#contribution").append(el("p", {}, `Share of attributed value under the ${share.model} model.`),
    table([["channel", "Channel"], ["value", `Value (${share.currency})`, true], ["share", "Share", true]],
      share.channels, "contribution.share", { value: share.total_value }));
  const payouts = section("incentives.split");
  $("#payouts").append(el("p", {}, "Payable over both months, after tiers, caps, floors and the growth bonus."),
    table([["party", "Party"], ["payable", `Payable (${payouts.currency})`, true]], payouts.by_party, "payouts", payouts.overall));
}

/** A long-format journeys CSV as typed-array columns for `attributeColumns`. */
function journeyColumns(text, channels) {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const names = header.split(",");
  const at = (name) => names.indexOf(name);
  const [jc, tc, cc, kc, vc] = ["journey_id", "timestamp", "channel", "conversions", "value"].map(at);
  if ([jc, tc, cc, kc].some((i) => i < 0)) throw new Error("the CSV needs journey_id, timestamp, channel and conversions columns");
  const ids = new Map(channels.map((c, i) => [c.channel, i]));
  const journeys = new Map();
  lines.forEach((line, n) => {
    const cells = line.split(",");
    const id = ids.get(cells[cc]);
    if (id === undefined) throw new Error(`row ${n + 2}: channel \`${cells[cc]}\` is not in channels.csv`);
    const t = /^-?\d+$/.test(cells[tc]) ? Number(cells[tc]) : Date.parse(cells[tc]) / 1000;
    if (!journeys.has(cells[jc])) journeys.set(cells[jc], { touches: [], conversions: Number(cells[kc]), value: vc >= 0 ? cells[vc] : "" });
    journeys.get(cells[jc]).touches.push([t, id]);
  });
  const offsets = [0], channel = [], timestamp = [], conversions = [], valueMinor = [];
  for (const j of journeys.values()) {
    j.touches.sort((a, b) => a[0] - b[0]).forEach(([t, c]) => { timestamp.push(t); channel.push(c); });
    offsets.push(channel.length);
    conversions.push(j.conversions);
    const [units, cents = ""] = (j.value || "0").split(".");
    valueMinor.push(Number(units + cents.padEnd(2, "0").slice(0, 2)));
  }
  return { channels, currency: "EUR", offsets: Uint32Array.from(offsets), channel: Uint16Array.from(channel),
    timestamp: Float64Array.from(timestamp), conversions: Uint32Array.from(conversions), valueMinor: Float64Array.from(valueMinor) };
}

async function attributeFile(file, channels) {
  status(`Attributing ${file.name}…`, "loading");
  const results = attributeColumns(MODELS, journeyColumns(await file.text(), channels));
  const first = results[MODELS[0]];
  attribution = {
    currency: first.currency,
    total_conversions: first.totals?.conversions ?? first.total_conversions,
    total_value: first.totals?.value ?? first.total_value,
    value_by_model: first.channels.map((c, i) => Object.fromEntries([["channel", c.channel], ...MODELS.map((m) => [m, results[m].channels[i].value])])),
    conversions_by_model: first.channels.map((c, i) => Object.fromEntries([["channel", c.channel], ...MODELS.map((m) => [m, results[m].channels[i].conversions])])),
  };
  renderAttribution();
  $("#source").textContent = `Source: ${file.name} (${first.rows.read} journeys).`;
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
  render(reportFiles(files));
  const channels = files["channels.csv"].trim().split("\n").slice(1).map((l) => {
    const [channel, group, direct] = l.split(",");
    return { channel, group, direct: direct === "true" };
  });
  const run = (file) => attributeFile(file, channels).catch((e) => status(`Error: ${e.code ? `[${e.code}] ` : ""}${e.message}`, "error"));
  $("#journeys-file").onchange = (e) => e.target.files[0] && run(e.target.files[0]);
  const drop = $("#drop");
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) run(e.dataTransfer.files[0]); };
  status("Done.", "done");
}

main().catch((e) => status(`Error: ${e.code ? `[${e.code}] ` : ""}${e.message}`, "error"));
