//! Applying an allowlist plan, [`PARALLEL_CHANGES`] calls at a time: the deletes, the
//! description patches and every create that overlaps no deleted rule together, then the
//! creates that do (Bridge refuses overlapping rules, so they wait for the deletes), then one
//! list read-back that verifies every owned rule.

use std::collections::BTreeMap;

use futures::future::{BoxFuture, FutureExt};
use futures::{StreamExt, stream};
use ipnet::IpNet;
use uuid::Uuid;

use oceanid_core::allowlist::{Plan, PlannedCreate, PlannedPatch};
use oceanid_core::cidr::normalize_cidr;
use oceanid_core::crunchybridge::{
    CreateFirewallRule, FirewallHandler, FirewallRule as ApiRule, FirewallRuleId, IdempotencyKey,
    UpdateFirewallRule,
};

use super::{PARALLEL_CHANGES, is_gone};
use crate::clients::Clients;
use crate::pulumi::Context;

/// The namespace of the allowlist's create idempotency keys (a fixed UUID of this provider's).
const CREATE_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x3b9d_7e21_55c4_4a0f_8e6b_2c71_d9a4_0f13);

/// What applying a plan left behind.
pub(super) struct Applied {
    /// The ids of the rules the allowlist owns now.
    pub owned: Vec<String>,
    /// CIDRs whose create had an unknown outcome and whose rule the read-back did not show.
    pub unconfirmed: Vec<IpNet>,
    /// The network's rules after the change (the read-back; what is known when it failed).
    pub held: Vec<ApiRule>,
    /// Why the change is unfinished: one line per failed entry or rule (empty when done).
    pub failures: Vec<String>,
}

/// The `Idempotency-Key` of one create: the same for a retry of the same run against the same
/// network (so the server replays instead of making a second rule), another once the network
/// has changed or the allowlist has been applied since (so no stale answer is replayed).
fn create_key(
    urn: &str,
    firewall: &FirewallHandler,
    before: &[ApiRule],
    applied: u64,
    create: &PlannedCreate,
) -> IdempotencyKey {
    let mut ids: Vec<&str> = before.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let name = format!(
        "{urn}\n{}\n{applied}\n{}\n{}\n{}",
        firewall.network(),
        ids.join(","),
        create.rule,
        create.description.as_deref().unwrap_or_default(),
    );
    IdempotencyKey::from(Uuid::new_v5(&CREATE_KEY_NAMESPACE, name.as_bytes()))
}

/// Deletes the rules, [`PARALLEL_CHANGES`] at a time; one line per rule that is still there.
pub(super) async fn delete_all(firewall: &FirewallHandler, ids: &[FirewallRuleId]) -> Vec<String> {
    let deletes: Vec<BoxFuture<'static, Option<String>>> =
        ids.iter().map(|id| delete(firewall, id)).collect();
    stream::iter(deletes)
        .buffer_unordered(PARALLEL_CHANGES)
        .filter_map(|failure| async move { failure })
        .collect()
        .await
}

/// The delete of one rule, as an owned future (the provider's operations must be `Send` for
/// any lifetime); why it is still there, if it is.
fn delete(firewall: &FirewallHandler, id: &FirewallRuleId) -> BoxFuture<'static, Option<String>> {
    let (firewall, id) = (firewall.clone(), id.clone());
    async move {
        match firewall.delete(&id).await {
            ref r if is_gone(r) => None,
            Err(e) => Some(format!("deleting rule {id}: {e}")),
            Ok(_) => Some(format!(
                "deleting rule {id}: an answer this provider does not know"
            )),
        }
    }
    .boxed()
}

/// What one change came to.
enum Outcome {
    Created(PlannedCreate, ApiRule),
    /// Failed; the flag is set when the rule may exist all the same (the answer was lost).
    CreateFailed(PlannedCreate, String, bool),
    /// A patch or delete that succeeded.
    Done,
    /// A patch or delete that failed, and why.
    Failed(String),
}

/// The create of one entry, as an owned future.
fn create(
    firewall: &FirewallHandler,
    c: &PlannedCreate,
    key: IdempotencyKey,
) -> BoxFuture<'static, Outcome> {
    let (firewall, c) = (firewall.clone(), c.clone());
    async move {
        let mut request = CreateFirewallRule::new(c.rule.to_string());
        if let Some(d) = &c.description {
            request = request.description(d);
        }
        match firewall.create_with_key(&request, &key).await {
            Ok(rule) => Outcome::Created(c, rule),
            Err(e) => {
                let maybe_made = e.is_maybe_sent() || e.is_timeout();
                Outcome::CreateFailed(c, e.to_string(), maybe_made)
            }
        }
    }
    .boxed()
}

/// The description patch of one rule, as an owned future.
fn patch(firewall: &FirewallHandler, p: &PlannedPatch) -> BoxFuture<'static, Outcome> {
    let (firewall, p) = (firewall.clone(), p.clone());
    async move {
        let request = UpdateFirewallRule {
            rule: None,
            description: Some(p.to.clone().unwrap_or_default()),
        };
        match firewall
            .update(&FirewallRuleId::new(&p.rule_id), &request)
            .await
        {
            Ok(_) => Outcome::Done,
            Err(e) => Outcome::Failed(format!(
                "changing the description of rule {} ({}): {e}",
                p.rule_id, p.rule
            )),
        }
    }
    .boxed()
}

/// A rule the allowlist expects to own after the change, and what it must hold.
struct Expected {
    rule_id: String,
    rule: IpNet,
    description: Option<String>,
}

/// Applies `plan` (made against `before`) and verifies it with one read-back.
pub(super) async fn apply(
    cx: &Context<Clients>,
    firewall: &FirewallHandler,
    plan: &Plan,
    before: &[ApiRule],
    applied: u64,
) -> Applied {
    let network = firewall.network().clone();
    let mut failures = Vec::new();
    let deletes: Vec<FirewallRuleId> = plan
        .deletes
        .iter()
        .map(|d| FirewallRuleId::new(&d.rule_id))
        .collect();
    // Creates that overlap a rule being deleted must wait for the deletes.
    let deleted: Vec<Option<IpNet>> = plan
        .deletes
        .iter()
        .map(|d| normalize_cidr(&d.rule).ok())
        .collect();
    let waits = |c: &PlannedCreate| {
        deleted.iter().any(|d| match d {
            Some(d) => d.contains(&c.rule) || c.rule.contains(d),
            None => true,
        })
    };
    let create_of = |c: &PlannedCreate| {
        create(
            firewall,
            c,
            create_key(cx.urn(), firewall, before, applied, c),
        )
    };
    let first: Vec<BoxFuture<'static, Outcome>> = deletes
        .iter()
        .map(|id| {
            delete(firewall, id)
                .map(|failure| failure.map_or(Outcome::Done, Outcome::Failed))
                .boxed()
        })
        .chain(plan.patches.iter().map(|p| patch(firewall, p)))
        .chain(plan.creates.iter().filter(|c| !waits(c)).map(create_of))
        .collect();
    let mut outcomes: Vec<Outcome> = stream::iter(first)
        .buffer_unordered(PARALLEL_CHANGES)
        .collect()
        .await;
    let then: Vec<BoxFuture<'static, Outcome>> = plan
        .creates
        .iter()
        .filter(|c| waits(c))
        .map(create_of)
        .collect();
    outcomes.extend(
        stream::iter(then)
            .buffer_unordered(PARALLEL_CHANGES)
            .collect::<Vec<_>>()
            .await,
    );

    // What the allowlist should own now, and what each rule must hold.
    let patched: BTreeMap<&str, &Option<String>> = plan
        .patches
        .iter()
        .map(|p| (p.rule_id.as_str(), &p.to))
        .collect();
    let mut expected: Vec<Expected> = plan
        .keeps
        .iter()
        .map(|k| (k.rule_id.as_str(), k.rule, &k.description))
        .chain(
            plan.adoptions
                .iter()
                .map(|a| (a.rule_id.as_str(), a.rule, &a.description)),
        )
        .chain(
            plan.patches
                .iter()
                .filter(|p| !plan.adoptions.iter().any(|a| a.rule_id == p.rule_id))
                .map(|p| (p.rule_id.as_str(), p.rule, &p.to)),
        )
        .map(|(id, rule, description)| Expected {
            rule_id: id.to_owned(),
            rule,
            description: patched
                .get(id)
                .map_or_else(|| description.clone(), |d| (*d).clone()),
        })
        .collect();
    let mut maybe_made: BTreeMap<IpNet, (usize, String)> = BTreeMap::new();
    let mut made: Vec<ApiRule> = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Created(c, rule) => {
                expected.push(Expected {
                    rule_id: rule.id.to_string(),
                    rule: c.rule,
                    description: c.description,
                });
                made.push(rule);
            }
            Outcome::CreateFailed(c, reason, true) => {
                maybe_made.insert(c.rule, (c.position, reason));
            }
            Outcome::CreateFailed(c, reason, false) => {
                failures.push(format!("entries[{}] ({}): {reason}", c.position, c.rule));
            }
            Outcome::Done => {}
            Outcome::Failed(reason) => failures.push(reason),
        }
    }

    // One read-back verifies everything.
    let held = match firewall.list().await {
        Ok(held) => Some(held),
        Err(e) => {
            failures.push(format!(
                "the changes were sent but reading the rules of network {network} back failed \
                 ({e}); run `pulumi up` again to verify them"
            ));
            None
        }
    };
    let Some(held) = held else {
        // Unverified: keep what is known, so that the next run looks again.
        let mut known: Vec<ApiRule> = before.to_vec();
        known.extend(made);
        let mut owned: Vec<String> = expected.into_iter().map(|e| e.rule_id).collect();
        owned.extend(deletes.iter().map(ToString::to_string));
        return Applied {
            owned,
            unconfirmed: maybe_made.into_keys().collect(),
            held: known,
            failures,
        };
    };
    let mut owned = Vec::new();
    for e in expected {
        match held.iter().find(|r| r.id.as_str() == e.rule_id) {
            None => failures.push(format!(
                "rule {} ({}) is not on network {network} after the change (deleted meanwhile?); \
                 run `pulumi up` again to make it",
                e.rule_id, e.rule
            )),
            Some(r) => {
                let now = r.description().map(str::to_owned);
                if normalize_cidr(&r.rule).ok() != Some(e.rule) || now != e.description {
                    failures.push(format!(
                        "rule {} holds {} {:?}, not {} {:?} as asked",
                        e.rule_id, r.rule, now, e.rule, e.description
                    ));
                }
                owned.push(e.rule_id);
            }
        }
    }
    for id in &deletes {
        if held.iter().any(|r| &r.id == id) {
            owned.push(id.to_string());
        }
    }
    // A create whose answer was lost but whose rule is there now did succeed: claim it.
    let mut unconfirmed = Vec::new();
    for (net, (position, reason)) in maybe_made {
        let found = held.iter().find(|r| {
            normalize_cidr(&r.rule).ok() == Some(net) && !before.iter().any(|b| b.id == r.id)
        });
        match found {
            Some(rule) => owned.push(rule.id.to_string()),
            None => {
                unconfirmed.push(net);
                failures.push(format!(
                    "entries[{position}] ({net}): the create's outcome is unknown ({reason}); \
                     the next `pulumi up` adopts the rule if it was made, else makes it"
                ));
            }
        }
    }
    Applied {
        owned,
        unconfirmed,
        held,
        failures,
    }
}
