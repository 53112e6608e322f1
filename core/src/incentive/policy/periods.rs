//! Pay periods derived from timestamps: a grain and a time zone the policy declares.

use crate::error::{ErrorCode, KpiError, Result};
use chrono::{Datelike, TimeZone};

/// How long a pay period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// `2026-10-23`.
    Day,
    /// ISO 8601 week, `2026-W44` (the week's ISO year).
    IsoWeek,
    /// `2026-10`.
    Month,
    /// `2026-Q4`.
    Quarter,
}

impl Grain {
    /// The policy spelling.
    pub fn name(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::IsoWeek => "iso_week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
        }
    }

    fn read(name: &str) -> Option<Self> {
        [Grain::Day, Grain::IsoWeek, Grain::Month, Grain::Quarter]
            .into_iter()
            .find(|g| g.name() == name)
    }
}

/// Periods derived from timestamps: labels that sort as text in time order.
///
/// ```
/// use omnikpi::incentive::{Grain, Periods};
/// let paris = Periods::new("month", Some("Europe/Paris"), "policy.periods").unwrap();
/// // 2026-09-30T22:30:00Z is already October in Paris
/// assert_eq!(paris.label(1_790_807_400, "x").unwrap(), "2026-10");
/// assert_eq!(paris.grain, Grain::Month);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    /// How long a period is.
    pub grain: Grain,
    /// The time zone periods start and end in.
    pub time_zone: chrono_tz::Tz,
}

impl Periods {
    /// Reads a grain name and an IANA time zone (UTC when absent).
    ///
    /// # Errors
    /// `invalid_policy` at `path.grain` or `path.time_zone`.
    pub fn new(grain: &str, time_zone: Option<&str>, path: &str) -> Result<Self> {
        let grain = Grain::read(grain).ok_or_else(|| {
            KpiError::at(
                ErrorCode::InvalidPolicy,
                &format!("{path}.grain"),
                format!("must be day, iso_week, month or quarter, got `{grain}`"),
            )
        })?;
        let zone = time_zone.unwrap_or("UTC");
        let time_zone = zone.parse::<chrono_tz::Tz>().map_err(|_| {
            KpiError::at(
                ErrorCode::InvalidPolicy,
                &format!("{path}.time_zone"),
                format!("is not an IANA time zone (such as Europe/Paris): `{zone}`"),
            )
        })?;
        Ok(Self { grain, time_zone })
    }

    /// Whether `text` is a label of this grain, spelled as [`Periods::label`] spells it.
    ///
    /// ```
    /// use omnikpi::incentive::Periods;
    /// let weeks = Periods::new("iso_week", None, "p").unwrap();
    /// assert!(weeks.is_label("2026-W53") && !weeks.is_label("2025-W53") && !weeks.is_label("2026-W5"));
    /// ```
    pub fn is_label(&self, text: &str) -> bool {
        let date = |t: &str| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
        let canonical = match self.grain {
            Grain::Day => date(text).map(|d| d.format("%Y-%m-%d").to_string()),
            Grain::Month => date(&format!("{text}-01")).map(|d| d.format("%Y-%m").to_string()),
            Grain::IsoWeek => numbered(text, "-W").and_then(|(year, week)| {
                chrono::NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon)
                    .map(|_| format!("{year:04}-W{week:02}"))
            }),
            Grain::Quarter => numbered(text, "-Q")
                .filter(|(_, quarter)| (1..=4).contains(quarter))
                .map(|(year, quarter)| format!("{year:04}-Q{quarter}")),
        };
        canonical.as_deref() == Some(text)
    }

    /// `label` when [`Periods::is_label`] holds: a given period label, checked.
    ///
    /// ```
    /// use omnikpi::incentive::Periods;
    /// let months = Periods::new("month", None, "p").unwrap();
    /// assert_eq!(months.checked_label("2026-03", "x").unwrap(), "2026-03");
    /// let e = months.checked_label("2026-03-01", "x.period").unwrap_err();
    /// assert_eq!((e.code().as_str(), e.path()), ("invalid_timestamp", Some("x.period")));
    /// ```
    ///
    /// # Errors
    /// `invalid_timestamp` at `path` for any other text: a day such as 2026-03-01 is not taken
    /// for its month.
    pub fn checked_label(&self, label: &str, path: &str) -> Result<String> {
        if self.is_label(label) {
            return Ok(label.to_owned());
        }
        Err(KpiError::at(
            ErrorCode::InvalidTimestamp,
            path,
            format!(
                "is not a period label of the grain {} (such as 2026-03 for a month): `{label}`",
                self.grain.name()
            ),
        ))
    }

    /// The label of the period `timestamp` (Unix seconds) falls in.
    ///
    /// # Errors
    /// `invalid_timestamp` at `path` when the timestamp is out of the calendar's range.
    pub fn label(&self, timestamp: i64, path: &str) -> Result<String> {
        let local = self
            .time_zone
            .timestamp_opt(timestamp, 0)
            .single()
            .ok_or_else(|| {
                KpiError::at(
                    ErrorCode::InvalidTimestamp,
                    path,
                    "is out of the calendar's range",
                )
            })?;
        Ok(match self.grain {
            Grain::Day => local.format("%Y-%m-%d").to_string(),
            Grain::IsoWeek => {
                let week = local.iso_week();
                format!("{:04}-W{:02}", week.year(), week.week())
            }
            Grain::Month => local.format("%Y-%m").to_string(),
            Grain::Quarter => format!(
                "{:04}-Q{}",
                local.year(),
                local.month0().checked_div(3).unwrap_or(0).saturating_add(1)
            ),
        })
    }
}

/// The year and number of a label such as `2026-W05` split at `mark`.
fn numbered(text: &str, mark: &str) -> Option<(i32, u32)> {
    let (year, number) = text.split_once(mark)?;
    Some((year.parse().ok()?, number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-31T23:30:00Z: 1 January 2027 in Paris, 31 December in New York.
    const NEW_YEAR_EVE: i64 = 1_798_759_800;

    fn label(grain: &str, zone: &str) -> String {
        let periods = Periods::new(grain, Some(zone), "p").unwrap_or_else(|e| panic!("{e}"));
        periods
            .label(NEW_YEAR_EVE, "t")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn labels_follow_the_time_zone_across_a_year_boundary() {
        assert_eq!(label("day", "Europe/Paris"), "2027-01-01");
        assert_eq!(label("iso_week", "Europe/Paris"), "2026-W53");
        assert_eq!(label("month", "Europe/Paris"), "2027-01");
        assert_eq!(label("quarter", "Europe/Paris"), "2027-Q1");
        assert_eq!(label("quarter", "America/New_York"), "2026-Q4");
        assert_eq!(label("day", "UTC"), "2026-12-31");
    }

    #[test]
    fn unknown_grains_and_zones_are_policy_errors() {
        let grain = Periods::new("fortnight", None, "p").err().map(|e| e.code());
        assert_eq!(grain, Some(ErrorCode::InvalidPolicy));
        let zone = Periods::new("month", Some("Paris"), "p")
            .err()
            .map(|e| e.code());
        assert_eq!(zone, Some(ErrorCode::InvalidPolicy));
    }

    #[test]
    fn labels_are_recognized_only_as_the_grain_spells_them() {
        let of = |grain: &str| Periods::new(grain, None, "p").unwrap_or_else(|e| panic!("{e}"));
        let cases = [
            (
                "day",
                ["2026-02-28", "2024-02-29"],
                ["2026-02-29", "2026-2-28"],
            ),
            ("month", ["2026-03", "2026-12"], ["2026-13", "2026-3"]),
            ("quarter", ["2026-Q1", "2026-Q4"], ["2026-Q5", "2026-Q0"]),
            (
                "iso_week",
                ["2026-W01", "2026-W53"],
                ["2025-W53", "2026-W1"],
            ),
        ];
        for (grain, good, bad) in cases {
            let periods = of(grain);
            for label in good {
                assert!(periods.is_label(label), "{grain} {label}");
            }
            for label in bad {
                assert!(!periods.is_label(label), "{grain} {label}");
            }
        }
        // every label a timestamp gives is recognized
        for grain in ["day", "month", "quarter", "iso_week"] {
            let label = label(grain, "Europe/Paris");
            assert!(of(grain).is_label(&label), "{grain} {label}");
        }
    }
}
