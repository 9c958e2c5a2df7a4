//! `crunchybridge:index:FirewallAllowlist`: the rules of a Bridge network kept equal to a
//! list, touching only the rules the allowlist owns.
//!
//! Every operation reads the network's rules once, plans with
//! [`oceanid_core::allowlist::plan`], applies the plan (`apply`: deletes first, then the
//! creates and description patches in parallel) and verifies the result with one list
//! read-back. A partial failure is init-failed with what exists, so the next `up` finishes the
//! job; a create whose outcome was unknown is remembered (`unconfirmed`) and its rule claimed
//! on the next run rather than made twice.

mod apply;

use std::collections::BTreeSet;

use async_trait::async_trait;
use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::allowlist::{self, DesiredEntry, PlanInput};
use oceanid_core::cidr::normalize_cidr;
use oceanid_core::crunchybridge::{
    Deletion, FirewallRule as ApiRule, FirewallRuleId, NetworkId, is_eid,
};

use self::apply::{Applied, apply};
use super::firewall_rule::check_network_id;
use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

/// How many rule changes run at once.
pub const PARALLEL_CHANGES: usize = 10;

/// One address the allowlist lets in.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllowlistEntry {
    /// An IPv4 or IPv6 address or CIDR, e.g. a node's egress address `203.0.113.7`; a bare
    /// address becomes a /32 (IPv4) or /128 (IPv6).
    pub address: String,
    /// A note for people reading the rule list, e.g. `srv712429 - K3s worker node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Inputs of a firewall allowlist.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirewallAllowlistArgs {
    /// The id of the Bridge network whose ingress rules the allowlist keeps. Changing it
    /// replaces the allowlist.
    #[schemars(extend("x-replace" = true))]
    pub network_id: String,
    /// The addresses to let in. Identical entries are merged; two entries for one address
    /// with different descriptions, or overlapping entries, are refused.
    pub entries: Vec<AllowlistEntry>,
    /// Take over a rule that already holds exactly an entry's address but that this
    /// allowlist did not make (such as a rule added by hand). Off by default: such a rule is
    /// a conflict, and nothing changes.
    #[serde(default)]
    pub adopt_existing: bool,
}

/// One rule the allowlist owns.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllowlistRule {
    /// The rule's id on Bridge.
    pub rule_id: String,
    /// The CIDR it allows.
    pub rule: String,
    /// Its note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Stored state of a firewall allowlist: its inputs plus the rules it owns.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirewallAllowlistState {
    /// The inputs.
    #[serde(flatten)]
    pub args: FirewallAllowlistArgs,
    /// The rules the allowlist owns, as Bridge holds them.
    pub rules: Vec<AllowlistRule>,
    /// CIDRs whose create had an unknown outcome (the answer was lost): a rule holding one
    /// of them is claimed on the next run rather than made again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unconfirmed: Vec<String>,
    /// How many times the allowlist has been applied in full; part of every create's
    /// `Idempotency-Key`, so a retry of an unfinished run replays while a later run does not.
    #[serde(default)]
    pub applied: u64,
}

/// `crunchybridge:index:FirewallAllowlist`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FirewallAllowlist;

/// The resource id (and import id): `<networkId>/<ruleId>[,<ruleId>…]`.
pub fn resource_id(network: &str, rule_ids: &[String]) -> String {
    format!("{network}/{}", rule_ids.join(","))
}

/// Splits a resource or import id into the network and the rule ids.
///
/// # Errors
/// When the id is not of the form `<networkId>/<ruleId>[,<ruleId>…]`, saying what it should be.
pub fn parse_id(id: &str) -> Result<(NetworkId, Vec<FirewallRuleId>), ResourceError> {
    let bad = || {
        ResourceError::msg(format!(
            "`{}` is not a FirewallAllowlist id: use `<networkId>/<ruleId>[,<ruleId>…]`, e.g. \
             `pulumi import crunchybridge:index:FirewallAllowlist nodes <networkId>/<ruleId1>,\
             <ruleId2>` (list the ids with `getFirewallRules`)",
            id.chars().take(80).collect::<String>()
        ))
    };
    let (network, rules) = id.split_once('/').ok_or_else(bad)?;
    if !is_eid(network) {
        return Err(bad());
    }
    let ids: Vec<&str> = rules.split(',').filter(|r| !r.is_empty()).collect();
    if ids.iter().any(|r| !is_eid(r)) {
        return Err(bad());
    }
    Ok((
        NetworkId::new(network),
        ids.into_iter().map(FirewallRuleId::new).collect(),
    ))
}

fn desired(args: &FirewallAllowlistArgs) -> Vec<DesiredEntry> {
    args.entries
        .iter()
        .map(|e| DesiredEntry::new(&e.address, e.description.as_deref()))
        .collect()
}

/// The owned rules as Bridge holds them, in the order of `ids`.
fn owned_rules(held: &[ApiRule], ids: &[String]) -> Vec<AllowlistRule> {
    ids.iter()
        .filter_map(|id| held.iter().find(|r| r.id.as_str() == id))
        .map(|r| AllowlistRule {
            rule_id: r.id.to_string(),
            rule: normalize_cidr(&r.rule).map_or_else(|_| r.rule.clone(), |n| n.to_string()),
            description: r.description().map(str::to_owned),
        })
        .collect()
}

/// The entries the owned rules amount to (what a refresh or an import reports as inputs).
fn entries_of(rules: &[AllowlistRule]) -> Vec<AllowlistEntry> {
    rules
        .iter()
        .map(|r| AllowlistEntry {
            address: r.rule.clone(),
            description: r.description.clone(),
        })
        .collect()
}

/// Lists the network's rules, plans against them and applies the plan; the state it leaves,
/// or init-failed with what exists.
async fn converge(
    cx: &Context<Clients>,
    args: FirewallAllowlistArgs,
    owned: BTreeSet<String>,
    unconfirmed: &[String],
    applied: u64,
) -> Result<(String, FirewallAllowlistState), ResourceError> {
    let bridge = cx.bridge()?;
    let network = NetworkId::new(&args.network_id);
    let firewall = bridge.firewall(&network);
    let now = firewall.list().await.map_err(|e| {
        ResourceError::because(format!("cannot list the rules of network {network}"), &e)
    })?;
    let claimable: BTreeSet<IpNet> = unconfirmed.iter().filter_map(|c| c.parse().ok()).collect();
    let current = allowlist::ingress_rules(&now);
    let desired = desired(&args);
    let input = PlanInput::new(&desired, &current, &owned)
        .adopt_existing(args.adopt_existing)
        .claimable(&claimable);
    let plan = allowlist::plan(&input).map_err(|errors| {
        ResourceError::msg(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    if !plan.conflicts.is_empty() {
        let mut reasons: Vec<String> = plan.conflicts.iter().map(ToString::to_string).collect();
        reasons.push(format!("nothing was changed on network {network}"));
        return Err(ResourceError::msg(reasons.join("\n")));
    }
    let Applied {
        owned,
        unconfirmed,
        held,
        failures,
    } = apply(cx, &firewall, &plan, &now, applied).await;
    let rules = owned_rules(&held, &owned);
    let id = resource_id(&args.network_id, &owned);
    let complete = failures.is_empty();
    let state = FirewallAllowlistState {
        args,
        rules,
        unconfirmed: unconfirmed.iter().map(ToString::to_string).collect(),
        applied: if complete { applied + 1 } else { applied },
    };
    if complete {
        Ok((id, state))
    } else {
        Err(ResourceError::init_failed(id, &state, failures))
    }
}

#[async_trait]
impl Resource for FirewallAllowlist {
    type Client = Clients;
    type Args = FirewallAllowlistArgs;
    type State = FirewallAllowlistState;

    const TOKEN: &'static str = "crunchybridge:index:FirewallAllowlist";
    const DESCRIPTION: &'static str = "The ingress rules of a Crunchy Bridge network kept equal to \
        a list of addresses, such as the egress addresses of a cluster's nodes.\n\nThe \
        allowlist touches only the rules it owns: every other rule on the network stays exactly \
        as it is. A rule that already holds an entry's address is a conflict unless \
        `adoptExisting` is set. Changes run in parallel (deletes first, since Bridge refuses \
        overlapping rules) and are verified by one read-back of the network's rules. A partial \
        failure leaves the allowlist recorded with what exists, and the next `pulumi up` \
        finishes the job without ever making a rule twice. Import with `pulumi import \
        crunchybridge:index:FirewallAllowlist <name> <networkId>/<ruleId>[,<ruleId>…]`.";

    fn check(&self, args: &mut FirewallAllowlistArgs) -> Vec<CheckFailure> {
        let mut failures = Vec::new();
        failures.extend(check_network_id(&mut args.network_id));
        let mut well_formed = true;
        for (i, entry) in args.entries.iter_mut().enumerate() {
            match normalize_cidr(&entry.address) {
                Ok(net) => entry.address = net.to_string(),
                Err(e) => {
                    well_formed = false;
                    failures.push(CheckFailure::new(
                        format!("entries[{i}].address"),
                        e.to_string(),
                    ));
                }
            }
            if entry.description.as_deref().is_some_and(str::is_empty) {
                entry.description = None;
            }
        }
        if well_formed {
            // Duplicates and overlaps between entries, each at the later entry's position.
            let desired = desired(args);
            let none = BTreeSet::new();
            if let Err(errors) = allowlist::plan(&PlanInput::new(&desired, &[], &none)) {
                failures.extend(
                    errors
                        .into_iter()
                        .map(|e| CheckFailure::new(format!("entries[{}]", e.position), e.reason)),
                );
            }
        }
        failures
    }

    async fn create(
        &self,
        cx: &Context<Clients>,
        args: FirewallAllowlistArgs,
    ) -> Result<Created<FirewallAllowlistState>, ResourceError> {
        let (id, state) = converge(cx, args, BTreeSet::new(), &[], 0).await?;
        Ok(Created { id, state })
    }

    async fn read(
        &self,
        cx: &Context<Clients>,
        id: &str,
        prior: Option<FirewallAllowlistState>,
    ) -> Result<Option<FirewallAllowlistState>, ResourceError> {
        let (network, ids) = parse_id(id)?;
        let (args, owned, unconfirmed, applied) = match prior {
            Some(p) => (
                p.args,
                p.rules.into_iter().map(|r| r.rule_id).collect::<Vec<_>>(),
                p.unconfirmed,
                p.applied,
            ),
            None => {
                if ids.is_empty() {
                    return Err(ResourceError::msg(format!(
                        "`{id}` names no rule: import with `<networkId>/<ruleId>[,<ruleId>…]`"
                    )));
                }
                let args = FirewallAllowlistArgs {
                    network_id: network.to_string(),
                    entries: Vec::new(),
                    adopt_existing: false,
                };
                (
                    args,
                    ids.iter().map(ToString::to_string).collect(),
                    Vec::new(),
                    0,
                )
            }
        };
        let bridge = cx.bridge()?;
        let firewall = bridge.firewall(&network);
        let held = firewall.list().await.map_err(|e| {
            ResourceError::because(format!("cannot list the rules of network {network}"), &e)
        })?;
        let rules = owned_rules(&held, &owned);
        let entries = entries_of(&rules);
        Ok(Some(FirewallAllowlistState {
            args: FirewallAllowlistArgs { entries, ..args },
            rules,
            unconfirmed,
            applied,
        }))
    }

    async fn update(
        &self,
        cx: &Context<Clients>,
        _id: &str,
        olds: FirewallAllowlistState,
        news: FirewallAllowlistArgs,
    ) -> Result<FirewallAllowlistState, ResourceError> {
        let owned = olds.rules.iter().map(|r| r.rule_id.clone()).collect();
        // The resource id is fixed at create; an update records its rules in the state.
        converge(cx, news, owned, &olds.unconfirmed, olds.applied)
            .await
            .map(|(_, state)| state)
    }

    async fn delete(
        &self,
        cx: &Context<Clients>,
        id: &str,
        state: FirewallAllowlistState,
    ) -> Result<(), ResourceError> {
        let (network, _) = parse_id(id)?;
        let bridge = cx.bridge()?;
        let firewall = bridge.firewall(&network);
        let ids: Vec<FirewallRuleId> = state
            .rules
            .iter()
            .map(|r| FirewallRuleId::new(&r.rule_id))
            .collect();
        let failures = apply::delete_all(&firewall, &ids).await;
        if failures.is_empty() {
            return Ok(());
        }
        Err(ResourceError::msg(format!(
            "cannot delete every rule of the allowlist on network {network}: {}; run `pulumi \
             destroy` again to finish",
            failures.join("; ")
        )))
    }
}

/// Whether a delete answer means the rule is gone.
fn is_gone(result: &Result<Deletion, oceanid_core::crunchybridge::Error>) -> bool {
    matches!(result, Ok(Deletion::Deleted | Deletion::AlreadyGone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_bad_ones_are_explained() {
        let net = format!("{}a", "n".repeat(25));
        let (r1, r2) = (
            format!("{}e", "b".repeat(25)),
            format!("{}q", "c".repeat(25)),
        );
        let id = resource_id(&net, &[r1.clone(), r2.clone()]);
        let (n, ids) = parse_id(&id).unwrap();
        assert_eq!(n.as_str(), net);
        assert_eq!(ids.iter().map(|i| i.as_str()).collect::<Vec<_>>(), [r1, r2]);
        let (_, none) = parse_id(&format!("{net}/")).unwrap();
        assert!(none.is_empty());
        for bad in ["nope", "x/y", &format!("{net}/short")] {
            let e = parse_id(bad).unwrap_err().to_string();
            assert!(e.contains("<networkId>/<ruleId>[,<ruleId>…]"), "{e}");
        }
    }

    #[test]
    fn check_normalises_and_names_the_entry_in_the_way() {
        let mut args = FirewallAllowlistArgs {
            network_id: format!(" {}a ", "n".repeat(25)),
            entries: vec![
                AllowlistEntry {
                    address: "203.0.113.7".into(),
                    description: Some(String::new()),
                },
                AllowlistEntry {
                    address: "203.0.113.7/32".into(),
                    description: Some("n2".into()),
                },
                AllowlistEntry {
                    address: "10.1.2.3/16".into(),
                    description: None,
                },
            ],
            adopt_existing: false,
        };
        let f = FirewallAllowlist.check(&mut args);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].property, "entries[2].address");
        assert_eq!(args.entries[0].address, "203.0.113.7/32");
        assert_eq!(args.entries[0].description, None);
        args.entries.pop();
        let f = FirewallAllowlist.check(&mut args);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].property, "entries[1]");
        assert!(f[0].reason.contains("entries[0]"), "{}", f[0].reason);
    }

    #[test]
    fn a_delete_that_finds_the_rule_gone_is_done() {
        assert!(is_gone(&Ok(Deletion::AlreadyGone)));
        assert!(is_gone(&Ok(Deletion::Deleted)));
    }
}
