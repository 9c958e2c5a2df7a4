//! The `meta.k8s.io/v1` `Table` answer kubectl asks for when it prints (`kubectl get` without
//! `-o`): a few columns per kind, each row carrying the object's metadata (or the whole object
//! with `includeObject=Object`).

use serde_json::{Value, json};

use super::kinds::Kind;

/// One column: its header, its type and how to read it from an object.
struct Column {
    name: &'static str,
    kind: &'static str,
    cell: fn(&Value) -> Value,
}

impl Column {
    fn new(name: &'static str, kind: &'static str, cell: fn(&Value) -> Value) -> Column {
        Column { name, kind, cell }
    }
}

fn text(object: &Value, pointer: &str) -> Value {
    object
        .pointer(pointer)
        .cloned()
        .unwrap_or_else(|| json!("<none>"))
}

/// The `status` of the condition of type `kind`, or `Unknown`.
fn condition(object: &Value, kind: &str) -> Value {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|conditions| conditions.iter().find(|c| c["type"] == kind))
        .map(|c| c["status"].clone())
        .unwrap_or_else(|| json!("Unknown"))
}

/// How long ago `creationTimestamp` was, as kubectl prints it (`45s`, `12m`, `5h`, `3d`, `2y`).
fn age(object: &Value) -> Value {
    let Some(created) = object
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
    else {
        return json!("<unknown>");
    };
    let seconds = (time::OffsetDateTime::now_utc() - created)
        .whole_seconds()
        .max(0);
    json!(match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 2 * 86_400 => format!("{}h", s / 3600),
        s if s < 730 * 86_400 => format!("{}d", s / 86_400),
        s => format!("{}y", s / (365 * 86_400)),
    })
}

fn columns(kind: &Kind) -> Vec<Column> {
    let mut columns = vec![Column::new("Name", "string", |o| text(o, "/metadata/name"))];
    match kind.kind {
        "Pod" => {
            columns.push(Column::new("Status", "string", |o| {
                text(o, "/status/phase")
            }));
            columns.push(Column::new("Node", "string", |o| text(o, "/spec/nodeName")));
        }
        "Node" => columns.push(Column::new("Ready", "string", |o| condition(o, "Ready"))),
        "Namespace" => columns.push(Column::new("Status", "string", |o| {
            text(o, "/status/phase")
        })),
        "Secret" => columns.push(Column::new("Type", "string", |o| text(o, "/type"))),
        "Deployment" => columns.push(Column::new("Available", "integer", |o| {
            o.pointer("/status/availableReplicas")
                .cloned()
                .unwrap_or(json!(0))
        })),
        "GitRepository" | "Kustomization" | "HelmRelease" => {
            columns.push(Column::new("Ready", "string", |o| condition(o, "Ready")));
        }
        _ => {}
    }
    columns.push(Column::new("Age", "string", age));
    columns
}

/// The Table of `objects` of `kind`.
pub(crate) fn render(
    kind: &Kind,
    objects: &[Value],
    revision: u64,
    include_object: Option<String>,
) -> Value {
    let columns = columns(kind);
    let definitions: Vec<Value> = columns
        .iter()
        .map(|c| {
            let mut definition = json!({"name": c.name, "type": c.kind, "format": "",
                "description": format!("{} of the {}", c.name, kind.kind), "priority": 0});
            if c.name == "Name" {
                definition["format"] = json!("name");
            }
            definition
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let cells: Vec<Value> = columns.iter().map(|c| (c.cell)(object)).collect();
            let embedded = match include_object.as_deref() {
                Some("Object") => object.clone(),
                Some("None") => Value::Null,
                _ => json!({
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": object.get("metadata").cloned().unwrap_or(json!({})),
                }),
            };
            json!({"cells": cells, "object": embedded})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": revision.to_string()},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}
