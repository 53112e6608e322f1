//! One model's attribution, typed: what contribution, the model comparison and the bindings
//! read. It becomes an [`Output`] only at the edge ([`Attribution::to_output`]).

use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;

/// The credit of one channel (or of `(none)`: conversions without a touch in the window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCredit {
    /// The channel's name.
    pub channel: String,
    /// Attributed conversions, at 6 places.
    pub conversions: Decimal,
    /// Attributed value, at the currency's minor unit.
    pub value: Decimal,
    /// Share of all conversions, at 6 places; `None` without conversions.
    pub share: Option<Decimal>,
}

/// Journeys read, converting, and converting without any touch in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JourneyCounts {
    /// Journeys read.
    pub read: u64,
    /// Journeys with at least one conversion.
    pub converting: u64,
    /// Converting journeys whose touches all fell outside the lookback window.
    pub unattributed: u64,
}

/// Lower and upper bounds of one channel's figures over the bootstrap replicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInterval {
    /// The channel's name (or `(none)`), as in [`Attribution::channels`].
    pub channel: String,
    /// Attributed conversions, at 6 places.
    pub conversions: (Decimal, Decimal),
    /// Attributed value, at the currency's minor unit.
    pub value: (Decimal, Decimal),
    /// Share of all conversions, at 6 places; `None` when some replicate has no conversion.
    pub share: Option<(Decimal, Decimal)>,
    /// Share of the total value, at 6 places (what `contribution.share` reports); `None` when
    /// some replicate has no value.
    pub value_share: Option<(Decimal, Decimal)>,
}

/// Percentile intervals from a Poisson bootstrap over journeys ([`super::Bootstrap`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intervals {
    /// Number of replicates.
    pub replicates: u32,
    /// Confidence level.
    pub confidence: Decimal,
    /// Seed of the replicate weights.
    pub seed: u64,
    /// One row per row of [`Attribution::channels`], in the same order.
    pub channels: Vec<ChannelInterval>,
}

impl Intervals {
    fn to_output(&self) -> Output {
        let pair = |(low, high): (Decimal, Decimal)| (Output::from(low), Output::from(high));
        let channels = self
            .channels
            .iter()
            .map(|c| {
                let (conversions_low, conversions_high) = pair(c.conversions);
                let (value_low, value_high) = pair(c.value);
                let (share_low, share_high) = c.share.map_or((Output::Null, Output::Null), pair);
                Output::record([
                    ("channel", c.channel.as_str().into()),
                    ("conversions_low", conversions_low),
                    ("conversions_high", conversions_high),
                    ("value_low", value_low),
                    ("value_high", value_high),
                    ("share_low", share_low),
                    ("share_high", share_high),
                ])
            })
            .collect();
        self.output_with(channels)
    }

    /// The intervals' header (method, replicates, confidence, seed) with `channels` rows: the
    /// shape of every KPI's `intervals` (contribution KPIs bring rows of their own figures).
    pub(crate) fn output_with(&self, channels: Vec<Output>) -> Output {
        Output::record([
            ("method", "poisson_bootstrap".into()),
            ("replicates", u64::from(self.replicates).into()),
            ("confidence", self.confidence.into()),
            ("seed", self.seed.into()),
            ("channels", Output::List(channels)),
        ])
    }
}

/// The result of one attribution model.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// The model's KPI id.
    pub model: &'static str,
    /// ISO code of the value.
    pub currency: String,
    /// Credit per channel, in taxonomy order, then `(none)` when it has any.
    pub channels: Vec<ChannelCredit>,
    /// Conversions of every journey, at 6 places.
    pub total_conversions: Decimal,
    /// Value of every journey, at the minor unit; the channels' values sum to it exactly.
    pub total_value: Decimal,
    /// Journey counts.
    pub journeys: JourneyCounts,
    /// What only this model reports (Markov's order, removal effects and transition matrix,
    /// ordered Shapley's credit by position), in output order.
    pub details: Vec<(String, Output)>,
    /// Confidence intervals, when asked for (`intervals` parameter).
    pub intervals: Option<Intervals>,
    /// Rows read, used and rejected.
    pub rows: RowCounts,
}

impl Attribution {
    /// The result as JSON (decimals as canonical strings), as the KPI returns it.
    pub fn to_json(&self) -> serde_json::Value {
        self.to_output().to_json()
    }

    /// The result as the KPI returns it (the shape of its vectors).
    pub fn to_output(&self) -> Output {
        let channels = self
            .channels
            .iter()
            .map(|c| {
                Output::record([
                    ("channel", c.channel.as_str().into()),
                    ("conversions", c.conversions.into()),
                    ("value", c.value.into()),
                    ("share", c.share.into()),
                ])
            })
            .collect();
        let mut fields = vec![
            // the model's short name, as users name it (`linear`), as comparisons key it
            (
                "model".to_owned(),
                Output::from(super::short_name(self.model)),
            ),
            ("currency".to_owned(), Output::from(self.currency.as_str())),
            ("channels".to_owned(), Output::List(channels)),
            (
                "totals".to_owned(),
                Output::record([
                    ("conversions", self.total_conversions.into()),
                    ("value", self.total_value.into()),
                ]),
            ),
            (
                "journeys".to_owned(),
                Output::record([
                    ("read", self.journeys.read.into()),
                    ("converting", self.journeys.converting.into()),
                    (
                        "not_converting",
                        self.journeys
                            .read
                            .saturating_sub(self.journeys.converting)
                            .into(),
                    ),
                    ("unattributed", self.journeys.unattributed.into()),
                ]),
            ),
        ];
        fields.extend(self.details.iter().cloned());
        if let Some(intervals) = &self.intervals {
            fields.push(("intervals".to_owned(), intervals.to_output()));
        }
        fields.push(("rows".to_owned(), self.rows.into()));
        Output::Record(fields)
    }
}
