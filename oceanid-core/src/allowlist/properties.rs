//! Property tests of the planner: applying a plan to the current rules yields exactly the
//! desired set plus the untouched foreign rules, for any input.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;
use proptest::prelude::*;

use super::{ConflictKind, CurrentRule, DesiredEntry, PlanInput, plan};
use crate::cidr::normalize_cidr;

/// Addresses drawn from a small pool so that entries and rules collide often, plus a /24 and
/// the allow-all rule so that overlaps happen too.
fn address(i: u8) -> String {
    match i {
        0 => "10.0.0.0/24".to_owned(),
        1 => "0.0.0.0/0".to_owned(),
        2 => "::ffff:10.0.0.3".to_owned(),
        i => format!("10.0.{}.{}", i % 3, i),
    }
}

fn description(i: u8) -> Option<String> {
    match i {
        0 => None,
        1 => Some(String::new()),
        i => Some(format!("node-{i}")),
    }
}

#[derive(Debug, Clone)]
struct Case {
    desired: Vec<DesiredEntry>,
    current: Vec<CurrentRule>,
    owned: BTreeSet<String>,
    adopt: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((0u8..12, 0u8..4), 0..10),
        prop::collection::btree_map(0u8..12, (0u8..4, any::<bool>()), 0..8),
        any::<bool>(),
    )
        .prop_map(|(desired, current, adopt)| {
            let desired = desired
                .into_iter()
                .map(|(a, d)| DesiredEntry {
                    address: address(a),
                    description: description(d),
                })
                .collect();
            let mut owned = BTreeSet::new();
            let mut rules = Vec::new();
            for (a, (d, is_owned)) in current {
                let id = format!("r{a}");
                let net = normalize_cidr(&address(a)).unwrap();
                // Bridge holds no two overlapping rules.
                if rules.iter().any(|r: &CurrentRule| {
                    let other: IpNet = r.rule.parse().unwrap();
                    other.contains(&net) || net.contains(&other)
                }) {
                    continue;
                }
                let rule = net.to_string();
                if is_owned {
                    owned.insert(id.clone());
                }
                rules.push(CurrentRule {
                    id,
                    rule,
                    description: description(d),
                });
            }
            // An owned id that is no longer on the network (deleted out of band).
            owned.insert("vanished".to_owned());
            Case {
                desired,
                current: rules,
                owned,
                adopt,
            }
        })
}

fn clean(d: &Option<String>) -> Option<String> {
    d.clone().filter(|d| !d.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn applying_a_plan_yields_the_desired_set_and_the_untouched_foreign_rules(c in case()) {
        let input = PlanInput::new(&c.desired, &c.current, &c.owned).adopt_existing(c.adopt);
        let p = match plan(&input) {
            Ok(p) => p,
            Err(errors) => {
                // Refused only for a real reason: each error names a later entry that
                // repeats an earlier address with another description, or overlaps one.
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(e.position < c.desired.len());
                    prop_assert!(e.reason.contains("entries[") , "{e}");
                }
                return Ok(());
            }
        };
        let foreign: BTreeMap<&str, &CurrentRule> = c
            .current
            .iter()
            .filter(|r| !c.owned.contains(&r.id))
            .map(|r| (r.id.as_str(), r))
            .collect();
        let adopted: BTreeSet<&str> = p.adoptions.iter().map(|a| a.rule_id.as_str()).collect();
        prop_assert!(c.adopt || adopted.is_empty(), "adoption without being asked");

        // Apply: deletes first, then patches, adoptions and creates.
        let mut held: BTreeMap<String, (IpNet, Option<String>)> = c
            .current
            .iter()
            .map(|r| (r.id.clone(), (r.rule.parse().unwrap(), clean(&r.description))))
            .collect();
        for d in &p.deletes {
            prop_assert!(c.owned.contains(&d.rule_id), "deletes a rule it does not own");
            prop_assert!(held.remove(&d.rule_id).is_some());
        }
        for patch in &p.patches {
            prop_assert!(
                c.owned.contains(&patch.rule_id) || adopted.contains(patch.rule_id.as_str()),
                "patches a rule it neither owns nor adopts"
            );
            held.get_mut(&patch.rule_id).unwrap().1 = patch.to.clone();
        }
        let mut mine: BTreeSet<String> = c
            .owned
            .iter()
            .filter(|id| held.contains_key(*id))
            .cloned()
            .collect();
        mine.extend(adopted.iter().map(|id| (*id).to_owned()));
        for (i, create) in p.creates.iter().enumerate() {
            let id = format!("new{i}");
            held.insert(id.clone(), (create.rule, create.description.clone()));
            mine.insert(id);
        }

        // Foreign rules not adopted are exactly as they were.
        for (id, rule) in &foreign {
            if adopted.contains(id) {
                continue;
            }
            let now = held.get(*id);
            prop_assert_eq!(
                now,
                Some(&(rule.rule.parse::<IpNet>().unwrap(), clean(&rule.description))),
                "foreign rule {} touched", id
            );
        }
        // What this allowlist owns is the desired set, minus the conflicted entries.
        let conflicted: BTreeSet<IpNet> = p.conflicts.iter().map(|x| x.rule).collect();
        let mut want = BTreeSet::new();
        for e in &c.desired {
            let net = normalize_cidr(&e.address).unwrap();
            if !conflicted.contains(&net) {
                want.insert((net, clean(&e.description)));
            }
        }
        let got: BTreeSet<(IpNet, Option<String>)> =
            mine.iter().map(|id| held[id].clone()).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(mine.len(), held.iter().filter(|(id, _)| mine.contains(*id)).count());

        // A conflict names a foreign rule that really is in the way.
        for x in &p.conflicts {
            let other = foreign.get(x.other_id.as_str()).copied();
            prop_assert!(other.is_some(), "conflict with a rule that is not foreign");
            let other: IpNet = other.unwrap().rule.parse().unwrap();
            match x.kind {
                ConflictKind::NotOwned => prop_assert!(other == x.rule && !c.adopt),
                ConflictKind::Overlaps | ConflictKind::AllowAll => {
                    prop_assert!(other.contains(&x.rule) || x.rule.contains(&other))
                }
            }
        }
        // Without foreign rules in the way, the result is exactly the desired set.
        if foreign.is_empty() {
            prop_assert!(p.conflicts.is_empty());
        }
        // The result is a valid Bridge rule set: no two rules overlap.
        let nets: Vec<IpNet> = held.values().map(|(n, _)| *n).collect();
        for (i, a) in nets.iter().enumerate() {
            for b in &nets[i + 1..] {
                let same_family = matches!((a, b), (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_)));
                prop_assert!(!(same_family && (a.contains(b) || b.contains(a))), "{} overlaps {}", a, b);
            }
        }
    }
}
