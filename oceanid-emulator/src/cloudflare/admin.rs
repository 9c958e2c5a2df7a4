//! Test-only admin routes for the Cloudflare side, under `/__emulator/cloudflare/` (no
//! authentication): a tunnel's status and connections, and a token without write permission.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::store::TunnelConnection;
use crate::clock::now_rfc3339;
use crate::error::ApiError;
use crate::extract::json_body;
use crate::state::AppState;

/// The tunnel states Cloudflare reports.
const TUNNEL_STATUSES: &[&str] = &["healthy", "degraded", "down", "inactive"];

/// The admin routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/__emulator/cloudflare/tunnels/{tunnel_id}",
            post(set_tunnel),
        )
        .route("/__emulator/cloudflare/token", post(set_token))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetTunnel {
    status: Option<String>,
    connections: Option<usize>,
}

/// Sets a tunnel's `status` and/or its number of `connections` (0 to 8).
async fn set_tunnel(
    State(app): State<Arc<AppState>>,
    Path(tunnel_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: SetTunnel = json_body(&body)?;
    if let Some(status) = &req.status
        && !TUNNEL_STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "status must be one of {}",
            TUNNEL_STATUSES.join(", ")
        )));
    }
    if req.connections.is_some_and(|n| n > 8) {
        return Err(ApiError::bad_request("connections must be from 0 to 8"));
    }
    let mut store = app.cloudflare.store();
    let account_id = store.account_id.clone();
    let tunnel = store
        .tunnels
        .iter_mut()
        .find(|t| t.id == tunnel_id)
        .ok_or_else(|| ApiError::not_found(format!("tunnel {tunnel_id} not found")))?;
    if let Some(status) = req.status {
        tunnel.status = status;
    }
    if let Some(wanted) = req.connections {
        tunnel.connections.truncate(wanted);
        while tunnel.connections.len() < wanted {
            let mut connection = TunnelConnection::numbered(tunnel.connections.len() + 1, "fra06");
            connection.opened_at = now_rfc3339();
            tunnel.connections.push(connection);
        }
    }
    Ok(Json(tunnel.view(&account_id)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetToken {
    read_only: bool,
}

/// `{"read_only": true}`: the token keeps reading but every write answers 403, code 10000, as
/// a token without the write permission does; `false` (or a reset) restores it.
async fn set_token(State(app): State<Arc<AppState>>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let req: SetToken = json_body(&body)?;
    app.cloudflare
        .read_only
        .store(req.read_only, Ordering::SeqCst);
    Ok(Json(json!({ "read_only": req.read_only })))
}
