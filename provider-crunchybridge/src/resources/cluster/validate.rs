//! Check: what makes Cluster inputs valid, each failure naming the property and the fix.

use ipnet::Ipv4Net;

use oceanid_core::crunchybridge::{ClusterId, is_eid};

use crate::pulumi::{CheckFailure, ResourceError};

use super::args::{ClusterArgs, PROVIDERS};

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

pub(super) fn check_args(args: &mut ClusterArgs) -> Vec<CheckFailure> {
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
