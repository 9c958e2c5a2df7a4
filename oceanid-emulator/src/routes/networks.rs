//! Networks: `GET /networks`, `GET|PATCH /networks/{id}` (rename only). Networks appear with
//! clusters; the API has no create or delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use crate::error::ApiError;
use crate::extract::{QueryParams, json_body};
use crate::objects::Network;
use crate::pagination::PageRequest;

pub(super) async fn list(
    State(app): App,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(query.as_deref());
    let page = PageRequest::parse(&query, &["id"])?;
    let team = query.get("team_id").filter(|t| !t.is_empty());
    let store = app.store();
    let page = page.page(
        store
            .networks
            .values()
            .filter(|n| team.is_none_or(|t| n.team_id == t)),
        |n: &&Network| (n.id.clone(), n.id.clone()),
    );
    Ok(Json(json!({
        "networks": page.items.iter().map(|n| n.view()).collect::<Vec<_>>(),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    })))
}

pub(super) async fn get(State(app): App, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.store().network(&id)?.view()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateNetwork {
    name: Option<String>,
}

pub(super) async fn update(
    State(app): App,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: UpdateNetwork = json_body(&body)?;
    if let Some(name) = &req.name
        && (name.trim().is_empty() || name.len() > 255)
    {
        return Err(ApiError::bad_request("name must be 1 to 255 characters"));
    }
    let mut store = app.store();
    store.network(&id)?;
    let network = store
        .networks
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(format!("network {id} not found")))?;
    if let Some(name) = req.name {
        network.name = name;
    }
    Ok(Json(network.view()))
}
