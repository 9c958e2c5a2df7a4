//! `crunchybridge:index:getNetwork`: one network, by id or by name.

use async_trait::async_trait;
use futures::TryStreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::crunchybridge::{Bridge, Network, NetworkId};

use super::lookup::{Lookup, candidates, check_id_or_name, lookup, select_by_name};
use crate::provider::Clients;
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

async fn all_networks(bridge: &Bridge) -> Result<Vec<Network>, ResourceError> {
    bridge
        .networks()
        .stream()
        .try_collect()
        .await
        .map_err(|e| ResourceError::msg(format!("cannot list the networks: {e}")))
}

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
        let bridge = cx.client()?.bridge_until(cx.deadline());
        match lookup(args.id, args.name) {
            Lookup::Id(id) => match bridge.networks().get_opt(&NetworkId::new(&id)).await {
                Ok(Some(network)) => Ok(network.into()),
                Ok(None) => {
                    let all = all_networks(&bridge).await?;
                    Err(ResourceError::msg(format!(
                        "no network has the id {id}; the networks this API key can see are: {}",
                        candidates(all.iter().map(|n| (n.name.as_str(), n.id.as_str())))
                    )))
                }
                Err(e) => Err(ResourceError::msg(format!("cannot read network {id}: {e}"))),
            },
            Lookup::Name(name) => {
                let all = all_networks(&bridge).await?;
                select_by_name(all, &name, "network", |n| &n.name, |n| n.id.as_str())
                    .map(Into::into)
                    .map_err(ResourceError::msg)
            }
        }
    }
}
