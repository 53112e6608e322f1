//! The unit of integer timestamps, declared by the user in every front end (CLI
//! `--timestamp-unit`, Python `timestamp_unit=`, JS `timestampUnit`): one rule for naming it and
//! one for turning a count of units into Unix seconds.

use crate::error::Result;

/// The unit of integer timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUnit {
    /// Seconds.
    Seconds,
    /// Milliseconds (JavaScript `Date.now()`; GA4 exports in BigQuery use microseconds).
    Milliseconds,
    /// Microseconds.
    Microseconds,
    /// Nanoseconds.
    Nanoseconds,
}

impl TimestampUnit {
    /// Each unit by its name.
    pub const NAMES: [(&'static str, Self); 4] = [
        ("s", Self::Seconds),
        ("ms", Self::Milliseconds),
        ("us", Self::Microseconds),
        ("ns", Self::Nanoseconds),
    ];

    /// The unit named `name` (`s`, `ms`, `us`, `ns`).
    ///
    /// ```
    /// use omnikpi::table::TimestampUnit;
    /// assert_eq!(TimestampUnit::from_name("ms", "unit").unwrap(), TimestampUnit::Milliseconds);
    /// assert_eq!(TimestampUnit::from_name("h", "unit").unwrap_err().code().as_str(), "invalid_parameter");
    /// ```
    ///
    /// # Errors
    /// `invalid_parameter` at `path` for any other name, listing the names.
    pub fn from_name(name: &str, path: &str) -> Result<Self> {
        super::one_of(name, &Self::NAMES, path)
    }

    /// Unix seconds of `n` units since the epoch, floored (`-1` ms is second `-1`).
    ///
    /// ```
    /// use omnikpi::table::TimestampUnit;
    /// assert_eq!(TimestampUnit::Milliseconds.seconds(1_700_000_000_999), 1_700_000_000);
    /// assert_eq!(TimestampUnit::Milliseconds.seconds(-1), -1);
    /// ```
    pub fn seconds(self, n: i64) -> i64 {
        n.div_euclid(self.per_second())
    }

    fn per_second(self) -> i64 {
        match self {
            Self::Seconds => 1,
            Self::Milliseconds => 1_000,
            Self::Microseconds => 1_000_000,
            Self::Nanoseconds => 1_000_000_000,
        }
    }
}
