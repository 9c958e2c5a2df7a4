//! `oceanid nodes`: every node, its addresses and its egress address, and why.

use oceanid_core::kubernetes::NodesReport;

use crate::args::Cli;
use crate::outcome::Outcome;
use crate::table::{list_or_dash, render, yes_no};

pub(crate) async fn run(cli: &Cli) -> Outcome {
    super::run_check(
        cli,
        |k| async move { k.nodes().await },
        |r: &NodesReport| r.ok,
        table,
    )
    .await
}

pub(crate) fn table(report: &NodesReport) -> String {
    let rows: Vec<Vec<String>> = report
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.name.clone(),
                list_or_dash(&n.roles),
                yes_no(n.ready),
                list_or_dash(&n.internal_addresses),
                list_or_dash(&n.external_addresses),
                n.egress_address
                    .clone()
                    .unwrap_or_else(|| "MISSING".to_owned()),
            ]
        })
        .collect();
    let mut out = render(
        &["NAME", "ROLES", "READY", "INTERNAL", "EXTERNAL", "EGRESS"],
        &rows,
    );
    out.push('\n');
    for n in &report.nodes {
        out.push_str(&format!("{}: {}\n", n.name, n.egress_detail));
    }
    let missing = report
        .nodes
        .iter()
        .filter(|n| n.egress_address.is_none())
        .count();
    out.push_str(&if missing == 0 {
        format!(
            "\nall {} nodes have an egress address\n",
            report.nodes.len()
        )
    } else {
        format!(
            "\n{missing} of {} nodes have no known egress address\n",
            report.nodes.len()
        )
    });
    out
}
