//! The attribution models and their per-journey weights.

use crate::catalog::{spec_value, Params};
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::{integer_weights, widening_mul};
use rust_decimal::Decimal;

/// An attribution model with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// 100% to the first touch.
    FirstTouch,
    /// 100% to the last touch.
    LastTouch,
    /// 100% to the last touch of a non-direct channel; an all-direct journey credits its last touch.
    LastNonDirect,
    /// Equal credit to every touch.
    Linear,
    /// Weight `2^(-Δt / half-life)`, Δt from the touch to the conversion.
    TimeDecay {
        /// Half-life in seconds.
        half_life_seconds: i64,
    },
    /// First and last touches get fixed weights, the middle touches share the rest.
    PositionBased {
        /// Weight of the first touch (0.4 by default).
        first: Decimal,
        /// Weight of the last touch (0.4 by default).
        last: Decimal,
    },
    /// First, lead-creation and last touches get fixed weights, the others share the rest.
    WShaped {
        /// Weight of the first touch.
        first: Decimal,
        /// Weight of the lead-creation touch.
        lead: Decimal,
        /// Weight of the last touch.
        last: Decimal,
    },
    /// Removal effects of an absorbing Markov chain of order `order`, solved exactly.
    Markov {
        /// Order k >= 1: states are windows of k consecutive channels.
        order: usize,
        /// Collapse consecutive repeats of a channel before building states.
        collapse_repeats: bool,
        /// Largest number of transient states the exact solve accepts.
        max_states: usize,
        /// Report every observed transition.
        transition_matrix: bool,
    },
    /// Zhao et al.'s Shapley value of v(S) = conversions of journeys whose channel set is in S:
    /// each journey's conversions split equally over its distinct channels.
    Shapley,
    /// Zhao's ordered Shapley: each channel's share split over the positions where it occurs.
    ShapleyOrdered,
    /// Shapley value, per converting channel set, of v(S) = conversion rate of journeys whose
    /// channel set is exactly S (exact enumeration).
    ShapleyRate {
        /// Largest channel set the enumeration accepts.
        max_channels: usize,
    },
}

/// The KPI ids of every attribution model, in catalogue order: the registry's models
/// (`attribution.markov_order` chooses an order; it is not a model).
///
/// ```
/// let ids = omnikpi::attribution::model_ids();
/// assert_eq!(ids.first(), Some(&"attribution.first_touch"));
/// assert!(ids.contains(&"attribution.shapley.ordered"));
/// assert!(!ids.contains(&"attribution.markov_order"));
/// ```
pub fn model_ids() -> Vec<&'static str> {
    crate::registry::REGISTRY
        .iter()
        .filter(|e| e.kpi.is_model())
        .map(|e| e.id)
        .collect()
}

const PREFIX: &str = "attribution.";

/// The KPI id of a model named by its short name (`linear`, `shapley.ordered`) or its id, the
/// one rule every front end uses.
///
/// ```
/// use omnikpi::attribution::model_id;
/// assert_eq!(model_id("markov").unwrap(), "attribution.markov");
/// assert_eq!(model_id("attribution.linear").unwrap(), "attribution.linear");
/// assert_eq!(model_id("lineer").unwrap_err().code().as_str(), "unknown_kpi");
/// ```
///
/// # Errors
/// `unknown_kpi` (at `model`) naming the models there are.
pub fn model_id(name: &str) -> Result<&'static str> {
    let wanted = name.trim();
    let short = wanted.strip_prefix(PREFIX).unwrap_or(wanted);
    model_ids()
        .into_iter()
        .find(|id| short_name(id) == short)
        .ok_or_else(|| {
            let known: Vec<&str> = model_ids().into_iter().map(short_name).collect();
            KpiError::new(
                ErrorCode::UnknownKpi,
                Some("model".to_owned()),
                format!(
                    "unknown attribution model `{short}`; the models are {}",
                    known.join(", ")
                ),
            )
        })
}

/// The short name of a model's KPI id: `attribution.linear` → `linear`.
pub fn short_name(id: &str) -> &str {
    id.strip_prefix(PREFIX).unwrap_or(id)
}

/// `1 - Σ parts` for weights [`remainder`] accepted when the model was built (each in 0..=1).
fn rest_of(parts: &[Decimal]) -> Decimal {
    one_minus(parts).unwrap_or_default()
}

fn weight_param(params: &Params, name: &str) -> Result<Decimal> {
    spec_value(params.decimal(name), name)
}

/// `1 - Σ parts`, `None` on overflow.
fn one_minus(parts: &[Decimal]) -> Option<Decimal> {
    parts
        .iter()
        .try_fold(Decimal::ONE, |acc, p| acc.checked_sub(*p))
}

fn remainder(parts: &[Decimal], path: &str) -> Result<Decimal> {
    let rest = one_minus(parts).ok_or_else(|| KpiError::overflow("model weights"))?;
    if rest.is_sign_negative() && !rest.is_zero() {
        return Err(KpiError::at(
            ErrorCode::InvalidParameter,
            path,
            "weights must not add up to more than 1",
        ));
    }
    Ok(rest)
}

impl Model {
    /// The model of KPI `id`, with its parameters resolved from the definition.
    ///
    /// # Errors
    /// `unknown_kpi`, `invalid_parameter`.
    pub fn from_params(id: &str, params: &Params) -> Result<Self> {
        let limit = |name: &str| -> Result<usize> {
            Ok(usize::try_from(spec_value(params.integer(name), name)?).unwrap_or(0))
        };
        Ok(match id {
            "attribution.first_touch" => Model::FirstTouch,
            "attribution.last_touch" => Model::LastTouch,
            "attribution.last_non_direct" => Model::LastNonDirect,
            "attribution.linear" => Model::Linear,
            "attribution.time_decay" => Model::TimeDecay {
                half_life_seconds: spec_value(
                    params.integer("half_life_seconds"),
                    "half_life_seconds",
                )?,
            },
            "attribution.position_based" => {
                let first = weight_param(params, "first_weight")?;
                let last = weight_param(params, "last_weight")?;
                remainder(&[first, last], "params.last_weight")?;
                Model::PositionBased { first, last }
            }
            "attribution.w_shaped" => {
                let first = weight_param(params, "first_weight")?;
                let lead = weight_param(params, "lead_weight")?;
                let last = weight_param(params, "last_weight")?;
                remainder(&[first, lead, last], "params.last_weight")?;
                Model::WShaped { first, lead, last }
            }
            "attribution.markov" => Model::Markov {
                order: limit("order")?,
                collapse_repeats: spec_value(
                    params.boolean("collapse_repeats"),
                    "collapse_repeats",
                )?,
                max_states: limit("max_states")?,
                transition_matrix: spec_value(
                    params.boolean("transition_matrix"),
                    "transition_matrix",
                )?,
            },
            "attribution.shapley" => Model::Shapley,
            "attribution.shapley.ordered" => Model::ShapleyOrdered,
            "attribution.shapley.rate" => Model::ShapleyRate {
                max_channels: limit("max_channels")?,
            },
            other => {
                return Err(KpiError::new(
                    ErrorCode::UnknownKpi,
                    Some("kpi".to_owned()),
                    format!("`{other}` is not an attribution model"),
                ))
            }
        })
    }

    /// The KPI id of the model.
    pub fn id(&self) -> &'static str {
        match self {
            Model::FirstTouch => "attribution.first_touch",
            Model::LastTouch => "attribution.last_touch",
            Model::LastNonDirect => "attribution.last_non_direct",
            Model::Linear => "attribution.linear",
            Model::TimeDecay { .. } => "attribution.time_decay",
            Model::PositionBased { .. } => "attribution.position_based",
            Model::WShaped { .. } => "attribution.w_shaped",
            Model::Markov { .. } => "attribution.markov",
            Model::Shapley => "attribution.shapley",
            Model::ShapleyOrdered => "attribution.shapley.ordered",
            Model::ShapleyRate { .. } => "attribution.shapley.rate",
        }
    }

    /// Integer constants of the weighted models, computed once per run instead of per journey:
    /// position-based `[first, last, middle, 0]`, W-shaped `[first, lead, last, other]`.
    pub(crate) fn prepared(&self) -> [i128; 4] {
        let ints = |ws: &[Decimal]| integer_weights(ws).unwrap_or_default();
        match self {
            Model::PositionBased { first, last } => {
                let w = ints(&[*first, *last, rest_of(&[*first, *last])]);
                [
                    w.first().copied().unwrap_or(1),
                    w.get(1).copied().unwrap_or(1),
                    w.get(2).copied().unwrap_or(0),
                    0,
                ]
            }
            Model::WShaped { first, lead, last } => {
                let w = ints(&[*first, *lead, *last, rest_of(&[*first, *lead, *last])]);
                [
                    w.first().copied().unwrap_or(1),
                    w.get(1).copied().unwrap_or(1),
                    w.get(2).copied().unwrap_or(1),
                    w.get(3).copied().unwrap_or(0),
                ]
            }
            _ => [0; 4],
        }
    }

    /// Integer weights of the touches of one journey for the rule-based models, written into
    /// `out` (Markov and the Shapley variants are handled elsewhere). `direct` flags direct
    /// channels by id; `prepared` comes from [`Model::prepared`].
    pub(crate) fn fill_weights(
        &self,
        prepared: &[i128; 4],
        direct: &[bool],
        channels: &[u16],
        times: &[i64],
        leads: &[bool],
        out: &mut Vec<i128>,
    ) {
        let n = channels.len();
        out.clear();
        out.resize(n, 0);
        let last = n.saturating_sub(1);
        fn set(out: &mut [i128], i: usize, v: i128) {
            if let Some(slot) = out.get_mut(i) {
                // spec weights (at most 1, 28 places) times at most 10^6 touches, two per slot:
                // below 10^35, far from i128's 1.7 * 10^38
                *slot = slot.saturating_add(v);
            }
        }
        match self {
            Model::FirstTouch => set(out, 0, 1),
            Model::LastTouch => set(out, last, 1),
            Model::LastNonDirect => {
                let is_direct = |c: &u16| direct.get(usize::from(*c)).copied().unwrap_or(false);
                set(
                    out,
                    channels.iter().rposition(|c| !is_direct(c)).unwrap_or(last),
                    1,
                );
            }
            Model::Linear => out.iter_mut().for_each(|x| *x = 1),
            Model::TimeDecay { half_life_seconds } => {
                // Relative to the most recent touch, so the newest weighs exactly 1 and nothing
                // underflows to an all-zero journey. libm keeps native and wasm32 bit-identical.
                let newest = times.iter().copied().max().unwrap_or(0);
                let half_life = *half_life_seconds as f64;
                for (slot, t) in out.iter_mut().zip(times) {
                    let age = newest.saturating_sub(*t) as f64;
                    // At most 2^52: through i64, as a float-to-i128 cast is a library call in wasm.
                    *slot = i128::from(
                        (libm::exp2(-age / half_life) * 4_503_599_627_370_496.0).round() as i64,
                    );
                    // 2^52
                }
            }
            Model::PositionBased { .. } => {
                let [first, last_w, middle, _] = *prepared;
                match n {
                    1 => set(out, 0, 1),
                    2 => {
                        set(out, 0, first);
                        set(out, 1, last_w);
                    }
                    _ => {
                        let middles = n.saturating_sub(2) as i128; // n >= 3 here
                                                                   // Weights are spec decimals at most 1 scaled to integers: no overflow.
                        let mul = |a: i128, b: i128| widening_mul(a, b).unwrap_or(i128::MAX);
                        let (first, last_w) = (mul(first, middles), mul(last_w, middles));
                        for (i, slot) in out.iter_mut().enumerate() {
                            *slot = match i {
                                0 => first,
                                i if i == last => last_w,
                                _ => middle,
                            };
                        }
                    }
                }
            }
            Model::WShaped { .. } => {
                let [first, lead, last_w, other] = *prepared;
                let lead_at = leads.iter().position(|l| *l);
                let milestones = [Some(0), lead_at, Some(last)];
                let others = (0..n).filter(|i| !milestones.contains(&Some(*i))).count();
                let scale = others.max(1) as i128;
                for (i, slot) in out.iter_mut().enumerate() {
                    if !milestones.contains(&Some(i)) {
                        *slot = other;
                    }
                }
                for (at, weight) in milestones.iter().zip([first, lead, last_w]) {
                    if let Some(i) = at {
                        set(out, *i, widening_mul(weight, scale).unwrap_or(i128::MAX));
                    }
                }
            }
            Model::Markov { .. }
            | Model::Shapley
            | Model::ShapleyOrdered
            | Model::ShapleyRate { .. } => {}
        }
        if out.iter().all(|x| *x == 0) {
            // Degenerate parameters (all weights zero): equal split rather than nothing.
            out.iter_mut().for_each(|x| *x = 1);
        }
    }
}
