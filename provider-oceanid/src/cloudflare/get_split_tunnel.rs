//! `oceanid:cloudflare:getSplitTunnel`: a device profile's mode and its split-tunnel list, each
//! entry marked protected or not.

use async_trait::async_trait;
use oceanid_core::cloudflare::{SplitTunnelView, split_tunnel};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::connect::{connect, policy};
use crate::clients::Clients;
use crate::pulumi::{Context, Function, ResourceError};

/// `oceanid:cloudflare:getSplitTunnel`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetSplitTunnel;

/// The arguments of `getSplitTunnel`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetSplitTunnelArgs {
    /// The account (default: the provider's `cloudflareAccountId`).
    #[serde(default)]
    pub account_id: Option<String>,
    /// The custom device profile (default: the default profile).
    #[serde(default)]
    pub policy_id: Option<String>,
}

#[async_trait]
impl Function for GetSplitTunnel {
    type Client = Clients;
    type Args = GetSplitTunnelArgs;
    type Output = SplitTunnelView;

    const TOKEN: &'static str = "oceanid:cloudflare:getSplitTunnel";
    const DESCRIPTION: &'static str = "A WARP device profile's split tunnel as it stands: its \
        mode (`include` or `exclude`, whichever list the profile shows) and the entries of that \
        list in Cloudflare's order, each marked `protected` when it overlaps \
        `oceanid:protectedSplitTunnelAddresses` (oceanid never changes those).";

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: GetSplitTunnelArgs,
    ) -> Result<SplitTunnelView, ResourceError> {
        let (client, protected) = connect(&cx.client()?.cloudflare, args.account_id.as_deref())?;
        let policy = policy(args.policy_id.as_deref());
        split_tunnel(&client, policy.as_ref(), &protected)
            .await
            .map_err(|e| ResourceError::msg(format!("getSplitTunnel: {e}")))
    }
}
