//! The native module `omnikpi._omnikpi`: converts Python values to the core's JSON input
//! (refusing floats and bools where they would lose meaning), calls the core, and converts
//! results back with decimals as `decimal.Decimal`. Errors become `omnikpi.OmniKpiError`
//! subclasses carrying `.code` and `.path`.

use omnikpi::attribution::table::{add_batch, Columns};
use omnikpi::attribution::LongBuilder;
use omnikpi::{KpiError, Output};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Raises the `omnikpi.errors` class of the error's family, with `code`, `path` and message.
fn to_py_err(py: Python<'_>, error: &KpiError) -> PyErr {
    let raise = || -> PyResult<PyErr> {
        let errors = py.import("omnikpi.errors")?;
        let class = errors
            .getattr("class_for")?
            .call1((error.code().family(),))?;
        let instance = class.call1((error.message(), error.code().as_str(), error.path()))?;
        Ok(PyErr::from_value(instance))
    };
    raise().unwrap_or_else(|e| e)
}

fn wrong_type(py: Python<'_>, path: &str, detail: &str) -> PyErr {
    to_py_err(
        py,
        &KpiError::at(omnikpi::ErrorCode::WrongType, path, detail),
    )
}

/// How deep inputs may nest: the KPI shapes need a handful of levels; a limit (as serde_json's
/// parser has) turns a self-referencing or absurdly deep structure into an error, not a stack
/// overflow.
const MAX_DEPTH: usize = 128;

/// Converts a Python value into the core's JSON input, tracking the path for errors.
fn to_value(obj: &Bound<'_, PyAny>, path: &str, decimal: &Bound<'_, PyAny>) -> PyResult<Value> {
    nested_value(obj, path, decimal, 0)
}

/// Python text as a Rust string; a lone surrogate (not valid Unicode) is a `wrong_type` error.
fn text_of(obj: &Bound<'_, PyAny>, path: &str) -> PyResult<String> {
    obj.extract::<String>().map_err(|_| {
        wrong_type(
            obj.py(),
            path,
            "is not valid Unicode text (a lone surrogate?)",
        )
    })
}

fn nested_value(
    obj: &Bound<'_, PyAny>,
    path: &str,
    decimal: &Bound<'_, PyAny>,
    depth: usize,
) -> PyResult<Value> {
    let py = obj.py();
    if depth > MAX_DEPTH {
        return Err(to_py_err(
            py,
            &KpiError::at(
                omnikpi::ErrorCode::ValueOutOfRange,
                path,
                format!("nests deeper than {MAX_DEPTH} levels"),
            ),
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(obj.extract::<bool>()?));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Value::from(n));
        }
        if let Ok(n) = obj.extract::<u64>() {
            return Ok(Value::from(n));
        }
        // Beyond 64 bits: only a decimal field can hold it exactly, so pass it as text.
        return Ok(Value::String(text_of(obj.str()?.as_any(), path)?));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(wrong_type(
            py,
            path,
            "must not be a float (floats lose precision): use decimal.Decimal or a string such as \"12.30\"",
        ));
    }
    if obj.is_instance_of::<PyString>() {
        return Ok(Value::String(text_of(obj, path)?));
    }
    if obj.is_instance(decimal)? {
        // Fixed-point text, never an exponent: Decimal("1E+3") -> "1000".
        let text = py
            .import("builtins")?
            .getattr("format")?
            .call1((obj, "f"))?
            .extract::<String>()?;
        return Ok(Value::String(text));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, value) in dict.iter() {
            if !key.is_instance_of::<PyString>() {
                return Err(wrong_type(py, path, "must have string keys"));
            }
            let key = text_of(&key, path)?;
            let child = format!("{path}.{key}");
            map.insert(key, nested_value(&value, &child, decimal, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            items.push(nested_value(
                &item?,
                &format!("{path}[{i}]"),
                decimal,
                depth + 1,
            )?);
        }
        return Ok(Value::Array(items));
    }
    let type_name = obj.get_type().name()?.extract::<String>()?;
    Err(wrong_type(
        py,
        path,
        &format!(
            "has an unsupported type `{type_name}` (use dict, list, str, int or decimal.Decimal)"
        ),
    ))
}

/// Converts a core result into Python objects; decimals become `decimal.Decimal`.
fn to_python<'py>(
    py: Python<'py>,
    out: &Output,
    decimal: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match out {
        Output::Null => py.None().into_bound(py),
        Output::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Output::Count(n) => n.into_pyobject(py)?.into_any(),
        Output::Integer(n) => n.into_pyobject(py)?.into_any(),
        Output::Decimal(d) => decimal.call1((d.to_string(),))?,
        Output::Text(s) => PyString::new(py, s).into_any(),
        Output::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item, decimal)?)?;
            }
            list.into_any()
        }
        Output::Record(fields) => {
            let dict = PyDict::new(py);
            for (k, v) in fields {
                dict.set_item(k, to_python(py, v, decimal)?)?;
            }
            dict.into_any()
        }
    })
}

fn json_to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .getattr("loads")?
        .call1((value.to_string(),))
}

/// Computes KPI `kpi_id` on `input` with `params` (a dict, or None for the spec defaults).
#[pyfunction]
#[pyo3(signature = (kpi_id, input, params=None))]
fn evaluate<'py>(
    py: Python<'py>,
    kpi_id: &Bound<'py, PyAny>,
    input: &Bound<'py, PyAny>,
    params: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let kpi_id: String = kpi_id
        .extract()
        .map_err(|_| wrong_type(py, "kpi", "must be a string such as \"conversion.rate\""))?;
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    let input = to_value(input, "input", &decimal)?;
    let params = match params {
        Some(p) => to_value(p, "params", &decimal)?,
        None => Value::Null,
    };
    let out = py
        .detach(|| omnikpi::evaluate(&kpi_id, &input, &params))
        .map_err(|e| to_py_err(py, &e))?;
    to_python(py, &out, &decimal)
}

/// Every KPI definition, as written in `spec/kpis`; with `lang`, every text in that language.
#[pyfunction]
#[pyo3(signature = (lang=None))]
fn catalog<'py>(py: Python<'py>, lang: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let Some(lang) = lang else {
        return json_to_python(py, &omnikpi::catalog_json());
    };
    let lang: String = lang
        .extract()
        .map_err(|_| wrong_type(py, "lang", "must be a language tag such as \"fr\""))?;
    let localized = omnikpi::catalog::localized_catalog(&lang).map_err(|e| to_py_err(py, &e))?;
    json_to_python(py, &localized)
}

/// The report of a dataset, from its files given as `{file name: text}`.
#[pyfunction]
fn report_files<'py>(
    py: Python<'py>,
    files: BTreeMap<String, String>,
) -> PyResult<Bound<'py, PyAny>> {
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    let out = py
        .detach(|| omnikpi::dataset::report(&files))
        .map_err(|e| to_py_err(py, &e))?;
    to_python(py, &out, &decimal)
}

/// The names of the files a dataset folder holds.
#[pyfunction]
fn dataset_files() -> Vec<&'static str> {
    omnikpi::dataset::FILES.to_vec()
}

/// Every error code with its family, in the order of `spec/errors.json`.
#[pyfunction]
fn error_codes() -> Vec<(&'static str, &'static str)> {
    omnikpi::ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.family()))
        .collect()
}

/// Attribution of the journeys in an Arrow-speaking table (long format: one row per touch), for
/// several models in one pass. `columns` names (journey_id, timestamp, channel, conversions,
/// value, conversion_timestamp); `params` maps a model's short name to its parameters.
#[pyfunction]
#[pyo3(signature = (models, table, channels, currency, columns, params=None, lookback_seconds=None))]
#[allow(
    clippy::too_many_arguments,
    reason = "mirrors the keyword arguments of the Python function"
)]
fn attribute_table<'py>(
    py: Python<'py>,
    models: Vec<String>,
    table: &Bound<'py, PyAny>,
    channels: &Bound<'py, PyAny>,
    currency: &str,
    columns: (String, String, String, String, String, String),
    params: Option<&Bound<'py, PyAny>>,
    lookback_seconds: Option<i64>,
) -> PyResult<Bound<'py, PyAny>> {
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    if !table.hasattr("__arrow_c_stream__")? {
        return Err(wrong_type(
            py,
            "table",
            "must be an Arrow-speaking table (pyarrow, pandas >= 2.2, polars, DuckDB) with __arrow_c_stream__",
        ));
    }
    let reader = table
        .extract::<pyo3_arrow::PyRecordBatchReader>()?
        .into_reader()?;
    let taxonomy =
        omnikpi::channel::Taxonomy::from_json(&to_value(channels, "channels", &decimal)?)
            .map_err(|e| to_py_err(py, &e))?;
    let currency = omnikpi::money::Currency::lookup(currency, None, "currency")
        .map_err(|e| to_py_err(py, &e))?;
    let params = match params {
        Some(p) => to_value(p, "params", &decimal)?,
        None => Value::Null,
    };
    let specs: Vec<(String, Value)> = models
        .iter()
        .map(|m| {
            let short = m.trim_start_matches("attribution.");
            (
                format!("attribution.{short}"),
                params.get(short).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    let names = Columns {
        journey_id: columns.0,
        timestamp: columns.1,
        channel: columns.2,
        conversions: columns.3,
        value: columns.4,
        conversion_timestamp: columns.5,
    };
    let results = py
        .detach(|| -> Result<Vec<Output>, KpiError> {
            let mut builder = LongBuilder::new(&taxonomy);
            let mut rows = 0usize;
            for batch in reader {
                let batch = batch.map_err(|e| {
                    KpiError::new(
                        omnikpi::ErrorCode::InvalidDataset,
                        Some("table".into()),
                        format!("the table cannot be read: {e}"),
                    )
                })?;
                add_batch(&mut builder, &batch, &names, &currency, rows)?;
                rows += batch.num_rows();
            }
            let batch = builder.finish()?;
            omnikpi::attribution::run_models(&taxonomy, &currency, &batch, &specs, lookback_seconds)
        })
        .map_err(|e| to_py_err(py, &e))?;
    let list = PyList::empty(py);
    for r in &results {
        list.append(to_python(py, r, &decimal)?)?;
    }
    Ok(list.into_any())
}

/// The rows of an Arrow-speaking table as a list of dicts with exact values (decimal128 as
/// `Decimal`, timestamps as Unix seconds), read in Rust batch by batch: the record inputs of
/// the incentive KPIs accept DataFrames this way, without a Python loop over rows.
#[pyfunction]
fn records_from_table<'py>(
    py: Python<'py>,
    table: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    if !table.hasattr("__arrow_c_stream__")? {
        return Err(wrong_type(
            py,
            name,
            "must be a list of dicts or an Arrow-speaking table (pyarrow, pandas >= 2.2, polars, DuckDB)",
        ));
    }
    let reader = table
        .extract::<pyo3_arrow::PyRecordBatchReader>()?
        .into_reader()?;
    let rows = py
        .detach(|| -> Result<Vec<Value>, KpiError> {
            let mut rows = Vec::new();
            for batch in reader {
                let batch = batch.map_err(|e| {
                    KpiError::new(
                        omnikpi::ErrorCode::InvalidDataset,
                        Some(name.to_owned()),
                        format!("the table cannot be read: {e}"),
                    )
                })?;
                rows.extend(omnikpi::attribution::table::records(&batch, name)?);
            }
            Ok(rows)
        })
        .map_err(|e| to_py_err(py, &e))?;
    json_to_python(py, &Value::Array(rows))
}

/// The native part of the `omnikpi` package.
#[pymodule]
fn _omnikpi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(report_files, m)?)?;
    m.add_function(wrap_pyfunction!(dataset_files, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(attribute_table, m)?)?;
    m.add_function(wrap_pyfunction!(records_from_table, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
