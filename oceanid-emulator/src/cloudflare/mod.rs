//! The Cloudflare API (the parts oceanid uses) under `<base>/client/v4`: token verification,
//! WARP device profiles and their split-tunnel lists, tunnel routes, virtual networks,
//! cloudflared tunnels, zones and DNS records, in Cloudflare's envelope with a `cf-ray` header on
//! every answer. Seeded as the operators' account ([`CloudflareSeed`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::any;
use serde_json::Value;

use crate::faults;
use crate::state::AppState;

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
    store: Mutex<CloudflareStore>,
}

impl CloudflareState {
    /// The seeded account, accepting `token` (or any token).
    pub(crate) fn new(token: Option<String>) -> CloudflareState {
        CloudflareState {
            token,
            store: Mutex::new(CloudflareStore::seeded(&CloudflareSeed::new())),
        }
    }

    /// The objects.
    pub(super) fn store(&self) -> MutexGuard<'_, CloudflareStore> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Back to the seed.
    pub(crate) fn reset(&self) {
        *self.store() = CloudflareStore::seeded(&CloudflareSeed::new());
    }

    /// Every object, for `GET /__emulator/state`.
    pub(crate) fn dump(&self) -> Value {
        self.store().dump()
    }
}

/// The Cloudflare routes, with their middleware (outermost first): envelope and `cf-ray`,
/// injected faults, token authentication, injected latency.
pub(crate) fn router(app: Arc<AppState>) -> Router<Arc<AppState>> {
    routes::routes()
        .route(&format!("{PREFIX}/{{*rest}}"), any(routes::no_route))
        .layer(from_fn(faults::delay))
        .layer(from_fn_with_state(app.clone(), auth::require_token))
        .layer(from_fn_with_state(app, faults::inject))
        .layer(from_fn(envelope::finish))
}
