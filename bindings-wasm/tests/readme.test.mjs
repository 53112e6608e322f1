// The README's JavaScript quickstart runs as written, importing "omnikpi" as a user would
// (a node_modules/omnikpi link to the built package), with console.assert made fatal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, "..", "..", "README.md"), "utf8");
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

test("the README has a JavaScript quickstart", () => assert.ok(blocks.length > 0));

test("the README JavaScript quickstart runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "omnikpi-readme-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(here, "..", "pkg"), join(dir, "node_modules", "omnikpi"), "dir");
  blocks.forEach((code, i) => {
    const file = join(dir, `block${i}.mjs`);
    const strict = 'console.assert = (ok, ...m) => { if (!ok) throw new Error("assertion failed " + m.join(" ")); };\n';
    writeFileSync(file, strict + code);
    execFileSync(process.execPath, [file], { stdio: "pipe" });
  });
});
