//! `omnikpi kpi <id>`: one subcommand per KPI of the core's registry, with a flag per parameter
//! of its spec (description, default, choices), built when the command line is parsed, so the
//! CLI's KPI surface is the catalogue's and cannot drift from it.
//!
//! ```text
//! omnikpi kpi attribution.markov --input journeys.json --order 2
//! omnikpi kpi conversion.rate --input rows.json --denominator sessions
//! ```

use clap::{Arg, ArgMatches, Command};
use omnikpi::catalog::{Definition, Params};
use omnikpi::{ErrorCode, KpiError};
use serde_json::Value;
use std::path::Path;

/// The `kpi` command and its subcommands, one per catalogue id.
pub fn command() -> Command {
    Command::new("kpi")
        .about("Compute one KPI: a subcommand per catalogue id, a flag per parameter (see `omnikpi kpi <id> --help`)")
        .subcommand_required(true)
        .subcommands(omnikpi::catalog().iter().map(kpi_command))
}

fn en<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc.get(key)
        .and_then(|v| v.get("en"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn parameters(def: &Definition) -> Vec<&Value> {
    def.document
        .get("parameters")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn name(param: &Value) -> &str {
    param
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The subcommand of one KPI: its title and summary as help, its inputs listed, a flag per
/// parameter. Defaults are shown, not set: an absent flag leaves the parameter to the core.
fn kpi_command(def: &Definition) -> Command {
    let doc = &def.document;
    let inputs: Vec<&str> = doc
        .get("inputs")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(name).collect())
        .unwrap_or_default();
    let mut command = Command::new(def.id)
        .about(en(doc, "title").to_owned())
        .long_about(format!(
            "{} ({} {}): {}\n\nThe input file holds {{{}}}, as in spec/vectors/{}/.",
            en(doc, "title"),
            def.id,
            def.version,
            en(doc, "summary"),
            inputs.join(", "),
            def.id,
        ))
        .arg(
            Arg::new("input")
                .long("input")
                .required(true)
                .value_name("FILE")
                .help("JSON input file, or - for standard input"),
        );
    for param in parameters(def) {
        let kind = param.get("type").and_then(Value::as_str).unwrap_or("value");
        let mut help = en(param, "description").to_owned();
        if let Some(choices) = param.get("enum").and_then(Value::as_array) {
            let names: Vec<&str> = choices.iter().filter_map(Value::as_str).collect();
            help.push_str(&format!(" [one of: {}]", names.join(", ")));
        }
        if let Some(default) = param.get("default").filter(|d| !d.is_null()) {
            help.push_str(&format!(" [default: {default}]"));
        }
        // Values are checked by the core (`invalid_parameter` with its path), not by clap, so
        // the CLI refuses what every front end refuses, with the same code.
        let arg = Arg::new(name(param).to_owned())
            .long(name(param).replace('_', "-"))
            .value_name(kind.to_uppercase())
            .allow_negative_numbers(true)
            .help(help);
        command = command.arg(arg);
    }
    command
}

/// Runs `omnikpi kpi <id> ...`: the input file, the flags as parameters typed by the spec
/// ([`Params::from_text`]), the core's `evaluate`.
///
/// # Errors
/// Reading the input, and every error of the KPI.
pub fn run(matches: &ArgMatches) -> Result<String, KpiError> {
    let Some((id, flags)) = matches.subcommand() else {
        let message = "`omnikpi kpi` needs a KPI id";
        return Err(KpiError::new(ErrorCode::InternalError, None, message));
    };
    let def = omnikpi::definition(id)?;
    let path = flags.get_one::<String>("input").map_or("-", String::as_str);
    let input = omnikpi::parse_json(&crate::read_text(Path::new(path))?, "input")?;
    let given: Vec<(String, String)> = parameters(def)
        .into_iter()
        .filter_map(|p| {
            let value = flags.get_one::<String>(name(p))?;
            Some((name(p).to_owned(), value.clone()))
        })
        .collect();
    let params = Params::from_text(def, &given)?;
    Ok(crate::pretty(
        &omnikpi::evaluate(id, &input, &params)?.to_json(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_kpi_has_a_subcommand_with_a_flag_per_parameter() {
        let kpi = command();
        for def in omnikpi::catalog() {
            let sub = kpi.find_subcommand(def.id);
            assert!(sub.is_some(), "no `omnikpi kpi {}`", def.id);
            let flags: Vec<String> = sub
                .map(|s| s.get_arguments().map(|a| a.get_id().to_string()).collect())
                .unwrap_or_default();
            for p in parameters(def) {
                assert!(
                    flags.iter().any(|f| f == name(p)),
                    "{}: --{}",
                    def.id,
                    name(p)
                );
            }
        }
        kpi.debug_assert();
    }
}
