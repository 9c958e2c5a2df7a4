//! Networks: `GET /networks` (every page), `GET /networks/{id}`, `PATCH /networks/{id}` (rename).
//!
//! There is no create or delete: a network appears with the cluster that made it.

use futures::{Stream, TryStreamExt};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{
    Bridge, Error, IdempotencyKey, ListParams, NetworkId, Page, ProviderId, RegionId, TeamId,
    list_body,
};

/// A provider network shared by a team's clusters (`Network`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// The network's EID.
    pub id: NetworkId,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The cloud provider.
    #[serde(default)]
    pub provider_id: Option<ProviderId>,
    /// The region (GCP may say `global`).
    #[serde(default)]
    pub region_id: Option<RegionId>,
    /// The owning team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// The IPv4 range (may be absent early in creation).
    #[serde(default)]
    pub cidr4: Option<String>,
}

#[derive(Serialize)]
struct RenameNetwork<'a> {
    name: &'a str,
}

list_body!(NetworkList, networks, Network);

/// `bridge.networks()`: networks visible to the caller.
#[derive(Clone, Debug)]
pub struct NetworksHandler {
    bridge: Bridge,
}

impl NetworksHandler {
    pub(crate) fn new(bridge: Bridge) -> Self {
        Self { bridge }
    }

    /// Every network, fetching pages as the stream is read.
    pub fn stream(&self) -> impl Stream<Item = Result<Network, Error>> + Send + 'static {
        self.stream_with(ListParams::default())
    }

    /// Every network matching `params`, all pages.
    pub fn stream_with(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Network, Error>> + Send + 'static {
        self.bridge
            .list_stream::<NetworkList, Network>(vec!["networks".into()], params)
    }

    /// Every network, all pages, collected.
    ///
    /// # Errors
    /// Any [`Error`] from a page.
    pub async fn list_all(&self) -> Result<Vec<Network>, Error> {
        self.stream().try_collect().await
    }

    /// One page of networks.
    ///
    /// # Errors
    /// Any [`Error`].
    pub async fn page(&self, params: &ListParams) -> Result<Page<Network>, Error> {
        self.bridge
            .list_page::<NetworkList, Network>(&["networks"], params)
            .await
    }

    /// One network.
    ///
    /// # Errors
    /// 404 when unknown ([`Error::is_not_found`]); any other [`Error`].
    pub async fn get(&self, id: &NetworkId) -> Result<Network, Error> {
        self.bridge.get_json(&["networks", id.as_str()]).await
    }

    /// One network, or `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`Error`] but not-found.
    pub async fn get_opt(&self, id: &NetworkId) -> Result<Option<Network>, Error> {
        self.bridge.get_opt_json(&["networks", id.as_str()]).await
    }

    /// Rename a network.
    ///
    /// # Errors
    /// 404 when unknown, 400 for an invalid name; any other [`Error`].
    pub async fn rename(&self, id: &NetworkId, name: &str) -> Result<Network, Error> {
        self.bridge
            .call(Method::PATCH, &["networks", id.as_str()])
            .json(&RenameNetwork { name })
            .idempotency_key(IdempotencyKey::new())
            .send()
            .await
    }
}
