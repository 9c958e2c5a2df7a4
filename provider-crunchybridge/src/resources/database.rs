//! `crunchybridge:index:Database`: a database inside a Bridge cluster, made over SQL with the
//! superuser's credentials, owned by a role the API manages, and verified as that owner.

use std::time::Duration;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::crunchybridge::{Bridge, ClusterId, ExposeSecret, RoleName, TeamId, is_eid};
use oceanid_core::postgres::{
    self as pg, DatabaseInfo, DatabaseSpec, Dropped, PgUrl, SslMode, UserObject, VerifyOptions,
    validate_identifier,
};

use super::urn::resource_name;
use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

use super::team_chain::team_chain;

/// Databases every cluster has, which a Database resource must not manage (or drop).
const SYSTEM_DATABASES: [&str; 3] = ["postgres", "template0", "template1"];

/// How long one SQL connection attempt may take, at most.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Inputs of a database.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseArgs {
    /// The id of the cluster the database lives in: a `Cluster` resource's `id`, or one found
    /// with `getCluster`. Changing it replaces the database.
    #[schemars(extend("x-replace" = true))]
    pub cluster_id: String,
    /// The database's name, e.g. `labelfish` (kept exactly as written, case included; at most
    /// 63 bytes). Changing it replaces the database: a new, empty one is made, and the old one
    /// is dropped only if it holds no user data or `forceDestroy` was set; when the old one
    /// holds data and `forceDestroy` is false, the change is refused before the new one is made.
    #[schemars(extend("x-replace" = true))]
    pub name: String,
    /// The role that owns the database, and whose credentials `connectionUri` carries:
    /// `application`, `user` (your own `u_<account id>` role; create it first with a
    /// `crunchybridge.Role`), or `u_<account id>`. Changes in place (`ALTER DATABASE … OWNER
    /// TO …`).
    pub owner: String,
    /// Extensions to create in the database (`CREATE EXTENSION IF NOT EXISTS … CASCADE`), e.g.
    /// `["pgcrypto", "citext"]`. Removing one from the list does NOT drop it from the
    /// database (dropping an extension can drop data that depends on it): run `DROP EXTENSION`
    /// yourself if you mean it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<String>,
    /// Whether destroying (or replacing) the resource may drop a database that still holds
    /// user data (tables or any other relation, large objects, schemas, functions, types…), and
    /// that data. Defaults to `false`: such a delete is refused, so no data
    /// is lost by accident. The stored value counts, so set it and run `pulumi up` before
    /// `pulumi destroy`.
    #[serde(default, skip_serializing_if = "is_false")]
    #[schemars(extend("default" = false))]
    pub force_destroy: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Stored state of a database: its inputs plus how to connect to it.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseState {
    /// The inputs.
    #[serde(flatten)]
    pub args: DatabaseArgs,
    /// The host name applications connect to, e.g. `p.<clusterId>.db.postgresbridge.com`.
    pub host: String,
    /// The port applications connect to (5432).
    pub port: u16,
    /// What an application needs, as a secret:
    /// `postgres://<owner>:<password>@<host>:<port>/<name>?sslmode=require`, with the owner's
    /// credentials as Crunchy Bridge returns them. It was checked after every create and
    /// update: it logs in, lands in this database as the owner, over TLS, and can write.
    /// Refreshed by `pulumi refresh` (e.g. after the owner's password is rotated).
    #[schemars(extend("x-secret" = true))]
    pub connection_uri: String,
    /// The owner's actual role name: `u_<account id>` when `owner` is `user`, otherwise the
    /// same as `owner`.
    pub owner_role_name: String,
    /// The certificate chain (PEM) of the cluster's team, which Crunchy Bridge publishes at
    /// `GET /teams/{teamId}.pem` and which the server's certificate chains to. To have an
    /// application verify the server (and not only encrypt), write it to a file and connect
    /// with `sslmode=verify-full&sslrootcert=<that file>` added to `connectionUri` (libpq,
    /// psql, psycopg), or pass it as the CA of the driver's TLS options (node-postgres:
    /// `ssl: { ca }`). The provider's own sessions as the superuser always verify against it.
    #[serde(default)]
    pub ca_certificate: String,
}

/// `crunchybridge:index:Database`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Database;

/// The resource id of a database: `<clusterId>/<databaseName>` (also the import id).
pub fn resource_id(cluster: &str, name: &str) -> String {
    format!("{cluster}/{name}")
}

/// Splits a resource id `<clusterId>/<databaseName>` (the name may itself contain `/`).
///
/// # Errors
/// When the id is not of that form, saying what it should look like.
pub fn parse_id(id: &str) -> Result<(ClusterId, String), ResourceError> {
    match id.split_once('/') {
        Some((cluster, name)) if is_eid(cluster) && validate_identifier(name).is_ok() => {
            Ok((ClusterId::new(cluster), name.to_owned()))
        }
        _ => Err(ResourceError::msg(format!(
            "`{id}` is not a Database id: use `<clusterId>/<databaseName>`, e.g. `pulumi import \
             crunchybridge:index:Database labelfish <clusterId>/labelfish` (find the cluster id \
             with `getCluster`)"
        ))),
    }
}

/// The URL an application uses: the role's `uri` from the API, moved to `database`, with TLS
/// required (a stronger `sslmode` in the role's URI is kept).
///
/// # Errors
/// When the URI is not a usable `postgres://` URL; the reason never repeats the URI.
pub fn database_url(role_uri: &str, database: &str) -> Result<PgUrl, String> {
    let url = PgUrl::parse(role_uri).map_err(|e| e.to_string())?;
    let url = url.with_database(database);
    Ok(if url.ssl_mode().requires_tls() {
        url
    } else {
        url.with_ssl_mode(SslMode::Require)
    })
}

/// The error for a delete that would lose data: what was found, a count and a few names per
/// kind, and the two ways on.
pub fn refusal_to_drop(database: &str, objects: &[UserObject]) -> String {
    format!(
        "database {database} holds {}; refusing to drop it so that no data is lost by accident. \
         To drop it with its data, set `forceDestroy: true` on the Database and run `pulumi up` \
         before destroying it; otherwise move the data elsewhere first",
        pg::summarize_user_objects(objects),
    )
}

/// The error for a create that met a database this resource did not make.
fn refusal_to_take_over(urn: &str, cluster: &ClusterId, error: &pg::Error) -> String {
    format!(
        "{error} on cluster {cluster}. To manage that database with Pulumi, import it instead of \
         creating it:\n    pulumi import crunchybridge:index:Database {} {}",
        resource_name(urn),
        match error {
            pg::Error::AlreadyExists { database, .. } => resource_id(cluster.as_str(), database),
            _ => resource_id(cluster.as_str(), "<database>"),
        }
    )
}

/// The comment a database this provider made carries: the resource's URN.
fn marker(urn: &str) -> String {
    format!("managed by Pulumi (oceanid) as {urn}")
}

/// A rename replaces a Database: the engine creates the new one, then deletes the old one. When
/// the old one (found by this resource's mark on the same cluster) holds user data and
/// `forceDestroy` is false, that delete would be refused after the new database was made,
/// leaving the change half done; so the create refuses first, before anything is made. With
/// `forceDestroy: true` in the new inputs, it goes on with a warning (the delete uses the value
/// stored before this update, so it must have been applied with `pulumi up` first). A
/// replacement that moves to another cluster is not seen here: the old database is elsewhere.
async fn refuse_a_replacement_that_would_stop_halfway(
    cx: &Context<Clients>,
    superuser: &PgUrl,
    args: &DatabaseArgs,
    cluster: &ClusterId,
) -> Result<(), ResourceError> {
    let found = pg::marked_databases_with_data(superuser, &marker(cx.urn()), &args.name)
        .await
        .map_err(|e| {
            ResourceError::because(
                format!("cannot look for the database this one replaces on cluster {cluster}"),
                &e,
            )
        })?;
    let Some((old, objects)) = found.first() else {
        return Ok(());
    };
    let what = pg::summarize_user_objects(objects);
    if args.force_destroy {
        cx.warn(&format!(
            "database {} replaces database {old}, which holds {what}; it will be dropped with its \
             data once {} exists, if `forceDestroy: true` was applied before this change",
            args.name, args.name
        ));
        return Ok(());
    }
    Err(ResourceError::msg(format!(
        "database {} would replace database {old} (a new name replaces the database), but {old} \
         holds {what}, so dropping it would be refused after {} was made, leaving the change half \
         done; nothing was created. Keep the name `{old}`, move the data first, or set \
         `forceDestroy: true`, run `pulumi up`, and then rename",
        args.name, args.name
    )))
}

/// `url` with a connect timeout that fits the operation's deadline.
fn bounded(url: PgUrl, cx: &Context<Clients>) -> PgUrl {
    let timeout = cx
        .remaining()
        .min(CONNECT_TIMEOUT)
        .max(Duration::from_secs(1));
    url.with_connect_timeout(timeout)
}

/// The superuser's URL (to the `postgres` database), from `GET /clusters/{id}/roles/postgres`,
/// with `sslmode=verify-full` against the team's chain `ca_pem`: a superuser session never
/// goes to a server whose certificate does not chain to the team's CA and name the host.
async fn superuser_url(
    bridge: &Bridge,
    cluster: &ClusterId,
    ca_pem: &str,
    cx: &Context<Clients>,
) -> Result<PgUrl, ResourceError> {
    let role = bridge
        .roles(cluster)
        .get(&RoleName::postgres())
        .await
        .map_err(|e| {
            let hint = if e.status() == Some(403) {
                "; the superuser's credentials are only given to team admins: use an API key \
                 of an admin of the cluster's team"
            } else {
                ""
            };
            ResourceError::msg(format!(
                "cannot get the superuser (`postgres`) credentials of cluster {cluster}, which \
                 databases are made with: {e}{hint}"
            ))
        })?;
    let uri = role.uri.as_ref().ok_or_else(|| {
        ResourceError::msg(format!(
            "Crunchy Bridge returned no connection URI for the `postgres` role of cluster \
             {cluster}; try again, and check that the API key belongs to a team admin"
        ))
    })?;
    let url = database_url(uri.expose_secret(), "postgres").map_err(|reason| {
        ResourceError::msg(format!(
            "the `postgres` role's connection URI from Crunchy Bridge is not usable: {reason}"
        ))
    })?;
    let url = url
        .with_ssl_mode(SslMode::VerifyFull)
        .with_ca_pem(ca_pem.to_owned());
    Ok(bounded(url, cx))
}

/// The owner role's actual name and its URL to `database`; `Ok(None)` when the API does not
/// know the role.
async fn owner_url(
    bridge: &Bridge,
    cluster: &ClusterId,
    owner: &str,
    database: &str,
    cx: &Context<Clients>,
) -> Result<Option<(String, PgUrl)>, ResourceError> {
    let role = bridge
        .roles(cluster)
        .get_opt(&RoleName::new(owner))
        .await
        .map_err(|e| {
            ResourceError::because(
                format!("cannot get the credentials of role `{owner}` on cluster {cluster}"),
                &e,
            )
        })?;
    let Some(role) = role else { return Ok(None) };
    let uri = role.uri.as_ref().ok_or_else(|| {
        ResourceError::msg(format!(
            "Crunchy Bridge returned no connection URI for role `{owner}` on cluster {cluster}; \
             try again"
        ))
    })?;
    let url = database_url(uri.expose_secret(), database).map_err(|reason| {
        ResourceError::msg(format!(
            "the connection URI of role `{owner}` from Crunchy Bridge is not usable: {reason}"
        ))
    })?;
    let name = if role.name.as_str().is_empty() {
        url.user().to_owned()
    } else {
        role.name.to_string()
    };
    Ok(Some((name, bounded(url, cx))))
}

/// Like [`owner_url`], with an unknown role explained.
async fn require_owner_url(
    bridge: &Bridge,
    cluster: &ClusterId,
    args: &DatabaseArgs,
    cx: &Context<Clients>,
) -> Result<(String, PgUrl), ResourceError> {
    owner_url(bridge, cluster, &args.owner, &args.name, cx)
        .await?
        .ok_or_else(|| {
            ResourceError::msg(format!(
                "role `{}` does not exist on cluster {cluster}, so it cannot own database {}: \
                 the owner must be a role Crunchy Bridge manages, so that `connectionUri` can \
                 carry its credentials: `application`, or `user` (your own `u_<account id>` \
                 role, which a `crunchybridge.Role` with name `user` creates; pass that \
                 resource's `name` output so the database waits for it)",
                args.owner, args.name
            ))
        })
}

/// The cluster's team, `None` when the cluster does not exist (or this key cannot see it).
async fn cluster_team(
    bridge: &Bridge,
    cluster: &ClusterId,
) -> Result<Option<TeamId>, ResourceError> {
    match bridge.clusters().get_opt(cluster).await {
        Ok(found) => Ok(found.map(|c| c.team_id)),
        Err(e) => Err(ResourceError::because(
            format!("cannot read cluster {cluster}"),
            &e,
        )),
    }
}

/// The cluster's team, or an error that says the cluster does not exist.
async fn require_cluster(bridge: &Bridge, cluster: &ClusterId) -> Result<TeamId, ResourceError> {
    cluster_team(bridge, cluster).await?.ok_or_else(|| {
        ResourceError::msg(format!(
            "cluster {cluster} does not exist (or this API key cannot see it): pass a Cluster \
             resource's `id`, or look the cluster up with `getCluster`"
        ))
    })
}

fn state_of(
    args: DatabaseArgs,
    owner_role_name: String,
    url: &PgUrl,
    ca_certificate: &str,
) -> DatabaseState {
    DatabaseState {
        host: url.host().to_owned(),
        port: url.port(),
        connection_uri: url.expose_secret(),
        owner_role_name,
        ca_certificate: ca_certificate.to_owned(),
        args,
    }
}

/// Connects as the owner with `url` and runs the checklist (identity, TLS, a write that reads
/// back); the failed checks, one line each, when it does not pass.
async fn verify_as_owner(url: &PgUrl, ca_pem: &str) -> Result<(), Vec<String>> {
    let verifying = url
        .with_ssl_mode(SslMode::VerifyFull)
        .with_ca_pem(ca_pem.to_owned());
    let report = pg::verify(
        &verifying,
        &VerifyOptions {
            expect_tables: Vec::new(),
            write: true,
            require_tls: true,
        },
    )
    .await;
    if report.ok() {
        return Ok(());
    }
    let mut reasons = vec![format!(
        "the database exists, but connecting with `connectionUri` ({}) did not pass every check",
        report.target
    )];
    reasons.extend(
        report
            .failures()
            .iter()
            .map(|c| format!("check `{}` failed: {}", c.name, c.detail)),
    );
    Err(reasons)
}

/// Makes the database look like `args` (create, owner, extensions) and reports what changed.
/// With `creating`, an existing database that this resource (`cx.urn()`) did not make is
/// refused (see [`pg::create_database`] for the rule); otherwise it is the managed one.
async fn ensure(
    cx: &Context<Clients>,
    superuser: &PgUrl,
    args: &DatabaseArgs,
    owner_role_name: &str,
    creating: bool,
) -> Result<pg::Ensured, pg::Error> {
    let spec = DatabaseSpec {
        name: args.name.clone(),
        owner: owner_role_name.to_owned(),
        extensions: args.extensions.clone(),
    };
    let ensured = if creating {
        pg::create_database(superuser, &spec, &marker(cx.urn())).await?
    } else {
        pg::ensure_database(superuser, &spec).await?
    };
    if !ensured.extensions_created.is_empty() {
        cx.info(&format!(
            "created extension(s) {} in database {}",
            ensured.extensions_created.join(", "),
            args.name
        ));
    }
    Ok(ensured)
}

#[async_trait]
impl Resource for Database {
    type Client = Clients;
    type Args = DatabaseArgs;
    type State = DatabaseState;

    const TOKEN: &'static str = "crunchybridge:index:Database";
    const DESCRIPTION: &'static str = "A database inside a Crunchy Bridge cluster, owned by a \
        role Bridge manages, with the connection URL an application needs.\n\nThe database is \
        made over SQL with the superuser credentials the API returns (`CREATE DATABASE … OWNER \
        …`); an existing database of the same name is refused with the `pulumi import` command to run \
        instead (unless this resource made it: a retried create resumes it). \
        After every create and update the provider connects with `connectionUri` as the owner \
        and checks that it lands in this database as that role, over TLS, and that a write \
        reads back; a failed check fails the deployment, naming each check. Every session \
        verifies the server certificate and host name against the team's certificate chain \
        (`GET /teams/{teamId}.pem`, output as `caCertificate`). `owner` and \
        `extensions` change in place; listed extensions are created, unlisted ones are never \
        dropped. A delete refuses to drop a database that still holds user data (a relation of \
        any kind, a large object, or a schema, function, type or other object a user made) \
        unless `forceDestroy` is true. Import with `pulumi import crunchybridge:index:Database <name> \
        <clusterId>/<databaseName>`.";

    fn check(&self, args: &mut DatabaseArgs) -> Vec<CheckFailure> {
        let mut failures = Vec::new();
        args.cluster_id = args.cluster_id.trim().to_owned();
        if !is_eid(&args.cluster_id) {
            failures.push(CheckFailure::new(
                "clusterId",
                format!(
                    "`{}` is not a Crunchy Bridge cluster id (26 lowercase letters and digits \
                     2-7): pass a Cluster resource's `id`, or look one up with `getCluster`",
                    args.cluster_id
                ),
            ));
        }
        args.name = args.name.trim().to_owned();
        if let Err(reason) = validate_identifier(&args.name) {
            failures.push(CheckFailure::new(
                "name",
                format!("`{}` cannot be a database name: {reason}", args.name),
            ));
        } else if SYSTEM_DATABASES.contains(&args.name.as_str()) {
            failures.push(CheckFailure::new(
                "name",
                format!(
                    "`{}` is a system database every cluster has; it cannot be managed as a \
                     Database: choose another name, e.g. your application's",
                    args.name
                ),
            ));
        }
        args.owner = args.owner.trim().to_owned();
        if let Err(reason) = validate_identifier(&args.owner) {
            failures.push(CheckFailure::new(
                "owner",
                format!(
                    "`{}` cannot be a role name: {reason}; use `application`, `user` or \
                     `u_<account id>`",
                    args.owner
                ),
            ));
        }
        for (i, extension) in args.extensions.iter_mut().enumerate() {
            *extension = extension.trim().to_owned();
            if let Err(reason) = validate_identifier(extension) {
                failures.push(CheckFailure::new(
                    format!("extensions[{i}]"),
                    format!("`{extension}` cannot be an extension name: {reason}"),
                ));
            }
        }
        // The order carries no meaning (each is created with CASCADE); a sorted list makes a
        // refresh or an import compare equal to the program.
        args.extensions.sort();
        args.extensions.dedup();
        failures
    }

    async fn create(
        &self,
        cx: &Context<Clients>,
        args: DatabaseArgs,
    ) -> Result<Created<DatabaseState>, ResourceError> {
        let bridge = cx.bridge()?;
        let cluster = ClusterId::new(&args.cluster_id);
        let team = require_cluster(&bridge, &cluster).await?;
        let chain = team_chain(&bridge, &team).await?;
        let (owner_name, owner) = require_owner_url(&bridge, &cluster, &args, cx).await?;
        if owner_name == "postgres" {
            cx.warn(&format!(
                "database {} is owned by the superuser `postgres`, so `connectionUri` logs in as \
                 the superuser; prefer `application` or `user` for an application",
                args.name
            ));
        }
        let superuser = superuser_url(&bridge, &cluster, &chain, cx).await?;
        let id = resource_id(&args.cluster_id, &args.name);
        let state = state_of(args.clone(), owner_name.clone(), &owner, &chain);

        refuse_a_replacement_that_would_stop_halfway(cx, &superuser, &args, &cluster).await?;

        cx.progress(&format!(
            "creating database {} on cluster {cluster}",
            args.name
        ));
        let ensured = match ensure(cx, &superuser, &args, &owner_name, true).await {
            Ok(ensured) => ensured,
            Err(e @ pg::Error::AlreadyExists { .. }) => {
                return Err(ResourceError::msg(refusal_to_take_over(
                    cx.urn(),
                    &cluster,
                    &e,
                )));
            }
            Err(e) => {
                let what = format!("cannot create database {} on cluster {cluster}", args.name);
                // A statement failed after the database may have been made (an extension
                // that is not available, say): if it exists, the engine must track it.
                if matches!(e, pg::Error::Query { .. })
                    && let Ok(Some(_)) = pg::database_info(&superuser, &args.name).await
                {
                    return Err(ResourceError::init_failed(
                        id,
                        &state,
                        vec![format!("{what}: {e}")],
                    ));
                }
                return Err(ResourceError::because(&what, &e));
            }
        };
        if !ensured.created {
            cx.info(&format!(
                "database {} already existed on cluster {cluster}, made by this resource (a \
                 create that was retried); resumed it",
                args.name
            ));
        }

        cx.progress(&format!("verifying database {} as {owner_name}", args.name));
        if let Err(reasons) = verify_as_owner(&owner, &chain).await {
            return Err(ResourceError::init_failed(id, &state, reasons));
        }
        Ok(Created { id, state })
    }

    async fn read(
        &self,
        cx: &Context<Clients>,
        id: &str,
        prior: Option<DatabaseState>,
    ) -> Result<Option<DatabaseState>, ResourceError> {
        let (cluster, name) = parse_id(id)?;
        let bridge = cx.bridge()?;
        let Some(team) = cluster_team(&bridge, &cluster).await? else {
            return Ok(None);
        };
        let chain = team_chain(&bridge, &team).await?;
        let superuser = superuser_url(&bridge, &cluster, &chain, cx).await?;
        let info: DatabaseInfo = match pg::database_info(&superuser, &name).await {
            Ok(Some(info)) => info,
            Ok(None) => return Ok(None),
            Err(e) => {
                return Err(ResourceError::because(
                    format!("cannot read database {name} on cluster {cluster}"),
                    &e,
                ));
            }
        };
        let mut installed = info.extensions.clone();
        installed.sort();
        let args = DatabaseArgs {
            cluster_id: cluster.to_string(),
            name: name.clone(),
            // Keep the alias the program used (`user`) while it still names the owner.
            owner: match &prior {
                Some(p) if p.owner_role_name == info.owner || p.args.owner == info.owner => {
                    p.args.owner.clone()
                }
                _ => info.owner.clone(),
            },
            // Listed extensions that are still there (a dropped one shows as a change to make
            // again); on import, every extension the database has.
            extensions: match &prior {
                Some(p) => p
                    .args
                    .extensions
                    .iter()
                    .filter(|e| installed.contains(e))
                    .cloned()
                    .collect(),
                None => installed,
            },
            force_destroy: prior.as_ref().is_some_and(|p| p.args.force_destroy),
        };
        match owner_url(&bridge, &cluster, &info.owner, &name, cx).await? {
            Some((owner_name, url)) => Ok(Some(state_of(args, owner_name, &url, &chain))),
            None => {
                cx.warn(&format!(
                    "database {name} is owned by `{}`, a role Crunchy Bridge does not manage, so \
                     its credentials are unknown; `pulumi up` gives it back to a managed owner",
                    info.owner
                ));
                let (host, port, connection_uri) = match &prior {
                    Some(p) => (p.host.clone(), p.port, p.connection_uri.clone()),
                    None => (superuser.host().to_owned(), superuser.port(), String::new()),
                };
                Ok(Some(DatabaseState {
                    args,
                    host,
                    port,
                    connection_uri,
                    owner_role_name: info.owner,
                    ca_certificate: chain,
                }))
            }
        }
    }

    async fn update(
        &self,
        cx: &Context<Clients>,
        id: &str,
        olds: DatabaseState,
        news: DatabaseArgs,
    ) -> Result<DatabaseState, ResourceError> {
        let (cluster, name) = parse_id(id)?;
        let bridge = cx.bridge()?;
        let team = require_cluster(&bridge, &cluster).await?;
        let chain = team_chain(&bridge, &team).await?;
        let (owner_name, owner) = require_owner_url(&bridge, &cluster, &news, cx).await?;
        let superuser = superuser_url(&bridge, &cluster, &chain, cx).await?;
        let ensured = ensure(cx, &superuser, &news, &owner_name, false)
            .await
            .map_err(|e| {
                ResourceError::because(
                    format!("cannot update database {name} on cluster {cluster}"),
                    &e,
                )
            })?;
        if ensured.created {
            cx.warn(&format!(
                "database {name} was missing on cluster {cluster} and has been created again, \
                 empty"
            ));
        }
        if ensured.owner_changed {
            cx.info(&format!(
                "changed the owner of database {name} from {} to {owner_name}",
                olds.owner_role_name
            ));
        }
        let unlisted: Vec<&str> = olds
            .args
            .extensions
            .iter()
            .filter(|e| !news.extensions.contains(e))
            .map(String::as_str)
            .collect();
        if !unlisted.is_empty() {
            cx.info(&format!(
                "extension(s) {} are no longer listed but stay installed in database {name}; \
                 run DROP EXTENSION yourself if you mean to remove them",
                unlisted.join(", ")
            ));
        }
        let state = state_of(news, owner_name, &owner, &chain);
        if let Err(reasons) = verify_as_owner(&owner, &chain).await {
            return Err(ResourceError::init_failed(id, &state, reasons));
        }
        Ok(state)
    }

    async fn delete(
        &self,
        cx: &Context<Clients>,
        id: &str,
        state: DatabaseState,
    ) -> Result<(), ResourceError> {
        let (cluster, name) = parse_id(id)?;
        let bridge = cx.bridge()?;
        let Some(team) = cluster_team(&bridge, &cluster).await? else {
            cx.info(&format!(
                "cluster {cluster} is gone, and database {name} with it"
            ));
            return Ok(());
        };
        let chain = team_chain(&bridge, &team).await?;
        let superuser = superuser_url(&bridge, &cluster, &chain, cx).await?;
        match pg::drop_database(&superuser, &name, state.args.force_destroy).await {
            Ok(Dropped::AlreadyGone) => {
                cx.info(&format!(
                    "database {name} was already gone from cluster {cluster}"
                ));
                Ok(())
            }
            Ok(Dropped::Dropped { objects }) => {
                if !objects.is_empty() {
                    cx.info(&format!(
                        "dropped database {name} with {} (forceDestroy is true)",
                        pg::summarize_user_objects(&objects)
                    ));
                }
                Ok(())
            }
            Err(pg::Error::HoldsUserData { objects, .. }) => {
                Err(ResourceError::msg(refusal_to_drop(&name, &objects)))
            }
            Err(e) => Err(ResourceError::because(
                format!("cannot drop database {name} on cluster {cluster}"),
                &e,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLUSTER: &str = "oceanidemulatorcluster222a";

    fn args(name: &str) -> DatabaseArgs {
        DatabaseArgs {
            cluster_id: CLUSTER.into(),
            name: name.into(),
            owner: "application".into(),
            extensions: Vec::new(),
            force_destroy: false,
        }
    }

    #[test]
    fn connection_urls_carry_the_owner_the_database_and_tls() {
        let url = database_url(
            "postgres://u_abc:pa%40ss@p.x.db.postgresbridge.com:5432/postgres",
            "labelfish",
        )
        .unwrap();
        assert_eq!(
            url.expose_secret(),
            "postgres://u_abc:pa%40ss@p.x.db.postgresbridge.com:5432/labelfish?sslmode=require"
        );
        assert_eq!(url.user(), "u_abc");
        // A weaker mode is raised; a stronger one is kept.
        let url = database_url("postgres://a:b@h/postgres?sslmode=disable", "db").unwrap();
        assert_eq!(url.ssl_mode(), SslMode::Require);
        let url = database_url("postgres://a:b@h:6000/postgres?sslmode=verify-full", "db").unwrap();
        assert_eq!(url.ssl_mode(), SslMode::VerifyFull);
        assert_eq!((url.host(), url.port(), url.database()), ("h", 6000, "db"));
        // Names that need escaping survive the round trip.
        let url = database_url("postgres://a:b@h/postgres", "label fish/2").unwrap();
        assert_eq!(
            PgUrl::parse(&url.expose_secret()).unwrap().database(),
            "label fish/2"
        );
    }

    #[test]
    fn unusable_uris_are_explained_without_repeating_them() {
        let e = database_url("mysql://a:hunter2@h/postgres", "db").unwrap_err();
        assert!(e.contains("scheme"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn ids_round_trip() {
        let id = resource_id(CLUSTER, "labelfish");
        let (cluster, name) = parse_id(&id).unwrap();
        assert_eq!((cluster.as_str(), name.as_str()), (CLUSTER, "labelfish"));
        let (_, name) = parse_id(&format!("{CLUSTER}/a/b")).unwrap();
        assert_eq!(name, "a/b");
        for bad in ["", "labelfish", "nope/labelfish", &format!("{CLUSTER}/")] {
            let e = parse_id(bad).unwrap_err().to_string();
            assert!(e.contains("<clusterId>/<databaseName>"), "{bad}: {e}");
        }
    }

    #[test]
    fn check_normalises_and_explains() {
        let mut a = DatabaseArgs {
            cluster_id: format!(" {CLUSTER} "),
            name: " labelfish ".into(),
            owner: "user".into(),
            extensions: vec!["pgcrypto".into(), " citext".into(), "pgcrypto".into()],
            force_destroy: false,
        };
        assert_eq!(Database.check(&mut a), vec![]);
        assert_eq!(a.cluster_id, CLUSTER);
        assert_eq!(a.name, "labelfish");
        assert_eq!(a.extensions, vec!["citext", "pgcrypto"]);

        let mut bad = DatabaseArgs {
            cluster_id: "c1".into(),
            name: "n".repeat(64),
            owner: String::new(),
            extensions: vec!["ok".into(), String::new()],
            force_destroy: false,
        };
        let failures = Database.check(&mut bad);
        let props: Vec<&str> = failures.iter().map(|f| f.property.as_str()).collect();
        assert_eq!(props, vec!["clusterId", "name", "owner", "extensions[1]"]);
        assert!(failures[1].reason.contains("63 bytes"), "{}", failures[1]);

        let failures = Database.check(&mut args("template1"));
        assert_eq!(failures.len(), 1);
        assert!(failures[0].reason.contains("system database"));
    }

    #[test]
    fn inputs_serialize_without_defaults() {
        let json = serde_json::to_value(args("labelfish")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"clusterId": CLUSTER, "name": "labelfish", "owner": "application"})
        );
        let back: DatabaseArgs = serde_json::from_value(json).unwrap();
        assert_eq!(back, args("labelfish"));
    }

    #[test]
    fn refusals_list_what_was_found_and_the_way_out() {
        let found = |kind: &str, name: &str| UserObject {
            kind: kind.into(),
            name: name.into(),
        };
        let e = refusal_to_drop(
            "labelfish",
            &[
                found("table", "public.notes"),
                found("table", "public.tags"),
                found("table", "app.x"),
                found("large object", "16385"),
            ],
        );
        assert!(
            e.starts_with(
                "database labelfish holds 3 tables (public.notes, public.tags, app.x), \
                 1 large object (16385);"
            ),
            "{e}"
        );
        assert!(
            e.contains("forceDestroy: true") && e.contains("pulumi up"),
            "{e}"
        );
        let many: Vec<UserObject> = (0..12)
            .map(|i| found("table", &format!("public.t{i}")))
            .collect();
        let e = refusal_to_drop("db", &many);
        assert!(e.contains("public.t4, and 7 more"), "{e}");
        assert!(refusal_to_drop("db", &many[..1]).contains("holds 1 table ("));
    }

    #[test]
    fn a_takeover_is_refused_with_the_import_command() {
        let error = pg::Error::AlreadyExists {
            database: "labelfish".into(),
            owner: "postgres".into(),
            reason: "it is owned by \"postgres\", not \"application\"".into(),
        };
        let e = refusal_to_take_over(
            "urn:pulumi:dev::cloud::crunchybridge:index:Database::db",
            &ClusterId::new(CLUSTER),
            &error,
        );
        assert!(e.contains("refusing to take it over"), "{e}");
        assert!(
            e.ends_with(&format!(
                "pulumi import crunchybridge:index:Database db {CLUSTER}/labelfish"
            )),
            "{e}"
        );
    }
}
