//! The accumulator: every model's state over journey batches (`update`, `merge`, `finish`,
//! serializable), finished into typed [`Attribution`] results.

use super::bootstrap::{bounds, Bootstrap, Replicates};
use super::credit::Scratch;
use super::result::{ChannelInterval, Intervals};
use super::state::{self, Int, IntervalSettings, ModelCounts, ReplicateCounts, Settings, State};
use super::{
    add_i128, add_u64, default_max_touches, interval_params, markov, max_touches, shapley,
    Attribution, ChannelCredit, Credit, JourneyBatch, JourneyCounts, Model, CONVERSION_SCALE,
    NONE_CHANNEL, SHARE_UNITS,
};
use crate::catalog::Params;
use crate::channel::Taxonomy;
use crate::decimal::{divide, divide_integers};
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::{split_units, Currency};
use crate::output::{Output, RowCounts};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The accumulated state of one model.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ModelState {
    /// Rule-based models and Zhao's Shapley: credit per channel.
    Credit(Credit),
    /// Ordered Shapley: credit per (channel, position).
    Positions(BTreeMap<(u16, u32), (i128, i128)>),
    /// Markov: transition counts between states.
    Markov(markov::Counts),
    /// Shapley rate: journeys, conversions and value per distinct channel set.
    Sets(BTreeMap<Vec<u16>, (u64, u64, i128)>),
}

/// The distinct channels of a journey, sorted: its Shapley-rate channel set.
pub(super) fn channel_set(channels: &[u16]) -> Vec<u16> {
    let mut set = channels.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

/// Adds a journey counted `times` times to its channel set: journeys, conversions and value.
pub(super) fn add_to_set(
    sets: &mut BTreeMap<Vec<u16>, (u64, u64, i128)>,
    set: &[u16],
    journey: &Journey<'_>,
    times: u64,
) -> Result<()> {
    let overflow = || KpiError::overflow("channel set counts");
    let conversions = journey
        .conversions
        .checked_mul(times)
        .ok_or_else(overflow)?;
    let value = journey
        .value
        .checked_mul(i128::from(times))
        .ok_or_else(overflow)?;
    if !sets.contains_key(set) {
        sets.insert(set.to_vec(), (0, 0, 0));
    }
    if let Some(entry) = sets.get_mut(set) {
        entry.0 = add_u64(entry.0, times, "journeys of a channel set")?;
        entry.1 = add_u64(entry.1, conversions, "conversions of a channel set")?;
        entry.2 = add_i128(entry.2, value, "set value")?;
    }
    Ok(())
}

impl ModelState {
    /// What the state has counted, in its wire form.
    fn counts(&self) -> ModelCounts {
        let ints = |v: &[i128]| v.iter().copied().map(Int).collect();
        match self {
            ModelState::Credit(c) => ModelCounts::Credit {
                conversions: ints(&c.conversions),
                value: ints(&c.value),
            },
            ModelState::Positions(p) => ModelCounts::Positions(
                p.iter()
                    .map(|((ch, pos), (c, v))| (*ch, *pos, Int(*c), Int(*v)))
                    .collect(),
            ),
            ModelState::Markov(m) => ModelCounts::Markov(m.to_state()),
            ModelState::Sets(sets) => ModelCounts::Sets(
                sets.iter()
                    .map(|(k, (n, c, v))| (k.clone(), *n, *c, Int(*v)))
                    .collect(),
            ),
        }
    }

    /// Replaces the state by `counts` (its own kind); the error says what is malformed.
    fn load(&mut self, counts: ModelCounts) -> std::result::Result<(), &'static str> {
        let ints = |v: Vec<Int>| -> Vec<i128> { v.into_iter().map(|n| n.0).collect() };
        match (self, counts) {
            (ModelState::Credit(c), ModelCounts::Credit { conversions, value }) => {
                if conversions.len() != c.conversions.len() || value.len() != c.value.len() {
                    return Err("one credit per channel");
                }
                c.conversions = ints(conversions);
                c.value = ints(value);
            }
            (ModelState::Positions(p), ModelCounts::Positions(cells)) => {
                *p = cells
                    .into_iter()
                    .map(|(ch, pos, c, v)| ((ch, pos), (c.0, v.0)))
                    .collect();
            }
            (ModelState::Markov(m), ModelCounts::Markov(counts)) => {
                *m = markov::Counts::from_state(&counts)
                    .ok_or("markov windows of at most 4 channels")?;
            }
            (ModelState::Sets(sets), ModelCounts::Sets(rows)) => {
                *sets = rows
                    .into_iter()
                    .map(|(k, n, c, v)| (k, (n, c, v.0)))
                    .collect();
            }
            _ => return Err("each model's counts of its own kind"),
        }
        Ok(())
    }

    /// Adds another state of the same model.
    pub(super) fn merge(&mut self, other: &ModelState) -> Result<()> {
        let overflow = |what: &str| KpiError::overflow(what);
        match (self, other) {
            (ModelState::Credit(a), ModelState::Credit(b)) => a.merge(b)?,
            (ModelState::Positions(a), ModelState::Positions(b)) => {
                for (k, (c, v)) in b {
                    let e = a.entry(*k).or_insert((0, 0));
                    e.0 = e.0.checked_add(*c).ok_or_else(|| overflow("positions"))?;
                    e.1 = e.1.checked_add(*v).ok_or_else(|| overflow("positions"))?;
                }
            }
            (ModelState::Markov(a), ModelState::Markov(b)) => a.merge(b)?,
            (ModelState::Sets(a), ModelState::Sets(b)) => {
                for (k, (n, c, v)) in b {
                    let e = a.entry(k.clone()).or_insert((0, 0, 0));
                    e.0 = add_u64(e.0, *n, "journeys of a channel set")?;
                    e.1 = add_u64(e.1, *c, "conversions of a channel set")?;
                    e.2 = e.2.checked_add(*v).ok_or_else(|| overflow("set value"))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Attribution over any number of batches, for several models in one pass.
///
/// # Example
/// ```
/// use omnikpi::attribution::{Accumulator, JourneyBatch, Model, Touch};
/// use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
/// use omnikpi::money::Currency;
/// let tax = Taxonomy::new(vec![
///     Channel { name: "web".into(), group: ChannelGroup::Online, direct: false },
///     Channel { name: "store".into(), group: ChannelGroup::Offline, direct: false },
/// ]).unwrap();
/// let t = |c: &str, ts: i64| Touch { channel: c.into(), timestamp: ts, lead: false };
/// let mut batch = JourneyBatch::default();
/// batch.push(&tax, &[t("web", 0), t("store", 10)], 1, 10_000, None, "j0").unwrap();
/// let eur = Currency::lookup("EUR", None, "currency").unwrap();
/// let mut acc = Accumulator::new(&tax, &eur, vec![Model::Linear, Model::LastTouch], None);
/// acc.update(&batch).unwrap();
/// let out = acc.finish().unwrap();
/// assert_eq!(out[0].to_json()["channels"][0]["value"], "50.00");
/// assert_eq!(out[1].to_json()["channels"][1]["conversions"], "1.000000");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Accumulator {
    taxonomy: Taxonomy,
    currency: Currency,
    models: Vec<Model>,
    lookback_seconds: Option<i64>,
    max_touches: usize,
    journeys: u64,
    converting: u64,
    unattributed: u64,
    /// Conversions and value of the converting journeys, and of those left without a touch.
    totals: Totals,
    states: Vec<ModelState>,
    /// The confidence level of each model's intervals (`None`: that model reports none).
    confidence: Vec<Option<Decimal>>,
    /// With intervals: the bootstrap and what each replicate has counted.
    replicates: Option<Replicates>,
}

/// Conversions and value of the converting journeys, and of those left without a touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Totals {
    pub(super) conversions: u64,
    pub(super) value: i128,
    pub(super) none_conversions: u64,
    pub(super) none_value: i128,
}

impl Totals {
    /// Adds a converting journey counted `times` times; `attributed`: it kept a touch.
    pub(super) fn add(
        &mut self,
        conversions: u64,
        value: i128,
        times: u64,
        attributed: bool,
    ) -> Result<()> {
        let overflow = || KpiError::overflow("total conversions");
        let conversions = conversions.checked_mul(times).ok_or_else(overflow)?;
        let value = value.checked_mul(i128::from(times)).ok_or_else(overflow)?;
        self.conversions = add_u64(self.conversions, conversions, "total conversions")?;
        self.value = add_i128(self.value, value, "total value")?;
        if !attributed {
            self.none_conversions = add_u64(
                self.none_conversions,
                conversions,
                "unattributed conversions",
            )?;
            self.none_value = add_i128(self.none_value, value, "unattributed value")?;
        }
        Ok(())
    }

    pub(super) fn merge(&mut self, other: &Totals) -> Result<()> {
        self.conversions = add_u64(self.conversions, other.conversions, "total conversions")?;
        self.value = add_i128(self.value, other.value, "total value")?;
        self.none_conversions = add_u64(
            self.none_conversions,
            other.none_conversions,
            "unattributed conversions",
        )?;
        self.none_value = add_i128(self.none_value, other.none_value, "unattributed value")?;
        Ok(())
    }

    /// Conversions of the journeys that kept a touch. A loaded state may claim more
    /// unattributed conversions than conversions: an error, not an underflow.
    fn attributed(&self) -> Result<u64> {
        self.conversions
            .checked_sub(self.none_conversions)
            .ok_or_else(|| KpiError::overflow("attributed conversions"))
    }
}

/// A journey's touches (those the window kept) and its outcome.
pub(super) struct Journey<'a> {
    pub(super) channels: &'a [u16],
    pub(super) times: &'a [i64],
    pub(super) leads: &'a [bool],
    pub(super) conversions: u64,
    pub(super) value: i128,
}

/// Each channel's share of a converting journey under a credit model (10^-12 units of the
/// journey), into `scratch.share_slots` and `scratch.slot_shares`: the split the point estimate
/// makes, so a replicate adds exactly `w` times the journey's point credit.
// Inlined into the per-journey loop: out of line it costs the seven rule-based models 20%.
#[inline]
pub(super) fn journey_shares(
    model: &Model,
    journey: &Journey<'_>,
    (prepared, direct): (&[i128; 4], &[bool]),
    scratch: &mut Scratch,
) -> Result<()> {
    let overflow = || KpiError::overflow("a journey's weights");
    scratch.share_slots.clear();
    scratch.slot_shares.clear();
    match model {
        Model::ShapleyOrdered => {
            let mut cells = BTreeMap::new();
            shapley::add_ordered(&mut cells, journey.channels, 1, 0)?;
            // (channel, position) cells, a channel's positions together
            for ((channel, _), (share, _)) in cells {
                let slot = usize::from(channel);
                match (scratch.share_slots.last(), scratch.slot_shares.last_mut()) {
                    (Some(last), Some(sum)) if *last == slot => {
                        *sum = add_i128(*sum, share, "ordered Shapley credit")?;
                    }
                    _ => {
                        scratch.share_slots.push(slot);
                        scratch.slot_shares.push(share);
                    }
                }
            }
        }
        Model::Shapley => {
            for c in journey.channels {
                if !scratch.share_slots.contains(&usize::from(*c)) {
                    scratch.share_slots.push(usize::from(*c));
                }
            }
            scratch.ones.clear();
            scratch.ones.resize(scratch.share_slots.len(), 1);
            crate::money::split_into(
                SHARE_UNITS,
                &scratch.ones,
                &mut scratch.slot_shares,
                &mut scratch.order,
            )
            .ok_or_else(overflow)?;
        }
        _ => {
            model.fill_weights(
                prepared,
                direct,
                journey.channels,
                journey.times,
                journey.leads,
                &mut scratch.weights,
            );
            scratch
                .share_slots
                .extend(journey.channels.iter().map(|c| usize::from(*c)));
            crate::money::split_into(
                SHARE_UNITS,
                &scratch.weights,
                &mut scratch.slot_shares,
                &mut scratch.order,
            )
            .ok_or_else(overflow)?;
        }
    }
    Ok(())
}

impl Accumulator {
    /// An empty accumulator for `models` over journeys of `taxonomy`, amounts in `currency`;
    /// `lookback_seconds` drops touches older than that before each conversion.
    pub fn new(
        taxonomy: &Taxonomy,
        currency: &Currency,
        models: Vec<Model>,
        lookback_seconds: Option<i64>,
    ) -> Self {
        let slots = taxonomy.len().saturating_add(1); // at most 65,536
        let states: Vec<ModelState> = models
            .iter()
            .map(|m| match m {
                Model::ShapleyOrdered => ModelState::Positions(BTreeMap::new()),
                Model::Markov { .. } => ModelState::Markov(markov::Counts::default()),
                Model::ShapleyRate { .. } => ModelState::Sets(BTreeMap::new()),
                _ => ModelState::Credit(Credit::new(slots)),
            })
            .collect();
        Self {
            taxonomy: taxonomy.clone(),
            currency: currency.clone(),
            models,
            lookback_seconds,
            max_touches: default_max_touches(),
            journeys: 0,
            converting: 0,
            unattributed: 0,
            totals: Totals::default(),
            confidence: vec![None; states.len()],
            states,
            replicates: None,
        }
    }

    /// Reports confidence intervals ([`Bootstrap`]) for the models whose `confidence` is given
    /// (one entry per model, in model order); the point estimates do not change.
    ///
    /// # Errors
    /// `internal_error` when `confidence` does not have one entry per model.
    pub fn with_intervals(
        mut self,
        bootstrap: Bootstrap,
        confidence: Vec<Option<Decimal>>,
    ) -> Result<Self> {
        if confidence.len() != self.models.len() {
            return Err(KpiError::internal("one confidence level per model"));
        }
        if confidence.iter().any(Option::is_some) {
            let slots = self.taxonomy.len().saturating_add(1);
            self.replicates = Some(Replicates::new(bootstrap, &self.models, slots));
        }
        self.confidence = confidence;
        Ok(self)
    }

    /// Refuses journeys with more than `max_touches` touches (default [`default_max_touches`]).
    #[must_use]
    pub fn with_max_touches(mut self, max_touches: usize) -> Self {
        self.max_touches = max_touches;
        self
    }

    /// Adds a batch (its channel ids must index this accumulator's taxonomy).
    ///
    /// # Errors
    /// `arithmetic_overflow` when totals no longer fit.
    pub fn update(&mut self, batch: &JourneyBatch) -> Result<()> {
        self.update_range(batch, 0..batch.len())
    }

    /// [`Accumulator::update`] on `threads` threads: the batch is cut into contiguous ranges of
    /// journeys, each accumulated separately and merged in order. Because merging is exact, the
    /// result is the same as a single-threaded update, whatever the thread count.
    ///
    /// # Errors
    /// As [`Accumulator::update`].
    pub fn update_parallel(&mut self, batch: &JourneyBatch, threads: usize) -> Result<()> {
        let threads = threads.clamp(1, batch.len().max(1));
        if threads == 1 {
            return self.update(batch);
        }
        let chunk = batch.len().div_ceil(threads);
        let empty = self.empty_like();
        let partials: Vec<Result<Accumulator>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let mut part = empty.clone();
                    // t < threads and chunk * threads covers the batch: within its length
                    let from = t.saturating_mul(chunk);
                    let range = from..from.saturating_add(chunk).min(batch.len());
                    scope.spawn(move || part.update_range(batch, range).map(|()| part))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(KpiError::internal("a worker thread stopped")))
                })
                .collect()
        });
        for part in partials {
            self.merge(&part?)?;
        }
        Ok(())
    }

    /// An empty accumulator built like this one (models, window, limit, intervals).
    fn empty_like(&self) -> Accumulator {
        let mut empty = Accumulator::new(
            &self.taxonomy,
            &self.currency,
            self.models.clone(),
            self.lookback_seconds,
        )
        .with_max_touches(self.max_touches);
        empty.confidence.clone_from(&self.confidence);
        empty.replicates = self.replicates.as_ref().map(|r| {
            Replicates::new(
                r.bootstrap,
                &self.models,
                self.taxonomy.len().saturating_add(1),
            )
        });
        empty
    }

    fn update_range(
        &mut self,
        batch: &JourneyBatch,
        journeys: std::ops::Range<usize>,
    ) -> Result<()> {
        let prepared: Vec<[i128; 4]> = self.models.iter().map(Model::prepared).collect();
        let direct: Vec<bool> = self.taxonomy.channels().iter().map(|c| c.direct).collect();
        let mut scratch = Scratch::default();
        if self.replicates.is_some() && batch.ids.is_none() {
            return Err(no_ids());
        }
        for j in journeys {
            let range = batch.within_limit(j, self.max_touches)?;
            let conversions = batch.conversions.get(j).copied().unwrap_or(0);
            let value = batch.value_minor.get(j).copied().unwrap_or(0);
            let at = batch.conversion_time.get(j).copied().unwrap_or(0);
            // The lookback window keeps touches with t > conversion - lookback.
            let start = match self.lookback_seconds {
                Some(l) => {
                    let cut = at.saturating_sub(l);
                    // a count of the range's own touches: stays within the range
                    range.start.saturating_add(
                        batch
                            .timestamp
                            .get(range.clone())
                            .map_or(0, |ts| ts.iter().take_while(|t| **t <= cut).count()),
                    )
                }
                None => range.start,
            };
            let kept = start..range.end;
            let channels = batch.channel.get(kept.clone()).unwrap_or_default();
            let times = batch.timestamp.get(kept.clone()).unwrap_or_default();
            let leads = batch.lead.get(kept).unwrap_or_default();
            let journey = Journey {
                channels,
                times,
                leads,
                conversions,
                value,
            };
            if self.replicates.is_some() {
                let key = || batch.ids.as_ref().and_then(|ids| ids.key(j));
                self.update_replicates(key, &journey, &prepared, &direct, &mut scratch)?;
            }
            self.journeys = add_u64(self.journeys, 1, "journeys")?;
            if conversions > 0 {
                self.converting = add_u64(self.converting, 1, "converting journeys")?;
                self.totals
                    .add(conversions, value, 1, !channels.is_empty())?;
                if channels.is_empty() {
                    self.unattributed = add_u64(self.unattributed, 1, "unattributed journeys")?;
                    continue;
                }
            }
            if channels.is_empty() {
                continue;
            }
            for ((model, state), prepared) in self
                .models
                .iter()
                .zip(self.states.iter_mut())
                .zip(&prepared)
            {
                match state {
                    ModelState::Credit(credit) if conversions > 0 => {
                        journey_shares(model, &journey, (prepared, &direct), &mut scratch)?;
                        credit.add_shares(
                            &scratch.share_slots,
                            &scratch.slot_shares,
                            conversions,
                            value,
                        )?;
                    }
                    ModelState::Positions(cells) if conversions > 0 => {
                        shapley::add_ordered(cells, channels, conversions, value)?;
                    }
                    ModelState::Markov(counts) => {
                        if let Model::Markov {
                            order,
                            collapse_repeats,
                            ..
                        } = model
                        {
                            counts.add(channels, conversions, *order, *collapse_repeats)?;
                        }
                    }
                    ModelState::Sets(sets) => {
                        add_to_set(sets, &channel_set(channels), &journey, 1)?;
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Adds `journey` (its bootstrap key from `key`, asked only when the replicates need it) to
    /// every replicate, `w(j, r)` times.
    fn update_replicates(
        &mut self,
        key: impl FnOnce() -> Option<u64>,
        journey: &Journey<'_>,
        prepared: &[[i128; 4]],
        direct: &[bool],
        scratch: &mut Scratch,
    ) -> Result<()> {
        let Some(replicates) = self.replicates.as_mut() else {
            return Ok(());
        };
        let converting = journey.conversions > 0;
        let every_journey = self.models.iter().zip(&self.confidence).any(|(m, c)| {
            c.is_some() && matches!(m, Model::Markov { .. } | Model::ShapleyRate { .. })
        });
        if !converting && !every_journey {
            return Ok(());
        }
        let key = key().ok_or_else(no_ids)?;
        let mut weights = std::mem::take(&mut scratch.replicate_weights);
        replicates.bootstrap.weights(key, &mut weights);
        let attributed = !journey.channels.is_empty();
        if converting {
            for (run, w) in replicates.runs.iter_mut().zip(&weights) {
                if *w > 0 {
                    run.totals
                        .add(journey.conversions, journey.value, *w, attributed)?;
                }
            }
        }
        if attributed {
            for (m, (model, confidence)) in self.models.iter().zip(&self.confidence).enumerate() {
                if confidence.is_none() {
                    continue;
                }
                let prepared = prepared.get(m).copied().unwrap_or_default();
                replicates.add(m, model, journey, (&prepared, direct), &weights, scratch)?;
            }
        }
        scratch.replicate_weights = weights;
        Ok(())
    }

    /// Adds another accumulator's state (same taxonomy, currency, models and window).
    ///
    /// # Errors
    /// `invalid_parameter` when the two were not built alike.
    pub fn merge(&mut self, other: &Accumulator) -> Result<()> {
        if self.taxonomy != other.taxonomy
            || self.currency != other.currency
            || self.models != other.models
            || self.confidence != other.confidence
            || self.lookback_seconds != other.lookback_seconds
            || self.max_touches != other.max_touches
        {
            return Err(KpiError::new(
                ErrorCode::InvalidParameter,
                Some("state".to_owned()),
                "cannot merge attribution states built with different channels, currency, models or window",
            ));
        }
        self.journeys = add_u64(self.journeys, other.journeys, "journeys")?;
        self.converting = add_u64(self.converting, other.converting, "converting journeys")?;
        self.unattributed = add_u64(
            self.unattributed,
            other.unattributed,
            "unattributed journeys",
        )?;
        self.totals.merge(&other.totals)?;
        for (mine, theirs) in self.states.iter_mut().zip(&other.states) {
            mine.merge(theirs)?;
        }
        match (self.replicates.as_mut(), other.replicates.as_ref()) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, None) => Ok(()),
            _ => Err(KpiError::new(
                ErrorCode::InvalidParameter,
                Some("state".to_owned()),
                "cannot merge an attribution state with intervals and one without",
            )),
        }
    }

    /// The results, one per model, in the order the models were given.
    ///
    /// # Errors
    /// `limit_exceeded` (Markov states, Shapley channel sets), `arithmetic_overflow`.
    pub fn finish(&self) -> Result<Vec<Attribution>> {
        self.models
            .iter()
            .zip(&self.states)
            .enumerate()
            .map(|(m, (model, state))| self.finish_one(m, model, state))
            .collect()
    }

    fn slot_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .taxonomy
            .channels()
            .iter()
            .map(|c| c.name.clone())
            .collect();
        names.push(NONE_CHANNEL.to_owned());
        names
    }

    /// Credit of the converting journeys that kept a touch, spread by `weights` over channels,
    /// plus the `(none)` slot.
    fn credit_from_weights(&self, weights: &[i128], totals: &Totals) -> Result<Credit> {
        let mut credit = Credit::new(self.taxonomy.len().saturating_add(1));
        let attributed = totals.attributed()?;
        let value = totals
            .value
            .checked_sub(totals.none_value)
            .ok_or_else(|| KpiError::overflow("attributed value"))?;
        let slots: Vec<usize> = (0..weights.len()).collect();
        if attributed > 0 && weights.iter().any(|w| *w > 0) {
            credit.add(&slots, weights, attributed, value)?;
        } else if attributed > 0 {
            // No channel carries any weight: everything is unattributed.
            credit.add(&[self.taxonomy.len()], &[1], attributed, value)?;
        }
        Ok(credit)
    }

    fn finish_one(&self, m: usize, model: &Model, state: &ModelState) -> Result<Attribution> {
        let (credit, details) = self.model_credit(model, state, &self.totals, true)?;
        let intervals = match (self.confidence.get(m).copied().flatten(), &self.replicates) {
            (Some(level), Some(replicates)) => {
                Some(self.intervals(m, model, level, replicates, &credit)?)
            }
            _ => None,
        };
        Ok(Attribution {
            model: model.id(),
            currency: self.currency.code().to_owned(),
            channels: self.channel_credits(&credit)?,
            total_conversions: whole(i128::from(self.totals.conversions), CONVERSION_SCALE),
            total_value: decimal_at(self.totals.value, self.currency.minor_units()),
            journeys: JourneyCounts {
                read: self.journeys,
                converting: self.converting,
                unattributed: self.unattributed,
            },
            details,
            intervals,
            // every journey read is used: a non-converting one earns no credit under a
            // rule-based model (counted in `journeys.not_converting`), it is not rejected
            rows: RowCounts {
                read: self.journeys,
                used: self.journeys,
                rejected: 0,
            },
        })
    }

    /// The credit of `model` from its `state` and `totals`, the `(none)` slot included, and
    /// (with `details`) what only this model reports.
    fn model_credit(
        &self,
        model: &Model,
        state: &ModelState,
        totals: &Totals,
        details: bool,
    ) -> Result<(Credit, Vec<(String, Output)>)> {
        let mut extra: Vec<(String, Output)> = Vec::new();
        let mut credit = match state {
            ModelState::Credit(c) => c.clone(),
            ModelState::Positions(cells) => {
                let mut credit = Credit::new(self.taxonomy.len().saturating_add(1));
                for ((ch, _), (c, v)) in cells {
                    if let (Some(cs), Some(vs)) = (
                        credit.conversions.get_mut(usize::from(*ch)),
                        credit.value.get_mut(usize::from(*ch)),
                    ) {
                        *cs = add_i128(*cs, *c, "position credit")?;
                        *vs = add_i128(*vs, *v, "position credit")?;
                    }
                }
                if details {
                    extra.push(("by_position".to_owned(), self.positions_output(cells)?));
                }
                credit
            }
            ModelState::Markov(counts) => {
                let Model::Markov {
                    order,
                    max_states,
                    transition_matrix,
                    ..
                } = model
                else {
                    return Err(KpiError::internal(
                        "a model paired with another model's state",
                    ));
                };
                // One numbered graph for the solve and the matrix.
                let graph = counts.graph()?;
                let solved = graph.solve(&self.taxonomy, *max_states)?;
                let weights: Vec<i128> = solved
                    .removal_effects
                    .iter()
                    .map(|re| (re * 4_503_599_627_370_496.0).round() as i128)
                    .collect();
                if details {
                    extra = self.markov_details(*order, &solved);
                    let matrix = if *transition_matrix {
                        graph.matrix_output(&self.taxonomy)?
                    } else {
                        Output::List(Vec::new())
                    };
                    extra.push(("transition_matrix".to_owned(), matrix));
                }
                self.credit_from_weights(&weights, totals)?
            }
            ModelState::Sets(sets) => {
                let Model::ShapleyRate { max_channels } = model else {
                    return Err(KpiError::internal(
                        "a model paired with another model's state",
                    ));
                };
                shapley::rate_credit(sets, self.taxonomy.len().saturating_add(1), *max_channels)?
            }
        };
        // The (none) slot: conversions left without a touch in the window.
        let none = self.taxonomy.len();
        if let (Some(c), Some(v)) = (credit.conversions.get_mut(none), credit.value.get_mut(none)) {
            let units = |n: i128| {
                n.checked_mul(SHARE_UNITS)
                    .ok_or_else(|| KpiError::overflow("unattributed credit"))
            };
            *c = add_i128(
                *c,
                units(i128::from(totals.none_conversions))?,
                "unattributed credit",
            )?;
            *v = add_i128(*v, units(totals.none_value)?, "unattributed credit")?;
        }
        Ok((credit, extra))
    }

    /// What only Markov reports: its order, states, conversion probability and removal effects.
    fn markov_details(&self, order: usize, solved: &markov::Solved) -> Vec<(String, Output)> {
        vec![
            ("order".to_owned(), Output::Count(order as u64)),
            ("states".to_owned(), Output::Count(solved.states as u64)),
            (
                "conversion_probability".to_owned(),
                float_output(solved.conversion_probability),
            ),
            (
                "removal_effects".to_owned(),
                Output::List(
                    self.taxonomy
                        .channels()
                        .iter()
                        .zip(&solved.removal_effects)
                        .map(|(c, re)| {
                            Output::record([
                                ("channel", c.name.as_str().into()),
                                ("removal_effect", float_output(*re)),
                            ])
                        })
                        .collect(),
                ),
            ),
        ]
    }

    /// Model `m`'s intervals: each replicate solved as the point estimate is, its figures
    /// rounded half to even at the output scale, bounds at ranks `k` and `R + 1 - k`. The rows
    /// are those of `channels` (`(none)` when the point estimate has credit there).
    fn intervals(
        &self,
        m: usize,
        model: &Model,
        confidence: Decimal,
        replicates: &Replicates,
        point: &Credit,
    ) -> Result<Intervals> {
        let none = self.taxonomy.len();
        let has_none = point.conversions.get(none).is_some_and(|c| *c != 0)
            || point.value.get(none).is_some_and(|v| *v != 0);
        let rows = if has_none {
            none.saturating_add(1)
        } else {
            none
        };
        let runs = replicates.runs.len();
        let mut figures =
            vec![[Vec::with_capacity(runs), Vec::new(), Vec::new(), Vec::new()]; rows];
        let (mut every_share, mut every_value_share) = (true, true);
        const MICRO: i128 = 1_000_000;
        for run in &replicates.runs {
            let state = run
                .states
                .get(m)
                .ok_or_else(|| KpiError::internal("a replicate without the model's state"))?;
            let (credit, _) = self.model_credit(model, state, &run.totals, false)?;
            let total = i128::from(run.totals.conversions)
                .checked_mul(MICRO)
                .ok_or_else(|| KpiError::overflow("replicate conversions"))?;
            let total_value = run
                .totals
                .value
                .checked_mul(MICRO)
                .ok_or_else(|| KpiError::overflow("replicate value"))?;
            every_share &= total > 0;
            every_value_share &= total_value > 0;
            let half_even = |n: i128, d: i128| {
                divide_integers(n, d).ok_or_else(|| KpiError::overflow("an interval bound"))
            };
            for (i, [conv, value, share, value_share]) in figures.iter_mut().enumerate() {
                let c = credit.conversions.get(i).copied().unwrap_or(0);
                conv.push(half_even(c, MICRO)?);
                let v = credit.value.get(i).copied().unwrap_or(0);
                value.push(half_even(v, SHARE_UNITS)?);
                if total > 0 {
                    share.push(half_even(c, total)?);
                }
                if total_value > 0 {
                    value_share.push(half_even(v, total_value)?);
                }
            }
        }
        let k = replicates.bootstrap.rank(confidence);
        let minor = self.currency.minor_units();
        let at = |values: Vec<i128>, scale: u32| -> Result<(Decimal, Decimal)> {
            let (low, high) = bounds(values, k)
                .ok_or_else(|| KpiError::internal("fewer replicates than the rank"))?;
            Ok((decimal_at(low, scale), decimal_at(high, scale)))
        };
        let names = self.slot_names();
        let channels = names
            .into_iter()
            .zip(figures)
            .map(|(channel, [conv, value, share, value_share])| {
                Ok(ChannelInterval {
                    channel,
                    conversions: at(conv, CONVERSION_SCALE)?,
                    value: at(value, minor)?,
                    share: every_share
                        .then(|| at(share, CONVERSION_SCALE))
                        .transpose()?,
                    value_share: every_value_share
                        .then(|| at(value_share, CONVERSION_SCALE))
                        .transpose()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Intervals {
            replicates: replicates.bootstrap.replicates,
            confidence: confidence.normalize(),
            seed: replicates.bootstrap.seed,
            channels,
        })
    }

    /// Quantizes 10^-12 credits to `scale` so they sum exactly to `total` (in whole units).
    fn quantize(credits: &[i128], total: i128, scale: u32) -> Result<Vec<Decimal>> {
        let overflow = || KpiError::overflow("quantizing credit");
        let units = total.checked_mul(10i128.pow(scale)).ok_or_else(overflow)?;
        if credits.iter().all(|c| *c == 0) {
            return Ok(credits.iter().map(|_| decimal_at(0, scale)).collect());
        }
        let parts = split_units(units, credits).ok_or_else(overflow)?;
        Ok(parts
            .into_iter()
            .map(|(p, _)| decimal_at(p, scale))
            .collect())
    }

    fn channel_credits(&self, credit: &Credit) -> Result<Vec<ChannelCredit>> {
        let conv = Self::quantize(
            &credit.conversions,
            i128::from(self.totals.conversions),
            CONVERSION_SCALE,
        )?;
        let minor = self.currency.minor_units();
        let value = Self::quantize(&credit.value, self.totals.value, 0)?
            .into_iter()
            .map(|v| decimal_at(v.mantissa(), minor))
            .collect::<Vec<_>>();
        // a u64 times 10^k with k small: within i128 (SHARE_UNITS < 2^60)
        let total_units = i128::from(self.totals.conversions).saturating_mul(SHARE_UNITS);
        let names = self.slot_names();
        let mut rows = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let is_none = i == self.taxonomy.len();
            let c = credit.conversions.get(i).copied().unwrap_or(0);
            if is_none && c == 0 && credit.value.get(i).copied().unwrap_or(0) == 0 {
                continue;
            }
            let share = divide(
                Decimal::from_i128_with_scale(c, 0),
                Decimal::from_i128_with_scale(total_units, 0),
                CONVERSION_SCALE,
            )?;
            let missing = || KpiError::internal("a channel without its quantized credit");
            rows.push(ChannelCredit {
                channel: name.clone(),
                conversions: conv.get(i).copied().ok_or_else(missing)?,
                value: value.get(i).copied().ok_or_else(missing)?,
                share,
            });
        }
        Ok(rows)
    }

    fn positions_output(&self, cells: &BTreeMap<(u16, u32), (i128, i128)>) -> Result<Output> {
        let keys: Vec<(u16, u32)> = cells.keys().copied().collect();
        let credits: Vec<i128> = cells.values().map(|(c, _)| *c).collect();
        let attributed = i128::from(self.totals.attributed()?);
        let conv = Self::quantize(&credits, attributed, CONVERSION_SCALE)?;
        Ok(Output::List(
            keys.iter()
                .zip(conv)
                .map(|((ch, pos), c)| {
                    let name = self
                        .taxonomy
                        .channels()
                        .get(usize::from(*ch))
                        .map_or("", |x| x.name.as_str());
                    Output::record([
                        ("channel", name.into()),
                        ("position", u64::from(*pos).into()),
                        ("conversions", c.into()),
                    ])
                })
                .collect(),
        ))
    }

    /// Every parameter that `merge` and `finish` must agree on: each model's parameters, the
    /// lookback window and the journey length limit.
    fn settings(&self) -> Settings {
        Settings {
            models: self.models.iter().map(|m| format!("{m:?}")).collect(),
            lookback_seconds: self.lookback_seconds,
            max_touches: self.max_touches,
            intervals: self.replicates.as_ref().map(|r| IntervalSettings {
                replicates: r.bootstrap.replicates,
                seed: r.bootstrap.seed,
                confidence: self
                    .confidence
                    .iter()
                    .map(|c| c.map(|c| c.normalize().to_string()))
                    .collect(),
            }),
        }
    }

    /// What the accumulator has counted, in its wire form ([`State`]).
    fn to_state(&self) -> State {
        let states = self.states.iter().map(ModelState::counts).collect();
        let replicates = self.replicates.as_ref().map_or_else(Vec::new, |r| {
            r.runs
                .iter()
                .map(|run| ReplicateCounts {
                    conversions: run.totals.conversions,
                    value: Int(run.totals.value),
                    none_conversions: run.totals.none_conversions,
                    none_value: Int(run.totals.none_value),
                    states: run.states.iter().map(ModelState::counts).collect(),
                })
                .collect()
        });
        State {
            version: state::VERSION,
            models: self.models.iter().map(|m| m.id().to_owned()).collect(),
            settings: self.settings(),
            channels: self.channel_names(),
            currency: self.currency.code().to_owned(),
            journeys: self.journeys,
            converting: self.converting,
            unattributed: self.unattributed,
            total_conversions: self.totals.conversions,
            total_value: Int(self.totals.value),
            none_conversions: self.totals.none_conversions,
            none_value: Int(self.totals.none_value),
            states,
            replicates,
        }
    }

    fn channel_names(&self) -> Vec<String> {
        self.taxonomy
            .channels()
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    /// The state as JSON (integers past 2^53 as text), to ship between threads, processes or
    /// machines; [`Accumulator::load_json`] reads it back.
    ///
    /// # Errors
    /// `internal_error` if the state cannot be written (it always can: its fields are plain).
    pub fn to_json(&self) -> Result<Value> {
        serde_json::to_value(self.to_state())
            .map_err(|e| KpiError::internal(&format!("attribution state: {e}")))
    }

    /// Restores a state written by [`Accumulator::to_json`] into an accumulator built like it.
    ///
    /// # Errors
    /// `invalid_parameter` when the state was written by another state version or belongs to
    /// other channels, currency, models or parameters; `wrong_type` when it is malformed (the
    /// message says where).
    pub fn load_json(&mut self, json: &Value) -> Result<()> {
        let refused = |message: String| {
            KpiError::new(
                ErrorCode::InvalidParameter,
                Some("state".to_owned()),
                message,
            )
        };
        let version = json.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(state::VERSION)) {
            return Err(refused(format!(
                "the state was written by another state version (this one reads version {})",
                state::VERSION
            )));
        }
        let wire = State::deserialize(json).map_err(|e| {
            KpiError::at(
                ErrorCode::WrongType,
                "state",
                format!("is not an attribution state written by to_json(): {e}"),
            )
        })?;
        let ids: Vec<&str> = self.models.iter().map(Model::id).collect();
        if wire.channels != self.channel_names()
            || wire.models != ids
            || wire.currency != self.currency.code()
        {
            return Err(refused(
                "the state was built for other channels, currency or models".to_owned(),
            ));
        }
        if wire.settings != self.settings() {
            let text = |s: &Settings| serde_json::to_string(s).unwrap_or_default();
            return Err(refused(format!(
                "the state was built with other parameters ({}) than this accumulator ({})",
                text(&wire.settings),
                text(&self.settings())
            )));
        }
        *self = self.loaded(wire)?;
        Ok(())
    }

    /// A fresh accumulator like this one holding the counts of `wire` (already checked to
    /// belong to it).
    fn loaded(&self, wire: State) -> Result<Self> {
        let malformed = |what: &str| {
            KpiError::at(
                ErrorCode::WrongType,
                "state",
                format!("is not an attribution state written by to_json(): {what}"),
            )
        };
        let mut loaded = self.empty_like();
        loaded.journeys = wire.journeys;
        loaded.converting = wire.converting;
        loaded.unattributed = wire.unattributed;
        loaded.totals = Totals {
            conversions: wire.total_conversions,
            value: wire.total_value.0,
            none_conversions: wire.none_conversions,
            none_value: wire.none_value.0,
        };
        if wire.states.len() != loaded.states.len() {
            return Err(malformed("one model state per model"));
        }
        for (slot, counts) in loaded.states.iter_mut().zip(wire.states) {
            slot.load(counts).map_err(malformed)?;
        }
        match loaded.replicates.as_mut() {
            Some(replicates) if replicates.runs.len() == wire.replicates.len() => {
                for (run, counts) in replicates.runs.iter_mut().zip(wire.replicates) {
                    run.totals = Totals {
                        conversions: counts.conversions,
                        value: counts.value.0,
                        none_conversions: counts.none_conversions,
                        none_value: counts.none_value.0,
                    };
                    if counts.states.len() != run.states.len() {
                        return Err(malformed("one model state per model in each replicate"));
                    }
                    for (slot, c) in run.states.iter_mut().zip(counts.states) {
                        slot.load(c).map_err(malformed)?;
                    }
                }
            }
            None if wire.replicates.is_empty() => {}
            _ => return Err(malformed("one count per bootstrap replicate")),
        }
        Ok(loaded)
    }
}

/// The error of intervals asked on journeys without ids.
fn no_ids() -> KpiError {
    KpiError::at(
        ErrorCode::MissingField,
        "input.journeys",
        "intervals need a journey_id on every journey: each replicate weighs a journey by a hash of its id",
    )
}

/// `n` whole units written at `scale` places (`4` -> `4.000000`).
fn whole(n: i128, scale: u32) -> Decimal {
    let mut d = Decimal::from_i128_with_scale(n, 0);
    d.rescale(scale);
    d
}

/// `units` counted at `scale` places (`3200` at 2 -> `32.00`).
fn decimal_at(units: i128, scale: u32) -> Decimal {
    let mut d = Decimal::from_i128_with_scale(units, scale);
    d.rescale(scale);
    d
}

/// A probability, removal effect or log-likelihood (f64) as a decimal at 6 places, half to
/// even, from its exact binary value (so every platform prints the same digits).
pub(super) fn float_output(x: f64) -> Output {
    match Decimal::from_f64_retain(x) {
        Some(d) => Output::Decimal(crate::decimal::round_half_even(d, CONVERSION_SCALE)),
        None => Output::Null,
    }
}

impl Accumulator {
    /// An empty accumulator for models given as `(kpi id, parameters)`, parameters resolved
    /// against their definitions (defaults filled in, `max_touches` the smallest asked).
    ///
    /// # Errors
    /// `unknown_kpi`, `unknown_parameter`, `invalid_parameter`.
    pub fn for_specs(
        taxonomy: &Taxonomy,
        currency: &Currency,
        specs: &[(String, Value)],
        lookback_seconds: Option<i64>,
    ) -> Result<Self> {
        let mut models = Vec::with_capacity(specs.len());
        let mut limit = usize::MAX;
        let mut bootstrap: Option<Bootstrap> = None;
        let mut confidence = Vec::with_capacity(specs.len());
        for (id, params) in specs {
            let params = Params::resolve(crate::definition(id)?, params)?;
            limit = limit.min(max_touches(&params));
            models.push(Model::from_params(id, &params)?);
            let asked = interval_params(&params)?;
            if let Some((b, _)) = asked {
                if bootstrap.is_some_and(|first| first != b) {
                    return Err(KpiError::at(
                        ErrorCode::InvalidParameter,
                        "params.replicates",
                        "the models of one run ask for intervals with different replicates or seeds; give them the same",
                    ));
                }
                bootstrap = Some(b);
            }
            confidence.push(asked.map(|(_, c)| c));
        }
        let acc =
            Accumulator::new(taxonomy, currency, models, lookback_seconds).with_max_touches(limit);
        match bootstrap {
            Some(b) => acc.with_intervals(b, confidence),
            None => Ok(acc),
        }
    }
}
