//! The emulated Kubernetes API server, on the same port as the Bridge API: `/version`,
//! discovery (`/api`, `/apis`, each group-version's resources) and, for Nodes, Pods,
//! Namespaces, Secrets, Deployments, CustomResourceDefinitions and Flux's GitRepository,
//! Kustomization and HelmRelease, get, list (label and field selectors, `limit`/`continue`),
//! create, replace and delete with the API server's `Status` errors. Objects are plain JSON.
//!
//! It starts with the operators' cluster (see [`seed`]), bearer tokens decide who calls (see
//! [`access`]), `POST`/`DELETE /__emulator/kubernetes/objects` let tests break things, and
//! `/__emulator/reset`, `/__emulator/state` and `/__emulator/faults` cover it like the Bridge
//! API.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{any, get};
use serde_json::{Value, json};

use crate::faults;
use crate::state::{AppState, lock};

pub(crate) mod access;
mod admin;
mod discovery;
mod helm_storage;
mod kinds;
pub(crate) mod kubeconfig;
mod merge_patch;
mod openapi;
mod request_count;
mod routes;
pub(crate) mod seed;
mod selectors;
mod status;
mod store;
mod table;

pub use access::VIEWER_TOKEN;
pub use kubeconfig::KUBECONFIG_CONTEXT;
pub(crate) use seed::SeedSize;

/// The admin bearer token the Kubernetes API accepts unless told otherwise.
pub const DEFAULT_KUBERNETES_TOKEN: &str = "oceanid-emulator-kubernetes-token";

/// The emulated cluster: its token, its seed size and its objects.
#[derive(Debug)]
pub(crate) struct KubernetesApi {
    token: String,
    size: SeedSize,
    objects: Mutex<store::ObjectStore>,
    /// Requests received per `METHOD path`, since start or the last reset.
    requests: request_count::RequestCounts,
}

impl KubernetesApi {
    /// A cluster seeded with `size` extras, accepting `token` as its admin.
    pub(crate) fn new(token: String, size: SeedSize) -> KubernetesApi {
        KubernetesApi {
            token,
            size,
            objects: Mutex::new(Self::seeded(size)),
            requests: request_count::RequestCounts::default(),
        }
    }

    fn seeded(size: SeedSize) -> store::ObjectStore {
        let mut objects = store::ObjectStore::default();
        for object in seed::objects(size) {
            if let Err(error) = objects.upsert(object) {
                // The seed is the emulator's own data: a failure here is a bug in it.
                tracing::error!(error = %error.body(), "a seeded Kubernetes object was refused");
            }
        }
        objects
    }

    /// The admin bearer token.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// The objects.
    pub(crate) fn objects(&self) -> MutexGuard<'_, store::ObjectStore> {
        lock(&self.objects)
    }

    /// Back to the seed.
    pub(crate) fn reset(&self) {
        *self.objects() = Self::seeded(self.size);
        self.requests.clear();
    }

    /// Every object, the cluster's resourceVersion and the requests per route, for
    /// `/__emulator/state`.
    pub(crate) fn dump(&self) -> Value {
        let objects = self.objects();
        json!({
            "resourceVersion": objects.revision().to_string(),
            "count": objects.len(),
            "objects": objects.dump(),
            "requests": self.requests.snapshot(),
        })
    }
}

/// The Kubernetes routes: `/version` (no token, as on K3s), then `/api…` and `/apis…` behind
/// the injected faults and the bearer token; and the admin route for objects.
pub(crate) fn router(app: Arc<AppState>) -> Router<Arc<AppState>> {
    let api = Router::new()
        .route("/api", any(routes::dispatch))
        .route("/api/{*rest}", any(routes::dispatch))
        .route("/apis", any(routes::dispatch))
        .route("/apis/{*rest}", any(routes::dispatch))
        .route("/openapi/v3", get(openapi::index))
        .route("/openapi/v3/{*rest}", get(openapi::group_version))
        .layer(from_fn(faults::delay))
        .layer(from_fn_with_state(app.clone(), access::authenticate))
        .layer(from_fn_with_state(app.faults.clone(), faults::inject))
        .layer(from_fn_with_state(app.clone(), request_count::count));
    Router::new()
        .route("/version", get(discovery::version))
        .route("/version/", get(discovery::version))
        .merge(api)
        .merge(admin::router())
}
