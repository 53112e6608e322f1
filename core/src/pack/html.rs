//! A pack report as one self-contained HTML page a manager can open or print: the comparison
//! views as tables with a bar chart each, then every section's figures, labels in one of the
//! pack's languages, each section with the canonical KPI it locks and its certificate. No
//! script, no external file: styles and charts (SVG) are inline.
//!
//! ```
//! use serde_json::json;
//! let pack = omnikpi::pack::Pack::from_json(&json!({
//!     "format": "omnikpi.pack/1", "id": "demo", "version": "1", "name": {"en": "Demo", "fr": "Démo"},
//!     "languages": ["en", "fr"], "currency": "EUR",
//!     "tables": {"orders": {"file": "orders.csv"}},
//!     "kpis": [{"key": "basket", "kpi": "basket.average", "version": "^1",
//!               "label": {"en": "Basket", "fr": "Panier"}, "inputs": {"orders": "orders"}}]})).unwrap();
//! let files = [("orders.csv".to_owned(), "channel,amount\nweb,10.00\n".to_owned())];
//! let report = pack.report(&files.into_iter().collect()).unwrap();
//! let page = omnikpi::pack::html::page(&report, "fr").unwrap();
//! assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<h2>Panier</h2>"));
//! assert!(omnikpi::pack::html::page(&report, "de").is_err());
//! ```

use super::export::{cell_text, tables, ExportTable};
use crate::error::{ErrorCode, KpiError, Result};
use serde_json::Value;
use std::fmt::Write;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:70rem;color:#1d2733;padding:0 1rem}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin:2rem 0 .3rem;border-bottom:1px solid #d6dde5}\
.meta,.kpi,.cert{color:#5b6b7b;font-size:.85rem}.cert{word-break:break-all}\
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{border:1px solid #d6dde5;padding:.25rem .5rem;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f1f4f7}.note{background:#fff6e0;padding:.5rem;border-left:3px solid #e0a800}\
section{break-inside:avoid}@media print{body{margin:0;max-width:none}h2{break-after:avoid}}";

/// Interface words, per language (English where omnikpi has no translation).
fn word(lang: &str, key: &str) -> &'static str {
    match (lang, key) {
        ("fr", "comparisons") => "Comparaisons",
        ("fr", "sections") => "Indicateurs",
        ("fr", "locks") => "Définition canonique",
        ("fr", "by") => "par",
        ("fr", "certificate") => "Certificat",
        ("fr", "pack") => "Pack",
        ("fr", "total") => "Ensemble",
        (_, "comparisons") => "Comparisons",
        (_, "sections") => "KPIs",
        (_, "locks") => "Canonical definition",
        (_, "by") => "by",
        (_, "certificate") => "Certificate",
        (_, "pack") => "Pack",
        (_, "total") => "Total",
        _ => "",
    }
}

/// `text` safe inside HTML text and double-quoted attributes; the handbook uses it too.
///
/// ```
/// assert_eq!(omnikpi::pack::html::escape(r#"<a href="x">&</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
/// ```
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The label of `value` (`{"en": ..., "fr": ...}`) in `lang`; empty when it has none.
///
/// ```
/// let labels = serde_json::json!({"en": "Brand", "fr": "Enseigne"});
/// assert_eq!(omnikpi::pack::html::label(Some(&labels), "fr"), "Enseigne");
/// ```
pub fn label(value: Option<&Value>, lang: &str) -> String {
    value
        .and_then(|v| v.get(lang))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The report as an HTML page with labels in `lang`.
///
/// # Errors
/// `invalid_parameter` at `lang` when it is not one of the pack's languages; `unknown_kpi` for
/// a section of a KPI this omnikpi does not define.
pub fn page(report: &Value, lang: &str) -> Result<String> {
    let pack = report.get("pack").unwrap_or(&Value::Null);
    let languages: Vec<&str> = pack
        .get("languages")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !languages.contains(&lang) {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            "lang",
            format!(
                "is `{lang}`; the pack's languages are {}",
                languages.join(", ")
            ),
        ));
    }
    let exported = tables(report)?;
    let mut out = String::new();
    let title = escape(&label(pack.get("name"), lang));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    );
    let text = |key: &str| pack.get(key).map(cell_text).unwrap_or_default();
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} {} {} · {} · {} · {} · omnikpi {}</p>",
        word(lang, "pack"),
        escape(&text("id")),
        escape(&text("version")),
        escape(&text("currency")),
        escape(&text("period")),
        escape(&text("time_zone")),
        env!("CARGO_PKG_VERSION"),
    );
    let views = report.get("comparisons").and_then(Value::as_array);
    if views.is_some_and(|v| !v.is_empty()) {
        let _ = writeln!(out, "<h1>{}</h1>", word(lang, "comparisons"));
    }
    for view in views.into_iter().flatten() {
        out.push_str(&comparison(view, &exported, lang));
    }
    let _ = writeln!(out, "<h1>{}</h1>", word(lang, "sections"));
    for section in report
        .get("sections")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&section_html(section, &exported, pack, lang));
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

fn find<'a>(exported: &'a [ExportTable], key: &str) -> Option<&'a ExportTable> {
    exported.iter().find(|t| t.name == key)
}

fn comparison(view: &Value, exported: &[ExportTable], lang: &str) -> String {
    let key = view.get("key").map(cell_text).unwrap_or_default();
    let mut out = format!(
        "<section><h2>{}</h2>\n",
        escape(&label(view.get("label"), lang))
    );
    match (view.get("note"), find(exported, &key)) {
        (Some(note), _) => {
            let _ = writeln!(
                out,
                "<p class=\"note\">{}</p>",
                escape(&label(Some(note), lang))
            );
        }
        (None, Some(table)) => {
            let rows_label = label(view.pointer("/rows/label"), lang);
            let columns_label = label(view.pointer("/columns/label"), lang);
            let _ = writeln!(
                out,
                "<p class=\"kpi\">{} × {}</p>",
                escape(&rows_label),
                escape(&columns_label)
            );
            out.push_str(&table_html(table, Some(&rows_label)));
            out.push_str(&chart(table));
        }
        (None, None) => {}
    }
    out.push_str("</section>\n");
    out
}

fn section_html(section: &Value, exported: &[ExportTable], pack: &Value, lang: &str) -> String {
    let key = section.get("key").map(cell_text).unwrap_or_default();
    let kpi = section.get("kpi").map(cell_text).unwrap_or_default();
    let mut out = format!(
        "<section><h2>{}</h2>\n",
        escape(&label(section.get("label"), lang))
    );
    let by: Vec<String> = section
        .get("by")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|d| dimension_label(pack, d, lang))
        .collect();
    let version = section.get("version").map(cell_text).unwrap_or_default();
    let mut kpi_line = format!(
        "{}: {} {}",
        word(lang, "locks"),
        escape(&kpi),
        escape(&version)
    );
    if !by.is_empty() {
        let _ = write!(
            kpi_line,
            " · {} {}",
            word(lang, "by"),
            escape(&by.join(", "))
        );
    }
    let _ = writeln!(out, "<p class=\"kpi\">{kpi_line}</p>");
    if let Some(note) = section.get("note") {
        let _ = writeln!(
            out,
            "<p class=\"note\">{}</p>",
            escape(&label(Some(note), lang))
        );
    }
    if let Some(table) = find(exported, &key) {
        out.push_str(&table_html(table, None));
    }
    if let Some(cert) = section
        .pointer("/certificate/certificate")
        .and_then(Value::as_str)
    {
        let _ = writeln!(
            out,
            "<p class=\"cert\">{} {}</p>",
            word(lang, "certificate"),
            escape(cert)
        );
    }
    out.push_str("</section>\n");
    out
}

fn dimension_label(pack: &Value, name: &str, lang: &str) -> String {
    pack.get("dimensions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|d| d.get("name").and_then(Value::as_str) == Some(name))
        .map_or_else(|| name.to_owned(), |d| label(d.get("label"), lang))
}

fn table_html(table: &ExportTable, first: Option<&str>) -> String {
    let mut out = String::from("<table><thead><tr>");
    for (i, column) in table.columns.iter().enumerate() {
        let heading = match (i, first) {
            (0, Some(first)) => first.to_owned(),
            _ => column.clone(),
        };
        let _ = write!(out, "<th>{}</th>", escape(&heading));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(&cell_text(cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

/// Horizontal bars, one group per row, one bar per column, scaled to the largest cell (floats
/// for drawing only: every figure shown is the exact text of the table).
fn chart(table: &ExportTable) -> String {
    let value = |v: &Value| cell_text(v).parse::<f64>().ok();
    let largest = table
        .rows
        .iter()
        .flat_map(|r| r.iter().skip(1))
        .filter_map(value)
        .fold(0.0_f64, f64::max);
    if largest <= 0.0 {
        return String::new();
    }
    const COLOURS: [&str; 6] = [
        "#2f6db5", "#e08a1e", "#3a9d5d", "#b03a5b", "#7a5cb8", "#5b6b7b",
    ];
    let bar = 14.0;
    let series = table.columns.len().saturating_sub(1).max(1);
    let group = bar * (series as f64) + 10.0;
    let height = group * (table.rows.len() as f64) + 30.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"{height:.0}\" role=\"img\" font-size=\"11\">"
    );
    for (r, row) in table.rows.iter().enumerate() {
        let top = group * (r as f64);
        let name = row.first().map(cell_text).unwrap_or_default();
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{:.0}\">{}</text>",
            top + bar,
            escape(&name)
        );
        for (c, cell) in row.iter().skip(1).enumerate() {
            let Some(v) = value(cell) else { continue };
            let y = top + bar * (c as f64);
            let width = 420.0 * v / largest;
            let colour = COLOURS
                .get(c.checked_rem(COLOURS.len()).unwrap_or(0))
                .copied()
                .unwrap_or("#2f6db5");
            let _ = write!(
                out,
                "<rect x=\"110\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.0}\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                bar - 2.0,
                114.0 + width,
                y + bar - 4.0,
                escape(&cell_text(cell))
            );
        }
    }
    let legend_y = height - 8.0;
    for (c, name) in table.columns.iter().skip(1).enumerate() {
        let colour = COLOURS
            .get(c.checked_rem(COLOURS.len()).unwrap_or(0))
            .copied()
            .unwrap_or("#2f6db5");
        let x = 110.0 + 90.0 * (c as f64);
        let _ = write!(
            out,
            "<rect x=\"{x:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.0}\" y=\"{legend_y:.0}\">{}</text>",
            legend_y - 9.0,
            x + 14.0,
            escape(name)
        );
    }
    out.push_str("</svg>\n");
    out
}
