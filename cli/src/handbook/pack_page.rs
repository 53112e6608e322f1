//! The handbook's page of a KPI pack (`omnikpi handbook --pack`): each of the organization's
//! KPIs under its own label, next to the canonical definition it locks (linked), the version
//! range and the defined version, its dimensions, locked parameters and tables; then the
//! dimensions, channels and tables with their labels.

use super::Table;
use omnikpi::pack::html::escape as html_escape;
use omnikpi::pack::{Labels, Pack};
use serde_json::Value;

struct Words {
    kpis: &'static str,
    label: &'static str,
    definition: &'static str,
    range: &'static str,
    defined: &'static str,
    by: &'static str,
    params: &'static str,
    inputs: &'static str,
    dimensions: &'static str,
    channels: &'static str,
    tables: &'static str,
    name: &'static str,
    group: &'static str,
    file: &'static str,
    columns: &'static str,
    reading: &'static str,
    fingerprint: &'static str,
    period: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "fr" => Words {
            kpis: "Indicateurs du pack",
            label: "Libellé de l'organisation",
            definition: "Définition canonique",
            range: "Versions acceptées",
            defined: "Version définie",
            by: "Par",
            params: "Paramètres verrouillés",
            inputs: "Entrées",
            dimensions: "Dimensions",
            channels: "Canaux",
            tables: "Tables",
            name: "Nom",
            group: "Groupe",
            file: "Fichier",
            columns: "Colonnes",
            reading: "Lecture",
            fingerprint: "Empreinte",
            period: "Période",
        },
        _ => Words {
            kpis: "The pack's KPIs",
            label: "Organization's label",
            definition: "Canonical definition",
            range: "Versions accepted",
            defined: "Version defined",
            by: "By",
            params: "Locked parameters",
            inputs: "Inputs",
            dimensions: "Dimensions",
            channels: "Channels",
            tables: "Tables",
            name: "Name",
            group: "Group",
            file: "File",
            columns: "Columns",
            reading: "Reading",
            fingerprint: "Fingerprint",
            period: "Period",
        },
    }
}

/// A label in `lang`, or in the pack's first language when the pack has no `lang`.
fn label(labels: &Labels, pack: &Pack, lang: &str) -> String {
    labels
        .get(lang)
        .or_else(|| pack.languages.first().and_then(|l| labels.get(l)))
        .cloned()
        .unwrap_or_default()
}

fn compact(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Object(m) if m.is_empty() => String::new(),
        other => format!("`{other}`"),
    }
}

/// The page's file name (without extension).
pub fn name(pack: &Pack) -> String {
    format!("pack.{}", pack.id)
}

/// The page's title and its sections (a heading and a table each).
fn sections(pack: &Pack, lang: &str) -> (String, Vec<(String, Table)>) {
    let w = words(lang);
    let title = label(&pack.name, pack, lang);
    let dimension = |d: &String| match pack.dimensions.iter().find(|x| &x.name == d) {
        Some(x) => label(&x.label, pack, lang),
        None => w.period.to_owned(),
    };
    let mut kpis = Vec::new();
    for kpi in &pack.kpis {
        let defined = omnikpi::definition(kpi.kpi)
            .map(|d| d.version.clone())
            .unwrap_or_default();
        let mut params = kpi.params.clone();
        if let Some(map) = params.as_object_mut() {
            for key in ["by", "period", "time_zone"] {
                map.shift_remove(key);
            }
        }
        let inputs: Vec<String> = kpi
            .inputs
            .iter()
            .map(|(input, source)| match source {
                omnikpi::pack::InputSource::Table(t) => {
                    let file = pack.tables.get(t).map_or("", |t| t.file.as_str());
                    format!("`{input}` ← {t} ({file})")
                }
                omnikpi::pack::InputSource::Value(v) => format!("`{input}` = `{v}`"),
            })
            .collect();
        kpis.push(vec![
            label(&kpi.label, pack, lang),
            format!("[{id}]({id}.html) `{id}`", id = kpi.kpi),
            format!("`{}`", kpi.range),
            defined,
            kpi.by.iter().map(dimension).collect::<Vec<_>>().join(", "),
            compact(&params),
            inputs.join("; "),
        ]);
    }
    let headers = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
    let mut out = vec![(
        w.kpis.to_owned(),
        Table {
            headers: headers(&[
                w.label,
                w.definition,
                w.range,
                w.defined,
                w.by,
                w.params,
                w.inputs,
            ]),
            rows: kpis,
        },
    )];
    let dimensions = pack
        .dimensions
        .iter()
        .map(|d| vec![format!("`{}`", d.name), label(&d.label, pack, lang)])
        .collect();
    out.push((
        w.dimensions.to_owned(),
        Table {
            headers: headers(&[w.name, w.label]),
            rows: dimensions,
        },
    ));
    let channels = pack
        .channels
        .iter()
        .filter_map(|c| {
            let name = c.get("channel")?.as_str()?;
            let group = c.get("group").and_then(Value::as_str).unwrap_or_default();
            let labels = pack.channel_labels.get(name)?;
            Some(vec![
                format!("`{name}`"),
                group.to_owned(),
                label(labels, pack, lang),
            ])
        })
        .collect();
    out.push((
        w.channels.to_owned(),
        Table {
            headers: headers(&[w.name, w.group, w.label]),
            rows: channels,
        },
    ));
    let tables = pack
        .tables
        .iter()
        .map(|(name, t)| {
            let columns: Vec<String> = t
                .columns
                .iter()
                .map(|(field, column)| format!("`{field}` ← {column}"))
                .collect();
            vec![
                format!("`{name}`"),
                t.file.clone(),
                columns.join(", "),
                compact(&t.reading),
            ]
        })
        .collect();
    out.push((
        w.tables.to_owned(),
        Table {
            headers: headers(&[w.name, w.file, w.columns, w.reading]),
            rows: tables,
        },
    ));
    let meta = format!(
        "`{}` {} · {} · {} · {} {}",
        pack.id,
        pack.version,
        pack.currency,
        pack.period.as_deref().unwrap_or("-"),
        w.fingerprint,
        pack.fingerprint()
    );
    (format!("{title}\n{meta}"), out)
}

/// The page in HTML (the body) and Markdown.
pub fn page(pack: &Pack, lang: &str) -> (String, String, String) {
    let (heading, sections) = sections(pack, lang);
    let (title, meta) = heading.split_once('\n').unwrap_or((&heading, ""));
    let mut html = format!(
        "<h1>{}</h1>\n<p class=\"meta\">{}</p>\n",
        html_escape(title),
        super::html_inline(meta)
    );
    let mut md = format!("# {title}\n\n{meta}\n\n");
    for (heading, table) in sections {
        html.push_str(&format!(
            "<h2>{}</h2>\n{}",
            html_escape(&heading),
            table.html()
        ));
        md.push_str(&format!("## {heading}\n\n{}\n", table.markdown()));
    }
    (title.to_owned(), html, md)
}
