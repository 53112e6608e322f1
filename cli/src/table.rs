//! Plain-text rendering of KPI results: aligned tables with a total row.

use serde_json::{Map, Value};

/// Renders rows under headers; numeric-looking cells are right-aligned.
pub fn render(headers: &[String], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let numeric = |s: &str| {
        !s.is_empty()
            && s.trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.')
    };
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                if numeric(c) {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers)];
    out.push(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    out.extend(rows.iter().map(|r| line(r)));
    out.join("\n")
}

/// The field `key` of an object, or null (serde_json's lookup, without the indexing operator).
fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&Value::Null)
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".to_owned(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A field shown as a column: a scalar, or a list of scalars (joined with commas).
fn is_column(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().all(is_scalar),
        other => is_scalar(other),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// Columns of a list of records: the scalar fields of the first record (and its lists of
/// scalars), in order.
fn columns(items: &[Value]) -> Vec<String> {
    items
        .first()
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter(|(_, v)| is_column(v))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn records_table(items: &[Value], total: Option<&Map<String, Value>>) -> String {
    let cols = columns(items);
    let mut rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| cols.iter().map(|c| cell(field(item, c))).collect())
        .collect();
    if let Some(total) = total {
        rows.push(
            cols.iter()
                .enumerate()
                .map(|(i, c)| match total.get(c) {
                    Some(v) => cell(v),
                    None if i == 0 => "total".to_owned(),
                    None => String::new(),
                })
                .collect(),
        );
    }
    if rows.is_empty() {
        return "(none)".to_owned();
    }
    render(&cols, rows)
}

/// Renders one KPI result: scalars as `key: value`, `overall` with its `by_*` list as one table
/// with a total row, other lists as tables, nested records as indented blocks.
pub fn render_result(result: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let Some(fields) = result.as_object() else {
        return format!("{pad}{}", cell(result));
    };
    let overall = fields.get("overall").and_then(Value::as_object);
    let by_key = fields.keys().find(|k| k.starts_with("by_")).cloned();
    let mut out = Vec::new();
    for (key, value) in fields {
        match value {
            Value::Object(_) if key == "rows" => out.push(format!(
                "{pad}rows: read {}, used {}, rejected {}",
                cell(field(value, "read")),
                cell(field(value, "used")),
                cell(field(value, "rejected"))
            )),
            Value::Object(_) if key == "overall" && by_key.is_some() => {}
            Value::Array(items) if key == "segments" && fields.contains_key("by") => {
                out.extend(items.iter().map(|s| render_segment(s, indent)));
            }
            Value::Array(items) if !items.is_empty() && items.iter().all(is_scalar) => {
                out.push(format!("{pad}{key}: {}", cell(value)));
            }
            Value::Array(items) => {
                let total = if Some(key) == by_key.as_ref() {
                    overall
                } else {
                    None
                };
                out.push(format!("{pad}{key}:"));
                out.extend(
                    records_table(items, total)
                        .lines()
                        .map(|l| format!("{pad}  {l}")),
                );
                if let (Some(total), Some(first)) =
                    (total, items.first().and_then(Value::as_object))
                {
                    for (k, v) in total
                        .iter()
                        .filter(|(k, v)| is_scalar(v) && !first.contains_key(*k))
                    {
                        out.push(format!("{pad}  {k}: {}", cell(v)));
                    }
                }
            }
            Value::Object(_) => {
                out.push(format!("{pad}{key}:"));
                out.push(render_result(value, indent + 2));
            }
            scalar => out.push(format!("{pad}{key}: {}", cell(scalar))),
        }
    }
    out.join("\n")
}

/// One entry of a result's `segments` (`by`): `segment brand=A, country=FR:` and its fields.
fn render_segment(segment: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let key: Vec<String> = field(segment, "key")
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| format!("{name}={}", cell(value)))
        .collect();
    let mut own = segment.as_object().cloned().unwrap_or_default();
    own.remove("key");
    format!(
        "{pad}segment {}:\n{}",
        key.join(", "),
        render_result(&Value::Object(own), indent + 2)
    )
}

/// Renders a whole `omnikpi report` document.
pub fn render_report(report: &Value) -> String {
    let mut out = vec![format!(
        "omnikpi report: {}",
        cell(field(report, "dataset"))
    )];
    for section in field(report, "sections").as_array().into_iter().flatten() {
        out.push(String::new());
        out.push(format!(
            "== {} ({} v{}) ==",
            cell(field(section, "title")),
            cell(field(section, "kpi")),
            cell(field(section, "version"))
        ));
        out.push(render_result(field(section, "result"), 0));
    }
    out.join("\n")
}
