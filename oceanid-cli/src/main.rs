//! `oceanid`: the checks operators run before and after `pulumi up` of a cluster stack.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use oceanid_cli::{Cli, run};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = run(&cli).await;
    print!("{}", outcome.stdout);
    eprint!("{}", outcome.stderr);
    ExitCode::from(outcome.status.code())
}
