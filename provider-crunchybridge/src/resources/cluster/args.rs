//! The Cluster resource's schema types: its inputs (`ClusterArgs`), its state and the
//! firewall mode of a new network.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::crunchybridge::FirewallMode as ApiFirewallMode;

/// The cloud providers Bridge runs clusters on.
pub const PROVIDERS: [&str; 3] = ["aws", "azure", "gcp"];

/// How a new cluster's new network starts its firewall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FirewallMode {
    /// With the allow-all rules `0.0.0.0/0` and `::/0` (Bridge's default): any address may
    /// connect, and no other IPv4 FirewallRule can be added while that rule exists.
    AllowAll,
    /// With no rules: nothing may connect until FirewallRules allow it.
    DenyAll,
}

impl From<FirewallMode> for ApiFirewallMode {
    fn from(mode: FirewallMode) -> ApiFirewallMode {
        match mode {
            FirewallMode::AllowAll => ApiFirewallMode::AllowAll,
            FirewallMode::DenyAll => ApiFirewallMode::DenyAll,
        }
    }
}

/// Inputs of a cluster.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterArgs {
    /// The cluster's name, as shown in the dashboard and by `cb list`. Updated in place.
    pub name: String,
    /// The id of the team that owns the cluster (e.g. from `getAccount`, or `cb team list`).
    /// Changing it replaces the cluster.
    #[schemars(extend("x-replace" = true))]
    pub team_id: String,
    /// The plan, e.g. `hobby-2` or `standard-8` (`cb plan list`). Changed in place through a
    /// Bridge upgrade (a resize), which waits for the maintenance window when one is set.
    pub plan_id: String,
    /// The cloud provider: `aws`, `azure` or `gcp`. Required unless `networkId` is given; not
    /// allowed with it (the cluster then runs where the network is). Changing it replaces the
    /// cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub provider_id: Option<String>,
    /// The provider's region, e.g. `us-east-1`. Required unless `networkId` is given (with it,
    /// it must be the network's region, so it is best left out). Changing it replaces the
    /// cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub region_id: Option<String>,
    /// Storage in GB; Bridge's default when not set. Grows in place through a Bridge upgrade;
    /// it cannot shrink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<u32>,
    /// Whether the cluster has a high-availability standby (not available on hobby plans).
    /// Changed in place through Bridge's enable-ha/disable-ha actions. Defaults to false.
    #[serde(default)]
    pub is_ha: bool,
    /// The PostgreSQL major version, e.g. `17`; Bridge's current default when not set.
    /// Raised in place through a major-version upgrade; it cannot go down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres_version: Option<u32>,
    /// The id of an existing network to put the cluster in (e.g. another Cluster's
    /// `clusterNetworkId`), sharing its firewall rules; leave it out and Bridge makes a new
    /// network. Not allowed with `providerId`, `networkCidr4` or `firewallMode`. Changing it
    /// replaces the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub network_id: Option<String>,
    /// The IPv4 range of the new network: a private (RFC 1918) CIDR with a prefix of /20 or
    /// shorter, e.g. `10.10.0.0/20`. Only without `networkId`. Changing it replaces the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub network_cidr4: Option<String>,
    /// How the new network's firewall starts: `allow_all` (Bridge's default) or `deny_all`
    /// (no rules; add FirewallRules for the addresses that may connect). Only without
    /// `networkId`. Changing it replaces the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-replace" = true))]
    pub firewall_mode: Option<FirewallMode>,
    /// Whether Bridge refuses to delete the cluster. While it is true, `pulumi destroy` and
    /// replacements fail: set it to false and run `pulumi up` first. Defaults to false.
    /// Updated in place.
    #[serde(default)]
    pub is_protected: bool,
    /// The hour (UTC, 0-23) at which the weekly maintenance window starts; no window when not
    /// set. Plan, storage and version upgrades wait for the window when there is one. Updated
    /// in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window_start: Option<i32>,
    /// `production` to mark the cluster as a production cluster; none when not set. Updated in
    /// place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// Stored state of a cluster: its inputs plus what Bridge reports.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterState {
    /// The inputs.
    #[serde(flatten)]
    pub args: ClusterArgs,
    /// The host name clients connect to (`p.<clusterId>.db.postgresbridge.com`, port 5432;
    /// 5431 is PgBouncer). A Role's `uri` has the full connection string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The cluster's state on Bridge: `ready` once it serves; `creating`, `restarting`,
    /// `creation_failed` and others while it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The PostgreSQL major version the cluster runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major_version: Option<u32>,
    /// The id of that PostgreSQL version on Bridge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres_version_id: Option<String>,
    /// The id of the network the cluster is in, whether given as `networkId` or made by
    /// Bridge: use it as a FirewallRule's `networkId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_network_id: Option<String>,
    /// Memory in GB (from the plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    /// Virtual CPUs (from the plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpu: Option<f64>,
    /// When the cluster was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}
