//! The `crunchybridge` package: configuration, clients, and the list of resources and
//! functions.

use async_trait::async_trait;
use oceanid_core::crunchybridge::Bridge;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use std::sync::Arc;

use crate::clients::{Clients, FirewallRuleLists};
use crate::functions::check_allowlist::CheckAllowlist;
use crate::functions::get_account::GetAccount;
use crate::functions::get_cluster::GetCluster;
use crate::functions::get_firewall_rules::GetFirewallRules;
use crate::functions::get_network::GetNetwork;
use crate::functions::verify_database::VerifyDatabase;
use crate::pulumi::{CheckFailure, Package, Provider};
use crate::resources::cluster::Cluster;
use crate::resources::database::Database;
use crate::resources::firewall_allowlist::FirewallAllowlist;
use crate::resources::firewall_rule::FirewallRule;
use crate::resources::role::Role;

/// The default Crunchy Bridge API URL.
pub use oceanid_core::crunchybridge::DEFAULT_BASE_URL as DEFAULT_API_URL;
/// Environment variables that provide the API key, in order; and the one that provides the
/// API URL.
pub use oceanid_core::crunchybridge::{API_KEY_ENV, API_URL_ENV};
/// Environment variable that provides the cap on concurrent API requests.
pub const MAX_CONCURRENT_REQUESTS_ENV: &str = "CRUNCHYBRIDGE_MAX_CONCURRENT_REQUESTS";

/// Provider configuration (`pulumi config set crunchybridge:<key> …`).
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfig {
    /// The Crunchy Bridge API key (`cbkey_…`). Set it with
    /// `pulumi config set --secret crunchybridge:apiKey cbkey_…`, or the environment variable
    /// `CRUNCHYBRIDGE_API_KEY` (or `CB_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-secret" = true, "x-env" = ["CRUNCHYBRIDGE_API_KEY", "CB_API_KEY"]))]
    pub api_key: Option<String>,
    /// The API base URL; `https://api.crunchybridge.com` unless set (or
    /// `CRUNCHYBRIDGE_API_URL`). Point it at `oceanid-emulator` to work offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-env" = ["CRUNCHYBRIDGE_API_URL"]))]
    pub api_url: Option<String>,
    /// The most Crunchy Bridge API requests the provider has on the wire at once, across every
    /// resource of the deployment (default 10, from 1 to 1000; or
    /// `CRUNCHYBRIDGE_MAX_CONCURRENT_REQUESTS`). `pulumi up` runs every independent operation
    /// at once, so this, not `--parallel`, is what the API sees; a request waiting for a
    /// `Retry-After` holds no slot.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "oceanid_core::http::request_limit::deserialize_setting"
    )]
    #[schemars(extend("x-env" = ["CRUNCHYBRIDGE_MAX_CONCURRENT_REQUESTS"]))]
    pub max_concurrent_requests: Option<u64>,
}

/// The `crunchybridge` package.
#[derive(Clone, Debug, Default)]
pub struct CrunchyBridge;

fn env_key() -> Option<String> {
    API_KEY_ENV
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

fn missing_key_reason() -> String {
    "no Crunchy Bridge API key: set it with `pulumi config set --secret crunchybridge:apiKey \
     cbkey_…`, or export CRUNCHYBRIDGE_API_KEY (or CB_API_KEY) before running pulumi. Create a \
     key at https://crunchybridge.com/account/api-keys"
        .to_owned()
}

/// The cap on concurrent API requests: the setting, else
/// `CRUNCHYBRIDGE_MAX_CONCURRENT_REQUESTS`, else 10.
fn max_concurrent_requests(setting: Option<u64>) -> Result<usize, String> {
    oceanid_core::http::request_limit::resolve_max_concurrent_requests(
        setting,
        MAX_CONCURRENT_REQUESTS_ENV,
    )
}

/// The same rules as the client's builder (https, or http on loopback only; no credentials in
/// the URL; long input truncated), with the default to propose.
fn check_url(url: &str) -> Result<(), String> {
    oceanid_core::http::transport::parse_base_url(url)
        .map(drop)
        .map_err(|reason| format!("{reason}; the default is {DEFAULT_API_URL}"))
}

#[async_trait]
impl Package for CrunchyBridge {
    type Client = Clients;
    type Config = ProviderConfig;

    fn name(&self) -> &'static str {
        "crunchybridge"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    fn metadata(&self) -> serde_json::Value {
        json!({
            "displayName": "Crunchy Bridge",
            "description": "Manage Crunchy Bridge firewall rules, clusters, roles and databases, each verified after it is made.",
            "publisher": "oceanid",
            "homepage": "https://github.com/oceanid/oceanid",
            "repository": "https://github.com/oceanid/oceanid",
            "license": "Apache-2.0",
            "keywords": ["pulumi", "crunchybridge", "postgres", "category/database", "kind/native"],
            "pluginDownloadURL": format!("https://github.com/oceanid/oceanid/releases/download/v{}/", env!("CARGO_PKG_VERSION")),
            "language": {
                "nodejs": {
                    "packageName": "@oceanid/crunchybridge",
                    "packageDescription": "Crunchy Bridge resources for Pulumi: firewall rules, clusters, roles and verified databases.",
                    "dependencies": { "@pulumi/pulumi": "^3.141.0" },
                }
            }
        })
    }

    fn check_config(&self, config: &mut ProviderConfig) -> Vec<CheckFailure> {
        let mut failures = Vec::new();
        match &config.api_key {
            Some(k) if k.trim().is_empty() => {
                failures.push(CheckFailure::new("apiKey", missing_key_reason()))
            }
            Some(_) => {}
            None if env_key().is_some() => {}
            None => failures.push(CheckFailure::new("apiKey", missing_key_reason())),
        }
        if let Some(Err(reason)) = config.api_url.as_deref().map(check_url) {
            failures.push(CheckFailure::new("apiUrl", reason));
        }
        if let Err(reason) = max_concurrent_requests(config.max_concurrent_requests) {
            failures.push(CheckFailure::new("maxConcurrentRequests", reason));
        }
        failures
    }

    async fn configure(&self, config: ProviderConfig) -> Result<Clients, String> {
        let key = config
            .api_key
            .filter(|k| !k.trim().is_empty())
            .or_else(env_key)
            .ok_or_else(missing_key_reason)?;
        let api_url = config
            .api_url
            .or_else(|| std::env::var(API_URL_ENV).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
        check_url(&api_url).map_err(|r| format!("crunchybridge:apiUrl: {r}"))?;
        let max_requests = max_concurrent_requests(config.max_concurrent_requests)
            .map_err(|r| format!("crunchybridge:maxConcurrentRequests: {r}"))?;
        let bridge = Bridge::builder()
            .max_concurrent_requests(max_requests)
            .api_key(key)
            .base_url(&api_url)
            .user_agent(concat!(
                "pulumi-resource-crunchybridge/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| format!("cannot set up the Crunchy Bridge client: {e}"))?;
        // A shared rule list starts only once the provider's requests stop queueing, so it is
        // not queued behind the creates it verifies and every create finished by then joins it.
        let gate = bridge.clone();
        let firewall_rule_lists = Arc::new(FirewallRuleLists::new().start_when(move || {
            let bridge = gate.clone();
            async move { bridge.until_free_request_slot().await }
        }));
        Ok(Clients {
            bridge,
            firewall_rule_lists,
        })
    }
}

impl CrunchyBridge {
    /// The plugin: the package with each of its resources and functions registered.
    pub fn provider() -> Provider<CrunchyBridge> {
        Provider::new(CrunchyBridge)
            .resource(FirewallRule)
            .resource(FirewallAllowlist)
            .resource(Database)
            .resource(Cluster)
            .resource(Role)
            .function(GetAccount)
            .function(GetCluster)
            .function(GetNetwork)
            .function(CheckAllowlist)
            .function(GetFirewallRules)
            .function(VerifyDatabase)
    }
}
