//! The dimensions of a touch table (`by`: brand, country, store...): columns whose value is
//! the journey's, repeated on each of its rows. They are read beside the journeys, in the same
//! pass, and cut the journeys read into segments, one per combination of values, as the
//! records of a KPI's input are cut by `by`.
//!
//! ```
//! # #[cfg(feature = "arrow")] {
//! use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
//! use omnikpi::channel::Taxonomy;
//! use omnikpi::money::Currency;
//! use omnikpi::table::arrow::JourneyReader;
//! use omnikpi::table::dimensions::Dimensions;
//! use omnikpi::table::reading::Reading;
//! use std::sync::Arc;
//! let tax = Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])).unwrap();
//! let eur = Currency::lookup("EUR", None, "currency").unwrap();
//! let table = RecordBatch::try_from_iter([
//!     ("journey_id", Arc::new(StringArray::from(vec!["u1", "u2", "u1"])) as ArrayRef),
//!     ("timestamp", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
//!     ("channel", Arc::new(StringArray::from(vec!["web"; 3])) as ArrayRef),
//!     ("conversions", Arc::new(Int64Array::from(vec![1, 0, 1])) as ArrayRef),
//!     ("brand", Arc::new(StringArray::from(vec!["B", "A", "B"])) as ArrayRef),
//! ]).unwrap();
//! let reading = Reading::from_json(&serde_json::json!({"timestamp_unit": "s"})).unwrap();
//! let mut journeys = JourneyReader::new(&reading, &tax, &eur);
//! let mut brands = Dimensions::new(&["brand".to_owned()], &reading, None);
//! journeys.push(&table).unwrap();
//! brands.push(&table).unwrap();
//! let segments = brands.segments(&journeys.finish().unwrap().0).unwrap();
//! assert_eq!(segments[0].0, vec!["A"]);
//! assert_eq!(segments[1].1.conversions, vec![1]); // u1, brand B
//! # }
//! ```

use super::reading::Reading;
use crate::attribution::JourneyBatch;
use crate::error::{ErrorCode, KpiError, Result};
#[cfg(feature = "arrow")]
use arrow_array::{cast::AsArray, Array, RecordBatch};
#[cfg(feature = "arrow")]
use arrow_schema::DataType;
use std::collections::{BTreeMap, HashMap};

/// The dimension values of each journey of a touch table, read a batch at a time.
#[derive(Debug, Clone)]
pub struct Dimensions {
    /// The dimensions read from columns: `by`, without `period` when it is derived.
    columns: Vec<String>,
    /// Where `period` is in `by` and its periods, when it is derived from each journey's
    /// conversion time rather than read.
    derived: Option<(usize, crate::incentive::Periods)>,
    id_column: String,
    /// Each combination of values met, by its number.
    keys: Vec<Vec<String>>,
    numbers: HashMap<Vec<String>, u32>,
    /// Each journey's combination, and the row it was first read on.
    journeys: HashMap<String, (u32, usize)>,
    /// The rows of the batches read ([`Dimensions::push`]), to number the next.
    #[cfg(feature = "arrow")]
    rows: usize,
}

impl Dimensions {
    /// The dimensions `by` of a table read as `reading` declares (its journey id column);
    /// with `periods`, `period` among them is derived from each journey's conversion time.
    pub fn new(
        by: &[String],
        reading: &Reading,
        periods: Option<&crate::incentive::Periods>,
    ) -> Self {
        let derived = periods.and_then(|p| {
            let at = by.iter().position(|b| b == crate::segment::PERIOD)?;
            Some((at, p.clone()))
        });
        let columns = by
            .iter()
            .enumerate()
            .filter(|(i, _)| derived.as_ref().map(|(at, _)| at) != Some(i))
            .map(|(_, b)| b.clone())
            .collect();
        Self {
            columns,
            derived,
            id_column: reading.columns.journey_id.clone(),
            keys: Vec::new(),
            numbers: HashMap::new(),
            journeys: HashMap::new(),
            #[cfg(feature = "arrow")]
            rows: 0,
        }
    }

    /// The dimensions read from columns, in the order of `by` (`period` left out when it is
    /// derived): the values [`Dimensions::push_row`] takes.
    pub fn names(&self) -> &[String] {
        &self.columns
    }

    /// The column holding the journey ids.
    pub fn id_column(&self) -> &str {
        &self.id_column
    }

    /// Reads one row's values (`key`, in the order of the names) for journey `id`; `row` is
    /// its number in the table, for errors.
    ///
    /// # Errors
    /// `invalid_dataset` at `table.<name>[row]` when the journey's earlier rows had other values.
    pub fn push_row(&mut self, id: &str, key: Vec<String>, row: usize) -> Result<()> {
        let number = self.number(key);
        self.journey(id, number, row)
    }

    /// Reads the dimensions of `batch`'s rows, numbered after the rows read before.
    ///
    /// # Errors
    /// `missing_field` at `table.<name>` for a dimension the table lacks, or at
    /// `table.<name>[row]` for an empty cell; `wrong_type` for a dimension neither text nor
    /// integers; `invalid_dataset` at `table.<name>[row]` for a journey whose rows disagree.
    #[cfg(feature = "arrow")]
    pub fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        let ids = text_column(batch, &self.id_column)?;
        let columns = self
            .columns
            .iter()
            .map(|name| text_column(batch, name))
            .collect::<Result<Vec<_>>>()?;
        let mut previous: Option<(&str, u32)> = None;
        for r in 0..batch.num_rows() {
            let row = self.rows.saturating_add(r);
            let id = if ids.is_valid(r) { ids.value(r) } else { "" };
            let mut key = Vec::with_capacity(columns.len());
            for (name, column) in self.columns.iter().zip(&columns) {
                if !column.is_valid(r) {
                    return Err(empty(name, row));
                }
                key.push(column.value(r).to_owned());
            }
            let number = self.number(key);
            if previous == Some((id, number)) {
                continue;
            }
            self.journey(id, number, row)?;
            previous = Some((id, number));
        }
        self.rows = self.rows.saturating_add(batch.num_rows());
        Ok(())
    }

    /// The number of a combination of values, numbered when first met.
    fn number(&mut self, key: Vec<String>) -> u32 {
        if let Some(n) = self.numbers.get(&key) {
            return *n;
        }
        let n = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        self.keys.push(key.clone());
        self.numbers.insert(key, n);
        n
    }

    /// Records journey `id`'s combination, refusing another than its earlier rows'.
    fn journey(&mut self, id: &str, number: u32, row: usize) -> Result<()> {
        match self.journeys.get(id) {
            None => {
                self.journeys.insert(id.to_owned(), (number, row));
                Ok(())
            }
            Some((first, _)) if *first == number => Ok(()),
            Some((first, first_row)) => {
                let earlier = self.keys.get(*first as usize).cloned().unwrap_or_default();
                let here = self.keys.get(number as usize).cloned().unwrap_or_default();
                let at = self
                    .columns
                    .iter()
                    .zip(earlier.iter().zip(&here))
                    .find(|(_, (a, b))| a != b)
                    .map_or("", |(name, _)| name.as_str());
                Err(KpiError::at(
                    ErrorCode::InvalidDataset,
                    &format!("table.{at}[{row}]"),
                    format!(
                        "is `{}` but journey `{id}` has `{}` at row {first_row}: a journey's dimensions are the same on every row",
                        here.join(", "),
                        earlier.join(", ")
                    ),
                ))
            }
        }
    }

    /// `journeys` cut by their combinations of values, in the order of the combinations
    /// (`period`, when derived, the label of each journey's conversion time).
    ///
    /// # Errors
    /// `internal_error` for journeys without ids or not read here; `invalid_timestamp` for a
    /// conversion time out of the calendar.
    pub fn segments(&self, journeys: &JourneyBatch) -> Result<Vec<(Vec<String>, JourneyBatch)>> {
        let ids = journeys
            .ids
            .as_ref()
            .ok_or_else(|| KpiError::internal("journeys of a table without their ids"))?;
        let mut groups: BTreeMap<Vec<String>, u32> = BTreeMap::new();
        let mut group_of = Vec::with_capacity(journeys.len());
        for j in 0..journeys.len() {
            let mut key = ids
                .text(j)
                .and_then(|id| self.journeys.get(id.as_ref()))
                .and_then(|(n, _)| self.keys.get(*n as usize))
                .cloned()
                .ok_or_else(|| KpiError::internal("a journey without its dimensions"))?;
            if let Some((at, periods)) = &self.derived {
                let time = journeys.conversion_time.get(j).copied().unwrap_or_default();
                let path = format!("journeys[{j}].conversion_timestamp");
                key.insert((*at).min(key.len()), periods.label(time, &path)?);
            }
            let next = u32::try_from(groups.len()).unwrap_or(u32::MAX);
            group_of.push(*groups.entry(key).or_insert(next));
        }
        Ok(groups
            .into_iter()
            .map(|(key, g)| (key, journeys.select(|j| group_of.get(j) == Some(&g))))
            .collect())
    }
}

/// `missing_field` at `table.<name>[row]`: an empty dimension cell, whatever the table.
pub(crate) fn empty(name: &str, row: usize) -> KpiError {
    KpiError::at(
        ErrorCode::MissingField,
        &format!("table.{name}[{row}]"),
        "is empty: every row of a journey carries its dimensions",
    )
}

/// Column `name` of `batch` as text (integers in decimal).
#[cfg(feature = "arrow")]
fn text_column(batch: &RecordBatch, name: &str) -> Result<arrow_array::StringArray> {
    let column = batch.column_by_name(name).ok_or_else(|| {
        KpiError::at(
            ErrorCode::MissingField,
            &format!("table.{name}"),
            "is not a column of the table",
        )
    })?;
    let readable = match column.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => {
            matches!(
                **values,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            )
        }
        t => t.is_integer(),
    };
    if !readable {
        return Err(KpiError::at(
            ErrorCode::WrongType,
            &format!("table.{name}"),
            format!("must hold text or integers, not {}", column.data_type()),
        ));
    }
    let text = arrow_cast::cast(column, &DataType::Utf8).map_err(|e| {
        KpiError::at(
            ErrorCode::WrongType,
            &format!("table.{name}"),
            e.to_string(),
        )
    })?;
    Ok(text.as_string::<i32>().clone())
}
