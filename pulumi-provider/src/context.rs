//! What an operation gets besides its inputs: the configured clients, its deadline, a
//! cancellation signal, and a way to talk to the user through the engine.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::proto::pulumirpc::{LogRequest, LogSeverity, engine_client::EngineClient};
use super::resource::ResourceError;

/// How long one Engine.Log call may take before it is given up; an engine that does not
/// answer never slows an operation down.
const LOG_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends user-facing lines to the engine (Engine.Log), and always to stderr through
/// `tracing`. Cheap to clone.
#[derive(Clone, Default)]
pub struct EngineLog {
    client: Arc<Mutex<Option<EngineClient<tonic::transport::Channel>>>>,
}

impl EngineLog {
    /// Points the log at the engine's gRPC address (`127.0.0.1:PORT` or a URL). The
    /// connection is made lazily; a bad address only disables engine logging.
    pub fn connect(&self, address: &str) {
        if address.is_empty() {
            return;
        }
        let url = if address.contains("://") {
            address.to_owned()
        } else {
            format!("http://{address}")
        };
        match tonic::transport::Endpoint::from_shared(url) {
            Ok(endpoint) => {
                let channel = endpoint
                    .connect_timeout(LOG_TIMEOUT)
                    .timeout(LOG_TIMEOUT)
                    .connect_lazy();
                if let Ok(mut slot) = self.client.lock() {
                    *slot = Some(EngineClient::new(channel));
                }
            }
            Err(e) => tracing::warn!("engine address {address:?} is not usable for logs: {e}"),
        }
    }

    /// Sends one line. Never blocks the caller and never fails: errors only reach stderr.
    pub fn log(&self, severity: LogSeverity, urn: &str, message: &str, ephemeral: bool) {
        match severity {
            LogSeverity::Error => tracing::error!(urn, "{message}"),
            LogSeverity::Warning => tracing::warn!(urn, "{message}"),
            LogSeverity::Info => tracing::info!(urn, "{message}"),
            LogSeverity::Debug => tracing::debug!(urn, "{message}"),
        }
        let Some(mut client) = self.client.lock().ok().and_then(|c| c.clone()) else {
            return;
        };
        let request = LogRequest {
            severity: severity as i32,
            message: message.to_owned(),
            urn: urn.to_owned(),
            stream_id: 0,
            ephemeral,
        };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                match tokio::time::timeout(LOG_TIMEOUT, client.log(request)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(status)) => tracing::debug!("Engine.Log failed: {}", status.message()),
                    Err(_) => tracing::debug!("Engine.Log timed out"),
                }
            });
        }
    }
}

/// Why there are no clients before Configure.
pub(crate) const NOT_CONFIGURED: &str = "the provider is not configured yet (Configure was not \
     called); this is a bug in the caller, the Pulumi engine always configures a provider first";

/// The context of one resource or function operation.
pub struct Context<C> {
    /// The clients, or why there are none (Configure not called yet, or it failed).
    client: Result<Arc<C>, String>,
    urn: String,
    deadline: Instant,
    cancel: CancellationToken,
    log: EngineLog,
}

impl<C> Context<C> {
    /// A context; the adapter builds these, tests may too.
    pub fn new(
        client: Option<Arc<C>>,
        urn: impl Into<String>,
        deadline: Instant,
        cancel: CancellationToken,
        log: EngineLog,
    ) -> Context<C> {
        let client = client.ok_or_else(|| NOT_CONFIGURED.to_owned());
        Context::with_client(client, urn, deadline, cancel, log)
    }

    /// A context whose missing clients carry the reason (what [`Context::client`] reports).
    pub(crate) fn with_client(
        client: Result<Arc<C>, String>,
        urn: impl Into<String>,
        deadline: Instant,
        cancel: CancellationToken,
        log: EngineLog,
    ) -> Context<C> {
        Context {
            client,
            urn: urn.into(),
            deadline,
            cancel,
            log,
        }
    }

    /// The configured clients.
    ///
    /// # Errors
    /// When the engine has not called Configure yet, or Configure failed (the error says why).
    pub fn client(&self) -> Result<&C, ResourceError> {
        self.client
            .as_deref()
            .map_err(|why| ResourceError::msg(why.clone()))
    }

    /// The resource's URN (empty for functions).
    pub fn urn(&self) -> &str {
        &self.urn
    }

    /// When the operation must be finished (the request's `timeout`, or the default).
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Fires when the engine cancels in-flight work.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// An informational line attached to the resource.
    pub fn info(&self, message: &str) {
        self.log.log(LogSeverity::Info, &self.urn, message, false);
    }

    /// A warning attached to the resource.
    pub fn warn(&self, message: &str) {
        self.log
            .log(LogSeverity::Warning, &self.urn, message, false);
    }

    /// A transient progress line (shown as the resource's status while it runs).
    pub fn progress(&self, message: &str) {
        self.log.log(LogSeverity::Info, &self.urn, message, true);
    }
}
