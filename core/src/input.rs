//! Strict reading of JSON inputs, with the path of every offending field in each error.

use crate::decimal::{parse_decimal, MAX_COUNT};
use crate::error::{ErrorCode, KpiError, Result};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// A JSON object whose keys are checked against the fields a KPI accepts.
pub(crate) struct Record<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Record<'a> {
    /// Reads `value` as an object that may only hold `allowed` keys.
    pub(crate) fn new(value: &'a Value, path: &str, allowed: &[&str]) -> Result<Self> {
        let map = value
            .as_object()
            .ok_or_else(|| wrong_type(path, "an object", value))?;
        // The unknown key that sorts first: hosts order keys differently (JS lists integer-like
        // keys first), the error must not depend on it.
        if let Some(key) = map.keys().filter(|k| !allowed.contains(&k.as_str())).min() {
            return Err(KpiError::at(
                ErrorCode::UnknownField,
                &format!("{path}.{key}"),
                format!(
                    "is not a field here (expected one of: {})",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Self {
            map,
            path: path.to_owned(),
        })
    }

    pub(crate) fn field_path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// Whether `key` is present and not null.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.optional(key).is_some()
    }

    /// The raw value of `key` (null when absent) with its path.
    pub(crate) fn field(&self, key: &str) -> (String, &'a Value) {
        (
            self.field_path(key),
            self.map.get(key).unwrap_or(&Value::Null),
        )
    }

    pub(crate) fn optional(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn required(&self, key: &str) -> Result<&'a Value> {
        self.optional(key).ok_or_else(|| {
            KpiError::at(ErrorCode::MissingField, &self.field_path(key), "is missing")
        })
    }

    /// A required non-empty string.
    pub(crate) fn text(&self, key: &str) -> Result<String> {
        read_text(self.required(key)?, &self.field_path(key))
    }

    /// An optional string.
    pub(crate) fn opt_text(&self, key: &str) -> Result<Option<String>> {
        self.optional(key)
            .map(|v| read_text(v, &self.field_path(key)))
            .transpose()
    }

    /// A required count: a non-negative integer up to [`MAX_COUNT`].
    pub(crate) fn count(&self, key: &str) -> Result<u64> {
        read_count(self.required(key)?, &self.field_path(key))
    }

    /// A required decimal, given as a string (or an integer, which is exact).
    pub(crate) fn decimal(&self, key: &str) -> Result<Decimal> {
        read_decimal(self.required(key)?, &self.field_path(key))
    }

    /// A required timestamp in Unix seconds.
    pub(crate) fn timestamp(&self, key: &str) -> Result<i64> {
        read_timestamp(self.required(key)?, &self.field_path(key))
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        self.optional(key)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| wrong_type(&self.field_path(key), "a boolean", v))
            })
            .transpose()
    }

    /// A required array; each element comes with its path.
    pub(crate) fn list(&self, key: &str) -> Result<Vec<(String, &'a Value)>> {
        let (path, items) = self.array(key)?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{path}[{i}]"), v))
            .collect())
    }

    /// A required array and its path, for readers that name an element (`{path}[{i}]`) only
    /// when it is wrong.
    pub(crate) fn array(&self, key: &str) -> Result<(String, &'a [Value])> {
        let path = self.field_path(key);
        let items = self.required(key)?.as_array().ok_or_else(|| {
            wrong_type(&path, "an array", self.map.get(key).unwrap_or(&Value::Null))
        })?;
        Ok((path, items))
    }

    /// A required array that must hold at least one element.
    pub(crate) fn non_empty_list(&self, key: &str) -> Result<Vec<(String, &'a Value)>> {
        let items = self.list(key)?;
        if items.is_empty() {
            return Err(KpiError::at(
                ErrorCode::EmptyInput,
                &self.field_path(key),
                "must not be empty",
            ));
        }
        Ok(items)
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a floating-point number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn wrong_type(path: &str, expected: &str, found: &Value) -> KpiError {
    KpiError::at(
        ErrorCode::WrongType,
        path,
        format!("must be {expected}, got {}", describe(found)),
    )
}

pub(crate) fn read_text(value: &Value, path: &str) -> Result<String> {
    match value.as_str() {
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        Some(_) => Err(KpiError::at(
            ErrorCode::EmptyInput,
            path,
            "must not be empty",
        )),
        None => Err(wrong_type(path, "a string", value)),
    }
}

pub(crate) fn read_count(value: &Value, path: &str) -> Result<u64> {
    match value {
        Value::Number(n) if n.is_u64() => n
            .as_u64()
            .filter(|v| *v <= MAX_COUNT)
            .ok_or_else(|| out_of_range(path)),
        Value::Number(n) if n.is_i64() => Err(KpiError::at(
            ErrorCode::NegativeCount,
            path,
            format!("must not be negative, got {n}"),
        )),
        _ => Err(wrong_type(path, "a non-negative integer", value)),
    }
}

fn out_of_range(path: &str) -> KpiError {
    KpiError::at(
        ErrorCode::ValueOutOfRange,
        path,
        format!("must be at most {MAX_COUNT}"),
    )
}

pub(crate) fn read_decimal(value: &Value, path: &str) -> Result<Decimal> {
    match value {
        Value::String(s) => parse_decimal(s, path),
        Value::Number(n) if n.is_i64() || n.is_u64() => parse_decimal(&n.to_string(), path),
        _ => Err(wrong_type(
            path,
            "a decimal string such as \"12.30\" (floats lose precision)",
            value,
        )),
    }
}

/// A timestamp: integer Unix seconds, or an RFC 3339 string with an offset.
pub(crate) fn read_timestamp(value: &Value, path: &str) -> Result<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| wrong_type(path, "integer Unix seconds or an RFC 3339 string", value)),
        Value::String(s) => parse_timestamp(s, path),
        _ => Err(wrong_type(
            path,
            "integer Unix seconds or an RFC 3339 string",
            value,
        )),
    }
}

/// Parses `2026-03-01T10:15:00Z` (any offset) or integer seconds into Unix seconds.
///
/// # Errors
/// `invalid_timestamp`, located at `path`.
pub fn parse_timestamp(text: &str, path: &str) -> Result<i64> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|e| {
            KpiError::at(
                ErrorCode::InvalidTimestamp,
                path,
                format!("is not an RFC 3339 timestamp ({e}): `{text}`"),
            )
        })
}

/// An optional string parameter-like field that must be one of `choices`.
pub(crate) fn choice<'c>(value: &str, choices: &[&'c str], path: &str) -> Result<&'c str> {
    choices
        .iter()
        .copied()
        .find(|c| *c == value)
        .ok_or_else(|| {
            KpiError::at(
                ErrorCode::InvalidParameter,
                path,
                format!("must be one of {}, got `{value}`", choices.join(", ")),
            )
        })
}
