//! The native side of the Python-overhead benchmark: journeys in long format (one row per touch)
//! from a Parquet file, read into memory first (untimed), then timed exactly as the Python
//! package runs them: Arrow batches into the long-format builder, then every model in one pass.
//!
//! ```text
//! long-bench --parquet journeys.parquet --models first_touch,last_touch,linear [--calls 3]
//!            [--intervals 200]
//! ```
//! Prints `{"rows", "seconds", "results"}` as JSON; `seconds` is the median of `--calls` calls
//! in this process (default 1). `--intervals R`: every model also reports confidence intervals
//! from R bootstrap replicates (`bench/intervals.py` times their cost).

use omnikpi::attribution::run_models;
use omnikpi::channel::Taxonomy;
use omnikpi::money::Currency;
use omnikpi::table::arrow::journeys;
use omnikpi::table::reading::Reading;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Value};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let path = arg("--parquet").ok_or("--parquet FILE is required")?;
    let models = arg("--models").unwrap_or_else(|| "linear".to_owned());
    let channels = arg("--channels").ok_or("--channels a,b,... is required")?;
    let taxonomy = Taxonomy::from_json(&Value::Array(
        channels
            .split(',')
            .map(|c| json!({"channel": c, "group": if c == "store" || c == "call_centre" { "offline" } else { "online" }, "direct": c == "direct"}))
            .collect(),
    ))?;
    let currency = Currency::lookup("EUR", None, "currency")?;
    let batches = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path)?)?
        .with_batch_size(65_536)
        .build()?
        .collect::<Result<Vec<_>, _>>()?;
    let params = match arg("--intervals") {
        Some(r) => json!({"intervals": true, "replicates": r.parse::<u32>()?}),
        None => Value::Null,
    };
    let specs: Vec<(String, Value)> = models
        .split(',')
        .map(|m| (format!("attribution.{m}"), params.clone()))
        .collect();
    // the bench tables hold integer seconds, declared as such
    let reading = Reading::from_json(&json!({"timestamp_unit": "s"}))?;
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    let calls: usize = arg("--calls").map_or(Ok(1), |c| c.parse())?;
    let mut times = Vec::new();
    let mut results = Vec::new();
    for _ in 0..calls.max(1) {
        let start = Instant::now();
        let (batch, _) = journeys(
            batches.iter().cloned().map(Ok),
            Some(rows),
            &reading,
            &taxonomy,
            &currency,
        )?;
        results = run_models(&taxonomy, &currency, &batch, &specs, None)?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    // the median call
    let seconds = times.get(times.len() / 2).copied().unwrap_or_default();
    let results: Vec<Value> = results
        .iter()
        .map(omnikpi::attribution::Attribution::to_json)
        .collect();
    println!(
        "{}",
        json!({"rows": rows, "seconds": seconds, "results": results})
    );
    Ok(())
}
