//! One Crunchy Bridge call: Bridge's description for the [executor](crate::http::Executor) (its
//! error body, `Idempotency-Key` and `Idempotency-Replay`, `X-Request-Id`) and [`ApiRequest`],
//! the request handlers build and send under the handle's deadline.
//!
//! It is public as the low-level path ([`Bridge::request`]) for endpoints the typed handlers do
//! not cover yet.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Bridge, Error, IdempotencyKey};
use crate::http::{ApiDescription, ErrorBody, IDEMPOTENCY_KEY, Request};
pub use crate::http::{RawResponse, Response};

/// Header Bridge sets to `true` when it replays a stored response for an idempotency key.
pub const IDEMPOTENCY_REPLAY: &str = "idempotency-replay";

/// Crunchy Bridge as the executor sees it.
#[derive(Clone, Copy, Debug, Default)]
pub struct BridgeApi;

impl ApiDescription for BridgeApi {
    fn name(&self) -> &'static str {
        "Crunchy Bridge"
    }

    fn credentials_hint(&self) -> &'static str {
        "check the API key (CRUNCHYBRIDGE_API_KEY)"
    }

    /// `{message, request_id, code, is_transient}`, each optional.
    fn decode_error(&self, _status: u16, body: &[u8]) -> Option<ErrorBody> {
        #[derive(serde::Deserialize)]
        struct BridgeError {
            message: Option<String>,
            request_id: Option<String>,
            code: Option<String>,
            is_transient: Option<bool>,
        }
        let e: BridgeError = serde_json::from_slice(body).ok()?;
        Some(ErrorBody {
            message: e.message,
            code: e.code,
            request_id: e.request_id,
            is_transient: e.is_transient.unwrap_or(false),
        })
    }

    fn idempotency_key_header(&self) -> Option<&'static str> {
        Some(IDEMPOTENCY_KEY)
    }

    fn is_replay(&self, headers: &HeaderMap) -> bool {
        headers
            .get(IDEMPOTENCY_REPLAY)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// Bridge answers 409 to a key whose first request is still running.
    fn conflict_means_in_flight(&self) -> bool {
        true
    }
}

/// A request being prepared; send it with one of the `send*` methods.
///
/// Every attempt carries a fresh `X-Request-Id`; the idempotency key, when set, is the same on
/// every attempt. GET, PUT and DELETE are retried on 429/5xx/transient/connection errors; POST
/// and PATCH only when they carry an idempotency key. The handle's deadline bounds everything.
///
/// ```no_run
/// # async fn f(bridge: oceanid_core::crunchybridge::Bridge) -> Result<(), oceanid_core::crunchybridge::Error> {
/// let raw: serde_json::Value = bridge
///     .request(reqwest::Method::GET, "/clusters")
///     .query("limit", "5")
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ApiRequest {
    bridge: Bridge,
    request: Request,
}

impl ApiRequest {
    pub(crate) fn new(bridge: Bridge, method: Method, segments: &[&str]) -> Self {
        let request = bridge.inner.request(method, segments);
        Self { bridge, request }
    }

    /// Add a query parameter.
    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.request = self.request.query(key, value);
        self
    }

    /// Set a JSON body (sent with `Content-Type: application/json`).
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.request = self.request.json(body);
        self
    }

    /// Send this key as `Idempotency-Key` on every attempt; this is what allows a POST or PATCH
    /// to be retried.
    pub fn idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.request = self.request.idempotency_key(key.as_str());
        self
    }

    /// Ask for another media type than JSON (`Accept`).
    pub fn accept(mut self, media_type: &'static str) -> Self {
        self.request = self.request.accept(media_type);
        self
    }

    /// Read at most `bytes` of the response body (default 8 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.request = self.request.body_limit(bytes);
        self
    }

    /// Send and decode the JSON body.
    ///
    /// # Errors
    /// Any [`Error`]: the API's error answer, a transport failure, [`Error::Decode`] when the body
    /// is not a `T`, [`Error::Timeout`] when the handle's deadline passes.
    pub async fn send<T: DeserializeOwned>(self) -> Result<T, Error> {
        Ok(self.send_with_meta().await?.value)
    }

    /// Send and decode the JSON body, keeping the status, request id and replay flag.
    ///
    /// # Errors
    /// As [`ApiRequest::send`].
    pub async fn send_with_meta<T: DeserializeOwned>(self) -> Result<Response<T>, Error> {
        self.bridge
            .inner
            .send_json(self.request, self.bridge.deadline)
            .await
    }

    /// Send and return the body as text (UTF-8, invalid bytes replaced).
    ///
    /// # Errors
    /// As [`ApiRequest::send`], without decoding errors.
    pub async fn send_text(self) -> Result<String, Error> {
        let raw = self.send_raw().await?;
        Ok(String::from_utf8_lossy(&raw.body).into_owned())
    }

    /// Send and return the undecoded success response.
    ///
    /// # Errors
    /// As [`ApiRequest::send`], without decoding errors.
    pub async fn send_raw(self) -> Result<RawResponse, Error> {
        self.bridge
            .inner
            .send(self.request, self.bridge.deadline)
            .await
    }
}
