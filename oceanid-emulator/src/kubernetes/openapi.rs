//! A minimal OpenAPI v3 discovery (`/openapi/v3` and one document per group-version), enough for
//! kubectl's `create`/`replace`/`apply` to see that the server validates fields itself (each
//! kind's `PATCH` declares the `fieldValidation` query parameter) and skip downloading schemas.
//! The documents carry no object schemas.

use axum::Json;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::kinds::KINDS;
use super::seed::K3S_VERSION;
use super::status::KubeError;

/// The index key of a group-version: `api/v1` or `apis/{group}/{version}`.
fn index_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `GET /openapi/v3`: every served group-version and where its document is.
pub(crate) async fn index() -> Json<Value> {
    let mut paths = Map::new();
    for kind in KINDS {
        let key = index_key(kind.group, kind.version);
        paths.entry(key.clone()).or_insert_with(
            || json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={K3S_VERSION}")}),
        );
    }
    Json(json!({ "paths": paths }))
}

/// `GET /openapi/v3/{api/v1 | apis/group/version}`: the object paths of the kinds there.
pub(crate) async fn group_version(Path(rest): Path<String>) -> Response {
    let mut paths = Map::new();
    for kind in KINDS
        .iter()
        .filter(|k| index_key(k.group, k.version) == rest)
    {
        let prefix = format!("/{rest}");
        let object_path = if kind.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", kind.plural)
        } else {
            format!("{prefix}/{}/{{name}}", kind.plural)
        };
        let gvk = json!({"group": kind.group, "version": kind.version, "kind": kind.kind});
        let parameters = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ]);
        let operation = |action: &str| {
            json!({
                "operationId": format!("{action}{}", kind.kind),
                "parameters": parameters,
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
            })
        };
        paths.insert(
            object_path,
            json!({"get": operation("get"), "put": operation("put"),
                "patch": operation("patch"), "delete": operation("delete")}),
        );
    }
    if paths.is_empty() {
        return KubeError::no_route().into_response();
    }
    Json(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": K3S_VERSION},
        "paths": paths,
        "components": {},
    }))
    .into_response()
}
