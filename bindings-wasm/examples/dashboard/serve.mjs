// A tiny static server for the dashboard, on 127.0.0.1. It serves the dashboard's files only: the
// page (this folder), the built package (bindings-wasm/pkg) and the sample pack with its data
// (examples/group).
// Anything else in the repository (.git, .venv, target, sources) is "not found", whatever the
// path's spelling (`..`, encoded dots, symbolic links).
//   node bindings-wasm/examples/dashboard/serve.mjs [port]   (0 or nothing: a free port)
// Prints the dashboard's URL on its first line.
import { createServer } from "node:http";
import { readFile, realpath } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
/** The folders served, relative to the repository (URL paths are the same). */
export const SERVED = ["bindings-wasm/examples/dashboard/", "bindings-wasm/pkg/", "examples/group/"];
const types = {
  ".html": "text/html; charset=utf-8", ".mjs": "text/javascript", ".js": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".csv": "text/csv; charset=utf-8",
  ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png",
};

/** The real path of a served folder, with a trailing separator; null when it does not exist. */
const realFolder = (folder) => realpath(join(root, folder)).then((p) => p + sep, () => null);
const folders = Promise.all(SERVED.map(realFolder));

/** The file a request's path names, when it lies (after resolving links) in a served folder. */
async function servedFile(url) {
  const pathname = decodeURIComponent(new URL(url ?? "/", "http://localhost").pathname);
  if (pathname.includes("\0")) return null;
  const asked = join(root, pathname.endsWith("/") ? `${pathname}index.html` : pathname);
  const real = await realpath(asked).catch(() => null);
  if (real === null) return null;
  return (await folders).some((f) => f !== null && real.startsWith(f)) ? real : null;
}

const server = createServer(async (req, res) => {
  let file;
  try {
    file = await servedFile(req.url);
  } catch {
    res.writeHead(400).end("bad request");
    return;
  }
  if (file === null) {
    res.writeHead(404).end("not found");
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
  } catch {
    res.writeHead(404).end("not found");
  }
});

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const { port } = server.address();
  console.log(`http://127.0.0.1:${port}/bindings-wasm/examples/dashboard/`);
});
