//! Token authentication on the Cloudflare routes: `Authorization: Bearer <token>`, the token
//! given with `--cloudflare-token`, or any non-empty one without it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::envelope::{CfError, code};
use crate::state::AppState;

/// What the `Authorization` header holds.
#[derive(Debug, PartialEq, Eq)]
enum Credential {
    /// No header, another scheme, or an empty token.
    Missing,
    /// A bearer token that is not the accepted one.
    Wrong,
    /// The accepted token.
    Accepted,
}

fn credential(header: Option<&[u8]>, accepted: Option<&str>) -> Credential {
    let token = header
        .and_then(|h| {
            h.get(..7)
                .filter(|s| s.eq_ignore_ascii_case(b"bearer "))
                .and(h.get(7..))
        })
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty());
    match (token, accepted) {
        (None, _) => Credential::Missing,
        (Some(_), None) => Credential::Accepted,
        (Some(token), Some(accepted)) => {
            // Compare every byte, whatever the first difference.
            let same = token.len() == accepted.len()
                && token
                    .iter()
                    .zip(accepted.as_bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0;
            if same {
                Credential::Accepted
            } else {
                Credential::Wrong
            }
        }
    }
}

/// Middleware: lets requests with the accepted token through. Without a token: 401, code 10000;
/// with another token: 401, code 1000 on `tokens/verify`, else 403, code 9109; a write with a
/// token made read-only (`POST /__emulator/cloudflare/token`): 403, code 10000.
pub(crate) async fn require_token(
    State(app): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let header = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    match credential(header, app.cloudflare.token.as_deref()) {
        Credential::Accepted
            if req.method() != Method::GET && app.cloudflare.read_only.load(Ordering::SeqCst) =>
        {
            CfError::new(
                StatusCode::FORBIDDEN,
                code::AUTHENTICATION_ERROR,
                "Authentication error",
            )
            .into_response()
        }
        Credential::Accepted => next.run(req).await,
        Credential::Missing => CfError::new(
            StatusCode::UNAUTHORIZED,
            code::AUTHENTICATION_ERROR,
            "Authentication error: send `Authorization: Bearer <API token>`",
        )
        .into_response(),
        Credential::Wrong if req.uri().path().ends_with("/tokens/verify") => CfError::new(
            StatusCode::UNAUTHORIZED,
            code::INVALID_API_TOKEN,
            "Invalid API Token",
        )
        .into_response(),
        Credential::Wrong => CfError::new(
            StatusCode::FORBIDDEN,
            code::UNAUTHORIZED_TO_ACCESS,
            "Invalid access token",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials() {
        assert_eq!(credential(None, None), Credential::Missing);
        assert_eq!(credential(Some(b"Bearer "), None), Credential::Missing);
        assert_eq!(credential(Some(b"Basic abc"), None), Credential::Missing);
        assert_eq!(credential(Some(b"Bearer abc"), None), Credential::Accepted);
        assert_eq!(
            credential(Some(b"bearer abc"), Some("abc")),
            Credential::Accepted
        );
        assert_eq!(
            credential(Some(b"Bearer abd"), Some("abc")),
            Credential::Wrong
        );
        assert_eq!(
            credential(Some(b"Bearer ab"), Some("abc")),
            Credential::Wrong
        );
    }
}
