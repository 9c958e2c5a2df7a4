//! The `oceanid` package: configuration, clients, and the list of functions and resources.

use async_trait::async_trait;
use oceanid_core::cidr::normalize_cidr;
use oceanid_core::cloudflare::ApiToken;
use serde_json::json;

use crate::clients::{Clients, CloudflareSettings, KubernetesTarget};
use crate::cloudflare::get_split_tunnel::GetSplitTunnel;
use crate::cloudflare::split_tunnel_entry::SplitTunnelEntry;
use crate::cloudflare::verify_private_access::VerifyPrivateAccess;
use crate::config::{
    CLOUDFLARE_ACCOUNT_ID_ENV, CLOUDFLARE_API_TOKEN_ENV, CLOUDFLARE_API_URL_ENV,
    DEFAULT_CLOUDFLARE_API_URL, ProviderConfig, check_cloudflare_api_url, check_config,
    cloudflare_max_concurrent_requests, env_setting,
};
use crate::kubernetes::get_flux_health::GetFluxHealth;
use crate::kubernetes::get_nodes::GetNodes;
use crate::kubernetes::get_preflight::GetPreflight;
use crate::pulumi::{CheckFailure, Package, Provider};

/// The `oceanid` package.
#[derive(Clone, Debug, Default)]
pub struct Oceanid;

#[async_trait]
impl Package for Oceanid {
    type Client = Clients;
    type Config = ProviderConfig;

    fn name(&self) -> &'static str {
        "oceanid"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn metadata(&self) -> serde_json::Value {
        json!({
            "displayName": "oceanid",
            "description": "The operators' platform checks and Zero Trust settings: Kubernetes nodes and their egress addresses, Flux health and the Helm preflight as functions a stack can gate on; Cloudflare split tunnels.",
            "publisher": "oceanid",
            "homepage": "https://github.com/oceanid/oceanid",
            "repository": "https://github.com/oceanid/oceanid",
            "license": "Apache-2.0",
            "keywords": ["pulumi", "kubernetes", "flux", "cloudflare", "category/infrastructure", "kind/native"],
            "pluginDownloadURL": format!("https://github.com/oceanid/oceanid/releases/download/v{}/", env!("CARGO_PKG_VERSION")),
            "language": {
                "nodejs": {
                    "packageName": "@oceanid/oceanid",
                    "packageDescription": "oceanid for Pulumi: Kubernetes nodes, Flux health and Helm preflight checks a stack can gate on; Cloudflare split tunnels.",
                    "dependencies": { "@pulumi/pulumi": "^3.142.0" },
                }
            }
        })
    }

    fn check_config(&self, config: &mut ProviderConfig) -> Vec<CheckFailure> {
        check_config(config)
    }

    async fn configure(&self, config: ProviderConfig) -> Result<Clients, String> {
        let api_url = config
            .cloudflare_api_url
            .or_else(|| env_setting(CLOUDFLARE_API_URL_ENV))
            .unwrap_or_else(|| DEFAULT_CLOUDFLARE_API_URL.to_owned());
        check_cloudflare_api_url(&api_url)
            .map_err(|r| format!("oceanid:cloudflareApiUrl (or {CLOUDFLARE_API_URL_ENV}): {r}"))?;
        let protected = config
            .protected_split_tunnel_addresses
            .iter()
            .enumerate()
            .map(|(i, cidr)| {
                normalize_cidr(cidr)
                    .map_err(|e| format!("oceanid:protectedSplitTunnelAddresses[{i}]: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let max_requests =
            cloudflare_max_concurrent_requests(config.cloudflare_max_concurrent_requests)
                .map_err(|r| format!("oceanid:cloudflareMaxConcurrentRequests: {r}"))?;
        let cloudflare = CloudflareSettings {
            api_token: config
                .cloudflare_api_token
                .or_else(|| env_setting(CLOUDFLARE_API_TOKEN_ENV))
                .map(ApiToken::new),
            account_id: config
                .cloudflare_account_id
                .or_else(|| env_setting(CLOUDFLARE_ACCOUNT_ID_ENV)),
            api_url,
            protected_split_tunnel_addresses: protected,
            request_limit: oceanid_core::http::RequestLimit::new(max_requests),
        };
        Ok(Clients {
            kubernetes: KubernetesTarget::new(config.kubeconfig.as_deref(), config.kube_context),
            cloudflare,
            split_tunnel_writer: std::sync::OnceLock::new(),
        })
    }
}

impl Oceanid {
    /// The plugin: the package with each of its functions and resources registered.
    pub fn provider() -> Provider<Oceanid> {
        Provider::new(Oceanid)
            .function(GetNodes)
            .function(GetFluxHealth)
            .function(GetPreflight)
            .function(GetSplitTunnel)
            .function(VerifyPrivateAccess)
            .resource(SplitTunnelEntry)
    }
}
