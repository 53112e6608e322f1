//! The host-value rules (`omnikpi::host`): JSON text and host values become the same canonical
//! tree, or fail with the same code at the same path.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test code: a failure should stop the test loudly"
)]

use omnikpi::host::{self, CivilTime, HostNode, HostValue, MapKey};
use omnikpi::KpiError;
use proptest::prelude::*;
use serde_json::{json, Value};

/// A host value built in the test: the shapes Python and JS hand to core.
#[derive(Debug, Clone)]
enum Tree {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
    List(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

impl HostNode for Tree {
    fn classify(&self) -> HostValue<Self> {
        match self {
            Tree::Null => HostValue::Null,
            Tree::Bool(b) => HostValue::Bool(*b),
            Tree::Int(n) => HostValue::Integer(Some(*n)),
            Tree::Float(f) => HostValue::Float(*f),
            Tree::Text(s) => HostValue::Text(s.clone()),
            Tree::List(items) => HostValue::List(items.clone()),
            Tree::Map(entries) => HostValue::Map(
                entries
                    .iter()
                    .map(|(k, v)| (MapKey::Text(k.clone()), v.clone()))
                    .collect(),
            ),
        }
    }
}

/// The same tree as JSON text (floats always with a `.` or an exponent, keys in order).
fn render(tree: &Tree) -> String {
    match tree {
        Tree::Null => "null".into(),
        Tree::Bool(b) => b.to_string(),
        Tree::Int(n) => n.to_string(),
        Tree::Float(f) => format!("{f:?}"),
        Tree::Text(s) => serde_json::to_string(s).unwrap(),
        Tree::List(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(",")
        ),
        Tree::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), render(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn failure(e: &KpiError) -> (String, Option<String>) {
    (e.code().as_str().to_owned(), e.path().map(str::to_owned))
}

fn text_error(text: &str) -> (String, Option<String>) {
    failure(&host::from_json_text(text, "input").unwrap_err())
}

fn at(code: &str, path: &str) -> (String, Option<String>) {
    (code.to_owned(), Some(path.to_owned()))
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        Just(Tree::Null),
        any::<bool>().prop_map(Tree::Bool),
        any::<i64>().prop_map(|n| Tree::Int(n.into())),
        any::<u64>().prop_map(|n| Tree::Int(n.into())),
        any::<i128>().prop_map(Tree::Int),
        (-1e300f64..1e300).prop_map(Tree::Float),
        "\\PC{0,6}".prop_map(Tree::Text),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Tree::List),
            // few distinct keys, so duplicates happen
            prop::collection::vec(("[ab_]{1,2}", inner), 0..5).prop_map(Tree::Map),
        ]
    })
}

proptest! {
    #[test]
    fn json_text_and_host_values_agree(tree in tree()) {
        let from_host = host::convert(&tree, "input");
        let from_text = host::from_json_text(&render(&tree), "input");
        match (from_host, from_text) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(failure(&a), failure(&b)),
            (a, b) => prop_assert!(false, "host {:?} but text {:?}", a, b),
        }
    }
}

#[test]
fn integers_are_exact_within_64_bits_and_refused_beyond() {
    let v =
        host::from_json_text("[18446744073709551615, -9223372036854775808, -0]", "input").unwrap();
    assert_eq!(v, json!([18446744073709551615u64, i64::MIN, 0]));
    assert_eq!(
        text_error("[1, 18446744073709551616]"),
        at("value_out_of_range", "input[1]")
    );
    assert_eq!(
        text_error(r#"{"a": -9223372036854775809}"#),
        at("value_out_of_range", "input.a")
    );
    let huge = format!("{{\"a\": {}}}", "9".repeat(400));
    assert_eq!(text_error(&huge), at("value_out_of_range", "input.a"));
    let host_big = host::convert(&Tree::Map(vec![("a".into(), Tree::Int(1 << 70))]), "input");
    assert_eq!(
        failure(&host_big.unwrap_err()),
        at("value_out_of_range", "input.a")
    );
}

#[test]
fn floats_stay_floats_and_non_finite_numbers_are_refused() {
    let v = host::from_json_text("[12.0, 1e2, -0.0]", "input").unwrap();
    assert!(v.as_array().unwrap().iter().all(Value::is_f64), "{v}");
    assert_eq!(
        text_error(r#"{"x": [1e400]}"#),
        at("value_out_of_range", "input.x[0]")
    );
    let nan = host::convert(&Tree::List(vec![Tree::Float(f64::NAN)]), "input");
    assert_eq!(
        failure(&nan.unwrap_err()),
        at("value_out_of_range", "input[0]")
    );
}

/// A JavaScript number: one host value with no integer/float distinction.
struct Js(f64);

impl HostNode for Js {
    fn classify(&self) -> HostValue<Self> {
        HostValue::JsNumber(self.0)
    }
}

#[test]
fn javascript_numbers_are_integers_when_whole_and_safe() {
    assert_eq!(
        host::convert(&Js(9_007_199_254_740_991.0), "x").unwrap(),
        json!(9_007_199_254_740_991i64)
    );
    assert_eq!(host::convert(&Js(-0.0), "x").unwrap(), json!(0));
    assert!(host::convert(&Js(2.5), "x").unwrap().is_f64());
    for unsafe_whole in [9_007_199_254_740_992.0, -9_007_199_254_740_992.0, 1e300] {
        let e = host::convert(&Js(unsafe_whole), "x").unwrap_err();
        assert_eq!(failure(&e), at("value_out_of_range", "x"), "{unsafe_whole}");
        assert!(e.message().contains("BigInt"), "{}", e.message());
    }
    assert_eq!(
        failure(&host::convert(&Js(f64::INFINITY), "x").unwrap_err()),
        at("value_out_of_range", "x")
    );
}

#[test]
fn keys_are_kept_in_document_order_and_never_twice() {
    let v = host::from_json_text(r#"{"b": 1, "a": 2, "1": 3}"#, "input").unwrap();
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["b", "a", "1"]
    );
    assert_eq!(
        text_error(r#"{"rows": [{"a": 1, "b": 2, "a": 1}]}"#),
        at("duplicate_key", "input.rows[0].a")
    );
    let twice = Tree::Map(vec![("a".into(), Tree::Null), ("a".into(), Tree::Null)]);
    assert_eq!(
        failure(&host::convert(&twice, "p").unwrap_err()),
        at("duplicate_key", "p.a")
    );
}

#[test]
fn nesting_is_limited_to_128_levels_at_the_offending_path() {
    let ok = format!("{}{}", "[".repeat(129), "]".repeat(129));
    assert!(host::from_json_text(&ok, "input").is_ok());
    let deep = format!("{}{}", "[".repeat(130), "]".repeat(130));
    let path = format!("input{}", "[0]".repeat(129));
    assert_eq!(text_error(&deep), at("value_out_of_range", &path));
    // far deeper than any parser's own limit: still ours, at the same place
    let deeper = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(text_error(&deeper), at("value_out_of_range", &path));
}

#[test]
fn lone_surrogates_are_wrong_type_where_they_stand() {
    assert_eq!(
        text_error(r#"{"a": ["ok", "\ud800"]}"#),
        at("wrong_type", "input.a[1]")
    );
    assert_eq!(
        text_error(r#"{"a": {"\udc00x": 1}}"#),
        at("wrong_type", "input.a")
    );
    assert_eq!(
        text_error(r#"{"a": "x"#),
        ("invalid_json".to_owned(), Some("input".to_owned()))
    );
}

#[test]
fn the_byte_order_mark_is_skipped_and_empty_text_is_null() {
    assert_eq!(
        host::from_json_text("\u{feff}{\"a\": 1}", "input").unwrap(),
        json!({"a": 1})
    );
    assert_eq!(host::from_json_text("  \n", "input").unwrap(), Value::Null);
}

#[test]
fn size_is_measured_as_canonical_json_in_every_front_end() {
    // One string that makes the input exactly MAX_BYTES as compact JSON: accepted; one more byte: refused.
    let fill = |n: usize| Tree::List(vec![Tree::Text("x".repeat(n))]);
    let limit = host::MAX_BYTES - 4; // `["` and `"]`
    assert!(host::convert(&fill(limit), "input").is_ok());
    let over = host::convert(&fill(limit + 1), "input").unwrap_err();
    assert_eq!(failure(&over), at("value_out_of_range", "input"));
    // Whitespace in JSON text does not count; the same content refused the same way.
    let text = format!("[ \"{}\" ]", "x".repeat(limit + 1));
    assert_eq!(text_error(&text), at("value_out_of_range", "input"));
    let text = format!("[\n  \"{}\"\n]", "x".repeat(limit));
    assert!(host::from_json_text(&text, "input").is_ok());
}

#[test]
fn host_dates_become_rfc3339_text_floored_to_the_second() {
    struct Dt(HostValue<Dt>);
    impl HostNode for Dt {
        fn classify(&self) -> HostValue<Self> {
            match &self.0 {
                HostValue::DateTime(t) => HostValue::DateTime(*t),
                HostValue::UnixMillis(ms) => HostValue::UnixMillis(*ms),
                _ => HostValue::Null,
            }
        }
    }
    let paris = CivilTime {
        date: (2026, 10, 1),
        time: (12, 0, 5),
        offset_seconds: Some(7200),
    };
    assert_eq!(
        host::convert(&Dt(HostValue::DateTime(paris)), "t").unwrap(),
        json!("2026-10-01T10:00:05Z")
    );
    let naive = CivilTime {
        offset_seconds: None,
        ..paris
    };
    assert_eq!(
        host::convert(&Dt(HostValue::DateTime(naive)), "t").unwrap(),
        json!("2026-10-01T12:00:05Z")
    );
    assert_eq!(
        host::convert(&Dt(HostValue::UnixMillis(-1.0)), "t").unwrap(),
        json!("1969-12-31T23:59:59Z")
    );
    let invalid = host::convert(&Dt(HostValue::UnixMillis(f64::NAN)), "t").unwrap_err();
    assert_eq!(failure(&invalid), at("invalid_timestamp", "t"));
}

#[test]
fn a_taxonomy_holds_at_most_65535_channels_checked_when_read() {
    let channels = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| json!({"channel": format!("c{i}"), "group": "online"}))
                .collect(),
        )
    };
    assert!(omnikpi::channel::Taxonomy::from_json(&channels(65_535)).is_ok());
    let e = omnikpi::channel::Taxonomy::from_json(&channels(65_536)).unwrap_err();
    assert_eq!(failure(&e), at("limit_exceeded", "input.channels"));
    // a duplicate among many is found by hash, at its index
    let mut many = channels(50_000);
    many.as_array_mut()
        .unwrap()
        .push(json!({"channel": "c7", "group": "online"}));
    let e = omnikpi::channel::Taxonomy::from_json(&many).unwrap_err();
    assert_eq!(
        failure(&e),
        at("duplicate_key", "input.channels[50000].channel")
    );
}
