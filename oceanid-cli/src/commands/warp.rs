//! `oceanid warp check --address A [--address B …] [--policy ID]`: the WARP private-access
//! checks of `oceanid_core::cloudflare`, with the token and account from
//! `CLOUDFLARE_API_TOKEN`, `CLOUDFLARE_ACCOUNT_ID` and (optionally) `CLOUDFLARE_API_URL`.

use clap::{Args, Subcommand};
use oceanid_core::cloudflare::{
    AccountId, ApiToken, Cloudflare, PolicyId, PrivateAccessReport, ProtectedCidrs,
    verify_private_access,
};

use crate::args::Cli;
use crate::outcome::{Outcome, Status};
use crate::table::{render, yes_no};

/// `oceanid warp`.
#[derive(Debug, Args)]
pub struct WarpArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: WarpCommand,
}

/// The `oceanid warp` commands.
#[derive(Debug, Subcommand)]
pub enum WarpCommand {
    /// WARP reaches the addresses: the profile in Include mode, each address covered by an
    /// include entry and routed to a healthy tunnel with a connection, the protected entries
    /// present. Exit 1 when a check fails, 2 when it could not check.
    Check(WarpCheckArgs),
}

/// `oceanid warp check`.
#[derive(Debug, Args)]
pub struct WarpCheckArgs {
    /// An address or CIDR that WARP clients must reach; repeatable.
    #[arg(long = "address", value_name = "CIDR", required = true)]
    pub addresses: Vec<String>,
    /// The custom device profile (default: the default profile).
    #[arg(long = "policy", value_name = "ID")]
    pub policy: Option<String>,
    /// A protected CIDR whose include entry must be present; repeatable.
    #[arg(long = "protected", value_name = "CIDR")]
    pub protected: Vec<String>,
}

pub(crate) async fn run(cli: &Cli, args: &WarpArgs) -> Outcome {
    match &args.command {
        WarpCommand::Check(check) => run_check(cli, check).await,
    }
}

fn client_from_env() -> Result<Cloudflare, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let token = var("CLOUDFLARE_API_TOKEN").ok_or(
        "CLOUDFLARE_API_TOKEN is not set: export a Cloudflare API token with Zero Trust Read \
         and Cloudflare One Networks Read",
    )?;
    let account = var("CLOUDFLARE_ACCOUNT_ID")
        .ok_or("CLOUDFLARE_ACCOUNT_ID is not set: export the account id (dashboard URL)")?;
    let mut builder = Cloudflare::builder()
        .token(ApiToken::new(token))
        .account(AccountId::new(account));
    if let Some(url) = var("CLOUDFLARE_API_URL") {
        builder = builder.base_url(url);
    }
    builder.build().map_err(|e| e.to_string())
}

async fn run_check(cli: &Cli, args: &WarpCheckArgs) -> Outcome {
    let client = match client_from_env() {
        Ok(c) => c,
        Err(e) => return Outcome::could_not_check(cli.json, &e),
    };
    let protected = match ProtectedCidrs::parse(&args.protected) {
        Ok(p) => p,
        Err(e) => return Outcome::could_not_check(cli.json, &e.to_string()),
    };
    let policy = args.policy.as_deref().map(PolicyId::new);
    match verify_private_access(&client, &args.addresses, policy.as_ref(), &protected).await {
        Ok(report) => Outcome::report(
            cli.json,
            &report,
            || table(&report),
            Status::from_ok(report.ok),
        ),
        Err(e) => Outcome::could_not_check(cli.json, &e.to_string()),
    }
}

fn table(report: &PrivateAccessReport) -> String {
    let rows: Vec<Vec<String>> = report
        .checks
        .iter()
        .map(|c| vec![c.name.clone(), yes_no(c.ok), c.detail.clone()])
        .collect();
    let mut out = format!(
        "WARP private access, profile {}\n",
        report.policy_id.as_deref().unwrap_or("default")
    );
    out.push_str(&render(&["CHECK", "OK", "DETAIL"], &rows));
    out.push_str(if report.ok {
        "\nprivate access verified\n"
    } else {
        "\nprivate access FAILED\n"
    });
    out
}
