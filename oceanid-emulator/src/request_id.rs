//! `X-Request-Id` on every answer: the client's when it sent a usable one, else a new UUID. This
//! outermost layer also writes error bodies (with that id) and logs one line per request.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error;

pub(crate) static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client-sent request id that is echoed.
const MAX_LEN: usize = 200;

fn usable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Middleware: assigns the request id, finishes error bodies, sets the header, logs the request.
pub(crate) async fn assign(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| usable(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = Instant::now();

    let response = next.run(req).await;
    let mut response = error::finish(response, &id).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        request_id = %id,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn usable_ids() {
        assert!(usable("5f0c7d5e-6b0a-4a39-9a39-3f1b2f5c2d11"));
        assert!(usable("my-id"));
        assert!(!usable(""));
        assert!(!usable("has space"));
        assert!(!usable(&"x".repeat(MAX_LEN_PLUS)));
    }

    const MAX_LEN_PLUS: usize = super::MAX_LEN + 1;
}
