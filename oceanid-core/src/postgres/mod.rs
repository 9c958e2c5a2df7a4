//! The SQL side: databases, owners, extensions, and the verification probe.
//!
//! Crunchy Bridge has no database endpoint: a database is made over SQL with the superuser's
//! credentials (`CREATE DATABASE … OWNER …`, outside a transaction) and removed with
//! `DROP DATABASE … WITH (FORCE)`. This module does that idempotently ([`ensure_database`],
//! [`drop_database`], which refuses to drop data without `force_destroy`), and checks that a
//! connection URL really works for an application ([`verify`]): login, identity, TLS, tables, and
//! a write that reads back.
//!
//! Connections use TLS through rustls with the ring provider, per the URL's `sslmode`
//! ([`connect`]); passwords live in [`secrecy::SecretString`] and appear in no `Display`,
//! `Debug`, error or report.
//!
//! ```no_run
//! # async fn example() -> Result<(), oceanid_core::postgres::Error> {
//! use oceanid_core::postgres::{DatabaseSpec, PgUrl, VerifyOptions, ensure_database, verify};
//! use secrecy::SecretString;
//!
//! let superuser: PgUrl =
//!     "postgres://postgres:pw@p.abc.db.postgresbridge.com/postgres?sslmode=require".parse()?;
//! let spec = DatabaseSpec {
//!     name: "labelfish".into(),
//!     owner: "application".into(),
//!     extensions: vec!["pgcrypto".into()],
//! };
//! let ensured = ensure_database(&superuser, &spec).await?;
//! println!("created: {}", ensured.created);
//!
//! let app = superuser
//!     .with_database("labelfish")
//!     .with_credentials("application", SecretString::from("app-password"));
//! let report = verify(&app, &VerifyOptions::default()).await;
//! assert!(report.ok(), "{}", report.failure_summary());
//! # Ok(())
//! # }
//! ```

mod connect;
mod database;
mod error;
mod identifier;
mod url;
mod user_data;
mod verify;

pub use self::connect::{Connected, DEFAULT_CONNECT_TIMEOUT, connect};
pub use self::database::{
    DatabaseInfo, DatabaseSpec, Dropped, Ensured, create_database, database_info, drop_database,
    ensure_database, marked_databases_with_data, user_objects, user_tables,
};
pub use self::error::Error;
pub use self::identifier::{MAX_IDENTIFIER_BYTES, validate_identifier};
pub use self::url::{DEFAULT_PORT, PgUrl, SslMode};
pub use self::user_data::{UserObject, summarize as summarize_user_objects};
pub use self::verify::{VerifyCheck, VerifyOptions, VerifyReport, check, verify};
