//! Between the API and the resource: the create request, the state read back, and which
//! PATCH, upgrade or refusal a change of inputs needs.

use oceanid_core::crunchybridge::{
    Cluster as ApiCluster, ClusterState as BridgeState, CreateCluster,
    FirewallMode as ApiFirewallMode, NetworkId, PlanId, PostgresVersionSelector, ProviderId,
    RegionId, TeamId, UpdateCluster, UpgradeCluster,
};

use super::args::{ClusterArgs, ClusterState};

/// The `POST /clusters` body for `args`.
pub(super) fn create_request(args: &ClusterArgs) -> CreateCluster {
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

pub(super) fn state_name(state: Option<&BridgeState>) -> String {
    state.map_or_else(|| "unknown".to_owned(), |s| s.as_str().to_owned())
}

/// The state a cluster on Bridge implies. With `prior` (the inputs as given), the inputs the
/// program left to Bridge stay absent and the ones it gave are refreshed; without (an
/// import), every input Bridge can tell is filled in, the network as `networkId`.
pub(super) fn state_of(c: &ApiCluster, prior: Option<&ClusterArgs>) -> ClusterState {
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
pub(super) fn mismatch(c: &ApiCluster, want: &ClusterArgs) -> Option<String> {
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
pub(super) fn patch_for(c: &ApiCluster, want: &ClusterArgs) -> Option<UpdateCluster> {
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
pub(super) fn upgrade_for(c: &ApiCluster, want: &ClusterArgs) -> Option<UpgradeCluster> {
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
pub(super) fn upgraded(c: &ApiCluster, want: &ClusterArgs) -> bool {
    c.plan_id.as_str() == want.plan_id
        && want.storage.is_none_or(|s| i64::from(s) == c.storage)
        && want
            .postgres_version
            .is_none_or(|v| i64::from(v) == i64::from(c.major_version))
        && c.is_ha == want.is_ha
}

/// Changes Bridge refuses; said before anything is changed.
pub(super) fn refused_change(c: &ApiCluster, want: &ClusterArgs) -> Option<String> {
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
