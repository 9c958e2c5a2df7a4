//! Keeping secrets out of logs and error messages.
//!
//! Response bodies end up in error messages (a short excerpt helps when a body cannot be decoded),
//! and a body can hold a password or a connection URI. [`body_excerpt`] scrubs those before
//! truncating, whether or not the body is valid JSON, and scrubs any extra secret the caller
//! names (the API key).

use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Whether a JSON object key names a value that must not be shown.
#[must_use]
pub fn is_sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password")
        || k.contains("secret")
        || k.contains("token")
        || k == "uri"
        || k == "url"
        || k.ends_with("_uri")
        || k.ends_with("_url")
        || k == "api_key"
        || k == "apikey"
        || k == "key"
        || k == "authorization"
        || k == "private_key"
}

/// Replace, in place, every string under a sensitive key (see [`is_sensitive_key`]).
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_sensitive_key(k) && v.is_string() {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Remove the password of every `scheme://user:password@host` in `text`.
#[must_use]
pub fn redact_uri_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#', whitespace or quote.
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(at), Some(colon)) if colon < at => {
                out.push_str(&authority[..=colon]);
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Redact the string values of sensitive keys in text that looks like JSON but may not parse
/// (a truncated body): `"password": "…"` becomes `"password": "[REDACTED]"`, and a value cut
/// off by the end of the text is redacted up to the end.
#[must_use]
pub fn redact_json_like_text(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        // A quoted string starts at i: find its end.
        let start = i + 1;
        let Some(len) = quoted_len(&bytes[start..]) else {
            break;
        };
        let key_end = start + len; // index of the closing quote
        let key = &text[start..key_end];
        let mut j = key_end + 1;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if is_sensitive_key(key) && j < bytes.len() && bytes[j] == b':' {
            j += 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'"' {
                let value_start = j + 1;
                let value_end =
                    quoted_len(&bytes[value_start..]).map_or(bytes.len(), |n| value_start + n);
                out.push_str(&text[copied..value_start]);
                out.push_str(REDACTED);
                copied = value_end;
                i = value_end + 1;
                continue;
            }
        }
        i = key_end + 1;
    }
    if copied < text.len() {
        out.push_str(&text[copied..]);
    }
    out
}

/// Length of a JSON string body up to (not including) its closing quote, honouring escapes.
fn quoted_len(bytes: &[u8]) -> Option<usize> {
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 2,
            b'"' => return Some(k),
            _ => k += 1,
        }
    }
    None
}

/// Replace every occurrence of each non-empty secret in `text`.
#[must_use]
pub fn redact_secrets(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(s) {
            out = out.replace(s, REDACTED);
        }
    }
    out
}

/// `input` cut to at most `max_chars` characters, with `…` when cut: for echoing user input
/// (a name, a URL) into an error message without letting it grow without bound.
#[must_use]
pub fn truncate_input(input: &str, max_chars: usize) -> String {
    match input.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &input[..end]),
        None => input.to_owned(),
    }
}

/// A short, single-line, redacted excerpt of a response body for an error message: sensitive
/// JSON values and URI passwords scrubbed, `extra_secrets` removed, whitespace collapsed, and cut
/// to about `max_chars` characters (with `…` when cut).
#[must_use]
pub fn body_excerpt(body: &[u8], max_chars: usize, extra_secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let scrubbed = match serde_json::from_str::<Value>(&text) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        Err(_) => redact_json_like_text(&text),
    };
    let scrubbed = redact_secrets(&redact_uri_passwords(&scrubbed), extra_secrets);
    let mut out = String::new();
    let mut last_space = true;
    let mut count = 0;
    for c in scrubbed.chars() {
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if count == max_chars {
            out.truncate(out.trim_end().len());
            out.push('…');
            return out;
        }
        out.push(c);
        count += 1;
    }
    out.truncate(out.trim_end().len());
    if out.is_empty() {
        "(empty body)".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_truncated_on_a_character_boundary() {
        assert_eq!(truncate_input("short", 200), "short");
        assert_eq!(truncate_input("ééééé", 3), "ééé…");
        assert_eq!(
            truncate_input(&"x".repeat(10_000), 200).chars().count(),
            201
        );
    }

    #[test]
    fn redacts_json_values() {
        let mut v = serde_json::json!({
            "name": "u_x", "password": "hunter22", "uri": "postgres://u:hunter22@h/db",
            "has_password": true, "nested": [{"api_key": "cbkey_abc"}]
        });
        redact_json(&mut v);
        let s = v.to_string();
        assert!(!s.contains("hunter22") && !s.contains("cbkey_abc"), "{s}");
        assert!(s.contains("\"has_password\":true"));
    }

    #[test]
    fn redacts_truncated_json() {
        let t = r#"{"name":"u_x","password":"hun\"ter22","uri":"postgres://u:pw@h"#;
        let s = redact_json_like_text(t);
        assert!(!s.contains("hun") && !s.contains("pw@"), "{s}");
        assert!(s.contains(r#""name":"u_x""#), "{s}");
    }

    #[test]
    fn redacts_uri_passwords() {
        let s =
            redact_uri_passwords("see postgres://app:s3cret@p.x.db:5432/postgres and http://h/p");
        assert_eq!(
            s,
            "see postgres://app:[REDACTED]@p.x.db:5432/postgres and http://h/p"
        );
    }

    #[test]
    fn excerpt_is_short_single_line_and_clean() {
        let html =
            b"<html>\n  <head><title>502 Bad Gateway</title></head>\n<body>nginx</body></html>";
        let e = body_excerpt(html, 30, &[]);
        assert_eq!(e, "<html> <head><title>502 Bad Ga…");
        assert_eq!(body_excerpt(b"", 30, &[]), "(empty body)");
        let e = body_excerpt(b"key cbkey_SECRET here", 100, &["cbkey_SECRET"]);
        assert_eq!(e, "key [REDACTED] here");
    }
}
