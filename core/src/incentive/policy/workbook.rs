//! A policy as a workbook, for finance teams who keep their rates in a spreadsheet: one sheet per
//! table of the policy, read into the policy's JSON form and validated there, every error placed
//! at its sheet, row and column; and the reverse, a policy's JSON as those tables.
//!
//! Sheets (only `policy` is required; names are lower case):
//! - `policy`: two columns, `field` and `value`: `id`, `version`, `currency`, `rounding`,
//!   `share_rounding`, `negative_balance`, `valid_from`, `valid_to`, `description`,
//!   `periods.grain`, `periods.time_zone`, `clawback.window_days`, `vat.base`.
//! - `parties`, `rules`, `tiers`, `bonuses`, `limits`, `vat_rates`: one row per item, one column
//!   per field; a dotted column is a nested field (`when.origin_channel`, `description.fr`,
//!   `attribution.model`); a list (`zones`, `parties`, `when.category`, ...) is written
//!   `a, b, c` in one cell.
//! - `shares` (column `rule`), `bands` and `quotas` (column `tier`; `quotas` has `party` and
//!   `quota`): the rows of the rule or tier they name, in order.
//!
//! A number cell is read as the shortest decimal that reads back as the same number, which is
//! what the spreadsheet shows: `5.5` is 5.5. A cell holding more than 15 significant digits (the
//! result of a formula such as `=0.1+0.2`) is refused, never rounded; amounts have at most the
//! currency's minor units, as in JSON. Dates are days (`2026-11-01`).
//!
//! ```
//! use serde_json::json;
//! use omnikpi::incentive::policy_workbook;
//! let policy = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
//!     "currency": "EUR", "parties": [{"id": "web", "kind": "channel"}],
//!     "rules": [{"id": "web_orders", "when": {"origin_channel": ["web", "app"]},
//!                "shares": [{"party": "web", "percent": "5"}]}]});
//! let tables = policy_workbook::tables(&policy).unwrap();
//! assert_eq!(tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["policy", "parties", "rules", "shares"]);
//! assert_eq!(tables[2].columns, ["id", "when.origin_channel"]);
//! assert_eq!(tables[2].rows[0][1], json!("web, app"));
//! ```

use crate::error::{ErrorCode, KpiError, Result};
use crate::pack::export::ExportTable;
use crate::result_table::ColumnKind;
use calamine::{Data, Reader};
use serde_json::{Map, Value};

/// Fields read as whole numbers.
const COUNTS: &[&str] = &["priority", "window_days", "within_days", "lookback_days"];
/// Fields read as booleans.
const FLAGS: &[&str] = &["click_and_collect"];
/// Columns whose cell is a comma-separated list.
const LISTS: &[&str] = &[
    "zones",
    "parties",
    "weights",
    "when.origin_channel",
    "when.origin_kind",
    "when.fulfilment_channel",
    "when.fulfilment_kind",
    "when.category",
    "when.zone",
    "when.online_touch.channels",
    "attribution.channels",
];

/// A table of the policy: its sheet, where its rows go, and the column naming their parent.
struct Table {
    sheet: &'static str,
    list: &'static str,
    parent: Option<(&'static str, &'static str)>,
}

/// The sheets after `policy`, parents before their children.
const TABLES: &[Table] = &[
    Table {
        sheet: "parties",
        list: "parties",
        parent: None,
    },
    Table {
        sheet: "rules",
        list: "rules",
        parent: None,
    },
    Table {
        sheet: "shares",
        list: "shares",
        parent: Some(("rule", "rules")),
    },
    Table {
        sheet: "tiers",
        list: "tiers",
        parent: None,
    },
    Table {
        sheet: "bands",
        list: "bands",
        parent: Some(("tier", "tiers")),
    },
    Table {
        sheet: "bonuses",
        list: "bonuses",
        parent: None,
    },
    Table {
        sheet: "limits",
        list: "limits",
        parent: None,
    },
];

/// Where each part of the policy came from: JSON path (below the policy) to sheet, row and
/// the column that holds it when the path does not name it.
#[derive(Default)]
struct Places {
    file: String,
    entries: Vec<(String, String, usize, Option<&'static str>)>,
}

impl Places {
    fn add(&mut self, path: String, sheet: &str, row: usize, column: Option<&'static str>) {
        self.entries.push((path, sheet.to_owned(), row, column));
    }

    fn cell(&self, sheet: &str, row: usize, column: &str) -> String {
        format!("{}:{sheet}:row {row}:{column}", self.file)
    }

    /// The error of the policy's JSON form at `base.…`, placed at its sheet, row and column.
    fn locate(&self, error: KpiError, base: &str) -> KpiError {
        let Some(rest) = error.path().and_then(|p| p.strip_prefix(base)) else {
            return error;
        };
        let rest = rest.trim_start_matches('.');
        let best = self
            .entries
            .iter()
            .filter(|(p, ..)| {
                rest == p
                    || rest
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| p.is_empty() || r.starts_with('.') || r.starts_with('['))
            })
            .max_by_key(|(p, ..)| p.len());
        let Some((prefix, sheet, row, column)) = best else {
            return error;
        };
        let tail = rest.get(prefix.len()..).unwrap_or_default();
        let field: String = tail
            .trim_start_matches('.')
            .split('[')
            .next()
            .unwrap_or_default()
            .to_owned();
        let column = column
            .map(str::to_owned)
            .or(Some(field).filter(|f| !f.is_empty()));
        let place = match column {
            Some(c) => self.cell(sheet, *row, &c),
            None => format!("{}:{sheet}:row {row}", self.file),
        };
        KpiError::new(error.code(), Some(place), error.message())
    }
}

/// The policy a workbook's sheets declare, in its JSON form, validated as a policy.
///
/// # Errors
/// `invalid_dataset` naming the file, sheet, row and column (not a workbook, no `policy` sheet,
/// an error cell, a number with more digits than the sheet shows, a row naming a rule or tier
/// that no row declares); any policy error, placed at its sheet, row and column.
pub fn read(bytes: &[u8], name: &str) -> Result<Value> {
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
            KpiError::new(
                ErrorCode::InvalidDataset,
                Some(name.to_owned()),
                format!("`{name}` is not a workbook: {e}"),
            )
        })?;
    let names = book.sheet_names();
    let mut places = Places {
        file: name.to_owned(),
        ..Places::default()
    };
    let mut sheet = |title: &str| -> Result<Option<calamine::Range<Data>>> {
        if !names.iter().any(|n| n == title) {
            return Ok(None);
        }
        book.worksheet_range(title).map(Some).map_err(|e| {
            KpiError::new(
                ErrorCode::InvalidDataset,
                Some(format!("{name}:{title}")),
                e.to_string(),
            )
        })
    };
    let head = sheet("policy")?.ok_or_else(|| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(name.to_owned()),
            format!(
                "`{name}` has no sheet `policy` (sheets: {})",
                names.join(", ")
            ),
        )
    })?;
    let mut policy = Map::new();
    policy.insert("format".to_owned(), Value::from(super::FORMAT));
    for (row, cells) in records(&head, "policy", &places)? {
        let at = |column: &str| places.cell("policy", row, column);
        let mut field = None;
        let mut value = None;
        for (column, cell) in cells {
            match column.as_str() {
                "field" => field = Some(cell),
                "value" => value = Some(cell),
                other => {
                    return Err(KpiError::new(
                        ErrorCode::UnknownField,
                        Some(at(other)),
                        "is not a column of sheet `policy` (field, value)",
                    ))
                }
            }
        }
        let field = match field {
            Some(Value::String(f)) => f,
            _ => {
                return Err(KpiError::new(
                    ErrorCode::MissingField,
                    Some(at("field")),
                    "is missing (the name of the policy field the row sets)",
                ))
            }
        };
        let Some(value) = value else {
            return Err(KpiError::new(
                ErrorCode::MissingField,
                Some(at("value")),
                format!("is missing (the value of `{field}`)"),
            ));
        };
        let value = retyped(&field, value, &at("value"))?;
        let field_at = at("field");
        insert(&mut policy, &field, value, &field_at)?;
        places.add(field, "policy", row, Some("value"));
    }
    let mut lists: Map<String, Value> = Map::new();
    for table in TABLES {
        let Some(range) = sheet(table.sheet)? else {
            continue;
        };
        for (row, cells) in records(&range, table.sheet, &places)? {
            let mut item = Map::new();
            let mut parent_id = None;
            for (column, value) in cells {
                let at = places.cell(table.sheet, row, &column);
                if table.parent.is_some_and(|(key, _)| key == column) {
                    parent_id = Some(retyped(&column, value, &at)?);
                    continue;
                }
                let value = retyped(&column, value, &at)?;
                insert(&mut item, &column, value, &at)?;
            }
            let path = match table.parent {
                None => push(&mut lists, table.list, Value::Object(item)),
                Some((key, parent)) => {
                    let at = places.cell(table.sheet, row, key);
                    let owner = owner(&mut lists, parent, parent_id.as_ref(), &at)?;
                    let (index, list) = owner;
                    let slot = list
                        .entry(table.list)
                        .or_insert_with(|| Value::Array(Vec::new()));
                    let items = slot.as_array_mut().map_or(0, |a| {
                        a.push(Value::Object(item));
                        a.len().saturating_sub(1)
                    });
                    format!("{parent}[{index}].{}[{items}]", table.list)
                }
            };
            places.add(path, table.sheet, row, None);
        }
    }
    if let Some(range) = sheet("quotas")? {
        for (row, cells) in records(&range, "quotas", &places)? {
            let get = |k: &str| cells.iter().find(|(c, _)| c == k).map(|(_, v)| v.clone());
            let at = places.cell("quotas", row, "tier");
            let id = get("tier").map(|v| retyped("tier", v, &at)).transpose()?;
            let (index, tier) = owner(&mut lists, "tiers", id.as_ref(), &at)?;
            let party = match get("party") {
                Some(Value::String(p)) => p,
                _ => {
                    return Err(KpiError::new(
                        ErrorCode::MissingField,
                        Some(places.cell("quotas", row, "party")),
                        "is missing (the party whose quota this is)",
                    ))
                }
            };
            let quota = retyped(
                "quota",
                get("quota").unwrap_or(Value::Null),
                &places.cell("quotas", row, "quota"),
            )?;
            let slot = tier
                .entry("quotas")
                .or_insert_with(|| Value::Object(Map::new()));
            let twice = slot
                .as_object_mut()
                .and_then(|map| map.insert(party.clone(), quota))
                .is_some();
            if twice {
                return Err(KpiError::new(
                    ErrorCode::DuplicateKey,
                    Some(places.cell("quotas", row, "party")),
                    format!("gives a second quota to `{party}` in the same tier"),
                ));
            }
            places.add(
                format!("tiers[{index}].quotas.{party}"),
                "quotas",
                row,
                Some("quota"),
            );
        }
    }
    if let Some(range) = sheet("vat_rates")? {
        for (row, cells) in records(&range, "vat_rates", &places)? {
            let mut item = Map::new();
            for (column, value) in cells {
                let at = places.cell("vat_rates", row, &column);
                let value = retyped(&column, value, &at)?;
                insert(&mut item, &column, value, &at)?;
            }
            let vat = policy
                .entry("vat")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(vat) = vat.as_object_mut() {
                let path = push(vat, "rates", Value::Object(item));
                places.add(format!("vat.{path}"), "vat_rates", row, None);
            }
        }
    }
    policy.extend(lists);
    let policy = Value::Object(policy);
    super::Policy::read(&policy, "policy").map_err(|e| places.locate(e, "policy"))?;
    Ok(policy)
}

/// The rule or tier whose `id` a child row names: its index and its fields.
fn owner<'m>(
    lists: &'m mut Map<String, Value>,
    parent: &str,
    id: Option<&Value>,
    at: &str,
) -> Result<(usize, &'m mut Map<String, Value>)> {
    let Some(id) = id else {
        return Err(KpiError::new(
            ErrorCode::MissingField,
            Some(at.to_owned()),
            format!("is missing (the id of one of the {parent})"),
        ));
    };
    let found = lists
        .get_mut(parent)
        .and_then(Value::as_array_mut)
        .and_then(|items| {
            items
                .iter_mut()
                .enumerate()
                .find(|(_, item)| item.get("id") == Some(id))
        });
    match found {
        Some((index, Value::Object(item))) => Ok((index, item)),
        _ => Err(KpiError::new(
            ErrorCode::InvalidDataset,
            Some(at.to_owned()),
            format!("names {id}, which no row of sheet `{parent}` declares"),
        )),
    }
}

/// Appends `item` to the list `key` of `map`; its path.
fn push(map: &mut Map<String, Value>, key: &str, item: Value) -> String {
    let slot = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    let index = slot.as_array_mut().map_or(0, |a| {
        a.push(item);
        a.len().saturating_sub(1)
    });
    format!("{key}[{index}]")
}

/// `value` at the dotted `path` of `map`, making the objects on the way.
///
/// # Errors
/// `duplicate_key` at `at` when the path is set already (two rows of the policy sheet naming one
/// field, or `when` beside `when.zone`).
fn insert(map: &mut Map<String, Value>, path: &str, value: Value, at: &str) -> Result<()> {
    let taken = || {
        KpiError::new(
            ErrorCode::DuplicateKey,
            Some(at.to_owned()),
            format!("sets `{path}`, which another cell sets already"),
        )
    };
    match path.split_once('.') {
        None if map.contains_key(path) => Err(taken()),
        None => {
            map.insert(path.to_owned(), value);
            Ok(())
        }
        Some((head, rest)) => {
            let slot = map.entry(head).or_insert_with(|| Value::Object(Map::new()));
            match slot {
                Value::Object(inner) => insert(inner, rest, value, at),
                _ => Err(taken()),
            }
        }
    }
}

/// A row's filled cells: column and value.
type Row = Vec<(String, Value)>;

/// The rows of a sheet after its header, each as its filled cells (column, value), with its
/// row number as the spreadsheet shows it; rows without a filled cell are left out.
fn records(
    range: &calamine::Range<Data>,
    sheet: &str,
    places: &Places,
) -> Result<Vec<(usize, Row)>> {
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| c.to_string().trim().to_owned()).collect())
        .unwrap_or_default();
    let first = range.start().map_or(0, |(r, _)| r as usize);
    if let Some((c, title)) = header
        .iter()
        .enumerate()
        .find(|(c, t)| !t.is_empty() && header.iter().take(*c).any(|other| other == *t))
    {
        return Err(KpiError::new(
            ErrorCode::DuplicateKey,
            Some(format!(
                "{}:{sheet}:row {}",
                places.file,
                first.saturating_add(1)
            )),
            format!(
                "column {} repeats the header `{title}`",
                c.saturating_add(1)
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, cells) in rows.enumerate() {
        let row = first.saturating_add(i).saturating_add(2);
        let mut filled = Vec::new();
        for (c, data) in cells.iter().enumerate() {
            let column = header.get(c).map(String::as_str).unwrap_or_default();
            let Some(value) = cell_value(data, &places.cell(sheet, row, column))? else {
                continue;
            };
            if column.is_empty() {
                return Err(KpiError::new(
                    ErrorCode::InvalidDataset,
                    Some(format!("{}:{sheet}:row {row}", places.file)),
                    format!("column {} has a value but no header", c.saturating_add(1)),
                ));
            }
            filled.push((column.to_owned(), value));
        }
        if !filled.is_empty() {
            out.push((row, filled));
        }
    }
    Ok(out)
}

/// A cell as the sheet shows it: text, a whole number, the shortest decimal of a number, a
/// boolean, a day; `None` when empty.
fn cell_value(data: &Data, at: &str) -> Result<Option<Value>> {
    let bad =
        |detail: String| KpiError::new(ErrorCode::InvalidDataset, Some(at.to_owned()), detail);
    Ok(Some(match data {
        Data::Empty => return Ok(None),
        Data::String(s) if s.trim().is_empty() => return Ok(None),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            Value::String(s.trim().to_owned())
        }
        Data::Int(n) => Value::from(*n),
        Data::Bool(b) => Value::Bool(*b),
        Data::Float(x) => {
            let shown = format!("{x}");
            let digits = shown
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>();
            if digits.trim_start_matches('0').trim_end_matches('0').len() > 15 {
                return Err(bad(format!("holds {shown}, more digits than the sheet shows: round it in the sheet (=ROUND(…))")));
            }
            if x.fract() == 0.0 && x.abs() < 9.0e15 {
                Value::from(*x as i64)
            } else {
                Value::String(shown)
            }
        }
        Data::DateTime(t) => match t.as_datetime() {
            Some(d) if d.time() == chrono::NaiveTime::MIN => {
                Value::String(d.date().format("%Y-%m-%d").to_string())
            }
            Some(d) => Value::String(d.format("%Y-%m-%d %H:%M:%S").to_string()),
            None => Value::String(t.to_string()),
        },
        Data::Error(e) => return Err(bad(format!("is an error cell ({e})"))),
    }))
}

/// A cell's value as its field reads it: a count stays a number, a flag a boolean, a list is
/// split at commas, anything else (ids, amounts, percents, days) is text.
fn retyped(column: &str, value: Value, at: &str) -> Result<Value> {
    let field = column.rsplit('.').next().unwrap_or(column);
    if column.starts_with("attribution.params.") {
        return Ok(value);
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(if COUNTS.contains(&field) {
        match &value {
            Value::String(s) => s.trim().parse::<u64>().map(Value::from).map_err(|_| {
                KpiError::new(
                    ErrorCode::WrongType,
                    Some(at.to_owned()),
                    format!("must be a whole number of days or a rank, got `{s}`"),
                )
            })?,
            other => other.clone(),
        }
    } else if FLAGS.contains(&field) {
        match &value {
            Value::String(s) => Value::Bool(crate::table::csv_boolean(s, at)?),
            other => other.clone(),
        }
    } else if LISTS.contains(&column) {
        Value::Array(
            text(&value)
                .split(',')
                .map(|s| Value::String(s.trim().to_owned()))
                .collect(),
        )
    } else {
        match value {
            Value::Bool(_) | Value::String(_) => value,
            other => Value::String(text(&other)),
        }
    })
}

/// The policy's JSON form as the workbook's tables (text cells, lists joined by `, `), for a
/// finance team to edit and read back with [`read`].
///
/// # Errors
/// `invalid_policy` when `policy` is not one policy object (a history is written version by
/// version).
pub fn tables(policy: &Value) -> Result<Vec<ExportTable>> {
    let Value::Object(fields) = policy else {
        return Err(KpiError::at(
            ErrorCode::InvalidPolicy,
            "policy",
            "must be one policy object to be written as a workbook",
        ));
    };
    let mut head = Vec::new();
    for (key, value) in fields {
        if key == "format" || value.is_array() {
            continue;
        }
        let mut flat = Vec::new();
        flatten(key, value, &mut flat);
        for (field, text) in flat.into_iter().filter(|(f, _)| f != "vat.rates") {
            head.push(vec![Value::String(field), text]);
        }
    }
    let mut out = vec![table(
        "policy",
        vec!["field".to_owned(), "value".to_owned()],
        head,
    )];
    for t in TABLES.iter().filter(|t| t.parent.is_none()) {
        let items = list(policy, t.list);
        if items.is_empty() {
            continue;
        }
        out.push(rows_table(
            t.sheet,
            None,
            items.iter().map(|i| (None, *i)),
            &["shares", "bands", "quotas"],
        ));
        for child in TABLES
            .iter()
            .filter(|c| c.parent.is_some_and(|(_, p)| p == t.list))
        {
            let key = child.parent.map_or("", |(k, _)| k);
            let rows = items.iter().flat_map(|item| {
                let id = item.get("id").cloned();
                list(item, child.list)
                    .into_iter()
                    .map(move |c| (id.clone(), c))
            });
            out.push(rows_table(child.sheet, Some(key), rows, &[]));
        }
        if t.list == "tiers" {
            let quotas: Vec<Vec<Value>> = items
                .iter()
                .flat_map(|tier| {
                    let id = tier.get("id").cloned().unwrap_or(Value::Null);
                    tier.get("quotas")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .map(move |(party, q)| {
                            vec![
                                id.clone(),
                                Value::String(party.clone()),
                                Value::String(scalar(q)),
                            ]
                        })
                })
                .collect();
            if !quotas.is_empty() {
                out.push(table(
                    "quotas",
                    vec!["tier".into(), "party".into(), "quota".into()],
                    quotas,
                ));
            }
        }
    }
    let rates = policy
        .get("vat")
        .map(|v| list(v, "rates"))
        .unwrap_or_default();
    if !rates.is_empty() {
        out.push(rows_table(
            "vat_rates",
            None,
            rates.into_iter().map(|r| (None, r)),
            &[],
        ));
    }
    out.retain(|t| !t.rows.is_empty());
    Ok(out)
}

fn list<'v>(value: &'v Value, key: &str) -> Vec<&'v Value> {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `value` at `path` as (dotted column, cell): objects flattened, lists of scalars joined.
fn flatten(path: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{path}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            let joined: Vec<String> = items.iter().map(scalar).collect();
            out.push((path.to_owned(), Value::String(joined.join(", "))));
        }
        Value::Bool(_) | Value::Number(_) => out.push((path.to_owned(), value.clone())),
        other => out.push((path.to_owned(), Value::String(scalar(other)))),
    }
}

/// Rows of items (with their parent's id first when a child table), columns in order of first
/// appearance, the `skip` fields (child tables) left out.
fn rows_table<'v>(
    name: &str,
    parent: Option<&str>,
    items: impl Iterator<Item = (Option<Value>, &'v Value)>,
    skip: &[&str],
) -> ExportTable {
    let mut columns: Vec<String> = parent.map(str::to_owned).into_iter().collect();
    let mut flat_rows = Vec::new();
    for (id, item) in items {
        let mut flat = Vec::new();
        if let Some(id) = id {
            flat.push((parent.unwrap_or_default().to_owned(), id));
        }
        for (k, v) in item
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
        {
            flatten(k, v, &mut flat);
        }
        for (c, _) in &flat {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
        flat_rows.push(flat);
    }
    let rows = flat_rows
        .into_iter()
        .map(|flat| {
            columns
                .iter()
                .map(|c| {
                    flat.iter()
                        .find(|(k, _)| k == c)
                        .map_or(Value::Null, |(_, v)| v.clone())
                })
                .collect()
        })
        .collect();
    table(name, columns, rows)
}

fn table(name: &str, columns: Vec<String>, rows: Vec<Vec<Value>>) -> ExportTable {
    ExportTable {
        name: name.to_owned(),
        kinds: vec![ColumnKind::Text; columns.len()],
        columns,
        rows,
    }
}
