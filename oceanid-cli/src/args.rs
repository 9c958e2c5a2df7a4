//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Checks for a K3s cluster with Flux and its Crunchy Bridge database, before and after
/// `pulumi up`. Exit status: 0 ok, 1 blocking/unhealthy/missing, 2 could not check.
#[derive(Debug, Parser)]
#[command(name = "oceanid", version, about, long_about = None)]
pub struct Cli {
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current-context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Print the report as JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to check.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Before `pulumi up`: Helm ownership conflicts (blocking), CRD ownership (informational),
    /// unfinished Helm operations and crash loops (warnings). Exit 1 when something blocks.
    Preflight(PreflightArgs),
    /// After `pulumi up`: Flux's 6 controllers Ready with their pods Running, every
    /// GitRepository, Kustomization and HelmRelease Ready and current. Exit 1 when unhealthy.
    FluxHealth,
    /// Every node with its addresses and the egress address Crunchy Bridge sees, and why.
    /// Exit 1 when a node's egress address is unknown.
    Nodes,
    /// Log in with a PostgreSQL URL as an application would: identity, TLS, tables, a write
    /// that reads back (rolled back). Exit 1 when a check fails.
    VerifyDb(VerifyDbArgs),
    /// Cloudflare WARP: `warp check --address CIDR …` (token and account from
    /// CLOUDFLARE_API_TOKEN / CLOUDFLARE_ACCOUNT_ID). Exit 1 when a check fails.
    Warp(crate::commands::warp::WarpArgs),
    /// Crunchy Bridge firewall: `allowlist check --network ID` compares every node's egress
    /// address with the network's rules (key from CRUNCHYBRIDGE_API_KEY). Exit 1 when a node
    /// is not let in.
    Allowlist(crate::commands::allowlist::AllowlistArgs),
}

/// `oceanid preflight`.
#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// Print what the fix would change (stale Helm ownership metadata, release Secrets of
    /// operations that never finished); nothing changes without --yes.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: apply exactly the printed plan, then check again.
    #[arg(long, requires = "fix")]
    pub yes: bool,
}

/// `oceanid verify-db`.
#[derive(Debug, Args)]
pub struct VerifyDbArgs {
    /// postgres://user:password@host:port/database?sslmode=require, or `-` to read it from
    /// standard input (keeps the password out of the process list).
    #[arg(value_name = "URL")]
    pub url: String,
    /// A table that must exist (`schema.table` or a bare name); repeatable.
    #[arg(long = "expect-table", value_name = "TABLE")]
    pub expect_tables: Vec<String>,
    /// Skip the write check (create a table, write a row, read it back, roll back).
    #[arg(long)]
    pub no_write: bool,
    /// Accept an unencrypted session.
    #[arg(long)]
    pub allow_plaintext: bool,
}
