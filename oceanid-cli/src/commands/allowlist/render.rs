//! The text form of the `oceanid allowlist check` report: a table of the nodes, then a section
//! for each kind of finding, then the verdict.

use std::fmt::Write as _;

use super::report::{AllowlistReport, NodeStatus};
use crate::table::render;

/// The report as people read it.
pub(super) fn text(report: &AllowlistReport) -> String {
    let mut out = format!("network {}\n", report.network_id);
    let rows: Vec<Vec<String>> = report
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.name.clone(),
                n.egress_address.clone().unwrap_or_else(|| "-".to_owned()),
                match n.status {
                    NodeStatus::Covered => "covered",
                    NodeStatus::Missing => "MISSING",
                    NodeStatus::NoEgressAddress => "NO EGRESS ADDRESS",
                }
                .to_owned(),
                n.rule
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |r| format!("{} ({})", r.id, r.rule)),
            ]
        })
        .collect();
    out.push_str(&render(&["NODE", "EGRESS", "STATUS", "RULE"], &rows));

    let missing: Vec<_> = report
        .nodes
        .iter()
        .filter(|n| n.status == NodeStatus::Missing)
        .collect();
    if !missing.is_empty() {
        out.push_str("\nMissing: no rule lets these nodes in; any one of the fixes is enough\n");
        if !report.allow_all.is_empty() {
            out.push_str(
                "  (first delete the allow-all rule below: while it exists Bridge refuses every \
                 other rule of its family)\n",
            );
        }
        for n in &missing {
            let _ = writeln!(
                out,
                "  {} ({})",
                n.name,
                n.egress_address.as_deref().unwrap_or("-")
            );
            if let Some(fix) = &n.fix {
                let _ = writeln!(out, "    FirewallAllowlist entry: {}", fix.allowlist_entry);
                let _ = writeln!(out, "    FirewallRule:            {}", fix.firewall_rule);
                let _ = writeln!(out, "    cb:                      {}", fix.cb_command);
            }
        }
    }
    let unknown: Vec<_> = report
        .nodes
        .iter()
        .filter(|n| n.status == NodeStatus::NoEgressAddress)
        .collect();
    if !unknown.is_empty() {
        out.push_str("\nNo known egress address: nothing to check or allow until it is known\n");
        for n in &unknown {
            let _ = writeln!(out, "  {}: {}", n.name, n.detail);
        }
    }
    if !report.likely_victims.is_empty() {
        out.push_str(
            "\nLikely victims: crash-looping pods on nodes the firewall does not let in\n",
        );
        for c in &report.likely_victims {
            let _ = writeln!(out, "  {}", c.summary());
        }
    }
    if !report.unmatched_rules.is_empty() {
        out.push_str("\nRules that match no node (informational)\n");
        for r in &report.unmatched_rules {
            let _ = write!(out, "  {} {}", r.id, r.rule);
            if let Some(d) = r.description.as_deref().filter(|d| !d.is_empty()) {
                let _ = write!(out, " {d:?}");
            }
            out.push('\n');
        }
    }
    if !report.allow_all.is_empty() {
        out.push_str("\nAllow-all rule\n");
        for a in &report.allow_all {
            let _ = writeln!(out, "  {}", a.detail);
        }
    }

    let total = report.nodes.len();
    let covered = total - missing.len() - unknown.len();
    out.push('\n');
    if report.ok {
        let _ = writeln!(out, "all {total} nodes covered");
    } else {
        let _ = write!(
            out,
            "NOT COVERED: {covered} of {total} nodes covered, {} missing, {} without a known \
             egress address",
            missing.len(),
            unknown.len()
        );
        if !report.allow_all.is_empty() {
            out.push_str(", and the allow-all rule is present");
        }
        out.push('\n');
    }
    out
}
