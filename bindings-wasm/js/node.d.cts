// Types of the CommonJS Node entry (node.cjs), as node.d.ts, over the CommonJS twin of index.d.ts.
import type { Report } from "./index.cjs";
export * from "./index.cjs";
/** Computes every KPI on a dataset folder, as `omnikpi report <dir>` does. */
export declare function report(dir: string): Report;
