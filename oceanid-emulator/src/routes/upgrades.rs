//! Cluster upgrades (plan, storage, major version): `GET`, `POST`, `PUT` and `DELETE
//! /clusters/{id}/upgrade`. An upgrade is an ongoing operation that applies after the delay.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::App;
use super::clusters::{VersionRef, find_plan, resolve_version, validate_storage};
use crate::catalog::Plan;
use crate::clock::{is_rfc3339, now_rfc3339};
use crate::error::ApiError;
use crate::extract::{json_body, json_object};
use crate::objects::{Change, Cluster, Operation};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUpgrade {
    plan_id: Option<String>,
    storage: Option<i64>,
    postgres_version_id: Option<VersionRef>,
    major_version: Option<i64>,
    starting_from: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUpgrade {
    plan_id: Option<String>,
    storage: Option<i64>,
    postgres_version_id: Option<VersionRef>,
    starting_from: Option<String>,
    use_cluster_maintenance_window: Option<bool>,
}

/// The checked targets of an upgrade.
struct Targets {
    plan_id: Option<String>,
    storage: Option<u32>,
    major_version: Option<u32>,
}

fn check_targets(
    cluster: &Cluster,
    plan_id: Option<&str>,
    storage: Option<i64>,
    major: Option<u32>,
) -> Result<Targets, ApiError> {
    let plan = plan_id
        .map(|p| find_plan(&cluster.provider_id, p))
        .transpose()?;
    if let Some(plan) = plan
        && cluster.is_ha
        && plan.is_hobby()
    {
        return Err(ApiError::bad_request(format!(
            "cluster {} has high availability, which hobby plans ({}) cannot have; disable HA first",
            cluster.id, plan.id
        )));
    }
    let storage = storage.map(validate_storage).transpose()?;
    if let Some(storage) = storage
        && storage < cluster.storage
    {
        return Err(ApiError::bad_request(format!(
            "storage cannot shrink (from {} to {storage} GB)",
            cluster.storage
        )));
    }
    if let Some(major) = major
        && major < cluster.major_version
    {
        return Err(ApiError::bad_request(format!(
            "PostgreSQL cannot be downgraded (from {} to {major})",
            cluster.major_version
        )));
    }
    Ok(Targets {
        plan_id: plan.map(|p: &Plan| p.id.to_owned()),
        storage,
        major_version: major.filter(|m| *m != cluster.major_version),
    })
}

fn flavor(targets: &Targets) -> &'static str {
    if targets.major_version.is_some() {
        "major_version_upgrade"
    } else if targets.plan_id.is_some() || targets.storage.is_some() {
        "resize"
    } else {
        "maintenance"
    }
}

fn check_starting_from(starting_from: Option<&str>) -> Result<(), ApiError> {
    match starting_from {
        Some(at) if !is_rfc3339(at) => Err(ApiError::bad_request(
            "starting_from must be an RFC 3339 date-time",
        )),
        _ => Ok(()),
    }
}

pub(super) async fn get(State(app): App, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.store().cluster(&id)?.upgrade_view()))
}

pub(super) async fn create(
    State(app): App,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: CreateUpgrade = json_body(&body)?;
    check_starting_from(req.starting_from.as_deref())?;
    let major = resolve_version(req.postgres_version_id.as_ref(), req.major_version)?;
    let mut store = app.store();
    let due = store.due();
    let cluster = store.cluster_mut(&id)?;
    if cluster.state != "ready" {
        return Err(ApiError::bad_request(format!(
            "cluster {id} is {}; it can be upgraded once it is ready",
            cluster.state
        )));
    }
    if cluster.operations.iter().any(Operation::is_upgrade) {
        return Err(ApiError::bad_request(format!(
            "cluster {id} already has an upgrade in progress; change it with PUT or cancel it with DELETE"
        )));
    }
    let targets = check_targets(cluster, req.plan_id.as_deref(), req.storage, major)?;
    cluster.operations.push(Operation {
        flavor: flavor(&targets),
        state: "in_progress",
        starting_from: req.starting_from,
        due,
        change: Change::Upgrade {
            plan_id: targets.plan_id,
            storage: targets.storage,
            major_version: targets.major_version,
        },
    });
    cluster.updated_at = now_rfc3339();
    Ok((StatusCode::CREATED, Json(cluster.upgrade_view())).into_response())
}

pub(super) async fn update(
    State(app): App,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: UpdateUpgrade = json_body(&body)?;
    let fields = json_object(&body);
    if fields.get("starting_from").is_some_and(|v| !v.is_null())
        && fields
            .get("use_cluster_maintenance_window")
            .is_some_and(|v| !v.is_null())
    {
        return Err(ApiError::bad_request(
            "starting_from and use_cluster_maintenance_window cannot be given together",
        ));
    }
    check_starting_from(req.starting_from.as_deref())?;
    let major = resolve_version(req.postgres_version_id.as_ref(), None)?;
    let mut store = app.store();
    let cluster = store.cluster_mut(&id)?;
    let Some(index) = cluster.operations.iter().position(Operation::is_upgrade) else {
        return Err(ApiError::bad_request(format!(
            "cluster {id} has no upgrade in progress; start one with POST"
        )));
    };
    let targets = check_targets(cluster, req.plan_id.as_deref(), req.storage, major)?;
    let op = &mut cluster.operations[index];
    if let Change::Upgrade {
        plan_id,
        storage,
        major_version,
    } = &mut op.change
    {
        if targets.plan_id.is_some() {
            *plan_id = targets.plan_id;
        }
        if targets.storage.is_some() {
            *storage = targets.storage;
        }
        if targets.major_version.is_some() {
            *major_version = targets.major_version;
        }
        let merged = Targets {
            plan_id: plan_id.clone(),
            storage: *storage,
            major_version: *major_version,
        };
        op.flavor = flavor(&merged);
    }
    if req.starting_from.is_some() {
        op.starting_from = req.starting_from;
    } else if req.use_cluster_maintenance_window == Some(true) {
        op.starting_from = None;
    }
    cluster.updated_at = now_rfc3339();
    Ok((StatusCode::CREATED, Json(cluster.upgrade_view())).into_response())
}

pub(super) async fn cancel(
    State(app): App,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut store = app.store();
    let cluster = store.cluster_mut(&id)?;
    let before = cluster.operations.len();
    cluster.operations.retain(|op| !op.is_upgrade());
    if cluster.operations.len() != before {
        cluster.updated_at = now_rfc3339();
    }
    Ok(Json(cluster.upgrade_view()))
}
