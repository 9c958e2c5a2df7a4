//! The `oceanid` provider's configuration (`pulumi config set oceanid:<key> …`) and how each
//! key is checked. Neither the Kubernetes nor the Cloudflare side is mandatory: a stack may use
//! only one, and a missing setting is reported when a function or resource first needs it.

use oceanid_core::cidr::normalize_cidr;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::pulumi::CheckFailure;

/// The default Cloudflare API URL.
pub const DEFAULT_CLOUDFLARE_API_URL: &str = "https://api.cloudflare.com/client/v4";
/// Environment variable that provides the kubeconfig (kubectl's own).
pub const KUBECONFIG_ENV: &str = "KUBECONFIG";
/// Environment variable that provides the Cloudflare API token.
pub const CLOUDFLARE_API_TOKEN_ENV: &str = "CLOUDFLARE_API_TOKEN";
/// Environment variable that provides the Cloudflare account id.
pub const CLOUDFLARE_ACCOUNT_ID_ENV: &str = "CLOUDFLARE_ACCOUNT_ID";
/// Environment variable that provides the Cloudflare API URL.
pub const CLOUDFLARE_API_URL_ENV: &str = "CLOUDFLARE_API_URL";
/// Environment variable that provides the cap on concurrent Cloudflare requests.
pub const CLOUDFLARE_MAX_CONCURRENT_REQUESTS_ENV: &str = "CLOUDFLARE_MAX_CONCURRENT_REQUESTS";

/// Provider configuration (`pulumi config set oceanid:<key> …`).
#[derive(Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfig {
    /// The kubeconfig of the cluster the `kubernetes` functions read: a file path, or the
    /// kubeconfig's content (YAML). Set it with `pulumi config set --secret oceanid:kubeconfig
    /// "$(cat ~/.kube/config)"`; unset, `KUBECONFIG`, then `~/.kube/config`, then the in-cluster
    /// service account are used, as kubectl does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-secret" = true, "x-env" = ["KUBECONFIG"]))]
    pub kubeconfig: Option<String>,
    /// The kubeconfig context to use; its `current-context` unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_context: Option<String>,
    /// The Cloudflare API token for the `cloudflare` module. Set it with `pulumi config set
    /// --secret oceanid:cloudflareApiToken …`, or the environment variable
    /// `CLOUDFLARE_API_TOKEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-secret" = true, "x-env" = ["CLOUDFLARE_API_TOKEN"]))]
    pub cloudflare_api_token: Option<String>,
    /// The Cloudflare account id (32 hex digits), or the environment variable
    /// `CLOUDFLARE_ACCOUNT_ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-env" = ["CLOUDFLARE_ACCOUNT_ID"]))]
    pub cloudflare_account_id: Option<String>,
    /// The Cloudflare API base URL; `https://api.cloudflare.com/client/v4` unless set (or
    /// `CLOUDFLARE_API_URL`). Point it at `oceanid-emulator`'s `/client/v4` to work offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-env" = ["CLOUDFLARE_API_URL"]))]
    pub cloudflare_api_url: Option<String>,
    /// The most Cloudflare API requests the provider has on the wire at once, across every
    /// function and resource of the deployment (default 10, from 1 to 1000; or
    /// `CLOUDFLARE_MAX_CONCURRENT_REQUESTS`). `pulumi up` runs every independent operation at
    /// once, so this, not `--parallel`, is what the API sees; a request waiting for a
    /// `Retry-After` holds no slot.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "oceanid_core::http::request_limit::deserialize_setting"
    )]
    #[schemars(extend("x-env" = ["CLOUDFLARE_MAX_CONCURRENT_REQUESTS"]))]
    pub cloudflare_max_concurrent_requests: Option<u64>,
    /// CIDRs no split-tunnel entry may create, change or delete (e.g. another team's
    /// `172.20.0.0/16`): a change touching one is refused before anything is written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protected_split_tunnel_addresses: Vec<String>,
}

/// A non-blank environment variable.
pub fn env_setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Checks the Cloudflare API URL with the same rules as the HTTP client (https, or http on
/// loopback only; no credentials in the URL), proposing the default.
///
/// # Errors
/// The reason the URL cannot be used.
pub fn check_cloudflare_api_url(url: &str) -> Result<(), String> {
    oceanid_core::http::transport::parse_base_url(url)
        .map(drop)
        .map_err(|reason| format!("{reason}; the default is {DEFAULT_CLOUDFLARE_API_URL}"))
}

/// The cap on concurrent Cloudflare requests: the setting, else
/// `CLOUDFLARE_MAX_CONCURRENT_REQUESTS`, else 10.
///
/// # Errors
/// A setting or variable outside 1 to 1000, naming which.
pub fn cloudflare_max_concurrent_requests(setting: Option<u64>) -> Result<usize, String> {
    oceanid_core::http::request_limit::resolve_max_concurrent_requests(
        setting,
        CLOUDFLARE_MAX_CONCURRENT_REQUESTS_ENV,
    )
}

/// Normalises the configuration in place and returns what is wrong with it.
pub fn check_config(config: &mut ProviderConfig) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    for value in [
        &mut config.kubeconfig,
        &mut config.kube_context,
        &mut config.cloudflare_api_token,
        &mut config.cloudflare_account_id,
        &mut config.cloudflare_api_url,
    ] {
        // A blank setting means "not set": the environment or the default applies.
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            *value = None;
        }
    }
    if let Some(context) = config.kube_context.as_mut() {
        *context = context.trim().to_owned();
    }
    if let Some(Err(reason)) = config
        .cloudflare_api_url
        .as_deref()
        .map(check_cloudflare_api_url)
    {
        failures.push(CheckFailure::new("cloudflareApiUrl", reason));
    }
    if let Err(reason) =
        cloudflare_max_concurrent_requests(config.cloudflare_max_concurrent_requests)
    {
        failures.push(CheckFailure::new("cloudflareMaxConcurrentRequests", reason));
    }
    for (i, cidr) in config
        .protected_split_tunnel_addresses
        .iter_mut()
        .enumerate()
    {
        match normalize_cidr(cidr) {
            Ok(net) => *cidr = net.to_string(),
            Err(e) => failures.push(CheckFailure::new(
                format!("protectedSplitTunnelAddresses[{i}]"),
                e.to_string(),
            )),
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_settings_are_unset_and_cidrs_are_normalised() {
        let mut config: ProviderConfig = serde_json::from_value(serde_json::json!({
            "kubeconfig": "  ",
            "kubeContext": " oceanid-emulator ",
            "protectedSplitTunnelAddresses": ["172.20.0.0/16", "10.1.2.3"],
        }))
        .unwrap();
        assert!(check_config(&mut config).is_empty());
        assert_eq!(config.kubeconfig, None);
        assert_eq!(config.kube_context.as_deref(), Some("oceanid-emulator"));
        assert_eq!(
            config.protected_split_tunnel_addresses,
            ["172.20.0.0/16", "10.1.2.3/32"]
        );
    }

    #[test]
    fn bad_cidrs_and_urls_name_the_key() {
        let mut config: ProviderConfig = serde_json::from_value(serde_json::json!({
            "cloudflareApiUrl": "ftp://example.com",
            "protectedSplitTunnelAddresses": ["172.20.0.0/16", "172.20.0.1/16", "nope"],
        }))
        .unwrap();
        let failures = check_config(&mut config);
        let properties: Vec<_> = failures.iter().map(|f| f.property.as_str()).collect();
        assert_eq!(
            properties,
            [
                "cloudflareApiUrl",
                "protectedSplitTunnelAddresses[1]",
                "protectedSplitTunnelAddresses[2]"
            ]
        );
        assert!(failures[0].reason.contains(DEFAULT_CLOUDFLARE_API_URL));
    }
}
