//! The PostgreSQL server behind the emulated clusters, if any: where the API's roles become real
//! login roles with the passwords the API returns.

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::objects::{Endpoint, new_password};
use crate::postgres::EphemeralPostgres;
use crate::sql_text::{describe_pg_error, quote_ident, quote_literal};

/// The superuser the emulator keeps on a throwaway server for its own maintenance (reset).
pub(crate) const ADMIN_ROLE: &str = "oceanid_emulator_admin";

/// Why an operation on the server failed; the message never holds a password.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BackendFailure(pub String);

/// A superuser connection recipe.
pub(crate) struct Admin {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
}

impl Admin {
    async fn connect(&self) -> Result<tokio_postgres::Client, BackendFailure> {
        let (client, connection) = self.config.connect(self.tls.clone()).await.map_err(|e| {
            BackendFailure(format!(
                "connecting to PostgreSQL as a superuser: {}",
                describe_pg_error(&e)
            ))
        })?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %describe_pg_error(&error), "PostgreSQL admin connection ended");
            }
        });
        Ok(client)
    }
}

/// What existed right after start (throwaway server only), so reset can drop the rest.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    databases: BTreeSet<String>,
    roles: BTreeSet<String>,
}

/// Where roles live.
pub(crate) enum Backend {
    /// No server.
    None,
    /// The throwaway server started for this emulator.
    Ephemeral {
        server: EphemeralPostgres,
        admin: Admin,
        snapshot: tokio::sync::Mutex<Snapshot>,
    },
    /// An existing server reached through a superuser URL.
    External {
        admin: Admin,
        host: String,
        port: u16,
        sslmode: &'static str,
        /// The URL's user and password: that role keeps the URL's password.
        url_user: String,
        url_password: Option<String>,
    },
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::None => "Backend::None",
            Backend::Ephemeral { .. } => "Backend::Ephemeral",
            Backend::External { .. } => "Backend::External",
        })
    }
}

impl Backend {
    /// Starts a throwaway server, with the emulator's maintenance superuser.
    pub(crate) async fn ephemeral() -> Result<Backend, crate::EmulatorError> {
        let server = EphemeralPostgres::start()
            .await
            .map_err(crate::EmulatorError::Postgres)?;
        let password = new_password();
        server
            .ensure_role(ADMIN_ROLE, &password, true)
            .await
            .map_err(crate::EmulatorError::Postgres)?;
        let mut config = tokio_postgres::Config::new();
        config
            .host(server.host())
            .port(server.port())
            .user(ADMIN_ROLE)
            .password(password)
            .dbname("postgres")
            .ssl_mode(SslMode::Require)
            .connect_timeout(Duration::from_secs(10));
        let tls = tls_pinned_to(server.ca_pem())
            .map_err(|reason| crate::EmulatorError::ExternalPostgres { reason })?;
        Ok(Backend::Ephemeral {
            server,
            admin: Admin { config, tls },
            snapshot: tokio::sync::Mutex::new(Snapshot::default()),
        })
    }

    /// Uses an existing server through a superuser URL. Its certificate is verified against
    /// `ca_pem` (`--postgres-ca`), chain and host name; without one, only `sslmode=disable`
    /// is accepted, so the emulator never talks to a server it has not authenticated over TLS.
    pub(crate) async fn external(
        url: &str,
        ca_pem: Option<&str>,
    ) -> Result<Backend, crate::EmulatorError> {
        let fail = |reason: String| crate::EmulatorError::ExternalPostgres { reason };
        let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
            fail(format!(
                "the PostgreSQL URL cannot be parsed: {}",
                describe_pg_error(&e)
            ))
        })?;
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(host)) => host.clone(),
            _ => return Err(fail("the PostgreSQL URL must name a TCP host".to_owned())),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let Some(url_user) = config.get_user().map(str::to_owned) else {
            return Err(fail(
                "the PostgreSQL URL must name a (superuser) user".to_owned(),
            ));
        };
        let url_password = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        if config.get_dbname().is_none() {
            config.dbname("postgres");
        }
        config.connect_timeout(Duration::from_secs(10));
        let sslmode = match config.get_ssl_mode() {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            _ => "require",
        };
        let tls = match (ca_pem, sslmode) {
            (Some(pem), _) => tls_pinned_to(pem).map_err(fail)?,
            // No TLS is attempted with `sslmode=disable`, so an empty trust store is never used.
            (None, "disable") => tls_pinned_to("").map_err(fail)?,
            (None, _) => {
                return Err(fail(format!(
                    "the server's certificate cannot be verified without its CA: pass \
                     `--postgres-ca PATH` (the PEM of the CA that signed it), or put \
                     `sslmode=disable` in the URL (sslmode is {sslmode} now)"
                )));
            }
        };
        let admin = Admin { config, tls };
        let client = admin.connect().await.map_err(|e| fail(e.0))?;
        let is_superuser = client
            .query_one(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await
            .map_err(|e| {
                fail(format!(
                    "checking the URL's user: {}",
                    describe_pg_error(&e)
                ))
            })?
            .try_get::<_, bool>(0)
            .unwrap_or(false);
        if !is_superuser {
            return Err(fail(format!(
                "the PostgreSQL URL's user {url_user:?} is not a superuser; the emulator needs one to manage roles"
            )));
        }
        Ok(Backend::External {
            admin,
            host,
            port,
            sslmode,
            url_user,
            url_password,
        })
    }

    /// Where clusters' hosts and roles' URIs point.
    pub(crate) fn endpoint(&self) -> Endpoint {
        match self {
            Backend::None => Endpoint::Bridge,
            Backend::Ephemeral { server, .. } => Endpoint::Server {
                host: server.host().to_owned(),
                port: server.port(),
                sslmode: "require",
            },
            Backend::External {
                host,
                port,
                sslmode,
                ..
            } => Endpoint::Server {
                host: host.clone(),
                port: *port,
                sslmode,
            },
        }
    }

    /// Whether roles are real (and so share one password per name across clusters).
    pub(crate) fn is_real(&self) -> bool {
        !matches!(self, Backend::None)
    }

    /// The mode's name, for the state dump.
    pub(crate) fn mode(&self) -> &'static str {
        match self {
            Backend::None => "none",
            Backend::Ephemeral { .. } => "auto",
            Backend::External { .. } => "url",
        }
    }

    /// The throwaway server's CA certificate.
    pub(crate) fn ca_pem(&self) -> Option<&str> {
        match self {
            Backend::Ephemeral { server, .. } => Some(server.ca_pem()),
            _ => None,
        }
    }

    /// The password a role must keep (the URL user's own, on an external server).
    pub(crate) fn fixed_password(&self, role: &str) -> Option<String> {
        match self {
            Backend::External {
                url_user,
                url_password,
                ..
            } if url_user == role => url_password.clone(),
            _ => None,
        }
    }

    /// Creates or updates the login role `name` with `secret`: a password, or a SCRAM verifier
    /// when `is_verifier`.
    pub(crate) async fn ensure_role(
        &self,
        name: &str,
        secret: &str,
        superuser: bool,
        is_verifier: bool,
    ) -> Result<(), BackendFailure> {
        match self {
            Backend::None => Ok(()),
            Backend::Ephemeral { server, admin, .. } => {
                if is_verifier {
                    set_role(admin, name, secret, superuser).await
                } else {
                    server
                        .ensure_role(name, secret, superuser)
                        .await
                        .map_err(|e| BackendFailure(redact(&e.to_string(), secret)))
                }
            }
            Backend::External {
                admin, url_user, ..
            } => {
                if name == url_user {
                    // Changing it would lock the emulator out; the role keeps the URL's password.
                    return Ok(());
                }
                let verifier = if is_verifier {
                    secret.to_owned()
                } else {
                    postgres_protocol::password::scram_sha_256(secret.as_bytes())
                };
                set_role(admin, name, &verifier, superuser).await
            }
        }
    }

    /// Drops the role `name` (absent is fine).
    pub(crate) async fn drop_role(&self, name: &str) -> Result<(), BackendFailure> {
        match self {
            Backend::None => Ok(()),
            Backend::Ephemeral { server, .. } => server
                .drop_role(name)
                .await
                .map_err(|e| BackendFailure(e.to_string())),
            Backend::External {
                admin, url_user, ..
            } => {
                if name == url_user {
                    return Ok(());
                }
                let client = admin.connect().await?;
                client
                    .batch_execute(&format!("DROP ROLE IF EXISTS {}", quote_ident(name)))
                    .await
                    .map_err(|e| {
                        BackendFailure(format!("dropping role {name}: {}", describe_pg_error(&e)))
                    })
            }
        }
    }

    /// Remembers the databases and roles that exist now (throwaway server only).
    pub(crate) async fn take_snapshot(&self) -> Result<(), BackendFailure> {
        let Backend::Ephemeral {
            admin, snapshot, ..
        } = self
        else {
            return Ok(());
        };
        let client = admin.connect().await?;
        let databases = names(&client, "SELECT datname::text FROM pg_database").await?;
        let roles = names(&client, "SELECT rolname::text FROM pg_roles").await?;
        *snapshot.lock().await = Snapshot { databases, roles };
        Ok(())
    }

    /// Drops the databases and roles created since the snapshot, except `keep` (throwaway server
    /// only).
    pub(crate) async fn drop_extras(&self, keep: &[&str]) -> Result<(), BackendFailure> {
        let Backend::Ephemeral {
            admin, snapshot, ..
        } = self
        else {
            return Ok(());
        };
        let snapshot = snapshot.lock().await;
        let client = admin.connect().await?;
        for db in names(&client, "SELECT datname::text FROM pg_database").await? {
            if !snapshot.databases.contains(&db) {
                client
                    .batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        quote_ident(&db)
                    ))
                    .await
                    .map_err(|e| {
                        BackendFailure(format!("dropping database {db}: {}", describe_pg_error(&e)))
                    })?;
            }
        }
        for role in names(&client, "SELECT rolname::text FROM pg_roles").await? {
            if snapshot.roles.contains(&role) || keep.contains(&role.as_str()) {
                continue;
            }
            let ident = quote_ident(&role);
            client
                .batch_execute(&format!(
                    "DROP OWNED BY {ident}; DROP ROLE IF EXISTS {ident}"
                ))
                .await
                .map_err(|e| {
                    BackendFailure(format!("dropping role {role}: {}", describe_pg_error(&e)))
                })?;
        }
        Ok(())
    }

    /// Stops the throwaway server, if any.
    pub(crate) async fn stop(self) {
        if let Backend::Ephemeral { server, .. } = self
            && let Err(error) = server.stop().await
        {
            tracing::warn!(%error, "stopping the throwaway PostgreSQL");
        }
    }
}

async fn names(
    client: &tokio_postgres::Client,
    sql: &str,
) -> Result<BTreeSet<String>, BackendFailure> {
    let rows = client
        .query(sql, &[])
        .await
        .map_err(|e| BackendFailure(format!("listing ({sql}): {}", describe_pg_error(&e))))?;
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<_, String>(0).ok())
        .collect())
}

/// `CREATE`/`ALTER ROLE name LOGIN [NO]SUPERUSER PASSWORD '<verifier>'`.
async fn set_role(
    admin: &Admin,
    name: &str,
    verifier: &str,
    superuser: bool,
) -> Result<(), BackendFailure> {
    let client = admin.connect().await?;
    let ident = quote_ident(name);
    let attributes = format!(
        "LOGIN {} PASSWORD {}",
        if superuser {
            "SUPERUSER"
        } else {
            "NOSUPERUSER"
        },
        quote_literal(verifier)
    );
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name])
        .await
        .map_err(|e| BackendFailure(format!("looking up role {name}: {}", describe_pg_error(&e))))?
        .is_some();
    let verb = if exists { "ALTER" } else { "CREATE" };
    client
        .batch_execute(&format!("{verb} ROLE {ident} {attributes}"))
        .await
        .map_err(|e| BackendFailure(format!("{verb} ROLE {name}: {}", describe_pg_error(&e))))
}

/// `text` with `secret` blanked out.
fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "[redacted]")
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// TLS that trusts only the certificate authority in `ca_pem`.
fn tls_pinned_to(ca_pem: &str) -> Result<MakeRustlsConnect, String> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("reading the server's CA certificate: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("trusting the server's CA certificate: {e}"))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("configuring TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(redact("pw=abc", "abc"), "pw=[redacted]");
    }
}
