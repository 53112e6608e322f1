// Incentive splits from Node: the example policy and sales give the CLI's payouts, cent for cent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { splitIncentives, checkPayouts, diffIncentives, closeIncentives, incentiveStatements, statementFiles, OmniKpiError } from "../pkg/node.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const retail = join(root, "examples", "retail");
const cli = join(root, "target", "release", "omnikpi");

/** A small CSV reader for the example files (no quoted commas in them). */
function rows(file, keep) {
  const [header, ...lines] = readFileSync(join(retail, file), "utf8").trim().split("\n");
  const names = header.split(",");
  return lines.map((line) => {
    const out = {};
    line.split(",").forEach((cell, i) => {
      const name = names[i];
      if (cell === "" || (keep && !keep.includes(name))) return;
      out[name] = name === "click_and_collect" ? cell === "true" : cell;
    });
    return out;
  });
}

const input = {
  policy: JSON.parse(readFileSync(join(retail, "incentive_policy.json"), "utf8")),
  sales: rows("sales.csv"),
  touches: rows("touches.csv", ["customer_id", "timestamp", "channel"]),
};

test("the example split equals the CLI's, byte for byte", () => {
  const fromCli = execFileSync(cli, ["incentives", "split", "--policy", join(retail, "incentive_policy.json"),
    "--sales", join(retail, "sales.csv"), "--touches", join(retail, "touches.csv"), "--format", "json"], { encoding: "utf8" });
  assert.deepEqual(splitIncentives(input), JSON.parse(fromCli));
});

test("checkPayouts finds the one cent that was changed", () => {
  const lines = splitIncentives(input).lines.map(({ sale_id, period, party, rule, amount }) =>
    Object.fromEntries(Object.entries({ sale_id, period, party, rule, amount }).filter(([, v]) => v !== null)));
  assert.equal(checkPayouts({ ...input, payouts: lines }).differences.length, 0);
  const cents = Math.round(Number(lines[3].amount) * 100) + 1;
  lines[3].amount = (cents / 100).toFixed(2);
  lines[5].period = "2099-12";
  lines.push({ ...lines[6] }, { ...lines[7], rule: undefined });
  delete lines.at(-1).rule;
  const { differences, malformed, agrees } = checkPayouts({ ...input, payouts: lines });
  assert.deepEqual(differences.map((d) => [d.reason, d.sale_id, d.party, d.difference]), [
    ["wrong_amount", lines[3].sale_id, lines[3].party, "0.01"],
    ["wrong_period", lines[5].sale_id, lines[5].party, "0.00"],
    ["claimed_twice", lines[6].sale_id, lines[6].party, lines[6].amount],
  ]);
  assert.deepEqual(malformed.map((m) => [m.path, m.code]), [[`input.payouts[${lines.length - 1}].rule`, "missing_field"]]);
  assert.equal(agrees, false);
});

test("a policy whose shares exceed 100% is an OmniKpiError naming the field", () => {
  const policy = structuredClone(input.policy);
  policy.rules[0].shares.push({ party: "web", percent: "98" });
  assert.throws(() => splitIncentives({ ...input, policy }), (e) =>
    e instanceof OmniKpiError && e instanceof Error && e.code === "invalid_shares" && e.path === "input.policy.rules[0].shares");
});

test("diffIncentives shows who gains from a new rate, and the rules that cause it", () => {
  const after = structuredClone(input.policy);
  after.version = "2026.10";
  after.rules.find((r) => r.id === "store_sale").shares[0].percent = "3.5";
  const result = diffIncentives({ before: input.policy, after, sales: input.sales, touches: input.touches });
  const v2 = join(root, "target", "what-if-v2.json");
  writeFileSync(v2, JSON.stringify(after));
  const fromCli = execFileSync(cli, ["incentives", "diff", "--policy", join(retail, "incentive_policy.json"), "--policy", v2,
    "--sales", join(retail, "sales.csv"), "--touches", join(retail, "touches.csv"), "--json"], { encoding: "utf8" });
  assert.deepEqual(result, JSON.parse(fromCli));
  const stores = new Set(after.parties.filter((p) => p.kind === "store").map((p) => p.id));
  assert.deepEqual(new Set(result.parties.filter((r) => r.change !== "0.00").map((r) => r.party)), stores);
  assert.deepEqual(new Set(result.rules.map((r) => r.rule)), new Set(["store_sale", "store_accelerator"]));
});

test("a period closed in Node is the CLI's record, and a split keeps it as closed", () => {
  const closed = closeIncentives({ ...input, period: "2026-09" });
  const fromCli = join(root, "target", "node-2026-09.closed.json");
  execFileSync(cli, ["incentives", "close", "--policy", join(retail, "incentive_policy.json"), "--sales", join(retail, "sales.csv"),
    "--touches", join(retail, "touches.csv"), "--period", "2026-09", "--out", fromCli]);
  assert.deepEqual(JSON.parse(JSON.stringify(closed)), JSON.parse(readFileSync(fromCli, "utf8")));
  const kept = splitIncentives({ ...input, closed: [closed] });
  const september = kept.periods.find((p) => p.period === "2026-09");
  assert.equal(september.closed, closed.digest);
  assert.equal(kept.total, splitIncentives(input).total);
  const edited = { ...closed, total: "0.00" };
  assert.throws(() => splitIncentives({ ...input, closed: [edited] }), (e) =>
    e instanceof OmniKpiError && e.code === "closed_period" && e.path === "input.closed[0].digest");
});

test("statements in Node are the CLI's, in English and French, with the same figures", () => {
  const byLang = {};
  for (const lang of ["en", "fr"]) {
    const out = join(root, "target", `node-statements-${lang}`);
    execFileSync(cli, ["incentives", "statement", "--policy", join(retail, "incentive_policy.json"), "--sales", join(retail, "sales.csv"),
      "--touches", join(retail, "touches.csv"), "--party", "lille", "--lang", lang, "--out", out]);
    byLang[lang] = incentiveStatements(input, { party: "lille", language: lang });
    assert.deepEqual(JSON.parse(JSON.stringify(byLang[lang])), JSON.parse(readFileSync(join(out, "statements.json"), "utf8")));
  }
  assert.deepEqual(byLang.fr.statements.map((s) => s.payable), byLang.en.statements.map((s) => s.payable));
  assert.match(byLang.fr.statements[1].lines[0].explanation, /EUR/);
  assert.notEqual(byLang.fr.statements[1].lines[0].explanation, byLang.en.statements[1].lines[0].explanation);
  assert.throws(() => incentiveStatements(input, { party: "nantes" }), (e) =>
    e instanceof OmniKpiError && e.code === "invalid_parameter" && e.path === "params.party");
  // the CLI's files, rendered by the same core from the CLI's result and certificate
  const out = join(root, "target", "node-statements-fr");
  const cliResult = JSON.parse(readFileSync(join(out, "statements.json"), "utf8"));
  const certificate = JSON.parse(readFileSync(join(out, "statements.certificate.json"), "utf8"));
  const { html, csv } = statementFiles(cliResult, certificate);
  assert.equal(html, readFileSync(join(out, "statements.html"), "utf8"));
  assert.equal(csv, readFileSync(join(out, "statements.csv"), "utf8"));
  // a typed result carries its own certificate, which the page ends each statement with
  assert.ok(statementFiles(byLang.fr).html.includes(byLang.fr.certificate.certificate));
});
