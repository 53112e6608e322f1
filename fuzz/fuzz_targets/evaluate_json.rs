//! The generic entry point on arbitrary text: the first byte picks a KPI (or an unknown id),
//! the rest is the input JSON. Any outcome but a panic is fine.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((pick, rest)) = data.split_first() else { return };
    let catalog = omnikpi::catalog();
    let kpi = catalog
        .get(usize::from(*pick) % (catalog.len() + 1))
        .map_or("no.such_kpi", |d| d.id);
    let text = String::from_utf8_lossy(rest);
    // the same text as input, then as params of a minimal valid-looking input
    let _ = omnikpi::evaluate_json(kpi, &text, "");
    let _ = omnikpi::evaluate_json(kpi, "{}", &text);
});
