// Node entry point of omnikpi: the wasm module loads synchronously.
import { createRequire } from "node:module";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "./api.mjs";

const require = createRequire(import.meta.url);
const api = createApi(require("./node/omnikpi_wasm.js"));

export const {
  OmniKpiError, evaluate, catalog, errorCodes, datasetFiles, reportFiles, parseJson,
  conversionRate, conversionFunnel, conversionWindowed, conversionCrossChannel,
  basketAverage, basketMultichannelUplift, pickupAttachRate, moneyAllocate,
  attribute, attributeColumns, attributionFirstTouch, attributionLastTouch, attributionLastNonDirect, attributionLinear,
  attributionTimeDecay, attributionPositionBased, attributionWShaped, attributionMarkov,
  attributionShapley, attributionShapleyOrdered, attributionShapleyRate,
  contributionShare, contributionRoas, contributionGrowth,
  splitIncentives, checkPayouts,
} = api;

/** Computes every KPI on a dataset folder, as `omnikpi report <dir>` does. */
export function report(dir) {
  const files = {};
  for (const name of datasetFiles()) {
    const path = join(dir, name);
    if (existsSync(path)) files[name] = readFileSync(path, "utf8");
  }
  return reportFiles(files);
}
