// The dashboard's computation, off the page's thread: the page posts the pack, the data's files
// (texts, bytes, or dropped `File`s whose bytes are read here) and the filter; the core in wasm
// reads every file (CSV as UTF-8, a workbook's sheets) and every table by the pack's
// declarations and computes the report, and this worker posts back the report and
// its flat tables (cells as the CLI's CSV writes them), or the core's error as it is.
//   {id, pack}                   -> {id, files, document}   the pack read (object or JSON text), its files
//   {id, pack, files, filter}    -> {id, report, tables}    the report on the rows the filter keeps
import { init, Pack } from "../../pkg/web.mjs";

const ready = init();

/** `{name: text or bytes}` from `{name: text, bytes or File}`: what the core reads. */
async function contents(files) {
  const out = {};
  for (const [name, file] of Object.entries(files)) {
    out[name] = file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : file;
  }
  return out;
}

self.onmessage = async ({ data: { id, pack, files, filter } }) => {
  try {
    await ready;
    const read = new Pack(pack);
    if (files === undefined) {
      self.postMessage({ id, files: read.files, document: read.document });
      return;
    }
    const report = read.report(await contents(files), { filter });
    const plain = { pack: report.pack, sections: report.sections, comparisons: report.comparisons };
    self.postMessage({ id, report: plain, tables: report.tables() });
  } catch (e) {
    self.postMessage({ id, error: { code: e.code ?? "internal_error", message: e.message, path: e.path ?? null } });
  }
};
