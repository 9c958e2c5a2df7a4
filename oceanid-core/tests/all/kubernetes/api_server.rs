//! The scripted API server: kube-rs's `tower_test` pattern. Each test states the exact requests
//! it expects, in order (method, path, query parameters), and the answer to each; a missing call
//! fails the test at the end, an extra one reaches a closed service.

use std::collections::BTreeMap;
use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use oceanid_core::kubernetes::Kubernetes;
use serde_json::Value;
use tokio::task::JoinHandle;

/// The server name errors mention.
pub(crate) const SERVER: &str = "https://tethys.example:6443";

/// One expected request and its answer.
pub(crate) struct Exchange {
    method: Method,
    path: String,
    query: BTreeMap<String, String>,
    status: StatusCode,
    body: Vec<u8>,
    content_type: &'static str,
}

impl Exchange {
    /// A `GET` of `path` with exactly the query parameters `query`, answered 200 with `body`.
    pub(crate) fn get(path: &str, query: &[(&str, &str)], body: &Value) -> Self {
        Self {
            method: Method::GET,
            path: path.to_owned(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            status: StatusCode::OK,
            body: serde_json::to_vec(body).unwrap_or_default(),
            content_type: "application/json",
        }
    }

    /// A `LIST` page request: `limit=500` plus `extra`.
    pub(crate) fn list(path: &str, extra: &[(&str, &str)], body: &Value) -> Self {
        let mut query = vec![("limit", "500")];
        query.extend_from_slice(extra);
        Self::get(path, &query, body)
    }

    /// The same request, answered with another status and a raw body.
    pub(crate) fn answer(mut self, status: u16, content_type: &'static str, body: &str) -> Self {
        self.status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.body = body.as_bytes().to_vec();
        self.content_type = content_type;
        self
    }

    /// Another method (PUT, DELETE).
    pub(crate) fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
}

/// A client wired to the script, and the task that checks it.
pub(crate) struct Scripted {
    pub(crate) cluster: Kubernetes,
    checker: JoinHandle<Vec<Vec<u8>>>,
}

/// Starts a scripted server answering `exchanges` in order.
pub(crate) fn scripted(exchanges: Vec<Exchange>) -> Scripted {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = kube::Client::new(service, "default");
    let checker = tokio::spawn(async move {
        let mut handle = std::pin::pin!(handle);
        let mut bodies = Vec::new();
        for (i, ex) in exchanges.into_iter().enumerate() {
            let Some((request, respond)) = handle.next_request().await else {
                panic!("request {i} ({} {}) was never made", ex.method, ex.path);
            };
            assert_eq!(request.method(), ex.method, "request {i}: method");
            assert_eq!(request.uri().path(), ex.path, "request {i}: path");
            let query: BTreeMap<String, String> = request
                .uri()
                .query()
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(query, ex.query, "request {i} ({}): query", ex.path);
            let body = http_body_util::BodyExt::collect(request.into_body())
                .await
                .map(|c| c.to_bytes().to_vec())
                .unwrap_or_default();
            bodies.push(body);
            let response = Response::builder()
                .status(ex.status)
                .header("content-type", ex.content_type)
                .body(Body::from(ex.body))
                .unwrap_or_else(|e| panic!("building response {i}: {e}"));
            respond.send_response(response);
        }
        bodies
    });
    Scripted {
        cluster: Kubernetes::from_client(client, SERVER),
        checker,
    }
}

impl Scripted {
    /// Waits for the script to finish: every expected request was made. Returns the request
    /// bodies.
    pub(crate) async fn finish(self) -> Vec<Vec<u8>> {
        match tokio::time::timeout(Duration::from_secs(5), self.checker).await {
            Ok(Ok(bodies)) => bodies,
            Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            Err(_) => panic!("the script did not finish: an expected request was never made"),
        }
    }
}
