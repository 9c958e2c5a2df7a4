//! A scripted stand-in server for the bodies and faults the emulator never produces.
//!
//! Each expectation matches a method and path and answers from a queue of responses (the last
//! one repeats). A request no expectation matches is recorded and answered 418; the server
//! panics on drop if any was recorded, so an unexpected call fails the test loudly.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::raw(status, "application/json", &body.to_string())
    }

    pub fn raw(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// A Bridge-shaped error body.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({"message": message, "request_id": "00000000-0000-4000-8000-000000000000", "code": null, "is_transient": false}),
        )
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Hit {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

struct Expectation {
    method: String,
    path: String,
    replies: VecDeque<Reply>,
}

#[derive(Default)]
struct Shared {
    expectations: Mutex<Vec<Expectation>>,
    hits: Mutex<Vec<Hit>>,
    unexpected: Mutex<Vec<String>>,
}

pub struct MockServer {
    base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl MockServer {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            shared,
            task,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Answer `method path` (path without query) with these replies in turn; the last repeats.
    pub fn expect(&self, method: &str, path: &str, replies: impl IntoIterator<Item = Reply>) {
        let replies: VecDeque<Reply> = replies.into_iter().collect();
        assert!(!replies.is_empty(), "an expectation needs a reply");
        self.shared
            .expectations
            .lock()
            .expect("lock")
            .push(Expectation {
                method: method.into(),
                path: path.into(),
                replies,
            });
    }

    /// Every request received for `method path`, in order.
    pub fn hits(&self, method: &str, path: &str) -> Vec<Hit> {
        self.shared
            .hits
            .lock()
            .expect("lock")
            .iter()
            .filter(|h| h.method == method && h.path == path)
            .cloned()
            .collect()
    }

    /// Take the unexpected requests recorded so far (so a test about the catch-all can pass).
    pub fn take_unexpected(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.unexpected.lock().expect("lock"))
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
        let unexpected = self.take_unexpected();
        if !unexpected.is_empty() && !std::thread::panicking() {
            panic!("the mock server got unexpected requests: {unexpected:#?}");
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    shared.hits.lock().expect("lock").push(Hit {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        headers: headers.clone(),
        body,
    });
    let reply = {
        let mut expectations = shared.expectations.lock().expect("lock");
        expectations
            .iter_mut()
            .find(|e| e.method == method && e.path == path)
            .map(|e| {
                if e.replies.len() > 1 {
                    e.replies.pop_front().expect("non-empty")
                } else {
                    e.replies[0].clone()
                }
            })
    };
    let Some(reply) = reply else {
        let what = format!(
            "{method} {path}{}",
            query.map(|q| format!("?{q}")).unwrap_or_default()
        );
        shared.unexpected.lock().expect("lock").push(what.clone());
        return Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({"message": format!("unexpected request {what}"), "request_id": "unexpected"}).to_string(),
            ))
            .expect("response");
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut builder = Response::builder().status(reply.status);
    let mut echoed = false;
    for (k, v) in &reply.headers {
        echoed |= k.eq_ignore_ascii_case("x-request-id");
        builder = builder.header(k, v);
    }
    if !echoed && let Some(id) = headers.get("x-request-id") {
        builder = builder.header("x-request-id", id.clone());
    }
    let mut resp = builder.body(Body::from(reply.body)).expect("response");
    resp.headers_mut()
        .entry("content-type")
        .or_insert(HeaderValue::from_static("application/json"));
    resp
}
