//! The Cloudflare API (the parts oceanid uses) under `<base>/client/v4`: token verification,
//! WARP device profiles and their split-tunnel lists, tunnel routes, virtual networks,
//! cloudflared tunnels, zones and DNS records, in Cloudflare's envelope with a `cf-ray` header on
//! every answer. Seeded as the operators' account ([`CloudflareSeed`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::any;
use serde_json::Value;

use crate::faults;
use crate::state::AppState;

mod admin;
mod auth;
mod envelope;
mod pagination;
mod routes;
mod seed;
mod store;

pub use seed::CloudflareSeed;
use store::CloudflareStore;

/// Where the Cloudflare API is served.
pub(crate) const PREFIX: &str = "/client/v4";

/// The Cloudflare side of the emulator: the token it accepts and its objects.
#[derive(Debug)]
pub(crate) struct CloudflareState {
    /// The token to accept; `None` accepts any non-empty bearer token.
    token: Option<String>,
    /// The token lacks write permission: writes answer 403, code 10000.
    read_only: AtomicBool,
    store: Mutex<CloudflareStore>,
    /// How many requests reached the Cloudflare routes since start or reset, by method.
    requests: Mutex<BTreeMap<String, u64>>,
}

impl CloudflareState {
    /// The seeded account, accepting `token` (or any token).
    pub(crate) fn new(token: Option<String>) -> CloudflareState {
        CloudflareState {
            token,
            read_only: AtomicBool::new(false),
            requests: Mutex::new(BTreeMap::new()),
            store: Mutex::new(CloudflareStore::seeded(&CloudflareSeed::new())),
        }
    }

    /// The objects.
    pub(super) fn store(&self) -> MutexGuard<'_, CloudflareStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The request counts.
    fn requests(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request (faulted ones too: each is an API call against the rate limit).
    pub(crate) fn count(&self, method: &str) {
        *self.requests().entry(method.to_owned()).or_default() += 1;
    }

    /// Back to the seed.
    pub(crate) fn reset(&self) {
        *self.store() = CloudflareStore::seeded(&CloudflareSeed::new());
        self.read_only.store(false, Ordering::SeqCst);
        self.requests().clear();
    }

    /// Every object, for `GET /__emulator/state`.
    pub(crate) fn dump(&self) -> Value {
        let mut state = self.store().dump();
        if let Some(map) = state.as_object_mut() {
            let requests = self.requests().clone();
            let total: u64 = requests.values().sum();
            map.insert(
                "requests".into(),
                serde_json::json!({ "total": total, "by_method": requests }),
            );
            map.insert(
                "token_read_only".into(),
                Value::Bool(self.read_only.load(Ordering::SeqCst)),
            );
        }
        state
    }
}

/// The Cloudflare routes, with their middleware (outermost first): envelope and `cf-ray`,
/// injected faults, token authentication, injected latency.
pub(crate) fn router(app: Arc<AppState>) -> Router<Arc<AppState>> {
    routes::routes()
        .route(PREFIX, any(routes::no_route))
        .route(&format!("{PREFIX}/"), any(routes::no_route))
        .route(&format!("{PREFIX}/{{*rest}}"), any(routes::no_route))
        .layer(from_fn(faults::delay))
        .layer(from_fn_with_state(app.clone(), auth::require_token))
        .layer(from_fn_with_state(app.faults.clone(), faults::inject))
        .layer(from_fn_with_state(app, envelope::finish))
}

/// The test-only admin routes of the Cloudflare side (no authentication, no envelope).
pub(crate) fn admin_router() -> Router<Arc<AppState>> {
    admin::router()
}
