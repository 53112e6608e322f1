//! `omnikpi`: the command line for analysts and finance teams.
//!
//! ```text
//! omnikpi catalog [--json]
//! omnikpi kpi <id> --input FILE|- [--<parameter> VALUE]...
//! omnikpi eval <kpi> --input FILE|- [--params FILE|JSON]
//! omnikpi report <dir> [--json]
//! omnikpi report --pack pack.json <dir> [--lang fr] [--json | --out DIR --format csv,parquet,xlsx]
//! omnikpi handbook --out DIR [--lang en|fr]
//! omnikpi attribute --model linear,markov --channels channels.csv --currency EUR journeys.csv
//! omnikpi incentives split --policy policy.json --sales sales.csv [--touches touches.csv] [--csv F] [--json F]
//! omnikpi incentives check --policy policy.json --sales sales.csv --payouts claimed.csv
//! omnikpi incentives diff --policy v1.json --policy v2.json --sales sales.csv
//! omnikpi incentives close --policy policy.json --sales sales.csv --period 2026-10 --out 2026-10.closed.json
//! ```
//! Errors go to stderr as `omnikpi: error [code] at path: message`, exit status 2;
//! `incentives check` exits 1 when it finds differences (like `diff`).

mod handbook;
mod kpi;
mod policy_file;
mod report;
mod surfaces;
mod table;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use omnikpi::{ErrorCode, KpiError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The help of `eval`'s KPI argument: every id of the core's registry. An unknown id is still
/// the core's `unknown_kpi` error (with its code and path), not a usage error.
fn kpi_help() -> String {
    let ids: Vec<&str> = omnikpi::registry::REGISTRY.iter().map(|e| e.id).collect();
    format!("KPI id, one of: {}", ids.join(", "))
}

/// One canonical set of omnichannel KPIs.
#[derive(Parser)]
#[command(name = "omnikpi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process: boxing the attribute flags would save nothing"
)]
enum Command {
    /// List every KPI definition (id, version, title).
    Catalog {
        /// Print the full definitions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compute one KPI on a JSON input (the shape of its conformance vectors).
    Eval {
        /// KPI id, e.g. conversion.rate.
        #[arg(long_help = kpi_help())]
        kpi: String,
        /// JSON input file, or - for standard input.
        #[arg(long)]
        input: PathBuf,
        /// Parameters: a JSON file, or inline JSON text.
        #[arg(long)]
        params: Option<String>,
        /// Also write the result's certificate (KPI id and version, parameters, SHA-256 of the
        /// input and the result, omnikpi version) to this JSON file; `omnikpi verify` checks it.
        #[arg(long)]
        certificate: Option<PathBuf>,
    },
    /// Recomputes the result a certificate (from `eval --certificate`, Python's `certify` or JS's)
    /// speaks of from an input file and says whether it is confirmed; exit 1 when refuted.
    Verify {
        /// The certificate, a JSON file.
        certificate: PathBuf,
        /// The JSON input file, or - for standard input.
        #[arg(long, required_unless_present_any = ["pack", "policy"])]
        input: Option<PathBuf>,
        /// A certificate of a pack's report: the pack (the data's folder follows it).
        #[arg(long, conflicts_with = "input", num_args = 2, value_names = ["PACK", "DATA"])]
        pack: Option<Vec<PathBuf>>,
        /// A certificate of an incentive result (`incentives statement`, `split --xlsx`):
        /// the policy, sales, touches and closed periods it was computed from, read as the
        /// incentive commands read them.
        #[arg(long, conflicts_with_all = ["input", "pack"], requires = "sales")]
        policy: Option<PathBuf>,
        /// The sales of an incentive result's certificate.
        #[arg(long, requires = "policy")]
        sales: Option<PathBuf>,
        /// The touches of an incentive result's certificate.
        #[arg(long, requires = "policy")]
        touches: Option<PathBuf>,
        /// The closed periods of an incentive result's certificate (repeatable).
        #[arg(long, requires = "policy")]
        closed: Vec<PathBuf>,
        #[command(flatten)]
        reading: TableReading,
        /// Print the verification as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluates many KPIs from JSON Lines, one `{"kpi", "input", "params"}` per line with input and
    /// params as JSON *texts* (read exactly as `eval` reads its files); prints one envelope per
    /// line: `{"ok": result}` or `{"error": {"code", "message", "path"}}`.
    EvalLines {
        /// JSON Lines file, or - for standard input.
        file: PathBuf,
    },
    /// Multi-touch attribution of journeys in long format (one row per touch), several models in one pass.
    Attribute {
        /// Journeys in long format, CSV or Parquet (by extension): journey_id, timestamp, channel,
        /// conversions, and optionally value, conversion_timestamp.
        journeys: PathBuf,
        /// Models, comma-separated short names (linear,markov,...) or `all`.
        #[arg(long, default_value = "all")]
        model: String,
        /// Channel taxonomy CSV: channel,group,direct.
        #[arg(long)]
        channels: PathBuf,
        /// ISO 4217 currency of the values.
        #[arg(long)]
        currency: String,
        /// Drop touches at or before conversion - lookback.
        #[arg(long)]
        lookback_seconds: Option<i64>,
        /// The column of a role, ROLE=NAME (repeatable): journey_id, timestamp, channel,
        /// conversions, value, conversion_timestamp.
        #[arg(long = "column", value_name = "ROLE=NAME")]
        columns: Vec<String>,
        /// Where each journey's outcome (conversions, value) sits: every-row (default: repeated
        /// on every row) or last-touch (on the journey's last touch only, as GA4 exports it).
        #[arg(long)]
        outcome: Option<String>,
        /// Unit of integer timestamps: s, ms, us or ns (integer timestamps are refused without).
        #[arg(long)]
        timestamp_unit: Option<String>,
        /// Time zone of naive timestamps (`2026-10-01 10:00:00`): Europe/Paris, UTC, +02:00.
        #[arg(long)]
        timezone: Option<String>,
        /// Round float money at the currency's minor unit: round-half-even (refused without);
        /// how many amounts moved by more than 1e-9 is printed on stderr.
        #[arg(long)]
        money_from_float: Option<String>,
        /// CSV delimiter: `,` `;` `tab` `|` (default: detected from the header).
        #[arg(long)]
        delimiter: Option<String>,
        /// CSV decimal separator: `.` or `,` (default: `,` with a `;` delimiter, as Excel writes).
        #[arg(long)]
        decimal: Option<String>,
        /// The sheet of a workbook (.xlsx, .xls, .ods) to read (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Per-model parameters as JSON: {"markov": {"order": 2}, "time_decay": {"half_life_seconds": 86400}}.
        #[arg(long)]
        params: Option<String>,
        /// Also report each channel's confidence interval under every model (a Poisson
        /// bootstrap over journeys, the same in every front end; see the handbook's guide).
        #[arg(long)]
        intervals: bool,
        /// Bootstrap replicates with --intervals (default 200).
        #[arg(long, requires = "intervals")]
        replicates: Option<u32>,
        /// Confidence level with --intervals (default 0.95).
        #[arg(long, requires = "intervals")]
        confidence: Option<String>,
        /// Seed of the replicates' weights with --intervals (default 0).
        #[arg(long, requires = "intervals")]
        seed: Option<u64>,
        /// Print every model's full result as JSON instead of the side-by-side tables.
        #[arg(long)]
        json: bool,
    },
    /// Generate the KPI handbook (HTML and Markdown) from the spec.
    Handbook {
        /// Output folder; each language goes to DIR/<lang>/.
        #[arg(long)]
        out: PathBuf,
        /// Only this language (default: every language of the spec).
        #[arg(long, value_parser = ["en", "fr"])]
        lang: Option<String>,
        /// Add a page listing this KPI pack's KPIs with its labels next to the definitions.
        #[arg(long)]
        pack: Option<PathBuf>,
    },
    /// Generate every binding's KPI surface (Python functions and result classes, JS exports,
    /// TypeScript types) from the spec and the registry; `--check` only reports drift (exit 1).
    Surfaces {
        /// The repository root.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Compare instead of writing: exit 1 naming every file that differs.
        #[arg(long)]
        check: bool,
    },
    /// Incentive splits: compute the canonical payouts, or check payouts computed elsewhere.
    Incentives {
        #[command(subcommand)]
        action: Incentives,
    },
    /// Compute every KPI on a dataset folder and print a readable report; with `--pack`, every
    /// KPI of an organization's KPI pack on its own tables (see examples/group).
    Report {
        /// Folder with the data: the pack's tables, or dataset.json and the CSV tables of
        /// examples/retail.
        dir: PathBuf,
        /// The organization's KPI pack (JSON, spec/schema/pack.schema.json).
        #[arg(long)]
        pack: Option<PathBuf>,
        /// Print the report as JSON instead of tables.
        #[arg(long)]
        json: bool,
        /// The language of labels (one of the pack's; its first by default).
        #[arg(long, requires = "pack")]
        lang: Option<String>,
        /// Write report.json, report.html and every table into this folder.
        #[arg(long, requires = "pack")]
        out: Option<PathBuf>,
        /// The formats of the tables written with `--out`: csv, parquet, xlsx.
        #[arg(long, value_delimiter = ',', default_value = "csv", requires = "out")]
        format: Vec<String>,
    },
}

/// The files every incentive command reads.
#[derive(clap::Args)]
struct IncentiveFiles {
    /// The incentive policy (JSON, format omnikpi.incentive_policy/1), or a list of its dated
    /// versions (a history: each sale is paid by the version in force on its day).
    #[arg(long)]
    policy: PathBuf,
    /// Sales and refunds: CSV (one column per field, any dialect), a workbook (.xlsx, .xls,
    /// .ods) or a JSON array.
    #[arg(long)]
    sales: PathBuf,
    /// Customer touches for touch conditions and attribution shares: CSV, a workbook or JSON
    /// (customer_id, timestamp, channel; other columns are ignored).
    #[arg(long)]
    touches: Option<PathBuf>,
    /// A period closed before (the JSON record `incentives close` wrote); repeat for each.
    /// A closed period keeps its lines and pay, and changes to it are booked as prior-period
    /// adjustments in the next open period.
    #[arg(long)]
    closed: Vec<PathBuf>,
    #[command(flatten)]
    reading: TableReading,
}

/// How the incentive tables are read: CSV in any dialect (Excel's `;` with decimal commas
/// included) or a sheet of a workbook (.xlsx, .xls, .ods), by the core's one record reader.
#[derive(clap::Args)]
struct TableReading {
    /// The sheet of the sales workbook (default: the first).
    #[arg(long)]
    sales_sheet: Option<String>,
    /// The sheet of the touches workbook (default: the first).
    #[arg(long)]
    touches_sheet: Option<String>,
    /// Time zone of naive timestamps (`2026-10-01 10:00:00`, and a workbook's date cells):
    /// Europe/Paris, UTC, +02:00 (refused without).
    #[arg(long)]
    timezone: Option<String>,
    /// Unit of integer timestamps: s (the default for incentive tables), ms, us or ns.
    #[arg(long)]
    timestamp_unit: Option<String>,
    /// Round float money (a workbook's amount cells) at the policy currency's minor unit:
    /// round-half-even (refused without); how many amounts moved by more than 1e-9 is printed
    /// on stderr.
    #[arg(long)]
    money_from_float: Option<String>,
    /// CSV delimiter: `,` `;` `tab` `|` (default: detected from the header).
    #[arg(long)]
    delimiter: Option<String>,
    /// CSV decimal separator: `.` or `,` (default: `,` with a `;` delimiter, as Excel writes).
    #[arg(long)]
    decimal: Option<String>,
}

impl TableReading {
    /// The core's reading of these options (one parser of them for every front end); integer
    /// times are Unix seconds, as the incentive inputs define them, unless a unit is declared.
    fn reading(&self) -> Result<omnikpi::table::reading::Reading, KpiError> {
        omnikpi::table::reading::Reading::from_json(&serde_json::json!({
            "timestamp_unit": self.timestamp_unit.as_deref().unwrap_or("s"),
            "timezone": self.timezone,
            "money_from_float": self.money_from_float,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
        }))
    }
}

#[derive(Subcommand)]
enum Incentives {
    /// Compute the canonical payouts: per sale and party, then per period.
    Split {
        #[command(flatten)]
        files: IncentiveFiles,
        /// Write every payout line as CSV (sale_id,period,party,rule,kind,amount,explanation).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write the whole result as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write pay per period and party as CSV (policy_id, policy_version, period, party,
        /// earned, accelerator, limit, bonus, adjustment, carried, payable).
        #[arg(long)]
        periods_csv: Option<PathBuf>,
        /// Write payable per party over every period as CSV (policy_id, policy_version, party,
        /// payable).
        #[arg(long)]
        parties_csv: Option<PathBuf>,
        /// Write a workbook (XLSX) with the sheets lines, periods, parties and certificate
        /// (policy, omnikpi version, digests of the input and the result); amounts are numbers
        /// shown at the currency's places.
        #[arg(long)]
        xlsx: Option<PathBuf>,
        /// Start every CSV file written with a UTF-8 byte order mark, so that Excel reads
        /// accents right.
        #[arg(long)]
        bom: bool,
        /// Write the result's certificate (policy and sales digests through the input, the
        /// result's digest, omnikpi version) to this JSON file; `omnikpi verify CERT --policy
        /// ... --sales ...` recomputes it from the same files.
        #[arg(long)]
        certificate: Option<PathBuf>,
        /// What to print: a readable summary (table), the lines as CSV, or the result as JSON.
        #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
        format: String,
    },
    /// Compare payouts computed elsewhere with the canonical ones; exit 1 on any difference.
    Check {
        #[command(flatten)]
        files: IncentiveFiles,
        /// The claimed payouts: CSV, a workbook or JSON with sale_id, period, party, rule,
        /// amount.
        #[arg(long)]
        payouts: PathBuf,
        /// The sheet of the payouts workbook (default: the first).
        #[arg(long)]
        payouts_sheet: Option<String>,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Close a period: freeze its lines and pay in a JSON record with a digest, to give later
    /// runs with `--closed`.
    Close {
        #[command(flatten)]
        files: IncentiveFiles,
        /// The period to close (a label of the split's periods).
        #[arg(long)]
        period: String,
        /// Where to write the closed period's record (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Statements per party and period: every line with its explanation, adjustments and
    /// totals, the policy and a certificate, as printable HTML, CSV and JSON in a folder.
    Statement {
        #[command(flatten)]
        files: IncentiveFiles,
        /// Only this party's statements (default: every party with lines or pay).
        #[arg(long)]
        party: Option<String>,
        /// Only this period's statements (default: every period).
        #[arg(long)]
        period: Option<String>,
        /// The language of the statements: en or fr.
        #[arg(long, default_value = "en")]
        lang: String,
        /// The folder to write statements.html, statements.csv, statements.json and
        /// statements.certificate.json into (`omnikpi verify` checks the certificate).
        #[arg(long)]
        out: PathBuf,
        /// Start the CSV file with a UTF-8 byte order mark, so that Excel reads accents right.
        #[arg(long)]
        bom: bool,
    },
    /// A policy as a workbook finance can edit (sheets policy, parties, rules, shares, tiers,
    /// bands, quotas, bonuses, limits, vat_rates), or such a workbook as JSON; either way
    /// checked as a policy, errors at sheet, row and column. Every command's --policy reads
    /// both.
    Policy {
        /// The policy: JSON, or a workbook (.xlsx, .xls, .ods).
        #[arg(long)]
        policy: PathBuf,
        /// Write it as a workbook.
        #[arg(long)]
        xlsx: Option<PathBuf>,
        /// Write it as JSON (without --xlsx or --json, it is printed).
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// What-if: the same sales under two policies, per party and period, with the rules that
    /// cause each change.
    Diff {
        /// The policy in force, then the policy considered: `--policy v1.json --policy v2.json`.
        #[arg(long = "policy", required = true)]
        policies: Vec<PathBuf>,
        /// Sales and refunds: CSV (one column per field) or a JSON array.
        #[arg(long)]
        sales: PathBuf,
        /// Customer touches: CSV or JSON (customer_id, timestamp, channel).
        #[arg(long)]
        touches: Option<PathBuf>,
        #[command(flatten)]
        reading: TableReading,
        /// Print the comparison as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn io_error(what: &Path, e: &std::io::Error) -> KpiError {
    KpiError::new(
        ErrorCode::InvalidDataset,
        Some(what.display().to_string()),
        format!("cannot read `{}`: {e}", what.display()),
    )
}

pub(crate) fn read_text(path: &Path) -> Result<String, KpiError> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| io_error(path, &e))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| io_error(path, &e))
}

/// Reads the dataset files of `dir` (every name in [`omnikpi::dataset::FILES`]).
fn read_dataset(dir: &Path) -> Result<BTreeMap<String, String>, KpiError> {
    omnikpi::dataset::FILES
        .iter()
        .filter(|name| dir.join(name).exists())
        .map(|name| Ok(((*name).to_owned(), read_text(&dir.join(name))?)))
        .collect()
}

/// An incentive table's file: its path and the sheet to read when it is a workbook.
#[derive(Clone, Copy)]
struct TableFile<'a> {
    list: &'a str,
    path: &'a Path,
    sheet: Option<&'a str>,
}

/// The records of the incentive tables read from their files, and where each list's records
/// are in its file, to name the row and column of an error the engine finds.
struct Tables {
    /// The input the engine reads, an object (built once: a big ledger is not copied).
    input: Value,
    rows: BTreeMap<String, omnikpi::table::CsvRows>,
}

impl Default for Tables {
    fn default() -> Self {
        Self {
            input: Value::Object(serde_json::Map::new()),
            rows: BTreeMap::new(),
        }
    }
}

impl Tables {
    /// Sets the input's field `key`.
    fn insert(&mut self, key: &str, value: Value) {
        if let Value::Object(map) = &mut self.input {
            map.insert(key.to_owned(), value);
        }
    }

    /// Reads `file` into the list of its name: a JSON file as it is; CSV (any dialect) or a
    /// workbook's sheet by the core's record reader, as `reading` declares (float money
    /// rounded at `currency`'s minor unit when declared, and counted on stderr).
    fn read(
        &mut self,
        file: TableFile<'_>,
        reading: &omnikpi::table::reading::Reading,
        currency: &omnikpi::money::Currency,
        keep: Option<&[&str]>,
    ) -> Result<(), KpiError> {
        let path = file.path;
        let name = path.display().to_string();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            let value = omnikpi::parse_json(&read_text(path)?, &name)?;
            self.insert(file.list, value);
            return Ok(());
        }
        let bytes = if path == Path::new("-") {
            read_text(path)?.into_bytes()
        } else {
            std::fs::read(path).map_err(|e| io_error(path, &e))?
        };
        let read = omnikpi::table::records::read(
            &bytes,
            &name,
            file.sheet,
            reading,
            currency,
            &omnikpi::incentive::TABLE_KINDS,
            keep,
        )?;
        if read.conversions.money_rounded > 0 {
            eprintln!(
                "omnikpi: note: money-from-float rounded {} amounts of {} at {} places; {} moved by more than 1e-9",
                read.conversions.money_rounded,
                read.place,
                currency.minor_units(),
                read.conversions.money_changed
            );
        }
        let rows = omnikpi::table::CsvRows::one_per_row(file.list, &read.place, read.rows.len());
        self.rows.insert(file.list.to_owned(), rows);
        self.insert(file.list, Value::Array(read.rows));
        Ok(())
    }

    /// An error of the engine at `input.sales[3].amount` at its file's row and column
    /// (`sales.xlsx:Sales:row 5:amount`) when the list came from a table file.
    fn locate(&self, e: KpiError) -> KpiError {
        self.rows.values().fold(e, |e, rows| rows.locate(e))
    }

    /// The input the engine reads.
    fn value(&self) -> &Value {
        &self.input
    }
}

/// The currency of a policy (or of the first version of a history), for reading its tables'
/// float money.
fn policy_currency(policy: &Value) -> Result<omnikpi::money::Currency, KpiError> {
    let history = omnikpi::incentive::History::read(policy, "input.policy")?;
    let currency = history.versions().next().map(|p| p.currency.clone());
    currency.ok_or_else(|| KpiError::at(ErrorCode::InvalidPolicy, "input.policy", "has no version"))
}

/// The input of an incentive command: the policy, the sales, touches and closed periods (and
/// the claimed payouts) from their files.
fn incentive_input(
    files: &IncentiveFiles,
    payouts: Option<TableFile<'_>>,
) -> Result<Tables, KpiError> {
    let policy = read_policy(&files.policy, "policy")?;
    let currency = policy_currency(&policy)?;
    let reading = files.reading.reading()?;
    let mut tables = ledger_tables(
        &files.sales,
        files.touches.as_deref(),
        &files.reading,
        &currency,
    )?;
    tables.insert("policy", policy);
    if let Some(payouts) = payouts {
        tables.read(payouts, &reading, &currency, None)?;
    }
    if !files.closed.is_empty() {
        let closed = files
            .closed
            .iter()
            .map(|path| omnikpi::parse_json(&read_text(path)?, &path.display().to_string()))
            .collect::<Result<Vec<Value>, KpiError>>()?;
        tables.insert("closed", Value::Array(closed));
    }
    Ok(tables)
}

fn read_policy(path: &Path, name: &str) -> Result<Value, KpiError> {
    policy_file::read(path, name)
}

/// The sales and touches of an incentive input.
fn ledger_tables(
    sales: &Path,
    touches: Option<&Path>,
    options: &TableReading,
    currency: &omnikpi::money::Currency,
) -> Result<Tables, KpiError> {
    let reading = options.reading()?;
    let mut tables = Tables::default();
    let sales = TableFile {
        list: "sales",
        path: sales,
        sheet: options.sales_sheet.as_deref(),
    };
    tables.read(sales, &reading, currency, None)?;
    if let Some(touches) = touches {
        let touches = TableFile {
            list: "touches",
            path: touches,
            sheet: options.touches_sheet.as_deref(),
        };
        let keep = ["customer_id", "timestamp", "channel"];
        tables.read(touches, &reading, currency, Some(&keep))?;
    }
    Ok(tables)
}

/// `omnikpi incentives diff`: both policies on the same sales.
fn what_if(
    policies: &[PathBuf],
    sales: &Path,
    touches: Option<&Path>,
    reading: &TableReading,
    json: bool,
) -> Result<String, KpiError> {
    let [before, after] = policies else {
        return Err(KpiError::new(
            ErrorCode::InvalidParameter,
            Some("--policy".to_owned()),
            format!(
                "give it twice, the policy in force then the one considered (got {})",
                policies.len()
            ),
        ));
    };
    let before = read_policy(before, "before")?;
    let currency = policy_currency(&before)?;
    let mut tables = ledger_tables(sales, touches, reading, &currency)?;
    tables.insert("before", before);
    tables.insert("after", read_policy(after, "after")?);
    let result = omnikpi::incentive::diff_input(tables.value())
        .map_err(|e| tables.locate(e))?
        .to_output()?
        .to_json();
    Ok(if json {
        pretty(&result)
    } else {
        table::render_result(&result, 0)
    })
}

fn incentives(action: Incentives) -> Result<(String, bool), KpiError> {
    match action {
        Incentives::Split {
            files,
            csv,
            json,
            periods_csv,
            parties_csv,
            xlsx,
            bom,
            certificate,
            format,
        } => {
            let tables = incentive_input(&files, None)?;
            let split =
                omnikpi::incentive::split_input(tables.value()).map_err(|e| tables.locate(e))?;
            let lines_csv = omnikpi::incentive::lines_to_csv(&split.lines)?;
            let mark = if bom { "\u{feff}" } else { "" };
            if let Some(path) = &csv {
                write_file(path, &format!("{mark}{lines_csv}"))?;
            }
            let summary = split.summary()?.to_json();
            let policy = [
                ("policy_id", split.policy.0.as_str()),
                ("policy_version", split.policy.1.as_str()),
            ];
            for (path, table) in [(&periods_csv, "payouts"), (&parties_csv, "by_party")] {
                if let Some(path) = path {
                    let rows = summary.get(table).and_then(Value::as_array);
                    let text =
                        omnikpi::output::records_to_csv(rows.map_or(&[], Vec::as_slice), &policy)?;
                    write_file(path, &format!("{mark}{text}"))?;
                }
            }
            if let Some(path) = &json {
                write_file(path, &pretty(&split.to_output()?.to_json()))?;
            }
            if let Some(path) = &certificate {
                let result = split.to_output()?.to_json();
                let cert = omnikpi::certificate::certificate(
                    "incentives.split",
                    tables.value(),
                    &Value::Null,
                    &result,
                )?;
                write_file(path, &pretty(&cert))?;
            }
            if let Some(path) = &xlsx {
                let result = split.to_output()?.to_json();
                let book = split_workbook(tables.value(), &result, &summary)?;
                std::fs::write(path, book).map_err(|e| io_error(path, &e))?;
            }
            let text = match format.as_str() {
                "csv" => lines_csv.trim_end().to_owned(),
                "json" => pretty(&split.to_output()?.to_json()),
                _ => table::render_result(&summary, 0),
            };
            Ok((text, false))
        }
        Incentives::Check {
            files,
            payouts,
            payouts_sheet,
            json,
        } => {
            let payouts = TableFile {
                list: "payouts",
                path: &payouts,
                sheet: payouts_sheet.as_deref(),
            };
            let tables = incentive_input(&files, Some(payouts))?;
            let mut check =
                omnikpi::incentive::check_input(tables.value()).map_err(|e| tables.locate(e))?;
            if let Some(rows) = tables.rows.get("payouts") {
                check = check.locate(rows);
            }
            let result = check.to_output().to_json();
            let text = if json {
                pretty(&result)
            } else {
                format!("{}\n{}", table::render_result(&result, 0), verdict(&check))
            };
            Ok((text, !check.agrees()))
        }
        Incentives::Close { files, period, out } => {
            let mut tables = incentive_input(&files, None)?;
            tables.insert("period", Value::from(period.as_str()));
            let closed =
                omnikpi::incentive::close_input(tables.value()).map_err(|e| tables.locate(e))?;
            write_file(&out, &pretty(&closed.to_output().to_json()))?;
            Ok((
                format!(
                    "closed {} of policy {} {}: {} line(s), total {} {}, {}\nwritten to {}",
                    closed.period,
                    closed.policy.0,
                    closed.policy.1,
                    closed.lines.len(),
                    closed.totals.total,
                    closed.currency,
                    closed.digest,
                    out.display()
                ),
                false,
            ))
        }
        Incentives::Statement {
            files,
            party,
            period,
            lang,
            out,
            bom,
        } => Ok((statements(&files, party, period, &lang, &out, bom)?, false)),
        Incentives::Policy { policy, xlsx, json } => Ok((
            policy_file::convert(&policy, xlsx.as_deref(), json.as_deref())?,
            false,
        )),
        Incentives::Diff {
            policies,
            sales,
            touches,
            reading,
            json,
        } => Ok((
            what_if(&policies, &sales, touches.as_deref(), &reading, json)?,
            false,
        )),
    }
}

/// `omnikpi incentives statement`: the statements, their certificate and their files.
fn statements(
    files: &IncentiveFiles,
    party: Option<String>,
    period: Option<String>,
    lang: &str,
    out: &Path,
    bom: bool,
) -> Result<String, KpiError> {
    let tables = incentive_input(files, None)?;
    let input = tables.value();
    let params = serde_json::json!({"party": party, "period": period, "language": lang});
    let (result, cert) = omnikpi::certificate::certify("incentives.statement", input, &params)
        .map_err(|e| tables.locate(e))?;
    let result = result.to_json();
    let html = omnikpi::incentive::statement::html(&result, Some(&cert))?;
    let csv = omnikpi::incentive::statement::csv(&result)?;
    std::fs::create_dir_all(out).map_err(|e| io_error(out, &e))?;
    let mark = if bom { "\u{feff}" } else { "" };
    let mut written = Vec::new();
    for (name, text) in [
        ("statements.html", html),
        ("statements.csv", format!("{mark}{csv}")),
        ("statements.json", pretty(&result)),
        ("statements.certificate.json", pretty(&cert)),
    ] {
        let path = out.join(name);
        write_file(&path, &text)?;
        written.push(path.display().to_string());
    }
    let mut text = String::new();
    for s in result
        .get("statements")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
        text.push_str(&format!(
            "{} {}: {} line(s), payable {} {}\n",
            field("period"),
            field("party"),
            s.get("lines").and_then(Value::as_array).map_or(0, Vec::len),
            field("payable"),
            result
                .get("currency")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ));
    }
    let seal = cert
        .get("certificate")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(format!(
        "{text}certificate {seal}\nwritten:\n{}",
        written.join("\n")
    ))
}

/// A split as a workbook: its lines, pay per period and party, payable per party, and its
/// certificate, each a sheet.
fn split_workbook(input: &Value, result: &Value, summary: &Value) -> Result<Vec<u8>, KpiError> {
    use omnikpi::pack::export::ExportTable;
    use omnikpi::result_table::{ColumnKind, ResultTable};
    let lines = ResultTable::of("incentives.split", result, Some("lines"))?;
    let lines = ExportTable {
        name: "lines".into(),
        columns: lines.columns.iter().map(|c| c.name.clone()).collect(),
        kinds: lines.columns.iter().map(|c| c.kind).collect(),
        rows: (0..lines.rows)
            .map(|r| {
                let cell = |c: &omnikpi::result_table::ResultColumn| c.cells.get(r).cloned();
                lines
                    .columns
                    .iter()
                    .map(|c| cell(c).unwrap_or(Value::Null))
                    .collect()
            })
            .collect(),
    };
    let scale = omnikpi::money::Currency::lookup(
        result
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        None,
        "currency",
    )?
    .minor_units();
    let records = |name: &str, key: &str| -> ExportTable {
        let rows = summary
            .get(key)
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let columns: Vec<String> = rows
            .first()
            .and_then(Value::as_object)
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let kinds = columns
            .iter()
            .map(|c| match c.as_str() {
                "period" | "party" => ColumnKind::Text,
                _ => ColumnKind::Decimal { scale },
            })
            .collect();
        ExportTable {
            name: name.into(),
            rows: rows
                .iter()
                .map(|r| {
                    columns
                        .iter()
                        .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                        .collect()
                })
                .collect(),
            columns,
            kinds,
        }
    };
    let cert = omnikpi::certificate::certificate("incentives.split", input, &Value::Null, result)?;
    let policy = result.get("policy").cloned().unwrap_or(Value::Null);
    let mut provenance = vec![
        ("policy_id", policy.get("id").cloned()),
        ("policy_version", policy.get("version").cloned()),
        ("currency", result.get("currency").cloned()),
    ];
    for field in [
        "certificate",
        "kpi",
        "version",
        "input",
        "result",
        "omnikpi",
    ] {
        provenance.push((field, cert.get(field).cloned()));
    }
    let certificate = ExportTable {
        name: "certificate".into(),
        columns: vec!["field".into(), "value".into()],
        kinds: vec![ColumnKind::Text; 2],
        rows: provenance
            .into_iter()
            .map(|(k, v)| vec![Value::from(k), v.unwrap_or(Value::Null)])
            .collect(),
    };
    report::workbook(&[
        lines,
        records("periods", "payouts"),
        records("parties", "by_party"),
        certificate,
    ])
}

/// The last line of `incentives check`: whether the payouts agree, and if not, how many
/// differences and malformed rows there are.
fn verdict(check: &omnikpi::incentive::Check) -> String {
    if check.agrees() {
        return "no difference: the payouts match the canonical split".to_owned();
    }
    format!(
        "{} difference(s) and {} malformed row(s): the payouts do not match the canonical split",
        check.differences.len(),
        check.rows.rejected
    )
}

fn run(cli: Cli) -> Result<(String, bool), KpiError> {
    match cli.command {
        Command::Incentives { action } => incentives(action),
        Command::Surfaces { root, check } => generate_surfaces(&root, check),
        Command::Verify {
            certificate,
            input,
            pack,
            policy,
            sales,
            touches,
            closed,
            reading,
            json,
        } => {
            let incentive = policy.zip(sales).map(|(policy, sales)| IncentiveFiles {
                policy,
                sales,
                touches,
                closed,
                reading,
            });
            verify(
                &certificate,
                input.as_deref(),
                pack.as_deref(),
                incentive.as_ref(),
                json,
            )
        }
        command => run_command(command).map(|text| (text, false)),
    }
}

/// `omnikpi verify`: the verification, and whether it refutes the certificate (exit 1).
fn verify(
    certificate: &Path,
    input: Option<&Path>,
    pack: Option<&[PathBuf]>,
    incentive: Option<&IncentiveFiles>,
    json: bool,
) -> Result<(String, bool), KpiError> {
    let cert = omnikpi::parse_json(&read_text(certificate)?, "certificate")?;
    let out = match (input, pack, incentive) {
        (Some(input), _, _) => {
            let input = omnikpi::parse_json(&read_text(input)?, "input")?;
            omnikpi::certificate::verify(&cert, &input)?
        }
        (None, Some([pack, dir]), _) => {
            let (pack, files) = report::read(pack, dir)?;
            pack.verify(&cert, &files)?
        }
        (None, _, Some(files)) => {
            let tables = incentive_input(files, None)?;
            omnikpi::certificate::verify(&cert, tables.value()).map_err(|e| tables.locate(e))?
        }
        (None, _, None) => {
            return Err(KpiError::at(
                ErrorCode::MissingField,
                "--input",
                "is required, or --pack PACK DATA for a certificate of a pack's report, or --policy and --sales for an incentive result",
            ))
        }
    };
    let confirmed = out.get("confirmed") == Some(&Value::Bool(true));
    if json {
        return Ok((pretty(&out), !confirmed));
    }
    let mut text = format!(
        "{} {}\n",
        if confirmed { "confirmed:" } else { "refuted:" },
        out.get("kpi").and_then(Value::as_str).unwrap_or_default()
    );
    for check in out
        .get("checks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = |k: &str| {
            check
                .get(k)
                .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
        };
        let ok = check.get("ok") == Some(&Value::Bool(true));
        text.push_str(&format!(
            "  {} {:<12} {}\n",
            if ok { "ok  " } else { "DIFF" },
            field("check").unwrap_or_default(),
            if ok {
                field("found").unwrap_or_default()
            } else {
                format!(
                    "certified {}, found {}",
                    field("certified").unwrap_or_default(),
                    field("found").unwrap_or_default()
                )
            }
        ));
    }
    Ok((text.trim_end().to_owned(), !confirmed))
}

/// `omnikpi surfaces`: the report, and whether `--check` found drift (exit 1, like `diff`).
fn generate_surfaces(root: &Path, check: bool) -> Result<(String, bool), KpiError> {
    let drifted = surfaces::run(root, check)
        .map_err(|e| KpiError::new(ErrorCode::InvalidDataset, Some("surfaces".into()), e))?;
    let verb = if check {
        "differs from the spec:"
    } else {
        "wrote"
    };
    let mut text: String = drifted.iter().map(|p| format!("{verb} {p}\n")).collect();
    text.push_str(match (check, drifted.is_empty()) {
        (_, true) => "every generated surface matches the spec",
        (true, false) => "generated surfaces are out of date: run `omnikpi surfaces`",
        (false, false) => "regenerated from the spec",
    });
    Ok((text, check && !drifted.is_empty()))
}

fn run_command(command: Command) -> Result<String, KpiError> {
    match command {
        Command::Catalog { json } => {
            if json {
                return Ok(pretty(&omnikpi::catalog_json()));
            }
            let rows = omnikpi::catalog()
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_owned(),
                        d.version.clone(),
                        d.document
                            .pointer("/title/en")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    ]
                })
                .collect();
            Ok(table::render(
                &["kpi".into(), "version".into(), "title".into()],
                rows,
            ))
        }
        Command::Eval {
            kpi,
            input,
            params,
            certificate,
        } => {
            let input = omnikpi::parse_json(&read_text(&input)?, "input")?;
            let params = match params {
                None => Value::Null,
                Some(p) if Path::new(&p).is_file() => {
                    omnikpi::parse_json(&read_text(Path::new(&p))?, "params")?
                }
                Some(p) => omnikpi::parse_json(&p, "params")?,
            };
            let (result, cert) = omnikpi::certificate::certify(&kpi, &input, &params)?;
            if let Some(path) = certificate {
                write_file(&path, &pretty(&cert))?;
            }
            Ok(pretty(&result.to_json()))
        }
        Command::EvalLines { file } => eval_lines(&read_text(&file)?),
        Command::Attribute {
            journeys,
            model,
            channels,
            currency,
            lookback_seconds,
            columns,
            outcome,
            timestamp_unit,
            timezone,
            money_from_float,
            delimiter,
            decimal,
            sheet,
            params,
            intervals,
            replicates,
            confidence,
            seed,
            json,
        } => {
            let reading = reading(
                &columns,
                serde_json::json!({
                    "outcome": outcome,
                    "timestamp_unit": timestamp_unit,
                    "timezone": timezone,
                    "money_from_float": money_from_float,
                    "delimiter": delimiter,
                    "decimal": decimal,
                }),
            )?;
            let name = |p: &Path| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            };
            let taxonomy_json =
                omnikpi::table::channels_from_csv(&read_text(&channels)?, &name(&channels))?;
            let params = match params {
                Some(p) => omnikpi::parse_json(&p, "params")?,
                None => Value::Null,
            };
            let ids: Vec<&str> = if model == "all" {
                omnikpi::attribution::model_ids()
            } else {
                model
                    .split(',')
                    .map(omnikpi::attribution::model_id)
                    .collect::<Result<_, _>>()?
            };
            let bootstrap = intervals.then(|| {
                serde_json::json!({"intervals": true, "replicates": replicates, "confidence": confidence, "seed": seed})
            });
            let specs: Vec<(String, Value)> = ids
                .iter()
                .map(|id| {
                    let short = omnikpi::attribution::short_name(id);
                    let own = params.get(short).cloned().unwrap_or(Value::Null);
                    ((*id).to_owned(), with_intervals(own, bootstrap.as_ref()))
                })
                .collect();
            let channel_rows = omnikpi::table::CsvRows::one_per_row(
                "channels",
                &name(&channels),
                taxonomy_json.len(),
            );
            let taxonomy = omnikpi::channel::Taxonomy::from_json(&Value::Array(taxonomy_json))
                .map_err(|e| channel_rows.locate(e))?;
            let currency = omnikpi::money::Currency::lookup(&currency, None, "currency")?;
            let source = TableSource {
                path: &journeys,
                sheet: sheet.as_deref(),
            };
            let (batch, conversions) = table_journeys(&source, &reading, &taxonomy, &currency)?;
            if conversions.money_rounded > 0 {
                eprintln!(
                    "omnikpi: note: money-from-float rounded {} amounts at {} places; {} moved by more than 1e-9",
                    conversions.money_rounded,
                    currency.minor_units(),
                    conversions.money_changed
                );
            }
            let results = omnikpi::attribution::run_models(
                &taxonomy,
                &currency,
                &batch,
                &specs,
                lookback_seconds,
            )?;
            let comparison = omnikpi::attribution::Comparison::from_results(
                results,
                currency.code(),
                batch.len(),
            )?;
            if json {
                Ok(pretty(&Value::Array(
                    comparison
                        .results
                        .iter()
                        .map(omnikpi::attribution::Attribution::to_json)
                        .collect(),
                )))
            } else {
                Ok(table::render_result(&comparison.table.to_json(), 0))
            }
        }
        Command::Surfaces { root, check } => generate_surfaces(&root, check).map(|(text, _)| text),
        Command::Handbook { out, lang, pack } => {
            let pack = match pack {
                Some(path) => Some(omnikpi::pack::Pack::from_json_text(&read_text(&path)?)?),
                None => None,
            };
            let langs: Vec<&str> = match &lang {
                Some(l) => vec![l.as_str()],
                None => handbook::LANGUAGES.to_vec(),
            };
            let mut written = 0;
            for l in &langs {
                let other = langs.iter().copied().find(|o| o != l);
                for (name, content) in handbook::pages(l, other, pack.as_ref())? {
                    write_file(&out.join(l).join(name), &content)?;
                    written += 1;
                }
            }
            let (html, md) = handbook::root_index(&langs);
            write_file(&out.join("index.html"), &html)?;
            write_file(&out.join("index.md"), &md)?;
            Ok(format!(
                "wrote {} files ({}) to {}; open {}",
                written + 2,
                langs.join(", "),
                out.display(),
                out.join("index.html").display()
            ))
        }
        Command::Report {
            dir,
            pack: Some(pack),
            json,
            lang,
            out,
            format,
        } => {
            let report = report::compute(&pack, &dir)?;
            let lang = report::language(&report, lang.as_deref());
            match (out, json) {
                (Some(out), _) => report::write_all(&report, &out, &lang, &format),
                (None, true) => Ok(pretty(&report)),
                (None, false) => report::text(&report, &lang),
            }
        }
        Command::Report { dir, json, .. } => {
            let report = omnikpi::dataset::report(&read_dataset(&dir)?)?.to_json();
            if json {
                Ok(pretty(&report))
            } else {
                Ok(table::render_report(&report))
            }
        }
        // `run` takes these first, to keep their "differences found" flag.
        Command::Incentives { action } => incentives(action).map(|(text, _)| text),
        Command::Verify {
            certificate,
            input,
            pack,
            policy,
            sales,
            touches,
            closed,
            reading,
            json,
        } => {
            let incentive = policy.zip(sales).map(|(policy, sales)| IncentiveFiles {
                policy,
                sales,
                touches,
                closed,
                reading,
            });
            verify(
                &certificate,
                input.as_deref(),
                pack.as_deref(),
                incentive.as_ref(),
                json,
            )
            .map(|(text, _)| text)
        }
    }
}

/// The declared reading of a touch table from the `attribute` flags, as the core reads it
/// ([`omnikpi::table::reading::Reading::from_json`], the same object Python hands over).
fn reading(
    columns: &[String],
    mut options: Value,
) -> Result<omnikpi::table::reading::Reading, KpiError> {
    let mut roles = serde_json::Map::new();
    for pair in columns {
        let (role, column) = pair.split_once('=').ok_or_else(|| {
            KpiError::at(
                ErrorCode::InvalidParameter,
                "reading.columns",
                format!("`--column {pair}` must be ROLE=NAME, such as journey_id=user_pseudo_id"),
            )
        })?;
        roles.insert(role.to_owned(), Value::String(column.to_owned()));
    }
    if let Some(map) = options.as_object_mut() {
        map.insert("columns".to_owned(), Value::Object(roles));
    }
    omnikpi::table::reading::Reading::from_json(&options)
}

/// A touch table's file, and the sheet to read when it is a workbook.
struct TableSource<'a> {
    path: &'a Path,
    sheet: Option<&'a str>,
}

/// Journeys in long format from a CSV, Parquet or workbook file (by extension), read batch by
/// batch into the core's builder by the one Arrow reader, as `reading` declares. Errors in a
/// CSV file or a sheet name the file's row and column, and how the file was read.
fn table_journeys(
    source: &TableSource,
    reading: &omnikpi::table::reading::Reading,
    taxonomy: &omnikpi::channel::Taxonomy,
    currency: &omnikpi::money::Currency,
) -> Result<
    (
        omnikpi::attribution::JourneyBatch,
        omnikpi::table::reading::Conversions,
    ),
    KpiError,
> {
    use omnikpi::table::arrow::{csv_batches, in_file};
    let path = source.path;
    let bad = |e: &dyn std::fmt::Display| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(path.display().to_string()),
            format!("cannot read `{}` as Parquet: {e}", path.display()),
        )
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    type Batches<'b> =
        Box<dyn Iterator<Item = Result<arrow_array::RecordBatch, KpiError>> + Send + 'b>;
    let mut rows = None;
    let (batches, reading, how): (Batches, _, _) = if extension.as_deref() == Some("parquet") {
        let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| {
                // only the columns of the reading's roles are decoded
                let roles = reading.columns.names();
                let used = b
                    .schema()
                    .fields()
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| roles.contains(&f.name().as_str()))
                    .map(|(i, _)| i);
                let mask = parquet::arrow::ProjectionMask::roots(b.parquet_schema(), used);
                rows = usize::try_from(b.metadata().file_metadata().num_rows()).ok();
                b.with_projection(mask).with_batch_size(65_536).build()
            })
            .map_err(|e| bad(&e))?;
        let batches = Box::new(reader.map(move |b| b.map_err(|e| bad(&e))));
        (batches, reading.clone(), None)
    } else if omnikpi::table::xlsx::is_workbook(&name) {
        let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
        let batch = omnikpi::table::xlsx::sheet_batch(&bytes, &name, source.sheet)?;
        let how = format!("read as a workbook, sheet {}", source.sheet.unwrap_or("1"));
        (
            Box::new(std::iter::once(Ok(batch))) as Batches,
            reading.clone(),
            Some(how),
        )
    } else {
        let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
        let (batches, resolved) = csv_batches(std::io::BufReader::new(file), &name, reading)?;
        let how = format!("read as CSV: {}", resolved.csv);
        (Box::new(batches) as Batches, resolved, Some(how))
    };
    let reading = &reading;
    let locate = |e: KpiError| match &how {
        Some(how) => in_file(e, &name, how),
        None => e,
    };
    read_ahead(batches, |batches| {
        omnikpi::table::arrow::journeys(batches, rows, reading, taxonomy, currency)
    })
    .map_err(locate)
}

/// A model's parameters with the `--intervals` flags (`bootstrap`, their values or null) added
/// where the model's own `--params` do not set them.
fn with_intervals(own: Value, bootstrap: Option<&Value>) -> Value {
    let Some(Value::Object(flags)) = bootstrap else {
        return own;
    };
    let mut params = match own {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    for (name, value) in flags {
        if !value.is_null() && !params.contains_key(name) {
            params.insert(name.clone(), value.clone());
        }
    }
    Value::Object(params)
}

/// Runs `build` on `batches` decoded on a second thread, a few batches ahead: the file is
/// decoded (Parquet pages, CSV text) while the journeys of the batches before are built. The
/// batches arrive in their order, so the result is the one a single thread gives; when `build`
/// stops early (an error), the decoding thread stops at its next batch.
fn read_ahead<T: Send, R>(
    batches: impl Iterator<Item = T> + Send,
    build: impl FnOnce(std::sync::mpsc::IntoIter<T>) -> R,
) -> R {
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel(2);
        scope.spawn(move || {
            for batch in batches {
                if sender.send(batch).is_err() {
                    break;
                }
            }
        });
        build(receiver.into_iter())
    })
}

/// One envelope line per case of a JSON Lines batch (see `Command::EvalLines`).
fn eval_lines(text: &str) -> Result<String, KpiError> {
    let mut out = String::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let case = omnikpi::parse_json(line, &format!("line {}", i + 1))?;
        let field = |key: &str| case.get(key).and_then(Value::as_str).unwrap_or("");
        let result = omnikpi::parse_json(field("input"), "input").and_then(|input| {
            let params = omnikpi::parse_json(field("params"), "params")?;
            omnikpi::evaluate(field("kpi"), &input, &params)
        });
        let envelope = match result {
            Ok(output) => serde_json::json!({ "ok": output.to_json() }),
            Err(e) => serde_json::json!({ "error": e.to_json() }),
        };
        out.push_str(&envelope.to_string());
        out.push('\n');
    }
    Ok(out.trim_end().to_owned())
}

pub(crate) fn write_file(path: &Path, content: &str) -> Result<(), KpiError> {
    let fail = |e: std::io::Error| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(path.display().to_string()),
            format!("cannot write `{}`: {e}", path.display()),
        )
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(path, content).map_err(fail)
}

pub(crate) fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn main() -> ExitCode {
    let matches = Cli::command().subcommand(kpi::command()).get_matches();
    let outcome = match matches.subcommand() {
        Some(("kpi", kpi)) => kpi::run(kpi).map(|text| (text, false)),
        _ => run(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())),
    };
    match outcome {
        Ok((text, differences)) => {
            // A closed pipe (`omnikpi report ... | head`) ends the output quietly, without a panic.
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{text}").and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("omnikpi: cannot write the output: {e}");
                    ExitCode::FAILURE
                }
                _ if differences => ExitCode::from(1),
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("omnikpi: error {}", e.line());
            ExitCode::from(2)
        }
    }
}
