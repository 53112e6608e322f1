//! CSV tables as records: dataset folders, channels and the incentive tables, the cell rules
//! every CSV shares (booleans, ids), and where a record came from in its file so that a KPI's
//! error names the row and column. Touch tables are read as Arrow batches instead
//! ([`super::arrow::csv_batches`]).

use crate::error::{ErrorCode, KpiError, Result};
use serde_json::{json, Value};

/// The spellings a boolean CSV cell may take, in every table: `true`/`false` in any letter case
/// (`TRUE` as Excel writes it, `True` as Python does) and `1`/`0`. Anything else is an error
/// naming the file, row and column, never a silent false.
///
/// ```
/// assert_eq!(omnikpi::table::csv_boolean("TRUE", "channels.csv:row 2:direct").unwrap(), true);
/// assert_eq!(omnikpi::table::csv_boolean("0", "x").unwrap(), false);
/// assert!(omnikpi::table::csv_boolean("yes", "x").is_err());
/// ```
///
/// # Errors
/// `invalid_dataset` at `place` for any other spelling.
pub fn csv_boolean(cell: &str, place: &str) -> Result<bool> {
    match cell {
        "1" => Ok(true),
        "0" => Ok(false),
        _ if cell.eq_ignore_ascii_case("true") => Ok(true),
        _ if cell.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(KpiError::new(
            ErrorCode::InvalidDataset,
            Some(place.to_owned()),
            format!("`{cell}` at {place} is not a boolean (true, false, TRUE, FALSE, 1 or 0)"),
        )),
    }
}

/// An id cell: any non-empty text. An empty id is an error (rows with empty ids would otherwise
/// merge into one record); `place` names the cell and is formatted only then.
pub(crate) fn csv_id(cell: &str, place: impl FnOnce() -> String) -> Result<&str> {
    if blank(cell) {
        let place = place();
        return Err(KpiError::new(
            ErrorCode::InvalidDataset,
            Some(place.clone()),
            format!("the id at {place} is empty"),
        ));
    }
    Ok(cell)
}

/// Whether `cell` is empty or only whitespace; a cell that starts with a visible character (as
/// ids do) is decided by that character.
fn blank(cell: &str) -> bool {
    match cell.chars().next() {
        None => true,
        Some(c) if !c.is_whitespace() => false,
        Some(_) => cell.trim().is_empty(),
    }
}

/// Where the records of an input list came from in a CSV file, so that an error the KPI reports
/// at `input.sales[3].amount` names `sales.csv:row 5:amount` instead.
///
/// ```
/// let rows = omnikpi::table::CsvRows::one_per_row("sales", "sales.csv", 4);
/// let e = omnikpi::KpiError::at(omnikpi::ErrorCode::NegativeAmount, "input.sales[3].amount", "is negative");
/// assert_eq!(rows.locate(e).path(), Some("sales.csv:row 5:amount"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRows {
    list: String,
    file: String,
    /// The line of each record (the header is line 1).
    rows: Vec<usize>,
}

impl CsvRows {
    /// Records `list` of the input, one per data row of `file` in order (rows 2, 3, ...).
    pub fn one_per_row(list: &str, file: &str, count: usize) -> Self {
        Self {
            list: list.to_owned(),
            file: file.to_owned(),
            rows: (2..count.saturating_add(2)).collect(),
        }
    }

    /// Records `list` of the input from the given lines of `file` (the header is line 1): the
    /// rows a filter kept.
    pub fn at_lines(list: &str, file: &str, lines: Vec<usize>) -> Self {
        Self {
            list: list.to_owned(),
            file: file.to_owned(),
            rows: lines,
        }
    }

    /// The error located in the file when its path is inside this list; unchanged otherwise.
    pub fn locate(&self, e: KpiError) -> KpiError {
        let Some(place) = e.path().and_then(|p| self.place(p)) else {
            return e;
        };
        let path = e.path().unwrap_or_default().to_owned();
        let message = e.message().replacen(&path, &place, 1);
        KpiError::new(e.code(), Some(place), message)
    }

    /// `input.<list>[i]<rest>` as `file:row N[:column]`, when the path is inside this list;
    /// `input.<list>` itself as the file.
    ///
    /// ```
    /// let rows = omnikpi::table::CsvRows::one_per_row("payouts", "claims.csv", 4);
    /// assert_eq!(rows.place("input.payouts[0]").as_deref(), Some("claims.csv:row 2"));
    /// assert_eq!(rows.place("input.payouts").as_deref(), Some("claims.csv"));
    /// ```
    pub fn place(&self, path: &str) -> Option<String> {
        let list = format!("input.{}", self.list);
        if path == list {
            return Some(self.file.clone()); // the list as a whole: an empty file, say
        }
        let rest = path.strip_prefix(&format!("{list}["))?;
        let (index, field) = rest.split_once(']')?;
        let index: usize = index.parse().ok()?;
        let line = *self.rows.get(index)?;
        let column = field.strip_prefix('.').filter(|c| !c.contains(['.', '[']));
        Some(match column {
            Some(column) => format!("{}:row {line}:{column}", self.file),
            None => format!("{}:row {line}", self.file),
        })
    }
}

/// One CSV table with named columns: the CSV reader of every dataset file, channels and the
/// incentive tables (touch tables go through [`super::arrow::csv_batches`]) (a UTF-8 byte order mark before the header is skipped).
pub(crate) struct Table {
    name: String,
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn parse(name: &str, text: &str) -> Result<Self> {
        Self::parse_delimited(name, text, b',')
    }

    /// A table written with another delimiter (a declared or detected [`super::reading::Dialect`]).
    pub(crate) fn parse_delimited(name: &str, text: &str, delimiter: u8) -> Result<Self> {
        let bad = |place: String, detail: String| {
            KpiError::new(
                ErrorCode::InvalidDataset,
                Some(place),
                format!("`{name}` {detail}"),
            )
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| bad(name.to_owned(), format!("has no readable header: {e}")))?
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .enumerate()
            .map(|(i, r)| {
                r.map(|rec| rec.iter().map(str::to_owned).collect())
                    .map_err(|e| {
                        let line = i.saturating_add(2); // header is line 1
                        bad(format!("{name}:row {line}"), format!("is malformed: {e}"))
                    })
            })
            .collect::<Result<Vec<Vec<String>>>>()?;
        Ok(Self {
            name: name.to_owned(),
            header,
            rows,
        })
    }

    /// The position of each named column.
    pub(crate) fn columns<const N: usize>(&self, names: [&str; N]) -> Result<[usize; N]> {
        let mut out = [0usize; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self.header.iter().position(|h| h == name).ok_or_else(|| {
                KpiError::new(
                    ErrorCode::InvalidDataset,
                    Some(format!("{}:header", self.name)),
                    format!("`{}` has no column `{name}`", self.name),
                )
            })?;
        }
        Ok(out)
    }

    /// Each row as the values of the given columns, with its 1-based line number (header = 1).
    pub(crate) fn select<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<Vec<(usize, [&str; N])>> {
        let cols = self.columns(names)?;
        Ok(self
            .rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let mut values = [""; N];
                for (v, c) in values.iter_mut().zip(cols) {
                    *v = row.get(c).map_or("", String::as_str);
                }
                (i.saturating_add(2), values) // header is line 1
            })
            .collect())
    }
}

/// The channel taxonomy from a `channel,group,direct` CSV, as the attribution input's `channels`.
///
/// `direct` follows [`csv_boolean`]; empty means false. The delimiter is detected from the
/// header as a touch table's is ([`super::reading::Dialect::detect`]): Excel's `;` is read too.
///
/// ```
/// use omnikpi::table::channels_from_csv;
/// let excel = channels_from_csv("\u{feff}channel;group;direct\r\nweb;online;\r\n", "channels.csv").unwrap();
/// assert_eq!(excel, channels_from_csv("channel,group,direct\nweb,online,\n", "channels.csv").unwrap());
/// ```
///
/// # Errors
/// `invalid_dataset` for a missing column, an empty channel, or a `direct` cell that is not a
/// boolean, naming the file, row and column.
pub fn channels_from_csv(text: &str, name: &str) -> Result<Vec<Value>> {
    let dialect = super::reading::Dialect::default().detect_text(text);
    let table = Table::parse_delimited(name, text, dialect.delimiter.unwrap_or(b','))?;
    let direct = table.header.iter().position(|h| h == "direct");
    table
        .select(["channel", "group"])?
        .into_iter()
        .enumerate()
        .map(|(i, (line, [c, g]))| {
            let cell = direct
                .and_then(|d| table.rows.get(i).and_then(|r| r.get(d)))
                .map_or("", String::as_str);
            let direct =
                !cell.is_empty() && csv_boolean(cell, &format!("{name}:row {line}:direct"))?;
            let channel = csv_id(c, || format!("{name}:row {line}:channel"))?;
            Ok(json!({"channel": channel, "group": g, "direct": direct}))
        })
        .collect()
}

/// An error of a touch-table reader ([`super::arrow::journeys`], [`super::rows::journeys`]) on a file (CSV, or a sheet) located in the file:
/// `table.timestamp[7]` and `table[7].channel` become `journeys.csv:row 9:timestamp` and
/// `journeys.csv:row 9:channel` (the header is row 1), the message ending with `how` the file
/// was read (`read as CSV: delimiter `;`, decimal comma`).
pub fn in_file(e: KpiError, file: &str, how: &str) -> KpiError {
    let Some(path) = e.path().map(str::to_owned) else {
        return e;
    };
    let place = |row: &str, column: &str| -> Option<String> {
        let line = row.parse::<usize>().ok()?.checked_add(2)?;
        Some(match column {
            "" => format!("{file}:row {line}"),
            c => format!("{file}:row {line}:{c}"),
        })
    };
    let located = if let Some(rest) = path.strip_prefix("table[") {
        rest.split_once(']')
            .and_then(|(row, column)| place(row, column.trim_start_matches('.')))
    } else if let Some(rest) = path.strip_prefix("table.") {
        match rest.split_once('[') {
            Some((column, row)) => row.strip_suffix(']').and_then(|row| place(row, column)),
            None => Some(format!("{file}:column {rest}")),
        }
    } else {
        None
    };
    match located {
        Some(place) => {
            let message = e.message().replacen(&path, &place, 1);
            KpiError::new(e.code(), Some(place), format!("{message} ({how})"))
        }
        None => e,
    }
}
