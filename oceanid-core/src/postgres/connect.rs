//! Opening connections, with TLS through rustls (ring), whatever the process-wide default is.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use secrecy::ExposeSecret;
use tokio_postgres::Client;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::describe;
use super::{Error, PgUrl, SslMode};

/// How long connecting (TCP, TLS and login together) may take unless the URL says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An open connection, and whether it is encrypted.
///
/// The connection is driven by a task on the current Tokio runtime; it closes when the client
/// is dropped.
#[derive(Debug)]
pub struct Connected {
    /// The client to run statements with.
    pub client: Client,
    /// Whether the connection uses TLS.
    pub tls: bool,
}

/// Connects as `url` says: TLS per its `sslmode`, within its `connect_timeout` (10 s by
/// default).
///
/// - `disable`: no TLS.
/// - `prefer` (the default): TLS if the server offers it, any certificate accepted; whether it
///   was used is asked of the server (`pg_stat_ssl`).
/// - `require`: TLS or no connection, any certificate accepted (as libpq does without a root
///   certificate); handshake signatures are still checked.
/// - `verify-ca`: the certificate must chain to the URL's CA ([`PgUrl::with_ca_pem`], or the
///   file named by `sslrootcert`); `verify-full` also requires it to name the host.
///
/// # Errors
/// [`Error::Tls`]/[`Error::CaFile`] when a verifying mode has no usable CA,
/// [`Error::Connect`] (with the server's reason, e.g. a failed password) or
/// [`Error::ConnectTimeout`].
pub async fn connect(url: &PgUrl) -> Result<Connected, Error> {
    let timeout = url.connect_timeout().unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let mut config = tokio_postgres::Config::new();
    config
        .host(url.host())
        .port(url.port())
        .user(url.user())
        .dbname(url.database())
        .application_name(url.param("application_name").unwrap_or("oceanid"))
        .connect_timeout(timeout);
    if let Some(password) = url.password() {
        config.password(password.expose_secret().as_bytes());
    }
    let target = url.target();
    let connecting = open(url, &mut config, &target);
    let result: Result<(Client, Option<bool>), ConnectFailure> =
        match tokio::time::timeout(timeout, connecting).await {
            Ok(result) => result,
            Err(_) => {
                return Err(Error::ConnectTimeout { target, timeout });
            }
        };
    let (client, tls) = match result {
        Ok(connected) => connected,
        Err(ConnectFailure::Setup(error)) => return Err(error),
        Err(ConnectFailure::Driver(source)) => {
            let mut reason = describe(&source);
            if url.ssl_mode().verifies_certificate() && reason.contains("invalid peer certificate")
            {
                reason.push_str(&refused_certificate_hint(url));
            }
            return Err(Error::Connect {
                target,
                reason,
                source,
            });
        }
    };
    let tls = match tls {
        Some(tls) => tls,
        // `prefer` falls back silently; ask the server which it was.
        None => tls_in_use(&client).await.unwrap_or(false),
    };
    Ok(Connected { client, tls })
}

/// What a refused server certificate means, and what to check.
fn refused_certificate_hint(url: &PgUrl) -> String {
    let mode = url.ssl_mode();
    let what = if mode == SslMode::VerifyFull {
        format!(
            "chain to the given CA certificate and name the host {:?}",
            url.host()
        )
    } else {
        "chain to the given CA certificate".to_owned()
    };
    format!(
        "; the server's certificate was refused (sslmode={mode}): it must {what}. Check that \
         the CA is this server's (on Crunchy Bridge, the chain of the cluster's team, GET \
         /teams/{{team_id}}.pem) and that the URL uses the host name the server's certificate \
         carries"
    )
}

/// Whether the server sees this session as encrypted (`pg_stat_ssl` for our backend).
async fn tls_in_use(client: &Client) -> Result<bool, Error> {
    let row = client
        .query_opt(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(Error::query("reading pg_stat_ssl"))?;
    Ok(row.is_some_and(|row| row.get::<_, bool>(0)))
}

/// Connects with `config`; the `bool` is known when the mode settles whether TLS is used.
async fn open(
    url: &PgUrl,
    config: &mut tokio_postgres::Config,
    target: &str,
) -> Result<(Client, Option<bool>), ConnectFailure> {
    let mode = url.ssl_mode();
    if mode == SslMode::Disable {
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(drive(connection, target.to_owned()));
        return Ok((client, Some(false)));
    }
    let tls = MakeRustlsConnect::new(tls_config(url)?);
    config.ssl_mode(if mode == SslMode::Prefer {
        tokio_postgres::config::SslMode::Prefer
    } else {
        tokio_postgres::config::SslMode::Require
    });
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(drive(connection, target.to_owned()));
    Ok((client, mode.requires_tls().then_some(true)))
}

enum ConnectFailure {
    Setup(Error),
    Driver(tokio_postgres::Error),
}

impl From<Error> for ConnectFailure {
    fn from(error: Error) -> Self {
        ConnectFailure::Setup(error)
    }
}

impl From<tokio_postgres::Error> for ConnectFailure {
    fn from(error: tokio_postgres::Error) -> Self {
        ConnectFailure::Driver(error)
    }
}

async fn drive<S, T>(connection: tokio_postgres::Connection<S, T>, target: String)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(error) = connection.await {
        tracing::debug!(%target, error = %describe(&error), "PostgreSQL connection ended");
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for `url`'s `sslmode`, always on the ring provider.
fn tls_config(url: &PgUrl) -> Result<ClientConfig, Error> {
    let mode = url.ssl_mode();
    let provider = provider();
    let tls_error = |reason: &str, source: Option<rustls::Error>| Error::Tls {
        mode,
        reason: reason.to_owned(),
        source,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = root_store(url)?;
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|e| {
                        tls_error(&format!("building the certificate verifier: {e}"), None)
                    })?;
            if mode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(ChainOnly { inner: webpki })
            }
        }
        _ => Arc::new(AnyCertificate {
            provider: Arc::clone(&provider),
        }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("choosing protocol versions", Some(e)))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// The CA certificates for `verify-ca`/`verify-full`: the URL's PEM, else its `sslrootcert` file.
fn root_store(url: &PgUrl) -> Result<RootCertStore, Error> {
    let mode = url.ssl_mode();
    let pem: Vec<u8> = match (url.ca_pem(), url.param("sslrootcert")) {
        (Some(pem), _) => pem.as_bytes().to_vec(),
        (None, Some(path)) => std::fs::read(path).map_err(|source| Error::CaFile {
            path: path.into(),
            source,
        })?,
        (None, None) => {
            return Err(Error::Tls {
                mode,
                reason: format!(
                    "sslmode={mode} needs the CA certificate to verify the server against: give \
                     its PEM (on Crunchy Bridge, the team's certificate from GET \
                     /teams/{{team_id}}.pem) or sslrootcert=<file>"
                ),
                source: None,
            });
        }
    };
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| Error::Tls {
            mode,
            reason: format!("the CA certificate is not valid PEM: {e}"),
            source: None,
        })?;
        roots.add(cert).map_err(|e| Error::Tls {
            mode,
            reason: "the CA certificate cannot be used as a trust anchor".to_owned(),
            source: Some(e),
        })?;
    }
    if roots.is_empty() {
        return Err(Error::Tls {
            mode,
            reason: "the CA PEM holds no certificate".to_owned(),
            source: None,
        });
    }
    Ok(roots)
}

/// `sslmode=require`/`prefer`: any certificate is accepted (the connection is encrypted, the
/// server not authenticated), but handshake signatures are verified with the provider's
/// algorithms, so the session key really belongs to the presented certificate.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to the CA; the host name is not checked.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain before the name, so a name mismatch means the chain is good.
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_modes_need_a_ca() {
        let url = PgUrl::parse("postgres://u:pw@localhost/db?sslmode=verify-full").unwrap();
        let error = tls_config(&url).unwrap_err().to_string();
        assert!(error.contains("needs the CA certificate"), "{error}");
        let error = tls_config(&url.with_ca_pem("not pem"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("holds no certificate"), "{error}");
    }

    #[test]
    fn non_verifying_modes_build_without_a_ca() {
        for mode in [SslMode::Prefer, SslMode::Require] {
            let url = PgUrl::parse("postgres://u:pw@localhost/db")
                .unwrap()
                .with_ssl_mode(mode);
            assert!(tls_config(&url).is_ok());
        }
    }
}
