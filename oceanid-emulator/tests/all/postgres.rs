//! `--postgres auto` and `--postgres URL`: roles are real PostgreSQL roles, reachable over TLS
//! with the URIs the API returns, and rotating a password changes it on the server.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use oceanid_emulator::{EmulatorConfig, PostgresMode};
use reqwest::Method;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::json;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::harness::{API_KEY, cluster_body, start_with};

/// TLS that trusts only the team certificate from `GET /teams/{id}.pem`.
fn tls(ca_pem: &str) -> MakeRustlsConnect {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    MakeRustlsConnect::new(config)
}

/// Connects with a role URI and answers `current_user`.
async fn whoami(uri: &str, ca_pem: &str) -> Result<String, tokio_postgres::Error> {
    let config = tokio_postgres::Config::from_str(uri)?;
    assert_eq!(
        config.get_ssl_mode(),
        tokio_postgres::config::SslMode::Require
    );
    let (client, connection) = config.connect(tls(ca_pem)).await?;
    tokio::spawn(connection);
    let row = client.query_one("SELECT current_user::text", &[]).await?;
    Ok(row.get(0))
}

#[tokio::test]
async fn roles_are_real_and_rotation_works() {
    let env = start_with(EmulatorConfig {
        api_key: API_KEY.to_owned(),
        postgres: PostgresMode::Auto,
        provision_delay: Duration::from_millis(20),
        ..EmulatorConfig::default()
    })
    .await;
    let seed = env.emu.seed().clone();
    let cluster = env.api.get(&format!("/clusters/{}", seed.cluster_id)).await;
    assert_eq!(cluster.expect(200)["host"], "127.0.0.1");
    let pem = env.api.get(&format!("/teams/{}.pem", seed.team_id)).await;
    let ca = pem.text.clone();
    let roles = format!("/clusters/{}/roles", seed.cluster_id);

    // The superuser.
    let postgres = env.api.get(&format!("{roles}/postgres")).await;
    let uri = postgres.json["uri"].as_str().unwrap().to_owned();
    assert!(
        uri.starts_with("postgres://postgres:") && uri.ends_with("/postgres?sslmode=require"),
        "{uri}"
    );
    assert_eq!(whoami(&uri, &ca).await.unwrap(), "postgres");

    // application, then rotated.
    let app = env.api.get(&format!("{roles}/application")).await;
    let old_uri = app.json["uri"].as_str().unwrap().to_owned();
    assert_eq!(whoami(&old_uri, &ca).await.unwrap(), "application");
    let rotated = env
        .api
        .put(
            &format!("{roles}/application"),
            &json!({"rotate_password": true}),
        )
        .await;
    let new_uri = rotated.expect(201)["uri"].as_str().unwrap().to_owned();
    assert_ne!(new_uri, old_uri);
    assert_eq!(whoami(&new_uri, &ca).await.unwrap(), "application");
    let refused = whoami(&old_uri, &ca)
        .await
        .expect_err("the old password no longer works");
    assert!(
        refused.to_string().contains("password") || refused.as_db_error().is_some(),
        "{refused}"
    );

    // The account role.
    let user = env.api.call(Method::POST, &roles).send().await;
    let user_uri = user.expect(201)["uri"].as_str().unwrap().to_owned();
    assert_eq!(whoami(&user_uri, &ca).await.unwrap(), seed.account_role);

    // A new cluster points at the same server; role names share one password there.
    let second = env.api.create_cluster(&cluster_body(&env, "second")).await;
    let second_id = second["id"].as_str().unwrap();
    let second_app = env
        .api
        .get(&format!("/clusters/{second_id}/roles/application"))
        .await;
    assert_eq!(second_app.json["password"], rotated.json["password"]);
    assert_eq!(
        whoami(second_app.json["uri"].as_str().unwrap(), &ca)
            .await
            .unwrap(),
        "application"
    );

    // Deleting the account role drops it on the server once no cluster has it.
    env.api.delete(&format!("{roles}/user")).await.expect(200);
    assert!(whoami(&user_uri, &ca).await.is_err());

    // Reset drops the databases made since start and restores the seed roles.
    let (admin, connection) = tokio_postgres::Config::from_str(&uri)
        .unwrap()
        .connect(tls(&ca))
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute("CREATE DATABASE scratch")
        .await
        .unwrap();
    env.api
        .call(Method::POST, "/__emulator/reset")
        .send()
        .await
        .expect(200);
    let postgres = env.api.get(&format!("{roles}/postgres")).await;
    let uri = postgres.json["uri"].as_str().unwrap().to_owned();
    let (admin, connection) = tokio_postgres::Config::from_str(&uri)
        .unwrap()
        .connect(tls(&ca))
        .await
        .unwrap();
    tokio::spawn(connection);
    let scratch = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = 'scratch'", &[])
        .await
        .unwrap();
    assert!(
        scratch.is_none(),
        "reset drops the databases made since start"
    );
    let state = env.emu.state();
    assert_eq!(state["postgres_mode"], "auto");
    env.emu.shutdown().await;
}

#[tokio::test]
async fn an_existing_server_by_url() {
    let server = oceanid_emulator::postgres::EphemeralPostgres::start()
        .await
        .expect("PostgreSQL starts");
    let ca = server.ca_pem().to_owned();
    let url = server.superuser_url();
    let env = start_with(EmulatorConfig {
        api_key: API_KEY.to_owned(),
        postgres: PostgresMode::Url(url.clone()),
        postgres_ca_pem: Some(ca.clone()),
        ..EmulatorConfig::default()
    })
    .await;
    let seed = env.emu.seed().clone();
    // The team chain is the CA given for the external server, so clients can verify it.
    let chain = env.api.get(&format!("/teams/{}.pem", seed.team_id)).await;
    chain.expect(200);
    assert_eq!(chain.text, ca);
    let roles = format!("/clusters/{}/roles", seed.cluster_id);
    let cluster = env.api.get(&format!("/clusters/{}", seed.cluster_id)).await;
    assert_eq!(cluster.json["host"], server.host());

    // The URL's own user keeps the URL's password, so the emulator keeps its access.
    let postgres = env.api.get(&format!("{roles}/postgres")).await;
    let postgres_uri = postgres.json["uri"].as_str().unwrap().to_owned();
    assert_eq!(whoami(&postgres_uri, &ca).await.unwrap(), "postgres");
    let rotated = env
        .api
        .put(
            &format!("{roles}/postgres"),
            &json!({"rotate_password": true}),
        )
        .await;
    assert_eq!(rotated.expect(201)["uri"], postgres_uri.as_str());

    let app = env.api.get(&format!("{roles}/application")).await;
    let old = app.json["uri"].as_str().unwrap().to_owned();
    assert!(
        old.contains(&format!(
            "@{}:{}/postgres?sslmode=require",
            server.host(),
            server.port()
        )),
        "{old}"
    );
    assert_eq!(whoami(&old, &ca).await.unwrap(), "application");
    let rotated = env
        .api
        .put(
            &format!("{roles}/application"),
            &json!({"rotate_password": true}),
        )
        .await;
    let new = rotated.expect(201)["uri"].as_str().unwrap().to_owned();
    assert_eq!(whoami(&new, &ca).await.unwrap(), "application");
    assert!(whoami(&old, &ca).await.is_err());

    let user = env.api.call(Method::POST, &roles).send().await;
    let user_uri = user.expect(201)["uri"].as_str().unwrap().to_owned();
    assert_eq!(whoami(&user_uri, &ca).await.unwrap(), seed.account_role);
    env.api
        .call(Method::POST, "/__emulator/reset")
        .send()
        .await
        .expect(200);
    assert!(
        whoami(&user_uri, &ca).await.is_err(),
        "reset drops the account role"
    );
    assert_eq!(env.emu.state()["postgres_mode"], "url");
    env.emu.shutdown().await;

    // A URL that leads nowhere is a clear start error that does not print the password.
    let err = oceanid_emulator::Emulator::start(EmulatorConfig {
        postgres: PostgresMode::Url("postgres://postgres:s3cretPw@127.0.0.1:1/postgres".to_owned()),
        ..EmulatorConfig::default()
    })
    .await
    .expect_err("nothing listens on port 1");
    let message = err.to_string();
    assert!(message.contains("PostgreSQL"), "{message}");
    assert!(!message.contains("s3cretPw"), "{message}");
    server.stop().await.unwrap();
}
