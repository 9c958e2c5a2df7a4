//! Names of databases, roles and extensions: validation and safe quoting.

use super::Error;

/// PostgreSQL's `NAMEDATALEN - 1`: longer names would be silently truncated by the server.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// Checks that `name` can be a PostgreSQL identifier as written: non-empty, at most 63 bytes
/// (longer names are silently truncated by the server), and without NUL.
///
/// Any other character is fine: names are always double-quoted, so they keep their case.
///
/// # Errors
/// A short explanation of what is wrong, suitable for a validation message.
pub fn validate_identifier(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        Err("it is empty")
    } else if name.len() > MAX_IDENTIFIER_BYTES {
        Err("it is longer than 63 bytes, and PostgreSQL would truncate it")
    } else if name.contains('\0') {
        Err("it contains a NUL character")
    } else {
        Ok(())
    }
}

/// `name`, validated and double-quoted for use in a statement.
pub(crate) fn quote_identifier(kind: &'static str, name: &str) -> Result<String, Error> {
    validate_identifier(name).map_err(|reason| Error::InvalidIdentifier {
        kind,
        name: name.to_owned(),
        reason,
    })?;
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// `text` as an SQL string literal (`standard_conforming_strings`, on since PostgreSQL 9.1,
/// leaves backslashes as they are); a NUL is refused by the server, not smuggled.
pub(crate) fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_their_quotes() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "'a\\b'");
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(quote_identifier("database", "app").unwrap(), "\"app\"");
        assert_eq!(
            quote_identifier("database", "My App").unwrap(),
            "\"My App\""
        );
        assert_eq!(
            quote_identifier("role", "x\"; DROP TABLE t; --").unwrap(),
            "\"x\"\"; DROP TABLE t; --\""
        );
    }

    #[test]
    fn rejects_what_postgres_cannot_hold() {
        assert!(validate_identifier("").is_err());
        assert!(validate_identifier("a\0b").is_err());
        assert!(validate_identifier(&"n".repeat(63)).is_ok());
        assert!(validate_identifier(&"n".repeat(64)).is_err());
        // 32 two-byte characters are 64 bytes.
        assert!(validate_identifier(&"é".repeat(32)).is_err());
        let error = quote_identifier("extension", "").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid extension name \"\": it is empty"
        );
    }
}
