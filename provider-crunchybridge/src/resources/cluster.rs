//! `crunchybridge:index:Cluster`: a Crunchy Bridge PostgreSQL cluster. It is created, waited
//! for until `ready`, changed in place (PATCH, upgrades, the HA actions) and read back after
//! every change.
//!
//! # One cluster per create, even across retries
//! `POST /clusters` carries an `Idempotency-Key` derived deterministically from the resource's
//! URN and the request body: a UUIDv5 of `"<urn>\n<JSON body>"` in a namespace of our own.
//! Bridge keeps a key for an hour and replays its stored answer to the same request. So a
//! `pulumi up` that lost the answer (a dropped connection, a provider that was killed, an
//! engine that was cancelled before it recorded the id) and is run again with the same
//! inputs gets the cluster that was made, not a second one. A random key would only cover
//! retries within one call; a key of the URN alone would replay a stale answer after the
//! inputs changed (and Bridge answers 409 to the same key with another body).
//!
//! A replay can name a cluster that no longer exists (a `pulumi destroy` and a new
//! `pulumi up` with the same inputs within the hour). The create then sees the named
//! cluster absent (or `destroying`) and asks again with a key derived from the previous key
//! and the stale id: still deterministic, so retries stay safe. Replacements delete the old
//! cluster first ([`Cluster::DELETE_BEFORE_REPLACE`]), so a forced replacement with unchanged
//! inputs never receives the old cluster back as the "new" one.
//!
//! # Waiting, and what a timeout leaves
//! After the create (and after every upgrade or HA change) the provider polls
//! `GET /clusters/{id}/status` (250 ms at first, backing off to every 10 s) until the cluster is
//! `ready` with no operation ongoing, reporting progress through the engine. The wait ends at
//! the request's deadline (`customTimeouts`, 30 minutes by default): the cluster exists, so the
//! provider answers with an init-failed error carrying its id and state. The engine keeps it,
//! and the next `pulumi up` calls Update, which notices the cluster is not ready yet and
//! resumes waiting; `pulumi destroy` deletes it. `creation_failed` and `failed` end the wait
//! with an init-failed error naming the cluster, for the same reason: it exists and must stay
//! deletable.
//!
//! # Inputs in the state
//! The state holds each input property as the program gave it (after Check), refreshed from
//! Bridge, because Diff compares the program with those values. Inputs the program left to
//! Bridge (`storage`, `postgresVersion`, `providerId`, `regionId`, `networkId`) stay absent
//! unless they were given; what Bridge chose is in outputs of their own (`majorVersion`,
//! `clusterNetworkId`). `networkCidr4` and `firewallMode` only shape the new network, and
//! Bridge does not report them on the cluster: they are kept as given. An import
//! (`pulumi import crunchybridge:index:Cluster <name> <clusterId>`) returns the cluster as
//! `networkId` (the network it is in) plus everything Bridge reports.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use ipnet::Ipv4Net;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use oceanid_core::crunchybridge::{
    Bridge, Cluster as ApiCluster, ClusterId, ClusterState as BridgeState, CreateCluster, Deletion,
    Error as BridgeError, FirewallMode as ApiFirewallMode, IdempotencyKey, NetworkId, PlanId,
    PostgresVersionSelector, ProviderId, RegionId, TeamId, UpdateCluster, UpgradeCluster, is_eid,
};

use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

/// The cloud providers Bridge runs clusters on.
pub const PROVIDERS: [&str; 3] = ["aws", "azure", "gcp"];

/// The first interval between two status polls; it grows by half each time.
const FIRST_POLL: Duration = Duration::from_millis(250);
/// The longest interval between two status polls.
const MAX_POLL: Duration = Duration::from_secs(10);
/// How many replayed answers naming deleted clusters a create follows before giving up.
const MAX_STALE_REPLAYS: usize = 4;

/// The namespace of the create idempotency keys (a fixed UUID of this provider's own).
const CREATE_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x8f0c_46b2_3c7d_4e51_9a0e_6f1d_2b3a_c415);

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

/// `crunchybridge:index:Cluster`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cluster;

/// The idempotency key of the first `POST /clusters` for a resource: a UUIDv5 of the URN and
/// the request body, the same on every retry of the same create (see the module docs).
pub fn create_key(urn: &str, request: &CreateCluster) -> IdempotencyKey {
    let body = serde_json::to_string(request).unwrap_or_default();
    let name = format!("{urn}\n{body}");
    IdempotencyKey::from(Uuid::new_v5(&CREATE_KEY_NAMESPACE, name.as_bytes()))
}

/// The key to ask again with after `previous` replayed an answer naming the cluster `stale`,
/// which no longer exists.
pub fn next_create_key(previous: &IdempotencyKey, stale: &str) -> IdempotencyKey {
    let name = format!("{previous}\nafter {stale}");
    IdempotencyKey::from(Uuid::new_v5(&CREATE_KEY_NAMESPACE, name.as_bytes()))
}

/// Checks a resource id: a cluster id (also the import id).
///
/// # Errors
/// When the id is not a Bridge cluster id, saying what it should look like.
pub fn parse_id(id: &str) -> Result<ClusterId, ResourceError> {
    if is_eid(id) {
        Ok(ClusterId::new(id))
    } else {
        Err(ResourceError::msg(format!(
            "`{id}` is not a Cluster id: use the cluster's id (26 lowercase letters and digits \
             2-7, as shown by `cb list`), e.g. `pulumi import crunchybridge:index:Cluster db \
             <clusterId>`"
        )))
    }
}

/// Normalises a network range: a private IPv4 CIDR with a prefix of /20 or shorter and no
/// host bits set.
///
/// # Errors
/// A reason for the user, proposing the network address when host bits are set.
pub fn normalize_cidr4(cidr: &str) -> Result<String, String> {
    let text = cidr.trim();
    let net: Ipv4Net = text.parse().map_err(|_| {
        format!("`{text}` is not an IPv4 CIDR; write the network's range as e.g. `10.10.0.0/20`")
    })?;
    let private = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .filter_map(|p| p.parse::<Ipv4Net>().ok())
        .any(|p| p.contains(&net));
    if !private {
        return Err(format!(
            "`{text}` is not a private range: use part of 10.0.0.0/8, 172.16.0.0/12 or \
             192.168.0.0/16, e.g. `10.10.0.0/20`"
        ));
    }
    if net.prefix_len() > 20 {
        return Err(format!(
            "`{text}` is too small: Bridge needs a prefix of /20 or shorter, e.g. `{}`",
            Ipv4Net::new(net.addr(), 20).map_or(net, |n| n.trunc())
        ));
    }
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has host bits set: did you mean `{}`?",
            net.trunc()
        ));
    }
    Ok(net.to_string())
}

fn check_args(args: &mut ClusterArgs) -> Vec<CheckFailure> {
    let mut failures = Vec::new();
    if args.name.trim().is_empty() {
        failures.push(CheckFailure::new(
            "name",
            "the name is empty; give the cluster a name, e.g. `app-db`",
        ));
    } else if args.name.len() > 255 {
        failures.push(CheckFailure::new(
            "name",
            "the name is longer than 255 characters; shorten it",
        ));
    }
    args.team_id = args.team_id.trim().to_owned();
    if !is_eid(&args.team_id) {
        failures.push(CheckFailure::new(
            "teamId",
            format!(
                "`{}` is not a Crunchy Bridge team id (26 lowercase letters and digits 2-7; see \
                 `getAccount` or `cb team list`)",
                args.team_id
            ),
        ));
    }
    args.plan_id = args.plan_id.trim().to_ascii_lowercase();
    if args.plan_id.is_empty() {
        failures.push(CheckFailure::new(
            "planId",
            "the plan is empty; give one such as `hobby-2` or `standard-8` (`cb plan list`)",
        ));
    }
    if let Some(provider) = &mut args.provider_id {
        *provider = provider.trim().to_ascii_lowercase();
        if !PROVIDERS.contains(&provider.as_str()) {
            failures.push(CheckFailure::new(
                "providerId",
                format!(
                    "`{provider}` is not a provider Bridge runs on; use `aws`, `azure` or `gcp`"
                ),
            ));
        }
    }
    if let Some(region) = &mut args.region_id {
        *region = region.trim().to_ascii_lowercase();
        if region.is_empty() {
            failures.push(CheckFailure::new(
                "regionId",
                "the region is empty; give one such as `us-east-1`, or leave it out with `networkId`",
            ));
        }
    }
    if args.storage == Some(0) {
        failures.push(CheckFailure::new(
            "storage",
            "storage is 0 GB; give the size in GB (e.g. `10`), or leave it out for Bridge's default",
        ));
    }
    if let Some(version) = args.postgres_version
        && !(10..=99).contains(&version)
    {
        failures.push(CheckFailure::new(
            "postgresVersion",
            format!(
                "{version} is not a PostgreSQL major version; give one such as `17` (`cb \
                 postgres-versions` lists them)"
            ),
        ));
    }
    if let Some(hour) = args.maintenance_window_start
        && !(0..=23).contains(&hour)
    {
        failures.push(CheckFailure::new(
            "maintenanceWindowStart",
            format!(
                "{hour} is not an hour of the day; give the UTC hour the window starts at, 0 to \
                 23, or leave it out for no window"
            ),
        ));
    }
    if args
        .environment
        .as_deref()
        .is_some_and(|e| e.trim().is_empty())
    {
        args.environment = None;
    }
    if let Some(env) = &args.environment
        && env != "production"
    {
        failures.push(CheckFailure::new(
            "environment",
            format!(
                "`{env}` is not an environment Bridge knows; use `production`, or leave it out"
            ),
        ));
    }
    if let Some(cidr) = &args.network_cidr4 {
        match normalize_cidr4(cidr) {
            Ok(net) => args.network_cidr4 = Some(net),
            Err(reason) => failures.push(CheckFailure::new("networkCidr4", reason)),
        }
    }
    if let Some(network) = &mut args.network_id {
        *network = network.trim().to_owned();
        if !is_eid(network) {
            failures.push(CheckFailure::new(
                "networkId",
                format!(
                    "`{network}` is not a Crunchy Bridge network id (26 lowercase letters and \
                     digits 2-7, e.g. another Cluster's `clusterNetworkId`, or `getNetwork`)"
                ),
            ));
        }
        let excluded = [
            (
                "providerId",
                args.provider_id.is_some(),
                "the cluster runs on the network's provider",
            ),
            (
                "networkCidr4",
                args.network_cidr4.is_some(),
                "the network already has its range",
            ),
            (
                "firewallMode",
                args.firewall_mode.is_some(),
                "the network already has its firewall rules",
            ),
        ];
        for (property, given, why) in excluded {
            if given {
                failures.push(CheckFailure::new(
                    property,
                    format!(
                        "`{property}` cannot be given with `networkId` ({why}): remove \
                         `{property}`, or remove `networkId` to have Bridge make a new network"
                    ),
                ));
            }
        }
    } else {
        for (property, given) in [
            ("providerId", args.provider_id.is_some()),
            ("regionId", args.region_id.is_some()),
        ] {
            if !given {
                failures.push(CheckFailure::new(
                    property,
                    format!(
                        "`{property}` is required for a cluster in a new network (e.g. \
                         `providerId: \"aws\"`, `regionId: \"us-east-1\"`); or give `networkId` \
                         to put the cluster in an existing network"
                    ),
                ));
            }
        }
    }
    if args.is_ha && args.plan_id.starts_with("hobby-") {
        failures.push(CheckFailure::new(
            "isHa",
            format!(
                "hobby plans ({}) cannot have a high-availability standby: choose a standard \
                 plan such as `standard-8`, or set `isHa: false`",
                args.plan_id
            ),
        ));
    }
    failures
}

/// The `POST /clusters` body for `args`.
fn create_request(args: &ClusterArgs) -> CreateCluster {
    let mut request = CreateCluster::new(
        &args.name,
        PlanId::new(&args.plan_id),
        TeamId::new(&args.team_id),
    );
    request.provider_id = args.provider_id.as_deref().map(ProviderId::new);
    request.region_id = args.region_id.as_deref().map(RegionId::new);
    request.storage = args.storage;
    request.is_ha = Some(args.is_ha);
    request.postgres_version_id = args.postgres_version.map(PostgresVersionSelector::Major);
    request.network_id = args.network_id.as_deref().map(NetworkId::new);
    request.network_cidr4 = args.network_cidr4.clone();
    request.firewall_mode = args.firewall_mode.map(ApiFirewallMode::from);
    request.environment = args.environment.clone();
    request.maintenance_window_start = args.maintenance_window_start;
    request
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn state_name(state: Option<&BridgeState>) -> String {
    state.map_or_else(|| "unknown".to_owned(), |s| s.as_str().to_owned())
}

/// The state a cluster on Bridge implies. With `prior` (the inputs as given), the inputs the
/// program left to Bridge stay absent and the ones it gave are refreshed; without (an
/// import), every input Bridge can tell is filled in, the network as `networkId`.
fn state_of(c: &ApiCluster, prior: Option<&ClusterArgs>) -> ClusterState {
    let storage = u32::try_from(c.storage).ok().filter(|s| *s > 0);
    let major = u32::try_from(c.major_version).ok().filter(|m| *m > 0);
    let network = c.network_id.as_ref().map(ToString::to_string);
    let region = non_empty(c.region_id.as_str());
    let args = match prior {
        Some(p) => ClusterArgs {
            name: c.name.clone(),
            team_id: c.team_id.to_string(),
            plan_id: non_empty(c.plan_id.as_str()).unwrap_or_else(|| p.plan_id.clone()),
            provider_id: p.provider_id.as_ref().map(|old| {
                c.provider_id
                    .as_ref()
                    .map_or_else(|| old.clone(), ToString::to_string)
            }),
            region_id: p
                .region_id
                .as_ref()
                .map(|old| region.clone().unwrap_or_else(|| old.clone())),
            storage: p.storage.map(|old| storage.unwrap_or(old)),
            is_ha: c.is_ha,
            postgres_version: p.postgres_version.map(|old| major.unwrap_or(old)),
            network_id: p
                .network_id
                .as_ref()
                .map(|old| network.clone().unwrap_or_else(|| old.clone())),
            network_cidr4: p.network_cidr4.clone(),
            firewall_mode: p.firewall_mode,
            is_protected: c.is_protected,
            maintenance_window_start: c.maintenance_window_start,
            environment: c.environment.clone().filter(|e| !e.is_empty()),
        },
        None => ClusterArgs {
            name: c.name.clone(),
            team_id: c.team_id.to_string(),
            plan_id: c.plan_id.to_string(),
            provider_id: None,
            region_id: None,
            storage,
            is_ha: c.is_ha,
            postgres_version: major,
            network_id: network.clone(),
            network_cidr4: None,
            firewall_mode: None,
            is_protected: c.is_protected,
            maintenance_window_start: c.maintenance_window_start,
            environment: c.environment.clone().filter(|e| !e.is_empty()),
        },
    };
    ClusterState {
        args,
        host: c.host.clone(),
        state: c.state.as_ref().map(|s| s.as_str().to_owned()),
        major_version: major,
        postgres_version_id: c.postgres_version_id.as_ref().map(ToString::to_string),
        cluster_network_id: network,
        memory: Some(c.memory),
        vcpu: Some(c.vcpu),
        created_at: c.created_at.clone(),
    }
}

/// Compares what Bridge holds with what was asked; `None` when they agree.
fn mismatch(c: &ApiCluster, want: &ClusterArgs) -> Option<String> {
    let mut diffs = Vec::new();
    let mut differ = |what: &str, held: String, asked: String| {
        if held != asked {
            diffs.push(format!("{what} is {held} (asked {asked})"));
        }
    };
    differ("name", format!("{:?}", c.name), format!("{:?}", want.name));
    differ("teamId", c.team_id.to_string(), want.team_id.clone());
    differ("planId", c.plan_id.to_string(), want.plan_id.clone());
    if let Some(provider) = &want.provider_id
        && let Some(held) = &c.provider_id
    {
        differ("providerId", held.to_string(), provider.clone());
    }
    if let Some(region) = &want.region_id {
        differ("regionId", c.region_id.to_string(), region.clone());
    }
    if let Some(network) = &want.network_id {
        let held = c.network_id.as_ref().map(ToString::to_string);
        differ("networkId", held.unwrap_or_default(), network.clone());
    }
    if let Some(storage) = want.storage {
        differ("storage", c.storage.to_string(), storage.to_string());
    }
    if let Some(version) = want.postgres_version {
        differ(
            "postgresVersion",
            c.major_version.to_string(),
            version.to_string(),
        );
    }
    differ("isHa", c.is_ha.to_string(), want.is_ha.to_string());
    differ(
        "isProtected",
        c.is_protected.to_string(),
        want.is_protected.to_string(),
    );
    differ(
        "maintenanceWindowStart",
        format!("{:?}", c.maintenance_window_start),
        format!("{:?}", want.maintenance_window_start),
    );
    differ(
        "environment",
        format!("{:?}", c.environment.as_deref().filter(|e| !e.is_empty())),
        format!("{:?}", want.environment.as_deref()),
    );
    (!diffs.is_empty()).then(|| diffs.join(", "))
}

/// The PATCH that brings `c` to `want`, if one is needed.
fn patch_for(c: &ApiCluster, want: &ClusterArgs) -> Option<UpdateCluster> {
    let held_env = c.environment.as_deref().filter(|e| !e.is_empty());
    let patch = UpdateCluster {
        name: (c.name != want.name).then(|| want.name.clone()),
        is_protected: (c.is_protected != want.is_protected).then_some(want.is_protected),
        // -1 removes the window, "" the environment.
        maintenance_window_start: (c.maintenance_window_start != want.maintenance_window_start)
            .then(|| want.maintenance_window_start.unwrap_or(-1)),
        environment: (held_env != want.environment.as_deref())
            .then(|| want.environment.clone().unwrap_or_default()),
    };
    (patch != UpdateCluster::default()).then_some(patch)
}

/// The upgrade that brings `c` to `want`'s plan, storage and version, if one is needed.
fn upgrade_for(c: &ApiCluster, want: &ClusterArgs) -> Option<UpgradeCluster> {
    let plan = (c.plan_id.as_str() != want.plan_id).then(|| PlanId::new(&want.plan_id));
    let storage = want.storage.filter(|s| i64::from(*s) != c.storage);
    let version = want
        .postgres_version
        .filter(|v| i64::from(*v) != i64::from(c.major_version))
        .map(PostgresVersionSelector::Major);
    (plan.is_some() || storage.is_some() || version.is_some()).then_some(UpgradeCluster {
        plan_id: plan,
        postgres_version_id: version,
        storage,
        starting_from: None,
    })
}

/// Whether Bridge holds `want`'s plan, storage, version and HA.
fn upgraded(c: &ApiCluster, want: &ClusterArgs) -> bool {
    c.plan_id.as_str() == want.plan_id
        && want.storage.is_none_or(|s| i64::from(s) == c.storage)
        && want
            .postgres_version
            .is_none_or(|v| i64::from(v) == i64::from(c.major_version))
        && c.is_ha == want.is_ha
}

/// Changes Bridge refuses; said before anything is changed.
fn refused_change(c: &ApiCluster, want: &ClusterArgs) -> Option<String> {
    if let Some(storage) = want.storage
        && i64::from(storage) < c.storage
    {
        return Some(format!(
            "cluster {} has {} GB of storage and Bridge cannot shrink it to {storage} GB: set \
             `storage` to {} or more (a smaller disk needs a new cluster and a restore)",
            c.id, c.storage, c.storage
        ));
    }
    if let Some(version) = want.postgres_version
        && i64::from(version) < i64::from(c.major_version)
    {
        return Some(format!(
            "cluster {} runs PostgreSQL {} and cannot be downgraded to {version}: set \
             `postgresVersion` to {} or later (an older version needs a new cluster)",
            c.id, c.major_version, c.major_version
        ));
    }
    None
}

fn is_settled(c: &ApiCluster) -> bool {
    c.state.as_ref().is_some_and(BridgeState::is_ready)
        && c.ongoing_operations.as_ref().is_none_or(Vec::is_empty)
}

/// Why waiting for a cluster stopped before it was done.
#[derive(Debug)]
enum Stopped {
    /// The cluster reached a state it does not leave by itself.
    Terminal(String),
    /// The deadline came first; the last state seen.
    Deadline(String),
    /// The engine cancelled; the last state seen.
    Cancelled(String),
    /// The cluster no longer exists.
    Gone,
    /// Polling failed.
    Api(BridgeError),
}

/// Polls the cluster until it is `ready` with no operation ongoing and `done` holds,
/// reporting progress as `doing`; stops at a terminal state, the deadline or cancellation.
async fn wait_until(
    cx: &Context<Clients>,
    bridge: &Bridge,
    id: &ClusterId,
    doing: &str,
    done: impl Fn(&ApiCluster) -> bool,
) -> Result<ApiCluster, Stopped> {
    let clusters = bridge.clusters();
    let started = Instant::now();
    let mut interval = FIRST_POLL;
    let mut last = "unknown".to_owned();
    loop {
        match clusters.status(id).await {
            Ok(status) => {
                let state = status.state.clone();
                last = state_name(state.as_ref());
                if state.as_ref().is_some_and(BridgeState::is_terminal_failure) {
                    return Err(Stopped::Terminal(last));
                }
                let operations: Vec<String> = status
                    .ongoing_upgrade
                    .as_ref()
                    .map(|u| {
                        u.operations
                            .iter()
                            .map(|op| format!("{} {}", op.flavor, op.state))
                            .collect()
                    })
                    .unwrap_or_default();
                if state.as_ref().is_some_and(BridgeState::is_ready) && operations.is_empty() {
                    match clusters.get_opt(id).await {
                        Ok(Some(c)) if is_settled(&c) && done(&c) => return Ok(c),
                        Ok(Some(_)) => {}
                        Ok(None) => return Err(Stopped::Gone),
                        Err(e) if e.is_timeout() => return Err(Stopped::Deadline(last)),
                        Err(e) => return Err(Stopped::Api(e)),
                    }
                }
                let ops = if operations.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", operations.join(", "))
                };
                cx.progress(&format!(
                    "{doing}: state {last}{ops}, {} s elapsed",
                    started.elapsed().as_secs()
                ));
            }
            Err(e) if e.is_not_found() => return Err(Stopped::Gone),
            Err(e) if e.is_timeout() => return Err(Stopped::Deadline(last)),
            Err(e) => return Err(Stopped::Api(e)),
        }
        let remaining = cx.remaining();
        if remaining.is_zero() {
            return Err(Stopped::Deadline(last));
        }
        tokio::select! {
            () = cx.cancellation().cancelled() => return Err(Stopped::Cancelled(last)),
            () = tokio::time::sleep(interval.min(remaining)) => {}
        }
        interval = (interval * 3 / 2).min(MAX_POLL);
    }
}

/// The error for a wait that stopped short. The cluster exists, so everything but its
/// disappearance is an init-failed error: the engine keeps the cluster (with `snapshot`'s
/// state) and the next `pulumi up` resumes, or `pulumi destroy` deletes it.
fn stopped_error(
    stopped: Stopped,
    snapshot: &ApiCluster,
    prior: &ClusterArgs,
    doing: &str,
    urn: &str,
) -> ResourceError {
    let id = snapshot.id.to_string();
    let name = &snapshot.name;
    let mut state = state_of(snapshot, Some(prior));
    let reason = match stopped {
        Stopped::Gone => {
            return ResourceError::msg(format!(
                "cluster {id} ({name}) disappeared while {doing}: it was deleted outside \
                 Pulumi. Run `pulumi refresh` to drop it from the stack; the next `pulumi up` \
                 then creates a new one"
            ));
        }
        Stopped::Terminal(s) => {
            state.state = Some(s.clone());
            format!(
                "cluster {id} ({name}) is {s} while {doing}, and Bridge will not finish it. It \
                 stays in the stack so that `pulumi destroy` deletes it; to try again, run \
                 `pulumi up --replace {urn}` (and give Crunchy Bridge support the cluster id \
                 {id} if it keeps failing)"
            )
        }
        Stopped::Deadline(s) => {
            state.state = Some(s.clone());
            format!(
                "cluster {id} ({name}) is still {s}: the timeout passed while {doing}. It stays \
                 in the stack, and the next `pulumi up` resumes waiting instead of creating \
                 another; to wait longer in one run, raise the resource option \
                 `customTimeouts`"
            )
        }
        Stopped::Cancelled(s) => {
            state.state = Some(s.clone());
            format!(
                "cancelled while {doing}; cluster {id} ({name}) exists (state {s}), stays in \
                 the stack, and the next `pulumi up` resumes waiting"
            )
        }
        Stopped::Api(e) => format!(
            "cluster {id} ({name}) exists, but checking on it while {doing} failed: {e}. It \
             stays in the stack, and the next `pulumi up` resumes"
        ),
    };
    ResourceError::init_failed(id, &state, vec![reason])
}

/// The error for a failed `POST /clusters`.
fn create_failed(args: &ClusterArgs, e: &BridgeError) -> ResourceError {
    if e.is_maybe_sent() || e.is_timeout() {
        ResourceError::msg(format!(
            "creating cluster {:?} may or may not have succeeded: {e}. Run `pulumi up` again \
             within the hour with the same inputs: it sends the same Idempotency-Key, so Bridge \
             answers with the cluster it made (if it made one) instead of making a second",
            args.name
        ))
    } else {
        ResourceError::because(format!("cannot create cluster {:?}", args.name), e)
    }
}

fn protected_error(c: &ApiCluster) -> ResourceError {
    ResourceError::msg(format!(
        "cluster {} ({}) is protected (`isProtected: true` on Bridge), so it is not deleted. To \
         delete it, set `isProtected: false` on the Cluster and run `pulumi up`, then run \
         `pulumi destroy` (or remove it from the program) again",
        c.id, c.name
    ))
}

#[async_trait]
impl Resource for Cluster {
    type Client = Clients;
    type Args = ClusterArgs;
    type State = ClusterState;

    const TOKEN: &'static str = "crunchybridge:index:Cluster";
    const DESCRIPTION: &'static str = "A Crunchy Bridge PostgreSQL cluster.\n\nCreate sends an \
        Idempotency-Key derived from the resource and its inputs, so a `pulumi up` retried after a \
        lost answer gets the cluster that was made rather than a second one; it then waits until \
        the cluster is `ready`, reporting progress. If the timeout (`customTimeouts`, 30 minutes by \
        default) passes first, the cluster stays in the stack and the next `pulumi up` resumes \
        waiting; `creation_failed` is an error naming the cluster, which `pulumi destroy` deletes. \
        `name`, `isProtected`, `maintenanceWindowStart` and `environment` update in place; \
        `planId`, `storage` and `postgresVersion` through a Bridge upgrade and `isHa` through the \
        HA actions, each waited for; team, provider, region and network replace the cluster (the \
        old one is deleted first). After every create and update the cluster is read back and \
        compared with what was asked. A protected cluster (`isProtected: true`) is never deleted. \
        Use `clusterNetworkId` for FirewallRules and a Role for credentials. Import with `pulumi \
        import crunchybridge:index:Cluster <name> <clusterId>`.";
    // A replacement starts empty, so two at once buy nothing; deleting first also means a
    // forced replacement with unchanged inputs cannot get the old cluster back from a replayed
    // Idempotency-Key (see the module docs).
    const DELETE_BEFORE_REPLACE: bool = true;
    const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

    fn check(&self, args: &mut ClusterArgs) -> Vec<CheckFailure> {
        check_args(args)
    }

    async fn create(
        &self,
        cx: &Context<Clients>,
        args: ClusterArgs,
    ) -> Result<Created<ClusterState>, ResourceError> {
        let bridge = cx.bridge()?;
        let clusters = bridge.clusters();
        let request = create_request(&args);
        let mut key = create_key(cx.urn(), &request);
        let mut made = None;
        for _ in 0..MAX_STALE_REPLAYS {
            let answer = clusters
                .create_with_key(&request, &key)
                .await
                .map_err(|e| create_failed(&args, &e))?;
            match clusters.get_opt(&answer.id).await {
                Ok(Some(live)) if live.state != Some(BridgeState::Destroying) => {
                    made = Some(live);
                    break;
                }
                Ok(_) => {
                    cx.info(&format!(
                        "Bridge replayed an earlier answer naming cluster {}, which has since \
                         been deleted; asking again",
                        answer.id
                    ));
                    key = next_create_key(&key, answer.id.as_str());
                }
                Err(e) => {
                    return Err(ResourceError::init_failed(
                        answer.id.to_string(),
                        &state_of(&answer, Some(&args)),
                        vec![format!(
                            "cluster {} was created, but reading it back failed: {e}. It stays \
                             in the stack, and the next `pulumi up` resumes",
                            answer.id
                        )],
                    ));
                }
            }
        }
        let Some(made) = made else {
            return Err(ResourceError::msg(format!(
                "creating cluster {:?}: Bridge kept answering with clusters that were deleted; \
                 wait an hour (Idempotency-Keys expire) or change an input, then run `pulumi up` \
                 again",
                args.name
            )));
        };
        let id = made.id.clone();
        cx.info(&format!(
            "Bridge accepted cluster {:?} as {id}; waiting until it is ready (usually a few \
             minutes)",
            args.name
        ));
        let doing = format!("creating cluster {} ({id})", args.name);
        let ready = wait_until(cx, &bridge, &id, &doing, |_| true)
            .await
            .map_err(|s| stopped_error(s, &made, &args, &doing, cx.urn()))?;
        // Bridge's create request has no protection flag: set it once the cluster is ready.
        if args.is_protected && !ready.is_protected {
            let patch = UpdateCluster {
                is_protected: Some(true),
                ..UpdateCluster::default()
            };
            if let Err(e) = clusters.update(&id, &patch).await {
                return Err(ResourceError::init_failed(
                    id.to_string(),
                    &state_of(&ready, Some(&args)),
                    vec![format!(
                        "cluster {id} is ready, but protecting it failed: {e}. The next `pulumi \
                         up` tries again"
                    )],
                ));
            }
        }
        let held = match clusters.get(&id).await {
            Ok(c) => c,
            Err(e) => {
                return Err(ResourceError::init_failed(
                    id.to_string(),
                    &state_of(&ready, Some(&args)),
                    vec![format!(
                        "cluster {id} is ready, but reading it back failed: {e}. The next \
                         `pulumi up` checks it again"
                    )],
                ));
            }
        };
        let state = state_of(&held, Some(&args));
        if let Some(diff) = mismatch(&held, &args) {
            return Err(ResourceError::init_failed(
                id.to_string(),
                &state,
                vec![format!(
                    "cluster {id} is ready, but Bridge does not hold what was asked: {diff}"
                )],
            ));
        }
        Ok(Created {
            id: id.to_string(),
            state,
        })
    }

    async fn read(
        &self,
        cx: &Context<Clients>,
        id: &str,
        prior: Option<ClusterState>,
    ) -> Result<Option<ClusterState>, ResourceError> {
        let cluster_id = parse_id(id)?;
        let bridge = cx.bridge()?;
        match bridge.clusters().get_opt(&cluster_id).await {
            // A cluster being destroyed is as good as gone.
            Ok(Some(c)) if c.state == Some(BridgeState::Destroying) => Ok(None),
            Ok(Some(c)) => Ok(Some(state_of(&c, prior.as_ref().map(|p| &p.args)))),
            Ok(None) => Ok(None),
            Err(e) => Err(ResourceError::because(
                format!("cannot read cluster {cluster_id}"),
                &e,
            )),
        }
    }

    async fn update(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _olds: ClusterState,
        news: ClusterArgs,
    ) -> Result<ClusterState, ResourceError> {
        let cluster_id = parse_id(id)?;
        let bridge = cx.bridge()?;
        let clusters = bridge.clusters();
        let mut current = match clusters.get_opt(&cluster_id).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Err(ResourceError::msg(format!(
                    "cluster {cluster_id} no longer exists on Bridge: run `pulumi refresh` to \
                     drop it from the stack, then `pulumi up` creates a new one"
                )));
            }
            Err(e) => {
                return Err(ResourceError::because(
                    format!("cannot read cluster {cluster_id}"),
                    &e,
                ));
            }
        };
        // An earlier create or update that timed out: finish waiting before changing anything.
        if !is_settled(&current) {
            if current
                .state
                .as_ref()
                .is_some_and(BridgeState::is_terminal_failure)
            {
                return Err(stopped_error(
                    Stopped::Terminal(state_name(current.state.as_ref())),
                    &current,
                    &news,
                    "updating it",
                    cx.urn(),
                ));
            }
            cx.info(&format!(
                "cluster {cluster_id} is {}; waiting for it to be ready before changing it \
                 (resuming an earlier `pulumi up`)",
                state_name(current.state.as_ref())
            ));
            let doing = format!("waiting for cluster {} ({cluster_id})", current.name);
            current = wait_until(cx, &bridge, &cluster_id, &doing, |_| true)
                .await
                .map_err(|s| stopped_error(s, &current, &news, &doing, cx.urn()))?;
        }
        if let Some(why) = refused_change(&current, &news) {
            return Err(ResourceError::Failed(why));
        }
        if let Some(patch) = patch_for(&current, &news) {
            current = clusters.update(&cluster_id, &patch).await.map_err(|e| {
                ResourceError::because(format!("cannot update cluster {cluster_id}"), &e)
            })?;
        }
        // Turn HA off before a resize (a hobby plan cannot have it), on after.
        let ha_first = current.is_ha && !news.is_ha;
        let mut steps = vec![Step::Ha, Step::Upgrade];
        if !ha_first {
            steps.reverse();
        }
        for step in steps {
            let doing = match step {
                Step::Upgrade => {
                    let Some(upgrade) = upgrade_for(&current, &news) else {
                        continue;
                    };
                    clusters.upgrade(&cluster_id, &upgrade).await.map_err(|e| {
                        ResourceError::because(format!("cannot upgrade cluster {cluster_id}"), &e)
                    })?;
                    format!(
                        "upgrading cluster {} ({cluster_id}) to {}",
                        news.name,
                        describe_upgrade(&upgrade)
                    )
                }
                Step::Ha if current.is_ha == news.is_ha => continue,
                Step::Ha => {
                    let result = if news.is_ha {
                        clusters.enable_ha(&cluster_id).await
                    } else {
                        clusters.disable_ha(&cluster_id).await
                    };
                    let verb = if news.is_ha { "enabling" } else { "disabling" };
                    result.map_err(|e| {
                        ResourceError::because(
                            format!("{verb} HA on cluster {cluster_id} failed"),
                            &e,
                        )
                    })?;
                    format!("{verb} HA on cluster {} ({cluster_id})", news.name)
                }
            };
            cx.info(&format!("{doing}; waiting until Bridge has applied it"));
            let want = ClusterArgs {
                is_ha: if step == Step::Ha {
                    news.is_ha
                } else {
                    current.is_ha
                },
                ..news.clone()
            };
            let want_step = step;
            current = wait_until(cx, &bridge, &cluster_id, &doing, |c| match want_step {
                Step::Ha => c.is_ha == want.is_ha,
                Step::Upgrade => upgraded(c, &want),
            })
            .await
            .map_err(|s| stopped_error(s, &current, &news, &doing, cx.urn()))?;
        }
        let held = clusters.get(&cluster_id).await.map_err(|e| {
            ResourceError::because(
                format!("updated cluster {cluster_id} but cannot read it back"),
                &e,
            )
        })?;
        let state = state_of(&held, Some(&news));
        if let Some(diff) = mismatch(&held, &news) {
            return Err(ResourceError::init_failed(
                id,
                &state,
                vec![format!("Bridge does not hold what was asked: {diff}")],
            ));
        }
        Ok(state)
    }

    async fn delete(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _state: ClusterState,
    ) -> Result<(), ResourceError> {
        let cluster_id = parse_id(id)?;
        let bridge = cx.bridge()?;
        let clusters = bridge.clusters();
        match clusters.get_opt(&cluster_id).await {
            Ok(Some(c)) if c.is_protected => return Err(protected_error(&c)),
            Ok(Some(_)) => {}
            Ok(None) => {
                cx.info(&format!("cluster {cluster_id} was already gone"));
                return Ok(());
            }
            Err(e) => {
                return Err(ResourceError::because(
                    format!("cannot read cluster {cluster_id}"),
                    &e,
                ));
            }
        }
        match clusters.delete(&cluster_id).await {
            Ok(Deletion::Deleted) => Ok(()),
            Ok(Deletion::AlreadyGone) => {
                cx.info(&format!("cluster {cluster_id} was already gone"));
                Ok(())
            }
            Err(e) => Err(ResourceError::because(
                format!(
                    "cannot delete cluster {cluster_id} (if Bridge says it is protected, set \
                     `isProtected: false` and run `pulumi up` first)"
                ),
                &e,
            )),
        }
    }
}

/// The two kinds of in-place change that Bridge carries out as operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Upgrade,
    Ha,
}

fn describe_upgrade(u: &UpgradeCluster) -> String {
    let mut parts = Vec::new();
    if let Some(plan) = &u.plan_id {
        parts.push(format!("plan {plan}"));
    }
    if let Some(storage) = u.storage {
        parts.push(format!("{storage} GB"));
    }
    if let Some(PostgresVersionSelector::Major(v)) = &u.postgres_version_id {
        parts.push(format!("PostgreSQL {v}"));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEAM: &str = "oceanidemulatorteam222222a";
    const NET: &str = "oceanidemulatornetwork222a";

    fn args() -> ClusterArgs {
        ClusterArgs {
            name: "app-db".into(),
            team_id: TEAM.into(),
            plan_id: "hobby-2".into(),
            provider_id: Some("aws".into()),
            region_id: Some("us-east-1".into()),
            storage: None,
            is_ha: false,
            postgres_version: None,
            network_id: None,
            network_cidr4: None,
            firewall_mode: None,
            is_protected: false,
            maintenance_window_start: None,
            environment: None,
        }
    }

    fn properties(failures: &[CheckFailure]) -> Vec<&str> {
        failures.iter().map(|f| f.property.as_str()).collect()
    }

    fn api_cluster() -> ApiCluster {
        serde_json::from_value(serde_json::json!({
            "id": "rvf73a77ozfsvcttryebfrnlem", "name": "app-db", "team_id": TEAM,
            "plan_id": "hobby-2", "provider_id": "aws", "region_id": "us-east-1",
            "storage": 10, "is_ha": false, "is_protected": false, "major_version": 17,
            "postgres_version_id": "oceanidemulatorpgseventeea", "memory": 2.0, "vcpu": 1.0,
            "host": "p.rvf73a77ozfsvcttryebfrnlem.db.postgresbridge.com", "network_id": NET,
            "state": "ready", "maintenance_window_start": null, "environment": null,
            "created_at": "2024-01-01T00:00:00Z", "ongoing_operations": []
        }))
        .unwrap()
    }

    #[test]
    fn good_inputs_are_normalised() {
        let mut a = args();
        a.provider_id = Some(" AWS ".into());
        a.plan_id = "Hobby-2".into();
        a.network_cidr4 = Some("10.10.0.0/20".into());
        a.environment = Some(String::new());
        assert_eq!(check_args(&mut a), vec![]);
        assert_eq!(a.provider_id.as_deref(), Some("aws"));
        assert_eq!(a.plan_id, "hobby-2");
        assert_eq!(a.environment, None);
    }

    #[test]
    fn network_id_excludes_provider_cidr_and_firewall_mode() {
        let mut a = args();
        a.network_id = Some(NET.into());
        a.region_id = None;
        a.network_cidr4 = Some("10.10.0.0/20".into());
        a.firewall_mode = Some(FirewallMode::DenyAll);
        let failures = check_args(&mut a);
        assert_eq!(
            properties(&failures),
            ["providerId", "networkCidr4", "firewallMode"]
        );
        assert!(failures[0].reason.contains("`networkId`"), "{failures:?}");
        // With the network alone, neither provider nor region is needed.
        let mut a = args();
        a.network_id = Some(NET.into());
        a.provider_id = None;
        a.region_id = None;
        assert_eq!(check_args(&mut a), vec![]);
    }

    #[test]
    fn a_new_network_needs_provider_and_region() {
        let mut a = args();
        a.provider_id = None;
        a.region_id = None;
        assert_eq!(properties(&check_args(&mut a)), ["providerId", "regionId"]);
    }

    #[test]
    fn ranges_and_enums_are_checked() {
        let mut a = args();
        a.maintenance_window_start = Some(24);
        a.postgres_version = Some(7);
        a.environment = Some("staging".into());
        a.storage = Some(0);
        a.provider_id = Some("digitalocean".into());
        a.team_id = "nope".into();
        a.is_ha = true;
        let failures = check_args(&mut a);
        let mut props = properties(&failures);
        props.sort_unstable();
        assert_eq!(
            props,
            [
                "environment",
                "isHa",
                "maintenanceWindowStart",
                "postgresVersion",
                "providerId",
                "storage",
                "teamId"
            ]
        );
        let mut a = args();
        a.maintenance_window_start = Some(0);
        a.postgres_version = Some(17);
        assert_eq!(check_args(&mut a), vec![]);
    }

    #[test]
    fn network_ranges() {
        assert_eq!(normalize_cidr4(" 10.10.0.0/20 ").unwrap(), "10.10.0.0/20");
        assert_eq!(normalize_cidr4("192.168.0.0/16").unwrap(), "192.168.0.0/16");
        assert!(
            normalize_cidr4("10.10.0.1/20")
                .unwrap_err()
                .contains("`10.10.0.0/20`")
        );
        assert!(normalize_cidr4("10.10.0.0/24").unwrap_err().contains("/20"));
        assert!(
            normalize_cidr4("8.8.0.0/16")
                .unwrap_err()
                .contains("private")
        );
        assert!(normalize_cidr4("fd00::/8").is_err());
        assert!(normalize_cidr4("nonsense").is_err());
    }

    #[test]
    fn idempotency_keys_are_deterministic_per_resource_and_body() {
        let urn = "urn:pulumi:prod::infra::crunchybridge:index:Cluster::db";
        let request = create_request(&args());
        let key = create_key(urn, &request);
        assert_eq!(key, create_key(urn, &request), "same resource, same inputs");
        assert!(Uuid::parse_str(key.as_str()).is_ok_and(|u| u.get_version_num() == 5));
        let other_stack = urn.replace("prod", "dev");
        assert_ne!(key, create_key(&other_stack, &request));
        let mut bigger = args();
        bigger.storage = Some(20);
        assert_ne!(key, create_key(urn, &create_request(&bigger)));
        let next = next_create_key(&key, "rvf73a77ozfsvcttryebfrnlem");
        assert_ne!(next, key);
        assert_eq!(next, next_create_key(&key, "rvf73a77ozfsvcttryebfrnlem"));
    }

    #[test]
    fn ids() {
        assert!(parse_id("rvf73a77ozfsvcttryebfrnlem").is_ok());
        let e = parse_id("net/rule").unwrap_err().to_string();
        assert!(e.contains("<clusterId>"), "{e}");
    }

    #[test]
    fn state_keeps_unset_inputs_absent_and_import_fills_them() {
        let c = api_cluster();
        let s = state_of(&c, Some(&args()));
        assert_eq!(s.args, args(), "nothing Bridge chose leaks into the inputs");
        assert_eq!(s.cluster_network_id.as_deref(), Some(NET));
        assert_eq!(s.major_version, Some(17));
        assert_eq!(mismatch(&c, &args()), None);

        let imported = state_of(&c, None);
        assert_eq!(imported.args.network_id.as_deref(), Some(NET));
        assert_eq!(imported.args.provider_id, None);
        assert_eq!(imported.args.storage, Some(10));
        assert_eq!(imported.args.postgres_version, Some(17));
        let mut checked = imported.args.clone();
        assert_eq!(check_args(&mut checked), vec![]);
        assert_eq!(
            checked, imported.args,
            "Check leaves imported inputs unchanged"
        );
    }

    #[test]
    fn updates_are_planned_from_what_bridge_holds() {
        let c = api_cluster();
        let mut want = args();
        assert_eq!(patch_for(&c, &want), None);
        assert!(upgrade_for(&c, &want).is_none());
        want.name = "renamed".into();
        want.is_protected = true;
        want.maintenance_window_start = Some(3);
        want.plan_id = "standard-8".into();
        want.storage = Some(20);
        want.postgres_version = Some(17);
        let patch = patch_for(&c, &want).unwrap();
        assert_eq!(patch.name.as_deref(), Some("renamed"));
        assert_eq!(patch.is_protected, Some(true));
        assert_eq!(patch.maintenance_window_start, Some(3));
        assert_eq!(patch.environment, None);
        let upgrade = upgrade_for(&c, &want).unwrap();
        assert_eq!(
            upgrade.plan_id.as_ref().map(PlanId::as_str),
            Some("standard-8")
        );
        assert_eq!(upgrade.storage, Some(20));
        assert_eq!(upgrade.postgres_version_id, None, "already on 17");
        want.storage = Some(5);
        assert!(refused_change(&c, &want).unwrap().contains("shrink"));
        want.storage = None;
        want.postgres_version = Some(16);
        assert!(refused_change(&c, &want).unwrap().contains("downgraded"));

        let mut held = c.clone();
        held.maintenance_window_start = Some(3);
        held.environment = Some("production".into());
        let clear = patch_for(&held, &args()).unwrap();
        assert_eq!(clear.maintenance_window_start, Some(-1));
        assert_eq!(clear.environment.as_deref(), Some(""));
    }
}
