//! Cloudflared tunnels: list (filters `name`, `is_deleted`, `status`; paged), get, and the
//! connections of each cloudflared client.

use axum::extract::{Path, State};
use serde_json::Value;

use super::query::ListQuery;
use super::{App, account_store};
use crate::cloudflare::envelope::{CfError, CfResult, ok, ok_page};
use crate::cloudflare::store::{CloudflareStore, Tunnel};

fn tunnel<'a>(store: &'a CloudflareStore, tunnel_id: &str) -> Result<&'a Tunnel, CfError> {
    store
        .tunnels
        .iter()
        .find(|t| t.id == tunnel_id)
        .ok_or_else(|| CfError::not_found(format!("tunnel {tunnel_id} not found")))
}

pub(super) async fn list(
    State(app): App,
    Path(account_id): Path<String>,
    query: ListQuery,
) -> CfResult {
    let page = query.page(20, 1000)?;
    let is_deleted = query.flag("is_deleted")?;
    let store = account_store(&app, &account_id)?;
    let rows: Vec<Value> = store
        .tunnels
        .iter()
        .filter(|t| is_deleted.is_none_or(|d| d == t.deleted_at.is_some()))
        .filter(|t| query.text("name").is_none_or(|n| n == t.name))
        .filter(|t| query.text("status").is_none_or(|s| s == t.status))
        .map(|t| t.view(&store.account_id))
        .collect();
    let (rows, info) = page.apply(rows);
    ok_page(rows, info)
}

pub(super) async fn get(
    State(app): App,
    Path((account_id, tunnel_id)): Path<(String, String)>,
) -> CfResult {
    let store = account_store(&app, &account_id)?;
    ok(tunnel(&store, &tunnel_id)?.view(&store.account_id))
}

pub(super) async fn connections(
    State(app): App,
    Path((account_id, tunnel_id)): Path<(String, String)>,
) -> CfResult {
    let store = account_store(&app, &account_id)?;
    ok(tunnel(&store, &tunnel_id)?.clients())
}
