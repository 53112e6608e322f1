//! Statements: per party and period, what the party is paid and why, for the party to read
//! and finance to file — every line with its explanation, the period adjustments, the totals,
//! the policy and its digest — as the `incentives.statement` result, a printable HTML page
//! ([`html`]) and CSV ([`csv`]), in English or French. The result's certificate
//! ([`crate::certificate::certificate`]) lets `omnikpi verify` recompute it from the same
//! policy and sales.
//!
//! ```
//! use serde_json::json;
//! let policy = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
//!     "currency": "EUR", "parties": [{"id": "web", "kind": "channel"}],
//!     "rules": [{"id": "web_sales", "shares": [{"party": "web", "percent": "5"}]}]});
//! let sales = json!([{"sale_id": "o1", "timestamp": 0, "period": "2026-10",
//!     "origin_channel": "web", "fulfilment_channel": "delivery", "amount": "1234.50"}]);
//! let input = json!({"policy": policy, "sales": sales});
//! let out = omnikpi::evaluate("incentives.statement", &input, &json!({"language": "fr"})).unwrap().to_json();
//! assert_eq!(out["statements"][0]["party"], "web");
//! assert_eq!(out["statements"][0]["payable"], "61.72");
//! let page = omnikpi::incentive::statement::html(&out, None).unwrap();
//! assert!(page.contains("Relevé de commissions") && page.contains("61,72"));
//! ```

use super::summary::{Line, PartyPeriod, PeriodTotals, Split};
use crate::error::{ErrorCode, KpiError, Result};
use crate::input::Record;
use crate::output::Output;
use crate::pack::html::escape;
use serde_json::Value;
use std::fmt::Write;

/// The `format` of a statements result.
pub const STATEMENT_FORMAT: &str = "omnikpi.incentive_statement/1";

/// The languages a statement is written in.
pub const LANGUAGES: [&str; 2] = ["en", "fr"];

/// Which statements to write: one party, one period, or every one with pay or lines.
struct Selection<'p> {
    party: Option<&'p str>,
    period: Option<&'p str>,
}

/// `incentives.statement`: the split of the input, then one statement per party and period.
pub(crate) fn evaluate_statement(input: &Value, params: &crate::catalog::Params) -> Result<Output> {
    let record = Record::new(input, "input", &["policy", "sales", "touches", "closed"])?;
    let (history, sales, touches) = super::read_input(&record)?;
    let closed = super::close::read_closed(&record, &history)?;
    let lang = super::Language::from_code(params.text("language")).unwrap_or_default();
    let split = super::split_in(&history, &sales, &touches, &closed, lang)?;
    let chosen = |name: &str| {
        params
            .to_json()
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (party, period) = (chosen("party"), chosen("period"));
    let selection = Selection {
        party: party.as_deref(),
        period: period.as_deref(),
    };
    if let Some(p) = selection.party {
        if history.versions().all(|v| v.party(p).is_none()) {
            return Err(KpiError::at(
                ErrorCode::InvalidParameter,
                "params.party",
                format!("is `{p}`, not a party of policy {}", split.policy.0),
            ));
        }
    }
    if let Some(p) = selection.period {
        if !split.periods.iter().any(|t| t.period == p) {
            let known: Vec<&str> = split.periods.iter().map(|t| t.period.as_str()).collect();
            return Err(KpiError::at(
                ErrorCode::InvalidParameter,
                "params.period",
                format!("is `{p}`, not a period of the split ({})", known.join(", ")),
            ));
        }
    }
    let kind = |id: &str| {
        history
            .versions()
            .find_map(|v| v.party(id).map(|p| p.kind.clone()))
            .unwrap_or_default()
    };
    let policy = input.get("policy").unwrap_or(&Value::Null);
    let statements = split
        .periods
        .iter()
        .filter(|t| selection.period.is_none_or(|p| p == t.period))
        .flat_map(|t| t.parties.iter().map(move |q| (t, q)))
        .filter(|(_, q)| selection.party.is_none_or(|p| p == q.party))
        .filter_map(|(t, q)| statement(&split, t, q, &kind(&q.party)))
        .collect();
    Ok(Output::record([
        ("format", STATEMENT_FORMAT.into()),
        ("policy", split.policy_output()),
        (
            "policy_digest",
            crate::certificate::digest(policy).as_str().into(),
        ),
        ("currency", split.currency.as_str().into()),
        ("language", params.text("language").into()),
        ("statements", Output::List(statements)),
        ("rows", split.rows.into()),
    ]))
}

/// One party's statement for one period; `None` when it has neither a line nor pay there.
fn statement(
    split: &Split,
    period: &PeriodTotals,
    pay: &PartyPeriod,
    kind: &str,
) -> Option<Output> {
    let lines: Vec<&Line> = split
        .lines
        .iter()
        .filter(|l| l.party == pay.party && l.period == period.period)
        .collect();
    if lines.is_empty() && pay.payable.is_zero() && pay.carried.is_zero() {
        return None;
    }
    let money = |d| Output::Decimal(split.money(d));
    let line = |l: &&Line| {
        Output::record([
            ("sale_id", l.sale_id.clone().into()),
            ("rule", l.rule.as_str().into()),
            ("kind", l.kind.name().into()),
            ("amount", money(l.amount)),
            ("explanation", l.explanation.as_str().into()),
        ])
    };
    let mut fields = vec![
        ("period", period.period.as_str().into()),
        ("party", pay.party.as_str().into()),
        ("kind", kind.into()),
        ("closed", period.closed.clone().into()),
        ("lines", Output::List(lines.iter().map(line).collect())),
    ];
    fields.extend(pay.amounts(money));
    Some(Output::record(fields))
}

/// The totals of a statement, in the order it shows them.
const TOTALS: [&str; 7] = [
    "earned",
    "accelerator",
    "limit",
    "bonus",
    "adjustment",
    "carried",
    "payable",
];

/// A word of a statement in `lang` (English for any other language).
fn word(lang: &str, key: &str) -> &'static str {
    const WORDS: [(&str, &str, &str); 33] = [
        ("title", "Commission statement", "Relevé de commissions"),
        ("party", "Party", "Partie"),
        ("period", "Period", "Période"),
        ("policy", "Policy", "Politique"),
        ("currency", "Currency", "Devise"),
        ("sale_id", "Sale", "Vente"),
        ("rule", "Rule", "Règle"),
        ("kind", "Kind", "Nature"),
        ("amount", "Amount", "Montant"),
        ("explanation", "Explanation", "Explication"),
        ("lines", "Lines", "Lignes"),
        ("totals", "Totals", "Totaux"),
        ("earned", "Earned on sales", "Acquis sur les ventes"),
        ("accelerator", "Accelerator", "Accélérateur"),
        ("limit", "Cap or floor", "Plafond ou plancher"),
        ("bonus", "Bonus", "Prime"),
        (
            "adjustment",
            "Prior-period adjustments",
            "Ajustements de périodes antérieures",
        ),
        ("carried", "Balance carried", "Solde reporté"),
        ("payable", "Payable", "À payer"),
        ("closed", "Closed period", "Période close"),
        ("open", "Open period", "Période ouverte"),
        ("certificate", "Certificate", "Certificat"),
        (
            "policy_digest",
            "Policy digest",
            "Empreinte de la politique",
        ),
        ("input", "Input digest", "Empreinte des données"),
        ("omnikpi", "omnikpi version", "Version d'omnikpi"),
        ("sale", "sale", "vente"),
        ("clawback", "clawback", "reprise"),
        ("cap", "cap", "plafond"),
        ("floor", "floor", "plancher"),
        ("carried_line", "balance carried", "solde reporté"),
        ("adjustment_line", "adjustment", "ajustement"),
        ("bonus_line", "bonus", "prime"),
        ("accelerator_line", "accelerator", "accélérateur"),
    ];
    WORDS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("", |(_, en, fr)| if lang == "fr" { fr } else { en })
}

/// A line kind as a statement names it.
fn kind_word(lang: &str, kind: &str) -> String {
    let own = word(lang, &format!("{kind}_line"));
    let word = if own.is_empty() {
        word(lang, kind)
    } else {
        own
    };
    if word.is_empty() {
        kind.to_owned()
    } else {
        word.to_owned()
    }
}

/// An exact amount (`-1234.50`) as a reader of `lang` writes it: `-1,234.50` or
/// `-1 234,50` (a narrow no-break space between thousands).
///
/// ```
/// use omnikpi::incentive::statement::display_amount;
/// assert_eq!(display_amount("-1234567.50", "en"), "-1,234,567.50");
/// assert_eq!(display_amount("1234.5", "fr"), "1\u{202f}234,5");
/// assert_eq!(display_amount("12", "fr"), "12");
/// ```
pub fn display_amount(amount: &str, lang: &str) -> String {
    let (sign, digits) = amount
        .strip_prefix('-')
        .map_or(("", amount), |rest| ("-", rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, point) = if lang == "fr" {
        ("\u{202f}", ",")
    } else {
        (",", ".")
    };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && whole.len().saturating_sub(i).is_multiple_of(3) {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn items<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
}

/// The language of a statements result, checked.
fn language(result: &Value) -> Result<&str> {
    let lang = text(result, "language");
    if text(result, "format") != STATEMENT_FORMAT || !LANGUAGES.contains(&lang) {
        return Err(KpiError::at(
            ErrorCode::WrongType,
            "statements",
            format!("must be an `{STATEMENT_FORMAT}` result (incentives.statement)"),
        ));
    }
    Ok(lang)
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:60rem;color:#1d2733;padding:0 1rem}\
h1{font-size:1.4rem;margin:0 0 .2rem}.meta,.cert{color:#5b6b7b;font-size:.85rem}.cert{word-break:break-all}\
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0;width:100%}th,td{border:1px solid #d6dde5;padding:.25rem .5rem;text-align:left;vertical-align:top}\
td.amount,th.amount{text-align:right;white-space:nowrap}th{background:#f1f4f7}tr.payable td{font-weight:bold}\
section{break-after:page;margin-bottom:3rem}section:last-of-type{break-after:auto}@media print{body{margin:0;max-width:none}}";

/// The statements of a result (`incentives.statement`) as one self-contained, printable HTML
/// page in the result's language, a statement per printed page, each ending with the
/// certificate when one is given.
///
/// # Errors
/// `wrong_type` when `result` is not a statements result.
pub fn html(result: &Value, certificate: Option<&Value>) -> Result<String> {
    let lang = language(result)?;
    let policy = result.get("policy").unwrap_or(&Value::Null);
    let currency = text(result, "currency");
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{} {} {}</title><style>{STYLE}</style></head><body>\n",
        word(lang, "title"),
        escape(text(policy, "id")),
        escape(text(policy, "version"))
    );
    for s in items(result, "statements") {
        let _ = write!(
            out,
            "<section>\n<h1>{} · {} · {}</h1>\n<p class=\"meta\">{} {} {} · {} {} · {}</p>\n",
            word(lang, "title"),
            escape(text(s, "party")),
            escape(text(s, "period")),
            word(lang, "policy"),
            escape(text(policy, "id")),
            escape(text(policy, "version")),
            word(lang, "currency"),
            escape(currency),
            word(
                lang,
                if s["closed"].is_null() {
                    "open"
                } else {
                    "closed"
                }
            ),
        );
        let _ = writeln!(
            out,
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th class=\"amount\">{}</th><th>{}</th></tr>",
            word(lang, "sale_id"),
            word(lang, "rule"),
            word(lang, "kind"),
            word(lang, "amount"),
            word(lang, "explanation")
        );
        for l in items(s, "lines") {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"amount\">{}</td><td>{}</td></tr>",
                escape(text(l, "sale_id")),
                escape(text(l, "rule")),
                escape(&kind_word(lang, text(l, "kind"))),
                display_amount(text(l, "amount"), lang),
                escape(text(l, "explanation"))
            );
        }
        let _ = write!(out, "</table>\n<table>");
        for key in TOTALS {
            let _ = writeln!(
                out,
                "<tr{}><td>{}</td><td class=\"amount\">{} {}</td></tr>",
                if key == "payable" {
                    " class=\"payable\""
                } else {
                    ""
                },
                word(lang, key),
                display_amount(text(s, key), lang),
                escape(currency)
            );
        }
        out.push_str("</table>\n");
        out.push_str(&certificate_html(result, certificate, s, lang));
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

fn certificate_html(result: &Value, certificate: Option<&Value>, s: &Value, lang: &str) -> String {
    let mut rows = vec![("policy_digest", text(result, "policy_digest").to_owned())];
    if let Some(digest) = s.get("closed").and_then(Value::as_str) {
        rows.push(("closed", digest.to_owned()));
    }
    if let Some(cert) = certificate {
        rows.insert(0, ("certificate", text(cert, "certificate").to_owned()));
        rows.push(("input", text(cert, "input").to_owned()));
        rows.push(("omnikpi", text(cert, "omnikpi").to_owned()));
    }
    let mut out = String::from("<p class=\"cert\">");
    for (key, value) in rows {
        let _ = write!(out, "{}: {}<br>", word(lang, key), escape(&value));
    }
    out.push_str("</p>\n");
    out
}

/// The statements of a result as CSV in the result's language: per statement its lines, then
/// one row per total (the total's name in the `kind` column), every row with the policy, the
/// period and the party; amounts exact, as the result holds them.
///
/// # Errors
/// `wrong_type` when `result` is not a statements result.
pub fn csv(result: &Value) -> Result<String> {
    use crate::output::cannot_write;
    let lang = language(result)?;
    let policy = result.get("policy").unwrap_or(&Value::Null);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        word(lang, "policy"),
        "version",
        word(lang, "period"),
        word(lang, "party"),
        word(lang, "sale_id"),
        word(lang, "rule"),
        word(lang, "kind"),
        word(lang, "amount"),
        word(lang, "explanation"),
    ];
    writer.write_record(header).map_err(cannot_write)?;
    for s in items(result, "statements") {
        let lead = [
            text(policy, "id"),
            text(policy, "version"),
            text(s, "period"),
            text(s, "party"),
        ];
        for l in items(s, "lines") {
            let kind = kind_word(lang, text(l, "kind"));
            let row = [
                text(l, "sale_id"),
                text(l, "rule"),
                &kind,
                text(l, "amount"),
                text(l, "explanation"),
            ];
            writer
                .write_record(lead.iter().chain(row.iter()))
                .map_err(cannot_write)?;
        }
        for key in TOTALS {
            let row = ["", "", word(lang, key), text(s, key), ""];
            writer
                .write_record(lead.iter().chain(row.iter()))
                .map_err(cannot_write)?;
        }
    }
    crate::output::csv_finish(writer)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    fn statement(language: &str) -> Value {
        let policy = json!({"format": "omnikpi.incentive_policy/1", "id": "p", "version": "1",
            "currency": "EUR", "parties": [{"id": "web", "kind": "channel"}, {"id": "lille", "kind": "store"}],
            "rules": [{"id": "c_and_c", "shares": [{"party": "web", "percent": "2"},
                                                   {"party_from": "fulfilment_channel", "percent": "1.5"}]}],
            "limits": [{"party": "lille", "floor": "5.00", "clawbacks": "deducted"}]});
        let sales = json!([
            {"sale_id": "o1", "timestamp": 0, "period": "2026-10", "origin_channel": "web",
             "fulfilment_channel": "lille", "amount": "89.19"},
            {"sale_id": "r1", "timestamp": 3600, "period": "2026-10", "refund_of": "o1", "amount": "30.00"}]);
        let params = json!({"party": "lille", "language": language});
        crate::evaluate(
            "incentives.statement",
            &json!({"policy": policy, "sales": sales}),
            &params,
        )
        .map(|r| r.to_json())
        .unwrap_or_default()
    }

    #[test]
    fn a_french_statement_explains_every_line_in_french_with_the_same_figures() {
        let (en, fr) = (statement("en"), statement("fr"));
        let explanations = |s: &Value| -> Vec<String> {
            s["statements"][0]["lines"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|l| l["explanation"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(
            explanations(&fr),
            [
                "c_and_c : 1,5 de la cagnotte de 3,5 % sur 89,19 (montant) (3,12165 -> 3,12 EUR, half_even) = 1,34 EUR, \
                 avec une unité résiduelle (plus forts restes), pour le canal d'exécution de la vente",
                "reprise sur la vente o1 : remboursement de 30,00 EUR sur son montant de 89,19 EUR ; la règle c_and_c a payé \
                 3,12 EUR en tout, dont 30,00/89,19 = ≈1,049445 -> -1,05 EUR ; part de cette ligne (de 1,34 EUR) : -0,45 EUR",
                "plancher de 5,00 EUR par période : paie avant primes de 1,34 EUR ajustée de 3,66 EUR ; les reprises de la \
                 période, -0,45 EUR, sont déduites après",
            ]
        );
        assert!(explanations(&en)[0].starts_with("c_and_c: 1.5 of the 3.5% pool on 89.19 amount"));
        for key in ["earned", "limit", "payable"] {
            assert_eq!(en["statements"][0][key], fr["statements"][0][key], "{key}");
        }
        assert_eq!(fr["statements"][0]["payable"], "4.55");
        let page = super::html(&fr, None).unwrap_or_default();
        assert!(page.contains("<html lang=\"fr\">") && page.contains("4,55 EUR"));
        let csv = super::csv(&fr).unwrap_or_default();
        assert!(csv.starts_with(
            "Politique,version,Période,Partie,Vente,Règle,Nature,Montant,Explication"
        ));
        assert!(csv.contains("p,1,2026-10,lille,,,À payer,4.55,"), "{csv}");
    }
}
