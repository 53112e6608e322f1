//! The KPI registry: one table pairing every definition in `spec/kpis/` with its implementation.
//!
//! Evaluation, partial states, the catalogue and the CLI read this table; the bindings' typed
//! functions, result classes and type declarations are generated from it and the spec
//! (`omnikpi surfaces`). Adding a KPI means its spec file, its module and one line here.
//!
//! ```
//! let kpi = omnikpi::registry::find("conversion.rate").unwrap();
//! assert!(kpi.partial().is_some());
//! assert_eq!(omnikpi::registry::REGISTRY.len(), omnikpi::catalog().len());
//! ```

use crate::catalog::Params;
use crate::error::Result;
use crate::output::Output;
use crate::{attribution, basket, contribution, conversion, incentive, lift, money, pickup};
use serde_json::Value;

/// What core needs to compute one KPI.
pub trait Kpi: Sync {
    /// Computes the KPI on `input` (the shape of its vectors) with resolved `params`.
    ///
    /// # Errors
    /// The codes the KPI's definition lists.
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output>;

    /// The KPI's partial states, when it can be computed part by part ([`crate::partial`]).
    fn partial(&self) -> Option<&dyn Partial> {
        None
    }

    /// Computes the KPI on one part of an input cut by `by` ([`crate::segment`]): the same as
    /// [`Kpi::evaluate`], except for KPIs whose records of different segments may repeat a key
    /// (the whole adds up a channel's costs of each brand) or whose segment may lack records of
    /// one list (a brand's spend without journeys).
    ///
    /// # Errors
    /// The codes the KPI's definition lists.
    fn evaluate_cut(&self, input: &Value, params: &Params, cut: Cut) -> Result<Output> {
        let _ = cut;
        self.evaluate(input, params)
    }

    /// The result over all records made of the segments' results, for a KPI whose definition's
    /// total is `consolidated`; `whole` (the KPI on all records) gives the fields the
    /// consolidation keeps as they are and the order of the channels.
    ///
    /// # Errors
    /// `arithmetic_overflow` when a sum leaves the decimal range; `internal_error` for a KPI
    /// without consolidation.
    fn consolidate(&self, whole: &Output, segments: &[&Output]) -> Result<Output> {
        let _ = (whole, segments);
        Err(crate::error::KpiError::internal(
            "a consolidated total for a KPI without consolidation",
        ))
    }

    /// Whether the KPI is an attribution model (run together by `attribute`, compared side by
    /// side); `attribution.markov_order` is an attribution KPI but not a model.
    fn is_model(&self) -> bool {
        false
    }
}

/// Which part of an input cut by `by` a KPI computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// All the records, of every segment.
    Whole,
    /// The records of one segment.
    Segment,
}

/// A KPI computed over parts of its input: each part reduced to a state, the states merged.
pub trait Partial: Sync {
    /// The state of one part; `first_row` is the index of its first row in the whole input.
    ///
    /// # Errors
    /// Everything the KPI's evaluation returns for that part.
    fn state(&self, input: &Value, params: &Params, first_row: usize) -> Result<Value>;

    /// Merges the states in order and finishes the result.
    ///
    /// # Errors
    /// `empty_input` without states, `wrong_type` for a malformed state.
    fn combine(&self, states: &[Value], params: &Params) -> Result<Output>;

    /// Merges the states of parts with no order between them (rows of a SQL table, gathered by
    /// threads) into one state that depends neither on the split nor on the order of the states;
    /// `None` for a KPI whose parts must be split another way (by entity).
    ///
    /// # Errors
    /// `wrong_type` for a malformed state, `value_out_of_range` when a total no longer fits.
    fn merge_unordered(&self, _states: &[Value]) -> Result<Option<Value>> {
        Ok(None)
    }
}

/// A KPI whose implementation is one function of its input and parameters.
struct Function(fn(&Value, &Params) -> Result<Output>);

impl Kpi for Function {
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output> {
        (self.0)(input, params)
    }
}

/// An attribution model, computed by the attribution engine under its KPI id.
struct Model(&'static str);

impl Kpi for Model {
    fn evaluate(&self, input: &Value, params: &Params) -> Result<Output> {
        attribution::evaluate(self.0, input, params)
    }

    fn consolidate(&self, whole: &Output, segments: &[&Output]) -> Result<Output> {
        attribution::consolidate(whole, segments)
    }

    fn is_model(&self) -> bool {
        true
    }
}

/// One row of the registry: the KPI id, its definition's text and its implementation.
pub struct Entry {
    /// The catalogue id, e.g. `conversion.rate`.
    pub id: &'static str,
    /// The text of `spec/kpis/<id>.json`, embedded.
    pub spec: &'static str,
    /// The implementation.
    pub kpi: &'static dyn Kpi,
}

impl Entry {
    /// The implementation's partial states, if any.
    pub fn partial(&self) -> Option<&dyn Partial> {
        self.kpi.partial()
    }
}

macro_rules! entry {
    ($id:literal, $kpi:expr) => {
        Entry {
            id: $id,
            spec: include_str!(concat!("../spec/kpis/", $id, ".json")),
            kpi: &$kpi,
        }
    };
}

/// Every KPI, in catalogue order.
pub static REGISTRY: [Entry; 29] = [
    entry!("conversion.rate", conversion::RateKpi),
    entry!("conversion.funnel", conversion::FunnelKpi),
    entry!(
        "conversion.windowed",
        Function(conversion::evaluate_windowed)
    ),
    entry!(
        "conversion.cross_channel",
        Function(conversion::evaluate_cross_channel)
    ),
    entry!("conversion.lift", Function(lift::evaluate)),
    entry!("basket.average", Function(basket::evaluate_average)),
    entry!(
        "basket.multichannel_uplift",
        Function(basket::evaluate_uplift)
    ),
    entry!("pickup.attach_rate", Function(pickup::evaluate_attach)),
    entry!("money.allocate", Function(money::evaluate_allocate)),
    entry!("attribution.first_touch", Model("attribution.first_touch")),
    entry!("attribution.last_touch", Model("attribution.last_touch")),
    entry!(
        "attribution.last_non_direct",
        Model("attribution.last_non_direct")
    ),
    entry!("attribution.linear", Model("attribution.linear")),
    entry!("attribution.time_decay", Model("attribution.time_decay")),
    entry!(
        "attribution.position_based",
        Model("attribution.position_based")
    ),
    entry!("attribution.w_shaped", Model("attribution.w_shaped")),
    entry!("attribution.markov", Model("attribution.markov")),
    entry!(
        "attribution.markov_order",
        Function(attribution::evaluate_markov_order)
    ),
    entry!("attribution.shapley", Model("attribution.shapley")),
    entry!(
        "attribution.shapley.ordered",
        Model("attribution.shapley.ordered")
    ),
    entry!(
        "attribution.shapley.rate",
        Model("attribution.shapley.rate")
    ),
    entry!("contribution.share", contribution::ShareKpi),
    entry!("contribution.roas", contribution::RoasKpi),
    entry!("contribution.growth", contribution::GrowthKpi),
    entry!("incentives.split", Function(incentive::evaluate_split)),
    entry!("incentives.check", Function(incentive::evaluate_check)),
    entry!("incentives.diff", Function(incentive::evaluate_diff)),
    entry!("incentives.close", Function(incentive::evaluate_close)),
    entry!(
        "incentives.statement",
        Function(incentive::evaluate_statement)
    ),
];

/// The registry entry of `id`.
///
/// # Errors
/// `unknown_kpi`.
pub fn find(id: &str) -> Result<&'static Entry> {
    REGISTRY
        .iter()
        .find(|e| e.id == id)
        .ok_or_else(|| crate::catalog::unknown_kpi(id))
}
