//! `oceanid verify-db URL`: the database verification of `oceanid_core::postgres`.

use std::io::BufRead;

use oceanid_core::postgres::{PgUrl, VerifyOptions, VerifyReport, verify};

use crate::args::{Cli, VerifyDbArgs};
use crate::outcome::{Outcome, Status};
use crate::table::{render, yes_no};

pub(crate) async fn run(cli: &Cli, args: &VerifyDbArgs) -> Outcome {
    let raw = if args.url == "-" {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().lock().read_line(&mut line) {
            return Outcome::could_not_check(
                cli.json,
                &format!("cannot read the URL from standard input: {e}"),
            );
        }
        line.trim().to_owned()
    } else {
        args.url.clone()
    };
    let url = match PgUrl::parse(&raw) {
        Ok(url) => url,
        Err(e) => return Outcome::could_not_check(cli.json, &e.to_string()),
    };
    let options = VerifyOptions {
        expect_tables: args.expect_tables.clone(),
        write: !args.no_write,
        require_tls: !args.allow_plaintext,
    };
    let report = verify(&url, &options).await;
    Outcome::report(
        cli.json,
        &report,
        || table(&report),
        Status::from_ok(report.ok()),
    )
}

pub(crate) fn table(report: &VerifyReport) -> String {
    let rows: Vec<Vec<String>> = report
        .checks
        .iter()
        .map(|c| vec![c.name.clone(), yes_no(c.ok), c.detail.clone()])
        .collect();
    let mut out = format!("{}\n", report.target);
    out.push_str(&render(&["CHECK", "OK", "DETAIL"], &rows));
    out.push_str(if report.ok() {
        "\ndatabase verified\n"
    } else {
        "\nverification FAILED\n"
    });
    out
}
