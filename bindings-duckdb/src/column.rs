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

use arrow_array::builder::StringBuilder;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt64Type,
};
use arrow_array::{
    ArrayRef, ArrowPrimitiveType, BooleanArray, DictionaryArray, PrimitiveArray, RecordBatch,
};
use arrow_buffer::{BooleanBuffer, NullBuffer};
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

/// Distinct strings a chunk's column may hold for [`few_texts`] to give it as a dictionary.
const FEW: usize = 64;

/// Column `column` of `chunk` as [`arrow_column`] gives it, but a VARCHAR column of few
/// distinct values (a channel) as a dictionary array: rows whose DuckDB strings are the same
/// 16 bytes (an inline text, or a pointer into DuckDB's own dictionary) share one value, so
/// the core looks each channel up once per chunk, not once per row. The same texts, in
/// another Arrow encoding: nothing is interpreted here.
///
/// # Errors
/// As [`arrow_column`].
pub(crate) fn few_texts(
    chunk: &DataChunk,
    column: usize,
    rows: usize,
    name: &str,
) -> Result<ArrayRef, KpiError> {
    if type_id(chunk, column) != TypeId::Varchar {
        return arrow_column(chunk, column, rows, name);
    }
    // SAFETY: `column` is a flat VARCHAR argument column of the chunk: its data is `rows`
    // 16-byte `duckdb_string_t` cells, read unaligned; texts are read from valid rows only.
    #[allow(unsafe_code)]
    unsafe {
        let reader = chunk.reader(column);
        let cells = Cells::of(&reader, rows);
        let raw = libduckdb_sys::duckdb_vector_get_data(chunk.vector(column)).cast::<u128>();
        let mut seen: Vec<u128> = Vec::new();
        let mut values = StringBuilder::new();
        let mut keys = Vec::with_capacity(rows);
        for row in 0..rows {
            if !cells.valid(row) {
                keys.push(0);
                continue;
            }
            let cell = raw.add(row).read_unaligned();
            let key = match seen.iter().position(|s| *s == cell) {
                Some(key) => key,
                None if seen.len() < FEW => {
                    seen.push(cell);
                    values.append_value(reader.read_str(row));
                    seen.len() - 1
                }
                None => return arrow_column(chunk, column, rows, name),
            };
            keys.push(i32::try_from(key).unwrap_or(0));
        }
        let keys = PrimitiveArray::<Int32Type>::new(keys.into(), cells.nulls);
        let dictionary = DictionaryArray::try_new(keys, Arc::new(values.finish()));
        dictionary.map(|d| Arc::new(d) as ArrayRef).map_err(|e| {
            KpiError::new(ErrorCode::InternalError, None, format!("a dictionary: {e}"))
        })
    }
}

/// How a DuckDB vector's cells are read, taken from its type at each chunk: the type, the
/// storage of a DECIMAL or ENUM, a DECIMAL's width and scale, and an ENUM's members.
struct Source {
    type_id: TypeId,
    /// The integer type a DECIMAL or an ENUM is stored as.
    storage: Option<TypeId>,
    /// A DECIMAL's width and scale.
    decimal: Option<(u8, i8)>,
    /// An ENUM's members, by index.
    members: Vec<String>,
}

impl Source {
    /// How vectors of type `logical` are read.
    ///
    /// # Errors
    /// `wrong_type` at `path` for a DECIMAL whose scale Arrow cannot hold.
    fn of(logical: &LogicalType, path: &str) -> Result<Self, KpiError> {
        // SAFETY: `logical` is a live type handle; the storage, width, scale and members are
        // read from a DECIMAL or ENUM type only, member indexes below the dictionary's size.
        #[allow(unsafe_code)]
        unsafe {
            let type_id = logical.get_type_id();
            let mut source = Self {
                type_id,
                storage: None,
                decimal: None,
                members: Vec::new(),
            };
            match type_id {
                TypeId::Decimal => {
                    let scale = i8::try_from(logical.decimal_scale())
                        .map_err(|_| unsupported(path, "DECIMAL"))?;
                    source.storage = Some(logical.decimal_internal_type());
                    source.decimal = Some((logical.decimal_width(), scale));
                }
                TypeId::Enum => {
                    let size = u64::from(logical.enum_dictionary_size());
                    let members = (0..size).map(|i| logical.enum_dictionary_value(i));
                    source.storage = Some(logical.enum_internal_type());
                    source.members = members.collect();
                }
                _ => {}
            }
            Ok(source)
        }
    }
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

/// The first `rows` values of a flat vector of type `logical` as an Arrow array, copied once:
/// the values into one buffer, the validity into one bitmap.
fn vector_array(
    reader: &VectorReader,
    logical: &LogicalType,
    rows: usize,
    path: &str,
) -> Result<ArrayRef, KpiError> {
    let source = Source::of(logical, path)?;
    let cells = Cells::of(reader, rows);
    let r = reader;
    // SAFETY: every read below is of a valid row of the chunk (`Cells::values` reads valid rows
    // only), with the reader matching the vector's declared type.
    #[allow(unsafe_code)]
    unsafe {
        let array: ArrayRef = match source.type_id {
            TypeId::Boolean => {
                let values =
                    BooleanBuffer::collect_bool(rows, |i| cells.valid(i) && r.read_bool(i));
                Arc::new(BooleanArray::new(values, cells.nulls))
            }
            TypeId::TinyInt => cells.primitive::<Int64Type>(|i| i64::from(r.read_i8(i))),
            TypeId::SmallInt => cells.primitive::<Int64Type>(|i| i64::from(r.read_i16(i))),
            TypeId::Integer => cells.primitive::<Int64Type>(|i| i64::from(r.read_i32(i))),
            TypeId::BigInt => cells.primitive::<Int64Type>(|i| r.read_i64(i)),
            TypeId::UTinyInt => cells.primitive::<Int64Type>(|i| i64::from(r.read_u8(i))),
            TypeId::USmallInt => cells.primitive::<Int64Type>(|i| i64::from(r.read_u16(i))),
            TypeId::UInteger => cells.primitive::<Int64Type>(|i| i64::from(r.read_u32(i))),
            TypeId::UBigInt => cells.primitive::<UInt64Type>(|i| r.read_u64(i)),
            TypeId::Float => cells.primitive::<Float64Type>(|i| f64::from(r.read_f32(i))),
            TypeId::Double => cells.primitive::<Float64Type>(|i| r.read_f64(i)),
            TypeId::Decimal => decimal(&cells, r, &source, path)?,
            TypeId::Varchar => cells.texts(|i| r.read_str(i)),
            TypeId::Enum => enumeration(&cells, r, &source, path)?,
            TypeId::TimestampS => cells.primitive::<TimestampSecondType>(|i| r.read_timestamp_s(i)),
            TypeId::TimestampMs => {
                cells.primitive::<TimestampMillisecondType>(|i| r.read_timestamp_ms(i))
            }
            TypeId::Timestamp => cells.primitive::<TimestampMicrosecondType>(|i| r.read_i64(i)),
            TypeId::TimestampTz => Arc::new(
                cells
                    .values::<TimestampMicrosecondType>(|i| r.read_timestamp_tz(i))
                    .with_timezone("UTC"),
            ),
            TypeId::TimestampNs => {
                cells.primitive::<TimestampNanosecondType>(|i| r.read_timestamp_ns(i))
            }
            TypeId::Date => cells.primitive::<Date32Type>(|i| r.read_i32(i)),
            other => return Err(unsupported(path, other.sql_name())),
        };
        Ok(array)
    }
}

/// The rows of a flat vector and which of them are valid.
struct Cells {
    rows: usize,
    /// `None` when every row is valid.
    nulls: Option<NullBuffer>,
}

impl Cells {
    /// The first `rows` rows of `reader`'s vector.
    fn of(reader: &VectorReader, rows: usize) -> Self {
        // SAFETY: rows below the vector's length.
        #[allow(unsafe_code)]
        let valid = BooleanBuffer::collect_bool(rows, |i| unsafe { reader.is_valid(i) });
        let nulls = Some(NullBuffer::new(valid)).filter(|n| n.null_count() > 0);
        Self { rows, nulls }
    }

    /// Whether row `row` holds a value.
    fn valid(&self, row: usize) -> bool {
        self.nulls.as_ref().is_none_or(|n| n.is_valid(row))
    }

    /// Each row's value (`read` runs on valid rows only; a null row holds the default).
    fn values<T: ArrowPrimitiveType>(
        &self,
        read: impl Fn(usize) -> T::Native,
    ) -> PrimitiveArray<T> {
        let values: Vec<T::Native> = (0..self.rows)
            .map(|i| {
                if self.valid(i) {
                    read(i)
                } else {
                    T::Native::default()
                }
            })
            .collect();
        PrimitiveArray::new(values.into(), self.nulls.clone())
    }

    /// [`Cells::values`] as an array.
    fn primitive<T: ArrowPrimitiveType>(&self, read: impl Fn(usize) -> T::Native) -> ArrayRef {
        Arc::new(self.values::<T>(read))
    }

    /// Each row's text (`read` runs on valid rows only).
    fn texts<'s>(&self, read: impl Fn(usize) -> &'s str) -> ArrayRef {
        let mut texts = StringBuilder::with_capacity(self.rows, self.rows * 8);
        for i in 0..self.rows {
            texts.append_option(self.valid(i).then(|| read(i)));
        }
        Arc::new(texts.finish())
    }
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
    cells: &Cells,
    reader: &VectorReader,
    source: &Source,
    path: &str,
) -> Result<ArrayRef, KpiError> {
    let r = reader;
    // SAFETY: `storage` is the internal type of the DECIMAL column `reader` reads, the type
    // read below; `Cells::values` reads valid rows only.
    #[allow(unsafe_code)]
    let values = unsafe {
        match source.storage {
            Some(TypeId::SmallInt) => cells.values::<Decimal128Type>(|i| i128::from(r.read_i16(i))),
            Some(TypeId::Integer) => cells.values::<Decimal128Type>(|i| i128::from(r.read_i32(i))),
            Some(TypeId::BigInt) => cells.values::<Decimal128Type>(|i| i128::from(r.read_i64(i))),
            Some(TypeId::HugeInt) => cells.values::<Decimal128Type>(|i| r.read_i128(i)),
            other => return Err(unsupported(path, other.map_or("DECIMAL", |t| t.sql_name()))),
        }
    };
    let Some((width, scale)) = source.decimal else {
        return Err(unsupported(path, "DECIMAL"));
    };
    let values = values
        .with_precision_and_scale(width, scale)
        .map_err(|e| unsupported(path, &format!("DECIMAL({width}, {scale}) ({e})")))?;
    Ok(Arc::new(values))
}

/// An ENUM vector as the text of its members.
fn enumeration(
    cells: &Cells,
    reader: &VectorReader,
    source: &Source,
    path: &str,
) -> Result<ArrayRef, KpiError> {
    // SAFETY: `source` describes the ENUM column `reader` reads: its storage is the type read
    // below; a member index beyond the members reads as "" (DuckDB writes none).
    #[allow(unsafe_code)]
    unsafe {
        let members = &source.members;
        let index: Box<dyn Fn(usize) -> usize> = match source.storage {
            Some(TypeId::UTinyInt) => Box::new(|r| usize::from(reader.read_u8(r))),
            Some(TypeId::USmallInt) => Box::new(|r| usize::from(reader.read_u16(r))),
            Some(TypeId::UInteger) => Box::new(|r| reader.read_u32(r) as usize),
            other => return Err(unsupported(path, other.map_or("ENUM", |t| t.sql_name()))),
        };
        Ok(cells.texts(|i| members.get(index(i)).map_or("", String::as_str)))
    }
}
