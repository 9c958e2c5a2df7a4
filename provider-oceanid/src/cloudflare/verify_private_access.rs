//! `oceanid:cloudflare:verifyPrivateAccess`: the handbook's WARP requirements as checks.

use async_trait::async_trait;
use oceanid_core::cloudflare::{PrivateAccessReport, verify_private_access};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::connect::{connect, policy};
use crate::clients::Clients;
use crate::kubernetes::gate::{CheckArgs, gate};
use crate::pulumi::{CheckFailure, Context, Function, ResourceError};

/// `oceanid:cloudflare:verifyPrivateAccess`.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyPrivateAccess;

/// The arguments of `verifyPrivateAccess`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPrivateAccessArgs {
    /// The addresses or CIDRs WARP clients must reach (`10.42.0.0/16`, `192.168.2.10`).
    pub addresses: Vec<String>,
    /// The custom device profile (default: the default profile).
    #[serde(default)]
    pub policy_id: Option<String>,
    /// The account (default: the provider's `cloudflareAccountId`).
    #[serde(default)]
    pub account_id: Option<String>,
    /// Whether a failed check fails the invocation (and so the deployment), with every failed
    /// check listed. Defaults to `false`.
    #[serde(default)]
    pub fail_on_error: bool,
}

#[async_trait]
impl Function for VerifyPrivateAccess {
    type Client = Clients;
    type Args = VerifyPrivateAccessArgs;
    type Output = PrivateAccessReport;

    const TOKEN: &'static str = "oceanid:cloudflare:verifyPrivateAccess";
    const DESCRIPTION: &'static str = "WARP clients reach the given addresses: the profile is in \
        Include mode, every address is covered by an include entry, every address has a live \
        tunnel route whose tunnel is healthy with at least one connection, and each protected \
        network (`oceanid:protectedSplitTunnelAddresses`) is listed once. A report of named \
        checks; set `failOnError: true` to fail the deployment when one fails.";

    fn check(&self, args: &mut VerifyPrivateAccessArgs) -> Vec<CheckFailure> {
        if args.addresses.is_empty() {
            vec![CheckFailure::new(
                "addresses",
                "give at least one address or CIDR WARP clients must reach, e.g. `10.42.0.0/16`",
            )]
        } else {
            Vec::new()
        }
    }

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: VerifyPrivateAccessArgs,
    ) -> Result<PrivateAccessReport, ResourceError> {
        let (client, protected) = connect(&cx.client()?.cloudflare, args.account_id.as_deref())?;
        let policy = policy(args.policy_id.as_deref());
        let report = verify_private_access(&client, &args.addresses, policy.as_ref(), &protected)
            .await
            .map_err(|e| ResourceError::msg(format!("verifyPrivateAccess: {e}")))?;
        let gate_args = CheckArgs {
            fail_on_error: args.fail_on_error,
        };
        let target = format!(
            "profile {}",
            report.policy_id.as_deref().unwrap_or("default")
        );
        gate(
            &gate_args,
            "verifyPrivateAccess",
            &target,
            report.ok,
            &report.checks.clone(),
            report,
        )
    }
}
