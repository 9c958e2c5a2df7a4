//! Test-only admin routes under `/__emulator/` (no authentication): state, reset, faults,
//! cluster states and settings.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use crate::error::ApiError;
use crate::extract::json_body;
use crate::faults::FaultRequest;
use crate::state::{AppState, lock};

/// The cluster states Bridge documents.
const CLUSTER_STATES: &[&str] = &[
    "creating",
    "creation_failed",
    "destroying",
    "failed",
    "finalizing",
    "ready",
    "replaying",
    "restarting",
    "restoring",
    "resuming",
    "starting",
    "suspended",
    "suspending",
];

pub(super) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/__emulator/state", get(state))
        .route("/__emulator/reset", post(reset))
        .route(
            "/__emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__emulator/faults/{id}", delete(remove_fault))
        .route(
            "/__emulator/clusters/{cluster_id}/state",
            post(set_cluster_state),
        )
        .route("/__emulator/settings", post(settings))
}

async fn state(State(app): App) -> Json<Value> {
    Json(app.dump())
}

async fn reset(State(app): App) -> Result<Json<Value>, ApiError> {
    let warnings = app
        .reset()
        .await
        .map_err(|e| ApiError::internal(format!("reset failed: {e}")))?;
    tracing::info!("emulator reset to the seed");
    Ok(Json(json!({ "reset": true, "warnings": warnings })))
}

async fn list_faults(State(app): App) -> Json<Value> {
    Json(json!({ "faults": lock(&app.faults).list() }))
}

async fn add_fault(State(app): App, body: Bytes) -> Result<Response, ApiError> {
    let req: FaultRequest = json_body(&body)?;
    let fault = lock(&app.faults).add(req)?;
    tracing::info!(?fault, "fault installed");
    Ok((StatusCode::CREATED, Json(json!(fault))).into_response())
}

async fn clear_faults(State(app): App) -> Json<Value> {
    lock(&app.faults).clear();
    Json(json!({ "faults": [] }))
}

async fn remove_fault(State(app): App, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let removed = id
        .parse::<u64>()
        .ok()
        .is_some_and(|id| lock(&app.faults).remove(id));
    if removed {
        Ok(Json(json!({ "removed": id })))
    } else {
        Err(ApiError::not_found(format!("fault {id} not found")))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetClusterState {
    state: Option<String>,
    hold: Option<bool>,
}

/// Sets a cluster's state now (cancelling its provisioning), and/or holds or releases what is
/// pending for it.
async fn set_cluster_state(
    State(app): App,
    Path(cluster_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: SetClusterState = json_body(&body)?;
    if req.state.is_none() && req.hold.is_none() {
        return Err(ApiError::bad_request("give `state`, `hold` or both"));
    }
    if let Some(state) = &req.state
        && !CLUSTER_STATES.contains(&state.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "state must be one of {}",
            CLUSTER_STATES.join(", ")
        )));
    }
    let mut store = app.store();
    let endpoint = store.endpoint.clone();
    store.cluster(&cluster_id)?;
    if let Some(hold) = req.hold {
        store.set_hold(&cluster_id, hold);
    }
    let cluster = store.cluster_mut(&cluster_id)?;
    if let Some(state) = req.state {
        cluster.state = state;
        cluster.provisioning = None;
        cluster.updated_at = crate::clock::now_rfc3339();
    }
    Ok(Json(cluster.view(&endpoint)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    provision_delay_ms: Option<u64>,
}

async fn settings(State(app): App, body: Bytes) -> Result<Json<Value>, ApiError> {
    let req: Settings = json_body(&body)?;
    let mut store = app.store();
    if let Some(ms) = req.provision_delay_ms {
        if ms > 3_600_000 {
            return Err(ApiError::bad_request(
                "provision_delay_ms must be at most 3600000",
            ));
        }
        store.provision_delay = Duration::from_millis(ms);
    }
    Ok(Json(json!({
        "provision_delay_ms": u64::try_from(store.provision_delay.as_millis()).unwrap_or(u64::MAX),
    })))
}
