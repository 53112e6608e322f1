//! A pack's report: every KPI on the organization's files (a section each, certified with the
//! pack's fingerprint, or a note when its tables are absent), then every comparison view.

use super::declaration::{Labels, PackKpi};
use super::source::{self, Built};
use super::{comparison, Filter, Pack};
use crate::error::Result;
use crate::Output;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A pack's report, and its computed values typed (decimals as decimals, counts as counts) for
/// front ends with types of their own: each computed section's result, each comparison's cells
/// and total, by key.
#[derive(Debug, Clone)]
pub struct TypedReport {
    /// The report as JSON (`omnikpi report --pack --json`).
    pub json: Value,
    /// Each computed section's result, by the pack KPI's key.
    pub results: BTreeMap<String, Output>,
    /// Each comparison view's cells (rows of columns) and total, by the view's key.
    pub comparisons: BTreeMap<String, (Vec<Vec<Output>>, Output)>,
}

pub(super) fn report(
    pack: &Pack,
    files: &BTreeMap<String, String>,
    filter: &Filter,
) -> Result<TypedReport> {
    let fingerprint = pack.fingerprint();
    let mut computed: Vec<&str> = Vec::new();
    let mut results = BTreeMap::new();
    let mut sections = Vec::new();
    for kpi in &pack.kpis {
        let missing = source::missing_files(pack, kpi, files);
        if !missing.is_empty() {
            sections.push(left_out(pack, kpi, &missing));
            continue;
        }
        if let Some(reason) = source::unfilterable(pack, kpi, files, filter)? {
            sections.push(not_filterable(pack, kpi, &reason));
            continue;
        }
        let input = source::build(pack, kpi, files, filter)?;
        let (json, result) = section(kpi, &input, &fingerprint)?;
        sections.push(json);
        results.insert(kpi.key.clone(), result);
        computed.push(&kpi.key);
    }
    let mut views = Vec::new();
    let mut comparisons = BTreeMap::new();
    for view in &pack.comparisons {
        let kpi = pack.kpis.iter().find(|k| k.key == view.section);
        match kpi.filter(|k| computed.contains(&k.key.as_str())) {
            Some(kpi) => {
                let (json, values) = comparison::view(pack, view, kpi, files, filter)?;
                views.push(json);
                comparisons.insert(view.key.clone(), values);
            }
            None => views.push(
                json!({"key": view.key, "label": view.label, "kpi": view.section,
                                      "note": left_with(pack, &view.section)}),
            ),
        }
    }
    let mut header = header(pack, &fingerprint);
    if let (false, Some(map)) = (filter.is_empty(), header.as_object_mut()) {
        map.insert("filter".into(), filter.to_json());
    }
    let json = json!({
        "pack": header,
        "sections": sections,
        "comparisons": views,
    });
    Ok(TypedReport {
        json,
        results,
        comparisons,
    })
}

fn header(pack: &Pack, fingerprint: &str) -> Value {
    let dimensions: Vec<Value> = pack
        .dimensions
        .iter()
        .map(|d| json!({"name": d.name, "label": d.label}))
        .collect();
    json!({
        "id": pack.id,
        "version": pack.version,
        "name": pack.name,
        "languages": pack.languages,
        "currency": pack.currency,
        "period": pack.period,
        "time_zone": pack.time_zone,
        "fingerprint": fingerprint,
        "dimensions": dimensions,
        "channels": pack.channel_labels,
    })
}

/// The section's JSON and its result, typed.
fn section(kpi: &PackKpi, built: &Built, fingerprint: &str) -> Result<(Value, Output)> {
    let typed = crate::evaluate(kpi.kpi, &built.input, &kpi.params).map_err(|e| built.locate(e))?;
    let result = typed.to_json();
    let certificate = crate::certificate::certificate_in_pack(
        kpi.kpi,
        &built.input,
        &kpi.params,
        &result,
        Some(fingerprint),
    )?;
    let version = crate::definition(kpi.kpi)?.version.clone();
    let rounded = built.conversions;
    let mut section = json!({
        "key": kpi.key,
        "kpi": kpi.kpi,
        "version": version,
        "range": kpi.range,
        "label": kpi.label,
        "by": kpi.by,
        "params": kpi.params,
        "result": result,
        "certificate": certificate,
    });
    if rounded.money_rounded > 0 {
        // float money was rounded as the table declared: counted and reported
        let reading =
            json!({"money_rounded": rounded.money_rounded, "money_changed": rounded.money_changed});
        if let Some(map) = section.as_object_mut() {
            map.insert("reading".into(), reading);
        }
    }
    Ok((section, typed))
}

fn left_out(pack: &Pack, kpi: &PackKpi, missing: &[String]) -> Value {
    left_section(kpi, ("missing", Value::from(missing)), note(pack, missing))
}

/// A section the filter cannot apply to, left out rather than shown unfiltered.
fn not_filterable(pack: &Pack, kpi: &PackKpi, reason: &str) -> Value {
    let note = in_languages(pack, |lang| match lang {
        "fr" => format!("Omis : le filtre ne s'applique pas ({reason})."),
        _ => format!("Left out: the filter does not apply ({reason})."),
    });
    left_section(kpi, ("unfiltered", Value::from(reason)), note)
}

/// A section left out: the KPI's key, id, version, range and label, why (`why`) and its note.
fn left_section(kpi: &PackKpi, why: (&str, Value), note: Labels) -> Value {
    let version = crate::definition(kpi.kpi)
        .map(|d| d.version.clone())
        .unwrap_or_default();
    let mut section = json!({
        "key": kpi.key,
        "kpi": kpi.kpi,
        "version": version,
        "range": kpi.range,
        "label": kpi.label,
    });
    if let Some(map) = section.as_object_mut() {
        map.insert(why.0.to_owned(), why.1);
        map.insert("note".to_owned(), json!(note));
    }
    section
}

/// A text in each of the pack's languages (English where omnikpi has no translation).
fn in_languages(pack: &Pack, text: impl Fn(&str) -> String) -> Labels {
    pack.languages
        .iter()
        .map(|lang| (lang.clone(), text(lang)))
        .collect()
}

/// "Left out: the data has no orders.csv", in each of the pack's languages.
fn note(pack: &Pack, missing: &[String]) -> Labels {
    let list = missing.join(", ");
    in_languages(pack, |lang| match lang {
        "fr" => format!("Omis : les données n'ont pas {list}."),
        _ => format!("Left out: the data has no {list}."),
    })
}

/// "Left out with the section `conversion`", in each of the pack's languages: a view whose
/// section was left out (its files absent, or the filter not applying to them).
fn left_with(pack: &Pack, section: &str) -> Labels {
    in_languages(pack, |lang| match lang {
        "fr" => format!("Omis avec l'indicateur `{section}`."),
        _ => format!("Left out with the section `{section}`."),
    })
}

/// The value of a typed result at `path` (`overall.average`, `channels[channel=web].value`).
pub(super) fn lookup_output<'a>(value: &'a Output, path: &str) -> Option<&'a Output> {
    path.split('.')
        .try_fold(value, |at, step| match step.split_once('[') {
            Some((key, selector)) => {
                let (field, wanted) = selector.strip_suffix(']')?.split_once('=')?;
                let Output::List(items) = at.get(key)? else {
                    return None;
                };
                items.iter().find(
                    |item| matches!(item.get(field), Some(Output::Text(t)) if t.as_str() == wanted),
                )
            }
            None => at.get(step),
        })
}

pub(super) fn verify(
    pack: &Pack,
    certificate: &Value,
    files: &BTreeMap<String, String>,
) -> Result<Value> {
    let wanted = |key: &str| certificate.get(key).cloned().unwrap_or(Value::Null);
    let kpi = pack
        .kpis
        .iter()
        .find(|k| {
            let resolved = crate::definition(k.kpi)
                .and_then(|d| crate::Params::resolve(d, &k.params))
                .map(|p| p.to_json());
            wanted("kpi") == k.kpi && resolved.ok() == Some(wanted("params"))
        })
        .ok_or_else(|| {
            super::invalid(
                "certificate",
                "speaks of no KPI of this pack (no KPI with its id and parameters)",
            )
        })?;
    if let Some(file) = source::missing_files(pack, kpi, files).first() {
        return Err(crate::KpiError::new(
            crate::ErrorCode::InvalidDataset,
            Some(file.clone()),
            format!("the data has no `{file}`, which `{}` reads", kpi.key),
        ));
    }
    let built = source::build(pack, kpi, files, &Filter::default())?;
    let mut out =
        crate::certificate::verify(certificate, &built.input).map_err(|e| built.locate(e))?;
    let fingerprint = pack.fingerprint();
    let certified = wanted("pack");
    let ok = certified.as_str() == Some(fingerprint.as_str());
    if let Some(map) = out.as_object_mut() {
        if let Some(Value::Array(checks)) = map.get_mut("checks") {
            checks.push(
                json!({"check": "pack", "ok": ok, "certified": certified, "found": fingerprint}),
            );
        }
        let confirmed = map.get("confirmed") == Some(&Value::Bool(true)) && ok;
        map.insert("confirmed".into(), Value::Bool(confirmed));
        map.insert("section".into(), Value::from(kpi.key.as_str()));
    }
    Ok(out)
}
