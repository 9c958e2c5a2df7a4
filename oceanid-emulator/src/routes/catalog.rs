//! `GET /providers`, `GET /postgres-versions` and `GET /postgres-versions/{id}` (also anonymous).

use axum::Json;
use axum::extract::Path;
use serde_json::{Value, json};

use crate::catalog::{
    POSTGRES_VERSIONS, PROVIDERS, provider_view, version_by_id_or_major, version_view,
};
use crate::error::ApiError;

pub(super) async fn list_providers() -> Json<Value> {
    Json(json!({
        "providers": PROVIDERS.iter().map(provider_view).collect::<Vec<_>>(),
    }))
}

pub(super) async fn list_versions() -> Json<Value> {
    Json(json!({
        "postgres_versions": POSTGRES_VERSIONS.iter().map(version_view).collect::<Vec<_>>(),
    }))
}

pub(super) async fn get_version(Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    version_by_id_or_major(&id)
        .map(|v| Json(version_view(v)))
        .ok_or_else(|| ApiError::not_found(format!("postgres version {id} not found")))
}
