//! Databases inside a cluster: create, inspect and drop them over SQL as the superuser.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::identifier::{quote_identifier, quote_literal};
use super::user_data::{UserObject, list_user_objects, summarize};
use super::{Error, PgUrl, connect};

/// What a database should look like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseSpec {
    /// The database's name.
    pub name: String,
    /// The role that owns it (and so its `public` schema).
    pub owner: String,
    /// Extensions to create in it (`CREATE EXTENSION IF NOT EXISTS … CASCADE`).
    #[serde(default)]
    pub extensions: Vec<String>,
}

/// What [`ensure_database`] had to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ensured {
    /// The database did not exist and was created.
    pub created: bool,
    /// The database existed with another owner, which was replaced.
    pub owner_changed: bool,
    /// The requested extensions that were not there yet, in the order requested.
    pub extensions_created: Vec<String>,
}

/// A database as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseInfo {
    /// The database's name.
    pub name: String,
    /// The role that owns it.
    pub owner: String,
    /// Its extensions, sorted, without `plpgsql` (which every database has).
    pub extensions: Vec<String>,
}

/// How [`drop_database`] ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Dropped {
    /// The database was dropped, with this user data in it.
    Dropped {
        /// The user data that went with it (only with `force_destroy`), see [`user_objects`].
        objects: Vec<UserObject>,
    },
    /// There was no such database: nothing to do.
    AlreadyGone,
}

/// Makes sure the database `spec.name` exists, is owned by `spec.owner` and has
/// `spec.extensions`; safe to repeat, and to run concurrently with itself.
///
/// Connects with `superuser` (to its database, or to `postgres` when that is the one being
/// made): `CREATE DATABASE … OWNER …` when absent (a concurrent create that won the race is
/// fine), `ALTER DATABASE … OWNER TO …` when the owner differs, then, inside the database,
/// `CREATE EXTENSION IF NOT EXISTS … CASCADE` for each missing extension. For a database that
/// is already managed (an update); a create that must not take over someone else's database is
/// [`create_database`].
///
/// # Errors
/// [`Error::InvalidIdentifier`] for an unusable name, [`Error::MissingOwner`] when the owner role
/// does not exist, [`Error::Connect`]/[`Error::ConnectTimeout`], and [`Error::Query`] with the
/// server's reason (for instance an extension that is not available on the server).
pub async fn ensure_database(superuser: &PgUrl, spec: &DatabaseSpec) -> Result<Ensured, Error> {
    ensure(superuser, spec, None).await
}

/// Creates the database `spec.name` for the resource `marker` names (its URN), refusing one
/// that exists and is not that resource's; otherwise as [`ensure_database`].
///
/// Which existing database is "ours" (a create retried after `CREATE DATABASE` committed but
/// its answer was lost, or after the process died before the engine learned the id):
/// 1. right after `CREATE DATABASE`, the database gets `COMMENT ON DATABASE … IS '<marker>'`
///    (`CREATE DATABASE` cannot share a transaction with anything, so this is the closest a
///    mark can follow it); a database carrying exactly `marker` is ours;
/// 2. an unmarked database (the mark was lost with the connection) is ours only when nothing
///    could be lost or changed by taking it: it is owned by `spec.owner`, holds no user data
///    (see [`user_objects`]) and has no extension besides the requested ones; it gets the mark;
/// 3. anything else (another comment, another owner, data, other extensions) is someone
///    else's: [`Error::AlreadyExists`], and nothing is changed.
///
/// # Errors
/// [`Error::AlreadyExists`] for a database that is not ours, and those of
/// [`ensure_database`].
pub async fn create_database(
    superuser: &PgUrl,
    spec: &DatabaseSpec,
    marker: &str,
) -> Result<Ensured, Error> {
    ensure(superuser, spec, Some(marker)).await
}

async fn ensure(
    superuser: &PgUrl,
    spec: &DatabaseSpec,
    marker: Option<&str>,
) -> Result<Ensured, Error> {
    let name = quote_identifier("database", &spec.name)?;
    let owner = quote_identifier("role", &spec.owner)?;
    let mut extensions: Vec<(&str, String)> = Vec::new();
    for extension in &spec.extensions {
        if !extensions.iter().any(|(e, _)| e == extension) {
            extensions.push((extension, quote_identifier("extension", extension)?));
        }
    }

    let admin = connect(&maintenance_url(superuser, &spec.name))
        .await?
        .client;
    let owner_exists = admin
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&spec.owner])
        .await
        .map_err(Error::query(format!("looking up role {owner}")))?
        .is_some();
    if !owner_exists {
        return Err(Error::MissingOwner {
            role: spec.owner.clone(),
            database: spec.name.clone(),
        });
    }

    let mut ensured = Ensured::default();
    let current_owner = match database_owner(&admin, &spec.name).await? {
        None => {
            // CREATE DATABASE cannot run inside a transaction: a simple statement of its own.
            match admin
                .batch_execute(&format!("CREATE DATABASE {name} OWNER {owner}"))
                .await
            {
                Ok(()) => {
                    ensured.created = true;
                    tracing::info!(database = %spec.name, owner = %spec.owner, "created database");
                    if let Some(marker) = marker {
                        mark(&admin, &name, marker).await?;
                    }
                    None
                }
                Err(e) if lost_create_race(&e) => {
                    let current = database_owner(&admin, &spec.name).await?;
                    if let Some(marker) = marker {
                        claim(&admin, superuser, spec, marker).await?;
                    }
                    current
                }
                Err(e) => return Err(Error::query(format!("creating database {name}"))(e)),
            }
        }
        Some(current) => {
            if let Some(marker) = marker {
                claim(&admin, superuser, spec, marker).await?;
            }
            Some(current)
        }
    };
    if let Some(current) = current_owner
        && current != spec.owner
    {
        admin
            .batch_execute(&format!("ALTER DATABASE {name} OWNER TO {owner}"))
            .await
            .map_err(Error::query(format!(
                "changing the owner of database {name} to {owner}"
            )))?;
        ensured.owner_changed = true;
        tracing::info!(
            database = %spec.name, from = %current, to = %spec.owner, "changed database owner"
        );
    }
    drop(admin);

    if !extensions.is_empty() {
        let inside = connect(&superuser.with_database(&spec.name)).await?.client;
        let present = installed_extensions(&inside).await?;
        for (extension, quoted) in extensions {
            if present.iter().any(|p| p == extension) {
                continue;
            }
            inside
                .batch_execute(&format!("CREATE EXTENSION IF NOT EXISTS {quoted} CASCADE"))
                .await
                .map_err(Error::query(format!(
                    "creating extension {quoted} in database {name}"
                )))?;
            ensured.extensions_created.push(extension.to_owned());
        }
    }
    Ok(ensured)
}

/// The database `name`, its owner and extensions; `None` when there is no such database.
///
/// # Errors
/// [`Error::InvalidIdentifier`], [`Error::Connect`]/[`Error::ConnectTimeout`] and
/// [`Error::Query`].
pub async fn database_info(superuser: &PgUrl, name: &str) -> Result<Option<DatabaseInfo>, Error> {
    quote_identifier("database", name)?;
    let admin = connect(&maintenance_url(superuser, name)).await?.client;
    let Some(owner) = database_owner(&admin, name).await? else {
        return Ok(None);
    };
    drop(admin);
    let inside = connect(&superuser.with_database(name)).await?.client;
    let mut extensions = installed_extensions(&inside).await?;
    extensions.retain(|e| e != "plpgsql");
    Ok(Some(DatabaseInfo {
        name: name.to_owned(),
        owner,
        extensions,
    }))
}

/// The user tables of the database `url` connects to, schema-qualified (`public.users`) and
/// sorted: tables and partitioned tables outside `pg_catalog`, `information_schema`, the toast
/// and temporary schemas, leaving out partitions (their parent stands for them) and tables that
/// belong to an extension.
///
/// # Errors
/// [`Error::Connect`]/[`Error::ConnectTimeout`] and [`Error::Query`].
pub async fn user_tables(url: &PgUrl) -> Result<Vec<String>, Error> {
    let client = connect(url).await?.client;
    list_user_tables(&client).await
}

/// Every object of user data in the database `url` connects to, grouped by kind: relations of
/// every kind, large objects, and the schemas, functions, types and other objects a user made
/// (not those an extension installed). The module `user_data` documents exactly what counts
/// and what cannot be told apart.
///
/// # Errors
/// [`Error::Connect`]/[`Error::ConnectTimeout`] and [`Error::Query`].
pub async fn user_objects(url: &PgUrl) -> Result<Vec<UserObject>, Error> {
    let client = connect(url).await?.client;
    list_user_objects(&client).await
}

/// Drops the database `name`, unless it holds user data and `force_destroy` is false.
///
/// The check connects to the database as the superuser and takes its inventory (see
/// [`user_objects`]); the drop is `DROP DATABASE … WITH (FORCE)`, which ends open sessions. An
/// absent database is [`Dropped::AlreadyGone`].
///
/// # Errors
/// [`Error::HoldsUserData`] (listing what was found) when data would be lost without
/// `force_destroy`; [`Error::InvalidIdentifier`], [`Error::Connect`]/[`Error::ConnectTimeout`]
/// and [`Error::Query`] otherwise.
pub async fn drop_database(
    superuser: &PgUrl,
    name: &str,
    force_destroy: bool,
) -> Result<Dropped, Error> {
    let quoted = quote_identifier("database", name)?;
    let admin = connect(&maintenance_url(superuser, name)).await?.client;
    if database_owner(&admin, name).await?.is_none() {
        tracing::info!(database = %name, "database already gone");
        return Ok(Dropped::AlreadyGone);
    }
    let objects = {
        let inside = connect(&superuser.with_database(name)).await?.client;
        list_user_objects(&inside).await?
    };
    if !objects.is_empty() && !force_destroy {
        return Err(Error::HoldsUserData {
            database: name.to_owned(),
            objects,
        });
    }
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        .await
        .map_err(Error::query(format!("dropping database {quoted}")))?;
    tracing::info!(database = %name, objects = objects.len(), "dropped database");
    Ok(Dropped::Dropped { objects })
}

/// The other databases the resource `marker` names made (see [`create_database`]) that hold
/// user data, with what each holds: the databases a replacement of that resource (a rename)
/// would have to drop after creating `name`.
///
/// A replacement is a create of the new database followed by a delete of the old one; asked
/// before the create, this lets the create refuse up front when the delete would be refused
/// for data, so that nothing is left half done. Databases made before marks existed are not
/// found.
///
/// # Errors
/// [`Error::Connect`]/[`Error::ConnectTimeout`] and [`Error::Query`].
pub async fn marked_databases_with_data(
    superuser: &PgUrl,
    marker: &str,
    name: &str,
) -> Result<Vec<(String, Vec<UserObject>)>, Error> {
    let admin = connect(&maintenance_url(superuser, name)).await?.client;
    let rows = admin
        .query(
            "SELECT datname::text FROM pg_database
             WHERE shobj_description(oid, 'pg_database') = $1 AND datname <> $2
             ORDER BY 1",
            &[&marker, &name],
        )
        .await
        .map_err(Error::query("looking for the databases this resource made"))?;
    let mut found = Vec::new();
    for row in rows {
        let database: String = row.get(0);
        let inside = connect(&superuser.with_database(&database)).await?.client;
        let objects = list_user_objects(&inside).await?;
        if !objects.is_empty() {
            found.push((database, objects));
        }
    }
    Ok(found)
}

/// Marks the database (already quoted as `name`) as made by the resource `marker` names.
async fn mark(admin: &Client, name: &str, marker: &str) -> Result<(), Error> {
    admin
        .batch_execute(&format!(
            "COMMENT ON DATABASE {name} IS {}",
            quote_literal(marker)
        ))
        .await
        .map_err(Error::query(format!("marking database {name} as managed")))
}

/// Decides whether the existing database `spec.name` is the one this resource made (see
/// [`create_database`]); marks an unmarked one it adopts.
async fn claim(
    admin: &Client,
    superuser: &PgUrl,
    spec: &DatabaseSpec,
    marker: &str,
) -> Result<(), Error> {
    let row = admin
        .query_opt(
            "SELECT pg_get_userbyid(datdba)::text, shobj_description(oid, 'pg_database')
             FROM pg_database WHERE datname = $1",
            &[&spec.name],
        )
        .await
        .map_err(Error::query(format!("looking up database {:?}", spec.name)))?;
    let Some(row) = row else {
        // Dropped in the meantime: nothing of anyone's to take over; the caller goes on.
        return Ok(());
    };
    let owner: String = row.get(0);
    let comment: Option<String> = row.get(1);
    let refuse = |reason: String| Error::AlreadyExists {
        database: spec.name.clone(),
        owner: owner.clone(),
        reason,
    };
    match comment.as_deref() {
        Some(found) if found == marker => return Ok(()),
        Some(_) => {
            return Err(refuse(
                "it carries a comment that is not this resource's mark".to_owned(),
            ));
        }
        None => {}
    }
    if owner != spec.owner {
        return Err(refuse(format!(
            "it is owned by {owner:?}, not {:?}",
            spec.owner
        )));
    }
    let inside = connect(&superuser.with_database(&spec.name)).await?.client;
    let objects = list_user_objects(&inside).await?;
    if !objects.is_empty() {
        return Err(refuse(format!("it holds {}", summarize(&objects))));
    }
    let unrequested: Vec<String> = installed_extensions(&inside)
        .await?
        .into_iter()
        .filter(|e| e != "plpgsql" && !spec.extensions.contains(e))
        .collect();
    if !unrequested.is_empty() {
        return Err(refuse(format!(
            "it has extension(s) {} that this resource does not list",
            unrequested.join(", ")
        )));
    }
    drop(inside);
    let name = quote_identifier("database", &spec.name)?;
    mark(admin, &name, marker).await?;
    tracing::info!(database = %spec.name, "resumed an unmarked, empty database of the same owner");
    Ok(())
}

/// `superuser`, moved off `database` (one cannot create or drop the database one is in).
fn maintenance_url(superuser: &PgUrl, database: &str) -> PgUrl {
    if superuser.database() != database {
        superuser.clone()
    } else if database != "postgres" {
        superuser.with_database("postgres")
    } else {
        superuser.with_database("template1")
    }
}

async fn database_owner(client: &Client, name: &str) -> Result<Option<String>, Error> {
    let row = client
        .query_opt(
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .map_err(Error::query(format!("looking up database {name:?}")))?;
    Ok(row.map(|row| row.get(0)))
}

async fn installed_extensions(client: &Client) -> Result<Vec<String>, Error> {
    let rows = client
        .query("SELECT extname::text FROM pg_extension ORDER BY 1", &[])
        .await
        .map_err(Error::query("listing extensions"))?;
    Ok(rows.into_iter().map(|row| row.get(0)).collect())
}

pub(crate) async fn list_user_tables(client: &Client) -> Result<Vec<String>, Error> {
    const QUERY: &str = "
        SELECT n.nspname::text || '.' || c.relname::text
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')
          AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%'
          AND n.nspname NOT LIKE 'pg\\_temp\\_%'
          AND NOT EXISTS (
              SELECT 1 FROM pg_depend d
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 1";
    let rows = client
        .query(QUERY, &[])
        .await
        .map_err(Error::query("listing user tables"))?;
    Ok(rows.into_iter().map(|row| row.get(0)).collect())
}

/// A concurrent `CREATE DATABASE` of the same name got there first.
fn lost_create_race(error: &tokio_postgres::Error) -> bool {
    // 42P04 normally; 23505 when both passed the existence check in the same instant.
    matches!(
        error.code(),
        Some(&SqlState::DUPLICATE_DATABASE) | Some(&SqlState::UNIQUE_VIOLATION)
    )
}
