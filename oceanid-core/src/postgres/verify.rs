//! The operators' checklist as code: can this URL really be used by an application?

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::database::list_user_tables;
use super::error::describe;
use super::{Error, PgUrl, SslMode, connect};

/// The names of the checks a [`VerifyReport`] may hold, in the order they run.
pub mod check {
    /// Connecting and logging in.
    pub const CONNECT: &str = "connect";
    /// Asking the server its version.
    pub const SERVER_VERSION: &str = "server_version";
    /// `current_database()` is the database the URL names.
    pub const CURRENT_DATABASE: &str = "current_database";
    /// `current_user` is the role the URL names.
    pub const CURRENT_USER: &str = "current_user";
    /// The session is encrypted, as both the client and the server (`pg_stat_ssl`) see it.
    pub const TLS: &str = "tls";
    /// Every expected table is present.
    pub const TABLES: &str = "tables";
    /// A table created in `public`, a row written and read back, all rolled back.
    pub const WRITE: &str = "write";
}

/// What [`verify`] checks beyond connecting and identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VerifyOptions {
    /// Tables that must exist: `schema.table`, or a bare name found in any schema.
    pub expect_tables: Vec<String>,
    /// Prove the role can create a table in `public` and write to it (nothing is left behind).
    pub write: bool,
    /// Count an unencrypted session as a failure.
    pub require_tls: bool,
}

impl Default for VerifyOptions {
    /// No expected tables; the write round trip and TLS both required.
    fn default() -> Self {
        VerifyOptions {
            expect_tables: Vec::new(),
            write: true,
            require_tls: true,
        }
    }
}

/// One item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyCheck {
    /// Which check, one of [`check`]'s names.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, or the server's reason for a failure. Never holds a password.
    pub detail: String,
}

/// Everything [`verify`] found. Fields stay `None`/empty when an earlier failure (a refused
/// login) kept them from being read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// The server as `user@host:port/database`.
    pub target: String,
    /// The checks that ran, in order.
    pub checks: Vec<VerifyCheck>,
    /// The server's `server_version`, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub server_version: Option<String>,
    /// `current_database()`.
    pub database: Option<String>,
    /// `current_user`.
    pub user: Option<String>,
    /// Whether the session is encrypted.
    pub tls: bool,
    /// The TLS protocol version the server reports, e.g. `TLSv1.3`.
    pub tls_version: Option<String>,
    /// The cipher the server reports.
    pub tls_cipher: Option<String>,
    /// The user tables present, schema-qualified and sorted.
    pub tables: Vec<String>,
    /// The expected tables that are not there.
    pub missing_tables: Vec<String>,
}

impl VerifyReport {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    /// The checks that failed.
    pub fn failures(&self) -> Vec<&VerifyCheck> {
        self.checks.iter().filter(|c| !c.ok).collect()
    }

    /// One line per failed check (`name: detail`), for an error message; empty when all passed.
    pub fn failure_summary(&self) -> String {
        self.failures()
            .iter()
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn record(&mut self, name: &str, ok: bool, detail: impl Into<String>) {
        self.checks.push(VerifyCheck {
            name: name.to_owned(),
            ok,
            detail: detail.into(),
        });
    }
}

/// Runs the checklist against `url` and reports every result; a failed check is part of the
/// report, not an error.
///
/// In order: connect (a refused login or an unreachable server fails this check with the reason,
/// and ends the run); the server version; `current_database()` and `current_user` against what
/// the URL names; TLS as both sides see it; the user tables, against `opts.expect_tables`; and,
/// with `opts.write`, a table created in `public`, a random token inserted and selected back,
/// all inside a transaction that is rolled back, so nothing is left behind.
///
/// ```no_run
/// # async fn example() -> Result<(), oceanid_core::postgres::Error> {
/// use oceanid_core::postgres::{PgUrl, VerifyOptions, verify};
///
/// let url: PgUrl = "postgres://app:pw@db.example.com/labelfish?sslmode=require".parse()?;
/// let report = verify(&url, &VerifyOptions::default()).await;
/// if !report.ok() {
///     eprintln!("{}", report.failure_summary());
/// }
/// # Ok(())
/// # }
/// ```
pub async fn verify(url: &PgUrl, opts: &VerifyOptions) -> VerifyReport {
    let mut report = VerifyReport {
        target: url.target(),
        ..VerifyReport::default()
    };
    let connected = match connect(url).await {
        Ok(connected) => connected,
        Err(error) => {
            report.record(check::CONNECT, false, connect_failure(&error));
            return report;
        }
    };
    report.record(
        check::CONNECT,
        true,
        format!(
            "logged in to {} (sslmode={})",
            report.target,
            url.ssl_mode()
        ),
    );
    let mut client = connected.client;

    identity(&client, url, &mut report).await;
    tls(&client, url, connected.tls, opts, &mut report).await;
    tables(&client, opts, &mut report).await;
    if opts.write {
        write(&mut client, &mut report).await;
    }
    report
}

async fn identity(client: &Client, url: &PgUrl, report: &mut VerifyReport) {
    match client
        .query_one(
            "SELECT current_setting('server_version'), current_database()::text, current_user::text",
            &[],
        )
        .await
    {
        Ok(row) => {
            let version: String = row.get(0);
            let database: String = row.get(1);
            let user: String = row.get(2);
            report.record(check::SERVER_VERSION, true, format!("PostgreSQL {version}"));
            let same_db = database == url.database();
            report.record(
                check::CURRENT_DATABASE,
                same_db,
                if same_db {
                    format!("connected to database {database:?}")
                } else {
                    format!(
                        "connected to database {database:?}, but the URL names {:?}",
                        url.database()
                    )
                },
            );
            let same_user = user == url.user();
            report.record(
                check::CURRENT_USER,
                same_user,
                if same_user {
                    format!("acting as role {user:?}")
                } else {
                    format!(
                        "acting as role {user:?}, but the URL names {:?}",
                        url.user()
                    )
                },
            );
            report.server_version = Some(version);
            report.database = Some(database);
            report.user = Some(user);
        }
        Err(error) => {
            let reason = describe(&error);
            for name in [
                check::SERVER_VERSION,
                check::CURRENT_DATABASE,
                check::CURRENT_USER,
            ] {
                report.record(name, false, format!("could not ask the server: {reason}"));
            }
        }
    }
}

async fn tls(
    client: &Client,
    url: &PgUrl,
    client_tls: bool,
    opts: &VerifyOptions,
    report: &mut VerifyReport,
) {
    let row = client
        .query_opt(
            "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await;
    let (server_tls, version, cipher) = match row {
        Ok(Some(row)) => (
            row.get::<_, bool>(0),
            row.get::<_, Option<String>>(1),
            row.get::<_, Option<String>>(2),
        ),
        Ok(None) => (false, None, None),
        Err(error) => {
            report.record(
                check::TLS,
                false,
                format!("could not read pg_stat_ssl: {}", describe(&error)),
            );
            report.tls = client_tls;
            return;
        }
    };
    report.tls = server_tls && client_tls;
    report.tls_version.clone_from(&version);
    report.tls_cipher.clone_from(&cipher);
    let mode = url.ssl_mode();
    let (ok, detail) = if report.tls {
        let how = match mode {
            SslMode::VerifyFull => "certificate verified against the CA for this host name",
            SslMode::VerifyCa => "certificate verified against the CA (host name not checked)",
            _ => "certificate not verified",
        };
        (
            true,
            format!(
                "encrypted with {} {} (sslmode={mode}; {how})",
                version.as_deref().unwrap_or("TLS"),
                cipher.as_deref().unwrap_or("(cipher unknown)")
            ),
        )
    } else if server_tls != client_tls {
        (
            false,
            format!(
                "the client and the server disagree on TLS (client: {client_tls}, server: \
                 {server_tls})"
            ),
        )
    } else if opts.require_tls {
        (
            false,
            format!(
                "the session is not encrypted (sslmode={mode}); use sslmode=require or stronger"
            ),
        )
    } else {
        (
            true,
            format!("the session is not encrypted (sslmode={mode}), as allowed"),
        )
    };
    report.record(check::TLS, ok, detail);
}

async fn tables(client: &Client, opts: &VerifyOptions, report: &mut VerifyReport) {
    let tables = match list_user_tables(client).await {
        Ok(tables) => tables,
        Err(error) => {
            report.record(check::TABLES, false, error.to_string());
            return;
        }
    };
    let missing: Vec<String> = opts
        .expect_tables
        .iter()
        .filter(|expected| !tables.iter().any(|t| table_matches(t, expected)))
        .cloned()
        .collect();
    let detail = match (missing.is_empty(), opts.expect_tables.is_empty()) {
        (true, true) => format!("{} user table(s)", tables.len()),
        (true, false) => format!(
            "{} user table(s); all {} expected present",
            tables.len(),
            opts.expect_tables.len()
        ),
        (false, _) => format!(
            "missing {} of {} expected: {} ({} user table(s) present)",
            missing.len(),
            opts.expect_tables.len(),
            missing.join(", "),
            tables.len()
        ),
    };
    report.record(check::TABLES, missing.is_empty(), detail);
    report.tables = tables;
    report.missing_tables = missing;
}

/// `expected` is `schema.table`, or a bare table name found in any schema.
fn table_matches(present: &str, expected: &str) -> bool {
    if expected.contains('.') {
        present == expected
    } else {
        present
            .split_once('.')
            .is_some_and(|(_, table)| table == expected)
    }
}

async fn write(client: &mut Client, report: &mut VerifyReport) {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let table = format!("public.\"oceanid_verify_{token}\"");
    let result: Result<bool, tokio_postgres::Error> = async {
        let tx = client.transaction().await?;
        tx.batch_execute(&format!("CREATE TABLE {table} (token text NOT NULL)"))
            .await?;
        tx.execute(
            &format!("INSERT INTO {table} (token) VALUES ($1)"),
            &[&token],
        )
        .await?;
        let back: String = tx
            .query_one(&format!("SELECT token FROM {table}"), &[])
            .await?
            .get(0);
        tx.rollback().await?;
        Ok(back == token)
    }
    .await;
    match result {
        Ok(true) => report.record(
            check::WRITE,
            true,
            "created a table in schema public, wrote a row and read it back; rolled back",
        ),
        Ok(false) => report.record(
            check::WRITE,
            false,
            "the row read back differs from the row written",
        ),
        Err(error) => report.record(
            check::WRITE,
            false,
            format!(
                "could not create a table in schema public and write to it: {}",
                describe(&error)
            ),
        ),
    }
}

/// The reason a connection failed, without repeating the target (the report names it).
fn connect_failure(error: &Error) -> String {
    match error {
        Error::Connect { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_names_match_any_schema() {
        assert!(table_matches("public.users", "users"));
        assert!(table_matches("app.users", "users"));
        assert!(table_matches("app.users", "app.users"));
        assert!(!table_matches("public.users", "app.users"));
        assert!(!table_matches("public.users_old", "users"));
    }

    #[test]
    fn a_report_without_checks_is_not_ok() {
        let mut report = VerifyReport::default();
        assert!(!report.ok());
        report.record(check::CONNECT, true, "fine");
        assert!(report.ok());
        report.record(check::WRITE, false, "permission denied");
        assert!(!report.ok());
        assert_eq!(report.failure_summary(), "write: permission denied");
    }
}
