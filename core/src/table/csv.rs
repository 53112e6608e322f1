//! CSV tables: the one CSV reader of every file omnikpi reads (dataset folders, journeys,
//! channels, the incentive tables), the cell rules they share (booleans, ids), and where a
//! record came from in its file so that a KPI's error names the row and column.

use crate::error::{ErrorCode, KpiError, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;

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
/// merge into one record).
pub(crate) fn csv_id<'a>(cell: &'a str, place: &str) -> Result<&'a str> {
    if cell.trim().is_empty() {
        return Err(KpiError::new(
            ErrorCode::InvalidDataset,
            Some(place.to_owned()),
            format!("the id at {place} is empty"),
        ));
    }
    Ok(cell)
}

/// Where the records of an input list came from in a CSV file, so that an error the KPI reports
/// at `input.journeys[3].touches[1].timestamp` names `journeys.csv:row 9:timestamp` instead.
///
/// ```
/// let csv = "journey_id,timestamp,channel,conversions\nj1,10,web,1\nj1,5,store,1\n";
/// let (journeys, rows) = omnikpi::table::journeys_from_csv_with_rows(csv, "j.csv").unwrap();
/// let e = omnikpi::KpiError::at(omnikpi::ErrorCode::UnknownChannel, "input.journeys[0].touches[0].channel", "is unknown");
/// // touches are sorted by time: the first touch is row 3 of the file
/// assert_eq!(rows.locate(e).path(), Some("j.csv:row 3:channel"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRows {
    list: String,
    file: String,
    /// The line of each record (the header is line 1).
    rows: Vec<usize>,
    /// For journeys: the line of each touch, in the order of the record's `touches`.
    touches: Vec<Vec<usize>>,
}

impl CsvRows {
    /// Records `list` of the input, one per data row of `file` in order (rows 2, 3, ...).
    pub fn one_per_row(list: &str, file: &str, count: usize) -> Self {
        Self {
            list: list.to_owned(),
            file: file.to_owned(),
            rows: (2..count.saturating_add(2)).collect(),
            touches: Vec::new(),
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

    /// `input.<list>[i]<rest>` as `file:row N[:column]`.
    fn place(&self, path: &str) -> Option<String> {
        let rest = path.strip_prefix(&format!("input.{}[", self.list))?;
        let (index, mut field) = rest.split_once(']')?;
        let index: usize = index.parse().ok()?;
        let mut line = *self.rows.get(index)?;
        if let Some(inner) = field.strip_prefix(".touches[") {
            if let Some((k, after)) = inner.split_once(']') {
                let touch = k.parse::<usize>().ok();
                if let Some(l) = touch.and_then(|k| self.touches.get(index)?.get(k)) {
                    line = *l;
                    field = after;
                }
            }
        }
        let column = field.strip_prefix('.').filter(|c| !c.contains(['.', '[']));
        Some(match column {
            Some(column) => format!("{}:row {line}:{column}", self.file),
            None => format!("{}:row {line}", self.file),
        })
    }
}

/// One CSV table with named columns: the one CSV reader of every dataset file, journeys, channels
/// and the incentive tables (a UTF-8 byte order mark before the header is skipped).
pub(crate) struct Table {
    name: String,
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn parse(name: &str, text: &str) -> Result<Self> {
        let bad = |place: String, detail: String| {
            KpiError::new(
                ErrorCode::InvalidDataset,
                Some(place),
                format!("`{name}` {detail}"),
            )
        };
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
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

/// Journeys in long format (one row per touch: `journey_id,timestamp,channel`, and optionally
/// `conversions,value,conversion_timestamp`, repeated on the journey's rows) as the `journeys`
/// list of the attribution input. Rows are grouped by journey in order of first appearance and
/// sorted by timestamp within a journey (stable), as a query result may list them in any order.
///
/// # Example
/// ```
/// let csv = "journey_id,timestamp,channel,conversions,value\nj1,20,store,1,90.00\nj1,10,web,1,90.00\n";
/// let journeys = omnikpi::table::journeys_from_csv(csv, "journeys.csv").unwrap();
/// assert_eq!(journeys[0]["touches"][0]["channel"], "web");
/// ```
///
/// # Errors
/// `invalid_dataset` naming the file, row and column: missing columns, bad numbers, or
/// conversion columns that disagree between the rows of one journey.
pub fn journeys_from_csv(text: &str, name: &str) -> Result<Vec<Value>> {
    journeys_from_csv_with_rows(text, name).map(|(journeys, _)| journeys)
}

/// [`journeys_from_csv`], with the rows each journey and touch came from, so that errors of the
/// KPI that reads them can name the file's row and column ([`CsvRows::locate`]).
///
/// # Errors
/// As [`journeys_from_csv`].
pub fn journeys_from_csv_with_rows(text: &str, name: &str) -> Result<(Vec<Value>, CsvRows)> {
    let table = Table::parse(name, text)?;
    let rows = table.select(["journey_id", "timestamp", "channel"])?;
    let optional = |column: &str| table.header.iter().position(|h| h == column);
    let (conv_col, value_col, at_col) = (
        optional("conversions"),
        optional("value"),
        optional("conversion_timestamp"),
    );
    let bad = |line: usize, column: &str, detail: &str| {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(format!("{name}:row {line}:{column}")),
            format!("`{name}` row {line}, column `{column}`: {detail}"),
        )
    };
    let mut order: Vec<&str> = Vec::new();
    /// One journey's rows: its touches, its outcome columns, and its first row's line.
    #[derive(Clone, Default)]
    struct Rows<'a> {
        touches: Vec<(i64, &'a str, usize)>,
        outcome: Option<(&'a str, &'a str, &'a str)>,
        line: usize,
    }
    let mut journeys: BTreeMap<&str, Rows> = BTreeMap::new();
    for (i, (line, [journey, ts, channel])) in rows.iter().enumerate() {
        let journey = csv_id(journey, &format!("{name}:row {line}:journey_id"))?;
        let at = crate::input::parse_timestamp(ts, &format!("{name}:row {line}:timestamp"))?;
        let cell = |col: Option<usize>| {
            col.and_then(|c| table.rows.get(i).and_then(|r| r.get(c)))
                .map_or("", String::as_str)
        };
        let outcome = (cell(conv_col), cell(value_col), cell(at_col));
        let entry = journeys.entry(journey).or_insert_with(|| {
            order.push(journey);
            Rows {
                line: *line,
                ..Rows::default()
            }
        });
        match entry.outcome {
            Some(seen) if seen != outcome => {
                return Err(bad(
                    *line,
                    "conversions",
                    "conversion columns differ from an earlier row of the same journey",
                ))
            }
            _ => entry.outcome = Some(outcome),
        }
        entry.touches.push((at, channel, *line));
    }
    let mut rows = CsvRows {
        list: "journeys".to_owned(),
        file: name.to_owned(),
        rows: Vec::with_capacity(order.len()),
        touches: Vec::with_capacity(order.len()),
    };
    let journeys = order
        .iter()
        .map(|j| {
            let Rows {
                mut touches,
                outcome,
                line,
            } = journeys.get(j).cloned().unwrap_or_default();
            touches.sort_by_key(|(t, _, _)| *t);
            rows.rows.push(line);
            rows.touches
                .push(touches.iter().map(|(_, _, l)| *l).collect());
            let (conv, value, at) = outcome.unwrap_or(("", "", ""));
            let conversions: u64 = if conv.is_empty() {
                0
            } else {
                conv.parse()
                    .map_err(|_| bad(line, "conversions", &format!("`{conv}` is not a count")))?
            };
            let mut journey = serde_json::Map::new();
            journey.insert("journey_id".into(), json!(j));
            journey.insert(
                "touches".into(),
                Value::Array(
                    touches
                        .iter()
                        .map(|(t, c, _)| json!({"channel": c, "timestamp": t}))
                        .collect(),
                ),
            );
            journey.insert("conversions".into(), json!(conversions));
            if !value.is_empty() {
                journey.insert("value".into(), json!(value));
            }
            if !at.is_empty() {
                journey.insert("conversion_timestamp".into(), json!(at));
            }
            Ok(Value::Object(journey))
        })
        .collect::<Result<Vec<Value>>>()?;
    Ok((journeys, rows))
}

/// The channel taxonomy from a `channel,group,direct` CSV, as the attribution input's `channels`.
///
/// `direct` follows [`csv_boolean`]; empty means false.
///
/// # Errors
/// `invalid_dataset` for a missing column, an empty channel, or a `direct` cell that is not a
/// boolean, naming the file, row and column.
pub fn channels_from_csv(text: &str, name: &str) -> Result<Vec<Value>> {
    let table = Table::parse(name, text)?;
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
            let channel = csv_id(c, &format!("{name}:row {line}:channel"))?;
            Ok(json!({"channel": channel, "group": g, "direct": direct}))
        })
        .collect()
}
