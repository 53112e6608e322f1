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
    // Values go to the core as they are: it converts and validates them (omnikpi::host).
    return unwrap(raw.evaluate(kpiId, input, params));
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
    /**
     * Reads JSON text by the core's rules (a duplicate key, a lone surrogate or a nesting deeper
     * than 128 is an error) and returns JS values in which integers beyond 2^53 - 1 are BigInts,
     * exactly, rather than the rounded numbers JSON.parse gives. Errors are located under `what`
     * (default "text"), e.g. "input" for the text of a KPI's input.
     */
    parseJson: (text, what = "text") => {
      if (typeof text !== "string") throw new OmniKpiError("`text` must be a string of JSON", "wrong_type", "text");
      const out = raw.parseJson(text, String(what));
      return typeof out === "string" ? unwrap(out) : out.value;
    },
    datasetFiles: () => JSON.parse(raw.datasetFiles()),
    /** The report of a dataset given as `{fileName: text}` (see examples/retail). */
    reportFiles: (files) => unwrap(raw.report(files)),
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
      specs,
      columns.channels,
      String(columns.currency),
      columns.lookbackSeconds ?? undefined,
      typed(columns.offsets, Uint32Array, "offsets"),
      channelIds(columns.channel),
      columns.timestamp,
      typed(columns.conversions, Uint32Array, "conversions"),
      columns.valueMinor,
      columns.conversionTime ? typed(columns.conversionTime, Float64Array, "conversionTime") : new Float64Array(journeys).fill(NaN),
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
