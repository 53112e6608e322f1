// The npm package as users get it: the tarball scripts/dist.sh writes (`npm pack` of
// bindings-wasm/pkg), installed into an empty project; the README's JavaScript examples run from it
// under Node (ESM), Deno and Bun, a bundle esbuild makes of it runs in Chromium, `require` works
// (CommonJS), and the TypeScript usage examples type-check with `tsc --noEmit --strict` and run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const version = JSON.parse(readFileSync(join(root, "bindings-wasm", "package.json"), "utf8")).version;
const tarball = join(root, "dist", `omnikpi-${version}.tgz`);
const tsc = join(here, "node_modules", "typescript", "bin", "tsc");
const node = (args, cwd) => execFileSync(process.execPath, args, { cwd, encoding: "utf8", stdio: "pipe" });

let project = null;
/** An empty project with the release tarball installed (once for the file). */
function installed() {
  if (project) return project;
  assert.ok(existsSync(tarball), `${tarball} is missing: run bash scripts/dist.sh (scripts/test.sh does)`);
  const dir = mkdtempSync(join(tmpdir(), "omnikpi-pack-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], { cwd: dir, stdio: "pipe" });
  project = { dir, tarball };
  return project;
}

/** The README's JavaScript blocks, written into the project with a console.assert that throws. */
function readmeExamples(dir) {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2);
  const strict = 'console.assert = (ok, ...m) => { if (!ok) throw new Error("assertion failed " + m.join(" ")); };\n';
  return blocks.map((code, i) => {
    const file = join(dir, `readme${i}.mjs`);
    writeFileSync(file, strict + code);
    return file;
  });
}

test("the tarball holds the entry points and not the build leftovers", () => {
  const { tarball } = installed();
  const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n").map((f) => f.replace(/^package\//, ""));
  for (const f of ["package.json", "node.mjs", "node.cjs", "web.mjs", "api.mjs", "index.d.ts", "index.d.cts",
    "node/omnikpi_wasm_bg.wasm", "web/omnikpi_wasm.js", "README.md"]) {
    assert.ok(files.includes(f), `missing ${f}`);
  }
  // one wasm module, loaded by the Node and the browser builds alike
  assert.deepEqual(files.filter((f) => f.endsWith(".wasm")), ["node/omnikpi_wasm_bg.wasm"]);
  assert.ok(!files.some((f) => f.endsWith(".map") || f.includes("target/")), files.join(" "));
});

test("the README examples run from the installed tarball", () => {
  const { dir } = installed();
  // "omnikpi" resolves from the file's folder (the installed tarball); the README's paths
  // are relative to the repository, as a reader runs them
  for (const file of readmeExamples(dir)) node([file], root);
});

// Deno and Bun from npm (tests/browser's devDependencies): both take the package's Node entry
// ("node" export condition), the same wasm file, and must give the README's numbers.
const runtimes = {
  deno: (file) => [join(here, "node_modules", ".bin", "deno"), ["run", "--allow-read", "--allow-env", file]],
  bun: (file) => [join(here, "node_modules", ".bin", "bun"), [file]],
};
for (const [name, command] of Object.entries(runtimes)) {
  test(`the README examples run under ${name} from the installed tarball`, () => {
    const { dir } = installed();
    for (const file of readmeExamples(dir)) {
      const [bin, args] = command(file);
      assert.ok(existsSync(bin), `${bin} is installed by scripts/setup.sh (npm ci in tests/browser)`);
      execFileSync(bin, args, { cwd: root, encoding: "utf8", stdio: "pipe" });
    }
    // and a failing assertion fails the run, so the examples above were checked
    const bad = join(dir, `${name}-bad.mjs`);
    writeFileSync(bad, 'import { conversionRate } from "omnikpi";\nif (conversionRate({ rows: [{ channel: "web", opportunities: 8, conversions: 1 }] }).overall.rate !== "0.125000") throw new Error("wrong");\nthrow new Error("reached");\n');
    const [bin, args] = command(bad);
    assert.throws(() => execFileSync(bin, args, { cwd: root, encoding: "utf8", stdio: "pipe" }), (e) => /reached/.test(e.stderr));
  });
}

test("a bundle made by esbuild from the installed tarball runs in Chromium", async () => {
  // a bundler takes the browser entry (web.mjs); esbuild leaves `new URL(asset, import.meta.url)`
  // to the user, who copies the one wasm file beside the bundle as the package README says
  // (Vite and webpack copy it themselves)
  const { dir } = installed();
  const app = mkdtempSync(join(dir, "bundled-"));
  writeFileSync(join(app, "app.mjs"), 'import { init, conversionRate } from "omnikpi";\nawait init();\n'
    + 'document.body.dataset.rate = conversionRate({ rows: [{ channel: "web", opportunities: 8, conversions: 1 }] }).overall.rate;\n');
  const esbuild = join(root, "bindings-wasm", "node_modules", ".bin", "esbuild");
  execFileSync(esbuild, [join(app, "app.mjs"), "--bundle", "--format=esm", "--platform=browser", `--outdir=${join(app, "out")}`,
    "--log-level=warning"], { cwd: dir, stdio: "pipe" });
  const bundle = readFileSync(join(app, "out", "app.js"), "utf8");
  assert.ok(bundle.includes("omnikpi_wasm_bg.wasm") && !bundle.includes("node:fs"), "the browser entry was bundled");
  mkdirSync(join(app, "out", "node"));
  cpSync(join(dir, "node_modules", "omnikpi", "node", "omnikpi_wasm_bg.wasm"), join(app, "out", "node", "omnikpi_wasm_bg.wasm"));
  writeFileSync(join(app, "out", "index.html"), '<!doctype html><body><script type="module" src="app.js"></script></body>');
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.route("http://bundle.test/**", (route) => {
      const path = join(app, "out", new URL(route.request().url()).pathname);
      return existsSync(path) ? route.fulfill({ path, contentType: types[extname(path)] }) : route.fulfill({ status: 404 });
    });
    await page.goto("http://bundle.test/index.html");
    await page.waitForFunction(() => document.body.dataset.rate, null, { timeout: 30000 }).catch(() => {});
    assert.equal(await page.evaluate(() => document.body.dataset.rate), "0.125000", errors.join("\n"));
  } finally {
    await browser.close();
  }
});

test("require() gets the CommonJS entry with the same numbers", () => {
  const { dir } = installed();
  const out = node(["-e", `
    const o = require("omnikpi");
    const r = o.conversionRate({ rows: [{ channel: "web", opportunities: 8, conversions: 1 }] });
    let code = null;
    try { o.moneyAllocate({ amount: 1.5, currency: "EUR", parties: [] }); } catch (e) { code = e instanceof Error && e.name + ":" + e.code; }
    console.log(r.overall.rate, code, typeof o.splitIncentives);`], dir);
  assert.equal(out.trim(), "0.125000 OmniKpiError:wrong_type function");
});

test("the TypeScript usage examples type-check strictly and run", () => {
  const { dir } = installed();
  cpSync(join(root, "bindings-wasm", "examples", "typescript"), join(dir, "ts"), { recursive: true });
  assert.ok(existsSync(tsc), "typescript is installed by scripts/setup.sh");
  try {
    node([tsc, "-p", join(dir, "ts", "tsconfig.json")], dir);
  } catch (e) {
    assert.fail(`tsc --noEmit --strict failed:\n${e.stdout}${e.stderr}`);
  }
  // and a deliberate type error is caught, so the check is not vacuous
  writeFileSync(join(dir, "ts", "wrong.mts"), 'import { conversionRate } from "omnikpi";\nconst n: number = conversionRate({ rows: [] }).overall.rate;\n');
  assert.throws(() => node([tsc, "--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", join(dir, "ts", "wrong.mts")], dir),
    (e) => /TS2322/.test(e.stdout));
  // a model comparison has the models asked for, and no other: a typo is a compile error
  writeFileSync(join(dir, "ts", "models.mts"), [
    'import { attributeTable, attributeColumns } from "omnikpi";',
    'const channels = [{ channel: "web", group: "online" as const }];',
    'const cmp = attributeTable(["linear", "markov"], "journey_id,timestamp,channel,conversions\\n", { channels, currency: "EUR" });',
    'const ok: string = cmp.linear.currency + cmp.markov.currency;',
    'const cols = attributeColumns(["shapley"] as const, { channels, currency: "EUR", offsets: new Uint32Array([0]), channel: new Uint16Array(0), timestamp: new Float64Array(0), conversions: new Uint32Array(0), valueMinor: new Float64Array(0) });',
    'const also: string = cols.shapley.currency;',
    "",
  ].join("\n"));
  node([tsc, "--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", join(dir, "ts", "models.mts")], dir);
  writeFileSync(join(dir, "ts", "typo.mts"), [
    'import { attributeTable } from "omnikpi";',
    'const cmp = attributeTable(["linear", "markov"], "", { channels: [], currency: "EUR" });',
    "const v = cmp.lienar;",
    "",
  ].join("\n"));
  assert.throws(() => node([tsc, "--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", join(dir, "ts", "typo.mts")], dir),
    (e) => /TS2551|TS2339/.test(e.stdout) && /lienar/.test(e.stdout));
  // each environment's declarations: `init` only where it exists (browsers and bundlers),
  // `report(dir)` only in Node (it reads a folder), for ESM, CommonJS and bundler resolution
  const node16 = ["--module", "node16", "--moduleResolution", "node16"];
  const bundler = ["--module", "esnext", "--moduleResolution", "bundler", "--lib", "es2022,dom"];
  const checks = [
    ["node-ok.mts", 'import { report, conversionRate } from "omnikpi";\nconst r = report("examples/retail");\nconversionRate({ rows: [] });\n', node16, null],
    ["node-init.mts", 'import { init } from "omnikpi";\nawait init();\n', node16, /TS2305.*init/],
    ["node-ok.cts", 'import o = require("omnikpi");\nconst r = o.report("examples/retail");\n', node16, null],
    ["node-init.cts", 'import o = require("omnikpi");\no.init();\n', node16, /TS2339.*init/],
    ["web-ok.ts", 'import { init, conversionRate } from "omnikpi";\nawait init();\nconversionRate({ rows: [] });\nexport {};\n', [...bundler, "--customConditions", "browser"], null],
    ["web-report.ts", 'import { report } from "omnikpi";\nreport("x");\nexport {};\n', [...bundler, "--customConditions", "browser"], /TS(2305|2724).*report/],
    ["bundler-ok.ts", 'import { init } from "omnikpi";\nawait init();\nexport {};\n', bundler, null],
    // every value the runtime accepts type-checks: whole numbers and bigints as decimals, Dates
    // as timestamps; a model name that does not exist does not
    ["accepted.mts", 'import { moneyAllocate, splitIncentives, attributeTable } from "omnikpi";\n'
      + 'moneyAllocate({ amount: 2, currency: "EUR", parties: [{ party: "a", weight: 1 }, { party: "b", weight: 2n }] });\n'
      + 'splitIncentives({ policy: { format: "omnikpi.incentive_policy/1", id: "p", version: "1", currency: "EUR", parties: [], rules: [] },\n'
      + '  sales: [{ sale_id: "1", timestamp: new Date(0), period: "2026-10", origin_channel: "web", amount: "1.00" }] });\n'
      + 'attributeTable(["linear", "markov"], "", { channels: [], currency: "EUR" });\n', node16, null],
    ["model-typo.mts", 'import { attributeTable } from "omnikpi";\nattributeTable(["linaer"], "", { channels: [], currency: "EUR" });\n', node16, /TS2769[\s\S]*"linaer"/],
    // a pack's report with a filter, its tables, and numbers written for a language
    ["pack-filter.ts", 'import { init, Pack, displayAmount } from "omnikpi";\nawait init();\n'
      + 'const r = new Pack("{}").report({ "orders.csv": "" }, { filter: { dimensions: { brand: ["lumen"] }, from: "2026-10-01", to: null } });\n'
      + 'const t: string = r.tables()[0].rows[0][0];\nconst shown: string = displayAmount(t, "fr");\nexport {};\n', [...bundler, "--customConditions", "browser"], null],
    ["pack-filter-typo.mts", 'import { Pack } from "omnikpi";\nPack.fromFile("p.json").report("d", { filter: { dimension: { brand: ["x"] } } });\n', node16, /TS2561[\s\S]*dimensions/],
  ];
  for (const [file, code, flags, error] of checks) {
    writeFileSync(join(dir, "ts", file), code);
    const check = () => node([tsc, "--noEmit", "--strict", "--target", "es2022", ...flags, join(dir, "ts", file)], dir);
    if (error === null) {
      try { check(); } catch (e) { assert.fail(`${file} does not type-check:\n${e.stdout}${e.stderr}`); }
    } else {
      assert.throws(check, (e) => error.test(e.stdout), file);
    }
  }
  // run them: strip the types with tsc's transpiler, then execute
  const ts = (file) => {
    const out = node(["-e", `const ts = require(${JSON.stringify(join(here, "node_modules", "typescript"))});
      const src = require("fs").readFileSync(${JSON.stringify(join(dir, "ts", file))}, "utf8");
      process.stdout.write(ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.${file.endsWith(".cts") ? "CommonJS" : "ESNext"}, target: ts.ScriptTarget.ES2022 } }).outputText);`], dir);
    const target = join(dir, file.replace(/\.(m|c)ts$/, ".$1js"));
    writeFileSync(target, out);
    return node([target], dir).trim();
  };
  assert.equal(ts("usage.mts"), "usage.mts ok");
  assert.equal(ts("usage.cts"), "usage.cts ok");
});

test("every policy the spec's vectors and examples run type-checks as IncentivePolicy", () => {
  // the hand-kept policy types against the policies the engine accepts: a valid policy that
  // does not type-check, or a wrong one that does, is drift between index.d.ts and the schema
  const { dir } = installed();
  const policies = [];
  const vectors = join(root, "spec", "vectors");
  for (const kpi of ["incentives.split", "incentives.statement", "incentives.check", "incentives.close", "incentives.diff"]) {
    for (const file of ["basic.json", "edge_cases.json"]) {
      const path = join(vectors, kpi, file);
      if (!existsSync(path)) continue;
      for (const c of JSON.parse(readFileSync(path, "utf8")).cases) {
        if (!("expected" in c)) continue;
        for (const key of ["policy", "before", "after"]) {
          const given = c.input[key];
          policies.push(...(Array.isArray(given) ? given : given ? [given] : []));
        }
      }
    }
  }
  for (const file of ["incentive_policy.json", "incentive_policy_v2.json"]) {
    policies.push(JSON.parse(readFileSync(join(root, "examples", "retail", file), "utf8")));
  }
  assert.ok(policies.length >= 40, `${policies.length} policies`);
  const check = (name, body) => {
    writeFileSync(join(dir, name), `import type { IncentivePolicy } from "omnikpi";\n${body}\nexport {};\n`);
    return () => node([tsc, "--noEmit", "--strict", "--module", "node16", "--moduleResolution", "node16", join(dir, name)], dir);
  };
  const all = policies.map((p, i) => `const p${i}: IncentivePolicy = ${JSON.stringify(p)};`).join("\n");
  try {
    check("policies.mts", all)();
  } catch (e) {
    assert.fail(`a valid policy does not type-check:\n${e.stdout}${e.stderr}`);
  }
  const wrong = { ...policies[0], tiers: [{ id: "t", parties: ["web"], mode: "step", basis: "attainment", bands: [{ from: "0", multiplier: "1" }] }] };
  assert.throws(check("wrong_policy.mts", `const p: IncentivePolicy = ${JSON.stringify(wrong)};`), (e) => /TS2322/.test(e.stdout));
});
