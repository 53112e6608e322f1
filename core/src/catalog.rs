//! The KPI catalogue, embedded from `spec/kpis/*.json`, and parameter resolution against it.

use crate::error::{ErrorCode, KpiError, Result};
use crate::input::wrong_type;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One KPI definition from `spec/kpis/<id>.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The stable id, e.g. `conversion.rate`.
    pub id: &'static str,
    /// The semver version of the definition.
    pub version: String,
    /// The whole definition as written in the spec.
    pub document: Value,
}

fn definitions() -> &'static [Definition] {
    static PARSED: OnceLock<Vec<Definition>> = OnceLock::new();
    PARSED.get_or_init(|| {
        crate::registry::REGISTRY
            .iter()
            .filter_map(|entry| {
                let id = entry.id;
                let mut document: Value = serde_json::from_str(entry.spec).ok()?;
                crate::segment::extend_definition(&mut document);
                crate::fx::extend_definition(&mut document);
                let version = document.get("version")?.as_str()?.to_owned();
                Some(Definition {
                    id,
                    version,
                    document,
                })
            })
            .collect()
    })
}

/// Every KPI definition, in catalogue order.
///
/// # Example
/// ```
/// let ids: Vec<&str> = omnikpi::catalog().iter().map(|d| d.id).collect();
/// assert!(ids.contains(&"conversion.rate"));
/// assert!(ids.contains(&"money.allocate"));
/// ```
pub fn catalog() -> &'static [Definition] {
    definitions()
}

/// The definition of `id`.
///
/// # Errors
/// `unknown_kpi`.
pub fn definition(id: &str) -> Result<&'static Definition> {
    definitions()
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| unknown_kpi(id))
}

/// The `unknown_kpi` error of `id`, at `kpi`.
pub(crate) fn unknown_kpi(id: &str) -> KpiError {
    KpiError::new(
        ErrorCode::UnknownKpi,
        Some("kpi".to_owned()),
        format!("unknown kpi `{id}` (see catalog() for the known ids)"),
    )
}

/// Parameters resolved against a definition: every declared parameter has its given value,
/// or its default from the spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params {
    values: BTreeMap<String, Value>,
}

/// A parameter's value: given, or the default its spec declares. Defaults live in `spec/` only,
/// so a parameter without one where the code needs one is a spec defect, reported as
/// `internal_error` rather than replaced by a default written in code.
pub(crate) fn spec_value<T>(value: Option<T>, name: &str) -> Result<T> {
    value.ok_or_else(|| KpiError::internal(&format!("parameter `{name}` has no default in spec/")))
}

impl Params {
    /// Parameters given as text (`name`, `value` pairs from a command line or a form), as the
    /// JSON object [`Params::resolve`] checks: typed by each parameter's declaration, text for
    /// `string` and `decimal` (decimals stay exact text), JSON for the others (`30`, `true`,
    /// `[0.4, 0.2]`). A name the definition does not declare is kept as text, so `resolve`
    /// reports it as `unknown_parameter` with the declared names.
    ///
    /// ```
    /// use omnikpi::catalog::Params;
    /// let def = omnikpi::definition("attribution.markov").unwrap();
    /// let given = [("order".to_owned(), "2".to_owned()), ("collapse_repeats".into(), "false".into())];
    /// let params = Params::from_text(def, &given).unwrap();
    /// assert_eq!(params, serde_json::json!({"order": 2, "collapse_repeats": false}));
    /// ```
    ///
    /// # Errors
    /// `invalid_json` (at `params.<name>`) for a value that is not JSON where JSON is due.
    pub fn from_text(definition: &Definition, given: &[(String, String)]) -> Result<Value> {
        let kind = |name: &str| {
            definition
                .document
                .get("parameters")
                .and_then(Value::as_array)
                .and_then(|ps| {
                    ps.iter()
                        .find(|p| p.get("name") == Some(&Value::from(name)))
                })
                .and_then(|p| p.get("type"))
                .and_then(Value::as_str)
        };
        let mut out = Map::new();
        for (name, text) in given {
            let value = match kind(name) {
                Some("string" | "decimal") | None => Value::String(text.clone()),
                Some("strings") if !text.trim_start().starts_with('[') => Value::Array(
                    text.split(',')
                        .map(|name| Value::String(name.trim().to_owned()))
                        .collect(),
                ),
                Some(_) => crate::parse_json(text, &format!("params.{name}"))?,
            };
            out.insert(name.clone(), value);
        }
        Ok(Value::Object(out))
    }

    /// Checks `given` (a JSON object, or null for none) against the definition's
    /// `parameters` and fills in defaults.
    ///
    /// # Errors
    /// `wrong_type`, `unknown_parameter`, `invalid_parameter`.
    pub fn resolve(definition: &Definition, given: &Value) -> Result<Self> {
        let empty = Map::new();
        let given = match given {
            Value::Null => &empty,
            Value::Object(map) => map,
            other => return Err(wrong_type("params", "an object", other)),
        };
        let declared: Vec<&Value> = definition
            .document
            .get("parameters")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let name_of = |p: &Value| {
            p.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        // The unknown name that sorts first, whatever order the host kept the keys in
        // (spec/README.md, Host values).
        if let Some(key) = given
            .keys()
            .filter(|k| !declared.iter().any(|p| name_of(p) == **k))
            .min()
        {
            let names: Vec<String> = declared.iter().map(|p| name_of(p)).collect();
            return Err(KpiError::at(
                ErrorCode::UnknownParameter,
                &format!("params.{key}"),
                format!(
                    "is not a parameter of `{}` (known: {})",
                    definition.id,
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        let mut values = BTreeMap::new();
        for spec in declared {
            let name = name_of(spec);
            let path = format!("params.{name}");
            let value = match given.get(&name) {
                Some(v) if !v.is_null() => {
                    check_parameter(spec, v, &path)?;
                    // Decimals are kept in their canonical text form.
                    match (spec.get("type").and_then(Value::as_str), v) {
                        (Some("decimal"), Value::Number(n)) => Value::String(n.to_string()),
                        _ => v.clone(),
                    }
                }
                _ => spec.get("default").cloned().unwrap_or(Value::Null),
            };
            values.insert(name, value);
        }
        Ok(Self { values })
    }

    /// A string parameter (declared with a default).
    pub fn text(&self, name: &str) -> &str {
        self.values
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Every parameter, defaults included, as a JSON object (absent ones as null).
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.values
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// A list-of-texts parameter (`by`); empty when absent.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.values
            .get(name)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An integer parameter, `None` when absent and without default.
    pub fn integer(&self, name: &str) -> Option<i64> {
        self.values.get(name).and_then(Value::as_i64)
    }

    /// A boolean parameter, `None` when absent and without default.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.values.get(name).and_then(Value::as_bool)
    }

    /// A decimal parameter (written as a decimal string), `None` when absent and without default.
    pub fn decimal(&self, name: &str) -> Option<rust_decimal::Decimal> {
        self.values
            .get(name)
            .and_then(Value::as_str)
            .and_then(|s| crate::decimal::parse_decimal(s, name).ok())
    }
}

fn check_parameter(spec: &Value, value: &Value, path: &str) -> Result<()> {
    let kind = spec.get("type").and_then(Value::as_str).unwrap_or("string");
    match kind {
        "integer" => {
            let n = value
                .as_i64()
                .ok_or_else(|| wrong_type(path, "an integer", value))?;
            let below = spec
                .get("minimum")
                .and_then(Value::as_i64)
                .is_some_and(|m| n < m);
            let above = spec
                .get("maximum")
                .and_then(Value::as_i64)
                .is_some_and(|m| n > m);
            if below || above {
                return Err(KpiError::at(
                    ErrorCode::InvalidParameter,
                    path,
                    format!(
                        "must be between {} and {}, got {n}",
                        spec.get("minimum").map_or("-inf".into(), Value::to_string),
                        spec.get("maximum").map_or("+inf".into(), Value::to_string)
                    ),
                ));
            }
        }
        "boolean" => {
            value
                .as_bool()
                .ok_or_else(|| wrong_type(path, "a boolean", value))?;
        }
        "strings" => check_names(value, path)?,
        "decimal" => {
            let d = crate::input::read_decimal(value, path)?;
            let bound = |key: &str| {
                spec.get(key)
                    .and_then(Value::as_str)
                    .and_then(|b| crate::decimal::parse_decimal(b, key).ok())
            };
            if bound("minimum").is_some_and(|m| d < m) || bound("maximum").is_some_and(|m| d > m) {
                return Err(KpiError::at(
                    ErrorCode::InvalidParameter,
                    path,
                    format!(
                        "must be between {} and {}, got {d}",
                        bound("minimum").map_or("-inf".into(), |m| m.to_string()),
                        bound("maximum").map_or("+inf".into(), |m| m.to_string())
                    ),
                ));
            }
        }
        _ => {
            let s = value
                .as_str()
                .ok_or_else(|| wrong_type(path, "a string", value))?;
            if let Some(choices) = spec.get("enum").and_then(Value::as_array) {
                if !choices.iter().any(|c| c.as_str() == Some(s)) {
                    let list: Vec<&str> = choices.iter().filter_map(Value::as_str).collect();
                    return Err(KpiError::at(
                        ErrorCode::InvalidParameter,
                        path,
                        format!("must be one of {}, got `{s}`", list.join(", ")),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A list of distinct, non-empty texts (the dimension names of `by`).
fn check_names(value: &Value, path: &str) -> Result<()> {
    let items = value
        .as_array()
        .ok_or_else(|| wrong_type(path, "a list of texts", value))?;
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let name = item
            .as_str()
            .ok_or_else(|| wrong_type(&at, "a text", item))?;
        if name.is_empty() {
            return Err(KpiError::at(ErrorCode::InvalidParameter, &at, "is empty"));
        }
        if items.iter().take(i).any(|before| before == item) {
            return Err(KpiError::at(
                ErrorCode::InvalidParameter,
                &at,
                format!("repeats `{name}`"),
            ));
        }
    }
    Ok(())
}

/// Whether `key` is a language tag as the spec uses them (`en`, `fr`, `fr-CA`).
fn is_language_tag(key: &str) -> bool {
    let mut parts = key.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()));
    let region_ok = parts
        .next()
        .is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()));
    lang_ok && region_ok && parts.next().is_none()
}

/// Replaces every language-keyed text (`{"en": ..., "fr": ...}`) by the text in `lang`,
/// falling back from a regional tag to its language (`fr-CA` to `fr`), then to English.
fn localize(value: &Value, lang: &str) -> Value {
    match value {
        Value::Object(map)
            if map.contains_key("en")
                && map.keys().all(|k| is_language_tag(k))
                && map.values().all(Value::is_string) =>
        {
            let base = lang.split('-').next().unwrap_or(lang);
            [lang, base, "en"]
                .iter()
                .find_map(|l| map.get(*l))
                .cloned()
                .unwrap_or(Value::Null)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), localize(v, lang)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| localize(v, lang)).collect()),
        other => other.clone(),
    }
}

/// The catalogue with every text in `lang` (fallback: the base language, then English),
/// so a dashboard in Lyon and one in Montréal show the same KPI with their own labels.
/// Each definition gets a `lang` field naming the requested language.
///
/// # Example
/// ```
/// let fr = omnikpi::catalog::localized_catalog("fr-CA").unwrap();
/// assert_eq!(fr[0]["title"], "Taux de conversion");
/// let en = omnikpi::catalog::localized_catalog("de").unwrap(); // no German yet: English
/// assert_eq!(en[0]["title"], "Conversion rate");
/// ```
///
/// # Errors
/// `invalid_parameter` when `lang` is not a tag like `en`, `fr` or `fr-CA`.
pub fn localized_catalog(lang: &str) -> Result<Value> {
    check_language(lang)?;
    Ok(Value::Array(
        definitions()
            .iter()
            .map(|d| {
                let mut doc = localize(&d.document, lang);
                if let Value::Object(map) = &mut doc {
                    map.insert("lang".to_owned(), Value::String(lang.to_owned()));
                }
                doc
            })
            .collect(),
    ))
}

/// The closed list of error codes with their families and descriptions (`spec/errors.json`),
/// with descriptions in `lang` (same fallback as [`localized_catalog`]).
///
/// # Example
/// ```
/// let errors = omnikpi::catalog::error_list("fr").unwrap();
/// assert_eq!(errors["errors"][0]["code"], "unknown_kpi");
/// assert_eq!(errors["errors"][0]["description"], "L'identifiant de KPI n'est pas au catalogue.");
/// ```
///
/// # Errors
/// `invalid_parameter` for a malformed language tag.
pub fn error_list(lang: &str) -> Result<Value> {
    check_language(lang)?;
    let raw = serde_json::from_str(include_str!("../spec/errors.json")).unwrap_or(Value::Null);
    Ok(localize(&raw, lang))
}

fn check_language(lang: &str) -> Result<()> {
    if is_language_tag(lang) {
        Ok(())
    } else {
        Err(KpiError::at(
            ErrorCode::InvalidParameter,
            "lang",
            format!("must be a language tag such as `en`, `fr` or `fr-CA`, got `{lang}`"),
        ))
    }
}
