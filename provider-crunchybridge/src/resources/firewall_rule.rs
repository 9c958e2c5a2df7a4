//! `crunchybridge:index:FirewallRule`: one CIDR allowed into (or out of) a Bridge network.

use async_trait::async_trait;
use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::cidr::normalize_cidr;
use oceanid_core::crunchybridge::{
    Bridge, CreateFirewallRule, Deletion, FirewallHandler, FirewallRule as ApiRule, FirewallRuleId,
    FirewallRuleKind as ApiKind, NetworkId, UpdateFirewallRule, is_eid,
};

use super::urn::resource_name;
use crate::clients::{BridgeOf, Clients};
use crate::pulumi::{CheckFailure, Context, Created, Resource, ResourceError};

/// Which way a rule lets traffic through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FirewallRuleKind {
    /// Connections into the network (the usual allowlist entry).
    #[default]
    Ingress,
    /// Connections out of the network.
    Egress,
}

/// Inputs of a firewall rule.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRuleArgs {
    /// The id of the Bridge network the rule belongs to (every cluster in the network
    /// shares its rules). Changing it replaces the rule.
    #[schemars(extend("x-replace" = true))]
    pub network_id: String,
    /// The allowed addresses as an IPv4 or IPv6 CIDR, e.g. `203.0.113.7/32`. A bare address
    /// becomes a /32 (IPv4) or /128 (IPv6). Updated in place.
    pub rule: String,
    /// A note for people reading the rule list, e.g. which node the address belongs to.
    /// Updated in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `ingress` (the default) or `egress`. Changing it replaces the rule.
    #[serde(default)]
    #[schemars(extend("x-replace" = true))]
    pub kind: FirewallRuleKind,
}

/// Stored state of a firewall rule: its inputs plus what Bridge assigned.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FirewallRuleState {
    /// The inputs.
    #[serde(flatten)]
    pub args: FirewallRuleArgs,
    /// The rule's id on Bridge (the resource id is `<networkId>/<ruleId>`).
    pub rule_id: String,
    /// The team that owns the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<String>,
}

/// `crunchybridge:index:FirewallRule`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FirewallRule;

/// Normalises a rule with [`normalize_cidr`], the rule every address range of the project
/// follows (host networks for bare addresses, IPv4 for IPv4-mapped IPv6, host bits refused).
///
/// # Errors
/// A reason for the user when the text is not an address or CIDR, or has host bits set.
pub fn normalize_rule(rule: &str) -> Result<String, String> {
    normalize_cidr(rule)
        .map(|net| net.to_string())
        .map_err(|e| e.to_string())
}

/// Trims a `networkId` input in place; the failure when it is not a network id.
pub fn check_network_id(network_id: &mut String) -> Option<CheckFailure> {
    *network_id = network_id.trim().to_owned();
    (!is_eid(network_id)).then(|| {
        CheckFailure::new(
            "networkId",
            format!(
                "`{network_id}` is not a Crunchy Bridge network id (26 lowercase letters and \
                 digits 2-7, e.g. from `getNetwork` or a Cluster's `networkId`)"
            ),
        )
    })
}

/// The resource id of a rule: `<networkId>/<ruleId>` (also the import id).
pub fn resource_id(network: &str, rule: &str) -> String {
    format!("{network}/{rule}")
}

/// Splits a resource id `<networkId>/<ruleId>`.
///
/// # Errors
/// When the id is not of that form, saying what it should look like.
pub fn parse_id(id: &str) -> Result<(NetworkId, FirewallRuleId), ResourceError> {
    match id.split_once('/') {
        Some((net, rule)) if is_eid(net) && is_eid(rule) => {
            Ok((NetworkId::new(net), FirewallRuleId::new(rule)))
        }
        _ => Err(ResourceError::msg(format!(
            "`{id}` is not a FirewallRule id: use `<networkId>/<ruleId>`, e.g. `pulumi import \
             crunchybridge:index:FirewallRule node-1 <networkId>/<ruleId>` (list the ids with \
             `getFirewallRules`)"
        ))),
    }
}

/// The rule `id` as Bridge holds it now, read after the create answered; `None` when Bridge
/// does not have it.
///
/// When the provider's requests are queueing for the API (no free slot under
/// `maxConcurrentRequests`: many creates at once, as a `pulumi up` sends them), the rule is
/// looked up in a list of the network's rules begun after this call, one list per round shared
/// by every create on the network waiting for one: ~1 call per create instead of 2, and no
/// read-back queued behind the creates. With slots free, a GET of the rule answers sooner than
/// waiting for a shared list (the engine at `--parallel 10`).
///
/// # Errors
/// The read's error, or the operation's deadline passing first.
async fn read_back_created(
    cx: &Context<Clients>,
    bridge: &Bridge,
    firewall: &FirewallHandler,
    id: &FirewallRuleId,
) -> Result<Option<ApiRule>, String> {
    if bridge.free_request_slots() != Some(0) {
        return firewall.get_opt(id).await.map_err(|e| e.to_string());
    }
    let lists = &cx.client().map_err(|e| e.to_string())?.firewall_rule_lists;
    let handler = firewall.clone();
    let round = lists.fresh(firewall.network().clone(), move || async move {
        handler.list().await
    });
    match tokio::time::timeout_at(cx.deadline().into(), round).await {
        Ok(Ok(rules)) => Ok(rules.iter().find(|r| r.id == *id).cloned()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(
            "the operation's deadline passed while waiting for the network's rule list".to_owned(),
        ),
    }
}

fn api_kind(kind: FirewallRuleKind) -> ApiKind {
    match kind {
        FirewallRuleKind::Ingress => ApiKind::Ingress,
        FirewallRuleKind::Egress => ApiKind::Egress,
    }
}

/// The state a rule on Bridge implies, keeping the stored description's absence when
/// Bridge reports an empty one.
fn state_of(rule: &ApiRule, network: &NetworkId) -> Result<FirewallRuleState, ResourceError> {
    let kind = match rule.effective_kind() {
        ApiKind::Ingress => FirewallRuleKind::Ingress,
        ApiKind::Egress => FirewallRuleKind::Egress,
        other => {
            return Err(ResourceError::msg(format!(
                "rule {} on network {network} has kind {other:?}, which this provider does not know; \
                 upgrade the provider",
                rule.id
            )));
        }
    };
    Ok(FirewallRuleState {
        args: FirewallRuleArgs {
            network_id: network.to_string(),
            rule: normalize_rule(&rule.rule).unwrap_or_else(|_| rule.rule.clone()),
            description: rule.description().map(str::to_owned),
            kind,
        },
        rule_id: rule.id.to_string(),
        team_id: rule.team_id.as_ref().map(ToString::to_string),
    })
}

fn same_net(a: &str, b: &str) -> bool {
    match (normalize_rule(a), normalize_rule(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn overlaps(a: &str, b: &str) -> bool {
    match (a.parse::<IpNet>(), b.parse::<IpNet>()) {
        (Ok(a), Ok(b)) => a.contains(&b) || b.contains(&a),
        _ => false,
    }
}

fn is_allow_all(rule: &str) -> bool {
    matches!(rule, "0.0.0.0/0" | "::/0")
}

/// Why a new rule cannot be added next to the existing ones, if it cannot.
fn conflict(args: &FirewallRuleArgs, existing: &[ApiRule], urn: &str) -> Option<String> {
    let wanted = api_kind(args.kind);
    for other in existing.iter().filter(|r| r.effective_kind() == wanted) {
        if same_net(&other.rule, &args.rule) {
            return Some(format!(
                "the rule {} already exists on network {} (rule id {}{}). To manage it with \
                 Pulumi, import it instead of creating it:\n    pulumi import \
                 crunchybridge:index:FirewallRule {} {}",
                args.rule,
                args.network_id,
                other.id,
                other
                    .description()
                    .map(|d| format!(", description {d:?}"))
                    .unwrap_or_default(),
                resource_name(urn),
                resource_id(&args.network_id, other.id.as_str()),
            ));
        }
        if overlaps(&other.rule, &args.rule) && is_allow_all(&other.rule) {
            return Some(format!(
                "network {} still has the allow-all rule {} (rule id {}), and while it exists \
                 Bridge accepts no other {} rule. Delete that rule (for example `cb network \
                 remove-firewall-rule --network {} --rule {}`, or import it as a FirewallRule \
                 and remove it from the program), or create the cluster with \
                 `firewallMode: \"deny_all\"` so the network starts without it",
                args.network_id,
                other.rule,
                other.id,
                if other.rule.contains(':') {
                    "IPv6"
                } else {
                    "IPv4"
                },
                args.network_id,
                other.id,
            ));
        }
        if overlaps(&other.rule, &args.rule) {
            return Some(format!(
                "{} overlaps the rule {} (rule id {}{}) on network {}, and Bridge refuses \
                 overlapping rules: widen or narrow one of them, or import the existing rule \
                 with `pulumi import crunchybridge:index:FirewallRule {} {}`",
                args.rule,
                other.rule,
                other.id,
                other
                    .description()
                    .map(|d| format!(", description {d:?}"))
                    .unwrap_or_default(),
                args.network_id,
                resource_name(urn),
                resource_id(&args.network_id, other.id.as_str()),
            ));
        }
    }
    None
}

/// Compares what Bridge holds with what was asked; `None` when they agree.
fn mismatch(held: &FirewallRuleState, asked: &FirewallRuleArgs) -> Option<String> {
    let mut diffs = Vec::new();
    if !same_net(&held.args.rule, &asked.rule) {
        diffs.push(format!("rule is {} (asked {})", held.args.rule, asked.rule));
    }
    let desc = |d: &Option<String>| d.clone().filter(|d| !d.is_empty());
    if desc(&held.args.description) != desc(&asked.description) {
        diffs.push(format!(
            "description is {:?} (asked {:?})",
            held.args.description, asked.description
        ));
    }
    if held.args.kind != asked.kind {
        diffs.push(format!(
            "kind is {:?} (asked {:?})",
            held.args.kind, asked.kind
        ));
    }
    (!diffs.is_empty()).then(|| diffs.join(", "))
}

#[async_trait]
impl Resource for FirewallRule {
    type Client = Clients;
    type Args = FirewallRuleArgs;
    type State = FirewallRuleState;

    const TOKEN: &'static str = "crunchybridge:index:FirewallRule";
    const DESCRIPTION: &'static str = "One CIDR allowed into (or out of) a Crunchy Bridge network: \
        the allowlist entry a node needs to reach the database.\n\nThe rule is normalised (a bare \
        address becomes `/32` or `/128`); `rule` and `description` update in place; `networkId` \
        and `kind` replace the rule (the old one is deleted first, since Bridge refuses \
        overlapping rules). After every create and update the rule is read back and compared \
        with what was asked (after many creates at once, from lists of the network's rules \
        shared by the creates waiting at the same time, each begun after they answered). Import with \
        `pulumi import crunchybridge:index:FirewallRule <name> <networkId>/<ruleId>`.";
    const DELETE_BEFORE_REPLACE: bool = true;

    fn check(&self, args: &mut FirewallRuleArgs) -> Vec<CheckFailure> {
        let mut failures = Vec::new();
        failures.extend(check_network_id(&mut args.network_id));
        match normalize_rule(&args.rule) {
            Ok(rule) => args.rule = rule,
            Err(reason) => failures.push(CheckFailure::new("rule", reason)),
        }
        // Bridge stores an empty description as none; say so in the inputs too, so that a
        // refresh never shows a difference.
        if args.description.as_deref().is_some_and(str::is_empty) {
            args.description = None;
        }
        failures
    }

    async fn create(
        &self,
        cx: &Context<Clients>,
        args: FirewallRuleArgs,
    ) -> Result<Created<FirewallRuleState>, ResourceError> {
        let bridge = cx.bridge()?;
        let network = NetworkId::new(&args.network_id);
        let firewall = bridge.firewall(&network);
        // One call in the common case: Bridge itself refuses a duplicate or overlapping rule
        // (400), and only then are the rules listed to explain which one is in the way.
        let mut request = CreateFirewallRule::new(&args.rule).kind(api_kind(args.kind));
        if let Some(d) = &args.description {
            request = request.description(d);
        }
        let created = match firewall.create(&request).await {
            Ok(rule) => rule,
            Err(e) if e.is_maybe_sent() || e.is_timeout() => {
                // The outcome is unknown (the client's retries, which replay the same
                // Idempotency-Key, ran out): look before reporting, so a rule that was made is
                // adopted rather than made twice on the next attempt.
                let now = firewall.list().await.map_err(|le| {
                    ResourceError::because(
                        format!(
                            "creating {} on network {network} may or may not have succeeded, and \
                             listing the rules to find out failed too ({le}); run `pulumi \
                             refresh`, then import the rule if it exists",
                            args.rule
                        ),
                        &e,
                    )
                })?;
                let made = now.into_iter().find(|r| {
                    same_net(&r.rule, &args.rule)
                        && r.effective_kind() == api_kind(args.kind)
                        && r.description() == args.description.as_deref()
                });
                match made {
                    Some(rule) => {
                        cx.info(&format!(
                            "the create answer was lost ({e}); found rule {} with exactly what \
                             was asked and adopted it",
                            rule.id
                        ));
                        rule
                    }
                    None => {
                        return Err(ResourceError::because(
                            format!("cannot create {} on network {network}", args.rule),
                            &e,
                        ));
                    }
                }
            }
            Err(e) => {
                let explained = if e.status() == Some(400) {
                    firewall
                        .list()
                        .await
                        .ok()
                        .and_then(|now| conflict(&args, &now, cx.urn()))
                } else {
                    None
                };
                return Err(ResourceError::Failed(match explained {
                    Some(why) => format!("{why}\n(Bridge answered: {e})"),
                    None => format!("cannot create {} on network {network}: {e}", args.rule),
                }));
            }
        };
        let id = resource_id(&args.network_id, created.id.as_str());
        // Verify: read the rule back after the create answered (from a list shared with the
        // other creates on this network when requests are queueing) and compare with what was
        // asked.
        let read_back = match read_back_created(cx, &bridge, &firewall, &created.id).await {
            Ok(Some(rule)) => Ok(rule),
            Ok(None) => Err(format!(
                "the rule was created (id {}) but Bridge does not have it when read back after \
                 the create; run `pulumi refresh` to see whether it exists",
                created.id
            )),
            Err(why) => Err(format!(
                "the rule was created but reading it back failed: {why}"
            )),
        };
        let held = match read_back {
            Ok(rule) => state_of(&rule, &network)?,
            Err(why) => {
                let state = state_of(&created, &network)?;
                return Err(ResourceError::init_failed(id, &state, vec![why]));
            }
        };
        if let Some(diff) = mismatch(&held, &args) {
            return Err(ResourceError::init_failed(
                id,
                &held,
                vec![format!("Bridge does not hold what was asked: {diff}")],
            ));
        }
        Ok(Created { id, state: held })
    }

    async fn read(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _prior: Option<FirewallRuleState>,
    ) -> Result<Option<FirewallRuleState>, ResourceError> {
        let (network, rule_id) = parse_id(id)?;
        let bridge = cx.bridge()?;
        match bridge.firewall(&network).get_opt(&rule_id).await {
            Ok(Some(rule)) => state_of(&rule, &network).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(ResourceError::because(
                format!("cannot read rule {rule_id} of network {network}"),
                &e,
            )),
        }
    }

    async fn update(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _olds: FirewallRuleState,
        news: FirewallRuleArgs,
    ) -> Result<FirewallRuleState, ResourceError> {
        let (network, rule_id) = parse_id(id)?;
        let bridge = cx.bridge()?;
        let firewall = bridge.firewall(&network);
        let request = UpdateFirewallRule {
            rule: Some(news.rule.clone()),
            // An empty description clears it; `None` would leave the old one.
            description: Some(news.description.clone().unwrap_or_default()),
        };
        if let Err(e) = firewall.update(&rule_id, &request).await {
            return Err(ResourceError::because(
                format!("cannot update rule {rule_id} of network {network}"),
                &e,
            ));
        }
        let held = firewall
            .get(&rule_id)
            .await
            .map_err(|e| {
                ResourceError::because(
                    format!("updated rule {rule_id} but cannot read it back"),
                    &e,
                )
            })
            .and_then(|r| state_of(&r, &network))?;
        if let Some(diff) = mismatch(&held, &news) {
            return Err(ResourceError::init_failed(
                id,
                &held,
                vec![format!("Bridge does not hold what was asked: {diff}")],
            ));
        }
        Ok(held)
    }

    async fn delete(
        &self,
        cx: &Context<Clients>,
        id: &str,
        _state: FirewallRuleState,
    ) -> Result<(), ResourceError> {
        let (network, rule_id) = parse_id(id)?;
        let bridge = cx.bridge()?;
        match bridge.firewall(&network).delete(&rule_id).await {
            Ok(Deletion::Deleted) => Ok(()),
            Ok(Deletion::AlreadyGone) => {
                cx.info(&format!(
                    "rule {rule_id} was already gone from network {network}"
                ));
                Ok(())
            }
            Err(e) => Err(ResourceError::because(
                format!("cannot delete rule {rule_id} of network {network}"),
                &e,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_addresses_become_host_networks() {
        assert_eq!(normalize_rule("203.0.113.7").unwrap(), "203.0.113.7/32");
        assert_eq!(normalize_rule(" 2001:db8::1 ").unwrap(), "2001:db8::1/128");
        assert_eq!(normalize_rule("10.0.0.0/8").unwrap(), "10.0.0.0/8");
        assert_eq!(normalize_rule("0.0.0.0/0").unwrap(), "0.0.0.0/0");
    }

    #[test]
    fn host_bits_propose_the_network() {
        let e = normalize_rule("10.1.2.3/16").unwrap_err();
        assert!(e.contains("`10.1.0.0/16`"), "{e}");
        assert!(e.contains("10.1.2.3/32"), "{e}");
        let e = normalize_rule("2001:db8::5/64").unwrap_err();
        assert!(e.contains("`2001:db8::/64`"), "{e}");
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "nope",
            "10.0.0.0/33",
            "300.1.1.1",
            "10.0.0.0/",
            "1.2.3.4/-1",
        ] {
            assert!(normalize_rule(bad).is_err(), "{bad} accepted");
        }
    }
}
