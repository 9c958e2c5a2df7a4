//! Request ids and the standard headers the executor sends.
//!
//! The executor sends a fresh request id (a UUID) on every attempt, when the API reads one, and
//! takes the one the server sends back from the headers the API's description names, so that
//! every error can name the request a support engineer would look up.

/// Header carrying the request id, sent by the client and echoed by many servers.
pub const X_REQUEST_ID: &str = "x-request-id";
/// Header carrying the idempotency key of a POST or PATCH (the IETF draft's name).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// A fresh request id: a random (v4) UUID in its hyphenated form.
#[must_use]
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuids_and_distinct() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
