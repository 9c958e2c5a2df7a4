//! Fixtures in `kubectl get -o json` shape (`kind: List`), read from `fixtures/`.

use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// The fixture file's JSON.
pub(crate) fn json(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/all/kubernetes/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The fixture's items as JSON values, to edit into faults.
pub(crate) fn values(name: &str) -> Vec<Value> {
    json(name)["items"].as_array().cloned().unwrap_or_default()
}

/// The fixture's items, decoded as `K` (proves the fixture is valid for k8s-openapi).
pub(crate) fn items<K: DeserializeOwned>(name: &str) -> Vec<K> {
    let list = json(name);
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item).unwrap_or_else(|e| panic!("{name} item {i}: {e}"))
        })
        .collect()
}

/// A list response holding `items`, with an optional continue token.
pub(crate) fn page(items: &[Value], continue_token: Option<&str>) -> Value {
    let mut metadata = serde_json::json!({ "resourceVersion": "1000" });
    if let Some(token) = continue_token {
        metadata["continue"] = Value::String(token.to_owned());
    }
    serde_json::json!({ "apiVersion": "v1", "kind": "List", "metadata": metadata, "items": items })
}

/// The fixture as one complete list response.
pub(crate) fn list(name: &str) -> Value {
    let value = json(name);
    page(
        value["items"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default(),
        None,
    )
}
