// The JavaScript API of omnikpi, shared by the Node and browser entry points.
// Inputs are plain objects with snake_case keys (the shapes of spec/vectors); money and
// decimals are strings. Results are plain objects with decimals as canonical strings.

/** An omnikpi error: `code` is stable (spec/errors.json), `path` names the field or row. */
export class OmniKpiError extends Error {
  constructor(message, code, path) {
    super(message);
    this.name = "OmniKpiError";
    this.code = code;
    this.path = path ?? null;
  }
}

/** How deep inputs may nest (the KPI shapes need a handful of levels; cycles hit it too). */
const MAX_DEPTH = 128;

/** Converts a JS value to JSON-safe data, refusing what would silently change meaning. */
function toData(value, path, depth = 0) {
  if (depth > MAX_DEPTH) {
    throw new OmniKpiError(`\`${path}\` nests deeper than ${MAX_DEPTH} levels`, "value_out_of_range", path);
  }
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new OmniKpiError(`\`${path}\` must be a finite number, got ${value}`, "wrong_type", path);
    }
    return value;
  }
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new OmniKpiError(`\`${path}\` is an invalid Date`, "invalid_timestamp", path);
    return value.toISOString();
  }
  if (Array.isArray(value)) return value.map((v, i) => toData(v, `${path}[${i}]`, depth + 1));
  if (typeof value === "object" && !(value instanceof Map) && !(value instanceof Set)) {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toData(v, `${path}.${k}`, depth + 1);
    }
    return out;
  }
  const kind = value instanceof Map ? "Map" : value instanceof Set ? "Set" : typeof value;
  throw new OmniKpiError(`\`${path}\` has an unsupported type \`${kind}\``, "wrong_type", path);
}

function unwrap(text) {
  const envelope = JSON.parse(text);
  if (envelope.error) {
    const { message, code, path } = envelope.error;
    throw new OmniKpiError(message, code, path);
  }
  return envelope.ok;
}

/** KPI ids and the camelCase name of their typed function. */
export const KPI_FUNCTIONS = {
  "conversion.rate": "conversionRate",
  "conversion.funnel": "conversionFunnel",
  "conversion.windowed": "conversionWindowed",
  "conversion.cross_channel": "conversionCrossChannel",
  "basket.average": "basketAverage",
  "basket.multichannel_uplift": "basketMultichannelUplift",
  "pickup.attach_rate": "pickupAttachRate",
  "money.allocate": "moneyAllocate",
  "attribution.first_touch": "attributionFirstTouch",
  "attribution.last_touch": "attributionLastTouch",
  "attribution.last_non_direct": "attributionLastNonDirect",
  "attribution.linear": "attributionLinear",
  "attribution.time_decay": "attributionTimeDecay",
  "attribution.position_based": "attributionPositionBased",
  "attribution.w_shaped": "attributionWShaped",
  "attribution.markov": "attributionMarkov",
  "attribution.shapley": "attributionShapley",
  "attribution.shapley.ordered": "attributionShapleyOrdered",
  "attribution.shapley.rate": "attributionShapleyRate",
  "contribution.share": "contributionShare",
  "contribution.roas": "contributionRoas",
  "contribution.growth": "contributionGrowth",
  "incentives.split": "splitIncentives",
  "incentives.check": "checkPayouts",
};

/** Builds the API over a loaded wasm module (`raw`). */
export function createApi(raw) {
  function evaluate(kpiId, input, params) {
    if (typeof kpiId !== "string") {
      throw new OmniKpiError("`kpi` must be a string such as \"conversion.rate\"", "wrong_type", "kpi");
    }
    const inputJson = JSON.stringify(toData(input ?? null, "input"));
    const paramsJson = params == null ? "" : JSON.stringify(toData(params, "params"));
    return unwrap(raw.evaluate(kpiId, inputJson, paramsJson));
  }
  const api = {
    OmniKpiError,
    evaluate,
    /** Every KPI definition; with `{ lang: "fr" }`, every text in that language. */
    catalog: (options) => {
      const lang = options?.lang;
      if (lang === undefined) return JSON.parse(raw.catalog());
      if (typeof lang !== "string") throw new OmniKpiError("`lang` must be a language tag such as \"fr\"", "wrong_type", "lang");
      return unwrap(raw.catalogLocalized(lang));
    },
    errorCodes: () => JSON.parse(raw.errorCodes()),
    datasetFiles: () => JSON.parse(raw.datasetFiles()),
    /** The report of a dataset given as `{fileName: text}` (see examples/retail). */
    reportFiles: (files) => unwrap(raw.report(JSON.stringify(toData(files, "files")))),
  };
  for (const [id, name] of Object.entries(KPI_FUNCTIONS)) {
    api[name] = (input, params) => evaluate(id, input, params);
  }
  /**
   * Attribution on typed-array columns, for large data without building an object per journey.
   * `columns`: { channels, currency, offsets (Uint32Array, journeys + 1), channel (Uint16Array
   * ids into channels, or Int32Array), timestamp (Float64Array or BigInt64Array seconds), conversions
   * (Uint32Array), valueMinor (Float64Array or BigInt64Array minor units), conversionTime?
   * (Float64Array seconds, NaN for none), lead? (Uint8Array, 1 on the touch that created the
   * lead, for W-shaped), lookbackSeconds? }. `models`: a name or a list;
   * `params`: parameters of a single model, or { model: params } for several.
   */
  api.attributeColumns = (models, columns, params) => {
    if (columns === null || typeof columns !== "object") {
      throw new OmniKpiError("`columns` must be an object of typed arrays", "wrong_type", "columns");
    }
    if (!(typeof models === "string" || (Array.isArray(models) && models.length > 0))) {
      throw new OmniKpiError("`models` must be a model name or a non-empty list of them", "wrong_type", "models");
    }
    const list = Array.isArray(models) ? models : [models];
    if (!list.every((m) => typeof m === "string")) {
      throw new OmniKpiError("`models` must be model names such as \"linear\"", "wrong_type", "models");
    }
    const ids = list.map((m) => (String(m).startsWith("attribution.") ? m : `attribution.${m}`));
    const specs = ids.map((id, i) => {
      const own = Array.isArray(models) ? params?.[list[i]] : params;
      return [id, own ?? null];
    });
    const f64 = (a, name) => {
      if (a instanceof Float64Array) return a;
      if (a instanceof BigInt64Array) return Float64Array.from(a, Number);
      throw new OmniKpiError(`\`${name}\` must be a Float64Array or BigInt64Array`, "wrong_type", name);
    };
    const typed = (a, Type, name) => {
      if (a instanceof Type) return a;
      throw new OmniKpiError(`\`${name}\` must be a ${Type.name}`, "wrong_type", name);
    };
    // Channel ids: Uint16Array as is; Int32Array (what Arrow dictionaries and many JS tools
    // produce) checked into 0..65535 rather than wrapped.
    const channelIds = (a) => {
      if (a instanceof Uint16Array) return a;
      if (!(a instanceof Int32Array)) throw new OmniKpiError("`channel` must be a Uint16Array or Int32Array", "wrong_type", "channel");
      const out = new Uint16Array(a.length);
      for (let i = 0; i < a.length; i++) {
        if (a[i] < 0 || a[i] > 65535) throw new OmniKpiError(`\`channel[${i}]\` must be a channel id from 0 to 65535, got ${a[i]}`, "value_out_of_range", `channel[${i}]`);
        out[i] = a[i];
      }
      return out;
    };
    const journeys = Math.max(0, (columns.offsets?.length ?? 1) - 1);
    const results = unwrap(raw.attributeColumns(
      JSON.stringify(specs),
      JSON.stringify(toData(columns.channels, "channels")),
      String(columns.currency),
      columns.lookbackSeconds ?? undefined,
      typed(columns.offsets, Uint32Array, "offsets"),
      channelIds(columns.channel),
      f64(columns.timestamp, "timestamp"),
      typed(columns.conversions, Uint32Array, "conversions"),
      f64(columns.valueMinor, "valueMinor"),
      columns.conversionTime ? f64(columns.conversionTime, "conversionTime") : new Float64Array(journeys).fill(NaN),
      columns.lead ? typed(columns.lead, Uint8Array, "lead") : undefined,
    ));
    if (!Array.isArray(models)) return results[0];
    return Object.fromEntries(list.map((m, i) => [String(m).replace(/^attribution\./, ""), results[i]]));
  };

  /** Attribution under `model` ("linear", "markov", ... or the full KPI id). */
  api.attribute = (model, input, params) => {
    if (typeof model !== "string") {
      throw new OmniKpiError("`model` must be a model name such as \"linear\"", "wrong_type", "model");
    }
    return evaluate(model.startsWith("attribution.") ? model : `attribution.${model}`, input, params);
  };
  return api;
}
