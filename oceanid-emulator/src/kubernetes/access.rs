//! Who calls the emulated API server: the bearer token decides. The configured token is the
//! cluster admin; [`VIEWER_TOKEN`] is a user bound to Kubernetes' `view` ClusterRole (get and
//! list, no Secrets, no changes), so a client's 403 paths can be tested. No token, or another
//! one, is 401.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::kinds::Kind;
use super::status::KubeError;
use crate::auth::bearer_matches;
use crate::state::AppState;

/// The bearer token of the read-only user (the `view` ClusterRole: no Secrets, no changes).
pub const VIEWER_TOKEN: &str = "oceanid-emulator-viewer";

/// The user name of [`VIEWER_TOKEN`].
pub(crate) const VIEWER_USER: &str = "oceanid-viewer";

/// The authenticated caller, in each request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// Everything is allowed.
    Admin,
    /// `get`/`list` of everything except Secrets.
    Viewer,
}

impl Caller {
    /// Refuses what RBAC would refuse this caller.
    pub(crate) fn authorize(
        self,
        verb: &str,
        kind: &Kind,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> Result<(), KubeError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Viewer if (verb == "get" || verb == "list") && kind.plural != "secrets" => {
                Ok(())
            }
            Caller::Viewer => Err(KubeError::forbidden(
                VIEWER_USER,
                verb,
                kind,
                name,
                namespace,
            )),
        }
    }
}

/// Middleware on the Kubernetes routes: 401 without a known bearer token, else records the
/// caller.
pub(crate) async fn authenticate(
    State(app): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    let caller = match header {
        Some(h) if bearer_matches(&h, app.kubernetes.token()) => Caller::Admin,
        Some(h) if bearer_matches(&h, VIEWER_TOKEN) => Caller::Viewer,
        _ => return KubeError::unauthorized().into_response(),
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}
