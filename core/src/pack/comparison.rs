//! A comparison view: one value of a pack KPI for every combination of two dimensions, side by
//! side (brands down, countries across). Each cell is the KPI computed on that combination's
//! records, so a rate is the cell's own rate, never an average of rates.

use super::declaration::{with_dimensions, Comparison, Labels, PackKpi};
use super::report::lookup_output;
use super::source;
use super::{Filter, Pack};
use crate::error::Result;
use crate::Output;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A view's values, typed: each row's cells (one per column, null where the combination has no
/// records) and the total.
pub(super) type Values = (Vec<Vec<Output>>, Output);

/// The view's JSON and its values, typed.
pub(super) fn view(
    pack: &Pack,
    view: &Comparison,
    kpi: &PackKpi,
    files: &BTreeMap<String, String>,
    filter: &Filter,
) -> Result<(Value, Values)> {
    let by = vec![view.rows.clone(), view.columns.clone()];
    let locked = kpi.params.as_object().cloned().unwrap_or_default();
    let crossed = PackKpi {
        params: with_dimensions(locked, &by, pack),
        by,
        ..kpi.clone()
    };
    // the records carry the view's two dimensions (not the section's)
    let built = source::build(pack, &crossed, files, filter)?;
    let result =
        crate::evaluate(kpi.kpi, &built.input, &crossed.params).map_err(|e| built.locate(e))?;
    let segments = match result.get("segments") {
        Some(Output::List(segments)) => segments.as_slice(),
        _ => &[],
    };
    let key = |s: &Output, d: &str| match s.get("key").and_then(|k| k.get(d)) {
        Some(Output::Text(text)) => text.clone(),
        _ => String::new(),
    };
    let mut rows: Vec<String> = segments.iter().map(|s| key(s, &view.rows)).collect();
    let mut columns: Vec<String> = segments.iter().map(|s| key(s, &view.columns)).collect();
    rows.dedup();
    columns.sort();
    columns.dedup();
    let cells: Vec<Vec<Output>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    segments
                        .iter()
                        .find(|s| key(s, &view.rows) == *r && key(s, &view.columns) == *c)
                        .and_then(|s| lookup_output(s, &view.value))
                        .cloned()
                        .unwrap_or(Output::Null)
                })
                .collect()
        })
        .collect();
    let total = lookup_output(&result, &view.value)
        .cloned()
        .unwrap_or(Output::Null);
    let json_cells: Vec<Vec<Value>> = cells
        .iter()
        .map(|row| row.iter().map(Output::to_json).collect())
        .collect();
    let json = json!({
        "key": view.key,
        "label": view.label,
        "kpi": view.section,
        "value": view.value,
        "rows": {"dimension": view.rows, "label": dimension_label(pack, &view.rows), "keys": rows},
        "columns": {"dimension": view.columns, "label": dimension_label(pack, &view.columns), "keys": columns},
        "cells": json_cells,
        "total": total.to_json(),
    });
    Ok((json, (cells, total)))
}

fn dimension_label(pack: &Pack, name: &str) -> Labels {
    match pack.dimensions.iter().find(|d| d.name == name) {
        Some(d) => d.label.clone(),
        None => pack
            .languages
            .iter()
            .map(|l| {
                let text = if l == "fr" { "Période" } else { "Period" };
                (l.clone(), text.to_owned())
            })
            .collect(),
    }
}
