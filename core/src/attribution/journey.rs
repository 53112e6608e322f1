//! Columnar journeys: the shape every attribution model reads (Arrow-like offsets, interned
//! channel ids, i64 timestamps, outcome columns), with a row-oriented builder and validation.

use super::ids::JourneyIds;
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
    /// Each journey's id, when every journey has one (long-format tables always do; the JSON
    /// input when each journey carries a `journey_id`). The confidence intervals need them.
    pub ids: Option<JourneyIds>,
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

/// The fields of a journey in the JSON input of the attribution KPIs.
pub(super) const JOURNEY_FIELDS: &[&str] = &[
    "journey_id",
    "touches",
    "conversions",
    "value",
    "currency",
    "conversion_timestamp",
];

impl JourneyBatch {
    /// Number of journeys.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether the batch holds no journey.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The touches of journey `j`, refused with `limit_exceeded` when there are more than
    /// `max_touches` (the `max_touches` parameter of the attribution KPIs).
    pub(super) fn within_limit(
        &self,
        j: usize,
        max_touches: usize,
    ) -> Result<std::ops::Range<usize>> {
        let range = self.touches(j);
        if range.len() > max_touches {
            return Err(KpiError::at(
                ErrorCode::LimitExceeded,
                &format!("input.journeys[{j}].touches"),
                format!(
                    "has {} touches, more than max_touches ({max_touches})",
                    range.len()
                ),
            ));
        }
        Ok(range)
    }

    /// The journeys `keep` says to keep, in order, with their touches and ids: a segment of
    /// the batch.
    ///
    /// ```
    /// use omnikpi::attribution::{JourneyKey, LongBuilder, Outcome};
    /// use omnikpi::channel::Taxonomy;
    /// let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
    /// let mut rows = LongBuilder::new(&tax);
    /// for (id, t) in [("a", 1), ("a", 2), ("b", 3), ("c", 4)] {
    ///     rows.push(JourneyKey::Text(id), t, "web", Outcome::default(), 0).unwrap();
    /// }
    /// let batch = rows.finish().unwrap();
    /// let some = batch.select(|j| j != 1);
    /// assert_eq!((some.offsets.clone(), some.timestamp.clone()), (vec![0, 2, 3], vec![1, 2, 4]));
    /// assert_eq!(some.ids.unwrap().text(1).as_deref(), Some("c"));
    /// ```
    pub fn select(&self, keep: impl Fn(usize) -> bool) -> JourneyBatch {
        let mut out = JourneyBatch {
            offsets: vec![0],
            ..JourneyBatch::default()
        };
        for j in (0..self.len()).filter(|j| keep(*j)) {
            let touches = self.touches(j);
            let slice = |v: &[u16]| v.get(touches.clone()).unwrap_or_default().to_vec();
            out.channel.extend(slice(&self.channel));
            out.timestamp
                .extend_from_slice(self.timestamp.get(touches.clone()).unwrap_or_default());
            out.lead
                .extend_from_slice(self.lead.get(touches.clone()).unwrap_or_default());
            out.offsets.push(out.channel.len());
            out.conversions
                .push(self.conversions.get(j).copied().unwrap_or_default());
            out.value_minor
                .push(self.value_minor.get(j).copied().unwrap_or_default());
            out.conversion_time
                .push(self.conversion_time.get(j).copied().unwrap_or_default());
        }
        out.ids = self.ids.as_ref().map(|ids| ids.kept(&keep));
        out
    }

    /// The touch range of journey `j`.
    pub fn touches(&self, j: usize) -> std::ops::Range<usize> {
        let start = self.offsets.get(j).copied().unwrap_or(0);
        let end = j
            .checked_add(1)
            .and_then(|k| self.offsets.get(k))
            .copied()
            .unwrap_or(start);
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
        let ids = touches
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let at = || format!("{path}.touches[{i}]");
                let id = taxonomy.index(&t.channel).ok_or_else(|| {
                    KpiError::at(
                        ErrorCode::UnknownChannel,
                        &format!("{}.channel", at()),
                        format!(
                            "names channel `{}`, which the taxonomy does not declare",
                            t.channel
                        ),
                    )
                })?;
                u16::try_from(id).map_err(|_| {
                    KpiError::at(ErrorCode::LimitExceeded, &at(), "more than 65535 channels")
                })
            })
            .collect::<Result<Vec<u16>>>()?;
        let times: Vec<i64> = touches.iter().map(|t| t.timestamp).collect();
        let end = check_journey(
            &|| path.to_owned(),
            &ids,
            &times,
            taxonomy.len(),
            conversions,
            value_minor,
            conversion_time,
        )?;
        self.channel.extend(ids);
        self.timestamp.extend(times);
        self.lead.extend(touches.iter().map(|t| t.lead));
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
    /// `ids_required`: every journey must carry a `journey_id` (confidence intervals weigh
    /// journeys by their ids); a missing one is `missing_field` at that journey.
    pub(crate) fn read(
        input: &Value,
        minor_units: Option<u32>,
        ids_required: bool,
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
        let mut ids: Option<Vec<String>> = Some(Vec::new());
        for (path, v) in journeys {
            let r = Record::new(v, &path, JOURNEY_FIELDS)?;
            // Optional, but when given a non-empty string like every id (spec: `journey_id string`).
            let id = if ids_required {
                Some(r.text("journey_id")?)
            } else {
                r.opt_text("journey_id")?
            };
            ids = ids.zip(id).map(|(mut all, id)| {
                all.push(id);
                all
            });
            let (touches_path, items) = r.array("touches")?;
            let touches = items
                .iter()
                .enumerate()
                .map(|(i, tv)| match plain_touch(tv) {
                    Some(touch) => Ok(touch),
                    None => {
                        let t = Record::new(
                            tv,
                            &format!("{touches_path}[{i}]"),
                            &["channel", "timestamp", "lead"],
                        )?;
                        Ok(Touch {
                            channel: t.text("channel")?,
                            timestamp: t.timestamp("timestamp")?,
                            lead: t.opt_bool("lead")?.unwrap_or(false),
                        })
                    }
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
        batch.ids =
            ids.map(|all| JourneyIds::from_keys(all.iter().map(|id| super::JourneyKey::Text(id))));
        Ok((taxonomy, currency, batch))
    }
}

/// A touch in its common shape (`channel` non-empty text, `timestamp` integer seconds, `lead` a
/// boolean, null or absent), read without formatting its path; anything else is `None`, for the
/// general reader to read (RFC 3339 text timestamps) or to name what is wrong. Both give the
/// same touch for the same object.
fn plain_touch(value: &Value) -> Option<Touch> {
    let mut channel = None;
    let mut timestamp = None;
    let mut lead = false;
    for (key, v) in value.as_object()? {
        match (key.as_str(), v) {
            ("channel", Value::String(s)) if !s.is_empty() => channel = Some(s.clone()),
            ("timestamp", Value::Number(n)) => timestamp = Some(n.as_i64()?),
            ("lead", Value::Bool(b)) => lead = *b,
            ("lead", Value::Null) => {}
            _ => return None,
        }
    }
    Some(Touch {
        channel: channel?,
        timestamp: timestamp?,
        lead,
    })
}

impl JourneyBatch {
    /// A batch from its columns, validated: offsets start at 0, never decrease and end at the
    /// touch count; every journey has a touch; channel ids index the taxonomy; timestamps are
    /// chronological within a journey and no later than its conversion; values are non-negative
    /// and only on converting journeys. A missing conversion time is the last touch's time.
    ///
    /// # Errors
    /// `wrong_type` (inconsistent column lengths or offsets), `empty_journey`, `unknown_channel`,
    /// `unsorted_timestamps`, `touch_after_conversion`, `negative_amount`,
    /// `value_without_conversion`; paths name the journey and touch (`journeys[3].touches[1]`).
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per column of the batch"
    )]
    pub fn from_columns(
        taxonomy: &Taxonomy,
        offsets: Vec<usize>,
        channel: Vec<u16>,
        timestamp: Vec<i64>,
        lead: Option<Vec<bool>>,
        conversions: Vec<u64>,
        value_minor: Vec<i128>,
        conversion_time: &[Option<i64>],
    ) -> Result<Self> {
        let journeys = offsets.len().saturating_sub(1);
        let shape = |what: &str| {
            KpiError::at(
                ErrorCode::WrongType,
                what,
                "does not match the other columns",
            )
        };
        if offsets.first() != Some(&0) || offsets.last() != Some(&channel.len()) {
            return Err(shape("offsets"));
        }
        if timestamp.len() != channel.len()
            || lead.as_ref().is_some_and(|l| l.len() != channel.len())
        {
            return Err(shape("timestamp"));
        }
        if conversions.len() != journeys
            || value_minor.len() != journeys
            || conversion_time.len() != journeys
        {
            return Err(shape("conversions"));
        }
        let mut end_times = Vec::with_capacity(journeys);
        for j in 0..journeys {
            let path = || format!("journeys[{j}]");
            let (start, end) = (
                offsets.get(j).copied().unwrap_or(0),
                // j < journeys = offsets.len() - 1
                offsets.get(j.saturating_add(1)).copied().unwrap_or(0),
            );
            if end < start {
                return Err(shape("offsets"));
            }
            end_times.push(check_journey(
                &path,
                channel.get(start..end).unwrap_or_default(),
                timestamp.get(start..end).unwrap_or_default(),
                taxonomy.len(),
                conversions.get(j).copied().unwrap_or(0),
                value_minor.get(j).copied().unwrap_or(0),
                conversion_time.get(j).copied().flatten(),
            )?);
        }
        let lead = lead.unwrap_or_else(|| vec![false; channel.len()]);
        Ok(Self {
            offsets,
            channel,
            timestamp,
            lead,
            conversions,
            value_minor,
            conversion_time: end_times,
            ids: None,
        })
    }
}

/// The checks every journey passes, however it was built (row by row or from columns), in one
/// order: a touch at least, known channel ids, chronological touches, no touch after the
/// conversion, a non-negative value, and a value only with a conversion. Returns the
/// conversion time (the last touch's when not given). `path` names the journey in errors (built
/// only when there is one: this runs once per journey of millions).
fn check_journey(
    path: &dyn Fn() -> String,
    channels: &[u16],
    times: &[i64],
    channel_count: usize,
    conversions: u64,
    value_minor: i128,
    conversion_time: Option<i64>,
) -> Result<i64> {
    let Some(&last) = times.last() else {
        return Err(KpiError::at(
            ErrorCode::EmptyJourney,
            &format!("{}.touches", path()),
            "must hold at least one touch",
        ));
    };
    if let Some((i, c)) = channels
        .iter()
        .enumerate()
        .find(|(_, c)| usize::from(**c) >= channel_count)
    {
        return Err(KpiError::at(
            ErrorCode::UnknownChannel,
            &format!("{}.touches[{i}].channel", path()),
            format!("is channel id {c}, beyond the {channel_count} declared channels"),
        ));
    }
    if let Some(i) = times.windows(2).position(|w| matches!(w, [a, b] if b < a)) {
        let (before, at) = (
            times.get(i).copied().unwrap_or(0),
            times.get(i.saturating_add(1)).copied().unwrap_or(0),
        );
        return Err(KpiError::at(
            ErrorCode::UnsortedTimestamps,
            &format!("{}.touches[{}].timestamp", path(), i.saturating_add(1)),
            format!("({at}) is earlier than the touch before it ({before})"),
        ));
    }
    if let Some(c) = conversion_time.filter(|c| *c < last) {
        return Err(KpiError::at(
            ErrorCode::TouchAfterConversion,
            &format!(
                "{}.touches[{}].timestamp",
                path(),
                times.len().saturating_sub(1)
            ),
            format!("({last}) is later than the conversion ({c})"),
        ));
    }
    if value_minor < 0 {
        return Err(KpiError::at(
            ErrorCode::NegativeAmount,
            &format!("{}.value", path()),
            "must not be negative",
        ));
    }
    if conversions == 0 && value_minor != 0 {
        return Err(KpiError::at(
            ErrorCode::ValueWithoutConversion,
            &format!("{}.value", path()),
            "must be 0 for a journey without conversion",
        ));
    }
    Ok(conversion_time.unwrap_or(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The general reader of a touch, as the input of every attribution KPI reads it.
    fn general(value: &Value) -> Result<Touch> {
        let t = Record::new(value, "t", &["channel", "timestamp", "lead"])?;
        Ok(Touch {
            channel: t.text("channel")?,
            timestamp: t.timestamp("timestamp")?,
            lead: t.opt_bool("lead")?.unwrap_or(false),
        })
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e3f64..1e3).prop_map(Value::from),
            "[a-z]{0,3}".prop_map(Value::from),
            Just(Value::from("2026-10-01T10:00:00Z")),
        ]
    }

    proptest! {
        /// The fast reader of common touches reads what the general reader reads, and leaves
        /// every other object to it.
        #[test]
        fn plain_touches_read_as_the_general_reader_reads_them(
            fields in proptest::collection::btree_map(
                prop_oneof![Just("channel"), Just("timestamp"), Just("lead"), Just("other")],
                any_value(),
                0..4,
            ),
        ) {
            let value = Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
            if let Some(touch) = plain_touch(&value) {
                prop_assert_eq!(general(&value).ok(), Some(touch));
            }
        }
    }

    #[test]
    fn the_common_touch_takes_the_fast_reader() {
        let touch = serde_json::json!({"channel": "web", "timestamp": 10, "lead": true});
        assert_eq!(plain_touch(&touch), general(&touch).ok());
        assert!(plain_touch(&touch).is_some());
        let text_time = serde_json::json!({"channel": "web", "timestamp": "2026-10-01T10:00:00Z"});
        assert!(plain_touch(&text_time).is_none());
        assert!(general(&text_time).is_ok());
    }
}
