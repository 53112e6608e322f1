// The same package from CommonJS TypeScript (`require` resolution, index.d.cts).
import omnikpi = require("omnikpi");

const rate = omnikpi.conversionRate({ rows: [{ channel: "web", opportunities: 8, conversions: 1 }] });
const value: string | null = rate.overall.rate;
if (value !== "0.125000") throw new Error(`rate ${value}`);
try {
  omnikpi.moneyAllocate({ amount: "1.001", currency: "EUR", parties: [{ party: "web", weight: "1" }] });
  throw new Error("expected an error");
} catch (e) {
  if (!(e instanceof omnikpi.OmniKpiError) || e.code !== "invalid_money_scale") throw e;
}
console.log("usage.cts ok");
