//! The handbook's WARP requirements as checks: the profile is in Include mode, every address is
//! covered by an include entry, every address has a live tunnel route whose tunnel is healthy
//! with at least one connection, and the protected entries are present and unchanged. Also the
//! split-tunnel list as it stands, each entry marked protected or not.

use std::collections::HashMap;

use ipnet::IpNet;
use serde::Serialize;

use super::client::Cloudflare;
use super::client_error::ClientError;
use super::ids::{PolicyId, TunnelId};
use super::split_tunnel::{Mode, SplitTunnelEntry, SplitTunnelTarget};
use super::split_tunnel_key::{EntryKey, ProtectedCidrs};
use super::tunnels::Tunnel;
use crate::cidr::normalize_cidr;
use crate::report::Check;

/// The result of [`verify_private_access`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct PrivateAccessReport {
    /// Whether every check passed.
    pub ok: bool,
    /// The profile checked (`None` for the default profile).
    pub policy_id: Option<String>,
    /// Every check, in order.
    pub checks: Vec<Check>,
}

/// One entry of [`SplitTunnelView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SplitTunnelViewEntry {
    /// The address, for an address entry.
    pub address: Option<String>,
    /// The host, for a host entry.
    pub host: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// Whether it overlaps a protected network (then oceanid never changes it).
    pub protected: bool,
}

/// A profile's split tunnel as it stands: its mode and the list in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct SplitTunnelView {
    /// The profile (`None` for the default profile).
    pub policy_id: Option<String>,
    /// The profile's mode (`None` when it shows neither list).
    pub mode: Option<Mode>,
    /// The entries of the list in force, in Cloudflare's order.
    pub entries: Vec<SplitTunnelViewEntry>,
}

/// The split tunnel of a profile (`policy` `None`: the default one), each entry marked
/// protected or not.
///
/// # Errors
/// Cloudflare's error (an unknown policy is not found).
pub async fn split_tunnel(
    client: &Cloudflare,
    policy: Option<&PolicyId>,
    protected: &ProtectedCidrs,
) -> Result<SplitTunnelView, ClientError> {
    let profile = client.profile(policy).await?;
    let mode = profile.mode();
    let entries = match mode {
        Some(mode) => client.split_tunnel(policy, mode).await?,
        None => Vec::new(),
    };
    Ok(SplitTunnelView {
        policy_id: policy.map(|p| p.as_str().to_owned()),
        mode,
        entries: entries
            .iter()
            .map(|e| {
                let (address, host) = match &e.target {
                    SplitTunnelTarget::Address(a) => (Some(a.clone()), None),
                    SplitTunnelTarget::Host(h) => (None, Some(h.clone())),
                };
                SplitTunnelViewEntry {
                    address,
                    host,
                    description: e.description.clone(),
                    protected: protected.protects(e),
                }
            })
            .collect(),
    })
}

/// Check that WARP clients on the profile reach `addresses` (CIDRs or IPs) through a tunnel.
///
/// # Errors
/// Cloudflare's error when a read fails (the checks could not run); a failed check is not an
/// error, it is in the report.
pub async fn verify_private_access(
    client: &Cloudflare,
    addresses: &[String],
    policy: Option<&PolicyId>,
    protected: &ProtectedCidrs,
) -> Result<PrivateAccessReport, ClientError> {
    let mut checks = Vec::new();
    let profile = client.profile(policy).await?;
    let mode = profile.mode();
    checks.push(Check::new(
        "profile in Include mode",
        mode == Some(Mode::Include),
        match mode {
            Some(Mode::Include) => "only the listed destinations go through WARP".to_owned(),
            Some(Mode::Exclude) => "the profile is in Exclude mode: switch it to Include in \
                 Cloudflare's dashboard (this resets its lists; re-declare the entries)"
                .to_owned(),
            None => "the profile shows neither an include nor an exclude list".to_owned(),
        },
    ));
    let include = client.split_tunnel(policy, Mode::Include).await?;
    let routes = client.routes().await?;
    let mut tunnels: HashMap<TunnelId, Option<Tunnel>> = HashMap::new();
    for address in addresses {
        let net = match normalize_cidr(address) {
            Ok(net) => net,
            Err(e) => {
                checks.push(Check::new(
                    format!("address {address}"),
                    false,
                    format!("not an address or CIDR: {e}"),
                ));
                continue;
            }
        };
        checks.push(covered(net, &include));
        let route = routes
            .iter()
            .find(|r| r.is_live() && normalize_cidr(&r.network).is_ok_and(|rn| rn.contains(&net)));
        let check = match route {
            None => Check::new(
                format!("{net} tunnel route"),
                false,
                format!(
                    "no tunnel route covers {net}: add one (Networks → Routes) to the tunnel that \
                     reaches it"
                ),
            ),
            Some(route) => {
                let tunnel = match tunnels.get(&route.tunnel_id) {
                    Some(t) => t.clone(),
                    None => {
                        let fetched = match client.tunnel(&route.tunnel_id).await {
                            Ok(t) => Some(t),
                            Err(e) if e.is_not_found() => None,
                            Err(e) => return Err(e),
                        };
                        tunnels.insert(route.tunnel_id.clone(), fetched.clone());
                        fetched
                    }
                };
                tunnel_check(net, &route.network, &route.tunnel_id, tunnel.as_ref())
            }
        };
        checks.push(check);
    }
    for network in protected.networks() {
        let same: Vec<&SplitTunnelEntry> = include
            .iter()
            .filter(|e| EntryKey::of(e) == Some(EntryKey::Address(*network)))
            .collect();
        checks.push(match same.as_slice() {
            [entry] => Check::new(
                format!("protected {network}"),
                true,
                format!(
                    "present and unchanged ({})",
                    entry.description.as_deref().unwrap_or("no description")
                ),
            ),
            [] => Check::new(
                format!("protected {network}"),
                false,
                "missing from the include list: its owners must restore it (oceanid never \
                 writes a protected entry)",
            ),
            _ => Check::new(
                format!("protected {network}"),
                false,
                format!("listed {} times: its owners should keep one", same.len()),
            ),
        });
    }
    Ok(PrivateAccessReport {
        ok: checks.iter().all(|c| c.ok),
        policy_id: policy.map(|p| p.as_str().to_owned()),
        checks,
    })
}

fn covered(net: IpNet, include: &[SplitTunnelEntry]) -> Check {
    let by = include.iter().find_map(|e| match EntryKey::of(e) {
        Some(EntryKey::Address(entry)) if entry.contains(&net) => Some(entry),
        _ => None,
    });
    match by {
        Some(entry) => Check::new(
            format!("{net} in split tunnel"),
            true,
            format!("covered by include entry {entry}"),
        ),
        None => Check::new(
            format!("{net} in split tunnel"),
            false,
            format!("no include entry covers {net}: declare a SplitTunnelEntry for it"),
        ),
    }
}

fn tunnel_check(net: IpNet, route: &str, id: &TunnelId, tunnel: Option<&Tunnel>) -> Check {
    let name = format!("{net} tunnel route");
    match tunnel {
        None => Check::new(
            name,
            false,
            format!("route {route} points at tunnel {id}, which does not exist"),
        ),
        Some(t) if t.is_healthy() && !t.connections.is_empty() => Check::new(
            name,
            true,
            format!(
                "route {route} via tunnel {} ({}, {} connection(s))",
                t.name,
                t.status.as_deref().unwrap_or("healthy"),
                t.connections.len()
            ),
        ),
        Some(t) => Check::new(
            name,
            false,
            format!(
                "route {route} via tunnel {}, which is {} with {} connection(s): start \
                 cloudflared for it",
                t.name,
                t.status.as_deref().unwrap_or("of unknown status"),
                t.connections.len()
            ),
        ),
    }
}
