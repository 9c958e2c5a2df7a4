//! The throwaway server itself: start/stop, TLS only, roles with scram passwords.

use std::time::Duration;

use oceanid_core::postgres::{Error, SslMode, connect};
use oceanid_emulator::postgres::EphemeralPostgres;
use secrecy::SecretString;

use super::{new_role, server, superuser, unique};

#[tokio::test]
async fn starts_serves_tls_and_stops() {
    let started = std::time::Instant::now();
    let pg = EphemeralPostgres::start().await.expect("start");
    eprintln!("started in {:?}", started.elapsed());
    assert_eq!(pg.host(), "127.0.0.1");
    assert!(pg.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));

    let connected = connect(&superuser(&pg)).await.expect("connect as postgres");
    assert!(connected.tls);
    let row = connected
        .client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .unwrap();
    assert!(row.get::<_, i32>(0) >= 150_000);
    drop(connected);

    let port = pg.port();
    pg.stop().await.expect("stop");
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
    assert!(refused.is_err(), "port {port} still accepts connections");
}

#[tokio::test]
async fn dropping_stops_the_server() {
    let pg = EphemeralPostgres::start().await.expect("start");
    let port = pg.port();
    drop(pg);
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
    assert!(refused.is_err(), "port {port} still accepts connections");
}

#[tokio::test]
async fn plain_tcp_is_refused() {
    let pg = server().await;
    let url = superuser(pg).with_ssl_mode(SslMode::Disable);
    let error = connect(&url)
        .await
        .expect_err("a non-TLS login must be refused");
    let text = error.to_string();
    assert!(matches!(error, Error::Connect { .. }), "{text}");
    assert!(text.contains("no pg_hba.conf entry"), "{text}");
    assert!(text.contains("no encryption"), "{text}");
    assert!(!text.contains(&pg.superuser_url()), "{text}");
}

#[tokio::test]
async fn prefer_ends_up_encrypted() {
    let pg = server().await;
    let connected = connect(&superuser(pg).with_ssl_mode(SslMode::Prefer))
        .await
        .expect("connect");
    assert!(connected.tls);
}

#[tokio::test]
async fn verify_full_accepts_the_servers_ca() {
    let pg = server().await;
    for host in ["127.0.0.1", "localhost"] {
        let url = superuser(pg).expose_secret().replace("127.0.0.1", host);
        let url = oceanid_core::postgres::PgUrl::parse(&url)
            .unwrap()
            .with_ssl_mode(SslMode::VerifyFull)
            .with_ca_pem(pg.ca_pem());
        let connected = connect(&url).await.expect("verify-full");
        assert!(connected.tls);
    }
}

#[tokio::test]
async fn verify_ca_rejects_another_ca() {
    let pg = server().await;
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
        let url = superuser(pg)
            .with_ssl_mode(mode)
            .with_ca_pem(other.cert.pem());
        let error = connect(&url)
            .await
            .expect_err("a foreign CA must not verify");
        let text = error.to_string();
        assert!(
            text.contains("UnknownIssuer") || text.contains("unknown issuer"),
            "{mode}: {text}"
        );
        assert!(
            text.contains("must chain to the given CA certificate"),
            "{mode}: {text}"
        );
    }
    // The right CA verifies.
    let url = superuser(pg)
        .with_ssl_mode(SslMode::VerifyCa)
        .with_ca_pem(pg.ca_pem());
    assert!(connect(&url).await.expect("verify-ca").tls);
}

#[tokio::test]
async fn verify_full_refuses_a_host_name_the_certificate_does_not_carry() {
    // The same server reached as 127.0.0.2 (a relay on the loopback network): the chain is
    // right, the name is not one the certificate carries (127.0.0.1, localhost).
    let pg = server().await;
    let relay = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
    let relay_port = relay.local_addr().unwrap().port();
    let upstream = format!("{}:{}", pg.host(), pg.port());
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let relayed = oceanid_core::postgres::PgUrl::parse(&superuser(pg).expose_secret().replace(
        &format!("{}:{}", pg.host(), pg.port()),
        &format!("127.0.0.2:{relay_port}"),
    ))
    .unwrap();

    let url = relayed
        .with_ssl_mode(SslMode::VerifyFull)
        .with_ca_pem(pg.ca_pem());
    let error = connect(&url)
        .await
        .expect_err("the name is not the certificate's");
    let text = error.to_string();
    assert!(text.contains("not valid for name"), "{text}");
    assert!(
        text.contains("name the host \"127.0.0.2\"") && text.contains("/teams/{team_id}.pem"),
        "{text}"
    );
    // verify-ca does not check the name: the same relay passes, and proves the relay works.
    let url = relayed
        .with_ssl_mode(SslMode::VerifyCa)
        .with_ca_pem(pg.ca_pem());
    assert!(
        connect(&url)
            .await
            .expect("verify-ca through the relay")
            .tls
    );
}

#[tokio::test]
async fn a_closed_port_fails_quickly() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = oceanid_core::postgres::PgUrl::parse(&format!(
        "postgres://nobody:secret-Quokka@127.0.0.1:{port}/db?sslmode=require"
    ))
    .unwrap()
    .with_connect_timeout(Duration::from_secs(2));
    let error = connect(&url).await.expect_err("nothing listens there");
    let text = error.to_string();
    assert!(text.contains("refused"), "{text}");
    assert!(!text.contains("secret-Quokka"), "{text}");
}

#[tokio::test]
async fn roles_log_in_with_scram_and_can_be_updated_and_dropped() {
    let pg = server().await;
    let (name, password, url) = new_role(pg, "r_login").await;
    let connected = connect(&url).await.expect("log in as the new role");
    let row = connected
        .client
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), name);

    // The stored password is a scram verifier, never the plain text.
    let admin = connect(&superuser(pg)).await.unwrap().client;
    let stored: String = admin
        .query_one(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert!(stored.starts_with("SCRAM-SHA-256$"), "{stored}");
    assert!(!stored.contains(&password));

    // Idempotent, and a second call rotates the password.
    pg.ensure_role(&name, "rotated-Quokka", false)
        .await
        .unwrap();
    let old = connect(&url).await.expect_err("the old password is gone");
    assert!(
        old.to_string().contains("password authentication failed"),
        "{old}"
    );
    let new = url.with_credentials(&name, SecretString::from("rotated-Quokka"));
    connect(&new).await.expect("the new password works");

    pg.ensure_role(&name, "rotated-Quokka", true).await.unwrap();
    let superuser_flag: bool = admin
        .query_one("SELECT rolsuper FROM pg_roles WHERE rolname = $1", &[&name])
        .await
        .unwrap()
        .get(0);
    assert!(superuser_flag);

    pg.drop_role(&name).await.unwrap();
    pg.drop_role(&name)
        .await
        .expect("dropping an absent role is fine");
    assert!(connect(&new).await.is_err());
}

#[tokio::test]
async fn role_names_are_quoted() {
    let pg = server().await;
    let name = unique("We\"ird role; --");
    pg.ensure_role(&name, "Quokka-1", false).await.unwrap();
    let url = superuser(pg).with_credentials(&name, SecretString::from("Quokka-1"));
    connect(&url).await.expect("log in with an awkward name");
    pg.drop_role(&name).await.unwrap();
    assert!(pg.ensure_role("", "x", false).await.is_err());
    assert!(pg.ensure_role(&"n".repeat(64), "x", false).await.is_err());
}
