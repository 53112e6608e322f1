//! A KPI result's list as a typed table, for front ends that hand results to table engines (SQL
//! columns, Arrow): each column typed by the spec's declaration of the list's fields, decimals
//! kept exact at the largest scale the column holds.
//!
//! ```
//! use serde_json::json;
//! let input = json!({"amount": "10.00", "currency": "EUR",
//!     "parties": [{"party": "web", "weight": "1"}, {"party": "store", "weight": "2"}]});
//! let result = omnikpi::evaluate("money.allocate", &input, &json!({})).unwrap().to_json();
//! let table = omnikpi::result_table::ResultTable::of("money.allocate", &result, None).unwrap();
//! assert_eq!(table.name, "parts"); // the KPI's main table
//! let amount = table.columns.iter().find(|c| c.name == "amount").unwrap();
//! assert_eq!(amount.kind, omnikpi::result_table::ColumnKind::Decimal { scale: 2 });
//! assert_eq!(amount.cells, vec![json!("3.33"), json!("6.67")]);
//! ```

use crate::error::{ErrorCode, KpiError, Result};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    Text,
    /// Whole numbers (counts, integers).
    Integer,
    /// True or false.
    Boolean,
    /// Exact decimals (decimals, money, ratios, given as text), at `scale` places.
    Decimal {
        /// The most places any cell of the column has.
        scale: u32,
    },
    /// Nested values (objects, lists), as JSON text.
    Json,
}

/// One column: its name, type and cells (JSON values as the result holds them; null for SQL
/// NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    /// The field's name.
    pub name: String,
    /// Its type.
    pub kind: ColumnKind,
    /// One cell per row.
    pub cells: Vec<Value>,
}

/// A list of a KPI result as columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultTable {
    /// The list's dotted path in the result (`parts`, `online_to_offline.by_channel`).
    pub name: String,
    /// The columns, in the order the spec declares the fields.
    pub columns: Vec<ResultColumn>,
    /// The number of rows.
    pub rows: usize,
}

impl ResultTable {
    /// The list at `path` (a dotted path; `None`: the KPI's main table) of `result`, a result
    /// of `kpi_id`.
    ///
    /// # Errors
    /// `unknown_kpi`; `invalid_parameter` at `list` for a path that is not a list of the
    /// result (naming the lists it has).
    pub fn of(kpi_id: &str, result: &Value, path: Option<&str>) -> Result<Self> {
        let document = &crate::definition(kpi_id)?.document;
        let main = document
            .get("surface")
            .and_then(|s| s.get("main_table"))
            .and_then(Value::as_str);
        let name = path
            .or(main)
            .ok_or_else(|| not_a_list(document, "(none)"))?;
        let fields = declared_fields(document.get("outputs").unwrap_or(&Value::Null), name)
            .ok_or_else(|| not_a_list(document, name))?;
        let list = name
            .split('.')
            .try_fold(result, |v, key| v.get(key))
            .and_then(Value::as_array)
            .ok_or_else(|| not_a_list(document, name))?;
        let columns = fields.iter().map(|field| column(field, list)).collect();
        Ok(Self {
            name: name.to_owned(),
            columns,
            rows: list.len(),
        })
    }
}

/// A text property of a spec field (`name`, `type`).
fn property<'a>(field: &'a Value, key: &str) -> Option<&'a str> {
    field.get(key).and_then(Value::as_str)
}

/// The fields a spec field declares (of an object or of a list's elements).
fn fields_of(field: &Value) -> Option<&Vec<Value>> {
    field.get("fields").and_then(Value::as_array)
}

/// The fields the spec declares for the list at `path` of `outputs`.
fn declared_fields<'a>(outputs: &'a Value, path: &str) -> Option<&'a Vec<Value>> {
    let mut fields = outputs.as_array()?;
    let mut found = None;
    for key in path.split('.') {
        let field = fields.iter().find(|f| property(f, "name") == Some(key))?;
        fields = fields_of(field)?;
        found = Some((property(field, "type"), fields));
    }
    match found? {
        (Some("array"), fields) => Some(fields),
        _ => None,
    }
}

/// Every list of the KPI's outputs, as dotted paths, for the error.
fn lists(outputs: &Value, prefix: &str, out: &mut Vec<String>) {
    for field in outputs.as_array().into_iter().flatten() {
        let name = format!("{prefix}{}", property(field, "name").unwrap_or_default());
        match (property(field, "type"), field.get("fields")) {
            (Some("array"), Some(Value::Array(_))) => out.push(name),
            (Some("object"), Some(fields)) => lists(fields, &format!("{name}."), out),
            _ => {}
        }
    }
}

fn not_a_list(document: &Value, name: &str) -> KpiError {
    let mut names = Vec::new();
    lists(
        document.get("outputs").unwrap_or(&Value::Null),
        "",
        &mut names,
    );
    KpiError::at(
        ErrorCode::InvalidParameter,
        "list",
        format!(
            "names `{name}`, which is not a list of the result (lists: {})",
            names.join(", ")
        ),
    )
}

fn column(field: &Value, list: &[Value]) -> ResultColumn {
    let name = property(field, "name").unwrap_or_default().to_owned();
    let cells: Vec<Value> = list
        .iter()
        .map(|row| row.get(&name).cloned().unwrap_or(Value::Null))
        .collect();
    let kind = match property(field, "type") {
        Some("string") => ColumnKind::Text,
        Some("count" | "integer") => ColumnKind::Integer,
        Some("boolean") => ColumnKind::Boolean,
        Some("decimal" | "money" | "ratio") => ColumnKind::Decimal {
            scale: cells
                .iter()
                .filter_map(|c| c.as_str().and_then(|t| Decimal::from_str(t).ok()))
                .map(|d| d.scale())
                .max()
                .unwrap_or(0),
        },
        _ => ColumnKind::Json,
    };
    ResultColumn { name, kind, cells }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_lists_and_wrong_names() {
        let input = json!({"rows": [{"channel": "web", "opportunities": 8, "conversions": 1},
                                    {"channel": "app", "opportunities": 0, "conversions": 0}]});
        let result = crate::evaluate("conversion.rate", &input, &json!({}))
            .unwrap()
            .to_json();
        let table = ResultTable::of("conversion.rate", &result, None).unwrap();
        assert_eq!((table.name.as_str(), table.rows), ("by_channel", 2));
        let kinds: Vec<(&str, ColumnKind)> = table
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("channel", ColumnKind::Text),
                ("conversions", ColumnKind::Integer),
                ("opportunities", ColumnKind::Integer),
                ("rate", ColumnKind::Decimal { scale: 6 }),
                ("reason", ColumnKind::Text),
            ]
        );
        let e = ResultTable::of("conversion.rate", &result, Some("overall")).unwrap_err();
        assert_eq!(e.path(), Some("list"));
        assert!(e.message().contains("lists: by_channel"), "{}", e.message());
    }
}
