//! `crunchybridge:index:getCluster`: one cluster, by id or by name.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::crunchybridge::Cluster;

use super::lookup::{check_id_or_name, find_one};
use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Function, ResourceError};

/// Which cluster: give `id` or `name`, not both.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetClusterArgs {
    /// The cluster's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The cluster's name, matched exactly (case included) against every cluster the API key
    /// can see, on every page; more than one match is an error that lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A Crunchy Bridge cluster as the API describes it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GetClusterResult {
    /// The cluster's id (a Database's or Role's `clusterId`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The team that owns it.
    pub team_id: String,
    /// The plan, e.g. `hobby-2`.
    pub plan_id: String,
    /// The cloud provider, e.g. `aws`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The region, e.g. `us-east-1`.
    pub region_id: String,
    /// Storage in GB.
    pub storage: i64,
    /// Whether high availability is on.
    pub is_ha: bool,
    /// Whether deleting the cluster is refused.
    pub is_protected: bool,
    /// Whether the cluster is suspended.
    pub is_suspended: bool,
    /// The PostgreSQL major version, e.g. `17`.
    pub major_version: i32,
    /// The id of the PostgreSQL version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postgres_version_id: Option<String>,
    /// Memory in GB.
    pub memory: f64,
    /// Virtual CPUs.
    pub vcpu: f64,
    /// The host name, `p.<id>.db.postgresbridge.com`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The network the cluster is in (whose firewall rules apply to it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    /// The state, e.g. `ready`, `creating`, `suspended`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The hour (UTC, 0-23) the maintenance window starts, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_window_start: Option<i32>,
    /// The environment label, e.g. `production`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The cluster this one replicates or was forked from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// When the cluster was created (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl From<Cluster> for GetClusterResult {
    fn from(c: Cluster) -> GetClusterResult {
        GetClusterResult {
            id: c.id.to_string(),
            name: c.name,
            team_id: c.team_id.to_string(),
            plan_id: c.plan_id.to_string(),
            provider_id: c.provider_id.map(|p| p.to_string()),
            region_id: c.region_id.to_string(),
            storage: c.storage,
            is_ha: c.is_ha,
            is_protected: c.is_protected,
            is_suspended: c.is_suspended,
            major_version: c.major_version,
            postgres_version_id: c.postgres_version_id.map(|v| v.to_string()),
            memory: c.memory,
            vcpu: c.vcpu,
            host: c.host,
            network_id: c.network_id.map(|n| n.to_string()),
            state: c.state.map(|s| s.to_string()),
            maintenance_window_start: c.maintenance_window_start,
            environment: c.environment,
            parent_id: c.parent_id.map(|p| p.to_string()),
            created_at: c.created_at,
        }
    }
}

/// `crunchybridge:index:getCluster`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GetCluster;

#[async_trait]
impl Function for GetCluster {
    type Client = Clients;
    type Args = GetClusterArgs;
    type Output = GetClusterResult;

    const TOKEN: &'static str = "crunchybridge:index:getCluster";
    const DESCRIPTION: &'static str = "One Crunchy Bridge cluster, by `id` or by `name`: every \
        page of clusters is searched, and zero or several matches are errors that list the \
        candidates. Use it to put databases and roles on a cluster managed elsewhere.";

    fn check(&self, args: &mut GetClusterArgs) -> Vec<CheckFailure> {
        check_id_or_name(&mut args.id, &mut args.name, "cluster", "find")
    }

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: GetClusterArgs,
    ) -> Result<GetClusterResult, ResourceError> {
        find_one::<Cluster>(&cx.bridge()?, args.id, args.name)
            .await
            .map(Into::into)
    }
}
