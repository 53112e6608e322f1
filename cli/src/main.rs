//! `omnikpi`: the command line for analysts and finance teams.
//!
//! ```text
//! omnikpi catalog [--json]
//! omnikpi eval <kpi> --input FILE|- [--params FILE|JSON]
//! omnikpi report <dir> [--json]
//! omnikpi handbook --out DIR [--lang en|fr]
//! omnikpi attribute --model linear,markov --channels channels.csv --currency EUR journeys.csv
//! ```
//! Errors go to stderr as `omnikpi: error [code] at path: message`, exit status 1.

mod handbook;
mod table;

use clap::{Parser, Subcommand};
use omnikpi::{ErrorCode, KpiError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One canonical set of omnichannel KPIs.
#[derive(Parser)]
#[command(name = "omnikpi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
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
        kpi: String,
        /// JSON input file, or - for standard input.
        #[arg(long)]
        input: PathBuf,
        /// Parameters: a JSON file, or inline JSON text.
        #[arg(long)]
        params: Option<String>,
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
        /// Per-model parameters as JSON: {"markov": {"order": 2}, "time_decay": {"half_life_seconds": 86400}}.
        #[arg(long)]
        params: Option<String>,
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
    },
    /// Compute every KPI on a dataset folder and print a readable report.
    Report {
        /// Folder with dataset.json and the CSV tables (see examples/retail).
        dir: PathBuf,
        /// Print the report as JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
}

fn io_error(what: &Path, e: &std::io::Error) -> KpiError {
    KpiError::new(
        ErrorCode::InvalidDataset,
        Some(what.display().to_string()),
        format!("cannot read `{}`: {e}", what.display()),
    )
}

fn read_text(path: &Path) -> Result<String, KpiError> {
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

fn run(cli: Cli) -> Result<String, KpiError> {
    match cli.command {
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
        Command::Eval { kpi, input, params } => {
            let input = omnikpi::parse_json(&read_text(&input)?, "input")?;
            let params = match params {
                None => Value::Null,
                Some(p) if Path::new(&p).is_file() => {
                    omnikpi::parse_json(&read_text(Path::new(&p))?, "params")?
                }
                Some(p) => omnikpi::parse_json(&p, "params")?,
            };
            Ok(pretty(&omnikpi::evaluate(&kpi, &input, &params)?.to_json()))
        }
        Command::Attribute {
            journeys,
            model,
            channels,
            currency,
            lookback_seconds,
            params,
            json,
        } => {
            let name = |p: &Path| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            };
            let taxonomy_json =
                omnikpi::dataset::channels_from_csv(&read_text(&channels)?, &name(&channels))?;
            let params = match params {
                Some(p) => omnikpi::parse_json(&p, "params")?,
                None => Value::Null,
            };
            let ids: Vec<String> = if model == "all" {
                omnikpi::attribution::MODEL_IDS
                    .iter()
                    .map(|m| (*m).to_owned())
                    .collect()
            } else {
                model
                    .split(',')
                    .map(|m| {
                        format!(
                            "attribution.{}",
                            m.trim().trim_start_matches("attribution.")
                        )
                    })
                    .collect()
            };
            let specs: Vec<(String, Value)> = ids
                .iter()
                .map(|id| {
                    let short = id.trim_start_matches("attribution.");
                    (
                        id.clone(),
                        params.get(short).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            let comparison = if journeys.extension().is_some_and(|e| e == "parquet") {
                let taxonomy = omnikpi::channel::Taxonomy::from_json(&Value::Array(taxonomy_json))?;
                let currency = omnikpi::money::Currency::lookup(&currency, None, "currency")?;
                let batch = parquet_journeys(&journeys, &taxonomy, &currency)?;
                let results = omnikpi::attribution::run_models(
                    &taxonomy,
                    &currency,
                    &batch,
                    &specs,
                    lookback_seconds,
                )?;
                omnikpi::attribution::Comparison::from_results(
                    &specs,
                    results,
                    currency.code(),
                    batch.len(),
                )
            } else {
                let input = serde_json::json!({
                    "channels": taxonomy_json,
                    "currency": currency,
                    "journeys": omnikpi::dataset::journeys_from_csv(&read_text(&journeys)?, &name(&journeys))?,
                });
                omnikpi::attribution::compare(&input, &specs, lookback_seconds)?
            };
            if json {
                Ok(pretty(&Value::Array(
                    comparison
                        .results
                        .iter()
                        .map(omnikpi::Output::to_json)
                        .collect(),
                )))
            } else {
                Ok(table::render_result(&comparison.table.to_json(), 0))
            }
        }
        Command::Handbook { out, lang } => {
            let langs: Vec<&str> = match &lang {
                Some(l) => vec![l.as_str()],
                None => handbook::LANGUAGES.to_vec(),
            };
            let mut written = 0;
            for l in &langs {
                let other = langs.iter().copied().find(|o| o != l);
                for (name, content) in handbook::pages(l, other)? {
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
        Command::Report { dir, json } => {
            let report = omnikpi::dataset::report(&read_dataset(&dir)?)?.to_json();
            if json {
                Ok(pretty(&report))
            } else {
                Ok(table::render_report(&report))
            }
        }
    }
}

/// Journeys in long format from a Parquet file, read batch by batch into the core's builder.
fn parquet_journeys(
    path: &Path,
    taxonomy: &omnikpi::channel::Taxonomy,
    currency: &omnikpi::money::Currency,
) -> Result<omnikpi::attribution::JourneyBatch, KpiError> {
    let bad = |e: &dyn std::fmt::Display| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(path.display().to_string()),
            format!("cannot read `{}` as Parquet: {e}", path.display()),
        )
    };
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(&e))?;
    let mut builder = omnikpi::attribution::LongBuilder::new(taxonomy);
    let columns = omnikpi::attribution::table::Columns::default();
    let mut rows = 0;
    for batch in reader {
        let batch = batch.map_err(|e| bad(&e))?;
        omnikpi::attribution::table::add_batch(&mut builder, &batch, &columns, currency, rows)?;
        rows += batch.num_rows();
    }
    builder.finish()
}

fn write_file(path: &Path, content: &str) -> Result<(), KpiError> {
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

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(text) => {
            // A closed pipe (`omnikpi report ... | head`) ends the output quietly, without a panic.
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{text}").and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("omnikpi: cannot write the output: {e}");
                    ExitCode::FAILURE
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            match e.path() {
                Some(path) => eprintln!("omnikpi: error [{}] at {path}: {}", e.code(), e.message()),
                None => eprintln!("omnikpi: error [{}]: {}", e.code(), e.message()),
            }
            ExitCode::FAILURE
        }
    }
}
