//! The columnar batch validator (what typed arrays from JavaScript and Arrow tables go through)
//! on arbitrary columns, then every model on whatever it accepts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use omnikpi::attribution::{model_ids, JourneyBatch};

#[derive(Debug, arbitrary::Arbitrary)]
struct Columns {
    offsets: Vec<u16>,
    channel: Vec<u16>,
    timestamp: Vec<i64>,
    lead: Option<Vec<bool>>,
    conversions: Vec<u64>,
    value_minor: Vec<i64>,
    conversion_time: Vec<Option<i64>>,
    lookback: Option<i64>,
}

fuzz_target!(|c: Columns| {
    let Ok(taxonomy) = omnikpi::channel::Taxonomy::from_json(&serde_json::json!([
        {"channel": "web", "group": "online"}, {"channel": "store", "group": "offline"},
        {"channel": "direct", "group": "online", "direct": true}
    ])) else { return };
    let Ok(eur) = omnikpi::money::Currency::lookup("EUR", None, "currency") else { return };
    let Ok(batch) = JourneyBatch::from_columns(
        &taxonomy,
        c.offsets.iter().map(|o| usize::from(*o)).collect(),
        c.channel,
        c.timestamp,
        c.lead,
        c.conversions,
        c.value_minor.iter().map(|v| i128::from(*v)).collect(),
        &c.conversion_time,
    ) else { return };
    if batch.len() > 64 {
        return; // keep each run fast; the validator above saw everything
    }
    let specs: Vec<(String, serde_json::Value)> = model_ids().into_iter().map(|m| (m.to_owned(), serde_json::Value::Null)).collect();
    let _ = omnikpi::attribution::run_models(&taxonomy, &eur, &batch, &specs, c.lookback);
});
