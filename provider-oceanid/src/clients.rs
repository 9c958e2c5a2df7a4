//! What every function and resource of the `oceanid` package uses once the provider is
//! configured: the Kubernetes handle (connected on first use, so a stack that only uses
//! Cloudflare never needs a kubeconfig) and the Cloudflare settings.

use std::time::Instant;

use ipnet::IpNet;
use oceanid_core::cloudflare::ApiToken;
use oceanid_core::kubernetes::{Error as KubeError, KubeconfigSource, Kubernetes};
use tokio::sync::OnceCell;

use crate::config::KUBECONFIG_ENV;
use crate::pulumi::ResourceError;

/// The clients of a configured provider.
#[derive(Debug)]
pub struct Clients {
    /// The Kubernetes cluster the `kubernetes` functions read.
    pub kubernetes: KubernetesTarget,
    /// The Cloudflare account the `cloudflare` module manages.
    pub cloudflare: CloudflareSettings,
    /// The process's one group-committing split-tunnel writer, made on first use.
    pub split_tunnel_writer: std::sync::OnceLock<oceanid_core::cloudflare::SplitTunnelWriter>,
}

/// The Cloudflare settings, resolved from config and environment at Configure. Nothing is
/// checked against the API until a Cloudflare function or resource runs.
#[derive(Debug, Clone)]
pub struct CloudflareSettings {
    /// The API token (`oceanid:cloudflareApiToken` or `CLOUDFLARE_API_TOKEN`); `Debug` redacts it.
    pub api_token: Option<ApiToken>,
    /// The account id (`oceanid:cloudflareAccountId` or `CLOUDFLARE_ACCOUNT_ID`).
    pub account_id: Option<String>,
    /// The API base URL, checked (`oceanid:cloudflareApiUrl`, `CLOUDFLARE_API_URL`, or the default).
    pub api_url: String,
    /// CIDRs no split-tunnel change may touch (`oceanid:protectedSplitTunnelAddresses`), normalised.
    pub protected_split_tunnel_addresses: Vec<IpNet>,
    /// The cap on Cloudflare requests on the wire at once, shared by every client of this
    /// provider (`oceanid:cloudflareMaxConcurrentRequests`).
    pub request_limit: oceanid_core::http::RequestLimit,
}

/// Where the cluster is, and its handle once connected.
pub struct KubernetesTarget {
    source: KubeconfigSource,
    context: Option<String>,
    handle: OnceCell<Kubernetes>,
}

impl std::fmt::Debug for KubernetesTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubernetesTarget")
            .field("source", &self.source)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl KubernetesTarget {
    /// The cluster named by `kubeconfig` (a path or the content; `None`: `KUBECONFIG`, then
    /// `~/.kube/config`, then in-cluster) and `context` (else the current context).
    pub fn new(kubeconfig: Option<&str>, context: Option<String>) -> KubernetesTarget {
        let from_env = std::env::var(KUBECONFIG_ENV).ok();
        let source = match kubeconfig {
            // The SDK passes KUBECONFIG on as the setting's default: keep kubectl's reading of
            // it (a colon-separated list of files, merged).
            Some(value) if from_env.as_deref() == Some(value) => KubeconfigSource::Infer,
            Some(value) => KubeconfigSource::path_or_content(value),
            None => KubeconfigSource::Infer,
        };
        KubernetesTarget {
            source,
            context,
            handle: OnceCell::new(),
        }
    }

    /// The connected handle; the first call loads the kubeconfig (no request is sent yet).
    ///
    /// # Errors
    /// A kubeconfig that cannot be read or parsed, or a context it does not have: the error
    /// names the config key and environment variable to fix.
    pub async fn handle(&self) -> Result<&Kubernetes, ResourceError> {
        self.handle
            .get_or_try_init(|| Kubernetes::connect(&self.source, self.context.as_deref()))
            .await
            .map_err(|e| ResourceError::msg(connect_error(&e)))
    }
}

/// Why the cluster cannot be reached from this configuration, and which setting fixes it.
fn connect_error(e: &KubeError) -> String {
    let fix = match e {
        KubeError::UnknownContext { .. } | KubeError::NoCurrentContext { .. } => {
            "set `oceanid:kubeContext` to one of the kubeconfig's contexts"
        }
        _ => {
            "set `pulumi config set --secret oceanid:kubeconfig <path or content>`, or export \
             KUBECONFIG"
        }
    };
    format!("cannot use the kubeconfig (oceanid:kubeconfig / KUBECONFIG): {e}; {fix}")
}

/// Runs a Kubernetes operation within the invocation's deadline.
///
/// # Errors
/// The operation's error (it names the server, and for 401/403 the verb and resource RBAC must
/// allow), or the deadline passing first.
pub async fn within_deadline<T>(
    deadline: Instant,
    what: &str,
    operation: impl std::future::Future<Output = Result<T, KubeError>>,
) -> Result<T, ResourceError> {
    match tokio::time::timeout_at(deadline.into(), operation).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(ResourceError::msg(format!("{what}: {e}"))),
        Err(_) => Err(ResourceError::msg(format!(
            "{what}: the Kubernetes API server did not answer before the invocation's deadline"
        ))),
    }
}
