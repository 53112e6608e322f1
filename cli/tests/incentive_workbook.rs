//! `omnikpi incentives` on the tables finance keeps in Excel: the retail example's sales as a
//! sheet of a workbook (date cells, float amounts, boolean cells, numeric ids) and as CSV
//! written by a French Excel (`;`, decimal comma, a BOM) give the same split, byte for byte,
//! as the canonical CSV; the split's own workbook reads back as claimed payouts with no
//! difference; float money and naive times are refused until declared, naming sheet, row and
//! column.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn retail() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/retail")
}

fn omnikpi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omnikpi"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The retail sales as a workbook: a notes sheet first, then `Sales` with typed cells.
fn sales_workbook(csv: &str, path: &Path) {
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "exported from the ERP")
        .unwrap();
    let sheet = book.add_worksheet().set_name("Sales").unwrap();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for (c, name) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for (r, line) in lines.enumerate() {
        let row = r as u32 + 1;
        for (c, (name, cell)) in header.iter().zip(line.split(',')).enumerate() {
            let col = c as u16;
            match (*name, cell) {
                (_, "") => {}
                ("timestamp", t) => {
                    // a date cell, naive: the time in UTC, declared with --timezone UTC
                    let naive = t.trim_end_matches('Z').replace('T', " ");
                    let at = ExcelDateTime::parse_from_str(&naive).unwrap();
                    sheet
                        .write_datetime_with_format(row, col, &at, &when)
                        .unwrap();
                }
                ("amount" | "extra_amount", a) => {
                    sheet
                        .write_number(row, col, a.parse::<f64>().unwrap())
                        .unwrap();
                }
                ("click_and_collect", b) => {
                    sheet.write_boolean(row, col, b == "true").unwrap();
                }
                (_, text) => {
                    sheet.write_string(row, col, text).unwrap();
                }
            }
        }
    }
    book.save(path).unwrap();
}

#[test]
fn sales_from_a_workbook_and_excel_csv_split_like_the_canonical_csv() {
    let dir = std::env::temp_dir().join(format!("omnikpi-incentive-xlsx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let retail = retail();
    let csv = std::fs::read_to_string(retail.join("sales.csv")).unwrap();
    let policy = retail.join("incentive_policy.json");
    let touches = retail.join("touches.csv");
    let (policy, touches) = (policy.to_str().unwrap(), touches.to_str().unwrap());
    let split = |sales: &Path, extra: &[&str]| {
        let mut args = vec!["incentives", "split", "--policy", policy];
        args.extend(["--sales", sales.to_str().unwrap(), "--touches", touches]);
        args.extend(["--format", "json"]);
        args.extend(extra);
        omnikpi(&args)
    };
    let canonical = ok(&split(&retail.join("sales.csv"), &[]));

    let book = dir.join("sales.xlsx");
    sales_workbook(&csv, &book);
    let declared = [
        "--sales-sheet",
        "Sales",
        "--timezone",
        "UTC",
        "--money-from-float",
        "round-half-even",
    ];
    let out = split(&book, &declared);
    assert_eq!(ok(&out), canonical);
    let note = String::from_utf8_lossy(&out.stderr);
    assert!(
        note.contains("sales.xlsx:Sales at 2 places; 0 moved"),
        "{note}"
    );

    // float amounts not declared: refused at the first one, with sheet, row and column
    let out = split(&book, &["--sales-sheet", "Sales", "--timezone", "UTC"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("[wrong_type]"), "{stderr}");
    assert!(stderr.contains("sales.xlsx:Sales:row 2:amount"), "{stderr}");
    assert!(stderr.contains("--money-from-float"), "{stderr}");
    // date cells are naive: refused without a time zone
    let out = split(
        &book,
        &[
            "--sales-sheet",
            "Sales",
            "--money-from-float",
            "round-half-even",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sales.xlsx:Sales:row 2:timestamp"),
        "{stderr}"
    );
    // the first sheet is read when none is named: it has no sales
    let out = split(&book, &declared[2..]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sales.xlsx:Notes"));

    // Excel in French: `;`, decimal commas, a byte order mark
    let french: String = csv
        .lines()
        .map(|line| {
            let cells: Vec<String> = line
                .split(',')
                .map(|c| match c.split_once('.') {
                    Some((a, b)) if a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok() => {
                        format!("{a},{b}")
                    }
                    _ => c.to_owned(),
                })
                .collect();
            cells.join(";") + "\r\n"
        })
        .collect();
    let excel_csv = dir.join("sales_fr.csv");
    std::fs::write(&excel_csv, format!("\u{feff}{french}")).unwrap();
    assert_eq!(ok(&split(&excel_csv, &[])), canonical);
    // an amount with a point where the decimal sign is a comma names its row and the dialect
    let broken = format!("\u{feff}{}", french.replacen("114,01", "114.01", 1));
    std::fs::write(&excel_csv, broken).unwrap();
    let stderr = String::from_utf8_lossy(&split(&excel_csv, &[]).stderr).into_owned();
    assert!(stderr.contains("sales_fr.csv:row 2:amount"), "{stderr}");
    assert!(stderr.contains("delimiter `;`, decimal comma"), "{stderr}");

    // the split's workbook: its lines read back as claimed payouts agree with the canonical split
    let out_book = dir.join("split.xlsx");
    let mut args = vec!["incentives", "split", "--policy", policy];
    let sales = retail.join("sales.csv");
    args.extend(["--sales", sales.to_str().unwrap(), "--touches", touches]);
    args.extend(["--xlsx", out_book.to_str().unwrap()]);
    ok(&omnikpi(&args));
    let mut args = vec!["incentives", "check", "--policy", policy];
    args.extend(["--sales", sales.to_str().unwrap(), "--touches", touches]);
    args.extend(["--payouts", out_book.to_str().unwrap()]);
    args.extend(["--money-from-float", "round-half-even"]);
    let text = ok(&omnikpi(&args));
    assert!(text.contains("no difference"), "{text}");
    // its certificate sheet certifies the very result the JSON output holds
    let bytes = std::fs::read(&out_book).unwrap();
    let eur = omnikpi::money::Currency::lookup("EUR", None, "currency").unwrap();
    let none = omnikpi::table::records::Kinds {
        money: &[],
        time: &[],
        flags: &[],
    };
    let reading = omnikpi::table::reading::Reading::default();
    let keep = ["field", "value", "party"];
    let sheet = |name: &str| {
        omnikpi::table::records::read(
            &bytes,
            "split.xlsx",
            Some(name),
            &reading,
            &eur,
            &none,
            Some(&keep),
        )
        .unwrap()
        .rows
    };
    let field = |name: &str| {
        sheet("certificate")
            .into_iter()
            .find(|r| r["field"] == name)
            .map(|r| r["value"].clone())
            .unwrap()
    };
    let result: serde_json::Value = serde_json::from_str(&canonical).unwrap();
    assert_eq!(field("result"), omnikpi::certificate::digest(&result));
    assert_eq!(field("policy_id"), result["policy"]["id"]);
    assert_eq!(field("kpi"), "incentives.split");
    assert_eq!(
        sheet("lines").len(),
        result["lines"].as_array().unwrap().len()
    );
    assert!(!sheet("periods").is_empty() && !sheet("parties").is_empty());
    std::fs::remove_dir_all(&dir).ok();
}
