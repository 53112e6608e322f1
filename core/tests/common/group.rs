//! The group sample (`examples/group`) for the pack tests: its folder, its pack, a report's
//! section by key.

use serde_json::Value;
use std::path::PathBuf;

/// `examples/group`.
pub fn group_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/group")
}

/// `examples/group/pack.json` as JSON.
pub fn group_pack() -> Value {
    let text = std::fs::read_to_string(group_dir().join("pack.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The section `key` of a pack's report.
pub fn section<'a>(report: &'a Value, key: &str) -> &'a Value {
    let sections = report["sections"].as_array().unwrap();
    sections.iter().find(|s| s["key"] == key).unwrap()
}
