//! Tunnel routes (`teamnet/routes`: a CIDR sent to a tunnel, in a virtual network) and virtual
//! networks. Deleting a route marks it deleted: lists show it only with `is_deleted=true` or
//! without the filter, as on Cloudflare.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::query::ListQuery;
use super::{App, account_store, check_length, parse_network};
use crate::clock::now_rfc3339;
use crate::cloudflare::envelope::{CfError, CfResult, code, ok, ok_page};
use crate::cloudflare::store::{CloudflareStore, TunnelRoute};
use crate::extract::json_body;

/// The longest route comment.
const MAX_COMMENT: usize = 100;

/// A route as lists show it: with the tunnel's and the virtual network's names.
fn row(store: &CloudflareStore, route: &TunnelRoute) -> Value {
    let mut row = json!(route);
    if let Some(map) = row.as_object_mut() {
        let tunnel = store.tunnels.iter().find(|t| t.id == route.tunnel_id);
        let network = store
            .virtual_networks
            .iter()
            .find(|v| v.id == route.virtual_network_id);
        map.insert("tun_type".into(), json!("cfd_tunnel"));
        map.insert("tunnel_name".into(), json!(tunnel.map(|t| &t.name)));
        map.insert(
            "virtual_network_name".into(),
            json!(network.map(|v| &v.name)),
        );
    }
    row
}

/// `GET teamnet/routes`: filters `is_deleted`, `tunnel_id`, `virtual_network_id`, `route_id`,
/// `comment`, `network_subset` (routes inside this CIDR), `network_superset` (routes containing
/// it); `page`/`per_page` (default 1000).
pub(super) async fn list_routes(
    State(app): App,
    Path(account_id): Path<String>,
    query: ListQuery,
) -> CfResult {
    let page = query.page(1000, 1000)?;
    let is_deleted = query.flag("is_deleted")?;
    let subset = query.network("network_subset")?;
    let superset = query.network("network_superset")?;
    let text = |name: &str| query.text(name);
    let store = account_store(&app, &account_id)?;
    let rows: Vec<Value> = store
        .routes
        .iter()
        .filter(|r| is_deleted.is_none_or(|d| d == r.deleted_at.is_some()))
        .filter(|r| text("tunnel_id").is_none_or(|t| t == r.tunnel_id))
        .filter(|r| text("virtual_network_id").is_none_or(|v| v == r.virtual_network_id))
        .filter(|r| text("route_id").is_none_or(|id| id == r.id))
        .filter(|r| text("comment").is_none_or(|c| c == r.comment))
        .filter(|r| {
            let network = parse_network(&r.network);
            subset.is_none_or(|s| network.is_some_and(|n| s.contains(&n)))
                && superset.is_none_or(|s| network.is_some_and(|n| n.contains(&s)))
        })
        .map(|r| row(&store, r))
        .collect();
    let (rows, info) = page.apply(rows);
    ok_page(rows, info)
}

/// A live (not deleted) route, or 404.
fn live_route<'a>(
    store: &'a mut CloudflareStore,
    route_id: &str,
) -> Result<&'a mut TunnelRoute, CfError> {
    store
        .routes
        .iter_mut()
        .find(|r| r.id == route_id && r.deleted_at.is_none())
        .ok_or_else(|| CfError::not_found(format!("tunnel route {route_id} not found")))
}

pub(super) async fn get_route(
    State(app): App,
    Path((account_id, route_id)): Path<(String, String)>,
) -> CfResult {
    let mut store = account_store(&app, &account_id)?;
    let route = live_route(&mut store, &route_id)?.clone();
    ok(row(&store, &route))
}

/// The body of `POST teamnet/routes` and `PATCH teamnet/routes/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteChange {
    network: Option<String>,
    tunnel_id: Option<String>,
    comment: Option<String>,
    virtual_network_id: Option<String>,
}

impl RouteChange {
    /// Checks the fields that are present against the account's tunnels and virtual networks.
    fn check(&self, store: &CloudflareStore) -> Result<(), CfError> {
        if let Some(network) = &self.network
            && parse_network(network).is_none()
        {
            return Err(CfError::invalid_body(format!(
                "network {network:?} is not a CIDR such as 10.42.0.0/16"
            )));
        }
        if let Some(tunnel_id) = &self.tunnel_id
            && !store
                .tunnels
                .iter()
                .any(|t| &t.id == tunnel_id && t.deleted_at.is_none())
        {
            return Err(CfError::invalid_body(format!(
                "tunnel_id {tunnel_id} is not a tunnel of this account; list them with GET cfd_tunnel"
            )));
        }
        if let Some(vnet) = &self.virtual_network_id
            && !store
                .virtual_networks
                .iter()
                .any(|v| &v.id == vnet && v.deleted_at.is_none())
        {
            return Err(CfError::invalid_body(format!(
                "virtual_network_id {vnet} is not a virtual network of this account"
            )));
        }
        if let Some(comment) = &self.comment {
            check_length("comment", comment, MAX_COMMENT)?;
        }
        Ok(())
    }
}

/// 409 when another live route has the same network in the same virtual network.
fn check_unique(
    store: &CloudflareStore,
    network: &str,
    virtual_network_id: &str,
    except: Option<&str>,
) -> Result<(), CfError> {
    let wanted = parse_network(network);
    match store.routes.iter().find(|r| {
        r.deleted_at.is_none()
            && Some(r.id.as_str()) != except
            && r.virtual_network_id == virtual_network_id
            && parse_network(&r.network) == wanted
    }) {
        Some(other) => Err(CfError::new(
            StatusCode::CONFLICT,
            code::CONFLICT,
            format!(
                "You already have a route defined for this exact IP subnet: route {} ({})",
                other.id, other.network
            ),
        )),
        None => Ok(()),
    }
}

/// The default virtual network's id.
fn default_virtual_network(store: &CloudflareStore) -> String {
    store
        .virtual_networks
        .iter()
        .find(|v| v.is_default_network && v.deleted_at.is_none())
        .map(|v| v.id.clone())
        .unwrap_or_default()
}

/// `POST teamnet/routes`: `network` and `tunnel_id` required; the default virtual network unless
/// `virtual_network_id` says otherwise.
pub(super) async fn create_route(
    State(app): App,
    Path(account_id): Path<String>,
    body: Bytes,
) -> CfResult {
    let change: RouteChange = json_body(&body)?;
    let mut store = account_store(&app, &account_id)?;
    let (Some(network), Some(tunnel_id)) = (&change.network, &change.tunnel_id) else {
        return Err(CfError::invalid_body(
            "a route needs `network` (a CIDR) and `tunnel_id`",
        ));
    };
    change.check(&store)?;
    let virtual_network_id = change
        .virtual_network_id
        .clone()
        .unwrap_or_else(|| default_virtual_network(&store));
    check_unique(&store, network, &virtual_network_id, None)?;
    let route = TunnelRoute {
        id: uuid::Uuid::new_v4().to_string(),
        network: network.clone(),
        tunnel_id: tunnel_id.clone(),
        virtual_network_id,
        comment: change.comment.unwrap_or_default(),
        created_at: now_rfc3339(),
        deleted_at: None,
    };
    store.routes.push(route.clone());
    ok(route)
}

/// `PATCH teamnet/routes/{id}`: any of `network`, `tunnel_id`, `comment`, `virtual_network_id`.
pub(super) async fn patch_route(
    State(app): App,
    Path((account_id, route_id)): Path<(String, String)>,
    body: Bytes,
) -> CfResult {
    let change: RouteChange = json_body(&body)?;
    let mut store = account_store(&app, &account_id)?;
    let current = live_route(&mut store, &route_id)?.clone();
    change.check(&store)?;
    let network = change.network.unwrap_or(current.network);
    let virtual_network_id = change
        .virtual_network_id
        .unwrap_or(current.virtual_network_id);
    check_unique(&store, &network, &virtual_network_id, Some(&route_id))?;
    let route = live_route(&mut store, &route_id)?;
    route.network = network;
    route.virtual_network_id = virtual_network_id;
    if let Some(tunnel_id) = change.tunnel_id {
        route.tunnel_id = tunnel_id;
    }
    if let Some(comment) = change.comment {
        route.comment = comment;
    }
    ok(route.clone())
}

/// `DELETE teamnet/routes/{id}`: marks the route deleted and answers with it.
pub(super) async fn delete_route(
    State(app): App,
    Path((account_id, route_id)): Path<(String, String)>,
) -> CfResult {
    let mut store = account_store(&app, &account_id)?;
    let route = live_route(&mut store, &route_id)?;
    route.deleted_at = Some(now_rfc3339());
    ok(route.clone())
}

/// `GET teamnet/routes/ip/{ip}`: the live route with the longest prefix containing `ip`, in the
/// default virtual network unless `virtual_network_id` says otherwise.
pub(super) async fn route_for_ip(
    State(app): App,
    Path((account_id, ip)): Path<(String, String)>,
    query: ListQuery,
) -> CfResult {
    let address: IpAddr = ip.parse().map_err(|_| {
        CfError::bad_request(
            code::INVALID_QUERY,
            format!("{ip:?} is not an IP address such as 10.42.1.7"),
        )
    })?;
    let store = account_store(&app, &account_id)?;
    let vnet = query
        .text("virtual_network_id")
        .map(str::to_owned)
        .unwrap_or_else(|| default_virtual_network(&store));
    let best = store
        .routes
        .iter()
        .filter(|r| r.deleted_at.is_none() && r.virtual_network_id == vnet)
        .filter_map(|r| parse_network(&r.network).map(|n| (n, r)))
        .filter(|(n, _)| n.contains(&address))
        .max_by_key(|(n, _)| n.prefix_len());
    match best {
        Some((_, route)) => ok(row(&store, route)),
        None => Err(CfError::not_found(format!(
            "no tunnel route serves {address} in virtual network {vnet}"
        ))),
    }
}

/// `GET teamnet/virtual_networks`: filters `is_deleted`, `is_default`, `name`, `id`.
pub(super) async fn list_virtual_networks(
    State(app): App,
    Path(account_id): Path<String>,
    query: ListQuery,
) -> CfResult {
    let is_deleted = query.flag("is_deleted")?;
    let is_default = query.flag("is_default")?;
    let text = |name: &str| query.text(name);
    let store = account_store(&app, &account_id)?;
    let networks: Vec<_> = store
        .virtual_networks
        .iter()
        .filter(|v| is_deleted.is_none_or(|d| d == v.deleted_at.is_some()))
        .filter(|v| is_default.is_none_or(|d| d == v.is_default_network))
        .filter(|v| text("name").is_none_or(|n| n == v.name))
        .filter(|v| text("id").is_none_or(|id| id == v.id))
        .collect();
    ok(networks)
}
