//! `omnikpi attribute` on an Excel workbook gives the same bytes as on the same table in CSV
//! (written as Excel writes it in France: `;`, decimal comma, `VRAI`-free booleans, a BOM) and
//! in canonical CSV: one reader, whatever the file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use rust_xlsxwriter::Workbook;
use std::path::Path;
use std::process::Command;

/// One exported touch: user, local time, channel, purchase and revenue (on the last touch).
type Touch = (
    &'static str,
    &'static str,
    &'static str,
    Option<bool>,
    Option<f64>,
);

const ROWS: [Touch; 7] = [
    ("u1", "2026-10-01 09:00:00", "web", None, None),
    ("u1", "2026-10-02 18:30:00", "email", None, None),
    (
        "u1",
        "2026-10-03 12:00:00",
        "store",
        Some(true),
        Some(89.99),
    ),
    ("u2", "2026-10-01 10:00:00", "email", None, None),
    ("u2", "2026-10-04 11:15:00", "web", Some(true), Some(120.5)),
    ("u3", "2026-10-05 08:00:00", "web", Some(false), None),
    (
        "u4",
        "2026-10-06 20:00:00",
        "store",
        Some(true),
        Some(0.1 + 0.2),
    ),
];

fn run(dir: &Path, file: &str, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_omnikpi"))
        .arg("attribute")
        .arg(dir.join(file))
        .args(["--channels", dir.join("channels.csv").to_str().unwrap()])
        .args([
            "--currency",
            "EUR",
            "--model",
            "first_touch,linear,markov",
            "--json",
        ])
        .args(["--column", "journey_id=user", "--column", "timestamp=time"])
        .args([
            "--column",
            "conversions=purchase",
            "--column",
            "value=revenue",
        ])
        .args(["--outcome", "last-touch", "--timezone", "Europe/Paris"])
        .args(["--money-from-float", "round-half-even"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A folder holding `channels.csv` and the touch table of [`ROWS`] as `touches.xlsx`, as
/// canonical `touches.csv` and as French Excel's `touches_fr.csv`.
fn tables(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("omnikpi-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("channels.csv"),
        "channel,group,direct\nweb,online,false\nemail,online,false\nstore,offline,false\n",
    )
    .unwrap();

    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, title) in ["user", "time", "channel", "purchase", "revenue"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *title).unwrap();
    }
    let mut canonical = String::from("user,time,channel,purchase,revenue\n");
    let mut excel_fr = String::from("\u{feff}user;time;channel;purchase;revenue\r\n");
    for (r, (user, time, channel, purchase, revenue)) in ROWS.iter().enumerate() {
        let row = r as u32 + 1;
        sheet.write_string(row, 0, *user).unwrap();
        let at = rust_xlsxwriter::ExcelDateTime::parse_from_str(time).unwrap();
        let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        sheet
            .write_datetime_with_format(row, 1, &at, &format)
            .unwrap();
        sheet.write_string(row, 2, *channel).unwrap();
        if let Some(p) = purchase {
            sheet.write_boolean(row, 3, *p).unwrap();
        }
        if let Some(v) = revenue {
            sheet.write_number(row, 4, *v).unwrap();
        }
        let flag = purchase.map_or(String::new(), |p| {
            if p {
                "TRUE".into()
            } else {
                "FALSE".into()
            }
        });
        let money = revenue.map_or(String::new(), |v| format!("{v}"));
        canonical.push_str(&format!("{user},{time},{channel},{flag},{money}\n"));
        excel_fr.push_str(&format!(
            "{user};{time};{channel};{flag};{}\r\n",
            money.replace('.', ",")
        ));
    }
    book.save(dir.join("touches.xlsx")).unwrap();
    std::fs::write(dir.join("touches.csv"), canonical).unwrap();
    std::fs::write(dir.join("touches_fr.csv"), excel_fr).unwrap();
    dir
}

#[test]
fn a_workbook_and_its_csv_exports_give_the_same_bytes() {
    let dir = tables("workbook");
    let from_csv = run(&dir, "touches.csv", &[]);
    assert_eq!(run(&dir, "touches.xlsx", &[]), from_csv);
    assert_eq!(run(&dir, "touches_fr.csv", &[]), from_csv); // `;` detected, decimal comma assumed
    assert_eq!(
        run(
            &dir,
            "touches_fr.csv",
            &["--delimiter", ";", "--decimal", ","]
        ),
        from_csv
    );
    let result: serde_json::Value = serde_json::from_str(&from_csv).unwrap();
    // 89.99 + 120.50 + 0.30 (0.1 + 0.2 rounded at the cent, as declared)
    assert_eq!(result[1]["totals"]["value"], "210.79");

    // a cell that fails says how the file was read
    let out = Command::new(env!("CARGO_BIN_EXE_omnikpi"))
        .arg("attribute")
        .arg(dir.join("touches_fr.csv"))
        .args([
            "--channels",
            dir.join("channels.csv").to_str().unwrap(),
            "--currency",
            "EUR",
        ])
        .args(["--column", "journey_id=user", "--column", "timestamp=time"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("touches_fr.csv:row 2:time"), "{stderr}");
    assert!(
        stderr.contains("read as CSV: delimiter `;`, decimal comma"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn verify(dir: &Path, certificate: &Path, file: &str) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_omnikpi"))
        .arg("verify")
        .arg(certificate)
        .arg("--journeys")
        .arg(dir.join(file))
        .args(["--channels", dir.join("channels.csv").to_str().unwrap()])
        .args(["--currency", "EUR"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code(),
        text + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn a_table_attribution_is_certified_whatever_the_file_and_verified_from_it() {
    let dir = tables("certificate");
    let certified = |file: &str| {
        let path = dir.join(format!("{file}.certificate.json"));
        run(&dir, file, &["--certificate", path.to_str().unwrap()]);
        let text = std::fs::read_to_string(&path).unwrap();
        (
            path,
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        )
    };
    let (path, certs) = certified("touches.csv");
    assert_eq!(certs.as_array().unwrap().len(), 3); // first_touch, linear, markov
    assert_eq!(certs[1]["kpi"], "attribution.linear");
    assert_eq!(certs[1]["reading"]["outcome"], "last_touch");
    assert_eq!(certs[1]["reading"]["columns"]["journey_id"], "user");
    // the journeys as read are certified, not the file's bytes
    assert_eq!(certified("touches.xlsx").1, certs);
    assert_eq!(certified("touches_fr.csv").1, certs);

    let (code, text) = verify(&dir, &path, "touches.xlsx");
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(text.matches("confirmed:").count(), 3, "{text}");
    let csv = std::fs::read_to_string(dir.join("touches.csv")).unwrap();
    let mut lines: Vec<&str> = csv.lines().collect();
    lines[1..].reverse();
    std::fs::write(dir.join("reversed.csv"), lines.join("\n")).unwrap();
    assert_eq!(verify(&dir, &path, "reversed.csv").0, Some(0));

    // one cent more on u2's purchase: the input and the result differ
    std::fs::write(dir.join("changed.csv"), csv.replace(",120.5", ",120.51")).unwrap();
    let (code, text) = verify(&dir, &path, "changed.csv");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("refuted: attribution.linear"), "{text}");
    assert!(text.contains("DIFF input"), "{text}");
    assert!(text.contains("DIFF result"), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}
