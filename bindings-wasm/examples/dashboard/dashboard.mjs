// The dashboard of a KPI pack (examples/group: Groupe Lumen's brands, countries and
// departments). The pack says which KPIs, labels, dimensions, languages and tables there are;
// the core in wasm, in a Web Worker (worker.mjs), reads the tables by the pack's declarations and
// computes the report, so the page never freezes and a dropped file gives the CLI's numbers or
// the CLI's error. This page only lays out what the core returned:
// - filters by each dimension of the pack and by a range of days, applied by the core
//   (`pack.report(files, {filter})`, the CLI's `--where`, `--from`, `--to`);
// - a chart comparing the pack's attribution models channel by channel;
// - comparison views, as grids, and as a time series when their rows are periods;
// - every section's table, the cells the CLI's `report --pack --out` writes;
// - numbers written for the chosen language of the pack by the core's one rule (`displayAmount`).
// Every number shown is a value omnikpi returned: `data-value` holds it as the CLI writes it,
// the text its display; `data-testid` attributes let the end-to-end test read them back.
import { init, displayAmount } from "../../pkg/web.mjs";

const DATA = new URL("../../../examples/group/", import.meta.url);
const $ = (selector) => document.querySelector(selector);
const status = (text, state) => { $("#status").textContent = text; $("#status").dataset.state = state; };
const NUMERIC = new Set(["decimal", "integer"]);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** The page's state: the pack, the sample's files, the dropped ones (and the dropped pack's
 * name), the filter, the language, the last report and each dimension's values. */
const state = { pack: null, sample: {}, dropped: {}, source: [], filter: {}, lang: "en", computed: null, values: {} };
const label = (labels) => labels?.[state.lang] ?? labels?.[state.pack.languages[0]] ?? "";
const shown = (value) => (value === "" || value === null || value === undefined ? "–" : displayAmount(String(value), state.lang));

/** A number cell: its value as omnikpi wrote it in `data-value`, its display as the text. */
function numberCell(value, testid) {
  return el("td", { class: "n", "data-testid": testid, "data-value": value ?? "" }, shown(value));
}

// --- the worker ------------------------------------------------------------------------------

const worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
let asked = 0;
const waiting = new Map();
worker.onmessage = ({ data }) => {
  const done = waiting.get(data.id);
  waiting.delete(data.id);
  if (data.error) done?.reject(Object.assign(new Error(data.error.message), data.error));
  else done?.resolve(data);
};
/** Posts a request to the worker; resolves with its answer, rejects with the core's error. */
function ask(message) {
  asked += 1;
  const id = asked;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, ...message });
  });
}

// --- panels ----------------------------------------------------------------------------------

/** Horizontal grouped bars: one group per channel, one bar per model; lengths are for the eye
 * only, the labels are exact. */
function modelChart(models) {
  const channels = [...new Set(models.flatMap((m) => m.result.channels.map((c) => c.channel)))];
  const values = models.flatMap((m) => m.result.channels.map((c) => Number(c.value)));
  const max = Math.max(...values, 1), width = 360, bar = 12, left = 130, colors = ["#4f46e5", "#f59e0b", "#10b981", "#ef4444"];
  const height = channels.length * (models.length * bar + 10) + 24;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", left + width + 110);
  svg.setAttribute("height", height);
  svg.setAttribute("data-testid", "model-chart");
  let y = 0;
  for (const channel of channels) {
    svg.insertAdjacentHTML("beforeend", `<text x="0" y="${y + bar + 2}">${escape(label(state.pack.channels[channel]) || channel)}</text>`);
    models.forEach((m, i) => {
      const value = m.result.channels.find((c) => c.channel === channel)?.value ?? "0";
      const w = Math.max(1, (Number(value) / max) * width);
      svg.insertAdjacentHTML("beforeend",
        `<rect x="${left}" y="${y}" width="${w}" height="${bar - 2}" fill="${colors[i % colors.length]}"></rect>` +
        `<text data-testid="model-chart:${m.key}:${channel}" data-value="${value}" x="${left + w + 4}" y="${y + bar - 2}">${escape(shown(value))}</text>`);
      y += bar;
    });
    y += 10;
  }
  const legend = models.map((m, i) => `<tspan fill="${colors[i % colors.length]}">■ ${escape(label(m.label))}</tspan>`).join("  ");
  svg.insertAdjacentHTML("beforeend", `<text x="0" y="${height - 6}">${legend}</text>`);
  return svg;
}

const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** A line per column of a view whose rows are periods. */
function series(view) {
  const periods = view.rows.keys, width = 420, height = 160, left = 70, top = 10;
  const all = view.cells.flat().filter((v) => v !== null).map(Number);
  const max = Math.max(...all, 1);
  const x = (i) => left + (periods.length < 2 ? 0 : (i / (periods.length - 1)) * width);
  const y = (v) => top + height - (Number(v) / max) * height;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", left + width + 120);
  svg.setAttribute("height", height + 40);
  svg.setAttribute("data-testid", `series:${view.key}`);
  const colors = ["#4f46e5", "#f59e0b", "#10b981", "#ef4444"];
  periods.forEach((p, i) => svg.insertAdjacentHTML("beforeend", `<text x="${x(i) - 20}" y="${top + height + 18}">${escape(p)}</text>`));
  view.columns.keys.forEach((column, c) => {
    const points = view.cells.map((row, i) => (row[c] === null ? null : `${x(i)},${y(row[c])}`)).filter(Boolean);
    svg.insertAdjacentHTML("beforeend", `<polyline data-testid="series:${view.key}:${column}" fill="none" stroke="${colors[c % colors.length]}" stroke-width="2" points="${points.join(" ")}"></polyline>`);
    // a dot on each period, so a single period shows too
    for (const point of points) {
      const [cx, cy] = point.split(",");
      svg.insertAdjacentHTML("beforeend", `<circle cx="${cx}" cy="${cy}" r="3" fill="${colors[c % colors.length]}"></circle>`);
    }
    const last = view.cells.length - 1;
    if (view.cells[last]?.[c] !== null && view.cells[last]?.[c] !== undefined) {
      svg.insertAdjacentHTML("beforeend", `<text x="${x(last) + 6}" y="${y(view.cells[last][c]) + 4}" fill="${colors[c % colors.length]}">${escape(column)}</text>`);
    }
  });
  return svg;
}

/** A comparison view as a grid (rows down, columns across, the total below). */
function grid(view) {
  const head = el("tr", {}, el("th", {}, `${label(view.rows.label)} \\ ${label(view.columns.label)}`), ...view.columns.keys.map((c) => el("th", { class: "n" }, c)));
  const rows = view.rows.keys.map((r, i) => el("tr", {}, el("th", {}, r),
    ...view.columns.keys.map((c, j) => numberCell(view.cells[i][j], `view:${view.key}:${r}:${c}`))));
  const total = el("tr", { class: "total" }, el("td", { colspan: view.columns.keys.length }, label({ en: "All", fr: "Ensemble" })),
    numberCell(view.total, `view:${view.key}:total`));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows, total));
}

/** A section's flat table, as the CLI exports it. */
function sectionTable(table) {
  const head = el("tr", {}, ...table.columns.map((c, i) => el("th", NUMERIC.has(table.kinds[i]) ? { class: "n" } : {}, c)));
  const rows = table.rows.map((row, r) => el("tr", row[0] === "total" ? { class: "total" } : {}, ...row.map((cell, c) => {
    const testid = `table:${table.name}:${r}:${table.columns[c]}`;
    return NUMERIC.has(table.kinds[c]) ? numberCell(cell, testid) : el("td", { "data-testid": testid, "data-value": cell }, cell);
  })));
  return el("div", { class: "scroll" }, el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
}

function render() {
  const { report, tables } = state.computed;
  document.title = `omnikpi dashboard: ${label(report.pack.name)}`;
  $("#title").textContent = label(report.pack.name);
  const panels = [];
  const models = report.sections.filter((s) => s.result && s.kpi.startsWith("attribution."));
  if (models.length > 0) {
    panels.push(el("section", { id: "models" }, el("h2", {}, label({ en: "Attribution models compared", fr: "Modèles d'attribution comparés" })),
      el("p", { class: "note" }, `${label({ en: "Value by channel", fr: "Valeur par canal" })} (${report.pack.currency})`), modelChart(models)));
  }
  for (const view of report.comparisons) {
    const body = view.cells ? [view.rows.dimension === "period" ? series(view) : "", grid(view)] : [el("p", { class: "note", "data-testid": `note:${view.key}` }, label(view.note))];
    panels.push(el("section", { "data-view": view.key }, el("h2", {}, label(view.label)), ...body));
  }
  for (const section of report.sections) {
    const table = tables.find((t) => t.name === section.key);
    const body = table ? sectionTable(table) : el("p", { class: "note", "data-testid": `note:${section.key}` }, label(section.note));
    panels.push(el("section", { "data-section": section.key, class: "wide" }, el("h2", {}, label(section.label)), body));
  }
  $("#panels").replaceChildren(...panels);
}

// --- filters, files and language ------------------------------------------------------------

/** Each dimension's values in a report, as its sections' segments carry them. */
function dimensionValues(report) {
  const values = Object.fromEntries(report.pack.dimensions.map((d) => [d.name, new Set()]));
  for (const s of report.sections) for (const seg of s.result?.segments ?? []) {
    for (const [k, v] of Object.entries(seg.key)) values[k]?.add(v);
  }
  return values;
}

/** The filter bar: each dimension's values (as the unfiltered report has them), the days. */
function filterBar() {
  const { dimensions = {}, from = null, to = null } = state.filter;
  const selects = state.computed.report.pack.dimensions.map((d) => el("label", {}, label(d.label), " ",
    el("select", { multiple: "", "data-dimension": d.name, "data-testid": `filter:${d.name}`, size: 3 },
      ...[...(state.values[d.name] ?? [])].sort().map((v) =>
        el("option", dimensions[d.name]?.includes(v) ? { value: v, selected: "" } : { value: v }, v)))));
  $("#filters").replaceChildren(...selects,
    el("label", {}, label({ en: "From", fr: "Du" }), " ", el("input", { type: "date", id: "from", "data-testid": "filter:from", value: from ?? "" })),
    el("label", {}, label({ en: "To", fr: "Au" }), " ", el("input", { type: "date", id: "to", "data-testid": "filter:to", value: to ?? "" })),
    el("button", { id: "apply", type: "button" }, label({ en: "Apply", fr: "Appliquer" })),
    el("button", { id: "reset", type: "button" }, label({ en: "Reset", fr: "Tout" })));
  $("#apply").onclick = () => { state.filter = readFilter(); compute().catch(fail); };
  $("#reset").onclick = () => { state.filter = {}; filterBar(); compute().catch(fail); };
}

/** The filter the bar shows, as the core reads it (a dimension with nothing selected: all). */
function readFilter() {
  const dimensions = {};
  for (const select of document.querySelectorAll("#filters select[data-dimension]")) {
    const chosen = [...select.selectedOptions].map((o) => o.value);
    if (chosen.length > 0) dimensions[select.dataset.dimension] = chosen;
  }
  return { dimensions, from: $("#from").value || null, to: $("#to").value || null };
}

const fail = (e) => {
  status(`Error: ${e.code ? `[${e.code}] ` : ""}${e.message}`, "error");
  $("#panels").replaceChildren(el("p", { class: "note" }, label({ en: "No figures: omnikpi refused the data (above).", fr: "Aucun chiffre : omnikpi a refusé les données (ci-dessus)." })));
};

async function compute() {
  const names = [...state.source, ...Object.keys(state.dropped)];
  status(names.length ? `Computing with ${names.join(", ")}…` : "Computing…", "loading");
  const started = performance.now();
  const files = { ...state.sample, ...state.dropped };
  state.computed = await ask({ pack: state.pack.document, files, filter: state.filter });
  if (!state.computed.report.pack.filter) state.values = dimensionValues(state.computed.report);
  state.pack.channels = state.computed.report.pack.channels;
  render();
  const filtered = state.computed.report.pack.filter ? ", filtered" : "";
  const rest = Object.keys(state.sample).length > 0 ? ", the rest from the group sample" : "";
  $("#source").textContent = names.length
    ? `Source: ${names.join(", ")}${rest}${filtered}.`
    : `Source: the group sample${filtered}.`;
  status(`Done in ${Math.round(performance.now() - started)} ms.`, "done");
}

/** Dropped files: a pack (`.json`, read by the core) replaces the pack and every file, then each
 * other file must be one the pack reads, by its name, and replaces the sample's. */
async function drop(files) {
  status(`Reading ${files.map((f) => f.name).join(", ")}…`, "loading");
  const packs = files.filter((f) => f.name.toLowerCase().endsWith(".json"));
  if (packs.length > 1) {
    fail({ code: "invalid_pack", message: `${packs.map((f) => f.name).join(", ")}: drop one pack at a time` });
    return;
  }
  if (packs.length === 1) {
    await open(await packs[0].text(), {});
    state.source = [packs[0].name];
  }
  const data = files.filter((f) => !packs.includes(f));
  const unknown = data.filter((f) => !state.pack.files.includes(f.name));
  if (unknown.length > 0) {
    fail({ code: "invalid_dataset", message: `${unknown.map((f) => f.name).join(", ")}: not a file of the pack (it reads ${state.pack.files.join(", ")})` });
    return;
  }
  for (const f of data) state.dropped[f.name] = f;
  await compute();
  filterBar();
}

/** Reads a pack (object or JSON text, by the core) with its files (`{name: bytes}`): the page's pack from now on. */
async function open(pack, sample) {
  const { files, document: read } = await ask({ pack });
  state.pack = { document: read, files, languages: read.languages, channels: {} };
  Object.assign(state, { sample, dropped: {}, filter: {}, values: {}, source: [] });
  if (!read.languages.includes(state.lang)) state.lang = read.languages[0];
  $("#lang").replaceChildren(...read.languages.map((l) => el("option", l === state.lang ? { value: l, selected: "" } : { value: l }, l)));
}

async function main() {
  await init();
  await open(await (await fetch(new URL("pack.json", DATA))).text(), {});
  await Promise.all(state.pack.files.map(async (name) => {
    const res = await fetch(new URL(name, DATA));
    if (res.ok) state.sample[name] = new Uint8Array(await res.arrayBuffer());
  }));
  $("#lang").onchange = () => { state.lang = $("#lang").value; filterBar(); render(); };
  await compute();
  filterBar();
  $("#files").onchange = (e) => e.target.files.length && drop([...e.target.files]).catch(fail);
  const zone = $("#drop");
  zone.ondragover = (e) => { e.preventDefault(); zone.classList.add("over"); };
  zone.ondragleave = () => zone.classList.remove("over");
  zone.ondrop = (e) => { e.preventDefault(); zone.classList.remove("over"); if (e.dataTransfer.files.length) drop([...e.dataTransfer.files]).catch(fail); };
}

main().catch(fail);
