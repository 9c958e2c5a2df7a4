//! The planner: desired entries + current rules + owned ids → [`Plan`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use ipnet::IpNet;

use crate::cidr::normalize_cidr;

/// One entry of the desired list, as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredEntry {
    /// An IPv4 or IPv6 address or CIDR (normalised by [`normalize_cidr`]).
    pub address: String,
    /// A note for people reading the rule list; an empty one is none.
    pub description: Option<String>,
}

impl DesiredEntry {
    /// An entry for `address` with an optional description.
    #[must_use]
    pub fn new(address: impl Into<String>, description: Option<&str>) -> Self {
        Self {
            address: address.into(),
            description: description.map(str::to_owned),
        }
    }
}

/// One rule the network holds now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentRule {
    /// The rule's id.
    pub id: String,
    /// The CIDR as the API reports it.
    pub rule: String,
    /// Its description; an empty one is none.
    pub description: Option<String>,
}

impl CurrentRule {
    /// A rule `id` holding `rule` with an optional description.
    #[must_use]
    pub fn new(id: impl Into<String>, rule: impl Into<String>, description: Option<&str>) -> Self {
        Self {
            id: id.into(),
            rule: rule.into(),
            description: description.map(str::to_owned),
        }
    }
}

/// What the planner is given.
#[derive(Clone, Debug)]
pub struct PlanInput<'a> {
    /// The desired entries, in the user's order (positions in errors are indexes into it).
    pub desired: &'a [DesiredEntry],
    /// Every rule of the network now (only the allowlist's direction).
    pub current: &'a [CurrentRule],
    /// The ids of the rules this allowlist owns.
    pub owned: &'a BTreeSet<String>,
    /// Take over a rule that equals a desired entry but is not owned (else it is a conflict).
    pub adopt_existing: bool,
    /// Networks whose create had an unknown outcome on an earlier run: a rule holding one of
    /// them is this allowlist's own (made by that create) and is claimed without a conflict.
    pub claimable: &'a BTreeSet<IpNet>,
}

impl<'a> PlanInput<'a> {
    /// An input without adoption and with nothing claimable.
    #[must_use]
    pub fn new(
        desired: &'a [DesiredEntry],
        current: &'a [CurrentRule],
        owned: &'a BTreeSet<String>,
    ) -> Self {
        static NOTHING: BTreeSet<IpNet> = BTreeSet::new();
        Self {
            desired,
            current,
            owned,
            adopt_existing: false,
            claimable: &NOTHING,
        }
    }

    /// With `adopt_existing` set as given.
    #[must_use]
    pub fn adopt_existing(mut self, adopt: bool) -> Self {
        self.adopt_existing = adopt;
        self
    }

    /// With the networks whose create had an unknown outcome.
    #[must_use]
    pub fn claimable(mut self, claimable: &'a BTreeSet<IpNet>) -> Self {
        self.claimable = claimable;
        self
    }
}

/// A desired entry that cannot be planned at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryError {
    /// The position of the entry in the desired list.
    pub position: usize,
    /// What is wrong and how to fix it.
    pub reason: String,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entries[{}]: {}", self.position, self.reason)
    }
}

impl std::error::Error for EntryError {}

/// An owned rule that already holds what is desired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedKeep {
    /// The rule's id.
    pub rule_id: String,
    /// Its network.
    pub rule: IpNet,
    /// Its description.
    pub description: Option<String>,
}

/// A rule to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCreate {
    /// The position of the entry (the first one, when identical entries were merged).
    pub position: usize,
    /// The network to allow.
    pub rule: IpNet,
    /// Its description.
    pub description: Option<String>,
}

/// An owned (or adopted) rule whose description changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedPatch {
    /// The rule's id.
    pub rule_id: String,
    /// Its network.
    pub rule: IpNet,
    /// The description it has now.
    pub from: Option<String>,
    /// The description it gets.
    pub to: Option<String>,
}

/// An owned rule to delete (no longer desired, or a second rule for one network).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedDelete {
    /// The rule's id.
    pub rule_id: String,
    /// The rule as the API reports it.
    pub rule: String,
}

/// A rule not owned that equals a desired entry and is taken over (`adoptExisting`, or the
/// outcome of an earlier create that was unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedAdoption {
    /// The rule's id.
    pub rule_id: String,
    /// Its network.
    pub rule: IpNet,
    /// The description it has (a description change is planned as a [`PlannedPatch`] too).
    pub description: Option<String>,
}

/// Why a desired entry cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// A rule this allowlist does not own already holds exactly this network.
    NotOwned,
    /// A rule this allowlist does not own overlaps it (Bridge refuses overlapping rules).
    Overlaps,
    /// The network's allow-all rule of the same family is in the way.
    AllowAll,
}

/// A desired entry that cannot be made as things are, with the rule in the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The position of the entry.
    pub position: usize,
    /// The network it asks for.
    pub rule: IpNet,
    /// The id of the rule in the way.
    pub other_id: String,
    /// That rule as the API reports it.
    pub other_rule: String,
    /// That rule's description.
    pub other_description: Option<String>,
    /// Why.
    pub kind: ConflictKind,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let other = match &self.other_description {
            Some(d) => format!(
                "{} (rule id {}, description {d:?})",
                self.other_rule, self.other_id
            ),
            None => format!("{} (rule id {})", self.other_rule, self.other_id),
        };
        match self.kind {
            ConflictKind::NotOwned => write!(
                f,
                "entries[{}] ({}): the rule {other} already exists and this allowlist does not \
                 own it; set `adoptExisting: true` to take it over, or remove it from the network",
                self.position, self.rule
            ),
            ConflictKind::Overlaps => write!(
                f,
                "entries[{}] ({}) overlaps the rule {other}, which this allowlist does not own, \
                 and Bridge refuses overlapping rules: narrow or widen the entry to match it \
                 exactly (then set `adoptExisting: true`), or remove that rule",
                self.position, self.rule
            ),
            ConflictKind::AllowAll => write!(
                f,
                "entries[{}] ({}) is blocked by the allow-all rule {other}: {}",
                self.position,
                self.rule,
                AllowAllRule::fix_for(&self.other_id)
            ),
        }
    }
}

/// The network's allow-all rule, which lets every address of its family in and blocks every
/// other rule of that family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowAllRule {
    /// The rule's id.
    pub rule_id: String,
    /// `0.0.0.0/0` or `::/0`.
    pub rule: IpNet,
    /// Whether this allowlist owns it (it is one of the desired entries).
    pub owned: bool,
}

impl AllowAllRule {
    /// What to do about an allow-all rule with this id (the network as `<networkId>`).
    #[must_use]
    pub fn fix_for(rule_id: &str) -> String {
        Self::fix_on_network("<networkId>", rule_id)
    }

    /// What to do about the allow-all rule `rule_id` of `network`.
    #[must_use]
    pub fn fix_on_network(network: &str, rule_id: &str) -> String {
        format!(
            "while it exists every address may connect and Bridge accepts no other rule of its \
             family; delete it (`cb network remove-firewall-rule --network {network} --rule \
             {rule_id}`), or create the cluster with `firewallMode: \"deny_all\"` so the network \
             starts without it"
        )
    }

    /// What to do about it.
    #[must_use]
    pub fn fix(&self) -> String {
        Self::fix_for(&self.rule_id)
    }
}

/// What to do to make the owned rules equal the desired entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Owned rules that stay as they are.
    pub keeps: Vec<PlannedKeep>,
    /// Rules to create, in entry order.
    pub creates: Vec<PlannedCreate>,
    /// Description changes of owned or adopted rules.
    pub patches: Vec<PlannedPatch>,
    /// Owned rules to delete (before any create: Bridge refuses overlaps).
    pub deletes: Vec<PlannedDelete>,
    /// Rules taken over.
    pub adoptions: Vec<PlannedAdoption>,
    /// Entries that cannot be made.
    pub conflicts: Vec<Conflict>,
    /// The network's allow-all rules, owned or not.
    pub allow_all: Vec<AllowAllRule>,
}

impl Plan {
    /// Whether the plan changes nothing on the network (conflicts aside).
    #[must_use]
    pub fn changes_nothing(&self) -> bool {
        self.creates.is_empty()
            && self.patches.is_empty()
            && self.deletes.is_empty()
            && self.adoptions.is_empty()
    }
}

fn is_allow_all(net: &IpNet) -> bool {
    net.prefix_len() == 0
}

fn same_family(a: &IpNet, b: &IpNet) -> bool {
    matches!(
        (a, b),
        (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_))
    )
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    same_family(a, b) && (a.contains(b) || b.contains(a))
}

fn clean(description: Option<&String>) -> Option<String> {
    description.filter(|d| !d.is_empty()).cloned()
}

/// The desired entries normalised, identical duplicates merged, in entry order.
fn normalise(desired: &[DesiredEntry]) -> Result<Vec<PlannedCreate>, Vec<EntryError>> {
    let mut errors = Vec::new();
    let mut seen: BTreeMap<IpNet, usize> = BTreeMap::new();
    let mut entries: Vec<PlannedCreate> = Vec::new();
    for (position, entry) in desired.iter().enumerate() {
        let rule = match normalize_cidr(&entry.address) {
            Ok(net) => net,
            Err(e) => {
                errors.push(EntryError {
                    position,
                    reason: format!("address: {e}"),
                });
                continue;
            }
        };
        let description = clean(entry.description.as_ref());
        if let Some(&first) = seen.get(&rule) {
            let earlier = &entries[first];
            if earlier.description != description {
                errors.push(EntryError {
                    position,
                    reason: format!(
                        "{rule} is also entries[{}], with description {:?} there and {:?} here; \
                         keep one entry per address (or give both the same description)",
                        earlier.position, earlier.description, description
                    ),
                });
            }
            continue;
        }
        if let Some(other) = entries.iter().find(|e| overlaps(&e.rule, &rule)) {
            errors.push(EntryError {
                position,
                reason: format!(
                    "{rule} overlaps entries[{}] ({}), and Bridge refuses overlapping rules: \
                     keep the wider one, or split it so that they do not overlap",
                    other.position, other.rule
                ),
            });
            continue;
        }
        seen.insert(rule, entries.len());
        entries.push(PlannedCreate {
            position,
            rule,
            description,
        });
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

/// Plans the changes that make the owned rules equal `input.desired`.
///
/// A rule not owned is never deleted or patched; it is adopted only when it holds exactly a
/// desired network and `adopt_existing` is set (or the network is claimable). An owned rule
/// that no longer parses as a CIDR is deleted when it is not desired.
///
/// # Errors
/// Every entry that is not an address or CIDR, duplicates an earlier entry with another
/// description, or overlaps an earlier entry, each with its position.
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, Vec<EntryError>> {
    let wanted = normalise(input.desired)?;
    let mut plan = Plan::default();
    let parsed: Vec<(&CurrentRule, Option<IpNet>)> = input
        .current
        .iter()
        .map(|r| (r, normalize_cidr(&r.rule).ok()))
        .collect();

    // Owned rules: keep (or patch) the first one holding each desired network, delete the rest.
    let mut held: BTreeMap<IpNet, &CurrentRule> = BTreeMap::new();
    for (rule, net) in &parsed {
        if !input.owned.contains(&rule.id) {
            continue;
        }
        match net.filter(|n| wanted.iter().any(|w| w.rule == *n)) {
            Some(n) if !held.contains_key(&n) => {
                held.insert(n, rule);
            }
            _ => plan.deletes.push(PlannedDelete {
                rule_id: rule.id.clone(),
                rule: rule.rule.clone(),
            }),
        }
    }
    for (rule, net) in &parsed {
        if let Some(n) = net.filter(is_allow_all) {
            plan.allow_all.push(AllowAllRule {
                rule_id: rule.id.clone(),
                rule: n,
                owned: input.owned.contains(&rule.id) && held.contains_key(&n),
            });
        }
    }
    let foreign: Vec<(&CurrentRule, IpNet)> = parsed
        .iter()
        .filter(|(r, _)| !input.owned.contains(&r.id))
        .filter_map(|(r, n)| n.map(|n| (*r, n)))
        .collect();

    for entry in wanted {
        if let Some(rule) = held.get(&entry.rule) {
            let now = clean(rule.description.as_ref());
            if now != entry.description {
                plan.patches.push(PlannedPatch {
                    rule_id: rule.id.clone(),
                    rule: entry.rule,
                    from: now,
                    to: entry.description.clone(),
                });
            } else {
                plan.keeps.push(PlannedKeep {
                    rule_id: rule.id.clone(),
                    rule: entry.rule,
                    description: now,
                });
            }
            continue;
        }
        let same = foreign.iter().find(|(_, n)| *n == entry.rule);
        if let Some((rule, _)) = same {
            if input.adopt_existing || input.claimable.contains(&entry.rule) {
                let now = clean(rule.description.as_ref());
                if now != entry.description {
                    plan.patches.push(PlannedPatch {
                        rule_id: rule.id.clone(),
                        rule: entry.rule,
                        from: now.clone(),
                        to: entry.description.clone(),
                    });
                }
                plan.adoptions.push(PlannedAdoption {
                    rule_id: rule.id.clone(),
                    rule: entry.rule,
                    description: now,
                });
            } else {
                plan.conflicts
                    .push(conflict(&entry, rule, ConflictKind::NotOwned));
            }
            continue;
        }
        if let Some((rule, n)) = foreign.iter().find(|(_, n)| overlaps(n, &entry.rule)) {
            let kind = if is_allow_all(n) {
                ConflictKind::AllowAll
            } else {
                ConflictKind::Overlaps
            };
            plan.conflicts.push(conflict(&entry, rule, kind));
            continue;
        }
        plan.creates.push(entry);
    }
    Ok(plan)
}

fn conflict(entry: &PlannedCreate, other: &CurrentRule, kind: ConflictKind) -> Conflict {
    Conflict {
        position: entry.position,
        rule: entry.rule,
        other_id: other.id.clone(),
        other_rule: other.rule.clone(),
        other_description: clean(other.description.as_ref()),
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn creates_patches_deletes_and_keeps() {
        let desired = [
            DesiredEntry::new("203.0.113.7", Some("srv712429")),
            DesiredEntry::new("191.101.1.3/32", Some("srv712695 (renamed)")),
            DesiredEntry::new("198.51.100.9", None),
        ];
        let current = [
            CurrentRule::new("a", "191.101.1.3/32", Some("srv712695")),
            CurrentRule::new("b", "198.51.100.9/32", Some("")),
            CurrentRule::new("c", "10.9.0.0/16", Some("gone node")),
            CurrentRule::new("f", "192.0.2.0/24", Some("other team")),
        ];
        let p = plan(&PlanInput::new(
            &desired,
            &current,
            &owned(&["a", "b", "c"]),
        ))
        .unwrap();
        assert_eq!(p.creates.len(), 1);
        assert_eq!(p.creates[0].rule.to_string(), "203.0.113.7/32");
        assert_eq!(p.patches.len(), 1);
        assert_eq!(p.patches[0].rule_id, "a");
        assert_eq!(p.patches[0].to.as_deref(), Some("srv712695 (renamed)"));
        assert_eq!(p.keeps.len(), 1);
        assert_eq!(p.keeps[0].rule_id, "b");
        assert_eq!(
            p.deletes,
            vec![PlannedDelete {
                rule_id: "c".into(),
                rule: "10.9.0.0/16".into()
            }]
        );
        assert!(p.conflicts.is_empty() && p.adoptions.is_empty() && p.allow_all.is_empty());
    }

    #[test]
    fn a_rule_not_owned_is_a_conflict_or_an_adoption() {
        let desired = [DesiredEntry::new(
            "157.173.210.123",
            Some("srv712429 - K3s worker node"),
        )];
        let current = [CurrentRule::new("h", "157.173.210.123/32", Some("by hand"))];
        let none = owned(&[]);
        let p = plan(&PlanInput::new(&desired, &current, &none)).unwrap();
        assert!(p.creates.is_empty() && p.adoptions.is_empty());
        assert_eq!(p.conflicts.len(), 1);
        let msg = p.conflicts[0].to_string();
        assert!(
            msg.contains("adoptExisting: true") && msg.contains("rule id h"),
            "{msg}"
        );

        let p = plan(&PlanInput::new(&desired, &current, &none).adopt_existing(true)).unwrap();
        assert!(p.conflicts.is_empty() && p.creates.is_empty());
        assert_eq!(p.adoptions.len(), 1);
        assert_eq!(
            p.patches.len(),
            1,
            "the description is made what the entry says"
        );

        let claim: BTreeSet<IpNet> = [desired_net("157.173.210.123/32")].into();
        let p = plan(&PlanInput::new(&desired, &current, &none).claimable(&claim)).unwrap();
        assert_eq!(p.adoptions.len(), 1);
    }

    fn desired_net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn the_allow_all_rule_is_reported_with_its_fix() {
        let desired = [
            DesiredEntry::new("203.0.113.7", None),
            DesiredEntry::new("2001:db8::1", None),
        ];
        let current = [CurrentRule::new("all", "0.0.0.0/0", None)];
        let p = plan(&PlanInput::new(&desired, &current, &owned(&[]))).unwrap();
        assert_eq!(p.allow_all.len(), 1);
        assert!(p.allow_all[0].fix().contains("deny_all"));
        assert_eq!(p.conflicts.len(), 1);
        assert_eq!(p.conflicts[0].kind, ConflictKind::AllowAll);
        let msg = p.conflicts[0].to_string();
        assert!(
            msg.contains("remove-firewall-rule") && msg.contains("all"),
            "{msg}"
        );
        assert_eq!(
            p.creates.len(),
            1,
            "the IPv6 entry is not blocked by an IPv4 allow-all"
        );
    }

    #[test]
    fn overlapping_foreign_rules_are_conflicts() {
        let desired = [DesiredEntry::new("10.20.3.0/24", None)];
        let current = [CurrentRule::new("o", "10.20.0.0/16", None)];
        let p =
            plan(&PlanInput::new(&desired, &current, &owned(&[])).adopt_existing(true)).unwrap();
        assert_eq!(p.conflicts[0].kind, ConflictKind::Overlaps);
        assert!(p.adoptions.is_empty() && p.creates.is_empty());
    }

    #[test]
    fn duplicates_merge_when_identical_and_are_refused_otherwise() {
        let desired = [
            DesiredEntry::new("203.0.113.7", Some("n1")),
            DesiredEntry::new("203.0.113.7/32", Some("n1")),
            DesiredEntry::new("::ffff:203.0.113.7", Some("n1")),
        ];
        let p = plan(&PlanInput::new(&desired, &[], &owned(&[]))).unwrap();
        assert_eq!(p.creates.len(), 1);

        let desired = [
            DesiredEntry::new("203.0.113.7", Some("n1")),
            DesiredEntry::new("198.51.100.1", None),
            DesiredEntry::new("203.0.113.7/32", Some("n2")),
            DesiredEntry::new("10.1.2.3/16", None),
            DesiredEntry::new("198.51.100.0/24", None),
        ];
        let errs = plan(&PlanInput::new(&desired, &[], &owned(&[]))).unwrap_err();
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(errs.len(), 3, "{text:?}");
        assert!(
            text[0].starts_with("entries[2]") && text[0].contains("entries[0]"),
            "{text:?}"
        );
        assert!(
            text[1].starts_with("entries[3]") && text[1].contains("10.1.0.0/16"),
            "{text:?}"
        );
        assert!(
            text[2].starts_with("entries[4]") && text[2].contains("entries[1]"),
            "{text:?}"
        );
    }

    #[test]
    fn an_owned_rule_gone_out_of_band_is_made_again() {
        let desired = [DesiredEntry::new("203.0.113.7", None)];
        let p = plan(&PlanInput::new(&desired, &[], &owned(&["vanished"]))).unwrap();
        assert_eq!(p.creates.len(), 1);
        assert!(p.deletes.is_empty());
    }
}
