//! The group sample's orders and touches as the sheets `Orders` and `Touches` of one workbook, as
//! an order book and an analytics tool export them to Excel: money as floats, order times as
//! milliseconds, touch times as Excel dates and times (in UTC). `examples/group/group.xlsx` is
//! this workbook: `cargo run -p omnikpi --features xlsx --example group_workbook` rewrites it
//! from the sample's CSV files, and `tests/pack_workbook.rs` checks it has not drifted.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};
use std::error::Error;
use std::path::Path;

/// How a column is written in the sheet.
#[derive(Clone, Copy)]
enum Cell {
    Text,
    /// A number (decimal commas read as points).
    Number,
    /// Unix milliseconds written as an Excel date and time (naive, in UTC).
    Time,
}

/// A sheet: its name, the CSV file it is made from, that file's delimiter and the columns that
/// are not text.
struct Sheet {
    name: &'static str,
    file: &'static str,
    delimiter: u8,
    columns: &'static [(&'static str, Cell)],
}

const SHEETS: [Sheet; 2] = [
    Sheet {
        name: "Orders",
        file: "orders.csv",
        delimiter: b';',
        columns: &[("net_amount", Cell::Number), ("ordered_at", Cell::Number)],
    },
    Sheet {
        name: "Touches",
        file: "touches.csv",
        delimiter: b',',
        columns: &[
            ("event_ts", Cell::Time),
            ("revenue", Cell::Number),
            ("purchase", Cell::Number),
        ],
    },
];

/// The workbook's bytes, made from the CSV files of `dir` (the same bytes for the same files).
pub fn build(dir: &Path) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 12, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    for Sheet {
        name: title,
        file,
        delimiter,
        columns: kinds,
    } in SHEETS
    {
        let text = std::fs::read_to_string(dir.join(file))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
        let sheet = book.add_worksheet();
        sheet.set_name(title)?;
        let mut columns = Vec::new();
        for (c, name) in header.iter().enumerate() {
            let kind = kinds
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Cell::Text, |k| k.1);
            columns.push(kind);
            sheet.write_string(0, u16::try_from(c)?, name)?;
        }
        for (r, record) in reader.records().enumerate() {
            let r = u32::try_from(r + 1)?;
            for ((c, cell), kind) in record?.iter().enumerate().zip(&columns) {
                if !cell.is_empty() {
                    write(sheet, r, u16::try_from(c)?, cell, *kind)?;
                }
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

fn write(
    sheet: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &str,
    kind: Cell,
) -> Result<(), Box<dyn Error>> {
    match kind {
        Cell::Text => sheet.write_string(r, c, cell)?,
        Cell::Number => sheet.write_number(r, c, cell.replace(',', ".").parse::<f64>()?)?,
        Cell::Time => {
            let ms: i64 = cell.parse()?;
            if ms % 1000 != 0 {
                return Err(format!("{cell}: the sample's touches are at whole seconds").into());
            }
            let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
            sheet.write_datetime_with_format(
                r,
                c,
                &ExcelDateTime::from_timestamp(ms / 1000)?,
                &time,
            )?
        }
    };
    Ok(())
}
