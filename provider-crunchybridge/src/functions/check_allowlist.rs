//! `crunchybridge:index:checkAllowlist`: whether every given address (a node's egress address,
//! say) may reach a network's clusters, with the exact fix for each that may not.

use async_trait::async_trait;
use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::allowlist::{
    Coverage, MissingAddressFix, allow_all_detail, covered_detail, ingress_rules,
};
use oceanid_core::cidr::normalize_cidr;
use oceanid_core::crunchybridge::{FirewallRule, NetworkId};

use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Function, ResourceError};
use crate::resources::firewall_rule::check_network_id;

/// What to check.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckAllowlistArgs {
    /// The network whose ingress rules must let the addresses in.
    pub network_id: String,
    /// The addresses (or CIDRs) that must be able to connect, e.g. the nodes' egress addresses.
    pub addresses: Vec<String>,
    /// Whether a failed check fails the invocation (and so the deployment), with every failed
    /// check listed. Defaults to `false`: the report comes back with `ok: false`.
    #[serde(default)]
    pub fail_on_error: bool,
}

/// One check: an address covered or not, or the network's allow-all rule.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckAllowlistCheck {
    /// The address checked (normalised, e.g. `203.0.113.7/32`), or `allow_all`.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// The rule that covers the address, or the exact declaration or command that fixes it.
    pub detail: String,
}

/// What the check found.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckAllowlistResult {
    /// Whether every check passed.
    pub ok: bool,
    /// Every check, the addresses in the order given, then `allow_all`.
    pub checks: Vec<CheckAllowlistCheck>,
    /// The failed checks, one line each (`name: detail`); empty when `ok`.
    pub failures: String,
    /// The addresses no rule covers.
    pub missing: Vec<String>,
}

/// The report for `addresses` against the network's `rules`.
fn report(
    network: &NetworkId,
    addresses: &[IpNet],
    rules: &[FirewallRule],
) -> CheckAllowlistResult {
    let ingress = ingress_rules(rules);
    let coverage = Coverage::new(&ingress);
    let mut checks = Vec::new();
    let mut missing = Vec::new();
    for address in addresses {
        let (ok, detail) = match coverage.covering(address) {
            Some(rule) => (true, covered_detail(rule)),
            None => {
                missing.push(address.to_string());
                (
                    false,
                    MissingAddressFix::new(network.as_str(), *address).detail(),
                )
            }
        };
        checks.push(CheckAllowlistCheck {
            name: address.to_string(),
            ok,
            detail,
        });
    }
    let allow_all = coverage.allow_all();
    checks.push(CheckAllowlistCheck {
        name: "allow_all".into(),
        ok: allow_all.is_empty(),
        detail: match allow_all.first() {
            None => "the network has no allow-all rule".into(),
            Some(rule) => allow_all_detail(None, rule),
        },
    });
    let failures = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect::<Vec<_>>()
        .join("\n");
    CheckAllowlistResult {
        ok: failures.is_empty(),
        checks,
        failures,
        missing,
    }
}

/// `crunchybridge:index:checkAllowlist`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckAllowlist;

#[async_trait]
impl Function for CheckAllowlist {
    type Client = Clients;
    type Args = CheckAllowlistArgs;
    type Output = CheckAllowlistResult;

    const TOKEN: &'static str = "crunchybridge:index:checkAllowlist";
    const DESCRIPTION: &'static str = "Whether every given address (a cluster's node egress \
        addresses, say) is let in by one of a network's ingress rules: one check per address, \
        covered (by which rule) or missing (with the exact FirewallAllowlist entry or `cb` \
        command that fixes it), and one for the allow-all rule. `ok` is false when any failed; \
        set `failOnError: true` to make that fail the deployment instead.";

    fn check(&self, args: &mut CheckAllowlistArgs) -> Vec<CheckFailure> {
        let mut failures: Vec<CheckFailure> =
            check_network_id(&mut args.network_id).into_iter().collect();
        for (i, address) in args.addresses.iter_mut().enumerate() {
            match normalize_cidr(address) {
                Ok(net) => *address = net.to_string(),
                Err(e) => {
                    failures.push(CheckFailure::new(format!("addresses[{i}]"), e.to_string()))
                }
            }
        }
        failures
    }

    async fn invoke(
        &self,
        cx: &Context<Clients>,
        args: CheckAllowlistArgs,
    ) -> Result<CheckAllowlistResult, ResourceError> {
        let network = NetworkId::new(&args.network_id);
        let addresses = args
            .addresses
            .iter()
            .enumerate()
            .map(|(i, a)| {
                normalize_cidr(a).map_err(|e| ResourceError::msg(format!("addresses[{i}]: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let rules = cx.bridge()?.firewall(&network).list().await.map_err(|e| {
            ResourceError::because(format!("cannot list the rules of network {network}"), &e)
        })?;
        let result = report(&network, &addresses, &rules);
        if args.fail_on_error && !result.ok {
            return Err(ResourceError::msg(format!(
                "network {network} does not let every address in:\n{}",
                result.failures
            )));
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oceanid_core::crunchybridge::FirewallRuleId;

    fn rule(id: &str, cidr: &str) -> FirewallRule {
        FirewallRule {
            id: FirewallRuleId::new(id),
            rule: cidr.into(),
            ..FirewallRule::default()
        }
    }

    #[test]
    fn covered_missing_and_allow_all_are_reported() {
        let net = NetworkId::new("oceanidemulatornetwork222a");
        let addresses: Vec<IpNet> = ["157.173.210.123/32", "191.101.1.3/32"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let r = report(&net, &addresses, &[rule("r1", "157.173.210.0/24")]);
        assert!(!r.ok);
        assert_eq!(r.missing, ["191.101.1.3/32"]);
        assert!(r.checks[0].ok && r.checks[0].detail.contains("r1"));
        assert!(r.checks[1].detail.contains("cb network add-firewall-rule --network oceanidemulatornetwork222a --rule 191.101.1.3/32"));
        assert!(r.checks[2].ok, "no allow-all");

        let r = report(
            &net,
            &addresses,
            &[rule("all", "0.0.0.0/0"), rule("r1", "157.173.210.0/24")],
        );
        assert_eq!(
            r.missing,
            ["191.101.1.3/32"],
            "the allow-all rule is not counted as cover"
        );
        assert!(!r.checks[2].ok && r.checks[2].detail.contains("deny_all"));
    }
}
