//! The npm package's KPI surface: the function table, the Node and browser exports and the
//! TypeScript declarations.

use super::{
    english, flag, has_fields, keyed_value, list, pascal, quoted_choices, quoted_models, text, Kpi,
};
use serde_json::Value;
use std::fmt::Write;

/// `KPI_FUNCTIONS` in api.mjs: KPI id → function name.
pub fn function_table(kpis: &[Kpi]) -> String {
    let mut out =
        String::from("/** KPI ids and the camelCase name of their typed function. */\nexport const KPI_FUNCTIONS = {\n");
    for k in kpis {
        let _ = writeln!(out, "  {:?}: {:?},", k.id, k.js_function());
    }
    out.push_str("};\n");
    out
}

/// The KPI functions node.mjs exports from the API object.
pub fn node_exports(kpis: &[Kpi]) -> String {
    let mut out = String::from("export const {\n");
    for k in kpis {
        let _ = writeln!(out, "  {},", k.js_function());
    }
    out.push_str("} = api;\n");
    out
}

/// The KPI functions web.mjs exports, each waiting for `init()`.
pub fn web_exports(kpis: &[Kpi]) -> String {
    let mut out = String::new();
    for k in kpis {
        let f = k.js_function();
        let _ = writeln!(out, "export const {f} = (...a) => ready().{f}(...a);");
    }
    out
}

fn scalar_input(kind: &str) -> &'static str {
    match kind {
        "string" => "string",
        "count" | "integer" => "number | bigint",
        "decimal" | "money" => "DecimalInput",
        "timestamp" => "Timestamp",
        "boolean" => "boolean",
        "policy" => "IncentivePolicy | IncentivePolicy[]",
        _ => "unknown",
    }
}

/// An input field's type; records nested in it are declared before `out`'s current interface.
fn input_type(decls: &mut String, row: &str, field: &Value) -> String {
    match text(field, "type") {
        "array" if has_fields(field) => {
            record(decls, row, field, text(field, "name"));
            match keyed_value(field).map(|v| scalar_input(text(v, "type"))) {
                Some(value) => format!("{row}[] | Record<string, {value}>"),
                None => format!("{row}[]"),
            }
        }
        "array" => format!("{}[]", scalar_input(text(field, "items"))),
        "object" => "Record<string, unknown>".to_owned(),
        other => scalar_input(other).to_owned(),
    }
}

/// An interface for the records of `field`.
fn record(decls: &mut String, name: &str, field: &Value, of: &str) {
    let mut body = String::new();
    for f in list(field, "fields") {
        let key = text(f, "name");
        let nested = format!("{}{}Row", name.trim_end_matches("Row"), pascal(key));
        let ty = input_type(decls, &nested, f);
        let opt = if flag(f, "optional") { "?" } else { "" };
        let _ = writeln!(body, "  {key}{opt}: {ty};");
    }
    let decl = format!("/** A row of `{of}`. */\nexport interface {name} {{\n{body}}}\n");
    if !decls.contains(&decl) {
        decls.push_str(&decl);
    }
}

fn output_type(field: &Value, indent: &str) -> String {
    let ty = match text(field, "type") {
        "string" if field.get("values").is_some() => list(field, "values")
            .iter()
            .map(|v| format!("\"{}\"", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" | "),
        "string" => "string".to_owned(),
        "count" | "integer" => "number".to_owned(),
        "decimal" | "money" => "DecimalString".to_owned(),
        "boolean" => "boolean".to_owned(),
        "array" if has_fields(field) => format!("{}[]", shape(field, indent)),
        "array" => format!("{}[]", scalar_input(text(field, "items"))),
        _ if has_fields(field) => shape(field, indent),
        _ => "Record<string, unknown>".to_owned(),
    };
    if flag(field, "nullable") {
        format!("{ty} | null")
    } else {
        ty
    }
}

/// An object type literal of the fields of an output.
fn shape(field: &Value, indent: &str) -> String {
    let inner = format!("{indent}  ");
    let mut out = String::from("{\n");
    for f in list(field, "fields") {
        let opt = if flag(f, "optional") { "?" } else { "" };
        let _ = writeln!(
            out,
            "{inner}{}{opt}: {};",
            text(f, "name"),
            output_type(f, &inner)
        );
    }
    let _ = write!(out, "{indent}}}");
    out
}

/// The declarations of every KPI: input, parameter and result types, and functions.
pub fn declarations(kpis: &[Kpi]) -> Result<String, String> {
    let mut out = String::new();
    let mut results: Vec<&str> = Vec::new();
    for kpi in kpis {
        if results.contains(&kpi.result) {
            continue;
        }
        results.push(kpi.result);
        let sharing: Vec<&Kpi> = kpis.iter().filter(|k| k.result == kpi.result).collect();
        types(&mut out, kpi, &sharing)?;
    }
    let models = quoted_models();
    let _ = writeln!(
        out,
        "/** Short names of the attribution models. */\nexport type AttributionModel = {};\n",
        models.join(" | ")
    );
    for kpi in kpis {
        let _ = writeln!(
            out,
            "/** {} (KPI `{}` {}): {} */\nexport declare function {}(input: {r}Input, params?: {r}Params): Certified<{r}Result>;",
            kpi.english("title"),
            kpi.id,
            text(kpi.def, "version"),
            kpi.english("summary"),
            kpi.js_function(),
            r = kpi.result,
        );
    }
    Ok(out)
}

/// `<R>Input`, `<R>Params` and `<R>Result` of the KPIs sharing result `R`.
fn types(out: &mut String, kpi: &Kpi, sharing: &[&Kpi]) -> Result<(), String> {
    let r = kpi.result;
    let first = kpi.fields("inputs");
    if sharing.iter().any(|k| k.fields("inputs") != first) {
        return Err(format!("the KPIs sharing result {r} have different inputs"));
    }
    let mut decls = String::new();
    let mut body = String::new();
    for f in first {
        let key = text(f, "name");
        let ty = input_type(&mut decls, &format!("{r}{}Row", pascal(key)), f);
        let opt = if flag(f, "optional") { "?" } else { "" };
        let _ = writeln!(
            body,
            "  /** {} */\n  {key}{opt}: {ty};",
            english(f.get("description"))
        );
    }
    out.push_str(&decls);
    let _ = writeln!(out, "export interface {r}Input {{\n{body}}}");
    let mut params: Vec<&Value> = Vec::new();
    for p in sharing.iter().flat_map(|k| k.fields("parameters")) {
        if !params.iter().any(|q| text(q, "name") == text(p, "name")) {
            params.push(p);
        }
    }
    let _ = writeln!(out, "export interface {r}Params {{");
    for p in params {
        let _ = writeln!(
            out,
            "  /** {} */\n  {}?: {} | null;",
            english(p.get("description")),
            text(p, "name"),
            parameter_type(p)
        );
    }
    let _ = writeln!(out, "}}\nexport interface {r}Result {{");
    let mut names: Vec<&str> = Vec::new();
    for f in sharing.iter().flat_map(|k| k.fields("outputs")) {
        let name = text(f, "name");
        if names.contains(&name) {
            continue;
        }
        names.push(name);
        let everywhere = sharing.iter().all(|k| {
            k.fields("outputs")
                .iter()
                .any(|g| text(g, "name") == name && !flag(g, "optional"))
        });
        let opt = if everywhere { "" } else { "?" };
        let _ = writeln!(
            out,
            "  /** {} */\n  {name}{opt}: {};",
            english(f.get("description")),
            output_type(f, "  ")
        );
    }
    out.push_str("}\n\n");
    Ok(())
}

fn parameter_type(param: &Value) -> String {
    let values = quoted_choices(param);
    if !values.is_empty() {
        return values.join(" | ");
    }
    match text(param, "type") {
        "integer" => "number | bigint",
        "boolean" => "boolean",
        "decimal" => "DecimalInput",
        "strings" => "readonly string[]",
        _ => "string",
    }
    .to_owned()
}
