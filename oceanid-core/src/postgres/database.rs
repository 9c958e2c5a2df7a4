//! Databases inside a cluster: create, inspect and drop them over SQL as the superuser.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::identifier::quote_identifier;
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
    /// The database was dropped, with these user tables in it.
    Dropped {
        /// The user tables that went with it (only with `force_destroy`).
        tables: Vec<String>,
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
/// `CREATE EXTENSION IF NOT EXISTS … CASCADE` for each missing extension.
///
/// # Errors
/// [`Error::InvalidIdentifier`] for an unusable name, [`Error::MissingOwner`] when the owner role
/// does not exist, [`Error::Connect`]/[`Error::ConnectTimeout`], and [`Error::Query`] with the
/// server's reason (for instance an extension that is not available on the server).
pub async fn ensure_database(superuser: &PgUrl, spec: &DatabaseSpec) -> Result<Ensured, Error> {
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
        Some(current) => Some(current),
        None => {
            // CREATE DATABASE cannot run inside a transaction: a simple statement of its own.
            match admin
                .batch_execute(&format!("CREATE DATABASE {name} OWNER {owner}"))
                .await
            {
                Ok(()) => {
                    ensured.created = true;
                    tracing::info!(database = %spec.name, owner = %spec.owner, "created database");
                    None
                }
                Err(e) if lost_create_race(&e) => database_owner(&admin, &spec.name).await?,
                Err(e) => return Err(Error::query(format!("creating database {name}"))(e)),
            }
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

/// Drops the database `name`, unless it holds user tables and `force_destroy` is false.
///
/// The check connects to the database as the superuser and lists its tables (see
/// [`user_tables`]); the drop is `DROP DATABASE … WITH (FORCE)`, which ends open sessions. An
/// absent database is [`Dropped::AlreadyGone`].
///
/// # Errors
/// [`Error::HasUserTables`] (listing them) when data would be lost without `force_destroy`;
/// [`Error::InvalidIdentifier`], [`Error::Connect`]/[`Error::ConnectTimeout`] and
/// [`Error::Query`] otherwise.
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
    let tables = {
        let inside = connect(&superuser.with_database(name)).await?.client;
        list_user_tables(&inside).await?
    };
    if !tables.is_empty() && !force_destroy {
        return Err(Error::HasUserTables {
            database: name.to_owned(),
            tables,
        });
    }
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        .await
        .map_err(Error::query(format!("dropping database {quoted}")))?;
    tracing::info!(database = %name, tables = tables.len(), "dropped database");
    Ok(Dropped::Dropped { tables })
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
