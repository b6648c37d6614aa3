//! `splitdsl._native`: the Python binding. It converts Arrow (through the
//! PyCapsule interface, so pyarrow, Polars, DuckDB and Spark batches alike)
//! to the core's typed columns (`splitdsl::batch::columns`) and the settled
//! minor units back to `decimal128(38, minor unit)` columns. It computes no
//! amount itself: every number comes from the core's ledger settlement.

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use arrow_array::{Array, ArrayRef, Decimal128Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList};
use pyo3_arrow::input::AnyRecordBatch;
use pyo3_arrow::{PyRecordBatch, PySchema, PyTable};
use splitdsl::batch::columns::{self, Column, Columnar};
use splitdsl::diag::{render, JsonDiagnostic, Style};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pyo3::create_exception!(
    _native,
    AgreementError,
    PyException,
    "An agreement that does not compile, an input that does not fit it, or \
     columns it cannot settle. `diagnostics` lists every diagnostic as a dict \
     (file, code, severity, message, spans with line and column, help); \
     str() is them rendered."
);

/// A `splitdsl::Error` as an `AgreementError` with every diagnostic.
fn agreement_error(py: Python<'_>, e: &splitdsl::Error) -> PyErr {
    let (name, text) = (e.source_name(), e.source_text());
    let rendered: Vec<String> = e
        .diagnostics()
        .iter()
        .map(|d| render(d, name, text, Style::PLAIN))
        .collect();
    let message = rendered.join("\n");
    let err = AgreementError::new_err(message);
    let list: Vec<JsonDiagnostic> = e
        .diagnostics()
        .iter()
        .map(|d| JsonDiagnostic::new(d, name, text))
        .collect();
    if let Ok(json) = serde_json::to_string(&list) {
        if let Ok(value) = py
            .import("json")
            .and_then(|m| m.call_method1("loads", (json,)))
        {
            let _ = err.value(py).setattr("diagnostics", value);
        }
    }
    err
}

/// A splitdsl agreement, compiled once: evaluate one sale, or settle Arrow
/// batches and tables of sales.
#[pyclass(frozen, module = "splitdsl._native")]
struct Agreement {
    inner: splitdsl::Agreement,
    /// Prepared columns, by the batch's column names (compiled once per schema).
    plans: Mutex<HashMap<Vec<String>, Arc<Columnar>>>,
}

impl Agreement {
    fn wrap(inner: splitdsl::Agreement) -> Agreement {
        Agreement {
            inner,
            plans: Mutex::new(HashMap::new()),
        }
    }

    /// The prepared columns for `schema`.
    fn plan(&self, py: Python<'_>, schema: &Schema) -> PyResult<Arc<Columnar>> {
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let mut plans = self
            .plans
            .lock()
            .map_err(|_| PyException::new_err("splitdsl: a settling thread panicked"))?;
        if let Some(p) = plans.get(&names) {
            return Ok(p.clone());
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let plan =
            Arc::new(Columnar::new(&self.inner, &refs).map_err(|e| agreement_error(py, &e))?);
        plans.insert(names, plan.clone());
        Ok(plan)
    }

    /// The output schema for `schema`.
    fn out_schema(&self, py: Python<'_>, schema: &Schema) -> PyResult<SchemaRef> {
        let plan = self.plan(py, schema)?;
        for (i, f) in schema.fields().iter().enumerate() {
            if plan.reads(i) {
                readable(f)?;
            }
            if f.name() == "error" {
                return Err(AgreementError::new_err(
                    "the column `error` clashes with the output column of that name: rename it",
                ));
            }
        }
        let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
        let dp = plan.minor_unit();
        for name in plan.amounts() {
            fields.push(Arc::new(Field::new(
                name,
                DataType::Decimal128(38, dp as i8),
                true,
            )));
        }
        fields.push(Arc::new(Field::new("error", DataType::Utf8, true)));
        Ok(Arc::new(Schema::new_with_metadata(
            fields,
            schema.metadata().clone(),
        )))
    }

    /// Settles one batch (the GIL released).
    fn settle_one(&self, py: Python<'_>, batch: RecordBatch) -> PyResult<RecordBatch> {
        let schema = batch.schema();
        let out_schema = self.out_schema(py, &schema)?;
        let plan = self.plan(py, &schema)?;
        let result = py.detach(|| settle_batch(&plan, &batch, out_schema));
        result.map_err(|e| match e {
            Failed::Agreement(e) => Python::attach(|py| agreement_error(py, &e)),
            Failed::Type(m) => PyTypeError::new_err(m),
            Failed::Arrow(m) => PyValueError::new_err(m),
        })
    }
}

/// What can go wrong while settling a batch without the GIL.
enum Failed {
    Agreement(splitdsl::Error),
    Type(String),
    Arrow(String),
}

/// Whether settlement can read a column of this type (money as float is not).
fn readable(f: &Field) -> PyResult<()> {
    use DataType::*;
    match f.data_type() {
        Decimal32(_, s) | Decimal64(_, s) | Decimal128(_, s) if *s >= 0 => Ok(()),
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => Ok(()),
        Utf8 | LargeUtf8 | Utf8View | Date32 | Date64 | Boolean | Null => Ok(()),
        Dictionary(_, v) if matches!(**v, Utf8 | LargeUtf8 | Utf8View) => Ok(()),
        Float16 | Float32 | Float64 => Err(PyTypeError::new_err(format!(
            "the column `{}` is a float ({}): amounts must be exact; give a decimal (decimal128) or a string such as \"100.00\"",
            f.name(),
            f.data_type()
        ))),
        other => Err(PyTypeError::new_err(format!(
            "the column `{}` has the type {other}, which splitdsl cannot read; give a decimal, an integer, a string, a date or a bool",
            f.name()
        ))),
    }
}

/// A column of the batch made readable: the types the core takes directly
/// pass as they are, the others are cast (integers to Int64, small
/// decimals to Decimal128, dictionaries of strings to Utf8, Date64 to
/// Date32) — exact conversions, an overflow is an error.
fn normalize(array: &ArrayRef) -> Result<ArrayRef, Failed> {
    use DataType::*;
    let to = match array.data_type() {
        Decimal32(_, s) | Decimal64(_, s) => Decimal128(38, *s),
        Int8 | Int16 | Int32 | UInt8 | UInt16 | UInt32 | UInt64 => Int64,
        Dictionary(_, _) => Utf8,
        Date64 => Date32,
        _ => return Ok(array.clone()),
    };
    let options = arrow_cast::CastOptions {
        safe: false,
        ..Default::default()
    };
    arrow_cast::cast_with_options(array, &to, &options).map_err(|e| Failed::Arrow(e.to_string()))
}

/// A column as the core reads it, owning what needs converting.
enum Owned<'a> {
    Decimal(Vec<Option<i128>>, u32),
    Int(Vec<Option<i64>>),
    Text(Vec<Option<&'a str>>),
    Date(Vec<Option<i32>>),
    Bool(Vec<Option<bool>>),
    Null(usize),
}

impl Owned<'_> {
    fn column(&self) -> Column<'_> {
        match self {
            Owned::Decimal(v, s) => Column::Decimal(v, *s),
            Owned::Int(v) => Column::Int(v),
            Owned::Text(v) => Column::Text(v),
            Owned::Date(v) => Column::Date(v),
            Owned::Bool(v) => Column::Bool(v),
            Owned::Null(n) => Column::Null(*n),
        }
    }
}

/// Reads an (already normalized) array.
fn owned(array: &ArrayRef) -> Result<Owned<'_>, Failed> {
    use DataType::*;
    Ok(match array.data_type() {
        Decimal128(_, s) => {
            let scale = u32::try_from(*s).map_err(|_| Failed::Type("a negative scale".into()))?;
            Owned::Decimal(
                array.as_primitive::<Decimal128Type>().iter().collect(),
                scale,
            )
        }
        Int64 => Owned::Int(array.as_primitive::<Int64Type>().iter().collect()),
        Utf8 => Owned::Text(array.as_string::<i32>().iter().collect()),
        LargeUtf8 => Owned::Text(array.as_string::<i64>().iter().collect()),
        Utf8View => Owned::Text(array.as_string_view().iter().collect()),
        Date32 => Owned::Date(array.as_primitive::<Date32Type>().iter().collect()),
        Boolean => Owned::Bool(array.as_boolean().iter().collect()),
        Null => Owned::Null(array.len()),
        other => {
            return Err(Failed::Type(format!(
                "cannot read a column of type {other}"
            )))
        }
    })
}

/// Settles `batch` with `plan` into a batch of `out_schema`.
fn settle_batch(
    plan: &Columnar,
    batch: &RecordBatch,
    out_schema: SchemaRef,
) -> Result<RecordBatch, Failed> {
    let rows = batch.num_rows();
    let mut arrays = Vec::with_capacity(batch.num_columns());
    for (i, a) in batch.columns().iter().enumerate() {
        arrays.push(if plan.reads(i) {
            Some(normalize(a)?)
        } else {
            None
        });
    }
    let mut owned_columns = Vec::with_capacity(arrays.len());
    for a in &arrays {
        owned_columns.push(match a {
            Some(a) => owned(a)?,
            None => Owned::Null(rows),
        });
    }
    let columns: Vec<Column<'_>> = owned_columns.iter().map(Owned::column).collect();
    let settled = plan.settle(&columns).map_err(Failed::Agreement)?;
    let dp = plan.minor_unit();
    let mut out: Vec<ArrayRef> = batch.columns().to_vec();
    for amounts in settled.amounts {
        let a = Decimal128Array::from(amounts)
            .with_precision_and_scale(38, dp as i8)
            .map_err(|e| Failed::Arrow(e.to_string()))?;
        out.push(Arc::new(a));
    }
    let mut errors = StringBuilder::with_capacity(rows, 0);
    for e in &settled.errors {
        match e {
            Some(e) => errors.append_value(e.to_string()),
            None => errors.append_null(),
        }
    }
    out.push(Arc::new(errors.finish()));
    RecordBatch::try_new(out_schema, out).map_err(|e| Failed::Arrow(e.to_string()))
}

#[pymethods]
impl Agreement {
    /// Compiles the agreement `text`; `name` is the file name diagnostics show.
    #[new]
    #[pyo3(signature = (text, name = "agreement.split"))]
    fn new(py: Python<'_>, text: &str, name: &str) -> PyResult<Agreement> {
        splitdsl::Agreement::compile(name, text)
            .map(Agreement::wrap)
            .map_err(|e| agreement_error(py, &e))
    }

    /// Reads and compiles the agreement at `path`.
    #[staticmethod]
    fn load(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Agreement> {
        splitdsl::Agreement::load(&path)
            .map(Agreement::wrap)
            .map_err(|e| agreement_error(py, &e))
    }

    /// The name it was compiled under.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// Its source text (what `splitdsl.spark` ships to the tasks).
    #[getter]
    fn text(&self) -> &str {
        self.inner.text()
    }

    /// The `agreement` title, if any.
    #[getter]
    fn title(&self) -> Option<&str> {
        self.inner.title()
    }

    /// The decimals of the currency's minor unit (2 for USD).
    #[getter]
    fn minor_unit(&self) -> PyResult<u32> {
        Ok(columns::currency(&self.inner).minor_unit())
    }

    /// The currency code (`USD`).
    #[getter]
    fn currency(&self) -> PyResult<&'static str> {
        Ok(columns::currency(&self.inner).code())
    }

    /// The names of the amount columns settle appends: each fee and share
    /// in deduction order, then `unallocated` (then comes `error`).
    #[getter]
    fn amounts(&self) -> PyResult<Vec<String>> {
        Ok(columns::amount_names(&self.inner))
    }

    /// Evaluates one sale; keyword arguments set inputs (`price="197.00 USD"`,
    /// a `Decimal`, an `int`, a `bool`, a `datetime.date`). Returns exactly the
    /// JSON of `splitdsl run --format json` as a dict.
    #[pyo3(signature = (**inputs))]
    fn evaluate(&self, py: Python<'_>, inputs: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
        let mut values = self.inner.inputs();
        if let Some(inputs) = inputs {
            for (k, v) in inputs.iter() {
                let name: String = k.extract()?;
                let set = if v.is_instance_of::<PyBool>() {
                    let b: bool = v.extract()?;
                    values.set_value(&name, splitdsl::Value::Bool(b))
                } else if v.is_instance_of::<pyo3::types::PyFloat>() {
                    return Err(PyTypeError::new_err(format!(
                        "`{name}` is a float, which is not exact: give a str (\"197.00 USD\") or a decimal.Decimal"
                    )));
                } else if let Ok(s) = v.extract::<String>() {
                    values.set(&name, &s)
                } else {
                    // int, Decimal, datetime.date: their str() is the literal.
                    let s = v.str()?.to_string();
                    values.set(&name, &s)
                };
                set.map_err(|e| agreement_error(py, &e))?;
            }
        }
        let breakdown = self
            .inner
            .evaluate(&values)
            .map_err(|e| agreement_error(py, &e))?;
        let json =
            serde_json::to_string(&breakdown).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(py.import("json")?.call_method1("loads", (json,))?.unbind())
    }

    /// Settles a pyarrow `RecordBatch` (or any object with
    /// `__arrow_c_array__`) into a `RecordBatch`, or a `Table` (any object
    /// with `__arrow_c_stream__`) into a `Table`: every input column, then
    /// one `decimal128(38, minor unit)` column per fee and share and
    /// `unallocated`, then `error` (null when the row settled).
    fn settle(&self, py: Python<'_>, data: AnyRecordBatch) -> PyResult<Py<PyAny>> {
        match data {
            AnyRecordBatch::RecordBatch(b) => {
                let out = self.settle_one(py, b.into_inner())?;
                Ok(PyRecordBatch::new(out).into_pyarrow(py)?.unbind())
            }
            AnyRecordBatch::Stream(s) => {
                let reader = s.into_reader()?;
                let schema = reader.schema();
                let out_schema = self.out_schema(py, &schema)?;
                let mut out = Vec::new();
                for b in reader {
                    let b = b.map_err(|e| PyValueError::new_err(e.to_string()))?;
                    out.push(self.settle_one(py, b)?);
                }
                Ok(PyTable::try_new(out, out_schema)?
                    .into_pyarrow(py)?
                    .unbind())
            }
        }
    }

    /// The schema `settle` returns for input of `schema` (a pyarrow schema).
    fn output_schema(&self, py: Python<'_>, schema: PySchema) -> PyResult<Py<PyAny>> {
        let out = self.out_schema(py, &schema.into_inner())?;
        Ok(PySchema::new(out).into_pyarrow(py)?.unbind())
    }

    /// Warnings found while compiling, rendered.
    #[getter]
    fn warnings(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let w: Vec<String> = self
            .inner
            .warnings()
            .iter()
            .map(|d| render(d, self.inner.name(), self.inner.text(), Style::PLAIN))
            .collect();
        Ok(PyList::new(py, w)?.unbind())
    }

    fn __repr__(&self) -> String {
        format!("Agreement.load({:?})", self.inner.name())
    }
}

/// The native module; `splitdsl/__init__.py` re-exports it.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Agreement>()?;
    m.add("AgreementError", m.py().get_type::<AgreementError>())?;
    Ok(())
}
