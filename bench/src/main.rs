//! Attribution benchmark: a deterministic synthetic journey set (xorshift; 10 channels, paths of
//! 1 to 20 touches, about 1 in 4 journeys converting) built directly as a columnar batch, then
//! timed per model and for all rule-based models in one pass. Prints one JSON object.
//!
//! ```text
//! attribution-bench --journeys 5000000 [--model linear|heuristics] [--threads N] [--paths out.csv] [--columns DIR]
//! ```
//! `--paths` writes the unique paths with conversion, value and null counts (the aggregated input
//! ChannelAttribution takes) for the side-by-side run in bench/compare.py. `--columns` writes the
//! batch as little-endian binary columns (offsets u32, channel u16, timestamp f64, conversions
//! u32, value_minor f64, lead u8) for the Node run in bench/node.mjs. `--threads` bounds the threads
//! (default: every core).

use omnikpi::attribution::{model_ids, Accumulator, JourneyBatch, Model};
use omnikpi::channel::{Channel, ChannelGroup, Taxonomy};
use omnikpi::money::Currency;
use omnikpi::{definition, KpiError, Params};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

const CHANNELS: [&str; 10] = [
    "paid_search",
    "social",
    "email",
    "display",
    "affiliate",
    "direct",
    "web",
    "app",
    "store",
    "call_centre",
];

/// Deterministic synthetic journeys, generated straight into columns.
fn generate(journeys: usize) -> JourneyBatch {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut batch = JourneyBatch {
        offsets: Vec::with_capacity(journeys + 1),
        ..JourneyBatch::default()
    };
    batch.offsets.push(0);
    for _ in 0..journeys {
        // Short paths are more frequent: length 1..=20 skewed toward 1..5.
        let len = 1 + ((next() % 20) * (next() % 20) / 19) as usize;
        let mut t = 1_700_000_000 + (next() % 5_000_000) as i64;
        let mut last = 0u16;
        for i in 0..len {
            // Channels have different popularity; offline channels close journeys more often.
            let c = if i + 1 == len && next() % 3 == 0 {
                8 + (next() % 2) as u16
            } else {
                ((next() % 100) * (next() % 100) / 1250) as u16 % 10
            };
            last = c;
            batch.channel.push(c);
            batch.timestamp.push(t);
            batch.lead.push(i == 1);
            t += (next() % 200_000) as i64;
        }
        let converts = next() % 4 == 0 || (last >= 8 && next() % 2 == 0);
        let conversions = u64::from(converts);
        batch.conversions.push(conversions);
        batch.value_minor.push(if converts {
            1_000 + (next() % 50_000) as i128
        } else {
            0
        });
        batch.conversion_time.push(t);
        batch.offsets.push(batch.channel.len());
    }
    batch
}

fn taxonomy() -> Result<Taxonomy, KpiError> {
    Taxonomy::new(
        CHANNELS
            .iter()
            .map(|n| Channel {
                name: (*n).to_owned(),
                group: if *n == "store" || *n == "call_centre" {
                    ChannelGroup::Offline
                } else {
                    ChannelGroup::Online
                },
                direct: *n == "direct",
            })
            .collect(),
    )
}

fn model(id: &str) -> Result<Model, KpiError> {
    Model::from_params(id, &Params::resolve(definition(id)?, &Value::Null)?)
}

/// Peak resident memory of this process so far, in MiB (Linux: VmHWM).
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn time_models(
    tax: &Taxonomy,
    eur: &Currency,
    batch: &JourneyBatch,
    models: Vec<Model>,
    threads: usize,
) -> Result<(f64, Vec<Value>), KpiError> {
    let start = Instant::now();
    let mut acc = Accumulator::new(tax, eur, models, None);
    acc.update_parallel(batch, threads)?;
    let results = acc.finish()?;
    let seconds = start.elapsed().as_secs_f64();
    Ok((
        seconds,
        results
            .iter()
            .map(omnikpi::attribution::Attribution::to_json)
            .collect(),
    ))
}

fn write_paths(batch: &JourneyBatch, path: &str) -> std::io::Result<()> {
    let mut paths: HashMap<Vec<u16>, (u64, i128, u64)> = HashMap::new();
    for j in 0..batch.len() {
        let key = batch
            .channel
            .get(batch.touches(j))
            .unwrap_or_default()
            .to_vec();
        let e = paths.entry(key).or_insert((0, 0, 0));
        let c = batch.conversions.get(j).copied().unwrap_or(0);
        e.0 += c;
        e.1 += batch.value_minor.get(j).copied().unwrap_or(0);
        e.2 += u64::from(c == 0);
    }
    let mut rows: Vec<_> = paths.into_iter().collect();
    rows.sort();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "path,conversions,value,nulls")?;
    for (p, (c, v, n)) in rows {
        let names: Vec<&str> = p
            .iter()
            .filter_map(|c| CHANNELS.get(usize::from(*c)).copied())
            .collect();
        writeln!(
            out,
            "{},{c},{}.{:02},{n}",
            names.join(" > "),
            v / 100,
            v % 100
        )?;
    }
    out.flush()
}

/// The batch as binary columns, the typed arrays `attributeColumns` takes in JavaScript.
fn write_columns(batch: &JourneyBatch, dir: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(format!("{dir}/{name}"), bytes);
    let convert =
        |what: &str| std::io::Error::other(format!("{what} does not fit the column type"));
    let mut offsets = Vec::with_capacity(batch.offsets.len() * 4);
    for o in &batch.offsets {
        offsets.extend(
            u32::try_from(*o)
                .map_err(|_| convert("an offset"))?
                .to_le_bytes(),
        );
    }
    write("offsets.u32", offsets)?;
    write(
        "channel.u16",
        batch.channel.iter().flat_map(|c| c.to_le_bytes()).collect(),
    )?;
    write(
        "timestamp.f64",
        batch
            .timestamp
            .iter()
            .flat_map(|t| (*t as f64).to_le_bytes())
            .collect(),
    )?;
    let mut conversions = Vec::with_capacity(batch.conversions.len() * 4);
    for c in &batch.conversions {
        conversions.extend(
            u32::try_from(*c)
                .map_err(|_| convert("a conversion count"))?
                .to_le_bytes(),
        );
    }
    write("conversions.u32", conversions)?;
    write("lead.u8", batch.lead.iter().map(|l| u8::from(*l)).collect())?;
    write(
        "value_minor.f64",
        batch
            .value_minor
            .iter()
            .flat_map(|v| (*v as f64).to_le_bytes())
            .collect(),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let journeys: usize = arg("--journeys").map_or(Ok(1_000_000), |s| s.parse())?;
    let tax = taxonomy()?;
    let eur = Currency::lookup("EUR", None, "currency")?;
    let start = Instant::now();
    let batch = generate(journeys);
    let generate_seconds = start.elapsed().as_secs_f64();
    if let Some(path) = arg("--paths") {
        write_paths(&batch, &path)?;
    }
    if let Some(dir) = arg("--columns") {
        write_columns(&batch, &dir)?;
    }
    let threads: usize = match arg("--threads") {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let mut report = serde_json::Map::new();
    report.insert("journeys".into(), json!(journeys));
    report.insert("touches".into(), json!(batch.channel.len()));
    report.insert("generate_seconds".into(), json!(generate_seconds));
    // Peak memory before any model runs: the synthetic batch itself. A model's own memory is
    // peak_mib - baseline_mib.
    report.insert("baseline_mib".into(), json!(peak_mib()));
    match arg("--model") {
        Some(id) if id == "heuristics" => {
            let all = model_ids();
            let ids = all.get(..7).unwrap_or_default();
            let models = ids
                .iter()
                .map(|id| model(id))
                .collect::<Result<Vec<_>, _>>()?;
            let (seconds, results) = time_models(&tax, &eur, &batch, models, threads)?;
            report.insert("models".into(), json!(ids));
            report.insert("seconds".into(), json!(seconds));
            report.insert("results".into(), json!(results));
        }
        Some(id) => {
            let full = if id.starts_with("attribution.") {
                id
            } else {
                format!("attribution.{id}")
            };
            let (seconds, results) = time_models(&tax, &eur, &batch, vec![model(&full)?], threads)?;
            report.insert("model".into(), json!(full));
            report.insert("seconds".into(), json!(seconds));
            report.insert(
                "result".into(),
                results.into_iter().next().unwrap_or(Value::Null),
            );
        }
        None => {}
    }
    report.insert("threads".into(), json!(threads));
    report.insert("peak_mib".into(), json!(peak_mib()));
    let report = Value::Object(report);
    println!("{report}");
    Ok(())
}
