// Usage of the omnikpi package from TypeScript (ESM). Type-checked with `tsc --noEmit --strict`
// against the packed package by tests/browser/package.test.mjs, then run by Node.
import {
  attributeColumns, attributeTable, checkPayouts, conversionRate, moneyAllocate, OmniKpiError, Pack, splitIncentives,
  type IncentivePolicy, type IncentiveSplitResult, type IncentiveSplitSalesRow,
} from "omnikpi";

const rate = conversionRate({ rows: [{ channel: "web", opportunities: 200, conversions: 25 }] }, { denominator: "sessions" });
const exact: string | null = rate.overall.rate; // decimals are strings, or null with a reason
if (exact !== "0.125000") throw new Error(`rate ${exact}`);

const split = moneyAllocate({ amount: "0.05", currency: "EUR", parties: [{ party: "web", weight: "30" }, { party: "store", weight: "70" }] });
if (split.parts.map((p) => p.amount).join() !== "0.01,0.04") throw new Error("split");

const policy: IncentivePolicy = {
  format: "omnikpi.incentive_policy/1", id: "cc", version: "1", currency: "EUR",
  parties: [{ id: "web", kind: "channel" }, { id: "lille", kind: "store" }],
  rules: [{ id: "click_and_collect", when: { click_and_collect: true },
    shares: [{ party: "web", percent: "5" }, { party_from: "fulfilment_channel", percent: "3" }] }],
};
const sales: IncentiveSplitSalesRow[] = [{ sale_id: "O1", timestamp: "2026-10-01T10:00:00Z", period: "2026-10", origin_channel: "web",
  fulfilment_channel: "lille", click_and_collect: true, amount: "89.19" }];
const lines: IncentiveSplitResult["lines"] = splitIncentives({ policy, sales }).lines;
const check = checkPayouts({ policy, sales, payouts: lines.map(({ sale_id, period, party, rule, amount }) => ({ sale_id: sale_id ?? undefined, period, party, rule, amount })) });
if (!check.agrees || check.differences.length !== 0) throw new Error("check");
// A reason is a union type: comparing it with a misspelt code does not compile.
const reasons: ("wrong_amount" | "not_claimed" | "claimed_twice" | "wrong_period" | "wrong_rule" | "no_such_sale" | "no_such_party" | "no_such_rule" | "not_due")[] =
  check.differences.map((d) => d.reason);

const result = attributeColumns("linear", {
  channels: [{ channel: "web", group: "online" }, { channel: "store", group: "offline" }], currency: "EUR",
  offsets: Uint32Array.of(0, 2), channel: Uint16Array.of(0, 1), timestamp: BigInt64Array.of(0n, 3600n),
  conversions: Uint32Array.of(1), valueMinor: BigInt64Array.of(9000n),
});
if (result.channels.map((c) => c.value).join() !== "45.00,45.00") throw new Error("attribution");

// a table as an export gives it: text ids, ms timestamps, the outcome on the last touch only
const exported = [
  { user: "u1", ts: 1767225600000, source: "web", purchase: null, revenue: null },
  { user: "u1", ts: 1767229200000, source: "store", purchase: true, revenue: 90.0 },
];
const byModel = attributeTable(["first_touch", "linear"], exported, {
  channels: [{ channel: "web", group: "online" }, { channel: "store", group: "offline" }], currency: "EUR",
  columns: { journey_id: "user", timestamp: "ts", channel: "source", conversions: "purchase", value: "revenue" },
  outcome: "last_touch", timestampUnit: "ms", moneyFromFloat: "round_half_even",
});
if (byModel.linear.channels.map((c) => c.value).join() !== "45.00,45.00") throw new Error("table");

try {
  moneyAllocate({ amount: "1.00", currency: "XXX", parties: [{ party: "web", weight: "1" }] });
} catch (e) {
  if (!(e instanceof OmniKpiError)) throw e;
  const code: string = e.code; // narrowed: OmniKpiError carries code and path
  if (code !== "unknown_currency" || e.path !== "input.currency") throw new Error(code);
}
// A KPI pack: the same KPIs by brand, computed on the organization's own files.
const pack = new Pack({
  format: "omnikpi.pack/1", id: "demo", version: "1", name: { en: "Demo", fr: "Démo" }, languages: ["en", "fr"],
  currency: "EUR", dimensions: [{ name: "brand", label: { en: "Brand", fr: "Enseigne" } }],
  tables: { orders: { file: "orders.csv", columns: { amount: "net" } } },
  kpis: [{ key: "basket", kpi: "basket.average", version: "^1.1", by: ["brand"], label: { en: "Basket", fr: "Panier" }, inputs: { orders: "orders" } }],
});
const packReport = pack.report({ "orders.csv": "channel,net,brand\nweb,10.00,A\nweb,20.00,B\n" });
const basket = packReport.section("basket");
if (JSON.stringify(basket.result?.segments) === undefined || !packReport.html("fr").includes("Panier")) throw new Error("pack");
const firstCsv: string = packReport.csvTables()[0][1];
if (!firstCsv.startsWith("scope,brand,channel")) throw new Error(firstCsv);
console.log("usage.mts ok");
