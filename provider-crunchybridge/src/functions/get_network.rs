//! `crunchybridge:index:getNetwork`: one network, by id or by name.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::crunchybridge::Network;

use super::lookup::{check_id_or_name, find_one};
use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Function, ResourceError};

/// Which network: give `id` or `name`, not both.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetNetworkArgs {
    /// The network's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The network's name, matched exactly (case included) against every network the API key
    /// can see; more than one match is an error that lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A Crunchy Bridge network: the private network a team's clusters share, whose firewall
/// rules decide who may connect.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetNetworkResult {
    /// The network's id (a FirewallRule's `networkId`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The cloud provider, e.g. `aws`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The region, e.g. `us-east-1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
    /// The team that owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
    /// Its IPv4 range, e.g. `10.0.0.0/20`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cidr4: Option<String>,
}

impl From<Network> for GetNetworkResult {
    fn from(n: Network) -> GetNetworkResult {
        GetNetworkResult {
            id: n.id.to_string(),
            name: n.name,
            provider_id: n.provider_id.map(|p| p.to_string()),
            region_id: n.region_id.map(|r| r.to_string()),
            team_id: n.team_id.map(|t| t.to_string()),
            cidr4: n.cidr4,
        }
    }
}

/// `crunchybridge:index:getNetwork`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetNetwork;

#[async_trait]
impl Function for GetNetwork {
    type Client = Clients;
    type Args = GetNetworkArgs;
    type Output = GetNetworkResult;

    const TOKEN: &'static str = "crunchybridge:index:getNetwork";
    const DESCRIPTION: &'static str = "One Crunchy Bridge network, by `id` or by `name` (every \
        page of networks is searched; zero or several matches are errors that list the \
        candidates). Networks are made with clusters; their firewall rules are \
        `FirewallRule` resources.";

    fn check(&self, args: &mut GetNetworkArgs) -> Vec<CheckFailure> {
        check_id_or_name(&mut args.id, &mut args.name, "network", "find")
    }

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: GetNetworkArgs,
    ) -> Result<GetNetworkResult, ResourceError> {
        find_one::<Network>(&cx.bridge()?, args.id, args.name)
            .await
            .map(Into::into)
    }
}
