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
use crate::output::Output;
use crate::segment::{assemble, derived_periods, in_segment};
use crate::table::reading::Reading;
use serde_json::{Map, Value};

/// The journeys read from a table: all of them, or cut into segments by the request's `by`
/// (each with its combination of values, in their order).
#[derive(Debug, Clone)]
pub enum Read {
    /// Every journey.
    Whole(JourneyBatch),
    /// The journeys of each combination of the dimensions' values.
    Segments(Vec<(Vec<String>, JourneyBatch)>),
}

/// Accumulated journeys of a table, per segment (the key of every journey's values of `by`;
/// one empty key for a table not cut): a partial state that merges with other parts' of the
/// same table.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    segments: std::collections::BTreeMap<Vec<String>, Accumulator>,
}

impl Parts {
    /// Adds `other`'s journeys, segment by segment.
    ///
    /// # Errors
    /// As [`Accumulator::merge`].
    pub fn merge(&mut self, other: &Parts) -> Result<()> {
        for (key, accumulator) in &other.segments {
            match self.segments.get_mut(key) {
                Some(mine) => mine.merge(accumulator)?,
                None => {
                    self.segments.insert(key.clone(), accumulator.clone());
                }
            }
        }
        Ok(())
    }

    /// The parts as JSON: `{"by": [...], "segments": [[key, accumulator state], ...]}`.
    ///
    /// # Errors
    /// As [`Accumulator::to_json`].
    pub fn to_json(&self, request: &Request) -> Result<Value> {
        let segments = self
            .segments
            .iter()
            .map(|(key, accumulator)| {
                Ok(Value::Array(vec![
                    Value::from(key.clone()),
                    accumulator.to_json()?,
                ]))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(serde_json::json!({"by": request.by, "segments": segments}))
    }
}

impl Read {
    /// How many journeys were read.
    pub fn len(&self) -> usize {
        match self {
            Self::Whole(batch) => batch.len(),
            Self::Segments(segments) => segments.iter().map(|(_, b)| b.len()).sum(),
        }
    }

    /// Whether no journey was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The keys of the options object.
const KEYS: [&str; 11] = [
    "model",
    "channels",
    "currency",
    "params",
    "model_params",
    "lookback_seconds",
    "reading",
    "certify",
    "by",
    "period",
    "time_zone",
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
    /// The table's dimension columns each result is cut by (the KPIs' parameter `by`): the
    /// journeys of each combination of values are a segment.
    pub by: Vec<String>,
    /// With `period` in `by` and a grain (`period`, `time_zone`), the periods each journey's
    /// conversion time falls in, derived as the records' are; `None`: `period` is a column.
    pub periods: Option<crate::incentive::Periods>,
    /// Whether `model` named a list (the result is then a list too).
    several: bool,
}

impl Request {
    /// Reads `{"model": "markov" | ["linear", "markov"], "channels": [...], "currency": "EUR",
    /// "params": {...}, "model_params": {"markov": {...}}, "lookback_seconds": 604800,
    /// "reading": {...}, "certify": true, "by": ["brand"], "period": "month", "time_zone":
    /// "Europe/Paris"}`: `params` go to a single model, `model_params` map short names to
    /// parameters when there are several, `reading` is [`Reading::from_json`]'s object,
    /// `certify` asks for each result's certificate ([`crate::certificate::certify_read`]),
    /// `by`, `period` and `time_zone` cut the table ([`Request::cut`]).
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
        let (by, periods) = cut_of(map)?;
        Ok(Self {
            taxonomy,
            currency,
            specs,
            lookback_seconds,
            reading,
            certify,
            by,
            periods,
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
            by: Vec::new(),
            periods: None,
            several: true,
        }
    }

    /// The request cut as `cut` says: `{"by": [...], "period": grain, "time_zone": zone}`, each
    /// optional, read as the options of [`Request::from_json`] read them (null: not cut).
    ///
    /// # Errors
    /// `wrong_type` for `by` not a list of texts; `invalid_parameter` at `options.time_zone` or
    /// `options.period` for a zone or grain that does not exist.
    pub fn cut(mut self, cut: &Value) -> Result<Self> {
        let (by, periods) = match cut {
            Value::Null => (Vec::new(), None),
            Value::Object(map) => cut_of(map)?,
            other => return Err(crate::input::wrong_type("options.by", "an object", other)),
        };
        self.by = by;
        self.periods = periods;
        Ok(self)
    }

    /// Every model's result over `read`, as its KPI gives it: over all the journeys, or, cut
    /// by `by`, the consolidated total with `by` and one entry per segment (`segments`), as
    /// the records of a KPI's input are cut.
    ///
    /// # Errors
    /// The models' own errors, a segment's naming it.
    pub fn results(&self, read: &Read) -> Result<Vec<Output>> {
        if let Read::Whole(batch) = read {
            return Ok(self
                .run(batch)?
                .iter()
                .map(Attribution::to_output)
                .collect());
        }
        self.finish_parts(&self.accumulate(read)?)
    }

    /// The partial state of `read`: an accumulator per segment (one for the whole when the
    /// table is not cut), to merge with other parts' ([`Parts::merge`]) and finish
    /// ([`Request::finish_parts`]): what a Spark partition sends to the driver.
    ///
    /// # Errors
    /// The models' own errors, a segment's naming it.
    pub fn accumulate(&self, read: &Read) -> Result<Parts> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let mut parts = Parts::default();
        let segments: Vec<(&[String], &JourneyBatch)> = match read {
            Read::Whole(batch) => vec![(&[], batch)],
            Read::Segments(segments) => segments
                .iter()
                .map(|(key, batch)| (key.as_slice(), batch))
                .collect(),
        };
        for (key, batch) in segments {
            let mut accumulator = self.accumulator()?;
            accumulator
                .update_parallel(batch, threads)
                .map_err(|e| in_segment(e, &self.by, key))?;
            parts.segments.insert(key.to_vec(), accumulator);
        }
        Ok(parts)
    }

    /// Parts written by [`Parts::to_json`] under this request, read back.
    ///
    /// # Errors
    /// `invalid_parameter` at `state` for a state of other models, parameters or dimensions.
    pub fn parts_from_json(&self, state: &Value) -> Result<Parts> {
        let refused = |detail: &str| {
            KpiError::new(
                ErrorCode::InvalidParameter,
                Some("state".to_owned()),
                detail,
            )
        };
        if state.get("by") != Some(&Value::from(self.by.clone())) {
            return Err(refused("is the state of a table cut by other dimensions"));
        }
        let mut parts = Parts::default();
        for pair in state
            .get("segments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(key), Some(saved)) = (pair.get(0), pair.get(1)) else {
                return Err(refused("holds a segment that is not [key, state]"));
            };
            let key: Vec<String> = key
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| refused("holds a segment key that is not a list of texts"))?;
            let mut accumulator = self.accumulator()?;
            accumulator.load_json(saved)?;
            parts.segments.insert(key, accumulator);
        }
        Ok(parts)
    }

    /// Every model's result over merged parts, as [`Request::results`] gives it.
    ///
    /// # Errors
    /// The models' own errors, a segment's naming it.
    pub fn finish_parts(&self, parts: &Parts) -> Result<Vec<Output>> {
        let mut whole = self.accumulator()?;
        let mut cut = Vec::with_capacity(parts.segments.len());
        for (key, accumulator) in &parts.segments {
            whole.merge(accumulator)?;
            if !self.by.is_empty() {
                let results = accumulator
                    .finish()
                    .map_err(|e| in_segment(e, &self.by, key))?;
                cut.push((key, results));
            }
        }
        let whole = whole.finish()?;
        if self.by.is_empty() {
            return Ok(whole.iter().map(Attribution::to_output).collect());
        }
        self.specs
            .iter()
            .zip(&whole)
            .enumerate()
            .map(|(m, ((id, _), total))| {
                let segments = cut
                    .iter()
                    .filter_map(|(key, results)| {
                        results.get(m).map(|r| ((*key).clone(), r.to_output()))
                    })
                    .collect();
                let entry = crate::registry::find(id)?;
                let definition = crate::catalog::definition(id)?;
                assemble(entry, definition, total.to_output(), segments, &self.by)
            })
            .collect()
    }

    /// Results of [`Request::results`] as the request asked: one result's JSON, or the list
    /// when `model` named a list.
    ///
    /// # Errors
    /// `internal_error` for a single model without its result.
    pub fn json(&self, results: &[Output]) -> Result<Value> {
        if self.several {
            return Ok(Value::Array(results.iter().map(Output::to_json).collect()));
        }
        results
            .first()
            .map(Output::to_json)
            .ok_or_else(|| KpiError::internal("a run of one model without its result"))
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

/// The dimensions (`by`) and derived periods (`period`, `time_zone`) of an options object.
fn cut_of(map: &Map<String, Value>) -> Result<(Vec<String>, Option<crate::incentive::Periods>)> {
    let by = dimensions(map.get("by"))?;
    let option = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or_default();
    let zone = match option("time_zone") {
        "" => "UTC",
        zone => zone,
    };
    let periods = derived_periods(option("period"), zone, &by, "options")?;
    Ok((by, periods))
}

/// The names of `by`: absent, null or a list of texts.
fn dimensions(by: Option<&Value>) -> Result<Vec<String>> {
    match by {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(names)) => names
            .iter()
            .enumerate()
            .map(|(i, n)| text(n, &format!("by[{i}]")).map(str::to_owned))
            .collect(),
        Some(_) => Err(KpiError::at(
            ErrorCode::WrongType,
            "options.by",
            "must be a list of column names",
        )),
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
