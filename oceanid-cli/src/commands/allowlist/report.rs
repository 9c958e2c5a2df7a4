//! The report of `oceanid allowlist check`: every node's egress address against the network's
//! ingress rules (the coverage of `oceanid_core::allowlist`), the crash loops on the nodes left
//! out, the rules that hold no node, and the allow-all rule. Pure: built from what was read.

use ipnet::IpNet;
use oceanid_core::allowlist::{
    Coverage, CurrentRule, MissingAddressFix, allow_all_detail, covered_detail, ingress_rules,
};
use oceanid_core::cidr::normalize_cidr;
use oceanid_core::crunchybridge::FirewallRule;
use oceanid_core::kubernetes::{Check, CrashLoop, NodeReport};
use serde::Serialize;

/// The description a node's rule gets, after its name: the operators' convention.
pub(crate) const NODE_RULE_DESCRIPTION: &str = "K3s worker node";

/// What the check found.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AllowlistReport {
    /// Every node covered and no allow-all rule.
    pub(crate) ok: bool,
    /// The network checked.
    pub(crate) network_id: String,
    /// Every node, by name.
    pub(crate) nodes: Vec<NodeCoverage>,
    /// Crash-looping containers on nodes no rule covers (missing, or no known egress address):
    /// the likely victims.
    pub(crate) likely_victims: Vec<CrashLoop>,
    /// Ingress rules that hold no node's egress address (informational).
    pub(crate) unmatched_rules: Vec<RuleRef>,
    /// The network's allow-all rules, with their fix.
    pub(crate) allow_all: Vec<AllowAllFinding>,
    /// One check per node and one for the allow-all rule.
    pub(crate) checks: Vec<Check>,
}

/// Where a node stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum NodeStatus {
    /// A rule lets its egress address in.
    Covered,
    /// No rule lets its egress address in.
    Missing,
    /// Its egress address is unknown, so no rule can be checked or proposed.
    NoEgressAddress,
}

/// One node.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeCoverage {
    /// The node's name.
    pub(crate) name: String,
    /// Its egress address (`191.101.1.3`), when known.
    pub(crate) egress_address: Option<String>,
    /// Covered, missing, or no egress address.
    pub(crate) status: NodeStatus,
    /// The rule that covers it.
    pub(crate) rule: Option<RuleRef>,
    /// For a missing node: the exact declarations and command that let it in.
    pub(crate) fix: Option<NodeFix>,
    /// Why: the covering rule, the fix, or how to find and annotate the egress address.
    pub(crate) detail: String,
}

/// The ways to let a missing node in; any one of them is enough.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeFix {
    /// An entry of the network's FirewallAllowlist (TypeScript).
    pub(crate) allowlist_entry: String,
    /// A FirewallRule declaration (TypeScript).
    pub(crate) firewall_rule: String,
    /// The `cb` command.
    pub(crate) cb_command: String,
}

/// A firewall rule, as listed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RuleRef {
    /// Its id.
    pub(crate) id: String,
    /// Its CIDR.
    pub(crate) rule: String,
    /// Its description.
    pub(crate) description: Option<String>,
}

impl From<&CurrentRule> for RuleRef {
    fn from(r: &CurrentRule) -> Self {
        Self {
            id: r.id.clone(),
            rule: r.rule.clone(),
            description: r.description.clone(),
        }
    }
}

/// The network's allow-all rule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AllowAllFinding {
    /// Its id.
    pub(crate) rule_id: String,
    /// `0.0.0.0/0` or `::/0`.
    pub(crate) rule: String,
    /// What it means and how to remove it.
    pub(crate) detail: String,
}

/// The report for `nodes` (as `oceanid nodes` sees them) and the `crash_loops` of the cluster
/// against the firewall `rules` of `network`.
pub(crate) fn allowlist_report(
    network: &str,
    nodes: &[NodeReport],
    crash_loops: &[CrashLoop],
    rules: &[FirewallRule],
) -> AllowlistReport {
    let ingress = ingress_rules(rules);
    let coverage = Coverage::new(&ingress);
    let mut addresses: Vec<IpNet> = Vec::new();
    let mut covered_nodes = Vec::new();
    for node in nodes {
        let address = node
            .egress_address
            .as_deref()
            .map(|a| normalize_cidr(a).map_err(|e| format!("its egress address {a}: {e}")));
        let entry = match address {
            None => no_egress(node, node.egress_detail.clone()),
            Some(Err(why)) => no_egress(node, why),
            Some(Ok(address)) => {
                addresses.push(address);
                node_coverage(network, node, address, &coverage)
            }
        };
        covered_nodes.push(entry);
    }
    let uncovered: Vec<&str> = covered_nodes
        .iter()
        .filter(|n| n.status != NodeStatus::Covered)
        .map(|n| n.name.as_str())
        .collect();
    let likely_victims = crash_loops
        .iter()
        .filter(|c| c.node.as_deref().is_some_and(|n| uncovered.contains(&n)))
        .cloned()
        .collect();
    let allow_all: Vec<AllowAllFinding> = coverage
        .allow_all()
        .iter()
        .map(|a| AllowAllFinding {
            rule_id: a.rule_id.clone(),
            rule: a.rule.to_string(),
            detail: allow_all_detail(Some(network), a),
        })
        .collect();
    let mut checks: Vec<Check> = covered_nodes
        .iter()
        .map(|n| {
            Check::new(
                format!("node {} allowed", n.name),
                n.status == NodeStatus::Covered,
                n.detail.clone(),
            )
        })
        .collect();
    checks.push(Check::new(
        "allow_all",
        allow_all.is_empty(),
        match allow_all.first() {
            None => "the network has no allow-all rule".to_owned(),
            Some(a) => a.detail.clone(),
        },
    ));
    AllowlistReport {
        ok: checks.iter().all(|c| c.ok),
        network_id: network.to_owned(),
        nodes: covered_nodes,
        likely_victims,
        unmatched_rules: coverage
            .unmatched(&addresses)
            .into_iter()
            .map(RuleRef::from)
            .collect(),
        allow_all,
        checks,
    }
}

fn no_egress(node: &NodeReport, detail: String) -> NodeCoverage {
    NodeCoverage {
        name: node.name.clone(),
        egress_address: None,
        status: NodeStatus::NoEgressAddress,
        rule: None,
        fix: None,
        detail,
    }
}

fn node_coverage(
    network: &str,
    node: &NodeReport,
    address: IpNet,
    coverage: &Coverage<'_>,
) -> NodeCoverage {
    if let Some(rule) = coverage.covering(&address) {
        return NodeCoverage {
            name: node.name.clone(),
            egress_address: node.egress_address.clone(),
            status: NodeStatus::Covered,
            rule: Some(RuleRef::from(rule)),
            fix: None,
            detail: covered_detail(rule),
        };
    }
    let fix = MissingAddressFix::new(network, address)
        .description(format!("{} - {NODE_RULE_DESCRIPTION}", node.name));
    NodeCoverage {
        name: node.name.clone(),
        egress_address: node.egress_address.clone(),
        status: NodeStatus::Missing,
        rule: None,
        detail: fix.detail(),
        fix: Some(NodeFix {
            allowlist_entry: fix.allowlist_entry(),
            firewall_rule: fix.firewall_rule(),
            cb_command: fix.cb_command(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oceanid_core::crunchybridge::{FirewallRuleId, FirewallRuleKind};
    use oceanid_core::kubernetes::EgressSource;

    fn node(name: &str, egress: Option<&str>) -> NodeReport {
        NodeReport {
            name: name.into(),
            roles: vec!["worker".into()],
            ready: true,
            internal_addresses: vec![],
            external_addresses: vec![],
            egress_address: egress.map(str::to_owned),
            egress_source: if egress.is_some() {
                EgressSource::ExternalIp
            } else {
                EgressSource::None
            },
            egress_detail: format!("{name}: how to annotate it"),
        }
    }

    fn rule(id: &str, cidr: &str, kind: Option<FirewallRuleKind>) -> FirewallRule {
        FirewallRule {
            id: FirewallRuleId::new(id),
            rule: cidr.into(),
            kind,
            ..FirewallRule::default()
        }
    }

    fn crash_loop(pod: &str, node: &str) -> CrashLoop {
        CrashLoop {
            namespace: "apps".into(),
            pod: pod.into(),
            node: Some(node.into()),
            container: "api".into(),
            restarts: 9,
            state: "CrashLoopBackOff".into(),
            last_reason: Some("Error".into()),
            last_exit_code: Some(1),
            last_message: None,
        }
    }

    #[test]
    fn covered_missing_and_unknown_nodes_with_their_victims() {
        let nodes = [
            node("calypso", None),
            node("srv712429", Some("157.173.210.123")),
            node("srv712695", Some("191.101.1.3")),
        ];
        let loops = [
            crash_loop("a", "srv712429"),
            crash_loop("b", "srv712695"),
            crash_loop("c", "calypso"),
        ];
        let rules = [
            rule("r1", "157.173.210.123/32", None),
            rule("office", "198.51.100.0/24", Some(FirewallRuleKind::Ingress)),
            rule("out", "191.101.1.0/24", Some(FirewallRuleKind::Egress)),
        ];
        let r = allowlist_report("n1", &nodes, &loops, &rules);
        assert!(!r.ok);
        let status: Vec<NodeStatus> = r.nodes.iter().map(|n| n.status).collect();
        assert_eq!(
            status,
            [
                NodeStatus::NoEgressAddress,
                NodeStatus::Covered,
                NodeStatus::Missing
            ],
            "an egress rule lets nothing in"
        );
        assert_eq!(r.nodes[1].rule.as_ref().map(|x| x.id.as_str()), Some("r1"));
        let fix = r.nodes[2].fix.as_ref().expect("a fix");
        assert_eq!(
            fix.cb_command,
            "cb network add-firewall-rule --network n1 --rule 191.101.1.3/32 --description \
             \"srv712695 - K3s worker node\""
        );
        assert_eq!(r.nodes[0].detail, "calypso: how to annotate it");
        let victims: Vec<&str> = r.likely_victims.iter().map(|c| c.pod.as_str()).collect();
        assert_eq!(victims, ["b", "c"], "not the pod on the covered node");
        let unmatched: Vec<&str> = r.unmatched_rules.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(unmatched, ["office"]);
        assert!(r.allow_all.is_empty());
        assert_eq!(r.checks.len(), 4);
    }

    #[test]
    fn all_covered_is_ok_until_an_allow_all_rule_appears() {
        let nodes = [node("srv712429", Some("157.173.210.123"))];
        let rules = [rule("r1", "157.173.210.0/24", None)];
        let r = allowlist_report("n1", &nodes, &[], &rules);
        assert!(r.ok, "{r:?}");
        assert!(r.unmatched_rules.is_empty());

        let rules = [
            rule("all", "0.0.0.0/0", None),
            rule("r1", "157.173.210.0/24", None),
        ];
        let r = allowlist_report("n1", &nodes, &[], &rules);
        assert!(!r.ok);
        assert_eq!(r.nodes[0].status, NodeStatus::Covered);
        assert_eq!(r.allow_all.len(), 1);
        assert!(
            r.allow_all[0]
                .detail
                .contains("cb network remove-firewall-rule --network n1 --rule all"),
            "{}",
            r.allow_all[0].detail
        );
    }
}
