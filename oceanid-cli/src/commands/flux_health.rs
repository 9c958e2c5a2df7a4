//! `oceanid flux-health`: Flux's controllers and objects after a deploy.

use oceanid_core::kubernetes::{FluxHealthReport, failed};

use crate::args::Cli;
use crate::outcome::Outcome;
use crate::table::{list_or_dash, render, yes_no};

pub(crate) async fn run(cli: &Cli) -> Outcome {
    super::run_check(
        cli,
        |k| async move { k.flux_health().await },
        |r: &FluxHealthReport| r.ok,
        table,
    )
    .await
}

pub(crate) fn table(report: &FluxHealthReport) -> String {
    let controllers: Vec<Vec<String>> = report
        .controllers
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                if c.found {
                    yes_no(c.ok)
                } else {
                    "MISSING".to_owned()
                },
                format!("{}/{}", c.available_replicas, c.desired_replicas),
                format!("{}/{}", c.pods_running, c.pods_total),
                list_or_dash(&c.images),
            ]
        })
        .collect();
    let mut out = render(
        &["CONTROLLER", "HEALTHY", "AVAILABLE", "RUNNING", "IMAGE"],
        &controllers,
    );
    out.push('\n');
    let objects: Vec<Vec<String>> = report
        .objects
        .iter()
        .map(|o| {
            vec![
                o.kind.clone(),
                format!("{}/{}", o.namespace, o.name),
                yes_no(o.ready),
                yes_no(o.suspended),
                o.revision.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    out.push_str(&render(
        &["KIND", "NAME", "READY", "SUSPENDED", "REVISION"],
        &objects,
    ));
    let failures: Vec<_> = failed(&report.checks).collect();
    if failures.is_empty() {
        out.push_str("\nFlux is healthy\n");
    } else {
        out.push_str(&format!(
            "\nFlux is NOT healthy: {} failed check(s)\n",
            failures.len()
        ));
        for c in failures {
            out.push_str(&format!("  ✗ {}: {}\n", c.name, c.detail));
        }
    }
    out
}
