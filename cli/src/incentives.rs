//! `omnikpi incentives`: the incentive commands (split, check, close, statement, policy, diff)
//! and the files they read — the policy, the sales, touches and claimed payouts in any dialect
//! or workbook, closed periods — handed to the core as one input.

use crate::{io_error, policy_file, pretty, read_text, report, table, write_file};
use clap::Subcommand;
use omnikpi::{ErrorCode, KpiError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files every incentive command reads.
#[derive(clap::Args)]
pub(crate) struct IncentiveFiles {
    /// The incentive policy (JSON, format omnikpi.incentive_policy/1), or a list of its dated
    /// versions (a history: each sale is paid by the version in force on its day).
    #[arg(long)]
    pub(crate) policy: PathBuf,
    /// Sales and refunds: CSV (one column per field, any dialect), a workbook (.xlsx, .xls,
    /// .ods) or a JSON array.
    #[arg(long)]
    pub(crate) sales: PathBuf,
    /// Customer touches for touch conditions and attribution shares: CSV, a workbook or JSON
    /// (customer_id, timestamp, channel; other columns are ignored).
    #[arg(long)]
    pub(crate) touches: Option<PathBuf>,
    /// A period closed before (the JSON record `incentives close` wrote); repeat for each.
    /// A closed period keeps its lines and pay, and changes to it are booked as prior-period
    /// adjustments in the next open period.
    #[arg(long)]
    pub(crate) closed: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) reading: TableReading,
}

/// How the incentive tables are read: CSV in any dialect (Excel's `;` with decimal commas
/// included) or a sheet of a workbook (.xlsx, .xls, .ods), by the core's one record reader.
#[derive(clap::Args)]
pub(crate) struct TableReading {
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
    #[command(flatten)]
    dialect: CsvDialect,
}

/// The CSV dialect of a table file, declared (every command that reads tables takes these).
#[derive(clap::Args)]
pub(crate) struct CsvDialect {
    /// CSV delimiter: `,` `;` `tab` `|` (default: detected from the header).
    #[arg(long)]
    pub(crate) delimiter: Option<String>,
    /// CSV decimal separator: `.` or `,` (default: `,` with a `;` delimiter, as Excel writes).
    #[arg(long)]
    pub(crate) decimal: Option<String>,
}

impl TableReading {
    /// The core's reading of these options (one parser of them for every front end); integer
    /// times are Unix seconds, as the incentive inputs define them, unless a unit is declared.
    fn reading(&self) -> Result<omnikpi::table::reading::Reading, KpiError> {
        omnikpi::table::reading::Reading::from_json(&serde_json::json!({
            "timestamp_unit": self.timestamp_unit.as_deref().unwrap_or("s"),
            "timezone": self.timezone,
            "money_from_float": self.money_from_float,
            "delimiter": self.dialect.delimiter,
            "decimal": self.dialect.decimal,
        }))
    }
}

#[derive(Subcommand)]
pub(crate) enum Incentives {
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

/// An incentive table's file: its path and the sheet to read when it is a workbook.
#[derive(Clone, Copy)]
pub(crate) struct TableFile<'a> {
    list: &'a str,
    path: &'a Path,
    sheet: Option<&'a str>,
}

/// The records of the incentive tables read from their files, and where each list's records
/// are in its file, to name the row and column of an error the engine finds.
pub(crate) struct Tables {
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
    pub(crate) fn locate(&self, e: KpiError) -> KpiError {
        self.rows.values().fold(e, |e, rows| rows.locate(e))
    }

    /// The input the engine reads.
    pub(crate) fn value(&self) -> &Value {
        &self.input
    }
}

/// The currency of a policy (or of the first version of a history), for reading its tables'
/// float money.
pub(crate) fn policy_currency(policy: &Value) -> Result<omnikpi::money::Currency, KpiError> {
    let history = omnikpi::incentive::History::read(policy, "input.policy")?;
    let currency = history.versions().next().map(|p| p.currency.clone());
    currency.ok_or_else(|| KpiError::at(ErrorCode::InvalidPolicy, "input.policy", "has no version"))
}

/// The input of an incentive command: the policy, the sales, touches and closed periods (and
/// the claimed payouts) from their files.
pub(crate) fn incentive_input(
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

pub(crate) fn read_policy(path: &Path, name: &str) -> Result<Value, KpiError> {
    policy_file::read(path, name)
}

/// The sales and touches of an incentive input.
pub(crate) fn ledger_tables(
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
pub(crate) fn what_if(
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

pub(crate) fn run(action: Incentives) -> Result<(String, bool), KpiError> {
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
pub(crate) fn statements(
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
pub(crate) fn split_workbook(
    input: &Value,
    result: &Value,
    summary: &Value,
) -> Result<Vec<u8>, KpiError> {
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
pub(crate) fn verdict(check: &omnikpi::incentive::Check) -> String {
    if check.agrees() {
        return "no difference: the payouts match the canonical split".to_owned();
    }
    format!(
        "{} difference(s) and {} malformed row(s): the payouts do not match the canonical split",
        check.differences.len(),
        check.rows.rejected
    )
}
