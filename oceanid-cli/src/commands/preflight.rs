//! `oceanid preflight [--fix [--yes]]`: what would block `pulumi up`, and the fix plan.

use oceanid_core::kubernetes::{FixOutcome, PreflightReport, Severity};
use serde::Serialize;

use crate::args::{Cli, PreflightArgs};
use crate::outcome::{Outcome, Status};
use crate::table::render;

/// `--fix --yes` output: what was done and the preflight afterwards.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fixed<'a> {
    applied: &'a [FixOutcome],
    after: &'a PreflightReport,
}

pub(crate) async fn run(cli: &Cli, args: &PreflightArgs) -> Outcome {
    let cluster = match super::connect(cli).await {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let report = match cluster.preflight().await {
        Ok(r) => r,
        Err(e) => return Outcome::could_not_check(cli.json, &e.to_string()),
    };
    if !(args.fix && args.yes) || report.fix_plan.is_empty() {
        let status = Status::from_ok(report.ok);
        return Outcome::report(cli.json, &report, || table(&report, args.fix), status);
    }
    let applied = match cluster.apply_fix(&report.fix_plan).await {
        Ok(applied) => applied,
        Err(e) => {
            return Outcome::could_not_check(
                cli.json,
                &format!("the fix stopped: {e}; nothing after that step was changed"),
            );
        }
    };
    let after = match cluster.preflight().await {
        Ok(r) => r,
        Err(e) => {
            return Outcome::could_not_check(
                cli.json,
                &format!("fixed, but the check afterwards failed: {e}"),
            );
        }
    };
    let fixed = Fixed {
        applied: &applied,
        after: &after,
    };
    Outcome::report(
        cli.json,
        &fixed,
        || {
            let mut out = String::from("Applied:\n");
            for a in &applied {
                out.push_str(&format!("  ✓ {}\n", a.detail));
            }
            out.push_str("\nAfter the fix:\n");
            out.push_str(&table(&after, false));
            out
        },
        Status::from_ok(after.ok),
    )
}

pub(crate) fn table(report: &PreflightReport, show_plan: bool) -> String {
    let mut out = String::new();
    if report.findings.is_empty() {
        out.push_str("no findings\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .findings
            .iter()
            .map(|f| {
                vec![
                    severity(f.severity).to_owned(),
                    f.object
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), ToString::to_string),
                    f.detail.clone(),
                ]
            })
            .collect();
        out.push_str(&render(&["SEVERITY", "OBJECT", "FINDING"], &rows));
    }
    for kind in &report.not_served {
        out.push_str(&format!(
            "note: the server does not serve {kind}; not scanned\n"
        ));
    }
    if show_plan {
        if report.fix_plan.is_empty() {
            out.push_str("\nFix plan: nothing to fix automatically\n");
        } else {
            out.push_str("\nFix plan (nothing changes without --yes):\n");
            for (i, step) in report.fix_plan.iter().enumerate() {
                out.push_str(&format!("  {}. {}\n", i + 1, step.description));
            }
        }
    } else if !report.fix_plan.is_empty() {
        out.push_str(&format!(
            "\n{} step(s) can be fixed automatically: see `oceanid preflight --fix`\n",
            report.fix_plan.len()
        ));
    }
    let blocking = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Blocking)
        .count();
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    out.push_str(&if blocking == 0 {
        format!("\nsafe to deploy ({warnings} warning(s))\n")
    } else {
        format!("\nBLOCKED: {blocking} blocking finding(s), {warnings} warning(s)\n")
    });
    out
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Blocking => "BLOCKING",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}
