//! Host values: how a value of a host language — JSON text, a Python object, a JavaScript value —
//! becomes the canonical input tree that every KPI reads. The rules are written here once
//! (`spec/README.md`, *Host values*); a binding only says what kind of value it holds
//! ([`HostNode::classify`]) and never converts anything itself.
//!
//! Checks run in one order in every front end, so the first error is the same everywhere:
//! 1. JSON text only: syntax (`invalid_json`, with line and column);
//! 2. the conversion, depth first in document order (a JS object's property order): nesting
//!    deeper than [`MAX_DEPTH`], a key that is not text or appears twice, text that is not
//!    Unicode, an integer outside the 64-bit range, a whole JS number beyond 2^53 − 1, a
//!    non-finite number, an unsupported host type, and the input growing past [`MAX_BYTES`] as
//!    canonical JSON — each at the path where it happens;
//! 3. the KPI's own validation of the tree (unknown and missing fields, types, values).
//!
//! ```
//! let value = omnikpi::host::from_json_text(r#"{"amount": "1.20", "n": 18446744073709551615}"#, "input").unwrap();
//! assert_eq!(value["n"], 18446744073709551615u64);
//! let err = omnikpi::host::from_json_text(r#"{"a": 1, "a": 2}"#, "input").unwrap_err();
//! assert_eq!((err.code().as_str(), err.path()), ("duplicate_key", Some("input.a")));
//! ```

use crate::error::{ErrorCode, KpiError, Result};
use serde_json::{Map, Number, Value};

/// An options object a front end hands over (`options`, `reading`): its map, when it is an
/// object whose keys are all among `keys`.
///
/// ```
/// let options = serde_json::json!({"table": "rows", "tabel": 1});
/// let err = omnikpi::host::options_object(&options, "options", &["table", "input"]).unwrap_err();
/// assert_eq!((err.code().as_str(), err.path()), ("unknown_parameter", Some("options.tabel")));
/// ```
///
/// # Errors
/// `wrong_type` at `path` for anything but an object; `unknown_parameter` at `path.key` for
/// the unknown key that sorts first (hosts order keys differently), naming the options.
pub fn options_object<'a>(
    value: &'a Value,
    path: &str,
    keys: &[&str],
) -> Result<&'a Map<String, Value>> {
    let map = value
        .as_object()
        .ok_or_else(|| KpiError::at(ErrorCode::WrongType, path, "must be an object"))?;
    if let Some(key) = map.keys().filter(|k| !keys.contains(&k.as_str())).min() {
        return Err(KpiError::at(
            ErrorCode::UnknownParameter,
            &format!("{path}.{key}"),
            format!("is not an option (options: {})", keys.join(", ")),
        ));
    }
    Ok(map)
}

/// How deep an input may nest: the root is level 0, a value inside it level 1.
pub const MAX_DEPTH: usize = 128;

/// The largest input, measured as its canonical compact JSON (64 MiB), in every front end.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The largest JSON *text* read at all (256 MiB): a memory guard before parsing; the input's
/// size limit is [`MAX_BYTES`] of canonical JSON, which whitespace does not count towards.
pub const MAX_TEXT_BYTES: usize = 4 * MAX_BYTES;

/// The largest integer a JavaScript number holds exactly (2^53 − 1).
pub const MAX_SAFE_JS_INTEGER: f64 = 9_007_199_254_740_991.0;

/// What a binding sees in one host value. Every variant is the host's own data, unconverted.
#[derive(Debug, Clone, PartialEq)]
pub enum HostValue<N> {
    /// `None`, `null`; also JavaScript's `undefined`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An exact integer (Python `int`, JS `BigInt`); `None` when it does not fit 128 bits.
    Integer(Option<i128>),
    /// A JavaScript number: an integer when whole, a float otherwise.
    JsNumber(f64),
    /// A float (Python `float`).
    Float(f64),
    /// Text.
    Text(String),
    /// Text that is not valid Unicode (a lone surrogate).
    InvalidText,
    /// A decimal number in the host's fixed-point notation (Python `decimal.Decimal`):
    /// it becomes that text, read like any decimal string.
    Decimal(String),
    /// A civil date and time (Python `datetime`), with its UTC offset in seconds when it has
    /// one (naive values are UTC).
    DateTime(CivilTime),
    /// Milliseconds since the Unix epoch (a JavaScript `Date`; NaN for an invalid one).
    UnixMillis(f64),
    /// A list (Python `list`/`tuple`, JS array).
    List(Vec<N>),
    /// A mapping, its entries in the host's order.
    Map(Vec<(MapKey, N)>),
    /// Anything else, with the host's name for its type.
    Unsupported(String),
}

/// A key of a host mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapKey {
    /// Text.
    Text(String),
    /// Text that is not valid Unicode.
    InvalidText,
    /// A key that is not text, with the host's name for its type.
    NotText(String),
}

/// The fields of a host date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Year, month (1–12), day (1–31).
    pub date: (i32, u32, u32),
    /// Hour, minute, second (sub-seconds are floored away).
    pub time: (u32, u32, u32),
    /// Offset from UTC in seconds; `None` for a naive value (read as UTC).
    pub offset_seconds: Option<i32>,
}

/// A value of a host language that core can walk.
pub trait HostNode: Sized {
    /// What this value is, with its children when it is a list or a mapping.
    fn classify(&self) -> HostValue<Self>;
}

/// Converts a host value into the canonical input tree, located at `root` in errors.
///
/// # Errors
/// The conversion errors listed in the module documentation, at the path where they happen.
pub fn convert<N: HostNode>(node: &N, root: &str) -> Result<Value> {
    let mut canon = Canon::new(root);
    canon.node(node, 0)
}

/// Reads JSON text into the canonical input tree, under the same rules as host values. A leading
/// UTF-8 byte order mark (as Excel and PowerShell write) is skipped.
///
/// # Errors
/// `invalid_json` with line and column for text that is not JSON, `value_out_of_range` for text
/// over [`MAX_TEXT_BYTES`], and the conversion errors of [`convert`].
pub fn from_json_text(text: &str, root: &str) -> Result<Value> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(KpiError::at(
            ErrorCode::ValueOutOfRange,
            root,
            format!("is larger than {MAX_TEXT_BYTES} bytes of JSON text"),
        ));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = TextReader {
        jiter: jiter::Jiter::new(text.as_bytes()),
        canon: Canon::new(root),
    };
    let value = reader.value(0)?;
    reader.jiter.finish().map_err(|e| reader.syntax(&e))?;
    Ok(value)
}

/// One step of a path: a key or an index.
enum Step {
    Key(String),
    Index(usize),
}

/// The rules, shared by host values and JSON text: the path so far and the size budget.
struct Canon {
    root: String,
    steps: Vec<Step>,
    bytes: usize,
}

impl Canon {
    fn new(root: &str) -> Self {
        Self {
            root: root.to_owned(),
            steps: Vec::new(),
            bytes: 0,
        }
    }

    fn path(&self) -> String {
        let mut path = self.root.clone();
        for step in &self.steps {
            match step {
                Step::Key(k) => {
                    path.push('.');
                    path.push_str(k);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        path
    }

    fn error(&self, code: ErrorCode, detail: impl std::fmt::Display) -> KpiError {
        KpiError::at(code, &self.path(), detail)
    }

    /// Counts `n` bytes of canonical JSON towards [`MAX_BYTES`].
    fn grow(&mut self, n: usize) -> Result<()> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > MAX_BYTES {
            return Err(KpiError::at(
                ErrorCode::ValueOutOfRange,
                &self.root,
                format!("is larger than {MAX_BYTES} bytes as JSON"),
            ));
        }
        Ok(())
    }

    fn check_depth(&self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                ErrorCode::ValueOutOfRange,
                format!("nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn text(&mut self, text: String) -> Result<Value> {
        self.grow(json_string_len(&text))?;
        Ok(Value::String(text))
    }

    fn invalid_text(&self) -> KpiError {
        self.error(
            ErrorCode::WrongType,
            "is not valid Unicode text (a lone surrogate)",
        )
    }

    /// An exact integer: kept when it fits 64 bits (signed or unsigned), refused beyond.
    fn integer(&mut self, n: Option<i128>) -> Result<Value> {
        let number = n.and_then(|n| {
            i64::try_from(n)
                .map(Number::from)
                .or_else(|_| u64::try_from(n).map(Number::from))
                .ok()
        });
        let number = number.ok_or_else(|| {
            self.error(
                ErrorCode::ValueOutOfRange,
                "is an integer outside -2^63 to 2^64 - 1: give a larger decimal as a string",
            )
        })?;
        self.grow(integer_len(&number))?;
        Ok(Value::Number(number))
    }

    /// A float: kept as a float (the KPI refuses it where it wants a decimal or a count), unless
    /// it is not finite.
    fn float(&mut self, f: f64) -> Result<Value> {
        let number = Number::from_f64(f)
            .ok_or_else(|| self.error(ErrorCode::ValueOutOfRange, "is not a finite number"))?;
        self.grow(number.to_string().len())?;
        Ok(Value::Number(number))
    }

    /// A JavaScript number: whole ones up to 2^53 − 1 are integers (−0 is 0), whole ones
    /// beyond are refused (a number cannot hold them exactly), others are floats.
    fn js_number(&mut self, f: f64) -> Result<Value> {
        if f.is_finite() && f.fract() == 0.0 {
            if f.abs() > MAX_SAFE_JS_INTEGER {
                return Err(self.error(
                    ErrorCode::ValueOutOfRange,
                    "is a whole number beyond 2^53 - 1, which a JavaScript number cannot hold exactly: pass a BigInt or a string",
                ));
            }
            // Exact: a whole f64 within ±(2^53 − 1) converts to i64 without loss.
            #[allow(
                clippy::cast_possible_truncation,
                reason = "whole and within ±(2^53 - 1), checked above"
            )]
            let n = f as i64;
            return self.integer(Some(i128::from(n)));
        }
        self.float(f)
    }

    fn date_time(&mut self, t: CivilTime) -> Result<Value> {
        let invalid = || {
            self.error(
                ErrorCode::InvalidTimestamp,
                "is not a date and time that exists",
            )
        };
        let (y, mo, d) = t.date;
        let (h, mi, s) = t.time;
        let local = chrono::NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_opt(h, mi, s))
            .ok_or_else(invalid)?;
        let utc = local
            .checked_sub_signed(chrono::TimeDelta::seconds(i64::from(
                t.offset_seconds.unwrap_or(0),
            )))
            .ok_or_else(invalid)?;
        self.instant(utc.and_utc().timestamp())
    }

    fn unix_millis(&mut self, ms: f64) -> Result<Value> {
        if !ms.is_finite() {
            return Err(self.error(ErrorCode::InvalidTimestamp, "is an invalid Date"));
        }
        // A valid JS Date is within ±8.64e15 ms, so the floored seconds fit i64 exactly.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "finite and at most 8.64e12 seconds for any JS Date"
        )]
        let seconds = (ms / 1000.0).floor() as i64;
        self.instant(seconds)
    }

    /// An instant as RFC 3339 text in UTC, floored to the second.
    fn instant(&mut self, seconds: i64) -> Result<Value> {
        let text = chrono::DateTime::from_timestamp(seconds, 0)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .ok_or_else(|| {
                self.error(
                    ErrorCode::InvalidTimestamp,
                    "is outside the years chrono represents",
                )
            })?;
        self.text(text)
    }

    fn node<N: HostNode>(&mut self, node: &N, depth: usize) -> Result<Value> {
        self.check_depth(depth)?;
        match node.classify() {
            HostValue::Null => self.grow(4).map(|()| Value::Null),
            HostValue::Bool(b) => self.grow(if b { 4 } else { 5 }).map(|()| Value::Bool(b)),
            HostValue::Integer(n) => self.integer(n),
            HostValue::JsNumber(f) => self.js_number(f),
            HostValue::Float(f) => self.float(f),
            HostValue::Text(s) | HostValue::Decimal(s) => self.text(s),
            HostValue::InvalidText => Err(self.invalid_text()),
            HostValue::DateTime(t) => self.date_time(t),
            HostValue::UnixMillis(ms) => self.unix_millis(ms),
            HostValue::List(items) => self.list(&items, depth),
            HostValue::Map(entries) => self.map(entries, depth),
            HostValue::Unsupported(kind) => Err(self.error(
                ErrorCode::WrongType,
                format!("has an unsupported type `{kind}` (use an object, a list, text, an integer, a decimal or a date-time)"),
            )),
        }
    }

    fn list<N: HostNode>(&mut self, items: &[N], depth: usize) -> Result<Value> {
        self.grow(1)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            self.enter_index(i)?;
            out.push(self.node(item, depth.saturating_add(1))?);
            self.steps.pop();
        }
        self.grow(1)?;
        Ok(Value::Array(out))
    }

    fn map<N: HostNode>(&mut self, entries: Vec<(MapKey, N)>, depth: usize) -> Result<Value> {
        self.grow(1)?;
        let mut out = Map::with_capacity(entries.len());
        for (key, value) in entries {
            let key = match key {
                MapKey::Text(k) => k,
                MapKey::InvalidText => return Err(self.invalid_text()),
                MapKey::NotText(kind) => {
                    return Err(self.error(
                        ErrorCode::WrongType,
                        format!("must have text keys, got a key of type `{kind}`"),
                    ))
                }
            };
            self.enter_key(&out, key)?;
            let value = self.node(&value, depth.saturating_add(1))?;
            let key = self.leave_key();
            out.insert(key, value);
        }
        self.grow(1)?;
        Ok(Value::Object(out))
    }

    /// Steps into element `i` of a list: counts its comma.
    fn enter_index(&mut self, i: usize) -> Result<()> {
        self.grow(usize::from(i > 0))?;
        self.steps.push(Step::Index(i));
        Ok(())
    }

    /// Steps into the entry `key` of the object `out` is building: refuses a key seen before,
    /// counts the key, its colon and its comma. The key waits on the path until [`Self::leave_key`].
    fn enter_key(&mut self, out: &Map<String, Value>, key: String) -> Result<()> {
        let duplicate = out.contains_key(&key);
        // a key's length plus two: far below usize::MAX for any text in memory
        let size = json_string_len(&key)
            .saturating_add(1)
            .saturating_add(usize::from(!out.is_empty()));
        self.steps.push(Step::Key(key));
        if duplicate {
            return Err(self.error(ErrorCode::DuplicateKey, "appears twice in this object"));
        }
        self.grow(size)
    }

    /// Steps out of the entry entered last, giving its key back for the object.
    fn leave_key(&mut self) -> String {
        match self.steps.pop() {
            Some(Step::Key(key)) => key,
            _ => String::new(), // enter_key pushed a key: not reached
        }
    }
}

/// JSON text walked with jiter, so that every number keeps its token and every key is seen.
struct TextReader<'j> {
    jiter: jiter::Jiter<'j>,
    canon: Canon,
}

impl TextReader<'_> {
    fn syntax(&self, e: &jiter::JiterError) -> KpiError {
        let at = self.jiter.error_position(e.index);
        KpiError::at(
            ErrorCode::InvalidJson,
            &self.canon.root,
            format!(
                "is not valid JSON: {} at line {} column {}",
                e.error_type, at.line, at.column
            ),
        )
    }

    /// A string error: a lone surrogate is the host rule's error at the current path, anything
    /// else is syntax.
    fn string_error(&self, e: &jiter::JiterError) -> KpiError {
        use jiter::{JiterErrorType, JsonErrorType as T};
        match &e.error_type {
            // jiter's errors for an escaped surrogate without its pair (`\ud800"`, `\udc00`)
            JiterErrorType::JsonError(
                T::LoneLeadingSurrogateInHexEscape | T::UnexpectedEndOfHexEscape,
            ) => self.canon.invalid_text(),
            _ => self.syntax(e),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value> {
        let peek = self.jiter.peek().map_err(|e| self.syntax(&e))?;
        self.known(peek, depth)
    }

    fn known(&mut self, peek: jiter::Peek, depth: usize) -> Result<Value> {
        use jiter::Peek;
        self.canon.check_depth(depth)?;
        match peek {
            Peek::Null => {
                self.jiter.known_null().map_err(|e| self.syntax(&e))?;
                self.canon.grow(4).map(|()| Value::Null)
            }
            Peek::True | Peek::False => {
                let b = self.jiter.known_bool(peek).map_err(|e| self.syntax(&e))?;
                self.canon
                    .grow(if b { 4 } else { 5 })
                    .map(|()| Value::Bool(b))
            }
            Peek::String => {
                let text = match self.jiter.known_str() {
                    Ok(text) => text.to_owned(),
                    Err(e) => return Err(self.string_error(&e)),
                };
                self.canon.text(text)
            }
            Peek::Array => self.array(depth),
            Peek::Object => self.object(depth),
            _ => self.number(peek),
        }
    }

    /// A number token: without `.`, `e` or `E` it is an integer, otherwise a float.
    fn number(&mut self, peek: jiter::Peek) -> Result<Value> {
        // jiter has checked the token's JSON number syntax: ASCII digits, sign, `.`, exponent
        let token = match self.jiter.known_number_bytes(peek) {
            Ok(token) => std::str::from_utf8(token).unwrap_or_default(),
            Err(e) => return Err(self.syntax(&e)),
        };
        if token.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            let f: f64 = token.parse().unwrap_or(f64::INFINITY);
            self.canon.float(f)
        } else {
            let n = token.parse::<i128>().ok();
            self.canon.integer(n)
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value> {
        self.canon.grow(1)?;
        let mut out = Vec::new();
        let mut next = self.jiter.known_array().map_err(|e| self.syntax(&e))?;
        while let Some(peek) = next {
            self.canon.enter_index(out.len())?;
            out.push(self.known(peek, depth.saturating_add(1))?);
            self.canon.steps.pop();
            next = self.jiter.array_step().map_err(|e| self.syntax(&e))?;
        }
        self.canon.grow(1)?;
        Ok(Value::Array(out))
    }

    fn object(&mut self, depth: usize) -> Result<Value> {
        self.canon.grow(1)?;
        let mut out = Map::new();
        let mut key = match self.jiter.known_object() {
            Ok(key) => key.map(str::to_owned),
            Err(e) => return Err(self.string_error(&e)),
        };
        while let Some(k) = key {
            self.canon.enter_key(&out, k)?;
            let value = self.value(depth.saturating_add(1))?;
            let k = self.canon.leave_key();
            out.insert(k, value);
            key = match self.jiter.next_key() {
                Ok(key) => key.map(str::to_owned),
                Err(e) => return Err(self.string_error(&e)),
            };
        }
        self.canon.grow(1)?;
        Ok(Value::Object(out))
    }
}

/// The number of characters of an integer as JSON, without writing it.
fn integer_len(n: &Number) -> usize {
    let digits = |mut v: u64| {
        let mut len: usize = 1;
        while v >= 10 {
            v /= 10;
            len = len.saturating_add(1);
        }
        len
    };
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => digits(u),
        (None, Some(i)) => digits(i.unsigned_abs()).saturating_add(1), // the minus sign
        _ => n.to_string().len(),
    }
}

/// The length of `text` as a JSON string, quotes and escapes included (as serde_json writes it).
fn json_string_len(text: &str) -> usize {
    text.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .fold(2, usize::saturating_add)
}
