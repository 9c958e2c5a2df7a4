//! ensure_database, database_info, user_tables and drop_database against the real server.

use oceanid_core::postgres::{
    DatabaseSpec, Dropped, Error, UserObject, connect, create_database, database_info,
    drop_database, ensure_database, marked_databases_with_data, user_objects, user_tables,
};

use super::{new_role, server, superuser, unique};

fn spec(name: &str, owner: &str, extensions: &[&str]) -> DatabaseSpec {
    DatabaseSpec {
        name: name.to_owned(),
        owner: owner.to_owned(),
        extensions: extensions.iter().map(|e| (*e).to_owned()).collect(),
    }
}

#[tokio::test]
async fn creates_a_database_once() {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_create").await;
    let name = unique("db_create");
    let su = superuser(pg);

    assert_eq!(database_info(&su, &name).await.unwrap(), None);
    let first = ensure_database(&su, &spec(&name, &owner, &[]))
        .await
        .unwrap();
    assert!(first.created);
    assert!(!first.owner_changed);
    let again = ensure_database(&su, &spec(&name, &owner, &[]))
        .await
        .unwrap();
    assert!(!again.created && !again.owner_changed && again.extensions_created.is_empty());

    let info = database_info(&su, &name).await.unwrap().expect("exists");
    assert_eq!(info.name, name);
    assert_eq!(info.owner, owner);
    assert!(info.extensions.is_empty(), "{:?}", info.extensions);
}

#[tokio::test]
async fn concurrent_creates_agree() {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_race").await;
    let name = unique("db_race");
    let su = superuser(pg);
    let wanted = spec(&name, &owner, &[]);
    let (a, b, c) = tokio::join!(
        ensure_database(&su, &wanted),
        ensure_database(&su, &wanted),
        ensure_database(&su, &wanted)
    );
    let created = [a.unwrap(), b.unwrap(), c.unwrap()]
        .iter()
        .filter(|e| e.created)
        .count();
    assert_eq!(created, 1);
}

#[tokio::test]
async fn changes_the_owner_in_place() {
    let pg = server().await;
    let (first, _, _) = new_role(pg, "r_owner_a").await;
    let (second, _, second_url) = new_role(pg, "r_owner_b").await;
    let name = unique("db_owner");
    let su = superuser(pg);
    ensure_database(&su, &spec(&name, &first, &[]))
        .await
        .unwrap();
    let changed = ensure_database(&su, &spec(&name, &second, &[]))
        .await
        .unwrap();
    assert!(!changed.created);
    assert!(changed.owner_changed);
    assert_eq!(
        database_info(&su, &name).await.unwrap().unwrap().owner,
        second
    );

    // The new owner owns `public` too (PostgreSQL 15's pg_database_owner), so it can create.
    let client = connect(&second_url.with_database(&name))
        .await
        .unwrap()
        .client;
    client
        .batch_execute("CREATE TABLE public.t (id int)")
        .await
        .expect("the new owner can create in public");
}

#[tokio::test]
async fn creates_extensions() {
    let pg = server().await;
    let su = superuser(pg);
    let available: Vec<String> = connect(&su)
        .await
        .unwrap()
        .client
        .query(
            "SELECT name::text FROM pg_available_extensions WHERE name IN ('pgcrypto', 'citext')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        available.len(),
        2,
        "the stock install ships pgcrypto and citext"
    );

    let (owner, _, _) = new_role(pg, "r_ext").await;
    let name = unique("db_ext");
    let ensured = ensure_database(
        &su,
        &spec(&name, &owner, &["pgcrypto", "citext", "pgcrypto"]),
    )
    .await
    .unwrap();
    assert!(ensured.created);
    assert_eq!(ensured.extensions_created, ["pgcrypto", "citext"]);
    let again = ensure_database(&su, &spec(&name, &owner, &["citext"]))
        .await
        .unwrap();
    assert!(again.extensions_created.is_empty());
    let info = database_info(&su, &name).await.unwrap().unwrap();
    assert_eq!(info.extensions, ["citext", "pgcrypto"]);

    // Extension tables do not count as user data (none here, but the filter runs).
    assert!(
        user_tables(&su.with_database(&name))
            .await
            .unwrap()
            .is_empty()
    );

    let error = ensure_database(&su, &spec(&name, &owner, &["no_such_extension"]))
        .await
        .expect_err("unknown extension");
    let text = error.to_string();
    assert!(text.contains("\"no_such_extension\""), "{text}");
    assert!(
        text.contains("not available") || text.contains("could not open"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_owner_is_named() {
    let pg = server().await;
    let name = unique("db_noowner");
    let error = ensure_database(&superuser(pg), &spec(&name, "nobody_here", &[]))
        .await
        .expect_err("no such role");
    assert!(matches!(error, Error::MissingOwner { .. }), "{error}");
    let text = error.to_string();
    assert!(text.contains("\"nobody_here\""), "{text}");
    assert!(
        database_info(&superuser(pg), &name)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn rejects_unusable_names_before_touching_the_server() {
    let pg = server().await;
    let su = superuser(pg);
    for (name, owner) in [("", "postgres"), ("ok", ""), (&*"d".repeat(64), "postgres")] {
        let error = ensure_database(&su, &spec(name, owner, &[]))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InvalidIdentifier { .. }), "{error}");
    }
    let error = drop_database(&su, "a\0b", true).await.unwrap_err();
    assert!(matches!(error, Error::InvalidIdentifier { .. }), "{error}");
}

#[tokio::test]
async fn names_are_quoted_safely() {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_quote").await;
    let name = unique("My \"Odd\" DB; DROP DATABASE postgres; --");
    let su = superuser(pg);
    assert!(
        ensure_database(&su, &spec(&name, &owner, &[]))
            .await
            .unwrap()
            .created
    );
    assert_eq!(database_info(&su, &name).await.unwrap().unwrap().name, name);
    assert!(matches!(
        drop_database(&su, &name, false).await.unwrap(),
        Dropped::Dropped { .. }
    ));
    assert!(database_info(&su, "postgres").await.unwrap().is_some());
}

#[tokio::test]
async fn drop_refuses_data_unless_forced() {
    let pg = server().await;
    let (owner, _, owner_url) = new_role(pg, "r_drop").await;
    let name = unique("db_drop");
    let su = superuser(pg);
    ensure_database(&su, &spec(&name, &owner, &[]))
        .await
        .unwrap();

    let app = connect(&owner_url.with_database(&name))
        .await
        .unwrap()
        .client;
    app.batch_execute(
        "CREATE TABLE public.keep (note text); INSERT INTO public.keep VALUES ('precious');
         CREATE SCHEMA app; CREATE TABLE app.events (id int);
         CREATE TABLE public.parted (id int) PARTITION BY RANGE (id);
         CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES FROM (0) TO (10);",
    )
    .await
    .unwrap();

    let tables = user_tables(&owner_url.with_database(&name)).await.unwrap();
    assert_eq!(tables, ["app.events", "public.keep", "public.parted"]);

    let error = drop_database(&su, &name, false)
        .await
        .expect_err("must refuse");
    let text = error.to_string();
    match &error {
        Error::HoldsUserData { database, objects } => {
            assert_eq!(database, &name);
            assert_eq!(table_names(objects), tables);
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(text.contains("forceDestroy: true"), "{text}");
    assert!(text.contains("public.keep"), "{text}");

    // Nothing was lost: the session still works and the row is there.
    let note: String = app
        .query_one("SELECT note FROM public.keep", &[])
        .await
        .expect("the database is untouched")
        .get(0);
    assert_eq!(note, "precious");

    // Forced: dropped, even with the owner still connected.
    let dropped = drop_database(&su, &name, true).await.unwrap();
    let Dropped::Dropped { objects } = dropped else {
        panic!("not dropped: {dropped:?}")
    };
    assert_eq!(table_names(&objects), tables);
    assert!(database_info(&su, &name).await.unwrap().is_none());
    assert_eq!(
        drop_database(&su, &name, false).await.unwrap(),
        Dropped::AlreadyGone
    );
}

#[tokio::test]
async fn an_empty_database_drops_without_force() {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_empty").await;
    let name = unique("db_empty");
    let su = superuser(pg);
    ensure_database(&su, &spec(&name, &owner, &["pgcrypto"]))
        .await
        .unwrap();
    assert_eq!(
        drop_database(&su, &name, false).await.unwrap(),
        Dropped::Dropped { objects: vec![] }
    );
}

#[tokio::test]
async fn the_maintenance_database_can_be_the_target() {
    // The superuser URL names the database being created: the statements run from `postgres`.
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_self").await;
    let name = unique("db_self");
    let su = superuser(pg).with_database(&name);
    assert!(
        ensure_database(&su, &spec(&name, &owner, &[]))
            .await
            .unwrap()
            .created
    );
    assert!(matches!(
        drop_database(&su, &name, false).await.unwrap(),
        Dropped::Dropped { .. }
    ));
}

/// Runs `sql` as the superuser inside the database `name`.
async fn run_in(su: &oceanid_core::postgres::PgUrl, name: &str, sql: &str) {
    connect(&su.with_database(name))
        .await
        .unwrap()
        .client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn table_names(objects: &[UserObject]) -> Vec<String> {
    objects
        .iter()
        .filter(|o| o.kind == "table")
        .map(|o| o.name.clone())
        .collect()
}

/// A fresh database with the extensions pgcrypto and citext (extension objects are no data),
/// and a superuser session inside it.
async fn database_with_extensions(prefix: &str) -> (String, tokio_postgres::Client) {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_guard").await;
    let name = unique(prefix);
    let su = superuser(pg);
    ensure_database(&su, &spec(&name, &owner, &["pgcrypto", "citext"]))
        .await
        .unwrap();
    let inside = connect(&su.with_database(&name)).await.unwrap().client;
    (name, inside)
}

#[tokio::test]
async fn an_empty_database_with_only_extensions_holds_no_user_data() {
    let (name, _inside) = database_with_extensions("db_guard_empty").await;
    let su = superuser(server().await);
    assert_eq!(
        user_objects(&su.with_database(&name)).await.unwrap(),
        Vec::<UserObject>::new()
    );
    assert_eq!(
        drop_database(&su, &name, false).await.unwrap(),
        Dropped::Dropped { objects: vec![] }
    );
}

#[tokio::test]
async fn the_guard_refuses_every_kind_of_user_data() {
    // One database per kind: each alone must stop the drop, and be named in the error.
    let cases: &[(&str, &str, &str)] = &[
        (
            "large object",
            "SELECT lo_from_bytea(0, 'precious'::bytea)",
            "",
        ),
        (
            "view",
            "CREATE VIEW public.v AS SELECT 1 AS one",
            "public.v",
        ),
        (
            "function",
            "CREATE FUNCTION public.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x'",
            "public.f(x integer)",
        ),
        (
            "procedure",
            "CREATE PROCEDURE public.p() LANGUAGE sql AS 'SELECT 1'",
            "public.p()",
        ),
        (
            "type",
            "CREATE TYPE public.mood AS ENUM ('ok')",
            "public.mood",
        ),
        (
            "type",
            "CREATE TYPE public.pair AS (a int, b int)",
            "public.pair",
        ),
        (
            "domain",
            "CREATE DOMAIN public.posint AS int CHECK (VALUE > 0)",
            "public.posint",
        ),
        ("sequence", "CREATE SEQUENCE public.s", "public.s"),
        ("schema", "CREATE SCHEMA empty_app", "empty_app"),
        (
            "materialized view",
            "CREATE MATERIALIZED VIEW public.mv AS SELECT 1 AS one",
            "public.mv",
        ),
        (
            "table",
            "CREATE SCHEMA hidden; CREATE TABLE hidden.t (x int); INSERT INTO hidden.t VALUES (1)",
            "hidden.t",
        ),
        (
            "collation",
            "CREATE COLLATION public.c_copy (locale = 'C')",
            "public.c_copy",
        ),
        (
            "text search configuration",
            "CREATE TEXT SEARCH CONFIGURATION public.ts (COPY = pg_catalog.simple)",
            "public.ts",
        ),
        // A user's table attached to an extension (ALTER EXTENSION … ADD) outside the
        // extension's own schema is still the user's data.
        (
            "table",
            "CREATE SCHEMA attached; CREATE TABLE attached.t (x int);
             ALTER EXTENSION citext ADD TABLE attached.t",
            "attached.t",
        ),
    ];
    let su = superuser(server().await);
    for (kind, sql, object) in cases {
        let (name, inside) = database_with_extensions("db_guard").await;
        inside
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let found = user_objects(&su.with_database(&name)).await.unwrap();
        assert!(
            found
                .iter()
                .any(|o| o.kind == *kind && (object.is_empty() || o.name == *object)),
            "{sql}: {found:?}"
        );
        let error = drop_database(&su, &name, false)
            .await
            .expect_err("must refuse");
        let text = error.to_string();
        assert!(matches!(error, Error::HoldsUserData { .. }), "{text}");
        assert!(text.contains(&format!("1 {kind}")), "{sql}: {text}");
        assert!(text.contains(object), "{sql}: {text}");
        assert!(text.contains("forceDestroy: true"), "{text}");
        assert!(database_info(&su, &name).await.unwrap().is_some());
        assert!(matches!(
            drop_database(&su, &name, true).await.unwrap(),
            Dropped::Dropped { objects } if !objects.is_empty()
        ));
    }
}

#[tokio::test]
async fn tables_stand_for_their_partitions_indexes_and_serial_sequences() {
    let (name, inside) = database_with_extensions("db_guard_parts").await;
    inside
        .batch_execute(
            "CREATE TABLE public.t (id serial PRIMARY KEY, v text);
             CREATE INDEX ON public.t (v);
             CREATE TABLE public.p (id int) PARTITION BY RANGE (id);
             CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (9);",
        )
        .await
        .unwrap();
    let found = user_objects(&superuser(server().await).with_database(&name))
        .await
        .unwrap();
    let names: Vec<(&str, &str)> = found
        .iter()
        .map(|o| (o.kind.as_str(), o.name.as_str()))
        .collect();
    assert_eq!(names, [("table", "public.p"), ("table", "public.t")]);
}

const MARKER: &str = "managed by test urn:a";

#[tokio::test]
async fn create_refuses_a_database_it_did_not_make() {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_takeover").await;
    let su = superuser(pg);
    let admin = connect(&su).await.unwrap().client;

    // Someone else's: another owner.
    let name = unique("db_theirs");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\" OWNER postgres"))
        .await
        .unwrap();
    let error = create_database(&su, &spec(&name, &owner, &[]), MARKER)
        .await
        .expect_err("not ours");
    assert!(matches!(error, Error::AlreadyExists { .. }), "{error}");
    assert!(
        error.to_string().contains("owned by \"postgres\""),
        "{error}"
    );
    assert_eq!(
        database_info(&su, &name).await.unwrap().unwrap().owner,
        "postgres",
        "the owner was not changed"
    );

    // Same owner, but it holds data.
    let name = unique("db_theirs_data");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\" OWNER \"{owner}\""))
        .await
        .unwrap();
    run_in(&su, &name, "SELECT lo_from_bytea(0, 'x'::bytea)").await;
    let error = create_database(&su, &spec(&name, &owner, &[]), MARKER)
        .await
        .expect_err("not ours");
    assert!(error.to_string().contains("1 large object"), "{error}");

    // Marked by another resource.
    let name = unique("db_theirs_marked");
    create_database(&su, &spec(&name, &owner, &[]), "managed by test urn:b")
        .await
        .unwrap();
    let error = create_database(&su, &spec(&name, &owner, &[]), MARKER)
        .await
        .expect_err("not ours");
    assert!(
        error.to_string().contains("not this resource's mark"),
        "{error}"
    );
}

#[tokio::test]
async fn a_retried_create_resumes_its_own_database() {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_resume").await;
    let su = superuser(pg);
    let name = unique("db_resume");
    assert!(
        create_database(&su, &spec(&name, &owner, &[]), MARKER)
            .await
            .unwrap()
            .created
    );
    // Retried (the answer was lost): the mark says it is ours, even with data in it now.
    run_in(&su, &name, "CREATE TABLE public.t (x int)").await;
    let again = create_database(&su, &spec(&name, &owner, &["pgcrypto"]), MARKER)
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.extensions_created, ["pgcrypto"]);

    // CREATE DATABASE committed but the connection died before the mark: an unmarked, empty
    // database of the declared owner is resumed, and marked.
    let name = unique("db_resume_unmarked");
    connect(&su)
        .await
        .unwrap()
        .client
        .batch_execute(&format!("CREATE DATABASE \"{name}\" OWNER \"{owner}\""))
        .await
        .unwrap();
    assert!(
        !create_database(&su, &spec(&name, &owner, &[]), MARKER)
            .await
            .unwrap()
            .created
    );
    let comment: Option<String> = connect(&su)
        .await
        .unwrap()
        .client
        .query_one(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(comment.as_deref(), Some(MARKER));
}

#[tokio::test]
async fn a_replacement_finds_the_marked_database_that_holds_data() {
    let pg = server().await;
    let (owner, _, _) = new_role(pg, "r_rename").await;
    let su = superuser(pg);
    let marker = format!("managed by test urn:{}", unique("rename"));
    let old = unique("db_rename_old");
    create_database(&su, &spec(&old, &owner, &[]), &marker)
        .await
        .unwrap();
    let new = unique("db_rename_new");
    // Empty: nothing stands in the way.
    assert!(
        marked_databases_with_data(&su, &marker, &new)
            .await
            .unwrap()
            .is_empty()
    );
    run_in(&su, &old, "CREATE TABLE public.keep (x int)").await;
    let found = marked_databases_with_data(&su, &marker, &new)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, old);
    assert_eq!(table_names(&found[0].1), ["public.keep"]);
    // The database being created is never its own obstacle (a retried create).
    assert!(
        marked_databases_with_data(&su, &marker, &old)
            .await
            .unwrap()
            .is_empty()
    );
}
