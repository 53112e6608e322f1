//! A KPI pack reading its tables from the sheets of a workbook: the same report as from the
//! CSV files, float money rounded only when declared and then counted, errors at the sheet's
//! row and column.
#![cfg(feature = "xlsx")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test loudly"
)]

use omnikpi::pack::{DataFile, Filter, Pack};
use rust_xlsxwriter::Workbook;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[path = "common/group.rs"]
mod group;
use group::{group_dir, group_pack, section};

#[path = "common/group_workbook.rs"]
mod group_workbook;

/// The group's orders and touches as the sheets `Orders` and `Touches` of one workbook
/// (`examples/group/group.xlsx`).
fn group_workbook() -> Vec<u8> {
    group_workbook::build(&group_dir()).unwrap()
}

/// `examples/group/pack-workbook.json`: the group pack with its orders and touches read from
/// `group.xlsx`; without `money_from_float`, the float money is not declared.
fn workbook_pack(money_from_float: bool) -> Pack {
    let text = std::fs::read_to_string(group_dir().join("pack-workbook.json")).unwrap();
    let mut pack: Value = serde_json::from_str(&text).unwrap();
    for table in ["orders", "touches"] {
        let reading = &mut pack["tables"][table]["reading"];
        assert_eq!(reading["money_from_float"], "round_half_even");
        if !money_from_float {
            reading["money_from_float"] = Value::Null;
        }
    }
    Pack::from_json(&pack).unwrap()
}

#[test]
fn the_committed_workbook_is_the_one_made_from_the_csv_files() {
    let committed = std::fs::read(group_dir().join("group.xlsx")).unwrap();
    assert!(
        committed == group_workbook(),
        "examples/group/group.xlsx has drifted from the CSV files: run \
         `cargo run -p omnikpi --features xlsx --example group_workbook`"
    );
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
    let orders = std::fs::read_to_string(group_dir().join("orders.csv")).unwrap();
    let line = orders.lines().nth(row - 1).unwrap();
    let amount = line.split(';').nth(7).unwrap();
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

#[test]
fn a_sheets_dates_are_days_and_its_times_keep_their_fraction() {
    use rust_xlsxwriter::{ExcelDateTime, Format};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss.000");
    sheet.write_string(0, 0, "valid_from").unwrap();
    sheet.write_string(0, 1, "at").unwrap();
    let first = ExcelDateTime::from_ymd(2026, 9, 1).unwrap();
    sheet
        .write_datetime_with_format(1, 0, &first, &day)
        .unwrap();
    let noon = ExcelDateTime::parse_from_str("2026-10-03T12:00:00.5").unwrap();
    sheet
        .write_datetime_with_format(1, 1, &noon, &time)
        .unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let text = omnikpi::table::xlsx::sheet_csv(&bytes, "rates.xlsx", None).unwrap();
    assert_eq!(text, "valid_from,at\n2026-09-01,2026-10-03 12:00:00.500\n");
}

#[test]
fn fx_periods_excel_typed_as_dates_are_refused_not_taken_for_months() {
    use rust_xlsxwriter::{ExcelDateTime, Format};
    let mut document = group_pack();
    document["tables"]["fx_rates"]["file"] = json!("fx.xlsx");
    let pack = Pack::from_json(&document).unwrap();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let day = Format::new().set_num_format("yyyy-mm");
    for (column, name) in (0..).zip(["currency", "period", "rate"]) {
        sheet.write_string(0, column, name).unwrap();
    }
    sheet.write_string(1, 0, "GBP").unwrap();
    // shown as 2026-09, stored as the day 2026-09-01: what Excel makes of a typed month; the
    // table declares no sheet, so its first is read and errors name the file
    let september = ExcelDateTime::from_ymd(2026, 9, 1).unwrap();
    sheet
        .write_datetime_with_format(1, 1, &september, &day)
        .unwrap();
    sheet.write_number(1, 2, 1.1712).unwrap();
    let book = book.save_to_buffer().unwrap();
    let files = pack.files().into_iter().filter_map(|f| {
        let bytes = match f {
            "fx.xlsx" => book.clone(),
            csv => std::fs::read(group_dir().join(csv)).ok()?,
        };
        Some((f.to_owned(), DataFile::Bytes(bytes)))
    });
    let e = pack.report(&pack.texts(files).unwrap()).unwrap_err();
    assert_eq!(
        (e.code().as_str(), e.path()),
        ("invalid_timestamp", Some("fx.xlsx:row 2:period")),
        "{}",
        e.message()
    );
    assert!(e.message().contains("`2026-09-01`"), "{}", e.message());
}
