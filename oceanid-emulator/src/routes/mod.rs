//! The HTTP routes: the Bridge API (authenticated, with faults and idempotency) and the admin
//! routes under `/__emulator/`.

use std::sync::Arc;

use axum::Router;
use axum::http::{Method, Uri};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, put};

use crate::error::ApiError;
use crate::state::AppState;
use crate::{auth, faults, idempotency, request_id};

mod account;
mod admin;
mod catalog;
mod clusters;
mod firewall;
mod networks;
mod roles;
mod upgrades;

/// The handlers' shared state.
type App = axum::extract::State<Arc<AppState>>;

/// Every route, with the middleware in order: request id (outermost), then on the Bridge routes
/// faults, authentication, idempotency and injected latency.
pub(crate) fn router(app: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/account", get(account::get_account))
        .route("/teams", get(account::list_teams))
        .route("/teams/{team_id}", get(account::get_team))
        .route("/providers", get(catalog::list_providers))
        .route("/postgres-versions", get(catalog::list_versions))
        .route("/postgres-versions/{version_id}", get(catalog::get_version))
        .route("/clusters", get(clusters::list).post(clusters::create))
        .route(
            "/clusters/{cluster_id}",
            get(clusters::get)
                .patch(clusters::update)
                .delete(clusters::destroy),
        )
        .route("/clusters/{cluster_id}/status", get(clusters::status))
        .route(
            "/clusters/{cluster_id}/actions/enable-ha",
            put(clusters::enable_ha),
        )
        .route(
            "/clusters/{cluster_id}/actions/disable-ha",
            put(clusters::disable_ha),
        )
        .route(
            "/clusters/{cluster_id}/upgrade",
            get(upgrades::get)
                .post(upgrades::create)
                .put(upgrades::update)
                .delete(upgrades::cancel),
        )
        .route(
            "/clusters/{cluster_id}/roles",
            get(roles::list).post(roles::create),
        )
        .route(
            "/clusters/{cluster_id}/roles/{role_name}",
            get(roles::get).put(roles::upsert).delete(roles::destroy),
        )
        .route("/networks", get(networks::list))
        .route(
            "/networks/{network_id}",
            get(networks::get).patch(networks::update),
        )
        .route(
            "/networks/{network_id}/firewall-rules",
            get(firewall::list).post(firewall::create),
        )
        .route(
            "/networks/{network_id}/firewall-rules/{rule_id}",
            get(firewall::get)
                .patch(firewall::update)
                .delete(firewall::destroy),
        )
        .layer(from_fn(faults::delay))
        .layer(from_fn_with_state(
            app.idempotency.clone(),
            idempotency::replay_or_record,
        ))
        .layer(from_fn_with_state(app.clone(), auth::require_api_key))
        .layer(from_fn_with_state(app.faults.clone(), faults::inject));
    Router::new()
        .merge(api)
        .merge(crate::cloudflare::router(app.clone()))
        .merge(admin::router())
        .merge(crate::kubernetes::router(app.clone()))
        .merge(crate::cloudflare::admin_router())
        .fallback(no_route)
        .layer(from_fn(request_id::assign))
        .with_state(app)
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no such route: {method} {}; the emulator serves the Bridge routes oceanid uses",
        uri.path()
    ))
}
