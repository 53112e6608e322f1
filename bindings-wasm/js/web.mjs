// Browser entry point of omnikpi: call `await init()` once (it fetches the .wasm), then use the API.
import wasmInit, * as raw from "./web/omnikpi_wasm.js";
import { createApi, OmniKpiError } from "./api.mjs";

let api = null;

/** Loads the wasm module; `source` may be a URL, Response or bytes (defaults to the bundled file). */
export async function init(source) {
  if (!api) {
    await wasmInit(source === undefined ? undefined : { module_or_path: source });
    api = createApi(raw);
  }
  return api;
}

function ready() {
  if (!api) throw new Error("omnikpi: call `await init()` before using the API");
  return api;
}

export { OmniKpiError };
export const evaluate = (...a) => ready().evaluate(...a);
export const catalog = (options) => ready().catalog(options);
export const reportFiles = (files) => ready().reportFiles(files);
export const datasetFiles = () => ready().datasetFiles();
export const errorCodes = () => ready().errorCodes();
export const parseJson = (...a) => ready().parseJson(...a);
export const conversionRate = (...a) => ready().conversionRate(...a);
export const conversionFunnel = (...a) => ready().conversionFunnel(...a);
export const conversionWindowed = (...a) => ready().conversionWindowed(...a);
export const conversionCrossChannel = (...a) => ready().conversionCrossChannel(...a);
export const basketAverage = (...a) => ready().basketAverage(...a);
export const basketMultichannelUplift = (...a) => ready().basketMultichannelUplift(...a);
export const pickupAttachRate = (...a) => ready().pickupAttachRate(...a);
export const moneyAllocate = (...a) => ready().moneyAllocate(...a);
export const attribute = (...a) => ready().attribute(...a);
export const attributeColumns = (...a) => ready().attributeColumns(...a);
export const contributionShare = (...a) => ready().contributionShare(...a);
export const contributionRoas = (...a) => ready().contributionRoas(...a);
export const contributionGrowth = (...a) => ready().contributionGrowth(...a);
export const splitIncentives = (...a) => ready().splitIncentives(...a);
export const checkPayouts = (...a) => ready().checkPayouts(...a);
export const attributionFirstTouch = (...a) => ready().attributionFirstTouch(...a);
export const attributionLastTouch = (...a) => ready().attributionLastTouch(...a);
export const attributionLastNonDirect = (...a) => ready().attributionLastNonDirect(...a);
export const attributionLinear = (...a) => ready().attributionLinear(...a);
export const attributionTimeDecay = (...a) => ready().attributionTimeDecay(...a);
export const attributionPositionBased = (...a) => ready().attributionPositionBased(...a);
export const attributionWShaped = (...a) => ready().attributionWShaped(...a);
export const attributionMarkov = (...a) => ready().attributionMarkov(...a);
export const attributionShapley = (...a) => ready().attributionShapley(...a);
export const attributionShapleyOrdered = (...a) => ready().attributionShapleyOrdered(...a);
export const attributionShapleyRate = (...a) => ready().attributionShapleyRate(...a);
