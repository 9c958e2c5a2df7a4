//! `/__emulator/kubernetes/objects` (no authentication): `POST` an object to create or replace
//! it exactly as given (status and all), `DELETE` with `apiVersion`, `kind`, `namespace` and
//! `name` (a JSON body or query parameters) to remove it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

use super::kinds::by_kind;
use super::status::KubeError;
use super::store::served_kinds;
use crate::state::AppState;

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new().route(
        "/__emulator/kubernetes/objects",
        post(upsert).delete(remove),
    )
}

fn parse(body: &[u8]) -> Result<Value, KubeError> {
    serde_json::from_slice(body).map_err(|e| {
        KubeError::bad_request(format!(
            "the body must be a Kubernetes object as JSON (apiVersion, kind, metadata...): {e}"
        ))
    })
}

async fn upsert(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let result = parse(&body).and_then(|object| app.kubernetes.objects().upsert(object));
    match result {
        Ok((object, true)) => (StatusCode::CREATED, Json(object)).into_response(),
        Ok((object, false)) => Json(object).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn remove(
    State(app): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let target = if body.is_empty() {
        let pairs = url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes());
        Ok(Value::Object(
            pairs
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        ))
    } else {
        parse(&body)
    };
    let result = target.and_then(|target| {
        let field = |name: &str| {
            target
                .get(name)
                .or_else(|| target.get("metadata").and_then(|m| m.get(name)))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let (api_version, kind_name) = (field("apiVersion"), field("kind"));
        let kind = by_kind(&api_version, &kind_name).ok_or_else(|| {
            KubeError::bad_request(format!(
                "give apiVersion and kind of a served kind ({}); got {api_version:?} and \
                 {kind_name:?}",
                served_kinds()
            ))
        })?;
        let namespace = field("namespace");
        if kind.namespaced && namespace.is_empty() {
            return Err(KubeError::bad_request(format!(
                "a {} is namespaced: give its namespace",
                kind.kind
            )));
        }
        let namespace = if kind.namespaced {
            namespace
        } else {
            String::new()
        };
        app.kubernetes
            .objects()
            .delete(kind, &namespace, &field("name"))
    });
    match result {
        Ok(object) => Json(object).into_response(),
        Err(error) => error.into_response(),
    }
}
