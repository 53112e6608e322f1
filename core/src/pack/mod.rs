//! KPI packs: what an organization declares once — its name and languages, the KPIs it uses
//! (canonical id, version range, locked parameters, its own labels), its channels, its
//! dimensions, its period grain and time zone, its reporting currency and FX table, and how its
//! own tables map onto omnikpi's inputs — and the report computed from them ([`Pack::report`]).
//! The format is `spec/schema/pack.schema.json`; every front end hands core the pack's JSON and
//! the data's files, so the report is the same in each.
//!
//! ```
//! use serde_json::json;
//! let pack = omnikpi::pack::Pack::from_json(&json!({
//!     "format": "omnikpi.pack/1", "id": "demo", "version": "1.0.0",
//!     "name": {"en": "Demo"}, "languages": ["en"], "currency": "EUR",
//!     "dimensions": [{"name": "brand", "label": {"en": "Brand"}}],
//!     "tables": {"orders": {"file": "orders.csv"}},
//!     "kpis": [{"key": "basket", "kpi": "basket.average", "version": "^1.1",
//!               "label": {"en": "Average basket"}, "by": ["brand"],
//!               "inputs": {"orders": "orders"}}]
//! })).unwrap();
//! let files = [("orders.csv".to_owned(), "channel,amount,brand\nweb,10.00,A\nweb,20.00,B\n".to_owned())];
//! let report = pack.report(&files.into_iter().collect()).unwrap();
//! assert_eq!(report["sections"][0]["result"]["overall"]["average"], "15.00");
//! assert_eq!(report["sections"][0]["result"]["segments"][1]["key"]["brand"], "B");
//! ```

mod comparison;
mod data_file;
mod declaration;
pub mod export;
mod filter;
pub mod html;
mod report;
mod source;

pub use data_file::DataFile;
pub use declaration::{Comparison, Dimension, InputSource, Labels, PackKpi, TableSource};
pub use filter::Filter;
pub use report::TypedReport;

use crate::error::{ErrorCode, KpiError, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// The format a pack declares in `format`.
pub const FORMAT: &str = "omnikpi.pack/1";

/// A parsed and checked KPI pack.
#[derive(Debug, Clone)]
pub struct Pack {
    /// The pack as written.
    pub document: Value,
    /// The organization's id for the pack.
    pub id: String,
    /// The pack's own version.
    pub version: String,
    /// The organization's name, per language.
    pub name: Labels,
    /// The languages of every label, the first the default.
    pub languages: Vec<String>,
    /// The reporting currency.
    pub currency: String,
    /// The period grain (`day`, `iso_week`, `month`, `quarter`), when declared.
    pub period: Option<String>,
    /// The time zone of periods, when declared.
    pub time_zone: Option<String>,
    /// The FX table's declaration (the `fx` input without its rates), when declared.
    pub fx: Option<Value>,
    /// The channel taxonomy (the `channels` input of the KPIs that take one).
    pub channels: Vec<Value>,
    /// Each channel's labels.
    pub channel_labels: BTreeMap<String, Labels>,
    /// The dimensions, in declaration order.
    pub dimensions: Vec<Dimension>,
    /// The organization's tables, by name.
    pub tables: BTreeMap<String, TableSource>,
    /// The KPIs, in report order.
    pub kpis: Vec<PackKpi>,
    /// The comparison views, in report order.
    pub comparisons: Vec<Comparison>,
}

impl Pack {
    /// Parses and checks a pack: its shape, that every label has every language, that every
    /// KPI exists in a version within the declared range and takes the parameters locked for
    /// it, that every input is mapped, and that tables, dimensions and comparisons name what the
    /// pack declares.
    ///
    /// # Errors
    /// `invalid_pack` at `pack.<field>` for all of these; the parameter errors of a KPI for its
    /// locked parameters, at `pack.kpis[i].params`.
    pub fn from_json(document: &Value) -> Result<Self> {
        declaration::parse(document)
    }

    /// Parses a pack's JSON text (the host rules of every front end: duplicate keys refused).
    ///
    /// # Errors
    /// `invalid_json`, and those of [`Pack::from_json`].
    pub fn from_json_text(text: &str) -> Result<Self> {
        Self::from_json(&crate::host::from_json_text(text, "pack")?)
    }

    /// The files the pack reads (each table's `file`), sorted: what a front end reads from the
    /// data's folder to hand to [`Pack::texts`]; a file it lacks leaves its KPIs out.
    pub fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = self.tables.values().map(|t| t.file.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        files
    }

    /// `sha256:` and the digest of the pack's canonical JSON: what certificates name as `pack`.
    pub fn fingerprint(&self) -> String {
        crate::certificate::digest(&self.document)
    }

    /// Computes every KPI of the pack on the organization's files (`{file name: text}`), and
    /// every comparison view. A KPI whose tables are absent is left out with a note; a table
    /// present but wrong is an error naming its file, row and column.
    ///
    /// # Errors
    /// The errors of the tables' readers and of the KPIs, located in the files.
    pub fn report(&self, files: &BTreeMap<String, String>) -> Result<Value> {
        self.report_filtered(files, &Filter::default())
    }

    /// [`Pack::report`] on the rows `filter` keeps ([`Filter`]): the header states the filter;
    /// a KPI whose tables it cannot apply to is left out with a note.
    ///
    /// # Errors
    /// As [`Pack::report`]; `invalid_dataset` when a row's time cannot be read for the filter.
    pub fn report_filtered(
        &self,
        files: &BTreeMap<String, String>,
        filter: &Filter,
    ) -> Result<Value> {
        report::report(self, files, filter).map(|r| r.json)
    }

    /// [`Pack::report_filtered`], with the computed values also typed ([`TypedReport`]): what front ends
    /// with a decimal type of their own (Python) hand their users.
    ///
    /// # Errors
    /// As [`Pack::report`].
    pub fn typed_report(
        &self,
        files: &BTreeMap<String, String>,
        filter: &Filter,
    ) -> Result<TypedReport> {
        report::report(self, files, filter)
    }

    /// Recomputes the section a certificate from this pack's report speaks of, from the
    /// organization's files, and says whether it confirms it: the checks of
    /// [`crate::certificate::verify`] and `pack`, the fingerprint of this pack. The section is
    /// the pack KPI with the certificate's KPI and parameters.
    ///
    /// # Errors
    /// `invalid_pack` at `certificate` when no KPI of the pack has its KPI and parameters;
    /// `invalid_dataset` naming a file the section needs and the data lacks; the errors of the
    /// tables and of the KPI.
    pub fn verify(&self, certificate: &Value, files: &BTreeMap<String, String>) -> Result<Value> {
        report::verify(self, certificate, files)
    }
}

/// `invalid_pack` at `path`.
pub(crate) fn invalid(path: &str, detail: impl std::fmt::Display) -> KpiError {
    KpiError::at(ErrorCode::InvalidPack, path, detail)
}

/// Another error, said again as `invalid_pack` at `path` (its detail without its own path).
pub(crate) fn rehomed(e: &KpiError, path: &str) -> KpiError {
    let detail = e
        .path()
        .and_then(|p| e.message().strip_prefix(&format!("`{p}` ")))
        .unwrap_or(e.message());
    invalid(path, detail)
}
