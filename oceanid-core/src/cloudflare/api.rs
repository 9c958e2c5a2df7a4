//! How Cloudflare's v4 API describes itself to the shared [executor](crate::http::Executor):
//! Bearer token, the `{success, errors}` envelope (every code and message kept), the request id
//! in `cf-ray`, code 971 (rate limited) transient, no idempotency keys (so a POST or PATCH is
//! never retried), and a body cap.

use crate::http::{ApiDescription, ErrorBody};

use super::envelope::infos;
use super::error::CODE_RATE_LIMITED;

/// The largest Cloudflare answer read: 4 MiB. A page of 100 routes or DNS records is a few
/// dozen KiB; anything near this is a wrong URL or a proxy page.
pub const CLOUDFLARE_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Separates the codes of several errors in [`ErrorBody::code`] (`971,10000`).
pub(super) const CODE_SEPARATOR: char = ',';

/// Separates the messages of several errors in [`ErrorBody::message`].
pub(super) const MESSAGE_SEPARATOR: &str = "; ";

/// Cloudflare's v4 API, for [`Executor`](crate::http::Executor).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudflareApi;

impl ApiDescription for CloudflareApi {
    fn name(&self) -> &'static str {
        "Cloudflare"
    }

    fn credentials_hint(&self) -> &'static str {
        "check the API token (CLOUDFLARE_API_TOKEN) and that it has the permission the call needs"
    }

    fn decode_error(&self, _status: u16, body: &[u8]) -> Option<ErrorBody> {
        let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let errors = infos(value.get_mut("errors")?.take());
        let codes: Vec<String> = errors.iter().map(|e| e.code.to_string()).collect();
        let messages: Vec<String> = errors
            .iter()
            .map(|e| e.message.replace(MESSAGE_SEPARATOR, ", "))
            .collect();
        Some(ErrorBody {
            message: Some(messages.join(MESSAGE_SEPARATOR)),
            code: Some(codes.join(&CODE_SEPARATOR.to_string())).filter(|c| !c.is_empty()),
            request_id: None,
            is_transient: errors.iter().any(|e| e.code == CODE_RATE_LIMITED),
        })
    }

    fn request_id_headers(&self) -> &'static [&'static str] {
        &[super::envelope::CF_RAY]
    }

    fn request_id_header_to_send(&self) -> Option<&'static str> {
        None
    }

    fn body_limit(&self) -> usize {
        CLOUDFLARE_BODY_LIMIT
    }
}
