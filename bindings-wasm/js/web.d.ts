// Types of the browser and bundler entry (web.mjs): the API every environment shares, and `init`,
// which only this entry has.
export * from "./index.js";
/** Loads the wasm module (fetching the bundled .wasm, or `source`); call once before anything else. */
export declare function init(source?: string | URL | Response | BufferSource): Promise<unknown>;
