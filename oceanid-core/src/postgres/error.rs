//! The one error type of the SQL side.

use std::path::PathBuf;
use std::time::Duration;

use super::url::SslMode;
use super::user_data::{UserObject, summarize};

/// Why an operation on a PostgreSQL server failed.
///
/// Messages name the server as `user@host:port/database` and never contain a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection URL could not be understood.
    #[error("invalid PostgreSQL URL: {reason}")]
    InvalidUrl {
        /// What is wrong with it (never the URL itself, which may hold a password).
        reason: String,
        /// The parser's error, when there was one.
        #[source]
        source: Option<::url::ParseError>,
    },
    /// A database, role or extension name PostgreSQL cannot hold.
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidIdentifier {
        /// What the name is for: `database`, `role`, `extension`.
        kind: &'static str,
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The TLS settings for the connection could not be built.
    #[error("setting up TLS for sslmode={mode}: {reason}")]
    Tls {
        /// The requested `sslmode`.
        mode: SslMode,
        /// What is wrong.
        reason: String,
        /// The TLS library's error, when there was one.
        #[source]
        source: Option<rustls::Error>,
    },
    /// The CA certificate file named by `sslrootcert` could not be read.
    #[error("reading the CA certificate file {}: {source}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The server could not be reached, refused the TLS handshake, or refused the login.
    #[error("connecting to {target}: {reason}")]
    Connect {
        /// `user@host:port/database`.
        target: String,
        /// The server's (or the network's) explanation.
        reason: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The server did not complete the connection in time.
    #[error("connecting to {target}: no answer within {} s", timeout.as_secs_f32())]
    ConnectTimeout {
        /// `user@host:port/database`.
        target: String,
        /// The limit that passed.
        timeout: Duration,
    },
    /// A statement failed.
    #[error("{action}: {reason}")]
    Query {
        /// What was being done, e.g. `creating database "app"`.
        action: String,
        /// The server's explanation, with its SQLSTATE.
        reason: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The role meant to own a database does not exist.
    #[error(
        "role {role:?} does not exist, so it cannot own database {database:?}: create the role \
         first (on Crunchy Bridge, a Role resource)"
    )]
    MissingOwner {
        /// The missing role.
        role: String,
        /// The database it was meant to own.
        database: String,
    },
    /// A create found a database of that name that this resource did not make.
    #[error(
        "database {database:?} already exists (owner {owner:?}) and was not made by this \
         resource: {reason}; refusing to take it over"
    )]
    AlreadyExists {
        /// The database.
        database: String,
        /// Its current owner.
        owner: String,
        /// Why it is not this resource's.
        reason: String,
    },
    /// A drop was refused because the database still holds user data (see
    /// [`user_objects`](super::user_objects) for what counts).
    #[error(
        "database {database:?} holds {}; refusing to drop it so that no data is lost by \
         accident: set `forceDestroy: true` to drop it with its data, or move the data elsewhere \
         first",
        summarize(objects)
    )]
    HoldsUserData {
        /// The database.
        database: String,
        /// Every object of user data in it, grouped by kind.
        objects: Vec<UserObject>,
    },
}

impl Error {
    /// The SQLSTATE the server answered with, when the failure came from the server.
    pub fn sql_state(&self) -> Option<&tokio_postgres::error::SqlState> {
        match self {
            Error::Connect { source, .. } | Error::Query { source, .. } => source.code(),
            _ => None,
        }
    }

    pub(crate) fn query(action: impl Into<String>) -> impl FnOnce(tokio_postgres::Error) -> Error {
        let action = action.into();
        move |source| Error::Query {
            action,
            reason: describe(&source),
            source,
        }
    }
}

/// The server's message with its SQLSTATE, or the driver's error chain (`tokio_postgres::Error`
/// alone prints only "db error" or "error connecting to server").
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str("; ");
            text.push_str(detail);
        }
        if let Some(hint) = db.hint() {
            text.push_str("; hint: ");
            text.push_str(hint);
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_what_was_found_and_the_way_out() {
        let objects = vec![
            UserObject {
                kind: "table".into(),
                name: "public.t".into(),
            },
            UserObject {
                kind: "large object".into(),
                name: "16385".into(),
            },
        ];
        let error = Error::HoldsUserData {
            database: "app".into(),
            objects,
        };
        let text = error.to_string();
        assert!(
            text.contains("holds 1 table (public.t), 1 large object (16385)"),
            "{text}"
        );
        assert!(text.contains("forceDestroy: true"), "{text}");
    }
}
