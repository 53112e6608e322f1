//! Ingestion of files: arbitrary bytes as the CSV tables the CLI and the report read (long-format
//! journeys, channels, incentive sales, a dataset's orders) and as a Parquet file of journeys.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    csv_journeys(data);
    let _ = omnikpi::table::channels_from_csv(&text, "channels.csv");
    let _ = omnikpi::incentive::records_from_csv(&text, "sales.csv", None);
    let mut files = BTreeMap::new();
    files.insert("dataset.json".to_owned(), r#"{"name": "f", "currency": "EUR", "periods": ["a", "b"], "funnel_steps": ["visit"], "conversion_window_seconds": 60, "lookback_seconds": 60, "store_pool": {"amount": "1.00", "description": "d"}}"#.to_owned());
    for name in ["orders.csv", "touches.csv", "pickups.csv", "web_events.csv", "costs.csv", "channels.csv"] {
        files.insert(name.to_owned(), text.to_string());
    }
    let _ = omnikpi::dataset::report(&files);
    parquet_journeys(data);
});

/// Bytes as a long-format touch CSV through the one touch-table reader (dialect detected).
fn csv_journeys(data: &[u8]) {
    let Ok(taxonomy) = omnikpi::channel::Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])) else { return };
    let Ok(eur) = omnikpi::money::Currency::lookup("EUR", None, "currency") else { return };
    let reading = omnikpi::table::reading::Reading::default();
    let Ok((batches, reading)) = omnikpi::table::arrow::csv_batches(data, "journeys.csv", &reading) else { return };
    let _ = omnikpi::table::arrow::journeys(batches, None, &reading, &taxonomy, &eur);
}

fn parquet_journeys(data: &[u8]) {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let Ok(builder) = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(data)) else { return };
    let Ok(reader) = builder.with_batch_size(1024).build() else { return };
    let Ok(taxonomy) = omnikpi::channel::Taxonomy::from_json(&serde_json::json!([{"channel": "web", "group": "online"}])) else { return };
    let Ok(eur) = omnikpi::money::Currency::lookup("EUR", None, "currency") else { return };
    let mut long = omnikpi::attribution::LongBuilder::new(&taxonomy);
    let reading = omnikpi::table::reading::Reading {
        timestamp_unit: Some(omnikpi::table::reading::TimestampUnit::Seconds),
        ..Default::default()
    };
    let mut conversions = omnikpi::table::reading::Conversions::default();
    let mut rows = 0;
    for batch in reader {
        let Ok(batch) = batch else { return };
        if omnikpi::table::arrow::add_batch(&mut long, &batch, &reading, &eur, rows, &mut conversions)
            .is_err() {
            return;
        }
        rows += batch.num_rows();
    }
    let _ = long.finish();
}
