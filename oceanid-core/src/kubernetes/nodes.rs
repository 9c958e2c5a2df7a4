//! Nodes, their addresses, and the egress address Crunchy Bridge will see from each.
//!
//! The egress rule, in order:
//! 1. the annotation [`EGRESS_ANNOTATION`] (`oceanid.io/egress-ip`), when set, is taken as is:
//!    the operator said so;
//! 2. else the first globally routable `ExternalIP` of `status.addresses` or of the K3s
//!    annotation `k3s.io/external-ip` (IPv4 preferred);
//! 3. else the first globally routable `InternalIP` (status or `k3s.io/internal-ip`), for nodes
//!    on a public network without NAT;
//! 4. else none: the node sits behind NAT (a LAN or CGNAT address), and its public address cannot
//!    be seen from the cluster; the report says so and how to annotate the node.
//!
//! "Globally routable" is [`super::is_globally_routable`]: private, CGNAT, loopback, link-local
//! and documentation addresses are never guessed to be public.

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Node;
use serde::{Deserialize, Serialize};

use super::report::Check;
use super::routability::non_global_reason;

/// The annotation that states a node's egress address explicitly.
pub const EGRESS_ANNOTATION: &str = "oceanid.io/egress-ip";
/// K3s's annotation listing a node's internal addresses (comma-separated, dual stack).
pub const K3S_INTERNAL_IP: &str = "k3s.io/internal-ip";
/// K3s's annotation listing a node's external addresses (comma-separated, dual stack).
pub const K3S_EXTERNAL_IP: &str = "k3s.io/external-ip";
const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";

/// Every node and its egress address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NodesReport {
    /// True when every node has an egress address.
    pub ok: bool,
    /// The nodes, by name.
    pub nodes: Vec<NodeReport>,
    /// One check per node: `node <name> egress`.
    pub checks: Vec<Check>,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    /// The node's name.
    pub name: String,
    /// Roles from the `node-role.kubernetes.io/<role>` labels (e.g. `control-plane`).
    pub roles: Vec<String>,
    /// Whether the `Ready` condition is `True`.
    pub ready: bool,
    /// Internal addresses from `status.addresses` and `k3s.io/internal-ip`, deduplicated.
    pub internal_addresses: Vec<String>,
    /// External addresses from `status.addresses` and `k3s.io/external-ip`, deduplicated.
    pub external_addresses: Vec<String>,
    /// The address Crunchy Bridge sees this node's connections come from, when known.
    pub egress_address: Option<String>,
    /// Which rule chose it, or `none`.
    pub egress_source: EgressSource,
    /// Why this address (or why none, and the command that fixes it).
    pub egress_detail: String,
}

/// Which step of the egress rule chose the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum EgressSource {
    /// The `oceanid.io/egress-ip` annotation.
    Annotation,
    /// An `ExternalIP` (status or `k3s.io/external-ip`).
    ExternalIp,
    /// A globally routable `InternalIP`.
    InternalIp,
    /// No address could be chosen.
    None,
}

/// Builds the report for a list of nodes (sorted by name).
pub fn nodes_report(nodes: &[Node]) -> NodesReport {
    let mut reports: Vec<NodeReport> = nodes.iter().map(node_report).collect();
    reports.sort_by(|a, b| a.name.cmp(&b.name));
    let checks: Vec<Check> = reports
        .iter()
        .map(|n| {
            let detail = match &n.egress_address {
                Some(addr) => format!("{addr}: {}", n.egress_detail),
                None => n.egress_detail.clone(),
            };
            Check::new(
                format!("node {} egress", n.name),
                n.egress_address.is_some(),
                detail,
            )
        })
        .collect();
    NodesReport {
        ok: checks.iter().all(|c| c.ok),
        nodes: reports,
        checks,
    }
}

fn node_report(node: &Node) -> NodeReport {
    let name = node.metadata.name.clone().unwrap_or_default();
    let labels = node.metadata.labels.clone().unwrap_or_default();
    let annotations = node.metadata.annotations.clone().unwrap_or_default();
    let mut roles: Vec<String> = labels
        .keys()
        .filter_map(|k| k.strip_prefix(ROLE_LABEL_PREFIX))
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    roles.sort();
    let status = node.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let status_addresses = status.and_then(|s| s.addresses.clone()).unwrap_or_default();
    let mut invalid = Vec::new();
    let mut collect = |kind: &str, annotation: &str| -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = Vec::new();
        let from_status = status_addresses
            .iter()
            .filter(|a| a.type_ == kind)
            .map(|a| a.address.as_str());
        let from_annotation = annotations
            .get(annotation)
            .map(String::as_str)
            .unwrap_or("")
            .split(',');
        for raw in from_status
            .chain(from_annotation)
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match raw.parse::<IpAddr>() {
                Ok(ip) if !out.contains(&ip) => out.push(ip),
                Ok(_) => {}
                Err(_) => invalid.push(raw.to_owned()),
            }
        }
        out
    };
    let internal = collect("InternalIP", K3S_INTERNAL_IP);
    let external = collect("ExternalIP", K3S_EXTERNAL_IP);
    let (egress_address, egress_source, egress_detail) = choose_egress(
        &name,
        annotations.get(EGRESS_ANNOTATION).map(String::as_str),
        &internal,
        &external,
        &invalid,
    );
    NodeReport {
        name,
        roles,
        ready,
        internal_addresses: internal.iter().map(IpAddr::to_string).collect(),
        external_addresses: external.iter().map(IpAddr::to_string).collect(),
        egress_address,
        egress_source,
        egress_detail,
    }
}

fn first_global(addrs: &[IpAddr]) -> Option<IpAddr> {
    let global = || {
        addrs
            .iter()
            .copied()
            .filter(|a| non_global_reason(*a).is_none())
    };
    global().find(IpAddr::is_ipv4).or_else(|| global().next())
}

fn choose_egress(
    node: &str,
    annotation: Option<&str>,
    internal: &[IpAddr],
    external: &[IpAddr],
    invalid: &[String],
) -> (Option<String>, EgressSource, String) {
    let fix = format!(
        "find the public address its traffic leaves from (e.g. `curl -s https://ifconfig.me` on the node) and run \
         `kubectl annotate node {node} {EGRESS_ANNOTATION}=<addr>`"
    );
    if let Some(value) = annotation.map(str::trim) {
        return match value.parse::<IpAddr>() {
            Ok(ip) => {
                let note = non_global_reason(ip)
                    .map(|why| {
                        format!(
                            " (note: {why}, so Bridge cannot see it unless the path is private)"
                        )
                    })
                    .unwrap_or_default();
                (
                    Some(ip.to_string()),
                    EgressSource::Annotation,
                    format!("set by annotation {EGRESS_ANNOTATION}{note}"),
                )
            }
            Err(_) => (
                None,
                EgressSource::None,
                format!("annotation {EGRESS_ANNOTATION} is not an IP address; {fix} --overwrite"),
            ),
        };
    }
    if let Some(ip) = first_global(external) {
        return (
            Some(ip.to_string()),
            EgressSource::ExternalIp,
            "the node's ExternalIP".to_owned(),
        );
    }
    if let Some(ip) = first_global(internal) {
        return (
            Some(ip.to_string()),
            EgressSource::InternalIp,
            "the node's InternalIP, which is globally routable (no ExternalIP set)".to_owned(),
        );
    }
    let seen: Vec<String> = internal
        .iter()
        .chain(external)
        .map(|ip| {
            format!(
                "{ip} ({})",
                non_global_reason(*ip).unwrap_or("not routable")
            )
        })
        .chain(
            invalid
                .iter()
                .map(|raw| format!("{raw} (not an IP address)")),
        )
        .collect();
    let why = if seen.is_empty() {
        "the node reports no addresses at all".to_owned()
    } else {
        format!(
            "no {EGRESS_ANNOTATION} annotation, no globally routable ExternalIP or InternalIP; it has only {}: it \
             reaches the internet through NAT whose public address the cluster cannot see",
            seen.join(", ")
        )
    };
    (None, EgressSource::None, format!("{why}; {fix}"))
}
