//! How an API describes itself to the [executor](super::Executor): its name, how a key becomes
//! an `Authorization` header, how an error body decodes, which headers carry the request id,
//! what counts as transient, and how large a body may be.

use reqwest::header::{HeaderMap, HeaderValue};

use super::request_id::X_REQUEST_ID;

/// The largest response body read by default: 8 MiB. List pages and objects are far smaller; a
/// body this large is a wrong URL, a proxy page or a hostile endpoint.
pub const DEFAULT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// What an API's error body said, as its description decodes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// The human-readable message (several joined with `; ` when the API sends a list).
    pub message: Option<String>,
    /// The machine-readable code (a string, or a number written as one).
    pub code: Option<String>,
    /// A request id carried in the body.
    pub request_id: Option<String>,
    /// Whether the body says the failure is transient (retrying may succeed).
    pub is_transient: bool,
}

/// A description of one HTTP API: everything about it the [executor](super::Executor) needs.
///
/// Only [`name`](Self::name), [`credentials_hint`](Self::credentials_hint) and
/// [`decode_error`](Self::decode_error) must be written; the rest have the defaults most JSON
/// APIs want. See the [module docs](super) for a complete example.
pub trait ApiDescription: Send + Sync + std::fmt::Debug + 'static {
    /// The API's name in messages (`Crunchy Bridge`).
    fn name(&self) -> &'static str;

    /// What to check when the API answers 401, such as
    /// `check the API key (CRUNCHYBRIDGE_API_KEY)`.
    fn credentials_hint(&self) -> &'static str;

    /// Decode an error body (any status outside 2xx); `None` when it is not this API's error
    /// shape (an HTML page from a proxy, say).
    fn decode_error(&self, status: u16, body: &[u8]) -> Option<ErrorBody>;

    /// The `Authorization` value for a key or token (default `Bearer <token>`).
    fn authorization(&self, token: &str) -> String {
        format!("Bearer {token}")
    }

    /// Response headers that may carry the request id, the first present wins (default
    /// `X-Request-Id`).
    fn request_id_headers(&self) -> &'static [&'static str] {
        &[X_REQUEST_ID]
    }

    /// The header a fresh request id is sent in on every attempt, when the API reads one
    /// (default `X-Request-Id`).
    fn request_id_header_to_send(&self) -> Option<&'static str> {
        Some(X_REQUEST_ID)
    }

    /// The header that carries an idempotency key, when the API honours one (default none:
    /// then a POST or PATCH is never retried).
    fn idempotency_key_header(&self) -> Option<&'static str> {
        None
    }

    /// Whether a success response says it replays a stored response for an idempotency key.
    fn is_replay(&self, headers: &HeaderMap) -> bool {
        let _ = headers;
        false
    }

    /// Whether an error answer is transient beyond the status rule (429, 408, 5xx): by default,
    /// what the body said.
    fn is_transient(&self, status: u16, body: &ErrorBody) -> bool {
        let _ = status;
        body.is_transient
    }

    /// Whether a 409 after an attempt whose outcome is unknown means that attempt is still
    /// running on the server for the same idempotency key, so the call waits and asks again.
    fn conflict_means_in_flight(&self) -> bool {
        false
    }

    /// The largest response body read, in bytes (default [`DEFAULT_BODY_LIMIT`]); a request can
    /// lower or raise it.
    fn body_limit(&self) -> usize {
        DEFAULT_BODY_LIMIT
    }
}

/// The first non-empty value among `names` in `headers`.
pub(crate) fn first_header(headers: &HeaderMap, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| {
        headers
            .get(*name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    })
}
