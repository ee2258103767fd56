//! The JSON document of `--json`: one object on stdout per run, `schema_version` first, then
//! the report's keys in alphabetical order (through `Value`, whose map is sorted), whatever
//! order a report declares them in, so that documents diff stably from one release to the
//! next. A failure adds `error`; a failure without a report is `error` alone.

use serde::Serialize;
use serde_json::{Map, Value};

/// What `schema_version` says: documents change it only when a key changes meaning or goes
/// away (new keys may be added within a version).
pub const SCHEMA_VERSION: u64 = 1;

/// A report as an object, the one shape a document has.
pub(super) fn object(report: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(report).expect("reports always serialize") {
        Value::Object(map) => map,
        other => panic!("a JSON document is an object, not {}", kind(&other)),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "an array",
        Value::Null => "null",
        _ => "a scalar",
    }
}

/// The text of a document: `{"schema_version": 1, …body}`, pretty-printed, ending in a newline.
pub fn text(body: &impl Serialize) -> String {
    let body = object(body);
    debug_assert!(!body.contains_key("schema_version"), "set here, once");
    let mut out = format!("{{\n  \"schema_version\": {SCHEMA_VERSION}");
    if !body.is_empty() {
        let rest = serde_json::to_string_pretty(&Value::Object(body)).expect("a Value serializes");
        // `rest` is "{\n  …\n}": its members go on after the version.
        out.push_str(",\n");
        out.push_str(&rest[2..]);
    } else {
        out.push_str("\n}");
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_comes_first_and_the_rest_sorted() {
        let doc = text(&serde_json::json!({"zeta": [1, 2], "alpha": {"b": 1, "a": null}}));
        assert_eq!(
            doc,
            "{\n  \"schema_version\": 1,\n  \"alpha\": {\n    \"a\": null,\n    \"b\": 1\n  },\n  \"zeta\": [\n    1,\n    2\n  ]\n}\n"
        );
        let parsed: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(parsed["schema_version"], 1);
        assert_eq!(
            text(&serde_json::json!({})),
            "{\n  \"schema_version\": 1\n}\n"
        );
    }

    #[test]
    #[should_panic(expected = "a JSON document is an object, not an array")]
    fn a_bare_array_is_no_document() {
        text(&serde_json::json!([1]));
    }
}
