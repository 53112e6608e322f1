//! `omnikpi incentives policy`: a policy kept as a workbook. Every policy of the split's vectors,
//! written as a workbook and read back, gives the vector's expected result; a workbook typed the
//! way finance types one (number, boolean and date cells, lists in one cell) reads as the JSON
//! policy it means; errors name the file, sheet, row and column.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn omnikpi(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_omnikpi"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omnikpi-policy-workbook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_vector_policy_reads_back_from_its_workbook() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/vectors/incentives.split");
    let mut checked = 0;
    for file in std::fs::read_dir(dir).unwrap() {
        let vectors: Value =
            serde_json::from_str(&std::fs::read_to_string(file.unwrap().path()).unwrap()).unwrap();
        for case in vectors["cases"].as_array().unwrap() {
            let (Some(expected), Some(policy)) =
                (case.get("expected"), case["input"]["policy"].as_object())
            else {
                continue; // errors, and histories (a workbook holds one version)
            };
            let name = case["name"].as_str().unwrap();
            let (json_in, book, back) = (
                scratch("in.json"),
                scratch("policy.xlsx"),
                scratch("back.json"),
            );
            std::fs::write(&json_in, serde_json::to_string(policy).unwrap()).unwrap();
            ok(&omnikpi(
                &[
                    "incentives",
                    "policy",
                    "--policy",
                    s(&json_in),
                    "--xlsx",
                    s(&book),
                ],
                None,
            ));
            ok(&omnikpi(
                &[
                    "incentives",
                    "policy",
                    "--policy",
                    s(&book),
                    "--json",
                    s(&back),
                ],
                None,
            ));
            let mut input = case["input"].clone();
            input["policy"] =
                serde_json::from_str(&std::fs::read_to_string(&back).unwrap()).unwrap();
            let params = case
                .get("params")
                .map_or("null".to_owned(), Value::to_string);
            let out = omnikpi(
                &[
                    "eval",
                    "incentives.split",
                    "--input",
                    "-",
                    "--params",
                    &params,
                ],
                Some(&input.to_string()),
            );
            let got: Value = serde_json::from_str(&ok(&out)).unwrap();
            assert_eq!(&got, expected, "{name}");
            checked += 1;
        }
    }
    assert!(
        checked >= 30,
        "only {checked} vector policies round-tripped"
    );
}

/// A policy typed in a spreadsheet: numbers, a boolean, a date, lists in one cell, a French
/// description, a tier on quarterly attainment with its bands and quotas.
fn finance_workbook(path: &Path, percent: f64, share_rule: &str) {
    let mut book = Workbook::new();
    let head = book.add_worksheet().set_name("policy").unwrap();
    let rows: [(&str, &str); 5] = [
        ("id", "retail"),
        ("currency", "EUR"),
        ("description.fr", "Politique magasins"),
        ("periods.grain", "month"),
        ("periods.time_zone", "Europe/Paris"),
    ];
    head.write_string(0, 0, "field")
        .unwrap()
        .write_string(0, 1, "value")
        .unwrap();
    for (r, (field, value)) in rows.iter().enumerate() {
        head.write_string(r as u32 + 1, 0, *field)
            .unwrap()
            .write_string(r as u32 + 1, 1, *value)
            .unwrap();
    }
    head.write_string(6, 0, "version")
        .unwrap()
        .write_number(6, 1, 2)
        .unwrap();
    head.write_string(7, 0, "clawback.window_days")
        .unwrap()
        .write_number(7, 1, 30)
        .unwrap();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    head.write_string(8, 0, "valid_from").unwrap();
    head.write_datetime_with_format(8, 1, ExcelDateTime::from_ymd(2026, 1, 1).unwrap(), &day)
        .unwrap();
    let parties = book.add_worksheet().set_name("parties").unwrap();
    for (c, h) in ["id", "kind", "zones"].iter().enumerate() {
        parties.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (id, kind)) in [
        ("web", "channel"),
        ("lille", "store"),
        ("nord", "franchisee"),
    ]
    .iter()
    .enumerate()
    {
        parties
            .write_string(r as u32 + 1, 0, *id)
            .unwrap()
            .write_string(r as u32 + 1, 1, *kind)
            .unwrap();
    }
    parties.write_string(3, 2, "59, 62").unwrap();
    let rules = book.add_worksheet().set_name("rules").unwrap();
    for (c, h) in [
        "id",
        "priority",
        "when.click_and_collect",
        "when.origin_channel",
    ]
    .iter()
    .enumerate()
    {
        rules.write_string(0, c as u16, *h).unwrap();
    }
    rules
        .write_string(1, 0, "cc")
        .unwrap()
        .write_number(1, 1, 2)
        .unwrap()
        .write_boolean(1, 2, true)
        .unwrap();
    rules
        .write_string(2, 0, "online")
        .unwrap()
        .write_number(2, 1, 1)
        .unwrap()
        .write_string(2, 3, "web, app")
        .unwrap();
    let shares = book.add_worksheet().set_name("shares").unwrap();
    for (c, h) in ["rule", "party", "party_from", "percent"]
        .iter()
        .enumerate()
    {
        shares.write_string(0, c as u16, *h).unwrap();
    }
    shares
        .write_string(1, 0, "cc")
        .unwrap()
        .write_string(1, 1, "web")
        .unwrap()
        .write_number(1, 3, 5)
        .unwrap();
    shares
        .write_string(2, 0, share_rule)
        .unwrap()
        .write_string(2, 2, "fulfilment_channel")
        .unwrap()
        .write_number(2, 3, percent)
        .unwrap();
    shares
        .write_string(3, 0, "online")
        .unwrap()
        .write_string(3, 1, "web")
        .unwrap()
        .write_number(3, 3, 10)
        .unwrap();
    let tiers = book.add_worksheet().set_name("tiers").unwrap();
    for (c, (h, v)) in [
        ("id", "q"),
        ("parties", "lille"),
        ("mode", "step"),
        ("basis", "attainment"),
        ("window", "quarter"),
    ]
    .iter()
    .enumerate()
    {
        tiers
            .write_string(0, c as u16, *h)
            .unwrap()
            .write_string(1, c as u16, *v)
            .unwrap();
    }
    let bands = book.add_worksheet().set_name("bands").unwrap();
    for (c, h) in ["tier", "from", "multiplier"].iter().enumerate() {
        bands.write_string(0, c as u16, *h).unwrap();
    }
    bands
        .write_string(1, 0, "q")
        .unwrap()
        .write_number(1, 1, 0)
        .unwrap()
        .write_number(1, 2, 1)
        .unwrap();
    bands
        .write_string(2, 0, "q")
        .unwrap()
        .write_number(2, 1, 100)
        .unwrap()
        .write_number(2, 2, 1.25)
        .unwrap();
    let quotas = book.add_worksheet().set_name("quotas").unwrap();
    for (c, h) in ["tier", "party", "quota"].iter().enumerate() {
        quotas.write_string(0, c as u16, *h).unwrap();
    }
    quotas
        .write_string(1, 0, "q")
        .unwrap()
        .write_string(1, 1, "lille")
        .unwrap()
        .write_string(1, 2, "5000.00")
        .unwrap();
    book.save(path).unwrap();
}

#[test]
fn a_workbook_typed_by_finance_reads_as_the_policy_it_means() {
    let book = scratch("finance.xlsx");
    finance_workbook(&book, 3.5, "cc");
    let got: Value = serde_json::from_str(&ok(&omnikpi(
        &["incentives", "policy", "--policy", s(&book)],
        None,
    )))
    .unwrap();
    let want = json!({
        "format": "omnikpi.incentive_policy/1", "id": "retail", "version": "2", "currency": "EUR",
        "description": {"fr": "Politique magasins"}, "periods": {"grain": "month", "time_zone": "Europe/Paris"},
        "clawback": {"window_days": 30}, "valid_from": "2026-01-01",
        "parties": [{"id": "web", "kind": "channel"}, {"id": "lille", "kind": "store"},
                    {"id": "nord", "kind": "franchisee", "zones": ["59", "62"]}],
        "rules": [{"id": "cc", "priority": 2, "when": {"click_and_collect": true},
                   "shares": [{"party": "web", "percent": "5"}, {"party_from": "fulfilment_channel", "percent": "3.5"}]},
                  {"id": "online", "priority": 1, "when": {"origin_channel": ["web", "app"]},
                   "shares": [{"party": "web", "percent": "10"}]}],
        "tiers": [{"id": "q", "parties": ["lille"], "mode": "step", "basis": "attainment", "window": "quarter",
                   "bands": [{"from": "0", "multiplier": "1"}, {"from": "100", "multiplier": "1.25"}],
                   "quotas": {"lille": "5000.00"}}]});
    assert_eq!(got, want);
    // the workbook and its JSON pay the same sale the same, to the cent
    let json_policy = scratch("finance.json");
    std::fs::write(&json_policy, want.to_string()).unwrap();
    let sales = scratch("sales.csv");
    std::fs::write(
        &sales,
        "sale_id,timestamp,origin_channel,fulfilment_channel,click_and_collect,amount\n\
                            o1,2026-02-03T10:00:00Z,web,lille,true,89.19\n",
    )
    .unwrap();
    let split = |policy: &Path| {
        ok(&omnikpi(
            &[
                "incentives",
                "split",
                "--policy",
                s(policy),
                "--sales",
                s(&sales),
                "--format",
                "json",
            ],
            None,
        ))
    };
    let from_book = split(&book);
    assert_eq!(from_book, split(&json_policy));
    assert!(
        from_book.contains("\"3.12\""),
        "3.5% of 89.19 = 3.12165 -> 3.12 for lille: {from_book}"
    );
}

#[test]
fn workbook_errors_name_sheet_row_and_column() {
    let book = scratch("bad_percent.xlsx");
    finance_workbook(&book, 103.0, "cc");
    let err = refused(&omnikpi(
        &["incentives", "policy", "--policy", s(&book)],
        None,
    ));
    assert!(
        err.contains("bad_percent.xlsx:shares:row 3:percent"),
        "{err}"
    );
    let book = scratch("formula.xlsx");
    finance_workbook(&book, 0.1 + 0.2, "cc");
    let err = refused(&omnikpi(
        &["incentives", "policy", "--policy", s(&book)],
        None,
    ));
    assert!(
        err.contains("formula.xlsx:shares:row 3:percent") && err.contains("0.30000000000000004"),
        "{err}"
    );
    let book = scratch("orphan.xlsx");
    finance_workbook(&book, 3.5, "pickup");
    let err = refused(&omnikpi(
        &["incentives", "policy", "--policy", s(&book)],
        None,
    ));
    assert!(
        err.contains("orphan.xlsx:shares:row 3:rule") && err.contains("pickup"),
        "{err}"
    );
}

#[test]
fn the_retail_policy_workbook_is_its_json() {
    // examples/retail/incentive_policy.xlsx is the JSON as `incentives policy --xlsx` writes it
    let retail = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/retail");
    let (sales, touches) = (retail.join("sales.csv"), retail.join("touches.csv"));
    let read = |file: &str| -> Value {
        let path = retail.join(file);
        let out = omnikpi(&["incentives", "policy", "--policy", s(&path)], None);
        serde_json::from_str(&ok(&out)).unwrap()
    };
    let from_book = read("incentive_policy.xlsx");
    let split = |policy: &Value, name: &str| {
        let path = scratch(name);
        std::fs::write(&path, policy.to_string()).unwrap();
        let args = [
            "incentives",
            "split",
            "--policy",
            s(&path),
            "--sales",
            s(&sales),
            "--touches",
            s(&touches),
            "--format",
            "json",
        ];
        ok(&omnikpi(&args, None))
    };
    assert_eq!(
        split(&from_book, "retail_book.json"),
        split(&read("incentive_policy.json"), "retail_json.json")
    );
}

/// A workbook of the given sheets, each a header and rows of text cells.
fn sheets(path: &Path, tables: &[(&str, &[&[&str]])]) {
    let mut book = Workbook::new();
    for (name, rows) in tables {
        let sheet = book.add_worksheet().set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet.write_string(r as u32, c as u16, *cell).unwrap();
                }
            }
        }
    }
    book.save(path).unwrap();
}

#[test]
fn nothing_in_a_sheet_is_dropped_or_overwritten_silently() {
    let head: &[&[&str]] = &[
        &["field", "value"],
        &["id", "p"],
        &["version", "1"],
        &["currency", "EUR"],
    ];
    let parties: &[&[&str]] = &[&["id", "kind"], &["web", "channel"]];
    let rules: &[&[&str]] = &[&["id"], &["web_orders"]];
    let shares: &[&[&str]] = &[&["rule", "party", "percent"], &["web_orders", "web", "5"]];
    let refused = |name: &str, tables: &[(&str, &[&[&str]])]| {
        let path = scratch(name);
        sheets(&path, tables);
        refused(&omnikpi(
            &["incentives", "policy", "--policy", s(&path)],
            None,
        ))
    };
    let ok_tables = [
        ("policy", head),
        ("parties", parties),
        ("rules", rules),
        ("shares", shares),
    ];
    let path = scratch("minimal.xlsx");
    sheets(&path, &ok_tables);
    ok(&omnikpi(
        &["incentives", "policy", "--policy", s(&path)],
        None,
    ));
    let twice: &[&[&str]] = &[
        &["field", "value"],
        &["id", "p"],
        &["version", "1"],
        &["currency", "EUR"],
        &["currency", "GBP"],
    ];
    let err = refused(
        "twice.xlsx",
        &[
            ("policy", twice),
            ("parties", parties),
            ("rules", rules),
            ("shares", shares),
        ],
    );
    assert!(
        err.contains("[duplicate_key] at ") && err.contains("twice.xlsx:policy:row 5:field"),
        "{err}"
    );
    let noted: &[&[&str]] = &[
        &["field", "value", "note"],
        &["id", "p", ""],
        &["version", "1", "v1"],
        &["currency", "EUR", ""],
    ];
    let err = refused(
        "noted.xlsx",
        &[
            ("policy", noted),
            ("parties", parties),
            ("rules", rules),
            ("shares", shares),
        ],
    );
    assert!(
        err.contains("[unknown_field] at ") && err.contains("noted.xlsx:policy:row 3:note"),
        "{err}"
    );
    let header: &[&[&str]] = &[&["id", "kind", "id"], &["web", "channel", "app"]];
    let err = refused(
        "header.xlsx",
        &[
            ("policy", head),
            ("parties", header),
            ("rules", rules),
            ("shares", shares),
        ],
    );
    assert!(
        err.contains("[duplicate_key] at ") && err.contains("header.xlsx:parties:row 1"),
        "{err}"
    );
    let empty: &[&[&str]] = &[
        &["field", "value"],
        &["id", "p"],
        &["version", ""],
        &["currency", "EUR"],
    ];
    let err = refused(
        "empty.xlsx",
        &[
            ("policy", empty),
            ("parties", parties),
            ("rules", rules),
            ("shares", shares),
        ],
    );
    assert!(
        err.contains("[missing_field] at ") && err.contains("empty.xlsx:policy:row 3:value"),
        "{err}"
    );
}
