//! KPI packs for Python: `omnikpi.Pack` hands the core the pack (a mapping, converted by the host
//! rules, or JSON text) and the data's files as `str` or `bytes`; the core reads them
//! ([`Pack::texts`]: CSV as UTF-8, workbooks' sheets), computes, exports and renders
//! ([`omnikpi::pack`]).

use crate::{json_to_python, to_py_err, to_python, PyHost};
use omnikpi::pack::{export, html, DataFile, Pack};
use omnikpi::Output;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use serde_json::Value;
use std::collections::BTreeMap;

/// A parsed and checked KPI pack.
#[pyclass(name = "Pack", module = "omnikpi._omnikpi", frozen)]
pub struct PyPack {
    pack: Pack,
}

#[pymethods]
impl PyPack {
    /// Reads a pack: JSON text, or a mapping of Python values.
    #[new]
    fn new(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<Self> {
        let pack = if document.is_instance_of::<PyString>() {
            let text: String = document.extract()?;
            Pack::from_json_text(&text)
        } else {
            let value = PyHost::new(py)?.convert(document, "pack")?;
            Pack::from_json(&value)
        };
        pack.map(|pack| Self { pack })
            .map_err(|e| to_py_err(py, &e))
    }

    /// The files the pack reads.
    fn files(&self) -> Vec<String> {
        self.pack.files().into_iter().map(str::to_owned).collect()
    }

    /// The pack's fingerprint, as certificates name it.
    fn fingerprint(&self) -> String {
        self.pack.fingerprint()
    }

    /// The pack as written.
    fn document<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_python(py, &self.pack.document)
    }

    /// Recomputes the section a certificate of this pack's report speaks of from the files:
    /// `{confirmed, kpi, section, checks}`.
    fn verify<'py>(
        &self,
        py: Python<'py>,
        certificate: &Bound<'py, PyAny>,
        files: BTreeMap<String, Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let certificate = PyHost::new(py)?.convert(certificate, "certificate")?;
        let files = self.texts(py, files)?;
        let out = py
            .detach(|| self.pack.verify(&certificate, &files))
            .map_err(|e| to_py_err(py, &e))?;
        json_to_python(py, &out)
    }

    /// The report on the files given as `{name: str or bytes}`, on the rows `filter` keeps
    /// (`{"dimensions": {name: [values]}, "from", "to"}`, read by core; `None` keeps all).
    #[pyo3(signature = (files, filter=None))]
    fn report(
        &self,
        py: Python<'_>,
        files: BTreeMap<String, Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PackReport> {
        let files = self.texts(py, files)?;
        let filter = match filter {
            Some(f) => PyHost::new(py)?.convert(f, "filter")?,
            None => Value::Null,
        };
        let filter =
            omnikpi::pack::Filter::from_json(&filter, &self.pack).map_err(|e| to_py_err(py, &e))?;
        let report = py
            .detach(|| self.pack.typed_report(&files, &filter))
            .map_err(|e| to_py_err(py, &e))?;
        Ok(PackReport {
            value: report.json,
            results: report.results,
            comparisons: report.comparisons,
        })
    }
}

impl PyPack {
    /// The texts the core reports on, from `{name: str or bytes}` ([`Pack::texts`]).
    fn texts(
        &self,
        py: Python<'_>,
        files: BTreeMap<String, Bound<'_, PyAny>>,
    ) -> PyResult<BTreeMap<String, String>> {
        let files = data_files(py, files)?;
        self.pack.texts(files).map_err(|e| to_py_err(py, &e))
    }
}

/// The files Python holds, `{name: str or bytes}`, for the core to make texts of
/// ([`Pack::texts`], [`omnikpi::dataset::texts`]).
pub(crate) fn data_files(
    py: Python<'_>,
    files: BTreeMap<String, Bound<'_, PyAny>>,
) -> PyResult<Vec<(String, DataFile)>> {
    files
        .into_iter()
        .map(|(name, file)| Ok((name.clone(), data_file(py, &name, &file)?)))
        .collect()
}

/// A file as Python holds it: `str` is its text (refused with a lone surrogate), `bytes` what
/// was read from disk.
fn data_file(py: Python<'_>, name: &str, file: &Bound<'_, PyAny>) -> PyResult<DataFile> {
    if let Ok(text) = file.cast::<PyString>() {
        let text = text
            .to_cow()
            .map_err(|_| to_py_err(py, &DataFile::invalid_text(name)))?;
        return Ok(DataFile::Text(text.into_owned()));
    }
    if let Ok(bytes) = file.cast::<PyBytes>() {
        return Ok(DataFile::Bytes(bytes.as_bytes().to_vec()));
    }
    let found = file.get_type().name()?.to_string();
    Err(to_py_err(py, &DataFile::refused(name, &found)))
}

/// A pack's report, held by the core for its exports.
#[pyclass(module = "omnikpi._omnikpi", frozen)]
pub struct PackReport {
    value: Value,
    /// Each computed section's result, typed.
    results: BTreeMap<String, Output>,
    /// Each comparison's cells and total, typed.
    comparisons: BTreeMap<String, (Vec<Vec<Output>>, Output)>,
}

#[pymethods]
impl PackReport {
    /// The report as Python values: the JSON's, with each section's result and each
    /// comparison's cells and total as the core computed them (decimals as `decimal.Decimal`,
    /// counts as `int`), like every other result.
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let data = json_to_python(py, &self.value)?;
        let decimal = py.import("decimal")?.getattr("Decimal")?;
        let typed = |out: &Output| to_python(py, out, &decimal);
        for section in data.get_item("sections")?.try_iter()? {
            let section = section?;
            let key: String = section.get_item("key")?.extract()?;
            if let Some(result) = self.results.get(&key) {
                section.set_item("result", typed(result)?)?;
            }
        }
        for view in data.get_item("comparisons")?.try_iter()? {
            let view = view?;
            let key: String = view.get_item("key")?.extract()?;
            if let Some((cells, total)) = self.comparisons.get(&key) {
                let rows = cells
                    .iter()
                    .map(|row| row.iter().map(typed).collect::<PyResult<Vec<_>>>())
                    .collect::<PyResult<Vec<_>>>()?;
                view.set_item("cells", rows)?;
                view.set_item("total", typed(total)?)?;
            }
        }
        Ok(data)
    }

    /// The report as JSON text (the CLI's `--json`).
    fn json(&self) -> String {
        self.value.to_string()
    }

    /// The self-contained HTML page, labels in `lang`.
    fn html(&self, py: Python<'_>, lang: &str) -> PyResult<String> {
        html::page(&self.value, lang).map_err(|e| to_py_err(py, &e))
    }

    /// Every flat table as `(name, csv text)`.
    fn csv(&self, py: Python<'_>) -> PyResult<Vec<(String, String)>> {
        let tables = export::tables(&self.value).map_err(|e| to_py_err(py, &e))?;
        Ok(tables
            .iter()
            .map(|t| (t.name.clone(), export::csv(t)))
            .collect())
    }

    /// Every flat table as `(name, pyarrow.RecordBatch)`, decimals exact.
    fn arrow<'py>(&self, py: Python<'py>) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let tables = export::tables(&self.value).map_err(|e| to_py_err(py, &e))?;
        tables
            .iter()
            .map(|t| {
                let batch = export::record_batch(t).map_err(|e| to_py_err(py, &e))?;
                let batch = pyo3_arrow::PyRecordBatch::new(batch).into_pyarrow(py)?;
                Ok((t.name.clone(), batch))
            })
            .collect()
    }
}
