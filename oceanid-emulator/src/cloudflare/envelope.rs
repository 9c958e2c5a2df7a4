//! Cloudflare's answer shape: `{success, errors: [{code, message}], messages, result,
//! result_info?}` on every answer, a `cf-ray` header on every answer, and the error codes the
//! emulator answers with.

use axum::body::Body;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::{ApiError, PendingError, RawBody};
use crate::state::AppState;

/// The `cf-ray` header: a request's id at Cloudflare's edge.
pub(crate) static CF_RAY: HeaderName = HeaderName::from_static("cf-ray");

/// Error codes, as Cloudflare sends them (see `cloudflare-zero-trust.md`).
pub(crate) mod code {
    /// Rate limited: "Please wait and consider throttling your request speed".
    pub(crate) const RATE_LIMITED: u32 = 971;
    /// The token is missing or not accepted on this route.
    pub(crate) const AUTHENTICATION_ERROR: u32 = 10000;
    /// `tokens/verify` with a token that is not valid.
    pub(crate) const INVALID_API_TOKEN: u32 = 1000;
    /// An account or zone the token has no access to.
    pub(crate) const UNAUTHORIZED_TO_ACCESS: u32 = 9109;
    /// No route for the URI (also an unknown object id in the path).
    pub(crate) const NO_ROUTE: u32 = 7003;
    /// The route exists but not with this method.
    pub(crate) const METHOD_NOT_ALLOWED: u32 = 7001;
    /// The body is not what the route takes (bad JSON, a bad field, a bad CIDR, too long).
    pub(crate) const INVALID_BODY: u32 = 9207;
    /// A query parameter is not valid (page, per_page, a filter).
    pub(crate) const INVALID_QUERY: u32 = 9106;
    /// An object named in the path does not exist (a profile, route, tunnel, network).
    pub(crate) const NOT_FOUND: u32 = 1001;
    /// The object conflicts with one that exists (a route for the same network).
    pub(crate) const CONFLICT: u32 = 1014;
    /// DNS: "Content for A record must be a valid IPv4 address." and friends.
    pub(crate) const DNS_CONTENT_INVALID: u32 = 9005;
    /// DNS: any other invalid record (type, name, TTL).
    pub(crate) const DNS_VALIDATION: u32 = 1004;
    /// DNS: "The record already exists."
    pub(crate) const RECORD_EXISTS: u32 = 81057;
    /// DNS: "An identical record already exists."
    pub(crate) const IDENTICAL_RECORD: u32 = 81058;
    /// DNS: "Record does not exist."
    pub(crate) const RECORD_MISSING: u32 = 81044;
    /// An error from the emulator itself (an injected 5xx without a body).
    pub(crate) const INTERNAL: u32 = 10001;
}

/// One `{code, message}` of `errors`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ResponseInfo {
    pub code: u32,
    pub message: String,
}

/// An error answer: a failure envelope with `result: null`.
#[derive(Debug)]
pub(crate) struct CfError {
    status: StatusCode,
    errors: Vec<ResponseInfo>,
}

impl CfError {
    /// An error with one `{code, message}`.
    pub(crate) fn new(status: StatusCode, code: u32, message: impl Into<String>) -> CfError {
        CfError {
            status,
            errors: vec![ResponseInfo {
                code,
                message: message.into(),
            }],
        }
    }

    /// 400 with `code`.
    pub(crate) fn bad_request(code: u32, message: impl Into<String>) -> CfError {
        CfError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 400 for a request body that is not valid.
    pub(crate) fn invalid_body(message: impl Into<String>) -> CfError {
        CfError::bad_request(code::INVALID_BODY, message)
    }

    /// 400 for a query parameter that is not valid.
    pub(crate) fn invalid_query(message: impl Into<String>) -> CfError {
        CfError::bad_request(code::INVALID_QUERY, message)
    }

    /// 404 for an object named in the path that does not exist.
    pub(crate) fn not_found(message: impl Into<String>) -> CfError {
        CfError::new(StatusCode::NOT_FOUND, code::NOT_FOUND, message)
    }

    /// Adds another `{code, message}`.
    pub(crate) fn and(mut self, code: u32, message: impl Into<String>) -> CfError {
        self.errors.push(ResponseInfo {
            code,
            message: message.into(),
        });
        self
    }
}

/// A 400 from the shared body parser (`crate::extract::json_body`), as an envelope: bad JSON, a
/// mistyped or unknown field, named by its path.
impl From<ApiError> for CfError {
    fn from(error: ApiError) -> CfError {
        let response = error.into_response();
        let message = response
            .extensions()
            .get::<PendingError>()
            .map(|PendingError(body)| body.message.clone())
            .unwrap_or_else(|| "Request body is invalid.".to_owned());
        CfError::invalid_body(message)
    }
}

impl IntoResponse for CfError {
    fn into_response(self) -> Response {
        json_response(
            self.status,
            &json!({
                "success": false,
                "errors": self.errors,
                "messages": [],
                "result": null,
            }),
        )
    }
}

/// What a handler answers: a success envelope, or an error envelope.
pub(crate) type CfResult = Result<Response, CfError>;

/// `result_info` of a paged list.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct ResultInfo {
    pub page: usize,
    pub per_page: usize,
    pub count: usize,
    pub total_count: usize,
    pub total_pages: usize,
}

/// 200 with `result`.
pub(crate) fn ok(result: impl Serialize) -> CfResult {
    Ok(success(StatusCode::OK, json!(result), None))
}

/// 200 with a list and its `result_info`.
pub(crate) fn ok_page(result: impl Serialize, info: ResultInfo) -> CfResult {
    Ok(success(StatusCode::OK, json!(result), Some(info)))
}

fn success(status: StatusCode, result: Value, info: Option<ResultInfo>) -> Response {
    let mut body = json!({
        "success": true,
        "errors": [],
        "messages": [],
        "result": result,
    });
    if let (Some(info), Some(map)) = (info, body.as_object_mut()) {
        map.insert("result_info".into(), json!(info));
    }
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, Body::from(body.to_string())).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A new ray id: 16 hex digits and the emulator's "colo".
fn new_ray() -> String {
    format!("{:016x}-EMU", rand::random::<u64>())
}

/// Middleware around every Cloudflare route (outermost): counts the request, turns answers that
/// are not envelopes yet (an injected fault, a method the route does not take) into failure
/// envelopes, and gives every answer a `cf-ray` header.
pub(crate) async fn finish(State(app): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    app.cloudflare.count(req.method().as_str());
    let response = next.run(req).await;
    let mut response = into_envelope(response);
    if let Ok(ray) = HeaderValue::from_str(&new_ray()) {
        response.headers_mut().insert(CF_RAY.clone(), ray);
    }
    response
}

fn into_envelope(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let pending = parts.extensions.remove::<PendingError>();
    let is_json = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let raw = parts.extensions.get::<RawBody>().is_some();
    if parts.status.as_u16() < 400 || raw || (is_json && pending.is_none()) {
        return Response::from_parts(parts, body);
    }
    let status = parts.status;
    let (code, message) = match status {
        StatusCode::TOO_MANY_REQUESTS => (
            code::RATE_LIMITED,
            "Please wait and consider throttling your request speed".to_owned(),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            code::METHOD_NOT_ALLOWED,
            "Method not allowed for this route".to_owned(),
        ),
        StatusCode::NOT_FOUND => (code::NO_ROUTE, "No route for the URI".to_owned()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => (
            code::AUTHENTICATION_ERROR,
            "Authentication error".to_owned(),
        ),
        _ if status.is_server_error() => (code::INTERNAL, "Internal server error".to_owned()),
        _ => (
            code::INVALID_BODY,
            pending
                .map(|PendingError(error)| error.message)
                .unwrap_or_else(|| status.to_string()),
        ),
    };
    let envelope = CfError::new(status, code, message).into_response();
    let (envelope_parts, envelope_body) = envelope.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    for (name, value) in &envelope_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, envelope_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rays_look_like_cloudflare_ones() {
        let ray = new_ray();
        let (hex, colo) = ray.split_once('-').unwrap();
        assert_eq!(hex.len(), 16);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(colo, "EMU");
        assert_ne!(new_ray(), ray);
    }

    #[test]
    fn injected_rate_limits_become_code_971() {
        let injected =
            crate::error::ApiError::new(StatusCode::TOO_MANY_REQUESTS, "injected").into_response();
        let response = into_envelope(injected);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response.headers().get(CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }
}
