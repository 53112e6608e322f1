//! A DuckDB argument vector as an Arrow array: the same values in the Arrow type that holds
//! them exactly (the types DuckDB's own Arrow export gives), so the core's Arrow reader reads
//! SQL columns by the rules it reads Parquet, pandas and polars by. No value is interpreted
//! here: units, money scale and outcome placement are the core's.
//!
//! | DuckDB | Arrow |
//! | --- | --- |
//! | BOOLEAN | Boolean |
//! | TINYINT, SMALLINT, INTEGER, BIGINT, UTINYINT, USMALLINT, UINTEGER | Int64 |
//! | UBIGINT | UInt64 |
//! | FLOAT, DOUBLE | Float64 |
//! | DECIMAL(w, s) | Decimal128(w, s) |
//! | VARCHAR, ENUM | Utf8 |
//! | TIMESTAMP_S, TIMESTAMP_MS, TIMESTAMP, TIMESTAMP_NS | Timestamp(s, ms, us, ns) |
//! | TIMESTAMPTZ | Timestamp(us, UTC) |
//! | DATE | Date32 |

use arrow_array::builder::{Decimal128Builder, StringBuilder};
use arrow_array::types::{
    Date32Type, Float64Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt64Type,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, PrimitiveArray, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use omnikpi::{ErrorCode, KpiError};
use quack_rs::data_chunk::DataChunk;
use quack_rs::types::{LogicalType, TypeId};
use quack_rs::vector::VectorReader;
use std::sync::Arc;

/// Column `column` of `chunk` (its first `rows` rows) as an Arrow array; `name` is the
/// argument's role, for the error.
///
/// # Errors
/// `wrong_type` at `table.<name>` for a DuckDB type without an exact Arrow counterpart here
/// (lists, structs, intervals, HUGEINT, ...): cast the argument in SQL.
pub(crate) fn arrow_column(
    chunk: &DataChunk,
    column: usize,
    rows: usize,
    name: &str,
) -> Result<ArrayRef, KpiError> {
    // SAFETY: `column` is one of the chunk's argument columns (the aggregate's signature fixes
    // their number), flattened by DuckDB before `update`.
    #[allow(unsafe_code)]
    let reader = unsafe { chunk.reader(column) };
    let path = format!("table.{name}");
    vector_array(&reader, &logical_type(chunk, column), rows, &path)
}

/// The logical type of argument column `column` (owned, released when dropped).
fn logical_type(chunk: &DataChunk, column: usize) -> LogicalType {
    // SAFETY: `column` is one of the chunk's argument columns; DuckDB hands over a new type
    // handle, which the returned value owns.
    #[allow(unsafe_code)]
    unsafe {
        LogicalType::from_raw(libduckdb_sys::duckdb_vector_get_column_type(
            chunk.vector(column),
        ))
    }
}

/// The DuckDB type of argument column `column`.
pub(crate) fn type_id(chunk: &DataChunk, column: usize) -> TypeId {
    // SAFETY: a type handle of this chunk's column, alive for the call.
    #[allow(unsafe_code)]
    unsafe {
        logical_type(chunk, column).get_type_id()
    }
}

/// A STRUCT argument column as a record batch, one column per field (by the field's name):
/// the rows of a table handed over whole (`omnikpi_aggregate(kpi, t, ...) FROM t`). `None`
/// when the column is not a STRUCT.
///
/// # Errors
/// As [`arrow_column`], at `record.<field>`.
pub(crate) fn struct_batch(
    chunk: &DataChunk,
    column: usize,
    rows: usize,
) -> Result<Option<RecordBatch>, KpiError> {
    // SAFETY: as in `arrow_column`; the field readers and types are those of this STRUCT
    // column's fields, indexes below its field count.
    #[allow(unsafe_code)]
    unsafe {
        let logical = logical_type(chunk, column);
        if logical.get_type_id() != TypeId::Struct {
            return Ok(None);
        }
        let fields = (0..logical.struct_child_count())
            .map(|f| {
                let name = logical.struct_child_name(f);
                let reader = chunk.struct_field_reader(column, f as usize);
                let path = format!("record.{name}");
                let array = vector_array(&reader, &logical.struct_child_type(f), rows, &path)?;
                Ok((name, array))
            })
            .collect::<Result<Vec<(String, ArrayRef)>, KpiError>>()?;
        RecordBatch::try_from_iter(fields).map(Some).map_err(|e| {
            KpiError::new(
                omnikpi::ErrorCode::InternalError,
                None,
                format!("a STRUCT as Arrow: {e}"),
            )
        })
    }
}

/// The first `rows` values of a flat vector of type `logical` as an Arrow array.
fn vector_array(
    reader: &VectorReader,
    logical: &LogicalType,
    rows: usize,
    path: &str,
) -> Result<ArrayRef, KpiError> {
    // SAFETY: every read below is of a row < `rows` (the vector's length), checked for
    // validity first (in `primitive` and the helpers), with the reader matching the vector's
    // declared type.
    #[allow(unsafe_code)]
    unsafe {
        let r = reader;
        let array: ArrayRef = match logical.get_type_id() {
            TypeId::Boolean => {
                let cells = (0..rows).map(|i| r.is_valid(i).then(|| r.read_bool(i)));
                Arc::new(BooleanArray::from_iter(cells))
            }
            TypeId::TinyInt => primitive::<Int64Type>(r, rows, |i| i64::from(r.read_i8(i))),
            TypeId::SmallInt => primitive::<Int64Type>(r, rows, |i| i64::from(r.read_i16(i))),
            TypeId::Integer => primitive::<Int64Type>(r, rows, |i| i64::from(r.read_i32(i))),
            TypeId::BigInt => primitive::<Int64Type>(r, rows, |i| r.read_i64(i)),
            TypeId::UTinyInt => primitive::<Int64Type>(r, rows, |i| i64::from(r.read_u8(i))),
            TypeId::USmallInt => primitive::<Int64Type>(r, rows, |i| i64::from(r.read_u16(i))),
            TypeId::UInteger => primitive::<Int64Type>(r, rows, |i| i64::from(r.read_u32(i))),
            TypeId::UBigInt => primitive::<UInt64Type>(r, rows, |i| r.read_u64(i)),
            TypeId::Float => primitive::<Float64Type>(r, rows, |i| f64::from(r.read_f32(i))),
            TypeId::Double => primitive::<Float64Type>(r, rows, |i| r.read_f64(i)),
            TypeId::Decimal => decimal(r, logical, rows, path)?,
            TypeId::Varchar => {
                let cells = (0..rows).map(|i| r.is_valid(i).then(|| r.read_str(i)));
                Arc::new(StringArray::from_iter(cells))
            }
            TypeId::Enum => enumeration(r, logical, rows, path)?,
            TypeId::TimestampS => {
                primitive::<TimestampSecondType>(r, rows, |i| r.read_timestamp_s(i))
            }
            TypeId::TimestampMs => {
                primitive::<TimestampMillisecondType>(r, rows, |i| r.read_timestamp_ms(i))
            }
            TypeId::Timestamp => primitive::<TimestampMicrosecondType>(r, rows, |i| r.read_i64(i)),
            TypeId::TimestampTz => {
                let cells = (0..rows).map(|i| r.is_valid(i).then(|| r.read_timestamp_tz(i)));
                Arc::new(TimestampMicrosecondArray::from_iter(cells).with_timezone("UTC"))
            }
            TypeId::TimestampNs => {
                primitive::<TimestampNanosecondType>(r, rows, |i| r.read_timestamp_ns(i))
            }
            TypeId::Date => primitive::<Date32Type>(r, rows, |i| r.read_i32(i)),
            other => return Err(unsupported(path, other.sql_name())),
        };
        Ok(array)
    }
}

/// The first `rows` values of a vector as an Arrow array of `T`, `read` giving a valid row's
/// value (the caller's reads match the vector's type).
fn primitive<T: ArrowPrimitiveType>(
    reader: &VectorReader,
    rows: usize,
    read: impl Fn(usize) -> T::Native,
) -> ArrayRef {
    // SAFETY: rows < the vector's length; `read` runs only on valid rows.
    #[allow(unsafe_code)]
    let cells = (0..rows).map(|i| unsafe { reader.is_valid(i) }.then(|| read(i)));
    Arc::new(PrimitiveArray::<T>::from_iter(cells))
}

fn unsupported(path: &str, type_name: &str) -> KpiError {
    KpiError::at(
        ErrorCode::WrongType,
        path,
        format!("is a DuckDB {type_name}, which omnikpi does not read; cast it (to VARCHAR, BIGINT, DECIMAL or TIMESTAMP)"),
    )
}

/// A DECIMAL vector, stored as 16-, 32-, 64- or 128-bit integers by its width.
fn decimal(
    reader: &VectorReader,
    logical: &LogicalType,
    rows: usize,
    path: &str,
) -> Result<ArrayRef, KpiError> {
    // SAFETY: `logical` is the DECIMAL type of `reader`'s column, whose storage is the internal
    // type read below; rows < the chunk's size, checked for validity before each read.
    #[allow(unsafe_code)]
    unsafe {
        let (width, scale) = (logical.decimal_width(), logical.decimal_scale());
        let read: Box<dyn Fn(usize) -> i128> = match logical.decimal_internal_type() {
            TypeId::SmallInt => Box::new(|r| i128::from(reader.read_i16(r))),
            TypeId::Integer => Box::new(|r| i128::from(reader.read_i32(r))),
            TypeId::BigInt => Box::new(|r| i128::from(reader.read_i64(r))),
            TypeId::HugeInt => Box::new(|r| reader.read_i128(r)),
            other => return Err(unsupported(path, other.sql_name())),
        };
        let mut b = Decimal128Builder::with_capacity(rows);
        (0..rows).for_each(|r| b.append_option(reader.is_valid(r).then(|| read(r))));
        let scale = i8::try_from(scale).map_err(|_| unsupported(path, "DECIMAL"))?;
        let array = b
            .finish()
            .with_precision_and_scale(width, scale)
            .map_err(|e| unsupported(path, &format!("DECIMAL({width}, {scale}) ({e})")))?;
        Ok(Arc::new(array))
    }
}

/// An ENUM vector as the text of its members.
fn enumeration(
    reader: &VectorReader,
    logical: &LogicalType,
    rows: usize,
    path: &str,
) -> Result<ArrayRef, KpiError> {
    // SAFETY: `logical` is the ENUM type of `reader`'s column, whose storage is the internal
    // type read below; member indexes come from the vector and are below the dictionary size.
    #[allow(unsafe_code)]
    unsafe {
        let members: Vec<String> = (0..u64::from(logical.enum_dictionary_size()))
            .map(|i| logical.enum_dictionary_value(i))
            .collect();
        let index: Box<dyn Fn(usize) -> usize> = match logical.enum_internal_type() {
            TypeId::UTinyInt => Box::new(|r| usize::from(reader.read_u8(r))),
            TypeId::USmallInt => Box::new(|r| usize::from(reader.read_u16(r))),
            TypeId::UInteger => Box::new(|r| reader.read_u32(r) as usize),
            other => return Err(unsupported(path, other.sql_name())),
        };
        let mut b = StringBuilder::with_capacity(rows, rows.saturating_mul(8));
        (0..rows).for_each(|r| {
            b.append_option(
                reader
                    .is_valid(r)
                    .then(|| members.get(index(r)).map_or("", String::as_str)),
            )
        });
        Ok(Arc::new(b.finish()))
    }
}
