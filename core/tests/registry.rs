//! The registry pairs every definition in spec/kpis with an implementation, and nothing else.

use std::collections::BTreeSet;

#[test]
fn every_spec_file_has_exactly_one_registry_entry() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/kpis");
    let files: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    let ids: Vec<&str> = omnikpi::registry::REGISTRY.iter().map(|e| e.id).collect();
    let unique: BTreeSet<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "an id appears twice in the registry"
    );
    assert_eq!(
        files, unique,
        "spec/kpis and the registry list different KPIs"
    );
}

#[test]
fn every_entry_parses_and_names_itself() {
    for entry in &omnikpi::registry::REGISTRY {
        let doc: serde_json::Value = serde_json::from_str(entry.spec).unwrap();
        assert_eq!(doc["id"], entry.id);
        assert_eq!(omnikpi::definition(entry.id).unwrap().id, entry.id);
    }
    assert_eq!(
        omnikpi::catalog().len(),
        omnikpi::registry::REGISTRY.len(),
        "a definition failed to parse"
    );
}

#[test]
fn partial_states_come_from_the_registry() {
    assert_eq!(
        omnikpi::partial::kpis(),
        ["conversion.rate", "conversion.funnel"]
    );
    let err = omnikpi::partial::state(
        "basket.average",
        &serde_json::json!({}),
        &serde_json::json!(null),
        0,
    )
    .unwrap_err();
    assert_eq!(err.code().as_str(), "invalid_parameter");
    assert!(err.message().contains("conversion.rate, conversion.funnel"));
}
