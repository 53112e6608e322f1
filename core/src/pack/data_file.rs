//! The organization's files as a front end holds them — text, or bytes read from a disk or a
//! drop — made into the texts a pack reports on, by one rule in every front end: CSV must be
//! UTF-8 (a byte order mark is allowed); each sheet a table reads from a workbook becomes CSV
//! text ([`crate::table::xlsx::sheet_csv`]) under the table's entry ([`TableSource::entry`]).

use super::{Pack, TableSource};
use crate::error::{ErrorCode, KpiError, Result};
use crate::table::xlsx::is_workbook;
use std::collections::BTreeMap;

/// One of the organization's files as a front end holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataFile {
    /// Its text (a CSV file read as text, a string a user passed).
    Text(String),
    /// Its bytes (any file read from disk, a file dropped on a page).
    Bytes(Vec<u8>),
}

impl DataFile {
    /// The error a front end gives for a file it holds as neither text nor bytes (`found`: the
    /// host's name of its type), at `files.<name>`: one message in every front end.
    ///
    /// ```
    /// let e = omnikpi::pack::DataFile::refused("orders.csv", "int");
    /// assert_eq!((e.code().as_str(), e.path()), ("wrong_type", Some("files.orders.csv")));
    /// ```
    pub fn refused(name: &str, found: &str) -> KpiError {
        KpiError::at(
            ErrorCode::WrongType,
            &format!("files.{name}"),
            format!("must be the file's text or its bytes, not {found}"),
        )
    }

    /// The error a front end gives for a file handed as text that is not valid Unicode (a host
    /// string with a lone surrogate), at `files.<name>`, rather than replacing what it cannot
    /// read.
    ///
    /// ```
    /// let e = omnikpi::pack::DataFile::invalid_text("orders.csv");
    /// assert_eq!((e.code().as_str(), e.path()), ("wrong_type", Some("files.orders.csv")));
    /// ```
    pub fn invalid_text(name: &str) -> KpiError {
        KpiError::at(
            ErrorCode::WrongType,
            &format!("files.{name}"),
            "is not valid Unicode text (a lone surrogate)",
        )
    }

    /// The file `name` as text: its text as given, or its bytes read as UTF-8 (a byte order
    /// mark is kept for the CSV reader, which allows it).
    ///
    /// ```
    /// use omnikpi::pack::DataFile;
    /// assert_eq!(DataFile::Bytes(b"a\nb".to_vec()).into_text("t.csv").unwrap(), "a\nb");
    /// let e = DataFile::Bytes(b"a\n\xe9\n".to_vec()).into_text("t.csv").unwrap_err();
    /// assert_eq!((e.code().as_str(), e.path()), ("invalid_dataset", Some("t.csv:row 2")));
    /// ```
    ///
    /// # Errors
    /// `invalid_dataset` at `name:row N`, the row of the first byte that is not UTF-8.
    pub fn into_text(self, name: &str) -> Result<String> {
        match self {
            Self::Text(text) => Ok(text),
            Self::Bytes(bytes) => utf8(bytes, name),
        }
    }
}

impl Pack {
    /// The texts [`Pack::report`] reads, from the files a front end holds (`{file name: file}`):
    /// a CSV file's text, its bytes read as UTF-8; for a workbook, the sheet of each table that
    /// reads it, as CSV text under the table's entry (`export.xlsx:Orders`, or the file's name
    /// for the first sheet). A file the pack reads in no table is left out.
    ///
    /// ```
    /// use omnikpi::pack::{DataFile, Pack};
    /// let pack = Pack::from_json(&serde_json::json!({
    ///     "format": "omnikpi.pack/1", "id": "demo", "version": "1.0.0",
    ///     "name": {"en": "Demo"}, "languages": ["en"], "currency": "EUR",
    ///     "tables": {"orders": {"file": "orders.csv"}},
    ///     "kpis": [{"key": "basket", "kpi": "basket.average", "version": "^1.1",
    ///               "label": {"en": "Average basket"}, "inputs": {"orders": "orders"}}]
    /// })).unwrap();
    /// let bytes = b"\xef\xbb\xbfchannel,amount\nweb,10.00\n".to_vec();
    /// let texts = pack.texts([("orders.csv".to_owned(), DataFile::Bytes(bytes))]).unwrap();
    /// assert_eq!(pack.report(&texts).unwrap()["sections"][0]["result"]["overall"]["average"], "10.00");
    /// let latin1 = DataFile::Bytes(b"channel,amount\nweb\xe9,10.00\n".to_vec());
    /// let e = pack.texts([("orders.csv".to_owned(), latin1)]).unwrap_err();
    /// assert_eq!(e.path(), Some("orders.csv:row 2"));
    /// ```
    ///
    /// # Errors
    /// `invalid_dataset` at the file: CSV that is not UTF-8 (at its row), a workbook handed as
    /// text, a workbook that cannot be read or lacks a sheet, an error cell (at its row and
    /// column), or in a build without the `xlsx` feature.
    pub fn texts(
        &self,
        files: impl IntoIterator<Item = (String, DataFile)>,
    ) -> Result<BTreeMap<String, String>> {
        let mut texts = BTreeMap::new();
        for (name, file) in files {
            let tables: Vec<&TableSource> =
                self.tables.values().filter(|t| t.file == name).collect();
            if tables.is_empty() {
                continue;
            }
            if is_workbook(&name) {
                let bytes = match file {
                    DataFile::Bytes(bytes) => bytes,
                    DataFile::Text(_) => return Err(not_bytes(&name)),
                };
                for table in tables {
                    texts.insert(table.entry(), sheet_text(&bytes, &name, table)?);
                }
            } else {
                let text = file.into_text(&name)?;
                texts.insert(name, text);
            }
        }
        Ok(texts)
    }
}

fn not_bytes(name: &str) -> KpiError {
    KpiError::new(
        ErrorCode::InvalidDataset,
        Some(name.to_owned()),
        format!("`{name}` is a workbook: hand its bytes, not text"),
    )
}

/// CSV bytes as text, or the row of the first byte that is not UTF-8.
fn utf8(bytes: Vec<u8>, name: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let row = bytes
            .get(..at)
            .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
            .saturating_add(1);
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(format!("{name}:row {row}")),
            format!("`{name}` is not UTF-8 text (save it as CSV UTF-8)"),
        )
    })
}

#[cfg(feature = "xlsx")]
fn sheet_text(bytes: &[u8], name: &str, table: &TableSource) -> Result<String> {
    crate::table::xlsx::sheet_csv(bytes, name, table.sheet.as_deref())
}

#[cfg(not(feature = "xlsx"))]
fn sheet_text(_: &[u8], name: &str, _: &TableSource) -> Result<String> {
    Err(KpiError::new(
        ErrorCode::InvalidDataset,
        Some(name.to_owned()),
        format!(
            "`{name}` is a workbook, and this build of omnikpi reads none (the `xlsx` feature)"
        ),
    ))
}
