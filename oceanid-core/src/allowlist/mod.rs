//! A firewall allowlist kept equal to a list: the pure planner behind `FirewallAllowlist`.
//!
//! From the desired entries (an address or CIDR and an optional description each), the
//! network's current rules and the ids of the rules this allowlist owns, [`plan`] decides what
//! to create, which descriptions to patch, what to delete, which rules to adopt (only when
//! asked) and what cannot be done (conflicts), and reports the network's allow-all rule with
//! its fix. It never touches a rule it does not own unless adoption was asked for. Pure: no
//! I/O, no feature needed.
//!
//! [`Coverage`] answers the question after: which rule lets an address (a node's egress
//! address) in, which rules hold none of the addresses, and the allow-all rule; with
//! [`MissingAddressFix`], the exact declaration or `cb` command for an address no rule covers.
//!
//! ```
//! use std::collections::BTreeSet;
//! use oceanid_core::allowlist::{plan, CurrentRule, DesiredEntry, PlanInput};
//!
//! let desired = [DesiredEntry::new("203.0.113.7", Some("srv712429"))];
//! let current = [CurrentRule::new("ruleA", "198.51.100.0/24", None)];
//! let owned = BTreeSet::new();
//! let p = plan(&PlanInput::new(&desired, &current, &owned)).unwrap();
//! assert_eq!(p.creates.len(), 1);
//! assert_eq!(p.creates[0].rule.to_string(), "203.0.113.7/32");
//! assert!(p.deletes.is_empty()); // ruleA is not ours: untouched
//! ```

#[cfg(feature = "crunchybridge")]
mod bridge_rules;
mod coverage;
mod planner;

#[cfg(feature = "crunchybridge")]
pub use bridge_rules::ingress_rules;
pub use coverage::{Coverage, MissingAddressFix, allow_all_detail, covered_detail};

pub use planner::{
    AllowAllRule, Conflict, ConflictKind, CurrentRule, DesiredEntry, EntryError, Plan, PlanInput,
    PlannedAdoption, PlannedCreate, PlannedDelete, PlannedKeep, PlannedPatch, plan,
};

#[cfg(test)]
mod properties;
