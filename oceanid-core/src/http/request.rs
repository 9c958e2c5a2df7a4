//! A request to send through the executor, and the responses it gives back.

use reqwest::{Method, Url};
use serde::Serialize;

/// A request being prepared: method, URL, optional JSON body, idempotency key, accepted media
/// type and body limit. Send it with [`Executor::send`](super::Executor::send).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Request {
    pub(super) method: Method,
    pub(super) url: Result<Url, String>,
    pub(super) display: String,
    pub(super) body: Option<Result<Vec<u8>, String>>,
    pub(super) idempotency_key: Option<String>,
    pub(super) accept: &'static str,
    pub(super) body_limit: Option<usize>,
    pub(super) send_once: bool,
}

impl Request {
    /// Add a query parameter.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        if let Ok(url) = &mut self.url {
            url.query_pairs_mut().append_pair(key, value);
        }
        self
    }

    /// Set a JSON body (sent with `Content-Type: application/json`).
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }

    /// Send this key in the API's idempotency header on every attempt; this is what allows a
    /// POST or PATCH to be retried (when the API has such a header).
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Ask for another media type than JSON (`Accept`).
    pub fn accept(mut self, media_type: &'static str) -> Self {
        self.accept = media_type;
        self
    }

    /// Read at most `bytes` of the response body (instead of the API's limit).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Send at most once: whatever the answer (a 429, a 5xx, a dropped connection), the error
    /// is returned rather than the request sent again. For a write whose body may be stale by
    /// the time a retry would go, such as a whole list computed from an earlier read: the caller
    /// reads again and recomputes instead.
    pub fn send_once(mut self) -> Self {
        self.send_once = true;
        self
    }

    /// The request as shown in messages: `METHOD /path`.
    #[must_use]
    pub fn display(&self) -> &str {
        &self.display
    }
}

/// A success response before decoding.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The request id the server sent back (or the one sent, if it sent none).
    pub request_id: Option<String>,
    /// Whether the server replayed a stored response for the idempotency key.
    pub replayed: bool,
    /// The body.
    pub body: Vec<u8>,
}

/// A decoded success response with what the server said about it.
#[derive(Clone, Debug)]
pub struct Response<T> {
    /// The decoded body.
    pub value: T,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The request id of the response.
    pub request_id: Option<String>,
    /// Whether the server replayed a stored response for the idempotency key.
    pub replayed: bool,
}
