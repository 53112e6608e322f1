//! An attribution request as a front end that holds a touch table hands it over in one JSON
//! object: which models, the channel taxonomy, the currency, how the table is read and each
//! model's parameters. SQL passes it as text (`omnikpi_attribute(..., options)`); the object's
//! keys are the names Python's `attribute()` takes as keyword arguments.
//!
//! ```
//! use serde_json::json;
//! let request = omnikpi::attribution::Request::from_json(&json!({
//!     "model": "linear", "currency": "EUR",
//!     "channels": [{"channel": "web", "group": "online"}],
//!     "reading": {"outcome": "last_touch"},
//! })).unwrap();
//! assert_eq!(request.specs[0].0, "attribution.linear");
//! assert!(omnikpi::attribution::Request::from_json(&json!({"model": "linear"})).is_err());
//! ```

use super::{model_id, run_models, short_name, Accumulator, Attribution, JourneyBatch};
use crate::channel::Taxonomy;
use crate::error::{ErrorCode, KpiError, Result};
use crate::money::Currency;
use crate::table::reading::Reading;
use serde_json::{Map, Value};

/// The keys of the options object.
const KEYS: [&str; 8] = [
    "model",
    "channels",
    "currency",
    "params",
    "model_params",
    "lookback_seconds",
    "reading",
    "certify",
];

/// What to attribute, over which channels and in which currency, read how.
#[derive(Debug, Clone)]
pub struct Request {
    /// The channel taxonomy.
    pub taxonomy: Taxonomy,
    /// The currency of the table's values.
    pub currency: Currency,
    /// `(kpi id, parameters)` per model, in the order asked.
    pub specs: Vec<(String, Value)>,
    /// Touches older than this before a conversion are left out.
    pub lookback_seconds: Option<i64>,
    /// How the touch table is read.
    pub reading: Reading,
    /// Whether each result is to carry its certificate (`"certify": true`; SQL's way to ask).
    pub certify: bool,
    /// Whether `model` named a list (the result is then a list too).
    several: bool,
}

impl Request {
    /// Reads `{"model": "markov" | ["linear", "markov"], "channels": [...], "currency": "EUR",
    /// "params": {...}, "model_params": {"markov": {...}}, "lookback_seconds": 604800,
    /// "reading": {...}, "certify": true}`: `params` go to a single model, `model_params` map
    /// short names to parameters when there are several, `reading` is [`Reading::from_json`]'s
    /// object, `certify` asks for each result's certificate
    /// ([`crate::certificate::certify_read`]).
    ///
    /// # Errors
    /// `missing_field` for `model`, `channels` or `currency`; `unknown_parameter` for another
    /// key; `unknown_kpi` for a model; `wrong_type`; and the errors of the taxonomy, the
    /// currency and the reading. Paths start at `options`.
    pub fn from_json(options: &Value) -> Result<Self> {
        let map = crate::host::options_object(options, "options", &KEYS)?;
        let (models, several) = models(required(map, "model")?)?;
        let taxonomy = Taxonomy::from_json(required(map, "channels")?)?;
        let currency = Currency::lookup(
            text(required(map, "currency")?, "currency")?,
            None,
            "options.currency",
        )?;
        let reading = Reading::from_json(map.get("reading").unwrap_or(&Value::Null))?;
        let lookback_seconds = match map.get("lookback_seconds") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                KpiError::at(
                    ErrorCode::WrongType,
                    "options.lookback_seconds",
                    "must be an integer",
                )
            })?),
        };
        let specs = specs(&models, several, map)?;
        let certify = match map.get("certify") {
            None | Some(Value::Null) => false,
            Some(v) => v.as_bool().ok_or_else(|| {
                KpiError::at(
                    ErrorCode::WrongType,
                    "options.certify",
                    "must be true or false",
                )
            })?,
        };
        Ok(Self {
            taxonomy,
            currency,
            specs,
            lookback_seconds,
            reading,
            certify,
            several,
        })
    }

    /// A request of several models (the result is a list) from its parts, for a front end
    /// that reads its arguments itself (Python's keyword arguments).
    pub fn new(
        taxonomy: Taxonomy,
        currency: Currency,
        specs: Vec<(String, Value)>,
        lookback_seconds: Option<i64>,
        reading: Reading,
    ) -> Self {
        Self {
            taxonomy,
            currency,
            specs,
            lookback_seconds,
            reading,
            certify: false,
            several: true,
        }
    }

    /// The models over `batch`, one result per model in the order asked.
    ///
    /// # Errors
    /// The models' own errors.
    pub fn run(&self, batch: &JourneyBatch) -> Result<Vec<Attribution>> {
        run_models(
            &self.taxonomy,
            &self.currency,
            batch,
            &self.specs,
            self.lookback_seconds,
        )
    }

    /// The models over `batch`: one model's result as its KPI returns it (the output of
    /// `attribution.<model>`), or the list of results when `model` named a list.
    ///
    /// # Errors
    /// The models' own errors.
    pub fn attribute(&self, batch: &JourneyBatch) -> Result<Value> {
        self.output(&self.run(batch)?)
    }

    /// An empty accumulator of the request's models, for journeys that come in parts (each
    /// part's accumulator updated on its own, then merged): the partial state of attribution.
    ///
    /// # Errors
    /// Parameter errors of the models.
    pub fn accumulator(&self) -> Result<Accumulator> {
        Accumulator::for_specs(
            &self.taxonomy,
            &self.currency,
            &self.specs,
            self.lookback_seconds,
        )
    }

    /// The result of an accumulator of this request's models, as [`Request::attribute`] gives
    /// it.
    ///
    /// # Errors
    /// The models' own errors.
    pub fn finish(&self, accumulator: &Accumulator) -> Result<Value> {
        self.output(&accumulator.finish()?)
    }

    /// The models' results as the request asked: one result, or the list when `model` named a
    /// list.
    ///
    /// # Errors
    /// `internal_error` for a single model without its result.
    pub fn output(&self, results: &[Attribution]) -> Result<Value> {
        if self.several {
            return Ok(Value::Array(
                results.iter().map(Attribution::to_json).collect(),
            ));
        }
        results
            .first()
            .map(Attribution::to_json)
            .ok_or_else(|| KpiError::internal("a run of one model without its result"))
    }
}

fn required<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a Value> {
    match map.get(key) {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(KpiError::at(
            ErrorCode::MissingField,
            &format!("options.{key}"),
            "is required",
        )),
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str> {
    value.as_str().ok_or_else(|| {
        KpiError::at(
            ErrorCode::WrongType,
            &format!("options.{key}"),
            "must be text",
        )
    })
}

/// The KPI ids of `model` (a name or a list of names) and whether it was a list.
fn models(model: &Value) -> Result<(Vec<&'static str>, bool)> {
    match model {
        Value::String(name) => Ok((vec![model_id(name)?], false)),
        Value::Array(names) if !names.is_empty() => {
            let ids = names
                .iter()
                .enumerate()
                .map(|(i, n)| model_id(text(n, &format!("model[{i}]"))?))
                .collect::<Result<_>>()?;
            Ok((ids, true))
        }
        _ => Err(KpiError::at(
            ErrorCode::WrongType,
            "options.model",
            "must be a model name or a non-empty list of them",
        )),
    }
}

/// Each model with its parameters: `params` for a single model, `model_params[short name]`
/// for several.
fn specs(
    ids: &[&'static str],
    several: bool,
    map: &Map<String, Value>,
) -> Result<Vec<(String, Value)>> {
    let (key, given) = if several {
        ("model_params", map.get("model_params"))
    } else {
        ("params", map.get("params"))
    };
    let other = if several { "params" } else { "model_params" };
    if map.get(other).is_some_and(|v| !v.is_null()) {
        return Err(KpiError::at(
            ErrorCode::UnknownParameter,
            &format!("options.{other}"),
            format!(
                "is for {}; use `{key}`",
                if several {
                    "a single model"
                } else {
                    "several models"
                }
            ),
        ));
    }
    let given = given.unwrap_or(&Value::Null);
    if !given.is_null() && !given.is_object() {
        return Err(KpiError::at(
            ErrorCode::WrongType,
            &format!("options.{key}"),
            "must be an object",
        ));
    }
    Ok(ids
        .iter()
        .map(|id| {
            let params = if several {
                given.get(short_name(id)).cloned().unwrap_or(Value::Null)
            } else {
                given.clone()
            };
            ((*id).to_owned(), params)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn options() -> Value {
        json!({"model": ["linear", "markov"], "currency": "EUR",
               "channels": [{"channel": "web", "group": "online"}],
               "model_params": {"markov": {"order": 2}}})
    }

    #[test]
    fn several_models_take_their_own_parameters() {
        let request = Request::from_json(&options()).unwrap();
        assert_eq!(
            request.specs[0],
            ("attribution.linear".to_owned(), Value::Null)
        );
        assert_eq!(
            request.specs[1],
            ("attribution.markov".to_owned(), json!({"order": 2}))
        );
    }

    #[test]
    fn mistakes_are_named_at_their_option() {
        let mut bad = options();
        bad["modle"] = json!("x");
        let e = Request::from_json(&bad).unwrap_err();
        assert_eq!(
            (e.code(), e.path()),
            (ErrorCode::UnknownParameter, Some("options.modle"))
        );
        let mut bad = options();
        bad["params"] = json!({"order": 2});
        assert_eq!(
            Request::from_json(&bad).unwrap_err().path(),
            Some("options.params")
        );
        let e = Request::from_json(&json!({"model": "lineer"})).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownKpi);
        let web = json!([{"channel": "web", "group": "online"}]);
        let e = Request::from_json(&json!({"model": "linear", "channels": web})).unwrap_err();
        assert_eq!(
            (e.code(), e.path()),
            (ErrorCode::MissingField, Some("options.currency"))
        );
    }
}
