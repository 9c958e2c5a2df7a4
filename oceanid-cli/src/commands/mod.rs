//! One module per command: it runs the check and renders its report.

pub(crate) mod allowlist;
pub(crate) mod flux_health;
pub(crate) mod nodes;
pub(crate) mod preflight;
pub(crate) mod verify_db;
pub(crate) mod warp;

use std::future::Future;

use oceanid_core::kubernetes::{Error, KubeconfigSource, Kubernetes};
use serde::Serialize;

use crate::args::Cli;
use crate::outcome::{Outcome, Status};

/// The cluster the global `--kubeconfig`/`--context` select, or the outcome that says why not.
pub(crate) async fn connect(cli: &Cli) -> Result<Kubernetes, Outcome> {
    let source = match &cli.kubeconfig {
        Some(path) => KubeconfigSource::Path(path.clone()),
        None => KubeconfigSource::Infer,
    };
    Kubernetes::connect(&source, cli.context.as_deref())
        .await
        .map_err(|e| Outcome::could_not_check(cli.json, &e.to_string()))
}

/// Connects, runs one read-only check, and renders its report: exit 0 when `ok` says so, 1 when
/// not, 2 when it could not run.
pub(crate) async fn run_check<R, Fut>(
    cli: &Cli,
    check: impl FnOnce(Kubernetes) -> Fut,
    ok: fn(&R) -> bool,
    table: fn(&R) -> String,
) -> Outcome
where
    R: Serialize,
    Fut: Future<Output = Result<R, Error>>,
{
    let cluster = match connect(cli).await {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    match check(cluster).await {
        Ok(report) => Outcome::report(
            cli.json,
            &report,
            || table(&report),
            Status::from_ok(ok(&report)),
        ),
        Err(e) => Outcome::could_not_check(cli.json, &e.to_string()),
    }
}
