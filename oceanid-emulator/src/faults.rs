//! Injected faults: per-route error statuses (429 with `Retry-After`, 5xx, HTML pages), added
//! latency, and "apply the request, then drop the connection", each with a rate and a count.
//!
//! Faults match a method and a route pattern of the full request path (`*` matches one
//! segment), so any API the emulator serves can have them: `/networks/*/firewall-rules`,
//! `/client/v4/accounts/*/devices/policy/include`, `/api/v1/nodes`. A router gets them with two
//! layers: [`delay`] innermost (around the handlers, inside authentication and idempotency), and
//! [`inject`] outermost with the shared [`Faults`] as its state:
//! `.layer(from_fn(faults::delay))` … `.layer(from_fn_with_state(app.faults.clone(),
//! faults::inject))`. An injected status without a `body` answers with Bridge's error shape;
//! give `body` and `content_type` for another API's shape.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, RawBody};
use crate::lock::lock;
use crate::server::ConnectionKiller;

/// The body of `POST /__emulator/faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultRequest {
    method: Option<String>,
    path: Option<String>,
    status: Option<u16>,
    retry_after: Option<u64>,
    body: Option<String>,
    content_type: Option<String>,
    latency_ms: Option<u64>,
    #[serde(default)]
    drop_after_commit: bool,
    rate: Option<f64>,
    count: Option<u64>,
}

/// An installed fault.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Fault {
    id: u64,
    method: Option<String>,
    path: Option<String>,
    status: Option<u16>,
    retry_after: Option<u64>,
    body: Option<String>,
    content_type: Option<String>,
    latency_ms: Option<u64>,
    drop_after_commit: bool,
    rate: f64,
    /// How many more times it fires; `None` for always.
    count: Option<u64>,
    /// How many times it fired.
    fired: u64,
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path
                .as_deref()
                .is_none_or(|pattern| path_matches(pattern, path))
    }

    fn is_terminal(&self) -> bool {
        self.status.is_some() || self.drop_after_commit
    }
}

/// Whether `path` matches `pattern`, where a `*` segment matches any one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| (*p == "*" && !s.is_empty()) || p == s)
}

/// The installed faults, shared by the state (admin routes, reset) and [`inject`].
pub(crate) type SharedFaults = Arc<Mutex<Faults>>;

/// The installed faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    next_id: u64,
    list: Vec<Fault>,
}

/// What to do to one request.
#[derive(Debug, Default)]
struct Plan {
    latency: Duration,
    action: Option<Action>,
}

#[derive(Debug)]
enum Action {
    Respond {
        status: StatusCode,
        retry_after: Option<u64>,
        body: Option<(String, String)>,
    },
    DropAfterCommit,
}

impl Faults {
    /// Validates and installs a fault.
    pub(crate) fn add(&mut self, req: FaultRequest) -> Result<Fault, ApiError> {
        let rate = req.rate.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&rate) {
            return Err(ApiError::bad_request("rate must be between 0 and 1"));
        }
        if req.status.is_some() && req.drop_after_commit {
            return Err(ApiError::bad_request(
                "a fault either answers with `status` or drops the connection, not both",
            ));
        }
        if req.status.is_none() && !req.drop_after_commit && req.latency_ms.is_none() {
            return Err(ApiError::bad_request(
                "a fault needs `status`, `latency_ms` or `drop_after_commit: true`",
            ));
        }
        if let Some(status) = req.status
            && !(400..=599).contains(&status)
        {
            return Err(ApiError::bad_request("status must be from 400 to 599"));
        }
        if (req.body.is_some() || req.retry_after.is_some()) && req.status.is_none() {
            return Err(ApiError::bad_request(
                "`body` and `retry_after` need a `status`",
            ));
        }
        if let Some(content_type) = &req.content_type
            && HeaderValue::from_str(content_type).is_err()
        {
            return Err(ApiError::bad_request(
                "content_type is not a valid header value",
            ));
        }
        if let Some(method) = &req.method
            && (method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(ApiError::bad_request(
                "method must be an HTTP method such as POST",
            ));
        }
        if let Some(path) = &req.path
            && !path.starts_with('/')
        {
            return Err(ApiError::bad_request("path must start with `/`"));
        }
        if req.latency_ms.is_some_and(|ms| ms > 600_000) {
            return Err(ApiError::bad_request("latency_ms must be at most 600000"));
        }
        if req.count == Some(0) {
            return Err(ApiError::bad_request("count must be at least 1"));
        }
        self.next_id += 1;
        let fault = Fault {
            id: self.next_id,
            method: req.method,
            path: req.path,
            status: req.status,
            retry_after: match req.status {
                Some(429) => Some(req.retry_after.unwrap_or(1)),
                _ => req.retry_after,
            },
            content_type: req
                .body
                .as_ref()
                .map(|_| req.content_type.unwrap_or_else(|| "text/html".to_owned())),
            body: req.body,
            latency_ms: req.latency_ms,
            drop_after_commit: req.drop_after_commit,
            rate,
            count: req.count,
            fired: 0,
        };
        self.list.push(fault.clone());
        Ok(fault)
    }

    pub(crate) fn list(&self) -> &[Fault] {
        &self.list
    }

    pub(crate) fn clear(&mut self) {
        self.list.clear();
    }

    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let before = self.list.len();
        self.list.retain(|f| f.id != id);
        self.list.len() != before
    }

    /// Decides what happens to a request, counting the faults that fire.
    fn plan(&mut self, method: &str, path: &str) -> Plan {
        let mut plan = Plan::default();
        for fault in &mut self.list {
            if !fault.matches(method, path) || fault.count == Some(0) {
                continue;
            }
            let terminal = fault.is_terminal();
            if terminal && plan.action.is_some() {
                continue;
            }
            if fault.rate < 1.0 && rand::random::<f64>() >= fault.rate {
                continue;
            }
            fault.fired += 1;
            if let Some(count) = fault.count.as_mut() {
                *count -= 1;
            }
            plan.latency += Duration::from_millis(fault.latency_ms.unwrap_or(0));
            if fault.drop_after_commit {
                plan.action = Some(Action::DropAfterCommit);
            } else if let Some(status) = fault.status {
                plan.action = Some(Action::Respond {
                    status: StatusCode::from_u16(status)
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    retry_after: fault.retry_after,
                    body: fault
                        .body
                        .clone()
                        .map(|b| (b, fault.content_type.clone().unwrap_or_default())),
                });
            }
        }
        self.list.retain(|f| f.count != Some(0));
        plan
    }
}

/// Latency to add while the request is being processed (inside the idempotency layer, so a slow
/// request holds its key like a slow server would).
#[derive(Debug, Clone, Copy)]
struct InjectedLatency(Duration);

/// Middleware just around the handlers: sleeps for the latency [`inject`] decided on.
pub(crate) async fn delay(req: Request, next: Next) -> Response {
    if let Some(InjectedLatency(latency)) = req.extensions().get::<InjectedLatency>().copied() {
        tokio::time::sleep(latency).await;
    }
    next.run(req).await
}

/// Middleware on the Bridge routes (outermost): answers with an injected status before anything
/// is applied, schedules latency, or applies the request and then drops the connection.
pub(crate) async fn inject(
    State(faults): State<SharedFaults>,
    mut req: Request,
    next: Next,
) -> Response {
    let plan = lock(&faults).plan(req.method().as_str(), req.uri().path());
    if !plan.latency.is_zero() {
        if matches!(plan.action, Some(Action::Respond { .. })) {
            // Nothing will be processed: the wait happens before the injected answer.
            tokio::time::sleep(plan.latency).await;
        } else {
            req.extensions_mut().insert(InjectedLatency(plan.latency));
        }
    }
    match plan.action {
        None => next.run(req).await,
        Some(Action::Respond {
            status,
            retry_after,
            body,
        }) => {
            let mut response = match body {
                Some((body, content_type)) => {
                    let mut response = (status, Body::from(body)).into_response();
                    if let Ok(value) = HeaderValue::from_str(&content_type) {
                        response.headers_mut().insert(CONTENT_TYPE, value);
                    }
                    response.extensions_mut().insert(RawBody);
                    response
                }
                None => {
                    let mut error = ApiError::new(
                        status,
                        format!("injected fault: {status} from the emulator"),
                    );
                    if status.is_server_error() {
                        error = error.with_code("transient_server_error");
                    }
                    error.into_response()
                }
            };
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
        Some(Action::DropAfterCommit) => {
            let killer = req.extensions().get::<ConnectionKiller>().cloned();
            let method = req.method().clone();
            let path = req.uri().path().to_owned();
            let response = next.run(req).await;
            match killer {
                Some(killer) => {
                    tracing::info!(%method, %path, status = response.status().as_u16(),
                        "fault: request applied, dropping the connection without answering");
                    drop(response);
                    killer.kill();
                    std::future::pending::<Response>().await
                }
                None => response,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> FaultRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn paths() {
        assert!(path_matches(
            "/networks/*/firewall-rules",
            "/networks/abc/firewall-rules"
        ));
        assert!(!path_matches(
            "/networks/*/firewall-rules",
            "/networks/abc/firewall-rules/x"
        ));
        assert!(!path_matches("/networks/*", "/networks/"));
        assert!(path_matches("/clusters", "/clusters/"));
        assert!(!path_matches("/clusters", "/networks"));
    }

    /// A router other than Bridge's (here a Cloudflare-shaped path) gets faults from the same
    /// two layers, matched by route pattern, with a body in that API's own shape.
    #[tokio::test]
    async fn another_apis_router_gets_faults_by_route_pattern() {
        use axum::middleware::{from_fn, from_fn_with_state};
        use tower::ServiceExt;

        let faults: SharedFaults = Arc::default();
        lock(&faults)
            .add(request(
                r#"{"method": "PUT", "path": "/client/v4/accounts/*/devices/policy/include",
                    "status": 429, "retry_after": 2, "count": 1, "content_type": "application/json",
                    "body": "{\"success\":false,\"errors\":[{\"code\":971,\"message\":\"slow down\"}]}"}"#,
            ))
            .unwrap();
        let router = axum::Router::new()
            .route(
                "/client/v4/accounts/{account}/devices/policy/include",
                axum::routing::put(|| async { "stored" }),
            )
            .layer(from_fn(delay))
            .layer(from_fn_with_state(Arc::clone(&faults), inject));
        let call = || {
            Request::builder()
                .method("PUT")
                .uri("/client/v4/accounts/abc/devices/policy/include")
                .body(Body::empty())
                .unwrap()
        };
        let limited = router.clone().oneshot(call()).await.unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(limited.headers()[RETRY_AFTER], "2");
        let body = axum::body::to_bytes(limited.into_body(), 1 << 16)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("971"));
        // Count 1: the next call goes through.
        let ok = router.oneshot(call()).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }

    #[test]
    fn counts_and_validation() {
        let mut faults = Faults::default();
        faults
            .add(request(
                r#"{"method":"post","path":"/clusters","status":503,"count":2}"#,
            ))
            .unwrap();
        assert!(faults.plan("GET", "/clusters").action.is_none());
        assert!(faults.plan("POST", "/clusters").action.is_some());
        assert!(faults.plan("POST", "/clusters").action.is_some());
        assert!(faults.plan("POST", "/clusters").action.is_none());
        assert!(faults.list().is_empty());

        assert!(
            faults
                .add(request(r#"{"rate": 2, "status": 500}"#))
                .is_err()
        );
        assert!(
            faults
                .add(request(r#"{"path": "x", "status": 500}"#))
                .is_err()
        );
        assert!(faults.add(request(r#"{"status": 200}"#)).is_err());
        assert!(faults.add(request(r#"{}"#)).is_err());
        assert!(
            faults
                .add(request(r#"{"status": 500, "drop_after_commit": true}"#))
                .is_err()
        );
        let f = faults.add(request(r#"{"status": 429}"#)).unwrap();
        assert_eq!(f.retry_after, Some(1));
        faults.add(request(r#"{"latency_ms": 5}"#)).unwrap();
        let plan = faults.plan("GET", "/account");
        assert_eq!(plan.latency, Duration::from_millis(5));
        assert!(matches!(plan.action, Some(Action::Respond { .. })));
        assert!(faults.remove(f.id));
        assert!(!faults.remove(f.id));
    }
}
