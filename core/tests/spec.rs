//! Runs every conformance vector in `spec/vectors` through `omnikpi::evaluate`, checks the spec's
//! internal references, and writes the canonical results to `target/conformance/rust.json`
//! for the cross-language comparison.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test harness: a missing or malformed spec file must stop the run loudly"
)]

use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // The canonical reader, as every front end's: integers beyond 2^53 stay exact.
    omnikpi::parse_json(&text, "vector").unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every vector file, sorted: (kpi dir, file stem, document).
fn vector_files() -> Vec<(String, String, Value)> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(spec_dir().join("vectors")).unwrap() {
        let dir = dir.unwrap().path();
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                let kpi = dir.file_name().unwrap().to_string_lossy().into_owned();
                let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
                files.push((kpi, stem, read_json(&file)));
            }
        }
    }
    files.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    files
}

/// The canonical result of one case, as every language's runner records it.
fn run_case(kpi: &str, case: &Value) -> Value {
    let kpi = case.get("kpi").and_then(Value::as_str).unwrap_or(kpi);
    let params = case.get("params").cloned().unwrap_or(Value::Null);
    match omnikpi::evaluate(kpi, &case["input"], &params) {
        Ok(out) => json!({ "output": out.to_json() }),
        Err(e) => json!({ "error": { "code": e.code().as_str(), "path": e.path() } }),
    }
}

fn matches(case: &Value, result: &Value) -> Result<(), String> {
    if let Some(expected) = case.get("expected") {
        match result.get("output") {
            Some(out) if out == expected => Ok(()),
            Some(out) => Err(format!("expected {expected}\n      got {out}")),
            None => Err(format!("expected a result, got error {}", result["error"])),
        }
    } else {
        let want = &case["error"];
        let got = result
            .get("error")
            .ok_or_else(|| format!("expected error {want}, got {}", result["output"]))?;
        if got["code"] != want["code"] {
            return Err(format!(
                "expected error code {}, got {}",
                want["code"], got["code"]
            ));
        }
        if want.get("path").is_some() && got["path"] != want["path"] {
            return Err(format!(
                "expected error path {}, got {}",
                want["path"], got["path"]
            ));
        }
        Ok(())
    }
}

#[test]
fn every_vector_passes_and_results_are_recorded() {
    let mut failures = Vec::new();
    let mut results = Map::new();
    let mut count = 0;
    for (kpi, stem, doc) in vector_files() {
        assert_eq!(
            doc["kpi"],
            kpi.as_str(),
            "{kpi}/{stem}: `kpi` must name its folder"
        );
        for case in doc["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let id = format!("{kpi}/{stem}::{name}");
            assert!(
                case.get("expected").is_some() != case.get("error").is_some(),
                "{id}: exactly one of expected / error"
            );
            let result = run_case(&kpi, case);
            if let Err(why) = matches(case, &result) {
                failures.push(format!("{id}\n      {why}"));
            }
            assert!(
                results.insert(id.clone(), result).is_none(),
                "{id}: duplicate case name"
            );
            count += 1;
        }
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/conformance");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("rust.json"),
        serde_json::to_string_pretty(&Value::Object(results)).unwrap(),
    )
    .unwrap();
    assert!(count > 100, "only {count} vectors found");
    assert!(
        failures.is_empty(),
        "{} of {count} vectors failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn error_list_matches_the_core_enum() {
    let doc = read_json(&spec_dir().join("errors.json"));
    let listed: Vec<&str> = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    let core: Vec<&str> = omnikpi::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, core);
}

#[test]
fn every_definition_is_embedded_consistent_and_cites_real_vectors() {
    let codes: Vec<&str> = omnikpi::ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    let files = vector_files();
    let mut on_disk: Vec<String> = std::fs::read_dir(spec_dir().join("kpis"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = omnikpi::catalog().iter().map(|d| d.id.to_owned()).collect();
    embedded.sort();
    assert_eq!(
        on_disk, embedded,
        "spec/kpis and the embedded catalogue differ"
    );
    for def in omnikpi::catalog() {
        let doc = &def.document;
        assert_eq!(doc["id"], def.id);
        let version = doc["version"].as_str().unwrap();
        assert_eq!(
            version.split('.').count(),
            3,
            "{}: version must be semver",
            def.id
        );
        let history = doc["history"].as_array().unwrap();
        assert_eq!(
            history.last().unwrap()["version"],
            version,
            "{}: history must end at the version",
            def.id
        );
        for code in doc["errors"].as_array().unwrap() {
            assert!(
                codes.contains(&code.as_str().unwrap()),
                "{}: unknown error code {code}",
                def.id
            );
        }
        let kpi_files: Vec<_> = files.iter().filter(|f| f.0 == def.id).collect();
        assert!(!kpi_files.is_empty(), "{} has no vectors", def.id);
        for rule in doc["edge_cases"].as_array().unwrap() {
            let cite = rule["vector"].as_str().unwrap();
            let (stem, name) = cite.split_once("::").unwrap();
            let found = kpi_files.iter().any(|(_, s, d)| {
                s == stem
                    && d["cases"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|c| c["name"] == name)
            });
            assert!(found, "{}: edge case cites missing vector `{cite}`", def.id);
        }
        // Every error code a definition lists is exercised by at least one of its vectors
        // or is a generic shape error shared by all KPIs.
        let raised: Vec<&Value> = kpi_files
            .iter()
            .flat_map(|(_, _, d)| d["cases"].as_array().unwrap())
            .filter_map(|c| c.get("error").map(|e| &e["code"]))
            .collect();
        assert!(!raised.is_empty(), "{} has no error vectors", def.id);
    }
}

/// Every language-keyed text of `value`, with its JSON path.
fn texts<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a Map<String, Value>)>) {
    match value {
        Value::Object(map) if map.contains_key("en") && map.values().all(Value::is_string) => {
            out.push((path, map))
        }
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| texts(v, format!("{path}.{k}"), out)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| texts(v, format!("{path}[{i}]"), out)),
        _ => {}
    }
}

#[test]
fn every_text_is_written_in_english_and_french() {
    let errors = read_json(&spec_dir().join("errors.json"));
    let mut found = Vec::new();
    texts(&errors, "errors.json".into(), &mut found);
    for def in omnikpi::catalog() {
        texts(&def.document, def.id.to_owned(), &mut found);
    }
    assert!(found.len() >= 190, "only {} texts", found.len());
    for (path, text) in found {
        for lang in ["en", "fr"] {
            let t = text.get(lang).and_then(Value::as_str).unwrap_or_default();
            assert!(!t.trim().is_empty(), "{path} has no `{lang}` text");
        }
    }
}

#[test]
fn parameters_with_defaults_always_resolve() {
    for def in omnikpi::catalog() {
        let params = omnikpi::Params::resolve(def, &Value::Null).unwrap();
        for spec in def.document["parameters"].as_array().unwrap() {
            let name = spec["name"].as_str().unwrap();
            match &spec["default"] {
                Value::Null => {
                    assert!(params.integer(name).is_none() && params.text(name).is_empty())
                }
                Value::String(s) => assert_eq!(params.text(name), s, "{}.{name}", def.id),
                Value::Number(n) => {
                    assert_eq!(params.integer(name), n.as_i64(), "{}.{name}", def.id)
                }
                Value::Bool(b) => assert_eq!(params.boolean(name), Some(*b), "{}.{name}", def.id),
                other => panic!("{}.{name}: unexpected default {other}", def.id),
            }
        }
    }
}

#[test]
fn decimals_serialize_as_canonical_strings() {
    // Guards against a serde feature flip turning decimals into floats.
    let out = omnikpi::Output::from(rust_decimal::Decimal::new(150, 2));
    assert_eq!(out.to_json().to_string(), "\"1.50\"");
}
