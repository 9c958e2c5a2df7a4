//! The `oceanid` command line: `preflight [--fix [--yes]]`, `flux-health`, `nodes`,
//! `allowlist check --network ID`, `warp check` and `verify-db URL`, each a readable table by
//! default or the report as JSON with `--json`.
//!
//! Exit status: 0 ok, 1 blocking / unhealthy / missing, 2 could not check (bad kubeconfig,
//! unreachable server, refused credentials, a malformed URL).
//!
//! ```no_run
//! use clap::Parser;
//! # async fn example() {
//! let cli = oceanid_cli::Cli::parse_from(["oceanid", "--context", "tethys", "nodes"]);
//! let outcome = oceanid_cli::run(&cli).await;
//! print!("{}", outcome.stdout);
//! std::process::exit(outcome.status.code().into());
//! # }
//! ```
#![forbid(unsafe_code)]

mod args;
mod bridge_env;
mod commands;
mod outcome;
mod table;

pub use self::args::{Cli, Command, PreflightArgs, VerifyDbArgs};
pub use self::commands::allowlist::{AllowlistArgs, AllowlistCheckArgs, AllowlistCommand};
pub use self::commands::warp::{WarpArgs, WarpCheckArgs, WarpCommand};
pub use self::outcome::{Outcome, Status};

/// Runs one command and returns what to print and the exit status; never panics on input.
pub async fn run(cli: &Cli) -> Outcome {
    match &cli.command {
        Command::Nodes => commands::nodes::run(cli).await,
        Command::FluxHealth => commands::flux_health::run(cli).await,
        Command::Preflight(args) => commands::preflight::run(cli, args).await,
        Command::VerifyDb(args) => commands::verify_db::run(cli, args).await,
        Command::Warp(args) => commands::warp::run(cli, args).await,
        Command::Allowlist(args) => commands::allowlist::run(cli, args).await,
    }
}
