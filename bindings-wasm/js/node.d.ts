// Types of the Node entry (node.mjs): the API every environment shares, and `report`, which only
// Node has (it reads a folder). There is no `init`: Node loads the wasm module on import.
import type { Report } from "./index.js";
export * from "./index.js";
/** Computes every KPI on a dataset folder, as `omnikpi report <dir>` does. */
export declare function report(dir: string): Report;
