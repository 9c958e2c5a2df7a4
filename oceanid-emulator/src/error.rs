//! The API's error answers: `{"message", "request_id", "code", "is_transient"}` with the request's
//! id, for the emulator's own errors and for anything the router rejects.

use axum::body::{Body, to_bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The body of an error answer, before the request id is known.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ErrorBody {
    pub message: String,
    pub code: Option<&'static str>,
    pub is_transient: bool,
}

/// An error answer. Its body is rendered, with the request id, by [`finish`].
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// Marks a response whose Error body is still to be written with the request id.
#[derive(Debug, Clone)]
pub(crate) struct PendingError(pub ErrorBody);

/// Marks an error response whose body must be sent as it is (an injected HTML page, say).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawBody;

impl ApiError {
    /// An error with `status`; 429 and 5xx are transient.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        let is_transient = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        ApiError {
            status,
            body: ErrorBody {
                message: message.into(),
                code: None,
                is_transient,
            },
            headers: Vec::new(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::GONE, message)
    }

    pub(crate) fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing or invalid API key: send `Authorization: Bearer <api key>`",
        )
        .with_header(
            axum::http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer"),
        )
    }

    /// Sets the machine-readable `code`.
    pub(crate) fn with_code(mut self, code: &'static str) -> ApiError {
        self.body.code = Some(code);
        self
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.body.message
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response.extensions_mut().insert(PendingError(self.body));
        response
    }
}

/// The serialised Error body.
#[derive(Serialize)]
struct RenderedError<'a> {
    message: &'a str,
    request_id: &'a str,
    code: Option<&'static str>,
    is_transient: bool,
}

/// How much of a rejection's text body becomes an Error message.
const MAX_REJECTION_TEXT: usize = 64 * 1024;

/// Writes the Error body of an error response with `request_id`: the emulator's own errors
/// (marked [`PendingError`]) and any plain-text rejection from the router (a malformed path, an
/// unsupported method). Other responses pass unchanged.
pub(crate) async fn finish(response: Response, request_id: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(PendingError(error)) = parts.extensions.remove::<PendingError>() {
        return render(parts, &error, request_id);
    }
    let is_json = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if parts.status.as_u16() < 400 || is_json || parts.extensions.get::<RawBody>().is_some() {
        return Response::from_parts(parts, body);
    }
    let text = to_bytes(body, MAX_REJECTION_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        format!(
            "{} {}",
            parts.status.as_u16(),
            parts.status.canonical_reason().unwrap_or("error")
        )
    } else {
        text
    };
    let error = ApiError::new(parts.status, message).body;
    render(parts, &error, request_id)
}

fn render(mut parts: axum::http::response::Parts, error: &ErrorBody, request_id: &str) -> Response {
    let body = serde_json::to_vec(&RenderedError {
        message: &error.message,
        request_id,
        code: error.code,
        is_transient: error.is_transient,
    })
    .unwrap_or_default();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body))
}
