//! Clusters: list, create (with a new network unless one is named), get, update, delete, status
//! and the HA actions.

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ipnet::Ipv4Net;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

use super::App;
use crate::catalog::{self, Plan};
use crate::clock::{is_rfc3339, now_rfc3339};
use crate::eid::{is_eid, new_eid};
use crate::error::ApiError;
use crate::extract::{QueryParams, json_body};
use crate::objects::{Change, Cluster, Network, Operation, Transition, new_password};
use crate::pagination::PageRequest;
use crate::state::{BUILTIN_ROLES, BuiltinPasswords, default_backups};

/// Storage of a new cluster when none is asked for, in GB.
const DEFAULT_STORAGE: i64 = 10;
const MIN_STORAGE: i64 = 10;
const MAX_STORAGE: i64 = 65_536;
/// The IPv4 range of a new network when none is asked for.
const DEFAULT_CIDR4: &str = "10.0.0.0/20";

/// `postgres_version_id`: a major number or a version id.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum VersionRef {
    Major(i64),
    Id(String),
}

/// The major version `version` (or the deprecated `major_version`) names; `None` when neither.
pub(super) fn resolve_version(
    version: Option<&VersionRef>,
    major_version: Option<i64>,
) -> Result<Option<u32>, ApiError> {
    let unknown = |what: String| {
        ApiError::bad_request(format!(
            "postgres_version_id {what} is not an available PostgreSQL version; see GET /postgres-versions"
        ))
    };
    match (version, major_version.as_ref()) {
        (Some(VersionRef::Id(id)), _) => catalog::version_by_id_or_major(id)
            .map(|v| Some(v.major))
            .ok_or_else(|| unknown(format!("{id:?}"))),
        (Some(VersionRef::Major(major)), _) | (None, Some(major)) => u32::try_from(*major)
            .ok()
            .and_then(catalog::version_by_major)
            .map(|v| Some(v.major))
            .ok_or_else(|| unknown(major.to_string())),
        (None, None) => Ok(None),
    }
}

pub(super) fn validate_storage(storage: i64) -> Result<u32, ApiError> {
    if (MIN_STORAGE..=MAX_STORAGE).contains(&storage) {
        u32::try_from(storage).map_err(|_| ApiError::bad_request("storage is out of range"))
    } else {
        Err(ApiError::bad_request(format!(
            "storage must be from {MIN_STORAGE} to {MAX_STORAGE} GB, got {storage}"
        )))
    }
}

pub(super) fn find_plan(provider_id: &str, plan_id: &str) -> Result<&'static Plan, ApiError> {
    catalog::plan(provider_id, plan_id).ok_or_else(|| {
        ApiError::bad_request(format!(
            "plan_id {plan_id:?} is not a plan of provider {provider_id:?}; see GET /providers"
        ))
    })
}

/// The provisioning a new cluster gets: names containing `never-ready` stay `creating`, names
/// containing `creation-failed` fail after the delay.
fn provisioning_for(name: &str, due: Option<std::time::Instant>) -> Transition {
    if name.contains("never-ready") {
        Transition {
            due: None,
            to: "ready".to_owned(),
        }
    } else if name.contains("creation-failed") {
        Transition {
            due,
            to: "creation_failed".to_owned(),
        }
    } else {
        Transition {
            due,
            to: "ready".to_owned(),
        }
    }
}

fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        Err(ApiError::bad_request("name must not be empty"))
    } else if name.len() > 255 {
        Err(ApiError::bad_request("name must be at most 255 characters"))
    } else {
        Ok(())
    }
}

fn validate_window(start: Option<i64>, allow_clear: bool) -> Result<Option<Option<u8>>, ApiError> {
    match start {
        None => Ok(None),
        Some(-1) if allow_clear => Ok(Some(None)),
        Some(hour) => u8::try_from(hour)
            .ok()
            .filter(|h| *h <= 23)
            .map(|h| Some(Some(h)))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "maintenance_window_start must be an hour from 0 to 23{}, got {hour}",
                    if allow_clear {
                        " (or -1 to remove it)"
                    } else {
                        ""
                    }
                ))
            }),
    }
}

/// A private IPv4 range (RFC 1918) with a prefix of at most 20 bits, with no host bits set.
fn validate_cidr4(cidr: &str) -> Result<Ipv4Net, ApiError> {
    let net: Ipv4Net = cidr.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "network_cidr4 {cidr:?} is not an IPv4 CIDR such as 10.0.0.0/20"
        ))
    })?;
    let private = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .filter_map(|p| p.parse::<Ipv4Net>().ok())
        .any(|p| p.contains(&net));
    if !private || net.prefix_len() > 20 {
        return Err(ApiError::bad_request(format!(
            "network_cidr4 {cidr:?} must be a private range (10/8, 172.16/12 or 192.168/16) with a prefix of at most /20"
        )));
    }
    if net.network() != net.addr() {
        return Err(ApiError::bad_request(format!(
            "network_cidr4 {cidr:?} has host bits set; did you mean {}?",
            net.trunc()
        )));
    }
    Ok(net)
}

fn optional_eid(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    match value {
        Some(v) if !is_eid(v) => Err(ApiError::bad_request(format!("{field} {v:?} is not an id"))),
        _ => Ok(()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCluster {
    name: String,
    plan_id: String,
    team_id: String,
    environment: Option<String>,
    expires_at: Option<String>,
    firewall_mode: Option<String>,
    is_ha: Option<bool>,
    maintenance_window_start: Option<i64>,
    network_cidr4: Option<String>,
    network_id: Option<String>,
    postgres_version_id: Option<VersionRef>,
    provider_id: Option<String>,
    region_id: Option<String>,
    storage: Option<i64>,
    major_version: Option<i64>,
    cluster_group_id: Option<String>,
    keychain_id: Option<String>,
    // Accepted, not emulated.
    #[serde(rename = "parameters")]
    _parameters: Option<IgnoredAny>,
    #[serde(rename = "roles")]
    _roles: Option<IgnoredAny>,
    #[serde(rename = "snowflake_entity_id")]
    _snowflake_entity_id: Option<IgnoredAny>,
}

/// Where a new cluster's network comes from.
enum NetworkChoice {
    Existing(String),
    New { cidr4: String, allow_all: bool },
}

pub(super) async fn create(State(app): App, body: Bytes) -> Result<Response, ApiError> {
    let req: CreateCluster = json_body(&body)?;
    validate_name(&req.name)?;
    for (a, a_set, b, b_set) in [
        (
            "network_id",
            req.network_id.is_some(),
            "network_cidr4",
            req.network_cidr4.is_some(),
        ),
        (
            "firewall_mode",
            req.firewall_mode.is_some(),
            "network_cidr4",
            req.network_cidr4.is_some(),
        ),
        (
            "firewall_mode",
            req.firewall_mode.is_some(),
            "network_id",
            req.network_id.is_some(),
        ),
        (
            "network_id",
            req.network_id.is_some(),
            "provider_id",
            req.provider_id.is_some(),
        ),
    ] {
        if a_set && b_set {
            return Err(ApiError::bad_request(format!(
                "{a} and {b} cannot be given together"
            )));
        }
    }
    optional_eid("team_id", Some(&req.team_id))?;
    optional_eid("network_id", req.network_id.as_deref())?;
    optional_eid("cluster_group_id", req.cluster_group_id.as_deref())?;
    optional_eid("keychain_id", req.keychain_id.as_deref())?;
    if let Some(expires_at) = &req.expires_at
        && !is_rfc3339(expires_at)
    {
        return Err(ApiError::bad_request(
            "expires_at must be an RFC 3339 date-time",
        ));
    }
    let allow_all = match req.firewall_mode.as_deref() {
        None | Some("allow_all") => true,
        Some("deny_all") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "firewall_mode must be allow_all or deny_all, got {other:?}"
            )));
        }
    };
    let environment = match req.environment.as_deref() {
        None => None,
        Some("production") => Some("production".to_owned()),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "environment must be production or null, got {other:?}"
            )));
        }
    };
    let window = validate_window(req.maintenance_window_start, false)?.flatten();
    let storage = validate_storage(req.storage.unwrap_or(DEFAULT_STORAGE))?;
    let major = resolve_version(req.postgres_version_id.as_ref(), req.major_version)?
        .unwrap_or(catalog::default_version().major);
    let is_ha = req.is_ha.unwrap_or(false);

    let mut store = app.store();
    if store.team(&req.team_id).is_err() {
        return Err(ApiError::bad_request(format!(
            "team_id {} is not a team of this account",
            req.team_id
        )));
    }
    let (provider_id, region_id, network) = match &req.network_id {
        Some(network_id) => {
            let network = store.network(network_id).map_err(|_| {
                ApiError::bad_request(format!(
                    "network_id {network_id} is not a network of this account"
                ))
            })?;
            if network.team_id != req.team_id {
                return Err(ApiError::bad_request(format!(
                    "network {network_id} belongs to another team"
                )));
            }
            if let Some(region) = &req.region_id
                && region != &network.region_id
            {
                return Err(ApiError::bad_request(format!(
                    "region_id {region:?} does not match network {network_id}'s region {:?}",
                    network.region_id
                )));
            }
            (
                network.provider_id.clone(),
                network.region_id.clone(),
                NetworkChoice::Existing(network_id.clone()),
            )
        }
        None => {
            let Some(provider_id) = req.provider_id.clone() else {
                return Err(ApiError::bad_request(
                    "provider_id is required unless network_id is given",
                ));
            };
            if catalog::provider(&provider_id).is_none() {
                return Err(ApiError::bad_request(format!(
                    "provider_id {provider_id:?} is not available; see GET /providers"
                )));
            }
            let Some(region_id) = req.region_id.clone() else {
                return Err(ApiError::bad_request(
                    "region_id is required unless network_id is given",
                ));
            };
            if catalog::region(&provider_id, &region_id).is_none() {
                let known = catalog::provider(&provider_id)
                    .map(|p| {
                        p.regions
                            .iter()
                            .map(|r| r.id)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                return Err(ApiError::bad_request(format!(
                    "region_id {region_id:?} is not a region of provider {provider_id:?} (its \
                     regions: {known}); see GET /providers"
                )));
            }
            let cidr4 = match &req.network_cidr4 {
                Some(cidr) => validate_cidr4(cidr)?.to_string(),
                None => DEFAULT_CIDR4.to_owned(),
            };
            (
                provider_id,
                region_id,
                NetworkChoice::New { cidr4, allow_all },
            )
        }
    };
    let plan = find_plan(&provider_id, &req.plan_id)?;
    if is_ha && plan.is_hobby() {
        return Err(ApiError::bad_request(format!(
            "high availability is not available on hobby plans ({})",
            plan.id
        )));
    }

    let id = new_eid();
    let network_id = match network {
        NetworkChoice::Existing(id) => id,
        NetworkChoice::New { cidr4, allow_all } => {
            let network_id = new_eid();
            store.networks.insert(
                network_id.clone(),
                Network {
                    id: network_id.clone(),
                    name: format!("{} network", req.name),
                    team_id: req.team_id.clone(),
                    provider_id: provider_id.clone(),
                    region_id: region_id.clone(),
                    cidr4: Some(cidr4),
                },
            );
            if allow_all {
                store.add_allow_all_rules(&network_id, &req.team_id, None);
            }
            network_id
        }
    };
    let now = now_rfc3339();
    let provisioning = provisioning_for(&req.name, store.due());
    let cluster = Cluster {
        id: id.clone(),
        name: req.name,
        team_id: req.team_id,
        network_id,
        provider_id,
        region_id,
        plan_id: plan.id.to_owned(),
        storage,
        is_ha,
        is_protected: false,
        major_version: major,
        maintenance_window_start: window,
        environment,
        variable_backups: default_backups(),
        created_at: now.clone(),
        updated_at: now,
        state: "creating".to_owned(),
        provisioning: Some(provisioning),
        operations: Vec::new(),
        hold: false,
    };
    let view = cluster.view(&store.endpoint);
    store.insert_cluster(
        cluster,
        &BuiltinPasswords {
            postgres: new_password(),
            application: new_password(),
        },
    );
    tracing::info!(cluster_id = %id, "cluster created");
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

pub(super) async fn list(
    State(app): App,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(query.as_deref());
    let page = PageRequest::parse(&query, &["name", "id"])?;
    let team = query.get("team_id").filter(|t| !t.is_empty());
    let store = app.store();
    let by_name = page.order_field() == "name";
    let page = page.page(
        store
            .clusters
            .values()
            .filter(|c| team.is_none_or(|t| c.team_id == t)),
        |c: &&Cluster| {
            let key = if by_name {
                c.name.clone()
            } else {
                c.id.clone()
            };
            (key, c.id.clone())
        },
    );
    Ok(Json(json!({
        "clusters": page.items.iter().map(|c| c.view(&store.endpoint)).collect::<Vec<_>>(),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    })))
}

pub(super) async fn get(State(app): App, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let store = app.store();
    Ok(Json(store.cluster(&id)?.view(&store.endpoint)))
}

pub(super) async fn status(
    State(app): App,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.store().cluster(&id)?.status_view()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupsUpdate {
    daily: Option<i32>,
    weekly: Option<i32>,
    monthly: Option<i32>,
    yearly: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateCluster {
    name: Option<String>,
    is_protected: Option<bool>,
    maintenance_window_start: Option<i64>,
    environment: Option<String>,
    periodic_maintenance_frequency: Option<i64>,
    next_periodic_maintenance_at: Option<String>,
    variable_backups: Option<BackupsUpdate>,
    cluster_group_id: Option<String>,
    #[serde(rename = "dashboard_settings")]
    _dashboard_settings: Option<IgnoredAny>,
}

pub(super) async fn update(
    State(app): App,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: UpdateCluster = json_body(&body)?;
    if let Some(name) = &req.name {
        validate_name(name)?;
    }
    let window = validate_window(req.maintenance_window_start, true)?;
    let environment = match req.environment.as_deref() {
        None => None,
        Some("") => Some(None),
        Some("production") => Some(Some("production".to_owned())),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "environment must be production or \"\" (to clear it), got {other:?}"
            )));
        }
    };
    if let Some(freq) = req.periodic_maintenance_frequency
        && !(7..=365).contains(&freq)
    {
        return Err(ApiError::bad_request(
            "periodic_maintenance_frequency must be from 7 to 365 days",
        ));
    }
    if let Some(at) = &req.next_periodic_maintenance_at
        && !is_rfc3339(at)
    {
        return Err(ApiError::bad_request(
            "next_periodic_maintenance_at must be an RFC 3339 date-time",
        ));
    }
    optional_eid("cluster_group_id", req.cluster_group_id.as_deref())?;

    let mut store = app.store();
    let endpoint = store.endpoint.clone();
    let cluster = store.cluster_mut(&id)?;
    if let Some(name) = req.name {
        cluster.name = name;
    }
    if let Some(protected) = req.is_protected {
        cluster.is_protected = protected;
    }
    if let Some(window) = window {
        cluster.maintenance_window_start = window;
    }
    if let Some(environment) = environment {
        cluster.environment = environment;
    }
    if let Some(b) = req.variable_backups {
        let v = &mut cluster.variable_backups;
        v.daily = b.daily.unwrap_or(v.daily);
        v.weekly = b.weekly.unwrap_or(v.weekly);
        v.monthly = b.monthly.unwrap_or(v.monthly);
        v.yearly = b.yearly.unwrap_or(v.yearly);
    }
    cluster.updated_at = now_rfc3339();
    Ok(Json(cluster.view(&endpoint)))
}

pub(super) async fn destroy(
    State(app): App,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let _pg = app.pg_lock.lock().await;
    let (view, orphaned) = {
        let mut store = app.store();
        let Some(cluster) = store.clusters.get(&id) else {
            return Err(store.cluster_absent(&id, true));
        };
        if cluster.is_protected {
            return Err(ApiError::bad_request(format!(
                "cluster {id} is protected: set is_protected to false (PATCH /clusters/{id}) before deleting it"
            )));
        }
        let mut view = cluster.view(&store.endpoint);
        if let Some(map) = view.as_object_mut() {
            map.insert("state".to_owned(), json!("destroying"));
        }
        store.clusters.remove(&id);
        store.deleted_clusters.insert(id.clone());
        let removed: Vec<String> = store
            .roles
            .keys()
            .filter(|(c, _)| c == &id)
            .map(|(_, n)| n.clone())
            .collect();
        for name in &removed {
            store.roles.remove(&(id.clone(), name.clone()));
        }
        // Account roles no other cluster has any more are dropped from the server.
        let still_used: BTreeSet<&String> = store.roles.values().map(|r| &r.name).collect();
        let orphaned: Vec<String> = removed
            .into_iter()
            .filter(|n| !BUILTIN_ROLES.contains(&n.as_str()) && !still_used.contains(n))
            .collect();
        for name in &orphaned {
            store.server_passwords.remove(name);
        }
        (view, orphaned)
    };
    for name in orphaned {
        if let Err(error) = app.backend.drop_role(&name).await {
            tracing::warn!(role = %name, %error, "could not drop the deleted cluster's role");
        }
    }
    tracing::info!(cluster_id = %id, "cluster deleted");
    Ok(Json(view))
}

pub(super) async fn enable_ha(
    State(app): App,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_ha(&app, &id, true)
}

pub(super) async fn disable_ha(
    State(app): App,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    set_ha(&app, &id, false)
}

/// Starts an HA change (an operation that finishes after the delay); asking for the state the
/// cluster already has, or the change already under way, answers without starting another.
fn set_ha(app: &crate::state::AppState, id: &str, enable: bool) -> Result<Json<Value>, ApiError> {
    let mut store = app.store();
    let due = store.due();
    let cluster = store.cluster_mut(id)?;
    if cluster.state != "ready" {
        return Err(ApiError::bad_request(format!(
            "cluster {id} is {}; HA can change once it is ready",
            cluster.state
        )));
    }
    if enable && catalog::plan(&cluster.provider_id, &cluster.plan_id).is_some_and(Plan::is_hobby) {
        return Err(ApiError::bad_request(format!(
            "high availability is not available on hobby plans ({})",
            cluster.plan_id
        )));
    }
    if let Some(op) = cluster
        .operations
        .iter()
        .find(|op| matches!(op.change, Change::Ha { .. }))
    {
        return match op.change {
            Change::Ha { enable: e } if e == enable => Ok(Json(op.view())),
            _ => Err(ApiError::bad_request(format!(
                "cluster {id} is already {}; wait for it to finish",
                op.state.replace('_', " ")
            ))),
        };
    }
    if cluster.is_ha == enable {
        return Ok(Json(
            json!({"flavor": "ha_change", "state": "ready", "starting_from": null}),
        ));
    }
    let op = Operation {
        flavor: "ha_change",
        state: if enable {
            "enabling_ha"
        } else {
            "disabling_ha"
        },
        starting_from: None,
        due,
        change: Change::Ha { enable },
    };
    let view = op.view();
    cluster.operations.push(op);
    cluster.updated_at = now_rfc3339();
    Ok(Json(view))
}
