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

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Decimal128Builder, PrimitiveBuilder, StringBuilder,
};
use arrow_array::types::{
    Date32Type, Float64Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt64Type,
};
use arrow_array::{ArrayRef, ArrowPrimitiveType, RecordBatch};
use omnikpi::{ErrorCode, KpiError};
use quack_rs::data_chunk::DataChunk;
use quack_rs::types::{LogicalType, TypeId};
use quack_rs::vector::VectorReader;
use std::ops::Range;

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

/// One argument column gathered into parts: an Arrow builder per part, of the Arrow type that
/// holds the column's DuckDB type exactly (the table above). Each chunk's cells are appended
/// to the builder of their row's part, copied once from DuckDB's vector.
pub(crate) struct Parts {
    kind: Kind,
    source: Source,
    builders: Vec<Box<dyn ArrayBuilder>>,
    path: String,
}

impl Parts {
    /// `parts` empty builders for argument column `column` of `chunk`; `path` names the
    /// column in errors.
    ///
    /// # Errors
    /// `wrong_type` at `path` for a type without an exact Arrow counterpart here.
    pub(crate) fn new(
        chunk: &DataChunk,
        column: usize,
        parts: usize,
        path: &str,
    ) -> Result<Self, KpiError> {
        let logical = logical_type(chunk, column);
        let kind = Kind::of(&logical, path)?;
        Ok(Self {
            kind,
            source: Source::of(&logical),
            builders: (0..parts).map(|_| kind.builder(0)).collect(),
            path: path.to_owned(),
        })
    }

    /// Appends the cells of `rows` of column `column` of `chunk`, row `r` to part
    /// `part_of[r]`.
    ///
    /// # Errors
    /// `internal_error` when the chunk's column is not of the type the builders were made for.
    pub(crate) fn append(
        &mut self,
        chunk: &DataChunk,
        column: usize,
        part_of: &[u8],
        rows: Range<usize>,
    ) -> Result<(), KpiError> {
        // SAFETY: `column` is one of the chunk's argument columns (the aggregate's signature
        // fixes their number), flattened by DuckDB before `update`; `part_of` has one entry per
        // row of the chunk, and `rows` are rows of the chunk.
        #[allow(unsafe_code)]
        let reader = unsafe { chunk.reader(column) };
        let rows = rows.start..rows.end.min(part_of.len());
        append(
            &mut self.builders,
            &reader,
            &self.source,
            Cells { part_of, rows },
            &self.path,
        )
    }

    /// Part `part`'s cells so far as an array; the part's builder starts empty again, with
    /// room for as many cells (a part that filled a batch fills the next).
    pub(crate) fn finish(&mut self, part: usize) -> ArrayRef {
        let kind = self.kind;
        match self.builders.get_mut(part) {
            Some(b) => {
                let fresh = kind.builder(b.len());
                std::mem::replace(b, fresh).finish()
            }
            None => arrow_array::new_empty_array(&arrow_schema::DataType::Null),
        }
    }

    /// Part `part`'s cells so far as an array, the builder left as it is.
    pub(crate) fn finish_cloned(&self, part: usize) -> ArrayRef {
        match self.builders.get(part) {
            Some(b) => b.finish_cloned(),
            None => arrow_array::new_empty_array(&arrow_schema::DataType::Null),
        }
    }

    /// The number of cells part `part` holds.
    pub(crate) fn len(&self, part: usize) -> usize {
        self.builders.get(part).map_or(0, |b| b.len())
    }
}

/// The Arrow counterpart of a DuckDB type (the table above).
#[derive(Clone, Copy)]
enum Kind {
    Boolean,
    Int64,
    UInt64,
    Float64,
    Decimal(u8, i8),
    Utf8,
    TimestampS,
    TimestampMs,
    TimestampUs,
    TimestampUtc,
    TimestampNs,
    Date,
}

impl Kind {
    /// The counterpart of `logical`.
    ///
    /// # Errors
    /// `wrong_type` at `path` for a type without an exact Arrow counterpart here.
    fn of(logical: &LogicalType, path: &str) -> Result<Self, KpiError> {
        // SAFETY: `logical` is a live type handle; the DECIMAL width and scale are read from a
        // DECIMAL type only.
        #[allow(unsafe_code)]
        let kind = match unsafe { logical.get_type_id() } {
            TypeId::Boolean => Self::Boolean,
            TypeId::TinyInt
            | TypeId::SmallInt
            | TypeId::Integer
            | TypeId::BigInt
            | TypeId::UTinyInt
            | TypeId::USmallInt
            | TypeId::UInteger => Self::Int64,
            TypeId::UBigInt => Self::UInt64,
            TypeId::Float | TypeId::Double => Self::Float64,
            TypeId::Decimal => {
                let (width, scale) = unsafe { (logical.decimal_width(), logical.decimal_scale()) };
                let scale = i8::try_from(scale).map_err(|_| unsupported(path, "DECIMAL"))?;
                // checks the width and scale once, so that `builder` cannot fail
                Decimal128Builder::new()
                    .with_precision_and_scale(width, scale)
                    .map_err(|e| unsupported(path, &format!("DECIMAL({width}, {scale}) ({e})")))?;
                Self::Decimal(width, scale)
            }
            TypeId::Varchar | TypeId::Enum => Self::Utf8,
            TypeId::TimestampS => Self::TimestampS,
            TypeId::TimestampMs => Self::TimestampMs,
            TypeId::Timestamp => Self::TimestampUs,
            TypeId::TimestampTz => Self::TimestampUtc,
            TypeId::TimestampNs => Self::TimestampNs,
            TypeId::Date => Self::Date,
            other => return Err(unsupported(path, other.sql_name())),
        };
        Ok(kind)
    }

    /// An empty builder with room for `capacity` cells.
    fn builder(self, capacity: usize) -> Box<dyn ArrayBuilder> {
        fn primitive<T: ArrowPrimitiveType>(capacity: usize) -> Box<dyn ArrayBuilder> {
            Box::new(PrimitiveBuilder::<T>::with_capacity(capacity))
        }
        match self {
            Self::Boolean => Box::new(BooleanBuilder::with_capacity(capacity)),
            Self::Int64 => primitive::<Int64Type>(capacity),
            Self::UInt64 => primitive::<UInt64Type>(capacity),
            Self::Float64 => primitive::<Float64Type>(capacity),
            Self::Decimal(width, scale) => Box::new(
                // `of` checked the width and scale; the type is a Decimal128, as the builder's
                Decimal128Builder::with_capacity(capacity)
                    .with_data_type(arrow_schema::DataType::Decimal128(width, scale)),
            ),
            Self::Utf8 => Box::new(StringBuilder::with_capacity(capacity, capacity * 8)),
            Self::TimestampS => primitive::<TimestampSecondType>(capacity),
            Self::TimestampMs => primitive::<TimestampMillisecondType>(capacity),
            Self::TimestampUs => primitive::<TimestampMicrosecondType>(capacity),
            Self::TimestampUtc => Box::new(
                PrimitiveBuilder::<TimestampMicrosecondType>::with_capacity(capacity)
                    .with_timezone("UTC"),
            ),
            Self::TimestampNs => primitive::<TimestampNanosecondType>(capacity),
            Self::Date => primitive::<Date32Type>(capacity),
        }
    }
}

/// How a DuckDB vector's cells are read, taken from its type once (not for every chunk): the
/// type, the storage of a DECIMAL or ENUM, and an ENUM's members.
#[derive(Clone)]
struct Source {
    type_id: TypeId,
    /// The integer type a DECIMAL or an ENUM is stored as.
    storage: Option<TypeId>,
    /// An ENUM's members, by index.
    members: Vec<String>,
}

impl Source {
    /// How vectors of type `logical` are read.
    fn of(logical: &LogicalType) -> Self {
        // SAFETY: `logical` is a live type handle; the storage and members are read from a
        // DECIMAL or ENUM type only, member indexes below the dictionary's size.
        #[allow(unsafe_code)]
        unsafe {
            let type_id = logical.get_type_id();
            let (storage, members) = match type_id {
                TypeId::Decimal => (Some(logical.decimal_internal_type()), Vec::new()),
                TypeId::Enum => {
                    let size = u64::from(logical.enum_dictionary_size());
                    let members = (0..size).map(|i| logical.enum_dictionary_value(i));
                    (Some(logical.enum_internal_type()), members.collect())
                }
                _ => (None, Vec::new()),
            };
            Self {
                type_id,
                storage,
                members,
            }
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

/// The first `rows` values of a flat vector of type `logical` as an Arrow array.
fn vector_array(
    reader: &VectorReader,
    logical: &LogicalType,
    rows: usize,
    path: &str,
) -> Result<ArrayRef, KpiError> {
    let mut one = [Kind::of(logical, path)?.builder(rows)];
    let source = Source::of(logical);
    let part_of = vec![0; rows];
    let cells = Cells {
        part_of: &part_of,
        rows: 0..rows,
    };
    append(&mut one, reader, &source, cells, path)?;
    let [mut b] = one;
    Ok(b.finish())
}

/// The rows of a chunk to append, and the part of each row of the chunk.
#[derive(Clone)]
struct Cells<'a> {
    part_of: &'a [u8],
    rows: Range<usize>,
}

impl Cells<'_> {
    /// Each row with its part.
    fn each(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.rows
            .clone()
            .filter_map(|row| Some((row, usize::from(*self.part_of.get(row)?))))
    }
}

/// Each valid cell of `cells.rows` of `reader` (a flat vector read as `source` says) into the
/// builder of its part, nulls as nulls.
fn append(
    builders: &mut [Box<dyn ArrayBuilder>],
    reader: &VectorReader,
    source: &Source,
    cells: Cells<'_>,
    path: &str,
) -> Result<(), KpiError> {
    let r = reader;
    // SAFETY: every read below is of a row of the chunk, valid, with the
    // reader matching the vector's declared type (the arms follow `builder`'s).
    #[allow(unsafe_code)]
    unsafe {
        match source.type_id {
            TypeId::Boolean => {
                let mut typed = typed::<BooleanBuilder>(builders, path)?;
                for (row, part) in cells.each() {
                    if let Some(b) = typed.get_mut(part) {
                        b.append_option(r.is_valid(row).then(|| r.read_bool(row)));
                    }
                }
                Ok(())
            }
            TypeId::TinyInt => {
                primitives::<Int64Type>(builders, r, cells, path, |i| i64::from(r.read_i8(i)))
            }
            TypeId::SmallInt => {
                primitives::<Int64Type>(builders, r, cells, path, |i| i64::from(r.read_i16(i)))
            }
            TypeId::Integer => {
                primitives::<Int64Type>(builders, r, cells, path, |i| i64::from(r.read_i32(i)))
            }
            TypeId::BigInt => primitives::<Int64Type>(builders, r, cells, path, |i| r.read_i64(i)),
            TypeId::UTinyInt => {
                primitives::<Int64Type>(builders, r, cells, path, |i| i64::from(r.read_u8(i)))
            }
            TypeId::USmallInt => {
                primitives::<Int64Type>(builders, r, cells, path, |i| i64::from(r.read_u16(i)))
            }
            TypeId::UInteger => {
                primitives::<Int64Type>(builders, r, cells, path, |i| i64::from(r.read_u32(i)))
            }
            TypeId::UBigInt => {
                primitives::<UInt64Type>(builders, r, cells, path, |i| r.read_u64(i))
            }
            TypeId::Float => {
                primitives::<Float64Type>(builders, r, cells, path, |i| f64::from(r.read_f32(i)))
            }
            TypeId::Double => {
                primitives::<Float64Type>(builders, r, cells, path, |i| r.read_f64(i))
            }
            TypeId::Decimal => decimal(builders, r, source.storage, cells, path),
            TypeId::Varchar => texts(builders, r, cells, path, |i| r.read_str(i)),
            TypeId::Enum => enumeration(builders, r, source, cells, path),
            TypeId::TimestampS => {
                primitives::<TimestampSecondType>(builders, r, cells, path, |i| {
                    r.read_timestamp_s(i)
                })
            }
            TypeId::TimestampMs => {
                primitives::<TimestampMillisecondType>(builders, r, cells, path, |i| {
                    r.read_timestamp_ms(i)
                })
            }
            TypeId::Timestamp => {
                primitives::<TimestampMicrosecondType>(builders, r, cells, path, |i| r.read_i64(i))
            }
            TypeId::TimestampTz => {
                primitives::<TimestampMicrosecondType>(builders, r, cells, path, |i| {
                    r.read_timestamp_tz(i)
                })
            }
            TypeId::TimestampNs => {
                primitives::<TimestampNanosecondType>(builders, r, cells, path, |i| {
                    r.read_timestamp_ns(i)
                })
            }
            TypeId::Date => primitives::<Date32Type>(builders, r, cells, path, |i| r.read_i32(i)),
            other => Err(unsupported(path, other.sql_name())),
        }
    }
}

/// The builders as builders of type `B`.
///
/// # Errors
/// `internal_error` when one is of another type (a column changed type between chunks).
fn typed<'a, B: ArrayBuilder>(
    builders: &'a mut [Box<dyn ArrayBuilder>],
    path: &str,
) -> Result<Vec<&'a mut B>, KpiError> {
    builders
        .iter_mut()
        .map(|b| {
            b.as_any_mut().downcast_mut::<B>().ok_or_else(|| {
                KpiError::at(
                    ErrorCode::InternalError,
                    path,
                    "changed type from one chunk to the next",
                )
            })
        })
        .collect()
}

/// Each cell of a vector into its part's builder of `T`, `read` giving a valid row's value (the
/// caller's reads match the vector's type).
fn primitives<T: ArrowPrimitiveType>(
    builders: &mut [Box<dyn ArrayBuilder>],
    reader: &VectorReader,
    cells: Cells<'_>,
    path: &str,
    read: impl Fn(usize) -> T::Native,
) -> Result<(), KpiError> {
    let mut typed = typed::<PrimitiveBuilder<T>>(builders, path)?;
    for (row, part) in cells.each() {
        if let Some(b) = typed.get_mut(part) {
            // SAFETY: row < the vector's length; `read` runs only on valid rows.
            #[allow(unsafe_code)]
            let valid = unsafe { reader.is_valid(row) };
            b.append_option(valid.then(|| read(row)));
        }
    }
    Ok(())
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
    builders: &mut [Box<dyn ArrayBuilder>],
    reader: &VectorReader,
    storage: Option<TypeId>,
    cells: Cells<'_>,
    path: &str,
) -> Result<(), KpiError> {
    // SAFETY: `storage` is the internal type of the DECIMAL column `reader` reads, the type
    // read below; rows < the chunk's size, checked for validity before each read.
    #[allow(unsafe_code)]
    unsafe {
        let r = reader;
        match storage {
            Some(TypeId::SmallInt) => {
                primitives::<arrow_array::types::Decimal128Type>(builders, r, cells, path, |i| {
                    i128::from(r.read_i16(i))
                })
            }
            Some(TypeId::Integer) => {
                primitives::<arrow_array::types::Decimal128Type>(builders, r, cells, path, |i| {
                    i128::from(r.read_i32(i))
                })
            }
            Some(TypeId::BigInt) => {
                primitives::<arrow_array::types::Decimal128Type>(builders, r, cells, path, |i| {
                    i128::from(r.read_i64(i))
                })
            }
            Some(TypeId::HugeInt) => {
                primitives::<arrow_array::types::Decimal128Type>(builders, r, cells, path, |i| {
                    r.read_i128(i)
                })
            }
            other => Err(unsupported(path, other.map_or("DECIMAL", |t| t.sql_name()))),
        }
    }
}

/// An ENUM vector as the text of its members.
fn enumeration(
    builders: &mut [Box<dyn ArrayBuilder>],
    reader: &VectorReader,
    source: &Source,
    cells: Cells<'_>,
    path: &str,
) -> Result<(), KpiError> {
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
        texts(builders, reader, cells, path, |i| {
            members.get(index(i)).map_or("", String::as_str)
        })
    }
}

/// Each cell of a text vector into its part's builder, `read` giving a valid row's text.
fn texts<'s>(
    builders: &mut [Box<dyn ArrayBuilder>],
    reader: &VectorReader,
    cells: Cells<'_>,
    path: &str,
    read: impl Fn(usize) -> &'s str,
) -> Result<(), KpiError> {
    // SAFETY: rows of the chunk, checked for validity before `read`.
    #[allow(unsafe_code)]
    let text = |row: usize| unsafe { reader.is_valid(row) }.then(|| read(row));
    let mut typed = typed::<StringBuilder>(builders, path)?;
    for (row, part) in cells.each() {
        if let Some(b) = typed.get_mut(part) {
            b.append_option(text(row));
        }
    }
    Ok(())
}
