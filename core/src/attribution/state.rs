//! The attribution state on the wire: what an [`super::Accumulator`] has counted, declared once
//! as serde structs, so what `to_json` writes and what `load_json` reads cannot disagree.
//! Integers that can pass 2^53 (credit and value sums) are written as decimal text, so a
//! JavaScript or Python JSON reader keeps them exact.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The state version this release writes and reads.
pub(super) const VERSION: u32 = 2;

/// A 128-bit integer written as decimal text (`"12000000000000"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Int(pub(super) i128);

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map(Int)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not an integer")))
    }
}

/// Every parameter that `merge` and `finish` must agree on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    /// Each model with its parameters, as written by its `Debug` form.
    pub(super) models: Vec<String>,
    pub(super) lookback_seconds: Option<i64>,
    pub(super) max_touches: usize,
    /// With intervals: the bootstrap and each model's confidence level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) intervals: Option<IntervalSettings>,
}

/// The bootstrap's settings and each model's confidence level (`None`: no intervals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IntervalSettings {
    pub(super) replicates: u32,
    pub(super) seed: u64,
    pub(super) confidence: Vec<Option<String>>,
}

/// What one bootstrap replicate has counted: its totals and each model's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReplicateCounts {
    pub(super) conversions: u64,
    pub(super) value: Int,
    pub(super) none_conversions: u64,
    pub(super) none_value: Int,
    pub(super) states: Vec<ModelCounts>,
}

/// A whole accumulator (version 2).
///
/// ```text
/// {"version": 2, "models": ["attribution.linear"], "settings": {...}, "channels": ["web"],
///  "currency": "EUR", "journeys": 3, ..., "states": [{"credit": {"conversions": ["1"], ...}}]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct State {
    pub(super) version: u32,
    pub(super) models: Vec<String>,
    pub(super) settings: Settings,
    pub(super) channels: Vec<String>,
    pub(super) currency: String,
    pub(super) journeys: u64,
    pub(super) converting: u64,
    pub(super) unattributed: u64,
    pub(super) total_conversions: u64,
    pub(super) total_value: Int,
    pub(super) none_conversions: u64,
    pub(super) none_value: Int,
    pub(super) states: Vec<ModelCounts>,
    /// With intervals: each replicate's counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) replicates: Vec<ReplicateCounts>,
}

/// What one model has counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum ModelCounts {
    /// Rule-based models and Zhao's Shapley: credit per channel id.
    Credit {
        conversions: Vec<Int>,
        value: Vec<Int>,
    },
    /// Ordered Shapley: `[channel, position, conversions, value]` cells.
    Positions(Vec<(u16, u32, Int, Int)>),
    /// Markov: transition counts between states (channel-id windows).
    Markov(MarkovCounts),
    /// Shapley rate: `[channel set, journeys, conversions, value]`.
    Sets(Vec<(Vec<u16>, u64, u64, Int)>),
}

/// Markov transition counts, sorted: `[from, to, n]`, then `[state, n]` into conversion and null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MarkovCounts {
    pub(super) transitions: Vec<(Vec<u16>, Vec<u16>, u64)>,
    pub(super) to_conversion: Vec<(Vec<u16>, u64)>,
    pub(super) to_null: Vec<(Vec<u16>, u64)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn big_integers_are_text_and_tags_are_snake_case() {
        let counts = ModelCounts::Positions(vec![(1, 2, Int(i128::MAX), Int(-5))]);
        let text = serde_json::to_value(&counts).ok();
        assert_eq!(
            text,
            Some(json!({"positions": [[1, 2, i128::MAX.to_string(), "-5"]]}))
        );
        let back: Option<ModelCounts> = text.and_then(|v| serde_json::from_value(v).ok());
        assert_eq!(back, Some(counts));
    }

    #[test]
    fn a_number_where_text_is_due_and_unknown_fields_are_refused() {
        let number = json!({"credit": {"conversions": [1], "value": []}});
        assert!(serde_json::from_value::<ModelCounts>(number).is_err());
        let extra = json!({"credit": {"conversions": [], "value": [], "more": []}});
        assert!(serde_json::from_value::<ModelCounts>(extra).is_err());
    }
}
