//! The Cloudflare client of a configured provider, from its settings, or an error naming the
//! config key or environment variable that is missing.

use oceanid_core::cloudflare::{AccountId, Cloudflare, PolicyId, ProtectedCidrs};

use crate::clients::CloudflareSettings;
use crate::pulumi::ResourceError;

/// The client for `account` (else the configured account), and the protected networks.
///
/// # Errors
/// No token or account configured, or a client that cannot be built.
pub fn connect(
    settings: &CloudflareSettings,
    account: Option<&str>,
) -> Result<(Cloudflare, ProtectedCidrs), ResourceError> {
    let token = settings.api_token.clone().ok_or_else(|| {
        ResourceError::msg(
            "no Cloudflare API token: set `pulumi config set --secret oceanid:cloudflareApiToken \
             <token>` or export CLOUDFLARE_API_TOKEN (Zero Trust Read, Cloudflare One Networks \
             Read; Zero Trust Write to change split tunnels)",
        )
    })?;
    let account = account
        .map(str::to_owned)
        .or_else(|| settings.account_id.clone())
        .ok_or_else(|| {
            ResourceError::msg(
                "no Cloudflare account id: pass `accountId`, set `oceanid:cloudflareAccountId`, \
                 or export CLOUDFLARE_ACCOUNT_ID",
            )
        })?;
    let client = Cloudflare::builder()
        .token(token)
        .account(AccountId::new(account))
        .base_url(settings.api_url.clone())
        .request_limit(settings.request_limit.clone())
        .build()
        .map_err(|e| ResourceError::msg(e.to_string()))?;
    let protected = ProtectedCidrs::parse(
        &settings
            .protected_split_tunnel_addresses
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    )
    .map_err(|e| ResourceError::msg(e.to_string()))?;
    Ok((client, protected))
}

/// A `policyId` argument: absent or empty is the default profile.
pub fn policy(id: Option<&str>) -> Option<PolicyId> {
    id.map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PolicyId::new)
}
