//! Request ids and the headers that carry them.
//!
//! The client sends a fresh `X-Request-Id` (a UUID) on every attempt and reads the one the server
//! echoes, so that every error can name the request a support engineer would look up.

use reqwest::header::HeaderMap;

/// Header carrying the request id, sent by the client and echoed by the server.
pub const X_REQUEST_ID: &str = "x-request-id";
/// Header carrying the idempotency key of a POST or PATCH.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Header the server sets to `true` when it replays a stored response for an idempotency key.
pub const IDEMPOTENCY_REPLAY: &str = "idempotency-replay";

/// A fresh request id: a random (v4) UUID in its hyphenated form.
#[must_use]
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The request id a response echoed, if it carries a readable, non-empty one.
#[must_use]
pub fn echoed_request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Whether a response says it is a replay of a stored response (`Idempotency-Replay: true`).
#[must_use]
pub fn is_replay(headers: &HeaderMap) -> bool {
    headers
        .get(IDEMPOTENCY_REPLAY)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn request_ids_are_uuids_and_distinct() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn reads_echoed_id_and_replay_flag() {
        let mut h = HeaderMap::new();
        assert_eq!(echoed_request_id(&h), None);
        assert!(!is_replay(&h));
        h.insert(X_REQUEST_ID, HeaderValue::from_static(" abc "));
        h.insert(IDEMPOTENCY_REPLAY, HeaderValue::from_static("True"));
        assert_eq!(echoed_request_id(&h).as_deref(), Some("abc"));
        assert!(is_replay(&h));
    }
}
