//! Roles (credentials) of a cluster: `postgres` (superuser), `application`, and the account's own
//! `u_<account id>` (alias `user`). With PostgreSQL they are real login roles.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::App;
use crate::eid::is_eid;
use crate::error::ApiError;
use crate::extract::{QueryParams, json_body};
use crate::objects::{Role, new_password};
use crate::pagination::PageRequest;
use crate::state::{AppState, BUILTIN_ROLES};

/// The role a path names: `user` is the account's role.
fn resolve(app: &AppState, name: &str) -> Result<String, ApiError> {
    let account_role = app.seed.account_role;
    match name {
        "user" => Ok(account_role.to_owned()),
        n if n == account_role || BUILTIN_ROLES.contains(&n) => Ok(n.to_owned()),
        n if n.strip_prefix("u_").is_some_and(is_eid) => Err(ApiError::not_found(format!(
            "role {n} not found: that account is not a member of this team"
        ))),
        n => Err(ApiError::not_found(format!(
            "role {n} not found; roles are application, postgres, user and u_<account id>"
        ))),
    }
}

fn server_error(e: crate::backend::BackendFailure) -> ApiError {
    ApiError::internal(format!("PostgreSQL: {e}"))
}

pub(super) async fn list(
    State(app): App,
    Path(cluster_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let query = QueryParams::parse(query.as_deref());
    let page = PageRequest::parse(&query, &["id", "name"])?;
    let accounts = query.all("account_id");
    let store = app.store();
    store.cluster(&cluster_id)?;
    let page = page.page(
        store.roles.values().filter(|r| {
            r.cluster_id == cluster_id
                && (accounts.is_empty()
                    || r.account_id
                        .as_deref()
                        .is_some_and(|a| accounts.contains(&a)))
        }),
        |r: &&Role| (r.name.clone(), r.name.clone()),
    );
    Ok(Json(json!({
        "roles": page.items.iter()
            .map(|r| r.view(&store.endpoint, &store.account.email, true))
            .collect::<Vec<_>>(),
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    })))
}

pub(super) async fn get(
    State(app): App,
    Path((cluster_id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let name = resolve(&app, &name)?;
    let store = app.store();
    store.cluster(&cluster_id)?;
    let key = (cluster_id.clone(), name.clone());
    match store.roles.get(&key) {
        Some(role) => Ok(Json(role.view(
            &store.endpoint,
            &store.account.email,
            false,
        ))),
        None if store.deleted_roles.contains(&key) => Err(ApiError::not_found(format!(
            "role {name} on cluster {cluster_id} was deleted"
        ))),
        None => Err(ApiError::not_found(format!(
            "role {name} does not exist on cluster {cluster_id}; create it with POST /clusters/{cluster_id}/roles"
        ))),
    }
}

/// Creates (or leaves as it is) role `name` on the cluster, with a password set on the server.
async fn ensure_exists(app: &AppState, cluster_id: &str, name: &str) -> Result<(), ApiError> {
    let password = {
        let store = app.store();
        store.cluster(cluster_id)?;
        if store
            .roles
            .contains_key(&(cluster_id.to_owned(), name.to_owned()))
        {
            return Ok(());
        }
        match store.server_passwords.get(name) {
            Some(known) if store.shared_passwords => Some(known.clone()),
            _ => None,
        }
    };
    let password = match password {
        Some(known) => known,
        None => {
            let password = app
                .backend
                .fixed_password(name)
                .unwrap_or_else(new_password);
            app.backend
                .ensure_role(name, &password, name == "postgres", false)
                .await
                .map_err(server_error)?;
            Some(password)
        }
    };
    let mut store = app.store();
    let team_id = store.cluster(cluster_id)?.team_id.clone();
    let is_account_role = name == app.seed.account_role;
    store.roles.insert(
        (cluster_id.to_owned(), name.to_owned()),
        Role {
            cluster_id: cluster_id.to_owned(),
            team_id,
            name: name.to_owned(),
            flavor: Some("write".to_owned()),
            password: password.clone(),
            account_id: is_account_role.then(|| app.seed.account_id.to_owned()),
            superuser: name == "postgres",
        },
    );
    store
        .deleted_roles
        .remove(&(cluster_id.to_owned(), name.to_owned()));
    if store.shared_passwords {
        store.server_passwords.insert(name.to_owned(), password);
    }
    Ok(())
}

fn created(app: &AppState, cluster_id: &str, name: &str) -> Result<Response, ApiError> {
    let store = app.store();
    let role = store
        .roles
        .get(&(cluster_id.to_owned(), name.to_owned()))
        .ok_or_else(|| ApiError::not_found(format!("role {name} not found")))?;
    Ok((
        StatusCode::CREATED,
        Json(role.view(&store.endpoint, &store.account.email, false)),
    )
        .into_response())
}

/// `POST /clusters/{id}/roles`: the account's role, with its credentials.
pub(super) async fn create(
    State(app): App,
    Path(cluster_id): Path<String>,
) -> Result<Response, ApiError> {
    let _pg = app.pg_lock.lock().await;
    let name = app.seed.account_role;
    ensure_exists(&app, &cluster_id, name).await?;
    tracing::info!(%cluster_id, role = name, "role created");
    created(&app, &cluster_id, name)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpsertRole {
    flavor: Option<String>,
    rotate_password: Option<bool>,
    password_scram_sha256: Option<String>,
}

/// `PUT /clusters/{id}/roles/{name}`: creates the role, changes its flavor, rotates its password.
pub(super) async fn upsert(
    State(app): App,
    Path((cluster_id, name)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: UpsertRole = json_body(&body)?;
    let name = resolve(&app, &name)?;
    if let Some(flavor) = &req.flavor
        && !["nologin", "read", "write"].contains(&flavor.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "flavor must be nologin, read or write, got {flavor:?}"
        )));
    }
    let rotate = req.rotate_password.unwrap_or(false);
    if rotate && req.password_scram_sha256.is_some() {
        return Err(ApiError::bad_request(
            "rotate_password and password_scram_sha256 cannot be given together",
        ));
    }
    if let Some(verifier) = &req.password_scram_sha256
        && !verifier.starts_with("SCRAM-SHA-256$")
    {
        return Err(ApiError::bad_request(
            "password_scram_sha256 must be a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iterations>:<salt>$<stored key>:<server key>)",
        ));
    }
    let _pg = app.pg_lock.lock().await;
    ensure_exists(&app, &cluster_id, &name).await?;
    let superuser = name == "postgres";
    if rotate {
        let password = app
            .backend
            .fixed_password(&name)
            .unwrap_or_else(new_password);
        app.backend
            .ensure_role(&name, &password, superuser, false)
            .await
            .map_err(server_error)?;
        app.store().set_password(&cluster_id, &name, Some(password));
        tracing::info!(%cluster_id, role = %name, "role password rotated");
    } else if let Some(verifier) = &req.password_scram_sha256 {
        app.backend
            .ensure_role(&name, verifier, superuser, true)
            .await
            .map_err(server_error)?;
        app.store().set_password(&cluster_id, &name, None);
    }
    if let Some(flavor) = req.flavor {
        let mut store = app.store();
        if let Some(role) = store.roles.get_mut(&(cluster_id.clone(), name.clone())) {
            role.flavor = Some(flavor);
        }
    }
    created(&app, &cluster_id, &name)
}

/// `DELETE /clusters/{id}/roles/{name}`: account roles only; the built-in roles stay.
pub(super) async fn destroy(
    State(app): App,
    Path((cluster_id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let name = resolve(&app, &name)?;
    if BUILTIN_ROLES.contains(&name.as_str()) {
        return Err(ApiError::bad_request(format!(
            "the built-in role {name} cannot be deleted"
        )));
    }
    let _pg = app.pg_lock.lock().await;
    let key = (cluster_id.clone(), name.clone());
    let (view, orphaned) = {
        let store = app.store();
        if !store.clusters.contains_key(&cluster_id) {
            return Err(store.cluster_absent(&cluster_id, true));
        }
        let Some(role) = store.roles.get(&key) else {
            return Err(if store.deleted_roles.contains(&key) {
                ApiError::gone(format!(
                    "role {name} on cluster {cluster_id} was already deleted"
                ))
            } else {
                ApiError::not_found(format!(
                    "role {name} does not exist on cluster {cluster_id}"
                ))
            });
        };
        let view = role.view(&store.endpoint, &store.account.email, true);
        let orphaned = !store
            .roles
            .values()
            .any(|r| r.name == name && r.cluster_id != cluster_id);
        (view, orphaned)
    };
    if orphaned {
        app.backend
            .drop_role(&name)
            .await
            .map_err(|e| ApiError::bad_request(format!("role {name} cannot be dropped: {e}")))?;
    }
    let mut store = app.store();
    store.roles.remove(&key);
    store.deleted_roles.insert(key);
    if orphaned {
        store.server_passwords.remove(&name);
    }
    tracing::info!(%cluster_id, role = %name, "role deleted");
    Ok(Json(view))
}
