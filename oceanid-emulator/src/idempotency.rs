//! `Idempotency-Key` on POST and PATCH: the same method, path and body within an hour replays the
//! stored answer (`Idempotency-Replay: true`); the same key with another request, or while the
//! first is still running, answers 409. 429, 500 and 503 answers are not stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorBody, PendingError};
use crate::lock::lock;

static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
static IDEMPOTENCY_REPLAY: HeaderName = HeaderName::from_static("idempotency-replay");

/// How long a key is remembered.
const KEY_TTL: Duration = Duration::from_secs(3600);
/// The largest request or response body kept for a key.
const MAX_BODY: usize = 2 * 1024 * 1024;
/// The longest key accepted.
const MAX_KEY_LEN: usize = 255;

/// A stored answer.
#[derive(Debug, Clone)]
struct StoredResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    error: Option<ErrorBody>,
}

impl StoredResponse {
    fn to_response(&self) -> Response {
        let mut response = (self.status, self.headers.clone(), self.body.clone()).into_response();
        if let Some(error) = &self.error {
            response
                .extensions_mut()
                .insert(PendingError(error.clone()));
        }
        response
    }
}

#[derive(Debug)]
struct Entry {
    method: Method,
    path: String,
    body: Bytes,
    created: Instant,
    /// `None` while the first request is running.
    stored: Option<StoredResponse>,
}

/// The key store, shared by the state (state dump, reset) and [`replay_or_record`].
pub(crate) type SharedIdempotency = Arc<Mutex<IdempotencyStore>>;

/// The keys seen in the last hour.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    entries: HashMap<String, Entry>,
}

enum Begin {
    New,
    Replay(StoredResponse),
    Running,
    OtherRequest,
}

impl IdempotencyStore {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    fn begin(&mut self, key: &str, method: &Method, path: &str, body: &Bytes) -> Begin {
        let now = Instant::now();
        self.entries
            .retain(|_, e| now.duration_since(e.created) < KEY_TTL);
        match self.entries.get(key) {
            Some(e) if e.method != method || e.path != path || e.body != body => {
                Begin::OtherRequest
            }
            Some(Entry {
                stored: Some(stored),
                ..
            }) => Begin::Replay(stored.clone()),
            Some(_) => Begin::Running,
            None => {
                self.entries.insert(
                    key.to_owned(),
                    Entry {
                        method: method.clone(),
                        path: path.to_owned(),
                        body: body.clone(),
                        created: now,
                        stored: None,
                    },
                );
                Begin::New
            }
        }
    }
}

/// Forgets a key whose request did not finish (the client went away mid-request).
struct RunningGuard {
    store: SharedIdempotency,
    key: Option<String>,
}

impl RunningGuard {
    fn finish(mut self, stored: Option<StoredResponse>) {
        if let Some(key) = self.key.take() {
            let mut store = lock(&self.store);
            match stored {
                Some(stored) => {
                    if let Some(entry) = store.entries.get_mut(&key) {
                        entry.stored = Some(stored);
                    }
                }
                None => {
                    store.entries.remove(&key);
                }
            }
        }
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.store).entries.remove(&key);
        }
    }
}

fn with_key(mut response: Response, key: &HeaderValue) -> Response {
    response
        .headers_mut()
        .insert(IDEMPOTENCY_KEY.clone(), key.clone());
    response
}

/// Middleware on the Bridge routes.
pub(crate) async fn replay_or_record(
    State(store): State<SharedIdempotency>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST && req.method() != Method::PATCH {
        return next.run(req).await;
    }
    let Some(key_value) = req.headers().get(&IDEMPOTENCY_KEY).cloned() else {
        return next.run(req).await;
    };
    let key = match key_value.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= MAX_KEY_LEN => k.to_owned(),
        _ => {
            return ApiError::bad_request(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} printable characters (a UUID)"
            ))
            .into_response();
        }
    };
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body is too large or could not be read",
            )
            .into_response();
        }
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let begin = lock(&store).begin(&key, &parts.method, &path, &body);
    match begin {
        Begin::Replay(stored) => {
            let mut response = with_key(stored.to_response(), &key_value);
            response
                .headers_mut()
                .insert(IDEMPOTENCY_REPLAY.clone(), HeaderValue::from_static("true"));
            response
        }
        Begin::Running => with_key(
            ApiError::conflict(
                "a request with this Idempotency-Key is still being processed; retry later",
            )
            .into_response(),
            &key_value,
        ),
        Begin::OtherRequest => with_key(
            ApiError::conflict(
                "this Idempotency-Key was already used for a different request \
                 (method, path or body differ); use a new key",
            )
            .into_response(),
            &key_value,
        ),
        Begin::New => {
            let guard = RunningGuard {
                store: Arc::clone(&store),
                key: Some(key),
            };
            let response = next.run(Request::from_parts(parts, Body::from(body))).await;
            let (mut parts, body) = response.into_parts();
            let body = match to_bytes(body, MAX_BODY).await {
                Ok(body) => body,
                Err(_) => {
                    guard.finish(None);
                    return ApiError::internal("the response could not be recorded")
                        .into_response();
                }
            };
            let error = parts
                .extensions
                .get::<PendingError>()
                .map(|PendingError(e)| e.clone());
            let status = parts.status;
            let transient = matches!(status.as_u16(), 429 | 500 | 503);
            guard.finish((!transient).then(|| StoredResponse {
                status,
                headers: parts.headers.clone(),
                body: body.clone(),
                error,
            }));
            parts
                .headers
                .insert(IDEMPOTENCY_KEY.clone(), key_value.clone());
            Response::from_parts(parts, Body::from(body))
        }
    }
}
