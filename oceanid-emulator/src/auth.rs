//! Bearer authentication: `Authorization: Bearer <api key>`, else 401.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Routes that also answer without credentials (the public catalogue).
fn anonymous_allowed(method: &Method, path: &str) -> bool {
    method == Method::GET
        && (path == "/providers"
            || path == "/postgres-versions"
            || path.starts_with("/postgres-versions/"))
}

/// Whether `header` is `Bearer <key>` (the scheme is case-insensitive).
pub(crate) fn bearer_matches(header: &[u8], key: &str) -> bool {
    let Some(token) = header
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case(b"bearer "))
        .and_then(|_| header.get(7..))
    else {
        return false;
    };
    let token = token.trim_ascii();
    // Compare every byte, whatever the first difference, so timing says nothing about the key.
    token.len() == key.len()
        && token
            .iter()
            .zip(key.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Middleware: lets the request through when it carries the API key (or needs none).
pub(crate) async fn require_api_key(
    State(app): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    match req.headers().get(AUTHORIZATION) {
        None if anonymous_allowed(req.method(), req.uri().path()) => next.run(req).await,
        Some(value) if bearer_matches(value.as_bytes(), &app.api_key) => next.run(req).await,
        _ => ApiError::unauthorized().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer() {
        assert!(bearer_matches(b"Bearer cbkey_x", "cbkey_x"));
        assert!(bearer_matches(b"bearer cbkey_x", "cbkey_x"));
        assert!(!bearer_matches(b"Bearer cbkey_y", "cbkey_x"));
        assert!(!bearer_matches(b"Basic cbkey_x", "cbkey_x"));
        assert!(!bearer_matches(b"Bearer", "cbkey_x"));
        assert!(!bearer_matches(b"", "cbkey_x"));
    }
}
