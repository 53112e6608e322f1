//! `omnikpi report --pack` on a pack whose tables are sheets of a workbook
//! (`examples/group/pack-workbook.json` reading `group.xlsx`): the CSV files' numbers, the float
//! money's rounding counted in the report; a workbook that does not hold what the pack says is
//! refused at its file, sheet, row and column, and a CSV file that is not UTF-8 at its row.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use rust_xlsxwriter::Workbook;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn group() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/group")
}

fn report(pack: &Path, dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omnikpi"))
        .args(["report", "--json", "--pack"])
        .args([pack, dir])
        .output()
        .unwrap()
}

fn ok(out: &Output) -> Value {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn section<'a>(report: &'a Value, key: &str) -> &'a Value {
    let sections = report["sections"].as_array().unwrap();
    sections.iter().find(|s| s["key"] == key).unwrap()
}

/// A folder holding the group's CSV files and `group.xlsx` as `book` makes it.
fn folder(name: &str, book: impl FnOnce(&mut Workbook)) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "omnikpi-pack-workbook-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(group()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let mut workbook = Workbook::new();
    book(&mut workbook);
    workbook.save(dir.join("group.xlsx")).unwrap();
    dir
}

#[test]
fn a_workbook_pack_gives_the_csv_files_numbers_with_the_rounding_counted() {
    let workbook = ok(&report(&group().join("pack-workbook.json"), &group()));
    let csv = ok(&report(&group().join("pack.json"), &group()));
    for key in [
        "average_basket",
        "basket_by_department",
        "attribution_linear",
        "attribution_markov",
    ] {
        assert_eq!(
            section(&workbook, key)["result"],
            section(&csv, key)["result"],
            "{key}"
        );
        let reading = &section(&workbook, key)["reading"];
        assert!(
            reading["money_rounded"].as_u64().unwrap() > 100,
            "{key}: {reading}"
        );
        assert_eq!(reading["money_changed"], 0, "{key}");
    }
    assert_eq!(
        section(&workbook, "conversion")["result"],
        section(&csv, "conversion")["result"]
    );
}

#[test]
fn a_workbook_is_refused_at_its_sheet_row_and_column() {
    let pack = group().join("pack-workbook.json");
    let lacking = folder("lacking", |book| {
        let orders = book.add_worksheet().set_name("Orders").unwrap();
        orders.write_string(0, 0, "order_no").unwrap();
    });
    let err = refused(&report(&pack, &lacking));
    assert!(
        err.contains("invalid_dataset") && err.contains("no sheet `Touches`"),
        "{err}"
    );
    let error_cell = folder("cell", |book| {
        for title in ["Orders", "Touches"] {
            let sheet = book.add_worksheet().set_name(title).unwrap();
            sheet.write_string(0, 0, "net_amount").unwrap();
            sheet.write_formula(3, 0, "=1/0").unwrap();
            sheet.set_formula_result(3, 0, "#DIV/0!");
        }
    });
    let err = refused(&report(&pack, &error_cell));
    assert!(err.contains("group.xlsx:Orders:row 4:net_amount"), "{err}");
    let latin1 = folder("latin1", |book| {
        book.add_worksheet().set_name("Orders").unwrap();
    });
    std::fs::write(latin1.join("traffic.csv"), b"brand,country\nlumen,\xc9\n").unwrap();
    let err = refused(&report(&group().join("pack.json"), &latin1));
    assert!(
        err.contains("traffic.csv:row 2") && err.contains("UTF-8"),
        "{err}"
    );
}
