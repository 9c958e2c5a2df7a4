//! `crunchybridge:index:verifyDatabase`: the operators' checklist for a connection URL, as a
//! function a program can act on.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use oceanid_core::postgres::{
    PgUrl, SslMode, VerifyCheck, VerifyOptions, VerifyReport, check, verify,
};

use crate::clients::Clients;
use crate::pulumi::{CheckFailure, Context, Function, ResourceError};

fn yes() -> bool {
    true
}

/// What to check.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyDatabaseArgs {
    /// The URL an application uses, e.g. a Database's `connectionUri`:
    /// `postgres://<user>:<password>@<host>:<port>/<database>?sslmode=require`. It stays
    /// secret, and no result or error repeats its password.
    #[schemars(extend("x-secret" = true))]
    pub connection_uri: String,
    /// Tables that must exist, as `schema.table` or a bare name found in any schema, e.g.
    /// `["public.notes"]`; any missing one fails the `tables` check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expect_tables: Vec<String>,
    /// Whether to prove the user can write: create a table in schema `public`, insert a row
    /// and read it back, all in a transaction that is rolled back (nothing is left behind).
    /// Defaults to `true`.
    #[serde(default = "yes")]
    pub write: bool,
    /// Whether an unencrypted session fails the `tls` check. Defaults to `true`.
    #[serde(default = "yes")]
    pub require_tls: bool,
    /// Whether a failed check fails the invocation (and so the deployment), with every failed
    /// check listed. Defaults to `false`: the report comes back with `ok: false` for the
    /// program to act on.
    #[serde(default)]
    pub fail_on_error: bool,
    /// A CA certificate chain (PEM) to verify the server against, e.g. a Database's
    /// `caCertificate` (the team's chain Crunchy Bridge publishes). When given, the session
    /// uses `sslmode=verify-full`: the certificate must chain to it and name the host, and the
    /// `tls` check says it was verified against this input. Without it, the URL's own `sslmode`
    /// decides (`require` encrypts without verifying, and the `tls` check says so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certificate: Option<String>,
}

/// One item of the checklist.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyDatabaseCheck {
    /// Which check: `connect`, `server_version`, `current_database`, `current_user`, `tls`,
    /// `tables` or `write`.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, or the server's reason for a failure (e.g. `password authentication
    /// failed for user "app"`). Never holds a password.
    pub detail: String,
}

/// What the checklist found. A wrong password or an unreachable server is a failed `connect`
/// check (with the reason), not an error; later fields stay empty then.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerifyDatabaseResult {
    /// Whether every check passed.
    pub ok: bool,
    /// Every check that ran, in order.
    pub checks: Vec<VerifyDatabaseCheck>,
    /// The failed checks, one line each (`name: detail`); empty when `ok`.
    pub failures: String,
    /// The server checked, as `user@host:port/database` (no password).
    pub target: String,
    /// The server's version, e.g. `17.2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// The database the session landed in (`current_database()`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The role the session acts as (`current_user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Whether the session is encrypted, as both the client and the server see it.
    pub tls: bool,
    /// The TLS protocol version, e.g. `TLSv1.3`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// The user tables present, schema-qualified and sorted.
    pub tables_found: Vec<String>,
    /// The expected tables that are not there.
    pub tables_missing: Vec<String>,
}

impl From<VerifyReport> for VerifyDatabaseResult {
    fn from(r: VerifyReport) -> VerifyDatabaseResult {
        VerifyDatabaseResult {
            ok: r.ok(),
            failures: r.failure_summary(),
            checks: r
                .checks
                .into_iter()
                .map(|VerifyCheck { name, ok, detail }| VerifyDatabaseCheck { name, ok, detail })
                .collect(),
            target: r.target,
            server_version: r.server_version,
            database: r.database,
            user: r.user,
            tls: r.tls,
            tls_version: r.tls_version,
            tables_found: r.tables,
            tables_missing: r.missing_tables,
        }
    }
}

/// `crunchybridge:index:verifyDatabase`.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyDatabase;

#[async_trait]
impl Function for VerifyDatabase {
    type Client = Clients;
    type Args = VerifyDatabaseArgs;
    type Output = VerifyDatabaseResult;

    const TOKEN: &'static str = "crunchybridge:index:verifyDatabase";
    const DESCRIPTION: &'static str = "The operators' checklist as code: connects with a URL and \
        reports the server version, the database and user the session got, whether TLS is in \
        use, the tables present (and expected ones missing), and whether a write reads back \
        (rolled back, nothing is left). Every check is reported, passed or failed: `ok` is \
        false when any failed, and `failures` lists them. Set `failOnError: true` to make a \
        failed check fail the deployment instead.";

    fn check(&self, args: &mut VerifyDatabaseArgs) -> Vec<CheckFailure> {
        let mut failures = Vec::new();
        if let Err(e) = PgUrl::parse(&args.connection_uri) {
            // The error never repeats the URL, which holds a password.
            failures.push(CheckFailure::new(
                "connectionUri",
                format!(
                    "{e}; expected postgres://<user>:<password>@<host>:<port>/<database>?sslmode=require"
                ),
            ));
        }
        for (i, table) in args.expect_tables.iter_mut().enumerate() {
            *table = table.trim().to_owned();
            if table.is_empty() {
                failures.push(CheckFailure::new(
                    format!("expectTables[{i}]"),
                    "the table name is empty; write `schema.table` or a bare table name",
                ));
            }
        }
        failures
    }

    async fn invoke(
        &self,
        _cx: &Context<Clients>,
        args: VerifyDatabaseArgs,
    ) -> Result<VerifyDatabaseResult, ResourceError> {
        let url = PgUrl::parse(&args.connection_uri)
            .map_err(|e| ResourceError::msg(format!("connectionUri: {e}")))?;
        let url = match &args.ca_certificate {
            Some(pem) => url
                .with_ssl_mode(SslMode::VerifyFull)
                .with_ca_pem(pem.clone()),
            None => url,
        };
        let options = VerifyOptions {
            expect_tables: args.expect_tables,
            write: args.write,
            require_tls: args.require_tls,
        };
        let mut report = verify(&url, &options).await;
        if args.ca_certificate.is_some() {
            for tls_check in report.checks.iter_mut().filter(|c| c.name == check::TLS) {
                tls_check
                    .detail
                    .push_str("; the CA is the `caCertificate` input");
            }
        }
        if args.fail_on_error && !report.ok() {
            let lines = report
                .failures()
                .iter()
                .map(|c| format!("\n  - {}: {}", c.name, c.detail))
                .collect::<String>();
            return Err(ResourceError::msg(format!(
                "{} did not pass {} check(s):{lines}",
                report.target,
                report.failures().len()
            )));
        }
        Ok(report.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_urls() {
        let mut args: VerifyDatabaseArgs =
            serde_json::from_value(serde_json::json!({"connectionUri": "nope hunter2"})).unwrap();
        assert!(args.write && args.require_tls && !args.fail_on_error);
        let failures = VerifyDatabase.check(&mut args);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].property, "connectionUri");
        assert!(!failures[0].reason.contains("hunter2"), "{}", failures[0]);

        let mut args: VerifyDatabaseArgs = serde_json::from_value(serde_json::json!({
            "connectionUri": "postgres://a:b@h/db", "expectTables": [" public.notes ", ""]
        }))
        .unwrap();
        let failures = VerifyDatabase.check(&mut args);
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].property, "expectTables[1]");
        assert_eq!(args.expect_tables[0], "public.notes");
    }
}
