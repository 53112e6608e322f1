//! What every aggregate of the extension does with a group's rows: DuckDB hands `update` a
//! chunk with one state per row, rows of one group in runs; text arguments that configure the
//! computation (a KPI id, an options object) must be the same on every row of a group.

use libduckdb_sys::duckdb_aggregate_state;
use omnikpi::{ErrorCode, KpiError};
use std::ops::Range;

/// A text argument fixed for a group: the first row's, and every later row must agree.
#[derive(Debug, Default)]
pub(crate) struct Constant(Option<String>);

impl Constant {
    /// Takes `text` as the group's, or checks it is the one the group has.
    ///
    /// # Errors
    /// `invalid_parameter` at `path` for another text.
    pub(crate) fn agree(&mut self, text: &str, path: &str) -> Result<(), KpiError> {
        match &self.0 {
            None => self.0 = Some(text.to_owned()),
            Some(mine) if mine == text => {}
            Some(_) => return Err(differ(path)),
        }
        Ok(())
    }

    /// The group's text; `None` before any row.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

fn differ(path: &str) -> KpiError {
    KpiError::at(
        ErrorCode::InvalidParameter,
        path,
        "must be the same on every row of a group",
    )
}

/// The text argument of a run of rows, the same on each: the rows' bytes are compared (a
/// constant argument's rows share one string, compared by address), and only the first is
/// read as text.
///
/// # Errors
/// `missing_field` at `path` for a NULL, `invalid_parameter` for rows that differ.
pub(crate) fn run_text<'a>(
    rows: Range<usize>,
    text_of: &dyn Fn(usize) -> Option<&'a [u8]>,
    path: &str,
) -> Result<&'a str, KpiError> {
    let mut first: Option<&[u8]> = None;
    for row in rows {
        let text = text_of(row).ok_or_else(|| {
            KpiError::at(ErrorCode::MissingField, path, "is NULL; give it as text")
        })?;
        match first {
            None => first = Some(text),
            Some(f) if std::ptr::eq(f, text) || f == text => {}
            Some(_) => return Err(differ(path)),
        }
    }
    let first =
        first.ok_or_else(|| KpiError::new(ErrorCode::InternalError, None, "a run of no rows"))?;
    std::str::from_utf8(first)
        .map_err(|_| KpiError::at(ErrorCode::InvalidParameter, path, "is not UTF-8 text"))
}

/// The runs of consecutive rows (of `rows`) that share a state, with that state.
pub(crate) fn runs(
    rows: usize,
    state_of: &dyn Fn(usize) -> duckdb_aggregate_state,
) -> Vec<(duckdb_aggregate_state, Range<usize>)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows {
        let state = state_of(start);
        let mut end = start + 1;
        while end < rows && state_of(end) == state {
            end += 1;
        }
        out.push((state, start..end));
        start = end;
    }
    out
}

/// A group's state: merged from another thread's, finished into the result's JSON text.
pub(crate) trait GroupState: quack_rs::aggregate::AggregateState {
    /// Adds `other`'s rows (a combine source, only borrowed: DuckDB may still read it).
    fn merge_from(&mut self, other: &Self) -> Result<(), KpiError>;
    /// The group's result; `None` for a group without rows (SQL NULL). DuckDB finalizes a
    /// state once it has every row: the state may give its rows up to the result.
    fn result(&mut self) -> Result<Option<String>, KpiError>;
}

/// DuckDB's combine: each of `count` source states into its target.
///
/// # Safety
/// `source` and `target` hold `count` states initialised as `T` (DuckDB's combine arguments).
#[allow(unsafe_code)]
pub(crate) unsafe fn combine<T: GroupState>(
    source: *mut duckdb_aggregate_state,
    target: *mut duckdb_aggregate_state,
    count: usize,
) -> Result<(), KpiError> {
    use quack_rs::aggregate::FfiState;
    (0..count).try_for_each(|i| {
        // SAFETY: i < count, so both arrays hold an initialised state at i.
        let (from, to) = unsafe {
            (
                FfiState::<T>::with_state(*source.add(i)),
                FfiState::<T>::with_state_mut(*target.add(i)),
            )
        };
        match (from, to) {
            (Some(from), Some(to)) => to.merge_from(from),
            _ => Ok(()),
        }
    })
}

/// DuckDB's finalize: each of `count` states' result into rows `offset..` of the VARCHAR
/// vector `result`.
///
/// # Safety
/// `source` holds `count` states initialised as `T`; `result` is a VARCHAR vector with room
/// for rows `offset..offset + count` (DuckDB's finalize arguments).
#[allow(unsafe_code)]
pub(crate) unsafe fn finalize<T: GroupState>(
    source: *mut duckdb_aggregate_state,
    result: libduckdb_sys::duckdb_vector,
    count: usize,
    offset: usize,
) -> Result<(), KpiError> {
    use quack_rs::aggregate::FfiState;
    // SAFETY: as the caller guarantees.
    let mut writer = unsafe { quack_rs::vector::VectorWriter::from_vector(result) };
    for i in 0..count {
        // SAFETY: i < count; row offset + i is within the result vector.
        unsafe {
            match FfiState::<T>::with_state_mut(*source.add(i)).map_or(Ok(None), T::result)? {
                Some(json) => writer.write_varchar(offset + i, &json),
                None => writer.set_null(offset + i),
            }
        }
    }
    Ok(())
}

/// Reports `error` as the failure of the aggregate call that `info` belongs to.
pub(crate) fn report(info: libduckdb_sys::duckdb_function_info, error: &KpiError) {
    // SAFETY: `info` is the pointer DuckDB passed to the callback that failed.
    #[allow(unsafe_code)]
    unsafe { quack_rs::aggregate::AggregateFunctionInfo::new(info) }
        .set_error(&crate::failure(error));
}

/// DuckDB's `combine` and `finalize` callbacks for the group state `$state` (a [`GroupState`]).
macro_rules! combine_and_finalize {
    ($state:ty) => {
        quack_rs::aggregate_combine_callback!(combine, |info, source, target, count| {
            // SAFETY: DuckDB's combine arguments: `count` initialised states on each side.
            #[allow(unsafe_code)]
            let outcome =
                unsafe { $crate::group::combine::<$state>(source, target, count as usize) };
            if let Err(e) = outcome {
                $crate::group::report(info, &e);
            }
        });

        quack_rs::aggregate_finalize_callback!(finalize, |info, source, result, count, offset| {
            // SAFETY: DuckDB's finalize arguments: `count` initialised states, a VARCHAR result
            // vector with room for rows offset..offset + count.
            #[allow(unsafe_code)]
            let outcome = unsafe {
                $crate::group::finalize::<$state>(source, result, count as usize, offset as usize)
            };
            if let Err(e) = outcome {
                $crate::group::report(info, &e);
            }
        });
    };
}

pub(crate) use combine_and_finalize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_follow_consecutive_states() {
        // states are only compared, never read: addresses of locals stand for them
        let (mut a, mut b) = (0u8, 0u8);
        let (a, b) = (
            std::ptr::from_mut(&mut a).cast::<libduckdb_sys::_duckdb_aggregate_state>(),
            std::ptr::from_mut(&mut b).cast::<libduckdb_sys::_duckdb_aggregate_state>(),
        );
        let states = [a, a, b, a];
        let state_of = |row: usize| states.get(row).copied().unwrap_or(a);
        let runs: Vec<_> = runs(4, &state_of).into_iter().map(|(_, r)| r).collect();
        assert_eq!(runs, vec![0..2, 2..3, 3..4]);
        assert!(super::runs(0, &state_of).is_empty());
    }

    #[test]
    fn a_groups_text_arguments_must_agree_and_be_given() {
        let texts = [Some("{}"), Some("{}"), None, Some("{\"a\": 1}")];
        let text_of = |row: usize| texts.get(row).copied().flatten().map(str::as_bytes);
        assert_eq!(run_text(0..2, &text_of, "options").ok(), Some("{}"));
        let e = run_text(0..3, &text_of, "options").unwrap_err();
        assert_eq!(
            (e.code(), e.path()),
            (ErrorCode::MissingField, Some("options"))
        );
        let e = run_text(3..4, &text_of, "options").map(|_| ());
        assert!(e.is_ok());
        let mut constant = Constant::default();
        assert!(constant.agree("{}", "options").is_ok() && constant.agree("{}", "options").is_ok());
        let e = constant.agree("{\"a\": 1}", "options").unwrap_err();
        assert_eq!(
            (e.code(), constant.get()),
            (ErrorCode::InvalidParameter, Some("{}"))
        );
    }
}
