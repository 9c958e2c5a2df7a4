//! What user data a database holds: the inventory the drop guard refuses on.
//!
//! "User data" is every object a user could have put data or work into, in any schema but
//! `pg_catalog`, `information_schema` and the toast and temporary schemas:
//! - relations of every kind: tables and partitioned tables (a partition is stood for by its
//!   parent), views, materialized views, sequences (except those owned by a table column,
//!   which the table stands for), foreign tables, and composite types;
//! - large objects (`pg_largeobject_metadata`), which live outside any schema;
//! - schemas other than `public`, functions, procedures, aggregates, types, domains,
//!   operators, operator classes, collations, conversions and text search configurations and
//!   dictionaries.
//!
//! An object an extension installed (a `pg_depend` entry of type `e`) is not user data, when it
//! lies in the extension's own schema or in a schema the extension itself made. An object a user
//! attached to an extension with `ALTER EXTENSION … ADD` elsewhere (say a table in schema `app`
//! added to `pgcrypto`, which lives in `public`) still counts. What this cannot see: an object a
//! user attached to an extension *inside that extension's own schema* (indistinguishable from one
//! the extension installed without its install script, which the server does not keep).
//!
//! Not counted, because they hold no data and go with the database without loss of anything
//! that cannot be recreated from code: indexes (their table stands for them), triggers, rules,
//! policies and statistics objects (on a table that is counted), publications, subscriptions,
//! event triggers, casts, foreign servers and user mappings, and default privileges.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::Error;

/// How many names per kind a summary shows before it says how many more there are.
const NAMES_SHOWN: usize = 5;

/// One object of user data in a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserObject {
    /// What it is, singular: `table`, `view`, `materialized view`, `sequence`, `foreign table`,
    /// `large object`, `schema`, `function`, `procedure`, `aggregate`, `type`, `domain`,
    /// `operator`, `operator class`, `collation`, `conversion`, `text search configuration`,
    /// `text search dictionary`.
    pub kind: String,
    /// Its schema-qualified name (`public.notes`, `app.slugify(text)`), or a large object's oid.
    pub name: String,
}

/// Whether an object (of catalog `$class`, oid `$oid`, in namespace `$ns`) was installed by an
/// extension: a member of it, in the extension's schema or in a schema the extension made.
const EXTENSION_OWNED: &str = "EXISTS (
    SELECT 1 FROM ext_members m
    WHERE m.classid = $class::regclass AND m.objid = $oid
      AND (m.extnamespace = $ns OR EXISTS (
          SELECT 1 FROM ext_members s
          WHERE s.classid = 'pg_namespace'::regclass AND s.objid = $ns AND s.extoid = m.extoid)))";

/// Schemas that are never user data.
const USER_SCHEMA: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%'
      AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

fn extension_owned(class: &str, oid: &str, ns: &str) -> String {
    EXTENSION_OWNED
        .replace("$class", &format!("'{class}'"))
        .replace("$oid", oid)
        .replace("$ns", ns)
}

/// The inventory query: `(rank, kind, name)` rows for every object of user data.
fn inventory_query() -> String {
    let mut parts = vec![format!(
        "SELECT 1, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
                 WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                 WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'type' END,
                n.nspname::text || '.' || c.relname::text
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND NOT c.relispartition
           AND {USER_SCHEMA}
           AND NOT {}
           AND NOT (c.relkind = 'c' AND {})
           AND NOT (c.relkind = 'S' AND EXISTS (
               SELECT 1 FROM pg_depend d
               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))",
        extension_owned("pg_class", "c.oid", "n.oid"),
        extension_owned("pg_type", "c.reltype", "n.oid"),
    )];
    parts.push("SELECT 2, 'large object', m.oid::text FROM pg_largeobject_metadata m".to_owned());
    parts.push(format!(
        "SELECT 3, 'schema', n.nspname::text FROM pg_namespace n
         WHERE {USER_SCHEMA} AND n.nspname <> 'public'
           AND NOT EXISTS (SELECT 1 FROM ext_members s
                           WHERE s.classid = 'pg_namespace'::regclass AND s.objid = n.oid)"
    ));
    parts.push(format!(
        "SELECT 4, CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                 ELSE 'function' END,
                n.nspname::text || '.' || p.proname::text
                    || '(' || pg_get_function_identity_arguments(p.oid) || ')'
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE {USER_SCHEMA} AND NOT {}",
        extension_owned("pg_proc", "p.oid", "n.oid"),
    ));
    // Types made implicitly (arrays, multiranges, row types of relations) depend internally on
    // what made them; composite types are listed with the relations.
    parts.push(format!(
        "SELECT 5, CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END,
                n.nspname::text || '.' || t.typname::text
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
         WHERE {USER_SCHEMA} AND t.typtype IN ('b', 'd', 'e', 'r')
           AND NOT EXISTS (SELECT 1 FROM pg_depend d
                           WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                             AND d.deptype = 'i')
           AND NOT {}",
        extension_owned("pg_type", "t.oid", "n.oid"),
    ));
    for (rank, kind, catalog, name, namespace) in [
        (6, "operator", "pg_operator", "oprname", "oprnamespace"),
        (7, "operator class", "pg_opclass", "opcname", "opcnamespace"),
        (8, "collation", "pg_collation", "collname", "collnamespace"),
        (9, "conversion", "pg_conversion", "conname", "connamespace"),
        (
            10,
            "text search configuration",
            "pg_ts_config",
            "cfgname",
            "cfgnamespace",
        ),
        (
            11,
            "text search dictionary",
            "pg_ts_dict",
            "dictname",
            "dictnamespace",
        ),
    ] {
        parts.push(format!(
            "SELECT {rank}, '{kind}', n.nspname::text || '.' || o.{name}::text
             FROM {catalog} o JOIN pg_namespace n ON n.oid = o.{namespace}
             WHERE {USER_SCHEMA} AND NOT {}",
            extension_owned(catalog, "o.oid", "n.oid"),
        ));
    }
    format!(
        "WITH ext_members AS (
             SELECT d.classid, d.objid, e.oid AS extoid, e.extnamespace
             FROM pg_depend d
             JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
             WHERE d.deptype = 'e')
         SELECT kind, name FROM ({}) AS found(rank, kind, name)
         ORDER BY rank, kind, name",
        parts.join("\n UNION ALL\n")
    )
}

/// Every object of user data in the database `client` is connected to (see the module
/// documentation for what counts), grouped by kind and sorted by name within a kind.
///
/// # Errors
/// [`Error::Query`] when the catalogs cannot be read.
pub(crate) async fn list_user_objects(client: &Client) -> Result<Vec<UserObject>, Error> {
    let rows = client
        .query(&inventory_query(), &[])
        .await
        .map_err(Error::query("listing the user data in the database"))?;
    Ok(rows
        .into_iter()
        .map(|row| UserObject {
            kind: row.get(0),
            name: row.get(1),
        })
        .collect())
}

/// `2 tables (app.events, public.keep), 1 large object (16385)`: a count per kind, in the
/// inventory's order, with up to five names each.
pub fn summarize(objects: &[UserObject]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for object in objects {
        match groups.iter_mut().find(|(kind, _)| *kind == object.kind) {
            Some((_, names)) => names.push(&object.name),
            None => groups.push((&object.kind, vec![&object.name])),
        }
    }
    groups
        .iter()
        .map(|(kind, names)| {
            let mut shown = names
                .iter()
                .take(NAMES_SHOWN)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > NAMES_SHOWN {
                shown.push_str(&format!(", and {} more", names.len() - NAMES_SHOWN));
            }
            format!("{} {} ({shown})", names.len(), plural(kind, names.len()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(kind: &str, count: usize) -> String {
    if count == 1 {
        kind.to_owned()
    } else if kind.ends_with('s') {
        format!("{kind}es")
    } else {
        format!("{kind}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: &str, name: &str) -> UserObject {
        UserObject {
            kind: kind.into(),
            name: name.into(),
        }
    }

    #[test]
    fn summaries_count_each_kind_and_shorten_long_lists() {
        let mut objects: Vec<UserObject> = (0..7)
            .map(|i| object("table", &format!("public.t{i}")))
            .collect();
        objects.push(object("large object", "16385"));
        objects.push(object("operator class", "app.c1"));
        objects.push(object("operator class", "app.c2"));
        assert_eq!(
            summarize(&objects),
            "7 tables (public.t0, public.t1, public.t2, public.t3, public.t4, and 2 more), \
             1 large object (16385), 2 operator classes (app.c1, app.c2)"
        );
        assert_eq!(summarize(&[]), "");
    }

    #[test]
    fn the_query_covers_every_catalog_it_names() {
        let query = inventory_query();
        for catalog in [
            "pg_class",
            "pg_largeobject_metadata",
            "pg_namespace",
            "pg_proc",
            "pg_type",
            "pg_operator",
            "pg_opclass",
            "pg_collation",
            "pg_conversion",
            "pg_ts_config",
            "pg_ts_dict",
        ] {
            assert!(query.contains(&format!("FROM {catalog}")), "{catalog}");
        }
        assert!(!query.contains('$'), "every placeholder is filled");
    }
}
