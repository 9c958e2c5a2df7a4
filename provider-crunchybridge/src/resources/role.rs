//! `crunchybridge:index:Role`: the credentials of one PostgreSQL role of a Bridge cluster.
//!
//! Bridge knows three kinds of role: `postgres` (the superuser) and `application` (a
//! non-superuser), which Bridge makes with every cluster, and `u_<account id>` (alias
//! `user`), the caller's own role, which is made on request. A Role resource for a built-in
//! role *adopts* it: create reads its credentials, delete forgets it (Bridge cannot delete
//! it) and says so. A Role for an account role creates it and deletes it.
//!
//! The outputs `password` and `uri` are always secrets; they are read again on every refresh,
//! so a password rotated outside Pulumi reaches the stack with `pulumi refresh`. They never
//! appear in a log line or an error.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::crunchybridge::{
    Bridge, ClusterId, Deletion, ExposeSecret, Role as ApiRole, RoleFlavor as ApiFlavor, RoleName,
    UpsertRole, is_eid,
};

use super::urn::resource_name;
use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

use super::team_chain::cluster_chain;

/// What a role may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleFlavor {
    /// The role cannot log in.
    Nologin,
    /// The role may read but not write.
    Read,
    /// The role may read and write.
    Write,
}

impl From<RoleFlavor> for ApiFlavor {
    fn from(f: RoleFlavor) -> ApiFlavor {
        match f {
            RoleFlavor::Nologin => ApiFlavor::Nologin,
            RoleFlavor::Read => ApiFlavor::Read,
            RoleFlavor::Write => ApiFlavor::Write,
        }
    }
}

fn flavor_of(f: Option<&ApiFlavor>) -> Option<RoleFlavor> {
    match f? {
        ApiFlavor::Nologin => Some(RoleFlavor::Nologin),
        ApiFlavor::Read => Some(RoleFlavor::Read),
        ApiFlavor::Write => Some(RoleFlavor::Write),
        ApiFlavor::Other(_) => None,
    }
}

/// Inputs of a role.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleArgs {
    /// The id of the cluster the role belongs to (e.g. a Cluster's `id`). Changing it replaces
    /// the role.
    #[schemars(extend("x-replace" = true))]
    pub cluster_id: String,
    /// Which role: `user` (your own `u_<account id>` role, made for you), `application` (the
    /// built-in non-superuser), `postgres` (the built-in superuser; needs a team admin's API
    /// key), or an explicit `u_<account id>`. Built-in roles are adopted, never created or
    /// deleted. Changing it replaces the role.
    #[schemars(extend("x-replace" = true))]
    pub name: String,
    /// What the role may do: `nologin`, `read` or `write`; left as Bridge has it when not set.
    /// Updated in place. Not for `postgres`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<RoleFlavor>,
}

/// Stored state of a role: its inputs plus its credentials.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleState {
    /// The inputs.
    #[serde(flatten)]
    pub args: RoleArgs,
    /// The role's name in PostgreSQL: `name` with `user` resolved to `u_<account id>`. Use it
    /// as a Database's `owner`.
    pub role_name: String,
    /// The role's password (always a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-secret" = true))]
    pub password: Option<String>,
    /// The connection URI, `postgres://<role>:<password>@<host>:5432/postgres` (always a
    /// secret). Bridge requires TLS: add `?sslmode=require` if your client does not default to
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-secret" = true))]
    pub uri: Option<String>,
    /// The certificate chain (PEM) of the cluster's team, which Crunchy Bridge publishes at
    /// `GET /teams/{teamId}.pem` and which the server's certificate chains to. Give it to the
    /// application with `uri` to connect with `sslmode=verify-full` (see README).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
}

/// `crunchybridge:index:Role`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Role;

/// Whether Bridge makes the role with every cluster and never deletes it.
pub fn is_builtin(name: &str) -> bool {
    matches!(name, "application" | "postgres")
}

/// Whether `name` is a role name the API knows: `user`, `application`, `postgres` or
/// `u_<account id>`.
pub fn is_role_name(name: &str) -> bool {
    matches!(name, "user" | "application" | "postgres")
        || name.strip_prefix("u_").is_some_and(is_eid)
}

/// The resource id of a role: `<clusterId>/<roleName>` (also the import id).
pub fn resource_id(cluster: &str, role: &str) -> String {
    format!("{cluster}/{role}")
}

/// Splits a resource id `<clusterId>/<roleName>`.
///
/// # Errors
/// When the id is not of that form, saying what it should look like.
pub fn parse_id(id: &str) -> Result<(ClusterId, RoleName), ResourceError> {
    match id.split_once('/') {
        Some((cluster, role)) if is_eid(cluster) && is_role_name(role) => {
            Ok((ClusterId::new(cluster), RoleName::new(role)))
        }
        _ => Err(ResourceError::msg(format!(
            "`{id}` is not a Role id: use `<clusterId>/<roleName>`, e.g. `pulumi import \
             crunchybridge:index:Role app <clusterId>/application` (role names: application, \
             postgres, user, u_<account id>)"
        ))),
    }
}

fn check_args(args: &mut RoleArgs) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    args.cluster_id = args.cluster_id.trim().to_owned();
    if !is_eid(&args.cluster_id) {
        failures.push(CheckFailure::new(
            "clusterId",
            format!(
                "`{}` is not a Crunchy Bridge cluster id (26 lowercase letters and digits 2-7, \
                 e.g. a Cluster's `id`, or `cb list`)",
                args.cluster_id
            ),
        ));
    }
    args.name = args.name.trim().to_owned();
    if !is_role_name(&args.name) {
        failures.push(CheckFailure::new(
            "name",
            format!(
                "`{}` is not a role Bridge manages: use `user` (your own role), `application`, \
                 `postgres`, or `u_<account id>`; other roles are made over SQL",
                args.name
            ),
        ));
    }
    if args.name == "postgres" && args.flavor.is_some() {
        failures.push(CheckFailure::new(
            "flavor",
            "the superuser `postgres` has no flavor; remove `flavor`",
        ));
    }
    failures
}

/// The caller's own role name, when the account has an id.
async fn own_role(bridge: &Bridge) -> Result<Option<RoleName>, ResourceError> {
    let account =
        bridge.account().get().await.map_err(|e| {
            ResourceError::because("cannot read the account behind the API key", &e)
        })?;
    Ok(account.id.as_ref().map(RoleName::for_account))
}

/// The state a role on Bridge implies. With `prior` the inputs stay as given (the flavor
/// refreshed when one was given); without (an import), `name` is the id's role name and the
/// flavor is Bridge's.
fn state_of(
    role: &ApiRole,
    cluster: &ClusterId,
    name: &str,
    prior: Option<&RoleArgs>,
) -> RoleState {
    let flavor = flavor_of(role.flavor.as_ref());
    let args = match prior {
        Some(p) => RoleArgs {
            cluster_id: cluster.to_string(),
            name: p.name.clone(),
            flavor: p.flavor.map(|old| flavor.unwrap_or(old)),
        },
        None => RoleArgs {
            cluster_id: cluster.to_string(),
            name: name.to_owned(),
            flavor: flavor.filter(|_| name != "postgres"),
        },
    };
    RoleState {
        args,
        role_name: role.name.to_string(),
        password: role.password.as_ref().map(|p| p.expose_secret().to_owned()),
        uri: role.uri.as_ref().map(|u| u.expose_secret().to_owned()),
        ca_certificate: None,
    }
}

/// What is wrong with a role read back after a change; `None` when it is as asked.
fn problem(role: &ApiRole, asked: &RoleArgs) -> Option<String> {
    let mut problems = Vec::new();
    if role.password.is_none() || role.uri.is_none() {
        problems.push("Bridge returned no password or URI for it".to_owned());
    }
    if let Some(flavor) = asked.flavor
        && flavor_of(role.flavor.as_ref()) != Some(flavor)
    {
        problems.push(format!(
            "its flavor is {} (asked {})",
            role.flavor.as_ref().map_or("none", ApiFlavor::as_str),
            ApiFlavor::from(flavor)
        ));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[async_trait]
impl Resource for Role {
    type Client = Clients;
    type Args = RoleArgs;
    type State = RoleState;

    const TOKEN: &'static str = "crunchybridge:index:Role";
    const DESCRIPTION: &'static str = "The credentials of one PostgreSQL role of a Crunchy Bridge \
        cluster: `user` (your own `u_<account id>` role, made for you), or the built-in \
        `application` and `postgres` roles, which are adopted.\n\nThe outputs `password` and `uri` \
        are always secrets and are read again on every refresh. `flavor` updates in place; \
        `clusterId` and `name` replace the role. After create and update the role is read back and \
        must have credentials. Deleting a built-in role only forgets it (Bridge cannot delete it: \
        its password stays valid) and says so. Import with `pulumi import crunchybridge:index:Role \
        <name> <clusterId>/<roleName>`.";

    fn check(&self, args: &mut RoleArgs) -> Vec<CheckFailure> {
        check_args(args)
    }

    async fn create(
        &self,
        cx: &Context<Clients>,
        args: RoleArgs,
    ) -> Result<Created<RoleState>, ResourceError> {
        let bridge = cx.bridge()?;
        let cluster = ClusterId::new(&args.cluster_id);
        let roles = bridge.roles(&cluster);
        // `user` and `u_…` roles need the caller's own role name; built-in ones do not.
        let own = if args.name == "user" || args.name.starts_with("u_") {
            own_role(&bridge).await?
        } else {
            None
        };
        let name = match (args.name.as_str(), &own) {
            ("user", Some(own)) => own.clone(),
            ("user", None) => {
                return Err(ResourceError::msg(
                    "the API key's account has no id (an SSO-only account?), so the role `user` \
                     cannot be resolved; name the role explicitly as `u_<account id>`",
                ));
            }
            (explicit, _) => RoleName::new(explicit),
        };
        let id = resource_id(cluster.as_str(), name.as_str());
        if is_builtin(name.as_str()) {
            // Bridge made it with the cluster: adopting it is reading it.
            match roles.get_opt(&name).await {
                Ok(Some(_)) => {}
                Ok(None) => {
                    return Err(ResourceError::msg(format!(
                        "cluster {cluster} has no role `{name}` (or the cluster does not exist); \
                         check `clusterId`"
                    )));
                }
                Err(e) => {
                    return Err(ResourceError::because(
                        format!("cannot read role `{name}` of cluster {cluster}"),
                        &e,
                    ));
                }
            }
            cx.info(&format!(
                "adopted the built-in role `{name}` of cluster {cluster}: Bridge made it with the \
                 cluster, and deleting this resource only forgets it"
            ));
        } else {
            match roles.get_opt(&name).await {
                Ok(None) => {}
                Ok(Some(_)) => {
                    return Err(ResourceError::msg(format!(
                        "role `{name}` already exists on cluster {cluster}. To manage it with \
                         Pulumi, import it instead of creating it:\n    pulumi import \
                         crunchybridge:index:Role {} {id}",
                        resource_name(cx.urn())
                    )));
                }
                Err(e) => {
                    return Err(ResourceError::because(
                        format!("cannot look for role `{name}` on cluster {cluster}"),
                        &e,
                    ));
                }
            }
            let result = if own.as_ref() == Some(&name) {
                roles.create().await
            } else {
                // Another account's role: Bridge's upsert makes it if the account may have one.
                roles.upsert(&name, &UpsertRole::default()).await
            };
            result.map_err(|e| {
                ResourceError::because(
                    format!("cannot create role `{name}` on cluster {cluster}"),
                    &e,
                )
            })?;
        }
        let made_state = |role: &ApiRole| state_of(role, &cluster, &args.name, Some(&args));
        if let Some(flavor) = args.flavor {
            let upsert = UpsertRole {
                flavor: Some(flavor.into()),
                rotate_password: None,
            };
            if let Err(e) = roles.upsert(&name, &upsert).await {
                let partial = RoleState {
                    args: args.clone(),
                    role_name: name.to_string(),
                    password: None,
                    uri: None,
                    ca_certificate: None,
                };
                return Err(ResourceError::init_failed(
                    id,
                    &partial,
                    vec![format!(
                        "role `{name}` exists, but setting its flavor failed: {e}. The next \
                         `pulumi up` tries again"
                    )],
                ));
            }
        }
        // Verify: the role is there and Bridge hands out its credentials.
        let held = match roles.get(&name).await {
            Ok(role) => role,
            Err(e) => {
                let partial = RoleState {
                    args: args.clone(),
                    role_name: name.to_string(),
                    password: None,
                    uri: None,
                    ca_certificate: None,
                };
                return Err(ResourceError::init_failed(
                    id,
                    &partial,
                    vec![format!(
                        "role `{name}` was created, but reading it back failed: {e}"
                    )],
                ));
            }
        };
        let mut state = made_state(&held);
        state.ca_certificate = Some(cluster_chain(&bridge, &cluster).await?);
        if let Some(why) = problem(&held, &args) {
            return Err(ResourceError::init_failed(
                id,
                &state,
                vec![format!("role `{name}` of cluster {cluster}: {why}")],
            ));
        }
        Ok(Created { id, state })
    }

    async fn read(
        &self,
        cx: &Context<Clients>,
        id: &str,
        prior: Option<RoleState>,
    ) -> Result<Option<RoleState>, ResourceError> {
        let (cluster, name) = parse_id(id)?;
        let bridge = cx.bridge()?;
        match bridge.roles(&cluster).get_opt(&name).await {
            Ok(Some(role)) => Ok(Some(RoleState {
                ca_certificate: Some(cluster_chain(&bridge, &cluster).await?),
                ..state_of(
                    &role,
                    &cluster,
                    name.as_str(),
                    prior.as_ref().map(|p| &p.args),
                )
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(ResourceError::because(
                format!("cannot read role `{name}` of cluster {cluster}"),
                &e,
            )),
        }
    }

    async fn update(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _olds: RoleState,
        news: RoleArgs,
    ) -> Result<RoleState, ResourceError> {
        let (cluster, name) = parse_id(id)?;
        let bridge = cx.bridge()?;
        let roles = bridge.roles(&cluster);
        let current = match roles.get_opt(&name).await {
            Ok(Some(role)) => role,
            Ok(None) => {
                return Err(ResourceError::msg(format!(
                    "role `{name}` no longer exists on cluster {cluster}: run `pulumi refresh` to \
                     drop it from the stack, then `pulumi up` creates it again"
                )));
            }
            Err(e) => {
                return Err(ResourceError::because(
                    format!("cannot read role `{name}` of cluster {cluster}"),
                    &e,
                ));
            }
        };
        if let Some(flavor) = news.flavor
            && flavor_of(current.flavor.as_ref()) != Some(flavor)
        {
            let upsert = UpsertRole {
                flavor: Some(flavor.into()),
                rotate_password: None,
            };
            roles.upsert(&name, &upsert).await.map_err(|e| {
                ResourceError::because(
                    format!("cannot change the flavor of role `{name}` of cluster {cluster}"),
                    &e,
                )
            })?;
        }
        let held = roles.get(&name).await.map_err(|e| {
            ResourceError::because(
                format!("updated role `{name}` of cluster {cluster} but cannot read it back"),
                &e,
            )
        })?;
        let state = RoleState {
            ca_certificate: Some(cluster_chain(&bridge, &cluster).await?),
            ..state_of(&held, &cluster, name.as_str(), Some(&news))
        };
        if let Some(why) = problem(&held, &news) {
            return Err(ResourceError::init_failed(
                id,
                &state,
                vec![format!("role `{name}` of cluster {cluster}: {why}")],
            ));
        }
        Ok(state)
    }

    async fn delete(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _state: RoleState,
    ) -> Result<(), ResourceError> {
        let (cluster, name) = parse_id(id)?;
        if is_builtin(name.as_str()) {
            cx.warn(&format!(
                "role `{name}` is built into cluster {cluster} and Bridge cannot delete it: \
                 Pulumi forgets it, and the role and its password stay valid (rotate the \
                 password with `cb role update --rotate-password` if it must stop working)"
            ));
            return Ok(());
        }
        let bridge = cx.bridge()?;
        match bridge.roles(&cluster).delete(&name).await {
            Ok(Deletion::Deleted) => Ok(()),
            Ok(Deletion::AlreadyGone) => {
                cx.info(&format!(
                    "role `{name}` of cluster {cluster} was already gone"
                ));
                Ok(())
            }
            Err(e) => Err(ResourceError::because(
                format!("cannot delete role `{name}` of cluster {cluster}"),
                &e,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "oceanidemulatorcluster222a";
    const ACCOUNT_ROLE: &str = "u_oceanidemulatoraccount222a";

    fn args(name: &str) -> RoleArgs {
        RoleArgs {
            cluster_id: CLUSTER.into(),
            name: name.into(),
            flavor: None,
        }
    }

    fn api_role(name: &str, flavor: Option<&str>) -> ApiRole {
        serde_json::from_value(serde_json::json!({
            "name": name, "cluster_id": CLUSTER, "flavor": flavor,
            "password": "pw-DISTINCT-7", "uri": "postgres://x:pw-DISTINCT-7@h:5432/postgres"
        }))
        .unwrap()
    }

    #[test]
    fn role_names() {
        for good in ["user", "application", "postgres", ACCOUNT_ROLE] {
            let mut a = args(good);
            assert_eq!(check_args(&mut a), vec![], "{good}");
        }
        for bad in ["", "admin", "u_", "u_short", "Application"] {
            let mut a = args(bad);
            let f = check_args(&mut a);
            assert_eq!(f.len(), 1, "{bad}");
            assert_eq!(f[0].property, "name");
        }
        let mut a = args(" application ");
        assert_eq!(check_args(&mut a), vec![]);
        assert_eq!(a.name, "application");
        let mut a = args("postgres");
        a.flavor = Some(RoleFlavor::Read);
        assert_eq!(check_args(&mut a)[0].property, "flavor");
        let mut a = args("user");
        a.cluster_id = "nope".into();
        assert_eq!(check_args(&mut a)[0].property, "clusterId");
    }

    #[test]
    fn ids() {
        let (c, r) = parse_id(&resource_id(CLUSTER, ACCOUNT_ROLE)).unwrap();
        assert_eq!((c.as_str(), r.as_str()), (CLUSTER, ACCOUNT_ROLE));
        assert!(parse_id(&format!("{CLUSTER}/application")).is_ok());
        for bad in [CLUSTER, "x/application", &format!("{CLUSTER}/admin"), ""] {
            let e = parse_id(bad).unwrap_err().to_string();
            assert!(e.contains("<clusterId>/<roleName>"), "{e}");
        }
    }

    #[test]
    fn builtin_roles() {
        assert!(is_builtin("application") && is_builtin("postgres"));
        assert!(!is_builtin("user") && !is_builtin(ACCOUNT_ROLE));
    }

    #[test]
    fn state_keeps_the_given_name_and_import_takes_the_flavor() {
        let cluster = ClusterId::new(CLUSTER);
        let role = api_role(ACCOUNT_ROLE, Some("write"));
        let s = state_of(&role, &cluster, ACCOUNT_ROLE, Some(&args("user")));
        assert_eq!(s.args, args("user"), "no flavor was given, none is stored");
        assert_eq!(s.role_name, ACCOUNT_ROLE);
        assert_eq!(s.password.as_deref(), Some("pw-DISTINCT-7"));

        let imported = state_of(&role, &cluster, ACCOUNT_ROLE, None);
        assert_eq!(imported.args.flavor, Some(RoleFlavor::Write));
        let mut checked = imported.args.clone();
        assert_eq!(check_args(&mut checked), vec![]);
        assert_eq!(checked, imported.args);

        let superuser = state_of(&api_role("postgres", None), &cluster, "postgres", None);
        assert_eq!(superuser.args.flavor, None);
    }

    #[test]
    fn problems_name_what_is_missing_without_secrets() {
        let mut asked = args("application");
        assert_eq!(
            problem(&api_role("application", Some("write")), &asked),
            None
        );
        asked.flavor = Some(RoleFlavor::Read);
        let why = problem(&api_role("application", Some("write")), &asked).unwrap();
        assert!(why.contains("write") && why.contains("read"), "{why}");
        assert!(!why.contains("pw-DISTINCT-7"));
        let mut bare = api_role("application", None);
        bare.password = None;
        assert!(
            problem(&bare, &args("application"))
                .unwrap()
                .contains("password")
        );
    }
}
