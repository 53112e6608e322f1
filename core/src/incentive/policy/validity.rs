//! Validity dates: the days a rule, a party or a VAT rate is in force (`valid_from` and
//! `valid_to`, both inclusive, as calendar dates in the policy's time zone: that of its
//! `periods`, or UTC).

use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use chrono::NaiveDate;

/// The days something is in force; an absent bound is open.
///
/// ```
/// use omnikpi::incentive::Validity;
/// use chrono::NaiveDate;
/// let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
/// let autumn = Validity { from: Some(day("2026-09-01")), to: Some(day("2026-11-30")) };
/// assert!(autumn.contains(day("2026-11-30")) && !autumn.contains(day("2026-12-01")));
/// assert!(Validity::ALWAYS.contains(day("1999-01-01")));
/// assert_eq!(autumn.describe(), "in force 2026-09-01 to 2026-11-30");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validity {
    /// The first day in force.
    pub from: Option<NaiveDate>,
    /// The last day in force.
    pub to: Option<NaiveDate>,
}

impl Validity {
    /// In force on every day.
    pub const ALWAYS: Validity = Validity {
        from: None,
        to: None,
    };

    /// Reads `valid_from` and `valid_to` (`YYYY-MM-DD`) of a policy record.
    ///
    /// # Errors
    /// `invalid_policy` at the field for another spelling, or `valid_to` before `valid_from`.
    pub(crate) fn read(record: &Record) -> Result<Self> {
        let date = |key: &str| -> Result<Option<NaiveDate>> {
            record
                .opt_text(key)?
                .map(|text| {
                    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                        .ok()
                        .filter(|d| d.format("%Y-%m-%d").to_string() == text)
                        .ok_or_else(|| {
                            KpiError::at(
                                ErrorCode::InvalidPolicy,
                                &record.field_path(key),
                                format!("must be a date as YYYY-MM-DD, got `{text}`"),
                            )
                        })
                })
                .transpose()
        };
        let validity = Self {
            from: date("valid_from")?,
            to: date("valid_to")?,
        };
        if let (Some(from), Some(to)) = (validity.from, validity.to) {
            if to < from {
                return Err(KpiError::at(
                    ErrorCode::InvalidPolicy,
                    &record.field_path("valid_to"),
                    format!("({to}) is before valid_from ({from})"),
                ));
            }
        }
        Ok(validity)
    }

    /// Whether `day` is in force.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| day >= f) && self.to.is_none_or(|t| day <= t)
    }

    /// Whether some day is in force in both.
    pub fn meets(&self, other: &Validity) -> bool {
        let starts_before = |a: &Validity, b: &Validity| match (a.from, b.to) {
            (Some(from), Some(to)) => from <= to,
            _ => true,
        };
        starts_before(self, other) && starts_before(other, self)
    }

    /// Whether every day in force in `inner` is in force here.
    pub fn covers(&self, inner: &Validity) -> bool {
        let from = match (self.from, inner.from) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a <= b,
        };
        let to = match (self.to, inner.to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a >= b,
        };
        from && to
    }

    /// Whether a bound is set.
    pub fn is_dated(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    /// `in force from 2026-11-01`, `in force 2026-01-01 to 2026-10-31`, `always in force`.
    pub fn describe(&self) -> String {
        match (self.from, self.to) {
            (None, None) => "always in force".to_owned(),
            (Some(f), None) => format!("in force from {f}"),
            (None, Some(t)) => format!("in force until {t}"),
            (Some(f), Some(t)) => format!("in force {f} to {t}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from: Option<&str>, to: Option<&str>) -> Validity {
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        Validity {
            from: from.and_then(day),
            to: to.and_then(day),
        }
    }

    #[test]
    fn windows_meet_when_they_share_a_day() {
        let october = window(Some("2026-10-01"), Some("2026-10-31"));
        let november_on = window(Some("2026-11-01"), None);
        let until_october = window(None, Some("2026-10-01"));
        assert!(!october.meets(&november_on) && !november_on.meets(&october));
        assert!(october.meets(&until_october) && until_october.meets(&october));
        assert!(Validity::ALWAYS.meets(&october));
    }

    #[test]
    fn cover_needs_every_day() {
        let october = window(Some("2026-10-01"), Some("2026-10-31"));
        let from_september = window(Some("2026-09-01"), None);
        assert!(from_september.covers(&october) && !october.covers(&from_september));
        assert!(Validity::ALWAYS.covers(&october) && !october.covers(&Validity::ALWAYS));
        assert!(october.covers(&october));
    }
}
