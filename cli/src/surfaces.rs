//! `omnikpi surfaces`: every binding's KPI surface, generated from the spec and the core's
//! registry, so that adding a KPI means its spec file and its core module, nothing else by hand.
//!
//! Generated: the Python module `omnikpi.kpis` (typed functions, input `TypedDict`s, result
//! classes), and in the npm package the `KPI_FUNCTIONS` table of `api.mjs`, the KPI exports of
//! `node.mjs` and `web.mjs`, and the KPI types of `index.d.ts` (between `surfaces:begin` and
//! `surfaces:end` markers; the rest of those files is written by hand). `--check` fails when a
//! committed file differs from what the spec gives, which `scripts/test.sh` runs.

mod python;
mod typescript;

use serde_json::Value;
use std::path::Path;

/// How the bindings present one KPI (its definition's `surface`), with the definition itself.
pub struct Kpi<'a> {
    /// The definition from `spec/kpis/<id>.json`.
    pub def: &'a Value,
    /// The KPI id.
    pub id: &'a str,
    /// The typed function's snake_case name.
    pub function: &'a str,
    /// The result class or type.
    pub result: &'a str,
    /// Inputs taken by position (Python).
    pub positional: Vec<&'a str>,
    /// The main table's dotted path.
    pub main_table: &'a str,
}

impl<'a> Kpi<'a> {
    fn new(def: &'a Value) -> Result<Self, String> {
        let id = text(def, "id");
        let surface = def
            .get("surface")
            .ok_or_else(|| format!("{id} has no surface"))?;
        Ok(Self {
            def,
            id,
            function: text(surface, "function"),
            result: text(surface, "result"),
            positional: list(surface, "positional")
                .iter()
                .filter_map(Value::as_str)
                .collect(),
            main_table: text(surface, "main_table"),
        })
    }

    /// The JavaScript name of the function.
    pub fn js_function(&self) -> String {
        camel(self.function)
    }

    /// The definition's inputs, parameters or outputs.
    pub fn fields(&self, key: &str) -> &'a [Value] {
        list(self.def, key)
    }

    /// The English text of a localized field of the definition.
    pub fn english(&self, key: &str) -> &'a str {
        english(self.def.get(key))
    }

    /// Derived tables: (name, dotted rows path, outer fields kept).
    pub fn tables(&self) -> Vec<(&'a str, &'a str, Vec<&'a str>)> {
        let surface = &self.def["surface"];
        list(surface, "tables")
            .iter()
            .map(|t| {
                let with = list(t, "with").iter().filter_map(Value::as_str).collect();
                (text(t, "name"), text(t, "rows"), with)
            })
            .collect()
    }
}

/// The string field `key` of `value`, or "".
pub fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The array field `key` of `value`, or an empty slice.
pub fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The English text of a localized object.
pub fn english(value: Option<&Value>) -> &str {
    value
        .and_then(|v| v.get("en"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Whether a field is marked `key: true` (optional, nullable).
pub fn flag(field: &Value, key: &str) -> bool {
    field.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Whether a field has nested record `fields`.
pub fn has_fields(field: &Value) -> bool {
    !list(field, "fields").is_empty()
}

/// The value field of a record input that may also be an object keyed by its `keyed_by` field
/// (`{party: weight}`): the one field that is not the key.
pub fn keyed_value(field: &Value) -> Option<&Value> {
    let key = field.get("keyed_by")?.as_str()?;
    list(field, "fields")
        .iter()
        .find(|f| text(f, "name") != key)
}

/// The quoted values of a parameter's `enum`, in order.
pub fn quoted_choices(param: &Value) -> Vec<String> {
    list(param, "enum")
        .iter()
        .filter_map(Value::as_str)
        .map(|v| format!("{v:?}"))
        .collect()
}

/// The attribution models' short names, quoted, by the core's one rule (`short_name`).
pub fn quoted_models() -> Vec<String> {
    omnikpi::attribution::model_ids()
        .into_iter()
        .map(|id| format!("{:?}", omnikpi::attribution::short_name(id)))
        .collect()
}

/// A JSON default as Python writes it (`null` → `None`, `true` → `True`), for the generated
/// signatures and the handbook.
pub fn python_literal(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

/// `split_incentives` → `splitIncentives`.
pub fn camel(snake: &str) -> String {
    let pascal = pascal(snake);
    let mut chars = pascal.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_lowercase().chain(chars).collect::<String>()
    })
}

/// `base_events` → `BaseEvents`.
pub fn pascal(snake: &str) -> String {
    snake
        .split(['_', '.'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect()
}

/// Every KPI of the catalogue, in catalogue (registry) order.
///
/// # Errors
/// A definition without a surface.
pub fn kpis() -> Result<Vec<Kpi<'static>>, String> {
    omnikpi::catalog()
        .iter()
        .map(|d| Kpi::new(&d.document))
        .collect()
}

/// One generated text: a whole file, or the block between markers in a hand-written file.
pub struct Output {
    /// Path from the repository root.
    pub path: &'static str,
    /// The generated text.
    pub text: String,
    /// The comment that opens a line in that language (blocks only).
    pub block: Option<&'static str>,
}

/// Everything `omnikpi surfaces` writes.
///
/// # Errors
/// A definition the generator cannot express (reported with its id).
pub fn outputs() -> Result<Vec<Output>, String> {
    let kpis = kpis()?;
    Ok(vec![
        Output {
            path: "bindings-python/python/omnikpi/kpis.py",
            text: python::module(&kpis)?,
            block: None,
        },
        Output {
            path: "bindings-python/python/omnikpi/__init__.py",
            text: python::package_exports(&kpis),
            block: Some("#"),
        },
        Output {
            path: "bindings-wasm/js/api.mjs",
            text: typescript::function_table(&kpis),
            block: Some("//"),
        },
        Output {
            path: "bindings-wasm/js/node.mjs",
            text: typescript::node_exports(&kpis),
            block: Some("//"),
        },
        Output {
            path: "bindings-wasm/js/web.mjs",
            text: typescript::web_exports(&kpis),
            block: Some("//"),
        },
        Output {
            path: "bindings-wasm/js/index.d.ts",
            text: typescript::declarations(&kpis)?,
            block: Some("//"),
        },
    ])
}

const BEGIN: &str = "surfaces:begin (generated by `omnikpi surfaces` from spec/kpis: do not edit)";
const END: &str = "surfaces:end";

/// The new content of `path` given its current `old` content.
fn render(output: &Output, old: &str) -> Result<String, String> {
    let Some(comment) = output.block else {
        return Ok(output.text.clone());
    };
    let begin = format!("{comment} {BEGIN}\n");
    let end = format!("{comment} {END}\n");
    let start = old
        .find(&begin)
        .ok_or_else(|| format!("{} has no `{}` marker", output.path, begin.trim_end()))?;
    let stop = old[start..]
        .find(&end)
        .map(|i| start + i)
        .ok_or_else(|| format!("{} has no `{}` marker", output.path, end.trim_end()))?;
    Ok(format!(
        "{}{begin}{}{}",
        &old[..start],
        output.text,
        &old[stop..]
    ))
}

/// Writes every generated surface under `root`, or with `check` only compares: returns the
/// paths that differ from what the spec gives.
///
/// # Errors
/// An unreadable or unwritable file, a missing marker.
pub fn run(root: &Path, check: bool) -> Result<Vec<&'static str>, String> {
    let mut drifted = Vec::new();
    for output in outputs()? {
        let path = root.join(output.path);
        let old = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(_) if output.block.is_none() => String::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let new = render(&output, &old)?;
        if new != old {
            drifted.push(output.path);
            if !check {
                std::fs::write(&path, new)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
    }
    Ok(drifted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert_between_cases() {
        assert_eq!(camel("split_incentives"), "splitIncentives");
        assert_eq!(camel("attribution_w_shaped"), "attributionWShaped");
        assert_eq!(pascal("base_events"), "BaseEvents");
    }

    #[test]
    fn a_block_is_replaced_between_its_markers_only() {
        let output = Output {
            path: "x.mjs",
            text: "new\n".into(),
            block: Some("//"),
        };
        let old = format!("a\n// {BEGIN}\nold\n// {END}\nb\n");
        assert_eq!(
            render(&output, &old).unwrap(),
            format!("a\n// {BEGIN}\nnew\n// {END}\nb\n")
        );
        assert!(render(&output, "no markers").is_err());
    }

    #[test]
    fn every_kpi_of_the_catalogue_has_a_surface() {
        let kpis = kpis().unwrap();
        assert_eq!(kpis.len(), omnikpi::catalog().len());
        assert!(kpis
            .iter()
            .all(|k| !k.function.is_empty() && !k.result.is_empty()));
    }
}

#[cfg(test)]
mod drift {
    /// The committed surfaces are what the spec gives: edit the spec and run `omnikpi surfaces`.
    #[test]
    fn committed_surfaces_match_the_spec() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let drifted = super::run(&root, true).unwrap();
        assert!(
            drifted.is_empty(),
            "out of date (run `omnikpi surfaces`): {drifted:?}"
        );
    }
}
