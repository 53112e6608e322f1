// A tiny static server for the dashboard: serves the repository (the page, the built package in
// bindings-wasm/pkg and the sample data in examples/retail) on 127.0.0.1.
//   node bindings-wasm/examples/dashboard/serve.mjs [port]   (0 or nothing: a free port)
// Prints the dashboard's URL on its first line.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const types = {
  ".html": "text/html; charset=utf-8", ".mjs": "text/javascript", ".js": "text/javascript",
  ".wasm": "application/wasm", ".json": "application/json", ".csv": "text/csv; charset=utf-8",
  ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png",
};

const server = createServer(async (req, res) => {
  let path;
  try {
    path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)));
  } catch {
    res.writeHead(400).end("bad request");
    return;
  }
  if (!path.startsWith(root) || path.split(sep).includes("node_modules")) {
    res.writeHead(403).end("forbidden");
    return;
  }
  const file = path.endsWith(sep) ? join(path, "index.html") : path;
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
