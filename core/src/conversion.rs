//! Conversion KPIs: `conversion.rate`, `conversion.funnel`, `conversion.windowed`,
//! `conversion.cross_channel`.

use crate::catalog::Params;
use crate::channel::{ChannelGroup, Taxonomy};
use crate::decimal::{add_count, count_rate};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::{choice, Record};
use crate::output::{Output, RowCounts};
use crate::partial;
use crate::registry::{Kpi, Partial};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Scale of every conversion rate (half to even).
pub const RATE_SCALE: u32 = 6;

/// Why a rate is absent.
pub const ZERO_DENOMINATOR: &str = "zero_denominator";

/// A count ratio: numerator, denominator and the rate at [`RATE_SCALE`], absent for a zero denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// Converting units.
    pub numerator: u64,
    /// Units at risk of converting.
    pub denominator: u64,
    /// `numerator / denominator` rounded half to even, `None` when the denominator is zero.
    pub rate: Option<Decimal>,
}

impl Ratio {
    /// The ratio of two counts.
    ///
    /// # Example
    /// ```
    /// use omnikpi::conversion::Ratio;
    /// let r = Ratio::new(1, 3).unwrap();
    /// assert_eq!(r.rate.unwrap().to_string(), "0.333333");
    /// assert_eq!(Ratio::new(0, 0).unwrap().rate, None);
    /// ```
    ///
    /// # Errors
    /// `arithmetic_overflow` (not reachable for counts up to 2^53).
    pub fn new(numerator: u64, denominator: u64) -> Result<Self> {
        Ok(Self {
            numerator,
            denominator,
            rate: count_rate(numerator, denominator, RATE_SCALE)?,
        })
    }

    pub(crate) fn fields(
        &self,
        numerator: &'static str,
        denominator: &'static str,
    ) -> Vec<(String, Output)> {
        vec![
            (numerator.to_owned(), self.numerator.into()),
            (denominator.to_owned(), self.denominator.into()),
            ("rate".to_owned(), self.rate.into()),
            (
                "reason".to_owned(),
                self.rate
                    .map_or(Output::from(ZERO_DENOMINATOR), |_| Output::Null),
            ),
        ]
    }
}

fn labelled(label: (&str, &str), ratio: &Ratio, names: (&'static str, &'static str)) -> Output {
    let mut fields = vec![(label.0.to_owned(), Output::from(label.1))];
    fields.extend(ratio.fields(names.0, names.1));
    Output::Record(fields)
}

// ---------------------------------------------------------------- conversion.rate

/// One observation for `conversion.rate`: a channel's opportunities and conversions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelCount {
    /// Channel name.
    pub channel: String,
    /// Units at risk of converting (journeys, sessions, visitors or leads).
    pub opportunities: u64,
    /// Units that converted; never more than `opportunities`.
    pub conversions: u64,
}

/// The result of `conversion.rate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionRate {
    /// What the opportunities count (`journeys`, `sessions`, `visitors`, `leads`).
    pub denominator: String,
    /// All channels together.
    pub overall: Ratio,
    /// Per channel, in order of first appearance; rows of the same channel are summed.
    pub by_channel: Vec<(String, Ratio)>,
    /// Rows read, used, rejected.
    pub rows: RowCounts,
}

/// Conversions / opportunities, overall and per channel.
///
/// # Example
/// ```
/// use omnikpi::conversion::{conversion_rate, ChannelCount};
/// let rows = [
///     ChannelCount { channel: "web".into(), opportunities: 200, conversions: 25 },
///     ChannelCount { channel: "store".into(), opportunities: 0, conversions: 0 },
/// ];
/// let r = conversion_rate(&rows, "sessions").unwrap();
/// assert_eq!(r.overall.rate.unwrap().to_string(), "0.125000");
/// assert_eq!(r.by_channel[1].1.rate, None); // zero denominator: defined, no rate
/// ```
///
/// # Errors
/// `empty_input`, `conversions_exceed_opportunities` (with the row), `value_out_of_range`.
pub fn conversion_rate(rows: &[ChannelCount], denominator: &str) -> Result<ConversionRate> {
    let mut state = RateState::default();
    state.update(rows, 0)?;
    state.finish(denominator)
}

/// The version of the `conversion.rate` and `conversion.funnel` states this release writes.
/// States written before states carried a version read as version 1.
const STATE_VERSION: u32 = 1;

fn first_state_version() -> u32 {
    1
}

/// A `conversion.rate` state on the wire: `{"kpi", "version", "rows", "channels":
/// [[channel, conversions, opportunities]]}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateWire {
    kpi: String,
    #[serde(default = "first_state_version")]
    version: u32,
    rows: u64,
    channels: Vec<(String, u64, u64)>,
}

/// A `conversion.funnel` state on the wire: `{"kpi", "version", "steps", "reached", "events",
/// "rejected"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FunnelWire {
    kpi: String,
    #[serde(default = "first_state_version")]
    version: u32,
    steps: Vec<String>,
    reached: Vec<u64>,
    events: u64,
    rejected: u64,
}

/// A partial `conversion.rate` over part of the rows (a Spark partition, a file, a thread): the
/// sums per channel in order of first appearance and the rows read. States of consecutive parts
/// merge in order; finishing the merged state gives exactly what [`conversion_rate`] gives on
/// all the rows.
///
/// # Example
/// ```
/// use omnikpi::conversion::{conversion_rate, ChannelCount, RateState};
/// let row = |c: &str, o, n| ChannelCount { channel: c.into(), opportunities: o, conversions: n };
/// let rows = [row("web", 10, 1), row("store", 4, 2), row("web", 6, 3)];
/// let (mut a, mut b) = (RateState::default(), RateState::default());
/// a.update(&rows[..1], 0).unwrap();
/// b.update(&rows[1..], 1).unwrap();
/// a.merge(&RateState::from_json(&b.to_json().unwrap()).unwrap()).unwrap();
/// assert_eq!(a.finish("journeys").unwrap(), conversion_rate(&rows, "journeys").unwrap());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateState {
    channels: Vec<(String, u64, u64)>,
    index: BTreeMap<String, usize>,
    rows: u64,
}

impl RateState {
    /// Adds rows; `first_row` is the index of `rows[0]` in the whole input (for error paths).
    ///
    /// # Errors
    /// `conversions_exceed_opportunities` (with the row), `value_out_of_range`.
    pub fn update(&mut self, rows: &[ChannelCount], first_row: usize) -> Result<()> {
        for (i, row) in rows.iter().enumerate() {
            if row.conversions > row.opportunities {
                return Err(KpiError::at(
                    ErrorCode::ConversionsExceedOpportunities,
                    &format!("input.rows[{}].conversions", first_row.saturating_add(i)),
                    format!(
                        "({}) exceeds opportunities ({}): a unit converts at most once",
                        row.conversions, row.opportunities
                    ),
                ));
            }
            self.add(&row.channel, row.conversions, row.opportunities)?;
        }
        self.rows = add_count(self.rows, rows.len() as u64, "rows")?;
        Ok(())
    }

    fn add(&mut self, channel: &str, conversions: u64, opportunities: u64) -> Result<()> {
        let slot = match self.index.get(channel) {
            Some(&slot) => slot,
            None => {
                self.index.insert(channel.to_owned(), self.channels.len());
                self.channels.push((channel.to_owned(), 0, 0));
                self.channels.len().saturating_sub(1) // just pushed: not empty
            }
        };
        let entry = self
            .channels
            .get_mut(slot)
            .ok_or_else(|| KpiError::internal("conversion.rate state index"))?;
        entry.1 = add_count(entry.1, conversions, "conversions")?;
        entry.2 = add_count(entry.2, opportunities, "opportunities")?;
        Ok(())
    }

    /// Adds the state of the rows that follow this state's rows.
    ///
    /// # Errors
    /// `value_out_of_range` when a total no longer fits.
    pub fn merge(&mut self, other: &RateState) -> Result<()> {
        for (channel, conversions, opportunities) in &other.channels {
            self.add(channel, *conversions, *opportunities)?;
        }
        self.rows = add_count(self.rows, other.rows, "rows")?;
        Ok(())
    }

    /// The result over every row added or merged.
    ///
    /// # Errors
    /// `empty_input` when no row was added.
    pub fn finish(&self, denominator: &str) -> Result<ConversionRate> {
        if self.rows == 0 {
            return Err(KpiError::at(
                ErrorCode::EmptyInput,
                "input.rows",
                "must not be empty",
            ));
        }
        let (mut conv, mut opp) = (0u64, 0u64);
        let mut by_channel = Vec::with_capacity(self.channels.len());
        for (channel, n, d) in &self.channels {
            conv = add_count(conv, *n, "conversions")?;
            opp = add_count(opp, *d, "opportunities")?;
            by_channel.push((channel.clone(), Ratio::new(*n, *d)?));
        }
        Ok(ConversionRate {
            denominator: denominator.to_owned(),
            overall: Ratio::new(conv, opp)?,
            by_channel,
            rows: RowCounts {
                read: self.rows,
                used: self.rows,
                rejected: 0,
            },
        })
    }

    /// Puts the channels in name order (byte order), the order of a state merged from parts
    /// without order between them.
    fn sort_by_channel(&mut self) {
        self.channels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        self.index = self
            .channels
            .iter()
            .enumerate()
            .map(|(slot, c)| (c.0.clone(), slot))
            .collect();
    }

    /// The state as JSON, to ship between processes or machines.
    ///
    /// # Errors
    /// `internal_error` if it cannot be written (it always can).
    pub fn to_json(&self) -> Result<Value> {
        partial::write_state(&RateWire {
            kpi: "conversion.rate".to_owned(),
            version: STATE_VERSION,
            rows: self.rows,
            channels: self.channels.clone(),
        })
    }

    /// Reads a state written by [`RateState::to_json`].
    ///
    /// # Errors
    /// `wrong_type` when `state` is not such a state (the message says what failed);
    /// `invalid_parameter` for another state version.
    pub fn from_json(state: &Value) -> Result<Self> {
        let wire: RateWire = partial::read_state("conversion.rate", STATE_VERSION, state)?;
        let mut out = RateState {
            rows: wire.rows,
            ..RateState::default()
        };
        for (c, n, d) in &wire.channels {
            if n > d || out.index.contains_key(c) {
                return Err(partial::malformed(
                    "conversion.rate",
                    &format!("channel `{c}` repeated or with more conversions than opportunities"),
                ));
            }
            out.add(c, *n, *d)?;
        }
        Ok(out)
    }
}

pub(crate) fn read_rate_rows(input: &Value) -> Result<Vec<ChannelCount>> {
    let record = Record::new(input, "input", &["rows"])?;
    record
        .list("rows")?
        .into_iter()
        .map(|(path, v)| {
            let r = Record::new(v, &path, &["channel", "opportunities", "conversions"])?;
            Ok(ChannelCount {
                channel: r.text("channel")?,
                opportunities: r.count("opportunities")?,
                conversions: r.count("conversions")?,
            })
        })
        .collect()
}

/// `conversion.rate` in the registry: evaluated at once or from partial states by rows.
pub(crate) struct RateKpi;

impl Kpi for RateKpi {
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output> {
        let result = conversion_rate(&read_rate_rows(input)?, params.text("denominator"))?;
        Ok(rate_output(&result))
    }

    fn partial(&self) -> Option<&dyn Partial> {
        Some(self)
    }
}

impl Partial for RateKpi {
    fn state(&self, input: &Value, _params: &Params, first_row: usize) -> Result<Value> {
        let mut state = RateState::default();
        state.update(&read_rate_rows(input)?, first_row)?;
        state.to_json()
    }

    fn combine(&self, states: &[Value], params: &Params) -> Result<Output> {
        let mut merged = RateState::default();
        for s in states {
            merged.merge(&RateState::from_json(s)?)?;
        }
        Ok(rate_output(&merged.finish(params.text("denominator"))?))
    }

    /// Sums per channel, channels in name order: a channel's totals do not depend on the split,
    /// and name order replaces the order of first appearance, which rows without order lack.
    fn merge_unordered(&self, states: &[Value]) -> Result<Option<Value>> {
        let mut merged = RateState::default();
        for s in states {
            merged.merge(&RateState::from_json(s)?)?;
        }
        merged.sort_by_channel();
        merged.to_json().map(Some)
    }
}

pub(crate) fn rate_output(result: &ConversionRate) -> Output {
    let names = ("conversions", "opportunities");
    Output::record([
        ("denominator", result.denominator.as_str().into()),
        (
            "overall",
            Output::Record(result.overall.fields(names.0, names.1)),
        ),
        (
            "by_channel",
            Output::List(
                result
                    .by_channel
                    .iter()
                    .map(|(c, r)| labelled(("channel", c), r, names))
                    .collect(),
            ),
        ),
        ("rows", result.rows.into()),
    ])
}

// ---------------------------------------------------------------- conversion.funnel

/// An event for `conversion.funnel` and `conversion.windowed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The entity (customer, session, lead) the event belongs to.
    pub entity: String,
    /// Event name (a funnel step) or group label, depending on the KPI.
    pub name: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// One step of a funnel result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelStep {
    /// Step name.
    pub name: String,
    /// Entities that reached this step.
    pub entities: u64,
    /// Entities reaching this step / entities reaching the previous step.
    pub from_previous: Ratio,
    /// Entities reaching this step / entities entering the funnel.
    pub from_first: Ratio,
}

/// The result of `conversion.funnel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    /// Steps in order.
    pub steps: Vec<FunnelStep>,
    /// Events read; rejected ones name no step.
    pub rows: RowCounts,
}

/// Ordered funnel over events: an entity reaches step k when, after one of its step-1 events,
/// steps 2..k occur in order (equal timestamps keep input order) and step k is at most
/// `window_seconds` after that step-1 event. Each entity counts once, at the deepest step any
/// of its step-1 events leads to.
///
/// # Example
/// ```
/// use omnikpi::conversion::{funnel, Event};
/// let e = |who: &str, step: &str, t: i64| Event { entity: who.into(), name: step.into(), timestamp: t };
/// let events = [e("a", "visit", 0), e("a", "buy", 10), e("b", "visit", 5)];
/// let f = funnel(&["visit".into(), "buy".into()], &events, None).unwrap();
/// assert_eq!(f.steps[1].entities, 1);
/// assert_eq!(f.steps[1].from_previous.rate.unwrap().to_string(), "0.500000");
/// ```
///
/// # Errors
/// `empty_input` (no steps), `duplicate_key` (a step named twice).
pub fn funnel(steps: &[String], events: &[Event], window_seconds: Option<i64>) -> Result<Funnel> {
    let mut state = FunnelState::new(steps)?;
    state.update(events, window_seconds)?;
    state.finish()
}

/// A partial `conversion.funnel` over the events of some entities (a Spark partition holding
/// every event of its entities): entities reaching each step, events read and rejected. States
/// of disjoint sets of entities merge by addition; finishing gives exactly what [`funnel`] gives
/// on all the events. An entity whose events are split between two states would count twice
/// at the first step, so split the events by entity.
///
/// # Example
/// ```
/// use omnikpi::conversion::{funnel, Event, FunnelState};
/// let e = |who: &str, step: &str, t: i64| Event { entity: who.into(), name: step.into(), timestamp: t };
/// let steps = ["visit".to_owned(), "buy".to_owned()];
/// let (a, b) = ([e("a", "visit", 0), e("a", "buy", 10)], [e("b", "visit", 5), e("b", "spam", 6)]);
/// let mut left = FunnelState::new(&steps).unwrap();
/// left.update(&a, None).unwrap();
/// let mut right = FunnelState::new(&steps).unwrap();
/// right.update(&b, None).unwrap();
/// left.merge(&FunnelState::from_json(&right.to_json().unwrap()).unwrap()).unwrap();
/// assert_eq!(left.finish().unwrap(), funnel(&steps, &[a, b].concat(), None).unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunnelState {
    steps: Vec<String>,
    reached: Vec<u64>,
    events: u64,
    rejected: u64,
}

impl FunnelState {
    /// An empty state for the ordered `steps`.
    ///
    /// # Errors
    /// `empty_input` (no steps), `duplicate_key` (a step named twice).
    pub fn new(steps: &[String]) -> Result<Self> {
        if steps.is_empty() {
            return Err(KpiError::at(
                ErrorCode::EmptyInput,
                "input.steps",
                "must not be empty",
            ));
        }
        for (i, s) in steps.iter().enumerate() {
            if steps.iter().take(i).any(|p| p == s) {
                return Err(KpiError::at(
                    ErrorCode::DuplicateKey,
                    &format!("input.steps[{i}]"),
                    format!("repeats step `{s}`"),
                ));
            }
        }
        Ok(Self {
            steps: steps.to_vec(),
            reached: vec![0; steps.len()],
            events: 0,
            rejected: 0,
        })
    }

    /// Adds the events of entities this state has not seen yet: an entity reaches step k when,
    /// after one of its step-1 events, steps 2..k occur in order (equal timestamps keep input
    /// order) and step k is at most `window_seconds` after that step-1 event.
    ///
    /// # Errors
    /// `value_out_of_range` when a count no longer fits.
    pub fn update(&mut self, events: &[Event], window_seconds: Option<i64>) -> Result<()> {
        let mut by_entity: BTreeMap<&str, Vec<(i64, usize)>> = BTreeMap::new();
        let mut rejected = 0u64;
        for e in events {
            match self.steps.iter().position(|s| *s == e.name) {
                Some(step) => by_entity
                    .entry(&e.entity)
                    .or_default()
                    .push((e.timestamp, step)),
                None => rejected = add_count(rejected, 1, "rejected events")?,
            }
        }
        for list in by_entity.values_mut() {
            list.sort_by_key(|(t, _)| *t); // stable: equal timestamps keep input order
            let mut depth = 0usize; // number of steps reached
            for (start, &(t0, step)) in list.iter().enumerate() {
                if step != 0 {
                    continue;
                }
                let mut current = 1usize;
                for &(t, s) in list.iter().skip(start.saturating_add(1)) {
                    if window_seconds.is_some_and(|w| t.saturating_sub(t0) > w) {
                        break;
                    }
                    if s == current {
                        current = current.saturating_add(1); // at most the number of steps
                    }
                }
                depth = depth.max(current);
                // Without a window the earliest start reaches at least as far as any later one
                // (greedy matching over a superset of the same events); with every step reached
                // no start can do better. Either way the rest of the entity's starts add nothing.
                if window_seconds.is_none() || depth == self.steps.len() {
                    break;
                }
            }
            for slot in self.reached.iter_mut().take(depth) {
                *slot = add_count(*slot, 1, "entities")?;
            }
        }
        self.events = add_count(self.events, events.len() as u64, "events")?;
        self.rejected = add_count(self.rejected, rejected, "rejected events")?;
        Ok(())
    }

    /// Adds the state of other entities' events.
    ///
    /// # Errors
    /// `invalid_parameter` when the two states have different steps; `value_out_of_range`.
    pub fn merge(&mut self, other: &FunnelState) -> Result<()> {
        if self.steps != other.steps {
            return Err(KpiError::new(
                ErrorCode::InvalidParameter,
                Some("state".to_owned()),
                "cannot merge funnel states built with different steps",
            ));
        }
        for (mine, theirs) in self.reached.iter_mut().zip(&other.reached) {
            *mine = add_count(*mine, *theirs, "entities")?;
        }
        self.events = add_count(self.events, other.events, "events")?;
        self.rejected = add_count(self.rejected, other.rejected, "rejected events")?;
        Ok(())
    }

    /// The funnel over every event added or merged.
    ///
    /// # Errors
    /// `arithmetic_overflow` (not reachable for counts up to 2^53).
    pub fn finish(&self) -> Result<Funnel> {
        let first = self.reached.first().copied().unwrap_or(0);
        let mut previous = first;
        let mut out = Vec::with_capacity(self.steps.len());
        for (name, &n) in self.steps.iter().zip(&self.reached) {
            out.push(FunnelStep {
                name: name.clone(),
                entities: n,
                from_previous: Ratio::new(n, previous)?,
                from_first: Ratio::new(n, first)?,
            });
            previous = n;
        }
        Ok(Funnel {
            steps: out,
            rows: RowCounts {
                read: self.events,
                used: self.events.saturating_sub(self.rejected),
                rejected: self.rejected,
            },
        })
    }

    /// The state as JSON, to ship between processes or machines.
    ///
    /// # Errors
    /// `internal_error` if it cannot be written (it always can).
    pub fn to_json(&self) -> Result<Value> {
        partial::write_state(&FunnelWire {
            kpi: "conversion.funnel".to_owned(),
            version: STATE_VERSION,
            steps: self.steps.clone(),
            reached: self.reached.clone(),
            events: self.events,
            rejected: self.rejected,
        })
    }

    /// Reads a state written by [`FunnelState::to_json`].
    ///
    /// # Errors
    /// `wrong_type` when `state` is not such a state (the message says what failed);
    /// `invalid_parameter` for another state version.
    pub fn from_json(state: &Value) -> Result<Self> {
        let FunnelWire {
            steps,
            reached,
            events,
            rejected,
            ..
        } = partial::read_state("conversion.funnel", STATE_VERSION, state)?;
        let bad = || partial::malformed("conversion.funnel", "impossible counts");
        let mut out = FunnelState::new(&steps).map_err(|_| bad())?;
        // reached counts never grow along the funnel, and events bound them
        if reached.len() != steps.len()
            || reached.windows(2).any(|w| w.get(1) > w.first())
            || rejected > events
            || reached.first().is_some_and(|&f| f > events)
        {
            return Err(bad());
        }
        out.reached = reached;
        out.events = events;
        out.rejected = rejected;
        Ok(out)
    }
}

fn read_events(record: &Record, key: &str, name_field: Option<&str>) -> Result<Vec<Event>> {
    let allowed: Vec<&str> = ["entity", "timestamp"]
        .into_iter()
        .chain(name_field)
        .collect();
    record
        .list(key)?
        .into_iter()
        .map(|(path, v)| {
            let r = Record::new(v, &path, &allowed)?;
            Ok(Event {
                entity: r.text("entity")?,
                name: match name_field {
                    Some("event") => r.text("event")?,
                    Some(field) => r.opt_text(field)?.unwrap_or_else(|| "(none)".to_owned()),
                    None => String::new(),
                },
                timestamp: r.timestamp("timestamp")?,
            })
        })
        .collect()
}

/// `conversion.funnel` in the registry: evaluated at once or from partial states by entity.
pub(crate) struct FunnelKpi;

impl Kpi for FunnelKpi {
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output> {
        let (steps, events) = read_funnel_input(input)?;
        let result = funnel(&steps, &events, params.integer("window_seconds"))?;
        Ok(funnel_output(&result))
    }

    fn partial(&self) -> Option<&dyn Partial> {
        Some(self)
    }
}

impl Partial for FunnelKpi {
    fn state(&self, input: &Value, params: &Params, _first_row: usize) -> Result<Value> {
        let (steps, events) = read_funnel_input(input)?;
        let mut state = FunnelState::new(&steps)?;
        state.update(&events, params.integer("window_seconds"))?;
        state.to_json()
    }

    fn combine(&self, states: &[Value], _params: &Params) -> Result<Output> {
        let (first, rest) = states
            .split_first()
            .ok_or_else(|| KpiError::at(ErrorCode::EmptyInput, "states", "must not be empty"))?;
        let mut merged = FunnelState::from_json(first)?;
        for s in rest {
            merged.merge(&FunnelState::from_json(s)?)?;
        }
        Ok(funnel_output(&merged.finish()?))
    }
}

pub(crate) fn read_funnel_input(input: &Value) -> Result<(Vec<String>, Vec<Event>)> {
    let record = Record::new(input, "input", &["steps", "events"])?;
    let steps = record
        .list("steps")?
        .into_iter()
        .map(|(path, v)| crate::input::read_text(v, &path))
        .collect::<Result<Vec<_>>>()?;
    Ok((steps, read_events(&record, "events", Some("event"))?))
}

pub(crate) fn funnel_output(result: &Funnel) -> Output {
    let steps = result
        .steps
        .iter()
        .map(|s| {
            Output::record([
                ("step", s.name.as_str().into()),
                ("entities", s.entities.into()),
                ("from_previous", s.from_previous.rate.into()),
                ("from_first", s.from_first.rate.into()),
                (
                    "drop_off",
                    s.from_previous
                        .denominator
                        .saturating_sub(s.entities)
                        .into(),
                ),
                (
                    "reason",
                    s.from_previous
                        .rate
                        .map_or(Output::from(ZERO_DENOMINATOR), |_| Output::Null),
                ),
            ])
        })
        .collect();
    Output::record([("steps", Output::List(steps)), ("rows", result.rows.into())])
}

// ---------------------------------------------------------------- conversion.windowed

/// The result of `conversion.windowed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windowed {
    /// Conversions linked to a base event / base events (may exceed 1, as in MetricFlow).
    pub overall: Ratio,
    /// Per base-event group, in order of first appearance.
    pub by_group: Vec<(String, Ratio)>,
    /// Conversion events with no qualifying base event (counted, not dropped silently).
    pub unmatched_conversions: u64,
    /// Rows read; rejected ones are unmatched conversions.
    pub rows: RowCounts,
}

/// dbt MetricFlow conversion-metric semantics: each conversion event is linked to the closest
/// base event of the same entity with `base <= conversion` and `base > conversion - window`
/// (exclusive lower bound; no window = unbounded), compared at the chosen grain (`second` or
/// `day`: UTC day start). Ties between base events go to the earlier one in input order.
/// The rate is linked conversions / base events, grouped by the base event's group.
///
/// # Example
/// ```
/// use omnikpi::conversion::{windowed, Event};
/// let e = |who: &str, g: &str, t: i64| Event { entity: who.into(), name: g.into(), timestamp: t };
/// let base = [e("bob", "web", 0), e("bob", "app", 100)];
/// let conv = [e("bob", "", 150), e("ann", "", 10)];
/// let w = windowed(&base, &conv, Some(60), "second").unwrap();
/// assert_eq!(w.overall.numerator, 1);        // linked to the app visit at 100
/// assert_eq!(w.unmatched_conversions, 1);    // ann had no base event
/// ```
///
/// # Errors
/// `empty_input` (no base events).
pub fn windowed(
    base: &[Event],
    conversions: &[Event],
    window_seconds: Option<i64>,
    grain: &str,
) -> Result<Windowed> {
    if base.is_empty() {
        return Err(KpiError::at(
            ErrorCode::EmptyInput,
            "input.base_events",
            "must not be empty",
        ));
    }
    // In i128: the start of the day of i64::MIN (a pandas NaT) is below i64::MIN.
    let at_grain = |t: i64| {
        let t = i128::from(t);
        if grain == "day" {
            t.div_euclid(86_400).saturating_mul(86_400)
        } else {
            t
        }
    };
    let mut groups: Vec<String> = Vec::new();
    let mut group_of: Vec<usize> = Vec::with_capacity(base.len());
    let mut by_entity: BTreeMap<&str, Vec<(i128, usize)>> = BTreeMap::new();
    for (i, b) in base.iter().enumerate() {
        let g = groups.iter().position(|g| *g == b.name).unwrap_or_else(|| {
            groups.push(b.name.clone());
            groups.len().saturating_sub(1) // just pushed: not empty
        });
        group_of.push(g);
        by_entity
            .entry(&b.entity)
            .or_default()
            .push((at_grain(b.timestamp), i));
    }
    let mut base_counts = vec![0u64; groups.len()];
    for &g in &group_of {
        if let Some(c) = base_counts.get_mut(g) {
            *c = add_count(*c, 1, "base events")?;
        }
    }
    let mut linked = vec![0u64; groups.len()];
    let mut unmatched = 0u64;
    for c in conversions {
        let tc = at_grain(c.timestamp);
        let best = by_entity.get(c.entity.as_str()).and_then(|list| {
            list.iter()
                .filter(|(tb, _)| {
                    *tb <= tc
                        && window_seconds.is_none_or(|w| *tb > tc.saturating_sub(i128::from(w)))
                })
                // closest: latest timestamp; among equals, the earliest in input order
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
                .copied()
        });
        match best.and_then(|(_, i)| group_of.get(i)) {
            Some(&g) => {
                if let Some(n) = linked.get_mut(g) {
                    *n = add_count(*n, 1, "conversions")?;
                }
            }
            None => unmatched = add_count(unmatched, 1, "unmatched conversions")?,
        }
    }
    let total_linked = linked
        .iter()
        .try_fold(0u64, |acc, n| add_count(acc, *n, "conversions"))?;
    let by_group = groups
        .iter()
        .zip(linked.iter().zip(&base_counts))
        .map(|(g, (&n, &d))| Ok((g.clone(), Ratio::new(n, d)?)))
        .collect::<Result<_>>()?;
    Ok(Windowed {
        overall: Ratio::new(total_linked, base.len() as u64)?,
        by_group,
        unmatched_conversions: unmatched,
        rows: RowCounts::with_rejected(
            base.len().saturating_add(conversions.len()),
            usize::try_from(unmatched).unwrap_or(usize::MAX),
        ),
    })
}

pub(crate) fn evaluate_windowed(input: &Value, params: &Params) -> Result<Output> {
    let record = Record::new(input, "input", &["base_events", "conversion_events"])?;
    let base = read_events(&record, "base_events", Some("group"))?;
    let conversions = read_events(&record, "conversion_events", None)?;
    let grain = choice(params.text("grain"), &["second", "day"], "params.grain")?;
    let result = windowed(&base, &conversions, params.integer("window_seconds"), grain)?;
    let names = ("conversions", "base_events");
    let mut overall = result.overall.fields(names.0, names.1);
    overall.push((
        "unmatched_conversions".to_owned(),
        result.unmatched_conversions.into(),
    ));
    Ok(Output::record([
        ("overall", Output::Record(overall)),
        (
            "by_group",
            Output::List(
                result
                    .by_group
                    .iter()
                    .map(|(g, r)| labelled(("group", g), r, names))
                    .collect(),
            ),
        ),
        ("rows", result.rows.into()),
    ]))
}

// ---------------------------------------------------------------- conversion.cross_channel

/// A touch or a conversion for `conversion.cross_channel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelEvent {
    /// The customer.
    pub customer: String,
    /// The channel, declared in the taxonomy.
    pub channel: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// One direction of `conversion.cross_channel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossChannel {
    /// Assisted conversions / conversions in the target group.
    pub assisted: Ratio,
    /// Per assisting channel (the latest qualifying touch), in taxonomy order.
    pub by_channel: Vec<(String, u64)>,
}

/// Share of conversions in one channel group preceded by a touch from the other group within
/// `lookback_seconds` (`touch <= conversion`, `touch > conversion - lookback`), for both
/// directions: online touch before offline conversion (ROPO) and the reverse (showrooming).
///
/// # Example
/// ```
/// use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
/// use omnikpi::conversion::{cross_channel, ChannelEvent};
/// let tax = Taxonomy::new(vec![
///     Channel { name: "web".into(), group: ChannelGroup::Online, direct: false },
///     Channel { name: "store".into(), group: ChannelGroup::Offline, direct: false },
/// ]).unwrap();
/// let ev = |c: &str, ch: &str, t: i64| ChannelEvent { customer: c.into(), channel: ch.into(), timestamp: t };
/// let (ropo, _) = cross_channel(&tax, &[ev("a", "web", 0)], &[ev("a", "store", 3600), ev("b", "store", 0)], 86_400).unwrap();
/// assert_eq!(ropo.assisted.numerator, 1);
/// assert_eq!(ropo.assisted.denominator, 2);
/// ```
///
/// # Errors
/// `unknown_channel` (with the row).
pub fn cross_channel(
    taxonomy: &Taxonomy,
    touches: &[ChannelEvent],
    conversions: &[ChannelEvent],
    lookback_seconds: i64,
) -> Result<(CrossChannel, CrossChannel)> {
    let mut by_customer: BTreeMap<&str, Vec<(i64, usize, ChannelGroup)>> = BTreeMap::new();
    for (i, t) in touches.iter().enumerate() {
        let group = taxonomy.group(&t.channel, &format!("input.touches[{i}].channel"))?;
        let channel = taxonomy.index(&t.channel).unwrap_or(0);
        by_customer
            .entry(&t.customer)
            .or_default()
            .push((t.timestamp, channel, group));
    }
    let mut directions = [
        (
            ChannelGroup::Offline,
            0u64,
            0u64,
            vec![0u64; taxonomy.len()],
        ),
        (ChannelGroup::Online, 0u64, 0u64, vec![0u64; taxonomy.len()]),
    ];
    for (i, c) in conversions.iter().enumerate() {
        let group = taxonomy.group(&c.channel, &format!("input.conversions[{i}].channel"))?;
        let Some(dir) = directions.iter_mut().find(|d| d.0 == group) else {
            continue;
        };
        dir.1 = add_count(dir.1, 1, "conversions")?;
        let assist = by_customer.get(c.customer.as_str()).and_then(|list| {
            list.iter()
                .filter(|(t, _, g)| {
                    *g != group
                        && *t <= c.timestamp
                        && *t > c.timestamp.saturating_sub(lookback_seconds)
                })
                // the latest touch; among equal timestamps, the earliest in input order
                .enumerate()
                .max_by(|(ia, a), (ib, b)| a.0.cmp(&b.0).then(ib.cmp(ia)))
                .map(|(_, t)| t.1)
        });
        if let Some(channel) = assist {
            dir.2 = add_count(dir.2, 1, "conversions")?;
            if let Some(n) = dir.3.get_mut(channel) {
                *n = add_count(*n, 1, "conversions")?;
            }
        }
    }
    let [offline, online] = directions;
    let build = |(group, total, assisted, per): (ChannelGroup, u64, u64, Vec<u64>)| -> Result<CrossChannel> {
        let other = if group == ChannelGroup::Offline { ChannelGroup::Online } else { ChannelGroup::Offline };
        Ok(CrossChannel {
            assisted: Ratio::new(assisted, total)?,
            by_channel: taxonomy
                .channels()
                .iter()
                .zip(per)
                .filter(|(c, _)| c.group == other)
                .map(|(c, n)| (c.name.clone(), n))
                .collect(),
        })
    };
    Ok((build(offline)?, build(online)?))
}

fn read_channel_events(record: &Record, key: &str) -> Result<Vec<ChannelEvent>> {
    record
        .list(key)?
        .into_iter()
        .map(|(path, v)| {
            let r = Record::new(v, &path, &["customer", "channel", "timestamp"])?;
            Ok(ChannelEvent {
                customer: r.text("customer")?,
                channel: r.text("channel")?,
                timestamp: r.timestamp("timestamp")?,
            })
        })
        .collect()
}

pub(crate) fn evaluate_cross_channel(input: &Value, params: &Params) -> Result<Output> {
    let record = Record::new(input, "input", &["channels", "touches", "conversions"])?;
    let taxonomy = Taxonomy::read(&record, "channels")?;
    let touches = read_channel_events(&record, "touches")?;
    let conversions = read_channel_events(&record, "conversions")?;
    // Declared with a default in the spec, so always present once resolved.
    let lookback =
        crate::catalog::spec_value(params.integer("lookback_seconds"), "lookback_seconds")?;
    let (ropo, reverse) = cross_channel(&taxonomy, &touches, &conversions, lookback)?;
    let direction = |d: &CrossChannel| {
        let mut fields = d.assisted.fields("assisted", "conversions");
        fields.push((
            "by_channel".to_owned(),
            Output::List(
                d.by_channel
                    .iter()
                    .map(|(c, n)| {
                        Output::record([("channel", c.as_str().into()), ("assisted", (*n).into())])
                    })
                    .collect(),
            ),
        ));
        Output::Record(fields)
    };
    Ok(Output::record([
        ("online_to_offline", direction(&ropo)),
        ("offline_to_online", direction(&reverse)),
        (
            "rows",
            RowCounts::all_used(touches.len().saturating_add(conversions.len())).into(),
        ),
    ]))
}
