//! The KPI handbook, generated from the spec alone: a static HTML site (searchable from its
//! index without a server) and the same pages in Markdown, in every language of the spec.
//! Each page's worked example is computed now by the library from the vector the definition
//! cites, and generation fails if the result differs from that vector's expectation.

use omnikpi::pack::html::escape as html_escape;
use omnikpi::{ErrorCode, KpiError};
use serde_json::Value;

mod pack_page;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

/// Languages the handbook is written in (every definition carries both).
pub const LANGUAGES: [&str; 2] = ["en", "fr"];

/// Words of the handbook's own frame (headings, column names); the KPI text comes from the spec.
struct Words {
    handbook: &'static str,
    search: &'static str,
    formula: &'static str,
    inputs: &'static str,
    parameters: &'static str,
    outputs: &'static str,
    edge_cases: &'static str,
    errors: &'static str,
    history: &'static str,
    example: &'static str,
    example_note: &'static str,
    input: &'static str,
    output: &'static str,
    name: &'static str,
    kind: &'static str,
    default: &'static str,
    allowed: &'static str,
    description: &'static str,
    scale: &'static str,
    rounding: &'static str,
    vector: &'static str,
    code: &'static str,
    version: &'static str,
    change: &'static str,
    none: &'static str,
    back: &'static str,
    family: &'static str,
    other_language: &'static str,
    usage: &'static str,
    language: &'static str,
    call: &'static str,
    guides: &'static str,
    packs: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "fr" => Words {
            handbook: "Manuel des KPI omnikpi",
            search: "Rechercher un KPI",
            formula: "Formule",
            inputs: "Entrées",
            parameters: "Paramètres",
            outputs: "Sorties",
            edge_cases: "Cas limites",
            errors: "Codes d'erreur",
            history: "Historique des versions",
            example: "Exemple commenté",
            example_note: "Résultat calculé par omnikpi lors de la génération, à partir du vecteur",
            input: "Entrée",
            output: "Résultat",
            name: "Nom",
            kind: "Type",
            default: "Défaut",
            allowed: "Valeurs admises",
            description: "Description",
            scale: "Décimales",
            rounding: "Arrondi",
            vector: "Vecteur de test",
            code: "Code",
            version: "Version",
            change: "Changement",
            none: "aucun",
            back: "Retour à l'index",
            family: "Famille",
            other_language: "English",
            usage: "L'utiliser",
            language: "Interface",
            call: "Appel",
            guides: "Guides",
            packs: "Packs de KPI",
        },
        _ => Words {
            handbook: "omnikpi KPI handbook",
            search: "Search a KPI",
            formula: "Formula",
            inputs: "Inputs",
            parameters: "Parameters",
            outputs: "Outputs",
            edge_cases: "Edge cases",
            errors: "Error codes",
            history: "Version history",
            example: "Worked example",
            example_note: "Output computed by omnikpi when this page was generated, from vector",
            input: "Input",
            output: "Output",
            name: "Name",
            kind: "Type",
            default: "Default",
            allowed: "Allowed values",
            description: "Description",
            scale: "Scale",
            rounding: "Rounding",
            vector: "Test vector",
            code: "Code",
            version: "Version",
            change: "Change",
            none: "none",
            back: "Back to the index",
            family: "Family",
            other_language: "Français",
            usage: "Use it",
            language: "Front end",
            call: "Call",
            guides: "Guides",
            packs: "KPI packs",
        },
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn get<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&Value::Null)
}

fn list(value: &Value, key: &str) -> Vec<Value> {
    get(value, key).as_array().cloned().unwrap_or_default()
}

/// Turns `code spans` into `<code>` and links to handbook pages (`[text](page.html)`) into
/// `<a>`, after escaping.
fn html_inline(s: &str) -> String {
    let escaped = html_escape(s);
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(&page_links(part));
        }
    }
    out
}

/// `[text](page.html)` as a link; any other text as it is.
fn page_links(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let link = from
            .get(1..)
            .and_then(|f| f.split_once("]("))
            .and_then(|(label, tail)| {
                let (href, after) = tail.split_once(')')?;
                let local = href.ends_with(".html") && !href.contains(['/', ':', ' ']);
                local.then(|| (format!("<a href=\"{href}\">{label}</a>"), after))
            });
        match link {
            Some((anchor, after)) => {
                out.push_str(&anchor);
                rest = after;
            }
            None => {
                out.push('[');
                rest = from.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A table in both formats.
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn html(&self) -> String {
        let head: String = self
            .headers
            .iter()
            .map(|h| format!("<th>{}</th>", html_escape(h)))
            .collect();
        let body: String = self
            .rows
            .iter()
            .map(|r| {
                format!(
                    "<tr>{}</tr>",
                    r.iter()
                        .map(|c| format!("<td>{}</td>", html_inline(c)))
                        .collect::<String>()
                )
            })
            .collect();
        format!("<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>\n")
    }

    fn markdown(&self) -> String {
        let mut out = format!(
            "| {} |\n",
            self.headers
                .iter()
                .map(|h| md_cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        out.push_str(&format!("|{}\n", " --- |".repeat(self.headers.len())));
        for r in &self.rows {
            out.push_str(&format!(
                "| {} |\n",
                r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
            ));
        }
        out
    }
}

/// One section of a page: a heading and either paragraphs, a table or code blocks.
enum Block {
    Para(String),
    Table(Table),
    /// A labelled JSON block, shown under a sub-heading.
    Code(String, String),
}

fn field_rows(fields: &[Value], prefix: &str, rows: &mut Vec<Vec<String>>, with_scale: bool) {
    for f in fields {
        let name = format!("{prefix}{}", text(get(f, "name")));
        let mut kind = text(get(f, "type"));
        if get(f, "nullable") == &Value::Bool(true) {
            kind.push_str(" | null");
        }
        if get(f, "optional") == &Value::Bool(true) {
            kind.push_str(" (optional)");
        }
        let mut row = vec![format!("`{name}`"), kind];
        if with_scale {
            row.push(text(get(f, "scale")));
            row.push(text(get(f, "rounding")));
        }
        row.push(text(get(f, "description")));
        rows.push(row);
        let nested = list(f, "fields");
        if !nested.is_empty() {
            let nest = if text(get(f, "type")) == "array" {
                "[]."
            } else {
                "."
            };
            field_rows(&nested, &format!("{name}{nest}"), rows, with_scale);
        }
    }
}

/// The vector case a definition cites as `file::case name`, with its computed output.
fn worked_example(kpi: &str, cite: &str) -> Result<(Value, Value, Value), KpiError> {
    let missing = || {
        KpiError::new(
            ErrorCode::InvalidDataset,
            Some(format!("spec/kpis/{kpi}.json:example")),
            format!("`{kpi}` cites example `{cite}`, which no vector file holds"),
        )
    };
    let (stem, name) = cite.split_once("::").ok_or_else(missing)?;
    let text = embedded::VECTORS
        .iter()
        .find(|(k, s, _)| *k == kpi && *s == stem)
        .map(|(_, _, t)| *t)
        .ok_or_else(missing)?;
    let doc: Value = serde_json::from_str(text).map_err(|_| missing())?;
    let case = list(&doc, "cases")
        .into_iter()
        .find(|c| get(c, "name").as_str() == Some(name))
        .ok_or_else(missing)?;
    let input = get(&case, "input").clone();
    let params = get(&case, "params").clone();
    let output = omnikpi::evaluate(kpi, &input, &params)?.to_json();
    if get(&case, "expected") != &output {
        return Err(KpiError::new(
            ErrorCode::InvalidDataset,
            Some(format!("spec/vectors/{kpi}/{stem}.json")),
            format!(
                "the worked example `{cite}` of `{kpi}` no longer matches what omnikpi computes"
            ),
        ));
    }
    Ok((input, params, output))
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The sections of one KPI page.
/// How each front end calls the KPI: the functions its surface names (generated by `omnikpi
/// surfaces`), with the inputs as arguments and the parameters at their defaults.
fn usage(def: &Value) -> Vec<Vec<String>> {
    let id = text(get(def, "id"));
    let surface = get(def, "surface");
    let function = text(get(surface, "function"));
    let positional: Vec<String> = list(surface, "positional").iter().map(text).collect();
    let inputs: Vec<String> = list(def, "inputs")
        .iter()
        .map(|i| text(get(i, "name")))
        .collect();
    let params = list(def, "parameters");
    let mut py: Vec<String> = positional.clone();
    py.extend(
        inputs
            .iter()
            .filter(|i| !positional.contains(i))
            .map(|i| format!("{i}=…")),
    );
    py.extend(params.iter().map(|p| {
        let default = crate::surfaces::python_literal(get(p, "default"));
        format!("{}={default}", text(get(p, "name")))
    }));
    let mut js = format!("{{ {} }}", inputs.join(", "));
    if !params.is_empty() {
        let names: Vec<String> = params.iter().map(|p| text(get(p, "name"))).collect();
        js.push_str(&format!(", {{ {} }}", names.join(", ")));
    }
    let flags: String = params
        .iter()
        .map(|p| {
            let value = match get(p, "default") {
                Value::Null => text(get(p, "type")).to_uppercase(),
                default => text(default),
            };
            format!(" [--{} {value}]", text(get(p, "name")).replace('_', "-"))
        })
        .collect();
    vec![
        vec![
            "Python".into(),
            format!("`omnikpi.{function}({})`", py.join(", ")),
        ],
        vec![
            "JavaScript".into(),
            format!("`{}({js})`", crate::surfaces::camel(&function)),
        ],
        vec![
            "CLI".into(),
            format!("`omnikpi kpi {id} --input input.json{flags}`"),
        ],
    ]
}

fn kpi_blocks(def: &Value, w: &Words, errors: &Value) -> Result<Vec<(String, Block)>, KpiError> {
    let id = text(get(def, "id"));
    let mut sections = vec![
        (String::new(), Block::Para(text(get(def, "summary")))),
        (w.formula.to_owned(), Block::Para(text(get(def, "formula")))),
    ];
    sections.push((
        w.usage.to_owned(),
        Block::Table(Table {
            headers: vec![w.language.into(), w.call.into()],
            rows: usage(def),
        }),
    ));
    let mut rows = Vec::new();
    field_rows(&list(def, "inputs"), "", &mut rows, false);
    sections.push((
        w.inputs.to_owned(),
        Block::Table(Table {
            headers: vec![w.name.into(), w.kind.into(), w.description.into()],
            rows,
        }),
    ));
    let params = list(def, "parameters");
    let param_rows: Vec<Vec<String>> = params
        .iter()
        .map(|p| {
            let allowed = match (
                get(p, "enum").as_array(),
                get(p, "minimum"),
                get(p, "maximum"),
            ) {
                (Some(choices), _, _) => choices
                    .iter()
                    .map(|c| format!("`{}`", text(c)))
                    .collect::<Vec<_>>()
                    .join(", "),
                (None, Value::Null, Value::Null) => String::new(),
                (None, min, max) => format!(
                    "{} … {}",
                    text(min),
                    if max.is_null() {
                        "∞".into()
                    } else {
                        text(max)
                    }
                ),
            };
            let default = match get(p, "default") {
                Value::Null => w.none.to_owned(),
                d => format!("`{}`", text(d)),
            };
            vec![
                format!("`{}`", text(get(p, "name"))),
                text(get(p, "type")),
                default,
                allowed,
                text(get(p, "description")),
            ]
        })
        .collect();
    sections.push((
        w.parameters.to_owned(),
        if param_rows.is_empty() {
            Block::Para(w.none.to_owned())
        } else {
            Block::Table(Table {
                headers: vec![
                    w.name.into(),
                    w.kind.into(),
                    w.default.into(),
                    w.allowed.into(),
                    w.description.into(),
                ],
                rows: param_rows,
            })
        },
    ));
    let mut rows = Vec::new();
    field_rows(&list(def, "outputs"), "", &mut rows, true);
    sections.push((
        w.outputs.to_owned(),
        Block::Table(Table {
            headers: vec![
                w.name.into(),
                w.kind.into(),
                w.scale.into(),
                w.rounding.into(),
                w.description.into(),
            ],
            rows,
        }),
    ));
    let rows = list(def, "edge_cases")
        .iter()
        .map(|e| {
            vec![
                text(get(e, "rule")),
                format!("`{}`", text(get(e, "vector"))),
            ]
        })
        .collect();
    sections.push((
        w.edge_cases.to_owned(),
        Block::Table(Table {
            headers: vec![w.description.into(), w.vector.into()],
            rows,
        }),
    ));
    let all_errors = list(errors, "errors");
    let rows = list(def, "errors")
        .iter()
        .map(|code| {
            let description = all_errors
                .iter()
                .find(|e| get(e, "code") == code)
                .map(|e| text(get(e, "description")))
                .unwrap_or_default();
            vec![format!("`{}`", text(code)), description]
        })
        .collect();
    sections.push((
        w.errors.to_owned(),
        Block::Table(Table {
            headers: vec![w.code.into(), w.description.into()],
            rows,
        }),
    ));
    let rows = list(def, "history")
        .iter()
        .map(|h| vec![text(get(h, "version")), text(get(h, "change"))])
        .collect();
    sections.push((
        w.history.to_owned(),
        Block::Table(Table {
            headers: vec![w.version.into(), w.change.into()],
            rows,
        }),
    ));
    let cite = text(get(def, "example"));
    let (input, params, output) = worked_example(&id, &cite)?;
    sections.push((
        w.example.to_owned(),
        Block::Para(format!("{} `{id}/{cite}`.", w.example_note)),
    ));
    sections.push((
        String::new(),
        Block::Code(w.input.to_owned(), pretty(&input)),
    ));
    if !params.is_null() {
        sections.push((
            String::new(),
            Block::Code(w.parameters.to_owned(), pretty(&params)),
        ));
    }
    sections.push((
        String::new(),
        Block::Code(w.output.to_owned(), pretty(&output)),
    ));
    Ok(sections)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.5}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;vertical-align:top}\
th{background:#f6f8fa}code{background:#f0f3f6;padding:0 .25rem;border-radius:3px}pre{background:#f6f8fa;padding:1rem;overflow:auto;border-radius:6px}pre code{background:none;padding:0}\
.meta{color:#57606a}nav a{margin-right:1rem}#q{width:100%;padding:.5rem;font-size:1rem;margin:1rem 0}li{margin:.4rem 0}li.hidden{display:none}";

/// A whole HTML page; `other` links the same page in the other language, when generated.
fn html_page(lang: &str, title: &str, body: &str, w: &Words, other: Option<String>) -> String {
    let other = other
        .map(|href| format!("<a href=\"{href}\">{}</a>", html_escape(w.other_language)))
        .unwrap_or_default();
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{t}</title><style>{STYLE}</style></head><body>\n<nav><a href=\"index.html\">{back}</a>{other}</nav>\n{body}</body></html>\n",
        t = html_escape(title),
        back = html_escape(w.back),
    )
}

/// Every file of the handbook in `lang`, as `(relative path, content)`; pages link their
/// translation in `other` when it is generated too.
///
/// # Errors
/// A worked example that no longer matches its vector, or an unknown language.
pub fn pages(
    lang: &str,
    other: Option<&str>,
    pack: Option<&omnikpi::pack::Pack>,
) -> Result<Vec<(String, String)>, KpiError> {
    let w = words(lang);
    let catalog = omnikpi::catalog::localized_catalog(lang)?;
    let definitions = catalog.as_array().cloned().unwrap_or_default();
    let errors = omnikpi::catalog::error_list(lang)?;
    let mut files = Vec::new();
    let (mut index_items, guides_md) = guide_pages(lang, other, &w, &mut files)?;
    let mut index_md = format!("# {}\n\n{guides_md}", w.handbook);
    if let Some(pack) = pack {
        let name = pack_page::name(pack);
        let (title, html, md) = pack_page::page(pack, lang);
        index_items.push_str(&format!(
            "<h2>{}</h2>\n<ul><li><a href=\"{name}.html\">{}</a></li></ul>\n",
            html_escape(w.packs),
            html_escape(&title)
        ));
        index_md.push_str(&format!("## {}\n\n- [{title}]({name}.md)\n\n", w.packs));
        let translation = other.map(|o| format!("../{o}/{name}.html"));
        files.push((
            format!("{name}.html"),
            html_page(lang, &title, &html, &w, translation),
        ));
        files.push((format!("{name}.md"), md));
    }
    let mut families: Vec<String> = Vec::new();
    for def in &definitions {
        let family = text(get(def, "family"));
        if !families.contains(&family) {
            families.push(family);
        }
    }
    for family in &families {
        index_items.push_str(&format!(
            "<h2>{}: {}</h2>\n<ul>\n",
            html_escape(w.family),
            html_escape(family)
        ));
        index_md.push_str(&format!("## {}: {family}\n\n", w.family));
        for def in definitions
            .iter()
            .filter(|d| text(get(d, "family")) == *family)
        {
            let (id, title, summary) = (
                text(get(def, "id")),
                text(get(def, "title")),
                text(get(def, "summary")),
            );
            let search = format!("{id} {title} {summary}").to_lowercase();
            index_items.push_str(&format!(
                "<li data-search=\"{}\"><a href=\"{id}.html\">{}</a> <code>{id}</code><br><span class=\"meta\">{}</span></li>\n",
                html_escape(&search),
                html_escape(&title),
                html_inline(&summary)
            ));
            index_md.push_str(&format!("- [{title}]({id}.md) `{id}`: {summary}\n"));

            let version = text(get(def, "version"));
            let mut html = format!(
                "<h1>{}</h1>\n<p class=\"meta\"><code>{id}</code> · v{version}</p>\n",
                html_escape(&title)
            );
            let mut md = format!("# {title}\n\n`{id}` · v{version}\n\n");
            for (title, block) in kpi_blocks(def, &w, &errors)? {
                if !title.is_empty() {
                    html.push_str(&format!("<h2>{}</h2>\n", html_escape(&title)));
                    md.push_str(&format!("## {title}\n\n"));
                }
                match block {
                    Block::Para(p) => {
                        html.push_str(&format!("<p>{}</p>\n", html_inline(&p)));
                        md.push_str(&format!("{p}\n\n"));
                    }
                    Block::Table(t) => {
                        html.push_str(&t.html());
                        md.push_str(&t.markdown());
                        md.push('\n');
                    }
                    Block::Code(label, c) => {
                        html.push_str(&format!(
                            "<h3>{}</h3>\n<pre><code>{}</code></pre>\n",
                            html_escape(&label),
                            html_escape(&c)
                        ));
                        md.push_str(&format!("### {label}\n\n```json\n{c}\n```\n\n"));
                    }
                }
            }
            let translation = other.map(|o| format!("../{o}/{id}.html"));
            files.push((
                format!("{id}.html"),
                html_page(lang, &title, &html, &w, translation),
            ));
            files.push((format!("{id}.md"), md));
        }
        index_items.push_str("</ul>\n");
        index_md.push('\n');
    }
    let script = "<script>const q=document.getElementById('q');q.addEventListener('input',()=>{const t=q.value.toLowerCase();\
for(const li of document.querySelectorAll('li[data-search]')){li.classList.toggle('hidden',!li.dataset.search.includes(t));}});</script>";
    let body = format!(
        "<h1>{}</h1>\n<input id=\"q\" type=\"search\" placeholder=\"{}\" aria-label=\"{}\">\n{index_items}{script}\n",
        html_escape(w.handbook),
        html_escape(w.search),
        html_escape(w.search)
    );
    let translation = other.map(|o| format!("../{o}/index.html"));
    files.push((
        "index.html".to_owned(),
        html_page(lang, w.handbook, &body, &w, translation),
    ));
    files.push(("index.md".to_owned(), index_md));
    Ok(files)
}

/// The guides' pages (`guide.<id>.html` and `.md`, pushed to `files`) and their entries in the
/// index (HTML and Markdown).
fn guide_pages(
    lang: &str,
    other: Option<&str>,
    w: &Words,
    files: &mut Vec<(String, String)>,
) -> Result<(String, String), KpiError> {
    let mut items = format!("<h2>{}</h2>\n<ul>\n", html_escape(w.guides));
    let mut md_items = format!("## {}\n\n", w.guides);
    for text_of in embedded::GUIDES {
        let guide: Value = serde_json::from_str(text_of).map_err(|e| {
            KpiError::new(
                ErrorCode::InternalError,
                Some("spec/guides".to_owned()),
                format!("a guide is not JSON: {e}"),
            )
        })?;
        let local = |v: &Value| text(get(v, lang));
        let id = format!("guide.{}", text(get(&guide, "id")));
        let (title, summary) = (local(get(&guide, "title")), local(get(&guide, "summary")));
        items.push_str(&format!(
            "<li data-search=\"{}\"><a href=\"{id}.html\">{}</a><br><span class=\"meta\">{}</span></li>\n",
            html_escape(&format!("{title} {summary}").to_lowercase()),
            html_escape(&title),
            html_inline(&summary)
        ));
        md_items.push_str(&format!("- [{title}]({id}.md): {summary}\n"));
        let mut html = format!(
            "<h1>{}</h1>\n<p class=\"meta\">{}</p>\n",
            html_escape(&title),
            html_inline(&summary)
        );
        let mut md = format!("# {title}\n\n{summary}\n\n");
        for section in list(&guide, "sections") {
            let heading = local(get(&section, "heading"));
            html.push_str(&format!("<h2>{}</h2>\n", html_escape(&heading)));
            md.push_str(&format!("## {heading}\n\n"));
            for p in list(get(&section, "paragraphs"), lang) {
                html.push_str(&format!("<p>{}</p>\n", html_inline(&text(&p))));
                md.push_str(&format!("{}\n\n", text(&p)));
            }
        }
        let translation = other.map(|o| format!("../{o}/{id}.html"));
        files.push((
            format!("{id}.html"),
            html_page(lang, &title, &html, w, translation),
        ));
        files.push((format!("{id}.md"), md));
    }
    items.push_str("</ul>\n");
    md_items.push('\n');
    Ok((items, md_items))
}

/// The language chooser at the handbook's root.
pub fn root_index(langs: &[&str]) -> (String, String) {
    let links: String = langs
        .iter()
        .map(|l| {
            format!(
                "<li><a href=\"{l}/index.html\">{}</a></li>",
                html_escape(words(l).handbook)
            )
        })
        .collect();
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>omnikpi</title><style>{STYLE}</style></head>\
<body><h1>omnikpi</h1><ul>{links}</ul></body></html>\n"
    );
    let md = langs
        .iter()
        .map(|l| format!("- [{}]({l}/index.md)\n", words(l).handbook))
        .collect::<String>();
    (html, format!("# omnikpi\n\n{md}"))
}
