//! One API call: building the request, sending it with retries inside the deadline, and turning
//! the answer into a value or an [`Error`].
//!
//! Handlers use this; it is public as the low-level path ([`Bridge::request`]) for endpoints the
//! typed handlers do not cover yet.

use std::time::SystemTime;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Bridge, Error, IdempotencyKey, error::ApiError};
use crate::http::redact::body_excerpt;
use crate::http::request_id::{
    IDEMPOTENCY_KEY, X_REQUEST_ID, echoed_request_id, is_replay, new_request_id,
};
use crate::http::retry::{may_retry_method, retry_after};

/// Longest body excerpt (in characters) put into an error message.
const EXCERPT_CHARS: usize = 200;

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
    method: Method,
    url: Result<Url, String>,
    display: String,
    body: Option<Result<Vec<u8>, String>>,
    idempotency_key: Option<IdempotencyKey>,
    accept: &'static str,
}

/// A success response before decoding.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The request id the server echoed (or the one sent, if it echoed none).
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

impl ApiRequest {
    pub(crate) fn new(bridge: Bridge, method: Method, segments: &[&str]) -> Self {
        let display = format!("{method} /{}", segments.join("/"));
        let url = bridge.url_for(segments);
        Self {
            bridge,
            method,
            url,
            display,
            body: None,
            idempotency_key: None,
            accept: "application/json",
        }
    }

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

    /// Send this key as `Idempotency-Key` on every attempt; this is what allows a POST or PATCH
    /// to be retried.
    pub fn idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }

    /// Ask for another media type than JSON (`Accept`).
    pub fn accept(mut self, media_type: &'static str) -> Self {
        self.accept = media_type;
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
        let display = self.display.clone();
        let bridge = self.bridge.clone();
        let raw = self.send_raw().await?;
        let value = decode(&display, &raw, &bridge.secret_strings())?;
        Ok(Response {
            value,
            status: raw.status,
            request_id: raw.request_id,
            replayed: raw.replayed,
        })
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
        let url = self.url.clone().map_err(Error::Config)?;
        let body = match &self.body {
            Some(Ok(b)) => Some(b.clone()),
            Some(Err(e)) => {
                return Err(Error::Config(format!(
                    "could not encode the body of {}: {e}",
                    self.display
                )));
            }
            None => None,
        };
        self.execute(&url, body.as_deref()).await
    }

    async fn execute(&self, url: &Url, body: Option<&[u8]>) -> Result<RawResponse, Error> {
        let policy = &self.bridge.inner.retry;
        let deadline = self.bridge.deadline.map(tokio::time::Instant::from_std);
        let may_retry = may_retry_method(&self.method, self.idempotency_key.is_some());
        let mut backoff = policy.backoff();
        let mut attempts: u32 = 0;
        let mut last: Option<Error> = None;
        let mut maybe_sent = false;
        loop {
            if let Some(d) = deadline
                && tokio::time::Instant::now() >= d
            {
                return Err(Error::Timeout {
                    request: self.display.clone(),
                    attempts,
                    request_id: last
                        .as_ref()
                        .and_then(|e| e.request_id())
                        .map(str::to_owned),
                    maybe_sent,
                    last: last.map(Box::new),
                });
            }
            attempts += 1;
            let request_id = new_request_id();
            let attempt = self.attempt(url, body, &request_id);
            let result = match deadline {
                Some(d) => match tokio::time::timeout_at(d, attempt).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::debug!(request = %self.display, attempts, request_id, "deadline passed during an attempt");
                        return Err(Error::Timeout {
                            request: self.display.clone(),
                            attempts,
                            request_id: Some(request_id),
                            maybe_sent: true,
                            last: last.map(Box::new),
                        });
                    }
                },
                None => attempt.await,
            };
            let err = match result {
                Ok(raw) => {
                    tracing::debug!(request = %self.display, attempts, status = raw.status, request_id = raw.request_id.as_deref(), replayed = raw.replayed, "Crunchy Bridge call succeeded");
                    return Ok(raw);
                }
                Err(e) => e,
            };
            // After an attempt whose outcome is unknown, a 409 for the same idempotency key means
            // the first attempt is still running on the server: wait and ask again.
            let in_flight_conflict =
                maybe_sent && self.idempotency_key.is_some() && err.status() == Some(409);
            maybe_sent |= err.is_maybe_sent();
            let retryable = may_retry && (err.is_retryable() || in_flight_conflict);
            if !retryable || !policy.allows_attempt(attempts) {
                tracing::debug!(request = %self.display, attempts, request_id = err.request_id(), retryable, "Crunchy Bridge call failed");
                return Err(err);
            }
            let Some(delay) = policy.next_delay(&mut backoff, err.retry_after()) else {
                return Err(err);
            };
            if let Some(d) = deadline
                && tokio::time::Instant::now() + delay >= d
            {
                return Err(Error::Timeout {
                    request: self.display.clone(),
                    attempts,
                    request_id: err.request_id().map(str::to_owned),
                    maybe_sent,
                    last: Some(Box::new(err)),
                });
            }
            tracing::debug!(
                request = %self.display,
                attempts,
                request_id = err.request_id(),
                status = err.status(),
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "retrying Crunchy Bridge call"
            );
            tokio::time::sleep(delay).await;
            last = Some(err);
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        body: Option<&[u8]>,
        request_id: &str,
    ) -> Result<RawResponse, Error> {
        let inner = &self.bridge.inner;
        let mut rb = inner
            .http
            .request(self.method.clone(), url.clone())
            .header(ACCEPT, self.accept)
            .header(X_REQUEST_ID, request_id);
        if let Some(auth) = &inner.auth_header {
            rb = rb.header(AUTHORIZATION, auth.clone());
        }
        if let Some(key) = &self.idempotency_key {
            rb = rb.header(IDEMPOTENCY_KEY, key.as_str());
        }
        if let Some(body) = body {
            rb = rb
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let sent_id = Some(request_id.to_owned());
        let resp = rb
            .send()
            .await
            .map_err(|e| self.transport_error(e, sent_id.clone(), None))?;
        let status = resp.status().as_u16();
        let headers = resp.headers();
        let echoed = echoed_request_id(headers).or(sent_id);
        let retry_after = retry_after(headers, SystemTime::now());
        let replayed = is_replay(headers);
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.transport_error(e, echoed.clone(), Some(status)))?;
        if (200..300).contains(&status) {
            return Ok(RawResponse {
                status,
                request_id: echoed,
                replayed,
                body: body.to_vec(),
            });
        }
        Err(self.api_error(status, echoed, retry_after, content_type.as_deref(), &body))
    }

    fn transport_error(
        &self,
        e: reqwest::Error,
        request_id: Option<String>,
        status: Option<u16>,
    ) -> Error {
        if e.is_builder() {
            return Error::Config(format!("could not build {}: {e}", self.display));
        }
        if e.is_connect() && status.is_none() {
            Error::NotSent {
                request: self.display.clone(),
                request_id,
                source: e.without_url(),
            }
        } else {
            Error::MaybeSent {
                request: self.display.clone(),
                request_id,
                status,
                source: e.without_url(),
            }
        }
    }

    fn api_error(
        &self,
        status: u16,
        request_id: Option<String>,
        retry_after: Option<std::time::Duration>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Error {
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            message: Option<String>,
            request_id: Option<String>,
            code: Option<String>,
            is_transient: Option<bool>,
        }
        let secrets = self.bridge.secret_strings();
        let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
        let (message, body_rid, code, is_transient) = match parsed {
            Some(ErrorBody {
                message: Some(m),
                request_id,
                code,
                is_transient,
            }) => (
                crate::http::redact::redact_secrets(&m, &secrets),
                request_id,
                code,
                is_transient.unwrap_or(false),
            ),
            other => {
                let excerpt = body_excerpt(body, EXCERPT_CHARS, &secrets);
                let looks_html = content_type.is_some_and(|c| c.contains("html"))
                    || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
                let message = if body.iter().all(u8::is_ascii_whitespace) {
                    "the response had an empty body".to_owned()
                } else if looks_html {
                    format!(
                        "the response was an HTML page, not a JSON error (a proxy or gateway answered?): {excerpt}"
                    )
                } else {
                    format!("the response body was not a JSON error: {excerpt}")
                };
                let (rid, code, transient) = other
                    .map(|b| (b.request_id, b.code, b.is_transient.unwrap_or(false)))
                    .unwrap_or_default();
                (message, rid, code, transient)
            }
        };
        let api = Box::new(ApiError {
            request: self.display.clone(),
            status,
            code,
            message,
            request_id: body_rid.filter(|r| !r.is_empty()).or(request_id),
            is_transient,
            retry_after,
        });
        match status {
            401 => Error::Unauthorized(api),
            429 => Error::RateLimited(api),
            _ => Error::Api(api),
        }
    }
}

/// Decode a JSON body, naming the JSON path of the first mismatch.
pub(crate) fn decode<T: DeserializeOwned>(
    request: &str,
    raw: &RawResponse,
    secrets: &[&str],
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(&raw.body);
    let result = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| (e.path().to_string(), e.into_inner()))
        .and_then(|v| de.end().map(|()| v).map_err(|e| (".".to_owned(), e)));
    result.map_err(|(json_path, source)| Error::Decode {
        request: request.to_owned(),
        status: raw.status,
        request_id: raw.request_id.clone(),
        json_path,
        excerpt: body_excerpt(&raw.body, EXCERPT_CHARS, secrets),
        source,
    })
}
