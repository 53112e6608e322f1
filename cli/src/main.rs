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
mod incentives;
mod kpi;
mod policy_file;
mod report;
mod surfaces;
mod table;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use incentives::{incentive_input, CsvDialect, IncentiveFiles, Incentives, TableReading};
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
        #[arg(long, required_unless_present_any = ["pack", "policy", "journeys"])]
        input: Option<PathBuf>,
        /// A certificate of `attribute --certificate` (a list: every model's is checked): the
        /// touch table, read as the certificate's `reading` declares.
        #[arg(long, conflicts_with_all = ["input", "pack", "policy"], requires_all = ["channels", "currency"])]
        journeys: Option<PathBuf>,
        /// The channel taxonomy CSV of an attribution's certificate.
        #[arg(long, requires = "journeys")]
        channels: Option<PathBuf>,
        /// The currency of an attribution's certificate.
        #[arg(long, requires = "journeys")]
        currency: Option<String>,
        /// The sheet of the touch table's workbook (default: the first).
        #[arg(long, requires = "journeys")]
        sheet: Option<String>,
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
        #[command(flatten)]
        dialect: CsvDialect,
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
        /// Cut every model's result by these columns of the table (comma-separated, such as
        /// brand,country): the journeys of each combination of their values are a segment, the
        /// result holds `by` and `segments`, and its own fields are the consolidated total. A
        /// journey's values are the same on each of its rows.
        #[arg(long, value_delimiter = ',')]
        by: Vec<String>,
        /// With `period` in --by: the grain it is derived in from each journey's conversion
        /// time (day, iso_week, month, quarter); without, `period` is a column of the table.
        #[arg(long, requires = "by")]
        period: Option<String>,
        /// The IANA time zone of derived periods (default UTC).
        #[arg(long, requires = "period")]
        time_zone: Option<String>,
        /// Also write each model's certificate (a JSON list: parameters, the reading declared,
        /// SHA-256 of the journeys as read and of the result) to this file; `omnikpi verify
        /// CERT --journeys FILE --channels CSV --currency CODE` checks it.
        #[arg(long)]
        certificate: Option<PathBuf>,
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
        /// Keep the rows of these values of a dimension only: `brand=lumen` or
        /// `country=FR,BE` (repeat for several dimensions).
        #[arg(long = "where", value_name = "DIMENSION=VALUES", requires = "pack")]
        filters: Vec<String>,
        /// Keep the rows of this day and later (YYYY-MM-DD, in the pack's time zone).
        #[arg(long, requires = "pack")]
        from: Option<String>,
        /// Keep the rows of this day and earlier (YYYY-MM-DD, in the pack's time zone).
        #[arg(long, requires = "pack")]
        to: Option<String>,
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

/// Reads the dataset files of `dir` (every name in [`omnikpi::dataset::FILES`]) as bytes, made
/// text by the core's rule ([`omnikpi::dataset::texts`]).
fn read_dataset(dir: &Path) -> Result<BTreeMap<String, String>, KpiError> {
    omnikpi::dataset::texts(read_folder(dir, omnikpi::dataset::FILES)?)
}

/// The bytes of each of `names` that `dir` holds, for the core to read: the one folder reader
/// of dataset and pack reports.
pub(crate) fn read_folder<'a>(
    dir: &Path,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<(String, omnikpi::pack::DataFile)>, KpiError> {
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(name);
        if path.exists() {
            let bytes = std::fs::read(&path).map_err(|e| io_error(&path, &e))?;
            files.push((name.to_owned(), omnikpi::pack::DataFile::Bytes(bytes)));
        }
    }
    Ok(files)
}

fn run(cli: Cli) -> Result<(String, bool), KpiError> {
    match cli.command {
        Command::Incentives { action } => incentives::run(action),
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
            journeys,
            channels,
            currency,
            sheet,
        } => {
            let evidence = match (input, pack, policy.zip(sales), journeys) {
                (Some(input), ..) => Evidence::Input(input),
                (None, Some(pack), ..) => Evidence::Pack(pack),
                (None, None, Some((policy, sales)), _) => Evidence::Incentive(IncentiveFiles {
                    policy,
                    sales,
                    touches,
                    closed,
                    reading,
                }),
                (None, None, None, Some(journeys)) => Evidence::Journeys {
                    journeys,
                    channels: channels.unwrap_or_default(),
                    currency: currency.unwrap_or_default(),
                    sheet,
                },
                (None, None, None, None) => {
                    return Err(KpiError::at(
                        ErrorCode::MissingField,
                        "--input",
                        "is required, or --pack PACK DATA for a certificate of a pack's report, --policy and --sales for an incentive result, --journeys for an attribution of a touch table",
                    ))
                }
            };
            verify(&certificate, &evidence, json)
        }
        command => run_command(command).map(|text| (text, false)),
    }
}

/// What `omnikpi verify` recomputes a certificate's result from.
enum Evidence {
    /// A KPI's JSON input (`eval`, Python's and JS's `certify`).
    Input(PathBuf),
    /// A pack and its data's folder.
    Pack(Vec<PathBuf>),
    /// An incentive result's tables.
    Incentive(IncentiveFiles),
    /// An attribution of a touch table (`attribute --certificate`).
    Journeys {
        journeys: PathBuf,
        channels: PathBuf,
        currency: String,
        sheet: Option<String>,
    },
}

/// `omnikpi verify`: the verification, and whether it refutes the certificate (exit 1). A
/// list of certificates (`attribute --certificate`) is verified one by one and refuted when
/// one is.
fn verify(certificate: &Path, evidence: &Evidence, json: bool) -> Result<(String, bool), KpiError> {
    let cert = omnikpi::parse_json(&read_text(certificate)?, "certificate")?;
    let outs = match &cert {
        Value::Array(certs) => certs
            .iter()
            .map(|c| verification(c, evidence))
            .collect::<Result<Vec<_>, _>>()?,
        one => vec![verification(one, evidence)?],
    };
    let refuted = outs
        .iter()
        .any(|out| out.get("confirmed") != Some(&Value::Bool(true)));
    if json {
        let out = match (&cert, outs.as_slice()) {
            (Value::Array(_), _) | (_, []) => Value::Array(outs),
            (_, [one, ..]) => one.clone(),
        };
        return Ok((pretty(&out), refuted));
    }
    let text: Vec<String> = outs.iter().map(verification_text).collect();
    Ok((text.join("\n"), refuted))
}

/// The core's verification of one certificate against `evidence`.
fn verification(cert: &Value, evidence: &Evidence) -> Result<Value, KpiError> {
    match evidence {
        Evidence::Input(input) => {
            let input = omnikpi::parse_json(&read_text(input)?, "input")?;
            omnikpi::certificate::verify(cert, &input)
        }
        Evidence::Pack(paths) => {
            let [pack, dir] = paths.as_slice() else {
                return Err(KpiError::at(
                    ErrorCode::MissingField,
                    "--pack",
                    "takes PACK DATA",
                ));
            };
            let (pack, files) = report::read(pack, dir)?;
            pack.verify(cert, &files)
        }
        Evidence::Incentive(files) => {
            let tables = incentive_input(files, None)?;
            omnikpi::certificate::verify(cert, tables.value()).map_err(|e| tables.locate(e))
        }
        Evidence::Journeys {
            journeys,
            channels,
            currency,
            sheet,
        } => {
            let request =
                omnikpi::certificate::request_of(cert, &taxonomy_json(channels)?, currency)?;
            let source = TableSource {
                path: journeys,
                sheet: sheet.as_deref(),
            };
            let (read, _) = table_journeys(&source, &request)?;
            omnikpi::certificate::verify_read(cert, &request, &read)
        }
    }
}

/// A verification as text: the verdict and one line per check.
fn verification_text(out: &Value) -> String {
    let confirmed = out.get("confirmed") == Some(&Value::Bool(true));
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
    text.trim_end().to_owned()
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
            dialect,
            sheet,
            params,
            intervals,
            replicates,
            confidence,
            seed,
            json,
            by,
            period,
            time_zone,
            certificate,
        } => {
            let reading = reading_options(
                &columns,
                serde_json::json!({
                    "outcome": outcome,
                    "timestamp_unit": timestamp_unit,
                    "timezone": timezone,
                    "money_from_float": money_from_float,
                    "delimiter": dialect.delimiter,
                    "decimal": dialect.decimal,
                }),
            )?;
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
            let shorts: Vec<&str> = ids
                .iter()
                .map(|id| omnikpi::attribution::short_name(id))
                .collect();
            let model_params: serde_json::Map<String, Value> = shorts
                .iter()
                .map(|short| {
                    let own = params.get(*short).cloned().unwrap_or(Value::Null);
                    ((*short).to_owned(), with_intervals(own, bootstrap.as_ref()))
                })
                .collect();
            let request = attribution_request(
                &channels,
                &currency,
                serde_json::json!({
                    "model": shorts,
                    "model_params": model_params,
                    "lookback_seconds": lookback_seconds,
                    "reading": reading,
                    "by": (!by.is_empty()).then_some(&by),
                    "period": period,
                    "time_zone": time_zone,
                }),
            )?;
            let source = TableSource {
                path: &journeys,
                sheet: sheet.as_deref(),
            };
            let (read, conversions) = table_journeys(&source, &request)?;
            if conversions.money_rounded > 0 {
                eprintln!(
                    "omnikpi: note: money-from-float rounded {} amounts at {} places; {} moved by more than 1e-9",
                    conversions.money_rounded,
                    request.currency.minor_units(),
                    conversions.money_changed
                );
            }
            // a table not cut is attributed once, for the JSON and the side-by-side tables
            let (as_json, comparison) = match &read {
                omnikpi::attribution::Read::Whole(batch) => {
                    let results = request.run(batch)?;
                    let as_json: Vec<Value> = results
                        .iter()
                        .map(omnikpi::attribution::Attribution::to_json)
                        .collect();
                    let comparison = omnikpi::attribution::Comparison::from_results(
                        results,
                        request.currency.code(),
                        batch.len(),
                    )?;
                    (as_json, Some(comparison))
                }
                omnikpi::attribution::Read::Segments(_) => {
                    let results = request.results(&read)?;
                    (results.iter().map(omnikpi::Output::to_json).collect(), None)
                }
            };
            if let Some(path) = certificate {
                let input =
                    omnikpi::certificate::read_digest(&read, &request.taxonomy, &request.currency)?;
                let certificates = omnikpi::certificate::certify_read(&request, &input, &as_json)?;
                write_file(&path, &pretty(&Value::Array(certificates)))?;
            }
            match (comparison, json) {
                (_, true) => Ok(pretty(&Value::Array(as_json))),
                (Some(comparison), false) => {
                    Ok(table::render_result(&comparison.table.to_json(), 0))
                }
                (None, false) => Ok(shorts
                    .iter()
                    .zip(&as_json)
                    .map(|(short, result)| format!("{short}\n{}", table::render_result(result, 2)))
                    .collect::<Vec<_>>()
                    .join("\n\n")),
            }
        }
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
            filters,
            from,
            to,
        } => {
            let filter = report::filter(&filters, from, to)?;
            let report = report::compute(&pack, &dir, &filter)?;
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
        // the commands whose verdict sets the exit code are run by `run`
        Command::Incentives { .. } | Command::Surfaces { .. } | Command::Verify { .. } => {
            Err(KpiError::new(
                ErrorCode::InternalError,
                None,
                "run by `run`, with its verdict",
            ))
        }
    }
}

/// The declared reading of a touch table from the `attribute` flags: the object the core's
/// [`omnikpi::table::reading::Reading::from_json`] reads, the same object Python hands over.
fn reading_options(columns: &[String], mut options: Value) -> Result<Value, KpiError> {
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
    Ok(options)
}

/// The core's attribution request (`options`, with the channels CSV's taxonomy and the
/// currency added): a channel the CSV declares wrongly is named at its file's row.
fn attribution_request(
    channels: &Path,
    currency: &str,
    mut options: Value,
) -> Result<omnikpi::attribution::Request, KpiError> {
    let taxonomy = taxonomy_json(channels)?;
    omnikpi::money::Currency::lookup(currency, None, "currency")?;
    if let Some(map) = options.as_object_mut() {
        map.insert("channels".to_owned(), taxonomy);
        map.insert("currency".to_owned(), Value::from(currency));
    }
    omnikpi::attribution::Request::from_json(&options)
}

/// The channels of a channels CSV as the core's taxonomy reads them, a channel declared
/// wrongly named at its file's row.
fn taxonomy_json(channels: &Path) -> Result<Value, KpiError> {
    let name = file_name(channels);
    let taxonomy = omnikpi::table::channels_from_csv(&read_text(channels)?, &name)?;
    let rows = omnikpi::table::CsvRows::one_per_row("channels", &name, taxonomy.len());
    let taxonomy = Value::Array(taxonomy);
    omnikpi::channel::Taxonomy::from_json(&taxonomy).map_err(|e| rows.locate(e))?;
    Ok(taxonomy)
}

/// A path's file name (the path itself when it has none), as errors name files.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A touch table's file, and the sheet to read when it is a workbook.
struct TableSource<'a> {
    path: &'a Path,
    sheet: Option<&'a str>,
}

/// Journeys in long format from a CSV, Parquet or workbook file (by extension), read batch by
/// batch into the core's builder by the one Arrow reader, as `request` declares (cut by its
/// `by`). Errors in a CSV file or a sheet name the file's row and column, and how the file was
/// read.
fn table_journeys(
    source: &TableSource,
    request: &omnikpi::attribution::Request,
) -> Result<
    (
        omnikpi::attribution::Read,
        omnikpi::table::reading::Conversions,
    ),
    KpiError,
> {
    use omnikpi::table::arrow::{csv_batches, in_file};
    let reading = &request.reading;
    let path = source.path;
    let bad = |e: &dyn std::fmt::Display| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(path.display().to_string()),
            format!("cannot read `{}` as Parquet: {e}", path.display()),
        )
    };
    let name = file_name(path);
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
                let dimensions: Vec<&str> = request.by.iter().map(String::as_str).collect();
                let used = b
                    .schema()
                    .fields()
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| {
                        let name = f.name().as_str();
                        roles.contains(&name) || dimensions.contains(&name)
                    })
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
        let mut request = request.clone();
        request.reading = reading.clone();
        omnikpi::table::arrow::read(batches, rows, &request)
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
