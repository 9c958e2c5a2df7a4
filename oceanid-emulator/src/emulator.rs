//! Starting and stopping an emulator.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;
use crate::cloudflare::CloudflareSeed;
use crate::faults::Faults;
use crate::idempotency::IdempotencyStore;
use crate::kubernetes::{DEFAULT_KUBERNETES_TOKEN, KubernetesApi, SeedSize, kubeconfig};
use crate::postgres::PostgresError;
use crate::seed::Seed;
use crate::state::{AppState, Store, prepare_builtin_roles};
use crate::tls::ApiTls;
use crate::{routes, server};

/// The API key an emulator accepts unless told otherwise.
pub const DEFAULT_API_KEY: &str = "cbkey_emulator";
/// The provisioning delay unless told otherwise.
pub const DEFAULT_PROVISION_DELAY: Duration = Duration::from_millis(50);

/// Whether and which PostgreSQL the emulated clusters point at.
#[derive(Clone, PartialEq, Eq)]
pub enum PostgresMode {
    /// No server: hosts and URIs are shaped like Bridge's and lead nowhere.
    None,
    /// Start a throwaway server (needs the PostgreSQL server binaries).
    Auto,
    /// Use an existing server through this superuser URL
    /// (`postgres://user:password@host:port/db?sslmode=...`).
    Url(String),
}

impl std::fmt::Debug for PostgresMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostgresMode::None => f.write_str("None"),
            PostgresMode::Auto => f.write_str("Auto"),
            // The URL holds a password.
            PostgresMode::Url(_) => f.write_str("Url(..)"),
        }
    }
}

/// How to start an emulator.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Where to listen; port 0 picks a free one. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// The bearer token the API accepts. Default [`DEFAULT_API_KEY`].
    pub api_key: String,
    /// The PostgreSQL behind the clusters. Default [`PostgresMode::None`].
    pub postgres: PostgresMode,
    /// With [`PostgresMode::Url`]: the PEM certificate chain of the CA that signed that server's
    /// certificate, served as the team chain (`GET /teams/{id}.pem`) so that clients can verify
    /// the server (`verify-full`). Without it, the team chain is a placeholder no server's
    /// certificate chains to. Ignored in the other modes (a throwaway server's own CA is served).
    pub postgres_ca_pem: Option<String>,
    /// How long provisioning, upgrades and HA changes take. Default [`DEFAULT_PROVISION_DELAY`].
    pub provision_delay: Duration,
    /// The admin bearer token of the Kubernetes API. Default [`DEFAULT_KUBERNETES_TOKEN`].
    pub kubernetes_token: String,
    /// Extra Running pods in the seeded cluster's `apps` namespace (for benchmarks). Default 0.
    pub kubernetes_extra_pods: usize,
    /// Extra HelmReleases (with their deployed release Secrets) in `apps`. Default 0.
    pub kubernetes_extra_helmreleases: usize,
    /// The API token the Cloudflare routes (`<base>/client/v4`) accept; `None` (the default)
    /// accepts any non-empty bearer token.
    pub cloudflare_token: Option<String>,
}

impl Default for EmulatorConfig {
    fn default() -> EmulatorConfig {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: DEFAULT_API_KEY.to_owned(),
            postgres: PostgresMode::None,
            postgres_ca_pem: None,
            provision_delay: DEFAULT_PROVISION_DELAY,
            kubernetes_token: DEFAULT_KUBERNETES_TOKEN.to_owned(),
            kubernetes_extra_pods: 0,
            kubernetes_extra_helmreleases: 0,
            cloudflare_token: None,
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("api_key", &"[redacted]")
            .field("postgres", &self.postgres)
            .field("postgres_ca_pem", &self.postgres_ca_pem.is_some())
            .field("provision_delay", &self.provision_delay)
            .field("kubernetes_token", &"[redacted]")
            .field("kubernetes_extra_pods", &self.kubernetes_extra_pods)
            .field(
                "kubernetes_extra_helmreleases",
                &self.kubernetes_extra_helmreleases,
            )
            .field(
                "cloudflare_token",
                &self.cloudflare_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The API key is empty or not printable ASCII.
    #[error("the API key must be non-empty printable ASCII without spaces")]
    InvalidApiKey,
    /// The Kubernetes token is empty or not printable ASCII.
    #[error("the Kubernetes token must be non-empty printable ASCII without spaces")]
    InvalidKubernetesToken,
    /// The Cloudflare token (`--cloudflare-token`) is empty or not printable ASCII.
    #[error(
        "the Cloudflare token (--cloudflare-token) must be non-empty printable ASCII without spaces"
    )]
    InvalidCloudflareToken,
    /// The throwaway PostgreSQL (`--postgres auto`) could not be started or prepared.
    #[error("starting the throwaway PostgreSQL for `--postgres auto`: {0}")]
    Postgres(#[source] PostgresError),
    /// The PostgreSQL given by URL cannot be used.
    #[error("using the PostgreSQL server: {reason}")]
    ExternalPostgres {
        /// What went wrong (never the URL's password).
        reason: String,
    },
    /// The emulator's roles could not be set up on the PostgreSQL server.
    #[error("preparing the emulator's roles on PostgreSQL: {reason}")]
    PostgresRoles {
        /// What went wrong (never a password).
        reason: String,
    },
    /// The certificate of the API's TLS could not be made.
    #[error("setting up TLS for the API port: {0}")]
    Tls(String),
    /// The emulator's own certificate (the team CA without a server) could not be made.
    #[error("generating the team certificate: {0}")]
    Certificate(#[source] rcgen::Error),
}

/// A running emulator. Dropping it stops the server (and the throwaway PostgreSQL) in the
/// background; [`shutdown`](Emulator::shutdown) waits for that.
pub struct Emulator {
    base_url: String,
    /// The CA of the certificate the API port presents to TLS clients.
    tls_ca_pem: String,
    app: Arc<AppState>,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("postgres", &self.app.backend.mode())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator: binds, seeds, and (with PostgreSQL) prepares the server's roles.
    ///
    /// # Errors
    /// [`EmulatorError::Bind`] when the address is taken, [`EmulatorError::Postgres`] when the
    /// throwaway PostgreSQL cannot start (its message says when the binaries are missing and how
    /// to install them), [`EmulatorError::ExternalPostgres`] when the URL's server cannot be used.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        if !is_bearer_token(&config.api_key) {
            return Err(EmulatorError::InvalidApiKey);
        }
        if !is_bearer_token(&config.kubernetes_token) {
            return Err(EmulatorError::InvalidKubernetesToken);
        }
        if config
            .cloudflare_token
            .as_deref()
            .is_some_and(|t| !is_bearer_token(t))
        {
            return Err(EmulatorError::InvalidCloudflareToken);
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: config.listen,
                source,
            })?;
        let backend = match &config.postgres {
            PostgresMode::None => Backend::None,
            PostgresMode::Auto => Backend::ephemeral().await?,
            PostgresMode::Url(url) => {
                Backend::external(url, config.postgres_ca_pem.as_deref()).await?
            }
        };
        let passwords = prepare_builtin_roles(&backend)
            .await
            .map_err(|e| EmulatorError::PostgresRoles { reason: e.0 })?;
        backend
            .take_snapshot()
            .await
            .map_err(|e| EmulatorError::PostgresRoles { reason: e.0 })?;
        let external_ca = match config.postgres {
            PostgresMode::Url(_) => config.postgres_ca_pem.clone(),
            PostgresMode::None | PostgresMode::Auto => None,
        };
        let team_ca_pem = match backend.ca_pem().map(str::to_owned).or(external_ca) {
            Some(pem) => pem,
            None => rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
                .map_err(EmulatorError::Certificate)?
                .cert
                .pem(),
        };
        let seed = Seed::new();
        let store = Store::seeded(
            &seed,
            backend.endpoint(),
            backend.is_real(),
            config.provision_delay,
            &passwords,
        );
        let app = Arc::new(AppState {
            api_key: config.api_key,
            seed,
            store: Mutex::new(store),
            faults: Arc::new(Mutex::new(Faults::default())),
            idempotency: Arc::new(Mutex::new(IdempotencyStore::default())),
            backend,
            team_ca_pem,
            configured_delay: config.provision_delay,
            pg_lock: tokio::sync::Mutex::new(()),
            kubernetes: KubernetesApi::new(
                config.kubernetes_token,
                SeedSize {
                    extra_pods: config.kubernetes_extra_pods,
                    extra_helmreleases: config.kubernetes_extra_helmreleases,
                },
            ),
            cloudflare: crate::cloudflare::CloudflareState::new(config.cloudflare_token),
        });
        let host = if addr.ip().is_unspecified() {
            match addr {
                SocketAddr::V4(_) => "127.0.0.1".to_owned(),
                SocketAddr::V6(_) => "[::1]".to_owned(),
            }
        } else {
            match addr {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            }
        };
        let base_url = format!("http://{host}:{}", addr.port());
        let shutdown = CancellationToken::new();
        let tls = ApiTls::generate().map_err(EmulatorError::Tls)?;
        let tls_ca_pem = tls.ca_pem.clone();
        let server = tokio::spawn(server::serve(
            listener,
            routes::router(app.clone()),
            shutdown.clone(),
            tls,
        ));
        tracing::info!(%base_url, postgres = app.backend.mode(), "emulator listening");
        Ok(Emulator {
            tls_ca_pem,
            base_url,
            app,
            shutdown,
            server: Some(server),
        })
    }

    /// The base URL of the API, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key the emulator accepts.
    pub fn api_key(&self) -> &str {
        &self.app.api_key
    }

    /// The admin bearer token of the Kubernetes API.
    pub fn kubernetes_token(&self) -> &str {
        self.app.kubernetes.token()
    }

    /// The base URL over TLS, `https://127.0.0.1:PORT`: the same port answers TLS (with a
    /// certificate signed by [`tls_ca_pem`](Emulator::tls_ca_pem)) and plain HTTP.
    pub fn https_url(&self) -> String {
        self.base_url.replacen("http://", "https://", 1)
    }

    /// The CA (PEM) of the certificate the API port presents over TLS.
    pub fn tls_ca_pem(&self) -> &str {
        &self.tls_ca_pem
    }

    /// A kubeconfig (YAML) for the Kubernetes API: context `oceanid-emulator`, server
    /// [`https_url`](Emulator::https_url) with its CA, user the admin bearer token. What
    /// `--kubeconfig-out` writes. (Over `http`, kubectl would not send the token.)
    pub fn kubeconfig(&self) -> String {
        kubeconfig::render(
            &self.https_url(),
            &self.tls_ca_pem,
            self.app.kubernetes.token(),
        )
    }

    /// The ids of the seeded objects.
    pub fn seed(&self) -> &Seed {
        &self.app.seed
    }

    /// The ids of the seeded Cloudflare objects (the operators' account under
    /// `<base>/client/v4`).
    pub fn cloudflare_seed(&self) -> CloudflareSeed {
        CloudflareSeed::new()
    }

    /// Every object as JSON, passwords included: the same as `GET /__emulator/state`.
    pub fn state(&self) -> Value {
        self.app.dump()
    }

    /// Stops serving, closes open connections and stops the throwaway PostgreSQL.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        let app = self.app.clone();
        drop(self);
        match Arc::try_unwrap(app) {
            Ok(app) => app.backend.stop().await,
            Err(_) => {
                tracing::debug!("emulator state still in use; PostgreSQL stops when it is dropped")
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Whether `token` can travel in an `Authorization: Bearer` header as given: non-empty
/// printable ASCII without spaces.
fn is_bearer_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}
