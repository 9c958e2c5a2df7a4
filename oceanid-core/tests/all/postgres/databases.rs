//! ensure_database, database_info, user_tables and drop_database against the real server.

use oceanid_core::postgres::{
    DatabaseSpec, Dropped, Error, connect, database_info, drop_database, ensure_database,
    user_tables,
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
        Error::HasUserTables {
            database,
            tables: listed,
        } => {
            assert_eq!(database, &name);
            assert_eq!(listed, &tables);
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
    assert_eq!(dropped, Dropped::Dropped { tables });
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
        Dropped::Dropped { tables: vec![] }
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
