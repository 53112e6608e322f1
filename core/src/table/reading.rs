//! How a long-format touch table is to be read, declared by the user and never guessed: which
//! column holds each role, on which rows the outcome sits, the unit of integer timestamps, the
//! time zone of naive ones, and whether float money may be rounded. Every front end hands core
//! the same JSON object (CLI flags, Python keyword arguments, dataset files build it), and
//! [`Reading::from_json`] is its one parser.
//!
//! ```
//! use omnikpi::table::reading::{OutcomeRows, Reading};
//! let r = Reading::from_json(&serde_json::json!({
//!     "columns": {"journey_id": "user_pseudo_id", "conversions": "purchase"},
//!     "outcome": "last_touch", "timestamp_unit": "ms", "money_from_float": "round_half_even"
//! })).unwrap();
//! assert_eq!(r.columns.journey_id, "user_pseudo_id");
//! assert_eq!(r.outcome, OutcomeRows::LastTouch);
//! assert_eq!(r.seconds_from_integer(1_767_225_600_123, "t").unwrap(), 1_767_225_600);
//! ```

use super::one_of;
pub use crate::attribution::OutcomeRows;
use crate::error::{ErrorCode, KpiError, Result};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use serde_json::Value;

/// Names of the columns to read, by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Journey id column (integers or text).
    pub journey_id: String,
    /// Touch time column (timestamps, integers in a declared unit, dates or text).
    pub timestamp: String,
    /// Channel name column.
    pub channel: String,
    /// Conversions of the journey (integers or booleans).
    pub conversions: String,
    /// Optional value column (decimal128, text, integers; floats only when declared).
    pub value: String,
    /// Optional conversion time column.
    pub conversion_timestamp: String,
}

/// The roles a column can play, in the order of [`Columns`].
pub const ROLES: [&str; 6] = [
    "journey_id",
    "timestamp",
    "channel",
    "conversions",
    "value",
    "conversion_timestamp",
];

impl Default for Columns {
    fn default() -> Self {
        Self {
            journey_id: "journey_id".into(),
            timestamp: "timestamp".into(),
            channel: "channel".into(),
            conversions: "conversions".into(),
            value: "value".into(),
            conversion_timestamp: "conversion_timestamp".into(),
        }
    }
}

impl Columns {
    /// The column names of every role, in the order of [`ROLES`]: what a reader needs to
    /// decode (a Parquet file's other columns are left unread).
    ///
    /// ```
    /// let columns = omnikpi::table::reading::Columns::default();
    /// assert_eq!(columns.names()[0], "journey_id");
    /// ```
    pub fn names(&self) -> [&str; 6] {
        [
            &self.journey_id,
            &self.timestamp,
            &self.channel,
            &self.conversions,
            &self.value,
            &self.conversion_timestamp,
        ]
    }

    /// Reads `role` from the column `name`; false when `role` is not a role.
    ///
    /// ```
    /// let mut columns = omnikpi::table::reading::Columns::default();
    /// assert!(columns.set("journey_id", "user_pseudo_id"));
    /// assert!(!columns.set("user", "x"));
    /// assert_eq!(columns.journey_id, "user_pseudo_id");
    /// ```
    pub fn set(&mut self, role: &str, name: &str) -> bool {
        match self.slot(role) {
            Some(slot) => {
                name.clone_into(slot);
                true
            }
            None => false,
        }
    }

    fn slot(&mut self, role: &str) -> Option<&mut String> {
        Some(match role {
            "journey_id" => &mut self.journey_id,
            "timestamp" => &mut self.timestamp,
            "channel" => &mut self.channel,
            "conversions" => &mut self.conversions,
            "value" => &mut self.value,
            "conversion_timestamp" => &mut self.conversion_timestamp,
            _ => return None,
        })
    }
}

pub use super::unit::TimestampUnit;

/// A declared time zone for naive timestamps: an IANA name or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// An IANA zone (`Europe/Paris`), daylight saving time included.
    Named(chrono_tz::Tz),
    /// A fixed offset (`UTC`, `+02:00`).
    Fixed(chrono::FixedOffset),
}

/// What reading a table converted beyond reading it, counted so the user sees it: with
/// `money_from_float` declared, the amounts that had more places than the currency's minor unit
/// (floats, or text written from floats) and were rounded, and how many of them the rounding
/// moved by more than 1e-9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Conversions {
    /// Amounts rounded half to even at the minor unit.
    pub money_rounded: u64,
    /// Of those, the amounts rounding moved by more than 1e-9.
    pub money_changed: u64,
}

impl Conversions {
    /// Counts `other`'s conversions too (a table read in parts).
    ///
    /// ```
    /// use omnikpi::table::reading::Conversions;
    /// let mut all = Conversions { money_rounded: 2, money_changed: 1 };
    /// all.add(Conversions { money_rounded: 1, money_changed: 0 });
    /// assert_eq!(all, Conversions { money_rounded: 3, money_changed: 1 });
    /// ```
    pub fn add(&mut self, other: Self) {
        self.money_rounded = self.money_rounded.saturating_add(other.money_rounded);
        self.money_changed = self.money_changed.saturating_add(other.money_changed);
    }
}

/// The declared reading of a long-format touch table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reading {
    /// Column names by role.
    pub columns: Columns,
    /// Where the outcome sits.
    pub outcome: OutcomeRows,
    /// The unit of integer timestamps; `None`: integer timestamps are refused.
    pub timestamp_unit: Option<TimestampUnit>,
    /// The zone of naive text timestamps; `None`: naive timestamps are refused.
    pub timezone: Option<Zone>,
    /// Whether float money (and amounts with more places than the minor unit) may be rounded
    /// half to even at the currency's minor unit.
    pub money_from_float: bool,
    /// The CSV dialect, declared or (for CSV files) detected from the header.
    pub csv: Dialect,
}

/// How a CSV file is written. Either part may be declared; what is not declared is detected by
/// [`Dialect::detect`], and every error in a CSV cell says which dialect was assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dialect {
    /// The field delimiter (`,`, `;`, tab or `|`).
    pub delimiter: Option<u8>,
    /// Whether decimals are written with a comma (`89,99`), as Excel does in French or German.
    pub decimal_comma: Option<bool>,
}

impl Dialect {
    /// Fills what was not declared from the header line: the delimiter is the one of `,` `;`
    /// tab `|` that occurs most in it outside quotes (`,` when none does); a decimal comma is
    /// assumed with `;` (the delimiter Excel writes where the decimal separator is a comma).
    ///
    /// ```
    /// use omnikpi::table::reading::Dialect;
    /// let excel = Dialect::default().detect("journey_id;timestamp;channel;conversions;value");
    /// assert_eq!((excel.delimiter, excel.decimal_comma), (Some(b';'), Some(true)));
    /// assert_eq!(excel.to_string(), "delimiter `;`, decimal comma");
    /// ```
    pub fn detect(self, header: &str) -> Self {
        let delimiter = self.delimiter.unwrap_or_else(|| {
            let mut quoted = false;
            let mut counts = [0usize; 4];
            let candidates = [b',', b';', b'\t', b'|'];
            for b in header.bytes() {
                if b == b'"' {
                    quoted = !quoted;
                } else if !quoted {
                    if let Some(i) = candidates.iter().position(|c| *c == b) {
                        if let Some(n) = counts.get_mut(i) {
                            *n = n.saturating_add(1);
                        }
                    }
                }
            }
            let best = counts
                .iter()
                .enumerate()
                .max_by_key(|(i, n)| (**n, std::cmp::Reverse(*i)));
            match best {
                Some((i, n)) if *n > 0 => candidates.get(i).copied().unwrap_or(b','),
                _ => b',',
            }
        });
        Self {
            delimiter: Some(delimiter),
            decimal_comma: Some(self.decimal_comma.unwrap_or(delimiter == b';')),
        }
    }
}

impl Dialect {
    /// [`Dialect::detect`] on the header line of a whole file's `text` (after a UTF-8 byte
    /// order mark, without its line end).
    ///
    /// ```
    /// use omnikpi::table::reading::Dialect;
    /// let excel = Dialect::default().detect_text("\u{feff}channel;group\r\nweb;online\r\n");
    /// assert_eq!(excel.delimiter, Some(b';'));
    /// ```
    pub fn detect_text(self, text: &str) -> Self {
        let body = text.trim_start_matches('\u{feff}');
        self.detect(body.lines().next().unwrap_or_default())
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let delimiter = match self.delimiter.unwrap_or(b',') {
            b'\t' => "tab".to_owned(),
            d => format!("`{}`", char::from(d)),
        };
        let decimal = if self.decimal_comma == Some(true) {
            "decimal comma"
        } else {
            "decimal point"
        };
        write!(f, "delimiter {delimiter}, {decimal}")
    }
}

fn refused(path: &str, detail: impl std::fmt::Display) -> KpiError {
    KpiError::at(ErrorCode::InvalidParameter, path, detail)
}

fn text<'a>(value: &'a Value, path: &str) -> Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| KpiError::at(ErrorCode::WrongType, path, "must be text"))
}

impl Zone {
    /// `UTC`, `Z`, `+02:00`/`-0530`, or an IANA name.
    ///
    /// # Errors
    /// `invalid_parameter` at `path` for anything else.
    pub fn parse(name: &str, path: &str) -> Result<Self> {
        if name == "UTC" || name == "Z" {
            return Ok(Self::Named(chrono_tz::UTC));
        }
        if let Ok(offset) = name.parse::<chrono::FixedOffset>() {
            return Ok(Self::Fixed(offset));
        }
        name.parse::<chrono_tz::Tz>().map(Self::Named).map_err(|_| {
            refused(
                path,
                format!("`{name}` is not a time zone (an IANA name such as Europe/Paris, UTC, or an offset such as +02:00)"),
            )
        })
    }

    /// The Unix seconds of a local time in this zone.
    fn seconds(&self, local: NaiveDateTime, text: &str, path: &str) -> Result<i64> {
        let found = match self {
            Self::Named(tz) => tz
                .from_local_datetime(&local)
                .single()
                .map(|t| t.timestamp()),
            Self::Fixed(offset) => offset
                .from_local_datetime(&local)
                .single()
                .map(|t| t.timestamp()),
        };
        found.ok_or_else(|| {
            KpiError::at(
                ErrorCode::InvalidTimestamp,
                path,
                format!("`{text}` does not exist or is ambiguous in the declared time zone (a daylight saving change)"),
            )
        })
    }
}

impl Reading {
    /// An empty journey builder over `taxonomy` that reads the outcome where this reading says.
    pub fn builder(&self, taxonomy: &crate::channel::Taxonomy) -> crate::attribution::LongBuilder {
        crate::attribution::LongBuilder::new(taxonomy).with_outcome_rows(self.outcome)
    }

    /// Reads `{"columns": {role: name}, "outcome": "every_row" | "last_touch",
    /// "timestamp_unit": "s" | "ms" | "us" | "ns", "timezone": "Europe/Paris",
    /// "money_from_float": "round_half_even", "delimiter": "," | ";" | "tab" | "|",
    /// "decimal": "." | ","}`; every key is optional, null is the default.
    ///
    /// # Errors
    /// `unknown_parameter` for another key or role, `invalid_parameter` for a value out of its
    /// choices, `wrong_type`; all at `reading.<key>`.
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut out = Reading::default();
        let Some(map) = value.as_object() else {
            return match value {
                Value::Null => Ok(out),
                _ => Err(KpiError::at(
                    ErrorCode::WrongType,
                    "reading",
                    "must be an object",
                )),
            };
        };
        for (key, v) in map {
            let path = format!("reading.{key}");
            if v.is_null() {
                continue;
            }
            match key.as_str() {
                "columns" => out.read_columns(v, &path)?,
                "outcome" => {
                    out.outcome = one_of(
                        text(v, &path)?,
                        &[
                            ("every_row", OutcomeRows::EveryRow),
                            ("last_touch", OutcomeRows::LastTouch),
                        ],
                        &path,
                    )?;
                }
                "timestamp_unit" => {
                    out.timestamp_unit = Some(TimestampUnit::from_name(text(v, &path)?, &path)?);
                }
                "timezone" => out.timezone = Some(Zone::parse(text(v, &path)?, &path)?),
                "money_from_float" => {
                    out.money_from_float =
                        one_of(text(v, &path)?, &[("round_half_even", true)], &path)?;
                }
                "delimiter" => {
                    let d = text(v, &path)?;
                    let d = if d == "tab" { "\t" } else { d };
                    out.csv.delimiter = Some(one_of(
                        d,
                        &[(",", b','), (";", b';'), ("\t", b'\t'), ("|", b'|')],
                        &path,
                    )?);
                }
                "decimal" => {
                    out.csv.decimal_comma = Some(one_of(
                        text(v, &path)?,
                        &[(".", false), (",", true)],
                        &path,
                    )?);
                }
                _ => {
                    return Err(KpiError::at(
                        ErrorCode::UnknownParameter,
                        &path,
                        "is not a reading option (columns, outcome, timestamp_unit, timezone, \
                         money_from_float, delimiter, decimal)",
                    ))
                }
            }
        }
        Ok(out)
    }

    /// The reading as [`Reading::from_json`] reads it, every key written (the defaults and
    /// null for what was not declared): one form for one reading, however it was declared
    /// (`last-touch` or `last_touch`, a role named or left at its default), as certificates
    /// certify it.
    ///
    /// ```
    /// use omnikpi::table::reading::Reading;
    /// let declared = serde_json::json!({"outcome": "last-touch", "timezone": "UTC", "delimiter": "tab"});
    /// let canonical = Reading::from_json(&declared).unwrap().to_json();
    /// assert_eq!(canonical["outcome"], "last_touch");
    /// assert_eq!(canonical["columns"]["journey_id"], "journey_id");
    /// assert_eq!((canonical["timezone"].as_str(), canonical["decimal"].as_str()), (Some("UTC"), None));
    /// assert_eq!(Reading::from_json(&canonical).unwrap(), Reading::from_json(&declared).unwrap());
    /// ```
    pub fn to_json(&self) -> Value {
        let names = self.columns.names();
        let columns: serde_json::Map<String, Value> = ROLES
            .iter()
            .zip(names)
            .map(|(role, name)| ((*role).to_owned(), Value::from(name)))
            .collect();
        let unit = self.timestamp_unit.and_then(|unit| {
            TimestampUnit::NAMES
                .iter()
                .find(|(_, u)| *u == unit)
                .map(|(name, _)| *name)
        });
        let zone = self.timezone.map(|zone| match zone {
            Zone::Named(tz) => tz.name().to_owned(),
            Zone::Fixed(offset) => offset.to_string(),
        });
        serde_json::json!({
            "columns": columns,
            "outcome": match self.outcome {
                OutcomeRows::EveryRow => "every_row",
                OutcomeRows::LastTouch => "last_touch",
            },
            "timestamp_unit": unit,
            "timezone": zone,
            "money_from_float": self.money_from_float.then_some("round_half_even"),
            "delimiter": self.csv.delimiter.map(|d| char::from(d).to_string()),
            "decimal": self.csv.decimal_comma.map(|comma| if comma { "," } else { "." }),
        })
    }

    fn read_columns(&mut self, value: &Value, path: &str) -> Result<()> {
        let map = value.as_object().ok_or_else(|| {
            KpiError::at(ErrorCode::WrongType, path, "must map roles to column names")
        })?;
        for (role, name) in map {
            let at = format!("{path}.{role}");
            let slot = self.columns.slot(role).ok_or_else(|| {
                KpiError::at(
                    ErrorCode::UnknownParameter,
                    &at,
                    format!("is not a role (roles: {})", ROLES.join(", ")),
                )
            })?;
            *slot = text(name, &at)?.to_owned();
        }
        Ok(())
    }

    /// An amount written as text: a decimal point, or with the dialect's decimal comma
    /// (`89,99`; a point is then refused, as `1.234,56` would be a thousands separator).
    ///
    /// # Errors
    /// `invalid_decimal` at `path`.
    pub fn decimal_from_text(&self, text: &str, path: &str) -> Result<rust_decimal::Decimal> {
        if self.csv.decimal_comma != Some(true) {
            return crate::decimal::parse_decimal(text, path);
        }
        if text.contains('.') {
            return Err(KpiError::at(
                ErrorCode::InvalidDecimal,
                path,
                format!("`{text}` has a point where the decimal separator is a comma (thousands separators are not read)"),
            ));
        }
        crate::decimal::parse_decimal(&text.replacen(',', ".", 1), path)
    }

    /// Unix seconds (floored) of an integer timestamp in the declared unit.
    ///
    /// # Errors
    /// `wrong_type` at `path` when no unit was declared, saying how to declare one.
    pub fn seconds_from_integer(&self, n: i64, path: &str) -> Result<i64> {
        let unit = self.timestamp_unit.ok_or_else(|| {
            KpiError::at(
                ErrorCode::WrongType,
                path,
                "holds integer timestamps without a declared unit: declare it (CLI --timestamp-unit s|ms|us|ns, \
                 Python timestamp_unit=\"ms\", JS timestampUnit: \"ms\"); a unit is never guessed",
            )
        })?;
        Ok(unit.seconds(n))
    }

    /// Unix seconds of a text timestamp: RFC 3339 (`2026-10-01T10:00:00Z`), an offset without
    /// a colon (`2026-10-01 10:00:00.000+0000`, as polars writes), a date (`2026-10-01`,
    /// midnight), integer text in the declared unit, or a naive date-time (`2026-10-01
    /// 10:00:00`, `T` or space) in the declared time zone.
    ///
    /// # Errors
    /// `invalid_timestamp` at `path`, saying what was expected; a naive time without a declared
    /// zone and integer text without a declared unit are errors too.
    pub fn seconds_from_text(&self, text: &str, path: &str) -> Result<i64> {
        if let Ok(n) = text.parse::<i64>() {
            return self.seconds_from_integer(n, path);
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(t.timestamp());
        }
        for format in ["%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
            if let Ok(t) = DateTime::parse_from_str(text, format) {
                return Ok(t.timestamp());
            }
        }
        let naive = [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
        match (naive, &self.timezone) {
            (Some(local), Some(zone)) => zone.seconds(local, text, path),
            (Some(_), None) => Err(KpiError::at(
                ErrorCode::InvalidTimestamp,
                path,
                format!("`{text}` has no time zone: declare the zone of naive timestamps (CLI --timezone Europe/Paris, Python timezone=\"Europe/Paris\", JS timezone: \"Europe/Paris\")"),
            )),
            (None, _) => Err(KpiError::at(
                ErrorCode::InvalidTimestamp,
                path,
                format!("`{text}` is not a timestamp (RFC 3339, `YYYY-MM-DD HH:MM:SS` with a declared time zone, or integers in a declared unit)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reading(v: Value) -> Reading {
        Reading::from_json(&v).unwrap_or_default()
    }

    #[test]
    fn every_spelling_of_one_instant_is_one_second() {
        let r = reading(json!({"timestamp_unit": "ms", "timezone": "Europe/Paris"}));
        let want = Ok(1_790_841_600); // 2026-10-01T08:00:00Z
        assert_eq!(r.seconds_from_text("2026-10-01T08:00:00Z", "t"), want);
        assert_eq!(
            r.seconds_from_text("2026-10-01 08:00:00.000+0000", "t"),
            want
        );
        assert_eq!(r.seconds_from_text("2026-10-01 10:00:00", "t"), want); // Paris, summer time
        assert_eq!(r.seconds_from_text("1790841600999", "t"), want);
        assert_eq!(r.seconds_from_integer(1_790_841_600_000, "t"), want);
    }

    #[test]
    fn nothing_is_guessed() {
        let r = Reading::default();
        let e = r.seconds_from_integer(1_790_848_800_000, "table.ts[0]");
        assert_eq!(e.map_err(|e| e.code()), Err(ErrorCode::WrongType));
        let e = r.seconds_from_text("2026-10-01 10:00:00", "t");
        assert_eq!(e.map_err(|e| e.code()), Err(ErrorCode::InvalidTimestamp));
        let gap = reading(json!({"timezone": "Europe/Paris"}));
        // 02:30 does not exist on 2026-03-29 in Paris
        let e = gap.seconds_from_text("2026-03-29 02:30:00", "t");
        assert_eq!(e.map_err(|e| e.code()), Err(ErrorCode::InvalidTimestamp));
    }

    #[test]
    fn options_are_checked() {
        let code = |v: Value| Reading::from_json(&v).map(|_| ()).map_err(|e| e.code());
        assert_eq!(code(json!({"outcome": "last-touch"})), Ok(()));
        assert_eq!(
            code(json!({"outcome": "first"})),
            Err(ErrorCode::InvalidParameter)
        );
        assert_eq!(
            code(json!({"timestamp_unit": "h"})),
            Err(ErrorCode::InvalidParameter)
        );
        assert_eq!(
            code(json!({"timezone": "Mars/Olympus"})),
            Err(ErrorCode::InvalidParameter)
        );
        assert_eq!(
            code(json!({"columns": {"user": "x"}})),
            Err(ErrorCode::UnknownParameter)
        );
        assert_eq!(
            code(json!({"colums": {}})),
            Err(ErrorCode::UnknownParameter)
        );
        assert_eq!(
            code(json!({"money_from_float": "round"})),
            Err(ErrorCode::InvalidParameter)
        );
    }
}
