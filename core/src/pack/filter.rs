//! A filter of a pack's report: the values of some dimensions and a range of days, applied to
//! the rows of every table a KPI reads before the KPI sees them (so every section, comparison
//! and certificate speaks of the same filtered data). A journey is kept or dropped whole: by the
//! dimension values its rows carry and the day of its last touch. The FX table is never
//! filtered. A KPI whose table cannot be filtered (no column of a filtered dimension, no time
//! for a range of days) is left out with a note, never shown unfiltered.
//!
//! ```
//! use serde_json::json;
//! let pack = omnikpi::pack::Pack::from_json(&json!({
//!     "format": "omnikpi.pack/1", "id": "demo", "version": "1.0.0",
//!     "name": {"en": "Demo"}, "languages": ["en"], "currency": "EUR",
//!     "dimensions": [{"name": "brand", "label": {"en": "Brand"}}],
//!     "tables": {"orders": {"file": "orders.csv", "time": "day"}},
//!     "kpis": [{"key": "basket", "kpi": "basket.average", "version": "^1.1",
//!               "label": {"en": "Average basket"}, "inputs": {"orders": "orders"}}]
//! })).unwrap();
//! let files = [("orders.csv".to_owned(),
//!     "channel,amount,brand,day\nweb,10.00,A,2026-10-01T12:00:00Z\nweb,20.00,B,2026-10-01T12:00:00Z\nweb,40.00,A,2026-11-01T12:00:00Z\n".to_owned())];
//! let filter = omnikpi::pack::Filter::from_json(
//!     &json!({"dimensions": {"brand": ["A"]}, "to": "2026-10-31"}), &pack).unwrap();
//! let report = pack.report_filtered(&files.into_iter().collect(), &filter).unwrap();
//! assert_eq!(report["sections"][0]["result"]["overall"]["average"], "10.00");
//! assert_eq!(report["pack"]["filter"]["dimensions"]["brand"][0], "A");
//! ```

use super::Pack;
use crate::error::{ErrorCode, KpiError, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The rows a report keeps: each named dimension's allowed values, and the first and last day
/// (inclusive, `YYYY-MM-DD` in the pack's time zone). An empty filter keeps every row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Each filtered dimension's allowed values.
    pub dimensions: BTreeMap<String, Vec<String>>,
    /// The first day kept.
    pub from: Option<String>,
    /// The last day kept.
    pub to: Option<String>,
}

impl Filter {
    /// Reads `{"dimensions": {name: [values]}, "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}` (each
    /// part optional; null is no filter), checked against the pack's dimensions.
    ///
    /// # Errors
    /// `invalid_parameter` at `filter.<field>`: an unknown field or dimension, an empty list of
    /// values, a date not written `YYYY-MM-DD`, `from` after `to`.
    pub fn from_json(value: &Value, pack: &Pack) -> Result<Self> {
        let bad = |path: &str, detail: String| {
            KpiError::at(
                ErrorCode::InvalidParameter,
                &format!("filter{path}"),
                detail,
            )
        };
        let map = match value {
            Value::Null => return Ok(Self::default()),
            Value::Object(map) => map,
            _ => return Err(bad("", "must be an object: {dimensions, from, to}".into())),
        };
        if let Some(key) = map
            .keys()
            .find(|k| !["dimensions", "from", "to"].contains(&k.as_str()))
        {
            return Err(bad(
                &format!(".{key}"),
                "is not a filter field (dimensions, from, to)".into(),
            ));
        }
        let filter = Self {
            dimensions: dimensions(map.get("dimensions"), pack)?,
            from: day(map.get("from"), "from")?,
            to: day(map.get("to"), "to")?,
        };
        if let (Some(from), Some(to)) = (&filter.from, &filter.to) {
            if from > to {
                return Err(bad(".from", format!("`{from}` is after `to` ({to})")));
            }
        }
        Ok(filter)
    }

    /// Whether the filter keeps every row.
    pub fn is_empty(&self) -> bool {
        self.dimensions.is_empty() && self.from.is_none() && self.to.is_none()
    }

    /// The filter as the report's header states it.
    pub fn to_json(&self) -> Value {
        json!({"dimensions": self.dimensions, "from": self.from, "to": self.to})
    }

    /// Whether a row (or journey) with these dimension values and this day is kept.
    pub(super) fn keeps(&self, values: &[Option<&str>], day: Option<&str>) -> bool {
        let dimensions = self
            .dimensions
            .values()
            .zip(values)
            .all(|(allowed, v)| v.is_some_and(|v| allowed.iter().any(|a| a == v)));
        let after = self
            .from
            .as_deref()
            .is_none_or(|f| day.is_some_and(|d| d >= f));
        let before = self
            .to
            .as_deref()
            .is_none_or(|t| day.is_some_and(|d| d <= t));
        dimensions && after && before
    }

    /// Whether the filter reads each row's time.
    pub(super) fn by_day(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

fn dimensions(value: Option<&Value>, pack: &Pack) -> Result<BTreeMap<String, Vec<String>>> {
    let empty = Map::new();
    let map = match value {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(KpiError::at(
                ErrorCode::InvalidParameter,
                "filter.dimensions",
                "must map dimension names to lists of values",
            ))
        }
    };
    let mut out = BTreeMap::new();
    for (name, values) in map {
        let path = format!("filter.dimensions.{name}");
        if !pack.dimensions.iter().any(|d| d.name == *name) {
            let known: Vec<&str> = pack.dimensions.iter().map(|d| d.name.as_str()).collect();
            return Err(KpiError::at(
                ErrorCode::InvalidParameter,
                &path,
                format!("is not a dimension of the pack ({})", known.join(", ")),
            ));
        }
        let list = values
            .as_array()
            .filter(|l| !l.is_empty())
            .and_then(|l| l.iter().map(|v| v.as_str().map(str::to_owned)).collect())
            .ok_or_else(|| {
                KpiError::at(
                    ErrorCode::InvalidParameter,
                    &path,
                    "must be a non-empty list of the values kept (texts)",
                )
            })?;
        out.insert(name.clone(), list);
    }
    Ok(out)
}

fn day(value: Option<&Value>, field: &str) -> Result<Option<String>> {
    let text = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v.as_str().map_or_else(|| v.to_string(), str::to_owned),
    };
    let canonical = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string());
    match canonical {
        Some(day) if day == text => Ok(Some(day)),
        _ => Err(KpiError::at(
            ErrorCode::InvalidParameter,
            &format!("filter.{field}"),
            format!("must be a day written YYYY-MM-DD, got `{text}`"),
        )),
    }
}
