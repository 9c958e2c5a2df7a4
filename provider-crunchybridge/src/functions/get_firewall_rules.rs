//! `crunchybridge:index:getFirewallRules`: every rule of one network.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::crunchybridge::{FirewallRule, NetworkId, is_eid};

use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Function, ResourceError};

/// Which network's rules.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetFirewallRulesArgs {
    /// The network's id (from `getNetwork`, or a cluster's `networkId`).
    pub network_id: String,
}

/// One firewall rule of a network.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetFirewallRulesRule {
    /// The rule's id; import it with `pulumi import crunchybridge:index:FirewallRule <name>
    /// <networkId>/<ruleId>`.
    pub rule_id: String,
    /// The allowed addresses, as a CIDR.
    pub rule: String,
    /// The rule's note, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `ingress` or `egress` (old rules without a kind are ingress).
    pub kind: String,
}

/// The rules of a network.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetFirewallRulesResult {
    /// The network.
    pub network_id: String,
    /// Every rule, on every page, in the API's order.
    pub rules: Vec<GetFirewallRulesRule>,
    /// Whether the network still has an allow-all rule (`0.0.0.0/0` or `::/0`), which lets
    /// everyone in and, while it exists, blocks every other rule of its address family.
    pub allow_all: bool,
}

impl From<&FirewallRule> for GetFirewallRulesRule {
    fn from(r: &FirewallRule) -> GetFirewallRulesRule {
        GetFirewallRulesRule {
            rule_id: r.id.to_string(),
            rule: r.rule.clone(),
            description: r.description().map(str::to_owned),
            kind: r.effective_kind().to_string(),
        }
    }
}

/// `crunchybridge:index:getFirewallRules`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetFirewallRules;

#[async_trait]
impl Function for GetFirewallRules {
    type Client = Clients;
    type Args = GetFirewallRulesArgs;
    type Output = GetFirewallRulesResult;

    const TOKEN: &'static str = "crunchybridge:index:getFirewallRules";
    const DESCRIPTION: &'static str = "Every firewall rule of a Crunchy Bridge network (all \
        pages), with ids to import them as `FirewallRule` resources, and whether the network \
        still has its allow-all rule.";

    fn check(&self, args: &mut GetFirewallRulesArgs) -> Vec<CheckFailure> {
        args.network_id = args.network_id.trim().to_owned();
        if is_eid(&args.network_id) {
            Vec::new()
        } else {
            vec![CheckFailure::new(
                "networkId",
                format!(
                    "`{}` is not a Crunchy Bridge network id (26 lowercase letters and digits \
                     2-7); find it with `getNetwork` or a cluster's `networkId`",
                    args.network_id
                ),
            )]
        }
    }

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: GetFirewallRulesArgs,
    ) -> Result<GetFirewallRulesResult, ResourceError> {
        let bridge = cx.bridge()?;
        let network = NetworkId::new(&args.network_id);
        let rules = bridge.firewall(&network).list().await.map_err(|e| {
            let hint = if e.is_not_found() {
                " (no such network, or this API key cannot see it; find ids with `getNetwork`)"
            } else {
                ""
            };
            ResourceError::msg(format!(
                "cannot list the firewall rules of network {network}: {e}{hint}"
            ))
        })?;
        Ok(GetFirewallRulesResult {
            network_id: network.to_string(),
            allow_all: rules
                .iter()
                .any(|r| matches!(r.rule.as_str(), "0.0.0.0/0" | "::/0")),
            rules: rules.iter().map(Into::into).collect(),
        })
    }
}
