//! The Cloudflare routes, one file per API area, and what they share: the account check and the
//! answer for URIs the emulator does not serve.

use std::sync::{Arc, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{Method, StatusCode, Uri};
use axum::routing::get;

use super::PREFIX;
use super::envelope::{CfError, code};
use super::store::{CloudflareStore, Mode};
use crate::state::AppState;

mod devices;
mod dns;
mod query;
mod teamnet;
mod tokens;
mod tunnels;

/// The handlers' shared state.
type App = axum::extract::State<Arc<AppState>>;

/// Every Cloudflare route, under [`PREFIX`].
pub(super) fn routes() -> Router<Arc<AppState>> {
    let account = |path: &str| format!("{PREFIX}/accounts/{{account_id}}{path}");
    Router::new()
        .route(
            &format!("{PREFIX}/user/tokens/verify"),
            get(tokens::verify_user),
        )
        .route(&account("/tokens/verify"), get(tokens::verify_account))
        .route(
            &account("/devices/policy"),
            get(devices::get_default)
                .patch(devices::patch_default)
                .post(devices::create_custom),
        )
        .route(&account("/devices/policies"), get(devices::list_custom))
        .route(
            &account("/devices/policy/include"),
            get(|app: App, path: Path<String>| devices::get_default_list(app, path, Mode::Include))
                .put(|app: App, path: Path<String>, body: Bytes| {
                    devices::put_default_list(app, path, Mode::Include, body)
                }),
        )
        .route(
            &account("/devices/policy/exclude"),
            get(|app: App, path: Path<String>| devices::get_default_list(app, path, Mode::Exclude))
                .put(|app: App, path: Path<String>, body: Bytes| {
                    devices::put_default_list(app, path, Mode::Exclude, body)
                }),
        )
        .route(
            &account("/devices/policy/{policy_id}"),
            get(devices::get_custom)
                .patch(devices::patch_custom)
                .delete(devices::delete_custom),
        )
        .route(
            &account("/devices/policy/{policy_id}/include"),
            get(|app: App, path: Path<(String, String)>| {
                devices::get_custom_list(app, path, Mode::Include)
            })
            .put(|app: App, path: Path<(String, String)>, body: Bytes| {
                devices::put_custom_list(app, path, Mode::Include, body)
            }),
        )
        .route(
            &account("/devices/policy/{policy_id}/exclude"),
            get(|app: App, path: Path<(String, String)>| {
                devices::get_custom_list(app, path, Mode::Exclude)
            })
            .put(|app: App, path: Path<(String, String)>, body: Bytes| {
                devices::put_custom_list(app, path, Mode::Exclude, body)
            }),
        )
        .route(
            &account("/teamnet/routes"),
            get(teamnet::list_routes).post(teamnet::create_route),
        )
        .route(
            &account("/teamnet/routes/{route_id}"),
            get(teamnet::get_route)
                .patch(teamnet::patch_route)
                .delete(teamnet::delete_route),
        )
        .route(
            &account("/teamnet/routes/ip/{ip}"),
            get(teamnet::route_for_ip),
        )
        .route(
            &account("/teamnet/virtual_networks"),
            get(teamnet::list_virtual_networks),
        )
        .route(&account("/cfd_tunnel"), get(tunnels::list))
        .route(&account("/cfd_tunnel/{tunnel_id}"), get(tunnels::get))
        .route(
            &account("/cfd_tunnel/{tunnel_id}/connections"),
            get(tunnels::connections),
        )
        .route(&format!("{PREFIX}/zones"), get(dns::list_zones))
        .route(&format!("{PREFIX}/zones/{{zone_id}}"), get(dns::get_zone))
        .route(
            &format!("{PREFIX}/zones/{{zone_id}}/dns_records"),
            get(dns::list_records).post(dns::create_record),
        )
        .route(
            &format!("{PREFIX}/zones/{{zone_id}}/dns_records/{{record_id}}"),
            get(dns::get_record)
                .patch(dns::patch_record)
                .put(dns::put_record)
                .delete(dns::delete_record),
        )
}

/// Any other URI under [`PREFIX`].
pub(super) async fn no_route(method: Method, uri: Uri) -> CfError {
    CfError::new(
        StatusCode::NOT_FOUND,
        code::NO_ROUTE,
        format!(
            "No route for the URI: {method} {}; the emulator serves the Cloudflare routes oceanid uses",
            uri.path()
        ),
    )
}

/// The objects, locked, when `account_id` is the emulated account; else 403, code 9109.
fn account_store<'a>(
    app: &'a AppState,
    account_id: &str,
) -> Result<MutexGuard<'a, CloudflareStore>, CfError> {
    let store = app.cloudflare.store();
    if store.account_id == account_id {
        Ok(store)
    } else {
        Err(CfError::new(
            StatusCode::FORBIDDEN,
            code::UNAUTHORIZED_TO_ACCESS,
            format!(
                "Unauthorized to access requested resource: the token has no access to account \
                 {account_id}"
            ),
        ))
    }
}

/// A CIDR (`10.42.0.0/16`) or a single address, as Cloudflare accepts in entries and routes.
fn parse_network(raw: &str) -> Option<ipnet::IpNet> {
    raw.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| raw.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

/// Rejects a comment or description longer than `max` characters, naming `field`.
fn check_length(field: &str, value: &str, max: usize) -> Result<(), CfError> {
    let length = value.chars().count();
    if length > max {
        Err(CfError::invalid_body(format!(
            "{field} must be at most {max} characters; it has {length}"
        )))
    } else {
        Ok(())
    }
}

/// Replaces `slot` with `value` when a change gives one.
fn set_if_some<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// The names of the required fields a body left out, from `(name, absent)` pairs.
fn absent_fields<'a>(fields: &[(&'a str, bool)]) -> Vec<&'a str> {
    fields
        .iter()
        .filter_map(|&(field, absent)| absent.then_some(field))
        .collect()
}
