//! A KPI pack reading its tables from the sheets of a workbook: the same report as from the
//! CSV files, float money rounded only when declared and then counted, errors at the sheet's
//! row and column.
#![cfg(feature = "xlsx")]

use omnikpi::pack::{DataFile, Filter, Pack};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn group_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/group")
}

fn group_pack() -> Value {
    let text = std::fs::read_to_string(group_dir().join("pack.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A CSV file of the group sample as a header and rows of cells.
fn csv_table(name: &str, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(group_dir().join(name)).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// How a column is written in the sheet.
#[derive(Clone, Copy)]
enum Cell {
    Text,
    /// A number (decimal commas read as points).
    Number,
    /// Unix milliseconds written as an Excel date and time (naive, in UTC).
    Time,
}

/// The group's orders and touches as the sheets `Orders` and `Touches` of one workbook, money
/// as floats, the touches' times as Excel dates.
fn group_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheets: [(&str, &str, u8, &[(&str, Cell)]); 2] = [
        (
            "Orders",
            "orders.csv",
            b';',
            &[("net_amount", Cell::Number), ("ordered_at", Cell::Number)],
        ),
        (
            "Touches",
            "touches.csv",
            b',',
            &[
                ("event_ts", Cell::Time),
                ("revenue", Cell::Number),
                ("purchase", Cell::Number),
            ],
        ),
    ];
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (title, file, delimiter, kinds) in sheets {
        let (header, rows) = csv_table(file, delimiter);
        let sheet = book.add_worksheet();
        sheet.set_name(title).unwrap();
        let kind = |c: usize| {
            kinds
                .iter()
                .find(|(name, _)| *name == header[c])
                .map_or(Cell::Text, |(_, k)| *k)
        };
        for (c, name) in header.iter().enumerate() {
            sheet.write_string(0, c as u16, name).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap();
            for (c, cell) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                let col = c as u16;
                match kind(c) {
                    Cell::Text => sheet.write_string(r, col, cell),
                    Cell::Number => {
                        sheet.write_number(r, col, cell.replace(',', ".").parse::<f64>().unwrap())
                    }
                    Cell::Time => {
                        let ms: i64 = cell.parse().unwrap();
                        assert_eq!(ms % 1000, 0, "the sample's touches are at whole seconds");
                        let at = ExcelDateTime::from_timestamp(ms / 1000).unwrap();
                        sheet.write_datetime_with_format(r, col, &at, &time)
                    }
                }
                .unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// The group pack with its orders and touches read from `group.xlsx`.
fn workbook_pack(money_from_float: bool) -> Pack {
    let mut pack = group_pack();
    let tables = &mut pack["tables"];
    let rounding = money_from_float.then_some("round_half_even");
    tables["orders"]["file"] = json!("group.xlsx");
    tables["orders"]["sheet"] = json!("Orders");
    tables["orders"]["reading"] = json!({"timestamp_unit": "ms", "money_from_float": rounding});
    tables["touches"]["file"] = json!("group.xlsx");
    tables["touches"]["sheet"] = json!("Touches");
    tables["touches"]["reading"] =
        json!({"outcome": "last_touch", "timezone": "UTC", "money_from_float": rounding});
    Pack::from_json(&pack).unwrap()
}

/// The pack's files: the workbook's bytes, the other tables' CSV bytes.
fn workbook_files(pack: &Pack, book: &[u8]) -> BTreeMap<String, String> {
    let files = pack.files().into_iter().filter_map(|f| {
        let bytes = match f {
            "group.xlsx" => book.to_vec(),
            csv => std::fs::read(group_dir().join(csv)).ok()?,
        };
        Some((f.to_owned(), DataFile::Bytes(bytes)))
    });
    pack.texts(files).unwrap()
}

fn csv_report(filter: &Filter) -> Value {
    let pack = Pack::from_json(&group_pack()).unwrap();
    let files = pack.files().into_iter().filter_map(|f| {
        let text = std::fs::read_to_string(group_dir().join(f)).ok()?;
        Some((f.to_owned(), DataFile::Text(text)))
    });
    pack.report_filtered(&pack.texts(files).unwrap(), filter)
        .unwrap()
}

fn section<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap()
}

const FROM_THE_WORKBOOK: [&str; 4] = [
    "average_basket",
    "basket_by_department",
    "attribution_linear",
    "attribution_markov",
];

#[test]
fn a_workbooks_sheets_give_the_csv_files_numbers_with_float_money_counted() {
    let pack = workbook_pack(true);
    let texts = workbook_files(&pack, &group_workbook());
    assert!(texts.contains_key("group.xlsx:Orders") && texts.contains_key("group.xlsx:Touches"));
    let report = pack.report(&texts).unwrap();
    let csv = csv_report(&Filter::default());
    for key in FROM_THE_WORKBOOK {
        assert_eq!(
            section(&report, key)["result"],
            section(&csv, key)["result"],
            "{key}"
        );
        let reading = &section(&report, key)["reading"];
        // every amount with cents is a float with more places than two, rounded to where it was
        assert!(
            reading["money_rounded"].as_u64().unwrap() > 100,
            "{key}: {reading}"
        );
        assert_eq!(reading["money_changed"], 0, "{key}");
        assert!(section(&csv, key).get("reading").is_none());
    }
    // the workbook's other sections read CSV files as before
    assert_eq!(
        section(&report, "conversion")["result"],
        section(&csv, "conversion")["result"]
    );
}

#[test]
fn a_filter_keeps_the_same_rows_of_a_sheet_as_of_a_csv_file() {
    let pack = workbook_pack(true);
    let spec =
        json!({"dimensions": {"brand": ["lumen"]}, "from": "2026-10-01", "to": "2026-10-20"});
    let report = pack
        .report_filtered(
            &workbook_files(&pack, &group_workbook()),
            &Filter::from_json(&spec, &pack).unwrap(),
        )
        .unwrap();
    let csv_pack = Pack::from_json(&group_pack()).unwrap();
    let csv = csv_report(&Filter::from_json(&spec, &csv_pack).unwrap());
    for key in FROM_THE_WORKBOOK {
        assert_eq!(
            section(&report, key)["result"],
            section(&csv, key)["result"],
            "{key}"
        );
    }
}

#[test]
fn float_money_not_declared_is_refused_at_the_sheets_cell() {
    let pack = workbook_pack(false);
    let e = pack
        .report(&workbook_files(&pack, &group_workbook()))
        .unwrap_err();
    assert_eq!(e.code().as_str(), "invalid_money_scale");
    let path = e.path().unwrap();
    let row: usize = path
        .strip_prefix("group.xlsx:Orders:row ")
        .and_then(|p| p.strip_suffix(":net_amount"))
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("{path}"));
    // the row holds the float of an amount with cents, read as its exact value
    let (_, orders) = csv_table("orders.csv", b';');
    let amount = &orders[row - 2][7];
    assert!(!amount.ends_with(",00"), "{amount}");
    let exact = rust_decimal::Decimal::from_f64_retain(amount.replace(',', ".").parse().unwrap());
    assert!(
        e.message().contains(&exact.unwrap().to_string()),
        "{}",
        e.message()
    );
    assert!(
        e.message()
            .contains("read from the sheet `Orders` of a workbook"),
        "{}",
        e.message()
    );
    assert!(e
        .message()
        .contains(r#"declare it in the table's reading ("money_from_float""#));
    // touches too: the orders declared, the touches not
    let mut pack = workbook_pack(true).document;
    pack["tables"]["touches"]["reading"]["money_from_float"] = Value::Null;
    let pack = Pack::from_json(&pack).unwrap();
    let e = pack
        .report(&workbook_files(&pack, &group_workbook()))
        .unwrap_err();
    assert_eq!(e.code().as_str(), "invalid_money_scale");
    assert!(
        e.path().unwrap().starts_with("group.xlsx:Touches:row "),
        "{e:?}"
    );
    assert!(
        e.message()
            .contains(r#"declare it in the table's reading ("money_from_float""#),
        "{}",
        e.message()
    );
}

#[test]
fn workbooks_are_refused_with_the_file_sheet_row_and_column() {
    let pack = workbook_pack(true);
    let texts = |name: &str, file: DataFile| pack.texts([(name.to_owned(), file)]);
    let text = texts("group.xlsx", DataFile::Text("order_no\n".into())).unwrap_err();
    assert_eq!(
        (text.code().as_str(), text.path()),
        ("invalid_dataset", Some("group.xlsx"))
    );
    let broken = texts("group.xlsx", DataFile::Bytes(b"PK not a zip".to_vec())).unwrap_err();
    assert!(
        broken.message().contains("is not a workbook"),
        "{}",
        broken.message()
    );
    // a sheet the workbook lacks
    let mut book = Workbook::new();
    let orders = book.add_worksheet().set_name("Orders").unwrap();
    orders.write_string(0, 0, "order_no").unwrap();
    let lacking = texts(
        "group.xlsx",
        DataFile::Bytes(book.save_to_buffer().unwrap()),
    )
    .unwrap_err();
    assert!(
        lacking.message().contains("has no sheet `Touches`"),
        "{}",
        lacking.message()
    );
    // an error cell, at its row and column
    let mut book = Workbook::new();
    for title in ["Orders", "Touches"] {
        let sheet = book.add_worksheet();
        sheet.set_name(title).unwrap();
        sheet.write_string(0, 0, "order_no").unwrap();
        sheet.write_string(0, 1, "net_amount").unwrap();
        sheet.write_formula(2, 1, "=1/0").unwrap();
        sheet.set_formula_result(2, 1, "#DIV/0!");
    }
    let cell = texts(
        "group.xlsx",
        DataFile::Bytes(book.save_to_buffer().unwrap()),
    )
    .unwrap_err();
    assert_eq!(
        cell.path(),
        Some("group.xlsx:Orders:row 3:net_amount"),
        "{}",
        cell.message()
    );
    // CSV bytes that are not UTF-8, at their row
    let latin1 = texts(
        "fx_rates.csv",
        DataFile::Bytes(b"currency,period,rate\nGBP,2026-09,1.17\n\xa3\n".to_vec()),
    );
    assert_eq!(latin1.unwrap_err().path(), Some("fx_rates.csv:row 3"));
    // a file no table reads is left out
    assert!(texts("notes.txt", DataFile::Text(String::new()))
        .unwrap()
        .is_empty());
}

#[test]
fn a_sheet_is_only_of_a_workbook_and_a_workbook_has_no_dialect() {
    let refused = |change: fn(&mut Value)| {
        let mut pack = group_pack();
        change(&mut pack);
        let e = Pack::from_json(&pack).unwrap_err();
        (
            e.code().as_str().to_owned(),
            e.path().unwrap_or_default().to_owned(),
        )
    };
    assert_eq!(
        refused(|p| p["tables"]["orders"]["sheet"] = json!("Orders")),
        (
            "invalid_pack".to_owned(),
            "pack.tables.orders.sheet".to_owned()
        )
    );
    assert_eq!(
        refused(|p| p["tables"]["orders"]["file"] = json!("orders.xlsx")),
        (
            "invalid_pack".to_owned(),
            "pack.tables.orders.reading".to_owned()
        )
    );
}
