//! `GET /account`, `GET /teams`, `GET /teams/{id}` and the team certificate `GET /teams/{id}.pem`.

use axum::Json;
use axum::extract::{Path, RawQuery};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::App;
use crate::error::ApiError;
use crate::extract::QueryParams;
use crate::objects::Team;
use crate::pagination::PageRequest;

pub(super) async fn get_account(axum::extract::State(app): App) -> Json<Value> {
    Json(app.store().account.view())
}

pub(super) async fn list_teams(
    axum::extract::State(app): App,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(query.as_deref());
    let page = PageRequest::parse(&query, &["name", "id"])?;
    let store = app.store();
    let by_name = page.order_field() == "name";
    let page = page.page(store.teams.values(), |t: &&Team| {
        let key = if by_name {
            t.name.clone()
        } else {
            t.id.clone()
        };
        (key, t.id.clone())
    });
    Ok(Json(json!({
        "teams": page.items.iter().map(|t| t.view()).collect::<Vec<_>>(),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    })))
}

/// `GET /teams/{id}`, or the team's CA certificate when the id ends in `.pem`.
pub(super) async fn get_team(
    axum::extract::State(app): App,
    Path(team_id): Path<String>,
) -> Result<Response, ApiError> {
    if let Some(id) = team_id.strip_suffix(".pem") {
        app.store().team(id)?;
        let mut response = app.team_ca_pem.clone().into_response();
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/pem-certificate-chain"),
        );
        return Ok(response);
    }
    Ok(Json(app.store().team(&team_id)?.view()).into_response())
}
