//! Incentive policies as files: JSON (one policy or a history of versions) or a workbook that
//! finance edits (`omnikpi incentives policy` converts either way), read by the core's rules.

use crate::{io_error, pretty, read_text, report, write_file};
use omnikpi::incentive::policy_workbook;
use omnikpi::KpiError;
use serde_json::Value;
use std::path::Path;

/// The policy in `path`: a workbook (.xlsx, .xls, .ods) read sheet by sheet and checked, with
/// errors at sheet, row and column; otherwise JSON.
pub(crate) fn read(path: &Path, name: &str) -> Result<Value, KpiError> {
    let file = path.display().to_string();
    if omnikpi::table::xlsx::is_workbook(&file) {
        let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
        return policy_workbook::read(&bytes, &file);
    }
    omnikpi::parse_json(&read_text(path)?, name)
}

/// `omnikpi incentives policy`: the policy checked, then written as a workbook, as JSON, or
/// (with neither) printed as JSON.
pub(crate) fn convert(
    policy: &Path,
    xlsx: Option<&Path>,
    json: Option<&Path>,
) -> Result<String, KpiError> {
    let value = read(policy, "policy")?;
    omnikpi::incentive::History::read(&value, "policy")?;
    let mut written = Vec::new();
    if let Some(out) = xlsx {
        let book = report::workbook(&policy_workbook::tables(&value)?)?;
        std::fs::write(out, book).map_err(|e| io_error(out, &e))?;
        written.push(out.display().to_string());
    }
    if let Some(out) = json {
        write_file(out, &pretty(&value))?;
        written.push(out.display().to_string());
    }
    Ok(if written.is_empty() {
        pretty(&value)
    } else {
        format!("policy checked; written to {}", written.join(" and "))
    })
}
