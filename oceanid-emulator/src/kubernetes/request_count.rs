//! How many requests each Kubernetes route received, as `METHOD path` (query left out), for
//! `/__emulator/state`: a benchmark or test sees how many list calls per kind a client made
//! and that it made no GET per object.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::{AppState, lock};

/// The counts, by `METHOD path`.
#[derive(Debug, Default)]
pub(crate) struct RequestCounts(Mutex<BTreeMap<String, u64>>);

impl RequestCounts {
    fn record(&self, method: &str, path: &str) {
        *lock(&self.0).entry(format!("{method} {path}")).or_default() += 1;
    }

    /// Every count so far.
    pub(crate) fn snapshot(&self) -> BTreeMap<String, u64> {
        lock(&self.0).clone()
    }

    /// Back to none.
    pub(crate) fn clear(&self) {
        lock(&self.0).clear();
    }
}

/// Counts the request, then passes it on (whatever the answer: a 401 or an injected fault
/// counts too, as the client did send it).
pub(crate) async fn count(
    State(app): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    app.kubernetes
        .requests
        .record(request.method().as_str(), request.uri().path());
    next.run(request).await
}
