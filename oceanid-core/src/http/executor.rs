//! The request executor: one loop that sends a [`Request`] to an API described by an
//! [`ApiDescription`], with retries inside the deadline, and turns the answer into a
//! [`RawResponse`] or an [`Error`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, LOCATION};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::api::{ApiDescription, ErrorBody, first_header};
use super::body::read_capped;
use super::builder::ExecutorBuilder;
use super::error::{ApiError, Error};
use super::redact::{REDACTED, body_excerpt, redact_secrets};
use super::request::{RawResponse, Request, Response};
use super::request_id::new_request_id;
use super::request_limit::RequestLimit;
use super::retry::{RetryPolicy, may_retry_method, retry_after};
use super::transport::{connect_failure, origin, redacted_url, target};

/// Longest body excerpt (in characters) put into an error message.
const EXCERPT_CHARS: usize = 200;

/// The most of an error body read (only an excerpt and the error fields are needed).
const ERROR_BODY_LIMIT: usize = 64 * 1024;

pub(super) struct Inner<D> {
    pub(super) api: D,
    pub(super) http: reqwest::Client,
    pub(super) base_url: Url,
    pub(super) token: Option<SecretString>,
    pub(super) auth_header: Option<HeaderValue>,
    pub(super) retry: RetryPolicy,
    pub(super) limit: Option<RequestLimit>,
}

/// Sends requests to one API: its description, base URL, credentials, retry policy and
/// connection pool. Cheap to clone.
pub struct Executor<D> {
    pub(super) inner: Arc<Inner<D>>,
}

impl<D> Clone for Executor<D> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<D: ApiDescription> fmt::Debug for Executor<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("api", &self.inner.api)
            .field("base_url", &self.inner.base_url.as_str())
            .field("token", &self.inner.token.as_ref().map(|_| REDACTED))
            .field("retry", &self.inner.retry)
            .field("limit", &self.inner.limit)
            .finish()
    }
}

/// Where an attempt stands, for the retry loop.
struct Outcome {
    maybe_sent: bool,
    last: Option<Error>,
    attempts: u32,
}

impl<D: ApiDescription> Executor<D> {
    /// Start building an executor for `api` at `base_url`.
    pub fn builder(api: D, base_url: impl Into<String>) -> ExecutorBuilder<D> {
        ExecutorBuilder::new(api, base_url)
    }

    /// The API's description.
    #[must_use]
    pub fn api(&self) -> &D {
        &self.inner.api
    }

    /// The base URL requests go to.
    #[must_use]
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The retry policy.
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The cap on this executor's requests on the wire at once, if it has one.
    #[must_use]
    pub fn request_limit(&self) -> Option<&RequestLimit> {
        self.inner.limit.as_ref()
    }

    /// A request to the base URL extended by `segments` (each percent-encoded as one path
    /// segment).
    pub fn request(&self, method: Method, segments: &[&str]) -> Request {
        let display = format!("{method} /{}", segments.join("/"));
        let mut url = self.inner.base_url.clone();
        let extended = url
            .path_segments_mut()
            .map(|mut path| {
                path.pop_if_empty().extend(segments);
            })
            .map_err(|()| {
                format!(
                    "the base URL {} cannot take a path",
                    redacted_url(&self.inner.base_url)
                )
            });
        let url = extended.map(|()| url);
        Request {
            method,
            url,
            display,
            body: None,
            idempotency_key: None,
            accept: "application/json",
            body_limit: None,
            send_once: false,
        }
    }

    /// The strings that must never appear in a message (the token).
    pub(crate) fn secret_strings(&self) -> Vec<&str> {
        self.inner
            .token
            .as_ref()
            .map(|k| vec![k.expose_secret()])
            .unwrap_or_default()
    }

    /// Send and decode the JSON body, keeping the status, request id and replay flag.
    ///
    /// # Errors
    /// As [`Executor::send`], and [`Error::Decode`] when the body is not a `T`.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: Request,
        deadline: Option<Instant>,
    ) -> Result<Response<T>, Error> {
        let display = request.display.clone();
        let raw = self.send(request, deadline).await?;
        let value = self.decode(&display, &raw)?;
        Ok(Response {
            value,
            status: raw.status,
            request_id: raw.request_id,
            replayed: raw.replayed,
        })
    }

    /// Decode a success body as JSON, naming the JSON path of the first mismatch.
    ///
    /// # Errors
    /// [`Error::Decode`] with the path and a redacted excerpt of the body.
    pub fn decode<T: DeserializeOwned>(
        &self,
        request: &str,
        raw: &RawResponse,
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
            excerpt: body_excerpt(&raw.body, EXCERPT_CHARS, &self.secret_strings()),
            source,
        })
    }

    /// Send `request`, retrying what may be retried until `deadline`, and return the success
    /// response undecoded.
    ///
    /// Every attempt carries a fresh request id (when the API reads one); the idempotency key,
    /// when set, is the same on every attempt. GET, PUT and DELETE are retried on 429, 5xx,
    /// transient answers and connection errors; POST and PATCH only with an idempotency key.
    /// The wait is the server's `Retry-After` plus a small jitter, else jittered backoff.
    /// With a [`RequestLimit`], each attempt first waits for a free slot (inside the deadline)
    /// and holds it until its answer is read; the waits between attempts hold none.
    ///
    /// # Errors
    /// Any [`Error`]: the API's error answer, a transport failure (not sent, or maybe sent), a
    /// redirect, a body over the limit, or [`Error::Timeout`] when the deadline passes.
    pub async fn send(
        &self,
        request: Request,
        deadline: Option<Instant>,
    ) -> Result<RawResponse, Error> {
        let url = request.url.clone().map_err(Error::Config)?;
        let body = match &request.body {
            Some(Ok(b)) => Some(b.clone()),
            Some(Err(e)) => {
                return Err(Error::Config(format!(
                    "could not encode the body of {}: {e}",
                    request.display
                )));
            }
            None => None,
        };
        self.run(&request, &url, body.as_deref(), deadline).await
    }

    async fn run(
        &self,
        request: &Request,
        url: &Url,
        body: Option<&[u8]>,
        deadline: Option<Instant>,
    ) -> Result<RawResponse, Error> {
        let api = &self.inner.api;
        let policy = &self.inner.retry;
        let deadline = deadline.map(tokio::time::Instant::from_std);
        let key = request
            .idempotency_key
            .as_deref()
            .filter(|_| api.idempotency_key_header().is_some());
        let may_retry = !request.send_once && may_retry_method(&request.method, key.is_some());
        let mut backoff = policy.backoff();
        let mut state = Outcome {
            maybe_sent: false,
            last: None,
            attempts: 0,
        };
        let timeout =
            |state: Outcome, request_id: Option<String>, maybe_sent: bool| Error::Timeout {
                request: request.display.clone(),
                attempts: state.attempts,
                request_id,
                maybe_sent: state.maybe_sent || maybe_sent,
                last: state.last.map(Box::new),
            };
        // The deadline passed between attempts: nothing is on the wire now.
        let timeout_between_attempts = |state: Outcome| {
            let rid = state
                .last
                .as_ref()
                .and_then(Error::request_id)
                .map(str::to_owned);
            timeout(state, rid, false)
        };
        loop {
            if let Some(d) = deadline
                && tokio::time::Instant::now() >= d
            {
                return Err(timeout_between_attempts(state));
            }
            // A slot on the wire: waiting for it sends nothing, so a deadline passing here
            // leaves the request not sent (unless an earlier attempt may have been).
            let slot = match (&self.inner.limit, deadline) {
                (None, _) => None,
                (Some(limit), None) => Some(limit.acquire().await),
                (Some(limit), Some(d)) => match tokio::time::timeout_at(d, limit.acquire()).await {
                    Ok(permit) => Some(permit),
                    Err(_) => return Err(timeout_between_attempts(state)),
                },
            };
            state.attempts += 1;
            let request_id = new_request_id();
            let attempt = self.attempt(request, url, body, key, &request_id);
            let result = match deadline {
                Some(d) => match tokio::time::timeout_at(d, attempt).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::debug!(api = api.name(), request = %request.display, attempts = state.attempts, request_id, "deadline passed during an attempt");
                        return Err(timeout(state, Some(request_id), true));
                    }
                },
                None => attempt.await,
            };
            drop(slot);
            let err = match result {
                Ok(raw) => {
                    tracing::debug!(api = api.name(), request = %request.display, attempts = state.attempts, status = raw.status, request_id = raw.request_id.as_deref(), replayed = raw.replayed, "call succeeded");
                    return Ok(raw);
                }
                Err(e) => e,
            };
            // After an attempt whose outcome is unknown, a 409 for the same idempotency key may
            // mean the first attempt is still running on the server: wait and ask again.
            let in_flight_conflict = state.maybe_sent
                && key.is_some()
                && api.conflict_means_in_flight()
                && err.status() == Some(409);
            state.maybe_sent |= err.is_maybe_sent();
            let retryable = may_retry && (err.is_retryable() || in_flight_conflict);
            if !retryable || !policy.allows_attempt(state.attempts) {
                tracing::debug!(api = api.name(), request = %request.display, attempts = state.attempts, request_id = err.request_id(), retryable, "call failed");
                return Err(err);
            }
            let Some(delay) = policy.next_delay(&mut backoff, err.retry_after()) else {
                return Err(err);
            };
            if let Some(d) = deadline
                && tokio::time::Instant::now() + delay >= d
            {
                let rid = err.request_id().map(str::to_owned);
                state.last = Some(err);
                return Err(timeout(state, rid, false));
            }
            tracing::debug!(
                api = api.name(),
                request = %request.display,
                attempts = state.attempts,
                request_id = err.request_id(),
                status = err.status(),
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "retrying call"
            );
            tokio::time::sleep(delay).await;
            state.last = Some(err);
        }
    }

    async fn attempt(
        &self,
        request: &Request,
        url: &Url,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
        request_id: &str,
    ) -> Result<RawResponse, Error> {
        let inner = &self.inner;
        let api = &inner.api;
        let mut rb = inner
            .http
            .request(request.method.clone(), url.clone())
            .header(ACCEPT, request.accept);
        let sent_id = match api.request_id_header_to_send() {
            Some(header) => {
                rb = rb.header(header, request_id);
                Some(request_id.to_owned())
            }
            None => None,
        };
        if let Some(auth) = &inner.auth_header {
            rb = rb.header(AUTHORIZATION, auth.clone());
        }
        if let (Some(key), Some(header)) = (idempotency_key, api.idempotency_key_header()) {
            rb = rb.header(header, key);
        }
        if let Some(body) = body {
            rb = rb
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let mut resp = rb
            .send()
            .await
            .map_err(|e| self.transport_error(request, url, e, sent_id.clone(), None))?;
        let status = resp.status().as_u16();
        let headers = resp.headers();
        let echoed = first_header(headers, api.request_id_headers()).or(sent_id);
        if (300..400).contains(&status) {
            let location = headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .map_or_else(|| "(no usable Location)".to_owned(), |l| origin(&l));
            return Err(Error::Redirect {
                request: request.display.clone(),
                status,
                location,
                request_id: echoed,
            });
        }
        let retry_after = retry_after(headers, SystemTime::now());
        let replayed = api.is_replay(headers);
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let success = (200..300).contains(&status);
        let limit = if success {
            request.body_limit.unwrap_or_else(|| api.body_limit())
        } else {
            ERROR_BODY_LIMIT
        };
        let body = read_capped(&mut resp, limit)
            .await
            .map_err(|e| self.transport_error(request, url, e, echoed.clone(), Some(status)))?;
        if success {
            if body.exceeded {
                return Err(Error::BodyTooLarge {
                    request: request.display.clone(),
                    url: redacted_url(url),
                    status,
                    limit,
                    request_id: echoed,
                });
            }
            return Ok(RawResponse {
                status,
                request_id: echoed,
                replayed,
                body: body.bytes,
            });
        }
        let mut error = self.api_error(
            request,
            status,
            echoed,
            retry_after,
            content_type.as_deref(),
            &body.bytes,
        );
        if let Error::Api(e) | Error::Unauthorized(e) | Error::RateLimited(e) = &mut error {
            e.replayed = replayed;
        }
        Err(error)
    }

    fn transport_error(
        &self,
        request: &Request,
        url: &Url,
        e: reqwest::Error,
        request_id: Option<String>,
        status: Option<u16>,
    ) -> Error {
        if e.is_builder() {
            return Error::Config(format!("could not build {}: {e}", request.display));
        }
        if e.is_connect() && status.is_none() {
            Error::NotSent {
                request: request.display.clone(),
                request_id,
                target: target(url).unwrap_or_else(|| redacted_url(url)),
                cause: connect_failure(&e),
                source: e.without_url(),
            }
        } else {
            Error::MaybeSent {
                request: request.display.clone(),
                request_id,
                status,
                source: e.without_url(),
            }
        }
    }

    fn api_error(
        &self,
        request: &Request,
        status: u16,
        request_id: Option<String>,
        retry_after: Option<Duration>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Error {
        let api = &self.inner.api;
        let secrets = self.secret_strings();
        let decoded = api.decode_error(status, body);
        let is_transient = decoded
            .as_ref()
            .is_some_and(|b| api.is_transient(status, b));
        let ErrorBody {
            message,
            code,
            request_id: body_rid,
            ..
        } = decoded.unwrap_or_default();
        let message = match message {
            Some(m) => redact_secrets(&m, &secrets),
            None => {
                let excerpt = body_excerpt(body, EXCERPT_CHARS, &secrets);
                let looks_html = content_type.is_some_and(|c| c.contains("html"))
                    || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
                if body.iter().all(u8::is_ascii_whitespace) {
                    "the response had an empty body".to_owned()
                } else if looks_html {
                    format!(
                        "the response was an HTML page, not a JSON error (a proxy or gateway answered?): {excerpt}"
                    )
                } else {
                    format!("the response body was not a JSON error: {excerpt}")
                }
            }
        };
        let api_error = Box::new(ApiError {
            api: api.name(),
            credentials_hint: api.credentials_hint(),
            request: request.display.clone(),
            status,
            code,
            message,
            request_id: body_rid.filter(|r| !r.is_empty()).or(request_id),
            is_transient,
            retry_after,
            replayed: false,
        });
        match status {
            401 => Error::Unauthorized(api_error),
            429 => Error::RateLimited(api_error),
            _ => Error::Api(api_error),
        }
    }
}
