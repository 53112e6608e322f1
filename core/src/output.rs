//! The result tree every KPI returns: JSON-shaped, but decimals stay typed so each binding
//! can hand them over natively (`decimal.Decimal` in Python, canonical strings in JSON and JS).

use rust_decimal::Decimal;
use serde_json::Value;

/// A KPI result: records, lists, counts, exact decimals, text.
///
/// # Example
/// ```
/// use omnikpi::Output;
/// use rust_decimal::Decimal;
/// let out = Output::record([("rate", Output::from(Decimal::new(1250, 4))), ("n", 8u64.into())]);
/// assert_eq!(out.to_json().to_string(), r#"{"rate":"0.1250","n":8}"#); // declared order
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Absent value (a rate with a zero denominator).
    Null,
    /// A flag.
    Bool(bool),
    /// A non-negative count.
    Count(u64),
    /// A signed integer (timestamps, unit differences).
    Integer(i64),
    /// An exact decimal already at its declared scale.
    Decimal(Decimal),
    /// Text (names, ids, reasons).
    Text(String),
    /// An ordered list.
    List(Vec<Output>),
    /// Named fields, in declared order.
    Record(Vec<(String, Output)>),
}

impl Output {
    /// A record from `(name, value)` pairs.
    pub fn record<'a>(fields: impl IntoIterator<Item = (&'a str, Output)>) -> Self {
        Output::Record(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The field `name` of a record.
    pub fn get(&self, name: &str) -> Option<&Output> {
        match self {
            Output::Record(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The JSON form: decimals become their canonical strings.
    pub fn to_json(&self) -> Value {
        match self {
            Output::Null => Value::Null,
            Output::Bool(b) => Value::Bool(*b),
            Output::Count(n) => Value::from(*n),
            Output::Integer(n) => Value::from(*n),
            Output::Decimal(d) => Value::String(d.to_string()),
            Output::Text(s) => Value::String(s.clone()),
            Output::List(items) => Value::Array(items.iter().map(Output::to_json).collect()),
            Output::Record(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl From<u64> for Output {
    fn from(n: u64) -> Self {
        Output::Count(n)
    }
}
impl From<i64> for Output {
    fn from(n: i64) -> Self {
        Output::Integer(n)
    }
}
impl From<bool> for Output {
    fn from(b: bool) -> Self {
        Output::Bool(b)
    }
}
impl From<Decimal> for Output {
    fn from(d: Decimal) -> Self {
        Output::Decimal(d)
    }
}
impl From<&str> for Output {
    fn from(s: &str) -> Self {
        Output::Text(s.to_owned())
    }
}
impl From<String> for Output {
    fn from(s: String) -> Self {
        Output::Text(s)
    }
}
impl<T: Into<Output>> From<Option<T>> for Output {
    fn from(value: Option<T>) -> Self {
        value.map_or(Output::Null, Into::into)
    }
}
impl<T: Into<Output>> From<Vec<T>> for Output {
    fn from(items: Vec<T>) -> Self {
        Output::List(items.into_iter().map(Into::into).collect())
    }
}

/// How many input rows were read, used, and rejected (read but not counted, per the KPI's rules).
///
/// `read == used + rejected` always holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowCounts {
    /// Rows present in the input.
    pub read: u64,
    /// Rows that contributed to the result.
    pub used: u64,
    /// Rows read but excluded by a rule of the KPI's definition.
    pub rejected: u64,
}

impl RowCounts {
    /// All `read` rows used.
    pub fn all_used(read: usize) -> Self {
        let read = read as u64;
        Self {
            read,
            used: read,
            rejected: 0,
        }
    }

    /// `read` rows, of which `rejected` were excluded.
    pub fn with_rejected(read: usize, rejected: usize) -> Self {
        let (read, rejected) = (read as u64, rejected as u64);
        Self {
            read,
            used: read.saturating_sub(rejected),
            rejected,
        }
    }
}

impl From<RowCounts> for Output {
    fn from(rows: RowCounts) -> Self {
        Output::record([
            ("read", rows.read.into()),
            ("used", rows.used.into()),
            ("rejected", rows.rejected.into()),
        ])
    }
}

/// A result's table (a JSON list of flat records) as CSV: `leading` columns first (the same
/// value on every row, such as the policy's id and version), then the first record's fields in
/// order. Nulls are empty cells and a list of scalars is joined with `;`.
///
/// ```
/// use serde_json::json;
/// let rows = json!([{"party": "web", "payable": "4.46"}, {"party": "lille", "payable": null}]);
/// let csv = omnikpi::output::records_to_csv(rows.as_array().unwrap(), &[("policy_version", "2026.09")]).unwrap();
/// assert_eq!(csv, "policy_version,party,payable\n2026.09,web,4.46\n2026.09,lille,\n");
/// ```
///
/// # Errors
/// `invalid_dataset` if a record is not an object or the CSV writer fails.
pub fn records_to_csv(records: &[Value], leading: &[(&str, &str)]) -> crate::Result<String> {
    let columns: Vec<String> = records
        .first()
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let cell = |v: Option<&Value>| match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(";"),
        Some(other) => other.to_string(),
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = leading
        .iter()
        .map(|(k, _)| (*k).to_owned())
        .chain(columns.iter().cloned());
    writer.write_record(header).map_err(cannot_write)?;
    for (i, r) in records.iter().enumerate() {
        let object = r
            .as_object()
            .ok_or_else(|| cannot_write(format_args!("row {i} of the table is not a record")))?;
        let row = leading
            .iter()
            .map(|(_, v)| (*v).to_owned())
            .chain(columns.iter().map(|c| cell(object.get(c))));
        writer.write_record(row).map_err(cannot_write)?;
    }
    csv_finish(writer)
}

/// The text a CSV writer wrote.
///
/// # Errors
/// `invalid_dataset` if the writer fails.
pub(crate) fn csv_finish(writer: csv::Writer<Vec<u8>>) -> crate::Result<String> {
    let bytes = writer.into_inner().map_err(cannot_write)?;
    String::from_utf8(bytes).map_err(cannot_write)
}

/// `invalid_dataset`: a CSV table could not be written.
pub(crate) fn cannot_write(e: impl std::fmt::Display) -> crate::KpiError {
    crate::KpiError::new(
        crate::ErrorCode::InvalidDataset,
        None,
        format!("cannot write CSV: {e}"),
    )
}
