// TypeScript declarations of the omnikpi npm package (hand-written; keys are snake_case like the
// spec's vectors, decimals are strings, counts are numbers).

/** A decimal as a fixed-point string, e.g. "12.30". Never a JS number for money. */
export type DecimalString = string;
/** Unix seconds, or an RFC 3339 string such as "2026-03-01T10:15:00Z". */
export type Timestamp = number | string;
export type Reason = "zero_denominator" | null;

export declare class OmniKpiError extends Error {
  readonly name: "OmniKpiError";
  /** Stable code from spec/errors.json, e.g. "wrong_type". */
  readonly code: string;
  /** The offending field or row, e.g. "input.orders[3].amount"; null when not tied to one. */
  readonly path: string | null;
}

export interface Rows { read: number; used: number; rejected: number }

export interface ChannelCount { channel: string; opportunities: number; conversions: number }
export interface ConversionLine { conversions: number; opportunities: number; rate: DecimalString | null; reason: Reason }
export interface ConversionRateInput { rows: ChannelCount[] }
export interface ConversionRateParams { denominator?: "journeys" | "sessions" | "visitors" | "leads" }
export interface ConversionRateResult {
  denominator: string; overall: ConversionLine; by_channel: (ConversionLine & { channel: string })[]; rows: Rows;
}

export interface FunnelEvent { entity: string; event: string; timestamp: Timestamp }
export interface FunnelInput { steps: string[]; events: FunnelEvent[] }
export interface FunnelParams { window_seconds?: number }
export interface FunnelStep {
  step: string; entities: number; from_previous: DecimalString | null; from_first: DecimalString | null;
  drop_off: number; reason: Reason;
}
export interface FunnelResult { steps: FunnelStep[]; rows: Rows }

export interface BaseEvent { entity: string; timestamp: Timestamp; group?: string }
export interface ConversionEvent { entity: string; timestamp: Timestamp }
export interface WindowedInput { base_events: BaseEvent[]; conversion_events: ConversionEvent[] }
export interface WindowedParams { window_seconds?: number; grain?: "second" | "day" }
export interface WindowedLine { conversions: number; base_events: number; rate: DecimalString | null; reason: Reason }
export interface WindowedResult {
  overall: WindowedLine & { unmatched_conversions: number }; by_group: (WindowedLine & { group: string })[]; rows: Rows;
}

export interface Channel { channel: string; group: "online" | "offline"; direct?: boolean }
export interface ChannelEvent { customer: string; channel: string; timestamp: Timestamp }
export interface CrossChannelInput { channels: Channel[]; touches: ChannelEvent[]; conversions: ChannelEvent[] }
export interface CrossChannelParams { lookback_seconds?: number }
export interface CrossChannelDirection {
  assisted: number; conversions: number; rate: DecimalString | null; reason: Reason;
  by_channel: { channel: string; assisted: number }[];
}
export interface CrossChannelResult { online_to_offline: CrossChannelDirection; offline_to_online: CrossChannelDirection; rows: Rows }

export interface MoneyParams { minor_units?: number }
export interface Order { channel: string; amount: DecimalString; currency?: string }
export interface BasketAverageInput { currency: string; orders: Order[] }
export interface Basket { orders: number; revenue: DecimalString; average: DecimalString | null; reason: Reason }
export interface BasketAverageResult { currency: string; overall: Basket; by_channel: (Basket & { channel: string })[]; rows: Rows }

export interface UpliftInput { currency: string; channels: Channel[]; orders: (Order & { customer: string })[] }
export interface UpliftParams extends MoneyParams { reference?: "offline_only" | "online_only" | "single_channel" }
export interface UpliftResult {
  currency: string;
  segments: (Basket & { segment: "multichannel" | "offline_only" | "online_only"; customers: number })[];
  reference: string; uplift: DecimalString | null; reason: "empty_segment" | "zero_denominator" | null; rows: Rows;
}

export interface Pickup { pickup_id: string; store: string; extra_amount: DecimalString; currency?: string }
export interface AttachRateInput { currency: string; pickups: Pickup[] }
export interface Attach {
  with_extra: number; pickups: number; rate: DecimalString | null; reason: Reason;
  extra_revenue: DecimalString; average_extra: DecimalString | null;
}
export interface AttachRateResult { currency: string; overall: Attach; by_store: (Attach & { store: string })[]; rows: Rows }

export interface AllocateInput { amount: DecimalString; currency: string; parties: { party: string; weight: DecimalString }[] }
export interface AllocationResult {
  currency: string; amount: DecimalString; method: "largest_remainder";
  parts: { party: string; weight: DecimalString; amount: DecimalString; extra_unit: boolean }[]; rows: Rows;
}

/** A KPI definition from spec/kpis (see the handbook for every field). */
export interface Definition {
  id: string; version: string; family: string;
  title: Record<string, string>; summary: Record<string, string>; formula: Record<string, string>;
  parameters: { name: string; type: string; default?: unknown; enum?: string[]; description: Record<string, string> }[];
  [field: string]: unknown;
}
export interface Report {
  dataset: string;
  sections: { kpi: string; version: string; title: string; result: Record<string, unknown> }[];
}

export declare function evaluate(kpiId: string, input: unknown, params?: Record<string, unknown> | null): Record<string, unknown>;
/** Localized definition: every text is a string in the requested language. */
export interface LocalizedDefinition {
  id: string; version: string; family: string; lang: string;
  title: string; summary: string; formula: string; example: string;
  [field: string]: unknown;
}
export declare function catalog(): Definition[];
export declare function catalog(options: { lang: string }): LocalizedDefinition[];
export declare function reportFiles(files: Record<string, string>): Report;
/** The file names a dataset folder may hold (`reportFiles` reads the ones present). */
export declare function datasetFiles(): string[];
/** Every error code with its family: `[code, family]`. */
export declare function errorCodes(): [string, string][];
/**
 * Reads JSON text by omnikpi's rules (duplicate keys, lone surrogates and nesting deeper than 128
 * are errors); integers beyond 2^53 - 1 come back as exact BigInts. Errors are located under
 * `what` (default "text").
 */
export declare function parseJson(text: string, what?: string): unknown;
export declare function conversionRate(input: ConversionRateInput, params?: ConversionRateParams): ConversionRateResult;
export declare function conversionFunnel(input: FunnelInput, params?: FunnelParams): FunnelResult;
export declare function conversionWindowed(input: WindowedInput, params?: WindowedParams): WindowedResult;
export declare function conversionCrossChannel(input: CrossChannelInput, params?: CrossChannelParams): CrossChannelResult;
export declare function basketAverage(input: BasketAverageInput, params?: MoneyParams): BasketAverageResult;
export declare function basketMultichannelUplift(input: UpliftInput, params?: UpliftParams): UpliftResult;
export declare function pickupAttachRate(input: AttachRateInput, params?: MoneyParams): AttachRateResult;
export declare function moneyAllocate(input: AllocateInput, params?: MoneyParams): AllocationResult;
/** Node only: computes every KPI on a dataset folder, as `omnikpi report <dir>` does. */
export declare function report(dir: string): Report;
/** Browser only: loads the wasm module; call once before anything else. */
export declare function init(source?: string | URL | Response | BufferSource): Promise<unknown>;

/** Journeys for attribution; decimals are strings, timestamps Unix seconds or RFC 3339. */
export interface AttributionInput {
  channels: Channel[];
  currency: string;
  journeys: {
    journey_id?: string;
    touches: { channel: string; timestamp: Timestamp; lead?: boolean }[];
    conversions: number;
    value?: DecimalString;
    currency?: string;
    conversion_timestamp?: Timestamp;
  }[];
}
export interface AttributionParams {
  lookback_seconds?: number; minor_units?: number; half_life_seconds?: number;
  first_weight?: DecimalString; lead_weight?: DecimalString; last_weight?: DecimalString;
  order?: number; collapse_repeats?: boolean; max_states?: number; max_channels?: number;
  /** Most touches a journey may have (default 10,000); longer ones are refused with limit_exceeded. */
  max_touches?: number;
}
export interface AttributionResult {
  model: string; currency: string;
  channels: { channel: string; conversions: DecimalString; value: DecimalString; share: DecimalString | null }[];
  totals: { conversions: DecimalString; value: DecimalString };
  journeys: { read: number; converting: number; unattributed: number };
  /** Markov only. */
  order?: number; conversion_probability?: DecimalString;
  removal_effects?: { channel: string; removal_effect: DecimalString }[];
  transition_matrix?: { from: string; to: string; count: number; probability: DecimalString }[];
  /** Ordered Shapley only. */
  by_position?: { channel: string; position: number; conversions: DecimalString }[];
  rows: Rows;
}
export type AttributionModel =
  | "first_touch" | "last_touch" | "last_non_direct" | "linear" | "time_decay" | "position_based"
  | "w_shaped" | "markov" | "shapley" | "shapley.ordered" | "shapley.rate";
export declare function attribute(model: AttributionModel, input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionFirstTouch(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionLastTouch(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionLastNonDirect(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionLinear(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionTimeDecay(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionPositionBased(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionWShaped(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionMarkov(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionShapley(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionShapleyOrdered(input: AttributionInput, params?: AttributionParams): AttributionResult;
export declare function attributionShapleyRate(input: AttributionInput, params?: AttributionParams): AttributionResult;

/** Columns for attributeColumns: one entry per touch, or per journey, in typed arrays. */
export interface AttributionColumns {
  channels: Channel[];
  currency: string;
  /** Touch ranges: journey j has touches offsets[j]..offsets[j+1]; length journeys + 1, starts at 0. */
  offsets: Uint32Array;
  /** Channel id of each touch: its index in `channels` (Int32Array ids must be 0 to 65535). */
  channel: Uint16Array | Int32Array;
  /** Unix seconds of each touch, chronological within a journey. */
  timestamp: Float64Array | BigInt64Array;
  /** Conversions of each journey. */
  conversions: Uint32Array;
  /** Conversion value of each journey in minor units (whole numbers). */
  valueMinor: Float64Array | BigInt64Array;
  /** Conversion time of each journey in Unix seconds, NaN for none (default: the last touch). */
  conversionTime?: Float64Array;
  /** 1 on the touch that created the lead (W-shaped's middle milestone), 0 elsewhere. */
  lead?: Uint8Array;
  lookbackSeconds?: number;
}
export declare function attributeColumns(model: AttributionModel, columns: AttributionColumns, params?: AttributionParams): AttributionResult;
export declare function attributeColumns(
  models: AttributionModel[], columns: AttributionColumns, params?: Partial<Record<AttributionModel, AttributionParams>>,
): Record<string, AttributionResult>;

export interface ContributionParams { model?: AttributionModel; lookback_seconds?: number }
export interface ContributionShareResult {
  model: string; currency: string; total_value: DecimalString;
  channels: { channel: string; value: DecimalString; share: DecimalString | null; reason: Reason }[]; rows: Rows;
}
export interface RoasLine {
  cost: DecimalString; value: DecimalString; conversions: DecimalString;
  roas: DecimalString | null; roas_reason: "zero_cost" | null; cpa: DecimalString | null; cpa_reason: "zero_conversions" | null;
}
export interface RoasResult { model: string; currency: string; channels: (RoasLine & { channel: string })[]; overall: RoasLine; rows: Rows }
export interface GrowthInput { currency: string; channels: { channel: string; previous: DecimalString; current: DecimalString }[] }
export interface GrowthResult {
  currency: string;
  total: { previous: DecimalString; current: DecimalString; change: DecimalString; growth: DecimalString | null; growth_reason: Reason };
  channels: {
    channel: string; previous: DecimalString; current: DecimalString; change: DecimalString;
    status: "continuing" | "new" | "vanished"; growth: DecimalString | null; growth_reason: "zero_denominator" | "new_channel" | null;
    contribution: DecimalString | null; share_of_change: DecimalString | null; share_reason: Reason;
  }[];
  rows: Rows;
}
export declare function contributionShare(input: AttributionInput, params?: ContributionParams): ContributionShareResult;
export declare function contributionRoas(input: AttributionInput & { costs: { channel: string; cost: DecimalString }[] }, params?: ContributionParams): RoasResult;
export declare function contributionGrowth(input: GrowthInput, params?: MoneyParams): GrowthResult;

// ----------------------------------------------------------------------------- incentives

/** An incentive policy, format "omnikpi.incentive_policy/1" (spec/schema/incentive_policy.schema.json). */
export interface IncentivePolicy {
  format: "omnikpi.incentive_policy/1";
  id: string;
  version: string;
  description?: string;
  currency: string;
  rounding?: "half_even" | "half_away_from_zero" | "toward_zero";
  parties: { id: string; kind: "channel" | "store" | "franchisee" | "staff" | "team"; name?: string; zones?: string[] }[];
  rules: IncentiveRule[];
  tiers?: { id: string; description?: string; parties: string[]; mode: "step" | "flat"; bands: { from: DecimalString; multiplier: DecimalString }[] }[];
  bonuses?: { id: string; description?: string; basis: "total_growth"; percent: DecimalString; parties: string[]; weights?: DecimalString[] }[];
  limits?: { party: string; cap?: DecimalString; floor?: DecimalString }[];
  clawback?: { window_days?: number };
}
export interface IncentiveRule {
  id: string;
  description?: string;
  group?: string;
  priority?: number;
  base?: "amount" | "extra_amount";
  total_percent?: DecimalString;
  when?: {
    origin_channel?: string[]; origin_kind?: string[]; fulfilment_channel?: string[]; fulfilment_kind?: string[];
    click_and_collect?: boolean; category?: string[]; zone?: string[];
    online_touch?: { within_days: number; channels: string[] };
    amount?: { min?: DecimalString; max?: DecimalString };
  };
  shares: IncentiveShare[];
}
export type IncentiveShare = (
  | { party: string }
  | { party_from: "origin_channel" | "fulfilment_channel" | "zone" | "staff" }
  | { attribution: { model: "first_touch" | "last_touch" | "linear" | "time_decay" | "position_based"; params?: AttributionParams; lookback_days: number; channels?: string[]; fallback: string } }
) & ({ percent: DecimalString } | { fixed: DecimalString });
export interface Sale {
  sale_id: string; timestamp: Timestamp; period: string; customer_id?: string;
  origin_channel?: string; fulfilment_channel?: string; click_and_collect?: boolean;
  category?: string; zone?: string; staff?: string; amount: DecimalString; extra_amount?: DecimalString;
  currency?: string; refund_of?: string;
}
export interface CustomerTouch { customer_id: string; timestamp: Timestamp; channel: string }
export interface IncentiveInput { policy: IncentivePolicy; sales: Sale[]; touches?: CustomerTouch[] }
export type LineKind = "sale" | "clawback" | "accelerator" | "cap" | "floor" | "bonus";
export interface PayoutLine {
  sale_id: string | null; period: string; party: string; rule: string; kind: LineKind; amount: DecimalString; explanation: string;
}
export interface PartyPeriod {
  party: string; earned: DecimalString; accelerator: DecimalString; limit: DecimalString; bonus: DecimalString; payable: DecimalString;
}
export interface IncentiveSplit {
  policy: { id: string; version: string };
  currency: string;
  lines: PayoutLine[];
  unpaid: { sale_id: string; reason: "no_rule" | "original_unpaid" | "outside_clawback_window" | "nothing_refunded" }[];
  periods: { period: string; net_sales: DecimalString; growth: DecimalString | null; parties: PartyPeriod[]; total: DecimalString }[];
  parties: { party: string; payable: DecimalString }[];
  total: DecimalString;
  rows: Rows;
}
export interface ClaimedPayout { sale_id?: string; period?: string; party: string; rule?: string; kind?: LineKind; amount: DecimalString; currency?: string; explanation?: string }
export interface PayoutCheck {
  policy: { id: string; version: string };
  currency: string;
  compared: number;
  matching: number;
  differences: {
    sale_id: string | null; period: string | null; party: string; rule: string | null;
    claimed: DecimalString | null; canonical: DecimalString | null; difference: DecimalString;
  }[];
  claimed_total: DecimalString;
  canonical_total: DecimalString;
  rows: Rows;
}
/** The canonical payouts of `sales` under `policy`: per sale and party, then per period. */
export declare function splitIncentives(input: IncentiveInput): IncentiveSplit;
/** Payouts computed elsewhere against the canonical split: every difference, listed. */
export declare function checkPayouts(input: IncentiveInput & { payouts: ClaimedPayout[] }): PayoutCheck;
