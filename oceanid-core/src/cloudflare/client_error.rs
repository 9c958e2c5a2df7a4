//! What a call of the [Cloudflare client](super::Cloudflare) can fail with: Cloudflare's own
//! error answer (every code and message, the `cf-ray`), a token without the permission the call
//! needs (named), or a transport failure from the shared executor.

use crate::http::{self, ApiError};

use super::api::{CODE_SEPARATOR, MESSAGE_SEPARATOR};
use super::error::{CloudflareError, ResponseInfo};

/// A failed call of the [Cloudflare client](super::Cloudflare).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Cloudflare answered with an error envelope, an error status or a body that is not its
    /// envelope (an edge HTML page).
    #[error("{request}: {source}")]
    Cloudflare {
        /// The call, as `METHOD /path`.
        request: String,
        /// What Cloudflare said.
        source: CloudflareError,
    },
    /// The token was refused for this call: it lacks the named permission (or is invalid).
    #[error(
        "{request}: the Cloudflare API token was refused; it needs the permission \"{permission}\" \
         (edit the token at https://dash.cloudflare.com/profile/api-tokens and add it, or set \
         CLOUDFLARE_API_TOKEN to a token that has it): {source}"
    )]
    MissingPermission {
        /// The call, as `METHOD /path`.
        request: String,
        /// The permission the call needs, as Cloudflare's dashboard names it.
        permission: &'static str,
        /// What Cloudflare said.
        source: CloudflareError,
    },
    /// The call did not get an answer: not sent, maybe sent (outcome unknown), timed out,
    /// redirected, too large, or the client is misconfigured.
    #[error(transparent)]
    Http(http::Error),
}

impl ClientError {
    /// Classify an executor error for a call needing `permission`.
    pub(super) fn from_http(error: http::Error, permission: &'static str) -> ClientError {
        let api = match &error {
            http::Error::Api(e) | http::Error::Unauthorized(e) | http::Error::RateLimited(e) => {
                e.as_ref()
            }
            _ => return ClientError::Http(error),
        };
        ClientError::from_cloudflare(api.request.clone(), cloudflare_error(api), permission)
    }

    /// Cloudflare's error for a call needing `permission`: a refused token names it.
    pub(super) fn from_cloudflare(
        request: String,
        source: CloudflareError,
        permission: &'static str,
    ) -> ClientError {
        if source.is_unauthorized() {
            ClientError::MissingPermission {
                request,
                permission,
                source,
            }
        } else {
            ClientError::Cloudflare { request, source }
        }
    }

    /// Cloudflare's error, when it answered with one.
    #[must_use]
    pub fn cloudflare(&self) -> Option<&CloudflareError> {
        match self {
            ClientError::Cloudflare { source, .. }
            | ClientError::MissingPermission { source, .. } => Some(source),
            ClientError::Http(_) => None,
        }
    }

    /// HTTP 404 or DNS 81044: the object (or the profile, route, tunnel) does not exist.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.cloudflare().is_some_and(CloudflareError::is_not_found)
    }

    /// Worth starting the operation again from a fresh read: rate limited, 408, 409, 5xx, or no
    /// complete answer (not sent, maybe sent, timed out).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Cloudflare { source, .. } => source.is_retryable(),
            ClientError::MissingPermission { .. } => false,
            ClientError::Http(e) => e.is_retryable() || e.is_timeout() || e.is_maybe_sent(),
        }
    }

    /// How long Cloudflare asked to wait, if it did.
    #[must_use]
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            ClientError::Http(e) => e.retry_after(),
            other => other.cloudflare().and_then(CloudflareError::retry_after),
        }
    }
}

/// The executor's view of an error answer, back to every `{code, message}` Cloudflare sent.
fn cloudflare_error(api: &ApiError) -> CloudflareError {
    let Some(codes) = &api.code else {
        return CloudflareError::unreadable(
            api.status,
            api.request_id.clone(),
            api.retry_after,
            api.message.clone(),
        );
    };
    let codes: Vec<u32> = codes
        .split(CODE_SEPARATOR)
        .map(|c| c.trim().parse().unwrap_or(0))
        .collect();
    let messages: Vec<&str> = api.message.split(MESSAGE_SEPARATOR).collect();
    let errors = if messages.len() == codes.len() {
        codes
            .iter()
            .zip(messages)
            .map(|(&code, message)| ResponseInfo::new(code, message))
            .collect()
    } else {
        codes
            .iter()
            .map(|&code| ResponseInfo::new(code, api.message.clone()))
            .collect()
    };
    CloudflareError::api(api.status, api.request_id.clone(), errors, api.retry_after)
}
