//! Postgres roles (credentials): `/clusters/{cluster_id}/roles[/{role_name}]`.
//!
//! Lists return roles without credentials; create, get and upsert may return `password` and
//! `uri`, which are kept as [`SecretString`]s (redacted in `Debug`).

use futures::TryStreamExt;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::{
    AccountId, Bridge, ClusterId, Deletion, Error, IdempotencyKey, ListParams, RoleName, TeamId,
    list_body,
};

open_enum!(
    /// What a role may do (`DatabaseRoleFlavor`).
    RoleFlavor {
        /// Cannot log in.
        Nologin = "nologin",
        /// Read only.
        Read = "read",
        /// Read and write.
        Write = "write",
    }
);

/// A Postgres role (`PostgresRole`). `password` and `uri` are secrets: `Debug` never shows them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Role {
    /// The role name.
    pub name: RoleName,
    /// The account the role belongs to (`u_<account>` roles).
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// That account's email.
    #[serde(default)]
    pub account_email: Option<String>,
    /// The cluster.
    #[serde(default)]
    pub cluster_id: ClusterId,
    /// The team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// What the role may do.
    #[serde(default)]
    pub flavor: Option<RoleFlavor>,
    /// The password (only from create, get and upsert).
    #[serde(default)]
    pub password: Option<SecretString>,
    /// The connection URI, `postgres://role:password@host:5432/postgres` (only from create,
    /// get and upsert).
    #[serde(default)]
    pub uri: Option<SecretString>,
}

impl PartialEq for Role {
    fn eq(&self, other: &Self) -> bool {
        fn same(a: Option<&SecretString>, b: Option<&SecretString>) -> bool {
            a.map(ExposeSecret::expose_secret) == b.map(ExposeSecret::expose_secret)
        }
        self.name == other.name
            && self.account_id == other.account_id
            && self.account_email == other.account_email
            && self.cluster_id == other.cluster_id
            && self.team_id == other.team_id
            && self.flavor == other.flavor
            && same(self.password.as_ref(), other.password.as_ref())
            && same(self.uri.as_ref(), other.uri.as_ref())
    }
}

/// The body of `PUT /clusters/{id}/roles/{name}` (`PostgresRoleUpdateRequest`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertRole {
    /// New flavor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<RoleFlavor>,
    /// Whether to set a new password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_password: Option<bool>,
}

list_body!(RoleList, roles, Role);

/// `bridge.roles(&cluster)`: one cluster's Postgres roles.
#[derive(Clone, Debug)]
pub struct RolesHandler {
    bridge: Bridge,
    cluster: ClusterId,
}

impl RolesHandler {
    pub(crate) fn new(bridge: Bridge, cluster: ClusterId) -> Self {
        Self { bridge, cluster }
    }

    /// The cluster this handler works on.
    #[must_use]
    pub fn cluster(&self) -> &ClusterId {
        &self.cluster
    }

    /// Every role (without credentials), following `next_cursor` when the server sends one.
    ///
    /// # Errors
    /// 404 for an unknown cluster; any other [`Error`].
    pub async fn list(&self) -> Result<Vec<Role>, Error> {
        self.bridge
            .list_stream::<RoleList, Role>(
                vec!["clusters".into(), self.cluster.to_string(), "roles".into()],
                ListParams::default(),
            )
            .try_collect()
            .await
    }

    /// Create the caller's own role `u_<account id>` (201, with `password` and `uri`).
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn create(&self) -> Result<Role, Error> {
        self.create_with_key(&IdempotencyKey::new()).await
    }

    /// [`Self::create`] with the caller's idempotency key.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn create_with_key(&self, key: &IdempotencyKey) -> Result<Role, Error> {
        self.bridge
            .call(Method::POST, &["clusters", self.cluster.as_str(), "roles"])
            .idempotency_key(key.clone())
            .send()
            .await
    }

    /// One role with its credentials (`postgres` requires a team admin).
    ///
    /// # Errors
    /// 404 when unknown ([`Error::is_not_found`]); any other [`Error`].
    pub async fn get(&self, name: &RoleName) -> Result<Role, Error> {
        self.bridge
            .get_json(&["clusters", self.cluster.as_str(), "roles", name.as_str()])
            .await
    }

    /// One role, or `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`Error`] but not-found.
    pub async fn get_opt(&self, name: &RoleName) -> Result<Option<Role>, Error> {
        self.bridge
            .get_opt_json(&["clusters", self.cluster.as_str(), "roles", name.as_str()])
            .await
    }

    /// Create or change a role (flavor, password rotation); answers 201 with credentials.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn upsert(&self, name: &RoleName, req: &UpsertRole) -> Result<Role, Error> {
        self.bridge
            .call(
                Method::PUT,
                &["clusters", self.cluster.as_str(), "roles", name.as_str()],
            )
            .json(req)
            .send()
            .await
    }

    /// Delete a role; an unknown or already deleted one is [`Deletion::AlreadyGone`].
    ///
    /// # Errors
    /// Any [`Error`] but not-found.
    pub async fn delete(&self, name: &RoleName) -> Result<Deletion, Error> {
        self.bridge
            .delete_at(&["clusters", self.cluster.as_str(), "roles", name.as_str()])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let r: Role = serde_json::from_str(
            r#"{"name":"u_x","cluster_id":"c","team_id":"t","flavor":"write",
                "password":"pw-DISTINCT-1","uri":"postgres://u_x:pw-DISTINCT-1@h:5432/postgres"}"#,
        )
        .unwrap();
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("pw-DISTINCT-1"), "{dbg}");
        assert_eq!(
            r.password.as_ref().map(ExposeSecret::expose_secret),
            Some("pw-DISTINCT-1")
        );
        assert_eq!(r.flavor, Some(RoleFlavor::Write));
    }
}
