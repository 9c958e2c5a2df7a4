//! The verification probe: what an operator would check by hand, against the real server.

use oceanid_core::postgres::{
    DatabaseSpec, PgUrl, SslMode, VerifyOptions, VerifyReport, check, connect, ensure_database,
    user_tables, verify,
};
use secrecy::SecretString;

use super::{PASSWORD_PREFIX, new_role, server, superuser, unique};

/// A role, a database it owns, and the owner's URL for it (`sslmode=require`).
async fn owned_database(prefix: &str) -> (String, String, PgUrl) {
    let pg = server().await;
    let (owner, password, url) = new_role(pg, &format!("r_{prefix}")).await;
    let name = unique(&format!("db_{prefix}"));
    ensure_database(
        &superuser(pg),
        &DatabaseSpec {
            name: name.clone(),
            owner: owner.clone(),
            extensions: vec![],
        },
    )
    .await
    .unwrap();
    let url = url.with_database(&name);
    (name, password, url)
}

/// Every way a report can be shown.
fn renderings(report: &VerifyReport) -> Vec<String> {
    vec![
        serde_json::to_string(report).unwrap(),
        format!("{report:?}"),
        report.failure_summary(),
    ]
}

#[tokio::test]
async fn all_checks_pass_for_the_owner() {
    let (name, password, url) = owned_database("vok").await;
    let report = verify(&url, &VerifyOptions::default()).await;
    assert!(report.ok(), "{}", report.failure_summary());
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            check::CONNECT,
            check::SERVER_VERSION,
            check::CURRENT_DATABASE,
            check::CURRENT_USER,
            check::TLS,
            check::TABLES,
            check::WRITE
        ]
    );
    assert_eq!(report.database.as_deref(), Some(name.as_str()));
    assert_eq!(report.user.as_deref(), Some(url.user()));
    assert!(report.server_version.as_deref().unwrap().starts_with("15"));
    assert!(report.tls);
    assert!(report.tls_version.as_deref().unwrap().starts_with("TLSv1."));
    assert!(report.tables.is_empty());
    assert!(report.failures().is_empty());

    // The write round trip left nothing behind.
    assert!(user_tables(&url).await.unwrap().is_empty());

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["checks"][0]["name"], "connect");
    assert!(json["missingTables"].as_array().unwrap().is_empty());
    for text in renderings(&report) {
        assert!(!text.contains(&password), "{text}");
    }
}

#[tokio::test]
async fn verify_full_reports_a_verified_certificate() {
    let pg = server().await;
    let (_, _, url) = owned_database("vfull").await;
    let url = url
        .with_ssl_mode(SslMode::VerifyFull)
        .with_ca_pem(pg.ca_pem());
    let report = verify(&url, &VerifyOptions::default()).await;
    assert!(report.ok(), "{}", report.failure_summary());
    let tls = report.checks.iter().find(|c| c.name == check::TLS).unwrap();
    assert!(tls.detail.contains("verified"), "{}", tls.detail);
}

#[tokio::test]
async fn a_wrong_password_is_a_failed_check_with_the_servers_reason() {
    let (_, password, url) = owned_database("vpw").await;
    let wrong = format!("{PASSWORD_PREFIX}wrong-one");
    let url = url.with_credentials(url.user().to_owned(), SecretString::from(wrong.clone()));
    let report = verify(&url, &VerifyOptions::default()).await;
    assert!(!report.ok());
    assert_eq!(
        report.checks.len(),
        1,
        "nothing else can run without a login"
    );
    let failed = report.failures();
    assert_eq!(failed[0].name, check::CONNECT);
    assert!(
        failed[0].detail.contains("password authentication failed"),
        "{}",
        failed[0].detail
    );
    assert!(report.database.is_none() && report.user.is_none());
    for text in renderings(&report) {
        assert!(!text.contains(&wrong), "{text}");
        assert!(!text.contains(&password), "{text}");
        assert!(!text.contains(PASSWORD_PREFIX), "{text}");
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_failed_check() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = PgUrl::parse(&format!(
        "postgres://app:Quokka-pw@127.0.0.1:{port}/app?sslmode=require"
    ))
    .unwrap();
    let report = verify(&url, &VerifyOptions::default()).await;
    assert!(!report.ok());
    assert_eq!(report.failures()[0].name, check::CONNECT);
    assert!(
        report.failure_summary().contains("refused"),
        "{}",
        report.failure_summary()
    );
    assert!(!format!("{report:?}").contains("Quokka-pw"));
}

#[tokio::test]
async fn expected_tables_that_are_missing_are_listed() {
    let (_, _, url) = owned_database("vtables").await;
    connect(&url)
        .await
        .unwrap()
        .client
        .batch_execute("CREATE TABLE public.present (id int)")
        .await
        .unwrap();
    let opts = VerifyOptions {
        expect_tables: vec!["present".into(), "absent".into(), "app.other".into()],
        ..VerifyOptions::default()
    };
    let report = verify(&url, &opts).await;
    assert!(!report.ok());
    assert_eq!(report.tables, ["public.present"]);
    assert_eq!(report.missing_tables, ["absent", "app.other"]);
    let failed: Vec<&str> = report.failures().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, [check::TABLES]);
    assert!(report.failure_summary().contains("absent, app.other"));
}

#[tokio::test]
async fn a_role_that_cannot_write_fails_the_write_check() {
    let pg = server().await;
    let (name, _, _) = owned_database("vro").await;
    // Another role may connect (CONNECT is granted to PUBLIC) but not create in `public`.
    let (_, _, reader) = new_role(pg, "r_reader").await;
    let reader = reader.with_database(&name);
    let report = verify(&reader, &VerifyOptions::default()).await;
    let failed: Vec<&str> = report.failures().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(failed, [check::WRITE]);
    assert!(
        report
            .failure_summary()
            .contains("permission denied for schema public"),
        "{}",
        report.failure_summary()
    );

    let read_only = VerifyOptions {
        write: false,
        ..VerifyOptions::default()
    };
    assert!(verify(&reader, &read_only).await.ok());
}

#[tokio::test]
async fn a_url_naming_another_database_is_caught() {
    // libpq's default database is the user's name; with no such database the login fails.
    let (_, _, url) = owned_database("vdb").await;
    let url = PgUrl::parse(
        &url.expose_secret()
            .replace(&format!("/{}", url.database()), ""),
    )
    .unwrap();
    let report = verify(&url, &VerifyOptions::default()).await;
    assert!(!report.ok());
    assert!(
        report.failure_summary().contains("does not exist"),
        "{}",
        report.failure_summary()
    );
}
