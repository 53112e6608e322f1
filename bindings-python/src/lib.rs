//! The native module `omnikpi._omnikpi`: converts Python values to the core's JSON input
//! (refusing floats and bools where they would lose meaning), calls the core, and converts
//! results back with decimals as `decimal.Decimal`. Errors become `omnikpi.OmniKpiError`
//! subclasses carrying `.code` and `.path`.

use omnikpi::host::{CivilTime, HostNode, HostValue, MapKey};
use omnikpi::table::reading::{Conversions, Reading};
use omnikpi::{KpiError, Output};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::Value;
use std::collections::BTreeMap;

mod pack;

/// Raises the `omnikpi.errors` class of the error's family, with `code`, `path` and message.
pub(crate) fn to_py_err(py: Python<'_>, error: &KpiError) -> PyErr {
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

/// The Python classes the host classification needs, looked up once per call.
pub(crate) struct PyHost<'py> {
    decimal: Bound<'py, PyAny>,
    datetime: Bound<'py, PyAny>,
}

impl<'py> PyHost<'py> {
    pub(crate) fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(Self {
            decimal: py.import("decimal")?.getattr("Decimal")?,
            datetime: py.import("datetime")?.getattr("datetime")?,
        })
    }

    /// Parameters: a mapping converted like any input, or null (the spec's defaults) when absent.
    fn params(&self, params: Option<&Bound<'py, PyAny>>) -> PyResult<Value> {
        params.map_or(Ok(Value::Null), |p| self.convert(p, "params"))
    }

    /// Converts a Python value into the core's input, by the core's host rules.
    pub(crate) fn convert(&self, obj: &Bound<'py, PyAny>, root: &str) -> PyResult<Value> {
        omnikpi::host::convert(&self.node(obj), root).map_err(|e| to_py_err(obj.py(), &e))
    }

    /// A Python value as the core's host walker sees it, for the core functions that walk host
    /// values themselves ([`omnikpi::pack::export::from_host_rows`]).
    fn node<'a>(&'a self, obj: &Bound<'py, PyAny>) -> PyNode<'a, 'py> {
        PyNode {
            obj: obj.clone(),
            host: self,
        }
    }
}

/// One Python value as the core's host walker sees it. Classification only: every rule
/// (integers, floats, keys, nesting, size) is the core's.
struct PyNode<'a, 'py> {
    obj: Bound<'py, PyAny>,
    host: &'a PyHost<'py>,
}

impl<'a, 'py> PyNode<'a, 'py> {
    fn child(&self, obj: Bound<'py, PyAny>) -> Self {
        Self {
            obj,
            host: self.host,
        }
    }

    fn type_name(obj: &Bound<'py, PyAny>) -> String {
        obj.get_type()
            .name()
            .map_or_else(|_| "object".to_owned(), |n| n.to_string())
    }

    fn text(obj: &Bound<'py, PyAny>) -> Option<String> {
        obj.extract::<String>().ok()
    }

    fn classify_checked(&self) -> PyResult<HostValue<Self>> {
        let obj = &self.obj;
        if obj.is_none() {
            return Ok(HostValue::Null);
        }
        if obj.is_instance_of::<PyBool>() {
            return Ok(HostValue::Bool(obj.extract::<bool>()?));
        }
        if obj.is_instance_of::<PyInt>() {
            return Ok(HostValue::Integer(obj.extract::<i128>().ok()));
        }
        if obj.is_instance_of::<PyFloat>() {
            return Ok(HostValue::Float(obj.extract::<f64>()?));
        }
        if obj.is_instance_of::<PyString>() {
            return Ok(Self::text(obj).map_or(HostValue::InvalidText, HostValue::Text));
        }
        if obj.is_instance(&self.host.decimal)? {
            // The host's own fixed-point notation: Decimal("1E+3") -> "1000".
            let text = obj
                .py()
                .import("builtins")?
                .getattr("format")?
                .call1((obj, "f"))?
                .extract::<String>()?;
            return Ok(HostValue::Decimal(text));
        }
        if let Ok(dict) = obj.cast::<PyDict>() {
            let mut entries = Vec::with_capacity(dict.len());
            for (key, value) in dict.iter() {
                let key = if key.is_instance_of::<PyString>() {
                    Self::text(&key).map_or(MapKey::InvalidText, MapKey::Text)
                } else {
                    MapKey::NotText(Self::type_name(&key))
                };
                entries.push((key, self.child(value)));
            }
            return Ok(HostValue::Map(entries));
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            let items = obj
                .try_iter()?
                .map(|item| item.map(|i| self.child(i)))
                .collect::<PyResult<Vec<_>>>()?;
            return Ok(HostValue::List(items));
        }
        if obj.is_instance(&self.host.datetime)? {
            return Ok(HostValue::DateTime(civil_time(obj)?));
        }
        if obj.hasattr("__index__")? {
            // Python's own rule for "an integer" (numpy's int64 and friends); checked last, so
            // no dict or list pays for the look-up
            let n = obj
                .py()
                .import("operator")?
                .getattr("index")?
                .call1((obj,))?;
            return Ok(HostValue::Integer(n.extract::<i128>().ok()));
        }
        Ok(HostValue::Unsupported(Self::type_name(obj)))
    }
}

impl HostNode for PyNode<'_, '_> {
    fn classify(&self) -> HostValue<Self> {
        self.classify_checked()
            .unwrap_or_else(|_| HostValue::Unsupported(Self::type_name(&self.obj)))
    }
}

/// The fields of a `datetime.datetime`, with its UTC offset when it is aware.
fn civil_time(obj: &Bound<'_, PyAny>) -> PyResult<CivilTime> {
    let field = |name: &str| obj.getattr(name)?.extract::<u32>();
    let offset = obj.call_method0("utcoffset")?;
    let offset_seconds = if offset.is_none() {
        None
    } else {
        let days = offset.getattr("days")?.extract::<i32>()?;
        let seconds = offset.getattr("seconds")?.extract::<i32>()?;
        Some(days * 86_400 + seconds)
    };
    Ok(CivilTime {
        date: (
            obj.getattr("year")?.extract::<i32>()?,
            field("month")?,
            field("day")?,
        ),
        time: (field("hour")?, field("minute")?, field("second")?),
        offset_seconds,
    })
}

/// Converts a core result into Python objects; decimals become `decimal.Decimal`.
pub(crate) fn to_python<'py>(
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

pub(crate) fn json_to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .getattr("loads")?
        .call1((value.to_string(),))
}

/// A KPI call's arguments as the core takes them: the id, and the input and parameters converted
/// by the core's host rules (with the converter, whose `decimal` the result needs).
fn kpi_call<'py>(
    py: Python<'py>,
    kpi_id: &Bound<'py, PyAny>,
    input: &Bound<'py, PyAny>,
    params: Option<&Bound<'py, PyAny>>,
) -> PyResult<(String, PyHost<'py>, Value, Value)> {
    let kpi_id: String = kpi_id
        .extract()
        .map_err(|_| wrong_type(py, "kpi", "must be a string such as \"conversion.rate\""))?;
    let host = PyHost::new(py)?;
    let input = host.convert(input, "input")?;
    let params = host.params(params)?;
    Ok((kpi_id, host, input, params))
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
    let (kpi_id, host, input, params) = kpi_call(py, kpi_id, input, params)?;
    let out = py
        .detach(|| omnikpi::evaluate(&kpi_id, &input, &params))
        .map_err(|e| to_py_err(py, &e))?;
    to_python(py, &out, &host.decimal)
}

/// Computes KPI `kpi_id` like `evaluate` and certifies the result: `(result, certificate)`.
#[pyfunction]
#[pyo3(signature = (kpi_id, input, params=None))]
fn certify<'py>(
    py: Python<'py>,
    kpi_id: &Bound<'py, PyAny>,
    input: &Bound<'py, PyAny>,
    params: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let (kpi_id, host, input, params) = kpi_call(py, kpi_id, input, params)?;
    let (out, cert) = py
        .detach(|| omnikpi::certificate::certify(&kpi_id, &input, &params))
        .map_err(|e| to_py_err(py, &e))?;
    Ok((
        to_python(py, &out, &host.decimal)?,
        json_to_python(py, &cert)?,
    ))
}

/// Recomputes the result a certificate speaks of from `input`: whether it is confirmed, and
/// each check.
#[pyfunction]
fn verify<'py>(
    py: Python<'py>,
    certificate: &Bound<'py, PyAny>,
    input: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let host = PyHost::new(py)?;
    let certificate = host.convert(certificate, "certificate")?;
    let input = host.convert(input, "input")?;
    let out = py
        .detach(|| omnikpi::certificate::verify(&certificate, &input))
        .map_err(|e| to_py_err(py, &e))?;
    json_to_python(py, &out)
}

/// The statements of an `incentives.statement` result as the core renders them: `(html, csv)`,
/// the page ending each statement with `certificate` when given.
#[pyfunction]
#[pyo3(signature = (result, certificate=None))]
fn statement_files(
    py: Python<'_>,
    result: &Bound<'_, PyAny>,
    certificate: Option<&Bound<'_, PyAny>>,
) -> PyResult<(String, String)> {
    let host = PyHost::new(py)?;
    let result = host.convert(result, "statements")?;
    let certificate = certificate
        .map(|c| host.convert(c, "certificate"))
        .transpose()?;
    (|| {
        let html = omnikpi::incentive::statement::html(&result, certificate.as_ref())?;
        Ok((html, omnikpi::incentive::statement::csv(&result)?))
    })()
    .map_err(|e: KpiError| to_py_err(py, &e))
}

/// The policy a workbook's sheets declare (`omnikpi incentives policy` writes them), as a dict,
/// read and checked by the core: errors name the file, sheet, row and column.
#[pyfunction]
fn policy_from_workbook<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    name: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let data: Vec<u8> = data
        .extract()
        .map_err(|_| wrong_type(py, "data", "must be the bytes of a workbook"))?;
    let name: String = name
        .extract()
        .map_err(|_| wrong_type(py, "name", "must be a string naming the file"))?;
    let value =
        omnikpi::incentive::policy_workbook::read(&data, &name).map_err(|e| to_py_err(py, &e))?;
    json_to_python(py, &value)
}

/// Reads JSON text by the core's rules (duplicate keys, lone surrogates, integers beyond 64 bits,
/// non-finite numbers and nesting deeper than 128 are errors located under `what`), as the CLI
/// reads its files; `json.loads` would keep the last of two duplicate keys.
#[pyfunction]
#[pyo3(signature = (text, what=None))]
fn parse_json<'py>(
    py: Python<'py>,
    text: &Bound<'py, PyAny>,
    what: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let text: String = text
        .extract()
        .map_err(|_| wrong_type(py, "text", "must be a string of JSON text"))?;
    let what: String = match what {
        Some(w) => w
            .extract()
            .map_err(|_| wrong_type(py, "what", "must be a string naming the text"))?,
        None => "text".to_owned(),
    };
    let value = omnikpi::parse_json(&text, &what).map_err(|e| to_py_err(py, &e))?;
    json_to_python(py, &value)
}

/// `(id, short name)` of an attribution model named either way (`linear`, `attribution.linear`):
/// the core's one rule, `unknown_kpi` at `model` otherwise.
#[pyfunction]
fn attribution_model(py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<(String, String)> {
    let name: String = name
        .extract()
        .map_err(|_| wrong_type(py, "model", "must be a model name such as \"linear\""))?;
    let id = omnikpi::attribution::model_id(&name).map_err(|e| to_py_err(py, &e))?;
    Ok((
        id.to_owned(),
        omnikpi::attribution::short_name(id).to_owned(),
    ))
}

/// The column names a declared reading reads, in the order of the roles (journey_id,
/// timestamp, channel, conversions, value, conversion_timestamp): the core's defaults and checks
/// (`unknown_parameter` at `reading.columns.<role>` for a role that does not exist).
#[pyfunction]
fn reading_columns(py: Python<'_>, reading: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let host = PyHost::new(py)?;
    let reading = Reading::from_json(&host.convert(reading, "reading")?);
    let reading = reading.map_err(|e| to_py_err(py, &e))?;
    Ok(reading.columns.names().map(str::to_owned).to_vec())
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

/// The report of a dataset, from its files given as `{file name: str or bytes}` (bytes read as
/// UTF-8 by the core, [`omnikpi::dataset::texts`]).
#[pyfunction]
fn report_files<'py>(
    py: Python<'py>,
    files: BTreeMap<String, Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    let files =
        omnikpi::dataset::texts(pack::data_files(py, files)?).map_err(|e| to_py_err(py, &e))?;
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

/// What the attribution functions share: the core's request (the taxonomy, the currency, the
/// models with their parameters, the lookback and the reading), from their keyword arguments
/// (`params` maps a model's short name to its parameters).
struct Models {
    request: omnikpi::attribution::Request,
}

impl Models {
    fn new(
        py: Python<'_>,
        models: &[String],
        channels: &Bound<'_, PyAny>,
        currency: &str,
        params: Option<&Bound<'_, PyAny>>,
        lookback_seconds: Option<i64>,
        reading: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let host = PyHost::new(py)?;
        let reading = match reading {
            Some(r) => Reading::from_json(&host.convert(r, "reading")?),
            None => Ok(Reading::default()),
        }
        .map_err(|e| to_py_err(py, &e))?;
        let taxonomy = omnikpi::channel::Taxonomy::from_json(&host.convert(channels, "channels")?)
            .map_err(|e| to_py_err(py, &e))?;
        let currency = omnikpi::money::Currency::lookup(currency, None, "currency")
            .map_err(|e| to_py_err(py, &e))?;
        let params = host.params(params)?;
        let specs = models
            .iter()
            .map(|m| {
                let id = omnikpi::attribution::model_id(m).map_err(|e| to_py_err(py, &e))?;
                let short = omnikpi::attribution::short_name(id);
                let own = params.get(short).or_else(|| params.get(m.as_str()));
                if own.is_some_and(|p| p.get("by").is_some()) {
                    let e = KpiError::at(
                        omnikpi::ErrorCode::InvalidParameter,
                        &format!("params.{short}.by"),
                        "is the table's: give `by` once, for every model",
                    );
                    return Err(to_py_err(py, &e));
                }
                Ok((id.to_owned(), own.cloned().unwrap_or(Value::Null)))
            })
            .collect::<PyResult<_>>()?;
        let request = omnikpi::attribution::Request::new(
            taxonomy,
            currency,
            specs,
            lookback_seconds,
            reading,
        );
        Ok(Self { request })
    }

    /// The partial state (JSON) of a long-format table's journeys, read batch by batch without
    /// the GIL and cut by the request's `by`: a Spark partition's state.
    fn accumulate(&self, py: Python<'_>, table: &Bound<'_, PyAny>) -> PyResult<Value> {
        let reader = arrow_reader(py, table, "table")?;
        let request = &self.request;
        py.detach(|| -> Result<_, KpiError> {
            let batches = reader.map(|b| b.map_err(|e| unreadable("table", &e)));
            let (read, _) = omnikpi::table::arrow::read(batches, None, request)?;
            request.accumulate(&read)?.to_json(request)
        })
        .map_err(|e| to_py_err(py, &e))
    }

    /// Every model's result over a long-format table read batch by batch without the GIL (cut
    /// by the request's `by`), what the reading converted, and the certificates when `certify`.
    /// `rows`: the table's row count when the caller knows it (sizes the journeys once).
    fn results(
        &self,
        py: Python<'_>,
        table: &Bound<'_, PyAny>,
        rows: Option<usize>,
        certify: bool,
    ) -> PyResult<(Vec<omnikpi::Output>, Conversions, Option<Vec<Value>>)> {
        let reader = arrow_reader(py, table, "table")?;
        let request = &self.request;
        py.detach(|| -> Result<_, KpiError> {
            let batches = reader.map(|b| b.map_err(|e| unreadable("table", &e)));
            let (read, conversions) = omnikpi::table::arrow::read(batches, rows, request)?;
            let results = request.results(&read)?;
            let certificates = match certify {
                true => {
                    let input = omnikpi::certificate::read_digest(
                        &read,
                        &request.taxonomy,
                        &request.currency,
                    )?;
                    let json: Vec<Value> = results.iter().map(omnikpi::Output::to_json).collect();
                    Some(omnikpi::certificate::certify_read(request, &input, &json)?)
                }
                false => None,
            };
            Ok((results, conversions, certificates))
        })
        .map_err(|e| to_py_err(py, &e))
    }
}

fn unreadable(name: &str, e: &dyn std::fmt::Display) -> KpiError {
    KpiError::new(
        omnikpi::ErrorCode::InvalidDataset,
        Some(name.to_owned()),
        format!("the table cannot be read: {e}"),
    )
}

/// The Arrow stream of an object with `__arrow_c_stream__`, or a `wrong_type` error on `name`.
fn arrow_reader(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<Box<dyn arrow_array::RecordBatchReader + Send>> {
    if !table.hasattr("__arrow_c_stream__")? {
        return Err(wrong_type(
            py,
            name,
            "must be an Arrow-speaking table (pyarrow, pandas >= 2.2, polars, DuckDB) with __arrow_c_stream__",
        ));
    }
    table
        .extract::<pyo3_arrow::PyRecordBatchReader>()?
        .into_reader()
}

/// Every row of an Arrow stream as a JSON record (exact values; see `table::records`), with
/// errors on `name`.
fn read_records(
    reader: Box<dyn arrow_array::RecordBatchReader + Send>,
    name: &str,
) -> Result<Vec<Value>, KpiError> {
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(name, &e))?;
        rows.extend(omnikpi::table::arrow::records(&batch, name)?);
    }
    Ok(rows)
}

fn outputs<'py>(py: Python<'py>, results: &[omnikpi::Output]) -> PyResult<Bound<'py, PyAny>> {
    let decimal = py.import("decimal")?.getattr("Decimal")?;
    let list = PyList::empty(py);
    for r in results {
        list.append(to_python(py, r, &decimal)?)?;
    }
    Ok(list.into_any())
}

/// What `attribute_table` returns: the results, `(amounts rounded, of them moved by more than
/// 1e-9)`, and the certificates or None.
type Attributed<'py> = (Bound<'py, PyAny>, (u64, u64), Bound<'py, PyAny>);

/// Attribution of the journeys in an Arrow-speaking table (long format: one row per touch), for
/// several models in one pass, read as `reading` declares (the core's `Reading::from_json`:
/// columns, outcome rows, timestamp unit, time zone, float money); `params` maps a model's short
/// name to its parameters; `cut` (`{"by", "period", "time_zone"}`) names the table's dimension
/// columns to cut each result by, and the grain of a derived `period`.
/// Returns the results, `(amounts rounded, of them moved by more than 1e-9)`, and each model's
/// certificate when `certify` (the core's `certify_read`), else None.
#[pyfunction]
#[pyo3(signature = (models, table, channels, currency, reading=None, params=None, lookback_seconds=None, rows=None, certify=false, cut=None))]
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
    reading: Option<&Bound<'py, PyAny>>,
    params: Option<&Bound<'py, PyAny>>,
    lookback_seconds: Option<i64>,
    rows: Option<usize>,
    certify: bool,
    cut: Option<&Bound<'py, PyAny>>,
) -> PyResult<Attributed<'py>> {
    let mut context = Models::new(
        py,
        &models,
        channels,
        currency,
        params,
        lookback_seconds,
        reading,
    )?;
    let cut = match cut {
        Some(cut) => PyHost::new(py)?.convert(cut, "cut")?,
        None => Value::Null,
    };
    context.request = context.request.cut(&cut).map_err(|e| to_py_err(py, &e))?;
    let (results, conversions, certificates) = context.results(py, table, rows, certify)?;
    let certificates = match certificates {
        Some(certs) => json_to_python(py, &Value::Array(certs))?,
        None => py.None().into_bound(py),
    };
    let counted = (conversions.money_rounded, conversions.money_changed);
    Ok((outputs(py, &results)?, counted, certificates))
}

/// The partial attribution state (JSON text) of the journeys in one part of a long-format
/// table, every touch of a journey in the same part: what a Spark partition sends to the driver.
#[pyfunction]
#[pyo3(signature = (models, table, channels, currency, reading=None, params=None, lookback_seconds=None, cut=None))]
#[allow(
    clippy::too_many_arguments,
    reason = "mirrors attribute_table, whose state it returns"
)]
fn attribution_state(
    py: Python<'_>,
    models: Vec<String>,
    table: &Bound<'_, PyAny>,
    channels: &Bound<'_, PyAny>,
    currency: &str,
    reading: Option<&Bound<'_, PyAny>>,
    params: Option<&Bound<'_, PyAny>>,
    lookback_seconds: Option<i64>,
    cut: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let mut context = Models::new(
        py,
        &models,
        channels,
        currency,
        params,
        lookback_seconds,
        reading,
    )?;
    let cut = match cut {
        Some(cut) => PyHost::new(py)?.convert(cut, "cut")?,
        None => Value::Null,
    };
    context.request = context.request.cut(&cut).map_err(|e| to_py_err(py, &e))?;
    let state = context.accumulate(py, table)?;
    Ok(state.to_string())
}

/// Merges partial attribution states (from [`attribution_state`], same models, parameters and
/// `by`), segment by segment, and finishes the results, one per model: equal to
/// `attribute_table` on all the parts.
#[pyfunction]
#[pyo3(signature = (models, states, channels, currency, params=None, lookback_seconds=None, cut=None))]
#[allow(
    clippy::too_many_arguments,
    reason = "mirrors attribution_state, whose states it merges"
)]
fn attribution_finish<'py>(
    py: Python<'py>,
    models: Vec<String>,
    states: Vec<String>,
    channels: &Bound<'py, PyAny>,
    currency: &str,
    params: Option<&Bound<'py, PyAny>>,
    lookback_seconds: Option<i64>,
    cut: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut context = Models::new(
        py,
        &models,
        channels,
        currency,
        params,
        lookback_seconds,
        None,
    )?;
    let cut = match cut {
        Some(cut) => PyHost::new(py)?.convert(cut, "cut")?,
        None => Value::Null,
    };
    context.request = context.request.cut(&cut).map_err(|e| to_py_err(py, &e))?;
    let request = &context.request;
    let results = (|| -> Result<Vec<omnikpi::Output>, KpiError> {
        let mut merged = omnikpi::attribution::Parts::default();
        for (i, text) in states.iter().enumerate() {
            let state = omnikpi::parse_json(text, &format!("states[{i}]"))?;
            merged.merge(&request.parts_from_json(&state)?)?;
        }
        request.finish_parts(&merged)
    })()
    .map_err(|e| to_py_err(py, &e))?;
    outputs(py, &results)
}

/// The partial state (JSON text) of `kpi` (one of `omnikpi::partial::kpis()`) over the rows of an
/// Arrow-speaking table, read in Rust:
/// the rows go under `key` of `context` (`{"steps": [...]}` for a funnel, `{}` for rates).
#[pyfunction]
#[pyo3(signature = (kpi, table, key, context, params=None))]
fn partial_state_table(
    py: Python<'_>,
    kpi: &str,
    table: &Bound<'_, PyAny>,
    key: &str,
    context: &Bound<'_, PyAny>,
    params: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let host = PyHost::new(py)?;
    let mut input = host.convert(context, "input")?;
    let params = host.params(params)?;
    let reader = arrow_reader(py, table, key)?;
    py.detach(|| -> Result<String, KpiError> {
        let rows = read_records(reader, key)?;
        if let Value::Object(map) = &mut input {
            map.insert(key.to_owned(), Value::Array(rows));
        }
        // A part's rows are numbered from 0: a Spark partition does not know its offset.
        omnikpi::partial::state(kpi, &input, &params, 0).map(|v| v.to_string())
    })
    .map_err(|e| to_py_err(py, &e))
}

/// Merges partial states of `kpi` in order and finishes the result (as `evaluate` returns it).
#[pyfunction]
#[pyo3(signature = (kpi, states, params=None))]
fn combine_states<'py>(
    py: Python<'py>,
    kpi: &str,
    states: Vec<String>,
    params: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let host = PyHost::new(py)?;
    let params = host.params(params)?;
    let out = (|| {
        let states = states
            .iter()
            .enumerate()
            .map(|(i, t)| omnikpi::parse_json(t, &format!("states[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        omnikpi::partial::combine(kpi, &states, &params)
    })()
    .map_err(|e| to_py_err(py, &e))?;
    to_python(py, &out, &host.decimal)
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
    let reader = arrow_reader(py, table, name)?;
    let rows = py
        .detach(|| read_records(reader, name))
        .map_err(|e| to_py_err(py, &e))?;
    json_to_python(py, &Value::Array(rows))
}

/// A result's table (a list of dicts of `Decimal`, `int`, `str`...) as an Arrow table, typed by
/// the core's one rule for host rows (`omnikpi::pack::export::from_host_rows`: decimals as exact
/// `decimal128(38, scale)`, counts `int64`, nested values as JSON text), with `metadata` on its
/// schema. What a result's `__arrow_c_stream__` hands to pyarrow, polars and DuckDB.
#[pyfunction]
fn result_table(
    py: Python<'_>,
    name: &str,
    rows: &Bound<'_, PyAny>,
    metadata: std::collections::HashMap<String, String>,
) -> PyResult<pyo3_arrow::PyTable> {
    let host = PyHost::new(py)?;
    let table = omnikpi::pack::export::from_host_rows(name, &host.node(rows), "rows")
        .map_err(|e| to_py_err(py, &e))?;
    let batch = omnikpi::pack::export::record_batch(&table).map_err(|e| to_py_err(py, &e))?;
    let schema = std::sync::Arc::new(batch.schema().as_ref().clone().with_metadata(metadata));
    let batch = batch.with_schema(schema.clone()).map_err(|e| {
        to_py_err(
            py,
            &KpiError::at(omnikpi::ErrorCode::InternalError, "rows", e),
        )
    })?;
    pyo3_arrow::PyTable::try_new(vec![batch], schema)
}

/// The native part of the `omnikpi` package.
#[pymodule]
fn _omnikpi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<pack::PyPack>()?;
    m.add_class::<pack::PackReport>()?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(certify, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(statement_files, m)?)?;
    m.add_function(wrap_pyfunction!(catalog, m)?)?;
    m.add_function(wrap_pyfunction!(parse_json, m)?)?;
    m.add_function(wrap_pyfunction!(policy_from_workbook, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_model, m)?)?;
    m.add_function(wrap_pyfunction!(report_files, m)?)?;
    m.add_function(wrap_pyfunction!(dataset_files, m)?)?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(attribute_table, m)?)?;
    m.add_function(wrap_pyfunction!(reading_columns, m)?)?;
    m.add_function(wrap_pyfunction!(records_from_table, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_state, m)?)?;
    m.add_function(wrap_pyfunction!(attribution_finish, m)?)?;
    m.add_function(wrap_pyfunction!(combine_states, m)?)?;
    m.add_function(wrap_pyfunction!(partial_state_table, m)?)?;
    m.add_function(wrap_pyfunction!(result_table, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
