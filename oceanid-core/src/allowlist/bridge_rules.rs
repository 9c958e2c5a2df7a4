//! Crunchy Bridge firewall rules as the planner and the coverage check see them (cargo feature
//! `crunchybridge`).

use super::planner::CurrentRule;
use crate::crunchybridge::{FirewallRule, FirewallRuleKind};

/// The ingress rules of a network's rule list (a rule without a kind is ingress, as on
/// Bridge), in list order, an empty description taken as none.
#[must_use]
pub fn ingress_rules(rules: &[FirewallRule]) -> Vec<CurrentRule> {
    rules
        .iter()
        .filter(|r| r.effective_kind() == FirewallRuleKind::Ingress)
        .map(|r| CurrentRule::new(r.id.as_str(), &r.rule, r.description()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crunchybridge::FirewallRuleId;

    #[test]
    fn egress_rules_are_left_out_and_a_missing_kind_is_ingress() {
        let rule =
            |id: &str, kind: Option<FirewallRuleKind>, description: Option<&str>| FirewallRule {
                id: FirewallRuleId::new(id),
                rule: "203.0.113.0/24".into(),
                kind,
                description: description.map(str::to_owned),
                ..FirewallRule::default()
            };
        let rules = [
            rule("old", None, Some("")),
            rule("in", Some(FirewallRuleKind::Ingress), Some("office")),
            rule("out", Some(FirewallRuleKind::Egress), None),
        ];
        assert_eq!(
            ingress_rules(&rules),
            [
                CurrentRule::new("old", "203.0.113.0/24", None),
                CurrentRule::new("in", "203.0.113.0/24", Some("office")),
            ]
        );
    }
}
