//! Tables in, as users hold them: CSV text ([`csv`]), Arrow record batches ([`arrow`], with
//! the `arrow` feature: Python tables through the PyCapsule interface, Parquet, CSV and workbooks
//! in the CLI) and touch tables held as host values ([`rows`]: JavaScript row objects or columns),
//! read as the user declares ([`reading`]). Every front end hands its table to these readers, and
//! touch tables share one set of cell rules and one order of checks (`touches`), so a cell is
//! read by one rule everywhere.
//!
//! ```
//! let csv = "channel,group,direct\nweb,online,TRUE\nstore,offline,0\n";
//! let channels = omnikpi::table::channels_from_csv(csv, "channels.csv").unwrap();
//! assert_eq!(channels[0]["direct"], true);
//! ```

#[cfg(feature = "arrow")]
pub mod arrow;
pub mod csv;
pub mod dimensions;
pub mod reading;
pub mod records;
pub mod rows;
pub(crate) mod touches;
mod unit;
pub mod xlsx;

pub(crate) use self::csv::Table;
pub use self::csv::{channels_from_csv, csv_boolean, CsvRows};
pub use self::unit::TimestampUnit;

/// The choice named `value` (`-` read as `_`: `last-touch` is `last_touch`) among `choices`, for
/// the options a user declares by name (units, outcome placement, dialects).
///
/// # Errors
/// `invalid_parameter` at `path`, listing the names.
pub(crate) fn one_of<T: Copy>(
    value: &str,
    choices: &[(&str, T)],
    path: &str,
) -> crate::error::Result<T> {
    let wanted = value.replace('-', "_");
    choices
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            crate::error::KpiError::at(
                crate::error::ErrorCode::InvalidParameter,
                path,
                format!("must be one of {}, got `{value}`", names.join(", ")),
            )
        })
}
