//! Columnar journeys: the shape every attribution model reads (Arrow-like offsets, interned
//! channel ids, i64 timestamps, outcome columns), with a row-oriented builder and validation.

use crate::channel::Taxonomy;
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::money::{read_amount, Currency};
use serde_json::Value;

/// A batch of journeys in columns. Journey `j` has touches `offsets[j]..offsets[j + 1]`.
///
/// Channel ids index the taxonomy's channels, so batches built on the same taxonomy share ids.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JourneyBatch {
    /// Touch ranges: `offsets.len() == journeys + 1`, starting at 0.
    pub offsets: Vec<usize>,
    /// Channel id of each touch (position in the taxonomy).
    pub channel: Vec<u16>,
    /// Unix seconds of each touch, non-decreasing within a journey.
    pub timestamp: Vec<i64>,
    /// Whether the touch created the lead (W-shaped attribution's middle milestone).
    pub lead: Vec<bool>,
    /// Conversions of each journey (0 for a journey that did not convert).
    pub conversions: Vec<u64>,
    /// Conversion value of each journey in minor units of the batch currency.
    pub value_minor: Vec<i128>,
    /// Conversion time of each journey (its last touch's time when not given).
    pub conversion_time: Vec<i64>,
}

/// One touch for the row-oriented builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    /// Channel name, declared in the taxonomy.
    pub channel: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// The touch that created the lead (W-shaped).
    pub lead: bool,
}

impl JourneyBatch {
    /// Number of journeys.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether the batch holds no journey.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The touch range of journey `j`.
    pub fn touches(&self, j: usize) -> std::ops::Range<usize> {
        let start = self.offsets.get(j).copied().unwrap_or(0);
        let end = self.offsets.get(j + 1).copied().unwrap_or(start);
        start..end
    }

    /// Appends one journey, validating it (`path` names it in errors).
    ///
    /// # Example
    /// ```
    /// use omnikpi::attribution::{JourneyBatch, Touch};
    /// use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
    /// let tax = Taxonomy::new(vec![Channel { name: "web".into(), group: ChannelGroup::Online, direct: false }]).unwrap();
    /// let mut batch = JourneyBatch::default();
    /// let touch = Touch { channel: "web".into(), timestamp: 10, lead: false };
    /// batch.push(&tax, &[touch], 1, 12_000, Some(20), "j").unwrap();
    /// assert_eq!(batch.len(), 1);
    /// ```
    ///
    /// # Errors
    /// `empty_journey`, `unknown_channel`, `unsorted_timestamps`, `touch_after_conversion`,
    /// `negative_amount`, `limit_exceeded` (more than 65,535 channels).
    pub fn push(
        &mut self,
        taxonomy: &Taxonomy,
        touches: &[Touch],
        conversions: u64,
        value_minor: i128,
        conversion_time: Option<i64>,
        path: &str,
    ) -> Result<()> {
        if touches.is_empty() {
            return Err(KpiError::at(
                ErrorCode::EmptyJourney,
                &format!("{path}.touches"),
                "must hold at least one touch",
            ));
        }
        if conversions == 0 && value_minor != 0 {
            return Err(KpiError::at(
                ErrorCode::ValueWithoutConversion,
                &format!("{path}.value"),
                "must be 0 for a journey without conversion",
            ));
        }
        if value_minor < 0 {
            return Err(KpiError::at(
                ErrorCode::NegativeAmount,
                &format!("{path}.value"),
                "must not be negative",
            ));
        }
        let mut previous = i64::MIN;
        for (i, t) in touches.iter().enumerate() {
            let at = format!("{path}.touches[{i}]");
            let id = taxonomy.index(&t.channel).ok_or_else(|| {
                KpiError::at(
                    ErrorCode::UnknownChannel,
                    &format!("{at}.channel"),
                    format!(
                        "names channel `{}`, which the taxonomy does not declare",
                        t.channel
                    ),
                )
            })?;
            let id = u16::try_from(id).map_err(|_| {
                KpiError::at(ErrorCode::LimitExceeded, &at, "more than 65535 channels")
            })?;
            if t.timestamp < previous {
                return Err(KpiError::at(
                    ErrorCode::UnsortedTimestamps,
                    &format!("{at}.timestamp"),
                    format!(
                        "({}) is earlier than the touch before it ({previous})",
                        t.timestamp
                    ),
                ));
            }
            previous = t.timestamp;
            self.channel.push(id);
            self.timestamp.push(t.timestamp);
            self.lead.push(t.lead);
        }
        let end = match conversion_time {
            Some(c) if c < previous => {
                return Err(KpiError::at(
                    ErrorCode::TouchAfterConversion,
                    &format!("{path}.touches[{}].timestamp", touches.len() - 1),
                    format!("({previous}) is later than the conversion ({c})"),
                ))
            }
            Some(c) => c,
            None => previous,
        };
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.offsets.push(self.channel.len());
        self.conversions.push(conversions);
        self.value_minor.push(value_minor);
        self.conversion_time.push(end);
        Ok(())
    }

    /// Reads the JSON input of the attribution KPIs (the taxonomy, the currency and the batch):
    /// `{"channels": [...], "currency": "EUR", "journeys": [{"journey_id", "touches":
    /// [{"channel", "timestamp", "lead"?}], "conversions", "value"?, "conversion_timestamp"?}]}`.
    pub(crate) fn read(
        input: &Value,
        minor_units: Option<u32>,
    ) -> Result<(Taxonomy, Currency, Self)> {
        let record = Record::new(input, "input", &["channels", "currency", "journeys"])?;
        let taxonomy = Taxonomy::read(&record, "channels")?;
        let currency = Currency::lookup(
            &record.text("currency")?,
            minor_units,
            &record.field_path("currency"),
        )?;
        let mut batch = JourneyBatch::default();
        let journeys = record.non_empty_list("journeys")?;
        for (path, v) in journeys {
            let r = Record::new(
                v,
                &path,
                &[
                    "journey_id",
                    "touches",
                    "conversions",
                    "value",
                    "currency",
                    "conversion_timestamp",
                ],
            )?;
            let touches = r
                .list("touches")?
                .into_iter()
                .map(|(tp, tv)| {
                    let t = Record::new(tv, &tp, &["channel", "timestamp", "lead"])?;
                    Ok(Touch {
                        channel: t.text("channel")?,
                        timestamp: t.timestamp("timestamp")?,
                        lead: t.opt_bool("lead")?.unwrap_or(false),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let conversions = r.count("conversions")?;
            let value = if v.get("value").is_none_or(Value::is_null) {
                rust_decimal::Decimal::ZERO
            } else {
                read_amount(&r, "value", &currency, false)?
            };
            let conversion_time = match v.get("conversion_timestamp") {
                None | Some(Value::Null) => None,
                Some(_) => Some(r.timestamp("conversion_timestamp")?),
            };
            batch.push(
                &taxonomy,
                &touches,
                conversions,
                value.mantissa(),
                conversion_time,
                &path,
            )?;
        }
        Ok((taxonomy, currency, batch))
    }
}
