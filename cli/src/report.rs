//! `omnikpi report --pack PACK DATA`: an organization's report from its KPI pack and its own
//! files. Core reads the pack, the tables and computes everything ([`omnikpi::pack`]); this
//! module reads the files the pack names from the folder, and writes what core returns: terminal
//! tables, JSON, and with `--out` one file per table (CSV, Parquet, XLSX) and an HTML page.

use crate::table::render;
use omnikpi::pack::export::{self, cell_text, ExportTable};
use omnikpi::pack::html::label;
use omnikpi::pack::Pack;
use omnikpi::{ErrorCode, KpiError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The formats `--format` accepts for the tables written to `--out`.
pub const FORMATS: [&str; 3] = ["csv", "parquet", "xlsx"];

/// The pack's report on the files of `dir`, filtered by `filter` (the host form of
/// [`omnikpi::pack::Filter`], checked by core).
///
/// # Errors
/// The pack's and the data's errors, located in their files; the filter's.
pub fn compute(pack_path: &Path, dir: &Path, filter: &Value) -> Result<Value, KpiError> {
    let (pack, files) = read(pack_path, dir)?;
    let filter = omnikpi::pack::Filter::from_json(filter, &pack)?;
    pack.report_filtered(&files, &filter)
}

/// The filter of `--where DIMENSION=VALUES` (repeatable), `--from` and `--to`, as core reads it.
///
/// # Errors
/// `invalid_parameter` at `--where` for a value without `=`.
pub fn filter(
    wheres: &[String],
    from: Option<String>,
    to: Option<String>,
) -> Result<Value, KpiError> {
    let mut dimensions = serde_json::Map::new();
    for clause in wheres {
        let (name, values) = clause.split_once('=').ok_or_else(|| {
            KpiError::at(
                ErrorCode::InvalidParameter,
                "--where",
                format!("`{clause}` must be DIMENSION=VALUE[,VALUE...]"),
            )
        })?;
        let list = dimensions
            .entry(name.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            list.extend(values.split(',').map(Value::from));
        }
    }
    Ok(serde_json::json!({"dimensions": dimensions, "from": from, "to": to}))
}

/// The pack at `pack_path` and the files of `dir` it names (those present).
///
/// # Errors
/// The pack's errors, naming its file; a file that cannot be read.
pub fn read(pack_path: &Path, dir: &Path) -> Result<(Pack, BTreeMap<String, String>), KpiError> {
    let pack =
        Pack::from_json_text(&crate::read_text(pack_path)?).map_err(|e| in_pack(e, pack_path))?;
    let texts = pack.texts(crate::read_folder(dir, pack.files())?)?;
    Ok((pack, texts))
}

/// A pack error names the pack's file.
fn in_pack(e: KpiError, file: &Path) -> KpiError {
    let message = format!("{} (in {})", e.message(), file.display());
    KpiError::new(e.code(), e.path().map(str::to_owned), message)
}

/// The language to write in: `lang`, or the pack's first.
pub fn language(report: &Value, lang: Option<&str>) -> String {
    lang.map(str::to_owned).unwrap_or_else(|| {
        report
            .pointer("/pack/languages/0")
            .and_then(Value::as_str)
            .unwrap_or("en")
            .to_owned()
    })
}

fn rendered(table: &ExportTable) -> String {
    let rows = table
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match cell_text(c) {
                    t if t.is_empty() => "-".to_owned(),
                    t => t,
                })
                .collect()
        })
        .collect();
    render(&table.columns, rows)
}

/// The report as terminal tables: the comparison views, then every section.
///
/// # Errors
/// `invalid_parameter` for a language the pack does not have.
pub fn text(report: &Value, lang: &str) -> Result<String, KpiError> {
    omnikpi::pack::html::page(report, lang)?; // the same check of the language
    let tables = export::tables(report)?;
    let find = |key: &Value| {
        tables
            .iter()
            .find(|t| Some(t.name.as_str()) == key.as_str())
    };
    let pack = report.get("pack").unwrap_or(&Value::Null);
    let mut out = vec![format!(
        "{} ({} {}, {}, fingerprint {})",
        label(pack.get("name"), lang),
        cell_text(pack.get("id").unwrap_or(&Value::Null)),
        cell_text(pack.get("version").unwrap_or(&Value::Null)),
        cell_text(pack.get("currency").unwrap_or(&Value::Null)),
        cell_text(pack.get("fingerprint").unwrap_or(&Value::Null)),
    )];
    let items = |key: &str| {
        report
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for view in items("comparisons") {
        out.push(String::new());
        out.push(format!("== {} ==", label(view.get("label"), lang)));
        match (view.get("note"), view.get("key").and_then(&find)) {
            (Some(note), _) => out.push(label(Some(note), lang)),
            (None, Some(table)) => out.push(rendered(table)),
            (None, None) => {}
        }
    }
    for section in items("sections") {
        out.push(String::new());
        out.push(format!(
            "== {} ({} v{}) ==",
            label(section.get("label"), lang),
            cell_text(section.get("kpi").unwrap_or(&Value::Null)),
            cell_text(section.get("version").unwrap_or(&Value::Null)),
        ));
        match (section.get("note"), section.get("key").and_then(&find)) {
            (Some(note), _) => out.push(label(Some(note), lang)),
            (None, Some(table)) => out.push(rendered(table)),
            (None, None) => {}
        }
    }
    Ok(out.join("\n"))
}

fn write_error(path: &Path, e: &dyn std::fmt::Display) -> KpiError {
    KpiError::new(
        ErrorCode::InvalidDataset,
        Some(path.display().to_string()),
        format!("cannot write `{}`: {e}", path.display()),
    )
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), KpiError> {
    std::fs::write(path, bytes).map_err(|e| write_error(path, &e))
}

/// Writes `report.json`, `report.html`, each section's `<key>.certificate.json` and every
/// table in each of `formats` into `out`; returns the paths written, one per line.
///
/// # Errors
/// `invalid_parameter` for an unknown format or language; `invalid_dataset` naming a file that
/// cannot be written.
pub fn write_all(
    report: &Value,
    out: &Path,
    lang: &str,
    formats: &[String],
) -> Result<String, KpiError> {
    if let Some(f) = formats.iter().find(|f| !FORMATS.contains(&f.as_str())) {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            "--format",
            format!("`{f}` is not a format ({})", FORMATS.join(", ")),
        ));
    }
    let html = omnikpi::pack::html::page(report, lang)?;
    std::fs::create_dir_all(out).map_err(|e| write_error(out, &e))?;
    let mut written = Vec::new();
    let mut put = |name: String, bytes: &[u8]| -> Result<(), KpiError> {
        let path = out.join(name);
        write(&path, bytes)?;
        written.push(path.display().to_string());
        Ok(())
    };
    put(
        "report.json".into(),
        format!("{}\n", crate::pretty(report)).as_bytes(),
    )?;
    put("report.html".into(), html.as_bytes())?;
    // each section's certificate on its own, for `omnikpi verify CERT --pack PACK DATA`
    for section in report
        .get("sections")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(key), Some(cert)) = (
            section.get("key").and_then(Value::as_str),
            section.get("certificate"),
        ) {
            put(
                format!("{key}.certificate.json"),
                format!("{}\n", crate::pretty(cert)).as_bytes(),
            )?;
        }
    }
    let tables = export::tables(report)?;
    for format in formats {
        for table in &tables {
            let bytes = match format.as_str() {
                "csv" => export::csv(table).into_bytes(),
                "parquet" => parquet(table)?,
                _ => workbook(std::slice::from_ref(table))?,
            };
            put(format!("{}.{format}", table.name), &bytes)?;
        }
    }
    Ok(written.join("\n"))
}

fn parquet(table: &ExportTable) -> Result<Vec<u8>, KpiError> {
    let batch = export::record_batch(table)?;
    let failed = |e: &dyn std::fmt::Display| {
        KpiError::new(ErrorCode::InternalError, None, format!("Parquet: {e}"))
    };
    let mut bytes = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), None)
        .map_err(|e| failed(&e))?;
    writer.write(&batch).map_err(|e| failed(&e))?;
    writer.close().map_err(|e| failed(&e))?;
    Ok(bytes)
}

/// One sheet per table, named after it; decimals as numbers with their places shown, so a
/// spreadsheet sums them, and their exact text in the CSV and Parquet files.
pub fn workbook(tables: &[ExportTable]) -> Result<Vec<u8>, KpiError> {
    use rust_xlsxwriter::Workbook;
    let mut book = Workbook::new();
    for table in tables {
        sheet(book.add_worksheet(), table).map_err(|e| xlsx_failed(&e))?;
    }
    book.save_to_buffer().map_err(|e| xlsx_failed(&e))
}

fn xlsx_failed(e: &dyn std::fmt::Display) -> KpiError {
    KpiError::new(ErrorCode::InternalError, None, format!("XLSX: {e}"))
}

fn sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    table: &ExportTable,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    use omnikpi::result_table::ColumnKind;
    use rust_xlsxwriter::Format;
    let name: String = table.name.chars().take(31).collect();
    sheet.set_name(&name)?;
    let bold = Format::new().set_bold();
    for (c, (column, kind)) in table.columns.iter().zip(&table.kinds).enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, column, &bold)?;
        let places = match kind {
            ColumnKind::Decimal { scale } => Some(*scale),
            _ => None,
        };
        let number = places.map(|p| {
            let zeros = "0".repeat(usize::try_from(p).unwrap_or(0));
            Format::new().set_num_format(if zeros.is_empty() {
                "0".to_owned()
            } else {
                format!("0.{zeros}")
            })
        });
        for (r, row) in table.rows.iter().enumerate() {
            let at = u32::try_from(r).unwrap_or(u32::MAX).saturating_add(1);
            let cell = row.get(c).unwrap_or(&Value::Null);
            match (cell, &number) {
                (Value::Null, _) => continue,
                (Value::Number(n), _) => {
                    sheet.write_number(at, col, n.as_f64().unwrap_or_default())
                }
                (Value::Bool(b), _) => sheet.write_boolean(at, col, *b),
                (Value::String(s), Some(format)) => match exact_number(s, places) {
                    Some(v) => sheet.write_number_with_format(at, col, v, format),
                    None => sheet.write_string(at, col, s),
                },
                (other, _) => sheet.write_string(at, col, cell_text(other)),
            }?;
        }
    }
    Ok(())
}

/// `text` as a spreadsheet number when the number shows as exactly `text` at its places (15
/// significant digits at most); otherwise the cell stays text, never a rounded amount.
fn exact_number(text: &str, places: Option<u32>) -> Option<f64> {
    let v = text.parse::<f64>().ok()?;
    let places = usize::try_from(places?).ok()?;
    (format!("{v:.places$}") == text).then_some(v)
}
