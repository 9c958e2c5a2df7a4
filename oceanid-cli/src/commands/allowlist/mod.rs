//! `oceanid allowlist check --network ID`: every node's egress address (as `oceanid nodes`
//! finds it) against the Crunchy Bridge network's ingress rules, with the exact fix for each
//! node left out and the crash-looping pods on those nodes. The Bridge key and URL come from
//! `CRUNCHYBRIDGE_API_KEY` (or `CB_API_KEY`) and `CRUNCHYBRIDGE_API_URL`.

mod render;
mod report;

use std::time::Duration;

use clap::{Args, Subcommand};
use oceanid_core::crunchybridge::{Error as BridgeError, NetworkId, is_eid};

use self::report::allowlist_report;
use crate::args::Cli;
use crate::bridge_env::bridge_from_env;
use crate::outcome::{Outcome, Status};

/// `oceanid allowlist`.
#[derive(Debug, Args)]
pub struct AllowlistArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AllowlistCommand,
}

/// The `oceanid allowlist` commands.
#[derive(Debug, Subcommand)]
pub enum AllowlistCommand {
    /// Every node's egress address against the network's firewall rules: nodes covered (and
    /// by which rule), nodes missing (each with its FirewallAllowlist entry, FirewallRule and
    /// `cb network add-firewall-rule` command), nodes with no known egress address (and how to
    /// annotate them), crash-looping pods on those nodes, rules that match no node, and the
    /// allow-all rule. Bridge credentials from CRUNCHYBRIDGE_API_KEY (or CB_API_KEY) and
    /// CRUNCHYBRIDGE_API_URL. Exit 0 all covered, 1 something missing, 2 could not check.
    Check(AllowlistCheckArgs),
}

/// `oceanid allowlist check`.
#[derive(Debug, Args)]
pub struct AllowlistCheckArgs {
    /// The Crunchy Bridge network whose firewall the nodes must pass (`cb network list`, or a
    /// cluster's `network_id`).
    #[arg(long, value_name = "ID")]
    pub network: String,
    /// Give up on the Bridge API after this many seconds (retries included).
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    pub timeout: u64,
}

pub(crate) async fn run(cli: &Cli, args: &AllowlistArgs) -> Outcome {
    match &args.command {
        AllowlistCommand::Check(check) => run_check(cli, check).await,
    }
}

async fn run_check(cli: &Cli, args: &AllowlistCheckArgs) -> Outcome {
    let network = args.network.trim();
    if !is_eid(network) {
        return Outcome::could_not_check(
            cli.json,
            &format!(
                "--network `{}` is not a Crunchy Bridge network id (26 lowercase letters and \
                 digits 2-7); `cb network list` shows yours",
                args.network.escape_debug()
            ),
        );
    }
    let bridge = match bridge_from_env(Duration::from_secs(args.timeout)) {
        Ok(b) => b,
        Err(reason) => return Outcome::could_not_check(cli.json, &reason),
    };
    let cluster = match super::connect(cli).await {
        Ok(c) => c,
        Err(outcome) => return outcome,
    };
    let network_id = NetworkId::new(network);
    let firewall = bridge.firewall(&network_id);
    let (rules, nodes, crash_loops) =
        tokio::join!(firewall.list(), cluster.nodes(), cluster.crash_loops());
    let rules = match rules {
        Ok(r) => r,
        Err(e) => return Outcome::could_not_check(cli.json, &bridge_failure(network, &e)),
    };
    let (nodes, crash_loops) = match (nodes, crash_loops) {
        (Ok(n), Ok(c)) => (n, c),
        (Err(e), _) | (_, Err(e)) => return Outcome::could_not_check(cli.json, &e.to_string()),
    };
    let report = allowlist_report(network, &nodes.nodes, &crash_loops, &rules);
    Outcome::report(
        cli.json,
        &report,
        || render::text(&report),
        Status::from_ok(report.ok),
    )
}

/// Why the rules could not be read; an unknown network says so plainly.
fn bridge_failure(network: &str, e: &BridgeError) -> String {
    if e.is_not_found() {
        format!(
            "Crunchy Bridge has no network {network} that this API key can see: check the id \
             (`cb network list`, or the cluster's `network_id`) and the key's team{}",
            e.request_id()
                .map(|id| format!(" (request id {id})"))
                .unwrap_or_default()
        )
    } else {
        format!("cannot list the firewall rules of network {network}: {e}")
    }
}
