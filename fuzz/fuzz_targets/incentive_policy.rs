//! The incentive policy parser and engine on arbitrary JSON policies, with a few fixed sales
//! (a sale, a click-and-collect order, a partial and a full refund).
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = serde_json::from_slice::<Value>(data) else { return };
    let sales = json!([
        {"sale_id": "a", "timestamp": 0, "period": "p1", "origin_channel": "web", "fulfilment_channel": "lille",
         "click_and_collect": true, "amount": "89.19", "extra_amount": "10.00", "zone": "59", "staff": "anna",
         "customer_id": "c", "category": "x"},
        {"sale_id": "b", "timestamp": 86400, "period": "p2", "origin_channel": "store", "fulfilment_channel": "lille",
         "amount": "0.01", "customer_id": "c"},
        {"sale_id": "r1", "timestamp": 90000, "period": "p2", "refund_of": "a", "amount": "30.00"},
        {"sale_id": "r2", "timestamp": 90001, "period": "p2", "refund_of": "a", "amount": "59.19", "extra_amount": "10.00"}
    ]);
    let touches = json!([{"customer_id": "c", "timestamp": 10, "channel": "web"}]);
    let input = json!({"policy": policy, "sales": sales, "touches": touches});
    let _ = omnikpi::evaluate("incentives.split", &input, &Value::Null);
});
