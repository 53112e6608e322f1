//! One slice of a long-format touch table, decoded column by column and then pushed row by row
//! into a [`LongBuilder`]: the cell rules and the validation order every touch-table reader
//! shares (Arrow batches from Python, Parquet, CSV and workbooks in [`super::arrow`]; rows of
//! host values from JavaScript in [`super::rows`]), so the same table gives the same first
//! error through each of them.
//!
//! Within a slice, cells are checked in this order: every timestamp, every conversion count,
//! every amount, every conversion timestamp; then row by row: the journey id, a missing
//! timestamp or channel, the amount's sign and scale, and the builder's checks. A journey's rows
//! that came apart (another journey's rows between them) are compared with each other after the
//! last row, run by run in row order ([`LongBuilder::finish`]).

use super::reading::{Columns, Conversions};
use crate::attribution::{JourneyKey, LongBuilder, Outcome};
use crate::error::{ErrorCode, KpiError, Result};
use rust_decimal::Decimal;

/// How many rows a reader decodes at a time: few enough that the decoded cells stay small next
/// to the journeys, many enough that the per-slice work does not count.
pub(crate) const SLICE_ROWS: usize = 65_536;

/// A conversion count written as text: a count, or a flag spelled as every boolean cell is
/// (`TRUE`, `false`, `1`, ...).
///
/// # Errors
/// `wrong_type` at `path`.
pub(crate) fn count_from_text(cell: &str, path: &str) -> Result<u64> {
    match cell.parse::<u64>() {
        Ok(n) => Ok(n),
        Err(_) => super::csv_boolean(cell, path).map(u64::from).map_err(|_| {
            KpiError::at(
                ErrorCode::WrongType,
                path,
                format!("`{cell}` is not a count or a boolean"),
            )
        }),
    }
}

/// A conversion count from a signed integer cell.
///
/// # Errors
/// `negative_count` at `path`.
pub(crate) fn count_from_integer(n: i64, path: impl FnOnce() -> String) -> Result<u64> {
    u64::try_from(n)
        .map_err(|_| KpiError::at(ErrorCode::NegativeCount, &path(), "must not be negative"))
}

/// Float money as the exact decimal of its binary value, for [`Money::exact`] to round as
/// declared ([`super::reading::Reading::money_from_float`]).
///
/// # Errors
/// `invalid_decimal` at `path` for a NaN, an infinity or a value beyond 28 digits.
pub(crate) fn float_decimal(x: f64, path: impl FnOnce() -> String) -> Result<Decimal> {
    Decimal::from_f64_retain(x).ok_or_else(|| {
        KpiError::at(
            ErrorCode::InvalidDecimal,
            &path(),
            format!("`{x}` is not a finite amount within 28 digits"),
        )
    })
}

/// The error for float money that was not declared, at its first value: floats lose cents.
pub(crate) fn undeclared_float(path: &str, value: f64) -> KpiError {
    KpiError::at(
        ErrorCode::WrongType,
        path,
        format!(
            "is the float {value}: floats lose cents; to round float money at the currency's minor unit, declare it \
             (CLI --money-from-float round-half-even, Python money_from_float=\"round_half_even\", \
             JS moneyFromFloat: \"round_half_even\")"
        ),
    )
}

/// A money column of a slice: minor units of the currency (decimal128 cells read by integer
/// arithmetic, all of them valid), or exact decimals checked cell by cell as rows are pushed.
pub(crate) enum Money {
    #[cfg_attr(
        not(feature = "arrow"),
        expect(dead_code, reason = "made by the Arrow reader's decimal128 path only")
    )]
    Minor(Vec<i128>),
    Exact(Vec<Option<Decimal>>),
}

impl Money {
    /// Exact decimals, rounded half to even at the currency's minor unit when the reading
    /// declared `money_from_float` (counted in `conversions`).
    pub(crate) fn exact(
        mut values: Vec<Option<Decimal>>,
        money_from_float: bool,
        currency: &crate::money::Currency,
        conversions: &mut Conversions,
    ) -> Self {
        if money_from_float {
            round_money(&mut values, currency.minor_units(), conversions);
        }
        Self::Exact(values)
    }

    /// The minor units of `row` (0 for an empty cell); errors at `place`: `negative_amount`,
    /// `invalid_money_scale`.
    pub(crate) fn at(
        &self,
        row: usize,
        currency: &crate::money::Currency,
        place: impl Fn() -> String,
    ) -> Result<i128> {
        match self {
            Self::Minor(m) => Ok(m.get(row).copied().unwrap_or(0)),
            Self::Exact(values) => match values.get(row).copied().flatten() {
                None => Ok(0),
                Some(v) if v.is_sign_negative() && !v.is_zero() => Err(KpiError::at(
                    ErrorCode::NegativeAmount,
                    &place(),
                    "must not be negative",
                )),
                Some(v) => Ok(currency.amount(v, &place())?.mantissa()),
            },
        }
    }
}

/// Rounds half to even, at `minor` places, the amounts that have more places (float money
/// declared as such), counting in `conversions` those rounded and those moved by more than 1e-9.
pub(crate) fn round_money(
    values: &mut [Option<Decimal>],
    minor: u32,
    conversions: &mut Conversions,
) {
    let tolerance = Decimal::new(1, 9);
    for v in values.iter_mut().flatten() {
        if v.scale() <= minor {
            continue;
        }
        let rounded = crate::decimal::round_half_even(*v, minor);
        conversions.money_rounded = conversions.money_rounded.saturating_add(1);
        let moved = v.checked_sub(rounded).map(|d| d.abs());
        if moved.is_none_or(|d| d > tolerance) {
            conversions.money_changed = conversions.money_changed.saturating_add(1);
        }
        *v = rounded;
    }
}

/// The two columns of a slice read row by row, borrowed from the reader's own cells.
pub(crate) trait Identities {
    /// The journey id of `row`; `None` for a null. Errors name the row of the slice.
    fn journey(&self, row: usize) -> Result<Option<JourneyKey<'_>>>;
    /// The channel of `row`: its id, or its name when it must be looked up (and for the
    /// builder's error); `None` for a null.
    fn channel(&self, row: usize) -> Option<std::result::Result<u16, &str>>;
}

impl<I: Identities> Identities for &I {
    fn journey(&self, row: usize) -> Result<Option<JourneyKey<'_>>> {
        (**self).journey(row)
    }

    fn channel(&self, row: usize) -> Option<std::result::Result<u16, &str>> {
        (**self).channel(row)
    }
}

/// The decoded columns of one slice (cells indexed from the slice's first row).
pub(crate) struct Slice<'a, I> {
    pub ids: I,
    pub times: Vec<Option<i64>>,
    pub counts: Vec<Option<u64>>,
    pub values: Money,
    pub conversion_times: Vec<Option<i64>>,
    pub names: &'a Columns,
    /// The table row of the slice's first row, which errors name.
    pub first_row: usize,
    pub rows: usize,
}

impl<I: Identities> Slice<'_, I> {
    /// Pushes the slice's rows, in row order, into `parts`: all of them into a single builder,
    /// or each row into the part of its journey ([`JourneyKey::part`]); `rows[p]` counts the
    /// rows part `p` received.
    ///
    /// # Errors
    /// `missing_field` for a null id, timestamp or channel; the id's, the amount's and the
    /// builder's errors.
    pub(crate) fn push(
        &self,
        parts: &mut [&mut LongBuilder],
        rows: &mut [usize],
        currency: &crate::money::Currency,
        renumbered: impl Fn(KpiError) -> KpiError,
    ) -> Result<()> {
        self.push_rows(parts, rows, currency, renumbered)
            .map_err(|e| {
                named(
                    e,
                    |row| self.ids.journey(row).ok().flatten(),
                    self.first_row,
                )
            })
    }

    /// [`Slice::push`] before errors name their journey.
    fn push_rows(
        &self,
        parts: &mut [&mut LongBuilder],
        rows: &mut [usize],
        currency: &crate::money::Currency,
        renumbered: impl Fn(KpiError) -> KpiError,
    ) -> Result<()> {
        let names = self.names;
        // a journey's rows mostly come together: its part is hashed once per run of rows
        let mut previous: Option<(JourneyKey<'_>, usize)> = None;
        for row in 0..self.rows {
            let table_row = self.first_row.saturating_add(row);
            let missing = |name: &str| {
                KpiError::at(
                    ErrorCode::MissingField,
                    &format!("table.{name}[{table_row}]"),
                    "is null",
                )
            };
            let journey = self
                .ids
                .journey(row)
                .map_err(&renumbered)?
                .ok_or_else(|| missing(&names.journey_id))?;
            let timestamp = self
                .times
                .get(row)
                .copied()
                .flatten()
                .ok_or_else(|| missing(&names.timestamp))?;
            let channel = self
                .ids
                .channel(row)
                .ok_or_else(|| missing(&names.channel))?;
            let outcome = Outcome {
                conversions: self.counts.get(row).copied().flatten().unwrap_or(0),
                value_minor: self.values.at(row, currency, || {
                    format!("table.{}[{table_row}]", names.value)
                })?,
                conversion_time: self.conversion_times.get(row).copied().flatten(),
            };
            let part = match previous {
                _ if parts.len() == 1 => 0,
                Some((key, part)) if key == journey => part,
                _ => journey.part(parts.len()),
            };
            previous = Some((journey, part));
            let (Some(builder), Some(count)) = (parts.get_mut(part), rows.get_mut(part)) else {
                return Err(KpiError::internal("a row without a part to read it into"));
            };
            *count = count.saturating_add(1);
            match channel {
                Ok(id) => builder.push_id(journey, timestamp, id, outcome, table_row)?,
                Err(name) => builder.push(journey, timestamp, name, outcome, table_row)?,
            }
        }
        Ok(())
    }
}

/// `e`, raised at a row of a table (a path `table.<column>[n]…` or `table[n]…`, `n` counted in
/// the table), naming that row's journey (`journey(n - first_row)`, the slice's rows counted from
/// `first_row`) when it does not name one yet: a table without row numbers (SQL) finds its rows
/// by journey. An error at no row, or at a row without a journey id, is returned as it is.
pub(crate) fn named<'k>(
    e: KpiError,
    journey: impl Fn(usize) -> Option<JourneyKey<'k>>,
    first_row: usize,
) -> KpiError {
    if e.message().contains("(journey `") {
        return e;
    }
    let row = e
        .path()
        .and_then(|p| cell(p.strip_prefix("table")?))
        .and_then(|(_, n, _)| n.checked_sub(first_row));
    match row.and_then(journey) {
        Some(key) => {
            let message = format!("{}{}", e.message(), key.note());
            KpiError::new(e.code(), e.path().map(str::to_owned), message)
        }
        None => e,
    }
}

/// A path at a row or cell split at its first index: what precedes `[n]`, `n`, and what
/// follows (`table.value[3].x` gives `table.value`, 3, `.x`); `None` without an index.
pub(crate) fn cell(path: &str) -> Option<(&str, usize, &str)> {
    let (before, rest) = path.split_once('[')?;
    let (row, after) = rest.split_once(']')?;
    Some((before, row.parse().ok()?, after))
}
