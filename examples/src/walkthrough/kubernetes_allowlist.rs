//! Stage 2 (issue 12): the cluster's nodes keep the database firewall right.
//! `oceanid:kubernetes:getNodes` (through `pulumi-resource-oceanid`) gives each node's egress
//! address; a `crunchybridge:index:FirewallAllowlist` holds exactly those (calypso, which has
//! none, is reported with the reason, never guessed); `checkAllowlist` before and after; the
//! operators' hand-made node rule adopted; a node joining is one create, a node leaving one
//! delete; every rule the allowlist does not own stays byte-identical throughout.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, bail, ensure};
use oceanid_core::allowlist::{self, CurrentRule, DesiredEntry, Plan, PlanInput};
use oceanid_core::crunchybridge::{Bridge, CreateFirewallRule, FirewallRuleKind, NetworkId};
use pulumi_provider::value::{PropertyMap, Value};
use serde_json::json;

use super::driver::{Driver, Tracked};
use super::emulator_admin::EmulatorAdmin;
use super::show::{heading, plain_json, print_checks, props, s, show_map};

const ALLOWLIST: &str = "crunchybridge:index:FirewallAllowlist";
const CHECK_ALLOWLIST: &str = "crunchybridge:index:checkAllowlist";
const GET_NODES: &str = "oceanid:kubernetes:getNodes";
/// The allowlist's name in the cluster-side program.
const NAME: &str = "node-egress";
/// The node that joins: a new VPS with a public address.
const JOINING: (&str, &str, &str) = ("srv713104", "10.8.0.3", "157.173.210.200");
/// The node that leaves.
const LEAVING: &str = "srv712695";

/// What stage 2 works with.
pub struct ClusterSide<'a> {
    /// `pulumi-resource-crunchybridge`, configured.
    pub crunchybridge: &'a Driver,
    /// `pulumi-resource-oceanid`, configured with the emulator's kubeconfig.
    pub oceanid: &'a Driver,
    /// Reads the emulator's Bridge API back (and plays the operators' `cb` commands).
    pub bridge: &'a Bridge,
    /// Adds and removes nodes.
    pub admin: &'a EmulatorAdmin,
    /// The network of the operators' cluster.
    pub network: NetworkId,
}

/// One node as `getNodes` reports it.
struct NodeEgress {
    name: String,
    address: Option<String>,
}

/// The network's rules as the API returns them, by id, each as its JSON text.
type RuleTexts = BTreeMap<String, String>;

async fn rule_texts(bridge: &Bridge, network: &NetworkId) -> anyhow::Result<RuleTexts> {
    let mut texts = RuleTexts::new();
    for rule in bridge.firewall(network).list().await? {
        texts.insert(rule.id.to_string(), serde_json::to_string(&rule)?);
    }
    Ok(texts)
}

fn print_rules(texts: &RuleTexts, owned: &BTreeSet<String>) {
    println!("    emulator: the network's rules ({}):", texts.len());
    for (id, text) in texts {
        let mark = if owned.contains(id) {
            "owned  "
        } else {
            "foreign"
        };
        println!("      {mark} {text}");
    }
}

/// Fails unless every foreign rule of `before` is in `after` with the same bytes.
fn ensure_foreign_untouched(
    before: &RuleTexts,
    after: &RuleTexts,
    step: &str,
) -> anyhow::Result<()> {
    for (id, text) in before {
        ensure!(
            after.get(id) == Some(text),
            "{step}: the foreign rule {id} changed: was {text}, now {:?}",
            after.get(id)
        );
    }
    println!(
        "    foreign rules after {step}: {} of {} byte-identical",
        before.len(),
        before.len()
    );
    Ok(())
}

/// The rules added and removed between two read-backs; fails if a rule present in both changed.
fn changes(before: &RuleTexts, after: &RuleTexts) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let added: Vec<String> = after
        .iter()
        .filter(|(id, _)| !before.contains_key(*id))
        .map(|(_, t)| t.clone())
        .collect();
    let removed: Vec<String> = before
        .iter()
        .filter(|(id, _)| !after.contains_key(*id))
        .map(|(_, t)| t.clone())
        .collect();
    for (id, text) in before {
        if let Some(now) = after.get(id) {
            ensure!(now == text, "rule {id} changed: was {text}, now {now}");
        }
    }
    Ok((added, removed))
}

async fn get_nodes(oceanid: &Driver) -> anyhow::Result<Vec<NodeEgress>> {
    let report = oceanid.invoke(GET_NODES, PropertyMap::new()).await?;
    let serde_json::Value::Array(nodes) = plain_json(&report, "nodes")? else {
        bail!("getNodes returned no `nodes` list");
    };
    println!(
        "    {GET_NODES} -> ok={}, {} node(s):",
        plain_json(&report, "ok")?,
        nodes.len()
    );
    let mut found = Vec::new();
    for n in &nodes {
        let name = n["name"].as_str().unwrap_or_default().to_owned();
        let address = n["egressAddress"].as_str().map(str::to_owned);
        println!(
            "      {name:<10} egress {:<16} {}",
            address.as_deref().unwrap_or("-"),
            n["egressDetail"].as_str().unwrap_or_default()
        );
        found.push(NodeEgress { name, address });
    }
    Ok(found)
}

/// The allowlist's inputs for the nodes with an egress address; the others are reported.
fn allowlist_inputs(network: &NetworkId, nodes: &[NodeEgress], adopt: bool) -> PropertyMap {
    let entries: Vec<serde_json::Value> = nodes
        .iter()
        .filter_map(|n| {
            n.address.as_ref().map(
                |a| json!({"address": a, "description": format!("{} - K3s worker node", n.name)}),
            )
        })
        .collect();
    for n in nodes.iter().filter(|n| n.address.is_none()) {
        println!(
            "    {}: not in the allowlist (no known egress address; see its reason above)",
            n.name
        );
    }
    props([
        ("networkId", s(network.as_str())),
        (
            "entries",
            Value::from_json(serde_json::Value::Array(entries)),
        ),
        ("adoptExisting", Value::Bool(adopt)),
    ])
}

/// The allowlist's inputs for `nodes`, through the provider's Check (normalised).
async fn checked_inputs(
    side: &ClusterSide<'_>,
    nodes: &[NodeEgress],
    adopt: bool,
) -> anyhow::Result<PropertyMap> {
    side.crunchybridge
        .check(
            ALLOWLIST,
            NAME,
            allowlist_inputs(&side.network, nodes, adopt),
        )
        .await
}

fn egress_addresses(nodes: &[NodeEgress]) -> Vec<String> {
    nodes.iter().filter_map(|n| n.address.clone()).collect()
}

async fn check_allowlist(
    side: &ClusterSide<'_>,
    nodes: &[NodeEgress],
) -> anyhow::Result<(bool, Vec<String>)> {
    let addresses = egress_addresses(nodes).iter().map(|a| s(a)).collect();
    let report = side
        .crunchybridge
        .invoke(
            CHECK_ALLOWLIST,
            props([
                ("networkId", s(side.network.as_str())),
                ("addresses", Value::Array(addresses)),
            ]),
        )
        .await?;
    let ok = plain_json(&report, "ok")? == json!(true);
    println!("    {CHECK_ALLOWLIST} -> ok={ok}");
    print_checks(&report)?;
    let missing = plain_json(&report, "missing")?
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((ok, missing))
}

/// The ids of the rules the allowlist owns, from its state.
fn owned_ids(state: &PropertyMap) -> anyhow::Result<BTreeSet<String>> {
    let rules = plain_json(state, "rules")?;
    Ok(rules
        .as_array()
        .ok_or_else(|| anyhow!("the allowlist's `rules` is not a list"))?
        .iter()
        .filter_map(|r| r["ruleId"].as_str().map(str::to_owned))
        .collect())
}

/// What the provider will do for `inputs`, planned the way it plans (oceanid-core's pure
/// planner over the rules read back), printed as `pulumi preview` would detail it.
async fn planned_change(
    side: &ClusterSide<'_>,
    inputs: &PropertyMap,
    owned: &BTreeSet<String>,
) -> anyhow::Result<Plan> {
    let current: Vec<CurrentRule> = side
        .bridge
        .firewall(&side.network)
        .list()
        .await?
        .iter()
        .filter(|r| r.effective_kind() == FirewallRuleKind::Ingress)
        .map(|r| CurrentRule::new(r.id.as_str(), &r.rule, r.description()))
        .collect();
    let desired: Vec<DesiredEntry> = plain_json(inputs, "entries")?
        .as_array()
        .ok_or_else(|| anyhow!("`entries` is not a list"))?
        .iter()
        .map(|e| {
            DesiredEntry::new(
                e["address"].as_str().unwrap_or_default(),
                e["description"].as_str(),
            )
        })
        .collect();
    let adopt = plain_json(inputs, "adoptExisting")? == json!(true);
    let plan = allowlist::plan(&PlanInput::new(&desired, &current, owned).adopt_existing(adopt))
        .map_err(|e| anyhow!("the entries cannot be planned: {e:?}"))?;
    for c in &plan.creates {
        println!(
            "      + rule {} ({})",
            c.rule,
            c.description.as_deref().unwrap_or("")
        );
    }
    for d in &plan.deletes {
        println!("      - rule {} (id {})", d.rule, d.rule_id);
    }
    for p in &plan.patches {
        println!(
            "      ~ rule {} description {:?} -> {:?}",
            p.rule, p.from, p.to
        );
    }
    println!("      = {} rule(s) unchanged", plan.keeps.len());
    Ok(plan)
}

/// A K3s node with a public address, as the cluster shows a new VPS that joined.
fn joining_node() -> serde_json::Value {
    let (name, internal, external) = JOINING;
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node-role.kubernetes.io/worker": "true",
            },
            "annotations": {"k3s.io/internal-ip": internal, "k3s.io/external-ip": external},
        },
        "spec": {"podCIDR": "10.42.3.0/24", "providerID": format!("k3s://{name}")},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": internal},
                {"type": "ExternalIP", "address": external},
                {"type": "Hostname", "address": name},
            ],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                "message": "kubelet is posting ready status"}],
        },
    })
}

/// A change of nodes rolled out: getNodes, Check, Diff with the planned change, Update, and
/// the read-back (the rules added and removed).
async fn roll_out(
    side: &ClusterSide<'_>,
    allowlist: &mut Tracked,
    foreign: &RuleTexts,
    step: &str,
) -> anyhow::Result<(Plan, Vec<String>, Vec<String>)> {
    let nodes = get_nodes(side.oceanid).await?;
    let news = checked_inputs(side, &nodes, true).await?;
    heading(&format!("pulumi preview ({step})"));
    let planned = side
        .crunchybridge
        .diff(
            ALLOWLIST,
            NAME,
            &allowlist.id,
            &allowlist.state,
            &allowlist.inputs,
            &news,
        )
        .await?;
    println!("  ~ {NAME}: Diff -> {planned}");
    let old_entries = plain_json(&allowlist.inputs, "entries")?;
    let new_entries = plain_json(&news, "entries")?;
    let listed = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
    for e in listed(&new_entries) {
        if !listed(&old_entries).contains(&e) {
            println!("      entries: + {e}");
        }
    }
    for e in listed(&old_entries) {
        if !listed(&new_entries).contains(&e) {
            println!("      entries: - {e}");
        }
    }
    println!(
        "    what up will do (oceanid-core's planner over the rules read back, as the provider runs it):"
    );
    let owned = owned_ids(&allowlist.state)?;
    let plan = planned_change(side, &news, &owned).await?;
    heading(&format!("pulumi up ({step})"));
    let before = rule_texts(side.bridge, &side.network).await?;
    let state = side
        .crunchybridge
        .update(ALLOWLIST, NAME, &allowlist.id, &allowlist.state, &news)
        .await?;
    let after = rule_texts(side.bridge, &side.network).await?;
    let (added, removed) = changes(&before, &after)?;
    for a in &added {
        println!("    emulator: + {a}");
    }
    for r in &removed {
        println!("    emulator: - {r}");
    }
    println!(
        "  ~ {NAME} updated: {} rule(s) owned",
        owned_ids(&state)?.len()
    );
    ensure_foreign_untouched(foreign, &after, step)?;
    allowlist.inputs = news;
    allowlist.state = state;
    Ok((plan, added, removed))
}

/// Runs the stage.
///
/// # Errors
/// When a call fails or what is read back is not what the step should have made.
pub async fn run(side: &ClusterSide<'_>) -> anyhow::Result<()> {
    heading("the cluster's nodes, through pulumi-resource-oceanid");
    let nodes = get_nodes(side.oceanid).await?;
    let egress: BTreeMap<&str, Option<&str>> = nodes
        .iter()
        .map(|n| (n.name.as_str(), n.address.as_deref()))
        .collect();
    ensure!(
        egress.get("calypso") == Some(&None),
        "calypso has only a LAN address and must be reported, not guessed: {egress:?}"
    );
    ensure!(
        egress.get("srv712429") == Some(&Some("157.173.210.123"))
            && egress.get(LEAVING) == Some(&Some("191.101.1.3")),
        "unexpected egress addresses {egress:?}"
    );

    heading("the network as the operators left it (rules made by hand through the Bridge API)");
    let firewall = side.bridge.firewall(&side.network);
    println!(
        "    $ cb network add-firewall-rule --rule 157.173.210.123/32 --description \"srv712429 - K3s worker node\""
    );
    let hand_made = firewall
        .create(
            &CreateFirewallRule::new("157.173.210.123/32")
                .description("srv712429 - K3s worker node"),
        )
        .await?;
    for (rule, description) in [
        (
            "198.51.100.0/28",
            "office VPN (made by hand, not the cluster's)",
        ),
        ("2001:db8:f00d::/48", "CI runners (another team's tooling)"),
    ] {
        firewall
            .create(&CreateFirewallRule::new(rule).description(description))
            .await?;
    }
    let mut foreign = rule_texts(side.bridge, &side.network).await?;
    foreign.remove(hand_made.id.as_str());
    print_rules(
        &rule_texts(side.bridge, &side.network).await?,
        &BTreeSet::new(),
    );

    heading("checkAllowlist before: are the nodes' egress addresses let in?");
    let (ok, missing) = check_allowlist(side, &nodes).await?;
    ensure!(
        !ok && missing == ["191.101.1.3/32"],
        "before the allowlist, srv712695 should be missing (and only it): ok={ok}, missing={missing:?}"
    );

    heading("pulumi preview (cluster side)");
    let inputs = checked_inputs(side, &nodes, false).await?;
    let (_, outs) = side
        .crunchybridge
        .create(ALLOWLIST, NAME, &inputs, true)
        .await?;
    println!("  + {NAME}: {}", show_map(&outs));

    heading("pulumi up (cluster side)");
    match side
        .crunchybridge
        .create(ALLOWLIST, NAME, &inputs, false)
        .await
    {
        Ok(_) => bail!("the hand-made rule must be a conflict without adoptExisting"),
        Err(status) => println!(
            "  ! {NAME}: the provider refuses, nothing changed:\n      {}",
            status.message().replace('\n', "\n      ")
        ),
    }
    ensure_foreign_untouched(
        &foreign,
        &rule_texts(side.bridge, &side.network).await?,
        "the refusal",
    )?;
    println!(
        "    (the operators set `adoptExisting: true`: their hand-made rule becomes the allowlist's)"
    );
    let inputs = checked_inputs(side, &nodes, true).await?;
    let (id, state) = side
        .crunchybridge
        .create(ALLOWLIST, NAME, &inputs, false)
        .await
        .map_err(|s| anyhow!("create {NAME}: {}", s.message()))?;
    println!("  + {NAME} id {id}\n      {}", show_map(&state));
    let owned = owned_ids(&state)?;
    ensure!(
        owned.len() == 2 && owned.contains(hand_made.id.as_str()),
        "the allowlist should own 2 rules, the hand-made one adopted: {owned:?}"
    );
    let after = rule_texts(side.bridge, &side.network).await?;
    print_rules(&after, &owned);
    ensure_foreign_untouched(&foreign, &after, "up")?;
    let mut allowlist = Tracked {
        ty: ALLOWLIST,
        name: NAME.into(),
        id,
        inputs,
        state,
    };

    heading("checkAllowlist after");
    let (ok, missing) = check_allowlist(side, &nodes).await?;
    ensure!(
        ok && missing.is_empty(),
        "after up every node must be covered: {missing:?}"
    );

    heading(&format!(
        "a node joins: {} ({}) is added to the cluster",
        JOINING.0, JOINING.2
    ));
    side.admin.put_kubernetes_object(&joining_node()).await?;
    let (plan, added, removed) = roll_out(side, &mut allowlist, &foreign, "node joined").await?;
    ensure!(
        plan.creates.len() == 1 && plan.deletes.is_empty() && plan.patches.is_empty(),
        "a node joining must plan exactly one create: {plan:?}"
    );
    ensure!(
        added.len() == 1 && removed.is_empty() && added[0].contains(&format!("{}/32", JOINING.2)),
        "a node joining must make exactly one rule, for {}: added {added:?}, removed {removed:?}",
        JOINING.2
    );

    heading(&format!(
        "a node leaves: {LEAVING} is removed from the cluster"
    ));
    side.admin.remove_node(LEAVING).await?;
    let (plan, added, removed) = roll_out(side, &mut allowlist, &foreign, "node left").await?;
    ensure!(
        plan.deletes.len() == 1 && plan.creates.is_empty() && plan.patches.is_empty(),
        "a node leaving must plan exactly one delete: {plan:?}"
    );
    ensure!(
        removed.len() == 1 && added.is_empty() && removed[0].contains("191.101.1.3/32"),
        "a node leaving must remove exactly its rule: added {added:?}, removed {removed:?}"
    );
    let nodes = get_nodes(side.oceanid).await?;
    let (ok, _) = check_allowlist(side, &nodes).await?;
    ensure!(
        ok,
        "after the node left, every remaining node must be covered"
    );

    heading("pulumi refresh (cluster side)");
    let (id, state, read_inputs) = side
        .crunchybridge
        .read(
            ALLOWLIST,
            NAME,
            &allowlist.id,
            &allowlist.state,
            &allowlist.inputs,
        )
        .await?;
    ensure!(id == allowlist.id, "the allowlist disappeared on refresh");
    let drift = side
        .crunchybridge
        .diff(
            ALLOWLIST,
            NAME,
            &id,
            &state,
            &read_inputs,
            &allowlist.inputs,
        )
        .await?;
    println!("    {NAME} read back, {drift}");
    ensure!(drift.is_empty(), "refresh found drift: {drift}");

    heading("pulumi destroy (cluster side)");
    side.crunchybridge
        .delete(ALLOWLIST, NAME, &allowlist.id, &state)
        .await
        .map_err(|s| anyhow!("delete {NAME}: {}", s.message()))?;
    println!(
        "  - {NAME} deleted (its {} rules, the adopted one included)",
        owned_ids(&state)?.len()
    );
    let after = rule_texts(side.bridge, &side.network).await?;
    print_rules(&after, &BTreeSet::new());
    ensure_foreign_untouched(&foreign, &after, "destroy")?;
    ensure!(
        after.len() == foreign.len(),
        "destroy should leave only the foreign rules: {after:?}"
    );
    Ok(())
}
