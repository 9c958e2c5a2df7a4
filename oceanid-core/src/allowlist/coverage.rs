//! Coverage: which of a network's ingress rules lets an address in, and the exact fix when none
//! does. The pure check behind `crunchybridge:index:checkAllowlist` and
//! `oceanid allowlist check`.

use std::fmt::Write as _;

use ipnet::IpNet;

use super::planner::{AllowAllRule, CurrentRule};
use crate::cidr::normalize_cidr;

/// A network's ingress rules, parsed once, asked which rule covers an address.
///
/// An allow-all rule (`0.0.0.0/0`, `::/0`) never counts as cover: while it exists Bridge accepts
/// no other rule of its family, so it is reported on its own ([`Coverage::allow_all`]) with its
/// fix. A rule whose CIDR does not parse covers nothing.
#[derive(Clone, Debug)]
pub struct Coverage<'r> {
    rules: Vec<(IpNet, &'r CurrentRule)>,
}

impl<'r> Coverage<'r> {
    /// The coverage of `ingress`: the network's ingress rules only (leave egress rules out),
    /// in the order the API listed them.
    #[must_use]
    pub fn new(ingress: &'r [CurrentRule]) -> Self {
        let rules = ingress
            .iter()
            .filter_map(|r| normalize_cidr(&r.rule).ok().map(|net| (net, r)))
            .collect();
        Self { rules }
    }

    /// The first rule other than an allow-all that contains `address`, or `None`.
    #[must_use]
    pub fn covering(&self, address: &IpNet) -> Option<&'r CurrentRule> {
        self.rules
            .iter()
            .find(|(net, _)| !is_allow_all(net) && net.contains(address))
            .map(|(_, r)| *r)
    }

    /// The allow-all rules, in list order.
    #[must_use]
    pub fn allow_all(&self) -> Vec<AllowAllRule> {
        self.rules
            .iter()
            .filter(|(net, _)| is_allow_all(net))
            .map(|(net, r)| AllowAllRule {
                rule_id: r.id.clone(),
                rule: *net,
                owned: false,
            })
            .collect()
    }

    /// The rules (other than an allow-all) that contain none of `addresses`: rules for machines
    /// that are not among them, or left over from nodes that are gone.
    #[must_use]
    pub fn unmatched(&self, addresses: &[IpNet]) -> Vec<&'r CurrentRule> {
        self.rules
            .iter()
            .filter(|(net, _)| !is_allow_all(net) && !addresses.iter().any(|a| net.contains(a)))
            .map(|(_, r)| *r)
            .collect()
    }
}

fn is_allow_all(net: &IpNet) -> bool {
    net.prefix_len() == 0
}

/// `covered by rule <id> (<cidr>, "<description>")`: which rule lets an address in.
#[must_use]
pub fn covered_detail(rule: &CurrentRule) -> String {
    let mut out = format!("covered by rule {} ({}", rule.id, rule.rule);
    if let Some(d) = rule.description.as_deref().filter(|d| !d.is_empty()) {
        let _ = write!(out, ", {d:?}");
    }
    out.push(')');
    out
}

/// What to do about an allow-all rule: delete it (the exact `cb` command, for `network`, or with
/// a `<networkId>` placeholder when `None`), or start the network without it.
#[must_use]
pub fn allow_all_detail(network: Option<&str>, allow_all: &AllowAllRule) -> String {
    format!(
        "the network has the allow-all rule {} (rule id {}): {}",
        allow_all.rule,
        allow_all.rule_id,
        AllowAllRule::fix_on_network(network.unwrap_or("<networkId>"), &allow_all.rule_id)
    )
}

/// The exact fix for an address no rule covers: the Pulumi declarations and the `cb` command
/// that let it in.
///
/// ```
/// use oceanid_core::allowlist::MissingAddressFix;
///
/// let address = "191.101.1.3/32".parse().unwrap();
/// let fix = MissingAddressFix::new("oceanidemulatornetwork222a", address)
///     .description("srv712695 - K3s worker node");
/// assert_eq!(
///     fix.cb_command(),
///     "cb network add-firewall-rule --network oceanidemulatornetwork222a --rule 191.101.1.3/32 \
///      --description \"srv712695 - K3s worker node\""
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingAddressFix {
    network: String,
    address: IpNet,
    description: Option<String>,
}

impl MissingAddressFix {
    /// The fix for `address` on `network`, without a description.
    #[must_use]
    pub fn new(network: impl Into<String>, address: IpNet) -> Self {
        Self {
            network: network.into(),
            address,
            description: None,
        }
    }

    /// With a description for the rule (e.g. `srv712695 - K3s worker node`); an empty one is
    /// none.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into()).filter(|d| !d.is_empty());
        self
    }

    /// The FirewallAllowlist entry, as TypeScript: `{ address: "…", description: "…" }`.
    #[must_use]
    pub fn allowlist_entry(&self) -> String {
        let address = self.address.to_string();
        match &self.description {
            // Rust's Debug form of a string is a valid JavaScript string literal.
            Some(d) => format!("{{ address: {address:?}, description: {d:?} }}"),
            None => format!("{{ address: {address:?} }}"),
        }
    }

    /// A FirewallRule declaration, as TypeScript, named after the description (or the address).
    #[must_use]
    pub fn firewall_rule(&self) -> String {
        let address = self.address.to_string();
        let name = format!(
            "allow-{}",
            self.description
                .as_deref()
                .and_then(|d| d.split_whitespace().next())
                .unwrap_or(&address)
        );
        let mut args = format!("networkId: {:?}, rule: {address:?}", self.network);
        if let Some(d) = &self.description {
            let _ = write!(args, ", description: {d:?}");
        }
        format!("new crunchybridge.FirewallRule({name:?}, {{ {args} }});")
    }

    /// The `cb network add-firewall-rule` command, the description quoted for a POSIX shell.
    #[must_use]
    pub fn cb_command(&self) -> String {
        let mut command = format!(
            "cb network add-firewall-rule --network {} --rule {}",
            self.network, self.address
        );
        if let Some(d) = &self.description {
            let _ = write!(command, " --description {}", shell_quoted(d));
        }
        command
    }

    /// One line: no rule lets it in, add the [allowlist entry](Self::allowlist_entry) to the
    /// network's FirewallAllowlist or run the [`cb` command](Self::cb_command).
    #[must_use]
    pub fn detail(&self) -> String {
        format!(
            "no rule lets it in: add `{}` to the FirewallAllowlist of network {}, or run `{}`",
            self.allowlist_entry(),
            self.network,
            self.cb_command()
        )
    }
}

/// `text` as one word of a POSIX shell: in double quotes when nothing in it is special there,
/// else in single quotes (each `'` written as `'\''`).
fn shell_quoted(text: &str) -> String {
    if text
        .chars()
        .any(|c| matches!(c, '"' | '$' | '`' | '\\' | '!'))
    {
        format!("'{}'", text.replace('\'', r"'\''"))
    } else {
        format!("\"{text}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, cidr: &str, description: Option<&str>) -> CurrentRule {
        CurrentRule::new(id, cidr, description)
    }

    fn net(text: &str) -> IpNet {
        normalize_cidr(text).expect("a CIDR")
    }

    #[test]
    fn the_first_containing_rule_covers_and_allow_all_never_does() {
        let rules = [
            rule("all4", "0.0.0.0/0", None),
            rule("wide", "157.173.0.0/16", Some("provider range")),
            rule("node", "157.173.210.123/32", Some("srv712429")),
            rule("v6", "2001:db8::/32", None),
            rule("broken", "not a cidr", None),
        ];
        let c = Coverage::new(&rules);
        assert_eq!(
            c.covering(&net("157.173.210.123")).map(|r| &*r.id),
            Some("wide")
        );
        assert_eq!(c.covering(&net("2001:db8::7")).map(|r| &*r.id), Some("v6"));
        assert_eq!(
            c.covering(&net("191.101.1.3")),
            None,
            "allow-all is no cover"
        );
        let all = c.allow_all();
        assert_eq!(all.len(), 1);
        assert_eq!(
            (all[0].rule_id.as_str(), all[0].rule),
            ("all4", net("0.0.0.0/0"))
        );
    }

    #[test]
    fn a_range_covers_only_addresses_inside_it() {
        let rules = [rule("r", "157.173.210.0/24", None)];
        let c = Coverage::new(&rules);
        assert!(c.covering(&net("157.173.210.0/25")).is_some());
        assert!(c.covering(&net("157.173.211.1")).is_none());
        assert!(
            c.covering(&net("157.173.0.0/16")).is_none(),
            "wider than the rule"
        );
    }

    #[test]
    fn unmatched_rules_hold_no_address_and_exclude_allow_all() {
        let rules = [
            rule("all6", "::/0", None),
            rule("node", "157.173.210.123/32", None),
            rule("office", "198.51.100.0/24", Some("office VPN")),
        ];
        let c = Coverage::new(&rules);
        let ids: Vec<&str> = c
            .unmatched(&[net("157.173.210.123"), net("191.101.1.3")])
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ids, ["office"]);
        assert_eq!(c.unmatched(&[]).len(), 2);
    }

    #[test]
    fn covered_detail_names_the_rule_and_its_description() {
        assert_eq!(
            covered_detail(&rule("r1", "157.173.210.0/24", Some("srv712429 subnet"))),
            "covered by rule r1 (157.173.210.0/24, \"srv712429 subnet\")"
        );
        assert_eq!(
            covered_detail(&rule("r2", "191.101.1.3/32", Some(""))),
            "covered by rule r2 (191.101.1.3/32)"
        );
    }

    #[test]
    fn the_fix_without_a_description_is_the_functions_text() {
        let fix = MissingAddressFix::new("n1", net("191.101.1.3"));
        assert_eq!(
            fix.detail(),
            "no rule lets it in: add `{ address: \"191.101.1.3/32\" }` to the FirewallAllowlist \
             of network n1, or run `cb network add-firewall-rule --network n1 --rule \
             191.101.1.3/32`"
        );
        assert_eq!(
            fix.firewall_rule(),
            "new crunchybridge.FirewallRule(\"allow-191.101.1.3/32\", { networkId: \"n1\", rule: \
             \"191.101.1.3/32\" });"
        );
    }

    #[test]
    fn the_fix_with_a_node_description_is_exact() {
        let fix = MissingAddressFix::new("n1", net("191.101.1.3"))
            .description("srv712695 - K3s worker node");
        assert_eq!(
            fix.allowlist_entry(),
            "{ address: \"191.101.1.3/32\", description: \"srv712695 - K3s worker node\" }"
        );
        assert_eq!(
            fix.firewall_rule(),
            "new crunchybridge.FirewallRule(\"allow-srv712695\", { networkId: \"n1\", rule: \
             \"191.101.1.3/32\", description: \"srv712695 - K3s worker node\" });"
        );
        assert_eq!(
            fix.cb_command(),
            "cb network add-firewall-rule --network n1 --rule 191.101.1.3/32 --description \
             \"srv712695 - K3s worker node\""
        );
    }

    #[test]
    fn a_hostile_description_stays_one_shell_word_and_one_string_literal() {
        let fix =
            MissingAddressFix::new("n1", net("203.0.113.7")).description("it's $(rm -rf /) \"x\"");
        assert_eq!(
            fix.cb_command(),
            r#"cb network add-firewall-rule --network n1 --rule 203.0.113.7/32 --description 'it'\''s $(rm -rf /) "x"'"#
        );
        assert!(
            fix.allowlist_entry()
                .contains(r#"description: "it's $(rm -rf /) \"x\"""#),
            "{}",
            fix.allowlist_entry()
        );
    }

    #[test]
    fn the_allow_all_detail_names_the_network() {
        let rules = [rule("all4", "0.0.0.0/0", None)];
        let all = Coverage::new(&rules).allow_all();
        let detail = allow_all_detail(Some("n1"), &all[0]);
        assert!(
            detail.starts_with("the network has the allow-all rule 0.0.0.0/0 (rule id all4): "),
            "{detail}"
        );
        assert!(
            detail.contains("`cb network remove-firewall-rule --network n1 --rule all4`"),
            "{detail}"
        );
        assert!(detail.contains("deny_all"), "{detail}");
        assert!(
            allow_all_detail(None, &all[0]).contains("--network <networkId> --rule all4"),
            "the placeholder when the network is not given"
        );
    }
}
