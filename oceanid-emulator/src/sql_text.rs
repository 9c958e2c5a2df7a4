//! SQL text the emulator writes: quoted identifiers and literals, and a PostgreSQL error in words.
//!
//! The emulator keeps its own copy of what oceanid-core also has, on purpose: a test double must
//! not share the bugs of the client it tests.

/// Why `name` cannot be a PostgreSQL identifier as written, if it cannot.
pub(crate) fn identifier_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 63 {
        Some("it is longer than 63 bytes")
    } else if name.contains('\0') {
        Some("it contains a NUL byte")
    } else {
        None
    }
}

/// `name` as a double-quoted SQL identifier (check it first with [`identifier_problem`] when it
/// does not come from the server itself).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `value` as a single-quoted SQL string literal (`standard_conforming_strings` is on).
pub(crate) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The server's message (with its SQLSTATE) or the driver's error chain.
pub(crate) fn describe_pg_error(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
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
    fn identifiers_and_literals_are_quoted_and_checked() {
        assert_eq!(quote_ident("app"), "\"app\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(identifier_problem("app"), None);
        assert!(identifier_problem("").is_some());
        assert!(identifier_problem(&"x".repeat(64)).is_some());
        assert!(identifier_problem("a\0b").is_some());
    }
}
