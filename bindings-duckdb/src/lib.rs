//! omnikpi inside DuckDB: the same core, the same numbers as the CLI, Python and JS.
//!
//! Built as `omnikpi.duckdb_extension` (`bash scripts/setup.sh` builds and stamps it), loaded
//! into DuckDB with unsigned extensions allowed:
//!
//! ```sql
//! -- duckdb -unsigned
//! LOAD 'target/duckdb/omnikpi.duckdb_extension';
//! SELECT omnikpi_evaluate('money.allocate', '{"amount": "10.00", "currency": "EUR",
//!     "parties": [{"party": "web", "weight": "1"}, {"party": "store", "weight": "2"}]}');
//! ```
//!
//! Errors are raised as `omnikpi: error [code] at path: message`, as the CLI prints them.

mod attribute;
mod column;
mod evaluate;
mod group;
mod records;
mod table;

use libduckdb_sys::duckdb_connection;
use quack_rs::entry_point;
use quack_rs::error::ExtensionError;

/// The message a failed call raises in DuckDB.
pub(crate) fn failure(error: &omnikpi::KpiError) -> String {
    format!("omnikpi: error {}", error.line())
}

/// Registers every function of the extension.
fn register(con: duckdb_connection) -> Result<(), ExtensionError> {
    evaluate::register(con)?;
    attribute::register(con)?;
    records::register(con)?;
    table::register(con)?;
    Ok(())
}

entry_point!(omnikpi_init_c_api, |con| register(con));
