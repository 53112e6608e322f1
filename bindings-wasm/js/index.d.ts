// TypeScript declarations of the omnikpi npm package: keys are snake_case like the spec's vectors,
// decimals are strings, counts are numbers. The KPI types and functions between the
// `surfaces` markers are generated from spec/kpis by `omnikpi surfaces`; the rest is written here.

/** A decimal as a fixed-point string, e.g. "12.30": how every result gives decimals and money. */
export type DecimalString = string;
/** A decimal as an input: a fixed-point string ("12.30"), or a whole number (`30`, `30n`), read
 *  exactly. A JS number with a fraction is refused (`wrong_type`): floats never touch money. */
export type DecimalInput = DecimalString | number | bigint;
/** Unix seconds, an RFC 3339 string such as "2026-03-01T10:15:00Z", or a `Date`. */
export type Timestamp = number | string | Date;

export declare class OmniKpiError extends Error {
  readonly name: "OmniKpiError";
  /** Stable code from spec/errors.json, e.g. "wrong_type". */
  readonly code: string;
  /** The offending field or row, e.g. "input.orders[3].amount"; null when not tied to one. */
  readonly path: string | null;
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
  /** `id`: the section's own stable id; `kpi`: the catalogue id it computes, or the family (`attribution`) it compares. */
  sections: { id: string; kpi: string; version: string; title: string; result: Record<string, unknown> }[];
}

export declare function evaluate(kpiId: string, input: unknown, params?: Record<string, unknown> | null): Record<string, unknown>;
/** A result's provenance: the KPI id, definition version, resolved parameters, SHA-256 digests of
 * the input and the result, the pack and FX fingerprints (null without), the omnikpi version, and
 * `certificate`, the SHA-256 of them all. The same input gives the same certificate in every front end. */
export interface Certificate {
  certificate: string; kpi: string; version: string; params: Record<string, unknown>;
  input: string; result: string; pack: string | null; fx: string | null; omnikpi: string;
  /** How a touch table was read (an attribution of a table): columns, outcome, units, dialect. */
  reading?: Record<string, unknown>;
}
/** A typed function's result: its fields, and its certificate as a non-enumerable property. */
export type Certified<T> = T & { readonly certificate: Certificate };
/** The result of `evaluate` and its certificate. */
export declare function certify(kpiId: string, input: unknown, params?: Record<string, unknown> | null): { result: Record<string, unknown>; certificate: Certificate };
/** Recomputes the result a certificate speaks of from `input`; `confirmed` unless a certified
 * field differs (a different omnikpi version alone does not refute a reproduced result). */
export declare function verify(certificate: Certificate, input: unknown): {
  confirmed: boolean; kpi: string;
  checks: { check: "certificate" | "version" | "input" | "result" | "omnikpi"; ok: boolean; certified: unknown; found: string }[];
};
/** The statements of `incentiveStatements` as the CLI writes them: one printable HTML page
 * (a statement per printed page, each ending with `certificate`, the result's own by default)
 * and CSV, in the statements' language. */
export declare function statementFiles(statements: IncentiveStatementsResult, certificate?: Certificate | null): { html: string; csv: string };
/** Localized definition: every text is a string in the requested language. */
export interface LocalizedDefinition {
  id: string; version: string; family: string; lang: string;
  title: string; summary: string; formula: string; example: string;
  [field: string]: unknown;
}
export declare function catalog(): Definition[];
export declare function catalog(options: { lang: string }): LocalizedDefinition[];
/** The report of a dataset's files (`dataset.json` and its CSV tables), each its text or its
 * bytes; bytes must be UTF-8, as for `omnikpi report <dir>`. */
export declare function reportFiles(files: Record<string, string | Uint8Array | ArrayBuffer>): Report;
/** The file names a dataset folder may hold (`reportFiles` reads the ones present). */
export declare function datasetFiles(): string[];
/** An exact decimal string as a reader of `lang` writes it: `-1,234.50` (en), `-1 234,50` (fr). */
export declare function displayAmount(amount: string, lang: string): string;
/** Every error code with its family: `[code, family]`. */
export declare function errorCodes(): [string, string][];
/**
 * Reads JSON text by omnikpi's rules (duplicate keys, lone surrogates and nesting deeper than 128
 * are errors); integers beyond 2^53 - 1 come back as exact BigInts. Errors are located under
 * `what` (default "text").
 */
export declare function parseJson(text: string, what?: string): unknown;
/** Labels per language (`{ en: "Average basket", fr: "Panier moyen" }`). */
export type Labels = Record<string, string>;
/** A KPI of a pack's report: its result and certificate, or a note when its files are absent. */
export interface PackSection {
  key: string; kpi: string; version: string; range: string; label: Labels;
  by?: string[]; params?: Record<string, unknown>;
  result?: Record<string, unknown>; certificate?: Certificate;
  missing?: string[]; note?: Labels;
}
/** One value of a pack KPI across two dimensions: `cells[row][column]`, decimals as strings. */
export interface PackComparison {
  key: string; label: Labels; kpi: string; value?: string;
  rows?: { dimension: string; label: Labels; keys: string[] };
  columns?: { dimension: string; label: Labels; keys: string[] };
  cells?: (string | number | null)[][]; total?: unknown; note?: Labels;
}
/** The report of a KPI pack on an organization's files (the CLI's `report --pack --json`). */
export declare class PackReport {
  pack: {
    id: string; version: string; name: Labels; languages: string[]; currency: string;
    period: string | null; time_zone: string | null; fingerprint: string;
    dimensions: { name: string; label: Labels }[]; channels: Record<string, Labels>;
  };
  sections: PackSection[];
  comparisons: PackComparison[];
  section(key: string): PackSection;
  comparison(key: string): PackComparison;
  /** The self-contained HTML report, labels in `lang` (the pack's first language by default). */
  html(lang?: string): string;
  /** Every flat table as `[name, csvText]`, the bytes `omnikpi report --out` writes. */
  csvTables(): [string, string][];
  /** The same tables as values: each cell as the CSV writes it, each column's kind. */
  tables(): { name: string; columns: string[]; kinds: ("text" | "integer" | "boolean" | "decimal" | "json")[]; rows: string[][] }[];
}
/** The rows a pack's report keeps: each listed dimension's values, and the days from `from` to
 * `to` (YYYY-MM-DD in the pack's time zone, both included); a journey whole, by its latest touch. */
export interface PackFilter {
  dimensions?: Record<string, string[]>;
  from?: string | null;
  to?: string | null;
}
/** The files a pack reports on, by name: a string is a file's text; bytes (a `Uint8Array`, a
 * Node `Buffer`, an `ArrayBuffer`) are read by the core as every front end does: CSV as UTF-8,
 * a workbook's sheets (`.xlsx`, only as bytes). */
export type PackFiles = Record<string, string | Uint8Array | ArrayBuffer>;

/** A KPI pack (spec/schema/pack.schema.json), read and checked whole: an object or JSON text. */
export declare class Pack {
  constructor(pack: Record<string, unknown> | string);
  /** The pack as written. */
  readonly document: Record<string, unknown>;
  /** The files the pack reads. */
  readonly files: string[];
  /** `sha256:…` of the pack, as every section's certificate names it. */
  readonly fingerprint: string;
  /** Node only: the pack in a JSON file. */
  static fromFile(path: string): Pack;
  /** The report on `{fileName: text or bytes}`, or (Node only) on a folder holding the pack's
   * files; with `filter`, on the rows it keeps (a KPI it cannot apply to is left out with a note). */
  report(files: PackFiles | string, options?: { filter?: PackFilter }): PackReport;
  /** Recomputes the section a certificate of this pack's report speaks of, from the files. */
  verify(certificate: Certificate, files: PackFiles | string): {
    confirmed: boolean; kpi: string; section: string;
    checks: { check: "certificate" | "version" | "input" | "result" | "omnikpi" | "pack"; ok: boolean; certified: unknown; found: string }[];
  };
}

export declare function attribute(model: AttributionModel, input: AttributionInput, params?: AttributionParams): AttributionResult;
/** Columns for attributeColumns: one entry per touch, or per journey, in typed arrays. */
export interface AttributionColumns {
  channels: AttributionChannelsRow[];
  currency: string;
  /** Touch ranges: journey j has touches offsets[j]..offsets[j+1]; length journeys + 1, starts at 0. */
  offsets: Uint32Array;
  /** Channel id of each touch: its index in `channels` (Int32Array ids must be 0 to 65535). */
  channel: Uint16Array | Int32Array;
  /** Time of each touch since the Unix epoch in `timestampUnit`s, chronological within a journey. */
  timestamp: Float64Array | BigInt64Array;
  /** Conversions of each journey. */
  conversions: Uint32Array;
  /** Conversion value of each journey in minor units (whole numbers). */
  valueMinor: Float64Array | BigInt64Array;
  /** Conversion time of each journey in `timestampUnit`s, NaN for none (default: the last touch). */
  conversionTime?: Float64Array;
  /** 1 on the touch that created the lead (W-shaped's middle milestone), 0 elsewhere. */
  lead?: Uint8Array;
  lookbackSeconds?: number;
  /** The unit of `timestamp` and `conversionTime` (default "s"); the core floors them to seconds. */
  timestampUnit?: "s" | "ms" | "us" | "ns";
  /** Each journey's id (strings or integers), needed for confidence intervals (`intervals: true`). */
  journeyId?: (string | number)[];
}
export declare function attributeColumns(model: AttributionModel, columns: AttributionColumns, params?: AttributionParams): AttributionResult;
/** Several models in one pass: one result per model given, keyed by its name (a typo does not compile). */
export declare function attributeColumns<M extends AttributionModel>(
  models: readonly M[], columns: AttributionColumns, params?: Partial<Record<M, AttributionParams>>,
): Record<M, AttributionResult>;
/** The roles of a touch table's columns (the fields of a long-format row). */
export type TouchColumnRole = "journey_id" | "timestamp" | "channel" | "conversions" | "value" | "conversion_timestamp";
/** One cell of a touch table. */
export type TouchCell = string | number | bigint | boolean | Date | null | undefined;
/**
 * A long-format touch table: one row object per touch, an object of columns (arrays or
 * typed arrays of equal length), or a CSV file's text (read by the core's CSV reader, as the
 * CLI reads a `.csv`: delimiter, decimal comma and BOM detected from the header).
 */
export type TouchTable =
  | string
  | Record<string, TouchCell>[]
  | Record<string, TouchCell[] | Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | BigInt64Array | BigUint64Array>;
/** How attributeTable reads a table: the same declarations as the CLI's flags and Python's keyword arguments. */
export interface TouchTableOptions {
  /** The channel taxonomy's rows, or a channels CSV's text (`channel,group[,direct]`, read by the core as the CLI reads `--channels`). */
  channels: AttributionChannelsRow[] | string;
  currency: string;
  lookbackSeconds?: number;
  /** Column name by role (default: the role's own name). */
  columns?: Partial<Record<TouchColumnRole, string>>;
  /** Where conversions (counts or booleans) and value sit: on every row (default) or the journey's last touch only. */
  outcome?: "every_row" | "last_touch" | "every-row" | "last-touch";
  /** The unit of integer timestamps; without it they are refused (a unit is never guessed). */
  timestampUnit?: "s" | "ms" | "us" | "ns";
  /** The zone of naive text timestamps ("2026-10-01 10:00:00"): an IANA name, "UTC" or an offset. */
  timezone?: string;
  /** Round float money at the currency's minor unit, half to even; float money is refused without it. */
  moneyFromFloat?: "round_half_even" | "round-half-even";
  /** Dimension columns (a journey's values, the same on each of its rows): each result gains `by` and `segments`, its own fields their consolidated total. */
  by?: string[];
  /** With `period` in `by`: the grain it is derived in from each journey's conversion time (otherwise `period` is a column). */
  period?: "day" | "iso_week" | "month" | "quarter";
  /** The IANA time zone of the derived periods (UTC by default). */
  timeZone?: string;
  /** Give each result its `certificate` (non-enumerable): the journeys as read, sorted by id, with the reading, as the CLI's `attribute --certificate` writes it. */
  certify?: boolean;
}
export declare function attributeTable(model: AttributionModel, table: TouchTable, options: TouchTableOptions, params?: AttributionParams): AttributionResult & { readonly certificate?: Certificate };
/** Several models in one pass: one result per model given, keyed by its name (a typo does not compile). */
export declare function attributeTable<M extends AttributionModel>(
  models: readonly M[], table: TouchTable, options: TouchTableOptions, params?: Partial<Record<M, AttributionParams>>,
): Record<M, AttributionResult & { readonly certificate?: Certificate }>;

// ----------------------------------------------------------------------------- incentives

/** A calendar day, `YYYY-MM-DD`, in the policy's time zone (that of `periods`, or UTC). */
export type PolicyDate = string;
/** A text of a policy for people: one string, or one per language (statements quote it in theirs). */
export type PolicyDescription = string | { en?: string; fr?: string };
/** The days something is in force (both inclusive; open when absent). */
export interface Validity { valid_from?: PolicyDate; valid_to?: PolicyDate }
/**
 * An incentive policy, format "omnikpi.incentive_policy/1" (spec/schema/incentive_policy.schema.json).
 * Where a KPI takes a policy, a list of versions of one policy (a history, each version dated
 * with `valid_from`/`valid_to`, without gap or overlap) is accepted too.
 */
export interface IncentivePolicy extends Validity {
  format: "omnikpi.incentive_policy/1";
  id: string;
  version: string;
  description?: PolicyDescription;
  currency: string;
  rounding?: "half_even" | "half_away_from_zero" | "toward_zero";
  share_rounding?: "pooled" | "per_share";
  periods?: { grain: "day" | "iso_week" | "month" | "quarter"; time_zone?: string };
  vat?: { base: "net" | "gross"; rates?: ({ country?: string; category?: string; rate: DecimalString } & Validity)[] };
  parties: ({ id: string; kind: "channel" | "store" | "franchisee" | "staff" | "team"; name?: string; zones?: string[] } & Validity)[];
  rules: IncentiveRule[];
  tiers?: IncentiveTier[];
  bonuses?: { id: string; description?: PolicyDescription; basis: "total_growth"; percent: DecimalString; parties: string[]; weights?: DecimalString[] }[];
  limits?: { party: string; cap?: DecimalString; floor?: DecimalString; clawbacks: "absorbed" | "deducted" }[];
  clawback?: { window_days?: number };
  negative_balance?: "owed" | "carried_forward";
}
/** An accelerator: multipliers by bands of a party's period earnings, or of its attainment of a quota (bands in percent). */
export type IncentiveTier = { id: string; description?: PolicyDescription; parties: string[]; mode: "step" | "flat"; bands: { from: DecimalString; multiplier: DecimalString }[] } & (
  | { basis?: "earnings" }
  | { basis: "attainment"; quotas: Record<string, DecimalString>; window?: "period" | "quarter" | "year_to_date" }
);
export interface IncentiveRule extends Validity {
  id: string;
  description?: PolicyDescription;
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
// surfaces:begin (generated by `omnikpi surfaces` from spec/kpis: do not edit)
/** A row of `rows`. */
export interface ConversionRateRowsRow {
  channel: string;
  opportunities: number | bigint;
  conversions: number | bigint;
}
export interface ConversionRateInput {
  /** One row per observation; rows of the same channel are summed. */
  rows: ConversionRateRowsRow[];
}
export interface ConversionRateParams {
  /** What the opportunities count; reported with the result so a rate is never read without its denominator. */
  denominator?: "journeys" | "sessions" | "visitors" | "leads" | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `rows`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (-) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface ConversionRateResult {
  /** The denominator named by the parameter. */
  denominator: string;
  /** conversions, opportunities, rate, reason over all rows. */
  overall: {
    conversions: number;
    opportunities: number;
    rate: DecimalString | null;
    reason: string | null;
  };
  /** The same per channel, in order of first appearance; for rows without an order (partial states merged without order: SQL), in order of channel name (byte order). */
  by_channel: {
    channel: string;
    conversions: number;
    opportunities: number;
    rate: DecimalString | null;
    reason: string | null;
  }[];
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `events`. */
export interface FunnelEventsRow {
  entity: string;
  event: string;
  timestamp: Timestamp;
}
export interface FunnelInput {
  /** Step names in order; unique. */
  steps: string[];
  /** Events of every entity. */
  events: FunnelEventsRow[];
}
export interface FunnelParams {
  /** Longest time from the step-1 event to the last step reached; absent means unbounded. Inclusive. */
  window_seconds?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `events`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (`events`: `timestamp`) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface FunnelResult {
  /** Per step: step, entities, from_previous, from_first, drop_off, reason. */
  steps: {
    step: string;
    entities: number;
    from_previous: DecimalString | null;
    from_first: DecimalString | null;
    drop_off: number;
    reason: string | null;
  }[];
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `base_events`. */
export interface WindowedBaseEventsRow {
  entity: string;
  timestamp: Timestamp;
  group?: string;
}
/** A row of `conversion_events`. */
export interface WindowedConversionEventsRow {
  entity: string;
  timestamp: Timestamp;
}
export interface WindowedInput {
  /** Base events (e.g. visits). */
  base_events: WindowedBaseEventsRow[];
  /** Conversion events (e.g. purchases). */
  conversion_events: WindowedConversionEventsRow[];
}
export interface WindowedParams {
  /** Window length; absent means unbounded (MetricFlow's infinite window). */
  window_seconds?: number | bigint | null;
  /** Grain of the comparison; `day` truncates both timestamps to the UTC day, so a 7-day window admits 0 to 6 days. */
  grain?: "second" | "day" | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `base_events`, `conversion_events`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (`base_events`: `timestamp`; `conversion_events`: `timestamp`) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface WindowedResult {
  /** conversions, base_events, rate, reason, unmatched_conversions. */
  overall: {
    conversions: number;
    base_events: number;
    rate: DecimalString | null;
    reason: string | null;
    unmatched_conversions: number;
  };
  /** Per base-event group, in order of first appearance. */
  by_group: {
    group: string;
    conversions: number;
    base_events: number;
    rate: DecimalString | null;
    reason: string | null;
  }[];
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `channels`. */
export interface CrossChannelChannelsRow {
  channel: string;
  group: string;
  direct?: boolean;
}
/** A row of `touches`. */
export interface CrossChannelTouchesRow {
  customer: string;
  channel: string;
  timestamp: Timestamp;
}
/** A row of `conversions`. */
export interface CrossChannelConversionsRow {
  customer: string;
  channel: string;
  timestamp: Timestamp;
}
export interface CrossChannelInput {
  /** The channel taxonomy: one entry per channel. */
  channels: CrossChannelChannelsRow[];
  /** Customer touches. */
  touches: CrossChannelTouchesRow[];
  /** Conversions (orders). */
  conversions: CrossChannelConversionsRow[];
}
export interface CrossChannelParams {
  /** Lookback window before each conversion; default 7 days. */
  lookback_seconds?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `touches`, `conversions`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (`touches`: `timestamp`; `conversions`: `timestamp`) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface CrossChannelResult {
  /** assisted, conversions, rate, reason, by_channel (online assisting channels). */
  online_to_offline: {
    assisted: number;
    conversions: number;
    rate: DecimalString | null;
    reason: string | null;
    by_channel: {
      channel: string;
      assisted: number;
    }[];
  };
  /** The reverse: online conversions preceded by an offline touch. */
  offline_to_online: {
    assisted: number;
    conversions: number;
    rate: DecimalString | null;
    reason: string | null;
    by_channel: {
      channel: string;
      assisted: number;
    }[];
  };
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `rows`. */
export interface ConversionLiftRowsRow {
  arm: string;
  opportunities: number | bigint;
  conversions: number | bigint;
}
export interface ConversionLiftInput {
  /** Counts per arm; several rows of one arm are summed. */
  rows: ConversionLiftRowsRow[];
}
export interface ConversionLiftParams {
  /** Dimension names (brand, country, store...): fields carried by each record of `rows`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (-) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface ConversionLiftResult {
  /** Conversions, opportunities and rate of the treatment group. */
  treatment: {
    conversions: number;
    opportunities: number;
    rate: DecimalString | null;
    reason: string | null;
  };
  /** Conversions, opportunities and rate of the control group. */
  control: {
    conversions: number;
    opportunities: number;
    rate: DecimalString | null;
    reason: string | null;
  };
  /** rate_t − rate_c: value, numerator, denominator, and the reason when there is no value (`no_control`, `no_treatment`). */
  absolute_lift: {
    value: DecimalString | null;
    numerator: DecimalString;
    denominator: DecimalString;
    reason: string | null;
  };
  /** (rate_t − rate_c) / rate_c; no value with `no_control`, `no_treatment` or `zero_control_rate`. */
  relative_lift: {
    value: DecimalString | null;
    numerator: DecimalString;
    denominator: DecimalString;
    reason: string | null;
  };
  /** Conversions of the treatment beyond what the control's rate predicts; no value with `no_control`. */
  incremental_conversions: {
    value: DecimalString | null;
    numerator: DecimalString;
    denominator: DecimalString;
    reason: string | null;
  };
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `orders`. */
export interface BasketAverageOrdersRow {
  channel: string;
  amount: DecimalInput;
  currency?: string;
}
export interface BasketAverageInput {
  /** ISO 4217 code of every amount; an order may repeat it, and must then match. */
  currency: string;
  /** Orders. */
  orders: BasketAverageOrdersRow[];
  /** A dated FX table: `id`; `currency`, the reporting currency (the input's); `rate_at`: `fixed` (one rate per currency: a budget or closing rate), `date` (the rate whose `valid_from` date is the latest on or before the record's date, in `time_zone`) or `period` (the rate of the record's period of `grain`, month by default, from its time or, for records without one, its `period` field, which is then taken out of a record whose KPI does not read `period`: a period average); `rounding`: `half_even` or `half_up`; `rates`: `{currency, rate}` with `valid_from` (YYYY-MM-DD) or `period` as `rate_at` requires, `rate` the reporting currency's units for one unit of `currency`, exact decimal text. */
  fx?: Record<string, unknown>;
}
export interface BasketAverageParams {
  /** Overrides the ISO 4217 minor units of the currency (for internal units such as loyalty points). */
  minor_units?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `orders`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (-) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface BasketAverageResult {
  /** ISO code. */
  currency: string;
  /** orders, revenue, average, reason. */
  overall: {
    orders: number;
    revenue: DecimalString;
    average: DecimalString | null;
    reason: string | null;
  };
  /** Per channel, in order of first appearance. */
  by_channel: {
    channel: string;
    orders: number;
    revenue: DecimalString;
    average: DecimalString | null;
    reason: string | null;
  }[];
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
  /** With an FX table: its `id`, its `rate_at`, and how many records were `converted`. Absent without a table. */
  fx?: {
    table: string;
    rate_at: string;
    converted: number;
  };
}

/** A row of `channels`. */
export interface MultichannelUpliftChannelsRow {
  channel: string;
  group: string;
  direct?: boolean;
}
/** A row of `orders`. */
export interface MultichannelUpliftOrdersRow {
  customer: string;
  channel: string;
  amount: DecimalInput;
  currency?: string;
}
export interface MultichannelUpliftInput {
  /** ISO 4217 code of every amount; an order may repeat it, and must then match. */
  currency: string;
  /** The channel taxonomy: one entry per channel. */
  channels: MultichannelUpliftChannelsRow[];
  /** Orders. */
  orders: MultichannelUpliftOrdersRow[];
  /** A dated FX table: `id`; `currency`, the reporting currency (the input's); `rate_at`: `fixed` (one rate per currency: a budget or closing rate), `date` (the rate whose `valid_from` date is the latest on or before the record's date, in `time_zone`) or `period` (the rate of the record's period of `grain`, month by default, from its time or, for records without one, its `period` field, which is then taken out of a record whose KPI does not read `period`: a period average); `rounding`: `half_even` or `half_up`; `rates`: `{currency, rate}` with `valid_from` (YYYY-MM-DD) or `period` as `rate_at` requires, `rate` the reporting currency's units for one unit of `currency`, exact decimal text. */
  fx?: Record<string, unknown>;
}
export interface MultichannelUpliftParams {
  /** The segment multichannel customers are compared with; single_channel pools both single-channel segments. */
  reference?: "offline_only" | "online_only" | "single_channel" | null;
  /** Overrides the ISO 4217 minor units of the currency (for internal units such as loyalty points). */
  minor_units?: number | bigint | null;
}
export interface MultichannelUpliftResult {
  /** ISO 4217 code of every amount. */
  currency: string;
  /** Per segment: customers, orders, revenue, average, reason. */
  segments: {
    segment: string;
    customers: number;
    orders: number;
    revenue: DecimalString;
    average: DecimalString | null;
    reason: string | null;
  }[];
  /** The reference segment. */
  reference: string;
  /** Relative uplift; null with a reason when undefined. */
  uplift: DecimalString | null;
  /** `empty_segment` or `zero_denominator` when uplift is null. */
  reason: string | null;
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** With an FX table: its `id`, its `rate_at`, and how many records were `converted`. Absent without a table. */
  fx?: {
    table: string;
    rate_at: string;
    converted: number;
  };
}

/** A row of `pickups`. */
export interface AttachRatePickupsRow {
  pickup_id: string;
  store: string;
  extra_amount: DecimalInput;
  currency?: string;
}
export interface AttachRateInput {
  /** ISO 4217 code of every amount; an order may repeat it, and must then match. */
  currency: string;
  /** Pickups. */
  pickups: AttachRatePickupsRow[];
  /** A dated FX table: `id`; `currency`, the reporting currency (the input's); `rate_at`: `fixed` (one rate per currency: a budget or closing rate), `date` (the rate whose `valid_from` date is the latest on or before the record's date, in `time_zone`) or `period` (the rate of the record's period of `grain`, month by default, from its time or, for records without one, its `period` field, which is then taken out of a record whose KPI does not read `period`: a period average); `rounding`: `half_even` or `half_up`; `rates`: `{currency, rate}` with `valid_from` (YYYY-MM-DD) or `period` as `rate_at` requires, `rate` the reporting currency's units for one unit of `currency`, exact decimal text. */
  fx?: Record<string, unknown>;
}
export interface AttachRateParams {
  /** Overrides the ISO 4217 minor units of the currency (for internal units such as loyalty points). */
  minor_units?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `pickups`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (-) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface AttachRateResult {
  /** ISO 4217 code of every amount. */
  currency: string;
  /** with_extra, pickups, rate, reason, extra_revenue, average_extra. */
  overall: {
    with_extra: number;
    pickups: number;
    rate: DecimalString | null;
    reason: string | null;
    extra_revenue: DecimalString;
    average_extra: DecimalString | null;
  };
  /** Per store, in order of first appearance. */
  by_store: {
    store: string;
    with_extra: number;
    pickups: number;
    rate: DecimalString | null;
    reason: string | null;
    extra_revenue: DecimalString;
    average_extra: DecimalString | null;
  }[];
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
  /** With an FX table: its `id`, its `rate_at`, and how many records were `converted`. Absent without a table. */
  fx?: {
    table: string;
    rate_at: string;
    converted: number;
  };
}

/** A row of `parties`. */
export interface AllocationPartiesRow {
  party: string;
  weight: DecimalInput;
}
export interface AllocationInput {
  /** Amount to split; negative for a refund or clawback. */
  amount: DecimalInput;
  /** ISO 4217 code of every amount; an order may repeat it, and must then match. */
  currency: string;
  /** Parties in declared order: a list of {party, weight}, or an object whose keys are the parties and values their weights, in its order. */
  parties: AllocationPartiesRow[] | Record<string, DecimalInput>;
}
export interface AllocationParams {
  /** Overrides the ISO 4217 minor units of the currency (for internal units such as loyalty points). */
  minor_units?: number | bigint | null;
}
export interface AllocationResult {
  /** ISO 4217 code of every amount. */
  currency: string;
  /** The amount split, at the minor unit. */
  amount: DecimalString;
  /** `largest_remainder`. */
  method: string;
  /** Per party: party, weight, amount, extra_unit (received a leftover unit). */
  parts: {
    party: string;
    weight: DecimalString;
    amount: DecimalString;
    extra_unit: boolean;
  }[];
  /** Read, used and rejected input rows; read = used + rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
}

/** A row of `channels`. */
export interface AttributionChannelsRow {
  channel: string;
  group: string;
  direct?: boolean;
}
/** A row of `touches`. */
export interface AttributionJourneysTouchesRow {
  channel: string;
  timestamp: Timestamp;
  lead?: boolean;
}
/** A row of `journeys`. */
export interface AttributionJourneysRow {
  journey_id?: string;
  touches: AttributionJourneysTouchesRow[];
  conversions: number | bigint;
  value?: DecimalInput;
  currency?: string;
  conversion_timestamp?: Timestamp;
}
export interface AttributionInput {
  /** The channel taxonomy: one entry per channel; `direct` marks direct channels. */
  channels: AttributionChannelsRow[];
  /** ISO 4217 code of every value. */
  currency: string;
  /** Journeys, converting or not. */
  journeys: AttributionJourneysRow[];
  /** A dated FX table: `id`; `currency`, the reporting currency (the input's); `rate_at`: `fixed` (one rate per currency: a budget or closing rate), `date` (the rate whose `valid_from` date is the latest on or before the record's date, in `time_zone`) or `period` (the rate of the record's period of `grain`, month by default, from its time or, for records without one, its `period` field, which is then taken out of a record whose KPI does not read `period`: a period average); `rounding`: `half_even` or `half_up`; `rates`: `{currency, rate}` with `valid_from` (YYYY-MM-DD) or `period` as `rate_at` requires, `rate` the reporting currency's units for one unit of `currency`, exact decimal text. */
  fx?: Record<string, unknown>;
}
export interface AttributionParams {
  /** Drops touches at or before conversion - lookback; a conversion left without touch is credited to `(none)`. Absent: no window. */
  lookback_seconds?: number | bigint | null;
  /** Overrides the ISO 4217 minor units of the currency. */
  minor_units?: number | bigint | null;
  /** Most touches a journey may have; a longer journey is refused with limit_exceeded, naming it (a resource limit: real journeys have tens of touches). */
  max_touches?: number | bigint | null;
  /** Also report a percentile interval per channel for attributed conversions, value and share, from a Poisson bootstrap over journeys (the handbook's *Confidence intervals* page). Needs a journey_id on every journey. The point estimates do not change. */
  intervals?: boolean | null;
  /** Bootstrap replicates with intervals (each one re-runs the model on re-weighted journeys). */
  replicates?: number | bigint | null;
  /** Confidence level of the intervals: the bounds are the replicates of rank k and R + 1 - k, k = max(1, ceil(R (1 - level) / 2)). */
  confidence?: DecimalInput | null;
  /** Seed of the replicate weights: the same seed, journeys and ids give the same intervals, whatever the order or the partitioning of the journeys. */
  seed?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `journeys`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the KPI runs on each segment's records (so Markov and Shapley on conversion rates fit one model per segment), and the result's own fields are the consolidation of the segments: per channel, the additive measures (conversions, value, cost) are the sums of the segments' (each segment rounded as a result of its own), so they add up exactly; ratios (share, ROAS, CPA) are recomputed from those sums; journeys, totals and rows are those of all records; what only a model reports (removal effects, positions, intervals) stays in each segment. A channel's figure can therefore differ from an unsegmented run's in the last decimal place (by at most half a unit per segment): rounded figures cannot in general add up both across channels and across segments to an independently rounded whole. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (`journeys`: `conversion_timestamp` | `touches/-1/timestamp`) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
  /** Half-life; default 7 days. */
  half_life_seconds?: number | bigint | null;
  /** Weight of the first touch. */
  first_weight?: DecimalInput | null;
  /** Weight of the last touch; with first_weight at most 1. */
  last_weight?: DecimalInput | null;
  /** Weight of the lead-creation touch. */
  lead_weight?: DecimalInput | null;
  /** Markov order k. */
  order?: number | bigint | null;
  /** Collapse consecutive repeats of a channel before building states. */
  collapse_repeats?: boolean | null;
  /** Largest number of states the solve accepts; more is limit_exceeded. This bounds its memory: about 250 bytes per state and 130 per observed transition (a state has at most one transition per channel): the default allows about 0.3 GiB plus the transitions, typically a few per state. */
  max_states?: number | bigint | null;
  /** Report every observed transition in `transition_matrix` (false leaves it empty: at order 3 or 4 on real data it has millions of rows). */
  transition_matrix?: boolean | null;
  /** Largest converting channel set the exact enumeration accepts (2^n subsets); more is an error. */
  max_channels?: number | bigint | null;
}
export interface AttributionResult {
  /** The model's short name, such as `linear` (the name a comparison keys it by; the KPI id is `attribution.` and the name). */
  model: string;
  /** ISO 4217 code of every amount. */
  currency: string;
  /** Per declared channel, then `(none)` when some conversion kept no touch: conversions (6 places) and value (minor unit), each column summing exactly to the totals by largest remainder; share = conversions / total at 6 places. */
  channels: {
    channel: string;
    conversions: DecimalString;
    value: DecimalString;
    share: DecimalString | null;
  }[];
  /** Total conversions and value of the converting journeys. */
  totals: {
    conversions: DecimalString;
    value: DecimalString;
  };
  /** Journeys read, converting, not converting (no conversion: read and used, earning no credit under a rule-based model), and unattributed (converting, no touch left in the window). */
  journeys: {
    read: number;
    converting: number;
    not_converting: number;
    unattributed: number;
  };
  /** With intervals: the method (`poisson_bootstrap`), replicates, confidence and seed, and per channel of `channels` (same order) the lower and upper bounds of conversions (6 places), value (minor unit) and share (6 places; null when some replicate has no conversion). Absent without intervals. */
  intervals?: {
    method: string;
    replicates: number;
    confidence: DecimalString;
    seed: number;
    channels: {
      channel: string;
      conversions_low: DecimalString;
      conversions_high: DecimalString;
      value_low: DecimalString;
      value_high: DecimalString;
      share_low: DecimalString | null;
      share_high: DecimalString | null;
    }[];
  };
  /** Journeys read, used by the model (every journey read, converting or not) and rejected (none: a malformed journey is an error). */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
  /** With an FX table: its `id`, its `rate_at`, and how many records were `converted`. Absent without a table. */
  fx?: {
    table: string;
    rate_at: string;
    converted: number;
  };
  /** The order of the chain used. Absent from a result with `by`, whose segments each carry their own. */
  order?: number;
  /** States of the chain, START included (what max_states bounds). Absent from a result with `by`, whose segments each carry their own. */
  states?: number;
  /** P(CONVERSION) from START. Absent from a result with `by`, whose segments each carry their own. */
  conversion_probability?: DecimalString;
  /** Removal effect per channel (6 places, half to even). Absent from a result with `by`, whose segments each carry their own. */
  removal_effects?: {
    channel: string;
    removal_effect: DecimalString;
  }[];
  /** Every observed transition: from, to, count, probability. Absent from a result with `by`, whose segments each carry their own. */
  transition_matrix?: {
    from: string;
    to: string;
    count: number;
    probability: DecimalString;
  }[];
  /** Conversions per channel and 1-based position, summing exactly to the attributed conversions. Absent from a result with `by`, whose segments each carry their own. */
  by_position?: {
    channel: string;
    position: number;
    conversions: DecimalString;
  }[];
}

/** A row of `channels`. */
export interface MarkovOrderChannelsRow {
  channel: string;
  group: string;
  direct?: boolean;
}
/** A row of `touches`. */
export interface MarkovOrderJourneysTouchesRow {
  channel: string;
  timestamp: Timestamp;
  lead?: boolean;
}
/** A row of `journeys`. */
export interface MarkovOrderJourneysRow {
  journey_id: string;
  touches: MarkovOrderJourneysTouchesRow[];
  conversions: number | bigint;
  value?: DecimalInput;
  currency?: string;
  conversion_timestamp?: Timestamp;
}
export interface MarkovOrderInput {
  /** The channel taxonomy: one entry per channel; `direct` marks direct channels. */
  channels: MarkovOrderChannelsRow[];
  /** ISO 4217 code of every value. */
  currency: string;
  /** Journeys, converting or not. */
  journeys: MarkovOrderJourneysRow[];
}
export interface MarkovOrderParams {
  /** Orders 1 to max_order are compared. */
  max_order?: number | bigint | null;
  /** Number of cross-validation folds. */
  folds?: number | bigint | null;
  /** Collapse consecutive repeats of a channel before building states. */
  collapse_repeats?: boolean | null;
  /** Largest number of chain states an order may have; more is limit_exceeded. */
  max_states?: number | bigint | null;
  /** Most touches a journey may have; a longer journey is refused with limit_exceeded, naming it (a resource limit: real journeys have tens of touches). */
  max_touches?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `journeys`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (`journeys`: `conversion_timestamp` | `touches/-1/timestamp`) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface MarkovOrderResult {
  /** Per order, from 1: the chain's states on all journeys (as attribution.markov counts them), the held-out log-likelihood and the cross-entropy per event (6 places, half to even). */
  orders: {
    order: number;
    states: number;
    log_likelihood: DecimalString;
    cross_entropy: DecimalString;
  }[];
  /** The order with the largest held-out log-likelihood. */
  recommended_order: number;
  /** Weighted events predicted (each journey is held out once, so every order predicts the same events). */
  events: number;
  /** The number of folds used. */
  folds: number;
  /** Journeys read and converting. */
  journeys: {
    read: number;
    converting: number;
  };
  /** Journeys read, used (all: every journey is held out once), rejected (none). */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `channels`. */
export interface ContributionShareChannelsRow {
  channel: string;
  group: string;
  direct?: boolean;
}
/** A row of `touches`. */
export interface ContributionShareJourneysTouchesRow {
  channel: string;
  timestamp: Timestamp;
  lead?: boolean;
}
/** A row of `journeys`. */
export interface ContributionShareJourneysRow {
  journey_id?: string;
  touches: ContributionShareJourneysTouchesRow[];
  conversions: number | bigint;
  value?: DecimalInput;
  currency?: string;
  conversion_timestamp?: Timestamp;
}
export interface ContributionShareInput {
  /** The channel taxonomy: one entry per channel; `direct` marks direct channels. */
  channels: ContributionShareChannelsRow[];
  /** ISO 4217 code of every value. */
  currency: string;
  /** Journeys, converting or not. */
  journeys: ContributionShareJourneysRow[];
}
export interface ContributionShareParams {
  /** The attribution model (its default parameters) that credits the value. */
  model?: "first_touch" | "last_touch" | "last_non_direct" | "linear" | "time_decay" | "position_based" | "w_shaped" | "markov" | "shapley" | "shapley.ordered" | "shapley.rate" | null;
  /** Drops touches at or before conversion - lookback; a conversion left without touch is credited to `(none)`. Absent: no window. */
  lookback_seconds?: number | bigint | null;
  /** Also report a percentile interval per channel for attributed conversions, value and share, from a Poisson bootstrap over journeys (the handbook's *Confidence intervals* page). Needs a journey_id on every journey. The point estimates do not change. */
  intervals?: boolean | null;
  /** Bootstrap replicates with intervals (each one re-runs the model on re-weighted journeys). */
  replicates?: number | bigint | null;
  /** Confidence level of the intervals: the bounds are the replicates of rank k and R + 1 - k, k = max(1, ceil(R (1 - level) / 2)). */
  confidence?: DecimalInput | null;
  /** Seed of the replicate weights: the same seed, journeys and ids give the same intervals, whatever the order or the partitioning of the journeys. */
  seed?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `journeys`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the KPI runs on each segment's records (so Markov and Shapley on conversion rates fit one model per segment), and the result's own fields are the consolidation of the segments: per channel, the additive measures (conversions, value, cost) are the sums of the segments' (each segment rounded as a result of its own), so they add up exactly; ratios (share, ROAS, CPA) are recomputed from those sums; journeys, totals and rows are those of all records; what only a model reports (removal effects, positions, intervals) stays in each segment. A channel's figure can therefore differ from an unsegmented run's in the last decimal place (by at most half a unit per segment): rounded figures cannot in general add up both across channels and across segments to an independently rounded whole. */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (`journeys`: `conversion_timestamp` | `touches/-1/timestamp`) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface ContributionShareResult {
  /** The model's short name, such as `linear`. */
  model: string;
  /** ISO 4217 code of every amount. */
  currency: string;
  /** Per channel (and `(none)` when some value kept no touch): value (minor unit) and share (6 places, summing exactly to 1). */
  channels: {
    channel: string;
    value: DecimalString;
    share: DecimalString | null;
    reason: string | null;
  }[];
  /** Total conversion value. */
  total_value: DecimalString;
  /** With intervals: per channel of `channels`, the bounds of the attributed value (minor unit) and of its share of the total value (6 places; null when some replicate has no value), from the model's Poisson bootstrap over journeys. Absent without intervals. */
  intervals?: {
    method: string;
    replicates: number;
    confidence: DecimalString;
    seed: number;
    channels: {
      channel: string;
      value_low: DecimalString;
      value_high: DecimalString;
      share_low: DecimalString | null;
      share_high: DecimalString | null;
    }[];
  };
  /** Journeys read, used, rejected, as the attribution model reports them. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `channels`. */
export interface ContributionRoasChannelsRow {
  channel: string;
  group: string;
  direct?: boolean;
}
/** A row of `touches`. */
export interface ContributionRoasJourneysTouchesRow {
  channel: string;
  timestamp: Timestamp;
  lead?: boolean;
}
/** A row of `journeys`. */
export interface ContributionRoasJourneysRow {
  journey_id?: string;
  touches: ContributionRoasJourneysTouchesRow[];
  conversions: number | bigint;
  value?: DecimalInput;
  currency?: string;
  conversion_timestamp?: Timestamp;
}
/** A row of `costs`. */
export interface ContributionRoasCostsRow {
  channel: string;
  cost: DecimalInput;
}
export interface ContributionRoasInput {
  /** The channel taxonomy: one entry per channel; `direct` marks direct channels. */
  channels: ContributionRoasChannelsRow[];
  /** ISO 4217 code of every value. */
  currency: string;
  /** Journeys, converting or not. */
  journeys: ContributionRoasJourneysRow[];
  /** Cost per channel over the same period; channels without a row cost 0. */
  costs: ContributionRoasCostsRow[];
}
export interface ContributionRoasParams {
  /** The attribution model (its default parameters) that credits the value. */
  model?: "first_touch" | "last_touch" | "last_non_direct" | "linear" | "time_decay" | "position_based" | "w_shaped" | "markov" | "shapley" | "shapley.ordered" | "shapley.rate" | null;
  /** Drops touches at or before conversion - lookback; a conversion left without touch is credited to `(none)`. Absent: no window. */
  lookback_seconds?: number | bigint | null;
  /** Also report a percentile interval per channel for attributed conversions, value and share, from a Poisson bootstrap over journeys (the handbook's *Confidence intervals* page). Needs a journey_id on every journey. The point estimates do not change. */
  intervals?: boolean | null;
  /** Bootstrap replicates with intervals (each one re-runs the model on re-weighted journeys). */
  replicates?: number | bigint | null;
  /** Confidence level of the intervals: the bounds are the replicates of rank k and R + 1 - k, k = max(1, ceil(R (1 - level) / 2)). */
  confidence?: DecimalInput | null;
  /** Seed of the replicate weights: the same seed, journeys and ids give the same intervals, whatever the order or the partitioning of the journeys. */
  seed?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `journeys`, `costs`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the KPI runs on each segment's records (so Markov and Shapley on conversion rates fit one model per segment), and the result's own fields are the consolidation of the segments: per channel, the additive measures (conversions, value, cost) are the sums of the segments' (each segment rounded as a result of its own), so they add up exactly; ratios (share, ROAS, CPA) are recomputed from those sums; journeys, totals and rows are those of all records; what only a model reports (removal effects, positions, intervals) stays in each segment. A channel's figure can therefore differ from an unsegmented run's in the last decimal place (by at most half a unit per segment): rounded figures cannot in general add up both across channels and across segments to an independently rounded whole. Costs carry the dimensions of `by` too: a segment's costs are its own, and a channel may have one cost per segment (the whole adds them up; within a segment a channel's cost is still given once). Costs have no time: with a `period` grain, each cost carries `period`, the label of its period (`2026-03`). */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (`journeys`: `conversion_timestamp` | `touches/-1/timestamp`) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface ContributionRoasResult {
  /** The model's short name, such as `linear`. */
  model: string;
  /** ISO 4217 code of every amount. */
  currency: string;
  /** Per channel: cost, value, conversions, roas and cpa with their reasons when undefined. */
  channels: {
    channel: string;
    cost: DecimalString;
    value: DecimalString;
    conversions: DecimalString;
    roas: DecimalString | null;
    roas_reason: string | null;
    cpa: DecimalString | null;
    cpa_reason: string | null;
  }[];
  /** The same over all channels. */
  overall: {
    cost: DecimalString;
    value: DecimalString;
    conversions: DecimalString;
    roas: DecimalString | null;
    roas_reason: string | null;
    cpa: DecimalString | null;
    cpa_reason: string | null;
  };
  /** With intervals: per channel, the bounds of the attributed value (minor unit), of ROAS (value bounds / cost, 6 places) and of CPA (cost / conversion bounds, minor unit; null for a zero cost or bound), from the model's Poisson bootstrap over journeys. Absent without intervals. */
  intervals?: {
    method: string;
    replicates: number;
    confidence: DecimalString;
    seed: number;
    channels: {
      channel: string;
      value_low: DecimalString;
      value_high: DecimalString;
      roas_low: DecimalString | null;
      roas_high: DecimalString | null;
      cpa_low: DecimalString | null;
      cpa_high: DecimalString | null;
    }[];
  };
  /** Journeys read, used, rejected, as the attribution model reports them. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `channels`. */
export interface ContributionGrowthChannelsRow {
  channel: string;
  previous: DecimalInput;
  current: DecimalInput;
}
export interface ContributionGrowthInput {
  /** ISO 4217 code of every amount. */
  currency: string;
  /** One row per channel. */
  channels: ContributionGrowthChannelsRow[];
}
export interface ContributionGrowthParams {
  /** Overrides the ISO 4217 minor units of the currency. */
  minor_units?: number | bigint | null;
  /** Dimension names (brand, country, store...): fields carried by each record of `channels`. The KPI is computed for each combination of their values present in the data (`segments`) and for the whole; absent or empty: no segments. With `by`, the result's own fields are the KPI computed on all the records, exactly as without `by`. Counts and sums of amounts add up exactly over the segments; rates carry their numerator and denominator, so any rollup of segments is exact. A channel may then have one row per segment: the whole adds up its rows' previous and current amounts (within a segment a channel is still given once). */
  by?: readonly string[] | null;
  /** With a grain, `period` in `by` is derived from each record's time (-) in `time_zone`: `2026-03-05`, `2026-W10`, `2026-03` or `2026-Q1`, labels that sort in time order. Without it, `period` is a field like any other dimension. */
  period?: "day" | "iso_week" | "month" | "quarter" | null;
  /** The IANA time zone (such as Europe/Paris) periods start and end in. */
  time_zone?: string | null;
}
export interface ContributionGrowthResult {
  /** ISO 4217 code of every amount. */
  currency: string;
  /** previous, current, change, growth. */
  total: {
    previous: DecimalString;
    current: DecimalString;
    change: DecimalString;
    growth: DecimalString | null;
    growth_reason: string | null;
  };
  /** Per channel: previous, current, change, status (continuing, new, vanished), growth, contribution, share_of_change, with reasons when undefined. */
  channels: {
    channel: string;
    previous: DecimalString;
    current: DecimalString;
    change: DecimalString;
    status: string;
    growth: DecimalString | null;
    growth_reason: string | null;
    contribution: DecimalString | null;
    share_of_change: DecimalString | null;
    share_reason: string | null;
  }[];
  /** Rows read, used, rejected. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** The dimension names of `by`, in the given order. Absent without `by`. */
  by?: string[];
  /** One entry per combination of dimension values present in the records, sorted by its values (in the order of `by`, text compared byte by byte): `key` (dimension name to value, as text) and every other field of the result, computed on that segment's records alone. Absent without `by`. */
  segments?: {
    key: Record<string, unknown>;
  }[];
}

/** A row of `sales`. */
export interface IncentiveSplitSalesRow {
  sale_id: string;
  timestamp: Timestamp;
  period?: string;
  customer_id?: string;
  origin_channel?: string;
  fulfilment_channel?: string;
  click_and_collect?: boolean;
  category?: string;
  zone?: string;
  country?: string;
  staff?: string;
  amount: DecimalInput;
  extra_amount?: DecimalInput;
  currency?: string;
  refund_of?: string;
}
/** A row of `touches`. */
export interface IncentiveSplitTouchesRow {
  customer_id: string;
  timestamp: Timestamp;
  channel: string;
}
export interface IncentiveSplitInput {
  /** The incentive policy (format `omnikpi.incentive_policy/1`, JSON Schema `spec/schema/incentive_policy.schema.json`): parties, rules with conditions and shares, tiers (on earnings, or on attainment of per-party quotas per period, quarter or year to date), limits, bonuses, clawback window, currency, rounding and share rounding (`pooled` or `per_share`), and optionally its periods (grain and time zone) and its VAT base (`gross`, or `net` of VAT at rates per country and category). Strict: unknown fields are errors. A policy may also be given as a history: a list of versions of one policy (same id, currency, rounding, share rounding, VAT, periods and clawback), each in force on its days (top-level `valid_from`/`valid_to`), with neither gap nor overlap; each sale is paid by the version in force on its day, each period closed by the tiers, limits and bonuses of the version its sales fall under, and the result quotes the versions joined by `+`. */
  policy: IncentivePolicy | IncentivePolicy[];
  /** Sales and refunds, in any order. */
  sales: IncentiveSplitSalesRow[];
  /** Customer touches (optional): for `online_touch` conditions and attribution shares. */
  touches?: IncentiveSplitTouchesRow[];
  /** Periods closed before: the records `incentives.close` wrote, as they were written (each is checked against its digest). A closed period keeps its lines and pay as closed; what recomputing it would change, less what earlier closes booked already, is booked per party as one `adjustment` line (rule `prior_period:<period>`) in the first open period after it. */
  closed?: unknown[];
}
export interface IncentiveSplitParams {
}
export interface IncentiveSplitResult {
  /** Id and version of the policy applied. */
  policy: {
    id: string;
    version: string;
  };
  /** ISO 4217 code of every amount. */
  currency: string;
  /** Per sale and party (then per period adjustment): sale_id, period, party, rule, kind (sale, clawback, accelerator, cap, floor, bonus, carried, adjustment), amount, explanation. A sale's lines sum exactly to its distributable amount; a full refund's lines are the exact negatives of its sale's. */
  lines: {
    sale_id: string | null;
    period: string;
    party: string;
    rule: string;
    kind: string;
    amount: DecimalString;
    explanation: string;
  }[];
  /** Sales that produced no line, with the reason: no_rule, original_unpaid, outside_clawback_window, nothing_refunded. */
  unpaid: {
    sale_id: string;
    reason: string;
  }[];
  /** Per period: net_sales, growth, and per party earned, accelerator, limit, bonus, adjustment, carried, payable; total; closed (the digest of the period's close, or null). */
  periods: {
    period: string;
    net_sales: DecimalString;
    growth: DecimalString | null;
    parties: {
      party: string;
      earned: DecimalString;
      accelerator: DecimalString;
      limit: DecimalString;
      bonus: DecimalString;
      adjustment: DecimalString;
      carried: DecimalString;
      payable: DecimalString;
    }[];
    total: DecimalString;
    closed: string | null;
  }[];
  /** Payable per party over every period, in declared order. */
  parties: {
    party: string;
    payable: DecimalString;
  }[];
  /** Everything payable. */
  total: DecimalString;
  /** Sales read, used (with at least one line), rejected (unpaid, listed with their reason). */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
}

/** A row of `sales`. */
export interface PayoutCheckSalesRow {
  sale_id: string;
  timestamp: Timestamp;
  period?: string;
  customer_id?: string;
  origin_channel?: string;
  fulfilment_channel?: string;
  click_and_collect?: boolean;
  category?: string;
  zone?: string;
  country?: string;
  staff?: string;
  amount: DecimalInput;
  extra_amount?: DecimalInput;
  currency?: string;
  refund_of?: string;
}
/** A row of `touches`. */
export interface PayoutCheckTouchesRow {
  customer_id: string;
  timestamp: Timestamp;
  channel: string;
}
/** A row of `payouts`. */
export interface PayoutCheckPayoutsRow {
  sale_id?: string;
  period: string;
  party: string;
  rule: string;
  kind?: string;
  amount: DecimalInput;
  currency?: string;
  explanation?: string;
}
export interface PayoutCheckInput {
  /** The incentive policy (format `omnikpi.incentive_policy/1`, JSON Schema `spec/schema/incentive_policy.schema.json`): parties, rules with conditions and shares, tiers (on earnings, or on attainment of per-party quotas per period, quarter or year to date), limits, bonuses, clawback window, currency, rounding and share rounding (`pooled` or `per_share`), and optionally its periods (grain and time zone) and its VAT base (`gross`, or `net` of VAT at rates per country and category). Strict: unknown fields are errors. A policy may also be given as a history: a list of versions of one policy (same id, currency, rounding, share rounding, VAT, periods and clawback), each in force on its days (top-level `valid_from`/`valid_to`), with neither gap nor overlap; each sale is paid by the version in force on its day, each period closed by the tiers, limits and bonuses of the version its sales fall under, and the result quotes the versions joined by `+`. */
  policy: IncentivePolicy | IncentivePolicy[];
  /** Sales and refunds, in any order. */
  sales: PayoutCheckSalesRow[];
  /** Customer touches (optional): for `online_touch` conditions and attribution shares. */
  touches?: PayoutCheckTouchesRow[];
  /** Periods closed before: the records `incentives.close` wrote, as they were written (each is checked against its digest). A closed period keeps its lines and pay as closed; what recomputing it would change, less what earlier closes booked already, is booked per party as one `adjustment` line (rule `prior_period:<period>`) in the first open period after it. */
  closed?: unknown[];
  /** Payouts computed elsewhere, one line per row: sale_id (absent for a period adjustment), period, party, rule, amount. Extra columns kind, currency and explanation are accepted, so a split's own CSV reads back. A malformed row is reported in `malformed` and the others are still checked. */
  payouts: PayoutCheckPayoutsRow[];
}
export interface PayoutCheckParams {
}
export interface PayoutCheckResult {
  /** Id and version of the policy applied. */
  policy: {
    id: string;
    version: string;
  };
  /** ISO 4217 code of every amount. */
  currency: string;
  /** True when there is no difference and no malformed claim row. */
  agrees: boolean;
  /** Keys compared: canonical keys, and claimed keys paired with none. */
  compared: number;
  /** Keys that agree. */
  matching: number;
  /** Every disagreement, at its canonical line's place in canonical order, then claims matching no canonical line in claim order. reason is one of wrong_amount, not_claimed, claimed_twice, wrong_period, wrong_rule, no_such_sale, no_such_party, no_such_rule, not_due; period and rule are the canonical line's (the claim's without one), claimed_period and claimed_rule the claim's; claim_rows are where the claim rows are; explanation is the canonical line's (joined with `; ` when a key has several). */
  differences: {
    reason: "wrong_amount" | "not_claimed" | "claimed_twice" | "wrong_period" | "wrong_rule" | "no_such_sale" | "no_such_party" | "no_such_rule" | "not_due";
    sale_id: string | null;
    period: string;
    party: string;
    rule: string;
    claimed_period: string | null;
    claimed_rule: string | null;
    claimed: DecimalString | null;
    canonical: DecimalString | null;
    difference: DecimalString;
    claim_rows: string[];
    explanation: string | null;
  }[];
  /** Claim rows that could not be read, in input order (the first 100; rows.rejected counts them all): path, error code, message. */
  malformed: {
    path: string;
    code: string;
    message: string;
  }[];
  /** Sum of the claim rows read. */
  claimed_total: DecimalString;
  /** Sum of the canonical lines. */
  canonical_total: DecimalString;
  /** Claim rows read, used, rejected (malformed). */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
}

/** A row of `sales`. */
export interface IncentiveDiffSalesRow {
  sale_id: string;
  timestamp: Timestamp;
  period?: string;
  customer_id?: string;
  origin_channel?: string;
  fulfilment_channel?: string;
  click_and_collect?: boolean;
  category?: string;
  zone?: string;
  country?: string;
  staff?: string;
  amount: DecimalInput;
  extra_amount?: DecimalInput;
  currency?: string;
  refund_of?: string;
}
/** A row of `touches`. */
export interface IncentiveDiffTouchesRow {
  customer_id: string;
  timestamp: Timestamp;
  channel: string;
}
export interface IncentiveDiffInput {
  /** The policy in force (format `omnikpi.incentive_policy/1`), as for incentives.split. A policy may also be given as a history: a list of versions of one policy (same id, currency, rounding, share rounding, VAT, periods and clawback), each in force on its days (top-level `valid_from`/`valid_to`), with neither gap nor overlap; each sale is paid by the version in force on its day, each period closed by the tiers (on earnings, or on attainment of per-party quotas per period, quarter or year to date), limits and bonuses of the version its sales fall under, and the result quotes the versions joined by `+`. */
  before: IncentivePolicy | IncentivePolicy[];
  /** The policy considered, in the same currency. A policy may also be given as a history: a list of versions of one policy (same id, currency, rounding, share rounding, VAT, periods and clawback), each in force on its days (top-level `valid_from`/`valid_to`), with neither gap nor overlap; each sale is paid by the version in force on its day, each period closed by the tiers (on earnings, or on attainment of per-party quotas per period, quarter or year to date), limits and bonuses of the version its sales fall under, and the result quotes the versions joined by `+`. */
  after: IncentivePolicy | IncentivePolicy[];
  /** Sales and refunds, in any order. */
  sales: IncentiveDiffSalesRow[];
  /** Customer touches (optional): for `online_touch` conditions and attribution shares. */
  touches?: IncentiveDiffTouchesRow[];
}
export interface IncentiveDiffParams {
}
export interface IncentiveDiffResult {
  /** Id and version of the policy in force. */
  before: {
    id: string;
    version: string;
  };
  /** Id and version of the policy considered. */
  after: {
    id: string;
    version: string;
  };
  /** ISO 4217 code of every amount. */
  currency: string;
  /** Per period and party: payable before, after, and the change. */
  parties: {
    period: string;
    party: string;
    before: DecimalString;
    after: DecimalString;
    change: DecimalString;
  }[];
  /** Per period, party and rule, where the amount changes: the rules that cause each change. */
  rules: {
    period: string;
    party: string;
    rule: string;
    before: DecimalString;
    after: DecimalString;
    change: DecimalString;
  }[];
  /** Everything payable under the policy in force. */
  total_before: DecimalString;
  /** Everything payable under the policy considered. */
  total_after: DecimalString;
  /** total_after − total_before. */
  change: DecimalString;
  /** Sales and refunds whose lines differ. */
  sales_changed: number;
  /** Sales read, used (paid or clawed back under either policy), rejected (unpaid under both). */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
}

/** A row of `sales`. */
export interface IncentiveCloseSalesRow {
  sale_id: string;
  timestamp: Timestamp;
  period?: string;
  customer_id?: string;
  origin_channel?: string;
  fulfilment_channel?: string;
  click_and_collect?: boolean;
  category?: string;
  zone?: string;
  country?: string;
  staff?: string;
  amount: DecimalInput;
  extra_amount?: DecimalInput;
  currency?: string;
  refund_of?: string;
}
/** A row of `touches`. */
export interface IncentiveCloseTouchesRow {
  customer_id: string;
  timestamp: Timestamp;
  channel: string;
}
export interface IncentiveCloseInput {
  /** The incentive policy (format `omnikpi.incentive_policy/1`, JSON Schema `spec/schema/incentive_policy.schema.json`): parties, rules with conditions and shares, tiers (on earnings, or on attainment of per-party quotas per period, quarter or year to date), limits, bonuses, clawback window, currency, rounding and share rounding (`pooled` or `per_share`), and optionally its periods (grain and time zone) and its VAT base (`gross`, or `net` of VAT at rates per country and category). Strict: unknown fields are errors. A policy may also be given as a history: a list of versions of one policy (same id, currency, rounding, share rounding, VAT, periods and clawback), each in force on its days (top-level `valid_from`/`valid_to`), with neither gap nor overlap; each sale is paid by the version in force on its day, each period closed by the tiers, limits and bonuses of the version its sales fall under, and the result quotes the versions joined by `+`. */
  policy: IncentivePolicy | IncentivePolicy[];
  /** Sales and refunds, in any order. */
  sales: IncentiveCloseSalesRow[];
  /** Customer touches (optional): for `online_touch` conditions and attribution shares. */
  touches?: IncentiveCloseTouchesRow[];
  /** Periods closed before: the records `incentives.close` wrote, as they were written (each is checked against its digest). A closed period keeps its lines and pay as closed; what recomputing it would change, less what earlier closes booked already, is booked per party as one `adjustment` line (rule `prior_period:<period>`) in the first open period after it. */
  closed?: unknown[];
  /** The period to close: a label of the split's periods, not closed yet. */
  period: string;
}
export interface IncentiveCloseParams {
}
export interface IncentiveCloseResult {
  /** `omnikpi.incentive_close/1`. */
  format: string;
  /** The period closed. */
  period: string;
  /** Id and version of the policy at the close. */
  policy: {
    id: string;
    version: string;
  };
  /** ISO 4217 code of every amount. */
  currency: string;
  /** The period's lines, as incentives.split gives them. */
  lines: {
    sale_id: string | null;
    period: string;
    party: string;
    rule: string;
    kind: string;
    amount: DecimalString;
    explanation: string;
  }[];
  /** Per party: earned, accelerator, limit, bonus, adjustment, carried, carried_out and payable. */
  parties: {
    party: string;
    earned: DecimalString;
    accelerator: DecimalString;
    limit: DecimalString;
    bonus: DecimalString;
    adjustment: DecimalString;
    carried: DecimalString;
    carried_out: DecimalString;
    payable: DecimalString;
  }[];
  /** The period's net sales. */
  net_sales: DecimalString;
  /** Change of net sales from the previous period (null for the first). */
  growth: DecimalString | null;
  /** Sum of what is payable in the period. */
  total: DecimalString;
  /** Sales read, used (paid or clawed back) and rejected (unpaid) by the split that closed the period. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
  /** `sha256:` and the hex SHA-256 of the canonical JSON of the record without it. */
  digest: string;
}

/** A row of `sales`. */
export interface IncentiveStatementsSalesRow {
  sale_id: string;
  timestamp: Timestamp;
  period?: string;
  customer_id?: string;
  origin_channel?: string;
  fulfilment_channel?: string;
  click_and_collect?: boolean;
  category?: string;
  zone?: string;
  country?: string;
  staff?: string;
  amount: DecimalInput;
  extra_amount?: DecimalInput;
  currency?: string;
  refund_of?: string;
}
/** A row of `touches`. */
export interface IncentiveStatementsTouchesRow {
  customer_id: string;
  timestamp: Timestamp;
  channel: string;
}
export interface IncentiveStatementsInput {
  /** The incentive policy (format `omnikpi.incentive_policy/1`, JSON Schema `spec/schema/incentive_policy.schema.json`): parties, rules with conditions and shares, tiers (on earnings, or on attainment of per-party quotas per period, quarter or year to date), limits, bonuses, clawback window, currency, rounding and share rounding (`pooled` or `per_share`), and optionally its periods (grain and time zone) and its VAT base (`gross`, or `net` of VAT at rates per country and category). Strict: unknown fields are errors. A policy may also be given as a history: a list of versions of one policy (same id, currency, rounding, share rounding, VAT, periods and clawback), each in force on its days (top-level `valid_from`/`valid_to`), with neither gap nor overlap; each sale is paid by the version in force on its day, each period closed by the tiers, limits and bonuses of the version its sales fall under, and the result quotes the versions joined by `+`. */
  policy: IncentivePolicy | IncentivePolicy[];
  /** Sales and refunds, in any order. */
  sales: IncentiveStatementsSalesRow[];
  /** Customer touches (optional): for `online_touch` conditions and attribution shares. */
  touches?: IncentiveStatementsTouchesRow[];
  /** Periods closed before: the records `incentives.close` wrote, as they were written (each is checked against its digest). A closed period keeps its lines and pay as closed; what recomputing it would change, less what earlier closes booked already, is booked per party as one `adjustment` line (rule `prior_period:<period>`) in the first open period after it. */
  closed?: unknown[];
}
export interface IncentiveStatementsParams {
  /** Only this party's statements (a party of the policy); every party's by default. */
  party?: string | null;
  /** Only this period's statements (a period of the split); every period's by default. */
  period?: string | null;
  /** The language of the statement's words in HTML and CSV (en or fr); amounts are shown as its readers write them. */
  language?: "en" | "fr" | null;
}
export interface IncentiveStatementsResult {
  /** `omnikpi.incentive_statement/1`. */
  format: string;
  /** Id and version of the policy applied. */
  policy: {
    id: string;
    version: string;
  };
  /** `sha256:` and the SHA-256 of the policy's canonical JSON. */
  policy_digest: string;
  /** ISO 4217 code of every amount. */
  currency: string;
  /** The statement's language. */
  language: string;
  /** Per period and party: period, party, kind (of party), closed (the digest of the period's close, or null), lines (sale_id, rule, kind, amount, explanation), earned, accelerator, limit, bonus, adjustment, carried, payable. */
  statements: {
    period: string;
    party: string;
    kind: string;
    closed: string | null;
    lines: {
      sale_id: string | null;
      rule: string;
      kind: string;
      amount: DecimalString;
      explanation: string;
    }[];
    earned: DecimalString;
    accelerator: DecimalString;
    limit: DecimalString;
    bonus: DecimalString;
    adjustment: DecimalString;
    carried: DecimalString;
    payable: DecimalString;
  }[];
  /** Sales read, used (paid or clawed back) and rejected (unpaid) by the split that closed the period. */
  rows: {
    read: number;
    used: number;
    rejected: number;
  };
}

/** Short names of the attribution models. */
export type AttributionModel = "first_touch" | "last_touch" | "last_non_direct" | "linear" | "time_decay" | "position_based" | "w_shaped" | "markov" | "shapley" | "shapley.ordered" | "shapley.rate";

/** Conversion rate (KPI `conversion.rate` 1.1.0): Share of opportunities (journeys, sessions, visitors or leads) that converted, overall and per channel. */
export declare function conversionRate(input: ConversionRateInput, params?: ConversionRateParams): Certified<ConversionRateResult>;
/** Conversion funnel (KPI `conversion.funnel` 1.1.0): Entities reaching each step of an ordered funnel, with step-to-step and overall conversion. */
export declare function conversionFunnel(input: FunnelInput, params?: FunnelParams): Certified<FunnelResult>;
/** Windowed conversion (MetricFlow semantics) (KPI `conversion.windowed` 1.1.0): Conversion events linked to the closest earlier base event of the same entity within a window, as dbt MetricFlow's conversion metrics do. */
export declare function conversionWindowed(input: WindowedInput, params?: WindowedParams): Certified<WindowedResult>;
/** Cross-channel conversion (ROPO and showrooming) (KPI `conversion.cross_channel` 1.1.0): Share of offline conversions preceded by an online touch of the same customer within a lookback window (research online, purchase offline), and the reverse. */
export declare function conversionCrossChannel(input: CrossChannelInput, params?: CrossChannelParams): Certified<CrossChannelResult>;
/** Conversion lift (KPI `conversion.lift` 1.1.0): Conversion rate of a treatment group against a holdout control group: absolute and relative lift and incremental conversions, each with its exact numerator and denominator. */
export declare function conversionLift(input: ConversionLiftInput, params?: ConversionLiftParams): Certified<ConversionLiftResult>;
/** Average basket (KPI `basket.average` 1.1.0): Average order value, overall and per channel, exact to the currency's minor unit. */
export declare function basketAverage(input: BasketAverageInput, params?: BasketAverageParams): Certified<BasketAverageResult>;
/** Multichannel basket uplift (KPI `basket.multichannel_uplift` 1.1.0): How much larger the average basket of customers who buy both online and offline is than a reference segment's. */
export declare function basketMultichannelUplift(input: MultichannelUpliftInput, params?: MultichannelUpliftParams): Certified<MultichannelUpliftResult>;
/** Click-and-collect attach rate (KPI `pickup.attach_rate` 1.1.0): Share of click-and-collect pickups where the customer bought something extra in store, with the extra revenue; overall and per store. */
export declare function pickupAttachRate(input: AttachRateInput, params?: AttachRateParams): Certified<AttachRateResult>;
/** Money allocation (KPI `money.allocate` 1.1.0): Splits an amount between parties by weights, in minor units, so the parts sum exactly to the amount. */
export declare function moneyAllocate(input: AllocationInput, params?: AllocationParams): Certified<AllocationResult>;
/** First touch (KPI `attribution.first_touch` 3.0.0): 100% of each journey's conversions and value to its first touch. */
export declare function attributionFirstTouch(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Last touch (KPI `attribution.last_touch` 3.0.0): 100% of each journey's conversions and value to its last touch. */
export declare function attributionLastTouch(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Last non-direct touch (KPI `attribution.last_non_direct` 3.0.0): 100% to the last touch of a channel not marked direct; a journey of direct touches only credits its last touch. */
export declare function attributionLastNonDirect(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Linear (KPI `attribution.linear` 3.0.0): Equal credit to every touch; a channel repeated in a journey accumulates its touches' shares. */
export declare function attributionLinear(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Time decay (KPI `attribution.time_decay` 3.0.0): Credit halves for every half-life between a touch and the conversion (Adobe's and Google's time decay). */
export declare function attributionTimeDecay(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Position-based (U-shaped) (KPI `attribution.position_based` 3.0.0): Fixed weights to the first and last touches (40/40 by default), the rest shared by the middle touches. */
export declare function attributionPositionBased(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** W-shaped (KPI `attribution.w_shaped` 3.0.0): Fixed weights to the first, lead-creation and last touches (30/30/30), the rest shared by the other touches. */
export declare function attributionWShaped(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Markov removal effect (KPI `attribution.markov` 3.0.0): Credit in proportion to each channel's removal effect in an absorbing Markov chain of the journeys (non-converting journeys included), solved exactly. */
export declare function attributionMarkov(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Markov order selection (KPI `attribution.markov_order` 1.1.0): Which order of Markov chain describes the journeys best: for orders 1 to max_order, the chain's log-likelihood of journeys it did not see (k-fold cross-validation, folds by a hash of the journey id), and the order it recommends. */
export declare function attributionMarkovOrder(input: MarkovOrderInput, params?: MarkovOrderParams): Certified<MarkovOrderResult>;
/** Shapley value (Zhao) (KPI `attribution.shapley` 3.0.0): Exact Shapley value of v(S) = conversions of journeys whose channel set is within S, which gives each journey's conversions to its distinct channels in equal parts; any number of channels. */
export declare function attributionShapley(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Ordered Shapley value (Zhao) (KPI `attribution.shapley.ordered` 3.0.0): Zhao's ordered Shapley value: each distinct channel's equal share of a journey is split over the positions where it occurs; channel totals equal the simplified Shapley value, and the result adds credit per position. */
export declare function attributionShapleyOrdered(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Shapley value of conversion rates (KPI `attribution.shapley.rate` 3.0.0): For each converting channel set, the Shapley value of v(S) = conversion rate of journeys whose channel set is exactly S, over the subsets of that set, applied to its conversions (exact enumeration up to max_channels). */
export declare function attributionShapleyRate(input: AttributionInput, params?: AttributionParams): Certified<AttributionResult>;
/** Channel contribution (share of attributed value) (KPI `contribution.share` 3.0.0): Each channel's share of the attributed conversion value under a chosen attribution model. */
export declare function contributionShare(input: ContributionShareInput, params?: ContributionShareParams): Certified<ContributionShareResult>;
/** Return on ad spend and cost per acquisition (KPI `contribution.roas` 3.0.0): Attributed value per unit of cost (ROAS) and cost per attributed conversion (CPA), per channel and overall, under a chosen attribution model. */
export declare function contributionRoas(input: ContributionRoasInput, params?: ContributionRoasParams): Certified<ContributionRoasResult>;
/** Growth decomposition by channel (KPI `contribution.growth` 1.1.0): How much each channel contributed to the change of the total between two periods, so a store at -1% beside online at +10% reads as the net gain it is. */
export declare function contributionGrowth(input: ContributionGrowthInput, params?: ContributionGrowthParams): Certified<ContributionGrowthResult>;
/** Incentive split (KPI `incentives.split` 2.2.0): Pays every sale to the parties of an incentive policy — channels, stores, franchisees, staff — to the minor unit, with the rule and an explanation per line; refunds claw back as mirrors of their sale; per period, tiers, caps, floors and growth bonuses. */
export declare function splitIncentives(input: IncentiveSplitInput, params?: IncentiveSplitParams): Certified<IncentiveSplitResult>;
/** Incentive payout check (KPI `incentives.check` 3.2.0): Audits payouts computed elsewhere against the canonical split of the same sales under the same policy, line by line on (sale, party, period, rule): every difference with a reason from a closed list and the canonical line's explanation, every malformed claim row reported. */
export declare function checkPayouts(input: PayoutCheckInput, params?: PayoutCheckParams): Certified<PayoutCheckResult>;
/** Incentive what-if (KPI `incentives.diff` 2.1.0): The same sales split under two policies: what each party is paid per period under each, and the rules that cause every change. */
export declare function diffIncentives(input: IncentiveDiffInput, params?: IncentiveDiffParams): Certified<IncentiveDiffResult>;
/** Incentive period close (KPI `incentives.close` 1.1.0): Freezes one period of an incentive split — its lines and each party's pay — in a record with a digest. Later splits given the record keep the period as closed and book any change to it as a prior-period adjustment in the next open period. */
export declare function closeIncentives(input: IncentiveCloseInput, params?: IncentiveCloseParams): Certified<IncentiveCloseResult>;
/** Incentive statements (KPI `incentives.statement` 1.1.0): Per party and period, the statement a party reads and finance files: every payout line with its explanation, the prior-period adjustments, the totals and the policy's digest, in English or French; printable as HTML and exportable as CSV, with a certificate that omnikpi verify recomputes. */
export declare function incentiveStatements(input: IncentiveStatementsInput, params?: IncentiveStatementsParams): Certified<IncentiveStatementsResult>;
// surfaces:end
